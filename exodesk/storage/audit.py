"""AuditRepository: the append-only record of every change."""

from __future__ import annotations

import json
from datetime import datetime

from sqlite_utils import Database

from exodesk.domain.audit import AuditEntry

_COLUMNS = (
    "id, at, actor_id, actor_name, action, table_name, record_id, patient_id, summary, "
    "before, after"
)


class AuditRepository:
    """Appends to and reads the ``audit_log`` table. There is no update or delete."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def append(self, entry: AuditEntry) -> int:
        cur = self._db.execute(
            "INSERT INTO audit_log (at, actor_id, actor_name, action, table_name, record_id, "
            "patient_id, summary, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                entry.at.isoformat(),
                entry.actor_id,
                entry.actor_name,
                entry.action,
                entry.table_name,
                entry.record_id,
                entry.patient_id,
                entry.summary,
                _dump(entry.before),
                _dump(entry.after),
            ],
        )
        return int(cur.lastrowid)

    def for_record(self, table_name: str, record_id: int) -> list[AuditEntry]:
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM audit_log WHERE table_name = ? AND record_id = ? ORDER BY id",
            [table_name, record_id],
        ).fetchall()
        return [_entry(r) for r in rows]

    def for_patient(self, patient_id: int) -> list[AuditEntry]:
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM audit_log WHERE patient_id = ? ORDER BY id", [patient_id]
        ).fetchall()
        return [_entry(r) for r in rows]

    def latest(self, limit: int = 100) -> list[AuditEntry]:
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM audit_log ORDER BY id DESC LIMIT ?", [limit]
        ).fetchall()
        return [_entry(r) for r in rows]


def _dump(values: dict | None) -> str | None:
    return None if values is None else json.dumps(values, ensure_ascii=False, sort_keys=True)


def _entry(row: tuple) -> AuditEntry:
    return AuditEntry(
        id=row[0],
        at=datetime.fromisoformat(row[1]),
        actor_id=row[2],
        actor_name=row[3],
        action=row[4],
        table_name=row[5],
        record_id=row[6],
        patient_id=row[7],
        summary=row[8],
        before=json.loads(row[9]) if row[9] is not None else None,
        after=json.loads(row[10]) if row[10] is not None else None,
    )
