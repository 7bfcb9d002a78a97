"""The schema walk behind subject access exports: every table is exported or left out on purpose."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from exodesk.domain.subject_access import TABLES
from exodesk.storage.backup import data_tables
from exodesk.storage.database import open_database
from exodesk.storage.migrations import migrate
from exodesk.storage.subject_access import LINKS, NOT_EXPORTED, SubjectAccessRepository


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "clinic.sqlite3", create=True)
    migrate(database)
    yield database
    database.close()


def test_every_table_is_exported_or_left_out_with_a_reason(db: Database) -> None:
    """A new table must be placed: in LINKS (with a description) or in NOT_EXPORTED."""
    tables = set(data_tables(db.conn))
    assert not set(LINKS) & set(NOT_EXPORTED)
    assert tables == set(LINKS) | set(NOT_EXPORTED), "a table nobody has placed"
    links, unlinked = SubjectAccessRepository(db).links()
    assert unlinked == ()
    assert list(links) == list(LINKS)
    assert list(TABLES) == list(LINKS), "every exported table is described, in export order"
    assert all(reason.strip() for reason in NOT_EXPORTED.values())


def test_every_link_ends_at_the_patient(db: Database) -> None:
    for table, where in LINKS.items():
        assert ":pid" in where, table
        # Each condition is valid SQL on the real schema.
        db.execute(f"SELECT count(*) FROM {table} WHERE {where}", {"pid": 1}).fetchone()


def test_a_table_added_later_is_found_through_patient_id_or_a_key(db: Database) -> None:
    db.execute(
        "CREATE TABLE body_scans (id INTEGER PRIMARY KEY, patient_id INTEGER REFERENCES "
        "patients(id), caption TEXT)"
    )
    db.execute(
        "CREATE TABLE session_scans (id INTEGER PRIMARY KEY, session_id INTEGER REFERENCES "
        "sessions(id), caption TEXT)"
    )
    # A table reached only through a shared one (a lot) must not be followed.
    db.execute(
        "CREATE TABLE lot_recalls (id INTEGER PRIMARY KEY, lot_id INTEGER REFERENCES lots(id))"
    )
    db.execute("CREATE TABLE clinic_notes (id INTEGER PRIMARY KEY, text TEXT)")
    links, unlinked = SubjectAccessRepository(db).links()
    assert links["body_scans"] == "patient_id = :pid"
    assert "sessions" in links["session_scans"]
    assert set(unlinked) == {"lot_recalls", "clinic_notes"}
