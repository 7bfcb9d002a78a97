"""Adverse events: complications logged against a session, and the report for a regulator."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from typing import TYPE_CHECKING

from exodesk.domain.accounts import EVENTS_LOG, SESSIONS_VIEW
from exodesk.domain.allergies import allergy_list_words, allergy_override_line
from exodesk.domain.lists import OpenEvent
from exodesk.domain.patient import SEXES
from exodesk.domain.sessions import (
    AE_OUTCOMES,
    AE_SEVERITIES,
    AE_TYPES,
    AREAS,
    DELIVERY_METHODS,
    SOURCES,
    TREATMENTS,
    AdverseEvent,
    TreatmentSession,
    session_day,
    validate_adverse_event,
)
from exodesk.errors import UserError
from exodesk.services.catalogue import CatalogueService
from exodesk.services.context import Changes, SaveResult, ServiceContext
from exodesk.services.plain import plain
from exodesk.services.printing import PrintJob
from exodesk.services.sessions import SESSIONS, SessionService
from exodesk.storage.allergies import AllergyRepository
from exodesk.storage.audit import AuditRepository
from exodesk.storage.database import storage_errors
from exodesk.storage.patients import PatientRepository
from exodesk.storage.sessions import SessionRepository
from exodesk.storage.settings import SettingsRepository

if TYPE_CHECKING:
    from exodesk.reports.clinical import AdverseEventReport


class EventService:
    """Log and follow up complications; lay one out for a regulator's form."""

    def __init__(
        self, ctx: ServiceContext, sessions: SessionService, catalogue: CatalogueService
    ) -> None:
        self._ctx = ctx
        self._sessions = sessions
        self._catalogue = catalogue
        self._events = SessionRepository(ctx.db)
        self._patients = PatientRepository(ctx.db)
        self._settings = SettingsRepository(ctx.db)

    def today(self) -> date:
        return self._ctx.today()

    def session(self, session_id: int) -> TreatmentSession:
        """The session an event is (or is to be) logged against."""
        return self._sessions.get(session_id)

    def log_event(self, event: AdverseEvent) -> SaveResult:
        """Log (or update) a complication against a session — also months later."""
        self._ctx.require(EVENTS_LOG)
        session = self._sessions.get(event.session_id)
        problems = validate_adverse_event(
            event, today=self.today(), session_date=session_day(session.performed_at)
        )
        if problems:
            return SaveResult(problems=problems)
        by = int(self._ctx.desk.require().id or 0)
        now = self._ctx.now()
        with self._ctx.write():
            before = self._events.event(event.id) if event.id else None
            event_id = self._events.save_event(event, at=now.isoformat(), by=by)
            self._ctx.audit(
                "update" if before else "create",
                "adverse_events",
                event_id,
                patient_id=session.patient_id,
                summary=f"Adverse event: {AE_TYPES[event.type]}, {AE_SEVERITIES[event.severity]}",
                before=plain(before),
                after=plain(event),
                at=now,
            )
            stored = self._events.event(event_id)
        return SaveResult(record=stored, changes=Changes(frozenset({SESSIONS}), session.patient_id))

    def events_for_patient(self, patient_id: int) -> list[AdverseEvent]:
        self._ctx.require(SESSIONS_VIEW)
        with storage_errors():
            return self._events.events_for_patient(patient_id)

    def open_events(self) -> list[OpenEvent]:
        """Events not yet resolved, oldest onset first, each with its patient's id."""
        self._ctx.require(SESSIONS_VIEW)
        with storage_errors():
            return self._events.open_events()

    def event(self, event_id: int) -> AdverseEvent:
        self._ctx.require(SESSIONS_VIEW)
        with storage_errors():
            found = self._events.event(event_id)
        if found is None:
            raise UserError("That adverse event no longer exists.")
        return found

    def regulator_told_on(self, event_id: int) -> datetime | None:
        """When the event was last marked as reported to the regulator, from the audit trail;
        None while it is not marked so (or was marked before the trail began)."""
        event = self.event(event_id)  # checks SESSIONS_VIEW
        if not event.reported_to_regulator:
            return None
        with storage_errors():
            entries = AuditRepository(self._ctx.db).for_record("adverse_events", event_id)
        told: datetime | None = None
        for entry in entries:
            was = bool((entry.before or {}).get("reported_to_regulator"))
            if (entry.after or {}).get("reported_to_regulator") and not was:
                told = entry.at
        return told

    # ---- the report for a regulator ----------------------------------------------------------
    def regulator_report(self, event_id: int) -> AdverseEventReport:
        """The adverse event laid out field by field for a Yellow Card or MedWatch form."""
        # Imported here, not at the top: reportlab costs ~100 ms of start-up (issue #9).
        from exodesk.reports.clinical import AdverseEventReport, ReportProduct, patient_initials

        self._ctx.require(EVENTS_LOG)
        event = self.event(event_id)
        session = self._sessions.get(event.session_id)
        with storage_errors():
            patient = self._patients.get(session.patient_id)
            allergies = AllergyRepository(self._ctx.db).summary(session.patient_id)
        assert patient is not None
        products = []
        for used in session.products:
            lot = self._catalogue.lot(used.lot_id)
            product = self._catalogue.product(lot.product_id)
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
        with storage_errors():
            clinic = self._settings.clinic()
        return AdverseEventReport(
            clinic=clinic,
            printed_on=self.today(),
            patient_initials=patient_initials(patient.full_name),
            patient_age=patient.age(event.onset_date),
            patient_sex=SEXES.get(patient.sex, "Not stated"),
            patient_allergies=allergy_list_words(allergies),
            allergy_override=allergy_override_line(
                session.allergy_conflicts, session.allergy_override_reason
            ),
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
            session_date=session_day(session.performed_at),
            treatment=TREATMENTS[session.treatment],
            areas=", ".join(AREAS[a] for a in sorted(session.areas)),
            delivery=DELIVERY_METHODS[session.delivery],
            practitioner=session.practitioner_name,
            products=tuple(products),
            reporter_name=actor.name if actor else "",
        )

    def regulator_report_job(self, event_id: int) -> PrintJob[AdverseEventReport]:
        """The report (as ``regulator_report``) ready to preview and print; printing or
        saving it is noted in the audit trail."""
        report = self.regulator_report(event_id)

        def record(how: str, _pdf: bytes) -> Changes:
            self.record_regulator_report(event_id, how)
            return Changes()

        return PrintJob(
            title="Adverse event report",
            file_name="Adverse event report.pdf",
            paper_size=report.clinic.paper_size,
            data=report,
            render=partial(_render_regulator_report, report),
            record=record,
        )

    def record_regulator_report(self, event_id: int, how: str) -> None:
        """Note in the audit trail that an adverse event report was printed or saved."""
        self._ctx.require(EVENTS_LOG)
        event = self.event(event_id)
        session = self._sessions.get(event.session_id)
        with self._ctx.write():
            self._ctx.audit(
                "print",
                "adverse_events",
                event_id,
                patient_id=session.patient_id,
                summary=f"Adverse event report {how}",
            )


def _render_regulator_report(report: AdverseEventReport) -> bytes:
    """Pure rendering: safe to call off the UI thread."""
    # Imported here, not at the top: reportlab costs ~100 ms of start-up (issue #9).
    from exodesk.reports.clinical import render_adverse_event_report

    return render_adverse_event_report(report)
