"""FirstRunDialog: the whole setup by keyboard alone, problems inline, the demo way out."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QDialog,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from exodesk.domain.staff import StaffMember
from exodesk.paths import DataPaths
from exodesk.services.workspace import open_services
from exodesk.ui.dialogs.first_run import DEMO, FirstRunDialog, FirstRunSetup, locale_country


@pytest.fixture
def dialog(qtbot) -> FirstRunDialog:
    dialog = FirstRunDialog(None, country="GB", data_file=Path("/clinic/exodesk.sqlite3"))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.clinic_page.details.name)
    return dialog


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def type_here(qtbot, text: str) -> None:
    # ASCII only: qtbot.keyClicks cannot type other characters.
    qtbot.keyClicks(focused(), text)


def press(qtbot, key: Qt.Key) -> None:
    qtbot.keyClick(focused(), key)


def alt(qtbot, button: QAbstractButton, key: Qt.Key) -> None:
    # A mnemonic "animates" the click, so the button fires a moment after the key.
    with qtbot.waitSignal(button.clicked, timeout=1000):
        qtbot.keyClick(focused(), key, Qt.KeyboardModifier.AltModifier)


def test_the_whole_setup_by_keyboard_alone(qtbot, dialog: FirstRunDialog) -> None:
    assert focused().objectName() == "firstRun_name"
    type_here(qtbot, "Riverside Skin Clinic")
    press(qtbot, Qt.Key.Key_Tab)
    assert focused().objectName() == "firstRun_address"
    type_here(qtbot, "12 Willow Lane")
    press(qtbot, Qt.Key.Key_Return)  # a new address line, not the next page
    type_here(qtbot, "Kingston KT1 4AB")
    press(qtbot, Qt.Key.Key_Tab)
    assert focused().objectName() == "firstRun_phone"
    type_here(qtbot, "020 7946 0123")
    press(qtbot, Qt.Key.Key_Tab)
    assert focused().objectName() == "firstRun_out_of_hours"
    type_here(qtbot, "07700 900456")
    press(qtbot, Qt.Key.Key_Tab)
    assert focused().objectName() == "firstRun_country"
    type_here(qtbot, "C")  # a combo box selects as you type: Canada
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.admin_page.isVisible() and not dialog.clinic_page.isVisible()
    assert focused().objectName() == "firstRun_staff_name"
    assert "Riverside Skin Clinic" in dialog.admin_page.summary.text()
    type_here(qtbot, "Ada Admin")
    press(qtbot, Qt.Key.Key_Tab)
    assert focused().objectName() == "firstRun_staff_role"
    press(qtbot, Qt.Key.Key_Tab)
    assert focused().objectName() == "firstRun_password"
    type_here(qtbot, "river side 2026")
    press(qtbot, Qt.Key.Key_Tab)
    assert focused().objectName() == "firstRun_password_again"
    type_here(qtbot, "river side 2026")
    press(qtbot, Qt.Key.Key_Return)

    assert dialog.result() == QDialog.DialogCode.Accepted
    outcome = dialog.outcome()
    assert isinstance(outcome, FirstRunSetup)
    settings = outcome.settings
    assert settings.name == "Riverside Skin Clinic"
    assert settings.address == "12 Willow Lane\nKingston KT1 4AB"
    assert settings.phone == "020 7946 0123"
    assert settings.out_of_hours == "07700 900456"
    assert settings.country == "CA"
    assert settings.paper_size == "Letter"  # followed the country
    assert settings.logo_png is None
    assert settings.validate() == []
    assert outcome.member == StaffMember(name="Ada Admin", role="practitioner", is_admin=True)
    assert outcome.password == "river side 2026"
    assert "river" not in repr(outcome), "the password never shows in a repr or a log line"


def fill_admin(dialog: FirstRunDialog, name: str, password: str = "river side 2026") -> None:
    dialog.admin_page.name.setText(name)
    dialog.admin_page.password.setText(password)
    dialog.admin_page.confirm.setText(password)


def test_only_the_names_and_a_password_are_needed(qtbot, dialog: FirstRunDialog) -> None:
    type_here(qtbot, "Riverside")
    press(qtbot, Qt.Key.Key_Return)
    fill_admin(dialog, "Ada")
    press(qtbot, Qt.Key.Key_Return)
    outcome = dialog.outcome()
    assert isinstance(outcome, FirstRunSetup)
    assert (outcome.settings.name, outcome.settings.country, outcome.settings.paper_size) == (
        "Riverside",
        "GB",
        "A4",
    )


def test_problems_show_beside_their_fields_and_keep_the_page(qtbot, dialog: FirstRunDialog) -> None:
    page = dialog.clinic_page
    form = page.details
    form.phone.setText("12")
    form.out_of_hours.setText("call us")
    press(qtbot, Qt.Key.Key_Return)
    assert page.isVisible() and not dialog.admin_page.isVisible()
    assert form.errors["name"].isVisible()
    assert form.errors["name"].text() == "Clinic name is needed."
    assert form.errors["phone"].text() == "Phone looks too short to dial."
    assert "only digits" in form.errors["out_of_hours"].text()
    assert not form.errors["address"].isVisible()
    assert focused() is form.name  # the first problem's field, ready to type into
    # A problem appearing must not squeeze the fields into each other.
    bottom = form.address.mapTo(dialog, form.address.rect().bottomLeft()).y()
    assert bottom < form.phone.mapTo(dialog, form.phone.rect().topLeft()).y()
    phone_problem = form.errors["phone"]
    assert phone_problem.mapTo(dialog, phone_problem.rect().bottomLeft()).y() < (
        form.out_of_hours.mapTo(dialog, form.out_of_hours.rect().topLeft()).y()
    )

    type_here(qtbot, "Riverside")
    form.phone.setText("020 7946 0123")
    form.out_of_hours.clear()
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.admin_page.isVisible()
    assert not form.errors["name"].isVisible()

    press(qtbot, Qt.Key.Key_Return)  # no name on page 2
    admin = dialog.admin_page
    assert admin.errors["name"].isVisible()
    assert admin.errors["name"].text() == "Name is needed."
    assert admin.errors["password"].isVisible(), "a password is needed too"
    assert dialog.isVisible() and dialog.outcome() is None
    fill_admin(dialog, "Ada Admin")
    admin.confirm.setText("something else entirely")
    press(qtbot, Qt.Key.Key_Return)
    assert admin.errors["confirm"].text() == "The two passwords are not the same."
    assert focused() is admin.confirm and admin.confirm.text() == ""


def test_a_long_problem_wraps_and_the_dialog_grows_to_keep_every_field_whole(
    qtbot, dialog: FirstRunDialog
) -> None:
    form = dialog.clinic_page.details
    type_here(qtbot, "Riverside")
    form.out_of_hours.setText("2" * 100_000)
    press(qtbot, Qt.Key.Key_Return)
    problem = form.errors["out_of_hours"]
    assert problem.text().startswith("Out-of-hours number is 100,000 characters long")
    assert problem.height() > problem.fontMetrics().lineSpacing() * 1.5, "on two lines"
    bottom = problem.mapTo(dialog, problem.rect().bottomLeft()).y()
    assert bottom < form.country.mapTo(dialog, form.country.rect().topLeft()).y()
    for field in (form.name, form.address, form.phone, form.out_of_hours, form.logo.preview):
        assert field.visibleRegion().boundingRect().size() == field.size(), field.objectName()


def test_back_keeps_what_was_typed(qtbot, dialog: FirstRunDialog) -> None:
    type_here(qtbot, "Riverside")
    press(qtbot, Qt.Key.Key_Return)
    type_here(qtbot, "Ada")
    alt(qtbot, dialog.back_button, Qt.Key.Key_B)
    assert dialog.clinic_page.isVisible()
    assert dialog.clinic_page.details.name.text() == "Riverside"
    press(qtbot, Qt.Key.Key_Return)
    assert dialog.admin_page.name.text() == "Ada"


def test_escape_cancels(qtbot, dialog: FirstRunDialog) -> None:
    type_here(qtbot, "Riverside")
    press(qtbot, Qt.Key.Key_Escape)
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert dialog.outcome() is None


def test_the_demo_clinic_instead(qtbot, dialog: FirstRunDialog) -> None:
    assert dialog.demo_button.isVisible()
    alt(qtbot, dialog.demo_button, Qt.Key.Key_D)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.outcome() == DEMO


def test_demo_button_is_only_on_the_first_page(qtbot, dialog: FirstRunDialog) -> None:
    type_here(qtbot, "Riverside")
    press(qtbot, Qt.Key.Key_Return)
    assert not dialog.demo_button.isVisible()
    assert dialog.back_button.isVisible()


def test_paper_follows_the_country_until_chosen(dialog: FirstRunDialog) -> None:
    page = dialog.clinic_page.details
    page.country.setCurrentIndex(page.country.findData("CA"))
    assert page.paper.currentData() == "Letter"
    page.country.setCurrentIndex(page.country.findData("AU"))
    assert page.paper.currentData() == "A4"
    page.paper.setCurrentIndex(page.paper.findData("Letter"))
    page.paper.activated.emit(page.paper.currentIndex())  # as a person picking it would
    page.country.setCurrentIndex(page.country.findData("GB"))
    assert page.paper.currentData() == "Letter"


def test_logo_from_a_file(dialog: FirstRunDialog, tmp_path: Path) -> None:
    page = dialog.clinic_page
    form = page.details
    picture = tmp_path / "logo.jpg"
    image = QImage(1200, 400, QImage.Format.Format_RGB32)
    image.fill(QColor("#1f8a8a"))
    assert image.save(str(picture))
    form.set_logo_file(str(picture))
    logo = page.settings().logo_png
    assert logo is not None and logo.startswith(b"\x89PNG")
    assert form.logo.remove.isEnabled()
    not_a_picture = tmp_path / "notes.txt"
    not_a_picture.write_text("hello", encoding="utf-8")
    form.set_logo_file(str(not_a_picture))
    assert form.errors["logo"].text() == "That file is not an image ExoDesk can read."
    assert page.settings().logo_png == logo  # the good one stays
    form.logo.remove.click()
    assert page.settings().logo_png is None


def test_shows_where_the_data_will_live(dialog: FirstRunDialog) -> None:
    label = dialog.findChild(QWidget, "firstRun_dataFile")
    assert label is not None and "exodesk.sqlite3" in label.text()


def test_what_it_returns_saves_as_the_launcher_will_save_it(
    qtbot, dialog: FirstRunDialog, tmp_path: Path
) -> None:
    type_here(qtbot, "  Riverside  ")
    press(qtbot, Qt.Key.Key_Return)
    fill_admin(dialog, " Ada Admin ")
    press(qtbot, Qt.Key.Key_Return)
    outcome = dialog.outcome()
    assert isinstance(outcome, FirstRunSetup)
    services = open_services(DataPaths(tmp_path / "clinic"), create=True)
    try:
        assert services.accounts.first_account(outcome.member, outcome.password).ok
        assert services.clinic.save_settings(outcome.settings).ok
        assert services.clinic.settings().name == "Riverside"
        assert [m.label for m in services.clinic.staff()] == ["Ada Admin (Practitioner, admin)"]
        services.desk.user = None
        assert services.accounts.sign_in(services.clinic.staff()[0].id, "river side 2026")
    finally:
        services.close()


def test_every_control_has_a_name(dialog: FirstRunDialog) -> None:
    kinds = (QAbstractButton, QLineEdit, QPlainTextEdit, QComboBox)
    controls = [w for w in dialog.findChildren(QWidget) if isinstance(w, kinds)]
    assert len(controls) >= 12
    for widget in controls:
        assert widget.objectName(), widget
        assert widget.accessibleName(), widget.objectName()


@pytest.mark.parametrize(
    ("country", "code"),
    [
        (QLocale.Country.UnitedKingdom, "GB"),
        (QLocale.Country.UnitedStates, "US"),
        (QLocale.Country.NewZealand, "NZ"),
        (QLocale.Country.Germany, "GB"),
    ],
)
def test_locale_country(country: QLocale.Country, code: str) -> None:
    assert locale_country(QLocale(QLocale.Language.English, country)) == code
