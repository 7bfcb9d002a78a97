"""ClinicSettingsPage: the clinic's details, screening validity and idle lock, in Settings."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QCheckBox, QVBoxLayout, QWidget

from exodesk.domain.clinic import ClinicSettings
from exodesk.errors import UserError
from exodesk.services.clinic import ClinicService
from exodesk.services.context import Changes
from exodesk.ui.common import named
from exodesk.ui.dialogs.clinic_details import ClinicDetailsForm
from exodesk.ui.dialogs.settings_page import SettingsPage
from exodesk.ui.errors import show_user_error
from exodesk.ui.widgets import NoWheelSpinBox


class ClinicSettingsPage(SettingsPage):
    """Edits ClinicSettings; problems appear beside their fields."""

    page_title = "Clinic details"

    def __init__(self, clinic: ClinicService) -> None:
        super().__init__()
        self.setObjectName("clinicSettingsPage")
        self._clinic = clinic
        self._settings = ClinicSettings()

        self.valid_days = named(
            NoWheelSpinBox(),
            "settings_screening_valid_days",
            "Screening valid for days",
            "How long an intake screening stays current.",
        )
        self.valid_days.setRange(1, 365)
        self.valid_days.setSuffix(" days")
        self.idle_minutes = named(
            NoWheelSpinBox(),
            "settings_idle_lock_minutes",
            "Lock the screen after idle minutes",
            "After this many minutes without a key press or click, patient details are hidden "
            "until the person at the desk types their password.",
        )
        self.idle_minutes.setRange(2, 30)
        self.idle_minutes.setSuffix(" minutes idle")
        self.require_baseline = named(
            QCheckBox("Require a baseline photo set before the first session of a course"),
            "settings_require_baseline_photos",
            "Require a baseline photo set before the first session of a course",
            "The first session of a course is not saved until at least one photo of the "
            "treated area is stored for the course (its baseline).",
        )
        self.details = ClinicDetailsForm(
            prefix="settings_",
            extra_rows=(
                ("Screening &valid for", self.valid_days, "screening_valid_days"),
                ("Loc&k the screen after", self.idle_minutes, "idle_lock_minutes"),
                ("P&hotos", self.require_baseline, "require_baseline_photos"),
            ),
        )
        # Short fields read better than ones stretched across a wide window.
        self.details.setMaximumWidth(720)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.details)
        layout.addStretch(1)
        self.discard()

    def first_field(self) -> QWidget:
        return self.details.name

    def discard(self) -> None:
        """Show the stored settings again."""
        settings = self._clinic.settings()
        self._settings = settings
        self.details.show_settings(settings)
        self.valid_days.setValue(settings.screening_valid_days)
        self.idle_minutes.setValue(settings.idle_lock_minutes)
        self.require_baseline.setChecked(settings.require_baseline_photos)
        self.mark_clean()

    def settings(self) -> ClinicSettings:
        return replace(
            self.details.apply_to(self._settings),
            screening_valid_days=self.valid_days.value(),
            idle_lock_minutes=self.idle_minutes.value(),
            require_baseline_photos=self.require_baseline.isChecked(),
        )

    def snapshot(self) -> ClinicSettings:
        return self.settings()

    def _store(self) -> Changes | None:
        try:
            result = self._clinic.save_settings(self.settings())
        except UserError as exc:
            show_user_error(self, exc)
            return None
        self.details.show_problems(result.problems)
        if not result.ok:
            return None
        self._settings = self._clinic.settings()
        return result.changes
