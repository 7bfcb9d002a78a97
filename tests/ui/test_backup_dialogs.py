"""The backup dialogs driven like a person would: choose a folder, back up, restore, test."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget

from exodesk.domain.patient import Patient
from exodesk.services.backups import BackupRecord, BackupService
from exodesk.services.workspace import Services
from exodesk.storage.audit import AuditRepository
from exodesk.storage.backup_files import sidecar_of
from exodesk.ui.dialogs import backups as dialogs
from exodesk.ui.dialogs.backups import (
    VERIFIED,
    BackupNowDialog,
    BackupTableModel,
    DrillDialog,
    RestoreDialog,
    backup_before_closing,
    run_due_backup,
)
from tests.conftest import FakeClock
from tests.ui.dialogs import when_dialog_opens
from tests.ui.test_patients_tab import unnamed_widgets


@pytest.fixture
def backups(services: Services) -> BackupService:
    services.patients.create(Patient("Okafor", "Amara", date(1980, 5, 1)))
    return BackupService(services.ctx, services.paths)


@pytest.fixture
def parent(qtbot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


def click(qtbot, button) -> None:
    assert button.isEnabled(), button.objectName()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


# ---- back up now -------------------------------------------------------------------------
def test_backup_now_to_a_chosen_folder(
    qtbot, backups: BackupService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(stick))
    dialog = BackupNowDialog(None, backups)
    qtbot.addWidget(dialog)
    dialog.show()
    assert unnamed_widgets(dialog) == []
    assert dialog.folder_edit.text() == str(backups.paths.backups)
    click(qtbot, dialog.choose_button)
    assert dialog.folder_edit.text() == str(stick)
    with qtbot.waitSignal(dialog.backup_made, timeout=10_000) as made:
        click(qtbot, dialog.backup_button)
    record: BackupRecord = made.args[0]
    assert record.path.parent == stick and record.verified
    assert sidecar_of(record.path).exists()
    assert dialog.result_label.text().startswith("Backup saved and verified: ")
    assert "1 patients" in dialog.result_label.text()
    assert dialog.backup_button.isEnabled() and dialog.close_button.isEnabled()
    assert dialog.task is not None and dialog.task.dialog is None, "fast: no progress dialog"
    entry = AuditRepository(backups._ctx.db).latest(1)[0]
    assert (entry.action, entry.actor_name) == ("backup", "Ada Admin")


def test_backup_now_to_a_missing_folder_says_so(
    qtbot, backups: BackupService, tmp_path: Path
) -> None:
    dialog = BackupNowDialog(None, backups)
    qtbot.addWidget(dialog)
    dialog.set_folder(tmp_path / "pulled-out")
    dialog.start()
    qtbot.waitUntil(lambda: "does not exist" in dialog.result_label.text(), timeout=10_000)
    assert dialog.result_label.styleSheet() != ""
    assert dialog.record is None
    assert not (tmp_path / "pulled-out").exists()


def slow_backup(seconds: float) -> Callable[..., BackupRecord]:
    """Stands in for backup_data_file: reports progress for ``seconds``, then backs up."""
    real = dialogs.backup_data_file

    def work(data_file, folder, *, progress, **kwargs) -> BackupRecord:
        steps = 20
        for step in range(steps):
            progress(step, steps)
            time.sleep(seconds / steps)
        return real(data_file, folder, progress=progress, **kwargs)

    return work


def test_a_slow_backup_shows_progress_and_can_be_stopped(
    qtbot, backups: BackupService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dialogs, "backup_data_file", slow_backup(3.0))
    dialog = BackupNowDialog(None, backups)
    qtbot.addWidget(dialog)
    dialog.show()
    started = time.perf_counter()
    dialog.start()
    assert not dialog.close_button.isEnabled()
    dialog.reject()
    assert dialog.isVisible(), "cannot be closed while the copy is written"
    qtbot.waitUntil(lambda: dialog.task.dialog is not None, timeout=5_000)
    assert time.perf_counter() - started >= 0.45, "not before half a second"
    progress = dialog.task.dialog
    assert progress.isVisible() and progress.objectName() == "backupProgress"
    stop = progress.findChild(QWidget, "backupProgressStop")
    click(qtbot, stop)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)
    assert "stopped" in dialog.result_label.text()
    assert dialog.task.dialog is None
    assert list(backups.paths.backups.glob("*")) == []


# ---- restore -----------------------------------------------------------------------------
@pytest.fixture
def three_backups(backups: BackupService, clock: FakeClock) -> dict[str, BackupRecord]:
    good = backups.backup_now()
    clock.advance(hours=1)
    tampered = backups.backup_now()
    data = bytearray(tampered.path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    tampered.path.write_bytes(bytes(data))
    clock.advance(hours=1)
    bare = backups.backup_now()
    sidecar_of(bare.path).unlink()
    return {"good": good, "tampered": tampered, "bare": bare}


def open_restore(qtbot, backups: BackupService) -> RestoreDialog:
    dialog = RestoreDialog(None, backups)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.model.rowCount() > 0, timeout=10_000)
    return dialog


def test_restore_list_shows_verified_flags(
    qtbot, backups: BackupService, three_backups: dict[str, BackupRecord]
) -> None:
    dialog = open_restore(qtbot, backups)
    assert unnamed_widgets(dialog) == []
    model = dialog.model
    shown = {model.record_at(row).path: model.index(row, VERIFIED).data() for row in range(3)}
    assert shown[three_backups["good"].path] == "✓ Verified"
    assert shown[three_backups["tampered"].path].startswith("✗ Not verified: the file has changed")
    assert shown[three_backups["bare"].path].startswith("✗ Not verified: there is no record")
    assert model.record_at(0).path == three_backups["bare"].path, "newest first"
    assert model.index(0, 3).data() == "—", "no sidecar: no counts to show"
    good_row = next(r for r in range(3) if model.record_at(r).path == three_backups["good"].path)
    assert model.index(good_row, 3).data() == "1"
    assert "2 not verified" in dialog.status.text()


def test_restore_asks_then_returns_the_chosen_file(
    qtbot, backups: BackupService, three_backups: dict[str, BackupRecord]
) -> None:
    dialog = open_restore(qtbot, backups)
    row = next(r for r in range(3) if dialog.model.record_at(r).path == three_backups["good"].path)
    dialog.table.selectRow(row)
    texts: list[str] = []

    def agree(box: QMessageBox) -> None:
        texts.append(box.text() + "\n" + box.informativeText())
        click(qtbot, box.findChild(QWidget, "restoreConfirmYes"))

    seen = when_dialog_opens(QMessageBox, agree)
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        click(qtbot, dialog.restore_button)
    assert seen
    assert dialog.chosen == three_backups["good"].path
    assert "1 patients" in texts[0] and "before-restore" in texts[0]
    assert "can be undone" in texts[0]


def test_restore_says_no_to_a_tampered_backup(
    qtbot, backups: BackupService, three_backups: dict[str, BackupRecord]
) -> None:
    dialog = open_restore(qtbot, backups)
    row = next(
        r for r in range(3) if dialog.model.record_at(r).path == three_backups["tampered"].path
    )
    dialog.table.selectRow(row)
    click(qtbot, dialog.restore_button)
    qtbot.waitUntil(lambda: "changed since it was made" in dialog.status.text(), timeout=10_000)
    assert dialog.chosen is None and dialog.isVisible()
    assert dialog.restore_button.isEnabled()


def test_cancelling_the_confirmation_chooses_nothing(
    qtbot, backups: BackupService, three_backups: dict[str, BackupRecord]
) -> None:
    dialog = open_restore(qtbot, backups)
    row = next(r for r in range(3) if dialog.model.record_at(r).path == three_backups["good"].path)
    dialog.table.selectRow(row)
    seen = when_dialog_opens(
        QMessageBox, lambda box: click(qtbot, box.findChild(QWidget, "restoreConfirmNo"))
    )
    click(qtbot, dialog.restore_button)
    qtbot.waitUntil(lambda: bool(seen), timeout=10_000)
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None, timeout=5_000)
    assert dialog.chosen is None and dialog.isVisible()


def test_an_empty_folder_says_there_are_no_backups(qtbot, backups: BackupService) -> None:
    dialog = RestoreDialog(None, backups)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=10_000):
        pass
    assert "There are no backups" in dialog.status.text()
    assert not dialog.restore_button.isEnabled()


def test_backup_table_model_passes_the_qt_model_tester(
    qtmodeltester, backups: BackupService, three_backups: dict[str, BackupRecord]
) -> None:
    model = BackupTableModel()
    model.set_rows(backups.list_backups())
    qtmodeltester.check(model, force_py=True)


# ---- drill -------------------------------------------------------------------------------
def test_drill_dialog_reports_clean_then_tampered(qtbot, backups: BackupService) -> None:
    record = backups.backup_now()
    dialog = DrillDialog(None, backups.paths.backups)
    qtbot.addWidget(dialog)
    dialog.show()
    assert unnamed_widgets(dialog) == []
    qtbot.waitUntil(lambda: dialog.drill_result is not None, timeout=10_000)
    assert "restores cleanly: 1 patients, 0 sessions." in dialog.result_label.text()
    conn = sqlite3.connect(record.path)
    conn.execute("UPDATE patients SET family_name = 'Mallory'")
    conn.commit()
    conn.close()
    with qtbot.waitSignal(dialog.finished_drill, timeout=10_000):
        click(qtbot, dialog.again_button)
    assert "does NOT restore cleanly" in dialog.result_label.text()
    assert "keep this one" in dialog.result_label.text()


def test_drill_dialog_without_backups(qtbot, backups: BackupService) -> None:
    dialog = DrillDialog(None, backups.paths.backups)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "no backup to test" in dialog.result_label.text(), timeout=10_000)


# ---- automatic backups -------------------------------------------------------------------
def test_the_daily_backup_runs_once_in_the_background(
    qtbot, parent: QWidget, backups: BackupService
) -> None:
    made: list[BackupRecord | None] = []
    assert run_due_backup(parent, backups, on_done=made.append)
    assert not run_due_backup(parent, backups), "one at a time"
    qtbot.waitUntil(lambda: bool(made), timeout=10_000)
    assert made[0] is not None and made[0].reason == "daily"
    assert not run_due_backup(parent, backups), "already made today"
    assert AuditRepository(backups._ctx.db).latest(1)[0].action == "backup"


def test_backup_before_closing_only_when_something_changed(
    qtbot, parent: QWidget, backups: BackupService, services: Services
) -> None:
    first = backup_before_closing(parent, backups)
    assert first is not None and first.reason == "close"
    meta = json.loads(sidecar_of(first.path).read_text())
    assert meta["row_counts"]["patients"] == 1
    assert backup_before_closing(parent, backups) is None
    services.patients.create(Patient("Whitaker", "Ben", date(1979, 1, 2)))
    second = backup_before_closing(parent, backups)
    assert second is not None and second.counts["patients"] == 2
