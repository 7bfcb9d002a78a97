"""Patient use cases: register, correct, retire, find. Every write is audited in its transaction."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from exodesk.domain.accounts import PATIENTS_EDIT, PATIENTS_VIEW
from exodesk.domain.audit import AuditEntry
from exodesk.domain.patient import Patient, PatientQuery, parse_query, sort_key
from exodesk.domain.problems import Problem, check_text
from exodesk.errors import UserError
from exodesk.services.context import PATIENTS, Changes, SaveResult, ServiceContext
from exodesk.storage.audit import AuditRepository
from exodesk.storage.database import storage_errors
from exodesk.storage.patients import PatientRepository, StaleRecordError, patient_values

PAGE_SIZE = 200
COUNT_CAP = 1000


@dataclass(frozen=True)
class SearchPage:
    """One page of search results, and the cursor for the next page (None when no more)."""

    query: PatientQuery
    rows: list[Patient]
    next_after: tuple[str, int] | None


class PatientService:
    """Everything reception does with patient records."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx
        self._repo = PatientRepository(ctx.db)
        # The count that finding the last first page gave for free, for the count_matches()
        # that follows it on every keystroke: (query, include_inactive, data stamp, count).
        self._known_count: tuple[PatientQuery, bool, tuple[int, int], int] | None = None

    def today(self) -> date:
        """Today's local date by the service's clock (tests give it a fake one)."""
        return self._ctx.today()

    # ---- reading -------------------------------------------------------------------------
    def understand(self, text: str, *, day_first: bool) -> PatientQuery:
        """What the search text means (a date of birth, a phone number or names)."""
        return parse_query(text, day_first=day_first, today=self._ctx.today())

    def page(
        self,
        query: PatientQuery,
        *,
        after: tuple[str, int] | None = None,
        include_inactive: bool = False,
        limit: int = PAGE_SIZE,
    ) -> SearchPage:
        """One page of matches in list order, after the cursor ``after``."""
        self._ctx.require(PATIENTS_VIEW)
        with storage_errors():
            found = self._repo.search_counted(
                query,
                include_inactive=include_inactive,
                after=after,
                limit=limit + 1,
                cap=COUNT_CAP,
            )
            if found.count is not None:
                stamp = self._repo.data_stamp()
                self._known_count = (query, include_inactive, stamp, found.count)
        rows = found.rows
        more = len(rows) > limit
        rows = rows[:limit]
        cursor = None
        if more and rows:
            last = rows[-1]
            cursor = (sort_key(last.family_name, last.given_names), int(last.id or 0))
        return SearchPage(query=query, rows=rows, next_after=cursor)

    def search(
        self, text: str, *, day_first: bool = True, include_inactive: bool = False
    ) -> SearchPage:
        """The first page for what was typed in the search box."""
        self._ctx.require(PATIENTS_VIEW)
        query = self.understand(text, day_first=day_first)
        return self.page(query, include_inactive=include_inactive)

    def count_matches(self, query: PatientQuery, *, include_inactive: bool = False) -> int:
        """How many match, up to COUNT_CAP (shown as "1,000+")."""
        self._ctx.require(PATIENTS_VIEW)
        with storage_errors():
            known = self._known_count
            if (
                known is not None
                and known[:2] == (query, include_inactive)
                and known[2] == self._repo.data_stamp()
            ):
                return known[3]
            return self._repo.count_matches(query, include_inactive=include_inactive, cap=COUNT_CAP)

    def get(self, patient_id: int) -> Patient:
        self._ctx.require(PATIENTS_VIEW)
        with storage_errors():
            patient = self._repo.get(patient_id)
        if patient is None:
            raise UserError(f"There is no patient number {patient_id}.")
        return patient

    def history(self, patient_id: int) -> list[AuditEntry]:
        """Every recorded change to this patient's record, oldest first."""
        self._ctx.require(PATIENTS_VIEW)
        with storage_errors():
            return AuditRepository(self._ctx.db).for_record("patients", patient_id)

    # ---- writing -------------------------------------------------------------------------
    def create(self, patient: Patient) -> SaveResult:
        """Register a new patient, or return the problems to fix first."""
        self._ctx.require(PATIENTS_EDIT)
        patient = replace(patient.normalised(), id=None, status="active", status_reason="")
        problems = patient.validate(self._ctx.today())
        if problems:
            return SaveResult(problems=problems)
        actor = self._ctx.desk.require()
        now = self._ctx.now()
        with self._ctx.write():
            new_id = self._repo.insert(patient, at=now.isoformat(), actor_id=actor.id)
            self._ctx.audit(
                "create",
                "patients",
                new_id,
                patient_id=new_id,
                summary=f"Registered {patient.display_name}",
                after=patient_values(patient),
                at=now,
            )
            stored = self._repo.get(new_id)
        return SaveResult(record=stored, changes=Changes(frozenset({PATIENTS}), new_id))

    def update(self, patient: Patient) -> SaveResult:
        """Save corrections; the earlier values stay in the audit log.

        Raises:
            UserError: someone else saved this patient since it was opened.
        """
        self._ctx.require(PATIENTS_EDIT)
        if patient.id is None:
            raise ValueError("update() needs a saved patient")
        patient_id = patient.id  # normalised() and replace() below keep it
        patient = patient.normalised()
        problems = patient.validate(self._ctx.today())
        if problems:
            return SaveResult(problems=problems)
        self._ctx.desk.require()
        now = self._ctx.now()
        with self._ctx.write():
            before = self._repo.get(patient_id)
            if before is None:
                raise UserError(f"There is no patient number {patient_id}.")
            # Status changes go through set_status(), which asks for a reason.
            patient = replace(patient, status=before.status, status_reason=before.status_reason)
            old, new = patient_values(before), patient_values(patient)
            if old == new:
                return SaveResult(record=before)
            try:
                self._repo.update(patient, at=now.isoformat(), actor_id=self._ctx.desk.require().id)
            except StaleRecordError:
                raise UserError(
                    "Someone else saved this patient while you were editing.",
                    advice="Close the form, reopen the patient and make your change again.",
                ) from None
            changed = sorted(k for k in new if old[k] != new[k])
            self._ctx.audit(
                "update",
                "patients",
                patient_id,
                patient_id=patient_id,
                summary="Changed " + ", ".join(changed),
                before={k: old[k] for k in changed},
                after={k: new[k] for k in changed},
                at=now,
            )
            stored = self._repo.get(patient_id)
        return SaveResult(record=stored, changes=Changes(frozenset({PATIENTS}), patient_id))

    def set_status(self, patient_id: int, status: str, reason: str) -> SaveResult:
        """Mark a patient inactive (or active again). Patients are never deleted."""
        self._ctx.require(PATIENTS_EDIT)
        if status not in ("active", "inactive"):
            raise ValueError(f"unsupported status {status!r}")
        reason = reason.strip()
        if status == "inactive" and not reason:
            return SaveResult(problems=[Problem("reason", "Say why this patient is inactive.")])
        problems = check_text("reason", reason, "The reason", max_len=500, multiline=True)
        if problems:
            return SaveResult(problems=problems)
        self._ctx.desk.require()
        now = self._ctx.now()
        with self._ctx.write():
            before = self._repo.get(patient_id)
            if before is None:
                raise UserError(f"There is no patient number {patient_id}.")
            after = replace(before, status=status, status_reason=reason)
            self._repo.update(after, at=now.isoformat(), actor_id=self._ctx.desk.require().id)
            self._ctx.audit(
                "deactivate" if status == "inactive" else "reactivate",
                "patients",
                patient_id,
                patient_id=patient_id,
                summary=f"Marked {status}" + (f": {reason}" if reason else ""),
                before={"status": before.status, "status_reason": before.status_reason},
                after={"status": status, "status_reason": reason},
                at=now,
            )
            stored = self._repo.get(patient_id)
        return SaveResult(record=stored, changes=Changes(frozenset({PATIENTS}), patient_id))
