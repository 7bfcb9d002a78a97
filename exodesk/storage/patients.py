"""PatientRepository: patients in and out of SQLite, and the indexed search box query."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlite_utils import Database

from exodesk.domain.patient import (
    Patient,
    PatientQuery,
    name_search_text,
    phone_search_text,
    sort_key,
)
from exodesk.storage.database import inserted_id

_FIELDS = (
    "family_name",
    "given_names",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "address",
    "emergency_contact",
    "gp",
    "alerts",
    "notes",
    "status",
    "status_reason",
)
_COLUMNS = ", ".join(("id", "version", *_FIELDS))
_P_COLUMNS = ", ".join(f"p.{c}" for c in ("id", "version", *_FIELDS))

# How many full-text matches make a name or phone search "dense". Below it the matches are
# looked up one by one and sorted (~2 µs each); from it on, walking the patients in list
# order and keeping the matches (~0.2 µs a row) fills a page sooner. The break-even, at
# 100,000 patients, lies between 1,500 and 5,000 matches depending on how the matches spread
# over the alphabet (a family name clusters, a given name spreads): measured with
# tests/benchmarks/run.py.
DENSE_MATCHES = 3000


class StaleRecordError(Exception):
    """The record changed since it was read (someone else saved it first)."""


def patient_values(patient: Patient) -> dict[str, Any]:
    """The stored form of a patient's own fields (also what the audit log records)."""
    values = {k: v for k, v in asdict(patient).items() if k in _FIELDS}
    values["date_of_birth"] = patient.date_of_birth.isoformat() if patient.date_of_birth else None
    return values


def _row_to_patient(row: tuple) -> Patient:
    # Keywords straight from the tuple, no dict: a page holds 200 rows, and the search box
    # builds one per keystroke (2.5 µs a row instead of 5).
    return Patient(
        id=row[0],
        version=row[1],
        family_name=row[2],
        given_names=row[3],
        date_of_birth=date.fromisoformat(row[4]),
        sex=row[5],
        phone=row[6],
        email=row[7],
        address=row[8],
        emergency_contact=row[9],
        gp=row[10],
        alerts=row[11],
        notes=row[12],
        status=row[13],
        status_reason=row[14],
    )


