"""Export this patient (a subject access request): choose a folder, export, say where it went."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from exodesk.errors import UserError
from exodesk.services.subject_access import ExportResult, SubjectAccessService
from exodesk.services.workspace import Services
from exodesk.ui.common import error_style, named
from exodesk.ui.errors import show_user_error
from exodesk.ui.workers import run_in_background

SHOW_AFTER_MS = 500
FolderChooser = Callable[[QWidget | None], str | Path | None]


def ask_for_folder(parent: QWidget | None) -> Path | None:
    """Ask where to save the export (None: the person cancelled)."""
    chosen = QFileDialog.getExistingDirectory(
        parent, "Save this patient's records in which folder?", str(Path.home())
    )
    return Path(chosen) if chosen else None


def export_patient(
    parent: QWidget | None,
    services: Services,
    patient_id: int | None,
    *,
    choose_folder: FolderChooser = ask_for_folder,
) -> PatientExportDialog | None:
    """Export everything about a patient as a PDF and a JSON file, in a folder chosen now.

    The files are written off the UI thread; a window shows where they went (or why they
    could not be written) once done, or after half a second if it takes longer.

    Args:
        parent: The window asking.
        services: The open data file's services.
        patient_id: The patient to export (None: nobody chosen yet, which is said plainly).
        choose_folder: Asks for the folder (tests pass their own).

    Returns:
        The window showing the export, or None when nothing was started.
    """
    if patient_id is None:
        show_user_error(
            parent,
            UserError(
                "Choose a patient first.", advice="Find them on the Patients tab, then export."
            ),
        )
        return None
    folder = choose_folder(parent)
    if not folder:
        return None
    dialog = PatientExportDialog(parent, services.subject_access, patient_id, Path(folder))
    dialog.start()
    return dialog


class PatientExportDialog(QDialog):
    """Runs one export and shows its outcome: the two files' names and folder, or the error.

    Signals:
        exported: the export finished and is in the audit trail (an ``ExportResult``).
        failed: nothing was exported (the ``UserError`` saying why).
    """

    exported = Signal(object)
    failed = Signal(object)

    def __init__(
        self,
        parent: QWidget | None,
        service: SubjectAccessService,
        patient_id: int,
        folder: Path,
        *,
        show_after_ms: int = SHOW_AFTER_MS,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export this patient")
        self.setObjectName("patientExportDialog")
        self.setAccessibleName("Export this patient")
        self._service = service
        self._patient_id = patient_id
        self.folder = folder
        self.export_result: ExportResult | None = None
        self.busy = False
        intro = QLabel(
            "A readable PDF and a JSON file with every record about this patient, for a "
            "subject access request. Give both to the patient; the export is noted in the "
            "audit log."
        )
        intro.setWordWrap(True)
        self.status = QLabel("")
        self.status.setObjectName("patientExportStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button = named(
            QPushButton("Open folder"),
            "patientExportOpenFolder",
            "Open the folder holding the export",
        )
        self.open_button.setEnabled(False)
        self.close_button = named(QPushButton("Close"), "patientExportClose", "Close")
        self.open_button.clicked.connect(self.open_folder)
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.status)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.resize(560, 220)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(show_after_ms)
        self._timer.timeout.connect(self._show_if_busy)

    def start(self) -> None:
        """Read the records here (the data file stays on this thread), write them off it."""
        try:
            prepared = self._service.prepare(self._patient_id)
        except UserError as exc:
            self._fail(exc)
            return
        folder = self.folder
        self.busy = True
        self.close_button.setEnabled(False)
        self._say(f"Exporting to {folder}…")
        self._timer.start()
        run_in_background(
            self,
            lambda: SubjectAccessService.write(prepared, folder),
            self._written,
            self._write_failed,
        )

    def _show_if_busy(self) -> None:
        if self.busy:
            self.show()

    def _written(self, result: ExportResult) -> None:
        try:
            self._service.record(result)
        except UserError as exc:
            # The service has taken the files back out: an unaudited export must not exist.
            self._fail(exc)
            return
        self._finish()
        self.export_result = result
        self._say(
            f"Saved in {result.folder}:\n"
            f"•  {result.pdf_path.name}  (to read)\n"
            f"•  {result.json_path.name}  (the same records, for computers)"
        )
        self.open_button.setEnabled(True)
        self.show()
        self.exported.emit(result)

    def _write_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, UserError):
            self._finish()
            raise exc  # a bug: the crash handler logs it and says so
        self._fail(exc)

    def _fail(self, exc: UserError) -> None:
        self._finish()
        # The service's sentences already say that nothing was exported, and what to do.
        self._say(f"{exc.message} {exc.advice}".strip(), error=True)
        self.show()
        self.failed.emit(exc)

    def _finish(self) -> None:
        self.busy = False
        self._timer.stop()
        self.close_button.setEnabled(True)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(error_style() if error else "")
        self.status.setAccessibleName(text)

    def open_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.folder)))

    def reject(self) -> None:
        if self.busy:
            return  # the worker still writes; closing would hide its result
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.busy:
            event.ignore()
            return
        super().closeEvent(event)
