"""Encryption as a person meets it: unlocking at start (wrong passwords counted and audited),
the recovery key when every password is lost, and converting a plain clinic once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QInputDialog, QMessageBox

from exodesk.domain.patient import Patient
from exodesk.domain.staff import StaffMember
from exodesk.paths import DataPaths
from exodesk.services import encryption
from exodesk.services.workspace import Services, open_services
from exodesk.storage.audit import AuditRepository
from exodesk.ui import encryption_flow
from exodesk.ui.dialogs.recovery_key import RecoveryKeyDialog
from exodesk.ui.dialogs.unlock import UnlockDialog
from tests.conftest import FakeClock
from tests.ui.dialogs import when_dialog_opens

ADA_PASSWORD = "ada's long passphrase"
CANARY = "Quennell Zyzzyva"


@pytest.fixture
def encrypted(tmp_path: Path) -> tuple[DataPaths, str]:
    """An encrypted clinic with one admin (slot and account) and the canary patient."""
    paths = DataPaths(tmp_path / "clinic")
    data_key, recovery = encryption.new_clinic_key()
    services = open_services(paths, create=True, key=data_key)
    try:
        made = services.accounts.first_account(
            StaffMember("Ada Admin", "practitioner"), ADA_PASSWORD
        )
        assert made.ok
        services.patients.create(Patient("Zyzzyva", "Quennell", date(1980, 5, 1)))
    finally:
        services.close()
    return paths, recovery


def keep_key(dialog: QDialog) -> None:
    assert isinstance(dialog, RecoveryKeyDialog)
    dialog.stored.setChecked(True)
    dialog.continue_button.click()


def test_the_first_account_got_its_key_copy_automatically(encrypted) -> None:
    paths, _ = encrypted
    assert [name for _, name in encryption.sign_in_choices(paths)] == ["Ada Admin"]


def test_unlock_counts_wrong_passwords_then_opens_and_audits_them(
    qtbot, encrypted, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths, _ = encrypted
    clock = FakeClock()
    dialog = UnlockDialog(None, paths, clock=clock)
    qtbot.addWidget(dialog)
    for _ in range(5):
        dialog.password_box.setText("not it at all")
        dialog.unlock()
    assert "does not open" in dialog.error.text()
    dialog.password_box.setText(ADA_PASSWORD)
    dialog.unlock()
    assert "wait 5 minutes" in dialog.error.text(), "five wrong in a row: a wait, even if right"
    clock.advance(minutes=5)
    dialog.password_box.setText(ADA_PASSWORD)
    dialog.unlock()
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.key is not None
    assert len(dialog.failures) == 5

    # The launcher's path: the same dialog, then the file opens and the failures are audited.
    def type_it(unlock: QDialog) -> None:
        unlock.password_box.setText(ADA_PASSWORD)
        unlock.unlock()

    when_dialog_opens(UnlockDialog, type_it)
    services = encryption_flow.unlock_and_open(paths)
    assert services is not None
    try:
        assert services.desk.user is not None and services.desk.user.name == "Ada Admin"
        assert services.patients.search("Zyzzyva").rows
    finally:
        services.close()


def test_wrong_unlock_attempts_reach_the_audit_trail(qtbot, encrypted) -> None:
    paths, _ = encrypted

    def wrong_then_right(unlock: QDialog) -> None:
        unlock.password_box.setText("wrong guess number 1")
        unlock.unlock()
        unlock.password_box.setText(ADA_PASSWORD)
        unlock.unlock()

    when_dialog_opens(UnlockDialog, wrong_then_right)
    services = encryption_flow.unlock_and_open(paths)
    assert services is not None
    try:
        actions = [e.action for e in AuditRepository(services.ctx.db).latest(3)]
        assert actions[:2] == ["sign_in", "sign_in_failed"]
    finally:
        services.close()


def test_the_recovery_key_opens_and_gives_an_admin_a_new_password(
    qtbot, encrypted, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths, recovery = encrypted
    answers = iter(["Set a new password…"])

    def choose_button(box: QMessageBox) -> None:
        wanted = next(answers)
        next(b for b in box.buttons() if b.text() == wanted).click()

    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(lambda *a, **k: ("Ada Admin", True)))
    typed = iter(["a brand new phrase", "a brand new phrase"])
    monkeypatch.setattr(encryption_flow, "ask_password", lambda *_a: next(typed))

    def use_recovery(unlock: QDialog) -> None:
        assert isinstance(unlock, UnlockDialog)
        unlock._ask_recovery_key = lambda _parent: recovery.lower().replace("-", " ")
        QTimer.singleShot(0, lambda: when_dialog_opens(QMessageBox, choose_button))
        unlock.recovery_button.click()

    when_dialog_opens(UnlockDialog, use_recovery)
    services = encryption_flow.unlock_and_open(paths)
    assert services is not None
    try:
        assert services.desk.user is not None and services.desk.user.name == "Ada Admin"
        entry = AuditRepository(services.ctx.db).latest(2)[1]
        assert entry.action == "password_reset" and "recovery key" in entry.summary
    finally:
        services.close()
    ada = encryption.sign_in_choices(paths)[0][0]
    assert encryption.unlock(paths, ada, "a brand new phrase"), "the new password opens it"


def test_restore_access_needs_this_files_recovery_key(encrypted) -> None:
    paths, recovery = encrypted
    key = encryption.unlock_with_recovery_key(paths, recovery)
    services = open_services(paths, key=key)
    try:
        ada = services.clinic.staff()[0]
        _other_key, other_recovery = encryption.new_clinic_key()
        with pytest.raises(Exception, match="recovery key"):
            services.accounts.restore_access(
                int(ada.id), "a brand new phrase", recovery_key=other_recovery
            )
        assert services.accounts.restore_access(
            int(ada.id), "a brand new phrase", recovery_key=recovery
        ).ok
    finally:
        services.close()


def test_converting_a_plain_clinic_once(qtbot, services: Services, monkeypatch) -> None:
    from tests.conftest import ADMIN_PASSWORD

    services.patients.create(Patient("Zyzzyva", "Quennell", date(1980, 5, 1)))
    paths = services.paths
    monkeypatch.setattr(encryption_flow, "ask_password", lambda *_a: ADMIN_PASSWORD)
    said: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "information", staticmethod(lambda _p, _t, text: said.append(text))
    )
    when_dialog_opens(RecoveryKeyDialog, keep_key)
    reopened = encryption_flow.offer_encryption(services, ask=False)
    try:
        assert reopened is not services and reopened.key is not None
        assert encryption.is_encrypted(paths)
        assert reopened.desk.user is not None and reopened.desk.user.name == "Ada Admin"
        assert reopened.patients.search("Zyzzyva").rows
        assert said and "encrypted" in said[0]
        assert encryption.unencrypted_backups(paths), "the plain copy made first is named"
    finally:
        reopened.close()
    raw = paths.data_file.read_bytes()
    assert b"Zyzzyva" not in raw and b"Quennell" not in raw


def test_a_slow_conversion_shows_progress_on_a_worker_and_stop_keeps_the_file_plain(
    qtbot, services: Services, monkeypatch
) -> None:
    """The conversion runs off the UI thread: the progress dialog paints and its Stop works."""
    import threading
    import time

    from PySide6.QtWidgets import QApplication, QProgressDialog, QPushButton

    from exodesk.errors import UserError

    services.patients.create(Patient("Zyzzyva", "Quennell", date(1980, 5, 1)))
    data_paths = services.paths
    services.close()  # as offer_encryption does before converting
    before = data_paths.data_file.read_bytes()
    threads: list[str] = []
    real = encryption.encrypt_clinic

    def slow(paths, key, *, progress):
        threads.append(threading.current_thread().name)
        for step in range(100):
            progress(step / 100)
            time.sleep(0.05)
        return real(paths, key, progress=progress)

    monkeypatch.setattr(encryption, "encrypt_clinic", slow)
    shown: list[QProgressDialog] = []

    def stop_when_shown() -> None:
        for widget in QApplication.topLevelWidgets():
            if widget.objectName() == "encryptProgress" and widget.isVisible():
                shown.append(widget)
                widget.findChild(QPushButton, "encryptProgressStop").click()
                return
        QTimer.singleShot(20, stop_when_shown)

    QTimer.singleShot(0, stop_when_shown)
    data_key, _recovery = encryption.new_clinic_key()
    with pytest.raises(UserError, match="Encryption stopped"):
        encryption_flow._convert(data_paths, data_key)
    assert shown, "the progress dialog appeared"
    assert threads and threads[0] != threading.main_thread().name, "converted on a worker"
    assert not encryption.is_encrypted(data_paths)
    assert data_paths.data_file.read_bytes() == before
