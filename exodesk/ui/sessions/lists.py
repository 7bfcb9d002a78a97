"""Clinic-wide lists: lot recall and the patients due or overdue for their next session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.dates import format_short
from exodesk.domain.lists import BOOKED, CALLED, DueEntry, DueLine, RecallLine, due_line
from exodesk.domain.plurals import plural
from exodesk.errors import UserError
from exodesk.services.recall import Recall, RecallService
from exodesk.ui import tips
from exodesk.ui.common import format_date, named
from exodesk.ui.errors import show_user_error
from exodesk.ui.look import FADED, WARNING, item_ink
from exodesk.ui.models import RowsTableModel, rows_view

STATE_WORDS = {
    "due": "Due",
    "overdue": "OVERDUE",
    "maintenance_due": "Maintenance due",
    "maintenance_overdue": "Maintenance OVERDUE",
}


RECALL_HEADERS = (
    "Lot",
    "Session",
    "Treatment",
    "Patient",
    "Born",
    "Phone",
    "Email",
    "Adverse events",
)
LOT, SESSION, TREATMENT, PATIENT, BORN, PHONE, EMAIL, EVENTS = range(len(RECALL_HEADERS))

DUE_HEADERS = ("Status", "Patient", "Phone", "Treatment", "Course", "Window", "Called or booked")
STATUS, DUE_PATIENT, DUE_PHONE, DUE_TREATMENT, COURSE, WINDOW, CONTACT = range(len(DUE_HEADERS))


class RecallTableModel(RowsTableModel[RecallLine]):
    """The sessions that used a recalled lot, one row each, as ``recall_line`` shows them."""

    HEADERS = RECALL_HEADERS

    def text(self, line: RecallLine, column: int) -> str | None:
        texts = {
            LOT: line.lot_number,
            SESSION: format_short(line.session_date),
            TREATMENT: line.treatment,
            PATIENT: line.patient_name,
            BORN: format_date(line.date_of_birth),
            PHONE: line.phone,
            EMAIL: line.email,
            EVENTS: line.adverse_events,
        }
        return texts.get(column)


class DueTableModel(RowsTableModel[DueLine]):
    """Reception's call list, one row per course due or overdue, as ``due_line`` shows it."""

    HEADERS = DUE_HEADERS

    def text(self, line: DueLine, column: int) -> str | None:
        texts = {
            STATUS: STATE_WORDS.get(line.state, line.state),
            DUE_PATIENT: line.patient_name,
            DUE_PHONE: line.phone,
            DUE_TREATMENT: line.treatment,
            COURSE: line.course_label,
            WINDOW: line.window_text,
            CONTACT: line.contact,
        }
        return texts.get(column)

    def role_data(self, line: DueLine, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and column == STATUS:
            return tips.COURSE_STATE_TIPS.get(line.state)
        if role == Qt.ItemDataRole.ForegroundRole and line.booked:
            return item_ink(FADED)  # booked: nobody needs to call
        if role == Qt.ItemDataRole.ForegroundRole and column == STATUS and line.overdue:
            return item_ink(WARNING)
        return None


def _table(name: str, accessible: str, model: RowsTableModel[Any]) -> QTableView:
    table = rows_view(model, name, accessible, single=False)
    table.setAlternatingRowColors(True)
    table.setWordWrap(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class RecallDialog(QDialog):
    """Type a lot number: every patient and session that received it, to call, export, print."""

    def __init__(self, parent: QWidget | None, recall: RecallService) -> None:
        super().__init__(parent)
        self.setObjectName("recallDialog")
        self.setWindowTitle("Lot recall")
        self._recall = recall
        self.recall: Recall | None = None
        self.query = named(
            QLineEdit(),
            "recallQuery",
            "Lot number",
            "Type the lot number (case, spaces and dashes do not matter)",
        )
        self.query.setPlaceholderText("Lot number, e.g. EX-2207A")
        self.summary = QLabel("Type a lot number.")
        self.summary.setObjectName("recallSummary")
        self.summary.setWordWrap(True)
        self.model = RecallTableModel()
        self.table = _table("recallTable", "Sessions that used the lot", self.model)
        self.export_button = named(QPushButton("Export &CSV…"), "recallExport", "Export as CSV")
        self.print_button = named(QPushButton("&Print…"), "recallPrint", "Print the recall list")
        close = named(QPushButton("Close"), "recallClose", "Close")
        close.clicked.connect(self.reject)
        self.export_button.clicked.connect(self._export)
        self.print_button.clicked.connect(self._print)
        buttons = QHBoxLayout()
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.print_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.query)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.search)
        self.query.textChanged.connect(self._timer.start)
        self.query.returnPressed.connect(self.search)
        self._update_buttons()
        self.resize(1100, 560)

    def search(self) -> None:
        """Find the lots whose number starts with what was typed, and who received them."""
        self._timer.stop()
        text = self.query.text().strip()
        if not text:
            self.recall = None
            self.model.set_rows([])
            self.summary.setText("Type a lot number.")
            self._update_buttons()
            return
        try:
            self.recall = self._recall.recall(text)
        except UserError as exc:
            show_user_error(self, exc)
            return
        recall = self.recall
        self.model.set_rows(recall.lines)
        if not recall.lots:
            self.summary.setText(f"No lot number starts with “{text}”.")
        else:
            lots = ", ".join(
                f"{p.name} lot {lot.lot_number} (exp. {format_short(lot.expiry)})"
                for lot, p in recall.lots
            )
            self.summary.setText(
                f"{plural(recall.patient_count, 'patient')}, "
                f"{plural(len(recall.rows), 'session')} — {lots}"
            )
        self._update_buttons()

    def _update_buttons(self) -> None:
        has = self.recall is not None and bool(self.recall.lots)
        self.export_button.setEnabled(has)
        self.print_button.setEnabled(has)

    def export_to(self, path: Path) -> None:
        """Write the CSV; a failure is said in one sentence and nothing half-written remains."""
        # Imported here, not at the top: Qt's PDF and print modules cost ~20 ms of start-up (#9).
        from exodesk.ui.printing import describe_write_error, write_bytes_atomically

        assert self.recall is not None
        data = RecallService.recall_csv(self.recall).encode("utf-8-sig")  # Excel reads accents
        try:
            write_bytes_atomically(path, data)
        except OSError as exc:
            raise describe_write_error(exc, path) from exc
        self._recall.record_recall_output(
            self.recall, self.query.text().strip(), f"saved:{path}", exported=True
        )

    def _export(self) -> None:
        if self.recall is None:
            return
        name = f"Recall {self.query.text().strip()}.csv"
        path, _ = QFileDialog.getSaveFileName(self, "Export recall list", name, "CSV (*.csv)")
        if path:
            try:
                self.export_to(Path(path))
            except UserError as exc:
                show_user_error(self, exc)

    def _print(self) -> None:
        if self.recall is None:
            return
        # Imported here, not at the top: Qt's PDF and print modules cost ~20 ms of start-up (#9).
        from exodesk.ui.printing import preview_job

        try:
            job = self._recall.recall_job(self.recall, self.query.text().strip())
        except UserError as exc:
            show_user_error(self, exc)
            return
        preview_job(self, job)


