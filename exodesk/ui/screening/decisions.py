"""The practitioner's decisions on a screening: sign-off of a review, override of a deferral."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.problems import Problem
from exodesk.ui import tips
from exodesk.ui.common import clear_when_edited, error_label, named
from exodesk.ui.widgets import NoWheelComboBox


class _DecisionDialog(QDialog):
    def __init__(
        self, parent: QWidget | None, title: str, treatments: list[tuple[str, str]]
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.treatment = named(NoWheelComboBox(), "decisionTreatment", "Treatment")
        for treatment_id, label in treatments:
            self.treatment.addItem(label, treatment_id)
        self.text = named(QPlainTextEdit(), "decisionText", "Note")
        self.text.setTabChangesFocus(True)
        self.text.setFixedHeight(self.text.fontMetrics().lineSpacing() * 4 + 12)
        self.error = error_label("decisionError")
        clear_when_edited(self.error, self.treatment, self.text)
        self.form = QFormLayout()
        self.form.addRow("&Treatment", self.treatment)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        named(self.buttons.button(QDialogButtonBox.StandardButton.Save), "decisionSave", "Save")
        named(
            self.buttons.button(QDialogButtonBox.StandardButton.Cancel), "decisionCancel", "Cancel"
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.resize(480, 300)

    def _finish_layout(self, explanation: str) -> None:
        layout = QVBoxLayout(self)
        note = QLabel(explanation)
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def chosen_treatment(self) -> str:
        return self.treatment.currentData()

    def note(self) -> str:
        return self.text.toPlainText()

    def show_problems(self, problems: list[Problem]) -> None:
        self.error.setText(" ".join(p.message for p in problems))
        self.error.setVisible(bool(problems))


class SignOffDialog(_DecisionDialog):
    """Cleared or not cleared, with a note (required when not cleared)."""

    def __init__(self, parent: QWidget | None, treatments: list[tuple[str, str]]) -> None:
        super().__init__(parent, "Practitioner sign-off", treatments)
        self.setObjectName("signOffDialog")
        self.cleared = named(
            QRadioButton("&Cleared to go ahead"), "signoffCleared", "Cleared", tips.SIGNOFF_CLEARED
        )
        self.not_cleared = named(
            QRadioButton("&Not cleared"),
            "signoffNotCleared",
            "Not cleared",
            tips.SIGNOFF_NOT_CLEARED,
        )
        self.cleared.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.cleared)
        group.addButton(self.not_cleared)
        row = QHBoxLayout()
        row.addWidget(self.cleared)
        row.addWidget(self.not_cleared)
        row.addStretch(1)
        self.form.addRow("Decision", row)
        self.form.addRow("N&ote", self.text)
        self.text.setPlaceholderText("What you checked (letter seen, specialist consulted…)")
        self._finish_layout(
            "A review verdict needs a physician's or specialist's decision before a session "
            "of that treatment can be recorded. Your name and the time are recorded."
        )

    def decision(self) -> str:
        return "cleared" if self.cleared.isChecked() else "not_cleared"


class OverrideDialog(_DecisionDialog):
    """A reasoned override; it is shown in red on every later view and print."""

    def __init__(self, parent: QWidget | None, treatments: list[tuple[str, str]]) -> None:
        super().__init__(parent, "Override a verdict", treatments)
        self.setObjectName("overrideDialog")
        self.form.addRow("&Reason", self.text)
        self.text.setPlaceholderText("Why it is safe to go ahead for this patient")
        self._finish_layout(
            "Overriding lets a session be recorded despite the screening verdict. The reason, "
            "your name and the time are recorded and shown in red wherever this screening appears."
        )
