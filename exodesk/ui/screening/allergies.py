"""ScreeningAllergiesDialog: a "yes" to a product allergy asks what, and saves it with the
screening (the patient's allergy list gains it, or the listed allergy is updated)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.allergies import LISTED, Allergy, allergy_list_words, find_allergens
from exodesk.domain.patient import Patient
from exodesk.domain.problems import Problem
from exodesk.errors import UserError
from exodesk.services.allergies import SCREENING_ITEM, AllergyService, entry_field
from exodesk.services.context import SaveResult
from exodesk.ui.common import clear_when_edited, error_label, named
from exodesk.ui.dialogs.allergies import SubstanceCombo, severity_combo, state_style
from exodesk.ui.errors import show_user_error
from exodesk.ui.widgets import NoWheelComboBox

FIELDS = ("substance", "severity", "reaction")


class _Row:
    """One allergy typed: substance, severity, reaction, each with its problem under it."""

    def __init__(self, n: int) -> None:
        self.substance = SubstanceCombo(f"screeningAllergy{n}_substance", f"Allergy {n + 1}")
        self.severity: NoWheelComboBox = severity_combo(
            f"screeningAllergy{n}_severity", f"Allergy {n + 1}: severity"
        )
        self.reaction = named(
            QLineEdit(), f"screeningAllergy{n}_reaction", f"Allergy {n + 1}: reaction"
        )
        self.reaction.setPlaceholderText("What happens")
        self.errors = {key: error_label(f"screeningAllergy{n}_error_{key}") for key in FIELDS}

    def allergy(self, patient_id: int) -> Allergy | None:
        """The allergy typed, or None for a row left empty."""
        allergen_id, text = self.substance.value()
        if not text.strip() and not self.reaction.text().strip():
            return None
        return Allergy(
            patient_id,
            text,
            allergen_id=allergen_id,
            severity=self.severity.currentData(),
            reaction=self.reaction.text(),
        )


class ScreeningAllergiesDialog(QDialog):
    """Asks what the patient is allergic to, then saves the screening and the allergies in one.

    ``saved`` holds the saved screening's SaveResult once accepted. Enter saves; Esc goes back
    to the questionnaire with nothing saved.
    """

    def __init__(
        self,
        parent: QWidget | None,
        allergies: AllergyService,
        patient: Patient,
        answers: Mapping[str, Any],
        *,
        amending: int | None = None,
        reason: str = "",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("screeningAllergiesDialog")
        self.setWindowTitle("What is the patient allergic to?")
        self._allergies = allergies
        self._patient_id = int(patient.id or 0)
        self._answers = dict(answers)
        self._amending = amending
        self._reason = reason
        self.saved: SaveResult | None = None
        self.rows: list[_Row] = []
        try:
            self._allergens = allergies.allergens()
            summary = allergies.summary(self._patient_id)
        except UserError as exc:
            show_user_error(self, exc)
            self._allergens, summary = [], None
        self._listed = summary is not None and summary.state == LISTED

        intro = QLabel(
            "The patient answered yes: they are allergic to something in the planned product "
            "or the liquid it comes in. Record what, so every session checks for it."
        )
        intro.setWordWrap(True)
        self.listed = QLabel(
            f"On the allergy list: {allergy_list_words(summary, short=True)}" if summary else ""
        )
        self.listed.setObjectName("screeningAllergiesListed")
        self.listed.setWordWrap(True)
        self.listed.setStyleSheet(state_style(summary.state if summary else ""))
        written = str(self._answers.get("allergies") or "").strip()
        self.written = QLabel(f"The patient wrote: “{' '.join(written.split())}”")
        self.written.setObjectName("screeningAllergiesWritten")
        self.written.setWordWrap(True)
        self.written.setVisible(bool(written))
        self.problem = error_label("screeningAllergiesProblem")

        self.grid = QGridLayout()
        for column, words in enumerate(("Substance", "Severity", "What happens")):
            heading = QLabel(f"<b>{words}</b>")
            self.grid.addWidget(heading, 0, column)
        self.grid.setColumnStretch(0, 3)
        self.grid.setColumnStretch(2, 4)
        self.add_button = named(
            QPushButton("Add &another"), "screeningAllergyAdd", "Add another allergy"
        )
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(lambda: self.add_row().substance.setFocus())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = named(
            buttons.addButton("&Save screening", QDialogButtonBox.ButtonRole.AcceptRole),
            "screeningAllergiesSave",
            "Save the screening and these allergies",
        )
        named(
            buttons.button(QDialogButtonBox.StandardButton.Cancel),
            "screeningAllergiesCancel",
            "Cancel",
        )
        for button in (self.save_button, buttons.button(QDialogButtonBox.StandardButton.Cancel)):
            button.setAutoDefault(False)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.listed)
        layout.addWidget(self.written)
        layout.addLayout(self.grid)
        layout.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        layout.addWidget(buttons)

        # One row per listed substance the patient's own words name; one empty row otherwise.
        for allergen in find_allergens(written, self._allergens) or (None,):
            row = self.add_row()
            if allergen is not None:
                row.substance.set_value(allergen.id, allergen.name)
        self.resize(760, 360)
        self.rows[0].substance.setFocus()

    def add_row(self) -> _Row:
        n = len(self.rows)
        row = _Row(n)
        row.substance.set_allergens(self._allergens)
        row.substance.set_value(None, "")
        grid_row = 1 + 2 * n  # a row of fields, then a row for their problems
        for column, (widget, key) in enumerate(
            ((row.substance, "substance"), (row.severity, "severity"), (row.reaction, "reaction"))
        ):
            self.grid.addWidget(widget, grid_row, column)
            self.grid.addWidget(row.errors[key], grid_row + 1, column)
            clear_when_edited(row.errors[key], widget)
        previous = self.rows[-1].reaction if self.rows else None
        if previous is not None:
            QWidget.setTabOrder(previous, row.substance)
        QWidget.setTabOrder(row.substance, row.severity)
        QWidget.setTabOrder(row.severity, row.reaction)
        QWidget.setTabOrder(row.reaction, self.add_button)
        self.rows.append(row)
        return row

    def typed(self) -> list[Allergy]:
        """The allergies typed, empty rows left out."""
        return [a for a in (row.allergy(self._patient_id) for row in self.rows) if a is not None]

    def save(self) -> None:
        """Save the screening with the allergies; problems appear beside their fields."""
        typed = self.typed()
        try:
            result = self._allergies.save_screening(
                self._patient_id,
                self._answers,
                typed,
                amending=self._amending,
                reason=self._reason,
            )
        except UserError as exc:
            show_user_error(self, exc)
            return
        if result.ok:
            self.saved = result
            self.accept()
            return
        self._show_problems(result.problems, typed)

    def _show_problems(self, problems: list[Problem], typed: list[Allergy]) -> None:
        """The allergies' problems beside their fields, and "say what" under them. Problems of
        the screening itself (an answer the rules refuse) close this dialog: the questionnaire
        shows them beside its questions."""
        ours = [p for p in problems if p.field == SCREENING_ITEM or p.field.startswith("allergy")]
        if not ours:
            self.saved = SaveResult(problems=problems)
            self.reject()
            return
        by_field = {p.field: p.message for p in ours}
        # The service numbered the allergies it was given: the rows not left empty.
        filled = [row for row in self.rows if row.allergy(self._patient_id) is not None]
        for row in self.rows:
            for label in row.errors.values():
                label.hide()
        for n, row in enumerate(filled[: len(typed)]):
            for key in FIELDS:
                message = by_field.get(entry_field(n, key), "")
                row.errors[key].setText(message)
                row.errors[key].setVisible(bool(message))
        said = by_field.get(SCREENING_ITEM, "")
        self.problem.setText(said)
        self.problem.setVisible(bool(said))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter saves (a focused button is pressed instead); Esc cancels."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            focus = self.focusWidget()
            if isinstance(focus, QPushButton):
                focus.click()
            else:
                self.save()
            return
        super().keyPressEvent(event)
