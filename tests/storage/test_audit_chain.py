"""The tamper-evident audit trail on a real file: the chain, its check, triggers, the upgrade."""

from __future__ import annotations

import itertools
import shutil
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

from exodesk.domain.audit import AuditEntry, ChainReport
from exodesk.domain.dates import format_stamp
from exodesk.domain.patient import Patient
from exodesk.domain.staff import StaffMember
from exodesk.paths import DataPaths
from exodesk.services.audit import AuditService
from exodesk.services.demo import seat
from exodesk.services.workspace import Services, open_services
from exodesk.storage import engine
from exodesk.storage.audit import (
    _SQL_CONTENT,
    GENESIS_HASH,
    SEALED_FIELDS,
    AuditRepository,
    canonical,
    check_chain,
    seal,
    verify_chain,
)

DATA = Path(__file__).resolve().parent.parent / "data"
COLUMNS = ", ".join(SEALED_FIELDS)


# ---- helpers -------------------------------------------------------------------------------
def _busy_clinic(services: Services, clock) -> None:
    """Real work through the services: staff, sign-ins, patients created, edited, retired."""
    nurse = services.clinic.save_staff(StaffMember("Nurse Ben Whitaker", "practitioner")).record
    for family, given_names in (("O'Brien-Łukasz", "Zoë"), ("李", "小龍"), ("Smith", "Olivia")):
        clock.advance(minutes=7)
        assert services.patients.create(Patient(family, given_names, date(1985, 4, 3))).ok
    seat(services, nurse.id)
    smith = services.patients.search("smith").rows[0]
    clock.advance(hours=2)
    assert services.patients.update(replace(smith, phone="07700 900123")).ok
    clock.advance(minutes=3)
    assert services.patients.set_status(smith.id, "inactive", "Moved away").ok


def _count(db: Database) -> int:
    return int(db.execute("SELECT count(*) FROM audit_log").fetchone()[0])


@pytest.fixture
def clinic(services: Services, clock) -> Services:
    _busy_clinic(services, clock)
    seat(services, 1)  # back to Ada: only an admin sees the audit trail
    assert _count(services.ctx.db) >= 8
    return services


@pytest.fixture
def tamper(data_paths: DataPaths, clinic: Services) -> Iterator[sqlite3.Connection]:
    """Another program's connection to the same file, as someone editing it by hand would use."""
    conn = sqlite3.connect(data_paths.data_file, isolation_level=None)
    yield conn
    conn.close()


def _drop_guards(conn: sqlite3.Connection) -> None:
    for name in ("audit_log_no_update", "audit_log_no_delete"):
        conn.execute(f"DROP TRIGGER {name}")


def _row(conn: sqlite3.Connection, entry_id: int) -> tuple:
    return conn.execute(
        f"SELECT {COLUMNS}, prev_hash, entry_hash FROM audit_log WHERE id = ?", [entry_id]
    ).fetchone()


def _swap(conn: sqlite3.Connection, a: int, b: int, columns: tuple[str, ...]) -> None:
    row_a = dict(
        zip(
            ("id", *columns),
            conn.execute(
                f"SELECT id, {', '.join(columns)} FROM audit_log WHERE id = ?", [a]
            ).fetchone(),
            strict=True,
        )
    )
    row_b = dict(
        zip(
            ("id", *columns),
            conn.execute(
                f"SELECT id, {', '.join(columns)} FROM audit_log WHERE id = ?", [b]
            ).fetchone(),
            strict=True,
        )
    )
    sets = ", ".join(f"{c} = :{c}" for c in columns)
    conn.execute(f"UPDATE audit_log SET {sets} WHERE id = :target", {**row_b, "target": a})
    conn.execute(f"UPDATE audit_log SET {sets} WHERE id = :target", {**row_a, "target": b})


