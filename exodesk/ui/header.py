"""The strip above the tabs naming the current patient, so nobody records on the wrong person."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel

from exodesk.domain.patient import SEXES, Patient
from exodesk.ui import tips
from exodesk.ui.common import format_date


class PatientHeader(QFrame):
    """Name, age, date of birth and alerts of the current patient; a plain note when none."""

    def __init__(self, today: Callable[[], date]) -> None:
        super().__init__()
        self._today = today
        self.setObjectName("patientHeader")
        self.setAccessibleName("Current patient")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "#patientHeader { background: #eef3f8; border: 1px solid #c5d3e0; border-radius: 4px; }"
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
        self.alerts_label = QLabel()
        self.alerts_label.setObjectName("headerAlerts")
        self.alerts_label.setTextFormat(Qt.TextFormat.PlainText)
        self.alerts_label.setStyleSheet("color: #8a1c1c; font-weight: bold;")
        self.alerts_label.setWordWrap(True)
        layout.addWidget(self.name_label)
        layout.addSpacing(16)
        layout.addWidget(self.details_label)
        layout.addSpacing(16)
        layout.addWidget(self.alerts_label, 1)
        self.show_patient(None)

    def show_patient(self, patient: Patient | None) -> None:
        if patient is None:
            self.name_label.setText("No patient chosen")
            self.details_label.setText("Find or register a patient on the Patients tab.")
            self.alerts_label.setText("")
            self.alerts_label.setToolTip("")
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
        # The red words are the warning; the tip says what they mean and what to do.
        meaning = []
        if patient.status != "active":
            meaning.append(tips.PATIENT_INACTIVE)
        if patient.alerts.strip():
            meaning.append(tips.PATIENT_ALERTS)
        self.alerts_label.setToolTip("\n".join(meaning))
        self.setAccessibleDescription(
            f"{patient.display_name}, {self.details_label.text()} {self.alerts_label.text()}"
        )
