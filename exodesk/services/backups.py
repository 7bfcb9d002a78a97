"""Backups as use cases: back up now, daily and on closing, restore, drills and export.

This module checks permissions and writes the audit entries; the file work is in storage:
``exodesk.storage.backup_files`` (names, sidecars, listing, rotation, writing a backup),
``exodesk.storage.restore`` (checking a backup, putting it in place, drills) and
``exodesk.storage.export`` (the whole-clinic export). Their public names are re-exported here
for the ui layer, which never imports storage.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from exodesk import APP_NAME
from exodesk.domain.accounts import BACKUPS_RESTORE, BACKUPS_RUN, EXPORT_CLINIC
from exodesk.domain.audit import AuditEntry
from exodesk.domain.plurals import plural
from exodesk.errors import StorageError, UserError
from exodesk.paths import DataPaths
from exodesk.services.context import ServiceContext, utc_now
from exodesk.services.rekey import old_backup_amend, require_current_key
from exodesk.storage.audit import AuditRepository
from exodesk.storage.backup import Progress
from exodesk.storage.backup_files import (
    CLOSE,
    DAILY,
    MANUAL,
    BackupRecord,
    backup_data_file,
    check_folder,
    format_size,
    list_backups,
    prune_backups,
    read_record,
    rotated_backups,
    write_backup,
)
from exodesk.storage.data_file import DataFileRepository
from exodesk.storage.database import open_database, storage_errors
from exodesk.storage.engine import connection_key
from exodesk.storage.export import ExportResult, export_data
from exodesk.storage.lock import DataFileLock
from exodesk.storage.migrations import schema_state
from exodesk.storage.restore import (
    OTHER_KEY_LABEL,
    DrillResult,
    clear_restore_pending,
    drill_backups,
    file_key_or_none,
    replace_data_file,
    restore_backup_photos,
    verify_backup,
)

# What the ui layer (which never imports storage), the command line and the other services
# use: this module's own names and the storage names they need.
__all__ = [
    "CLOSE",
    "DAILY",
    "MANUAL",
    "BackupRecord",
    "BackupService",
    "BackupStopped",
    "DrillResult",
    "RestoreResult",
    "backup_data_file",
    "drill_backups",
    "format_size",
    "list_backups",
    "restore_file",
    "verify_backup",
]

if TYPE_CHECKING:
    from sqlite_utils import Database

log = logging.getLogger(__name__)

AUTOMATIC = (DAILY, CLOSE)
"""The backups the app makes by itself, into the clinic's own backup folder only."""

# Audit entries made since a backup that do not change what it holds.
_NOT_CHANGES = ("backup", "export")


class BackupStopped(UserError):
    """The person stopped a backup before it finished; nothing was kept."""

    def __init__(self) -> None:
        super().__init__("The backup was stopped before it finished; no file was kept.")


@dataclass(frozen=True)
class RestoreResult:
    """What a restore did: the backup now in use and where the data before it was kept."""

    restored: BackupRecord
    saved_aside: Path | None
    saved_aside_verified: bool
    photos_restored: int = 0
    """Photos brought back into the data folder (those it already had stay as they were)."""
    photos_not_restored: int = 0
    """Photos the restored records name that neither the data folder nor the backup's
    ``photos`` folder could give back whole."""
    photos_error: str = ""
    """Why no photo was brought back (say, the disk is full); empty if they were."""

    def message(self) -> str:
        text = f"Restored the backup of {self.restored.when}."
        if self.photos_error:
            text += (
                f" Its photos were not brought back: {self.photos_error} Once that is fixed, "
                "restore the same backup again to bring them back."
            )
        if self.photos_not_restored:
            n = self.photos_not_restored
            text += (
                f" {n:,} of its photos could not be brought back (missing or damaged in the "
                f"backup's photos folder); the records that name {'it' if n == 1 else 'them'} "
                "are restored."
            )
        if self.saved_aside is None:
            return text + " There was no data file before it."
        if self.saved_aside_verified:
            return text + f" The data as it was before is saved as {self.saved_aside}."
        if OTHER_KEY_LABEL in self.saved_aside.name:
            return text + (
                " The data file before it does not open with this backup's key: it looks "
                "like a sound file encrypted with another key (such as a new clinic set up "
                f"meanwhile), not a damaged one. It was kept exactly as it was, as "
                f"{self.saved_aside}."
            )
        return (
            text + f" The data file before it was damaged; it was kept exactly as it was, as "
            f"{self.saved_aside}."
        )


