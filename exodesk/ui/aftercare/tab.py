"""AftercareTab: choose the sheet, see it as it will print, print or save it; the issue log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.dates import format_short, format_stamp
from exodesk.domain.patient import Patient
from exodesk.domain.plurals import plural
from exodesk.domain.sessions import TREATMENTS
from exodesk.errors import UserError
from exodesk.services.aftercare import DOCUMENTS, AftercareService
from exodesk.services.context import SETTINGS, Changes
from exodesk.services.printing import PrintJob
from exodesk.services.sessions import SESSIONS, SessionService
from exodesk.services.vocabulary import vocabulary
from exodesk.ui.common import named
from exodesk.ui.current import CurrentPatient
from exodesk.ui.errors import show_user_error
from exodesk.ui.printing import preview_job
from exodesk.ui.widgets import NoWheelComboBox
from exodesk.ui.workers import run_in_background

if TYPE_CHECKING:  # a type only: importing the report module loads reportlab (issue #9)
    from exodesk.reports.aftercare import AftercareSheet

PREVIEW_DELAY_MS = 120


class AftercareTab(QWidget):
    """The sheet the patient takes home, written for their session."""

    data_changed = Signal(object)  # Changes

    def __init__(
        self, aftercare: AftercareService, sessions: SessionService, current: CurrentPatient
    ) -> None:
        super().__init__()
        self.setObjectName("aftercareTab")
        self._aftercare = aftercare
        self._sessions = sessions
        self._current = current
        self._job: PrintJob[AftercareSheet] | None = None  # the sheet in the preview
        self._generation = 0
        self._stale = True

        self.session = named(
            NoWheelComboBox(),
            "aftercareSession",
            "Session",
            "The session the sheet is for (products, lots, next visit)",
        )
        self.template = named(NoWheelComboBox(), "aftercareTemplate", "Sheet")
        for key, label in TREATMENTS.items():
            self.template.addItem(label, key)
        self.large_print = named(
            QCheckBox("Lar&ge print"),
            "aftercareLargePrint",
            "Large print",
            "Bigger letters for patients who find small print hard to read.",
        )
        self.blank = named(
            QCheckBox("&Blank sheet for the waiting room"),
            "aftercareBlank",
            "Blank sheet without a patient",
            "The sheet without a patient's name or session, to hand out in advance.",
        )
        self.print_button = named(
            QPushButton("Print or sa&ve…"), "aftercarePrint", "Print or save the sheet", "Ctrl+P"
        )
        self.status = QLabel()
        self.status.setObjectName("aftercareStatus")
        self.status.setWordWrap(True)
        self.issued = named(
            QListWidget(),
            "aftercareIssued",
            "Sheets issued to this patient",
            "Each sheet handed over keeps the wording it was printed with; a reprint is identical.",
        )
        self.reprint_button = named(
            QPushButton("Repri&nt…"),
            "aftercareReprint",
            "Reprint the selected sheet exactly as issued",
        )

        form = QFormLayout()
        form.addRow("Sessi&on", self.session)
        form.addRow("&Sheet", self.template)
        form.addRow("", self.large_print)
        form.addRow("", self.blank)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addLayout(form)
        left_layout.addWidget(self.print_button)
        left_layout.addWidget(self.status)
        left_layout.addWidget(QLabel("Issued to this patient:"))
        left_layout.addWidget(self.issued, 1)
        left_layout.addWidget(self.reprint_button)

        self._data = QByteArray()
        self._buffer = QBuffer(self)
        self.document = QPdfDocument(self)
        self.preview = named(QPdfView(), "aftercarePreview", "Preview of the aftercare sheet")
        self.preview.setPageMode(QPdfView.PageMode.MultiPage)
        self.preview.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.preview.setDocument(self.document)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.preview)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        layout = QHBoxLayout(self)
        layout.addWidget(splitter)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.refresh_preview)
        for signal in (
            self.session.currentIndexChanged,
            self.template.currentIndexChanged,
            self.large_print.toggled,
            self.blank.toggled,
        ):
            signal.connect(self._timer.start)
        self.session.currentIndexChanged.connect(self._session_chosen)
        self.print_button.clicked.connect(self.print_sheet)
        self.reprint_button.clicked.connect(self.reprint)
        current.changed.connect(self.load_patient)
        self.load_patient(current.patient)

    def hideEvent(self, event: QHideEvent) -> None:
        self._timer.stop()
        super().hideEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh_preview()

    # ---- choosing ------------------------------------------------------------------------
    @property
    def patient(self) -> Patient | None:
        return self._current.patient

    def load_patient(self, patient: Patient | None) -> None:
        self.session.blockSignals(True)
        self.session.clear()
        if patient is not None and patient.id is not None:
            self.session.addItem("No session — general advice for this patient", None)
            try:
                for s in self._sessions.sessions(patient.id):
                    label = f"{format_short(s.performed_at.date())} · {TREATMENTS[s.treatment]}"
                    self.session.addItem(label, s.id)
            except UserError as exc:
                show_user_error(self, exc)
            if self.session.count() > 1:
                self.session.setCurrentIndex(1)  # the newest session
        self.session.blockSignals(False)
        self.blank.setChecked(patient is None)
        self.blank.setEnabled(patient is not None)
        self._session_chosen()
        self._fill_issued()
        self.refresh_preview()

    def select_session(self, session_id: int) -> None:
        """Pre-select a session (the Sessions tab's "Print aftercare")."""
        index = self.session.findData(session_id)
        if index < 0:
            self.load_patient(self.patient)
            index = self.session.findData(session_id)
        self.blank.setChecked(False)
        self.session.setCurrentIndex(max(0, index))
        self.refresh_preview()

    def _session_chosen(self) -> None:
        session_id = self.session.currentData()
        if session_id is None:
            return
        try:
            treatment = self._sessions.get(int(session_id)).treatment
        except UserError:
            return
        self.template.setCurrentIndex(max(0, self.template.findData(treatment)))

    def _fill_issued(self) -> None:
        self.issued.clear()
        patient = self.patient
        if patient is None or patient.id is None:
            self.reprint_button.setEnabled(False)
            return
        words = vocabulary()
        for doc in self._aftercare.issued(patient.id):
            text = (
                f"{format_stamp(doc.issued_at)} · {words.document(doc.kind, doc.template)}"
                f" · {doc.how} by {doc.issued_by} · wording {doc.template_version}"
            )
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, doc.id)
            self.issued.addItem(item)
        self.reprint_button.setEnabled(self.issued.count() > 0)
        if self.issued.count():
            self.issued.setCurrentRow(0)

    # ---- the preview ---------------------------------------------------------------------
    def current_job(self) -> PrintJob[AftercareSheet]:
        """The sheet for what is chosen, as a print job (built on the main thread)."""
        # None: the blank sheet, whether asked for or because no patient is chosen.
        patient = None if self.blank.isChecked() else self.patient
        return self._aftercare.sheet_job(
            treatment=self.template.currentData(),
            patient_id=None if patient is None else patient.id,
            session_id=None if patient is None else self.session.currentData(),
            large_print=self.large_print.isChecked(),
        )

    def refresh_preview(self) -> None:
        """Build the sheet's job here, render it on a worker thread, show it when ready.

        The job keeps its PDF, so Print or save… previews, prints and logs these very bytes.
        """
        self._timer.stop()
        if not self.isVisible():
            self._stale = True  # rendered when the tab is shown, not for a hidden tab
            return
        self._stale = False
        try:
            job = self.current_job()
        except UserError as exc:
            self.status.setText(exc.message)
            return
        self._generation += 1
        generation = self._generation
        self.status.setText("Preparing the preview…")
        self.print_button.setEnabled(False)
        run_in_background(self, job.pdf, lambda pdf: self._show(generation, job, pdf), self._failed)

    def _show(self, generation: int, job: PrintJob[AftercareSheet], pdf: bytes) -> None:
        if generation != self._generation:
            return  # a newer choice is already rendering
        self._job = job
        sheet = job.data
        self.document.close()
        self._buffer.close()
        self._data = QByteArray(pdf)
        self._buffer.setData(self._data)
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document.load(self._buffer)
        pages = self.document.pageCount()
        who = sheet.patient_name or "the waiting-room rack (no patient)"
        self.status.setText(f"{sheet.template.title} for {who} — {plural(pages, 'page')}.")
        self.print_button.setEnabled(True)

    def _failed(self, exc: BaseException) -> None:
        self.status.setText("The preview could not be made; the details are in the log.")
        if isinstance(exc, UserError):
            show_user_error(self, exc)

    def wait_for_preview(self) -> None:
        """For tests and the smoke test: the preview is ready when this returns."""
        from PySide6.QtCore import QCoreApplication, QEventLoop, QThreadPool

        QThreadPool.globalInstance().waitForDone(10_000)
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 100)

    # ---- printing and the log ------------------------------------------------------------
    def print_sheet(self) -> None:
        if self._job is not None:
            preview_job(self, self._job, self._issued)

    def _issued(self, changes: Changes) -> None:
        self._fill_issued()
        self.data_changed.emit(changes)

    def reprint(self) -> None:
        item = self.issued.currentItem()
        if item is None:
            return
        try:
            job = self._aftercare.reprint_job(int(item.data(Qt.ItemDataRole.UserRole)))
        except UserError as exc:
            show_user_error(self, exc)
            return
        preview_job(self, job)

    # ---- app-wide changes ------------------------------------------------------------------
    def on_data_changed(self, changes: Changes) -> None:
        if changes.touches(SESSIONS) and self.patient and changes.patient_id == self.patient.id:
            self.load_patient(self.patient)
        elif changes.touches(SETTINGS) or changes.touches(DOCUMENTS):
            self._timer.start()
