"""Opening a clinic's data folder: the file, its migrations, and the services over it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from exodesk.paths import DataPaths
from exodesk.services.aftercare import AftercareService
from exodesk.services.clinic import ClinicService
from exodesk.services.comparison import ComparisonService
from exodesk.services.context import Desk, ServiceContext, utc_now
from exodesk.services.patients import PatientService
from exodesk.services.screening import ScreeningService
from exodesk.services.sessions import SessionService
from exodesk.storage.database import integrity_report, open_database, storage_errors
from exodesk.storage.migrations import migrate, refuse_newer

log = logging.getLogger(__name__)


@dataclass
class Services:
    """The services of one open data file, built once and passed to whoever needs them."""

    paths: DataPaths
    ctx: ServiceContext
    patients: PatientService
    clinic: ClinicService
    screening: ScreeningService
    sessions: SessionService
    aftercare: AftercareService
    comparison: ComparisonService

    @property
    def desk(self) -> Desk:
        return self.ctx.desk

    def check(self) -> list[str]:
        """SQLite integrity and foreign-key faults (empty = healthy)."""
        with storage_errors(self.paths.data_file):
            return integrity_report(self.ctx.db)

    def close(self) -> None:
        self.ctx.db.close()


def refresh_statistics(db: Database) -> None:
    """Give the query planner fresh table statistics (a sampled ANALYZE: ~15 ms at 100,000
    patients). Without them SQLite may scan the name index to find one date of birth
    (220 ms instead of 0.1 ms, measured)."""
    with storage_errors():
        db.execute("PRAGMA analysis_limit = 1000")
        db.execute("ANALYZE")


def open_services(
    paths: DataPaths,
    *,
    create: bool = False,
    clock: Callable[[], datetime] = utc_now,
) -> Services:
    """Open (and if asked create) the data file, bring its schema up to date, build services.

    Raises:
        StorageError: the folder or file cannot be used; nothing has been changed.
    """
    if create:
        paths.folder.mkdir(parents=True, exist_ok=True)
    db = open_database(paths.data_file, create=create, before_write=refuse_newer)
    try:
        migrate(db, backups_dir=paths.backups)
        refresh_statistics(db)
    except BaseException:
        db.close()
        raise
    ctx = ServiceContext(db=db, desk=Desk(), clock=clock)
    log.info("opened %s", paths.data_file)
    screening = ScreeningService(ctx)
    return Services(
        paths=paths,
        ctx=ctx,
        patients=PatientService(ctx),
        clinic=ClinicService(ctx, data_file=paths.data_file),
        screening=screening,
        sessions=SessionService(ctx, screening),
        aftercare=AftercareService(ctx),
        comparison=ComparisonService(ctx, screening),
    )
