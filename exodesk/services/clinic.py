"""Clinic use cases: settings, the staff list, who is at the desk, and facts about the data file."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from exodesk import __version__
from exodesk.domain.accounts import ACCOUNTS_MANAGE, SETTINGS_EDIT
from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.staff import StaffMember
from exodesk.errors import UserError
from exodesk.services.accounts import AccountService, PasswordKeys, staff_values
from exodesk.services.context import SETTINGS, STAFF, Changes, SaveResult, ServiceContext
from exodesk.services.sealing import seal_row
from exodesk.storage.data_file import DataFileRepository
from exodesk.storage.database import storage_errors
from exodesk.storage.migrations import latest_schema_version
from exodesk.storage.settings import SettingsRepository
from exodesk.storage.staff import StaffRepository

COUNTED_TABLES = (
    "patients",
    "screenings",
    "sessions",
    "adverse_events",
    "lots",
    "staff",
    "audit_log",
)


@dataclass(frozen=True)
class DataFileInfo:
    """What `exodesk info` and Help → About show."""

    path: Path | None
    app_version: str
    schema_version: int
    latest_schema_version: int
    counts: dict[str, int]


def _settings_for_audit(settings: ClinicSettings) -> dict[str, Any]:
    values = asdict(settings)
    logo = values.pop("logo_png")
    values["logo_sha256"] = hashlib.sha256(logo).hexdigest() if logo else None
    return values


class ClinicService:
    """Clinic settings and staff; every change audited."""

    def __init__(
        self,
        ctx: ServiceContext,
        *,
        data_file: Path | None = None,
        keys: PasswordKeys | None = None,
    ) -> None:
        self._ctx = ctx
        self._data_file = data_file
        self._keys = keys
        self._settings = SettingsRepository(ctx.db)
        self._staff = StaffRepository(ctx.db)

    # ---- settings ------------------------------------------------------------------------
    def settings(self) -> ClinicSettings:
        with storage_errors():
            return self._settings.clinic()

    def save_settings(self, settings: ClinicSettings) -> SaveResult:
        settings = replace(
            settings,
            name=settings.name.strip(),
            phone=settings.phone.strip(),
            out_of_hours=settings.out_of_hours.strip(),
        )
        self._ctx.require(SETTINGS_EDIT)
        problems = settings.validate()
        if problems:
            return SaveResult(problems=problems)
        with self._ctx.write():
            before = _settings_for_audit(self._settings.clinic())
            after = _settings_for_audit(settings)
            changed = sorted(k for k in after if before.get(k) != after[k])
            if not changed:
                return SaveResult(record=settings)
            self._settings.save_clinic(settings)
            self._ctx.audit(
                "update",
                "settings",
                None,
                summary="Clinic settings: " + ", ".join(changed),
                before={k: before.get(k) for k in changed},
                after={k: after[k] for k in changed},
            )
        return SaveResult(record=settings, changes=Changes(frozenset({SETTINGS})))

    # ---- staff and the desk --------------------------------------------------------------
    def staff(self, *, include_inactive: bool = False) -> list[StaffMember]:
        with storage_errors():
            return self._staff.list(include_inactive=include_inactive)

    def add_first_staff(self, member: StaffMember) -> SaveResult:
        """Create the very first staff member of a new clinic, as an admin, and put them at
        the desk; they have no password until they choose one (``AccountService.sign_in``).

        A thin wrapper of ``AccountService.first_account(member, None)``, kept for the
        first-run dialog until it asks for a password. Only allowed while the staff list is
        empty; afterwards use ``save_staff``.
        """
        return AccountService(self._ctx).first_account(member, None)

    def save_staff(self, member: StaffMember) -> SaveResult:
        """Add a staff member (``id`` None) or change one's name, role, admin or active flag.

        Admins only. The last active admin cannot stop being one (nobody could run the
        clinic's accounts and backups any more); make someone else an admin first.
        """
        self._ctx.require(ACCOUNTS_MANAGE)
        member = replace(member, name=member.name.strip())
        problems = member.validate()
        if problems:
            return SaveResult(problems=problems)
        now = self._ctx.now()
        with self._ctx.write():
            after = staff_values(member)
            if member.id is None:
                record_id = self._staff.insert(member, at=now.isoformat())
                seal_row(self._ctx.db, self._keys, record_id)
                self._ctx.audit(
                    "create", "staff", record_id, summary=f"Added {member.label}", after=after
                )
            else:
                old = self._staff.get(member.id)
                if old is None:
                    raise UserError("That staff member no longer exists.")
                record_id = member.id
                before = staff_values(old)
                if before == after:
                    return SaveResult(record=old)
                still_admin = member.is_admin and member.active
                others = [a for a in self._staff.active_admins() if a.id != member.id]
                if old.is_admin and old.active and not still_admin and not others:
                    raise UserError(
                        f"{old.name} is the clinic's last admin, so they stay one.",
                        advice="Make someone else an admin first.",
                    )
                self._staff.update(member)
                seal_row(self._ctx.db, self._keys, record_id)
                changed = ", ".join(k for k in after if before[k] != after[k])
                self._ctx.audit(
                    "update",
                    "staff",
                    record_id,
                    summary=f"Changed {member.label}: {changed}",
                    before=before,
                    after=after,
                )
            stored = self._staff.get(record_id)
        if self._ctx.desk.user and self._ctx.desk.user.id == record_id:
            self._ctx.desk.user = stored
        if self._keys is not None and stored is not None and stored.id is not None:
            # Someone who left no longer opens the encrypted file; a new name shows at unlock.
            if stored.active:
                self._keys.rename(int(stored.id), stored.name)
            else:
                self._keys.remove(int(stored.id))
        return SaveResult(record=stored, changes=Changes(frozenset({STAFF})))

    # ---- the data file -------------------------------------------------------------------
    def info(self) -> DataFileInfo:
        with storage_errors():
            summary = DataFileRepository(self._ctx.db).summary(COUNTED_TABLES)
        return DataFileInfo(
            path=self._data_file,
            app_version=__version__,
            schema_version=summary.schema_version,
            latest_schema_version=latest_schema_version(),
            counts=summary.counts,
        )
