"""DataFileRepository: the data file's schema version, table sizes, audit count and path."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlite_utils import Database

from exodesk.domain.audit import AuditEntry
from exodesk.storage.audit import AuditRepository
from exodesk.storage.data_file import DataFileRepository, DataFileSummary
from exodesk.storage.database import open_database
from exodesk.storage.migrations import latest_schema_version, migrate


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "clinic.sqlite3", create=True)
    migrate(database)
    yield database
    database.close()


def _audit(db: Database, action: str) -> int:
    entry = AuditEntry(
        at=datetime(2026, 11, 22, 10, 0, tzinfo=UTC),
        actor_id=None,
        actor_name="test",
        action=action,
        table_name="data_file",
        record_id=None,
        patient_id=None,
        summary=action,
        before=None,
        after=None,
    )
    with db.atomic():
        return AuditRepository(db).append(entry)


def test_the_summary_counts_the_tables_asked_for_that_the_file_has(db: Database) -> None:
    db.execute("INSERT INTO settings (key, value) VALUES ('a', '1'), ('b', '2'), ('c', '3')")
    summary = DataFileRepository(db).summary(["settings", "no_such_table", "patients"])
    assert summary == DataFileSummary(
        schema_version=latest_schema_version(), counts={"settings": 3, "patients": 0}
    )
    assert list(summary.counts) == ["settings", "patients"]  # in the order asked


def test_row_count_and_tables(db: Database) -> None:
    files = DataFileRepository(db)
    assert "patients" in files.tables() and "sqlite_sequence" not in files.tables()
    db.execute("INSERT INTO settings (key, value) VALUES ('a', '1')")
    assert files.row_count("settings") == 1
    assert files.schema_version() == latest_schema_version()


def test_audit_entries_after_leave_out_the_actions_named(db: Database) -> None:
    first = _audit(db, "backup")
    _audit(db, "update")
    _audit(db, "export")
    _audit(db, "backup")
    files = DataFileRepository(db)
    assert files.audit_entries_after(first) == 3
    assert files.audit_entries_after(first, besides=("backup", "export")) == 1
    assert files.audit_entries_after(first, besides=("backup", "export", "update")) == 0
    assert files.audit_entries_after(0, besides=("update",)) == 3


def test_a_file_without_an_audit_log_has_no_entries_after_anything() -> None:
    db = Database(memory=True)
    try:
        assert DataFileRepository(db).audit_entries_after(0) == 0
    finally:
        db.close()


def test_the_path_is_the_file_behind_the_connection(db: Database, tmp_path: Path) -> None:
    path = DataFileRepository(db).path()
    assert path is not None and path.resolve() == (tmp_path / "clinic.sqlite3").resolve()
    memory = Database(memory=True)
    try:
        assert DataFileRepository(memory).path() is None
    finally:
        memory.close()
