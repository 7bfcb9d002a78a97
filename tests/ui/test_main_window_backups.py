"""The main window's backups: once a day while open, at close, and the Tools menu (back up now,
restore, drill), with the launcher restoring the chosen backup and opening the result."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog, QMessageBox

from exodesk.domain.patient import Patient
from exodesk.services.backups import list_backups
from exodesk.services.workspace import Services
from exodesk.storage.audit import AuditRepository
from exodesk.ui import launcher
from exodesk.ui import menus as menus_module
from exodesk.ui.dialogs.backups import BackupNowDialog, DrillDialog
from exodesk.ui.main_window import MainWindow
from tests.conftest import FakeClock
from tests.ui.dialogs import when_dialog_opens


@pytest.fixture
def window(qtbot, services: Services) -> MainWindow:
    services.patients.create(Patient("Okafor", "Amara", date(1980, 5, 1)))
    win = MainWindow(services, day_first=True, automatic_backups=True)
    qtbot.addWidget(win)
    return win


def backup_reasons(services: Services) -> list[str]:
    return sorted(r.reason for r in list_backups(services.paths.backups, check=False))


def test_the_tools_menu_has_the_backup_actions(window: MainWindow) -> None:
    tools = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Tools")
    names = [a.objectName() for a in tools.actions() if not a.isSeparator()]
    assert names == [
        "actionBackupNow",
        "actionRestore",
        "actionDrill",
        "actionEncrypt",
        "actionRekey",
    ]
    assert window.findChild(type(tools.actions()[0]), "actionBackupNow").shortcut().toString()


def test_a_daily_backup_once_the_window_is_open_and_one_at_close(
    qtbot, window: MainWindow, services: Services, clock: FakeClock
) -> None:
    window.show()
    assert window._backup_timer.isActive(), "checks hourly while open"
    assert window.run_due_backup()
    qtbot.waitUntil(lambda: backup_reasons(services) == ["daily"], timeout=10_000)
    qtbot.waitUntil(lambda: AuditRepository(services.ctx.db).latest(1)[0].action == "backup")
    assert not window.run_due_backup(), "one a day"
    clock.advance(hours=3)
    services.patients.create(Patient("Whitaker", "Ben", date(1979, 1, 2)))
    window.close()
    # Rotation keeps one copy a day (the newest), so the close backup replaces the daily one.
    assert backup_reasons(services) == ["close"]
    counts = list_backups(services.paths.backups)[0].counts
    assert counts["patients"] == 2
    assert not window._backup_timer.isActive()


def test_nothing_changed_since_the_last_backup_means_no_close_backup(
    qtbot, window: MainWindow, services: Services
) -> None:
    window.show()
    window.backups.backup_now()
    window.close()
    assert backup_reasons(services) == ["manual"]


def test_windows_without_automatic_backups_write_none(qtbot, services: Services) -> None:
    services.patients.create(Patient("Okafor", "Amara", date(1980, 5, 1)))
    win = MainWindow(services, day_first=True)
    qtbot.addWidget(win)
    win.show()
    win.close()
    assert not services.paths.backups.exists() or backup_reasons(services) == []


def test_back_up_now_and_drill_open_from_the_menu(qtbot, window: MainWindow) -> None:
    seen = when_dialog_opens(BackupNowDialog, lambda d: d.reject())
    window.findChild(type(window.actions()[0]), "actionBackupNow").trigger()
    assert seen
    seen = when_dialog_opens(DrillDialog, lambda d: d.reject())
    window.findChild(type(window.actions()[0]), "actionDrill").trigger()
    assert seen


def test_choosing_a_backup_closes_the_window_for_the_launcher(
    qtbot, window: MainWindow, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = window.backups.backup_now()

    class ChoosingDialog:
        def __init__(self, *_args) -> None:
            self.chosen = record.path
            self.backup_key = None

        def exec(self) -> QDialog.DialogCode:
            return QDialog.DialogCode.Accepted

    monkeypatch.setattr(menus_module, "RestoreDialog", ChoosingDialog)
    window.show()
    window.menus.restore_backup()
    assert window.restore_request == record.path
    assert not window.isVisible()
    assert backup_reasons(services) == ["manual"], "no close backup before a restore"


def test_the_launcher_restores_and_reopens(
    qtbot, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.patients.create(Patient("Okafor", "Amara", date(1980, 5, 1)))
    backups = MainWindow(services, day_first=True).backups
    record = backups.backup_now()
    services.patients.create(Patient("Whitaker", "Ben", date(1979, 1, 2)))
    paths = services.paths
    services.close()
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: said.append(box.text()) or 0)
    reopened = launcher._restore_and_reopen(paths, record.path, actor="Ada Admin", demo=False)
    assert isinstance(reopened, Services)
    try:
        reopened.desk.user = reopened.clinic.staff()[0]  # seated without a sign-in entry
        names = [p.family_name for p in reopened.patients.search("").rows]
        assert names == ["Okafor"], "the patient saved after the backup is gone"
        assert said and "restored" in said[0].lower()
        entry = AuditRepository(reopened.ctx.db).latest(1)[0]
        assert entry.action == "restore" and entry.actor_name == "Ada Admin"
        aside = [p.name for p in Path(paths.backups).glob("before-restore-*.sqlite3")]
        assert len(aside) == 1, "the replaced file is kept so the restore can be undone"
    finally:
        reopened.close()