# ---- the chain as written --------------------------------------------------------------------
def test_real_services_build_a_valid_chain(clinic: Services) -> None:
    db = clinic.ctx.db
    rows = db.execute("SELECT id, prev_hash, entry_hash FROM audit_log ORDER BY id").fetchall()
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0][1] == GENESIS_HASH
    for before, after in itertools.pairwise(rows):
        assert after[1] == before[2], f"entry {after[0]} does not carry entry {before[0]}'s hash"
    for entry_id, prev_hash, entry_hash in rows:
        full = db.execute(f"SELECT {COLUMNS} FROM audit_log WHERE id = ?", [entry_id]).fetchone()
        assert seal(prev_hash, full) == entry_hash
    assert db.execute("SELECT last_id, last_hash FROM audit_head").fetchone() == (
        rows[-1][0],
        rows[-1][2],
    )
    assert verify_chain(db) == []
    report = AuditService(clinic.ctx).verify()
    assert report == ChainReport(len(rows))
    assert report.message == f"The audit trail is intact: {len(rows)} entries checked."
    # The stored entries read back with their seals.
    latest = AuditRepository(db).latest(1)[0]
    assert (latest.id, latest.entry_hash) == (rows[-1][0], rows[-1][2])


def test_an_empty_trail_is_intact(tmp_path: Path) -> None:
    svc = open_services(DataPaths(tmp_path / "empty"), create=True)
    try:
        assert check_chain(svc.ctx.db) == ChainReport(0)
    finally:
        svc.close()


def test_the_seal_format_is_pinned() -> None:
    """Changing the seal breaks every chain already written: this must never change."""
    values = (
        1,
        "2026-11-22T10:00:00+00:00",
        1,
        "Ada Admin",
        "create",
        "patients",
        7,
        7,
        "Registered O'BRIEN-ŁUKASZ, Zoë",
        '{"a": 1}',
        None,
    )
    assert canonical(values) == (
        '{"action":"create","actor_id":1,"actor_name":"Ada Admin","after":null,'
        '"at":"2026-11-22T10:00:00+00:00","before":"{\\"a\\": 1}","id":1,"patient_id":7,'
        '"record_id":7,"summary":"Registered O\'BRIEN-ŁUKASZ, Zoë","table_name":"patients"}'
    )
    assert seal(GENESIS_HASH, values) == (
        "ec060b4a8c7dffcc9469e04396e0892614abe0ba8d8255ea8929fa4e5aac66b9"
    )


_TEXT = st.text(max_size=40)
_ID = st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=st.tuples(
        st.integers(min_value=1, max_value=2**62),
        _TEXT,
        _ID,
        _TEXT,
        _TEXT,
        _TEXT,
        _ID,
        _ID,
        _TEXT,
        st.none() | _TEXT,
        st.none() | _TEXT,
    )
)
def test_sqlite_builds_the_same_canonical_json_as_python(values: tuple) -> None:
    """The check's fast path (SQLite's json_object) must agree with the Python definition."""
    conn = sqlite3.connect(":memory:")
    try:
        columns = ", ".join(f"? AS {name}" for name in SEALED_FIELDS)
        built = conn.execute(f"SELECT {_SQL_CONTENT} FROM (SELECT {columns})", values).fetchone()
        assert built[0] == canonical(values)
    finally:
        conn.close()


def test_odd_stored_values_are_judged_by_the_python_definition(clinic: Services) -> None:
    """A REAL that SQLite prints differently, and a BLOB json_object() refuses, still check."""
    db = clinic.ctx.db
    last_id, prev = db.execute("SELECT last_id, last_hash FROM audit_head").fetchone()
    for offset, (summary, record_id) in enumerate(((b"\x00\xff", 1), ("fine", 0.1 + 0.2)), 1):
        values = (
            last_id + offset,
            "2026-11-22T12:00:00+00:00",
            1,
            "Ada Admin",
            "odd",
            "x",
            record_id,
            None,
            summary,
            None,
            None,
        )
        entry_hash = seal(prev, values)
        with db.atomic():
            db.execute(
                f"INSERT INTO audit_log ({COLUMNS}, prev_hash, entry_hash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [*values, prev, entry_hash],
            )
            db.execute("UPDATE audit_head SET last_id = ?, last_hash = ?", [values[0], entry_hash])
        prev = entry_hash
    assert verify_chain(db) == []


