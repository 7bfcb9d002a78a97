"""Copies of a live data file through SQLite's backup API, flushed and verified before use."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from exodesk.errors import StorageError
from exodesk.storage.database import storage_errors


def backup_database(db: Database, target: Path) -> Path:
    """Write a consistent copy of ``db`` to ``target``.

    Never a file copy (a WAL database's file alone may be stale): the online backup API
    copies pages under a read transaction. The copy is written to a temporary name, fsynced,
    integrity-checked and only then renamed into place.

    Raises:
        StorageError: the copy could not be written or did not verify.
    """
    target = Path(target)
    partial = target.with_name(target.name + ".partial")
    with storage_errors(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        dest = sqlite3.connect(partial)
        try:
            db.conn.backup(dest)
            # The copy keeps the rollback journal: a backup is a single file to carry around.
            dest.execute("PRAGMA journal_mode = DELETE")
            verdict = dest.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            dest.close()
        if verdict != "ok":
            partial.unlink(missing_ok=True)
            raise StorageError(
                "The backup copy did not verify, so it was not kept.",
                advice="Run `exodesk check` on the data file.",
            )
        with partial.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(partial, target)
    return target
