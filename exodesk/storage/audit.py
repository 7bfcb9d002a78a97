"""AuditRepository and the audit chain: the append-only, tamper-evident record of every change."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlite_utils import Database

from exodesk.domain.audit import AuditEntry, ChainReport, entry_number
from exodesk.domain.dates import format_stamp
from exodesk.storage.engine import sqlite3

log = logging.getLogger(__name__)

# ---- the seal ----------------------------------------------------------------------------
# Frozen like a landed migration: changing the genesis value, the field list or the canonical
# form breaks every chain already written (tests/storage/test_audit_chain.py pins one seal).
GENESIS_HASH = "0" * 64
SEALED_FIELDS = (
    "id",
    "at",
    "actor_id",
    "actor_name",
    "action",
    "table_name",
    "record_id",
    "patient_id",
    "summary",
    "before",
    "after",
)

_COLUMNS = ", ".join(SEALED_FIELDS)
_ALL_COLUMNS = f"{_COLUMNS}, prev_hash, entry_hash"
_PREV, _HASH = len(SEALED_FIELDS), len(SEALED_FIELDS) + 1


def _jsonable(value: Any) -> Any:
    # Only a hand-edited file holds a BLOB in audit_log; it must still hash, not crash the check.
    if isinstance(value, bytes):
        return {"blob": value.hex()}
    raise TypeError(f"cannot seal a {type(value).__name__}")


# UTF-8 text as is (no \u escapes): the same bytes SQLite's json_object() writes, which lets the
# check build the content inside SQLite, several times faster than in Python.
_CANONICAL = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_jsonable
)
# The canonical content as SQLite writes it, for the check's fast path only: the Python form
# above is the definition, and any row where the two differ is judged by it.
_SQL_CONTENT = "json_object({})".format(", ".join(f"'{f}', {f}" for f in sorted(SEALED_FIELDS)))


def canonical(values: Sequence[Any]) -> str:
    """The entry's content as canonical JSON (sorted keys, no spaces, UTF-8 text unescaped).

    Args:
        values: The stored column values in ``SEALED_FIELDS`` order; ``before``/``after`` are
            the JSON text exactly as stored, so the seal covers the stored bytes.
    """
    return _CANONICAL.encode(dict(zip(SEALED_FIELDS, values, strict=True)))


def seal(prev_hash: str, values: Sequence[Any]) -> str:
    """The entry hash: SHA-256 (hex) over the previous entry's hash and this entry's content.

    Args:
        prev_hash: The previous entry's ``entry_hash``; ``GENESIS_HASH`` for the first entry.
        values: The stored column values in ``SEALED_FIELDS`` order.
    """
    return _digest(prev_hash, canonical(values))


def _digest(prev_hash: str, content: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


# ---- the repository ----------------------------------------------------------------------
class Signer(Protocol):
    """Signs an entry's hash in its actor's name: (signing key id, signature), or None when
    the actor's signing key is not in hand (a plain or first-generation clinic, a failed
    sign-in in someone's name, the command line)."""

    def __call__(self, actor_id: int | None, entry_hash: str) -> tuple[int, str] | None: ...