# ---- tampering, each caught and named --------------------------------------------------------
def test_an_edited_summary_is_named_with_when_it_was_recorded(
    clinic: Services, tamper: sqlite3.Connection
) -> None:
    _drop_guards(tamper)
    at = tamper.execute("SELECT at FROM audit_log WHERE id = 4").fetchone()[0]
    tamper.execute("UPDATE audit_log SET summary = 'Nothing to see' WHERE id = 4")
    stamp = format_stamp(datetime.fromisoformat(at))
    assert verify_chain(clinic.ctx.db) == [
        f"Audit entry 4 was changed after it was written (recorded {stamp})."
    ]


@pytest.mark.parametrize("column", ["before", "actor_name", "at", "patient_id", "action"])
def test_any_edited_field_is_caught(
    clinic: Services, tamper: sqlite3.Connection, column: str
) -> None:
    _drop_guards(tamper)
    target = tamper.execute(
        "SELECT max(id) FROM audit_log WHERE before IS NOT NULL AND patient_id IS NOT NULL"
    ).fetchone()[0]
    new = {
        "before": "{}",
        "actor_name": "Someone Else",
        "at": "2020-01-01T00:00:00+00:00",
        "patient_id": 999,
        "action": "view",
    }[column]
    tamper.execute(f"UPDATE audit_log SET {column} = ? WHERE id = ?", [new, target])
    [fault] = verify_chain(clinic.ctx.db)
    assert fault.startswith(f"Audit entry {target} was changed after it was written")


def test_an_edited_hash_is_caught(clinic: Services, tamper: sqlite3.Connection) -> None:
    _drop_guards(tamper)
    tamper.execute("UPDATE audit_log SET entry_hash = ? WHERE id = 5", ["f" * 64])
    [fault] = verify_chain(clinic.ctx.db)
    assert fault.startswith("Audit entry 5 was changed after it was written")


def test_an_edited_previous_hash_is_caught(clinic: Services, tamper: sqlite3.Connection) -> None:
    _drop_guards(tamper)
    tamper.execute("UPDATE audit_log SET prev_hash = ? WHERE id = 6", ["0" * 64])
    [fault] = verify_chain(clinic.ctx.db)
    assert fault.startswith("Audit entry 6 was changed after it was written")


def test_a_resealed_middle_entry_still_breaks_the_link(
    clinic: Services, tamper: sqlite3.Connection
) -> None:
    """Someone who knows the seal recomputes entry 3's hash, but entry 4 still holds the old."""
    _drop_guards(tamper)
    row = list(_row(tamper, 3))
    row[8] = "Forged summary"
    tamper.execute(
        "UPDATE audit_log SET summary = ?, entry_hash = ? WHERE id = 3",
        [row[8], seal(row[11], row[:11])],
    )
    assert verify_chain(clinic.ctx.db) == [
        "Audit entries 3 and 4 do not link: one of them was replaced after it was written."
    ]


def test_a_deleted_middle_entry_is_named(clinic: Services, tamper: sqlite3.Connection) -> None:
    _drop_guards(tamper)
    tamper.execute("DELETE FROM audit_log WHERE id = 5")
    assert verify_chain(clinic.ctx.db) == ["Audit entry 5 is missing: entries 4 and 6 do not link."]


def test_several_deleted_entries_are_named_as_a_range(
    clinic: Services, tamper: sqlite3.Connection
) -> None:
    _drop_guards(tamper)
    tamper.execute("DELETE FROM audit_log WHERE id BETWEEN 3 AND 5")
    assert verify_chain(clinic.ctx.db) == [
        "Audit entries 3 to 5 are missing: entries 2 and 6 do not link."
    ]


