"""Copies of a live data file through SQLite's backup API, flushed and verified before use."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import marshal
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from exodesk.errors import StorageError
from exodesk.storage.database import (
    APPLICATION_ID,
    SQLITE_MAGIC,
    check_key,
    file_key,
    header_application_id,
    locked_error,
    read_header,
    storage_errors,
    translate,
)
from exodesk.storage.engine import connect, connection_key, sqlite3, sqlite_uri

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""Called with (pages copied, pages in all) while a copy is written."""

PARTIAL_SUFFIX = ".partial"
# About this many progress reports per copy; never fewer pages per step than the minimum, so a
# small file is copied in one go instead of paying per-step overhead.
_PROGRESS_STEPS = 50
# How table checksums are made; recorded in each sidecar, since checksums made another way
# cannot be compared.
DIGEST_METHOD = "sha256/marshal-2/1000-rows"
_DIGEST_CHUNK = 1000
_MIN_STEP_PAGES = 256
_COMPANIONS = ("-wal", "-shm", "-journal")
_GONE = {
    errno.ENOENT,
    errno.EIO,
    errno.ENODEV,
    errno.ENXIO,
    getattr(errno, "ESTALE", errno.EIO),
    getattr(errno, "ENOMEDIUM", errno.EIO),
}
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR = 5, 6, 8, 10
_SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 11, 13, 14, 26


class CopyNotVerified(StorageError):
    """A copy, or the file it was taken from, is damaged: it fails SQLite's checks."""


@dataclass(frozen=True)
class TableDigest:
    """A table's row count and a SHA-256 over its rows in key order."""

    rows: int
    sha256: str


@dataclass(frozen=True)
class CopyFacts:
    """A verified copy, measured on the copy itself rather than on the file it came from."""

    path: Path
    size: int
    sha256: str
    tables: dict[str, TableDigest]
    user_version: int
    audit_last_id: int
    # The newest audit entry's hash: with its id, an anchor of the chain outside the data file.
    audit_last_hash: str = ""


