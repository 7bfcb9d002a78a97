"""DueMarkRepository: the calls and bookings reception notes on the due list (0008)."""

from __future__ import annotations

from datetime import date, datetime

from sqlite_utils import Database

from exodesk.domain.lists import DueMark
from exodesk.storage.database import inserted_id


def _window_key(due_from: date | None) -> str:
    return due_from.isoformat() if due_from else ""


class DueMarkRepository:
    """Adds marks and reads the newest one for a course's due window."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(
        self,
        course_id: int,
        due_from: date | None,
        outcome: str,
        *,
        at: datetime,
        by: int | None,
    ) -> int:
        cur = self._db.execute(
            "INSERT INTO due_list_marks (course_id, due_from, outcome, marked_at, marked_by) "
            "VALUES (?, ?, ?, ?, ?)",
            [course_id, _window_key(due_from), outcome, at.isoformat(), by],
        )
        return inserted_id(cur.lastrowid)

    def latest(self, course_id: int, due_from: date | None) -> DueMark | None:
        """The newest mark for this course's window starting ``due_from`` (None: none yet)."""
        row = self._db.execute(
            "SELECT m.outcome, m.marked_at, coalesce(s.name, '') FROM due_list_marks m "
            "LEFT JOIN staff s ON s.id = m.marked_by "
            "WHERE m.course_id = ? AND m.due_from = ? ORDER BY m.id DESC LIMIT 1",
            [course_id, _window_key(due_from)],
        ).fetchone()
        if row is None:
            return None
        return DueMark(outcome=row[0], marked_at=datetime.fromisoformat(row[1]), marked_by=row[2])
