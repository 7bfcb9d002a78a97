"""The backups folder: file names, sidecars, what each backup holds, listing and rotation.

A backup is ``exodesk-<UTC stamp>-<reason>.sqlite3`` with a JSON sidecar beside it that records
its checksums and row counts; everything here is file work (and the copy itself, through
``exodesk.storage.backup``). The audit entries and permission checks are the service's
(``exodesk.services.backups``).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from exodesk import APP_NAME, __version__
from exodesk.domain.dates import format_long
from exodesk.domain.plurals import plural
from exodesk.errors import UserError
from exodesk.storage.anchors import BACKUP, Anchor, record_anchor
from exodesk.storage.backup import (
    DIGEST_METHOD,
    PARTIAL_SUFFIX,
    CopyFacts,
    Progress,
    copy_database,
    copy_errors,
    discard,
    sha256_file,
    write_atomically,
)
from exodesk.storage.data_file import DataFileRepository
from exodesk.storage.database import open_database, storage_errors
from exodesk.storage.engine import connection_key
from exodesk.storage.keys import key_id
from exodesk.storage.migrations import schema_state
from exodesk.storage.photo_backup import PhotoCopy, backup_photos, refs_of_file
from exodesk.storage.photo_store import PHOTOS_FOLDER, FolderPhotoStore, photos_folder

log = logging.getLogger(__name__)

SIDECAR_FORMAT = 1
MANUAL, DAILY, CLOSE = "manual", "daily", "close"
BEFORE_RESTORE = "before-restore"
BEFORE_MIGRATION = "before-migration"
KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY = 7, 4, 12
STAMP_FORMAT = "%Y%m%d-%H%M%S"
# exodesk-20261122-100000-daily.sqlite3 (the stamp is UTC, so names sort by time across DST
# changes, as the pre-migration backups already do); "-2" and up only when a name is taken.
_ROTATED = re.compile(r"^exodesk-(\d{8}-\d{6})-([a-z][a-z0-9]*)(?:-\d+)?\.sqlite3$")
_ANY_STAMP = re.compile(r"(\d{8}-\d{6})")
_REASON = re.compile(r"^[a-z][a-z0-9]*$")
# A .partial younger than this may belong to a backup still being written on another thread.
# A running backup writes its copy continuously; one untouched this long was cut off.
_STALE_PARTIAL = timedelta(minutes=10)

REASON_WORDS = {
    MANUAL: "Made by hand",
    DAILY: "Daily (automatic)",
    CLOSE: "On closing (automatic)",
    BEFORE_MIGRATION: "Before an update of ExoDesk",
    BEFORE_RESTORE: "Before a restore",
}

# Why a listed backup is not verified (BackupRecord.problem).
NO_RECORD = "there is no record of it being checked"
UNREADABLE_RECORD = "its record file cannot be read"
CHANGED = "the file has changed since it was made"
UNREADABLE = "the file cannot be read"


# ---- a backup as listed ------------------------------------------------------------------
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
    audit_last_hash: str = ""  # with audit_last_id, an anchor of the chain (storage.anchors)
    checksum_method: str = ""
    warning: str = ""  # said after the backup: it holds fewer records than the one before
    photo_refs: int | None = None  # photos its copy of the data file needs (None: not said)
    photo_refs_sha256: str = ""  # exodesk.storage.photo_backup.refs_digest of their refs
    photos_missing: int = 0  # photos that could not be backed up (damaged in the data folder)
    photos_copied: int = 0  # blobs this backup added to the folder's photos (just made)
    photo_bytes_copied: int = 0
    key_id: str | None = None
    """The public fingerprint of the data key an encrypted backup was made with (None: plain,
    or made before sidecars said): after a re-key, tells the backups under an old key."""
    old_key: str = ""
    """Said when the backup was made under a key since retired: "opens with the old recovery
    key (before …)" (``exodesk.services.rekey.mark_old_keys``)."""

    @property
    def when(self) -> str:
        return when_words(self.created_at)

    @property
    def reason_words(self) -> str:
        return REASON_WORDS.get(self.reason, self.reason.replace("-", " ").capitalize())

    @property
    def verified_words(self) -> str:
        words = "✓ Verified" if self.verified else f"✗ Not verified: {self.problem}"
        return f"{words}; {self.old_key}" if self.old_key else words

    def count_words(self) -> str:
        """``1,204 patients, 5,310 sessions`` (the tables this file has)."""
        parts = [f"{self.counts[t]:,} {t}" for t in ("patients", "sessions") if t in self.counts]
        return ", ".join(parts)

    @property
    def holds_a_clinic(self) -> bool:
        """False when the sidecar says the copy has no staff list to sign in with (a copy
        of an emptied or hollow data file: restoring it would bring back nobody)."""
        return not self.counts or self.counts.get("staff", 1) > 0

    def sentence(self) -> str:
        """What the user is told after a backup: one plain sentence (two with a warning)."""
        counts = self.count_words()
        said = (
            f"Backup saved and verified: {self.path} ({format_size(self.size)}"
            f"{', ' + counts if counts else ''})."
        )
        return f"{said} {self.warning}" if self.warning else said


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
        return datetime.strptime(match.group(1), STAMP_FORMAT).replace(tzinfo=UTC)
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


