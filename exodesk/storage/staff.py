"""StaffRepository: the people who work at the clinic, and their sign-in credentials."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from exodesk.domain.staff import StaffMember
from exodesk.storage.database import inserted_id

_MEMBER = "id, name, role, active, is_admin"


@dataclass(frozen=True)
class Credentials:
    """One account's sign-in state. The hash stays in storage and services; never show it."""

    staff_id: int
    password_hash: str | None
    failed_attempts: int
    locked_until: datetime | None
    password_changed_at: datetime | None
    must_change_password: bool

    def __repr__(self) -> str:
        # Keep the hash out of tracebacks and log lines that print the record.
        hidden = "set" if self.password_hash else None
        return (
            f"Credentials(staff_id={self.staff_id}, password_hash={hidden!r}, "
            f"failed_attempts={self.failed_attempts}, locked_until={self.locked_until!r}, "
            f"must_change_password={self.must_change_password})"
        )


class StaffRepository:
    """Reads and writes the ``staff`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def insert(self, member: StaffMember, *, at: str) -> int:
        cur = self._db.execute(
            "INSERT INTO staff (name, role, active, is_admin, created_at) VALUES (?, ?, ?, ?, ?)",
            [member.name.strip(), member.role, int(member.active), int(member.is_admin), at],
        )
        return inserted_id(cur.lastrowid)

    def update(self, member: StaffMember) -> None:
        self._db.execute(
            "UPDATE staff SET name = ?, role = ?, active = ?, is_admin = ? WHERE id = ?",
            [
                member.name.strip(),
                member.role,
                int(member.active),
                int(member.is_admin),
                member.id,
            ],
        )

    def get(self, staff_id: int) -> StaffMember | None:
        row = self._db.execute(f"SELECT {_MEMBER} FROM staff WHERE id = ?", [staff_id]).fetchone()
        return _member(row) if row else None

    def list(self, *, include_inactive: bool = False) -> list[StaffMember]:
        where = "" if include_inactive else "WHERE active = 1"
        rows = self._db.execute(
            f"SELECT {_MEMBER} FROM staff {where} ORDER BY name COLLATE NOCASE, id"
        ).fetchall()
        return [_member(r) for r in rows]

    # `builtins.list`: inside this class body plain `list` names the method above.
    def active_admins(self) -> builtins.list[StaffMember]:
        rows = self._db.execute(
            f"SELECT {_MEMBER} FROM staff WHERE active = 1 AND is_admin = 1 ORDER BY id"
        ).fetchall()
        return [_member(r) for r in rows]

    # ---- credentials ---------------------------------------------------------------------
    def credentials(self, staff_id: int) -> Credentials | None:
        row = self._db.execute(
            "SELECT id, password_hash, failed_attempts, locked_until, password_changed_at, "
            "must_change_password FROM staff WHERE id = ?",
            [staff_id],
        ).fetchone()
        if row is None:
            return None
        return Credentials(
            staff_id=row[0],
            password_hash=row[1],
            failed_attempts=int(row[2]),
            locked_until=_moment(row[3]),
            password_changed_at=_moment(row[4]),
            must_change_password=bool(row[5]),
        )

    def any_password(self) -> bool:
        """True once any account (active or not) has a password."""
        row = self._db.execute(
            "SELECT 1 FROM staff WHERE password_hash IS NOT NULL LIMIT 1"
        ).fetchone()
        return row is not None

    def set_password(
        self, staff_id: int, password_hash: str, *, at: datetime, must_change: bool
    ) -> None:
        """A new password: the wrong-password count and any wait start again."""
        self._db.execute(
            "UPDATE staff SET password_hash = ?, password_changed_at = ?, "
            "must_change_password = ?, failed_attempts = 0, locked_until = NULL WHERE id = ?",
            [password_hash, at.isoformat(), int(must_change), staff_id],
        )

    def replace_hash(self, staff_id: int, password_hash: str) -> None:
        """The same password hashed again with stronger parameters (nothing else changes)."""
        self._db.execute(
            "UPDATE staff SET password_hash = ? WHERE id = ?", [password_hash, staff_id]
        )

    def record_failure(
        self, staff_id: int, failed_attempts: int, locked_until: datetime | None
    ) -> None:
        self._db.execute(
            "UPDATE staff SET failed_attempts = ?, locked_until = ? WHERE id = ?",
            [failed_attempts, locked_until.isoformat() if locked_until else None, staff_id],
        )

    def retire_password(self, staff_id: int) -> None:
        """No password at all (the clinic's keys were changed without it): only an admin's
        temporary password lets the person in again."""
        self._db.execute(
            "UPDATE staff SET password_hash = NULL, must_change_password = 0, "
            "failed_attempts = 0, locked_until = NULL WHERE id = ?",
            [staff_id],
        )

    def clear_failures(self, staff_id: int) -> None:
        self._db.execute(
            "UPDATE staff SET failed_attempts = 0, locked_until = NULL WHERE id = ?", [staff_id]
        )


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _member(row: tuple) -> StaffMember:
    return StaffMember(
        id=row[0], name=row[1], role=row[2], active=bool(row[3]), is_admin=bool(row[4])
    )