# ---- failures in plain words -------------------------------------------------------------
def _primary(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def copy_failure(
    exc: BaseException, folder: Path, *, outcome: str = "no copy was made"
) -> StorageError | None:
    """The plain sentence for a copy that could not be written into ``folder`` (None: a bug).

    Args:
        exc: The low-level failure.
        folder: Where the copy was going.
        outcome: What the failure means for the person, ending the sentence.
    """
    where = f" ({folder})"
    full = StorageError(
        f"The disk is full{where}, so {outcome}.",
        advice="Free some space or choose another folder, then try again.",
    )
    denied = StorageError(
        f"ExoDesk may not write to that folder{where}, so {outcome}.",
        advice="Choose a folder you may write to, or ask whoever looks after this PC.",
    )
    gone = StorageError(
        f"The folder went away or the drive reported an error{where}, so {outcome}.",
        advice="Check the drive (a USB stick may have been pulled out), then try again.",
    )
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            return full
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return denied
        if exc.errno in _GONE:
            return gone
    if isinstance(exc, sqlite3.Error):
        primary, text = _primary(exc), str(exc).lower()
        if primary == _SQLITE_FULL or "disk is full" in text:
            return full
        if primary in (_SQLITE_READONLY, _SQLITE_CANTOPEN) or "readonly" in text:
            return denied
        if primary == _SQLITE_IOERR or "disk i/o" in text:
            return gone
        if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or "malformed" in text:
            return CopyNotVerified(
                "The data file is damaged, so no copy could be made from it.",
                advice="Restore the newest backup, or ask whoever looks after this PC.",
            )
    return translate(exc, folder)


def discard(path: Path) -> None:
    """Remove a leftover file if it can be removed."""
    # Best effort on a failure path: the drive may be gone, and nothing more can be done; the
    # name ends in .partial, so a leftover is never taken for a finished copy.
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


@contextlib.contextmanager
def copy_errors(
    folder: Path, *leftovers: Path, outcome: str = "no copy was made"
) -> Iterator[None]:
    """Say a failed copy in plain words and leave no half-written file behind."""
    try:
        yield
    except BaseException as exc:
        for path in leftovers:
            discard(path)
            for suffix in _COMPANIONS:
                discard(path.with_name(path.name + suffix))
        if isinstance(exc, StorageError) or not isinstance(exc, (sqlite3.Error, OSError)):
            raise
        plain = copy_failure(exc, folder, outcome=outcome)
        if plain is None:
            raise
        log.warning("copy into %s failed: %s (%s)", folder, plain.message, exc)
        raise plain from exc


# ---- flushing ----------------------------------------------------------------------------
def fsync_file(path: Path) -> None:
    # Opened for writing: Windows' _commit refuses a read-only handle.
    with path.open("rb+") as fh:
        os.fsync(fh.fileno())


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` survive a power cut."""
    if os.name == "nt":
        return  # a folder cannot be opened as a file there; NTFS journals the rename itself
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary name, flush it, and rename it over ``path``."""
    partial = path.with_name(path.name + PARTIAL_SUFFIX)
    with copy_errors(path.parent, partial):
        with partial.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, path)
        fsync_folder(path.parent)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# ---- what a file holds -------------------------------------------------------------------
def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def data_tables(conn: sqlite3.Connection) -> list[str]:
    """The tables that hold data: not SQLite's own, not virtual tables, not their shadows."""
    rows = conn.execute("PRAGMA main.table_list").fetchall()
    # schema, name, type ('table', 'view', 'virtual', 'shadow'), ncol, without_rowid, strict
    return sorted(r[1] for r in rows if r[2] == "table" and not r[1].startswith("sqlite_"))


def table_columns(conn: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    """(name, declared type) of each column, in table order."""
    return [(r[1], str(r[2] or "")) for r in conn.execute(f"PRAGMA table_info({quote(table)})")]


def _order_by(conn: sqlite3.Connection, table: str) -> str:
    info = conn.execute(f"PRAGMA table_info({quote(table)})").fetchall()
    without_rowid = any(
        r[1] == table and r[4] for r in conn.execute("PRAGMA main.table_list").fetchall()
    )
    if not without_rowid:
        return "rowid"
    keys = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]]
    return ", ".join(quote(k) for k in keys) or ", ".join(quote(r[1]) for r in info)


def table_rows(conn: sqlite3.Connection, table: str) -> Iterator[tuple[Any, ...]]:
    """Every row of ``table`` in a stable order (rowid, or the primary key)."""
    yield from conn.execute(f"SELECT * FROM {quote(table)} ORDER BY {_order_by(conn, table)}")


def table_digest(conn: sqlite3.Connection, table: str) -> TableDigest:
    """Row count and SHA-256 of ``table``'s rows in key order (see ``DIGEST_METHOD``)."""
    digest = hashlib.sha256()
    rows = 0
    cursor = conn.execute(f"SELECT * FROM {quote(table)} ORDER BY {_order_by(conn, table)}")
    while chunk := cursor.fetchmany(_DIGEST_CHUNK):
        # marshal format 2 keeps the types (1 and '1' differ), writes floats in binary and has
        # no back-references, so the bytes depend only on the values; it is 2x faster than
        # encoding value by value in Python (1.0 s instead of 2.1 s for 10,000 patients).
        digest.update(marshal.dumps(chunk, 2))
        rows += len(chunk)
    return TableDigest(rows, digest.hexdigest())


def digest_tables(conn: sqlite3.Connection) -> dict[str, TableDigest]:
    """Row count and content checksum of every data table."""
    return {table: table_digest(conn, table) for table in data_tables(conn)}


AuditTip = tuple[int, str]
"""The newest audit entry's id and hash (0 and "" when there is none)."""


def audit_tip(conn: sqlite3.Connection) -> AuditTip:
    """The id and ``entry_hash`` of the newest audit entry in the file behind ``conn``.

    A file from before the audit chain (no ``entry_hash`` column yet) gives its newest id and
    an empty hash; a file without an audit log gives ``(0, "")``.
    """
    columns = {row[1] for row in conn.execute("PRAGMA table_info(audit_log)")}
    if "id" not in columns:
        return 0, ""
    if "entry_hash" not in columns:
        newest = conn.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0]
        return int(newest), ""
    row = conn.execute("SELECT id, entry_hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1] or "")) if row else (0, "")


def _audit_last_id(conn: sqlite3.Connection, tables: dict[str, TableDigest]) -> AuditTip:
    if "audit_log" not in tables:
        return 0, ""
    return audit_tip(conn)


class _NotVerified(Exception):
    """integrity_check found faults in a copy."""


def _measure(conn: sqlite3.Connection) -> tuple[dict[str, TableDigest], int, AuditTip]:
    tables = digest_tables(conn)
    user_version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    return tables, user_version, _audit_last_id(conn, tables)


def _check_and_measure(
    conn: sqlite3.Connection, path: Path, second: Callable[[], sqlite3.Connection]
) -> tuple[dict[str, TableDigest], int, AuditTip]:
    """``integrity_check`` of a closed copy and its table checksums, side by side.

    The check runs on a second connection (``second()``) in a thread of its own: SQLite does
    it without holding the GIL, while this thread checksums the rows on ``conn``. Together
    they take about as long as the longer of the two (on a 1 GB file: 5.5 s and 7.1 s, 12.6 s
    one after the other; issue #9). The thread only runs SQLite and never touches Qt.

    Raises:
        _NotVerified: integrity_check found faults (also when the checksums failed on them).
        sqlite3.Error: either could not read the copy at all.
    """
    opened: list[sqlite3.Connection] = []
    verdict: list[str] = []
    failure: list[BaseException] = []

    def check() -> None:
        try:
            other = second()  # a connection is used only on the thread that made it
        except BaseException as exc:  # handed to the caller's thread below
            failure.append(exc)
            return
        opened.append(other)
        try:
            verdict.extend(r[0] for r in other.execute("PRAGMA integrity_check").fetchall())
        except BaseException as exc:
            failure.append(exc)
        finally:
            other.close()

    measured: tuple[dict[str, TableDigest], int, AuditTip] | None = None
    unreadable: sqlite3.Error | None = None
    thread = threading.Thread(target=check, name="exodesk-copy-check", daemon=True)
    thread.start()
    try:
        measured = _measure(conn)
    except sqlite3.Error as exc:
        unreadable = exc  # a damaged page, most likely: the verdict says which
    except BaseException:
        for other in opened:
            with contextlib.suppress(sqlite3.Error):
                other.interrupt()  # the one call SQLite allows from another thread
        raise
    finally:
        thread.join()
    if failure:
        raise failure[0]
    if verdict != ["ok"]:
        log.warning("copy %s failed integrity_check: %s", path, verdict[:5])
        raise _NotVerified(path)
    if unreadable is not None:
        raise unreadable
    assert measured is not None
    return measured


@contextlib.contextmanager
def read_snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """Every read inside sees the file as it was at one moment, even if another writer saves."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")


# ---- copying -----------------------------------------------------------------------------
def copy_database(
    source: sqlite3.Connection,
    target: Path,
    *,
    progress: Progress | None = None,
    before_rename: Callable[[CopyFacts], None] | None = None,
) -> CopyFacts:
    """Write a verified copy of the database behind ``source`` to ``target``.

    The online backup API copies pages under a read lock in steps (so progress can be shown),
    into ``<target>.partial``. The copy keeps a rollback journal (a backup is one file to carry
    around), must pass ``PRAGMA integrity_check``, and has every table counted and checksummed
    on the copy itself; it is fsynced, ``before_rename`` runs (to write a sidecar), and only
    then is it renamed into place and the folder fsynced. The copy of an encrypted file is
    encrypted with the same key (the copy's connection gets the source connection's key
    before the backup API runs; SQLCipher refuses to copy encrypted pages into a plain file).

    Args:
        source: An open connection to the database to copy (the copy is taken on its thread).
        target: Where the finished copy goes; its folder must exist.
        progress: Called with (pages copied, pages in all); if it raises, the copy stops and
            the exception propagates with nothing left behind.
        before_rename: Called with the facts of the verified copy before it is renamed.

    Raises:
        StorageError: the copy could not be written or did not verify; nothing is left behind.
    """
    target = Path(target)
    partial = target.with_name(target.name + PARTIAL_SUFFIX)
    with copy_errors(target.parent, partial):
        discard(partial)
        pages = int(source.execute("PRAGMA page_count").fetchone()[0])
        step = max(_MIN_STEP_PAGES, -(-pages // _PROGRESS_STEPS))

        def report(_status: int, remaining: int, total: int) -> None:
            if progress is not None:
                progress(total - remaining, total)

        dest = connect(str(partial), key=connection_key(source))
        try:
            source.backup(dest, pages=step, progress=report, sleep=0)
            dest.execute("PRAGMA journal_mode = DELETE")
            tables, user_version, tip = _check_and_measure(
                dest, target, lambda: connect(str(partial), key=connection_key(source))
            )
        except _NotVerified:
            raise CopyNotVerified(
                "The copy did not verify, so it was not kept.",
                advice="Run `exodesk check` on the data file.",
            ) from None
        finally:
            dest.close()
        fsync_file(partial)
        facts = CopyFacts(
            path=target,
            size=partial.stat().st_size,
            sha256=sha256_file(partial),
            tables=tables,
            user_version=user_version,
            audit_last_id=tip[0],
            audit_last_hash=tip[1],
        )
        if before_rename is not None:
            before_rename(facts)
        os.replace(partial, target)
        fsync_folder(target.parent)
    return facts


def backup_database(db: Database, target: Path) -> Path:
    """Write a consistent, verified copy of ``db`` to ``target`` (see ``copy_database``).

    Never a file copy (a WAL database's file alone may be stale).

    Raises:
        StorageError: the copy could not be written or did not verify.
    """
    target = Path(target)
    with copy_errors(target.parent):
        target.parent.mkdir(parents=True, exist_ok=True)
    copy_database(db.conn, target)
    return target


def _read_only(path: Path, key: bytes | None = None) -> sqlite3.Connection:
    """A read-only connection to a closed copy, keyed if the copy is encrypted.

    Raises:
        WrongKey: the copy is encrypted and ``key`` is missing or does not open it.
    """
    key = file_key(path, key, what="backup")
    conn = connect(sqlite_uri(path, mode="ro"), key=key, uri=True)
    if key is not None:
        try:
            check_key(conn, path, what="backup")
        except BaseException:
            conn.close()
            raise
    return conn


def damaged_backup(path: Path) -> CopyNotVerified:
    return CopyNotVerified(
        f"The backup {path.name} is damaged, so it was not used; nothing was changed.",
        advice="Choose an older backup.",
    )


def _not_ours(path: Path) -> StorageError:
    return StorageError(
        f"{path.name} is not an ExoDesk backup, so it was not used; nothing was changed.",
        advice="Choose a file ExoDesk made (exodesk-….sqlite3).",
    )


def inspect_copy(
    path: Path,
    *,
    before_use: Callable[[Database], None] | None = None,
    key: bytes | None = None,
) -> CopyFacts:
    """Open a backup read-only, check it, and measure it; the file is not changed.

    Args:
        path: The backup file.
        before_use: Called with the opened copy (to refuse one from a newer ExoDesk).
        key: The data key, used if the backup is encrypted (a plain backup, say one made
            before the clinic was encrypted, opens without it).

    Raises:
        StorageError: it is missing, not an ExoDesk database, or fails integrity_check.
        WrongKey: it is encrypted and ``key`` is missing or does not open it.
    """
    path = Path(path)
    if not path.is_file():
        raise StorageError(f"There is no backup file at {path}.")
    with storage_errors(path):
        header = read_header(path)
        key = file_key(path, key, what="backup")
    if key is None and (
        not header.startswith(SQLITE_MAGIC) or header_application_id(header) != APPLICATION_ID
    ):
        raise _not_ours(path)
    try:
        conn = _read_only(path, key)
        try:
            if key is not None and _application_id(conn) != APPLICATION_ID:
                raise _not_ours(path)  # an encrypted file's header is only readable now
            if before_use is not None:
                before_use(Database(conn, execute_plugins=False))
            tables, user_version, tip = _check_and_measure(
                conn, path, lambda: _read_only(path, key)
            )
        finally:
            conn.close()
    except _NotVerified as exc:
        raise damaged_backup(path) from exc
    except sqlite3.DatabaseError as exc:
        if _primary(exc) in (_SQLITE_BUSY, _SQLITE_LOCKED):
            raise locked_error() from exc
        raise damaged_backup(path) from exc
    with storage_errors(path):
        return CopyFacts(
            path=path,
            size=path.stat().st_size,
            sha256=sha256_file(path),
            tables=tables,
            user_version=user_version,
            audit_last_id=tip[0],
            audit_last_hash=tip[1],
        )


def _application_id(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA application_id").fetchone()[0])


def copy_file(
    source: Path, target: Path, *, progress: Progress | None = None, key: bytes | None = None
) -> CopyFacts:
    """Copy a closed database file (a backup) to ``target`` through the backup API, verified.

    An encrypted source (opened with ``key``) gives an encrypted copy with the same key; a
    plain one a plain copy.

    Raises:
        WrongKey: the source is encrypted and ``key`` is missing or does not open it.
    """
    try:
        conn = _read_only(source, key)
    except sqlite3.DatabaseError as exc:
        raise damaged_backup(source) from exc
    try:
        return copy_database(conn, target, progress=progress)
    finally:
        conn.close()


# ---- replacing the data file -------------------------------------------------------------
def settle(path: Path, *, timeout_ms: int = 1000, key: bytes | None = None) -> bool:
    """Fold the write-ahead log into ``path`` and switch it to a rollback journal.

    Afterwards the main file alone holds every saved record and no -wal/-shm remain, so the
    file can be copied aside and replaced. SQLite only allows the switch when no other
    connection has the file open, which is also how another running ExoDesk is noticed.

    Args:
        path: The closed data file.
        timeout_ms: How long to wait for another connection to let go.
        key: The data key, used if the file is encrypted.

    Returns:
        True if the file is sound; False if it is damaged (or not a database at all).

    Raises:
        StorageError: another program has the file open, or it cannot be written.
        WrongKey: the file is encrypted and ``key`` is missing or does not open it (a file
            that does not open is never taken for a damaged one and moved aside).
    """
    with storage_errors(path):
        key = file_key(path, key)
    try:
        conn = connect(sqlite_uri(path, mode="rw"), key=key, uri=True, timeout=timeout_ms / 1000)
        try:
            if key is not None:
                check_key(conn, path)
            mode = str(conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]).lower()
            if mode != "delete":
                raise locked_error()
            sound = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()] == ["ok"]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        primary = _primary(exc)
        if primary in (_SQLITE_BUSY, _SQLITE_LOCKED) or "locked" in str(exc).lower():
            raise StorageError(
                "The data file is open in another ExoDesk or program, so it was not replaced.",
                advice="Close ExoDesk everywhere else (other PCs too), then try again.",
            ) from exc
        if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or "malformed" in str(exc).lower():
            return False
        plain = translate(exc, path)
        if plain is None:
            raise
        raise plain from exc
    return sound


def move_aside(path: Path, target: Path) -> None:
    """Move a closed (damaged) data file and its -wal/-shm to ``target`` unchanged."""
    with storage_errors(target.parent):
        for suffix in ("", *_COMPANIONS):
            here = path.with_name(path.name + suffix)
            if here.exists():
                os.replace(here, target.with_name(target.name + suffix))
        fsync_folder(target.parent)


def install(staged: Path, path: Path) -> None:
    """Put the verified file ``staged`` in place of the closed data file ``path``.

    Stale -wal/-shm/-journal files of the old file go first: SQLite would otherwise replay
    the old file's log onto the new one. ``os.replace`` is atomic on one volume, so the data
    file is always either the old one or the new one, never half of each.
    """
    with storage_errors(path):
        for suffix in _COMPANIONS:
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        os.replace(staged, path)
        fsync_folder(path.parent)
