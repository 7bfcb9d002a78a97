"""The strip above the tabs naming the current patient, so nobody records on the wrong person,
with their allergies from the allergy list (and the button to see or change them)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from exodesk.domain.accounts import ALLERGIES_RETRACT, allowed
from exodesk.domain.allergies import LISTED, NONE_KNOWN, PatientAllergies, allergy_list_words
from exodesk.domain.patient import SEXES, Patient
from exodesk.errors import UserError
from exodesk.services.allergies import AllergyService
from exodesk.services.context import Desk
from exodesk.ui import tips
from exodesk.ui.common import format_date, named
from exodesk.ui.dialogs.allergies import AllergiesDialog, state_style
from exodesk.ui.errors import show_user_error
from exodesk.ui.look import WARNING, blend, ink_style, tint


class PatientHeader(QFrame):
    """Name, age, date of birth, allergies and alerts of the current patient; a plain note
    when none is chosen. ``data_changed`` carries what the allergy dialog changed."""

    data_changed = Signal(object)  # Changes
    photos_requested = Signal()  # the main window opens the current patient's photos

    def __init__(
        self,
        today: Callable[[], date],
        allergies: AllergyService | None = None,
        desk: Desk | None = None,
    ) -> None:
        super().__init__()
        self._today = today
        self._allergies = allergies
        self._desk = desk
        self._patient: Patient | None = None
        self.setObjectName("patientHeader")
        self.setAccessibleName("Current patient")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        # Both the panel's colours and its words' from the palette (a shade of blue on a light
        # one, a dark blue-grey under Windows' dark mode): never one fixed and one the theme's.
        palette = QGuiApplication.palette()
        self.background = tint(palette)
        text = palette.color(QPalette.ColorRole.Text)
        self.setStyleSheet(
            f"#patientHeader {{ background: {self.background.name()}; "
            f"border: 1px solid {blend(self.background, text, 0.25).name()}; "
            f"border-radius: 4px; }} #patientHeader QLabel {{ color: {text.name()}; }}"
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        self.name_label = QLabel()
        self.name_label.setObjectName("headerName")
        font = self.name_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.name_label.setFont(font)
        self.name_label.setTextFormat(Qt.TextFormat.PlainText)
        self.details_label = QLabel()
        self.details_label.setObjectName("headerDetails")
        self.details_label.setTextFormat(Qt.TextFormat.PlainText)
        self.allergies_label = QLabel()
        self.allergies_label.setObjectName("headerAllergies")
        self.allergies_label.setTextFormat(Qt.TextFormat.PlainText)
        self.allergies_label.setWordWrap(True)
        self.alerts_label = QLabel()
        self.alerts_label.setObjectName("headerAlerts")
        self.alerts_label.setTextFormat(Qt.TextFormat.PlainText)
        self.alerts_label.setStyleSheet(ink_style(WARNING, bold=True, background=self.background))
        self.alerts_label.setWordWrap(True)
        self.allergies_button = named(
            QPushButton("A&llergies…"), "headerAllergiesButton", "Allergies", tips.ALLERGIES_BUTTON
        )
        self.allergies_button.clicked.connect(self.open_allergies)
        self.allergies_button.setVisible(allergies is not None)
        self.photos_button = named(
            QPushButton("Photos…"),
            "headerPhotosButton",
            "Clinical photos",
            "The patient's clinical photos: take, compare, print a progress sheet, consent "
            "(Ctrl+Shift+P)",
        )
        self.photos_button.clicked.connect(self.photos_requested)
        self.photos_button.setVisible(allergies is not None)
        warnings = QVBoxLayout()
        warnings.setSpacing(2)
        warnings.addWidget(self.allergies_label)
        warnings.addWidget(self.alerts_label)
        layout.addWidget(self.name_label)
        layout.addSpacing(16)
        layout.addWidget(self.details_label)
        layout.addSpacing(16)
        layout.addLayout(warnings, 1)
        layout.addWidget(self.allergies_button)
        layout.addWidget(self.photos_button)
        self.show_patient(None)

    def show_patient(self, patient: Patient | None) -> None:
        self._patient = patient
        self.allergies_button.setEnabled(patient is not None and patient.id is not None)
        self.photos_button.setEnabled(patient is not None and patient.id is not None)
        if patient is None:
            self.name_label.setText("No patient chosen")
            self.details_label.setText("Find or register a patient on the Patients tab.")
            for label in (self.allergies_label, self.alerts_label):
                label.setText("")
                label.setToolTip("")
            self.allergies_label.hide()
            self.setAccessibleDescription("No patient chosen")
            return
        self.name_label.setText(patient.display_name)
        age = patient.age(self._today())
        bits = [
            f"{age} years" if age is not None else "",
            f"born {format_date(patient.date_of_birth)}",
        ]
        if patient.sex != "not_stated":
            bits.append(SEXES[patient.sex])
        bits.append(f"No. {patient.id}")
        self.details_label.setText(" · ".join(b for b in bits if b))
        alerts = []
        if patient.status != "active":
            alerts.append(f"INACTIVE: {patient.status_reason}")
        if patient.alerts.strip():
            alerts.append(f"⚠ {' '.join(patient.alerts.split())}")
        self.alerts_label.setText("   ".join(alerts))
        self.alerts_label.setVisible(bool(alerts))
        # The red words are the warning; the tip says what they mean and what to do.
        meaning = []
        if patient.status != "active":
            meaning.append(tips.PATIENT_INACTIVE)
        if patient.alerts.strip():
            meaning.append(tips.PATIENT_ALERTS)
        self.alerts_label.setToolTip("\n".join(meaning))
        self.refresh_allergies()

    def refresh_allergies(self) -> None:
        """Read the current patient's allergies again (after the allergy list changed)."""
        patient = self._patient
        if patient is None or patient.id is None or self._allergies is None:
            self.allergies_label.hide()
            self._describe()
            return
        try:
            summary = self._allergies.summary(patient.id)
        except UserError as exc:
            self.allergies_label.setText("Allergies could not be read")
            self.allergies_label.setToolTip(exc.message)
            self.allergies_label.setStyleSheet(state_style("", self.background))
        else:
            self._show_allergies(summary)
        self.allergies_label.show()
        self._describe()

    def _show_allergies(self, summary: PatientAllergies) -> None:
        words = allergy_list_words(summary, short=True)
        if summary.state == LISTED:
            words = f"⚠ ALLERGIES: {words}"
            tip = [tips.ALLERGIES_LISTED] + [
                f"{a.substance}: {a.reaction[:300] or 'reaction not recorded'}"
                for a in summary.allergies
            ]
        else:
            tip = [
                tips.ALLERGIES_NONE_KNOWN
                if summary.state == NONE_KNOWN
                else tips.ALLERGIES_NOT_RECORDED
            ]
        self.allergies_label.setText(words)
        self.allergies_label.setToolTip("\n".join(tip))
        self.allergies_label.setStyleSheet(state_style(summary.state, self.background))

    def _describe(self) -> None:
        patient = self._patient
        if patient is None:
            return
        said = " ".join(
            label.text()
            for label in (self.details_label, self.allergies_label, self.alerts_label)
            if label.text()
        )
        self.setAccessibleDescription(f"{patient.display_name}, {said}")

    def open_allergies(self) -> None:
        """See and change the current patient's allergies."""
        patient = self._patient
        if patient is None or patient.id is None or self._allergies is None:
            return
        user = self._desk.user if self._desk is not None else None
        may_retract = user is not None and allowed(user, ALLERGIES_RETRACT)
        try:
            dialog = AllergiesDialog(
                self.window(), self._allergies, patient, may_retract=may_retract
            )
        except UserError as exc:
            show_user_error(self, exc)
            return
        dialog.exec()
        if dialog.changes.topics:
            self.refresh_allergies()
            self.data_changed.emit(dialog.changes)
