"""Export this patient (a subject access request): choose a folder, export, say where it went."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices
from PySide6.QtWidgets import (
    QApplication,
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
from exodesk.ui.common import ERROR_STYLE, named
from exodesk.ui.errors import show_user_error

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

    A window says it is exporting, then where the two files went (or why they could not be
    written).

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

    def start(self) -> None:
        """Read the records and write the two files, here on the main thread.

        Not on a worker: drawing this long PDF on a worker while the window kept the event
        loop busy crashed PySide6 6.12 on Python 3.11 in CI (twice, in the interpreter
        itself). An export is rare and takes a second or two; the window says it is busy.
        """
        try:
            prepared = self._service.prepare(self._patient_id)
        except UserError as exc:
            self._fail(exc)
            return
        folder = self.folder
        self.busy = True
        self.close_button.setEnabled(False)
        self._say(f"Exporting to {folder}…")
        self.show()
        QApplication.processEvents()  # paint "Exporting…" before the work starts
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            result = SubjectAccessService.write(prepared, folder)
        except UserError as exc:
            self._fail(exc)
            return
        finally:
            QApplication.restoreOverrideCursor()
        self._written(result)

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

    def _fail(self, exc: UserError) -> None:
        self._finish()
        # The service's sentences already say that nothing was exported, and what to do.
        self._say(f"{exc.message} {exc.advice}".strip(), error=True)
        self.show()
        self.failed.emit(exc)

    def _finish(self) -> None:
        self.busy = False
        self.close_button.setEnabled(True)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(ERROR_STYLE if error else "")
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
