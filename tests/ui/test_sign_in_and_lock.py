"""Signing in with a password, the idle lock (data hidden, form kept), switching person, and
what each role sees in the menus and tabs."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLineEdit, QWidget

from exodesk.domain.patient import Patient
from exodesk.domain.staff import StaffMember
from exodesk.services.workspace import Services
from exodesk.storage.audit import AuditRepository
from exodesk.ui.dialogs.sign_in import SignInDialog
from exodesk.ui.lock import LockCover
from exodesk.ui.main_window import MainWindow
from tests.conftest import ADMIN_PASSWORD, FakeClock
from tests.ui.dialogs import when_dialog_opens
from tests.ui.test_patients_tab import unnamed_widgets

RECEPTION_PASSWORD = "reception password 1"


@pytest.fixture
def people(services: Services) -> Services:
    """Ada (admin practitioner, at the desk) and Rita (reception)."""
    made = services.accounts.create_account(
        StaffMember("Rita Reception", "reception"), RECEPTION_PASSWORD, temporary=False
    )
    assert made.ok, made.problems
    services.patients.create(Patient("Okafor", "Amara", date(1980, 5, 1)))
    return services


def staff_id(services: Services, name: str) -> int:
    return int(next(m.id for m in services.clinic.staff() if m.name == name) or 0)


def dialog_for(qtbot, services: Services) -> SignInDialog:
    services.desk.user = None
    dialog = SignInDialog(
        None, services.accounts, services.clinic.staff(), clinic_name="Clinica Zoë"
    )
    qtbot.addWidget(dialog)
    return dialog


def choose(dialog: SignInDialog, name: str) -> None:
    dialog.person.setCurrentIndex(dialog.person.findText(name, Qt.MatchFlag.MatchStartsWith))


# ---- the sign-in dialog ------------------------------------------------------------------
def test_sign_in_with_the_keyboard(qtbot, people: Services) -> None:
    dialog = dialog_for(qtbot, people)
    choose(dialog, "Rita Reception")
    dialog.show()
    qtbot.keyClicks(dialog.password, RECEPTION_PASSWORD)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert people.desk.user is not None and people.desk.user.name == "Rita Reception"
    assert not unnamed_widgets(dialog)


def test_a_wrong_password_says_so_and_counts(qtbot, people: Services) -> None:
    dialog = dialog_for(qtbot, people)
    choose(dialog, "Rita Reception")
    dialog.password.setText("not her password")
    dialog.sign_in()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.error.text()
    assert dialog.password.text() == "", "the wrong password is cleared"
    assert people.desk.user is None
    actions = [e.action for e in AuditRepository(people.ctx.db).latest(3)]
    assert "sign_in_failed" in actions


def test_five_wrong_passwords_make_the_account_wait(qtbot, people: Services) -> None:
    dialog = dialog_for(qtbot, people)
    choose(dialog, "Rita Reception")
    for _ in range(5):
        dialog.password.setText("wrong wrong wrong")
        dialog.sign_in()
    dialog.password.setText(RECEPTION_PASSWORD)
    dialog.sign_in()
    assert "minute" in dialog.error.text()
    assert people.desk.user is None


def test_a_temporary_password_must_be_replaced(qtbot, people: Services) -> None:
    rita = staff_id(people, "Rita Reception")
    assert people.accounts.reset_password(rita, "temporary pass 1").ok
    dialog = dialog_for(qtbot, people)
    choose(dialog, "Rita Reception")
    dialog.password.setText("temporary pass 1")
    dialog.sign_in()
    assert dialog.new_password.isVisibleTo(dialog) and dialog.confirm.isVisibleTo(dialog)
    assert people.desk.user is None
    dialog.password.setText("temporary pass 1")
    dialog.new_password.setText("Rita's own passphrase")
    dialog.confirm.setText("Rita's own passphrase")
    dialog.sign_in()
    assert dialog.result() == QDialog.DialogCode.Accepted
    people.desk.user = None
    assert people.accounts.sign_in(rita, "Rita's own passphrase").name == "Rita Reception"


# ---- the idle lock -------------------------------------------------------------------------
@pytest.fixture
def window(qtbot, people: Services) -> MainWindow:
    win = MainWindow(people, day_first=True)
    qtbot.addWidget(win)
    win.show()
    return win


def patient_form_name(window: MainWindow) -> QLineEdit:
    return window.patients_tab.form.fields["family_name"]


def test_idle_minutes_lock_the_window_and_the_same_person_finds_their_form(
    qtbot, window: MainWindow, people: Services, clock: FakeClock
) -> None:
    window.patients_tab.new_patient()
    typed = patient_form_name(window)
    typed.setText("Half-typed")
    clock.advance(minutes=9)
    assert not window.idle.check(), "not yet"
    clock.advance(minutes=1)
    assert window.idle.check()
    cover = window.desk_lock.interactive
    assert cover is not None and cover.isVisible()
    assert cover.geometry() == window.rect(), "the whole window is covered"
    assert not any(a.isEnabled() for a in window.actions()), "no shortcut works while locked"
    cover.password.setText("not my password")
    cover.unlock_button.click()
    assert window.desk_lock.locked and cover.error.text()
    cover.password.setText(ADMIN_PASSWORD)
    cover.unlock_button.click()
    assert not window.desk_lock.locked
    assert patient_form_name(window).text() == "Half-typed", "the form is as it was left"
    assert AuditRepository(people.ctx.db).latest(1)[0].action == "unlock"


def test_activity_keeps_the_window_unlocked(qtbot, window: MainWindow, clock: FakeClock) -> None:
    clock.advance(minutes=8)
    qtbot.keyClick(window.patients_tab, Qt.Key.Key_Shift)
    clock.advance(minutes=8)
    assert not window.idle.check()


def test_the_lock_covers_an_open_dialog_and_asks_there(
    qtbot, window: MainWindow, people: Services
) -> None:
    seen: list[QWidget] = []

    def lock_then_unlock(dialog: QDialog) -> None:
        window.lock_desk()
        cover = window.desk_lock.interactive
        seen.append(cover.parentWidget())
        assert window.findChildren(LockCover), "the main window is covered too"
        cover.password.setText(ADMIN_PASSWORD)
        cover.unlock_button.click()
        assert dialog.isVisible(), "the dialog stays open behind the lock"
        dialog.reject()

    from exodesk.ui.dialogs.backups import DrillDialog

    when_dialog_opens(DrillDialog, lock_then_unlock)
    window.menus.drill()
    assert seen and isinstance(seen[0], DrillDialog)


def test_someone_else_switches_in_and_the_first_persons_form_is_dropped(
    qtbot, window: MainWindow, people: Services
) -> None:
    window.patients_tab.new_patient()
    patient_form_name(window).setText("Ada's half-typed patient")
    window.lock_desk()

    def sign_in_as_rita(dialog: QDialog) -> None:
        choose(dialog, "Rita Reception")
        dialog.password.setText(RECEPTION_PASSWORD)
        dialog.sign_in()

    when_dialog_opens(SignInDialog, sign_in_as_rita)
    window.desk_lock.interactive.switch_button.click()
    assert not window.desk_lock.locked
    assert people.desk.user.name == "Rita Reception"
    assert "Rita Reception" in window.desk_label.text()


def test_the_idle_limit_is_a_clinic_setting(qtbot, window: MainWindow, clock) -> None:
    from dataclasses import replace

    services = window._services
    saved = services.clinic.save_settings(
        replace(services.clinic.settings(), name="Clinica", idle_lock_minutes=2)
    )
    assert saved.ok
    window.data_changed.emit(saved.changes)
    clock.advance(minutes=2)
    assert window.idle.check()


# ---- what each role sees ----------------------------------------------------------------
def test_reception_sees_no_clinical_or_admin_doors(
    qtbot, window: MainWindow, people: Services
) -> None:
    people.desk.user = None
    people.accounts.sign_in(staff_id(people, "Rita Reception"), RECEPTION_PASSWORD)
    window.apply_permissions()
    hidden = {a.objectName() for a in window.actions() if not a.isVisible()}
    assert {"actionSettings", "actionStaff", "actionRecall", "actionAuditLog"} <= hidden
    assert {"actionBackupNow", "actionRestore", "actionProducts"} <= hidden
    assert not window.tabs.isTabEnabled(window.tabs.indexOf(window.sessions_tab))
    assert window.tabs.isTabEnabled(window.tabs.indexOf(window.screening_tab))
    assert "practitioner" in window.tabs.tabToolTip(window.tabs.indexOf(window.sessions_tab))


def test_an_admin_practitioner_sees_everything(window: MainWindow) -> None:
    # Everything but changing the clinic's keys, which a plain clinic does not have.
    assert all(a.isVisible() for a in window.actions() if a.objectName() != "actionRekey")
    assert not window.menus.actions["actionRekey"].isVisible()
    assert all(window.tabs.isTabEnabled(i) for i in range(window.tabs.count()))