class AuditRepository:
    """Appends to and reads the ``audit_log`` table. There is no update or delete."""

    def __init__(self, db: Database, *, signer: Signer | None = None) -> None:
        self._db = db
        self._signer = signer

    def append(self, entry: AuditEntry) -> int:
        """Seal ``entry`` onto the end of the chain and move the chain head; return its id.

        Call inside the writer's transaction: the head is read and moved in that transaction
        (a savepoint here), so two writers can never seal onto the same previous entry.
        """
        with self._db.atomic():
            head = self._db.execute(
                "SELECT last_id, last_hash FROM audit_head WHERE id = 1"
            ).fetchone()
            head_id, prev_hash = head if head else (0, GENESIS_HASH)
            newest = self._db.execute("SELECT max(id) FROM audit_log").fetchone()[0] or 0
            # After the newest rows were removed, SQLite would hand their ids out again and the
            # next entry would hide the gap; numbering on from the head keeps the gap visible.
            entry_id = max(int(head_id), int(newest)) + 1
            # Normalised to what SQLite hands back, so the seal is over the values as stored.
            values = (
                entry_id,
                entry.at.isoformat(),
                _int_or_none(entry.actor_id),
                str(entry.actor_name),
                str(entry.action),
                str(entry.table_name),
                _int_or_none(entry.record_id),
                _int_or_none(entry.patient_id),
                str(entry.summary),
                _dump(entry.before),
                _dump(entry.after),
            )
            entry_hash = seal(prev_hash, values)
            self._db.execute(
                f"INSERT INTO audit_log ({_ALL_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [*values, prev_hash, entry_hash],
            )
            self._db.execute(
                "INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET last_id = excluded.last_id, "
                "last_hash = excluded.last_hash",
                [entry_id, entry_hash],
            )
            signed = None if self._signer is None else self._signer(entry.actor_id, entry_hash)
            if signed is not None:
                self._db.execute(
                    "INSERT INTO audit_signatures (audit_id, signing_key_id, signature) "
                    "VALUES (?, ?, ?)",
                    [entry_id, signed[0], signed[1]],
                )
        return entry_id

    def for_record(self, table_name: str, record_id: int) -> list[AuditEntry]:
        rows = self._db.execute(
            f"SELECT {_ALL_COLUMNS} FROM audit_log WHERE table_name = ? AND record_id = ? "
            "ORDER BY id",
            [table_name, record_id],
        ).fetchall()
        return [_entry(r) for r in rows]

    def for_patient(self, patient_id: int) -> list[AuditEntry]:
        rows = self._db.execute(
            f"SELECT {_ALL_COLUMNS} FROM audit_log WHERE patient_id = ? ORDER BY id", [patient_id]
        ).fetchall()
        return [_entry(r) for r in rows]

    def latest(self, limit: int = 100) -> list[AuditEntry]:
        rows = self._db.execute(
            f"SELECT {_ALL_COLUMNS} FROM audit_log ORDER BY id DESC LIMIT ?", [limit]
        ).fetchall()
        return [_entry(r) for r in rows]

    def page(
        self,
        *,
        patient_id: int | None = None,
        actor_id: int | None = None,
        since: str | None = None,
        until: str | None = None,
        text: str | Sequence[str] | None = None,
        before_id: int | None = None,
        limit: int = 200,
    ) -> list[AuditEntry]:
        """One page of entries, newest first, matching every filter given.

        Args:
            patient_id: Only entries about this patient.
            actor_id: Only entries made by this staff member.
            since: Only entries at or after this stored ``at`` value (ISO 8601, UTC).
            until: Only entries before this stored ``at`` value (ISO 8601, UTC; exclusive).
            text: Only entries whose summary contains this text (any letter case); given
                several, any one of them (the words typed and the ids they name).
            before_id: Only entries older than this id: the cursor for the next page.
            limit: The page size.
        """
        where: list[str] = []
        params: list[Any] = []
        for clause, value in (
            ("patient_id = ?", patient_id),
            ("actor_id = ?", actor_id),
            ("at >= ?", since),
            ("at < ?", until),
            ("id < ?", before_id),
        ):
            if value is not None:
                where.append(clause)
                params.append(value)
        texts = [text] if isinstance(text, str) else list(text or ())
        texts = list(dict.fromkeys(t.strip().casefold() for t in texts if t and t.strip()))
        if texts:
            # SQLite's LIKE folds ASCII only; "łukasz" must still find "ŁUKASZ".
            self._db.conn.create_function("exodesk_fold", 1, _fold, deterministic=True)
            where.append(
                "(" + " OR ".join("instr(exodesk_fold(summary), ?) > 0" for _ in texts) + ")"
            )
            params.extend(texts)
        sql = f"SELECT {_ALL_COLUMNS} FROM audit_log"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._db.execute(f"{sql} ORDER BY id DESC LIMIT ?", [*params, limit]).fetchall()
        return [_entry(r) for r in rows]


def _fold(text: Any) -> str:
    return str(text).casefold() if text is not None else ""


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _dump(values: dict | None) -> str | None:
    return None if values is None else json.dumps(values, ensure_ascii=False, sort_keys=True)


def _entry(row: Sequence[Any]) -> AuditEntry:
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
        prev_hash=row[_PREV],
        entry_hash=row[_HASH],
    )


