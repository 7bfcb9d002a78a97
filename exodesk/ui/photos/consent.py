"""PhotoConsentDialog: the patient reads the photo consent, ticks the levels they agree to,
types their name and signs; a level already given can be taken back here."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.consent import name_resembles
from exodesk.domain.dates import format_short
from exodesk.domain.photos import CONSENT_LABELS, CONSENT_LEVELS, CONSENT_SHORT, RECORD
from exodesk.domain.problems import Problem, check_text
from exodesk.errors import UserError
from exodesk.services.context import Changes
from exodesk.services.photos import PHOTOS, PhotoService
from exodesk.ui.common import error_label, named, resize_within_screen, show_problems
from exodesk.ui.errors import show_user_error
from exodesk.ui.look import CAUTION, GOOD, NOTE, ink_style
from exodesk.ui.screening.consent import DOT_SIGNATURE, NO_SIGNATURE
from exodesk.ui.screening.signature import SignaturePad

ONLY_RECORD_USED = (
    "For now ExoDesk uses photos only in the clinical record; the teaching and marketing "
    "answers are kept and shown, and nothing is shared."
)


class PhotoConsentDialog(QDialog):
    """The patient's photo consent: what stands now, the form to sign, and taking a level
    back. ``changes`` says what was saved (empty if nothing was)."""

    def __init__(
        self,
        parent: QWidget | None,
        photos: PhotoService,
        *,
        patient_id: int,
        patient_name: str,
        today_text: str,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("photoConsentDialog")
        self.setAccessibleName("Photo consent")
        self.setWindowTitle(f"Photo consent — {patient_name}")
        self._photos = photos
        self._patient_id = patient_id
        self._patient_name = patient_name
        self.changes = Changes()
        version, text = photos.consent_text()
        self.version = version

        title = QLabel("Consent to clinical photographs")
        title.setObjectName("photoConsentTitle")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        title.setFont(font)
        version_label = QLabel(f"Version {version}")
        version_label.setObjectName("photoConsentVersion")
        version_label.setStyleSheet(ink_style(NOTE))
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(version_label)

        self.standing = QLabel()
        self.standing.setObjectName("photoConsentStanding")
        self.standing.setWordWrap(True)
        self.revoke_buttons: dict[str, QPushButton] = {}
        revoke_row = QHBoxLayout()
        for level, letter in zip(CONSENT_LEVELS, ("r", "t", "m"), strict=True):
            words = CONSENT_SHORT[level]
            label = words.replace(letter, "&" + letter, 1) if letter in words else words
            button = named(
                QPushButton(f"Take back {label}"),
                f"photoConsentRevoke_{level}",
                f"Take back consent to {words}",
                "The patient no longer agrees to this use; it is respected from now on."
                + (" Without it no photo can be taken." if level == RECORD else ""),
            )
            button.clicked.connect(lambda _=False, lv=level: self.revoke(lv))
            self.revoke_buttons[level] = button
            revoke_row.addWidget(button)
        revoke_row.addStretch(1)

        self.text = named(QPlainTextEdit(), "photoConsentText", "Photo consent text")
        self.text.setPlainText(text)
        self.text.setReadOnly(True)
        self.text.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByKeyboard
            | Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.text.setTabChangesFocus(True)
        self.text.setMinimumHeight(self.text.fontMetrics().lineSpacing() * 6 + 12)

        box = QGroupBox("The patient agrees to photos for")
        box.setObjectName("photoConsentLevels")
        levels_layout = QVBoxLayout(box)
        self.levels: dict[str, QCheckBox] = {}
        for level, number in zip(CONSENT_LEVELS, ("1", "2", "3"), strict=True):
            check = named(
                QCheckBox(f"&{number}  {CONSENT_LABELS[level]}"),
                f"photoConsentLevel_{level}",
                CONSENT_LABELS[level],
            )
            self.levels[level] = check
            levels_layout.addWidget(check)
        used = QLabel(ONLY_RECORD_USED)
        used.setObjectName("photoConsentOnlyRecord")
        used.setWordWrap(True)
        used.setStyleSheet(ink_style(NOTE))
        levels_layout.addWidget(used)

        self.name = named(QLineEdit(), "photoConsentName", "Patient's name, typed by the patient")
        name_label = QLabel("Patient's &name, typed by the patient")
        name_label.setBuddy(self.name)
        self.name_notice = QLabel()
        self.name_notice.setObjectName("photoConsentNameNotice")
        self.name_notice.setStyleSheet(ink_style(CAUTION))
        self.name_notice.setWordWrap(True)
        self.name_notice.hide()
        self.pad = SignaturePad()
        self.pad.setObjectName("photoConsentPad")
        self.pad.setMinimumHeight(110)
        pad_label = QLabel("Si&gnature")
        pad_label.setBuddy(self.pad)
        self.clear_button = named(
            QPushButton("&Clear"), "photoConsentClear", "Clear signature", "Sign again (Alt+C)"
        )
        self.clear_button.setAutoDefault(False)
        self.date = named(QLabel(today_text), "photoConsentDate", "Date")
        self.errors = {
            "levels": error_label("photoConsentLevelsError"),
            "name": error_label("photoConsentNameError"),
            "signature": error_label("photoConsentSignatureError"),
        }

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = named(
            buttons.button(QDialogButtonBox.StandardButton.Save),
            "photoConsentSave",
            "Save photo consent",
            "Save the signed photo consent (Enter)",
        )
        self.save_button.setText("&Save")
        self.save_button.setDefault(True)
        self.cancel_button = named(
            buttons.button(QDialogButtonBox.StandardButton.Cancel),
            "photoConsentCancel",
            "Close",
            "Close without signing (Esc)",
        )
        self.cancel_button.setText("Close")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)

        under_pad = QHBoxLayout()
        under_pad.addWidget(QLabel("Date:"))
        under_pad.addWidget(self.date)
        under_pad.addStretch(1)
        under_pad.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.standing)
        layout.addLayout(revoke_row)
        layout.addWidget(self.text, 1)
        layout.addWidget(box)
        layout.addWidget(self.errors["levels"])
        layout.addWidget(name_label)
        layout.addWidget(self.name)
        layout.addWidget(self.errors["name"])
        layout.addWidget(self.name_notice)
        layout.addWidget(pad_label)
        layout.addWidget(self.pad)
        layout.addWidget(self.errors["signature"])
        layout.addLayout(under_pad)
        layout.addWidget(buttons)

        self.clear_button.clicked.connect(self.pad.clear)
        self.pad.changed.connect(lambda: self.errors["signature"].hide())
        self.name.textChanged.connect(lambda: self.errors["name"].hide())
        self.name.editingFinished.connect(self._update_notice)
        for check in self.levels.values():
            check.toggled.connect(lambda _=False: self.errors["levels"].hide())
        chain: list[QWidget] = [
            *self.revoke_buttons.values(),
            self.text,
            *self.levels.values(),
            self.name,
            self.pad,
            self.clear_button,
            self.save_button,
            self.cancel_button,
        ]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)
        self._show_standing()
        resize_within_screen(self, 760, 760)

    # ---- what stands ---------------------------------------------------------------------
    def _show_standing(self) -> None:
        consent = self._photos.consent(self._patient_id)
        in_force = set(consent.levels) if consent is not None else set()
        for level, button in self.revoke_buttons.items():
            button.setVisible(level in in_force)
        if consent is None:
            words = "No photo consent is recorded for this patient: no photo can be taken yet."
            self.standing.setStyleSheet(ink_style(CAUTION, bold=True))
        else:
            agreed = [CONSENT_SHORT[lv] for lv in CONSENT_LEVELS if lv in in_force]
            taken_back = [CONSENT_SHORT[lv] for lv, _who, _when in consent.revoked]
            words = (
                f"Signed by {consent.signed_name} on {format_short(consent.signed_on)} "
                f"(version {consent.text_version}). "
            )
            words += f"In force: {', '.join(agreed)}." if agreed else "No level is in force now."
            if taken_back:
                words += f" Taken back: {', '.join(taken_back)}."
            self.standing.setStyleSheet(ink_style(GOOD if RECORD in in_force else CAUTION))
        self.standing.setText(words)
        self.standing.setAccessibleName(words)

    def revoke(self, level: str, *, confirm: Callable[[str], bool] | None = None) -> None:
        """Take back one level (after the person confirms)."""
        question = f"Take back the patient's consent to {CONSENT_SHORT[level]} photos?"
        if level == RECORD:
            question += " No photo can be taken after this; the photos already taken are kept."
        ask = confirm or self._confirm
        if not ask(question):
            return
        try:
            self._photos.revoke_consent(self._patient_id, level)
        except UserError as exc:
            show_user_error(self, exc)
            return
        self._merge(Changes(frozenset({PHOTOS}), self._patient_id))
        self._show_standing()

    def _confirm(self, question: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, "Photo consent", question, parent=self)
        box.setObjectName("photoConsentRevokeBox")
        yes = box.addButton("Take it back", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Keep it", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        return box.clickedButton() is yes

    def _merge(self, changes: Changes) -> None:
        self.changes = Changes(self.changes.topics | changes.topics, self._patient_id)

    # ---- signing -------------------------------------------------------------------------
    def chosen_levels(self) -> set[str]:
        return {level for level, check in self.levels.items() if check.isChecked()}

    def problems(self) -> list[Problem]:
        found: list[Problem] = []
        chosen = self.chosen_levels()
        if not chosen:
            found.append(Problem("levels", "Tick what the patient agrees to (at least 1)."))
        elif RECORD not in chosen:
            found.append(
                Problem("levels", "Teaching and marketing need the clinical record level too.")
            )
        found += check_text("name", self.name.text(), "The patient's name", required=True)
        if not self.pad.strokes():
            found.append(Problem("signature", NO_SIGNATURE))
        elif self.pad.is_empty():
            found.append(Problem("signature", DOT_SIGNATURE))
        return found

    def _update_notice(self) -> None:
        typed = self.name.text()
        mismatch = bool(typed.strip()) and not name_resembles(typed, self._patient_name)
        self.name_notice.setText(
            f"This does not match the patient's name on file: {self._patient_name}"
            if mismatch
            else ""
        )
        self.name_notice.setVisible(mismatch)

    def save(self) -> None:
        problems = self.problems()
        show_problems(self.errors, problems)
        self._update_notice()
        if problems:
            return
        try:
            result = self._photos.record_consent(
                self._patient_id,
                self.chosen_levels(),
                self.name.text().strip(),
                self.pad.to_png(),
            )
        except UserError as exc:
            show_user_error(self, exc)
            return
        if not result.ok:  # the service's own checks, worded for the same fields
            fields = {"signed_name": "name"}
            show_problems(
                self.errors,
                [Problem(fields.get(p.field, p.field), p.message) for p in result.problems],
            )
            return
        self._merge(result.changes)
        self.accept()
