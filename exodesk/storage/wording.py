"""Versioned wording a patient signs (the treatment consent, the photo consent): each edit is
a new version; a signed form keeps the version it was signed under."""

from __future__ import annotations

from datetime import datetime

from sqlite_utils import Database

from exodesk.storage.database import inserted_id

# The tables that hold versioned wording (id, version, text, created_at, created_by). Table
# names cannot be SQL parameters: only these are ever put into a statement.
WORDING_TABLES = frozenset({"consent_texts", "photo_consent_texts"})


class VersionedWording:
    """Reads and adds versions in one wording table."""

    def __init__(self, db: Database, table: str) -> None:
        if table not in WORDING_TABLES:
            raise ValueError(f"{table!r} holds no versioned wording")
        self._db = db
        self._table = table

    def latest(self) -> tuple[int, int, str] | None:
        """(id, version, text) of the newest version, or None if none was ever saved."""
        row = self._db.execute(
            f"SELECT id, version, text FROM {self._table} ORDER BY version DESC LIMIT 1"
        ).fetchone()
        return (int(row[0]), int(row[1]), row[2]) if row else None

    def of_version(self, version: int) -> str | None:
        """The words of one version, or None if that version was never saved."""
        row = self._db.execute(
            f"SELECT text FROM {self._table} WHERE version = ?", [version]
        ).fetchone()
        return str(row[0]) if row else None

    def add(self, text: str, *, at: datetime, by: int | None) -> tuple[int, int]:
        """Store ``text`` as the next version; (row id, version)."""
        latest = self.latest()
        version = latest[1] + 1 if latest else 1
        cur = self._db.execute(
            f"INSERT INTO {self._table} (version, text, created_at, created_by) "
            "VALUES (?, ?, ?, ?)",
            [version, text, at.isoformat(), by],
        )
        return inserted_id(cur.lastrowid), version
