"""Backups, restore, restore drills and a plain-files export of a clinic's data file."""

from __future__ import annotations

import base64
import contextlib
import csv
import json
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from exodesk import APP_NAME, __version__
from exodesk.domain.accounts import BACKUPS_RESTORE, BACKUPS_RUN, EXPORT_CLINIC
from exodesk.domain.audit import AuditEntry
from exodesk.domain.dates import format_long
from exodesk.errors import StorageError, UserError
from exodesk.paths import DataPaths
from exodesk.services.context import ServiceContext, utc_now
from exodesk.storage.audit import AuditRepository
from exodesk.storage.backup import (
    DIGEST_METHOD,
    PARTIAL_SUFFIX,
    CopyFacts,
    CopyNotVerified,
    Progress,
    copy_database,
    copy_errors,
    copy_file,
    data_tables,
    discard,
    fsync_file,
    fsync_folder,
    inspect_copy,
    install,
    move_aside,
    quote,
    read_snapshot,
    settle,
    sha256_file,
    table_columns,
    table_rows,
    write_atomically,
)
from exodesk.storage.database import WrongKey, is_encrypted, open_database, storage_errors
from exodesk.storage.encryption import encrypt_copy
from exodesk.storage.engine import connection_key
from exodesk.storage.lock import DataFileLock
from exodesk.storage.migrations import refuse_newer, schema_state

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)

SIDECAR_FORMAT = 1
MANUAL, DAILY, CLOSE = "manual", "daily", "close"
BEFORE_RESTORE = "before-restore"
BEFORE_MIGRATION = "before-migration"
KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY = 7, 4, 12
_STAMP_FORMAT = "%Y%m%d-%H%M%S"
# exodesk-20261122-100000-daily.sqlite3 (the stamp is UTC, so names sort by time across DST
# changes, as the pre-migration backups already do); "-2" and up only when a name is taken.
_ROTATED = re.compile(r"^exodesk-(\d{8}-\d{6})-([a-z][a-z0-9]*)(?:-\d+)?\.sqlite3$")
_ANY_STAMP = re.compile(r"(\d{8}-\d{6})")
_REASON = re.compile(r"^[a-z][a-z0-9]*$")
# A .partial younger than this may belong to a backup still being written on another thread.
_STALE_PARTIAL = timedelta(days=1)

REASON_WORDS = {
    MANUAL: "Made by hand",
    DAILY: "Daily (automatic)",
    CLOSE: "On closing (automatic)",
    BEFORE_MIGRATION: "Before an update of ExoDesk",
    BEFORE_RESTORE: "Before a restore",
}


class BackupStopped(UserError):
    """The person stopped a backup before it finished; nothing was kept."""

    def __init__(self) -> None:
        super().__init__("The backup was stopped before it finished; no file was kept.")


NO_RECORD = "there is no record of it being checked"
UNREADABLE_RECORD = "its record file cannot be read"
CHANGED = "the file has changed since it was made"
UNREADABLE = "the file cannot be read"


# ---- results -----------------------------------------------------------------------------
@dataclass(frozen=True)
class BackupRecord:
    """One backup file as listed: what its sidecar recorded, and whether it still matches."""

    path: Path
    created_at: datetime
    reason: str
    size: int
    counts: dict[str, int] = field(default_factory=dict)
    table_sha256: dict[str, str] = field(default_factory=dict)
    verified: bool = False
    problem: str = ""
    sha256: str = ""
    schema_version: int | None = None
    app_version: str = ""
    audit_last_id: int | None = None
    checksum_method: str = ""

    @property
    def when(self) -> str:
        return when_words(self.created_at)

    @property
    def reason_words(self) -> str:
        return REASON_WORDS.get(self.reason, self.reason.replace("-", " ").capitalize())

    @property
    def verified_words(self) -> str:
        return "✓ Verified" if self.verified else f"✗ Not verified: {self.problem}"

    def count_words(self) -> str:
        """``1,204 patients, 5,310 sessions`` (the tables this file has)."""
        parts = [f"{self.counts[t]:,} {t}" for t in ("patients", "sessions") if t in self.counts]
        return ", ".join(parts)

    def sentence(self) -> str:
        """What the user is told after a backup: one plain sentence."""
        counts = self.count_words()
        return (
            f"Backup saved and verified: {self.path} ({format_size(self.size)}"
            f"{', ' + counts if counts else ''})."
        )


@dataclass(frozen=True)
class RestoreResult:
    """What a restore did: the backup now in use and where the data before it was kept."""

    restored: BackupRecord
    saved_aside: Path | None
    saved_aside_verified: bool

    def message(self) -> str:
        text = f"Restored the backup of {self.restored.when}."
        if self.saved_aside is None:
            return text + " There was no data file before it."
        if self.saved_aside_verified:
            return text + f" The data as it was before is saved as {self.saved_aside}."
        return (
            text + f" The data file before it was damaged; it was kept exactly as it was, as "
            f"{self.saved_aside}."
        )


@dataclass(frozen=True)
class DrillResult:
    """A restore drill: the newest backup restored to a scratch file and compared."""

    backup: BackupRecord
    problems: list[str]
    counts: dict[str, int]
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.problems

    def sentence(self) -> str:
        if self.ok:
            counts = replace(self.backup, counts=self.counts).count_words()
            return f"Backup of {self.backup.when} restores cleanly: {counts}."
        more = len(self.problems) - 1
        extra = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        return f"Backup of {self.backup.when} does NOT restore cleanly: {self.problems[0]}{extra}."


@dataclass(frozen=True)
class ExportResult:
    """Where an export went and how many rows each table had."""

    folder: Path
    tables: dict[str, int]

    def sentence(self) -> str:
        rows = sum(self.tables.values())
        return f"Exported {len(self.tables)} tables ({rows:,} rows) to {self.folder}."


