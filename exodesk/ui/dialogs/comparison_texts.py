"""ComparisonTextsDialog: the clinic's prices, notes and own wording for comparison cells."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.comparison import load_comparison
from exodesk.errors import UserError
from exodesk.services.comparison import ClinicComparisonTexts, ComparisonService
from exodesk.services.context import Changes
from exodesk.ui.common import error_label, named
from exodesk.ui.errors import show_user_error


class ComparisonTextsDialog(QDialog):
    """Per treatment: the clinic's price, a note, and any cell in the clinic's own words.

    An empty cell keeps the standard, sourced text (shown greyed as the placeholder).
    """

    def __init__(self, parent: QWidget | None, comparison: ComparisonService) -> None:
        super().__init__(parent)
        self.setObjectName("comparisonTextsDialog")
        self.setWindowTitle("Comparison: prices and the clinic's wording")
        self._comparison = comparison
        self.changes = Changes()
        self._content = load_comparison()
        texts = comparison.clinic_texts()
        self._edits = {t: dict(rows) for t, rows in texts.edits.items()}
        self._notes = dict(texts.notes)
        self._prices = dict(texts.prices)
        self._shown: str | None = None
        self.treatment = named(QComboBox(), "textsTreatment", "Treatment")
        for t in self._content.treatments:
            self.treatment.addItem(t.label, t.id)
        self.price = named(QLineEdit(), "textsPrice", "Price at this clinic")
        self.price.setPlaceholderText("e.g. £450 a session, or £1,600 for a course of 4")
        self.note = named(QLineEdit(), "textsNote", "Clinic note")
        self.cells: dict[str, QLineEdit] = {}
        body = QWidget()
        form = QFormLayout(body)
        form.addRow("&Price", self.price)
        form.addRow("&Note", self.note)
        for row in self._content.rows:
            if row.id == "price":
                continue
            edit = named(QLineEdit(), f"texts_{row.id}", row.label)
            self.cells[row.id] = edit
            form.addRow(row.label, edit)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        self.error = error_label("textsError")
        restore = named(
            QPushButton("Restore the &standard texts"),
            "textsRestore",
            "Restore standard texts and remove prices",
        )
        restore.clicked.connect(self._restore)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        named(buttons.button(QDialogButtonBox.StandardButton.Save), "textsSave", "Save")
        named(buttons.button(QDialogButtonBox.StandardButton.Cancel), "textsCancel", "Cancel")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("Treatment:"))
        top.addWidget(self.treatment, 1)
        layout.addLayout(top)
        hint = QLabel(
            "Leave a line empty to keep the standard text with its sources. Your own "
            "wording is marked as the clinic's on screen and in print."
        )
        hint.setWordWrap(True)
        layout.addWidget(hint)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.error)
        bottom = QHBoxLayout()
        bottom.addWidget(restore)
        bottom.addStretch(1)
        bottom.addWidget(buttons)
        layout.addLayout(bottom)
        self.treatment.currentIndexChanged.connect(self._show)
        self.resize(760, 620)
        self._show()

    def _keep(self) -> None:
        """Remember what was typed for the treatment on screen before switching."""
        t = self._shown
        if t is None:
            return
        self._prices[t] = self.price.text()
        self._notes[t] = self.note.text()
        self._edits[t] = {row: edit.text() for row, edit in self.cells.items()}

    def _show(self) -> None:
        self._keep()
        t = self.treatment.currentData()
        self._shown = t
        facts = self._content.treatment(t)
        country = "GB"
        self.price.setText(self._prices.get(t, ""))
        self.note.setText(self._notes.get(t, ""))
        for row, edit in self.cells.items():
            edit.setText(self._edits.get(t, {}).get(row, ""))
            edit.setPlaceholderText(facts.fact(row, country).display_text)

    def texts(self) -> ClinicComparisonTexts:
        self._keep()
        return ClinicComparisonTexts(self._edits, self._notes, self._prices)

    def save(self) -> None:
        try:
            result = self._comparison.save_clinic_texts(self.texts())
        except UserError as exc:
            show_user_error(self, exc)
            return
        if not result.ok:
            self.error.setText(result.problems[0].message)
            self.error.show()
            return
        self.changes = result.changes
        self.accept()

    def _restore(self) -> None:
        try:
            result = self._comparison.restore_defaults()
        except UserError as exc:
            show_user_error(self, exc)
            return
        self.changes = result.changes
        self.accept()
