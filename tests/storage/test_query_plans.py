"""Query plans of what the benchmark measures: no full table scans, and both search plans agree."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from exodesk.domain.patient import Patient, name_search_text, phone_digits
from exodesk.services.demo import seat
from exodesk.services.workspace import Services, open_services
from exodesk.storage import patients as patient_storage
from tests.benchmarks.generate import GeneratedClinic, generate

# Tables big enough that reading all of one is a bug (the FTS table's own scans are lookups).
BIG_TABLES = ("patients", "sessions", "session_products", "lots")
_KEYWORDS = r"(?:ON|WHERE|JOIN|INDEXED|ORDER|LIMIT|GROUP|CROSS|LEFT|INNER|USING|UNION|AND|OR)\b"
SEARCHES = (
    "",  # everyone
    "s",  # one letter: thousands of matches
    "sm",
    "smith",
    "jones e",  # two words
    "olivia",
    "zzzz",  # nobody
    "016",  # phone digits
    "0161 496",
    "1985",  # phone digits that are also a birth year
    "12/03/1985",  # date of birth
)


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> GeneratedClinic:
    """A generated clinic of a few thousand patients, its statistics fresh (ANALYZE)."""
    return generate(tmp_path_factory.mktemp("plans") / "clinic", patients=3000, sessions=15_000)


@pytest.fixture
def opened(clinic: GeneratedClinic) -> Iterator[Services]:
    svc = open_services(clinic.paths)
    seat(svc, 1)  # the generated clinic's admin, a practitioner: may do it all
    yield svc
    svc.close()


def _traced(services: Services, work: Callable[[], object]) -> list[str]:
    """Every SELECT the services ran for ``work``, with its parameters filled in."""
    statements: list[str] = []
    conn = services.ctx.db.conn
    conn.set_trace_callback(statements.append)
    try:
        work()
    finally:
        conn.set_trace_callback(None)
    return [s for s in statements if re.match(r"\s*(SELECT|WITH)\b", s, re.IGNORECASE)]


def _full_scans(services: Services, sql: str) -> list[str]:
    """The plan lines of ``sql`` that read a whole big table (or the whole of its index)."""
    plan = [row[3] for row in services.ctx.db.execute(f"EXPLAIN QUERY PLAN {sql}")]
    # Subqueries and CTEs are named in the plan and then scanned: those are small results.
    derived = {
        m.group(1) for line in plan if (m := re.match(r"(?:CO-ROUTINE|MATERIALIZE) (\w+)", line))
    }
    aliases = {
        alias: table
        for table, alias in re.findall(
            rf"\b({'|'.join(BIG_TABLES)})\b(?:\s+(?:AS\s+)?(?!{_KEYWORDS})(\w+))?",
            sql,
            flags=re.IGNORECASE,
        )
        if alias
    }
    bad = []
    for line in plan:
        m = re.match(r"SCAN (\w+)", line)
        if not m or "VIRTUAL TABLE" in line or m.group(1) in derived:
            continue
        if aliases.get(m.group(1), m.group(1)) in BIG_TABLES:
            bad.append(line)
    return bad


def _assert_no_full_scans(services: Services, statements: list[str]) -> None:
    assert statements, "nothing was traced"
    for sql in statements:
        assert _full_scans(services, sql) == [], sql


@pytest.mark.parametrize("dense", [None, True, False], ids=["chosen", "walk", "lookup"])
def test_patient_search_reads_no_whole_table(
    opened: Services, monkeypatch: pytest.MonkeyPatch, dense: bool | None
) -> None:
    if dense is not None:  # force each of the two plans for every text
        monkeypatch.setattr(patient_storage, "DENSE_MATCHES", 0 if dense else 10**9)
    patients = opened.patients

    def search_everything() -> None:
        for text in SEARCHES:
            query = patients.understand(text, day_first=True)
            page = patients.page(query)
            patients.count_matches(query)
            if page.next_after:
                patients.page(query, after=page.next_after)

    _assert_no_full_scans(opened, _traced(opened, search_everything))


def test_opening_a_busy_patient_reads_no_whole_table(
    opened: Services, clinic: GeneratedClinic
) -> None:
    pid = clinic.busy_patient_id

    def open_patient() -> None:
        opened.patients.get(pid)
        opened.timeline.entries(pid)
        opened.courses.courses(pid)
        opened.sessions.sessions(pid)

    statements = _traced(opened, open_patient)
    _assert_no_full_scans(opened, statements)
    assert any("course_id" in s for s in statements), "course dates were read"


def test_lot_recall_reads_no_whole_table(opened: Services, clinic: GeneratedClinic) -> None:
    statements = _traced(opened, lambda: opened.recall.recall(clinic.recall_lot))
    _assert_no_full_scans(opened, statements)
    assert opened.recall.recall(clinic.recall_lot).rows


def test_aftercare_sheet_reads_no_whole_table(opened: Services, clinic: GeneratedClinic) -> None:
    session_id = clinic.sheet_session_ids[1]
    treatment = opened.sessions.get(session_id).treatment

    def sheet() -> None:
        opened.aftercare.sheet(treatment=treatment, session_id=session_id)

    _assert_no_full_scans(opened, _traced(opened, sheet))


def test_the_check_itself_sees_a_full_scan(opened: Services) -> None:
    sql = "SELECT * FROM sessions AS s WHERE s.notes = 'x'"
    assert _full_scans(opened, sql) == ["SCAN s"]


# ---- the two search plans give the same answer ---------------------------------------------


def _expected(everyone: list[Patient], text: str, services: Services, inactive: bool) -> list:
    """The matches worked out in Python from every record, in list order."""
    query = services.patients.understand(text, day_first=True)
    out = []
    for p in everyone:
        if not inactive and p.status != "active":
            continue
        if query.kind == "all":
            hit = True
        elif query.kind == "dob":
            hit = p.date_of_birth == query.dob
        elif query.kind == "name":
            words = name_search_text(p.family_name, p.given_names).split()
            hit = all(any(w.startswith(t) for w in words) for t in query.tokens)
        elif query.kind == "phone":
            digits = query.digits
            if digits.startswith("0") and len(digits) > 3:
                digits = digits.lstrip("0")
            hit = digits in phone_digits(p.phone) or (
                query.birth_year is not None
                and p.date_of_birth is not None
                and p.date_of_birth.year == query.birth_year
            )
        else:
            hit = False
        if hit:
            out.append(p.id)
    return out


def _all_pages(services: Services, text: str, inactive: bool) -> list:
    query = services.patients.understand(text, day_first=True)
    page = services.patients.page(query, include_inactive=inactive)
    ids = [p.id for p in page.rows]
    while page.next_after:
        page = services.patients.page(query, after=page.next_after, include_inactive=inactive)
        ids += [p.id for p in page.rows]
    return ids


@pytest.mark.parametrize("inactive", [False, True], ids=["active", "with-inactive"])
@pytest.mark.parametrize("dense", [True, False], ids=["walk", "lookup"])
def test_both_plans_find_exactly_the_matches_in_list_order(
    opened: Services, monkeypatch: pytest.MonkeyPatch, dense: bool, inactive: bool
) -> None:
    monkeypatch.setattr(patient_storage, "DENSE_MATCHES", 0 if dense else 10**9)
    everyone_query = opened.patients.understand("", day_first=True)
    everyone = []
    page = opened.patients.page(everyone_query, include_inactive=True)
    everyone += page.rows
    while page.next_after:
        page = opened.patients.page(everyone_query, after=page.next_after, include_inactive=True)
        everyone += page.rows
    assert len(everyone) == 3000
    for text in (*SEARCHES, "o'b", "ayse", "1203"):
        expected = _expected(everyone, text, opened, inactive)
        assert _all_pages(opened, text, inactive) == expected, text
        query = opened.patients.understand(text, day_first=True)
        count = opened.patients.count_matches(query, include_inactive=inactive)
        assert count == min(len(expected), 1000), text


def test_a_remembered_count_is_not_used_after_a_change(services: Services) -> None:
    """The count found with a page is reused by count_matches only while nothing changed."""
    query = services.patients.understand("zebedee", day_first=True)
    assert services.patients.page(query).rows == []
    assert services.patients.count_matches(query) == 0
    created = services.patients.create(Patient("Zebedee", "Quentin", date(1985, 3, 4)))
    assert created.ok
    assert services.patients.count_matches(query) == 1
    services.patients.set_status(created.record.id, "inactive", "Moved away")
    assert services.patients.count_matches(query) == 0


def test_generated_search_columns_are_what_the_repository_writes(
    opened: Services, clinic: GeneratedClinic
) -> None:
    """The generator writes sort keys and search text through the repository's own helpers."""
    rows = opened.ctx.db.execute(
        "SELECT family_name, given_names, phone, sort_key, search_names, search_phone "
        "FROM patients ORDER BY id LIMIT 200"
    ).fetchall()
    for family, given, phone, key, names, phones in rows:
        derived = patient_storage._derived(Patient(family, given, None, phone=phone))
        assert (key, names, phones) == (
            derived["sort_key"],
            derived["search_names"],
            derived["search_phone"],
        )
    fts = opened.ctx.db.execute("SELECT count(*) FROM patients_fts").fetchone()[0]
    assert fts == clinic.patients


def test_clinic_file_is_healthy(opened: Services, clinic: GeneratedClinic) -> None:
    assert opened.check() == []
    assert Path(clinic.paths.data_file).exists()