# ---- words -------------------------------------------------------------------------------
def when_words(moment: datetime) -> str:
    """``Sun 22 Nov 2026 10:00`` in the PC's local time (English, locale-free)."""
    local = moment.astimezone()
    return f"{format_long(local.date())} {local:%H:%M}"


def format_size(size: int) -> str:
    """``812 KB``, ``12.3 MB``: file sizes as people read them."""
    if size < 1000:
        return f"{size} bytes"
    for unit, scale in (("KB", 1e3), ("MB", 1e6), ("GB", 1e9)):
        if size < scale * 1000 or unit == "GB":
            value = size / scale
            return f"{value:.1f} {unit}" if value < 100 else f"{value:,.0f} {unit}"
    raise AssertionError("unreachable")


# ---- rotation ----------------------------------------------------------------------------
def select_kept[K: Hashable](
    moments: Mapping[K, datetime],
    now: datetime,
    *,
    daily: int = KEEP_DAILY,
    weekly: int = KEEP_WEEKLY,
    monthly: int = KEEP_MONTHLY,
    tz: tzinfo | None = None,
) -> set[K]:
    """Which backups rotation keeps (the rest may be deleted).

    A backup is kept if any of these holds (days, weeks and months in ``tz``, default local):

    - it is the newest backup of its calendar day, and that day is one of the ``daily`` most
      recent days that have a backup;
    - it is the newest of its ISO week (Monday to Sunday), and that week is one of the
      ``weekly`` most recent weeks that have a backup;
    - it is the newest of its calendar month, and that month is one of the ``monthly`` most
      recent months that have a backup;
    - it is dated after ``now`` (the PC's clock was wrong; such a file is never judged).

    Counting periods *that have backups* (as borg and restic do) means a PC left off for a
    month still keeps seven days of copies instead of deleting them all as too old.
    """
    kept = {key for key, moment in moments.items() if moment > now}
    past = sorted(
        ((m.astimezone(tz), key) for key, m in moments.items() if m <= now),
        key=lambda item: (item[0], str(item[1])),
        reverse=True,
    )
    rules: tuple[tuple[int, Callable[[datetime], Hashable]], ...] = (
        (daily, lambda m: m.date()),
        (weekly, lambda m: m.isocalendar()[:2]),
        (monthly, lambda m: (m.year, m.month)),
    )
    for count, period_of in rules:
        periods: set[Hashable] = set()
        for moment, key in past:
            period = period_of(moment)
            if period in periods:
                continue  # an older backup of a period already represented
            if len(periods) == count:
                break
            periods.add(period)
            kept.add(key)
    return kept


def _stamp(name: str) -> datetime | None:
    match = _ANY_STAMP.search(name)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1), _STAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def _reason(name: str) -> str:
    match = _ROTATED.match(name)
    if match:
        return match.group(2)
    for reason in (BEFORE_RESTORE, BEFORE_MIGRATION):
        if name.startswith(reason):
            return reason
    return "unknown"


def _rotated_backups(folder: Path) -> dict[Path, datetime]:
    """ExoDesk's own timed backups in ``folder`` (never before-migration/-restore copies)."""
    if not folder.is_dir():
        return {}
    found: dict[Path, datetime] = {}
    for path in folder.glob("exodesk-*.sqlite3"):
        match = _ROTATED.match(path.name)
        moment = _stamp(path.name) if match else None
        if moment is not None and path.is_file():
            found[path] = moment
    return found


# ---- sidecars and listing ----------------------------------------------------------------
def sidecar_of(backup: Path) -> Path:
    """``exodesk-….sqlite3`` → ``exodesk-….json`` beside it."""
    return backup.with_suffix(".json")


def read_record(path: Path, *, check: bool = True) -> BackupRecord:
    """Describe one backup file from its sidecar; ``check`` re-hashes the file to compare."""
    try:
        stat = path.stat()
    except OSError:
        return BackupRecord(
            path, _stamp(path.name) or utc_now(), _reason(path.name), 0, problem=UNREADABLE
        )
    created = _stamp(path.name) or datetime.fromtimestamp(stat.st_mtime, UTC)
    base = BackupRecord(path, created, _reason(path.name), stat.st_size, problem=NO_RECORD)
    sidecar = sidecar_of(path)
    if not sidecar.is_file():
        return base
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
        record = replace(
            base,
            created_at=datetime.fromisoformat(meta["created_at"]),
            reason=str(meta["reason"]),
            counts={str(k): int(v) for k, v in meta["row_counts"].items()},
            table_sha256={str(k): str(v) for k, v in meta["table_sha256"].items()},
            sha256=str(meta["sha256"]),
            schema_version=int(meta["schema_version"]),
            app_version=str(meta.get("app_version", "")),
            audit_last_id=meta.get("audit_last_id"),
            checksum_method=str(meta.get("table_checksum_method", "")),
            problem="",
        )
        recorded_size, recorded_ok = int(meta["size"]), meta.get("verified") is True
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return replace(base, problem=UNREADABLE_RECORD)
    if recorded_size != stat.st_size:
        return replace(record, problem=CHANGED)
    if check:
        try:
            actual = sha256_file(path)
        except OSError:
            return replace(record, problem=UNREADABLE)
        if actual != record.sha256:
            return replace(record, problem=CHANGED)
    if not recorded_ok:
        return replace(record, problem="it did not pass its check when it was made")
    return replace(record, verified=True)


