"""The data file on a real disk: pragmas, ownership, and plain refusals that change nothing."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from exodesk.domain.patient import Patient
from exodesk.errors import StorageError
from exodesk.paths import DataPaths
from exodesk.services.workspace import Services, open_services
from exodesk.storage import engine
from exodesk.storage.database import APPLICATION_ID, open_database


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_connection_gets_the_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    first = open_database(path, create=True)
    first.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    first.conn.commit()
    second = open_database(path)
    for db in (first, second):
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
        assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    first.close()
    second.close()
    # The stamp is in the file itself, where another tool (or we) can read it.
    assert int.from_bytes(path.read_bytes()[68:72], "big") == APPLICATION_ID


def test_foreign_keys_are_enforced(services: Services) -> None:
    with pytest.raises(engine.sqlite3.IntegrityError):
        services.ctx.db.execute(
            "INSERT INTO audit_log (at, actor_id, actor_name, action, table_name) "
            "VALUES ('x', 999, 'nobody', 'x', 'x')"
        )


def test_missing_folder_is_said_plainly(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="does not exist"):
        open_services(DataPaths(tmp_path / "nope" / "deeper"), create=False)
    assert not (tmp_path / "nope").exists()


def test_missing_file_without_create_is_said_plainly(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="no ExoDesk data file"):
        open_services(DataPaths(tmp_path))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "content",
    [
        b"Dear diary, today I was not a database.\n" * 20,
        b"\x00" * 4096,
        b"PK\x03\x04 a zip file pretending",
    ],
    ids=["text", "zeros", "zip"],
)
def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path: Path, content: bytes) -> None:
    paths = DataPaths(tmp_path)
    paths.data_file.write_bytes(content)
    with pytest.raises(StorageError, match="not an ExoDesk data file") as info:
        open_services(paths)
    assert "Traceback" not in str(info.value)
    assert paths.data_file.read_bytes() == content


def test_another_programs_database_is_refused_untouched(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path)
    conn = sqlite3.connect(paths.data_file)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    conn.commit()
    conn.close()
    before = _sha(paths.data_file)
    with pytest.raises(StorageError, match="another program"):
        open_services(paths)
    assert _sha(paths.data_file) == before


def test_a_foreign_application_id_is_refused(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path)
    conn = sqlite3.connect(paths.data_file)
    conn.execute("PRAGMA application_id = 1234")
    conn.execute("CREATE TABLE x (a)")
    conn.commit()
    conn.close()
    before = _sha(paths.data_file)
    with pytest.raises(StorageError, match="another program"):
        open_services(paths)
    assert _sha(paths.data_file) == before


def test_a_corrupt_data_file_gives_a_plain_message(data_paths: DataPaths, clock) -> None:
    svc = open_services(data_paths, create=True, clock=clock)
    svc.close()
    raw = bytearray(data_paths.data_file.read_bytes())
    # Keep the header (so it still looks like ours), trash the pages behind it.
    raw[100:] = b"\xff" * (len(raw) - 100)
    data_paths.data_file.write_bytes(bytes(raw))
    with pytest.raises(StorageError, match="damaged") as info:
        open_services(data_paths)
    assert "Restore" in info.value.advice


def test_read_only_file_refuses_writes_in_plain_words(services: Services, data_paths) -> None:
    services.ctx.db.conn.commit()
    ro = open_database(data_paths.data_file, read_only=True)
    from exodesk.services.context import Desk, ServiceContext
    from exodesk.services.patients import PatientService

    desk = Desk()
    desk.user = services.desk.user
    patients = PatientService(ServiceContext(db=ro, desk=desk, clock=services.ctx.clock))
    with pytest.raises(StorageError, match="read-only"):
        patients.create(Patient("Doe", "Jane", services.ctx.today().replace(year=1980)))
    ro.close()
    assert services.patients.count_matches(services.patients.understand("", day_first=True)) == 0


def test_a_locked_file_says_busy_and_saves_nothing(data_paths: DataPaths, services) -> None:
    # The engine's module, not the standard library's: two SQLite libraries in one process
    # do not see each other's POSIX locks (each keeps its own table of them).
    blocker = engine.sqlite3.connect(data_paths.data_file, timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")
    from exodesk.services.context import Desk, ServiceContext
    from exodesk.services.patients import PatientService

    quick = open_database(data_paths.data_file, busy_timeout_ms=50)
    desk = Desk()
    desk.user = services.desk.user
    patients = PatientService(ServiceContext(db=quick, desk=desk, clock=services.ctx.clock))
    try:
        with pytest.raises(StorageError, match="busy"):
            patients.create(Patient("Doe", "Jane", services.ctx.today().replace(year=1980)))
    finally:
        blocker.rollback()
        blocker.close()
    assert quick.execute("SELECT count(*) FROM patients").fetchone()[0] == 0
    assert (
        quick.execute("SELECT count(*) FROM audit_log WHERE table_name='patients'").fetchone()[0]
        == 0
    )
    quick.close()


def test_disk_full_loses_nothing_already_saved(services: Services) -> None:
    """SQLite's max_page_count makes the file 'full' exactly as a full disk would."""
    db = services.ctx.db
    kept = services.patients.create(
        Patient("Kept", "Karen", services.ctx.today().replace(year=1970))
    )
    assert kept.ok
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")
    big_note = "n" * 19_000
    with pytest.raises(StorageError, match="disk is full") as info:
        for i in range(50):
            services.patients.create(
                Patient(f"Full{i}", "Fred", services.ctx.today().replace(year=1970), notes=big_note)
            )
    assert "Free some space" in info.value.advice
    db.execute("PRAGMA max_page_count = 1073741823")
    names = [p.family_name for p in services.patients.search("").rows]
    assert "Kept" in names
    # Whatever failed left no half: every stored patient has its audit entry and vice versa.
    stored = db.execute("SELECT count(*) FROM patients").fetchone()[0]
    audited = db.execute(
        "SELECT count(*) FROM audit_log WHERE table_name='patients' AND action='create'"
    ).fetchone()[0]
    assert stored == audited
    assert services.check() == []
