"""What every service shares: the data file, who is at the desk, the clock, and the audit write."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlite_utils import Database

from exodesk.domain.accounts import PERMISSION_LABELS, allowed, refusal_message, who_may
from exodesk.domain.audit import AuditEntry
from exodesk.domain.problems import Problem
from exodesk.domain.staff import StaffMember
from exodesk.errors import StorageError, UserError
from exodesk.services.bundled import BundledContent, shared_content
from exodesk.services.sealing import Signer
from exodesk.services.startup_check import StartupCheck
from exodesk.storage.audit import AuditRepository
from exodesk.storage.database import storage_errors

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


class PermissionRefused(UserError):
    """The person at the desk may not do this; the refusal is in the audit trail."""

    def __init__(self, member: StaffMember, permission: str) -> None:
        super().__init__(
            refusal_message(member, permission),
            advice=f"Ask {who_may(permission)} to sign in and do it.",
        )
        self.member = member
        self.permission = permission


class Desk:
    """Who is at the desk: the one place the current user lives.

    ``AccountService.sign_in`` sets ``user`` after checking the password.

    Args:
        command_line: The desk of the `exodesk` admin commands. Whoever runs them already holds
            the data file and its backups as files, so a role check there would add nothing;
            with nobody signed in, every permission is granted (and audited as the command line).
    """

    def __init__(self, *, command_line: bool = False) -> None:
        self._user: StaffMember | None = None
        self.command_line = command_line
        # Whether anyone has been at this desk since the data file was opened: what was typed
        # before it opened (wrong passwords at the unlock prompt) can be recorded only until then.
        self.anyone_signed_in = False

    @property
    def user(self) -> StaffMember | None:
        """The person signed in at the desk, or None."""
        return self._user

    @user.setter
    def user(self, member: StaffMember | None) -> None:
        self._user = member
        if member is not None:
            self.anyone_signed_in = True

    def require(self) -> StaffMember:
        """The person making a change or reading a record.

        Raises:
            UserError: nobody has said who is at the desk.
        """
        if self.user is None or self.user.id is None:
            raise UserError(
                "Nobody is signed in at the desk, so ExoDesk cannot say who is doing this.",
                advice="Sign in (File → Switch user), then try again.",
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
    startup_check: StartupCheck | None = None
    """The start-up check running beside the first reads (None: the file was checked before
    it was opened). Every write waits for it; a damaged file refuses every write."""
    bundled: BundledContent = field(default_factory=shared_content, repr=False)
    """The bundled clinical content (rule table, consent, aftercare, comparison, protocols,
    regulatory notes), each file read once: the one way a service reaches ``resources/``."""
    signer: Signer = field(default_factory=Signer, repr=False)
    """The signing keys of the people signed in since the file opened (second-generation
    encrypted clinics): every entry in their name is signed with theirs."""
    admin_key: Callable[[], bytes | None] = field(default=lambda: None, repr=False)
    """The admin key in hand, in a clinic with separated keys (None otherwise): what the
    audit trail check needs to check the staff list's seals."""
    _held: list[AuditEntry] = field(default_factory=list, repr=False, init=False)

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        """The local calendar date, for validating dates people type."""
        return self.clock().astimezone().date()

    def require(self, permission: str) -> None:
        """Refuse unless the person at the desk may do what ``permission`` names.

        Call it first thing in a service method, before ``write()``: the refusal is audited in
        its own transaction, which an outer transaction rolling back would take with it.

        Raises:
            UserError: nobody is signed in at the desk.
            PermissionRefused: the person at the desk may not; a 'refused' entry is audited.
        """
        if self.desk.user is None and self.desk.command_line:
            return
        member = self.desk.require()
        if allowed(member, permission):
            return
        log.info("refused %s to staff member %s", permission, member.id)
        if self.db.conn.in_transaction:
            # A bug in the caller: the entry below becomes part of a transaction that the
            # refusal itself is about to roll back.
            log.warning("permission %s checked inside an open transaction", permission)
        try:
            with self.write():
                self.audit(
                    "refused",
                    "staff",
                    member.id,
                    summary=f"Refused: {member.name} may not {PERMISSION_LABELS[permission]}",
                    after={"permission": permission, "role": member.role, "admin": member.is_admin},
                )
        except StorageError as exc:
            # The refusal stands even when the file cannot take the note (read-only, full).
            log.warning("refusal not recorded in the audit trail: %s", exc)
        raise PermissionRefused(member, permission)

    def wait_for_check(self) -> None:
        """Wait for the start-up check of the file, if one is still running (any thread).

        Raises:
            StorageError: it found the file damaged (``DataFileDamaged``): nothing may be
                written to it.
        """
        if self.startup_check is not None:
            self.startup_check.gate()

    def ready(self) -> None:
        """Wait for the start-up check, then write the audit entries held back for it
        (``audit_soon``). Called by ``write()``; the connection's thread only.

        Raises:
            StorageError: the check found the file damaged (the held entries are dropped:
                nothing may be written to it), or they could not be written.
        """
        try:
            self.wait_for_check()
        except StorageError:
            if self._held:
                log.warning(
                    "%d audit entries not written: the data file is damaged (%s)",
                    len(self._held),
                    ", ".join(e.action for e in self._held),
                )
                self._held.clear()
            raise
        if self._held:
            held = list(self._held)
            with storage_errors(), self.db.atomic():
                repository = AuditRepository(self.db, signer=self.signer)
                for entry in held:
                    repository.append(entry)
            del self._held[: len(held)]

    @property
    def holding(self) -> int:
        """How many audit entries wait for the start-up check (``audit_soon``)."""
        return len(self._held)

    def audit_soon(self, entry: AuditEntry) -> None:
        """Record ``entry`` without making the person wait for the start-up check.

        For sign-in, the one write that comes before anyone can do anything: while the check
        runs, the entry (with its own time) is held and written, in order, ahead of the next
        save, or when the window hears that the check has passed, or at closing. Nothing is
        written to a file the check finds damaged: the entry is then dropped and logged.
        Otherwise it is written at once, in a transaction of its own.
        """
        if self.startup_check is not None and not self.startup_check.done:
            self._held.append(entry)
            return
        with self.write():
            AuditRepository(self.db, signer=self.signer).append(entry)

    @contextlib.contextmanager
    def write(self) -> Iterator[Database]:
        """One transaction: everything inside is saved together, or nothing is.

        Waits first for the start-up check (``ready``): a damaged file is never written to.
        """
        self.ready()
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
        AuditRepository(self.db, signer=self.signer).append(
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
