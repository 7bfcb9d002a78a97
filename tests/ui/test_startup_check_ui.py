"""What the window shows of the start-up check running beside it (issue #9)."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtWidgets import QDialog, QMessageBox

from exodesk.paths import DataPaths
from exodesk.services import startup_check
from exodesk.services.backups import BackupService
from exodesk.services.workspace import DataFileDamaged, open_services
from exodesk.ui import launcher
from exodesk.ui.dialogs.sign_in import SignInDialog
from exodesk.ui.main_window import MainWindow
from exodesk.ui.startup_check import PASSED_MESSAGE, RUNNING_MESSAGE
from tests.services.test_startup_check import damage_screenings
from tests.storage.test_file_faults import _make_clinic
from tests.ui.dialogs import when_dialog_opens


@pytest.fixture
def clinic(data_paths: DataPaths, clock) -> DataPaths:
    _make_clinic(data_paths, clock)
    return data_paths


def test_the_status_bar_says_the_file_is_being_checked_then_checked(
    qtbot, clinic: DataPaths, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    real = startup_check.quick_check
    monkeypatch.setattr(
        startup_check, "quick_check", lambda db, path=None: (release.wait(30), real(db, path))[1]
    )
    svc = open_services(clinic, clock=clock, background_check=True)
    try:
        svc.desk.user = svc.clinic.staff()[0]
        window = MainWindow(svc, day_first=True)
        qtbot.addWidget(window)
        window.show()
        assert window.patients_tab.model.rowCount() > 0  # the list is there before the check
        assert window.statusBar().currentMessage() == RUNNING_MESSAGE
        release.set()
        qtbot.waitUntil(lambda: window.statusBar().currentMessage() == PASSED_MESSAGE)
        window.close()
    finally:
        svc.close()


def test_damage_found_after_the_window_opened_offers_the_newest_backup(
    qtbot, clinic: DataPaths, clock
) -> None:
    svc = open_services(clinic, clock=clock)
    try:
        svc.desk.user = svc.clinic.staff()[0]
        good = BackupService(svc.ctx, clinic).backup_now()
    finally:
        svc.close()
    damage_screenings(clinic)
    svc = open_services(clinic, clock=clock, background_check=True)
    try:
        svc.desk.user = svc.clinic.staff()[0]
        boxes: list[tuple[str, str]] = []

        def restore(box: QDialog) -> None:
            assert isinstance(box, QMessageBox)
            boxes.append((box.objectName(), box.informativeText()))
            [button] = [b for b in box.buttons() if b.objectName() == "restoreNewestButton"]
            button.click()

        when_dialog_opens(QMessageBox, restore, attempts=3000)
        window = MainWindow(svc, day_first=True)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.restore_request is not None, timeout=30_000)
        assert window.restore_request == good.path
        assert not window.isVisible()  # closed: the launcher restores and reopens
        [(name, text)] = boxes
        assert name == "damagedFileBox"
        assert "nothing more will be saved" in text and good.path.name in text
    finally:
        svc.close()


def test_keep_reading_leaves_the_window_open_and_saves_refused(
    qtbot, clinic: DataPaths, clock
) -> None:
    damage_screenings(clinic)
    svc = open_services(clinic, clock=clock, background_check=True)
    try:
        svc.desk.user = svc.clinic.staff()[0]
        seen = when_dialog_opens(QMessageBox, lambda box: box.accept(), attempts=3000)
        window = MainWindow(svc, day_first=True)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: bool(seen), timeout=30_000)
        # No backup yet: the box says where backups would be and the window stays open.
        assert seen[0].objectName() == "damagedFileBox"
        assert str(clinic.backups) in seen[0].informativeText()
        assert window.isVisible() and window.restore_request is None
        assert "damaged" in window.statusBar().currentMessage()
        window.close()
    finally:
        svc.close()


def test_signing_in_to_a_damaged_file_hands_over_to_the_restore_offer(
    qtbot, clinic: DataPaths, clock
) -> None:
    damage_screenings(clinic)
    svc = open_services(clinic, clock=clock, background_check=True)
    try:
        assert svc.startup_check is not None and svc.startup_check.wait(30)
        member = svc.clinic.staff()[0]
        dialog = SignInDialog(None, svc.accounts, [member], clinic_name="Test")
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.keyClicks(dialog.password, "any password at all")
        if dialog.new_password.isVisible():  # nobody has a password yet: typed twice
            qtbot.keyClicks(dialog.new_password, "any password at all")
        dialog.sign_in()
        assert dialog.result() == QDialog.DialogCode.Rejected
        assert isinstance(launcher._damage_found(svc), DataFileDamaged)
    finally:
        svc.close()
