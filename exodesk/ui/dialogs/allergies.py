"""AllergiesDialog: a patient's allergy list, corrected (never deleted) and "no known allergies"."""

from __future__ import annotations

import itertools
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.allergies import (
    LISTED,
    NONE_KNOWN,
    SEVERITIES,
    Allergen,
    Allergy,
    PatientAllergies,
    allergy_list_words,
    recorded_words,
)
from exodesk.domain.patient import Patient
from exodesk.domain.problems import Problem
from exodesk.errors import UserError
from exodesk.services.allergies import AllergyService
from exodesk.services.context import Changes
from exodesk.ui import tips
from exodesk.ui.common import (
    clear_when_edited,
    enter_saves,
    error_label,
    named,
    show_problems,
    without_default_buttons,
)
from exodesk.ui.dialogs.reason import ReasonDialog
from exodesk.ui.errors import show_user_error
from exodesk.ui.look import FADED, ink_style, item_ink
from exodesk.ui.models import RowsTableModel, rows_view
from exodesk.ui.widgets import NoWheelComboBox

RED = "#b00020"
AMBER = "#8a5a00"
GREEN = "#1f6b3a"


class SubstanceCombo(NoWheelComboBox):
    """The substance: chosen from the clinic's allergen list, or typed when it is not there."""

    def __init__(self, object_name: str, accessible_name: str) -> None:
        super().__init__()
        named(self, object_name, accessible_name, tips.SUBSTANCE)
        self.setEditable(True)
        self.setInsertPolicy(NoWheelComboBox.InsertPolicy.NoInsert)
        line = self.lineEdit()
        assert line is not None
        line.setPlaceholderText("Choose from the list, or type it")
        self.setMinimumContentsLength(22)

    def set_allergens(self, allergens: list[Allergen]) -> None:
        text = self.currentText()
        self.blockSignals(True)
        self.clear()
        for allergen in allergens:
            self.addItem(allergen.name, allergen.id)
            if allergen.also_called:
                also = "Also: " + ", ".join(allergen.also_called)
                self.setItemData(self.count() - 1, also, Qt.ItemDataRole.ToolTipRole)
        self.setCurrentIndex(-1)
        self.setEditText(text)
        self.blockSignals(False)

    def value(self) -> tuple[int | None, str]:
        """(the list entry's id, or None for typed words; the words)."""
        text = self.currentText()
        index = self.findText(text.strip(), Qt.MatchFlag.MatchFixedString)
        return (self.itemData(index) if index >= 0 else None), text

    def set_value(self, allergen_id: int | None, text: str) -> None:
        index = self.findData(allergen_id) if allergen_id is not None else -1
        self.setCurrentIndex(index)
        self.setEditText(self.itemText(index) if index >= 0 else text)


def severity_combo(object_name: str, accessible_name: str) -> NoWheelComboBox:
    combo = named(NoWheelComboBox(), object_name, accessible_name)
    for key, label in SEVERITIES.items():
        combo.addItem(label, key)
    combo.setCurrentIndex(combo.findData("unknown"))
    return combo


def state_style(state: str, background: QColor | None = None) -> str:
    """The colour of the allergy line: red when listed, green for none known, amber unknown;
    readable on ``background`` (by default the palette's window)."""
    colour = {LISTED: RED, NONE_KNOWN: GREEN}.get(state, AMBER)
    return ink_style(colour, bold=True, background=background)


SUBSTANCE, SEVERITY, REACTION, RECORDED, STATUS = range(5)
_STATUS = {
    "current": "current",
    "amended": "corrected later",
    "entered_in_error": "entered in error",
}


