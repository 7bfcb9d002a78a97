"""Clinic-wide lists: lot recall and the patients due for their next session, with their
printed and exported forms and the audit of what left the building."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from exodesk.domain.accounts import DUE_LIST_MARK, DUE_LIST_VIEW, RECALL_VIEW
from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.courses import course_progress
from exodesk.domain.lists import (
    DUE_MARKS,
    DueEntry,
    RecallLine,
    RecallRow,
    due_line,
    due_order,
    due_window,
    is_due,
    recall_line,
)
from exodesk.domain.sessions import Lot, Product
from exodesk.domain.spreadsheet import SafeCsvWriter
from exodesk.errors import UserError
from exodesk.services.context import Changes, ServiceContext
from exodesk.services.printing import PrintJob
from exodesk.storage.database import storage_errors
from exodesk.storage.due_marks import DueMarkRepository
from exodesk.storage.patients import PatientRepository
from exodesk.storage.sessions import CourseRepository, ProductRepository, SessionRepository
from exodesk.storage.settings import SettingsRepository

if TYPE_CHECKING:
    from exodesk.reports.clinical import DueListReport, RecallReport

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


class RecallService:
    """Who received a lot, who is due for a session: to call, print or export."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx
        self._products = ProductRepository(ctx.db)
        self._courses = CourseRepository(ctx.db)
        self._sessions = SessionRepository(ctx.db)
        self._patients = PatientRepository(ctx.db)
        self._settings = SettingsRepository(ctx.db)
        self._marks = DueMarkRepository(ctx.db)

    # ---- lot recall --------------------------------------------------------------------------
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
        writer = SafeCsvWriter(out)
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
            clinic=self._clinic_settings(),
            printed_on=self._ctx.today(),
            query=query,
            product_name=name,
            manufacturer=maker,
            lot_number=number,
            expiry=expiry,
            rows=tuple(recall.lines),
        )

    def recall_job(self, recall: Recall, query: str) -> PrintJob[RecallReport]:
        """The recall list (as ``recall_report``) ready to preview and print; printing or
        saving it is noted in the audit trail."""
        self._ctx.require(RECALL_VIEW)
        report = self.recall_report(recall, query)

        def record(how: str, _pdf: bytes) -> Changes:
            self.record_recall_output(recall, query, how)
            return Changes()

        return PrintJob(
            title=f"Lot recall {report.lot_number}",
            file_name=f"Recall {report.lot_number}.pdf",
            paper_size=report.clinic.paper_size,
            data=report,
            render=partial(_render_recall, report),
            record=record,
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

    # ---- patients due ------------------------------------------------------------------------
    def due_list(self) -> list[DueEntry]:
        """Patients due or overdue for their next course session or maintenance."""
        self._ctx.require(DUE_LIST_VIEW)
        today = self._ctx.today()
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
                start, _end = due_window(progress)
                entries.append(
                    DueEntry(
                        int(patient.id or 0),
                        patient.display_name,
                        patient.phone,
                        course,
                        progress,
                        self._marks.latest(int(course.id or 0), start),
                    )
                )
        return due_order(entries)

    def mark_due(self, course_id: int, outcome: str) -> Changes:
        """Note on the call list that the patient was called, or their next session booked.

        The mark holds for the course's present due window (a booked patient goes to the
        bottom of the list, marked); the next session moves the window and the mark with it.

        Raises:
            UserError: the course is not on the call list now, or ``outcome`` is unknown.
        """
        self._ctx.require(DUE_LIST_MARK)
        if outcome not in DUE_MARKS:
            raise UserError(f"“{outcome}” is not something the due list can note.")
        entry = next((e for e in self.due_list() if e.course.id == course_id), None)
        if entry is None:
            raise UserError("That patient is no longer due for a session: nothing was noted.")
        start, _end = due_window(entry.progress)
        actor = self._ctx.desk.require()
        words = DUE_MARKS[outcome].lower()
        with self._ctx.write():
            mark_id = self._marks.add(course_id, start, outcome, at=self._ctx.now(), by=actor.id)
            self._ctx.audit(
                "create",
                "due_list_marks",
                mark_id,
                patient_id=entry.patient_id,
                summary=f"Due list: {entry.patient_name} {words} ({due_line(entry).treatment})",
                after={"course": course_id, "outcome": outcome, "window from": str(start or "")},
            )
        return Changes(patient_id=entry.patient_id)  # no tab shows the marks

    def due_report(self, entries: Sequence[DueEntry]) -> DueListReport:
        """The due list as printable data."""
        # Imported here, not at the top: reportlab costs ~100 ms of start-up (issue #9).
        from exodesk.reports.clinical import DueListReport

        rows = tuple(due_line(e) for e in entries)
        return DueListReport(
            clinic=self._clinic_settings(), printed_on=self._ctx.today(), rows=rows
        )

    def due_list_job(self, entries: Sequence[DueEntry]) -> PrintJob[DueListReport]:
        """The due list (as ``due_report``) ready to preview and print; printing or saving it
        is noted in the audit trail."""
        self._ctx.require(DUE_LIST_VIEW)
        report = self.due_report(entries)
        entries = list(entries)  # as shown now, whatever the caller's list becomes

        def record(how: str, _pdf: bytes) -> Changes:
            self.record_due_list_output(entries, how)
            return Changes()

        return PrintJob(
            title="Patients due for a session",
            file_name="Due list.pdf",
            paper_size=report.clinic.paper_size,
            data=report,
            render=partial(_render_due_list, report),
            record=record,
        )

    def record_due_list_output(self, entries: Sequence[DueEntry], how: str) -> None:
        """Note that the due list (names and phone numbers) was printed or saved."""
        self._ctx.require(DUE_LIST_VIEW)
        with self._ctx.write():
            self._ctx.audit(
                "print",
                "courses",
                None,
                summary=f"Due list {how}: {len({e.patient_id for e in entries})} patients",
            )

    def _clinic_settings(self) -> ClinicSettings:
        with storage_errors():
            return self._settings.clinic()


def _render_recall(report: RecallReport) -> bytes:
    """Pure rendering: safe to call off the UI thread."""
    # Imported here, not at the top: reportlab costs ~100 ms of start-up (issue #9).
    from exodesk.reports.clinical import render_recall_report

    return render_recall_report(report)


def _render_due_list(report: DueListReport) -> bytes:
    """Pure rendering: safe to call off the UI thread."""
    # Imported here, not at the top: reportlab costs ~100 ms of start-up (issue #9).
    from exodesk.reports.clinical import render_due_list

    return render_due_list(report)