def test_a_deleted_first_entry_is_named(clinic: Services, tamper: sqlite3.Connection) -> None:
    _drop_guards(tamper)
    tamper.execute("DELETE FROM audit_log WHERE id = 1")
    assert verify_chain(clinic.ctx.db) == [
        "Audit entry 1 is missing: entry 2 does not link to the start of the audit trail."
    ]


def test_deleting_the_newest_entries_is_caught_by_the_head(
    clinic: Services, tamper: sqlite3.Connection
) -> None:
    _drop_guards(tamper)
    last = _count(clinic.ctx.db)
    tamper.execute("DELETE FROM audit_log WHERE id > ?", [last - 2])
    assert verify_chain(clinic.ctx.db) == [
        f"The newest audit entries after {last - 2} were removed "
        f"(the trail had reached entry {last})."
    ]


def test_later_entries_number_on_past_a_removed_tail(
    clinic: Services, tamper: sqlite3.Connection
) -> None:
    """SQLite would reuse the removed ids and hide the gap; the next entry numbers on instead."""
    _drop_guards(tamper)
    last = _count(clinic.ctx.db)
    tamper.execute("DELETE FROM audit_log WHERE id > ?", [last - 2])
    assert clinic.patients.create(Patient("Later", "Lara", date(1990, 1, 1))).ok
    newest = clinic.ctx.db.execute("SELECT max(id) FROM audit_log").fetchone()[0]
    assert newest == last + 1
    assert verify_chain(clinic.ctx.db) == [
        f"Audit entries {last - 1} to {last} are missing: "
        f"entries {last - 2} and {last + 1} do not link."
    ]


def test_removing_everything_is_caught(clinic: Services, tamper: sqlite3.Connection) -> None:
    _drop_guards(tamper)
    last = _count(clinic.ctx.db)
    tamper.execute("DELETE FROM audit_log")
    assert verify_chain(clinic.ctx.db) == [
        f"All audit entries were removed (the trail had reached entry {last})."
    ]


def test_removing_the_head_is_caught(clinic: Services, tamper: sqlite3.Connection) -> None:
    tamper.execute("DROP TRIGGER audit_head_no_delete")
    tamper.execute("DELETE FROM audit_head")
    [fault] = verify_chain(clinic.ctx.db)
    assert fault.startswith("The record of the newest audit entry is missing")


def test_a_replaced_newest_entry_is_caught(clinic: Services, tamper: sqlite3.Connection) -> None:
    """The newest entry rewritten and resealed: only the head can tell."""
    _drop_guards(tamper)
    last = _count(clinic.ctx.db)
    row = list(_row(tamper, last))
    row[8] = "Forged"
    tamper.execute(
        "UPDATE audit_log SET summary = ?, entry_hash = ? WHERE id = ?",
        [row[8], seal(row[11], row[:11]), last],
    )
    assert verify_chain(clinic.ctx.db) == [
        f"The newest audit entry, {last}, is not the one ExoDesk wrote: it was replaced."
    ]


@pytest.mark.parametrize(("a", "b"), [(4, 5), (3, 7)])
def test_swapped_rows_are_named_as_reordered(
    clinic: Services, tamper: sqlite3.Connection, a: int, b: int
) -> None:
    _drop_guards(tamper)
    _swap(tamper, a, b, (*SEALED_FIELDS[1:], "prev_hash", "entry_hash"))
    assert verify_chain(clinic.ctx.db) == [
        f"Audit entries {a} and {b} were reordered: what was written as entry {a} now sits "
        f"at entry {b}."
    ]


def test_swapped_contents_under_the_old_seals_are_named_as_reordered(
    clinic: Services, tamper: sqlite3.Connection
) -> None:
    _drop_guards(tamper)
    _swap(tamper, 2, 6, SEALED_FIELDS[1:])
    assert verify_chain(clinic.ctx.db) == [
        "Audit entries 2 and 6 were reordered: what was written as entry 2 now sits at entry 6."
    ]


