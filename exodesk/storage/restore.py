"""Using a backup: checking it, putting it in place of the data file, and restore drills.

File and SQLite work only. The restore as a use case (the advisory lock, the audit entry in
the restored file, permissions) is ``exodesk.services.backups.restore_file``.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from exodesk.errors import StorageError, UserError
from exodesk.paths import DataPaths
from exodesk.storage.anchors import RESTORE, Anchor, record_anchor
from exodesk.storage.backup import (
    DIGEST_METHOD,
    CopyFacts,
    CopyNotVerified,
    copy_errors,
    copy_file,
    discard,
    inspect_copy,
    install,
    move_aside,
    settle,
    sha256_file,
    write_atomically,
)
from exodesk.storage.backup_files import (
    BEFORE_RESTORE,
    CHANGED,
    STAMP_FORMAT,
    UNREADABLE,
    BackupRecord,
    backup_data_file,
    free_name,
    list_backups,
    read_record,
)
from exodesk.storage.database import WrongKey, is_encrypted, storage_errors
from exodesk.storage.encryption import encrypt_copy
from exodesk.storage.migrations import refuse_hollow, refuse_newer
from exodesk.storage.photo_backup import (
    PhotoCheck,
    PhotoRestore,
    check_backup_photos,
    refs_and_source,
    restore_photos,
)
from exodesk.storage.photo_store import FolderPhotoStore, backup_photos_folder, open_photo_store
from exodesk.storage.rekey import reencrypt_copy

log = logging.getLogger(__name__)


# ---- checking a backup -------------------------------------------------------------------
def verify_backup(path: Path, *, key: bytes | None = None) -> BackupRecord:
    """Check a backup before using it; the file and the data file are not changed.

    A file with a sidecar must still match its checksum; every file must be an ExoDesk
    database that passes ``PRAGMA integrity_check`` and is not from a newer ExoDesk. An
    encrypted backup opens with ``key`` (the data key; the recovery key gives it too).

    Raises:
        StorageError: in plain words, why this backup cannot be used.
        WrongKey: the backup is encrypted and ``key`` is missing or does not open it.
    """
    path = Path(path)
    if not path.is_file():
        raise StorageError(f"There is no backup file at {path}.")
    record = read_record(path, check=True)
    if record.problem in (CHANGED, UNREADABLE):
        raise StorageError(
            f"The backup {path.name} cannot be used: {record.problem}. Nothing was changed.",
            advice="Choose an older backup.",
        )

    def usable(db: Database) -> None:
        refuse_newer(db)
        # A backup of an emptied or hollow file "restores cleanly" into a clinic with nobody
        # in it: it is not a backup anyone can use.
        refuse_hollow(db, path)

    facts = inspect_copy(path, before_use=usable, key=key)
    if not record.counts:
        record = replace(record, counts={t: d.rows for t, d in facts.tables.items()})
    return record


def file_key_or_none(path: Path, key: bytes | None) -> bytes | None:
    """``key`` if ``path`` is encrypted, else None (a plain file opens without one)."""
    return key if key is not None and is_encrypted(path) else None


OTHER_KEY_LABEL = "-other-key"
"""In the name of a data file moved aside at a restore because the backup's key does not open
it, though it looks like a sound encrypted file."""


def _save_aside(
    paths: DataPaths, now: datetime, key: bytes | None = None, *, key_checked: bool = False
) -> tuple[Path | None, bool]:
    """Keep the current data file in the backups folder; (where, verified copy?)."""
    data_file = paths.data_file
    if not data_file.exists():
        return None, False
    with copy_errors(paths.backups):
        paths.backups.mkdir(parents=True, exist_ok=True)
    stem = f"{BEFORE_RESTORE}-{now.astimezone(UTC):{STAMP_FORMAT}}"
    label = "-damaged"
    try:
        sound = settle(data_file, key=key)
    except WrongKey:
        if not key_checked:
            raise
        # The key opened an encrypted backup of this clinic, and does not open the data file:
        # either its first page is damaged, or it is a healthy file encrypted with another key
        # (a new clinic set up after the data file went missing, say). Either way it is moved
        # aside unchanged; only the first is called damaged.
        sound = False
        if is_encrypted(data_file):
            label = OTHER_KEY_LABEL
    if sound:
        target = free_name(paths.backups, stem)
        record = backup_data_file(
            data_file,
            paths.backups,
            reason=BEFORE_RESTORE,
            now=now,
            target=target,
            key=file_key_or_none(data_file, key),
        )
        return record.path, True
    # A damaged file cannot be copied page by page; it is closed, so it moves aside as it is
    # (with its -wal, if any), for whoever tries to rescue it.
    target = free_name(paths.backups, stem + label)
    move_aside(data_file, target)
    log.warning("data file (%s) moved aside to %s", label.strip("-"), target)
    return target, False


RESTORE_PENDING = "exodesk.restore-pending.json"
"""Written beside the data file just before a restore swaps it in, removed once the restore is
in the audit trail: if ExoDesk is killed in between, the next start records it."""


def _pending_path(paths: DataPaths) -> Path:
    return paths.folder / RESTORE_PENDING


def clear_restore_pending(paths: DataPaths) -> None:
    """The restore is in the audit trail (or never happened): forget its note."""
    discard(_pending_path(paths))


def interrupted_restore(paths: DataPaths) -> dict[str, Any] | None:
    """The note of a restore that swapped the data file in but was stopped before its audit
    entry was written, or None. Read before the data file is opened (nothing has written to
    it since the swap, so it is byte for byte the copy that was put in place).

    A note whose copy is not the data file (the restore was stopped before the swap) is
    dropped: the data file is the one from before, and nothing was restored.
    """
    pending = _pending_path(paths)
    if not pending.is_file():
        return None
    try:
        meta = json.loads(pending.read_text(encoding="utf-8"))
        expected, note = str(meta["staged_sha256"]), dict(meta["note"])
    except (OSError, ValueError, KeyError, TypeError):
        log.warning("unreadable restore note %s dropped", pending)
        clear_restore_pending(paths)
        return None
    try:
        swapped = paths.data_file.is_file() and sha256_file(paths.data_file) == expected
    except OSError:
        return None
    if not swapped:
        log.info("a restore was stopped before its swap; the data file is the one from before")
        clear_restore_pending(paths)
        return None
    return note


def discard_stale_restore_copy(paths: DataPaths) -> bool:
    """Remove ``exodesk.sqlite3.restoring`` left by a restore stopped before its swap (call
    only with the data file's lock held: no restore is running). True if one was removed."""
    staged = paths.data_file.with_name(paths.data_file.name + ".restoring")
    if not staged.exists():
        return False
    discard(staged)
    log.warning("removed %s, left by a restore that was stopped", staged)
    return True


def replace_data_file(
    paths: DataPaths,
    backup: BackupRecord,
    *,
    now: datetime,
    key: bytes | None = None,
    note: Mapping[str, Any] | None = None,
    backup_key: bytes | None = None,
    amend: Callable[[Database], None] | None = None,
) -> tuple[Path | None, bool]:
    """Put a verified backup in place of the closed data file, keeping the old one aside.

    The backup is copied to ``exodesk.sqlite3.restoring`` beside the data file and verified
    again (and encrypted with ``key`` if it is plain and ``key`` is given); the current data
    file is saved aside (``_save_aside``); then the copy is renamed over it (atomic). A
    failure before the rename leaves the data file as it was and no staged copy behind.

    With ``note`` (what the audit entry of the restore will say) a restore-pending note is
    written just before the swap, for the next start to record the restore should the
    process be stopped before its audit entry (``interrupted_restore``).

    With ``backup_key`` (a backup made before the clinic's keys were changed) the backup
    opens with it, and the copy is re-encrypted with ``key`` (and changed by ``amend``, in
    one transaction) before it goes in.

    Returns:
        Where the data file before it was kept (None: there was none), and whether that is a
        verified copy (False: a damaged file moved aside as it was).

    Raises:
        StorageError: the copy could not be written, or the data file is in use.
    """
    data_file = paths.data_file
    staged = data_file.with_name(data_file.name + ".restoring")
    opened_with = backup_key if backup_key is not None else key
    facts = copy_file(backup.path, staged, key=opened_with)
    try:
        if key is not None and not is_encrypted(staged):
            encrypt_copy(staged, key)
        elif key is not None and opened_with is not None and opened_with != key:
            reencrypt_copy(staged, opened_with, key, amend=amend)
        # Written before the swap: a restore that then fails leaves one on record that did
        # not happen, which only makes the check trust fewer anchors; the other way round a
        # kill just after the swap would leave the newer anchors accusing a genuine restore.
        restored = Anchor(RESTORE, now, facts.audit_last_id, facts.audit_last_hash, backup.path)
        record_anchor(data_file, restored)
        aside, verified = _save_aside(
            paths, now, key, key_checked=key is not None and is_encrypted(backup.path)
        )
        if note is not None:
            meta = {"staged_sha256": sha256_file(staged), "note": dict(note)}
            with storage_errors(paths.folder):
                write_atomically(_pending_path(paths), json.dumps(meta).encode("utf-8"))
        install(staged, data_file)
    except BaseException:
        discard(staged)
        clear_restore_pending(paths)
        raise
    log.info("restored %s from %s; before-restore copy %s", data_file, backup.path, aside)
    return aside, verified


def restore_backup_photos(
    paths: DataPaths, backup: BackupRecord, key: bytes | None
) -> PhotoRestore:
    """After a restore: bring back into the data folder's store the photos the restored data
    file names that it lacks, from the backup folder's ``photos`` (see ``restore_photos``).

    Raises:
        StorageError: the data file cannot be read or the data folder written.
    """
    data_key = file_key_or_none(paths.data_file, key)
    backup_key = file_key_or_none(backup.path, key)
    shared = FolderPhotoStore(backup_photos_folder(backup.path.parent, backup_key), backup_key)
    with storage_errors(paths.data_file):
        refs, _from_file = refs_and_source(paths.data_file, data_key, fallback=shared)
    return restore_photos(
        refs, backup.path.parent, open_photo_store(paths, data_key), backup_key=backup_key
    )


# ---- drills ------------------------------------------------------------------------------
@dataclass(frozen=True)
class DrillResult:
    """A restore drill: the newest backup restored to a scratch file and compared."""

    backup: BackupRecord
    problems: list[str]
    counts: dict[str, int]
    seconds: float
    photos: int = 0
    """Photos proven to restore byte for byte (when ``ok``)."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def sentence(self) -> str:
        if self.ok:
            counts = replace(self.backup, counts=self.counts).count_words()
            if self.photos:
                counts = ", ".join(c for c in (counts, f"{self.photos:,} photos") if c)
            return f"Backup of {self.backup.when} restores cleanly: {counts}."
        more = len(self.problems) - 1
        extra = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        return f"Backup of {self.backup.when} does NOT restore cleanly: {self.problems[0]}{extra}."


def drill_backups(folder: Path, *, key: bytes | None = None) -> DrillResult:
    """Restore the newest backup in ``folder`` to a scratch file and compare it with its sidecar.

    Pure file work (no connection to the data file), safe on a worker thread. An encrypted
    backup needs ``key``; its scratch copy is encrypted too.

    Raises:
        UserError: there is no backup with a sidecar to test.
        StorageError: the scratch copy could not be written (say, the disk is full).
    """
    started = time.perf_counter()
    candidates = [r for r in list_backups(folder, check=False) if r.table_sha256]
    if not candidates:
        raise UserError(
            f"There is no backup to test in {folder}.",
            advice="Make a backup first (File → Back up now, or `exodesk backup`).",
        )
    record = candidates[0]
    problems: list[str] = []
    counts: dict[str, int] = {}
    photos = 0
    with tempfile.TemporaryDirectory(prefix="exodesk-drill-") as scratch:
        with storage_errors(record.path):
            if sha256_file(record.path) != record.sha256:
                problems.append(CHANGED)
        try:
            facts = copy_file(record.path, Path(scratch) / "drill.sqlite3", key=key)
        except CopyNotVerified:
            problems.append("it does not pass SQLite's integrity check")
        else:
            counts = {t: d.rows for t, d in facts.tables.items()}
            for table in sorted(set(record.counts) | set(facts.tables)):
                problem = _compare(table, record, facts)
                if problem:
                    problems.append(problem)
            check = drill_photos(record, facts.path, key)
            problems += check.problems
            photos = check.needed
    return DrillResult(record, problems, counts, time.perf_counter() - started, photos)


def drill_photos(record: BackupRecord, copy: Path, key: bytes | None) -> PhotoCheck:
    """Prove that the photos the restored ``copy`` of ``record`` names all come back byte for
    byte from the backup folder's ``photos``, and that they are the ones its sidecar recorded.

    A copy made before photos existed (no photos table) needs the blobs of the folder's
    ``photos``: each is checked, and the sidecar's list is not compared.
    """
    backup_key = file_key_or_none(copy, key)
    shared = FolderPhotoStore(backup_photos_folder(record.path.parent, backup_key), backup_key)
    with storage_errors(copy):
        refs, from_file = refs_and_source(copy, backup_key, fallback=shared)
    return check_backup_photos(
        refs,
        record.path.parent,
        backup_key,
        recorded=record.photo_refs if from_file else None,
        recorded_digest=record.photo_refs_sha256,
    )


def _compare(table: str, record: BackupRecord, facts: CopyFacts) -> str:
    got, rows = facts.tables.get(table), record.counts.get(table)
    if got is None:
        return f"the {table} table is missing"
    if rows is None:
        return f"the {table} table was not there when it was made"
    if got.rows != rows:
        return f"{table} has {got.rows:,} rows where {rows:,} were recorded"
    if record.checksum_method != DIGEST_METHOD:
        return ""  # made by an ExoDesk that checksummed differently: the counts must do
    if got.sha256 != record.table_sha256.get(table):
        return f"the rows of {table} differ from when it was made"
    return ""
