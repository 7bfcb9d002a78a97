"""Opening a clinic's data folder: the file, its migrations, and the services over it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from exodesk.errors import StorageError
from exodesk.paths import DataPaths
from exodesk.services.accounts import AccountService
from exodesk.services.allergies import AllergyService
from exodesk.services.backups import record_interrupted_restore
from exodesk.services.catalogue import CatalogueService
from exodesk.services.clinic import ClinicService
from exodesk.services.context import Desk, ServiceContext, utc_now
from exodesk.services.courses import CourseService
from exodesk.services.encryption import ClinicKeys, ClinicSecret
from exodesk.services.events import EventService
from exodesk.services.patients import PatientService
from exodesk.services.recall import RecallService
from exodesk.services.screening import ScreeningService
from exodesk.services.sessions import SessionService
from exodesk.services.startup_check import StartupCheck, refresh_statistics
from exodesk.services.timeline import TimelineService
from exodesk.storage.backup_files import discard_stale_partials
from exodesk.storage.database import (
    NETWORK_WARNING,
    DataFileDamaged,
    integrity_report,
    network_filesystem,
    open_database,
    quick_check,
    refuse_read_only,
    storage_errors,
)
from exodesk.storage.lock import AlreadyOpenError, DataFileLock
from exodesk.storage.migrations import (
    migrate,
    refuse_newer,
    refuse_newer_or_hollow,
    schema_state,
)
from exodesk.storage.photo_rekey import note_path
from exodesk.storage.restore import (
    clear_restore_pending,
    discard_stale_restore_copy,
    interrupted_restore,
)

if TYPE_CHECKING:
    from exodesk.services.aftercare import AftercareService
    from exodesk.services.comparison import ComparisonService
    from exodesk.services.content import ContentService
    from exodesk.services.photo_sheet import PhotoSheetService
    from exodesk.services.photos import PhotoService
    from exodesk.services.subject_access import SubjectAccessService

log = logging.getLogger(__name__)

# The two start-up refusals the GUI answers specially (offer a backup; name the other PC) are
# re-exported here, so the ui layer never imports storage.
__all__ = [
    "AlreadyOpenError",
    "DataFileDamaged",
    "Services",
    "StartupCheck",
    "open_services",
    "refresh_statistics",
]


@dataclass
class Services:
    """The services of one open data file, built once and passed to whoever needs them."""

    paths: DataPaths
    ctx: ServiceContext
    patients: PatientService
    clinic: ClinicService
    screening: ScreeningService
    catalogue: CatalogueService
    courses: CourseService
    sessions: SessionService
    events: EventService
    recall: RecallService
    timeline: TimelineService
    accounts: AccountService
    allergies: AllergyService
    warnings: list[str] = field(default_factory=list)
    """Plain sentences to show the user once (e.g. the file is on a network drive)."""
    lock: DataFileLock | None = None
    """The advisory lock held while this data file is open (None unless asked for)."""
    key: bytes | None = field(default=None, repr=False)
    """The data key the file was opened with (None: a plain file). For worker threads that
    open their own connection (``backup_data_file(..., key=services.key)``); never shown."""
    keys: ClinicKeys | None = field(default=None, repr=False)
    """The encrypted clinic's keys in hand (None: a plain file): the admin key once an admin
    signed in, for a restore of a backup made before a re-key to seal its rows again."""

    @property
    def desk(self) -> Desk:
        return self.ctx.desk

    # Built (and their modules imported) the first time they are asked for: the Patients tab,
    # all that start-up shows, needs none of them (~30 ms of imports; issue #9). Ask on the
    # main thread: they use the data file's connection, which belongs to that thread.
    @cached_property
    def aftercare(self) -> AftercareService:
        from exodesk.services import aftercare as module

        return module.AftercareService(self.ctx)

    @cached_property
    def comparison(self) -> ComparisonService:
        from exodesk.services import comparison as module

        return module.ComparisonService(self.ctx, self.screening)

    @cached_property
    def content(self) -> ContentService:
        from exodesk.services import content as module

        return module.ContentService(self.ctx, self.screening, self.aftercare, self.comparison)

    @cached_property
    def photos(self) -> PhotoService:
        from exodesk.services import photos as module

        return module.PhotoService(self.ctx)

    @cached_property
    def photo_sheet(self) -> PhotoSheetService:
        from exodesk.services import photo_sheet as module

        return module.PhotoSheetService(self.ctx)

    @cached_property
    def subject_access(self) -> SubjectAccessService:
        from exodesk.services import subject_access as module

        return module.SubjectAccessService(self.ctx)

    @property
    def startup_check(self) -> StartupCheck | None:
        """The start-up check running (or finished) beside the first reads, when
        ``open_services`` was asked to run it in the background; every write waits for it."""
        return self.ctx.startup_check

    def check_resources(self) -> int:
        """Read every bundled file once and build every content table (the smoke test: a
        missing or broken file raises). Returns how many files were checked."""
        return self.ctx.bundled.check()

    def check(self) -> list[str]:
        """SQLite integrity and foreign-key faults (empty = healthy)."""
        with storage_errors(self.paths.data_file):
            return integrity_report(self.ctx.db)

    def _write_held(self) -> None:
        """Closing soon after signing in: let the check finish and write the sign-in's entry
        (a damaged file takes none: logged)."""
        try:
            self.ctx.ready()
        except StorageError as exc:
            log.warning("closing without the held audit entries: %s", exc)

    def close(self) -> None:
        """Close the data file, then let the next ExoDesk have it (safe to call twice)."""
        try:
            if self.startup_check is not None:
                if self.ctx.holding:
                    self._write_held()
                self.startup_check.cancel()
            self.ctx.db.close()
        finally:
            if self.lock is not None:
                self.lock.release()


def open_services(
    paths: DataPaths,
    *,
    create: bool = False,
    clock: Callable[[], datetime] = utc_now,
    lock: bool = False,
    key: bytes | ClinicSecret | None = None,
    background_check: bool = False,
) -> Services:
    """Open (and if asked create) the data file, check it, bring its schema up to date, build
    services.

    Before anything is written: the file must pass SQLite's ``quick_check`` (a damaged file is
    refused untouched) and, with ``lock``, no other ExoDesk may hold it. With
    ``background_check`` the check of an up-to-date file runs beside the first reads instead
    (see ``exodesk.services.startup_check``): reads work at once, writes wait for it.

    Args:
        paths: The clinic's data folder.
        create: Create the folder and the data file if they are missing.
        clock: Where services read the time (tests pass a fake one).
        lock: Take the advisory lock beside the data file for as long as the services stay
            open (the GUI does; tests and one-shot commands may not need to).
        key: The data key of an encrypted file (from ``Keyring.unlock`` or the recovery key);
            with ``create``, a new file is created encrypted with it. A whole
            ``ClinicSecret`` (a new clinic, or one just encrypted) also puts its admin key in
            hand, so the first admin's slot and seal can be made.
        background_check: Check an existing, up-to-date file on a thread of its own (the GUI
            does). A new file, or one with a migration to run, is checked here as before.

    Raises:
        StorageError: the folder or file cannot be used (missing, read-only, damaged, from a
            newer ExoDesk); nothing has been changed.
        AlreadyOpenError: with ``lock``, another ExoDesk has the file open (a StorageError).
        WrongKey: the file is encrypted and ``key`` is missing or does not open it.
        NotEncrypted: ``key`` was given for a plain file.
    """
    if create:
        paths.folder.mkdir(parents=True, exist_ok=True)
    held: DataFileLock | None = None
    if lock and paths.folder.is_dir() and (create or paths.data_file.is_file()):
        # A read-only folder gets its own plain sentence rather than "cannot lock".
        refuse_read_only(paths.data_file, exists=paths.data_file.exists())
        held = DataFileLock(paths.data_file, clock=clock).acquire()
    secret, key = (key, key.data) if isinstance(key, ClinicSecret) else (None, key)
    existed = paths.data_file.is_file() and paths.data_file.stat().st_size > 0
    # Before the file is opened: a restore stopped right after its swap is recognised by the
    # data file being byte for byte the copy it put in place.
    interrupted = interrupted_restore(paths) if held is not None else None
    check: StartupCheck | None = None
    try:
        before_write = refuse_newer_or_hollow(paths.data_file) if existed else refuse_newer
        db = open_database(paths.data_file, create=create, before_write=before_write, key=key)
        try:
            with storage_errors(paths.data_file):
                pending = schema_state(db).pending
            if background_check and existed and not pending:
                check = StartupCheck(paths.data_file, key=key).start()
            else:
                quick_check(db, paths.data_file)
                migrate(db, backups_dir=paths.backups)
                refresh_statistics(db)
            if interrupted is not None and not schema_state(db).pending:
                with storage_errors(paths.data_file):
                    record_interrupted_restore(db, interrupted)
                clear_restore_pending(paths)
                log.warning("recorded a restore that was stopped before its audit entry")
            if held is not None:
                # The lock is ours: no restore or backup of this ExoDesk is running.
                discard_stale_restore_copy(paths)
                discard_stale_partials(paths.backups, clock())
        except BaseException:
            db.close()
            raise
    except BaseException:
        if held is not None:
            held.release()
        raise
    warnings: list[str] = []
    if note_path(paths).exists():  # one stat: a re-key stopped during its photo step
        from exodesk.services.photo_rekey import finish_pending_photos

        left = finish_pending_photos(paths, key)
        if left:
            warnings.append(left)
    network = network_filesystem(paths.data_file)
    if network:
        log.warning("%s is on a network filesystem (%s)", paths.data_file, network)
        warnings.append(NETWORK_WARNING)
    ctx = ServiceContext(db=db, desk=Desk(), clock=clock, startup_check=check)
    log.info("opened %s", paths.data_file)
    screening = ScreeningService(ctx)
    catalogue = CatalogueService(ctx)
    sessions = SessionService(ctx, screening)
    allergies = AllergyService(ctx, screening)
    events = EventService(ctx, sessions, catalogue)
    # An encrypted clinic's keyring follows every password change (see ClinicKeys).
    keys = ClinicKeys(paths, secret or key) if key is not None else None
    if keys is not None:
        ctx.admin_key = lambda: keys.admin_key if keys.generation == 2 else None
    return Services(
        paths=paths,
        ctx=ctx,
        patients=PatientService(ctx),
        clinic=ClinicService(ctx, data_file=paths.data_file, keys=keys),
        screening=screening,
        catalogue=catalogue,
        courses=CourseService(ctx, catalogue),
        sessions=sessions,
        events=events,
        recall=RecallService(ctx),
        timeline=TimelineService(ctx, screening, sessions, events),
        accounts=AccountService(ctx, keys=keys),
        allergies=allergies,
        warnings=warnings,
        lock=held,
        key=key,
        keys=keys,
    )