# ---- restoring (the data file closed) ----------------------------------------------------
def restore_file(
    paths: DataPaths,
    backup_file: Path,
    *,
    now: datetime | None = None,
    actor_name: str = f"{APP_NAME} restore",
    lock: bool = True,
    key: bytes | None = None,
    backup_key: bytes | None = None,
    admin_key: bytes | None = None,
) -> RestoreResult:
    """Replace the data file with a backup; the app's connection must be closed first.

    1. The backup is verified (checksum, integrity_check, ExoDesk's, not newer).
    2. It is copied to ``exodesk.sqlite3.restoring`` beside the data file and verified again.
    3. The current data file is settled (its -wal folded in; this fails if another ExoDesk
       still has it open) and saved aside as ``backups/before-restore-<stamp>.sqlite3`` with a
       sidecar, so the restore can be undone by restoring that file. A damaged data file is
       moved aside unchanged instead.
    4. The copy is renamed over the data file (atomic), and an audit entry is added to it.
    5. The photos the restored file names that the data folder lacks are brought back from
       the backup folder's ``photos`` (decrypted, checked, re-encrypted with the clinic's key).

    A failure before step 4 leaves the data file as it was; nothing half-written is left.
    With ``lock`` (the default) the data file's advisory lock is held throughout, so the
    caller must have released its own (``Services.close()`` does).

    With ``key`` (an encrypted clinic) an encrypted backup opens with it, and a plain one
    (made before the clinic was encrypted) is encrypted with it on the way in, so the data
    file stays encrypted. Without ``key`` an encrypted backup is refused (``WrongKey``).

    A backup made before the clinic's keys were changed needs ``backup_key`` (from the older
    recovery key, ``exodesk.services.rekey.old_backup_key``): without it, it is refused with
    ``OldKeyNeeded`` (a plain sentence); with it, it is re-encrypted with ``key`` on the way
    in, so the clinic stays under its current key; with ``admin_key`` (the current one, in
    hand) its genuine seals are sealed again under it (``old_backup_amend``).

    Raises:
        StorageError: the backup cannot be used, the data file is in use, or the disk fails.
    """
    now = now or utc_now()
    if backup_key is None:
        require_current_key(read_record(Path(backup_file), check=False), paths, key)
    record = verify_backup(backup_file, key=backup_key if backup_key is not None else key)
    data_file = paths.data_file
    if not paths.folder.is_dir():
        raise StorageError(f"The data folder {paths.folder} does not exist.")
    # Held while the file is swapped, so no ExoDesk starting meanwhile opens a file in flux.
    with DataFileLock(data_file, clock=lambda: now) if lock else contextlib.nullcontext():
        note = _restore_note(record, now=now, actor_name=actor_name)
        aside, verified = replace_data_file(
            paths,
            record,
            now=now,
            key=key,
            note=note,
            backup_key=backup_key,
            amend=old_backup_amend(paths, backup_key, admin_key)
            if backup_key is not None
            else None,
        )
        _audit_restore(data_file, record, aside, now=now, actor_name=actor_name, key=key)
        clear_restore_pending(paths)
        # Last: the records are back whatever happens to the photos (which can be restored
        # again from the same backup: only the missing ones are copied).
        try:
            photos = restore_backup_photos(paths, record, key)
        except StorageError as exc:
            log.warning("restore done but its photos not brought back: %s", exc)
            return RestoreResult(record, aside, verified, photos_error=exc.message)
    return RestoreResult(
        restored=record,
        saved_aside=aside,
        saved_aside_verified=verified,
        photos_restored=photos.restored,
        photos_not_restored=len(photos.problems),
    )


def _restore_summary(record: BackupRecord) -> str:
    return f"Restored the backup of {record.when} ({record.path.name})"


def _restore_note(record: BackupRecord, *, now: datetime, actor_name: str) -> dict[str, Any]:
    """What the restore's audit entry says, kept beside the data file until it is written."""
    return {
        "at": now.isoformat(),
        "actor_name": actor_name,
        "summary": _restore_summary(record),
        "backup": str(record.path),
    }


def _restore_entry(
    at: datetime, actor_name: str, summary: str, backup: str, aside: Path | None
) -> AuditEntry:
    """The audit entry of a restore. actor_id stays empty: staff ids in the restored file need
    not match the ones before."""
    return AuditEntry(
        at=at,
        actor_id=None,
        actor_name=actor_name,
        action="restore",
        table_name="data_file",
        record_id=None,
        patient_id=None,
        summary=summary,
        before=None,
        after={"backup": backup, "saved_aside": str(aside) if aside else None},
    )


