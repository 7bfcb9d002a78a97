"""Treatment comparison use cases: the clinic's edits and prices, the patient's marks, the
handout and its entry in the issue log."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import TYPE_CHECKING

from exodesk.domain.accounts import CLINICAL_TEXTS_EDIT, HANDOUTS_PRINT
from exodesk.domain.comparison import (
    ComparisonContent,
    ComparisonView,
    apply_edits,
    build_view,
    patient_mark,
)
from exodesk.domain.problems import Problem
from exodesk.domain.screening_vocabulary import verdict_when
from exodesk.errors import UserError
from exodesk.services.aftercare import DOCUMENTS
from exodesk.services.context import SETTINGS, Changes, SaveResult, ServiceContext
from exodesk.services.printing import PrintJob
from exodesk.services.screening import ScreeningService
from exodesk.storage.database import storage_errors
from exodesk.storage.documents import DocumentRepository
from exodesk.storage.patients import PatientRepository
from exodesk.storage.settings import SettingsRepository

if TYPE_CHECKING:
    from exodesk.reports.comparison import ComparisonHandout

TEXT_KIND = "comparison"
TEXT_KEY = "clinic"


@dataclass(frozen=True)
class ClinicComparisonTexts:
    """What the clinic changed: cell texts (treatment → row → text), notes and prices."""

    edits: dict[str, dict[str, str]]
    notes: dict[str, str]
    prices: dict[str, str]
    version: int = 0

    def to_json(self) -> str:
        return json.dumps(
            {"edits": self.edits, "notes": self.notes, "prices": self.prices},
            ensure_ascii=False,
            sort_keys=True,
        )


class ComparisonService:
    """The consultation view's data and its printable handout."""

    def __init__(self, ctx: ServiceContext, screening: ScreeningService) -> None:
        self._ctx = ctx
        self._screening = screening
        self._docs = DocumentRepository(ctx.db)
        self._patients = PatientRepository(ctx.db)
        self._settings = SettingsRepository(ctx.db)

    def today(self) -> date:
        return self._ctx.today()

    # ---- the clinic's texts ----------------------------------------------------------------
    def clinic_texts(self) -> ClinicComparisonTexts:
        with storage_errors():
            latest = self._docs.latest_text(TEXT_KIND, TEXT_KEY)
        if latest is None:
            return ClinicComparisonTexts({}, {}, {})
        data = json.loads(latest.body)
        return ClinicComparisonTexts(data["edits"], data["notes"], data["prices"], latest.version)

    def save_clinic_texts(self, texts: ClinicComparisonTexts) -> SaveResult:
        """Store edited cells, notes and prices as a new version (restorable to defaults)."""
        self._ctx.require(CLINICAL_TEXTS_EDIT)
        edits = {
            t: {r: v.strip() for r, v in rows.items() if v.strip()}
            for t, rows in texts.edits.items()
        }
        texts = ClinicComparisonTexts(
            {t: rows for t, rows in edits.items() if rows},
            {t: v.strip() for t, v in texts.notes.items() if v.strip()},
            {t: v.strip() for t, v in texts.prices.items() if v.strip()},
        )
        try:
            content = apply_edits(self.standard_content(), texts.edits, texts.notes)
            build_view(
                content, treatments=content.treatment_ids[:2], country="GB", prices=texts.prices
            )
        except (ValueError, KeyError) as exc:
            return SaveResult(problems=[Problem("texts", str(exc))])
        actor = self._ctx.desk.require()
        now = self._ctx.now()
        with self._ctx.write():
            version = self._docs.add_text(
                TEXT_KIND,
                TEXT_KEY,
                texts.to_json(),
                is_default=False,
                at=now.isoformat(),
                by=actor.id,
            )
            self._ctx.audit(
                "update",
                "editable_texts",
                None,
                summary=f"Comparison texts and prices v{version}",
                at=now,
            )
        return SaveResult(record=self.clinic_texts(), changes=Changes(frozenset({SETTINGS})))

    def restore_defaults(self) -> SaveResult:
        """Back to the bundled texts with no prices (a new version, so history is kept)."""
        self._ctx.require(CLINICAL_TEXTS_EDIT)
        return self.save_clinic_texts(ClinicComparisonTexts({}, {}, {}))

    def content(self) -> ComparisonContent:
        texts = self.clinic_texts()
        return apply_edits(self.standard_content(), texts.edits, texts.notes)

    def standard_content(self) -> ComparisonContent:
        """The bundled comparison, without the clinic's texts: its concerns, treatments, rows
        and the standard wording an edit replaces."""
        return self._ctx.bundled.comparison

    # ---- the view ------------------------------------------------------------------------
    def patient_marks(self, patient_id: int) -> dict[str, str]:
        """Screening verdicts that stand in the way, by treatment, for the columns' marks."""
        self._ctx.require(HANDOUTS_PRINT)
        record = self._screening.current(patient_id)
        if record is None or record.superseded:
            return {}
        lapse = record.valid_until(self._screening.valid_days())
        if self.today() >= lapse:
            return {}
        marks = {}
        for t in record.result.treatments:
            if t.verdict in ("review", "defer", "decline"):
                if record.override_for(t.treatment) is not None:
                    continue
                signoff = record.signoff_for(t.treatment)
                if t.verdict == "review" and signoff is not None and signoff.cleared:
                    continue
                reason = t.reasons[0].text if t.reasons else ""
                # Every deferral's condition and the latest date: the card's words.
                detail = verdict_when(t) if t.verdict == "defer" else reason
                marks[t.treatment] = patient_mark(t.verdict, detail or "")
        return marks

    def view(
        self,
        treatments: Sequence[str],
        *,
        concern: str | None = None,
        patient_id: int | None = None,
    ) -> ComparisonView:
        """The comparison of 2–4 treatments for the clinic's country, with the patient's marks.

        Raises:
            UserError: fewer than two or more than four treatments.
        """
        self._ctx.require(HANDOUTS_PRINT)
        if not 2 <= len(treatments) <= 4:
            raise UserError("Choose two, three or four treatments to compare.")
        with storage_errors():
            country = self._settings.clinic().country
        marks: Mapping[str, str] | None = self.patient_marks(patient_id) if patient_id else None
        return build_view(
            self.content(),
            treatments=list(treatments),
            country=country,
            prices=self.clinic_texts().prices,
            patient_marks=marks,
            concern=concern,
        )

    def handout(
        self, view: ComparisonView, *, patient_id: int | None, large_print: bool = False
    ) -> ComparisonHandout:
        # Imported here, not at the top: reportlab costs ~100 ms of start-up (issue #9).
        from exodesk.reports.comparison import ComparisonHandout

        self._ctx.require(HANDOUTS_PRINT)
        name = None
        if patient_id is not None:
            with storage_errors():
                patient = self._patients.get(patient_id)
            name = patient.full_name if patient else None
        with storage_errors():
            clinic = self._settings.clinic()
        return ComparisonHandout(
            clinic=clinic,
            printed_on=self.today(),
            view=view,
            patient_name=name,
            large_print=large_print,
        )

    @staticmethod
    def render(handout: ComparisonHandout) -> bytes:
        """Pure rendering: safe to call off the UI thread."""
        # Imported here, not at the top: reportlab costs ~100 ms of start-up (issue #9).
        from exodesk.reports.comparison import render_comparison

        return render_comparison(handout)

    def handout_job(
        self, view: ComparisonView, *, patient_id: int | None, large_print: bool = False
    ) -> PrintJob[ComparisonHandout]:
        """The handout (as ``handout``) ready to preview and print; issuing it adds it to the
        issue log, under the patient when there is one."""
        handout = self.handout(view, patient_id=patient_id, large_print=large_print)

        def record(how: str, pdf: bytes) -> Changes:
            # The issue log says "printed" or "saved", as it always has: not where to.
            return self.record_issue(
                handout, pdf, how.split(":", 1)[0], patient_id=patient_id
            ).changes

        name = handout.patient_name or "handout"
        return PrintJob(
            title=f"Treatment comparison — {name}",
            file_name=f"Comparison {name}.pdf",
            paper_size=handout.clinic.paper_size,
            data=handout,
            render=partial(ComparisonService.render, handout),
            record=record,
        )

    def record_issue(
        self, handout: ComparisonHandout, pdf: bytes, how: str, *, patient_id: int | None
    ) -> SaveResult:
        """Log the handout like an aftercare sheet: what, who, when, and the PDF's hash."""
        self._ctx.require(HANDOUTS_PRINT)
        actor = self._ctx.desk.require()
        now = self._ctx.now()
        columns = [c.treatment for c in handout.view.columns]
        payload = json.dumps(
            {
                "treatments": columns,
                "concern": handout.view.concern,
                "country": handout.view.country,
                "texts_version": self.clinic_texts().version,
                "patient_name": handout.patient_name,
                "printed_on": handout.printed_on.isoformat(),
            },
            ensure_ascii=False,
        )
        with self._ctx.write():
            doc_id = self._docs.add_issue(
                patient_id=patient_id,
                session_id=None,
                kind="comparison",
                template=",".join(columns),
                template_version=self.standard_content().version,
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
                summary=f"Treatment comparison {how}: {', '.join(columns)}",
                at=now,
            )
        return SaveResult(record=doc_id, changes=Changes(frozenset({DOCUMENTS}), patient_id))
