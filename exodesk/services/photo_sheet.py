"""The photo progress sheet's print path: its data with the clinic's details, the print job,
and the issue-log entry when it is printed or saved."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date
from functools import partial
from typing import Any

from exodesk.domain.accounts import PHOTOS_VIEW
from exodesk.domain.photo_sheet import (
    MAX_PAIRS,
    SHEET_VERSION,
    ProgressPair,
    ProgressSheet,
)
from exodesk.errors import UserError
from exodesk.services.aftercare import DOCUMENTS
from exodesk.services.context import Changes, SaveResult, ServiceContext
from exodesk.services.printing import PrintJob
from exodesk.storage.database import storage_errors
from exodesk.storage.documents import DocumentRepository
from exodesk.storage.patients import PatientRepository
from exodesk.storage.settings import SettingsRepository

# How the issue log names the sheet (``domain.vocabulary`` says it in words).
KIND = "photo_progress"


class PhotoSheetService:
    """Hands a patient their before/after photos on one printed page, and logs it."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx
        self._docs = DocumentRepository(ctx.db)
        self._patients = PatientRepository(ctx.db)
        self._settings = SettingsRepository(ctx.db)

    def sheet(
        self,
        patient_id: int,
        *,
        area_label: str,
        pairs: Sequence[ProgressPair],
        ratings: Sequence[tuple[str, date, str]] = (),
    ) -> ProgressSheet:
        """The sheet's data: the chosen pairs with the patient's name, the clinic's details
        and today's date.

        Args:
            patient_id: Whose photos they are.
            area_label: The treatment area in words ("Face").
            pairs: One to four before/after pairs, in the order they print.
            ratings: (scale label, date, value label) over the course.

        Raises:
            UserError: no pair or more than four were chosen, or the patient no longer exists.
            PermissionRefused: the person at the desk may not see clinical photos.
        """
        self._ctx.require(PHOTOS_VIEW)
        if not pairs:
            raise UserError(
                "Choose at least one before-and-after pair to print.",
                advice="Pick a view and two dates in the compare view, then print.",
            )
        if len(pairs) > MAX_PAIRS:
            raise UserError(
                f"A progress sheet holds up to {MAX_PAIRS} before-and-after pairs on its one "
                f"page; {len(pairs)} were chosen.",
                advice=f"Choose the {MAX_PAIRS} views that show the most, then print.",
            )
        with storage_errors():
            patient = self._patients.get(patient_id)
            clinic = self._settings.clinic()
        if patient is None:
            raise UserError("That patient no longer exists.")
        return ProgressSheet(
            clinic=clinic,
            printed_on=self._ctx.today(),
            patient_name=patient.full_name,
            area_label=area_label,
            pairs=tuple(pairs),
            ratings=tuple(ratings),
        )

    @staticmethod
    def render(sheet: ProgressSheet) -> bytes:
        """Pure rendering: safe to call off the UI thread."""
        # Imported here, not at the top: reportlab costs ~100 ms of start-up (issue #9).
        from exodesk.reports.photo_progress import progress_sheet_pdf

        return progress_sheet_pdf(sheet)

    def sheet_job(self, sheet: ProgressSheet, *, patient_id: int) -> PrintJob[ProgressSheet]:
        """The sheet ready to preview, print or save (``exodesk.ui.printing.preview_job``);
        printing or saving it adds it to the patient's issue log and the audit trail.

        Args:
            sheet: The sheet's data (``sheet``, or the photo service's ``progress_sheet_data``).
            patient_id: Whose issue log it goes in.

        Raises:
            PermissionRefused: the person at the desk may not see clinical photos.
        """
        self._ctx.require(PHOTOS_VIEW)
        if not 1 <= len(sheet.pairs) <= MAX_PAIRS:
            raise UserError(f"A progress sheet holds 1 to {MAX_PAIRS} before-and-after pairs.")

        def record(how: str, pdf: bytes) -> Changes:
            # The issue log says "printed" or "saved", as for every handout: not where to.
            return self.record_issue(
                sheet, pdf, how.split(":", 1)[0], patient_id=patient_id
            ).changes

        name = sheet.patient_name.strip() or "patient"
        return PrintJob(
            title=f"Progress photos — {name}",
            file_name=f"Progress photos {name}.pdf",
            paper_size=sheet.clinic.paper_size,
            data=sheet,
            render=partial(PhotoSheetService.render, sheet),
            record=record,
        )

    def record_issue(
        self, sheet: ProgressSheet, pdf: bytes, how: str, *, patient_id: int
    ) -> SaveResult:
        """Log that a progress sheet was printed or saved: what, who, when, the PDF's hash,
        and which photos it showed (by their store references, never the pictures)."""
        self._ctx.require(PHOTOS_VIEW)
        actor = self._ctx.desk.require()
        now = self._ctx.now()
        with self._ctx.write():
            doc_id = self._docs.add_issue(
                patient_id=patient_id,
                session_id=None,
                kind=KIND,
                template=sheet.area_label.strip(),
                template_version=SHEET_VERSION,
                payload=self._payload(sheet),
                sha256=hashlib.sha256(pdf).hexdigest(),
                how=how,
                at=now.isoformat(),
                by=int(actor.id or 0),
            )
            pairs = len(sheet.pairs)
            self._ctx.audit(
                "print",
                "documents_issued",
                doc_id,
                patient_id=patient_id,
                # No name: the audit trail's summaries can leave the building in a report.
                summary=(
                    f"Photo progress sheet {how}: {sheet.area_label.strip() or 'photos'}, "
                    f"{pairs} {'pair' if pairs == 1 else 'pairs'}"
                ),
                at=now,
            )
        return SaveResult(record=doc_id, changes=Changes(frozenset({DOCUMENTS}), patient_id))

    def _payload(self, sheet: ProgressSheet) -> str:
        """What the sheet said, to show or rebuild it later: the words and each photo's
        SHA-256 (the photo store's reference), not the pictures themselves."""
        clinic = asdict(sheet.clinic)
        logo = clinic.pop("logo_png")
        clinic["logo_sha256"] = self._docs.store_image(logo) if logo else None
        data: dict[str, Any] = {
            "clinic": clinic,
            "printed_on": sheet.printed_on.isoformat(),
            "patient_name": sheet.patient_name,
            "area_label": sheet.area_label,
            "pairs": [
                {
                    "view": pair.view_label,
                    "before": hashlib.sha256(pair.before_jpeg).hexdigest(),
                    "before_caption": pair.before_caption,
                    "after": hashlib.sha256(pair.after_jpeg).hexdigest(),
                    "after_caption": pair.after_caption,
                }
                for pair in sheet.pairs
            ],
            "ratings": [[label, day.isoformat(), value] for label, day, value in sheet.ratings],
        }
        return json.dumps(data, ensure_ascii=False, sort_keys=True)
