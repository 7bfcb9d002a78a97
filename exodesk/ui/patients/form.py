"""PatientForm: the registration and correction form, with problems shown beside each field."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.dates import format_long
from exodesk.domain.patient import LABELS, SEXES, Patient, parse_birth_date
from exodesk.domain.problems import Problem
from exodesk.ui import tips
from exodesk.ui.common import (
    clear_when_edited,
    date_hint,
    error_label,
    format_date,
    named,
    show_problems,
)
from exodesk.ui.look import NOTE, WARNING, ink_style
from exodesk.ui.widgets import NoWheelComboBox

_LINE_FIELDS = ("family_name", "given_names", "phone", "email")
_TEXT_FIELDS = {
    "address": 3,
    "emergency_contact": 2,
    "gp": 2,
    "alerts": 2,
    "notes": 5,
}


class _PlainText(QPlainTextEdit):
    """A multi-line field where Tab moves on (as in every other field) instead of typing a tab."""

    def __init__(self, lines: int) -> None:
        super().__init__()
        self.setTabChangesFocus(True)
        height = self.fontMetrics().lineSpacing() * lines + 12
        self.setFixedHeight(height)


class PatientForm(QWidget):
    """Edits one patient. Emits ``save_requested`` with the patient read from the fields."""

    save_requested = Signal(object, list)  # Patient, problems found reading the fields
    cancel_requested = Signal()

    def __init__(self, day_first: bool, today: Callable[[], date]) -> None:
        super().__init__()
        self.setObjectName("patientForm")
        self._day_first = day_first
        self._today = today
        self._original: Patient | None = None
        self.fields: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self._build_heading()
        form = self._build_fields()
        buttons = self._build_buttons()
        self.form_error = error_label("patientFormError")
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.status_label)
        layout.addLayout(form)
        layout.addWidget(self.form_error)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self._set_keys()
        for key, error in self.errors.items():
            clear_when_edited(error, self.fields[key])
        self.load(None)

    # ---- building ------------------------------------------------------------------------
    def _build_fields(self) -> QFormLayout:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        for key in ("family_name", "given_names"):
            self._add_line(form, key)
        self.dob = QLineEdit()
        hint = date_hint(self._day_first)
        named(self.dob, "field_date_of_birth", "Date of birth", f"Type it like {hint}")
        self.dob.setPlaceholderText(hint)
        self.dob_reading = QLabel()
        self.dob_reading.setObjectName("dobReading")
        self.dob_reading.setStyleSheet(ink_style(NOTE))
        self.dob.textChanged.connect(self._read_back_dob)
        self.fields["date_of_birth"] = self.dob
        row = QHBoxLayout()
        row.addWidget(self.dob, 1)
        row.addWidget(self.dob_reading, 1)
        self._add_row(form, "date_of_birth", row)
        self.sex = NoWheelComboBox()
        named(self.sex, "field_sex", "Sex")
        for key, label in SEXES.items():
            self.sex.addItem(label, key)
        self.fields["sex"] = self.sex
        self._add_row(form, "sex", self.sex)
        for key in ("phone", "email"):
            self._add_line(form, key)
        for key, lines in _TEXT_FIELDS.items():
            edit = _PlainText(lines)
            named(edit, f"field_{key}", LABELS[key])
            self.fields[key] = edit
            self._add_row(form, key, edit)
        self.fields["alerts"].setToolTip(
            "Shown in red in the header whenever this patient is chosen (allergies, needs)."
        )
        return form

    def _build_heading(self) -> None:
        self.title = QLabel("New patient")
        self.title.setObjectName("patientFormTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.title.setFont(font)
        self.status_label = QLabel()
        self.status_label.setObjectName("patientStatus")
        self.status_label.setStyleSheet(ink_style(WARNING))
        self.status_label.setWordWrap(True)
        self.status_label.hide()

    def _build_buttons(self) -> QHBoxLayout:
        self.save_button = named(
            QPushButton("&Save"), "savePatient", "Save patient", "Save (Ctrl+S or Enter)"
        )
        self.cancel_button = named(
            QPushButton("Cancel"), "cancelPatient", "Cancel editing", "Discard changes (Esc)"
        )
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self._emit_save)
        self.cancel_button.clicked.connect(self.cancel_requested)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        return buttons

    def _set_keys(self) -> None:
        """Ctrl+S saves and Esc cancels anywhere in the form; Tab walks the fields in order."""
        for seq in (QKeySequence.StandardKey.Save,):
            QShortcut(
                QKeySequence(seq),
                self,
                self._emit_save,
                context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
            )
        QShortcut(
            QKeySequence(Qt.Key.Key_Escape),
            self,
            self.cancel_requested.emit,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        chain = [
            self.fields[k]
            for k in (
                "family_name",
                "given_names",
                "date_of_birth",
                "sex",
                "phone",
                "email",
                *_TEXT_FIELDS,
            )
        ]
        chain += [self.cancel_button, self.save_button]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    @property
    def last_in_tab_order(self) -> QWidget:
        return self.save_button

    def _add_line(self, form: QFormLayout, key: str) -> None:
        edit = QLineEdit()
        named(edit, f"field_{key}", LABELS[key])
        edit.returnPressed.connect(self._emit_save)
        self.fields[key] = edit
        self._add_row(form, key, edit)

    def _add_row(self, form: QFormLayout, key: str, field: QWidget | QHBoxLayout) -> None:
        label = QLabel(LABELS[key])
        error = error_label(f"error_{key}")
        self.errors[key] = error
        holder = QVBoxLayout()
        holder.setSpacing(2)
        if isinstance(field, QWidget):
            label.setBuddy(field)
            holder.addWidget(field)
        else:
            label.setBuddy(self.fields[key])
            holder.addLayout(field)
        form.addRow(label, holder)
        form.addRow("", error)

    @property
    def original(self) -> Patient | None:
        """The patient as loaded (None for a new one)."""
        return self._original

    # ---- reading and writing the fields --------------------------------------------------
    def load(self, patient: Patient | None) -> None:
        """Show ``patient`` (None: an empty form for a new one)."""
        self._original = patient
        self.title.setText("New patient" if patient is None else f"Patient no. {patient.id}")
        source = patient or Patient("", "", None)
        for key in _LINE_FIELDS:
            self.fields[key].setText(getattr(source, key))  # type: ignore[attr-defined]
        for key in _TEXT_FIELDS:
            self.fields[key].setPlainText(getattr(source, key))  # type: ignore[attr-defined]
        self.dob.setText(format_date(source.date_of_birth) if source.date_of_birth else "")
        self.sex.setCurrentIndex(max(0, self.sex.findData(source.sex)))
        inactive = patient is not None and patient.status != "active"
        self.status_label.setText(
            f"Inactive: {patient.status_reason}" if inactive and patient else ""
        )
        self.status_label.setVisible(inactive)
        self.status_label.setToolTip(tips.PATIENT_INACTIVE if inactive else "")
        self.show_problems([])

    def _read_dob(self) -> tuple[date | None, Problem | None]:
        text = self.dob.text().strip()
        if not text:
            return None, None
        try:
            return parse_birth_date(text, day_first=self._day_first, today=self._today()), None
        except ValueError as exc:
            return None, Problem("date_of_birth", str(exc))

    def _read_back_dob(self) -> None:
        day, _problem = self._read_dob()
        self.dob_reading.setText(f"= {format_long(day)}" if day else "")

    def patient(self) -> tuple[Patient, list[Problem]]:
        """The patient as typed, and any problem found while reading the date."""
        day, problem = self._read_dob()
        values = {key: self.fields[key].text() for key in _LINE_FIELDS}  # type: ignore[attr-defined]
        values.update(
            {key: self.fields[key].toPlainText() for key in _TEXT_FIELDS}  # type: ignore[attr-defined]
        )
        base = self._original or Patient("", "", None)
        patient = replace(base, date_of_birth=day, sex=self.sex.currentData(), **values)
        return patient, [problem] if problem else []

    def _emit_save(self) -> None:
        # Reading problems (an impossible date) travel with the patient, so the service's
        # own problems for the other fields are shown in the same pass, not one at a time.
        patient, problems = self.patient()
        self.save_requested.emit(patient, problems)

    def show_problems(self, problems: list[Problem]) -> None:
        show_problems(self.errors, problems)
        unplaced = [p.message for p in problems if p.field not in self.errors]
        self.form_error.setText(" ".join(unplaced))
        self.form_error.setVisible(bool(unplaced))
        first = next((p.field for p in problems if p.field in self.fields), None)
        if first:
            self.fields[first].setFocus()

    def is_dirty(self) -> bool:
        """True when the fields differ from what was loaded."""
        patient, problems = self.patient()
        if problems:
            return True
        original = self._original or Patient("", "", None)
        return replace(patient, version=original.version) != original
