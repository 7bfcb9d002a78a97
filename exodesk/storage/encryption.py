"""Encrypting a plain data file once: backed up first, exported, verified, then swapped in."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from exodesk.errors import StorageError
from exodesk.storage.backup import (
    CopyNotVerified,
    TableDigest,
    copy_database,
    copy_errors,
    digest_tables,
    discard,
    fsync_file,
    fsync_folder,
    install,
)
from exodesk.storage.database import (
    APPLICATION_ID,
    DataFileDamaged,
    check_key,
    is_encrypted,
    storage_errors,
)
from exodesk.storage.engine import Connection, connect, key_literal, sqlite3, sqlite_uri
from exodesk.storage.lock import DataFileLock

log = logging.getLogger(__name__)

FractionProgress = Callable[[float], None]
"""Called with the fraction done (0.0 to 1.0), at least once per stage."""

BEFORE_ENCRYPTION = "before-encryption"
STAGING_SUFFIX = ".encrypting"
_STAMP_FORMAT = "%Y%m%d-%H%M%S"
# Where each stage ends, as a fraction of the whole (the backup and the export dominate).
_BACKED_UP, _EXPORTED, _VERIFIED = 0.4, 0.75, 0.95
_COMPANIONS = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class Measures:
    """What a copy must have in common with its source."""

    tables: dict[str, TableDigest]
    user_version: int
    schema: list[tuple[str, str, str, str | None]]
    sequences: list[tuple[str, int]]


def measure(conn: Connection, schema: str = "main") -> Measures:
    """Every data table's rows and checksum, the schema, user_version and AUTOINCREMENT
    counters of ``conn`` (tables as ``digest_tables`` counts them: of the main database)."""
    master = conn.execute(
        f"SELECT type, name, tbl_name, sql FROM {schema}.sqlite_master ORDER BY type, name"
    ).fetchall()
    has_sequences = any(row[1] == "sqlite_sequence" for row in master)
    sequences = (
        conn.execute(f"SELECT name, seq FROM {schema}.sqlite_sequence ORDER BY name").fetchall()
        if has_sequences
        else []
    )
    return Measures(
        tables=digest_tables(conn),
        user_version=int(conn.execute(f"PRAGMA {schema}.user_version").fetchone()[0]),
        schema=[tuple(row) for row in master],
        sequences=[tuple(row) for row in sequences],
    )


@dataclass(frozen=True)
class Conversion:
    """What ``encrypt_data_file`` did."""

    path: Path
    backup: Path
    """The plain copy made first (it is not encrypted: keep it only until the clinic has
    checked that the encrypted file opens, then delete it)."""
    tables: dict[str, TableDigest]
    seconds: float

    @property
    def rows(self) -> int:
        return sum(d.rows for d in self.tables.values())


def _discard_with_companions(path: Path) -> None:
    for leftover in (path, *(path.with_name(path.name + s) for s in _COMPANIONS)):
        discard(leftover)


class _Mismatch(Exception):
    """The encrypted copy does not hold what the plain file holds."""


def _not_verified(path: Path) -> CopyNotVerified:
    return CopyNotVerified(
        f"The encrypted copy of {path.name} did not verify, so the data file was left as it "
        "was (not encrypted).",
        advice="Run `exodesk check` on the data file, then try again.",
    )


def export_encrypted(source: Connection, target: Path, data_key: bytes) -> Measures:
    """Write an encrypted copy of the plain database behind ``source`` to ``target``, flushed.

    ``sqlcipher_export()`` copies the schema and every row into a new file ATTACHed with the
    key; ``user_version`` and ``application_id`` are not part of the export, so they are
    copied after it. The copy keeps a rollback journal (a WAL is set when it is opened).
    Nothing is written to the source file.

    Returns:
        The source's measures, taken in the same transaction as the export, for verifying
        the copy (``verify_encrypted``).

    Raises:
        StorageError: ``target`` could not be written; it is removed.
    """
    with copy_errors(target.parent, target):
        # A copy left by a conversion cut off by a power cut: a stale journal beside the new
        # copy would be rolled back into it.
        _discard_with_companions(target)
        # ATTACH cannot run inside a transaction; the key is bound, never in the SQL text.
        source.execute("ATTACH DATABASE ? AS encrypted KEY ?", [str(target), key_literal(data_key)])
        try:
            with _transaction(source):
                measures = measure(source)
                source.execute("SELECT sqlcipher_export('encrypted')")
            source.execute(f"PRAGMA encrypted.user_version = {measures.user_version}")
            source.execute(f"PRAGMA encrypted.application_id = {APPLICATION_ID}")
        finally:
            source.execute("DETACH DATABASE encrypted")
        fsync_file(target)
    return measures


@contextlib.contextmanager
def _transaction(conn: Connection) -> Iterator[None]:
    # The measures and the export see the same moment of the source file.
    conn.execute("BEGIN")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextlib.contextmanager
def _sole_connection(path: Path) -> Iterator[Connection]:
    """A connection to the plain ``path`` that keeps every other connection out.

    ``locking_mode = EXCLUSIVE`` and one exclusive transaction take the file's lock and keep
    it until the connection closes, so nobody saves meanwhile; and another program (or
    ExoDesk) that has it open is noticed. No byte of the file is written.

    Raises:
        StorageError: another program has the file open.
    """
    conn = connect(sqlite_uri(path, mode="rw"), uri=True, timeout=1.0)
    try:
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        try:
            conn.execute("BEGIN EXCLUSIVE")
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc).lower() and "busy" not in str(exc).lower():
                raise
            raise StorageError(
                "The data file is open in another ExoDesk or program, so it was not "
                "encrypted; nothing was changed.",
                advice="Close ExoDesk everywhere else (other PCs too), then try again.",
            ) from exc
        yield conn
    finally:
        conn.close()


def verify_encrypted(path: Path, data_key: bytes, expected: Measures) -> None:
    """Open the encrypted ``path`` with the key and compare it with the source's measures.

    Raises:
        CopyNotVerified: integrity_check fails, or the schema, a table's rows, the
            user_version, the AUTOINCREMENT counters or the application_id differ.
    """
    try:
        conn = connect(sqlite_uri(path, mode="ro"), key=data_key, uri=True)
        try:
            check_key(conn, path)
            verdict = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
            if verdict != ["ok"]:
                raise _Mismatch(f"integrity_check: {verdict[:3]}")
            if int(conn.execute("PRAGMA application_id").fetchone()[0]) != APPLICATION_ID:
                raise _Mismatch("application_id")
            got = measure(conn)
            if got.tables != expected.tables:
                tables = set(got.tables) | set(expected.tables)
                differ = sorted(t for t in tables if got.tables.get(t) != expected.tables.get(t))
                raise _Mismatch(f"tables differ: {differ}")
            for what in ("user_version", "schema", "sequences"):
                if getattr(got, what) != getattr(expected, what):
                    raise _Mismatch(what)
        finally:
            conn.close()
    except (_Mismatch, sqlite3.DatabaseError) as exc:
        log.error("encrypted copy %s did not verify: %s", path, exc)
        raise _not_verified(path) from exc


def encrypt_data_file(
    path: Path,
    data_key: bytes,
    *,
    backups_dir: Path,
    progress: FractionProgress | None = None,
    lock: bool = True,
    now: datetime | None = None,
    before_swap: Callable[[], Path] | None = None,
) -> Conversion:
    """Encrypt the plain data file ``path`` with ``data_key``, once.

    1. One connection takes the file's lock for itself (refused if another program has the
       file open) and keeps it until step 3 is done; the file must pass quick_check.
    2. A plain backup goes to ``backups_dir/before-encryption-<stamp>.sqlite3`` (backup API,
       verified, like the copy made before a migration).
    3. An encrypted copy is exported beside the file (``<name>.encrypting``) and flushed.
    4. The copy is opened with the key and verified: integrity_check, and the schema, every
       table's row count and checksum, the AUTOINCREMENT counters, the user_version and the
       application_id equal the plain file's.
    5. The copy is renamed over the file (atomic) and stale -wal/-shm files are removed.

    Any failure before step 5 leaves the data file byte for byte as it was and removes the
    copy (nothing is written to it before then); the plain backup, once made, stays.

    Save the keyring (a slot for the person converting) *before* calling this, so the new
    file always has a way in besides the recovery key.

    Args:
        path: The closed data file.
        data_key: The 32-byte data key (``exodesk.storage.keys.new_data_key``).
        backups_dir: Where the plain backup goes (created if missing).
        progress: Called with the fraction done, at least at each stage.
        lock: Hold the data file's advisory lock throughout (release any held first).
        now: The backup's time stamp (default: now).
        before_swap: Called just before step 5; writes a file that goes with the encrypted
            file (the photos' pending note) and returns it: it is removed if the swap then
            does not happen.

    Raises:
        StorageError: the file is already encrypted, open elsewhere, damaged, or the disk
            fails; or the copy did not verify (``CopyNotVerified``). Nothing was changed.
    """
    path = Path(path)
    started = time.perf_counter()

    def report(fraction: float) -> None:
        if progress is not None:
            progress(min(1.0, max(0.0, fraction)))

    if not path.is_file():
        raise StorageError(f"There is no ExoDesk data file at {path}.")
    if is_encrypted(path):
        raise StorageError(f"{path.name} is already encrypted; nothing was changed.")
    staged = path.with_name(path.name + STAGING_SUFFIX)
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime(_STAMP_FORMAT)
    backup = backups_dir / f"{BEFORE_ENCRYPTION}-{stamp}.sqlite3"
    companion: Path | None = None
    swapped = False
    with DataFileLock(path) if lock else contextlib.nullcontext():
        report(0.0)
        try:
            with storage_errors(path), _sole_connection(path) as source:
                if [r[0] for r in source.execute("PRAGMA quick_check")] != ["ok"]:
                    raise DataFileDamaged(
                        f"The data file is damaged ({path}), so it was not encrypted; nothing "
                        "was changed.",
                        advice="Restore the newest backup, then try again.",
                    )
                with copy_errors(backups_dir):
                    backups_dir.mkdir(parents=True, exist_ok=True)
                copy_database(
                    source,
                    backup,
                    progress=lambda done, total: report(_BACKED_UP * done / max(total, 1)),
                )
                log.info("plain copy made before encrypting: %s", backup)
                report(_BACKED_UP)
                measures = export_encrypted(source, staged, data_key)
            report(_EXPORTED)
            verify_encrypted(staged, data_key, measures)
            report(_VERIFIED)
            if before_swap is not None:
                companion = before_swap()
            install(staged, path)
            swapped = True
        except BaseException:
            _discard_with_companions(staged)
            if companion is not None and not swapped:
                discard(companion)
            raise
    report(1.0)
    seconds = time.perf_counter() - started
    log.info("data file encrypted in %.1f s (%d tables)", seconds, len(measures.tables))
    return Conversion(path=path, backup=backup, tables=measures.tables, seconds=seconds)


def plain_backups(folder: Path) -> list[Path]:
    """Backups in ``folder`` that are not encrypted (made before the clinic was), oldest first.

    They hold patient records in the clear: once the encrypted clinic has been checked (it
    opens, and a new backup has been made), the admin may delete them.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    with storage_errors(folder):
        found = [
            p
            for p in folder.glob("*.sqlite3")
            if p.is_file() and p.stat().st_size and not is_encrypted(p)
        ]
    return sorted(found, key=lambda p: p.name)


def encrypt_copy(path: Path, data_key: bytes) -> None:
    """Encrypt a closed plain copy in place (say, a plain backup being restored into an
    encrypted clinic): export beside it, verify, rename over it.

    Raises:
        StorageError: the copy could not be written or did not verify; ``path`` is unchanged.
    """
    path = Path(path)
    staged = path.with_name(path.name + STAGING_SUFFIX)
    try:
        with storage_errors(path), _sole_connection(path) as source:
            measures = export_encrypted(source, staged, data_key)
        verify_encrypted(staged, data_key, measures)
        with copy_errors(path.parent):
            os.replace(staged, path)
            fsync_folder(path.parent)
    except BaseException:
        _discard_with_companions(staged)
        raise
