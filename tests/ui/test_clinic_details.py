"""ClinicDetailsForm: the one set of clinic fields the first run and the Settings page share."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtWidgets import QAbstractButton, QLineEdit, QPlainTextEdit, QSpinBox, QWidget

from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.problems import Problem
from exodesk.services.workspace import Services
from exodesk.ui.dialogs.clinic_details import CLINIC_FIELDS, ClinicDetailsForm
from exodesk.ui.dialogs.first_run import FirstRunDialog
from exodesk.ui.dialogs.settings_window import CLINIC, SettingsWindow

STORED = ClinicSettings(
    name="Riverside Skin Clinic",
    address="12 Willow Lane\nKingston KT1 4AB",
    phone="020 7946 0123",
    out_of_hours="07700 900456",
    country="CA",
    paper_size="A4",
    logo_png=b"\x89PNG\r\n\x1a\nfake",
    screening_valid_days=45,
    idle_lock_minutes=5,
)


@pytest.fixture
def dialogs(qtbot, services: Services) -> tuple[FirstRunDialog, SettingsWindow]:
    first = FirstRunDialog(None, country="GB", data_file=Path("/clinic/exodesk.sqlite3"))
    window = SettingsWindow(None, services)
    qtbot.addWidget(first)
    qtbot.addWidget(window)
    return first, window


@pytest.fixture
def both(dialogs) -> tuple[ClinicDetailsForm, ClinicDetailsForm]:
    """The first run's form and the Settings page's (the dialogs stay alive for the test)."""
    first, window = dialogs
    return first.clinic_page.details, window.pages[CLINIC].details


def _described(form: ClinicDetailsForm, prefix: str) -> dict[str, tuple[str, ...]]:
    """Every named widget of the form: what a person and a screen reader are told about it."""
    found = {}
    for widget in form.findChildren(QWidget):
        name = widget.objectName()
        if not name.startswith(prefix):
            continue
        hint = widget.placeholderText() if isinstance(widget, QLineEdit | QPlainTextEdit) else ""
        text = widget.text() if isinstance(widget, QAbstractButton) else ""
        found[name.removeprefix(prefix)] = (widget.accessibleName(), widget.toolTip(), hint, text)
    return found


def test_both_pages_ask_the_same_questions_in_the_same_words(both) -> None:
    first, settings = both
    asked_first = _described(first, "firstRun_")
    asked_settings = {
        key: value
        for key, value in _described(settings, "settings_").items()
        # the Settings page's own
        if key not in {"screening_valid_days", "idle_lock_minutes", "require_baseline_photos"}
        and not key.startswith(("error_screening", "error_idle", "error_require_baseline"))
    }
    assert asked_first == asked_settings
    assert asked_first["removeLogo"] == ("Remove logo", "", "", "&Remove logo")
    assert {f"error_{key}" for key in CLINIC_FIELDS} <= asked_first.keys()


def test_both_pages_read_the_same_typing_as_the_same_settings(both) -> None:
    for form in both:
        form.show_settings(STORED)
        form.name.setText("  Riverside Skin Clinic ")
        form.address.setPlainText("\n12 Willow Lane\nKingston KT1 4AB\n\n")
        form.phone.setText(" 020 7946 0123")
        form.out_of_hours.setText("07700 900456  ")
    first, settings = (form.apply_to(ClinicSettings()) for form in both)
    assert first == settings == replace(STORED, screening_valid_days=30, idle_lock_minutes=10)


def test_shows_what_is_stored_and_keeps_what_it_does_not_edit(qtbot) -> None:
    form = ClinicDetailsForm(prefix="t_")
    qtbot.addWidget(form)
    form.show_settings(STORED)
    assert form.country.currentData() == "CA"
    assert form.paper.currentData() == "A4", "a stored paper size stays, whatever the country"
    assert form.apply_to(STORED) == STORED
    assert form.logo.remove.isEnabled()


def test_paper_follows_the_country_only_where_asked(qtbot) -> None:
    following = ClinicDetailsForm(prefix="a_", paper_follows_country=True)
    fixed = ClinicDetailsForm(prefix="b_")
    for form in (following, fixed):
        qtbot.addWidget(form)
        form.country.setCurrentIndex(form.country.findData("US"))
    assert following.paper.currentData() == "Letter"
    assert fixed.paper.currentData() == "A4"


def test_extra_rows_get_problem_lines_like_the_forms_own(qtbot) -> None:
    days = QSpinBox()
    days.setObjectName("days")
    form = ClinicDetailsForm(prefix="x_", extra_rows=(("&Days", days, "days"),))
    qtbot.addWidget(form)
    form.show()
    form.show_problems([Problem("days", "Too many days."), Problem("phone", "Too short.")])
    assert form.errors["days"].text() == "Too many days."
    assert form.errors["days"].objectName() == "x_error_days"
    assert form.errors["phone"].isVisible()
    assert not form.errors["name"].isVisible()

    # Above the logo, below the paper size.
    def top(w: QWidget) -> int:
        return w.mapTo(form, w.rect().topLeft()).y()

    assert top(form.paper) < top(days) < top(form.logo)
    form.show_problems([])
    assert not any(label.isVisible() for label in form.errors.values())


def test_first_run_starts_on_the_paper_of_the_pcs_country(qtbot) -> None:
    dialog = FirstRunDialog(None, country="US")
    qtbot.addWidget(dialog)
    form = dialog.clinic_page.details
    assert (form.country.currentData(), form.paper.currentData()) == ("US", "Letter")
