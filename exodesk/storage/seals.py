"""Seals on the staff list and signatures on the audit trail (second-generation clinics).

Only SQL lives here: what a seal or a signature is made of, and checking them, is
``exodesk.services.sealing``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlite_utils import Database

from exodesk.storage.database import inserted_id


@dataclass(frozen=True)
class StaffRow:
    """A staff row as sealed: who, their role and rights, and the seal stored with it."""

    id: int
    name: str
    role: str
    is_admin: bool
    active: bool
    seal: str | None


@dataclass(frozen=True)
class SigningKey:
    """One person's public signing key, counting from audit entry ``from_audit_id`` on."""

    id: int
    staff_id: int
    public_key: str
    from_audit_id: int
    created_at: str
    seal: str


@dataclass(frozen=True)
class SignedEntry:
    """What checking one audit entry's signature needs."""

    id: int
    actor_id: int | None
    actor_name: str
    action: str
    entry_hash: str
    signing_key_id: int | None
    signature: str | None


class SealRepository:
    """Reads and writes staff seals, signing keys and audit signatures."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def available(self) -> bool:
        """Whether the file has the tables (a file not yet migrated to 0009 has not)."""
        row = self._db.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
            "AND name IN ('signing_keys', 'audit_signatures')"
        ).fetchone()
        return bool(row) and int(row[0]) == 2

    def staff_rows(self) -> list[StaffRow]:
        rows = self._db.execute(
            "SELECT id, name, role, is_admin, active, seal FROM staff ORDER BY id"
        ).fetchall()
        return [StaffRow(int(r[0]), r[1], r[2], bool(r[3]), bool(r[4]), r[5]) for r in rows]

    def staff_row(self, staff_id: int) -> StaffRow | None:
        return next((r for r in self.staff_rows() if r.id == staff_id), None)

    def set_staff_seal(self, staff_id: int, seal: str) -> None:
        self._db.execute("UPDATE staff SET seal = ? WHERE id = ?", [seal, staff_id])

    def any_sealed(self) -> bool:
        return self._db.execute("SELECT 1 FROM staff WHERE seal IS NOT NULL").fetchone() is not None

    def audit_head_id(self) -> int:
        row = self._db.execute("SELECT last_id FROM audit_head WHERE id = 1").fetchone()
        newest = self._db.execute("SELECT max(id) FROM audit_log").fetchone()[0] or 0
        return max(int(row[0]) if row else 0, int(newest))

    def add_signing_key(
        self, staff_id: int, public_key: str, *, from_audit_id: int, at: str, seal: str
    ) -> int:
        cur = self._db.execute(
            "INSERT INTO signing_keys (staff_id, public_key, from_audit_id, created_at, seal) "
            "VALUES (?, ?, ?, ?, ?)",
            [staff_id, public_key, from_audit_id, at, seal],
        )
        return inserted_id(cur.lastrowid)

    def set_key_seal(self, key_id: int, seal: str) -> None:
        """A signing key's row sealed again (under a new admin key, at a re-key)."""
        self._db.execute("UPDATE signing_keys SET seal = ? WHERE id = ?", [seal, key_id])

    def signing_keys(self) -> list[SigningKey]:
        rows = self._db.execute(
            "SELECT id, staff_id, public_key, from_audit_id, created_at, seal "
            "FROM signing_keys ORDER BY id"
        ).fetchall()
        return [SigningKey(int(r[0]), int(r[1]), r[2], int(r[3]), r[4], r[5]) for r in rows]

    def signing_key_for(self, staff_id: int, public_key: str) -> SigningKey | None:
        return next(
            (
                k
                for k in reversed(self.signing_keys())
                if k.staff_id == staff_id and k.public_key == public_key
            ),
            None,
        )

    def signed_entries(self, *, after: int = 0) -> Iterator[SignedEntry]:
        cursor = self._db.execute(
            "SELECT a.id, a.actor_id, a.actor_name, a.action, a.entry_hash, "
            "s.signing_key_id, s.signature FROM audit_log a "
            "LEFT JOIN audit_signatures s ON s.audit_id = a.id WHERE a.id > ? ORDER BY a.id",
            [after],
        )
        for r in cursor:
            yield SignedEntry(
                int(r[0]),
                None if r[1] is None else int(r[1]),
                r[2],
                r[3],
                r[4],
                None if r[5] is None else int(r[5]),
                r[6],
            )
