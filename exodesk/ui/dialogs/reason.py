"""ReasonDialog: asks why before a change that needs a reason (inactive, amend, override)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.problems import Problem
from exodesk.ui.common import clear_when_edited, error_label, named


class ReasonDialog(QDialog):
    """Asks why; OK stays disabled until a reason is typed. Esc cancels."""

    def __init__(
        self, parent: QWidget | None, title: str, explanation: str, placeholder: str = "Why?"
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("reasonDialog")
        self.explanation = QLabel(explanation)
        self.explanation.setWordWrap(True)
        self.text = named(QPlainTextEdit(), "reasonText", "Reason")
        self.text.setTabChangesFocus(True)
        self.text.setPlaceholderText(placeholder)
        self.error = error_label("reasonError")
        clear_when_edited(self.error, self.text)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.setObjectName("reasonButtons")
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        named(self.ok, "reasonOk", "Confirm")
        named(buttons.button(QDialogButtonBox.StandardButton.Cancel), "reasonCancel", "Cancel")
        self.ok.setEnabled(False)
        self.text.textChanged.connect(lambda: self.ok.setEnabled(bool(self.reason())))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.explanation)
        layout.addWidget(self.text)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(460, 240)

    def reason(self) -> str:
        return self.text.toPlainText().strip()

    def show_problems(self, problems: list[Problem]) -> None:
        self.error.setText(" ".join(p.message for p in problems))
        self.error.setVisible(bool(problems))