def test_a_renumbered_entry_is_named_as_reordered(
    clinic: Services, tamper: sqlite3.Connection
) -> None:
    _drop_guards(tamper)
    tamper.execute("UPDATE audit_log SET id = 1000 WHERE id = 3")
    assert verify_chain(clinic.ctx.db) == [
        "Audit entries 3 and 1,000 were reordered: what was written as entry 3 now sits at "
        "entry 1,000."
    ]


def test_an_entry_added_behind_exodesks_back_is_caught(
    clinic: Services, tamper: sqlite3.Connection
) -> None:
    tamper.execute(
        "INSERT INTO audit_log (at, actor_id, actor_name, action, table_name) "
        "VALUES ('2026-01-01', 1, 'ghost', 'x', 'x')"
    )
    newest = tamper.execute("SELECT max(id) FROM audit_log").fetchone()[0]
    assert verify_chain(clinic.ctx.db) == [
        f"Audit entry {newest} has no seal: it was added outside ExoDesk, not by the program."
    ]


# ---- the triggers ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("UPDATE audit_log SET summary = 'x' WHERE id = 2", "Audit entries cannot be changed"),
        ("DELETE FROM audit_log WHERE id = 2", "Audit entries cannot be removed"),
        ("DELETE FROM audit_log", "Audit entries cannot be removed"),
        ("DELETE FROM audit_head", "The end of the audit trail cannot be removed"),
        ("UPDATE audit_head SET last_id = last_id - 1", "only moves forward"),
        ("UPDATE audit_head SET last_hash = 'x'", "only moves forward"),
    ],
)
def test_sqlite_refuses_edits_in_plain_words(
    clinic: Services, tamper: sqlite3.Connection, sql: str, message: str
) -> None:
    before = tamper.execute("SELECT count(*), max(entry_hash) FROM audit_log").fetchone()
    for conn in (tamper, clinic.ctx.db.conn):  # the standard library's, and the engine's
        with pytest.raises((sqlite3.IntegrityError, engine.sqlite3.IntegrityError), match=message):
            conn.execute(sql)
    assert tamper.execute("SELECT count(*), max(entry_hash) FROM audit_log").fetchone() == before
    assert verify_chain(clinic.ctx.db) == []


def test_a_rolled_back_write_leaves_chain_and_head_as_they_were(clinic: Services) -> None:
    db = clinic.ctx.db
    head = db.execute("SELECT last_id, last_hash FROM audit_head").fetchone()
    with pytest.raises(RuntimeError), clinic.ctx.write():
        clinic.ctx.audit("test", "patients", 1, summary="never kept")
        raise RuntimeError("the rest of the save failed")
    assert db.execute("SELECT last_id, last_hash FROM audit_head").fetchone() == head
    assert clinic.patients.create(Patient("After", "Anna", date(1990, 1, 1))).ok
    assert verify_chain(db) == []


def test_an_append_outside_a_transaction_is_still_whole(clinic: Services, clock) -> None:
    """append() makes its own transaction when the caller has none (head and row together)."""
    db = clinic.ctx.db
    assert not db.conn.in_transaction
    entry_id = AuditRepository(db).append(
        AuditEntry(clock(), 1, "Ada Admin", "test", "staff", 1, None, "direct", None, None)
    )
    assert not db.conn.in_transaction
    assert db.execute("SELECT last_id FROM audit_head").fetchone()[0] == entry_id
    assert verify_chain(db) == []


