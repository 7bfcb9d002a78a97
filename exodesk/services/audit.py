"""AuditService: the audit trail for the admin view, and the check that it was not tampered with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlite_utils import Database

from exodesk.domain.accounts import AUDIT_VIEW
from exodesk.domain.audit import AuditEntry, ChainReport
from exodesk.domain.staff import StaffMember
from exodesk.services.context import ServiceContext
from exodesk.services.sealing import check_seals
from exodesk.services.vocabulary import vocabulary
from exodesk.storage.anchor_check import check_trail
from exodesk.storage.audit import AuditRepository
from exodesk.storage.data_file import DataFileRepository
from exodesk.storage.database import open_database, storage_errors
from exodesk.storage.engine import connection_key
from exodesk.storage.seals import SealRepository
from exodesk.storage.staff import StaffRepository

PAGE_SIZE = 200


class AuditService:
    """Reads the audit trail (newest first, filtered, a page at a time) and checks its chain."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx
        self._audit = AuditRepository(ctx.db)

    def entries(
        self,
        *,
        patient_id: int | None = None,
        actor_id: int | None = None,
        since: date | datetime | None = None,
        until: date | datetime | None = None,
        text: str | None = None,
        before_id: int | None = None,
        limit: int = PAGE_SIZE,
    ) -> list[AuditEntry]:
        """One page of audit entries, newest first, matching every filter given.

        Args:
            patient_id: Only entries about this patient.
            actor_id: Only entries made by this staff member.
            since: From this moment on; a date means from the start of that local day.
            until: Up to this moment (exclusive); a date includes the whole of that local day.
            text: Only entries whose summary contains this text, in any letter case, as
                shown (the summary in words: "Exosome facial" finds "exosome_face" as stored).
            before_id: Only entries older than this one: pass the last id shown to get the
                next page.
            limit: The page size.
        """
        self._ctx.require(AUDIT_VIEW)
        with storage_errors():
            return self._audit.page(
                patient_id=patient_id,
                actor_id=actor_id,
                since=_stored_moment(since, end_of_day=False),
                until=_stored_moment(until, end_of_day=True),
                text=vocabulary().stored_forms(text) if text else None,
                before_id=before_id,
                limit=limit,
            )

    def people(self) -> list[StaffMember]:
        """Everyone who may appear in the trail, former staff included, by name."""
        self._ctx.require(AUDIT_VIEW)
        with storage_errors():
            return StaffRepository(self._ctx.db).list(include_inactive=True)

    def today(self) -> date:
        """The local calendar date, for reading the dates people type."""
        return self._ctx.today()

    def verify(self) -> ChainReport:
        """Walk the whole chain on this thread and compare it with its anchors (the backups'
        record of where it ended, and the trail's size): see ``check_trail``."""
        self._ctx.require(AUDIT_VIEW)
        path = self.data_file()
        with storage_errors():
            report = check_trail(self._ctx.db, path.parent if path is not None else None)
            return _with_seals(report, self._ctx.db, self._ctx.admin_key())

    def verify_job(self) -> Callable[[], ChainReport] | None:
        """The chain check as a function another thread may run, or None for an in-memory file.

        A connection cannot cross threads, so the function opens its own read-only one.
        """
        self._ctx.require(AUDIT_VIEW)
        path = self.data_file()
        if path is None:
            return None

        key = connection_key(self._ctx.db.conn)  # the same key as this connection's
        admin_key = self._ctx.admin_key()

        def job() -> ChainReport:
            db = open_database(path, read_only=True, key=key)
            try:
                with storage_errors(path):
                    return _with_seals(check_trail(db, path.parent), db, admin_key)
            finally:
                db.close()

        return job

    def data_file(self) -> Path | None:
        """The file behind this connection (None for an in-memory database)."""
        with storage_errors():
            return DataFileRepository(self._ctx.db).path()


def _with_seals(report: ChainReport, db: Database, admin_key: bytes | None) -> ChainReport:
    """``report`` with the staff list's seals and the entries' signatures checked too (a
    clinic with separated keys, whose admin key is in hand)."""
    repo = SealRepository(db)
    if admin_key is None or not repo.available():
        return report
    seals = check_seals(repo, admin_key)
    return replace(report, faults=report.faults + seals.faults)


def _stored_moment(moment: date | datetime | None, *, end_of_day: bool) -> str | None:
    """A bound as the audit trail stores moments: ISO 8601 in UTC (so text order is time order).

    A plain date is a local calendar day: its start, or (for an upper bound) the next day's.
    """
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        day = moment + timedelta(days=1) if end_of_day else moment
        moment = datetime.combine(day, time())
    # A naive datetime is local time; astimezone() attaches the PC's zone first.
    return moment.astimezone().astimezone(UTC).isoformat()
