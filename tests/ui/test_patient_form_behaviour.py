"""The patient form behaves: nothing pasted is cut, problems leave once the field is fixed,
and the header never shows the last patient above a new one."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from exodesk.domain.patient import Patient
from exodesk.services.workspace import Services
from exodesk.ui.common import UNCUT
from exodesk.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot, services: Services, uk_locale) -> MainWindow:
    assert services.patients.create(
        Patient(
            "O'Brien",
            "Zoë",
            date(1985, 4, 3),
            "female",
            "07700 900123",
            alerts="Allergy: lidocaine",
        )
    ).ok
    win = MainWindow(services, day_first=True)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def _open_zoe(window: MainWindow) -> Patient:
    zoe = window._services.patients.search("zoe").rows[0]
    window.patients_tab.open_patient(zoe)
    assert window.header.name_label.text() == "O'BRIEN, Zoë"
    assert "lidocaine" in window.header.alerts_label.text()
    return zoe


def test_a_pasted_long_name_is_kept_whole_and_refused_with_its_real_length(
    qtbot, window: MainWindow, services: Services
) -> None:
    tab = window.patients_tab
    tab.new_patient()
    family: QLineEdit = tab.form.fields["family_name"]
    family.setFocus()
    QApplication.clipboard().setText("A" * 5000)
    family.paste()
    assert len(family.text()) == 5000  # nothing cut
    tab.form.fields["given_names"].setText("Ann")
    tab.form.save_button.click()
    error = tab.form.errors["family_name"]
    assert error.isVisible()
    assert "5,000 characters long" in error.text()
    assert "most it can hold is 100" in error.text()
    assert services.patients.search("ann").rows == []


def test_no_line_in_the_main_window_cuts_what_is_typed(window: MainWindow) -> None:
    capped = [
        edit.objectName()
        for edit in window.findChildren(QLineEdit)
        if edit.objectName() and edit.maxLength() < UNCUT
    ]
    assert capped == []


def test_a_problem_leaves_once_its_field_is_edited(qtbot, window: MainWindow) -> None:
    tab = window.patients_tab
    tab.new_patient()
    tab.form.fields["given_names"].setText("Renée")
    qtbot.keyClicks(tab.form.dob, "29/02/2027")
    tab.form.fields["email"].setText("renee-at-example.com")
    tab.form.save_button.click()
    for key in ("family_name", "date_of_birth", "email"):
        assert tab.form.errors[key].isVisible(), key
    qtbot.keyClicks(tab.form.fields["family_name"], "N")
    assert not tab.form.errors["family_name"].isVisible()
    assert tab.form.errors["email"].isVisible()  # untouched: still said
    qtbot.keyClick(tab.form.dob, Qt.Key.Key_Backspace)
    assert not tab.form.errors["date_of_birth"].isVisible()
    tab.form.fields["email"].setText("renee@example.com")
    assert not tab.form.errors["email"].isVisible()


def test_the_header_lets_go_of_the_last_patient_while_a_new_one_is_typed(
    qtbot, window: MainWindow
) -> None:
    tab = window.patients_tab
    zoe = _open_zoe(window)
    qtbot.keyClick(tab, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(tab.form.fields["family_name"], "Stranger")
    header = window.header
    assert "Zo" not in header.name_label.text()
    assert header.name_label.text() == "No patient chosen"
    assert not header.alerts_label.text()
    assert "lidocaine" not in header.allergies_label.text()
    assert window.current.patient is None  # no other tab records on Zoë meanwhile
    tab.form.cancel_button.click()  # Cancel goes back to where it was
    assert window.current.patient.id == zoe.id
    assert header.name_label.text() == "O'BRIEN, Zoë"
    assert tab.form.fields["family_name"].text() == "O'Brien"


def test_the_header_names_the_new_patient_once_saved(qtbot, window: MainWindow) -> None:
    tab = window.patients_tab
    _open_zoe(window)
    tab.new_patient()
    tab.form.fields["family_name"].setText("Smith")
    tab.form.fields["given_names"].setText("Olivia")
    tab.form.dob.setText("15/01/1990")
    tab.form.save_button.click()
    assert window.header.name_label.text() == "SMITH, Olivia"
    assert not window.header.alerts_label.text()
