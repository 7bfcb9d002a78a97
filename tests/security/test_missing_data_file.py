"""The data file gone, its password file left behind: the start offers the newest backup or a
new clinic, instead of a new file the old password file cannot open (issue #19)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QMessageBox

from exodesk.paths import DataPaths
from exodesk.ui import launcher
from exodesk.ui.dialogs.unlock import UnlockDialog
from tests.conftest import ADMIN_PASSWORD
from tests.security.test_data_loss import _encrypted_clinic
from tests.ui.dialogs import when_dialog_opens


@pytest.fixture
def gone(tmp_path: Path) -> DataPaths:
    """An encrypted clinic with a backup, whose data file has just vanished."""
    paths = DataPaths(tmp_path / "clinic")
    _encrypted_clinic(paths)
    paths.data_file.unlink()
    assert paths.keyring.exists()
    return paths


def _click(name: str, then: list | None = None) -> None:
    def press(box: QDialog) -> None:
        assert isinstance(box, QMessageBox)
        seen.append(box.objectName())
        [button] = [b for b in box.buttons() if b.objectName() == name]
        button.click()

    seen: list[str] = then if then is not None else []
    when_dialog_opens(QMessageBox, press)


def test_the_newest_backup_is_restored_with_a_password_and_opened(qtbot, gone: DataPaths) -> None:
    boxes: list[str] = []

    def ask(box: QDialog) -> None:
        assert isinstance(box, QMessageBox) and box.objectName() == "missingDataFileBox"
        assert "password file is still there" in box.text()
        boxes.append(box.objectName())
        when_dialog_opens(UnlockDialog, type_password)
        [restore] = [b for b in box.buttons() if b.objectName() == "restoreNewestButton"]
        restore.click()

    def type_password(unlock: QDialog) -> None:
        assert isinstance(unlock, UnlockDialog)
        QTimer.singleShot(0, lambda: when_dialog_opens(QMessageBox, acknowledge))
        unlock.password_box.setText(ADMIN_PASSWORD)
        unlock.unlock()

    def acknowledge(box: QDialog) -> None:
        boxes.append(box.objectName())
        assert isinstance(box, QMessageBox)
        box.accept()

    when_dialog_opens(QMessageBox, ask)
    services = launcher._open(gone, demo=False)
    assert services is not None
    try:
        assert boxes == ["missingDataFileBox", "restoredBox"]
        assert services.desk.user is not None and services.desk.user.name == "Ada Admin"
        assert [p.family_name for p in services.patients.search("smith").rows] == ["Smith"]
    finally:
        services.close()


def test_a_new_clinic_moves_the_old_password_file_aside_first(
    qtbot, gone: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_up: list[bool] = []

    def first_run(paths: DataPaths) -> None:
        set_up.append(not paths.keyring.exists())

    monkeypatch.setattr(launcher, "_set_up", first_run)
    _click("newClinicButton")
    assert launcher._open(gone, demo=False) is None
    assert set_up == [True], "the first run starts with no password file in the way"
    moved = [n for n in os.listdir(gone.folder) if n.startswith("exodesk.keys.before-new-clinic")]
    assert len(moved) == 1
    assert sorted(p.suffix for p in gone.backups.glob("exodesk-*")) == [".json", ".sqlite3"]


def test_closing_changes_nothing(qtbot, gone: DataPaths) -> None:
    listing = sorted(os.listdir(gone.folder))
    _click("declineRestoreButton")
    assert launcher._open(gone, demo=False) is None
    assert sorted(os.listdir(gone.folder)) == listing