class DueListDialog(QDialog):
    """Reception's call list: patients due or overdue, with phone numbers; printable.

    Double-click (or Enter on) a row to open that patient in the main window; note that a
    patient was called, or their next session booked (booked ones go to the bottom, grey).

    Signals:
        patient_chosen: the id of the patient to open (the dialog then closes).
    """

    patient_chosen = Signal(int)

    def __init__(
        self, parent: QWidget | None, recall: RecallService, *, may_mark: bool = True
    ) -> None:
        super().__init__(parent)
        self.setObjectName("dueListDialog")
        self._recall = recall
        self.entries: list[DueEntry] = []
        self.model = DueTableModel()
        self.table = _table("dueTable", "Patients due or overdue", self.model)
        self.empty = QLabel("")
        self.empty.setObjectName("dueEmpty")
        self.open_button = named(
            QPushButton("&Open patient"),
            "dueOpen",
            "Open the patient",
            "Open the selected patient in the main window (Enter or double-click)",
        )
        self.called_button = named(
            QPushButton("Mark &called"),
            "dueCalled",
            "Mark called",
            "Note that you called the selected patients (with your name and the time)",
        )
        self.booked_button = named(
            QPushButton("Mark &booked"),
            "dueBooked",
            "Mark booked",
            "Note that their next session is booked: they go to the bottom of the list",
        )
        self.called_button.setVisible(may_mark)
        self.booked_button.setVisible(may_mark)
        self.print_button = named(
            QPushButton("&Print…"), "duePrint", "Print the call list", "Those still to call"
        )
        close = named(QPushButton("Close"), "dueClose", "Close")
        self.open_button.clicked.connect(self._open_current)
        self.table.activated.connect(self._open_index)  # Enter and double-click
        self.called_button.clicked.connect(lambda: self.mark_selected(CALLED))
        self.booked_button.clicked.connect(lambda: self.mark_selected(BOOKED))
        self.print_button.clicked.connect(self._print)
        close.clicked.connect(self.reject)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        buttons = QHBoxLayout()
        for button in (self.open_button, self.called_button, self.booked_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.print_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.reload()
        self.resize(1000, 520)

    def reload(self, keep: set[int] | None = None) -> None:
        """Read the list again; ``keep`` (course ids) stay selected."""
        self.entries = self._recall.due_list()
        to_call = [e for e in self.entries if not e.booked]
        self.setWindowTitle(f"Patients due for a session ({len(to_call)} to call)")
        self.model.set_rows([due_line(e) for e in self.entries])
        self.empty.setText("Nobody is due or overdue today." if not self.entries else "")
        self.empty.setVisible(not self.entries)
        for row, entry in enumerate(self.entries):
            if keep and entry.course.id in keep:
                self.table.selectionModel().select(
                    self.model.index(row, 0),
                    QItemSelectionModel.SelectionFlag.Select
                    | QItemSelectionModel.SelectionFlag.Rows,
                )
        self._update_buttons()

    def selected_entries(self) -> list[DueEntry]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.entries[row] for row in rows if row < len(self.entries)]

    def mark_selected(self, outcome: str) -> None:
        """Note ``outcome`` (called or booked) for every selected patient."""
        chosen = self.selected_entries()
        try:
            for entry in chosen:
                self._recall.mark_due(int(entry.course.id or 0), outcome)
        except UserError as exc:
            show_user_error(self, exc)
        self.reload({int(e.course.id or 0) for e in chosen})

    def _update_buttons(self) -> None:
        selected = bool(self.table.selectionModel().selectedRows())
        for button in (self.open_button, self.called_button, self.booked_button):
            button.setEnabled(selected)
        self.print_button.setEnabled(any(not e.booked for e in self.entries))

    def _open_current(self) -> None:
        self._open_index(self.table.currentIndex())

    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid() and index.row() < len(self.entries):
            self.patient_chosen.emit(self.entries[index.row()].patient_id)
            self.accept()

    def _print(self) -> None:
        # Imported here, not at the top: Qt's PDF and print modules cost ~20 ms of start-up (#9).
        from exodesk.ui.printing import preview_job

        try:
            job = self._recall.due_list_job([e for e in self.entries if not e.booked])
        except UserError as exc:
            show_user_error(self, exc)
            return
        preview_job(self, job)
