"""Start-up as the launcher runs it: first-run setup to the main window, signing in to an
existing clinic, and the demo way out."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer

from exodesk.domain.staff import StaffMember
from exodesk.paths import DataPaths
from exodesk.services import encryption
from exodesk.services.workspace import open_services
from exodesk.ui import launcher
from exodesk.ui.dialogs.first_run import FirstRunDialog
from exodesk.ui.dialogs.recovery_key import RecoveryKeyDialog
from exodesk.ui.dialogs.sign_in import SignInDialog
from exodesk.ui.main_window import MainWindow
from tests.ui.dialogs import when_dialog_opens


def test_first_run_by_keyboard_lands_on_the_main_window(qtbot, tmp_path: Path) -> None:
    paths = DataPaths(tmp_path / "clinic")

    def set_up(dialog: FirstRunDialog) -> None:
        # Keys go to the field that has focus, as a person's would (Return goes on).
        page, admin = dialog.clinic_page.details, dialog.admin_page
        qtbot.keyClicks(page.name, "Riverside Skin Clinic")
        qtbot.keyClick(page.name, Qt.Key.Key_Return)
        qtbot.keyClicks(admin.name, "Ada Admin")
        qtbot.keyClicks(admin.password, "river side 2026")
        qtbot.keyClicks(admin.confirm, "river side 2026")
        qtbot.keyClick(admin.confirm, Qt.Key.Key_Return)

    def keep_the_key(dialog: RecoveryKeyDialog) -> None:
        shown.append(dialog.key_label.text())
        qtbot.keyClick(dialog.stored, Qt.Key.Key_Space)  # ticks "I have printed it"
        dialog.continue_button.click()

    shown: list[str] = []
    seen = when_dialog_opens(FirstRunDialog, set_up)
    # The recovery key follows the setup, once the first dialog has closed.
    QTimer.singleShot(0, lambda: when_dialog_opens(RecoveryKeyDialog, keep_the_key, attempts=500))
    services = launcher._open(paths, demo=False)
    assert seen and shown and services is not None
    try:
        assert paths.data_file.exists()
        assert services.key is not None and encryption.is_encrypted(paths)
        assert b"Riverside" not in paths.data_file.read_bytes()
        assert encryption.sign_in_choices(paths) == [(services.desk.user.id, "Ada Admin")]
        assert encryption.unlock(paths, services.desk.user.id, "river side 2026") == services.key
        assert services.desk.user is not None and services.desk.user.name == "Ada Admin"
        assert services.desk.user.is_admin
        assert services.clinic.settings().name == "Riverside Skin Clinic"
        window = MainWindow(services, day_first=True)
        qtbot.addWidget(window)
        window.show()
        assert window.windowTitle().startswith("Riverside Skin Clinic")
        assert "Ada Admin" in window.desk_label.text()
    finally:
        services.close()


def test_cancelling_the_first_run_creates_nothing(qtbot, tmp_path: Path) -> None:
    paths = DataPaths(tmp_path / "clinic")
    when_dialog_opens(FirstRunDialog, lambda d: d.reject())
    assert launcher._open(paths, demo=False) is None
    assert not paths.data_file.exists()


def test_the_demo_instead_creates_nothing_here(qtbot, tmp_path: Path) -> None:
    paths = DataPaths(tmp_path / "clinic")
    when_dialog_opens(FirstRunDialog, lambda d: d.demo_button.click())
    with pytest.raises(launcher._DemoInstead):
        launcher._open(paths, demo=False)
    assert not paths.data_file.exists()


def test_an_existing_clinic_asks_for_a_password(qtbot, tmp_path: Path) -> None:
    paths = DataPaths(tmp_path / "clinic")
    when_dialog_opens(FirstRunDialog, lambda d: None)  # never shown: the file exists
    made = open_services(paths, create=True)
    assert made.accounts.first_account(
        StaffMember("Ada Admin", "practitioner"), "ada passphrase"
    ).ok
    made.close()
    services = launcher._open(paths, demo=False)
    assert services is not None
    try:
        assert services.desk.user is None, "nobody is signed in until they type a password"

        def sign_in(dialog: SignInDialog) -> None:
            dialog.password.setText("ada passphrase")
            dialog.ok_button.click()

        seen = when_dialog_opens(SignInDialog, sign_in)
        assert launcher._sign_in(services)
        assert seen and services.desk.user.name == "Ada Admin"
    finally:
        services.close()


def test_the_demo_opens_signed_in_as_its_admin_practitioner(qtbot, tmp_path: Path) -> None:
    services = launcher._open(DataPaths(tmp_path / "demo"), demo=True)
    assert services is not None
    try:
        user = services.desk.user
        assert user is not None and user.role == "practitioner" and user.is_admin
    finally:
        services.close()
