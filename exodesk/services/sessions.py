"""Session use cases: catalogue and lots, courses, recording and amending sessions, adverse
events, the due list, lot recall and the patient timeline."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from exodesk.domain.accounts import (
    CATALOGUE_EDIT,
    DUE_LIST_VIEW,
    EVENTS_LOG,
    RECALL_VIEW,
    SESSIONS_RECORD,
    SESSIONS_VIEW,
)
from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.courses import (
    CourseProgress,
    course_from_protocol,
    course_progress,
    load_protocols,
    spacing_warnings,
    validate_protocol,
)
from exodesk.domain.dates import format_long, format_short
from exodesk.domain.intake import Clearance, validate_reason
from exodesk.domain.lists import (
    DueEntry,
    RecallLine,
    RecallRow,
    due_line,
    due_order,
    is_due,
    recall_line,
)
from exodesk.domain.patient import SEXES
from exodesk.domain.problems import Problem
from exodesk.domain.regulatory import regulatory_notes
from exodesk.domain.sessions import (
    AE_OUTCOMES,
    AE_SEVERITIES,
    AE_TYPES,
    AREAS,
    DELIVERY_METHODS,
    SOURCES,
    TREATMENTS,
    AdverseEvent,
    Course,
    Lot,
    LotFlag,
    Product,
    ProtocolTemplate,
    RegulatoryNote,
    TreatmentSession,
    lab_reports_expected,
    lot_check,
    needle_depth_warnings,
    session_day,
    validate_adverse_event,
    validate_lot,
    validate_product,
    validate_session,
)
from exodesk.errors import UserError
from exodesk.services.context import Changes, SaveResult, ServiceContext
from exodesk.services.screening import ScreeningService
from exodesk.storage.database import storage_errors
from exodesk.storage.documents import DocumentRepository
from exodesk.storage.patients import PatientRepository
from exodesk.storage.sessions import CourseRepository, ProductRepository, SessionRepository
from exodesk.storage.settings import SettingsRepository
from exodesk.storage.staff import StaffRepository

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from exodesk.reports.clinical import AdverseEventReport, DueListReport, RecallReport

SESSIONS = "sessions"
CATALOGUE = "catalogue"
CSV_HEADERS = (
    "Lot",
    "Session date",
    "Treatment",
    "Practitioner",
    "Family name",
    "Given names",
    "Date of birth",
    "Phone",
    "Email",
    "Adverse events",
)


@dataclass(frozen=True)
class SessionCheck:
    """Everything the form shows before a session is saved.

    ``problems`` block saving (an expired lot among them); ``warnings`` and ``lot_flags`` are
    for information; a failed ``gate`` needs an override reason, ``spacing`` warnings need a
    reason, ``regulatory`` notes need confirming.
    """

    problems: list[Problem]
    gate: Clearance
    warnings: list[str] = field(default_factory=list)  # needle depth deeper than usual
    lot_flags: tuple[LotFlag, ...] = ()  # only those that let the session save
    spacing: list[str] = field(default_factory=list)
    regulatory: tuple[RegulatoryNote, ...] = ()


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a patient's timeline, newest first."""

    when: datetime
    kind: str  # screening | session | adverse_event | sheet
    title: str
    detail: str
    record_id: int
    alert: bool = False  # shown in red (override, entered in error, severe event)
    muted: bool = False  # amended / entered in error


@dataclass(frozen=True)
class Recall:
    """Every patient and session that received the matching lots."""

    lots: list[tuple[Lot, Product]]
    rows: list[RecallRow]

    @property
    def lines(self) -> list[RecallLine]:
        """The rows as every recall list shows them (``recall_line``)."""
        return [recall_line(row) for row in self.rows]

    @property
    def patient_count(self) -> int:
        return len({r.patient_id for r in self.rows})


