"""PatientsTab: reception's search-as-you-type list and the patient form beside it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.audit import AuditEntry
from exodesk.domain.dates import format_stamp
from exodesk.domain.patient import Patient
from exodesk.domain.problems import Problem
from exodesk.domain.vocabulary import field_label, value_words
from exodesk.errors import UserError
from exodesk.services.context import PATIENTS, Changes, SaveResult
from exodesk.services.patients import COUNT_CAP, PatientService
from exodesk.services.vocabulary import vocabulary
from exodesk.ui.common import error_label, named
from exodesk.ui.current import CurrentPatient
from exodesk.ui.dialogs.reason import ReasonDialog
from exodesk.ui.errors import show_user_error
from exodesk.ui.models import rows_view
from exodesk.ui.patients.form import PatientForm
from exodesk.ui.patients.model import AGE, BORN, NAME, PHONE, PatientTableModel

SEARCH_DELAY_MS = 120


class PatientsTab(QWidget):
    """Find, register and correct patients; choosing one makes them the current patient."""

    data_changed = Signal(object)  # Changes

    def __init__(
        self, patients: PatientService, current: CurrentPatient, *, day_first: bool
    ) -> None:
        super().__init__()
        self.setObjectName("patientsTab")
        self._patients = patients
        self._current = current
        self._day_first = day_first
        self._before_new: Patient | None = None  # who was open before "New patient"
        today = patients.today  # the service's clock, so tests with a fake clock agree
        self._build_list_widgets(today)
        scroll = self._build_form_side(today)
        left = self._build_list_side()
        self._lay_out(left, scroll)
        self._connect()
        self._update_record_buttons()
        self.refresh()

    # ---- building ------------------------------------------------------------------------
    def _build_list_widgets(self, today: Callable[[], date]) -> None:
        self.search = named(
            QLineEdit(),
            "patientSearch",
            "Search patients",
            "Name, part of a name, phone digits or date of birth (Ctrl+F)",
        )
        self.search.setPlaceholderText("Search: name, phone or date of birth  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.include_inactive = named(
            QCheckBox("Include inactive"),
            "includeInactive",
            "Include inactive patients",
            "Also list records marked inactive (shown in grey); they are kept, never deleted.",
        )
        self.count_label = QLabel()
        self.count_label.setObjectName("searchCount")
        self.search_message = error_label("searchMessage")

        self.model = PatientTableModel(today)
        self.table = rows_view(self.model, "patientTable", "Patients found")
        self.table.setTabKeyNavigation(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        for column in (BORN, AGE, PHONE):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        # Fit those columns to the rows on screen, not to the first 1,000 rows Qt measures by
        # default: the first page then asks the model for 5x fewer values (issue #9).
        header.setResizeContentsPrecision(0)
        self.new_button = named(
            QPushButton("&New patient"),
            "newPatient",
            "New patient",
            "Register a new patient (Ctrl+N)",
        )
        self.open_button = named(
            QPushButton("&Open"),
            "openPatient",
            "Open selected patient",
            "Make the selected patient current (Enter)",
        )

    def _build_form_side(self, today: Callable[[], date]) -> QScrollArea:
        self.form = PatientForm(self._day_first, today)
        self.inactive_button = named(
            QPushButton("&Mark inactive…"),
            "togglePatientStatus",
            "Mark patient inactive or active",
            "The record is kept; it only leaves the active list (you say why).",
        )
        self.history_button = named(
            QPushButton("Histor&y…"), "patientHistory", "Show changes to this patient"
        )
        extra = QHBoxLayout()
        extra.addWidget(self.history_button)
        extra.addWidget(self.inactive_button)
        extra.addStretch(1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(self.form)
        right_layout.addLayout(extra)
        right_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(right)
        scroll.setObjectName("patientFormScroll")
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes field to field, not to the frame
        return scroll

    def _build_list_side(self) -> QWidget:
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(self.search)
        row = QHBoxLayout()
        row.addWidget(self.count_label, 1)
        row.addWidget(self.include_inactive)
        left_layout.addLayout(row)
        left_layout.addWidget(self.search_message)
        left_layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        left_layout.addLayout(buttons)
        return left

    def _lay_out(self, left: QWidget, scroll: QScrollArea) -> None:
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(0, 5)
        splitter.setStretchFactor(1, 4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.setTabOrder(self.search, self.include_inactive)
        self.setTabOrder(self.include_inactive, self.table)
        self.setTabOrder(self.table, self.new_button)
        self.setTabOrder(self.new_button, self.open_button)
        self.setTabOrder(self.open_button, self.form.fields["family_name"])
        self.setTabOrder(self.form.last_in_tab_order, self.history_button)
        self.setTabOrder(self.history_button, self.inactive_button)

    def _connect(self) -> None:
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(self._timer.start)
        self.search.returnPressed.connect(self._open_from_search)
        self.search.installEventFilter(self)
        self.include_inactive.toggled.connect(self.refresh)
        self.table.activated.connect(self._open_index)
        self.open_button.clicked.connect(lambda: self._open_index(self.table.currentIndex()))
        self.new_button.clicked.connect(self.new_patient)
        self.form.save_requested.connect(self._save)
        self.form.cancel_requested.connect(self._cancel)
        self.inactive_button.clicked.connect(self._toggle_status)
        self.history_button.clicked.connect(self._show_history)
        QShortcut(QKeySequence.StandardKey.Find, self, self.focus_search)
        QShortcut(QKeySequence.StandardKey.New, self, self.new_patient)

    def hideEvent(self, event: QHideEvent) -> None:
        # A pending debounce must not fire into a closed window (or a closed data file).
        self._timer.stop()
        super().hideEvent(event)

    # ---- searching -----------------------------------------------------------------------
    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def refresh(self) -> None:
        """Run the search box's query and show the first page."""
        self._timer.stop()
        query = self._patients.understand(self.search.text(), day_first=self._day_first)
        if query.kind == "invalid":
            self.model.set_rows([])
            self.count_label.setText("")
            self.search_message.setText(query.message)
            self.search_message.show()
            return
        self.search_message.hide()
        inactive = self.include_inactive.isChecked()
        try:
            page = self._patients.page(query, include_inactive=inactive)
            count = self._patients.count_matches(query, include_inactive=inactive)
        except UserError as exc:
            show_user_error(self, exc)
            return

        def fetch(after: tuple[str, int]) -> tuple[list[Patient], tuple[str, int] | None]:
            nxt = self._patients.page(query, after=after, include_inactive=inactive)
            return nxt.rows, nxt.next_after

        self.model.set_rows(page.rows, page.next_after, fetch)
        noun = "patient" if count == 1 else "patients"
        shown = f"{COUNT_CAP:,}+" if count >= COUNT_CAP else f"{count:,}"
        self.count_label.setText(
            f"{shown} {noun}" if query.kind != "all" else f"{shown} {noun} in all"
        )
        if self.model.rowCount():
            self.table.selectRow(0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Down arrow from the search box walks into the results, as in any search field: the
        # results of what was typed, even if the search had not run yet (typed fast).
        if (
            watched is self.search
            and event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Down  # type: ignore[attr-defined]
        ):
            if self._timer.isActive():
                self.refresh()
            if not self.model.rowCount():
                return True
            self.table.setFocus()
            self.table.selectRow(max(self.table.currentIndex().row(), 0))
            return True
        return super().eventFilter(watched, event)

    def _open_from_search(self) -> None:
        if self._timer.isActive():
            self.refresh()
        index = self.table.currentIndex()
        if not index.isValid() and self.model.rowCount():
            index = self.model.index(0, 0)
        self._open_index(index)

    def _open_index(self, index: QModelIndex) -> None:
        patient = self.model.patient_at(index.row()) if index.isValid() else None
        if patient is not None:
            self.open_patient(patient)

    # ---- one patient ---------------------------------------------------------------------
    def open_patient(self, patient: Patient) -> None:
        """Make ``patient`` current and show them in the form."""
        self._before_new = None
        self.form.load(patient)
        self._current.set(patient)
        self._update_record_buttons()

    def new_patient(self) -> None:
        # The header (and every tab) lets go of the previous patient while a new one is
        # typed, so nobody reads the last patient's name and allergies above a stranger's
        # form; Cancel brings that patient back.
        if self.form.original is not None:
            self._before_new = self.form.original
        self._current.set(None)
        self.form.load(None)
        self._update_record_buttons()
        self.form.fields["family_name"].setFocus()

    def _save(self, patient: Patient, reading_problems: list[Problem]) -> None:
        try:
            if patient.id is None:
                result: SaveResult = self._patients.create(patient)
            else:
                result = self._patients.update(patient)
        except UserError as exc:
            show_user_error(self, exc)
            return
        if reading_problems or not result.ok:
            # An unreadable date reaches the service as "no date", which it always refuses.
            fields = {p.field for p in reading_problems}
            merged = reading_problems + [p for p in result.problems if p.field not in fields]
            self.form.show_problems(merged)
            return
        self._after_change(result)

    def _after_change(self, result: SaveResult) -> None:
        self.open_patient(result.record)
        if result.changes.topics:
            self.data_changed.emit(result.changes)

    def _cancel(self) -> None:
        if self.form.original is None and self._before_new is not None:
            self.open_patient(self._before_new)  # a new patient abandoned: back to who it was
        else:
            self.form.load(self.form.original)
        self.focus_search()

    def _toggle_status(self) -> None:
        patient = self.form.original
        if patient is None or patient.id is None:
            return
        if patient.status == "active":
            dialog = ReasonDialog(
                self,
                f"Mark {patient.display_name} inactive",
                "The record is kept; it only leaves the active list.",
                "Why? (for example: moved away, duplicate record)",
            )
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            status, reason = "inactive", dialog.reason()
        else:
            status, reason = "active", ""
        try:
            result = self._patients.set_status(patient.id, status, reason)
        except UserError as exc:
            show_user_error(self, exc)
            return
        if not result.ok:
            show_user_error(self, UserError(result.problems[0].message))
            return
        self._after_change(result)

    def _show_history(self) -> None:
        patient = self.form.original
        if patient is None or patient.id is None:
            return
        try:
            entries = self._patients.history(patient.id)
        except UserError as exc:
            show_user_error(self, exc)
            return
        HistoryDialog(self, patient, entries).exec()

    def _update_record_buttons(self) -> None:
        patient = self.form.original
        saved = patient is not None and patient.id is not None
        self.inactive_button.setEnabled(saved)
        self.history_button.setEnabled(saved)
        active = patient is None or patient.status == "active"
        self.inactive_button.setText("&Mark inactive…" if active else "&Make active again")

    # ---- app-wide changes ----------------------------------------------------------------
    def on_data_changed(self, changes: Changes) -> None:
        if changes.touches(PATIENTS):
            selected = self._current.patient.id if self._current.patient else None
            self.refresh()
            if selected is not None:
                row = self.model.row_of(selected)
                if row >= 0:
                    self.table.selectRow(row)


class HistoryDialog(QDialog):
    """Every recorded change to one patient: when, who, what was before and after, in words
    (the audit trail's field names and stored values are said as the form says them)."""

    def __init__(self, parent: QWidget, patient: Patient, entries: list[AuditEntry]) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Changes to {patient.display_name}")
        self.setObjectName("historyDialog")
        self.resize(640, 420)
        self.list = named(QListWidget(), "historyList", "Changes")
        words = vocabulary()
        for entry in reversed(entries):
            when = format_stamp(entry.at)
            lines = [f"{when} · {entry.actor_name} · {words.words(entry.summary)}"]
            for key in entry.changed_fields():
                before = (entry.before or {}).get(key)
                after = (entry.after or {}).get(key)
                label = field_label(key)
                label = label[:1].upper() + label[1:]
                if entry.before is None:  # a new record, or an export: what it holds
                    lines.append(f"    {label}: {_short(after)}")
                else:
                    lines.append(f"    {label}: {_short(before)} → {_short(after)}")
            self.list.addItem("\n".join(lines))
        close = named(QPushButton("Close"), "historyClose", "Close")
        close.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)


def _short(value: object) -> str:
    text = " ".join(value_words(value).split())
    return text if len(text) <= 80 else text[:77] + "…"
