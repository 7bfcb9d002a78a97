"""PatientRepository: patients in and out of SQLite, and the indexed search box query."""

from __future__ import annotations

from dataclasses import asdict
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


class StaleRecordError(Exception):
    """The record changed since it was read (someone else saved it first)."""


def patient_values(patient: Patient) -> dict[str, Any]:
    """The stored form of a patient's own fields (also what the audit log records)."""
    values = {k: v for k, v in asdict(patient).items() if k in _FIELDS}
    values["date_of_birth"] = patient.date_of_birth.isoformat() if patient.date_of_birth else None
    return values


def _row_to_patient(row: tuple) -> Patient:
    values = dict(zip(("id", "version", *_FIELDS), row, strict=True))
    values["date_of_birth"] = date.fromisoformat(values["date_of_birth"])
    return Patient(**values)


class PatientRepository:
    """Reads and writes the ``patients`` table; the FTS index follows by trigger."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def insert(self, patient: Patient, *, at: str, actor_id: int | None) -> int:
        values = patient_values(patient)
        values.update(_derived(patient))
        values.update(created_at=at, created_by=actor_id, updated_at=at, updated_by=actor_id)
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cur = self._db.execute(
            f"INSERT INTO patients ({columns}) VALUES ({marks})", list(values.values())
        )
        return int(cur.lastrowid)

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
        where, params = _conditions(query, include_inactive)
        if after is not None:
            where.append("(sort_key, id) > (?, ?)")
            params += list(after)
        sql = (
            f"SELECT {_COLUMNS} FROM patients WHERE {' AND '.join(where)} "
            "ORDER BY sort_key, id LIMIT ?"
        )
        rows = self._db.execute(sql, [*params, limit]).fetchall()
        return [_row_to_patient(r) for r in rows]

    def count_matches(
        self, query: PatientQuery, *, include_inactive: bool = False, cap: int = 1000
    ) -> int:
        """How many match, counting no further than ``cap`` (so a one-letter search stays fast)."""
        where, params = _conditions(query, include_inactive)
        sql = f"SELECT count(*) FROM (SELECT 1 FROM patients WHERE {' AND '.join(where)} LIMIT ?)"
        return int(self._db.execute(sql, [*params, cap]).fetchone()[0])

    def search_sql(self, query: PatientQuery, *, limit: int = 200) -> tuple[str, list[Any]]:
        """The first-page SQL and parameters, for EXPLAIN QUERY PLAN checks and the benchmark."""
        where, params = _conditions(query, False)
        sql = (
            f"SELECT {_COLUMNS} FROM patients WHERE {' AND '.join(where)} "
            "ORDER BY sort_key, id LIMIT ?"
        )
        return sql, [*params, limit]


def _derived(patient: Patient) -> dict[str, str]:
    return {
        "sort_key": sort_key(patient.family_name, patient.given_names),
        "search_names": name_search_text(patient.family_name, patient.given_names),
        "search_phone": phone_search_text(patient.phone),
    }


def _fts_phrase(token: str) -> str:
    # Tokens are folded word characters only, but quote them anyway: FTS5 syntax never leaks.
    return '"' + token.replace('"', '""') + '"*'


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
    elif query.kind == "name":
        match = " AND ".join(f"search_names : {_fts_phrase(t)}" for t in query.tokens)
        where.append("id IN (SELECT rowid FROM patients_fts WHERE patients_fts MATCH ?)")
        params.append(match)
    elif query.kind == "phone":
        variants = [query.digits]
        if query.digits.startswith("0") and len(query.digits) > 3:
            # A national number typed with its trunk 0 also finds it stored as +44 7700…
            variants.append(query.digits.lstrip("0"))
        match = " OR ".join(f"search_phone : {_fts_phrase(v)}" for v in variants)
        phone_cond = "id IN (SELECT rowid FROM patients_fts WHERE patients_fts MATCH ?)"
        params.append(match)
        if query.birth_year is not None:
            where.append(f"({phone_cond} OR (date_of_birth >= ? AND date_of_birth < ?))")
            params += [f"{query.birth_year:04d}-01-01", f"{query.birth_year + 1:04d}-01-01"]
        else:
            where.append(phone_cond)
    else:
        where.append("0")
    if not where:
        where.append("1")
    return where, params
