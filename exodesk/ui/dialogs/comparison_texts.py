"""The clinic's prices, notes and own wording for comparison cells: page and dialog."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from exodesk.errors import UserError
from exodesk.services.comparison import ClinicComparisonTexts, ComparisonService
from exodesk.services.context import Changes
from exodesk.ui.common import clear_when_edited, error_label, named
from exodesk.ui.dialogs.settings_page import SettingsPage
from exodesk.ui.errors import show_user_error
from exodesk.ui.widgets import NoWheelComboBox

Texts = tuple[dict[str, dict[str, str]], dict[str, str], dict[str, str]]


def _filled(values: dict[str, str]) -> dict[str, str]:
    return {k: v.strip() for k, v in values.items() if v.strip()}


class ComparisonTextsPage(SettingsPage):
    """Per treatment: the clinic's price, a note, and any cell in the clinic's own words.

    An empty cell keeps the standard, sourced text (shown greyed as the placeholder).
    """

    page_title = "Comparison prices and wording"

    def __init__(self, comparison: ComparisonService) -> None:
        super().__init__()
        self.setObjectName("comparisonTextsPage")
        self._comparison = comparison
        self._content = comparison.standard_content()
        self._edits: dict[str, dict[str, str]] = {}
        self._notes: dict[str, str] = {}
        self._prices: dict[str, str] = {}
        self._shown: str | None = None
        scroll = self._build_fields()
        self.error = error_label("textsError")
        clear_when_edited(self.error, self.price, self.note, *self.cells.values())
        self.notice = QLabel()
        self.notice.setObjectName("textsNotice")
        self.notice.setWordWrap(True)
        self.notice.hide()
        self.restore_button = named(
            QPushButton("Restore the &standard texts"),
            "textsRestore",
            "Restore standard texts and remove prices",
            "Empties every treatment's wording, notes and prices; Save to use the standard texts.",
        )
        self.restore_button.clicked.connect(self.restore)
        self._lay_out(scroll)
        self.treatment.currentIndexChanged.connect(self._show)
        self.discard()

    # ---- building ------------------------------------------------------------------------
    def _build_fields(self) -> QScrollArea:
        self.treatment = named(
            NoWheelComboBox(),
            "textsTreatment",
            "Treatment",
            "Each treatment has its own price, note and wording; switching keeps your typing.",
        )
        for t in self._content.treatments:
            self.treatment.addItem(t.label, t.id)
        self.price = named(
            QLineEdit(),
            "textsPrice",
            "Price at this clinic",
            "Shown in the comparison instead of the typical price range.",
        )
        self.price.setPlaceholderText("e.g. £450 a session, or £1,600 for a course of 4")
        self.note = named(
            QLineEdit(),
            "textsNote",
            "Clinic note",
            "A short note of the clinic's, shown with this treatment.",
        )
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
        scroll.setObjectName("textsScroll")
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the fields inside
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        return scroll

    def _lay_out(self, scroll: QScrollArea) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        treatment_label = QLabel("&Treatment:")
        treatment_label.setBuddy(self.treatment)
        top.addWidget(treatment_label)
        top.addWidget(self.treatment, 1)
        layout.addLayout(top)
        hint = QLabel(
            "Leave a line empty to keep the standard text with its sources. Your own "
            "wording is marked as the clinic's on screen and in print."
        )
        hint.setWordWrap(True)
        layout.addWidget(hint)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.notice)
        layout.addWidget(self.error)
        bottom = QHBoxLayout()
        bottom.addWidget(self.restore_button)
        bottom.addStretch(1)
        layout.addLayout(bottom)

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
            standard = facts.fact(row, country).display_text
            edit.setPlaceholderText(standard)
            # The placeholder is cut short in a narrow window; the tip shows it whole.
            edit.setToolTip(f"Standard text: {standard}")

    def first_field(self) -> QWidget:
        return self.treatment

    def texts(self) -> ClinicComparisonTexts:
        self._keep()
        return ClinicComparisonTexts(self._edits, self._notes, self._prices)

    def snapshot(self) -> Texts:
        texts = self.texts()
        edits = {t: _filled(rows) for t, rows in texts.edits.items()}
        return (
            {t: rows for t, rows in edits.items() if rows},
            _filled(texts.notes),
            _filled(texts.prices),
        )

    def discard(self) -> None:
        """Show the texts and prices in use."""
        texts = self._comparison.clinic_texts()
        self._edits = {t: dict(rows) for t, rows in texts.edits.items()}
        self._notes = dict(texts.notes)
        self._prices = dict(texts.prices)
        self._shown = None
        self._show()
        self.error.hide()
        self.notice.hide()
        self.mark_clean()

    def restore(self) -> None:
        """Empty every treatment's wording, notes and prices (stored when saved)."""
        self._edits, self._notes, self._prices = {}, {}, {}
        self._shown = None
        self._show()
        self.error.hide()
        self.notice.setVisible(self.is_dirty())
        self.notice.setText(
            "The standard texts are shown for every treatment, without prices. Save to use them."
        )

    def _store(self) -> Changes | None:
        try:
            result = self._comparison.save_clinic_texts(self.texts())
        except UserError as exc:
            show_user_error(self, exc)
            return None
        if not result.ok:
            self.error.setText(result.problems[0].message)
            self.error.show()
            return None
        self.discard()
        return result.changes