class PatientRepository:
    """Reads and writes the ``patients`` table; the FTS index follows by trigger."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._retired_count: tuple[tuple[int, int], int] | None = None  # (data stamp, count)

    def insert(self, patient: Patient, *, at: str, actor_id: int | None) -> int:
        values = patient_values(patient)
        values.update(_derived(patient))
        values.update(created_at=at, created_by=actor_id, updated_at=at, updated_by=actor_id)
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cur = self._db.execute(
            f"INSERT INTO patients ({columns}) VALUES ({marks})", list(values.values())
        )
        return inserted_id(cur.lastrowid)

    def update(self, patient: Patient, *, at: str, actor_id: int | None) -> None:
        """Write ``patient`` over the stored row if nobody saved it since it was read.

        Raises:
            StaleRecordError: the stored version is not ``patient.version``.
        """
        values = patient_values(patient)
        values.update(_derived(patient))
        values.update(updated_at=at, updated_by=actor_id)
        assignments = ", ".join(f"{k} = ?" for k in values)
        cur = self._db.execute(
            f"UPDATE patients SET {assignments}, version = version + 1 "
            "WHERE id = ? AND version = ?",
            [*values.values(), patient.id, patient.version],
        )
        if cur.rowcount != 1:
            raise StaleRecordError(patient.id)

    def get(self, patient_id: int) -> Patient | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM patients WHERE id = ?", [patient_id]
        ).fetchone()
        return _row_to_patient(row) if row else None

    def count(self, *, include_inactive: bool = False) -> int:
        where = "" if include_inactive else "WHERE status = 'active'"
        return int(self._db.execute(f"SELECT count(*) FROM patients {where}").fetchone()[0])

    def search(
        self,
        query: PatientQuery,
        *,
        include_inactive: bool = False,
        after: tuple[str, int] | None = None,
        limit: int = 200,
    ) -> list[Patient]:
        """One page of matches in list order (family name, given names), after ``after``.

        Keyset paging: ``after`` is the (sort key, id) of the last row already shown, so page
        100 costs the same as page 1.
        """
        return self.search_counted(
            query, include_inactive=include_inactive, after=after, limit=limit, cap=0
        ).rows

    def search_counted(
        self,
        query: PatientQuery,
        *,
        include_inactive: bool = False,
        after: tuple[str, int] | None = None,
        limit: int = 200,
        cap: int = 1000,
    ) -> SearchResult:
        """``search``, also saying how many match (up to ``cap``) when that costs next to
        nothing: the plan chosen for the page has often looked at every match already."""
        plan = self._plan(query, include_inactive, after, limit, cap)
        rows = self._db.execute(plan.sql, plan.params).fetchall()
        count = plan.count
        if plan.counting:  # the statement's last column is how many match in all
            count = min(int(rows[0][-1]), cap) if rows else 0
            rows = [r[:-1] for r in rows]
        return SearchResult([_row_to_patient(r) for r in rows], count)

    def count_matches(
        self, query: PatientQuery, *, include_inactive: bool = False, cap: int = 1000
    ) -> int:
        """How many match, counting no further than ``cap`` (so a one-letter search stays fast)."""
        found = _candidates(query)
        if found is None:
            where, params = _conditions(query, include_inactive)
            sql = (
                f"SELECT count(*) FROM (SELECT 1 FROM patients WHERE {' AND '.join(where)} LIMIT ?)"
            )
            return int(self._db.execute(sql, [*params, cap]).fetchone()[0])
        candidates, params = found
        retired = 0 if include_inactive else self._retired()
        matches = self._count_upto(candidates, params, cap + retired)
        if include_inactive or matches >= cap + retired:
            return min(matches, cap)
        # Each match looked up for its status: stops at the cap, ~2 µs a match.
        sql = (
            f"SELECT count(*) FROM (SELECT 1 FROM ({candidates}) AS c "
            "CROSS JOIN patients AS p ON p.id = c.id WHERE p.status = 'active' LIMIT ?)"
        )
        return int(self._db.execute(sql, [*params, cap]).fetchone()[0])

    def search_sql(self, query: PatientQuery, *, limit: int = 200) -> tuple[str, list[Any]]:
        """The first-page SQL and parameters, for EXPLAIN QUERY PLAN checks and the benchmark.

        It is the statement ``search`` would run now: for a name or phone search which of the
        two plans that is depends on how many patients match (see ``DENSE_MATCHES``).
        """
        plan = self._plan(query, False, None, limit, 0)
        return plan.sql, plan.params

    def data_stamp(self) -> tuple[int, int]:
        """Changes whenever the data may have: committed by another connection or written by
        this one (so a remembered count can tell it is stale)."""
        version = int(self._db.execute("PRAGMA data_version").fetchone()[0])
        return version, int(self._db.conn.total_changes)

    def _plan(
        self,
        query: PatientQuery,
        include_inactive: bool,
        after: tuple[str, int] | None,
        limit: int,
        cap: int,
    ) -> _Plan:
        found = _candidates(query)
        if found is None:
            where, params = _conditions(query, include_inactive)
            if after is not None:
                where.append("(sort_key, id) > (?, ?)")
                params += list(after)
            sql = (
                f"SELECT {_COLUMNS} FROM patients WHERE {' AND '.join(where)} "
                "ORDER BY sort_key, id LIMIT ?"
            )
            return _Plan(sql, [*params, limit])
        candidates, params = found
        where = [] if include_inactive else ["p.status = 'active'"]
        keyset: list[Any] = []
        if after is not None:
            where.append("(p.sort_key, p.id) > (?, ?)")
            keyset = list(after)
        # One capped count of the full-text matches (< 0.5 ms for short prefixes) decides the
        # plan, and often the count shown too: with `cap` + every inactive patient matching,
        # at least `cap` active ones do.
        retired = self._retired() if cap and not include_inactive else 0
        matches = self._count_upto(candidates, params, max(DENSE_MATCHES, cap + retired))
        count = None
        if cap and (include_inactive or matches >= cap + retired):
            count = min(matches, cap)
        # The walk needs the list-order index of active patients; with inactive ones included
        # there is none, so the lookup plan serves (as it always did) whatever the count.
        if not include_inactive and matches >= DENSE_MATCHES:
            # Walk the active patients in list order (index only: ~0.2 µs a row), keeping
            # those among the matches (gathered once into a temporary index); stops as soon
            # as the page is full. "s" at 100,000 patients: 20,000 matches, 5 ms, not 40.
            where.append(f"p.id IN ({candidates})")
            sql = (
                f"SELECT {_P_COLUMNS} FROM patients AS p INDEXED BY patients_by_status_sort "
                f"WHERE {' AND '.join(where)} ORDER BY p.sort_key, p.id LIMIT ?"
            )
            return _Plan(sql, [*keyset, *params, limit], count)
        # Few matches: look each one up (~2 µs) and sort them; "jones emi" (48) takes 0.6 ms.
        # CROSS JOIN keeps the planner from walking the whole list for a rare name.
        filtered = (
            f"FROM ({candidates}) AS c CROSS JOIN patients AS p ON p.id = c.id "
            f"{'WHERE ' + ' AND '.join(where) if where else ''}"
        )
        if cap and count is None and after is None:
            # Every match is looked up for the sort anyway: count them on the way (+0.2 ms,
            # where a separate count would look them up again, +2 ms).
            sql = (
                f"WITH m AS MATERIALIZED (SELECT p.id AS id, p.sort_key AS k {filtered}) "
                f"SELECT {_P_COLUMNS}, (SELECT count(*) FROM m) "
                "FROM (SELECT id, k FROM m ORDER BY k, id LIMIT ?) AS t "
                "CROSS JOIN patients AS p ON p.id = t.id ORDER BY t.k, t.id"
            )
            return _Plan(sql, [*params, *keyset, limit], counting=True)
        sql = f"SELECT {_P_COLUMNS} {filtered} ORDER BY p.sort_key, p.id LIMIT ?"
        return _Plan(sql, [*params, *keyset, limit], count)

    def _count_upto(self, candidates: str, params: list[Any], most: int) -> int:
        sql = f"SELECT count(*) FROM (SELECT 1 FROM ({candidates}) LIMIT ?)"
        return int(self._db.execute(sql, [*params, most]).fetchone()[0])

    def _retired(self) -> int:
        """How many patients are not active: an index range (0.2 ms for 5,000), counted again
        only after the data changed, not on every keystroke."""
        stamp = self.data_stamp()
        if self._retired_count is None or self._retired_count[0] != stamp:
            sql = "SELECT count(*) FROM patients WHERE status IN ('inactive', 'merged')"
            self._retired_count = (stamp, int(self._db.execute(sql).fetchone()[0]))
        return self._retired_count[1]


@dataclass(frozen=True)
class SearchResult:
    """A page of matches, and how many match in all (up to the cap) when that came free."""

    rows: list[Patient]
    count: int | None


@dataclass(frozen=True)
class _Plan:
    """The statement for one page, and what is already known of the count."""

    sql: str
    params: list[Any]
    count: int | None = None
    counting: bool = False  # the statement's last column is the count


def _derived(patient: Patient) -> dict[str, str]:
    return {
        "sort_key": sort_key(patient.family_name, patient.given_names),
        "search_names": name_search_text(patient.family_name, patient.given_names),
        "search_phone": phone_search_text(patient.phone),
    }


def _fts_phrase(token: str) -> str:
    # Tokens are folded word characters only, but quote them anyway: FTS5 syntax never leaks.
    return '"' + token.replace('"', '""') + '"*'


def _phone_match(query: PatientQuery) -> str:
    digits = query.digits
    if digits.startswith("0") and len(digits) > 3:
        # A national number typed with its trunk 0 also finds it stored as +44 7700…: search
        # without the leading zeros. That alone is enough, because the index holds every
        # ending of every number, so whatever contains "07700 9" also contains "7700 9".
        digits = digits.lstrip("0")
    return f"search_phone : {_fts_phrase(digits)}"


def _candidates(query: PatientQuery) -> tuple[str, list[Any]] | None:
    """SQL for the ids of every patient (any status) matching a name or phone search.

    None for the other kinds, which the table's own indexes answer in list order.
    """
    fts = "SELECT rowid AS id FROM patients_fts WHERE patients_fts MATCH ?"
    if query.kind == "name":
        return fts, [" AND ".join(f"search_names : {_fts_phrase(t)}" for t in query.tokens)]
    if query.kind == "phone":
        if query.birth_year is None:
            return fts, [_phone_match(query)]
        # Four digits that could be a year also find the patients born that year.
        born = "SELECT id FROM patients WHERE date_of_birth >= ? AND date_of_birth < ?"
        years = [f"{query.birth_year:04d}-01-01", f"{query.birth_year + 1:04d}-01-01"]
        return f"{fts} UNION {born}", [_phone_match(query), *years]
    return None


def _conditions(query: PatientQuery, include_inactive: bool) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if not include_inactive:
        where.append("status = 'active'")
    if query.kind == "all":
        pass
    elif query.kind == "dob" and query.dob is not None:
        where.append("date_of_birth = ?")
        params.append(query.dob.isoformat())
    else:
        where.append("0")
    if not where:
        where.append("1")
    return where, params