def list_backups(folder: Path, *, check: bool = True) -> list[BackupRecord]:
    """Every backup file in ``folder``, newest first (pure file work: safe on any thread).

    Args:
        folder: Where to look; a missing folder has no backups.
        check: Re-hash each file against its sidecar (reads every file; slower).
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    with storage_errors(folder):
        files = [p for p in folder.glob("*.sqlite3") if p.is_file()]
    records = [read_record(p, check=check) for p in files]
    return sorted(records, key=lambda r: (r.created_at, _name_order(r.path)), reverse=True)


def _name_order(path: Path) -> tuple[str, int]:
    # "…-manual-2" was made after "…-manual" in the same second.
    match = re.match(r"^(.*?)(?:-(\d+))?\.sqlite3$", path.name)
    if not match:
        return path.name, 1
    return match.group(1), int(match.group(2) or 1)


def _sidecar(
    facts: CopyFacts, *, now: datetime, reason: str, schema_version: int, source: Path | None
) -> dict[str, Any]:
    return {
        "format": SIDECAR_FORMAT,
        "file": facts.path.name,
        "created_at": now.isoformat(),
        "reason": reason,
        "app": APP_NAME,
        "app_version": __version__,
        "schema_version": schema_version,
        "source": str(source) if source else None,
        "size": facts.size,
        "sha256": facts.sha256,
        "integrity_check": "ok",
        "verified": True,
        "row_counts": {t: d.rows for t, d in facts.tables.items()},
        "table_checksum_method": DIGEST_METHOD,
        "table_sha256": {t: d.sha256 for t, d in facts.tables.items()},
        "audit_last_id": facts.audit_last_id,
    }


def _free_name(folder: Path, stem: str) -> Path:
    """``stem.sqlite3``, or ``stem-2.sqlite3`` and up if that name is taken."""
    path, n = folder / f"{stem}.sqlite3", 2
    while path.exists() or sidecar_of(path).exists():
        path, n = folder / f"{stem}-{n}.sqlite3", n + 1
    return path


def backup_name(folder: Path, now: datetime, reason: str) -> Path:
    """``exodesk-YYYYMMDD-HHMMSS-<reason>.sqlite3`` (UTC stamp), not yet taken in ``folder``."""
    if not _REASON.match(reason):
        raise ValueError(f"a backup reason is one lowercase word, not {reason!r}")
    return _free_name(folder, f"exodesk-{now.astimezone(UTC):{_STAMP_FORMAT}}-{reason}")


def _check_folder(folder: Path, *, create: bool) -> None:
    if create:
        with copy_errors(folder):
            folder.mkdir(parents=True, exist_ok=True)
    elif not folder.is_dir():
        raise UserError(
            f"The folder {folder} does not exist, so no backup was made.",
            advice="Choose an existing folder (is the USB stick or network drive connected?).",
        )


def write_backup(
    db: Database,
    folder: Path,
    *,
    reason: str,
    now: datetime,
    progress: Progress | None = None,
    target: Path | None = None,
    source: Path | None = None,
) -> BackupRecord:
    """Copy ``db``'s file into ``folder``: verified, flushed, with its sidecar. No audit entry.

    The sidecar is put in place just before the copy is renamed, so a listed backup always has
    one; if anything fails, neither is left behind.

    Args:
        db: The open database to copy (used on this thread only).
        folder: An existing folder.
        reason: One lowercase word (manual, daily, close, …) that goes into the name.
        now: The backup's time (names and sidecar).
        progress: Called with (pages copied, pages in all); raising stops the backup.
        target: The file name to use instead of ``exodesk-<stamp>-<reason>.sqlite3``.
        source: The data file's path, recorded in the sidecar.

    Raises:
        StorageError: the copy could not be written or did not verify.
    """
    with storage_errors(source):
        schema_version = schema_state(db).version
    target = target or backup_name(folder, now, reason)
    sidecar = sidecar_of(target)
    written: list[CopyFacts] = []

    def put_sidecar(facts: CopyFacts) -> None:
        meta = _sidecar(facts, now=now, reason=reason, schema_version=schema_version, source=source)
        text = json.dumps(meta, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
        write_atomically(sidecar, text.encode("utf-8"))
        written.append(facts)

    try:
        copy_database(db.conn, target, progress=progress, before_rename=put_sidecar)
    except BaseException:
        if written:
            discard(sidecar)  # the copy itself failed after its sidecar went in
        raise
    log.info("backup written: %s (%s)", target, reason)
    return read_record(target, check=False)


def backup_data_file(
    data_file: Path,
    folder: Path,
    *,
    reason: str = MANUAL,
    now: datetime | None = None,
    progress: Progress | None = None,
    create_folder: bool = False,
    target: Path | None = None,
    key: bytes | None = None,
) -> BackupRecord:
    """Back up a data file through a connection of its own (for worker threads). No audit.

    The connection is read-only: the app may go on saving meanwhile, and the copy is the data
    as it was at one moment. An encrypted data file (opened with ``key``) gives an encrypted
    backup with the same key.

    Raises:
        UserError: the folder does not exist (and ``create_folder`` is false).
        StorageError: the file cannot be read or the copy not written.
    """
    _check_folder(folder, create=create_folder)
    db = open_database(data_file, read_only=True, key=key)
    try:
        return write_backup(
            db,
            folder,
            reason=reason,
            now=now or utc_now(),
            progress=progress,
            target=target,
            source=data_file,
        )
    finally:
        db.close()


# ---- verifying and restoring -------------------------------------------------------------
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
    facts = inspect_copy(path, before_use=refuse_newer, key=key)
    if not record.counts:
        record = replace(record, counts={t: d.rows for t, d in facts.tables.items()})
    return record


def file_key_or_none(path: Path, key: bytes | None) -> bytes | None:
    """``key`` if ``path`` is encrypted, else None (a plain file opens without one)."""
    return key if key is not None and is_encrypted(path) else None


def _save_aside(
    paths: DataPaths, now: datetime, key: bytes | None = None, *, key_checked: bool = False
) -> tuple[Path | None, bool]:
    """Keep the current data file in the backups folder; (where, verified copy?)."""
    data_file = paths.data_file
    if not data_file.exists():
        return None, False
    with copy_errors(paths.backups):
        paths.backups.mkdir(parents=True, exist_ok=True)
    stem = f"{BEFORE_RESTORE}-{now.astimezone(UTC):{_STAMP_FORMAT}}"
    try:
        sound = settle(data_file, key=key)
    except WrongKey:
        if not key_checked:
            raise
        # The key opened an encrypted backup of this clinic, so a data file it does not open
        # has a damaged first page: it is moved aside unchanged like any damaged file.
        sound = False
    if sound:
        target = _free_name(paths.backups, stem)
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
    target = _free_name(paths.backups, stem + "-damaged")
    move_aside(data_file, target)
    log.warning("damaged data file moved aside to %s", target)
    return target, False


def restore_file(
    paths: DataPaths,
    backup_file: Path,
    *,
    now: datetime | None = None,
    actor_name: str = f"{APP_NAME} restore",
    lock: bool = True,
    key: bytes | None = None,
) -> RestoreResult:
    """Replace the data file with a backup; the app's connection must be closed first.

    1. The backup is verified (checksum, integrity_check, ExoDesk's, not newer).
    2. It is copied to ``exodesk.sqlite3.restoring`` beside the data file and verified again.
    3. The current data file is settled (its -wal folded in; this fails if another ExoDesk
       still has it open) and saved aside as ``backups/before-restore-<stamp>.sqlite3`` with a
       sidecar, so the restore can be undone by restoring that file. A damaged data file is
       moved aside unchanged instead.
    4. The copy is renamed over the data file (atomic), and an audit entry is added to it.

    A failure before step 4 leaves the data file as it was; nothing half-written is left.
    With ``lock`` (the default) the data file's advisory lock is held throughout, so the
    caller must have released its own (``Services.close()`` does).

    With ``key`` (an encrypted clinic) an encrypted backup opens with it, and a plain one
    (made before the clinic was encrypted) is encrypted with it on the way in, so the data
    file stays encrypted. Without ``key`` an encrypted backup is refused (``WrongKey``).

    Raises:
        StorageError: the backup cannot be used, the data file is in use, or the disk fails.
    """
    now = now or utc_now()
    record = verify_backup(backup_file, key=key)
    data_file = paths.data_file
    if not paths.folder.is_dir():
        raise StorageError(f"The data folder {paths.folder} does not exist.")
    staged = data_file.with_name(data_file.name + ".restoring")
    # Held while the file is swapped, so no ExoDesk starting meanwhile opens a file in flux.
    with DataFileLock(data_file, clock=lambda: now) if lock else contextlib.nullcontext():
        copy_file(record.path, staged, key=key)
        try:
            if key is not None and not is_encrypted(staged):
                encrypt_copy(staged, key)
            aside, verified = _save_aside(
                paths, now, key, key_checked=key is not None and is_encrypted(record.path)
            )
            install(staged, data_file)
        except BaseException:
            discard(staged)
            raise
        log.info("restored %s from %s; before-restore copy %s", data_file, record.path, aside)
        _audit_restore(data_file, record, aside, now=now, actor_name=actor_name, key=key)
    return RestoreResult(restored=record, saved_aside=aside, saved_aside_verified=verified)


def _audit_restore(
    data_file: Path,
    record: BackupRecord,
    aside: Path | None,
    *,
    now: datetime,
    actor_name: str,
    key: bytes | None = None,
) -> None:
    # actor_id stays empty: staff ids in the restored file need not match the ones before.
    entry = AuditEntry(
        at=now,
        actor_id=None,
        actor_name=actor_name,
        action="restore",
        table_name="data_file",
        record_id=None,
        patient_id=None,
        summary=f"Restored the backup of {record.when} ({record.path.name})",
        before=None,
        after={"backup": str(record.path), "saved_aside": str(aside) if aside else None},
    )
    try:
        db = open_database(data_file, key=file_key_or_none(data_file, key))
        try:
            with storage_errors(data_file):
                if schema_state(db).pending:
                    # An older file gets its audit columns only when ExoDesk next opens (and
                    # migrates) it; the log file keeps the record of this restore meanwhile.
                    log.info("restored file is at an older schema; restore not in its audit log")
                    return
                with db.atomic():
                    AuditRepository(db).append(entry)
        finally:
            db.close()
    except StorageError as exc:
        # The restore itself is complete; only its note in the audit log is missing.
        log.warning("restore done but not recorded in the audit log: %s", exc)


# ---- drills ------------------------------------------------------------------------------
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
    return DrillResult(record, problems, counts, time.perf_counter() - started)


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


# ---- export ------------------------------------------------------------------------------
# Excel would run text starting with these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_value(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    if isinstance(value, bytes):
        return f"({len(value):,} bytes: see the JSON file)"
    return value


def _json_value(value: Any) -> Any:
    return base64.b64encode(value).decode("ascii") if isinstance(value, bytes) else value


def export_data(
    db: Database, to_dir: Path, *, now: datetime, source: Path | None = None
) -> ExportResult:
    """Write every data table as CSV and JSON, with a README, into a new folder in ``to_dir``.

    The files are written into a hidden ``.partial`` folder that is renamed only when all
    are complete; on failure it is removed, so no partial export is left behind.

    Raises:
        UserError: ``to_dir`` does not exist.
        StorageError: the files could not be written.
    """
    to_dir = Path(to_dir)
    if not to_dir.is_dir():
        raise UserError(
            f"The folder {to_dir} does not exist, so nothing was exported.",
            advice="Choose an existing folder (is the USB stick or network drive connected?).",
        )
    name = f"exodesk-export-{now.astimezone(UTC):{_STAMP_FORMAT}}"
    final, n = to_dir / name, 2
    while final.exists():
        final, n = to_dir / f"{name}-{n}", n + 1
    work = to_dir / f".{final.name}{PARTIAL_SUFFIX}"
    conn = db.conn
    tables: dict[str, int] = {}
    columns: dict[str, list[tuple[str, str]]] = {}
    try:
        with copy_errors(to_dir, outcome="nothing was exported"):
            work.mkdir()
            with read_snapshot(conn):
                schema_version = schema_state(db).version
                for table in data_tables(conn):
                    everything = table_columns(conn, table)
                    tables[table] = _export_table(conn, table, everything, work)
                    columns[table] = _public(table, everything)
            readme = export_readme(
                tables, columns, now=now, source=source, schema_version=schema_version
            )
            (work / "README.txt").write_text(readme, encoding="utf-8-sig", newline="\r\n")
            for path in work.iterdir():
                fsync_file(path)
            fsync_folder(work)
            os.replace(work, final)
            fsync_folder(to_dir)
    except BaseException:
        # Best effort on a failure path (the drive may be gone): the folder name starts with a
        # dot and ends in .partial, so a leftover is never taken for an export.
        shutil.rmtree(work, ignore_errors=True)
        raise
    return ExportResult(final, tables)


SECRET_COLUMNS = frozenset({("staff", "password_hash")})
"""Never exported: a password hash is a secret even though nobody can read the password."""


def _public(table: str, cols: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [c for c in cols if (table, c[0]) not in SECRET_COLUMNS]


def _export_table(conn: Any, table: str, cols: list[tuple[str, str]], work: Path) -> int:
    names = [c for c, _ in cols]
    public = [i for i, (name, _) in enumerate(cols) if (table, name) not in SECRET_COLUMNS]
    in_csv = [i for i in public if "BLOB" not in cols[i][1].upper()]
    rows = 0
    with (
        (work / f"{table}.csv").open("w", encoding="utf-8-sig", newline="") as csv_file,
        (work / f"{table}.json").open("w", encoding="utf-8") as json_file,
    ):
        writer = csv.writer(csv_file)
        writer.writerow([names[i] for i in in_csv])
        json_file.write("[")
        for row in table_rows(conn, table):
            writer.writerow([_csv_value(row[i]) for i in in_csv])
            item = {names[i]: _json_value(row[i]) for i in public}
            json_file.write(("," if rows else "") + "\n  " + json.dumps(item, ensure_ascii=False))
            rows += 1
        json_file.write("\n]\n" if rows else "]\n")
    return rows


_COMMON_COLUMNS = {
    "id": "the record's number inside ExoDesk; other tables refer to it by this number",
    "patient_id": "the patient (a number from the patients table)",
    "session_id": "the treatment session (a number from the sessions table)",
    "screening_id": "the screening (a number from the screenings table)",
    "created_at": "when the record was created (date and time, with the offset from UTC)",
    "created_by": "who created it (a number from the staff table)",
    "recorded_at": "when it was recorded (date and time, with the offset from UTC)",
    "recorded_by": "who recorded it (a number from the staff table)",
    "updated_at": "when it was last changed",
    "updated_by": "who last changed it (a number from the staff table)",
    "version": "1 for the first version, one higher after each change",
    "notes": "free-text notes",
    "series_id": "the first version's number: all versions of one record share it",
    "supersedes": "the number of the earlier version this one replaces",
    "treatment": "the treatment (for example exosome_face, prp_scalp, microneedling)",
    "treatment_id": "the treatment this line is about",
    "indication": "what the treatment is for",
    "interval_min_days": "the shortest planned gap between sessions, in days",
    "interval_max_days": "the longest planned gap between sessions, in days",
    "maintenance_min_months": "the shortest gap before a maintenance session, in months",
    "maintenance_max_months": "the longest gap before a maintenance session, in months",
    "active": "1 if it is in use, 0 if it has been retired",
}

# table -> (what a row is, {column: plain words}); columns not named use _COMMON_COLUMNS.
TABLE_GUIDE: dict[str, tuple[str, dict[str, str]]] = {
    "patients": (
        "The clinic's patients, one row per person.",
        {
            "family_name": "family name (surname)",
            "given_names": "given (first) names",
            "date_of_birth": "date of birth (YYYY-MM-DD)",
            "sex": "sex as recorded",
            "phone": "phone number",
            "email": "email address",
            "address": "postal address",
            "emergency_contact": "who to call in an emergency, and their number",
            "gp": "the patient's family doctor (GP)",
            "alerts": "warnings every member of staff should see (allergies, needs)",
            "status": "active, inactive, or merged (a duplicate folded into another record)",
            "status_reason": "why the status was changed",
            "merged_into": "for a merged duplicate: the patient it was merged into",
            "sort_key": "the name simplified for sorting (made by ExoDesk)",
            "search_names": "the names simplified for searching (made by ExoDesk)",
            "search_phone": "the phone digits for searching (made by ExoDesk)",
        },
    ),
    "staff": (
        "The people who use ExoDesk.",
        {
            "name": "name as shown in ExoDesk",
            "role": "reception or practitioner",
            "is_admin": "1 if they also run the clinic (settings, accounts, backups), else 0",
            "failed_attempts": "wrong passwords in a row since their last sign-in",
            "locked_until": "when a wait after five wrong passwords ends (empty: none)",
            "password_changed_at": "when their password was last set",
            "must_change_password": "1 if they must replace a temporary password at sign-in",
            "active": "1 if on the active staff list, 0 if they have left",
        },
    ),
    "settings": (
        "The clinic's own details and preferences (name, address, phone, paper size, …).",
        {"key": "which setting", "value": "its value, written as JSON"},
    ),
    "audit_log": (
        "Every change anyone made, oldest first. Nothing in it is ever changed or removed.",
        {
            "at": "when (date and time, with the offset from UTC)",
            "actor_id": "who (a number from the staff table; empty for automatic actions)",
            "actor_name": "who, by name as it was at that moment",
            "action": "what kind of change (create, update, sign_in, backup, export, …)",
            "table_name": "which table the change was in",
            "record_id": "which record in that table",
            "summary": "the change in words",
            "before": "the changed fields before the change (JSON)",
            "after": "the changed fields after the change (JSON)",
        },
    ),
    "screenings": (
        "Health screenings before treatment. An amendment is a new row; the version it "
        "replaces is kept and marked superseded.",
        {
            "superseded": "1 if a newer version replaced this one",
            "amend_reason": "why it was amended",
            "taken_on": "the date the answers were given",
            "taken_at": "when it was recorded",
            "taken_by": "who took it (a number from the staff table)",
            "date_of_birth": "the patient's date of birth when it was taken",
            "rule_table_version": "the version of the screening rules that judged it",
            "rule_overrides": "the clinic's own changes to those rules at the time (JSON)",
            "result": "the outcome for each treatment (JSON)",
        },
    ),
    "screening_answers": (
        "The answers given in each screening, one row per question.",
        {"item_id": "which question", "value": "the answer given"},
    ),
    "screening_verdicts": (
        "What the screening rules concluded for each treatment.",
        {"verdict": "the rules' conclusion", "until": "for a deferral: the date until which"},
    ),
    "screening_signoffs": (
        "A practitioner's decision on a screening that needed review.",
        {
            "decision": "cleared or not_cleared",
            "note": "the practitioner's note",
            "signed_by": "who decided (a number from the staff table)",
            "signed_at": "when",
        },
    ),
    "screening_overrides": (
        "Where staff set a treatment's verdict by hand instead of the rules', and why.",
        {
            "verdict": "the verdict set by hand",
            "reason": "why",
            "overridden_by": "who (a number from the staff table)",
            "overridden_at": "when",
        },
    ),
    "consent_texts": (
        "The wording of the consent form; every edit is a new version.",
        {"text": "the wording"},
    ),
    "consents": (
        "Consents patients signed.",
        {
            "consent_text_id": "the wording they signed (a number from consent_texts)",
            "signed_name": "the name signed",
            "signed_on": "the date signed",
            "signature_png": "the signature picture (PNG): base64 text in the JSON file, "
            "left out of the CSV file",
        },
    ),
    "products": (
        "Products used in treatments (exosome products, PRP kits, …).",
        {
            "name": "product name",
            "manufacturer": "who makes it",
            "kind": "what kind of product it is",
            "source": "where its active material comes from (for example plant or human)",
            "intended_use": "how the maker says it may be used",
        },
    ),
    "lots": (
        "Batches (lots) of products received, so a recall can find every patient treated.",
        {
            "product_id": "the product (a number from the products table)",
            "lot_number": "the lot number as printed on the pack",
            "lot_key": "the lot number simplified for searching (made by ExoDesk)",
            "expiry": "expiry date",
            "received_on": "the date it arrived",
            "storage": "how it must be stored",
            "lab_reports": "references to its laboratory reports",
        },
    ),
    "protocol_templates": (
        "Standard treatment plans: how many sessions and how far apart.",
        {
            "key": "the plan's short name",
            "label": "the plan's name as shown",
            "sessions_min": "the fewest sessions in the plan",
            "sessions_max": "the most sessions in the plan",
        },
    ),
    "courses": (
        "A patient's planned course of treatment.",
        {
            "planned_sessions": "how many sessions are planned",
            "started_on": "the date the course started",
            "template_key": "the standard plan it started from, if any",
            "status": "active, completed or stopped",
        },
    ),
    "sessions": (
        "Treatment sessions. A correction is a new row; the version it replaces is kept "
        "(status amended, or entered_in_error if it should never have been recorded).",
        {
            "course_id": "the course it belongs to (a number from the courses table)",
            "status": "current, amended or entered_in_error",
            "status_reason": "why it was amended or marked as entered in error",
            "performed_at": "when the treatment was given",
            "practitioner_id": "who gave it (a number from the staff table)",
            "areas": "the areas treated",
            "delivery": "how the product was applied",
            "needle_depth_mm": "needle depth in millimetres",
            "anaesthetic": "the numbing cream or anaesthetic used",
            "anaesthetic_minutes": "how long it was left on, in minutes",
            "reactions": "reactions seen during or just after the session",
            "aftercare_issued": "1 if aftercare instructions were given",
            "prp": "for PRP: how the blood was prepared (JSON)",
            "screening_id": "the screening in force at the time",
            "gate_override_reason": "why the session went ahead despite the screening",
            "spacing_reason": "why it was sooner than the planned gap",
            "regulatory_confirmations": "regulatory notices the practitioner confirmed (JSON)",
        },
    ),
    "session_products": (
        "Which product lots were used in each session.",
        {
            "position": "the order within the session",
            "lot_id": "the lot used (a number from the lots table)",
            "volume_ml": "the amount used, in millilitres",
        },
    ),
    "adverse_events": (
        "Reactions and complications after a session, and what was done about them.",
        {
            "type": "what happened",
            "onset_date": "the date it started",
            "severity": "how serious it was",
            "description": "what happened, in words",
            "action_taken": "what was done",
            "outcome": "how it ended (or that it is ongoing)",
            "resolution_date": "the date it resolved",
            "reported_to_supplier": "1 if reported to the product's supplier",
            "reported_to_regulator": "1 if reported to the regulator",
            "regulator_reference": "the regulator's reference number",
        },
    ),
    "editable_texts": (
        "The clinic's own wording (aftercare sheets, comparison texts). Every edit is a new "
        "version; the newest one is in use.",
        {
            "kind": "what the text is for",
            "key": "which text of that kind",
            "body": "the wording",
            "is_default": "1 if it is ExoDesk's own wording, 0 if the clinic wrote it",
        },
    ),
    "stored_images": (
        "Pictures used in documents (the clinic's logo, signatures), each stored once.",
        {
            "sha256": "the picture's checksum, which is also its name",
            "png": "the picture (PNG): base64 text in the JSON file, left out of the CSV file",
        },
    ),
    "documents_issued": (
        "Every document printed or saved for a patient, so a reprint is exactly the same.",
        {
            "kind": "aftercare, comparison or screening",
            "template": "which document",
            "template_version": "the version of its wording",
            "payload": "everything the document was made from (JSON)",
            "sha256": "the checksum of the document produced",
            "how": "printed or saved, and where",
            "issued_at": "when",
            "issued_by": "who (a number from the staff table)",
        },
    ),
    "_sqlite_migrations": (
        "Which updates of the file's layout (schema) have been applied, and when.",
        {
            "migration_set": "always exodesk",
            "name": "the update's name",
            "applied_at": "when it was applied",
        },
    ),
}


def _type_words(declared: str) -> str:
    kind = declared.upper()
    if "INT" in kind:
        return "a whole number"
    if "REAL" in kind or "FLOA" in kind or "DOUB" in kind:
        return "a number"
    if "BLOB" in kind:
        return "binary data: base64 text in the JSON file, left out of the CSV file"
    return "text" if "CHAR" in kind or "TEXT" in kind else "a value"


def export_readme(
    tables: Mapping[str, int],
    columns: Mapping[str, Iterable[tuple[str, str]]],
    *,
    now: datetime,
    source: Path | None,
    schema_version: int,
) -> str:
    """The README.txt of an export: how the files work, then each table's columns in words."""
    lines = [
        f"{APP_NAME} export — made {when_words(now)} by {APP_NAME} {__version__}",
        f"From: {source or 'the data file'} (schema version {schema_version})",
        "",
        "Each table is saved twice:",
        "  NAME.csv   opens in Excel or any spreadsheet (UTF-8, one header row).",
        "  NAME.json  the exact values, for other programs (a list of records).",
        "Dates are written YYYY-MM-DD; times as ISO 8601 with the offset from UTC.",
        "Pictures (PNG) are only in the JSON files, as base64 text; the CSV files leave them out.",
        "In the CSV files, text that begins with = + - or @ has a ' in front, so a spreadsheet",
        "shows it instead of running it as a formula; the JSON files hold the exact text.",
        "",
        "Tables",
        "======",
    ]
    for table in sorted(tables):
        what, words = TABLE_GUIDE.get(
            table,
            (
                f"A table this version of {APP_NAME} does not describe; "
                "its column names say what each holds.",
                {},
            ),
        )
        lines += ["", f"{table} ({tables[table]:,} rows): {what}"]
        for name, declared in columns.get(table, ()):
            plain = words.get(name) or _COMMON_COLUMNS.get(name) or _type_words(declared)
            lines.append(f"  {name}: {plain}")
    return "\n".join(lines) + "\n"


# ---- the service -------------------------------------------------------------------------
class BackupService:
    """Backups of the open data file, automatic and by hand, plus restore, drill and export.

    Args:
        ctx: The open data file's context (its connection is used on its own thread only).
        paths: The data folder's locations (``paths.backups`` is the default folder).
        actor_name: Who the audit log names when nobody is signed in at the desk (automatic
            backups at start or close, the command line).
        key: The data key, for opening encrypted backups (verify, restore, drill); default
            the key ``ctx``'s connection was opened with. Backups of an encrypted file are
            encrypted with it whatever is passed here.
    """

    def __init__(
        self,
        ctx: ServiceContext,
        paths: DataPaths,
        *,
        actor_name: str = f"{APP_NAME} (automatic)",
        key: bytes | None = None,
    ) -> None:
        self._ctx = ctx
        self.paths = paths
        self._actor_name = actor_name
        self._key = key if key is not None else connection_key(ctx.db.conn)

    @property
    def key(self) -> bytes | None:
        """The data key of an encrypted clinic (None: plain), for worker threads that open
        their own connection to the file or a backup."""
        return self._key

    # ---- making backups ------------------------------------------------------------------
    def ready(self) -> None:
        """Wait for the start-up check of the data file, if it is still running (call it on
        a worker before ``backup_data_file``: a backup never races the check, and a file the
        check found damaged is not copied).

        Raises:
            StorageError: the check found the file damaged (``DataFileDamaged``).
        """
        self._ctx.wait_for_check()

    def backup_now(
        self,
        target_dir: Path | None = None,
        *,
        reason: str = MANUAL,
        progress: Progress | None = None,
    ) -> BackupRecord:
        """Back up the open data file now, verified, with its sidecar, and audit it.

        Args:
            target_dir: An existing folder (a USB stick, say); default ``paths.backups``,
                which is created if missing.
            reason: One lowercase word that goes into the file name.
            progress: Called with (pages copied, pages in all).

        Raises:
            UserError: ``target_dir`` does not exist.
            StorageError: the copy could not be written or did not verify.
        """
        if reason not in (DAILY, CLOSE):  # the automatic ones are the app's duty: never refused
            self._ctx.require(BACKUPS_RUN)
        self.ready()
        folder = Path(target_dir) if target_dir is not None else self.paths.backups
        _check_folder(folder, create=target_dir is None)
        record = write_backup(
            self._ctx.db,
            folder,
            reason=reason,
            now=self._ctx.now(),
            progress=progress,
            source=self.paths.data_file,
        )
        self.record_backup(record)
        return record

    def now(self) -> datetime:
        """The service's clock (the app's, or a test's)."""
        return self._ctx.now()

    def record_backup(self, record: BackupRecord) -> None:
        """Write the audit entry for a backup (call on the main thread after a worker's)."""
        self._audit(
            "backup",
            f"Backup ({record.reason}) to {record.path}",
            {
                "file": str(record.path),
                "reason": record.reason,
                "size": record.size,
                "sha256": record.sha256,
                "verified": record.verified,
            },
        )

    def is_due(self, now: datetime | None = None) -> bool:
        """True if ``paths.backups`` holds no backup made today (the PC's calendar day)."""
        today = (now or self._ctx.now()).astimezone().date()
        return all(
            m.astimezone().date() != today for m in _rotated_backups(self.paths.backups).values()
        )

    def backup_if_due(self, now: datetime | None = None) -> BackupRecord | None:
        """The daily backup: made (and old ones rotated) if none was made today; else None."""
        now = now or self._ctx.now()
        if not self.is_due(now):
            return None
        record = self.backup_now(reason=DAILY)
        self.rotate(now)
        return record

    def changed_since_last_backup(self) -> bool:
        """False only if the newest backup in ``paths.backups`` still holds the same data.

        Cheap (a few counts): the same schema, no audit entry since the backup other than
        backups and exports, and the same row count in every other table (which also catches
        a change that bypassed the audit log by adding or removing rows).
        """
        newest = next(
            (r for r in list_backups(self.paths.backups, check=False) if r.verified), None
        )
        if newest is None or newest.audit_last_id is None:
            return True
        db = self._ctx.db
        with storage_errors(self.paths.data_file):
            if schema_state(db).version != newest.schema_version:
                return True
            tables = data_tables(db.conn)
            if set(tables) != set(newest.counts):
                return True
            if "audit_log" in tables:
                later = db.execute(
                    "SELECT count(*) FROM audit_log WHERE id > ? "
                    "AND action NOT IN ('backup', 'export')",
                    [newest.audit_last_id],
                ).fetchone()[0]
                if later:
                    return True
            for table in tables:
                if table == "audit_log":
                    continue
                rows = db.execute(f"SELECT count(*) FROM {quote(table)}").fetchone()[0]
                if rows != newest.counts[table]:
                    return True
        return False

    def backup_on_close(self) -> BackupRecord | None:
        """The backup made as the app closes, then rotation; None if nothing changed since
        the newest backup (opening ExoDesk to look something up adds no copy)."""
        if not self.changed_since_last_backup():
            return None
        record = self.backup_now(reason=CLOSE)
        self.rotate(self._ctx.now())
        return record

    def after_background_backup(self, record: BackupRecord) -> None:
        """For a backup a worker made into ``paths.backups``: audit it, then rotate."""
        self.record_backup(record)
        self.rotate(self._ctx.now())

    def rotate(self, now: datetime | None = None) -> list[Path]:
        """Delete timed backups in ``paths.backups`` that ``select_kept`` does not keep.

        Only ``exodesk-<stamp>-<reason>.sqlite3`` files (and their sidecars) in the default
        folder are considered: pre-migration and pre-restore copies are kept, and backups
        made to any other folder are never touched. Leftover ``.partial`` files older than a
        day (a copy cut off by a crash or power cut) are removed too.

        Returns:
            The backup files deleted.
        """
        now = now or self._ctx.now()
        found = _rotated_backups(self.paths.backups)
        kept = select_kept(found, now)
        removed = sorted(set(found) - kept)
        with storage_errors(self.paths.backups):
            for path in removed:
                path.unlink(missing_ok=True)
                sidecar_of(path).unlink(missing_ok=True)
            if self.paths.backups.is_dir():
                for partial in self.paths.backups.glob(f"*{PARTIAL_SUFFIX}"):
                    age = now.timestamp() - partial.stat().st_mtime
                    if age > _STALE_PARTIAL.total_seconds():
                        partial.unlink(missing_ok=True)
        if removed:
            log.info("rotation removed %d old backup(s)", len(removed))
        return removed

    # ---- listing, restoring, drills, export ----------------------------------------------
    def list_backups(self, folder: Path | None = None) -> list[BackupRecord]:
        """Backups in ``folder`` (default ``paths.backups``), newest first, checksums checked."""
        return list_backups(folder or self.paths.backups)

    def verify(self, backup_file: Path) -> BackupRecord:
        """Check a backup can be restored, without changing anything (see verify_backup)."""
        return verify_backup(backup_file, key=self._key)

    def restore(self, backup_file: Path, *, lock: bool = True) -> RestoreResult:
        """Verify the backup, close this service's connection, and restore (``restore_file``).

        Afterwards this service's data file connection is closed: the caller reopens the data
        file (``open_services(paths)``) and rebuilds whatever used the old one. With ``lock``
        the advisory lock is taken for the swap, so release any held on the file first (the
        GUI's ``Services.close()`` closes the connection and releases it; then call
        ``restore_file`` directly).
        """
        self._ctx.require(BACKUPS_RESTORE)
        # A bad file is refused while the data file is still open.
        verify_backup(backup_file, key=self._key)
        now = self._ctx.now()
        actor = self._ctx.desk.user.name if self._ctx.desk.user else self._actor_name
        self._ctx.db.close()
        return restore_file(
            self.paths, backup_file, now=now, actor_name=actor, lock=lock, key=self._key
        )

    def drill(self) -> DrillResult:
        """Restore the newest backup in ``paths.backups`` to a scratch file and compare it."""
        self._ctx.require(BACKUPS_RUN)
        return drill_backups(self.paths.backups, key=self._key)

    def export(self, to_dir: Path) -> ExportResult:
        """Every data table as CSV and JSON with a README, in a new folder in ``to_dir``."""
        self._ctx.require(EXPORT_CLINIC)
        result = export_data(
            self._ctx.db, Path(to_dir), now=self._ctx.now(), source=self.paths.data_file
        )
        self._audit(
            "export",
            f"Exported {len(result.tables)} tables to {result.folder}",
            {"folder": str(result.folder), "rows": result.tables},
        )
        return result

    def _audit(self, action: str, summary: str, after: dict[str, Any]) -> None:
        # A backup must never be refused because nobody is at the desk (it runs at start, at
        # close and from the command line), so this does not use ctx.audit's desk.require().
        user = self._ctx.desk.user
        entry = AuditEntry(
            at=self._ctx.now(),
            actor_id=user.id if user else None,
            actor_name=user.name if user else self._actor_name,
            action=action,
            table_name="data_file",
            record_id=None,
            patient_id=None,
            summary=summary,
            before=None,
            after=after,
        )
        with self._ctx.write():
            AuditRepository(self._ctx.db).append(entry)