def rotated_backups(folder: Path) -> dict[Path, datetime]:
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


# Tables that only grow in a working clinic (records are amended, never deleted, and every
# change adds an audit entry): fewer of them in a newer backup means something went wrong.
GROWING_TABLES = ("patients", "screenings", "sessions", "audit_log")


def record_count(counts: Mapping[str, int]) -> int | None:
    """The records a backup holds by its sidecar's row counts; None when it does not say."""
    if not counts or not any(t in counts for t in GROWING_TABLES):
        return None
    return sum(counts.get(t, 0) for t in GROWING_TABLES)


def _holding_more(found: Mapping[Path, datetime], kept: set[Path]) -> set[Path]:
    """Backups rotation would delete that hold more records than a newer backup it keeps.

    Rotation never deletes a copy holding records to keep one holding fewer: if the data
    file was emptied or damaged, the copies made before are the ones that matter.
    """
    counts = {path: record_count(read_record(path, check=False).counts) for path in found}
    protected: set[Path] = set()
    for path in set(found) - kept:
        mine = counts[path]
        if mine is None:
            continue
        newer = [counts[k] for k in kept if found[k] > found[path] and counts[k] is not None]
        if newer and mine > min(c for c in newer if c is not None):
            protected.add(path)
    return protected


def fewer_records_warning(record: BackupRecord, before: BackupRecord | None) -> str:
    """A sentence when ``record`` holds fewer records than ``before`` (the newest backup made
    earlier in the same folder); empty otherwise."""
    if before is None:
        return ""
    mine, theirs = record_count(record.counts), record_count(before.counts)
    if mine is None or theirs is None or mine >= theirs:
        return ""
    log.warning("backup %s holds %d records, %s held %d", record.path, mine, before.path, theirs)
    return (
        f"It holds fewer records than the backup before it ({mine:,} against {theirs:,}, "
        f"{when_words(before.created_at)}), so both are kept. If nothing was meant to go, "
        "ask an admin to look at the data file and restore the earlier backup if need be."
    )


def prune_backups(folder: Path, now: datetime) -> list[Path]:
    """Delete the timed backups in ``folder`` that ``select_kept`` does not keep.

    Only ``exodesk-<stamp>-<reason>.sqlite3`` files (and their sidecars) are considered:
    pre-migration and pre-restore copies are kept. Leftover ``.partial`` files older than a
    day (a copy cut off by a crash or power cut) are removed too.

    Returns:
        The backup files deleted.
    """
    found = rotated_backups(folder)
    kept = select_kept(found, now)
    kept |= _holding_more(found, kept)
    removed = sorted(set(found) - kept)
    with storage_errors(folder):
        for path in removed:
            path.unlink(missing_ok=True)
            sidecar_of(path).unlink(missing_ok=True)
    discard_stale_partials(folder, now)
    return removed


def discard_stale_partials(folder: Path, now: datetime) -> list[Path]:
    """Remove what a backup cut off by a crash, a kill or a power cut left in ``folder``: its
    ``.partial`` copy and SQLite's ``.partial-journal`` beside it, once nothing has written
    to them for a while (a backup still running writes to its copy all the time).

    Returns:
        The files removed.
    """
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    with storage_errors(folder):
        # A photo copy cut off the same way leaves
        # ``photos/<key id>/ab/<ref>.blob.<random>.partial``.
        photos = folder.glob(f"{PHOTOS_FOLDER}/*/*/*{PARTIAL_SUFFIX}")
        for leftover in [*folder.glob(f"*{PARTIAL_SUFFIX}*"), *photos]:
            if not (
                leftover.name.endswith(PARTIAL_SUFFIX) or f"{PARTIAL_SUFFIX}-" in leftover.name
            ):
                continue
            try:
                age = now.timestamp() - leftover.stat().st_mtime
            except FileNotFoundError:
                continue
            if age > _STALE_PARTIAL.total_seconds():
                leftover.unlink(missing_ok=True)
                removed.append(leftover)
    if removed:
        log.warning("removed %s left by an interrupted backup", plural(len(removed), "file"))
    return removed


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
            path, _stamp(path.name) or datetime.now(UTC), _reason(path.name), 0, problem=UNREADABLE
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
            audit_last_hash=str(meta.get("audit_last_hash") or ""),
            checksum_method=str(meta.get("table_checksum_method", "")),
            photo_refs=(int(meta["photo_refs"]) if meta.get("photo_refs") is not None else None),
            photo_refs_sha256=str(meta.get("photo_refs_sha256") or ""),
            photos_missing=int(meta.get("photos_missing") or 0),
            key_id=None if meta.get("key_id") is None else str(meta["key_id"]),
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
    facts: CopyFacts,
    *,
    now: datetime,
    reason: str,
    schema_version: int,
    source: Path | None,
    photos: PhotoCopy | None = None,
    data_key_id: str | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = (photos.sidecar() if photos is not None else {}) | {
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
        "audit_last_hash": facts.audit_last_hash,
    }
    if data_key_id is not None:
        # Public (a fingerprint, not the key): which recovery key opens this copy.
        meta["key_id"] = data_key_id
    return meta


