"""Re-keying an encrypted data file: the same records under a new data key, and a new keyring.

A data key that may have leaked (a recovery sheet seen by someone, a password given away)
is retired by re-encrypting the data file with a new one and replacing the keyring. The
order keeps the clinic openable whatever moment the process is stopped at:

1. One connection, keyed with the old key, takes the file for itself (the advisory lock
   too) and must pass quick_check.
2. ``sqlcipher_export`` writes every table into ``<data file>.rekeying``, keyed with the
   new raw key, flushed; it is opened with the new key and verified against the old file's
   measures (integrity_check, schema, every table's rows and checksum, counters).
3. ``amend`` changes the copy in one transaction (the re-key's audit entry, the retired
   key's date, passwords that no longer open anything); the copy is checked and flushed.
4. The new keyring is written beside the old one as ``exodesk.keys.rekeyed``, and the old
   keyring is copied to ``exodesk.keys.before-rekey-<stamp>`` (kept: with an old password
   it still opens backups made before).
5. The copy is renamed over the data file (atomic).
6. The new keyring is renamed over the old one (atomic).

Before step 5 the data file and ``exodesk.keys`` are byte for byte as they were, and a
failure removes what was written beside them (the new keyring first, then the copy). After
it, only step 6 is left: the next start finishes it (``finish_interrupted_rekey``). Which
side of step 5 a stopped re-key is on is told by the copy: while ``.rekeying`` exists the
swap has not happened.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from exodesk.errors import StorageError
from exodesk.storage.backup import (
    CopyNotVerified,
    TableDigest,
    copy_errors,
    discard,
    fsync_file,
    fsync_folder,
    install,
    write_atomically,
)
from exodesk.storage.database import (
    DataFileDamaged,
    check_key,
    is_encrypted,
    storage_errors,
)
from exodesk.storage.encryption import FractionProgress, export_encrypted, verify_encrypted
from exodesk.storage.engine import Connection, connect, sqlite3, sqlite_uri
from exodesk.storage.keys import Keyring, key_id
from exodesk.storage.lock import AlreadyOpenError, DataFileLock

log = logging.getLogger(__name__)

STAGING_SUFFIX = ".rekeying"
NEW_KEYRING_SUFFIX = ".rekeyed"
BEFORE_REKEY = "before-rekey"
_STAMP_FORMAT = "%Y%m%d-%H%M%S"
_COMPANIONS = ("-wal", "-shm", "-journal")
# Where each stage ends, as a fraction of the whole (the export and the check dominate).
_EXPORTED, _VERIFIED, _AMENDED = 0.45, 0.85, 0.92

Step = Callable[[str], None]
"""Told the name of each step as it is reached (tests stop the process there)."""

STEPS = (
    "exported",
    "verified",
    "amended",
    "keyring written",
    "old keyring kept",
    "data file swapped",
    "keyring swapped",
)


@dataclass(frozen=True)
class Rekeyed:
    """What ``rekey_data_file`` did."""

    path: Path
    tables: dict[str, TableDigest]
    """Every table's rows and checksum, the same in the old file and the new one (before
    ``amend`` changed the few rows it changes)."""
    old_keyring: Path | None
    """Where the keyring before the re-key was kept (None: there was none)."""
    seconds: float

    @property
    def rows(self) -> int:
        return sum(d.rows for d in self.tables.values())


def staged_path(data_file: Path) -> Path:
    return data_file.with_name(data_file.name + STAGING_SUFFIX)


def new_keyring_path(keyring: Path) -> Path:
    return keyring.with_name(keyring.name + NEW_KEYRING_SUFFIX)


def _discard_with_companions(path: Path) -> None:
    for leftover in (path, *(path.with_name(path.name + s) for s in _COMPANIONS)):
        discard(leftover)


def _not_rekeyed(path: Path) -> StorageError:
    return CopyNotVerified(
        f"The copy of {path.name} under the new key did not verify, so the clinic's keys were "
        "not changed; the data file and its passwords are as they were.",
        advice="Run `exodesk check` on the data file, then try again.",
    )


@contextlib.contextmanager
def _sole_connection(path: Path, key: bytes) -> Iterator[Connection]:
    """A connection keyed with ``key`` that keeps every other connection out (see
    ``exodesk.storage.encryption``); no byte of the file is written.

    Raises:
        WrongKey: ``key`` does not open the file.
        StorageError: another program has the file open.
    """
    conn = connect(sqlite_uri(path, mode="rw"), key=key, uri=True, timeout=1.0)
    try:
        check_key(conn, path)
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        try:
            conn.execute("BEGIN EXCLUSIVE")
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc).lower() and "busy" not in str(exc).lower():
                raise
            raise StorageError(
                "The data file is open in another ExoDesk or program, so the clinic's keys "
                "were not changed; nothing was changed.",
                advice="Close ExoDesk everywhere else (other PCs too), then try again.",
            ) from exc
        yield conn
    finally:
        conn.close()


def _amend(path: Path, key: bytes, amend: Callable[[Database], None]) -> None:
    """Run ``amend`` on the staged copy in one transaction; check and flush the copy."""
    conn = connect(sqlite_uri(path, mode="rw"), key=key, uri=True)
    try:
        check_key(conn, path)
        conn.execute("PRAGMA journal_mode = DELETE")
        db = Database(conn, execute_plugins=False)
        conn.execute("BEGIN IMMEDIATE")
        try:
            amend(db)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        if [r[0] for r in conn.execute("PRAGMA quick_check")] != ["ok"]:
            raise CopyNotVerified(f"{path.name}: quick_check failed after the re-key's changes")
    finally:
        conn.close()
    fsync_file(path)


def _keep_old_keyring(keyring: Path, now: datetime) -> Path | None:
    """Copy the keyring to ``<name>.before-rekey-<stamp>`` (never overwriting), flushed."""
    if not keyring.exists():
        return None
    stamp = now.astimezone(UTC).strftime(_STAMP_FORMAT)
    target = keyring.with_name(f"{keyring.name}.{BEFORE_REKEY}-{stamp}")
    n = 2
    while target.exists():
        target = keyring.with_name(f"{keyring.name}.{BEFORE_REKEY}-{stamp}-{n}")
        n += 1
    with storage_errors(keyring):
        data = keyring.read_bytes()
    write_atomically(target, data)
    return target


def rekey_data_file(
    path: Path,
    old_key: bytes,
    new_key: bytes,
    new_keyring: Keyring,
    *,
    amend: Callable[[Database], None] | None = None,
    progress: FractionProgress | None = None,
    lock: bool = True,
    now: datetime | None = None,
    step: Step | None = None,
    before_swap: Callable[[], Path] | None = None,
) -> Rekeyed:
    """Re-encrypt the closed data file ``path`` from ``old_key`` to ``new_key`` and put
    ``new_keyring`` in place of the keyring at ``new_keyring.path`` (see the module's steps).

    Args:
        path: The closed, encrypted data file.
        old_key: The key it is encrypted with now.
        new_key: The key it is to be encrypted with (32 bytes).
        new_keyring: The keyring to replace the old one (its ``path`` is where it goes); its
            ``key_id`` must be ``new_key``'s.
        amend: Changes made to the new copy only, in one transaction, after it verified.
        progress: Called with the fraction done, at least at each stage.
        lock: Hold the data file's advisory lock throughout (release any held first).
        now: The old keyring copy's time stamp (default: now).
        step: Told the name of each step of ``STEPS`` once it is done.
        before_swap: Called just before the data file is swapped; writes a file that goes
            with the new key (the photos' pending note) and returns it: it is removed if the
            swap then does not happen.

    Raises:
        WrongKey: ``old_key`` does not open the file. Nothing was changed.
        StorageError: the file is not encrypted, open elsewhere, damaged; the disk fails; the
            copy did not verify. Nothing was changed (the data file and keyring are as they
            were).
    """
    path = Path(path)
    keyring = Path(new_keyring.path)
    started = time.perf_counter()
    now = now or datetime.now(UTC)

    def report(fraction: float) -> None:
        if progress is not None:
            progress(min(1.0, max(0.0, fraction)))

    def reached(name: str) -> None:
        if step is not None:
            step(name)

    if new_keyring.key_id != key_id(new_key):
        raise ValueError("the new keyring is not the new key's")
    if old_key == new_key:
        raise ValueError("the new key is the old key")
    if not path.is_file():
        raise StorageError(f"There is no ExoDesk data file at {path}.")
    if not is_encrypted(path):
        raise StorageError(
            f"{path.name} is not encrypted, so it has no keys to change; nothing was changed.",
            advice="Encrypt the clinic's records first (Tools → Encrypt the clinic's records).",
        )
    staged = staged_path(path)
    pending = new_keyring_path(keyring)
    old_kept: Path | None = None
    companion: Path | None = None
    swapped = False
    with DataFileLock(path) if lock else contextlib.nullcontext():
        report(0.0)
        try:
            with storage_errors(path), _sole_connection(path, old_key) as source:
                if [r[0] for r in source.execute("PRAGMA quick_check")] != ["ok"]:
                    raise DataFileDamaged(
                        f"The data file is damaged ({path}), so the clinic's keys were not "
                        "changed; nothing was changed.",
                        advice="Restore the newest backup, then try again.",
                    )
                measures = export_encrypted(source, staged, new_key)
            reached("exported")
            report(_EXPORTED)
            try:
                verify_encrypted(staged, new_key, measures)
            except CopyNotVerified as exc:
                raise _not_rekeyed(path) from exc
            reached("verified")
            report(_VERIFIED)
            if amend is not None:
                with copy_errors(path.parent, outcome="the clinic's keys were not changed"):
                    _amend(staged, new_key, amend)
            reached("amended")
            report(_AMENDED)
            new_keyring.path = pending
            try:
                new_keyring.save()
            finally:
                new_keyring.path = keyring
            reached("keyring written")
            old_kept = _keep_old_keyring(keyring, now)
            reached("old keyring kept")
            if before_swap is not None:
                companion = before_swap()
            install(staged, path)
            swapped = True
            reached("data file swapped")
        except BaseException:
            if not swapped:
                # The new keyring goes first: while the copy is there, a stopped re-key is
                # known not to have swapped (finish_interrupted_rekey).
                discard(pending)
                _discard_with_companions(staged)
                if old_kept is not None:
                    discard(old_kept)
                if companion is not None:
                    discard(companion)
            raise
        finally:
            if swapped:
                # The data file is the new one: its keyring must follow, even on the way
                # out of a failure (or the next start does it).
                _swap_keyring(pending, keyring)
        # No progress report from here: one that raised (a Stop pressed) would say a re-key
        # that is done had failed.
        reached("keyring swapped")
    seconds = time.perf_counter() - started
    log.info("data file re-keyed in %.1f s (%d tables)", seconds, len(measures.tables))
    return Rekeyed(path=path, tables=measures.tables, old_keyring=old_kept, seconds=seconds)


def _swap_keyring(pending: Path, keyring: Path) -> None:
    with storage_errors(keyring):
        os.replace(pending, keyring)
        fsync_folder(keyring.parent)


def finish_interrupted_rekey(data_file: Path, keyring: Path) -> str | None:
    """Bring a re-key stopped part way (a kill, a power cut) to one side or the other.

    - The copy ``<data file>.rekeying`` is still there: the data file was not swapped, so
      the new keyring (if written) and the copy are removed; the old key still opens all.
    - The copy is gone but the new keyring waits beside the old one: the data file was
      swapped, so the new keyring takes the old one's place.

    Only while no re-key is running: the data file's advisory lock is taken for it (if
    another ExoDesk holds it, nothing is done).

    Returns:
        "rolled back", "finished", or None when there was nothing to do.
    """
    data_file, keyring = Path(data_file), Path(keyring)
    staged, pending = staged_path(data_file), new_keyring_path(keyring)
    if not staged.exists() and not pending.exists():
        return None
    try:
        held = DataFileLock(data_file).acquire()
    except AlreadyOpenError:
        log.info("a re-key may be running in another ExoDesk; its leftovers are left alone")
        return None
    try:
        if staged.exists():
            discard(pending)
            _discard_with_companions(staged)
            # A copy of the keyring kept for this re-key names the key still in use.
            with storage_errors(keyring):
                current = keyring.read_bytes() if keyring.exists() else None
            for kept in kept_keyrings(keyring):
                with storage_errors(kept):
                    if current is not None and kept.read_bytes() == current:
                        discard(kept)
            log.warning("a re-key was stopped before its swap: the old keys stay in use")
            return "rolled back"
        if pending.exists():
            _swap_keyring(pending, keyring)
            log.warning("a re-key was stopped after its swap: its new keyring is now in use")
            return "finished"
        return None
    finally:
        held.release()


def kept_keyrings(keyring: Path) -> list[Path]:
    """The keyrings kept at earlier re-keys (``exodesk.keys.before-rekey-…``), newest first."""
    keyring = Path(keyring)
    if not keyring.parent.is_dir():
        return []
    with storage_errors(keyring.parent):
        found = [
            p
            for p in keyring.parent.glob(f"{keyring.name}.{BEFORE_REKEY}-*")
            if p.is_file() and not p.name.endswith(".partial")
        ]
    return sorted(found, key=lambda p: p.name, reverse=True)


def reencrypt_copy(
    path: Path,
    old_key: bytes,
    new_key: bytes,
    *,
    amend: Callable[[Database], None] | None = None,
) -> None:
    """Re-encrypt a closed copy in place from ``old_key`` to ``new_key`` (a backup made before
    a re-key, being restored into the clinic under its current key): export beside it,
    verify, ``amend`` it (one transaction), rename over it.

    Raises:
        WrongKey: ``old_key`` does not open it.
        StorageError: the copy could not be written or did not verify; ``path`` is unchanged.
    """
    path = Path(path)
    staged = staged_path(path)
    try:
        with storage_errors(path), _sole_connection(path, old_key) as source:
            measures = export_encrypted(source, staged, new_key)
        try:
            verify_encrypted(staged, new_key, measures)
        except CopyNotVerified as exc:
            raise _not_rekeyed(path) from exc
        if amend is not None:
            _amend(staged, new_key, amend)
        with copy_errors(path.parent):
            os.replace(staged, path)
            fsync_folder(path.parent)
    except BaseException:
        _discard_with_companions(staged)
        raise
