"""Adverse events: logging one against a session, and the list of those not yet resolved."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.problems import Problem
from exodesk.domain.sessions import (
    AE_OUTCOMES,
    AE_SEVERITIES,
    AE_TYPES,
    TREATMENTS,
    AdverseEvent,
    TreatmentSession,
)
from exodesk.errors import UserError
from exodesk.services.context import Changes
from exodesk.services.events import EventService
from exodesk.services.patients import PatientService
from exodesk.ui import tips
from exodesk.ui.common import (
    clear_when_edited,
    error_label,
    format_date,
    grow_to_fit,
    named,
    show_problems,
)
from exodesk.ui.errors import show_user_error
from exodesk.ui.look import ERROR, item_ink
from exodesk.ui.models import ALIGN_RIGHT, RowsTableModel, rows_view
from exodesk.ui.widgets import DateField, NoWheelComboBox

# Severities the open-events list shows in red.
SERIOUS = frozenset({"severe", "life_threatening"})


def session_summary(session: TreatmentSession, today: date) -> str:
    """Which session an event is logged against, in words: date, treatment, products and lots.

    Args:
        session: The session (of any age: granulomas appear weeks or months later).
        today: The day the dialog is open, to say how long ago the session was.

    Returns:
        Two or three lines of plain text.
    """
    day = session.performed_at.astimezone().date()
    ago = (today - day).days
    when = {0: "today", 1: "yesterday"}.get(ago, f"{ago} days ago")
    lines = [
        f"Logged against the session of {format_date(day)} ({when}): "
        f"{TREATMENTS.get(session.treatment, '')}"
        + (f", by {session.practitioner_name}" if session.practitioner_name else "")
    ]
    if session.products:
        used = []
        for p in session.products:
            text = f"{p.product_name} lot {p.lot_number}"
            if p.volume_ml is not None:
                text += f" ({p.volume_ml:g} ml)"
            used.append(text)
        lines.append("Products: " + "; ".join(used))
    else:
        lines.append("No products were recorded for this session.")
    if session.status == "amended":
        lines.append("This version of the session was later amended.")
    elif session.status == "entered_in_error":
        lines.append("This session was marked as entered in error.")
    return "\n".join(lines)


def _combo(
    object_name: str, accessible_name: str, options: dict[str, str], *, placeholder: str = ""
) -> QComboBox:
    combo = named(NoWheelComboBox(), object_name, accessible_name)
    for key, label in options.items():
        combo.addItem(label, key)
    if placeholder:
        # Nothing chosen until the practitioner chooses: a default type or severity would be
        # recorded by anyone who forgot to look.
        combo.setPlaceholderText(placeholder)
        combo.setCurrentIndex(-1)
    return combo


def _text_edit(object_name: str, accessible_name: str, lines: int) -> QPlainTextEdit:
    edit = named(QPlainTextEdit(), object_name, accessible_name)
    edit.setTabChangesFocus(True)
    edit.setFixedHeight(edit.fontMetrics().lineSpacing() * lines + 14)
    return edit


class AdverseEventDialog(QDialog):
    """Log a complication against a session, or update one already logged.

    The session may be of any age. After a successful save ``saved`` holds the stored
    AdverseEvent and ``changes`` what changed.

    Raises:
        UserError: the session no longer exists (from the constructor).
    """

    def __init__(
        self,
        parent: QWidget | None,
        events: EventService,
        *,
        session_id: int,
        event: AdverseEvent | None = None,
        day_first: bool,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("adverseEventDialog")
        self.setWindowTitle("Adverse event" if event else "Log an adverse event")
        self._events = events
        self._session_id = session_id
        self._event = event
        self.saved: AdverseEvent | None = None
        self.changes = Changes()
        session = events.session(session_id)

        self.session_label = QLabel(session_summary(session, events.today()))
        self.session_label.setObjectName("eventSession")
        self.session_label.setWordWrap(True)
        self.session_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.session_label.setFrameShape(QFrame.Shape.StyledPanel)
        self.session_label.setMargin(6)
        self._build_fields(day_first)
        form = self._build_form()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = named(
            buttons.button(QDialogButtonBox.StandardButton.Save), "eventSave", "Save event"
        )
        named(buttons.button(QDialogButtonBox.StandardButton.Cancel), "eventCancel", "Cancel")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.session_label)
        layout.addLayout(form)
        layout.addWidget(buttons)

        self.outcome.currentIndexChanged.connect(self._outcome_changed)
        self.regulator.toggled.connect(self.reference.setEnabled)
        self._show(event)
        self.resize(600, self.sizeHint().height())

    # ---- building ------------------------------------------------------------------------
    def _build_fields(self, day_first: bool) -> None:
        today = self._events.today
        self.type = _combo("eventType", "Type of event", AE_TYPES, placeholder="Choose the type")
        self.type.setToolTip(tips.EVENT_TYPE)
        self.onset = DateField(
            "eventOnset", "Onset date", day_first=day_first, today=today, never_button=False
        )
        self.onset.edit.setToolTip("The day it started (on or after the session)")
        self.severity = _combo(
            "eventSeverity", "Severity", AE_SEVERITIES, placeholder="Choose the severity"
        )
        self.description = _text_edit("eventDescription", "Description", 4)
        self.description.setPlaceholderText("What was seen, where, and how it developed")
        self.action = _text_edit("eventAction", "Action taken", 3)
        self.action.setPlaceholderText("Treatment given, referral, advice")
        self.outcome = _combo("eventOutcome", "Outcome", AE_OUTCOMES)
        self.resolution = DateField(
            "eventResolution",
            "Resolution date",
            day_first=day_first,
            today=today,
            never_button=False,
        )
        self.resolution.edit.setToolTip("The day it resolved")
        self.supplier = named(
            QCheckBox("Reported to su&pplier"),
            "eventSupplier",
            "Reported to supplier",
            tips.EVENT_SUPPLIER,
        )
        self.regulator = named(
            QCheckBox("Reported to re&gulator"),
            "eventRegulator",
            "Reported to regulator",
            tips.EVENT_REGULATOR,
        )
        self.reference = named(QLineEdit(), "eventReference", "Regulator reference")
        self.reference.setPlaceholderText("reference the regulator gave")

        self.errors = {
            key: error_label(f"event_error_{key}")
            for key in (
                "type",
                "onset_date",
                "severity",
                "description",
                "action_taken",
                "outcome",
                "resolution_date",
                "regulator_reference",
            )
        }

    def _build_form(self) -> QFormLayout:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(8)  # the two text boxes must not touch
        rows: tuple[tuple[str, QWidget, str | None], ...] = (
            ("&Type", self.type, "type"),
            ("&Onset", self.onset, "onset_date"),
            ("Se&verity", self.severity, "severity"),
            ("&Description", self.description, "description"),
            ("&Action taken", self.action, "action_taken"),
            ("O&utcome", self.outcome, "outcome"),
            ("&Resolved on", self.resolution, "resolution_date"),
        )
        for text, widget, key in rows:
            form.addRow(self._label(text, widget), self._with_error(widget, key))
        # These problems are about two fields together: either one changing answers them.
        clear_when_edited(self.errors["resolution_date"], self.outcome)
        clear_when_edited(self.errors["regulator_reference"], self.regulator)
        reported = QHBoxLayout()
        reported.addWidget(self.supplier)
        reported.addWidget(self.regulator)
        reported.addStretch(1)
        form.addRow("Reported", reported)
        form.addRow(
            self._label("Regulator r&eference", self.reference),
            self._with_error(self.reference, "regulator_reference"),
        )
        return form

    @staticmethod
    def _label(text: str, widget: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(widget)
        return label

    def _with_error(self, field: QWidget, key: str | None) -> QVBoxLayout:
        box = QVBoxLayout()
        box.setSpacing(2)
        box.addWidget(field)
        if key:
            box.addWidget(self.errors[key])
            clear_when_edited(self.errors[key], field)
        return box

    def _show_problems(self, problems: list[Problem]) -> None:
        show_problems(self.errors, problems)
        # Error lines make the form taller; grow rather than squeeze the text boxes together.
        grow_to_fit(self)

    def _show(self, event: AdverseEvent | None) -> None:
        if event is not None:
            self.type.setCurrentIndex(self.type.findData(event.type))
            self.onset.set_value(event.onset_date)
            self.severity.setCurrentIndex(self.severity.findData(event.severity))
            self.description.setPlainText(event.description)
            self.action.setPlainText(event.action_taken)
            self.outcome.setCurrentIndex(max(0, self.outcome.findData(event.outcome)))
            self.resolution.set_value(event.resolution_date)
            self.supplier.setChecked(event.reported_to_supplier)
            self.regulator.setChecked(event.reported_to_regulator)
            self.reference.setText(event.regulator_reference)
        self.reference.setEnabled(self.regulator.isChecked())
        self._outcome_changed()

    def _outcome_changed(self) -> None:
        self.resolution.setEnabled(self._resolved())

    def _resolved(self) -> bool:
        return str(self.outcome.currentData() or "").startswith("resolved")

    def draft(self) -> tuple[AdverseEvent, list[Problem]]:
        """The event as the form says it, and any dates that could not be read.

        A disabled field is left out: a resolution date only counts once resolved, and a
        reference only once reported to the regulator.
        """
        onset, onset_problem = self.onset.value()
        resolution, resolution_problem = (
            self.resolution.value() if self._resolved() else (None, None)
        )
        unreadable = [
            Problem(key, message)
            for key, message in (
                ("onset_date", onset_problem),
                ("resolution_date", resolution_problem),
            )
            if message
        ]
        reported = self.regulator.isChecked()
        event = AdverseEvent(
            session_id=self._session_id,
            type=self.type.currentData() or "",
            onset_date=onset,  # type: ignore[arg-type]  # None: validation says it is needed
            severity=self.severity.currentData() or "",
            description=self.description.toPlainText(),
            action_taken=self.action.toPlainText(),
            outcome=self.outcome.currentData(),
            resolution_date=resolution,
            reported_to_supplier=self.supplier.isChecked(),
            reported_to_regulator=reported,
            regulator_reference=self.reference.text() if reported else "",
            id=self._event.id if self._event else None,
        )
        return event, unreadable

    def save(self) -> None:
        """Log the event; problems appear beside their fields, success closes the dialog."""
        event, unreadable = self.draft()
        if unreadable:
            self._show_problems(unreadable)
            return
        try:
            result = self._events.log_event(event)
        except UserError as exc:
            show_user_error(self, exc)
            return
        self._show_problems(result.problems)
        if result.ok:
            self.saved = result.record
            self.changes = result.changes
            self.accept()


ONSET, PATIENT, TYPE, SEVERITY, DAYS_OPEN, REPORTED = range(6)
EVENT_HEADERS = ("Onset", "Patient", "Type", "Severity", "Days open", "Reported")


def reported_words(event: AdverseEvent) -> str:
    """``supplier and regulator``, ``supplier``, ``regulator`` or ``no``."""
    to = [
        who
        for who, done in (
            ("supplier", event.reported_to_supplier),
            ("regulator", event.reported_to_regulator),
        )
        if done
    ]
    return " and ".join(to) or "no"


OpenEventRow = tuple[AdverseEvent, str]
"""An unresolved event and its patient's name."""