# ---- building and checking the chain -----------------------------------------------------
def seal_existing_entries(db: Database, *, batch: int = 5000) -> int:
    """Seal the rows written before the chain existed, in id order, and set the chain head.

    For migration ``0005_audit_chain``: reads in batches, so a large old file never sits in
    memory at once. Returns how many entries were sealed.
    """
    prev_hash, after_id, sealed = GENESIS_HASH, 0, 0
    while True:
        rows = db.execute(
            f"SELECT {_COLUMNS} FROM audit_log WHERE id > ? ORDER BY id LIMIT ?", [after_id, batch]
        ).fetchall()
        if not rows:
            break
        updates = []
        for row in rows:
            entry_hash = seal(prev_hash, row)
            updates.append((prev_hash, entry_hash, row[0]))
            prev_hash = entry_hash
        db.conn.executemany(
            "UPDATE audit_log SET prev_hash = ?, entry_hash = ? WHERE id = ?", updates
        )
        after_id = rows[-1][0]
        sealed += len(rows)
    db.execute(
        "INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET last_id = excluded.last_id, "
        "last_hash = excluded.last_hash",
        [after_id, prev_hash],
    )
    return sealed


def verify_chain(db: Database) -> list[str]:
    """Walk the audit chain; return plain sentences naming the first fault (empty = intact).

    See ``check_chain``, which also says how many entries were checked.
    """
    return list(check_chain(db).faults)


def check_chain(db: Database) -> ChainReport:
    """Walk the audit chain in id order and report the first broken, changed or missing entry.

    Each entry must carry the previous entry's hash and a hash that matches its own content;
    the chain head (``audit_head``) must name the newest entry, so removing the newest rows is
    caught too. Rows are streamed from one cursor (little memory at any size) and SQLite builds
    each entry's canonical JSON, so a million entries take seconds; Python only hashes. Only
    explaining a fault (e.g. finding where a reordered entry went) reads the table again.
    """
    conn = db.conn
    try:
        return _walk(conn, fast=True)
    except sqlite3.OperationalError:
        # json_object() refuses a BLOB, which only a hand-edited file holds: go the slow way.
        log.warning("audit check: SQLite could not build the content; checking in Python")
        return _walk(conn, fast=False)


def _walk(conn: sqlite3.Connection, *, fast: bool) -> ChainReport:
    payload = f"CAST(prev_hash || char(10) || {_SQL_CONTENT} AS BLOB)" if fast else "NULL"
    cursor = conn.execute(f"SELECT id, {payload}, prev_hash, entry_hash FROM audit_log ORDER BY id")
    expected, prev_id, checked = GENESIS_HASH, 0, 0
    sha256 = hashlib.sha256
    try:
        for entry_id, sealed_bytes, prev_hash, entry_hash in cursor:
            if prev_hash is None or entry_hash is None:
                return ChainReport(checked, (_unsealed(entry_id),))
            if (
                prev_hash != expected
                or sealed_bytes is None
                or sha256(sealed_bytes).hexdigest() != entry_hash
            ):
                # The Python canonical form is the definition: SQLite's JSON only speeds up
                # the common case, so a mismatch is judged again here before it counts.
                row = conn.execute(
                    f"SELECT {_ALL_COLUMNS} FROM audit_log WHERE id = ?", [entry_id]
                ).fetchone()
                intact = seal(prev_hash, row[:_PREV]) == entry_hash
                if prev_hash != expected or not intact:
                    return ChainReport(checked, (_explain(conn, row, prev_id, expected, intact),))
            checked += 1
            expected, prev_id = entry_hash, entry_id
    finally:
        cursor.close()
    fault = _head_fault(conn, prev_id if checked else None, expected)
    return ChainReport(checked, (fault,) if fault else ())


def _unsealed(entry_id: int) -> str:
    return (
        f"Audit entry {entry_number(entry_id)} has no seal: it was added outside ExoDesk, "
        "not by the program."
    )


def _explain(
    conn: sqlite3.Connection, row: Sequence[Any], prev_id: int, expected: str, intact: bool
) -> str:
    """The plain sentence for the first row that does not fit the chain."""
    entry_id = row[0]
    linked = row[_PREV] == expected
    if not linked and entry_id > prev_id + 1:
        first, last = prev_id + 1, entry_id - 1
        moved_to = _where_did_it_go(conn, first, expected, None)
        if moved_to is not None:
            return _reordered(first, moved_to)
        return _missing(first, last, prev_id, entry_id)
    moved_to = _where_did_it_go(conn, entry_id, expected, row[_HASH])
    if moved_to is not None:
        return _reordered(entry_id, moved_to)
    if not intact:
        return (
            f"Audit entry {entry_number(entry_id)} was changed after it was written"
            f"{_recorded(row[1])}."
        )
    if prev_id:
        return (
            f"Audit entries {entry_number(prev_id)} and {entry_number(entry_id)} do not link: "
            "one of them was replaced after it was written."
        )
    return (
        f"Audit entry {entry_number(entry_id)} does not link to the start of the audit trail: "
        "it was replaced after it was written."
    )


