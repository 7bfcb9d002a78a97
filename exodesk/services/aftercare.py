"""Aftercare use cases: the clinic's wording (versioned), personal sheets, the issue log and
byte-for-byte reprints."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any

from exodesk.domain.accounts import CLINICAL_TEXTS_EDIT, HANDOUTS_PRINT
from exodesk.domain.aftercare import (
    AftercareTemplate,
    method_line,
    template_from_json,
    template_to_json,
    validate_template,
)
from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.courses import course_progress
from exodesk.domain.dates import format_short
from exodesk.domain.sessions import AREAS, TREATMENTS
from exodesk.errors import UserError
from exodesk.services.context import SETTINGS, Changes, SaveResult, ServiceContext
from exodesk.services.printing import PrintJob
from exodesk.storage.database import storage_errors
from exodesk.storage.documents import DocumentRepository, IssuedDocument
from exodesk.storage.patients import PatientRepository
from exodesk.storage.sessions import CourseRepository, SessionRepository
from exodesk.storage.settings import SettingsRepository

if TYPE_CHECKING:
    from exodesk.reports.aftercare import AftercareSheet

DOCUMENTS = "documents"
TEXT_KIND = "aftercare"
NOT_IDENTICAL = (
    "The reprint has the same content, but is not identical byte for byte to the "
    "original (the PDF software was updated since)."
)


@dataclass(frozen=True)
class WordingVersion:
    """Which wording a template is in: the bundled one or a clinic edit."""

    template: AftercareTemplate
    version: str  # "2026.1" for the bundled wording, "clinic v3" for the third clinic edit
    edited: bool


@dataclass(frozen=True)
class Reprint:
    """A reprinted document and whether it matches the original byte for byte."""

    pdf: bytes
    identical: bool
    original: IssuedDocument
    paper_size: str


class AftercareService:
    """Everything needed to hand a patient the sheet written for their session."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx
        self._docs = DocumentRepository(ctx.db)
        self._patients = PatientRepository(ctx.db)
        self._sessions = SessionRepository(ctx.db)
        self._courses = CourseRepository(ctx.db)
        self._settings = SettingsRepository(ctx.db)

    def today(self) -> date:
        return self._ctx.today()

    # ---- wording -------------------------------------------------------------------------
    def wording(self, treatment: str) -> WordingVersion:
        """The wording in use for a treatment's sheet."""
        if treatment not in TREATMENTS:
            raise UserError(f"“{treatment}” has no aftercare sheet.")
        with storage_errors():
            latest = self._docs.latest_text(TEXT_KIND, treatment)
        default = self.default_wording(treatment)
        if latest is None or latest.is_default:
            return WordingVersion(default, default.version, False)
        return WordingVersion(template_from_json(latest.body), f"clinic v{latest.version}", True)

    def default_wording(self, treatment: str) -> AftercareTemplate:
        """The bundled wording of a treatment's sheet (the editor's "Show the default")."""
        if treatment not in TREATMENTS:
            raise UserError(f"“{treatment}” has no aftercare sheet.")
        return self._ctx.bundled.aftercare[treatment]

    def save_wording(self, template: AftercareTemplate) -> SaveResult:
        """Store the clinic's edited wording as a new version (earlier sheets keep theirs)."""
        self._ctx.require(CLINICAL_TEXTS_EDIT)
        problems = validate_template(template)
        if problems:
            return SaveResult(problems=problems)
        actor = self._ctx.desk.require()
        now = self._ctx.now()
        with self._ctx.write():
            version = self._docs.add_text(
                TEXT_KIND,
                template.treatment,
                template_to_json(template),
                is_default=False,
                at=now.isoformat(),
                by=actor.id,
            )
            self._ctx.audit(
                "update",
                "editable_texts",
                None,
                summary=f"Aftercare wording for {template.treatment}: v{version}",
                after={"treatment": template.treatment, "version": version},
                at=now,
            )
        return SaveResult(
            record=self.wording(template.treatment), changes=Changes(frozenset({SETTINGS}))
        )

    def restore_default_wording(self, treatment: str) -> SaveResult:
        self._ctx.require(CLINICAL_TEXTS_EDIT)
        default = self.default_wording(treatment)
        actor = self._ctx.desk.require()
        now = self._ctx.now()
        with self._ctx.write():
            self._docs.add_text(
                TEXT_KIND,
                treatment,
                template_to_json(default),
                is_default=True,
                at=now.isoformat(),
                by=actor.id,
            )
            self._ctx.audit(
                "update",
                "editable_texts",
                None,
                summary=f"Aftercare wording for {treatment}: back to the default",
                at=now,
            )
        return SaveResult(record=self.wording(treatment), changes=Changes(frozenset({SETTINGS})))

    # ---- sheets --------------------------------------------------------------------------
    def _clinic(self) -> ClinicSettings:
        with storage_errors():
            return self._settings.clinic()

    def sheet(
        self,
        *,
        treatment: str,
        patient_id: int | None = None,
        session_id: int | None = None,
        large_print: bool = False,
    ) -> AftercareSheet:
        """The sheet's data: for a session, for a patient alone, or blank (neither given)."""
        # Imported here, not at the top: reportlab costs ~100 ms of start-up (issue #9).
        from exodesk.reports.aftercare import AftercareSheet, SheetProduct

        self._ctx.require(HANDOUTS_PRINT)
        wording = self.wording(treatment).template
        base = AftercareSheet(
            clinic=self._clinic(),
            template=wording,
            printed_on=self.today(),
            patient_name=None,
            treatment_label=TREATMENTS[treatment],
            areas="",
            session_date=None,
            practitioner="",
            products=(),
            course_label="",
            next_window="",
            large_print=large_print,
        )
        if patient_id is None and session_id is None:
            return base
        with storage_errors():
            session = self._sessions.get(session_id) if session_id is not None else None
            if session is not None:
                patient_id = session.patient_id
            patient = self._patients.get(int(patient_id or 0))
        if patient is None:
            raise UserError("That patient no longer exists.")
        sheet = replace(base, patient_name=patient.full_name)
        if session is None:
            return sheet
        course_label = next_window = ""
        if session.course_id is not None:
            with storage_errors():
                course = self._courses.course(session.course_id)
                dates = self._sessions.course_dates(session.course_id)
            if course is not None:
                progress = course_progress(course, dates, today=self.today())
                done = len([d for d in dates if d <= session.performed_at.astimezone().date()])
                course_label = f"session {done} of {course.planned_sessions}"
                if progress.next_earliest and progress.next_latest and not progress.complete:
                    next_window = (
                        f"between {format_short(progress.next_earliest)} and "
                        f"{format_short(progress.next_latest)}"
                    )
                elif progress.maintenance_earliest and progress.maintenance_latest:
                    next_window = (
                        f"maintenance between "
                        f"{format_short(progress.maintenance_earliest)} and "
                        f"{format_short(progress.maintenance_latest)}"
                    )
        return replace(
            sheet,
            treatment_label=TREATMENTS[session.treatment],
            areas=", ".join(AREAS[a] for a in sorted(session.areas)),
            session_date=session.performed_at.astimezone().date(),
            practitioner=session.practitioner_name,
            products=tuple(SheetProduct(p.product_name, p.lot_number) for p in session.products),
            course_label=course_label,
            next_window=next_window,
            method_line=method_line(
                session.treatment, session.delivery, scalp="scalp" in session.areas
            ),
        )

    @staticmethod
    def render(sheet: AftercareSheet) -> bytes:
        """Pure rendering: safe to call off the UI thread."""
        # Imported here, not at the top: reportlab costs ~100 ms of start-up (issue #9).
        from exodesk.reports.aftercare import render_aftercare

        return render_aftercare(sheet)

    def sheet_job(
        self,
        *,
        treatment: str,
        patient_id: int | None = None,
        session_id: int | None = None,
        large_print: bool = False,
    ) -> PrintJob[AftercareSheet]:
        """The sheet (as ``sheet``) ready to preview and print; issuing it adds it to the
        patient's issue log. A blank sheet is logged without a patient."""
        sheet = self.sheet(
            treatment=treatment,
            patient_id=patient_id,
            session_id=session_id,
            large_print=large_print,
        )
        if sheet.patient_name is None:
            patient_id = session_id = None
        elif patient_id is None and session_id is not None:
            with storage_errors():
                session = self._sessions.get(session_id)
            patient_id = session.patient_id if session else None

        def record(how: str, pdf: bytes) -> Changes:
            # The issue log says "printed" or "saved", as it always has: not where to.
            return self.record_issue(
                sheet, pdf, how.split(":", 1)[0], patient_id=patient_id, session_id=session_id
            ).changes

        name = sheet.patient_name or "blank"
        return PrintJob(
            title=f"Aftercare — {name}",
            file_name=f"Aftercare {name}.pdf",
            paper_size=sheet.clinic.paper_size,
            data=sheet,
            render=partial(AftercareService.render, sheet),
            record=record,
        )

    # ---- the issue log -------------------------------------------------------------------
    def record_issue(
        self,
        sheet: AftercareSheet,
        pdf: bytes,
        how: str,
        *,
        patient_id: int | None,
        session_id: int | None,
    ) -> SaveResult:
        """Log that a sheet was printed or saved, with what is needed to reprint it exactly."""
        self._ctx.require(HANDOUTS_PRINT)
        actor = self._ctx.desk.require()
        now = self._ctx.now()
        with self._ctx.write():
            payload = self._payload(sheet)
            doc_id = self._docs.add_issue(
                patient_id=patient_id,
                session_id=session_id,
                kind="aftercare",
                template=sheet.template.treatment,
                template_version=self.wording(sheet.template.treatment).version,
                payload=payload,
                sha256=hashlib.sha256(pdf).hexdigest(),
                how=how,
                at=now.isoformat(),
                by=int(actor.id or 0),
            )
            self._ctx.audit(
                "print",
                "documents_issued",
                doc_id,
                patient_id=patient_id,
                summary=f"Aftercare sheet ({sheet.template.treatment}) {how}",
                at=now,
            )
        return SaveResult(record=doc_id, changes=Changes(frozenset({DOCUMENTS}), patient_id))

    def issued(self, patient_id: int) -> list[IssuedDocument]:
        self._ctx.require(HANDOUTS_PRINT)
        with storage_errors():
            return self._docs.issued_for(patient_id)

    def record_reprint(self, document_id: int, how: str) -> None:
        """Note in the audit trail that an issued sheet was printed or saved again."""
        self._ctx.require(HANDOUTS_PRINT)
        with storage_errors():
            original = self._docs.issue(document_id)
        if original is None:
            raise UserError("That sheet is not in the issue log.")
        with self._ctx.write():
            self._ctx.audit(
                "print",
                "documents_issued",
                document_id,
                patient_id=original.patient_id,
                summary=f"Aftercare sheet ({original.template}) reprinted: {how}",
            )

    def reprint(self, document_id: int) -> Reprint:
        """Render an issued sheet again from what was stored; says if it matches exactly."""
        original, sheet = self._issued_sheet(document_id)
        pdf = self.render(sheet)
        same = hashlib.sha256(pdf).hexdigest() == original.sha256
        return Reprint(pdf, same, original, sheet.clinic.paper_size)

    def reprint_job(self, document_id: int) -> PrintJob[AftercareSheet]:
        """An issued sheet, rebuilt from what was stored, ready to preview and print again;
        printing it notes the reprint in the audit trail (the issue log keeps the original)."""
        original, sheet = self._issued_sheet(document_id)

        def caveat(pdf: bytes) -> str:
            return "" if hashlib.sha256(pdf).hexdigest() == original.sha256 else NOT_IDENTICAL

        def record(how: str, _pdf: bytes) -> Changes:
            self.record_reprint(document_id, how)
            return Changes()

        return PrintJob(
            title="Aftercare reprint",
            file_name="Aftercare reprint.pdf",
            paper_size=sheet.clinic.paper_size,
            data=sheet,
            render=partial(AftercareService.render, sheet),
            record=record,
            caveat=caveat,
        )

    def _issued_sheet(self, document_id: int) -> tuple[IssuedDocument, AftercareSheet]:
        self._ctx.require(HANDOUTS_PRINT)
        with storage_errors():
            original = self._docs.issue(document_id)
        if original is None or original.kind != "aftercare":
            raise UserError("That sheet is not in the issue log.")
        return original, self._from_payload(original.payload)

    def _payload(self, sheet: AftercareSheet) -> str:
        clinic = asdict(sheet.clinic)
        logo = clinic.pop("logo_png")
        clinic["logo_sha256"] = self._docs.store_image(logo) if logo else None
        data: dict[str, Any] = {
            "clinic": clinic,
            "template": template_to_json(sheet.template),
            "printed_on": sheet.printed_on.isoformat(),
            "patient_name": sheet.patient_name,
            "treatment_label": sheet.treatment_label,
            "areas": sheet.areas,
            "session_date": sheet.session_date.isoformat() if sheet.session_date else None,
            "practitioner": sheet.practitioner,
            "products": [[p.name, p.lot_number] for p in sheet.products],
            "course_label": sheet.course_label,
            "next_window": sheet.next_window,
            "large_print": sheet.large_print,
            "method_line": sheet.method_line,
        }
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    def _from_payload(self, payload: str) -> AftercareSheet:
        # Imported here, not at the top: reportlab costs ~100 ms of start-up (issue #9).
        from exodesk.reports.aftercare import AftercareSheet, SheetProduct

        data = json.loads(payload)
        clinic = dict(data["clinic"])
        digest = clinic.pop("logo_sha256")
        with storage_errors():
            logo = self._docs.image(digest) if digest else None
        return AftercareSheet(
            clinic=ClinicSettings(**clinic, logo_png=logo),
            template=template_from_json(data["template"]),
            printed_on=date.fromisoformat(data["printed_on"]),
            patient_name=data["patient_name"],
            treatment_label=data["treatment_label"],
            areas=data["areas"],
            session_date=date.fromisoformat(data["session_date"]) if data["session_date"] else None,
            practitioner=data["practitioner"],
            products=tuple(SheetProduct(name, lot) for name, lot in data["products"]),
            course_label=data["course_label"],
            next_window=data["next_window"],
            large_print=data["large_print"],
            # Sheets issued before the method line existed reprint as they were: without it.
            method_line=data.get("method_line", ""),
        )