class OpenEventTableModel(RowsTableModel[OpenEventRow]):
    """Unresolved adverse events with their patient's name, oldest onset first.

    Args:
        today: The clock the days open are counted on.
    """

    HEADERS = EVENT_HEADERS

    def __init__(self, today: Callable[[], date]) -> None:
        super().__init__()
        self._today = today

    def event_at(self, row: int) -> AdverseEvent | None:
        found = self.row_at(row)
        return found[0] if found is not None else None

    def key_of(self, row: OpenEventRow) -> object:
        return row[0].id

    def text(self, row: OpenEventRow, column: int) -> str | None:
        event, patient = row
        if column == ONSET:
            return format_date(event.onset_date)
        if column == PATIENT:
            return patient
        if column == TYPE:
            return AE_TYPES.get(event.type, event.type)
        if column == SEVERITY:
            return AE_SEVERITIES.get(event.severity, event.severity)
        if column == DAYS_OPEN:
            return str(max(0, (self._today() - event.onset_date).days))
        if column == REPORTED:
            return reported_words(event)
        return None

    def role_data(self, row: OpenEventRow, column: int, role: int) -> Any:
        event = row[0]
        if role == Qt.ItemDataRole.ForegroundRole and column == SEVERITY:
            return item_ink(ERROR) if event.severity in SERIOUS else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column == DAYS_OPEN:
            return ALIGN_RIGHT
        if role == Qt.ItemDataRole.ToolTipRole and column == TYPE:
            return event.description or None
        return None