def _where_did_it_go(
    conn: sqlite3.Connection, entry_id: int, expected: str, stored_hash: str | None
) -> int | None:
    """The id of a later row holding what was written as ``entry_id``, if there is one.

    Two ways of reordering: whole rows moved with their seals (the row there is sealed as
    ``entry_id``), or only the contents swapped (its content seals to the hash stored at
    ``entry_id``). Either way the content, given back its first id, proves where it came from.
    """
    as_moved = _SQL_CONTENT.replace("'id', id", "'id', :moved_id")
    try:
        with contextlib.closing(
            conn.execute(
                f"SELECT id, CAST({as_moved} AS BLOB), prev_hash, entry_hash FROM audit_log "
                "WHERE id > :moved_id ORDER BY id",
                {"moved_id": entry_id},
            )
        ) as cursor:
            return _first_moved(cursor, expected, stored_hash)
    except sqlite3.OperationalError:  # a BLOB in a text column: build the content in Python
        with contextlib.closing(
            conn.execute(
                f"SELECT {_ALL_COLUMNS} FROM audit_log WHERE id > ? ORDER BY id", [entry_id]
            )
        ) as cursor:
            rows = (
                (r[0], canonical((entry_id, *r[1:_PREV])).encode(), r[_PREV], r[_HASH])
                for r in cursor
            )
            return _first_moved(rows, expected, stored_hash)


def _first_moved(
    rows: Iterable[tuple[int, bytes, str | None, str | None]], expected: str, stored: str | None
) -> int | None:
    sha256 = hashlib.sha256
    wanted = expected.encode() + b"\n"
    for row_id, content, prev_hash, entry_hash in rows:
        if prev_hash is not None and sha256(f"{prev_hash}\n".encode() + content).hexdigest() == (
            entry_hash
        ):
            return int(row_id)
        if stored is not None and sha256(wanted + content).hexdigest() == stored:
            return int(row_id)
    return None


def _reordered(entry_id: int, found_at: int) -> str:
    return (
        f"Audit entries {entry_number(entry_id)} and {entry_number(found_at)} were reordered: "
        f"what was written as entry {entry_number(entry_id)} now sits at entry "
        f"{entry_number(found_at)}."
    )


def _missing(first: int, last: int, before: int, after: int) -> str:
    if before:
        link = f"entries {entry_number(before)} and {entry_number(after)} do not link"
    else:
        link = f"entry {entry_number(after)} does not link to the start of the audit trail"
    if first == last:
        return f"Audit entry {entry_number(first)} is missing: {link}."
    return f"Audit entries {entry_number(first)} to {entry_number(last)} are missing: {link}."


def _recorded(at: Any) -> str:
    try:
        return f" (recorded {format_stamp(datetime.fromisoformat(at))})"
    except (TypeError, ValueError):
        return ""


def _head_fault(conn: sqlite3.Connection, last_id: int | None, last_hash: str) -> str | None:
    """Compare the end of the chain with the recorded head: catches removed newest entries."""
    try:
        head = conn.execute("SELECT last_id, last_hash FROM audit_head WHERE id = 1").fetchone()
    except sqlite3.OperationalError:
        head = None  # the table itself was dropped
    if head is None:
        if last_id is None:
            return None
        return (
            "The record of the newest audit entry is missing, so removal of the newest "
            "entries cannot be ruled out."
        )
    head_id, head_hash = int(head[0]), head[1]
    if last_id is None:
        if head_id == 0:
            return None
        return (
            f"All audit entries were removed (the trail had reached entry {entry_number(head_id)})."
        )
    if head_id > last_id:
        return (
            f"The newest audit entries after {entry_number(last_id)} were removed "
            f"(the trail had reached entry {entry_number(head_id)})."
        )
    if head_id < last_id:
        return (
            f"Audit entries after {entry_number(head_id)} were added outside ExoDesk, "
            "not by the program."
        )
    if head_hash != last_hash:
        return (
            f"The newest audit entry, {entry_number(last_id)}, is not the one ExoDesk wrote: "
            "it was replaced."
        )
    return None
