"""Treatment sessions: the form's draft and checks, recording, amending, entered in error."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from exodesk.domain.accounts import SESSIONS_RECORD, SESSIONS_VIEW
from exodesk.domain.allergies import NOT_RECORDED, AllergyCheck, check_allergies
from exodesk.domain.courses import spacing_warnings
from exodesk.domain.dates import format_short
from exodesk.domain.intake import Clearance, validate_reason
from exodesk.domain.problems import Problem
from exodesk.domain.regulatory import regulatory_notes
from exodesk.domain.session_defaults import choose_treatment, treatment_defaults
from exodesk.domain.sessions import (
    TREATMENTS,
    LotFlag,
    RegulatoryNote,
    TreatmentSession,
    lab_reports_expected,
    lot_check,
    needle_depth_warnings,
    session_contents,
    session_day,
    validate_session,
)
from exodesk.domain.staff import StaffMember
from exodesk.errors import UserError
from exodesk.services.context import Changes, SaveResult, ServiceContext
from exodesk.services.plain import plain
from exodesk.services.screening import ScreeningService
from exodesk.storage.allergies import AllergenRepository, AllergyRepository
from exodesk.storage.database import storage_errors
from exodesk.storage.sessions import CourseRepository, ProductRepository, SessionRepository
from exodesk.storage.settings import SettingsRepository
from exodesk.storage.staff import StaffRepository

SESSIONS = "sessions"


@dataclass(frozen=True)
class SessionCheck:
    """Everything the form shows before a session is saved.

    ``problems`` block saving (an expired lot among them); ``warnings`` and ``lot_flags`` are
    for information; a failed ``gate`` needs an override reason, ``spacing`` warnings need a
    reason, ``regulatory`` notes need confirming, and a product or anaesthetic the patient is
    allergic to (``allergies.conflicts``) needs an allergy override reason.
    """

    problems: list[Problem]
    gate: Clearance
    warnings: list[str] = field(default_factory=list)  # needle depth deeper than usual
    lot_flags: tuple[LotFlag, ...] = ()  # only those that let the session save
    spacing: list[str] = field(default_factory=list)
    regulatory: tuple[RegulatoryNote, ...] = ()
    allergies: AllergyCheck = field(default_factory=lambda: AllergyCheck(NOT_RECORDED))


class SessionService:
    """What the practitioner records about one treatment session, and its corrections."""

    def __init__(self, ctx: ServiceContext, screening: ScreeningService) -> None:
        self._ctx = ctx
        self._screening = screening
        self._products = ProductRepository(ctx.db)
        self._courses = CourseRepository(ctx.db)
        self._sessions = SessionRepository(ctx.db)
        self._staff = StaffRepository(ctx.db)
        self._settings = SettingsRepository(ctx.db)
        self._allergens = AllergenRepository(ctx.db)
        self._allergies = AllergyRepository(ctx.db)

    def today(self) -> date:
        return self._ctx.today()

    def _by(self) -> int:
        """The person at the desk (call after the permission check)."""
        return int(self._ctx.desk.require().id or 0)

    def practitioners(self) -> list[StaffMember]:
        with storage_errors():
            return [m for m in self._staff.list() if m.role == "practitioner"]

    def regulatory_texts(self) -> dict[str, str]:
        """Regulatory note id -> its wording, to show what a session's record confirmed."""
        return {fact.id: fact.note().text for fact in self._ctx.bundled.regulatory_facts}

    def sessions(self, patient_id: int, *, include_all: bool = False) -> list[TreatmentSession]:
        self._ctx.require(SESSIONS_VIEW)
        with storage_errors():
            return self._sessions.for_patient(patient_id, include_all=include_all)

    def get(self, session_id: int) -> TreatmentSession:
        self._ctx.require(SESSIONS_VIEW)
        with storage_errors():
            found = self._sessions.get(session_id)
        if found is None:
            raise UserError(f"There is no session number {session_id}.")
        return found

    def prefill(self, patient_id: int, course_id: int | None) -> TreatmentSession:
        """A draft for the form: the course's treatment, else one the screening lets go ahead
        (``choose_treatment``), with the previous session of it as the details, else that
        treatment's usual areas, indication and delivery."""
        self._ctx.require(SESSIONS_RECORD)
        now = self._ctx.now().astimezone().replace(second=0, microsecond=0)
        actor = self._ctx.desk.user
        practitioner = 0  # nobody chosen yet: the form asks
        if actor and actor.role == "practitioner" and actor.id is not None:
            practitioner = actor.id
        course = None
        if course_id is not None:
            with storage_errors():
                course = self._courses.course(course_id)
        earlier = [
            s for s in self.sessions(patient_id) if course is None or s.course_id == course_id
        ]
        treatment = choose_treatment(
            course=course.treatment if course else None,
            clearances={t: self._screening.clearance(patient_id, t) for t in TREATMENTS},
            previous=earlier[0].treatment if earlier else None,
        )
        previous = next((s for s in earlier if s.treatment == treatment), None)
        if previous is not None:
            return replace(
                previous,
                id=None,
                performed_at=now,
                practitioner_id=practitioner or previous.practitioner_id,
                reactions=frozenset(),
                notes="",
                aftercare_issued=False,
                gate_override_reason="",
                spacing_reason="",
                regulatory_confirmations=(),
                allergy_override_reason="",
                allergy_conflicts=(),
                status="current",
                version=1,
                series_id=None,
                course_id=course_id,
                error_reason="",
            )
        usual = treatment_defaults(treatment)
        return TreatmentSession(
            patient_id=patient_id,
            performed_at=now,
            practitioner_id=practitioner,
            treatment=treatment,
            areas=usual.areas,
            indication=course.indication if course else usual.indication,
            delivery=usual.delivery,
            course_id=course_id,
        )

    def check(self, draft: TreatmentSession, *, amending: int | None = None) -> SessionCheck:
        """Validate a draft and gather the gate, warnings, spacing and regulatory notes."""
        self._ctx.require(SESSIONS_RECORD)
        day = session_day(draft.performed_at)
        with storage_errors():
            found = {p.lot_id: self._products.lot(p.lot_id) for p in draft.products}
            lots = {k: v for k, v in found.items() if v is not None}
            products = {
                lot.product_id: self._products.product(lot.product_id) for lot in lots.values()
            }
            clinic = self._settings.clinic()
            allergens = self._allergens.allergens(include_inactive=True)
            allergies = check_allergies(
                self._allergies.summary(draft.patient_id),
                session_contents(
                    [p for p in products.values() if p is not None],
                    draft.anaesthetic,
                    self._products.products(include_inactive=True),
                    allergens,
                ),
                allergens,
            )
        problems = validate_session(draft, today=self.today(), lots=lots)
        if not draft.practitioner_id or draft.practitioner_id not in {
            m.id for m in self.practitioners()
        }:
            problems.append(Problem("practitioner_id", "Choose the practitioner who treated."))
        gate = self._screening.clearance(draft.patient_id, draft.treatment)
        # A flag that blocks (an expired lot) is already one of the problems above.
        flags = tuple(
            flag
            for lot in lots.values()
            for flag in lot_check(
                lot, day, lab_reports_expected=lab_reports_expected(products[lot.product_id])
            )
            if not flag.blocks
        )
        course = None
        if draft.course_id is not None:
            with storage_errors():
                course = self._courses.course(draft.course_id)
        previous = [
            (session_day(s.performed_at), s.treatment, s.areas, s.delivery)
            for s in self.sessions(draft.patient_id)
            if s.id != amending and s.series_id != amending
        ]
        spacing = spacing_warnings(
            when=day,
            treatment=draft.treatment,
            areas=draft.areas,
            delivery=draft.delivery,
            course=course,
            previous=previous,
        )
        notes = regulatory_notes(
            country=clinic.country,
            products=[p for p in products.values() if p is not None],
            delivery=draft.delivery,
            facts=self._ctx.bundled.regulatory_facts,
        )
        return SessionCheck(
            problems=problems,
            gate=gate,
            warnings=needle_depth_warnings(draft.needle_depth_mm, draft.areas),
            lot_flags=flags,
            spacing=list(spacing),
            regulatory=tuple(notes),
            allergies=allergies,
        )

    def record(self, draft: TreatmentSession, *, confirmed: Iterable[str] = ()) -> SaveResult:
        """Save a new session. ``draft.gate_override_reason`` and ``draft.spacing_reason``
        carry the practitioner's reasons where the checks ask for them."""
        self._ctx.require(SESSIONS_RECORD)
        return self._store(draft, confirmed=confirmed, supersedes=None, reason="")

    def amend(
        self,
        session_id: int,
        draft: TreatmentSession,
        reason: str,
        *,
        confirmed: Iterable[str] = (),
    ) -> SaveResult:
        """Save a correction as a new version; the earlier one is kept, marked amended."""
        self._ctx.require(SESSIONS_RECORD)
        reason = reason.strip()
        problems = validate_reason(reason, "reason for the correction")
        if problems:
            return SaveResult(problems=problems)
        old = self.get(session_id)
        if old.status != "current":
            raise UserError("Only the current version of a session can be amended.")
        # Notes the practitioner confirmed for this session still stand for its correction.
        return self._store(
            replace(draft, patient_id=old.patient_id),
            confirmed=[*confirmed, *old.regulatory_confirmations],
            supersedes=old,
            reason=reason,
        )

    def _store(
        self,
        draft: TreatmentSession,
        *,
        confirmed: Iterable[str],
        supersedes: TreatmentSession | None,
        reason: str,
    ) -> SaveResult:
        check = self.check(draft, amending=supersedes.series_id if supersedes else None)
        problems = list(check.problems)
        if not check.gate.allowed and not draft.gate_override_reason.strip():
            problems.append(
                Problem(
                    "gate_override_reason",
                    "The screening does not allow this treatment yet: "
                    + " ".join(check.gate.problems)
                    + " Give a reason to override, or stop here.",
                )
            )
        if check.spacing and not draft.spacing_reason.strip():
            problems.append(
                Problem(
                    "spacing_reason",
                    "This session is close to another: "
                    + " ".join(check.spacing)
                    + " Say why it is going ahead.",
                )
            )
        if check.allergies.blocks and not draft.allergy_override_reason.strip():
            problems.append(
                Problem(
                    "allergy_override_reason",
                    "The patient is allergic to what this session uses ("
                    + "; ".join(
                        f"{c.allergen} in "
                        + ("the anaesthetic " if c.contents.role == "anaesthetic" else "")
                        + c.contents.label
                        for c in check.allergies.conflicts
                    )
                    + "). Give a reason to go ahead despite the allergy, or change what is used.",
                )
            )
        baseline = self._baseline_missing(draft) if supersedes is None else None
        if baseline:
            problems.append(Problem("baseline_photos", baseline))
        missing = [n for n in check.regulatory if n.id not in set(confirmed)]
        if missing:
            problems.append(
                Problem("regulatory", "Confirm you have read: " + " ".join(n.text for n in missing))
            )
        if problems:
            return SaveResult(problems=problems)
        by = self._by()
        now = self._ctx.now()
        record = self._screening.current(draft.patient_id)
        draft = replace(
            draft,
            regulatory_confirmations=tuple(n.id for n in check.regulatory),
            gate_override_reason=draft.gate_override_reason.strip()
            if not check.gate.allowed
            else "",
            spacing_reason=draft.spacing_reason.strip() if check.spacing else "",
            allergy_override_reason=draft.allergy_override_reason.strip()
            if check.allergies.blocks
            else "",
            allergy_conflicts=check.allergies.sentences,
        )
        with self._ctx.write():
            new_id = self._sessions.insert(
                draft,
                at=now.isoformat(),
                by=by,
                screening_id=record.id if record else None,
                supersedes=supersedes,
                reason=reason,
            )
            summary = f"{TREATMENTS[draft.treatment]} on {format_short(draft.performed_at.date())}"
            if draft.gate_override_reason:
                summary += f" — screening OVERRIDDEN: {draft.gate_override_reason}"
            if draft.allergy_override_reason:
                summary += f" — ALLERGY OVERRIDDEN: {draft.allergy_override_reason}"
            self._ctx.audit(
                "amend" if supersedes else "create",
                "sessions",
                new_id,
                patient_id=draft.patient_id,
                summary=(f"Amended: {reason} — " if supersedes else "") + summary,
                before={"session_id": supersedes.id} if supersedes else None,
                after=plain(draft),
                at=now,
            )
            if draft.allergy_override_reason:
                # Its own entry, so the audit log can be searched for allergy overrides.
                self._ctx.audit(
                    "allergy_override",
                    "sessions",
                    new_id,
                    patient_id=draft.patient_id,
                    summary=" ".join(draft.allergy_conflicts)
                    + f" Went ahead because: {draft.allergy_override_reason}",
                    after={
                        "conflicts": list(draft.allergy_conflicts),
                        "reason": draft.allergy_override_reason,
                    },
                    at=now,
                )
            stored = self._sessions.get(new_id)
        return SaveResult(record=stored, changes=Changes(frozenset({SESSIONS}), draft.patient_id))

    def _baseline_missing(self, draft: TreatmentSession) -> str | None:
        """When the clinic requires baseline photos (``require_baseline_photos``): a plain
        sentence if this is the first session of its course and the course has no baseline
        photo set of the treated area yet."""
        if draft.course_id is None:
            return None
        with storage_errors():
            if not self._settings.clinic().require_baseline_photos:
                return None
            if self._sessions.course_dates(draft.course_id):
                return None
            # Imported only when the clinic asks for baselines (start-up time, issue #9).
            from exodesk.services.photos import baseline_missing
            from exodesk.storage.photos import PhotoRepository

            return baseline_missing(
                PhotoRepository(self._ctx.db),
                self._courses,
                self._ctx.bundled.photo_views,
                draft.patient_id,
                draft.course_id,
                draft.areas,
                day=session_day(draft.performed_at),
            )

    def mark_entered_in_error(self, session_id: int, reason: str) -> SaveResult:
        """Hide a session recorded by mistake from counts; the row and its history stay."""
        self._ctx.require(SESSIONS_RECORD)
        reason = reason.strip()
        problems = validate_reason(reason, "reason it was entered in error")
        if problems:
            return SaveResult(problems=problems)
        session = self.get(session_id)
        if session.status != "current":
            raise UserError("Only the current version of a session can be marked.")
        with self._ctx.write():
            self._sessions.mark_error(session_id, reason)
            self._ctx.audit(
                "entered_in_error",
                "sessions",
                session_id,
                patient_id=session.patient_id,
                summary=f"Entered in error: {reason}",
                before={"status": "current"},
                after={"status": "entered_in_error", "reason": reason},
            )
        return SaveResult(
            record=self.get(session_id), changes=Changes(frozenset({SESSIONS}), session.patient_id)
        )