class OpenEventsDialog(QDialog):
    """Every adverse event not yet resolved, oldest first; Edit… updates the chosen one.

    ``changes`` holds the last edit's Changes so the caller can emit ``data_changed``.
    """

    def __init__(
        self,
        parent: QWidget | None,
        events: EventService,
        patients: PatientService,
        *,
        day_first: bool,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("openEventsDialog")
        self._events = events
        self._patients = patients
        self._day_first = day_first
        self.changes = Changes()

        self.summary = QLabel()
        self.summary.setObjectName("openEventsSummary")
        self.model = OpenEventTableModel(self._events.today)
        self.table = rows_view(self.model, "openEventsTable", "Adverse events not yet resolved")
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(PATIENT, QHeaderView.ResizeMode.Stretch)
        self.edit_button = named(QPushButton("&Edit…"), "openEventsEdit", "Edit the chosen event")
        self.edit_button.setAutoDefault(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.edit_button, QDialogButtonBox.ButtonRole.ActionRole)
        close = named(
            buttons.button(QDialogButtonBox.StandardButton.Close), "openEventsClose", "Close"
        )
        close.setAutoDefault(False)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)

        self.edit_button.clicked.connect(self.edit_current)
        self.table.activated.connect(self.edit_current)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.resize(820, 420)
        self.refresh()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter on the list has already opened the event (``activated``); it closes nothing."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.table.hasFocus():
            return
        super().keyPressEvent(event)

    def refresh(self, *, select: int | None = None) -> None:
        """Read the open events again and show them; keep ``select`` chosen if still open."""
        try:
            events = self._events.open_events()
        except UserError as exc:
            show_user_error(self, exc)
            events = []
        self.model.set_rows(
            [(event, self._patient_name(patient_id)) for event, patient_id in events]
        )
        count = len(events)
        self.setWindowTitle(f"Open adverse events ({count})")
        self.summary.setText(
            "No adverse events are waiting to be resolved."
            if not count
            else f"{count} adverse event{'s' if count != 1 else ''} not yet resolved, "
            "oldest first. Choose one and press Edit… to record its outcome."
        )
        row = self.model.row_of(select) if select is not None else -1
        if count:
            self.table.selectRow(max(row, 0))
        self._selection_changed()

    def _patient_name(self, patient_id: int) -> str:
        try:
            return self._patients.get(patient_id).display_name
        except UserError:
            return f"Patient {patient_id} (record not found)"

    def _selection_changed(self) -> None:
        self.edit_button.setEnabled(bool(self.table.selectionModel().selectedRows()))

    def edit_current(self) -> None:
        """Open the chosen event in AdverseEventDialog, then show the list again."""
        rows = self.table.selectionModel().selectedRows()
        chosen = self.model.event_at(rows[0].row()) if rows else None
        if chosen is None or chosen.id is None:
            return
        try:
            event = self._events.event(chosen.id)
            dialog = AdverseEventDialog(
                self,
                self._events,
                session_id=event.session_id,
                event=event,
                day_first=self._day_first,
            )
        except UserError as exc:
            show_user_error(self, exc)
            self.refresh()
            return
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.changes = dialog.changes
            self.refresh(select=event.id)
