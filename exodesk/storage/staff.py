"""StaffRepository: the people who work at the clinic."""

from __future__ import annotations

from sqlite_utils import Database

from exodesk.domain.staff import StaffMember


class StaffRepository:
    """Reads and writes the ``staff`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def insert(self, member: StaffMember, *, at: str) -> int:
        cur = self._db.execute(
            "INSERT INTO staff (name, role, active, created_at) VALUES (?, ?, ?, ?)",
            [member.name.strip(), member.role, int(member.active), at],
        )
        return int(cur.lastrowid)

    def update(self, member: StaffMember) -> None:
        self._db.execute(
            "UPDATE staff SET name = ?, role = ?, active = ? WHERE id = ?",
            [member.name.strip(), member.role, int(member.active), member.id],
        )

    def get(self, staff_id: int) -> StaffMember | None:
        row = self._db.execute(
            "SELECT id, name, role, active FROM staff WHERE id = ?", [staff_id]
        ).fetchone()
        return _member(row) if row else None

    def list(self, *, include_inactive: bool = False) -> list[StaffMember]:
        where = "" if include_inactive else "WHERE active = 1"
        rows = self._db.execute(
            f"SELECT id, name, role, active FROM staff {where} ORDER BY name COLLATE NOCASE, id"
        ).fetchall()
        return [_member(r) for r in rows]


def _member(row: tuple) -> StaffMember:
    return StaffMember(id=row[0], name=row[1], role=row[2], active=bool(row[3]))