def free_name(folder: Path, stem: str) -> Path:
    """``stem.sqlite3``, or ``stem-2.sqlite3`` and up if that name is taken."""
    path, n = folder / f"{stem}.sqlite3", 2
    while path.exists() or sidecar_of(path).exists():
        path, n = folder / f"{stem}-{n}.sqlite3", n + 1
    return path


def backup_name(folder: Path, now: datetime, reason: str) -> Path:
    """``exodesk-YYYYMMDD-HHMMSS-<reason>.sqlite3`` (UTC stamp), not yet taken in ``folder``."""
    if not _REASON.match(reason):
        raise ValueError(f"a backup reason is one lowercase word, not {reason!r}")
    return free_name(folder, f"exodesk-{now.astimezone(UTC):{STAMP_FORMAT}}-{reason}")


def check_folder(folder: Path, *, create: bool) -> None:
    """Make sure a backup can go into ``folder``: created if ``create``, else it must exist.

    Raises:
        UserError: ``folder`` does not exist (and ``create`` is false).
        StorageError: it could not be created.
    """
    if create:
        with copy_errors(folder):
            folder.mkdir(parents=True, exist_ok=True)
    elif not folder.is_dir():
        raise UserError(
            f"The folder {folder} does not exist, so no backup was made.",
            advice="Choose an existing folder (is the USB stick or network drive connected?).",
        )


# ---- writing a backup -------------------------------------------------------------------
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
        progress: Called with (pages copied, pages in all), then with (pages + photos
            done, pages + photos in all) while the photos are copied; raising stops it.
        target: The file name to use instead of ``exodesk-<stamp>-<reason>.sqlite3``.
        source: The data file's path, recorded in the sidecar.

    Raises:
        StorageError: the copy could not be written or did not verify.
    """
    with storage_errors(source):
        schema_version = schema_state(db).version
    data_key = connection_key(db.conn)
    data_key_id = key_id(data_key) if data_key is not None else None
    if data_key is not None:
        # The sidecar is plain text beside an encrypted copy: it says nothing the copy keeps
        # secret, such as where on which PC the clinic's data lives.
        source = None
    target = target or backup_name(folder, now, reason)
    before = next((r for r in list_backups(folder, check=False) if r.verified), None)
    sidecar = sidecar_of(target)
    written: list[CopyFacts] = []
    photos: list[PhotoCopy] = []
    key = data_key
    with storage_errors():
        data_file = DataFileRepository(db).path()
    store = FolderPhotoStore(photos_folder(data_file.parent), key) if data_file else None

    pages = [0]

    def page_progress(done: int, total: int) -> None:
        pages[0] = total
        if progress is not None:
            progress(done, total)

    def photo_progress(done: int, total: int) -> None:
        # After the pages, on the same count: what is done never goes back.
        if progress is not None:
            progress(pages[0] + done, pages[0] + total)

    def put_sidecar(facts: CopyFacts) -> None:
        # The photos the copy names (read from the copy itself, not the live file) go into
        # the backup folder before the sidecar and the rename: a listed backup has them all.
        partial = facts.path.with_name(facts.path.name + PARTIAL_SUFFIX)
        if store is not None:
            with storage_errors(partial):
                refs = refs_of_file(partial, key, fallback=store)
            photos.append(backup_photos(refs, store, folder, progress=photo_progress))
        meta = _sidecar(
            facts,
            now=now,
            reason=reason,
            schema_version=schema_version,
            source=source,
            photos=photos[0] if photos else None,
            data_key_id=data_key_id,
        )
        text = json.dumps(meta, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
        write_atomically(sidecar, text.encode("utf-8"))
        written.append(facts)

    try:
        copy_database(db.conn, target, progress=page_progress, before_rename=put_sidecar)
    except BaseException:
        if written:
            discard(sidecar)  # the copy itself failed after its sidecar went in
        raise
    _anchor(db, written[0], now=now)
    log.info("backup written: %s (%s)", target, reason)
    record = read_record(target, check=False)
    copy = photos[0] if photos else None
    warnings = [fewer_records_warning(record, before), copy.warning() if copy else ""]
    return replace(
        record,
        warning=" ".join(w for w in warnings if w),
        photos_copied=copy.copied if copy else 0,
        photo_bytes_copied=copy.bytes_copied if copy else 0,
    )


def _anchor(db: Database, facts: CopyFacts, *, now: datetime) -> None:
    # The chain's end as this copy holds it, in the anchors file beside the data file.
    anchor = Anchor(BACKUP, now, facts.audit_last_id, facts.audit_last_hash, facts.path)
    with storage_errors():
        data_file = DataFileRepository(db).path()
    record_anchor(data_file, anchor)


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
    check_folder(folder, create=create_folder)
    db = open_database(data_file, read_only=True, key=key)
    try:
        return write_backup(
            db,
            folder,
            reason=reason,
            now=now or datetime.now(UTC),
            progress=progress,
            target=target,
            source=data_file,
        )
    finally:
        db.close()
