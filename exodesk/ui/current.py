"""The current patient: one per window, so every tab works on the same person."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from exodesk.domain.patient import Patient


class CurrentPatient(QObject):
    """Holds the patient chosen at reception; emits ``changed`` when another is chosen."""

    changed = Signal(object)  # Patient | None

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._patient: Patient | None = None

    @property
    def patient(self) -> Patient | None:
        return self._patient

    def set(self, patient: Patient | None) -> None:
        self._patient = patient
        self.changed.emit(patient)