def test_a_second_writer_cannot_fork_the_chain(clinic: Services, data_paths: DataPaths) -> None:
    """While one transaction holds the head, another writer waits (here: is told it is busy)."""
    from exodesk.storage.database import open_database

    other = open_database(data_paths.data_file, busy_timeout_ms=50)
    db = clinic.ctx.db
    try:
        with db.atomic():
            clinic.ctx.audit("first", "staff", 1)
            with pytest.raises(engine.sqlite3.OperationalError, match="locked"):
                AuditRepository(other).append(
                    AuditEntry(
                        clinic.ctx.now(), 1, "Ada", "second", "staff", 1, None, "", None, None
                    )
                )
        AuditRepository(other).append(
            AuditEntry(clinic.ctx.now(), 1, "Ada", "second", "staff", 1, None, "", None, None)
        )
    finally:
        other.close()
    assert verify_chain(db) == []


# ---- upgrading an old file ----------------------------------------------------------------
def test_the_migration_seals_the_entries_of_an_old_file(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path / "clinic")
    paths.folder.mkdir(parents=True)
    shutil.copyfile(DATA / "schema-v1.sqlite3", paths.data_file)
    old = sqlite3.connect(paths.data_file)
    old_rows = old.execute(f"SELECT {COLUMNS} FROM audit_log ORDER BY id").fetchall()
    old.close()
    assert len(old_rows) == 4
    svc = open_services(paths)
    try:
        db = svc.ctx.db
        rows = db.execute(
            f"SELECT {COLUMNS}, prev_hash, entry_hash FROM audit_log ORDER BY id"
        ).fetchall()
        assert [r[:11] for r in rows] == old_rows, "the old entries are kept exactly"
        prev = GENESIS_HASH
        for row in rows:
            assert row[11] == prev
            assert row[12] == seal(prev, row[:11])
            prev = row[12]
        assert db.execute("SELECT last_id, last_hash FROM audit_head").fetchone() == (4, prev)
        assert check_chain(db) == ChainReport(4)
        # New work continues the same chain.
        seat(svc, 1)
        assert check_chain(db) == ChainReport(5)
        with pytest.raises(engine.sqlite3.IntegrityError, match="cannot be changed"):
            db.execute("UPDATE audit_log SET summary = '' WHERE id = 1")
    finally:
        svc.close()


# ---- filtering for the admin view -----------------------------------------------------------
def test_entries_filter_by_patient_person_dates_and_text(clinic: Services, clock) -> None:
    audit = AuditService(clinic.ctx)
    everything = audit.entries()
    assert [e.id for e in everything] == sorted((e.id for e in everything), reverse=True)
    nurse = next(p for p in audit.people() if p.name.startswith("Nurse"))
    by_nurse = audit.entries(actor_id=nurse.id)
    assert by_nurse and {e.actor_name for e in by_nurse} == {"Nurse Ben Whitaker"}
    smith_id = audit.entries(text="registered smith")[0].patient_id
    about_smith = audit.entries(patient_id=smith_id)
    assert {e.action for e in about_smith} == {"create", "update", "deactivate"}
    assert [e.summary for e in audit.entries(text="łukasz")] == [
        e.summary for e in everything if "ŁUKASZ" in e.summary.upper()
    ]
    assert len(audit.entries(text="łukasz")) == 1
    clock.advance(days=3)
    seat(clinic, 1)
    today = clinic.ctx.today()
    assert [e.action for e in audit.entries(since=today)] == ["sign_in"]
    assert len(audit.entries(until=today - timedelta(days=1))) == len(everything)
    assert audit.entries(since=today + timedelta(days=1)) == []
    assert audit.entries(since=datetime(2000, 1, 1, tzinfo=UTC), until=today) == audit.entries()


def test_entries_come_a_page_at_a_time(clinic: Services) -> None:
    audit = AuditService(clinic.ctx)
    total = _count(clinic.ctx.db)
    first = audit.entries(limit=3)
    second = audit.entries(limit=3, before_id=first[-1].id)
    assert [e.id for e in first] == [total, total - 1, total - 2]
    assert [e.id for e in second] == [total - 3, total - 4, total - 5]


# ---- size -----------------------------------------------------------------------------------
N_LARGE = 200_000