class SessionService:
    """Everything the practitioner records about treatments, products and complications."""

    def __init__(self, ctx: ServiceContext, screening: ScreeningService) -> None:
        self._ctx = ctx
        self._screening = screening
        self._products = ProductRepository(ctx.db)
        self._courses = CourseRepository(ctx.db)
        self._sessions = SessionRepository(ctx.db)
        self._patients = PatientRepository(ctx.db)
        self._staff = StaffRepository(ctx.db)
        self._settings = SettingsRepository(ctx.db)

    def today(self) -> date:
        return self._ctx.today()

    def _by(self) -> int:
        """The person at the desk (call after the permission check)."""
        return int(self._ctx.desk.require().id or 0)

    # ---- catalogue -----------------------------------------------------------------------
    def products(self, *, include_inactive: bool = False) -> list[Product]:
        with storage_errors():
            return self._products.products(include_inactive=include_inactive)

    def product(self, product_id: int) -> Product:
        with storage_errors():
            found = self._products.product(product_id)
        if found is None:
            raise UserError("That product is no longer in the catalogue.")
        return found

    def save_product(self, product: Product) -> SaveResult:
        self._ctx.require(CATALOGUE_EDIT)
        product = replace(
            product, name=product.name.strip(), manufacturer=product.manufacturer.strip()
        )
        problems = validate_product(product)
        if problems:
            return SaveResult(problems=problems)
        now = self._ctx.now()
        with self._ctx.write():
            before = self._products.product(product.id) if product.id else None
            product_id = self._products.save_product(product, at=now.isoformat())
            self._ctx.audit(
                "update" if before else "create",
                "products",
                product_id,
                summary=f"Product {product.name}",
                before=_plain(before),
                after=_plain(product),
                at=now,
            )
            stored = self._products.product(product_id)
        return SaveResult(record=stored, changes=Changes(frozenset({CATALOGUE})))

    def lots(self, product_id: int | None = None) -> list[Lot]:
        with storage_errors():
            return self._products.lots(product_id)

    def lot(self, lot_id: int) -> Lot:
        with storage_errors():
            found = self._products.lot(lot_id)
        if found is None:
            raise UserError("That lot is not in the catalogue.")
        return found

    def save_lot(self, lot: Lot) -> SaveResult:
        self._ctx.require(CATALOGUE_EDIT)
        lot = replace(lot, lot_number=lot.lot_number.strip())
        problems = validate_lot(lot, today=self.today())
        with storage_errors():
            if not problems and self._products.lot_exists(
                lot.product_id, lot.lot_number, other_than=lot.id
            ):
                problems.append(Problem("lot_number", "This product already has that lot number."))
        if problems:
            return SaveResult(problems=problems)
        now = self._ctx.now()
        with self._ctx.write():
            before = self._products.lot(lot.id) if lot.id else None
            lot_id = self._products.save_lot(lot, at=now.isoformat())
            self._ctx.audit(
                "update" if before else "create",
                "lots",
                lot_id,
                summary=f"Lot {lot.lot_number}",
                before=_plain(before),
                after=_plain(lot),
                at=now,
            )
            stored = self._products.lot(lot_id)
        return SaveResult(record=stored, changes=Changes(frozenset({CATALOGUE})))

    # ---- protocols and courses -----------------------------------------------------------
    def protocols(self) -> list[ProtocolTemplate]:
        """The clinic's protocol templates (the bundled §3 protocols until edited)."""
        with storage_errors():
            stored = {t.key: t for t in self._courses.protocols()}
        bundled = [stored.pop(t.key, t) for t in load_protocols()]
        return bundled + list(stored.values())  # the clinic's own protocols after ours

    def save_protocol(self, template: ProtocolTemplate) -> SaveResult:
        self._ctx.require(CATALOGUE_EDIT)
        problems = validate_protocol(template)
        if problems:
            return SaveResult(problems=problems)
        now = self._ctx.now()
        with self._ctx.write():
            self._courses.save_protocol(template, at=now.isoformat())
            self._ctx.audit(
                "update",
                "protocol_templates",
                None,
                summary=f"Protocol {template.label}",
                after=_plain(template),
                at=now,
            )
        return SaveResult(record=template, changes=Changes(frozenset({CATALOGUE})))

    def courses(self, patient_id: int) -> list[tuple[Course, CourseProgress]]:
        self._ctx.require(SESSIONS_VIEW)
        with storage_errors():
            courses = self._courses.courses_for(patient_id)
            return [
                (
                    c,
                    course_progress(
                        c, self._sessions.course_dates(int(c.id or 0)), today=self.today()
                    ),
                )
                for c in courses
            ]

    def start_course(
        self,
        patient_id: int,
        template_key: str,
        treatment: str,
        planned_sessions: int | None = None,
    ) -> SaveResult:
        self._ctx.require(SESSIONS_RECORD)
        template = next((t for t in self.protocols() if t.key == template_key), None)
        if template is None:
            return SaveResult(problems=[Problem("template", "Choose a protocol.")])
        if treatment not in TREATMENTS:
            return SaveResult(problems=[Problem("treatment", "Choose a treatment.")])
        course = course_from_protocol(
            template, patient_id=patient_id, treatment=treatment, started_on=self.today()
        )
        if planned_sessions is not None:
            if isinstance(planned_sessions, bool) or not isinstance(planned_sessions, int):
                return SaveResult(
                    problems=[Problem("planned_sessions", "Planned sessions is a whole number.")]
                )
            if not template.sessions_min <= planned_sessions <= template.sessions_max:
                return SaveResult(
                    problems=[
                        Problem(
                            "planned_sessions",
                            f"This protocol plans {template.sessions_min}–"
                            f"{template.sessions_max} sessions.",
                        )
                    ]
                )
            course = replace(course, planned_sessions=planned_sessions)
        by = self._by()
        now = self._ctx.now()
        with self._ctx.write():
            course_id = self._courses.insert_course(course, at=now.isoformat(), by=by)
            self._ctx.audit(
                "create",
                "courses",
                course_id,
                patient_id=patient_id,
                summary=f"Course: {template.label}, {course.planned_sessions} sessions",
                after=_plain(course),
                at=now,
            )
            stored = self._courses.course(course_id)
        return SaveResult(record=stored, changes=Changes(frozenset({SESSIONS}), patient_id))

    def set_course_status(self, course_id: int, status: str, reason: str = "") -> SaveResult:
        self._ctx.require(SESSIONS_RECORD)
        if status not in ("active", "completed", "stopped"):
            raise ValueError(status)
        with self._ctx.write():
            course = self._courses.course(course_id)
            if course is None:
                raise UserError("That course no longer exists.")
            self._courses.set_course_status(course_id, status)
            self._ctx.audit(
                "update",
                "courses",
                course_id,
                patient_id=course.patient_id,
                summary=f"Course {status}" + (f": {reason}" if reason else ""),
                before={"status": course.status},
                after={"status": status},
            )
        return SaveResult(
            record=self._courses.course(course_id),
            changes=Changes(frozenset({SESSIONS}), course.patient_id),
        )

    # ---- sessions ------------------------------------------------------------------------
    def practitioners(self) -> list:
        with storage_errors():
            return [m for m in self._staff.list() if m.role == "practitioner"]

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
        """A draft for the form: the course's treatment and the previous session's details."""
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
        previous = next(
            (s for s in self.sessions(patient_id) if course is None or s.course_id == course_id),
            None,
        )
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
                status="current",
                version=1,
                series_id=None,
                course_id=course_id,
                error_reason="",
            )
        treatment = course.treatment if course else "exosome_face"
        scalp = treatment == "exosome_scalp"
        return TreatmentSession(
            patient_id=patient_id,
            performed_at=now,
            practitioner_id=practitioner,
            treatment=treatment,
            areas=frozenset({"scalp" if scalp else "face"}),
            indication=course.indication
            if course
            else ("hair_thinning" if scalp else "rejuvenation"),
            delivery="topical_microneedling",
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
        )
        return SessionCheck(
            problems=problems,
            gate=gate,
            warnings=needle_depth_warnings(draft.needle_depth_mm, draft.areas),
            lot_flags=flags,
            spacing=list(spacing),
            regulatory=tuple(notes),
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
            self._ctx.audit(
                "amend" if supersedes else "create",
                "sessions",
                new_id,
                patient_id=draft.patient_id,
                summary=(f"Amended: {reason} — " if supersedes else "") + summary,
                before={"session_id": supersedes.id} if supersedes else None,
                after=_plain(draft),
                at=now,
            )
            stored = self._sessions.get(new_id)
        return SaveResult(record=stored, changes=Changes(frozenset({SESSIONS}), draft.patient_id))

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

    # ---- adverse events ------------------------------------------------------------------
    def log_event(self, event: AdverseEvent) -> SaveResult:
        """Log (or update) a complication against a session — also months later."""
        self._ctx.require(EVENTS_LOG)
        session = self.get(event.session_id)
        problems = validate_adverse_event(
            event, today=self.today(), session_date=session.performed_at.astimezone().date()
        )
        if problems:
            return SaveResult(problems=problems)
        by = self._by()
        now = self._ctx.now()
        with self._ctx.write():
            before = self._sessions.event(event.id) if event.id else None
            event_id = self._sessions.save_event(event, at=now.isoformat(), by=by)
            self._ctx.audit(
                "update" if before else "create",
                "adverse_events",
                event_id,
                patient_id=session.patient_id,
                summary=f"Adverse event: {AE_TYPES[event.type]}, {AE_SEVERITIES[event.severity]}",
                before=_plain(before),
                after=_plain(event),
                at=now,
            )
            stored = self._sessions.event(event_id)
        return SaveResult(record=stored, changes=Changes(frozenset({SESSIONS}), session.patient_id))

    def events_for_patient(self, patient_id: int) -> list[AdverseEvent]:
        self._ctx.require(SESSIONS_VIEW)
        with storage_errors():
            return self._sessions.events_for_patient(patient_id)

    def open_events(self) -> list[tuple[AdverseEvent, int]]:
        self._ctx.require(SESSIONS_VIEW)
        with storage_errors():
            return self._sessions.open_events()

    def event(self, event_id: int) -> AdverseEvent:
        self._ctx.require(SESSIONS_VIEW)
        with storage_errors():
            found = self._sessions.event(event_id)
        if found is None:
            raise UserError("That adverse event no longer exists.")
        return found

    # ---- lists ---------------------------------------------------------------------------
    def recall(self, text: str) -> Recall:
        """Every patient and session that received a lot whose number starts with ``text``."""
        self._ctx.require(RECALL_VIEW)
        with storage_errors():
            lots = self._products.find_lots(text)
            pairs = [(lot, self._products.product(lot.product_id)) for lot in lots]
            rows = self._sessions.recall_rows([int(lot.id or 0) for lot in lots])
        return Recall(lots=[(lot, p) for lot, p in pairs if p is not None], rows=rows)

    @staticmethod
    def recall_csv(recall: Recall) -> str:
        """The recall list as CSV, one row per session, for the clinic's own records.

        Dates are ISO (``2026-11-03``) so a spreadsheet reads them in any locale; the names keep
        a column each, family name first.
        """
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_HEADERS)
        for line in recall.lines:
            writer.writerow(
                [
                    line.lot_number,
                    line.session_date.isoformat(),
                    line.treatment,
                    line.practitioner,
                    line.family_name,
                    line.given_names,
                    line.date_of_birth.isoformat() if line.date_of_birth else "",
                    line.phone,
                    line.email,
                    line.adverse_events,
                ]
            )
        return out.getvalue()

    def due_list(self) -> list[DueEntry]:
        """Patients due or overdue for their next course session or maintenance."""
        self._ctx.require(DUE_LIST_VIEW)
        today = self.today()
        entries = []
        with storage_errors():
            for course in self._courses.active_courses():
                progress = course_progress(
                    course, self._sessions.course_dates(int(course.id or 0)), today=today
                )
                if not is_due(progress):
                    continue
                patient = self._patients.get(course.patient_id)
                if patient is None or patient.status != "active":
                    continue
                entries.append(
                    DueEntry(
                        int(patient.id or 0), patient.display_name, patient.phone, course, progress
                    )
                )
        return due_order(entries)

    def timeline(self, patient_id: int) -> list[TimelineEntry]:
        """Screenings, sessions and adverse events for one patient, newest first."""
        self._ctx.require(SESSIONS_VIEW)
        entries: list[TimelineEntry] = []
        for h in self._screening.history(patient_id):
            entries.append(
                TimelineEntry(
                    datetime.fromisoformat(h.taken_at),
                    "screening",
                    f"Screening v{h.version}",
                    f"by {h.taken_by}"
                    + (" — amended later" if h.superseded else "")
                    + (f" — {h.amend_reason}" if h.amend_reason else ""),
                    h.id,
                    muted=h.superseded,
                )
            )
        for s in self.sessions(patient_id, include_all=True):
            title = f"{TREATMENTS[s.treatment]} — " + ", ".join(AREAS[a] for a in sorted(s.areas))
            detail = f"{DELIVERY_METHODS[s.delivery]} · {s.practitioner_name}"
            if s.products:
                detail += " · " + ", ".join(
                    f"{p.product_name} lot {p.lot_number}" for p in s.products
                )
            if s.status == "amended":
                detail += " · amended later"
            if s.status == "entered_in_error":
                title = "ENTERED IN ERROR: " + title
                detail += f" · {s.error_reason}"
            if s.gate_override_reason:
                detail += f" · SCREENING OVERRIDDEN: {s.gate_override_reason}"
            entries.append(
                TimelineEntry(
                    s.performed_at,
                    "session",
                    title,
                    detail,
                    int(s.id or 0),
                    alert=bool(s.gate_override_reason),
                    muted=s.status != "current",
                )
            )
        for e in self.events_for_patient(patient_id):
            outcome = AE_OUTCOMES[e.outcome]
            entries.append(
                TimelineEntry(
                    datetime.combine(e.onset_date, datetime.min.time()).astimezone(),
                    "adverse_event",
                    f"Adverse event: {AE_TYPES[e.type]} ({AE_SEVERITIES[e.severity]})",
                    f"onset {format_long(e.onset_date)} · {outcome}",
                    int(e.id or 0),
                    alert=e.severity in ("severe", "life_threatening") or e.outcome == "ongoing",
                )
            )
        with storage_errors():
            documents = DocumentRepository(self._ctx.db).issued_for(patient_id)
        for d in documents:
            what = "Aftercare sheet" if d.kind == "aftercare" else d.kind.capitalize()
            label = TREATMENTS.get(d.template, d.template)
            entries.append(
                TimelineEntry(
                    d.issued_at,
                    "sheet",
                    f"{what} {d.how}: {label}",
                    f"by {d.issued_by} · wording {d.template_version}",
                    d.id,
                )
            )
        # At the same minute a screening comes before the session it cleared.
        order = {"screening": 0, "session": 1, "adverse_event": 2, "sheet": 3}
        return sorted(entries, key=lambda t: (t.when, order[t.kind]), reverse=True)

    @staticmethod
    def source_label(source: str | None) -> str:
        return SOURCES.get(source or "", "—")

    # ---- printing ------------------------------------------------------------------------
    def _clinic(self) -> ClinicSettings:
        with storage_errors():
            return self._settings.clinic()

    def regulator_report(self, event_id: int) -> AdverseEventReport:
        """The adverse event laid out field by field for a Yellow Card or MedWatch form."""
        # Imported here, not at the top: reportlab costs ~100 ms of start-up (issue #9).
        from exodesk.reports.clinical import AdverseEventReport, ReportProduct, patient_initials

        self._ctx.require(EVENTS_LOG)
        event = self.event(event_id)
        session = self.get(event.session_id)
        with storage_errors():
            patient = self._patients.get(session.patient_id)
        assert patient is not None
        products = []
        for used in session.products:
            lot = self.lot(used.lot_id)
            product = self.product(lot.product_id)
            products.append(
                ReportProduct(
                    name=product.name,
                    manufacturer=product.manufacturer,
                    source=SOURCES.get(product.source or "", "—"),
                    lot_number=lot.lot_number,
                    expiry=lot.expiry,
                    volume=f"{used.volume_ml:g} ml" if used.volume_ml else "—",
                )
            )
        actor = self._ctx.desk.user
        return AdverseEventReport(
            clinic=self._clinic(),
            printed_on=self.today(),
            patient_initials=patient_initials(patient.full_name),
            patient_age=patient.age(event.onset_date),
            patient_sex=SEXES.get(patient.sex, "Not stated"),
            event_type=AE_TYPES[event.type],
            severity=AE_SEVERITIES[event.severity],
            onset_date=event.onset_date,
            description=event.description,
            action_taken=event.action_taken,
            outcome=AE_OUTCOMES[event.outcome],
            resolution_date=event.resolution_date,
            reported_to_supplier=event.reported_to_supplier,
            reported_to_regulator=event.reported_to_regulator,
            regulator_reference=event.regulator_reference,
            session_date=session.performed_at.astimezone().date(),
            treatment=TREATMENTS[session.treatment],
            areas=", ".join(AREAS[a] for a in sorted(session.areas)),
            delivery=DELIVERY_METHODS[session.delivery],
            practitioner=session.practitioner_name,
            products=tuple(products),
            reporter_name=actor.name if actor else "",
        )

    def render_regulator_report(self, event_id: int) -> bytes:
        # Imported here, not at the top: reportlab costs ~100 ms of start-up (issue #9).
        from exodesk.reports.clinical import render_adverse_event_report

        self._ctx.require(EVENTS_LOG)
        return render_adverse_event_report(self.regulator_report(event_id))

    def recall_report(self, recall: Recall, query: str) -> RecallReport:
        """The recall list as printable data."""
        # Imported here, not at the top: reportlab costs ~100 ms of start-up (issue #9).
        from exodesk.reports.clinical import RecallReport

        if len(recall.lots) == 1:
            lot, product = recall.lots[0]
            name, maker, number, expiry = (
                product.name,
                product.manufacturer,
                lot.lot_number,
                lot.expiry,
            )
        else:
            name = "; ".join(sorted({p.name for _, p in recall.lots})) or "—"
            maker = "; ".join(sorted({p.manufacturer for _, p in recall.lots}))
            number = ", ".join(lot.lot_number for lot, _ in recall.lots) or query
            expiry = None
        return RecallReport(
            clinic=self._clinic(),
            printed_on=self.today(),
            query=query,
            product_name=name,
            manufacturer=maker,
            lot_number=number,
            expiry=expiry,
            rows=tuple(recall.lines),
        )

    def due_report(self, entries: list[DueEntry]) -> DueListReport:
        # Imported here, not at the top: reportlab costs ~100 ms of start-up (issue #9).
        from exodesk.reports.clinical import DueListReport

        rows = tuple(due_line(e) for e in entries)
        return DueListReport(clinic=self._clinic(), printed_on=self.today(), rows=rows)

    def paper_size(self) -> str:
        return self._clinic().paper_size

    # ---- what left the building ----------------------------------------------------------
    def record_regulator_report(self, event_id: int, how: str) -> None:
        """Note in the audit trail that an adverse event report was printed or saved."""
        self._ctx.require(EVENTS_LOG)
        event = self.event(event_id)
        session = self.get(event.session_id)
        with self._ctx.write():
            self._ctx.audit(
                "print",
                "adverse_events",
                event_id,
                patient_id=session.patient_id,
                summary=f"Adverse event report {how}",
            )

    def record_recall_output(
        self, recall: Recall, query: str, how: str, *, exported: bool = False
    ) -> None:
        """Note that a recall list (names and phone numbers) was printed, or saved as a file
        (``exported``): which lots, how many patients; no names in the trail."""
        self._ctx.require(RECALL_VIEW)
        lots = [lot.lot_number for lot, _product in recall.lots]
        with self._ctx.write():
            self._ctx.audit(
                "export" if exported else "print",
                "lots",
                None,
                summary=f"Recall list for “{query}” {how}: {recall.patient_count} patients",
                after={"query": query, "lots": lots, "sessions": len(recall.rows)},
            )

    def record_due_list_output(self, entries: list[DueEntry], how: str) -> None:
        """Note that the due list (names and phone numbers) was printed or saved."""
        self._ctx.require(DUE_LIST_VIEW)
        with self._ctx.write():
            self._ctx.audit(
                "print",
                "courses",
                None,
                summary=f"Due list {how}: {len({e.patient_id for e in entries})} patients",
            )


def _plain(record: DataclassInstance | None) -> dict | None:
    """A record as JSON-friendly values for the audit log (nested records included)."""
    if record is None:
        return None

    def convert(value: object) -> object:
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        if isinstance(value, (set, frozenset)):
            return sorted(value)
        if isinstance(value, bytes):
            return f"<{len(value)} bytes>"
        raise TypeError(type(value).__name__)

    return json.loads(json.dumps(asdict(record), default=convert))
