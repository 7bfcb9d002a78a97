"""The export's README wording (resources/export) matches the schema it describes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlite_utils import Database

from exodesk import __version__
from exodesk.storage.backup import data_tables, table_columns
from exodesk.storage.backup_files import when_words
from exodesk.storage.database import open_database
from exodesk.storage.export import SECRET_COLUMNS, export_guide, export_readme
from exodesk.storage.migrations import migrate

# Described by nothing but its column names (yet): the README says so in plain words.
UNDESCRIBED = {"audit_head"}


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "clinic.sqlite3", create=True)
    migrate(database)
    yield database
    database.close()


def test_the_guide_describes_tables_and_columns_the_schema_has(db: Database) -> None:
    """Stale wording fails here: a table or column renamed or dropped by a migration."""
    guide = export_guide()
    tables = data_tables(db.conn)
    assert set(guide.tables) == set(tables) - UNDESCRIBED
    every_column: set[str] = set()
    for table in tables:
        columns = {name for name, _ in table_columns(db.conn, table)}
        every_column |= columns
        described = set(guide.tables.get(table, ("", {}))[1])
        assert described <= columns, (table, described - columns)
        assert not described & {c for t, c in SECRET_COLUMNS if t == table}, table
    assert set(guide.common_columns) <= every_column


def test_the_opening_has_every_field_filled_in() -> None:
    guide = export_guide()
    assert set(guide.opening.get_identifiers()) == {"made", "version", "source", "schema_version"}
    assert set(guide.column_types) == {"integer", "real", "blob", "text", "other"}
    now = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    readme = export_readme(
        {"patients": 1_204},
        {"patients": [("family_name", "TEXT"), ("photo", "BLOB"), ("weight", "REAL")]},
        now=now,
        source=None,
        schema_version=6,
    )
    assert "$" not in readme
    assert readme.startswith(
        f"ExoDesk export — made {when_words(now)} by ExoDesk {__version__}\n"
        "From: the data file (schema version 6)\n\nEach table is saved twice:\n"
    )
    assert "\n\npatients (1,204 rows): The clinic's patients, one row per person.\n" in readme
    assert (
        "  photo: binary data: base64 text in the JSON file, left out of the CSV file\n" in readme
    )
    assert readme.endswith("  weight: a number\n")
