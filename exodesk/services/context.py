"""What every service shares: the data file, who is at the desk, the clock, and the audit write."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlite_utils import Database

from exodesk.domain.audit import AuditEntry
from exodesk.domain.problems import Problem
from exodesk.domain.staff import StaffMember
from exodesk.errors import UserError
from exodesk.storage.audit import AuditRepository
from exodesk.storage.database import storage_errors


def utc_now() -> datetime:
    return datetime.now(UTC)


class Desk:
    """Who is at the desk: the one place the current user lives.

    Accounts with passwords (a later issue) replace how ``user`` gets set, not where.
    """

    def __init__(self) -> None:
        self.user: StaffMember | None = None

    def require(self) -> StaffMember:
        """The person making a change.

        Raises:
            UserError: nobody has said who is at the desk.
        """
        if self.user is None or self.user.id is None:
            raise UserError(
                "Nobody is signed in at the desk, so the change cannot be recorded.",
                advice="Choose who is at the desk (File → Switch user), then save again.",
            )
        return self.user


@dataclass(frozen=True)
class Changes:
    """What a service call changed, so each tab refreshes only if it shows that data."""

    topics: frozenset[str] = frozenset()
    patient_id: int | None = None

    def touches(self, topic: str) -> bool:
        return topic in self.topics


PATIENTS = "patients"
SETTINGS = "settings"
STAFF = "staff"


@dataclass(frozen=True)
class SaveResult:
    """The outcome of a save: the stored record, or the problems to show beside the fields."""

    record: Any = None
    problems: list[Problem] = field(default_factory=list)
    changes: Changes = Changes()

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class ServiceContext:
    """The shared pieces a service needs, passed in (never reached as a global)."""

    db: Database
    desk: Desk
    clock: Callable[[], datetime] = utc_now

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        """The local calendar date, for validating dates people type."""
        return self.clock().astimezone().date()

    @contextlib.contextmanager
    def write(self) -> Iterator[Database]:
        """One transaction: everything inside is saved together, or nothing is."""
        with storage_errors(), self.db.atomic():
            yield self.db

    def audit(
        self,
        action: str,
        table_name: str,
        record_id: int | None,
        *,
        patient_id: int | None = None,
        summary: str = "",
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> None:
        """Record who changed what; call inside ``write()`` so it commits with the change."""
        actor = self.desk.require()
        AuditRepository(self.db).append(
            AuditEntry(
                at=at or self.now(),
                actor_id=actor.id,
                actor_name=actor.name,
                action=action,
                table_name=table_name,
                record_id=record_id,
                patient_id=patient_id,
                summary=summary,
                before=before,
                after=after,
            )
        )