class AllergyTableModel(RowsTableModel[Allergy]):
    """A patient's allergies (or every version of them), with who recorded each and when."""

    HEADERS = ("Substance", "Severity", "Reaction", "Recorded", "Status")

    def text(self, row: Allergy, column: int) -> str | None:
        if column == SUBSTANCE:
            return row.substance
        if column == SEVERITY:
            return SEVERITIES.get(row.severity, row.severity)
        if column == REACTION:
            return " ".join(row.reaction.split()) or "—"
        if column == RECORDED:
            return recorded_words(row)
        if column == STATUS:
            status = _STATUS.get(row.status, row.status)
            return f"{status} (v{row.version})" if row.version > 1 else status
        return None

    def role_data(self, row: Allergy, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and row.status != "current":
            return item_ink(FADED)
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [f"{row.substance}: {SEVERITIES.get(row.severity, row.severity)}"]
            if row.reaction:
                lines.append(f"Reaction: {row.reaction[:500]}")
            if row.note:
                lines.append(row.note)
            if row.amend_reason:
                lines.append(f"Corrected: {row.amend_reason}")
            if row.status_reason:
                lines.append(f"Entered in error: {row.status_reason}")
            return "\n".join(lines)
        return None


class AllergiesDialog(QDialog):
    """The current patient's allergies: add, correct (the earlier version is kept), mark one
    entered in error (a practitioner), or record that there are none known.

    Enter saves the allergy form when it has the focus; Esc closes. ``changes`` holds what the
    last save changed, for the window's ``data_changed``.
    """

    def __init__(
        self,
        parent: QWidget | None,
        allergies: AllergyService,
        patient: Patient,
        *,
        may_retract: bool,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("allergiesDialog")
        self.setWindowTitle(f"Allergies — {patient.display_name}")
        self._allergies = allergies
        self._patient_id = int(patient.id or 0)
        self._may_retract = may_retract
        self._editing: Allergy | None = None  # the version being corrected; None: a new one
        self.changes = Changes()

        self.status = QLabel()
        self.status.setObjectName("allergiesStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.model = AllergyTableModel()
        self.table = rows_view(self.model, "allergyTable", "Allergies")
        self.table.setTabKeyNavigation(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(REACTION, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(120)
        self.show_all = named(
            QCheckBox("Show corrected and &withdrawn versions"),
            "allergiesShowAll",
            "Show corrected and withdrawn versions",
            "Earlier versions and allergies entered in error stay in the record, in grey.",
        )
        self.new_button = named(QPushButton("&New allergy"), "newAllergy", "New allergy")
        self.correct_button = named(
            QPushButton("&Correct…"),
            "correctAllergy",
            "Correct the chosen allergy",
            "Correct it: the earlier version is kept",
        )
        self.error_button = named(
            QPushButton("Entered in &error…"),
            "allergyEnteredInError",
            "Mark the chosen allergy entered in error",
            "Take it off the list when it was recorded by mistake; it stays in the record."
            if may_retract
            else "Only a practitioner can take an allergy off the list.",
        )
        self.none_button = named(
            QPushButton("No &known allergies"),
            "noKnownAllergies",
            "No known allergies",
            "Record that the patient was asked and has no known allergies.",
        )
        self.none_error = error_label("allergies_error_none_known")
        actions = QHBoxLayout()
        for button in (self.new_button, self.correct_button, self.error_button):
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(self.none_button)

        form_box = self._build_form()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.close_button = named(
            buttons.button(QDialogButtonBox.StandardButton.Close), "allergiesClose", "Close"
        )
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.show_all)
        layout.addLayout(actions)
        layout.addWidget(self.none_error)
        layout.addWidget(form_box)
        layout.addWidget(buttons)

        self._set_keyboard_order()
        self.show_all.toggled.connect(lambda _on: self.refresh())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.table.doubleClicked.connect(lambda _index: self.start_correct())
        self.new_button.clicked.connect(self.start_new)
        self.correct_button.clicked.connect(self.start_correct)
        self.error_button.clicked.connect(self.mark_error)
        self.none_button.clicked.connect(self.none_known)
        self.save_button.clicked.connect(self.save)
        self.resize(860, 560)
        try:
            self.substance.set_allergens(allergies.allergens())
        except UserError as exc:
            show_user_error(self, exc)
        self.refresh()
        self.start_new()

    # ---- building ------------------------------------------------------------------------
    def _build_form(self) -> QGroupBox:
        self.form_box = QGroupBox("New allergy")
        self.form_box.setObjectName("allergyForm")
        self.substance = SubstanceCombo("allergySubstance", "Substance")
        self.severity = severity_combo("allergySeverity", "Severity")
        self.reaction = named(QLineEdit(), "allergyReaction", "Reaction")
        self.reaction.setPlaceholderText("What happens: for example hives, swelling of the lips")
        self.reason = named(QLineEdit(), "allergyAmendReason", "Reason for the correction")
        self.reason.setPlaceholderText("What was corrected, and why")
        self.save_button = named(QPushButton("&Save allergy"), "saveAllergy", "Save allergy")
        self.message = QLabel()
        self.message.setObjectName("allergyMessage")
        self.errors = {
            key: error_label(f"allergy_error_{key}")
            for key in ("substance", "severity", "reaction", "amend_reason")
        }
        grid = QGridLayout(self.form_box)
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(3, 2)
        e = self.errors
        grid.addWidget(_label("S&ubstance", self.substance), 0, 0)
        grid.addLayout(_with_error(self.substance, e["substance"]), 0, 1)
        grid.addWidget(_label("Se&verity", self.severity), 0, 2)
        grid.addLayout(_with_error(self.severity, e["severity"]), 0, 3)
        grid.addWidget(_label("&Reaction", self.reaction), 1, 0)
        grid.addLayout(_with_error(self.reaction, e["reaction"]), 1, 1, 1, 3)
        self.reason_label = _label("Reas&on for the correction", self.reason)
        grid.addWidget(self.reason_label, 2, 0)
        grid.addLayout(_with_error(self.reason, e["amend_reason"]), 2, 1, 1, 3)
        save_row = QHBoxLayout()
        save_row.addWidget(self.save_button)
        save_row.addWidget(self.message, 1)
        grid.addLayout(save_row, 3, 1, 1, 3)
        return self.form_box

    def _set_keyboard_order(self) -> None:
        # Enter belongs to the allergy form (keyPressEvent), never to a default button.
        without_default_buttons(self)
        chain = [
            self.table,
            self.show_all,
            self.new_button,
            self.correct_button,
            self.error_button,
            self.none_button,
            self.substance,
            self.severity,
            self.reaction,
            self.reason,
            self.save_button,
            self.close_button,
        ]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    # ---- showing -------------------------------------------------------------------------
    def refresh(self, *, select: int | None = None) -> None:
        """Read the list again (and every version when asked), and say what is known."""
        try:
            summary = self._allergies.summary(self._patient_id)
            rows: list[Allergy] = (
                self._allergies.history(self._patient_id)
                if self.show_all.isChecked()
                else list(summary.allergies)
            )
        except UserError as exc:
            show_user_error(self, exc)
            return
        self._show_status(summary)
        self.model.set_rows(rows)
        row = self.model.row_of(select) if select is not None else -1
        if row >= 0:
            self.table.selectRow(row)
        self._update_buttons()

    def _show_status(self, summary: PatientAllergies) -> None:
        count = len(summary.allergies)
        text = allergy_list_words(summary)
        if summary.state == LISTED:
            text = f"{count} allerg{'y' if count == 1 else 'ies'} recorded: {text}"
        self.status.setText(text)
        self.status.setStyleSheet(state_style(summary.state))
        self.none_button.setEnabled(summary.state != LISTED)
        self.none_button.setToolTip(
            "Record that the patient was asked and has no known allergies."
            if summary.state != LISTED
            else "The patient has allergies on the list."
        )

    def _selected(self) -> Allergy | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        chosen = self._selected()
        current = chosen is not None and chosen.status == "current"
        self.correct_button.setEnabled(current)
        self.error_button.setEnabled(current and self._may_retract)

    # ---- the form ------------------------------------------------------------------------
    def start_new(self) -> None:
        """Clear the form for a new allergy."""
        self._editing = None
        self.form_box.setTitle("New allergy")
        self.substance.set_value(None, "")
        self.severity.setCurrentIndex(self.severity.findData("unknown"))
        self.reaction.clear()
        self.reason.clear()
        self._show_reason(False)
        self.message.clear()
        show_problems(self.errors, [])
        self.substance.setFocus()

    def start_correct(self) -> None:
        """Load the chosen allergy into the form to correct it."""
        chosen = self._selected()
        if chosen is None or chosen.status != "current":
            return
        self._editing = chosen
        self.form_box.setTitle(f"Correct: {chosen.substance}")
        self.substance.set_value(chosen.allergen_id, chosen.substance)
        self.severity.setCurrentIndex(max(0, self.severity.findData(chosen.severity)))
        self.reaction.setText(" ".join(chosen.reaction.splitlines()))
        self.reason.clear()
        self._show_reason(True)
        self.message.clear()
        show_problems(self.errors, [])
        self.substance.setFocus()

    def _show_reason(self, shown: bool) -> None:
        self.reason_label.setVisible(shown)
        self.reason.setVisible(shown)

    def draft(self) -> Allergy:
        """The allergy as the form says it."""
        allergen_id, text = self.substance.value()
        base = self._editing or Allergy(self._patient_id, "")
        return Allergy(
            patient_id=self._patient_id,
            substance=text,
            allergen_id=allergen_id,
            severity=self.severity.currentData(),
            reaction=self.reaction.text(),
            note=base.note,
        )

    def save(self) -> None:
        """Add the allergy, or save the correction; problems appear beside their fields."""
        draft = self.draft()
        try:
            if self._editing is not None:
                result = self._allergies.amend(
                    int(self._editing.id or 0), draft, self.reason.text()
                )
            else:
                result = self._allergies.record(draft)
        except UserError as exc:
            show_user_error(self, exc)
            return
        self._show_problems(result.problems)
        if not result.ok:
            return
        self.changes = result.changes
        saved: Allergy = result.record
        self.refresh(select=saved.id)
        self.start_new()
        self.message.setText(f"{saved.substance} saved.")

    def _show_problems(self, problems: list[Problem]) -> None:
        show_problems(self.errors, problems)
        first = next((p.field for p in problems if p.field in self.errors), None)
        widget = {
            "substance": self.substance,
            "severity": self.severity,
            "reaction": self.reaction,
            "amend_reason": self.reason,
        }.get(first or "")
        if widget is not None:
            widget.setFocus()

    # ---- other changes -------------------------------------------------------------------
    def mark_error(self) -> None:
        chosen = self._selected()
        if chosen is None or chosen.status != "current" or not self._may_retract:
            return
        dialog = ReasonDialog(
            self,
            "Allergy entered in error",
            f"Take {chosen.substance} off this patient's list? It stays in the record, marked "
            "entered in error, and is no longer checked.",
            "Why it was recorded by mistake",
        )
        while dialog.exec() == QDialog.DialogCode.Accepted:
            try:
                result = self._allergies.mark_entered_in_error(int(chosen.id or 0), dialog.reason())
            except UserError as exc:
                show_user_error(self, exc)
                return
            if result.ok:
                self.changes = result.changes
                self.refresh()
                self.start_new()
                return
            dialog.show_problems(result.problems)

    def none_known(self) -> None:
        try:
            result = self._allergies.record_none_known(self._patient_id)
        except UserError as exc:
            show_user_error(self, exc)
            return
        problems = [p for p in result.problems if p.field == "none_known"]
        self.none_error.setText(" ".join(p.message for p in problems))
        self.none_error.setVisible(bool(problems))
        if result.ok:
            self.changes = result.changes
            self.refresh()

    # ---- keyboard ------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter saves the allergy form when it holds the focus (a focused button is pressed;
        Enter on the list corrects the allergy chosen)."""
        forms = ((self.form_box, self.save),)
        if not enter_saves(event, self.focusWidget(), forms, on_list=self.start_correct):
            super().keyPressEvent(event)


def _label(text: str, buddy: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(buddy)
    label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
    # Line the label's text up with the field's text, not the field's top border.
    label.setContentsMargins(0, 4, 0, 0)
    return label


def _with_error(field: QWidget, error: QLabel) -> QVBoxLayout:
    box = QVBoxLayout()
    box.setSpacing(2)
    box.addWidget(field)
    box.addWidget(error)
    clear_when_edited(error, field)
    box.addStretch(1)
    return box