@pytest.fixture(scope="module")
def large_trail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """200,000 realistic entries (with before/after values), sealed by the Python definition."""
    folder = tmp_path_factory.mktemp("large")
    svc = open_services(DataPaths(folder), create=True)
    assert svc.clinic.add_first_staff(StaffMember("Ada Admin", "practitioner", is_admin=True)).ok
    db = svc.ctx.db
    start = int(db.execute("SELECT last_id FROM audit_head").fetchone()[0])
    prev = db.execute("SELECT last_hash FROM audit_head").fetchone()[0]
    before = (
        '{"family_name": "O\'Brien-Łukasz", "given_names": "Zoë", "notes": "'
        + "Prefers afternoon appointments. " * 4
        + '", "phone": "07700 900001", "status": "active"}'
    )
    after = before.replace("900001", "900002")
    moment = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
    batch: list[tuple] = []
    with db.atomic():
        for entry_id in range(start + 1, start + N_LARGE + 1):
            at = (moment + timedelta(minutes=7 * entry_id)).isoformat()
            values = (
                entry_id,
                at,
                1,
                "Ada Admin",
                "update",
                "patients",
                entry_id % 5000,
                None,
                f"Updated patient #{entry_id % 5000}",
                before,
                after,
            )
            entry_hash = seal(prev, values)
            batch.append((*values, prev, entry_hash))
            prev = entry_hash
            if len(batch) == 10_000:
                db.conn.executemany(
                    f"INSERT INTO audit_log ({COLUMNS}, prev_hash, entry_hash) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    batch,
                )
                batch.clear()
        db.execute("UPDATE audit_head SET last_id = ?, last_hash = ?", [start + N_LARGE, prev])
    yield svc
    svc.close()


@pytest.mark.slow
def test_verifying_200000_entries_takes_seconds(large_trail: Services) -> None:
    db = large_trail.ctx.db
    total = _count(db)
    started, cpu = time.perf_counter(), time.process_time()
    report = check_chain(db)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"\nverified {total:,} entries in {wall:.2f} s (CPU {cpu:.2f} s)")
    assert report == ChainReport(total)
    # ~1 s of CPU on a 2020 laptop; generous for a loaded CI runner.
    assert cpu < 10


@pytest.mark.slow
def test_a_fault_deep_in_a_large_trail_is_found_and_explained(large_trail: Services) -> None:
    """Tampering inside a transaction that is rolled back, so the module's file stays intact."""
    conn = large_trail.ctx.db.conn
    total = _count(large_trail.ctx.db)
    conn.execute("BEGIN")
    try:
        _drop_guards(conn)
        _swap(conn, 150_000, 150_001, (*SEALED_FIELDS[1:], "prev_hash", "entry_hash"))
        started = time.perf_counter()
        faults = verify_chain(large_trail.ctx.db)
        print(f"\nfound a swap at 150,000 of {total:,} in {time.perf_counter() - started:.2f} s")
        assert faults == [
            "Audit entries 150,000 and 150,001 were reordered: what was written as entry "
            "150,000 now sits at entry 150,001."
        ]
        conn.execute("DELETE FROM audit_log WHERE id = 199000")
        assert verify_chain(large_trail.ctx.db)[0].startswith("Audit entries 150,000 and")
    finally:
        conn.execute("ROLLBACK")
    assert verify_chain(large_trail.ctx.db) == []


@pytest.mark.slow
def test_filtering_a_large_trail_by_date_is_quick(large_trail: Services) -> None:
    audit = AuditService(large_trail.ctx)
    started = time.perf_counter()
    rows = audit.entries(
        since=datetime(2024, 6, 1, tzinfo=UTC), until=datetime(2024, 6, 2, tzinfo=UTC)
    )
    elapsed = time.perf_counter() - started
    print(f"\none day out of {N_LARGE:,} entries in {elapsed * 1000:.0f} ms")
    assert 150 < len(rows) <= 200
    assert all("2024-06-01" in e.at.isoformat() for e in rows)
    assert elapsed < 1.0
