"""ConsentDialog: the patient reads the consent text, types their name and signs."""

from __future__ import annotations

import itertools

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.consent import name_resembles
from exodesk.domain.problems import Problem, check_text
from exodesk.ui.common import error_label, named, show_problems
from exodesk.ui.look import CAUTION, NOTE, ink_style
from exodesk.ui.screening.signature import SignaturePad

NAME_MAX = 200
NO_SIGNATURE = "The patient's signature is needed: sign in the box with a finger, stylus or mouse."
DOT_SIGNATURE = "Please sign with your name, not a dot."


class ConsentDialog(QDialog):
    """Shows the consent text and captures the typed name and the drawn signature.

    Problems appear beside their field; a name that does not look like the patient's is a
    notice, not a problem. After ``exec()`` returns Accepted, ``signed_name`` and
    ``signature_png`` hold what was captured.
    """

    def __init__(
        self,
        parent: QWidget | None,
        *,
        consent_text: str,
        consent_version: int,
        patient_name: str,
        today_text: str,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("consentDialog")
        self.setWindowTitle("Consent to treatment")
        self.consent_version = consent_version
        self.signed_name = ""
        self.signature_png = b""
        self._patient_name = patient_name

        title = QLabel("Consent to treatment")
        title.setObjectName("consentTitle")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        title.setFont(font)
        self.version_label = QLabel(f"Version {consent_version}")
        self.version_label.setObjectName("consentVersion")
        self.version_label.setStyleSheet(ink_style(NOTE))
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.version_label)

        self.text = named(
            QPlainTextEdit(),
            "consentText",
            "Consent text",
            "The consent form the patient reads before signing.",
        )
        self.text.setPlainText(consent_text)
        self.text.setReadOnly(True)
        # Read-only text still takes the keyboard, so arrows and Page Down scroll it; Tab
        # moves on instead of being swallowed.
        self.text.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByKeyboard
            | Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.text.setTabChangesFocus(True)
        self.text.document().setDocumentMargin(8)
        self.text.setMinimumHeight(self.text.fontMetrics().lineSpacing() * 8 + 12)
        self.text.setAccessibleDescription(f"Version {consent_version} of the consent form.")

        self.name = named(
            QLineEdit(),
            "consentName",
            "Patient's name, typed by the patient",
        )
        name_label = QLabel("Patient's &name, typed by the patient")
        name_label.setBuddy(self.name)
        self.name_notice = QLabel()
        self.name_notice.setObjectName("consentNameNotice")
        self.name_notice.setStyleSheet(ink_style(CAUTION))
        self.name_notice.setWordWrap(True)
        self.name_notice.hide()

        self.pad = SignaturePad()
        pad_label = QLabel("Si&gnature")
        pad_label.setBuddy(self.pad)
        self.clear_button = named(
            QPushButton("&Clear"),
            "consentClear",
            "Clear signature",
            "Wipe the signature so the patient can sign again (Alt+C)",
        )
        # Enter always means Save here, even on this button: a stray Enter must not wipe a
        # signature the patient took care over. Space and Alt+C still clear.
        self.clear_button.setAutoDefault(False)
        self.date = named(QLabel(today_text), "consentDate", "Date")
        date_label = QLabel("Date:")
        date_label.setBuddy(self.date)

        self.errors = {
            "name": error_label("consentNameError"),
            "signature": error_label("consentSignatureError"),
        }

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = named(
            buttons.button(QDialogButtonBox.StandardButton.Save),
            "consentSave",
            "Save consent",
            "Save the signed consent (Enter)",
        )
        self.save_button.setText("&Save")
        self.save_button.setDefault(True)
        self.cancel_button = named(
            buttons.button(QDialogButtonBox.StandardButton.Cancel),
            "consentCancel",
            "Cancel",
            "Close without saving (Esc)",
        )
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)

        under_pad = QHBoxLayout()
        under_pad.addWidget(date_label)
        under_pad.addWidget(self.date)
        under_pad.addStretch(1)
        under_pad.addWidget(self.clear_button)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.text, 1)
        layout.addSpacing(8)
        layout.addWidget(name_label)
        layout.addLayout(self._with_messages(self.name, self.errors["name"], self.name_notice))
        layout.addSpacing(4)
        layout.addWidget(pad_label)
        layout.addLayout(self._with_messages(self.pad, self.errors["signature"]))
        layout.addLayout(under_pad)
        layout.addSpacing(4)
        layout.addWidget(buttons)

        self.clear_button.clicked.connect(self.pad.clear)
        self.pad.changed.connect(self._signature_changed)
        self.name.textChanged.connect(self._name_changed)
        self.name.editingFinished.connect(self._update_notice)
        chain = [self.text, self.name, self.pad, self.clear_button, self.save_button]
        chain.append(self.cancel_button)
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)
        self.resize(max(640, self.sizeHint().width()), max(640, self.sizeHint().height()))

    @staticmethod
    def _with_messages(field: QWidget, *messages: QLabel) -> QVBoxLayout:
        box = QVBoxLayout()
        box.setSpacing(2)
        box.addWidget(field)
        for label in messages:
            box.addWidget(label)
        return box

    def _fit_messages(self) -> None:
        # Qt sizes a window's minimum without heightForWidth, so a message that wraps in a
        # narrow dialog would be drawn over the pad; make room for it instead.
        layout = self.layout()
        assert layout is not None  # __init__ gives the dialog its QVBoxLayout
        layout.activate()
        messages = (*self.errors.values(), self.name_notice)
        extra = sum(
            max(0, label.heightForWidth(label.width()) - label.minimumSizeHint().height())
            for label in messages
            if label.isVisibleTo(self)
        )
        needed = layout.totalMinimumSize().height() + extra
        if needed != self.minimumHeight():
            self.setMinimumHeight(needed)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_messages()

    # ---- reading and checking ------------------------------------------------------------
    def problems(self) -> list[Problem]:
        """What stops the consent being saved, one problem per field at most."""
        found = check_text("name", self.name.text(), "The patient's name", required=True)
        if not self.pad.strokes():
            found.append(Problem("signature", NO_SIGNATURE))
        elif self.pad.is_empty():
            found.append(Problem("signature", DOT_SIGNATURE))
        return found

    def _update_notice(self) -> None:
        typed = self.name.text()
        mismatch = bool(typed.strip()) and not name_resembles(typed, self._patient_name)
        message = (
            f"This does not match the patient's name on file: {self._patient_name}"
            if mismatch
            else ""
        )
        self.name_notice.setText(message)
        self.name_notice.setAccessibleName(message)
        self.name_notice.setVisible(mismatch)
        self._fit_messages()

    def _name_changed(self) -> None:
        # The red message was about the old text; the notice goes only once the name matches,
        # so it does not flicker on and off while the patient is still typing.
        self.errors["name"].hide()
        typed = self.name.text()
        if not typed.strip() or name_resembles(typed, self._patient_name):
            self.name_notice.hide()

    def _signature_changed(self) -> None:
        if not self.pad.is_empty():
            self.errors["signature"].hide()

    def _save(self) -> None:
        problems = self.problems()
        show_problems(self.errors, problems)
        self._update_notice()
        if problems:
            (self.name if problems[0].field == "name" else self.pad).setFocus()
            return
        self.signed_name = self.name.text().strip()
        self.signature_png = self.pad.to_png()
        self.accept()
