"""The clinic's wording of its aftercare sheets (every save a new version): page and dialog."""

from __future__ import annotations

import itertools
from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.aftercare import (
    AftercareSection,
    AftercareTemplate,
    TimelineStage,
)
from exodesk.domain.sessions import TREATMENTS
from exodesk.errors import UserError
from exodesk.services.aftercare import AftercareService
from exodesk.services.context import Changes, SaveResult
from exodesk.ui.common import clear_when_edited, error_label, named
from exodesk.ui.dialogs.settings_page import SettingsPage
from exodesk.ui.errors import show_user_error
from exodesk.ui.widgets import NoWheelComboBox

# The title and introduction rows stay; the rows after them follow the sheet shown.
_FIXED_ROWS = 2


class AftercareWordingPage(SettingsPage):
    """One sheet at a time: title, intro, each list (one line per point), the timeline."""

    page_title = "Aftercare wording"

    def __init__(self, aftercare: AftercareService) -> None:
        super().__init__()
        self.setObjectName("aftercareWordingPage")
        self._aftercare = aftercare
        self._template: AftercareTemplate | None = None
        self._shown_index = 0
        # The edited template the standard wording came to, while "restore" awaits saving.
        self._restoring: AftercareTemplate | None = None
        self.treatment = named(
            NoWheelComboBox(),
            "wordingTreatment",
            "Sheet",
            "Which treatment's sheet to edit; each has its own wording.",
        )
        for key, label in TREATMENTS.items():
            self.treatment.addItem(label, key)
        self.version = QLabel()
        self.version.setObjectName("wordingVersion")
        self.version.setToolTip(
            "The bundled standard wording has a year number; the clinic's edits are numbered."
        )
        self.title = named(QLineEdit(), "wordingTitle", "Title")
        self.intro = named(QPlainTextEdit(), "wordingIntro", "Introduction")
        self.intro.setTabChangesFocus(True)
        self.intro.setFixedHeight(self.intro.fontMetrics().lineSpacing() * 3 + 12)
        self.sections: dict[str, QPlainTextEdit] = {}
        self.stages: dict[str, QLineEdit] = {}
        self.body = QWidget()
        self.body_layout = QFormLayout(self.body)
        self.body_layout.addRow("Title", self.title)
        self.body_layout.addRow("Introduction", self.intro)
        self.error = error_label("wordingError")
        clear_when_edited(self.error, self.title, self.intro)
        scroll = QScrollArea()
        scroll.setObjectName("wordingScroll")
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the fields inside
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.body)
        self.restore_button = named(
            QPushButton("Restore the &standard wording"),
            "wordingRestore",
            "Restore the standard wording for this sheet",
            "Puts the standard wording of this sheet back in the boxes; Save to use it.",
        )
        self.restore_button.clicked.connect(self.restore)
        top = QHBoxLayout()
        sheet_label = QLabel("S&heet:")
        sheet_label.setBuddy(self.treatment)
        top.addWidget(sheet_label)
        top.addWidget(self.treatment, 1)
        top.addWidget(self.version)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        note = QLabel(
            "One point per line. Sheets already handed out keep the wording they "
            "were printed with; a reprint is identical."
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.error)
        bottom = QHBoxLayout()
        bottom.addWidget(self.restore_button)
        bottom.addStretch(1)
        layout.addLayout(bottom)
        self.treatment.currentIndexChanged.connect(self._sheet_chosen)
        self.load()

    # ---- showing -------------------------------------------------------------------------
    def load(self) -> None:
        """Show the wording in use for the chosen sheet."""
        try:
            wording = self._aftercare.wording(self.treatment.currentData())
        except UserError as exc:
            show_user_error(self, exc)
            return
        self._shown_index = self.treatment.currentIndex()
        self._restoring = None
        self.version.setText(f"In use: {wording.version}")
        self._show_template(wording.template)
        self.error.hide()
        self.mark_clean()

    def _show_template(self, template: AftercareTemplate) -> None:
        self._template = template
        while self.body_layout.rowCount() > _FIXED_ROWS:
            self.body_layout.removeRow(_FIXED_ROWS)
        self.title.setText(template.title)
        self.intro.setPlainText(template.intro)
        # Filled in place: callers holding these dicts see the sheet shown now.
        self.sections.clear()
        for section in template.sections:
            bullets = named(
                QPlainTextEdit("\n".join(section.bullets)), f"wording_{section.id}", section.heading
            )
            bullets.setTabChangesFocus(True)
            lines = max(3, min(8, len(section.bullets) + 1))
            bullets.setFixedHeight(bullets.fontMetrics().lineSpacing() * lines + 12)
            self.sections[section.id] = bullets
            clear_when_edited(self.error, bullets)
            self.body_layout.addRow(section.heading, bullets)
        self.stages.clear()
        for stage in template.timeline:
            stage_text = named(
                QLineEdit(stage.text), f"wording_stage_{stage.key}", f"Timeline: {stage.label}"
            )
            self.stages[stage.key] = stage_text
            clear_when_edited(self.error, stage_text)
            self.body_layout.addRow(f"Timeline: {stage.label}", stage_text)
        # New boxes join the end of the window's focus chain; Tab goes down the sheet instead.
        chain = [
            self.treatment,
            self.title,
            self.intro,
            *self.sections.values(),
            *self.stages.values(),
            self.restore_button,
        ]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _sheet_chosen(self, index: int) -> None:
        if index == self._shown_index:
            return
        # The typing belongs to the sheet still shown (the template knows which one).
        if not self.settle_unsaved(self):
            self.treatment.blockSignals(True)
            self.treatment.setCurrentIndex(self._shown_index)
            self.treatment.blockSignals(False)
        elif self.treatment.currentIndex() != self._shown_index:
            self.load()  # nothing was pending (saving or discarding loads by itself)

    def first_field(self) -> QWidget:
        return self.treatment

    # ---- editing -------------------------------------------------------------------------
    def edited(self) -> AftercareTemplate:
        """The template as edited."""
        template = self._template
        assert template is not None
        sections = tuple(
            AftercareSection(
                s.id,
                s.heading,
                tuple(
                    line.strip()
                    for line in self.sections[s.id].toPlainText().splitlines()
                    if line.strip()
                ),
            )
            for s in template.sections
        )
        timeline = tuple(
            TimelineStage(t.key, t.label, self.stages[t.key].text().strip())
            for t in template.timeline
        )
        return replace(
            template,
            title=self.title.text().strip(),
            intro=self.intro.toPlainText().strip(),
            sections=sections,
            timeline=timeline,
        )

    def snapshot(self) -> AftercareTemplate | None:
        return self.edited() if self._template is not None else None

    def discard(self) -> None:
        self.load()

    def restore(self) -> None:
        """Put the standard wording of the sheet shown back in the boxes (stored when saved)."""
        if self._template is None:
            return
        self._show_template(self._aftercare.default_wording(self._template.treatment))
        self._restoring = self.edited()
        self.error.hide()
        if self.is_dirty():
            self.version.setText("Standard wording shown: Save to use it")

    def _store(self) -> Changes | None:
        template = self.edited()
        try:
            result: SaveResult
            if self._restoring is not None and template == self._restoring:
                result = self._aftercare.restore_default_wording(template.treatment)
            else:
                result = self._aftercare.save_wording(template)
        except UserError as exc:
            show_user_error(self, exc)
            return None
        if not result.ok:
            self.error.setText(" ".join(p.message for p in result.problems[:4]))
            self.error.show()
            return None
        self.load()
        if result.record.template.treatment == self.treatment.currentData():
            self.version.setText(f"Saved: {result.record.version}")
        return result.changes
