"""AftercareWordingDialog: the clinic edits its sheets' wording; every save is a new version."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
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

from exodesk.domain.aftercare import AftercareSection, AftercareTemplate, TimelineStage
from exodesk.domain.sessions import TREATMENTS
from exodesk.errors import UserError
from exodesk.services.aftercare import AftercareService
from exodesk.services.context import Changes
from exodesk.ui.common import error_label, named
from exodesk.ui.errors import show_user_error


class AftercareWordingDialog(QDialog):
    """One sheet at a time: title, intro, each list (one line per point), the timeline."""

    def __init__(self, parent: QWidget | None, aftercare: AftercareService) -> None:
        super().__init__(parent)
        self.setObjectName("aftercareWordingDialog")
        self.setWindowTitle("Aftercare sheet wording")
        self._aftercare = aftercare
        self.changes = Changes()
        self.treatment = named(QComboBox(), "wordingTreatment", "Sheet")
        for key, label in TREATMENTS.items():
            self.treatment.addItem(label, key)
        self.version = QLabel()
        self.version.setObjectName("wordingVersion")
        self.title = named(QLineEdit(), "wordingTitle", "Title")
        self.intro = named(QPlainTextEdit(), "wordingIntro", "Introduction")
        self.intro.setTabChangesFocus(True)
        self.intro.setFixedHeight(self.intro.fontMetrics().lineSpacing() * 3 + 12)
        self.sections: dict[str, QPlainTextEdit] = {}
        self.stages: dict[str, QLineEdit] = {}
        self.body = QWidget()
        self.body_layout = QFormLayout(self.body)
        self.error = error_label("wordingError")
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.body)
        restore = named(
            QPushButton("Restore the &standard wording"),
            "wordingRestore",
            "Restore the standard wording for this sheet",
        )
        restore.clicked.connect(self._restore)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close
        )
        named(buttons.button(QDialogButtonBox.StandardButton.Save), "wordingSave", "Save wording")
        named(buttons.button(QDialogButtonBox.StandardButton.Close), "wordingClose", "Close")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        top = QHBoxLayout()
        top.addWidget(QLabel("Sheet:"))
        top.addWidget(self.treatment, 1)
        top.addWidget(self.version)
        layout = QVBoxLayout(self)
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
        bottom.addWidget(restore)
        bottom.addStretch(1)
        bottom.addWidget(buttons)
        layout.addLayout(bottom)
        self.treatment.currentIndexChanged.connect(self.load)
        self.resize(820, 700)
        self.load()

    def load(self) -> None:
        """Show the wording in use for the chosen sheet."""
        try:
            wording = self._aftercare.wording(self.treatment.currentData())
        except UserError as exc:
            show_user_error(self, exc)
            return
        self._template = wording.template
        self.version.setText(f"In use: {wording.version}")
        while self.body_layout.rowCount():
            self.body_layout.removeRow(0)
        self.title = named(QLineEdit(wording.template.title), "wordingTitle", "Title")
        self.intro = named(QPlainTextEdit(wording.template.intro), "wordingIntro", "Introduction")
        self.intro.setTabChangesFocus(True)
        self.intro.setFixedHeight(self.intro.fontMetrics().lineSpacing() * 3 + 12)
        self.body_layout.addRow("Title", self.title)
        self.body_layout.addRow("Introduction", self.intro)
        self.sections = {}
        for section in wording.template.sections:
            edit = named(
                QPlainTextEdit("\n".join(section.bullets)), f"wording_{section.id}", section.heading
            )
            edit.setTabChangesFocus(True)
            lines = max(3, min(8, len(section.bullets) + 1))
            edit.setFixedHeight(edit.fontMetrics().lineSpacing() * lines + 12)
            self.sections[section.id] = edit
            self.body_layout.addRow(section.heading, edit)
        self.stages = {}
        for stage in wording.template.timeline:
            edit = named(
                QLineEdit(stage.text), f"wording_stage_{stage.key}", f"Timeline: {stage.label}"
            )
            self.stages[stage.key] = edit
            self.body_layout.addRow(f"Timeline: {stage.label}", edit)
        self.error.hide()

    def edited(self) -> AftercareTemplate:
        """The template as edited."""
        template = self._template
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

    def save(self) -> None:
        try:
            result = self._aftercare.save_wording(self.edited())
        except UserError as exc:
            show_user_error(self, exc)
            return
        if not result.ok:
            self.error.setText(" ".join(p.message for p in result.problems[:4]))
            self.error.show()
            return
        self.changes = result.changes
        self.load()
        self.version.setText(f"Saved: {result.record.version}")

    def _restore(self) -> None:
        try:
            result = self._aftercare.restore_default_wording(self.treatment.currentData())
        except UserError as exc:
            show_user_error(self, exc)
            return
        self.changes = result.changes
        self.load()