def record_interrupted_restore(db: Database, note: Mapping[str, Any]) -> None:
    """Write the audit entry of a restore that was stopped right after its swap (at the next
    start, the file open and up to date)."""
    entry = _restore_entry(
        datetime.fromisoformat(str(note["at"])),
        str(note["actor_name"]),
        f"{note['summary']} (noted at the next start: ExoDesk was stopped before it could "
        "record the restore)",
        str(note["backup"]),
        None,
    )
    with db.atomic():
        AuditRepository(db).append(entry)


def _audit_restore(
    data_file: Path,
    record: BackupRecord,
    aside: Path | None,
    *,
    now: datetime,
    actor_name: str,
    key: bytes | None = None,
) -> None:
    entry = _restore_entry(now, actor_name, _restore_summary(record), str(record.path), aside)
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
        # The automatic ones (daily, on closing) are the app's duty, never refused, and go to
        # the clinic's own backup folder only: copying the clinic anywhere else is a person's
        # choice and needs the permission, whatever the reason says.
        if not (reason in AUTOMATIC and target_dir is None):
            self._ctx.require(BACKUPS_RUN)
        self.ready()
        folder = Path(target_dir) if target_dir is not None else self.paths.backups
        check_folder(folder, create=target_dir is None)
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

    def _own_automatic(self, record: BackupRecord) -> bool:
        """An automatic backup written into the clinic's own backup folder."""
        try:
            return record.reason in AUTOMATIC and (
                record.path.parent.resolve() == self.paths.backups.resolve()
            )
        except OSError:
            return False

    def record_backup(self, record: BackupRecord) -> None:
        """Write the audit entry for a backup a worker made (call on the main thread).

        Only a backup that exists is recorded: the trail must not show copies that were never
        made. Recording anything but an automatic backup in the clinic's own folder needs the
        permission to run backups, as making it did.

        Raises:
            PermissionRefused: a manual or outside backup, by someone who may not run backups.
            UserError: the backup file is not there.
        """
        if not self._own_automatic(record):
            self._ctx.require(BACKUPS_RUN)
        if not record.path.is_file():
            raise UserError(
                f"There is no backup at {record.path}, so none was recorded.",
                advice="Make the backup again from Tools → Back up now.",
            )
        self._record_backup(record)

    def _record_backup(self, record: BackupRecord) -> None:
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
            m.astimezone().date() != today for m in rotated_backups(self.paths.backups).values()
        )

    def backup_if_due(self, now: datetime | None = None) -> BackupRecord | None:
        """The daily backup: made (and old ones rotated) if none was made today; else None."""
        now = now or self._ctx.now()
        if not self.is_due(now):
            return None
        record = self.backup_now(reason=DAILY)
        self._rotate(now)
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
        files = DataFileRepository(self._ctx.db)
        with storage_errors(self.paths.data_file):
            if files.schema_version() != newest.schema_version:
                return True
            tables = files.tables()
            if set(tables) != set(newest.counts):
                return True
            if files.audit_entries_after(newest.audit_last_id, besides=_NOT_CHANGES):
                return True
            return any(
                files.row_count(table) != newest.counts[table]
                for table in tables
                if table != "audit_log"
            )

    def backup_on_close(self) -> BackupRecord | None:
        """The backup made as the app closes, then rotation; None if nothing changed since
        the newest backup (opening ExoDesk to look something up adds no copy)."""
        if not self.changed_since_last_backup():
            return None
        record = self.backup_now(reason=CLOSE)
        self._rotate(self._ctx.now())
        return record

    def after_background_backup(self, record: BackupRecord) -> None:
        """For a backup a worker made into ``paths.backups``: audit it, then rotate."""
        self.record_backup(record)
        self._rotate(self._ctx.now())

    def rotate(self, now: datetime | None = None) -> list[Path]:
        """Delete timed backups in ``paths.backups`` that ``select_kept`` does not keep.

        Only ``exodesk-<stamp>-<reason>.sqlite3`` files (and their sidecars) in the default
        folder are considered: pre-migration and pre-restore copies are kept, and backups
        made to any other folder are never touched. Leftover ``.partial`` files older than a
        day (a copy cut off by a crash or power cut) are removed too.

        Deleting backups is an admin's choice when a person asks for it (the automatic
        backups rotate as part of the app's duty).

        Returns:
            The backup files deleted.

        Raises:
            PermissionRefused: the person at the desk may not run backups.
        """
        self._ctx.require(BACKUPS_RUN)
        return self._rotate(now)

    def _rotate(self, now: datetime | None = None) -> list[Path]:
        removed = prune_backups(self.paths.backups, now or self._ctx.now())
        if removed:
            log.info("rotation removed %s", plural(len(removed), "old backup"))
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
            AuditRepository(self._ctx.db, signer=self._ctx.signer).append(entry)
