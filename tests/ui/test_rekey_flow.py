"""Tools → Change the clinic's keys, as an admin meets it: explained, their password, the new
recovery sheet kept first, then re-keyed and reopened; older backups asked for the old key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog, QInputDialog, QMessageBox

from exodesk.errors import StorageError
from exodesk.paths import DataPaths
from exodesk.services import encryption, rekey
from exodesk.services.backups import BackupService
from exodesk.services.demo import seat
from exodesk.services.workspace import Services
from exodesk.storage.keys import ClinicSecret, parse_recovery_secret, recovery_key_text
from exodesk.ui import rekey_flow
from exodesk.ui.dialogs.backups import VERIFIED, RestoreDialog
from exodesk.ui.dialogs.recovery_key import RecoveryKeyDialog
from exodesk.ui.dialogs.rekey import RekeyDialog
from exodesk.ui.main_window import MainWindow
from tests.conftest import ADMIN_PASSWORD, FakeClock
from tests.security.test_rekey import _clinic, _ids, _signed_in
from tests.ui.dialogs import when_dialog_opens
from tests.ui.fit import assert_fits_and_shoot


@pytest.fixture
def encrypted(tmp_path: Path) -> Iterator[tuple[Services, ClinicSecret, Path, FakeClock]]:
    """A first-generation encrypted clinic (admin, reception, practitioner), admin signed in."""
    clock = FakeClock()
    paths = DataPaths(tmp_path / "encrypted")
    secret, backup = _clinic(paths, clock, generation=1)
    clock.advance(hours=1)
    services = _signed_in(paths, secret.data, clock)
    yield services, secret, backup, clock
    services.close()


def test_offered_to_admins_of_an_encrypted_clinic_only(
    qtbot, services: Services, encrypted
) -> None:
    plain = MainWindow(services, day_first=True)
    qtbot.addWidget(plain)
    assert not plain.menus.actions["actionRekey"].isVisible()
    svc = encrypted[0]
    window = MainWindow(svc, day_first=True)
    qtbot.addWidget(window)
    assert window.menus.actions["actionRekey"].isVisible()
    seat(svc, _ids(svc.paths)["Priya Shah"])
    window.apply_permissions()
    assert not window.menus.actions["actionRekey"].isVisible()


def test_changing_the_keys_from_tools(qtbot, tmp_path: Path, encrypted) -> None:
    services, old, _backup, clock = encrypted
    window = MainWindow(services, day_first=True)
    qtbot.addWidget(window)
    window.show()
    seen: dict[str, object] = {}

    def sheet(dialog: QDialog) -> None:
        assert isinstance(dialog, RecoveryKeyDialog)
        seen["sheet"] = dialog.windowTitle()
        assert not dialog.continue_button.isEnabled(), "kept first"
        dialog.stored.setChecked(True)
        dialog.continue_button.click()

    def explain(dialog: QDialog) -> None:
        assert isinstance(dialog, RekeyDialog)
        steps = dialog.findChild(type(dialog.error), "rekeySteps").text()
        when = dialog.findChild(type(dialog.error), "rekeyWhen").text()
        seen["steps"], seen["when"] = steps, when
        # Fits the smallest reception screen (1280×720), nothing sideways.
        assert_fits_and_shoot(dialog, tmp_path / "rekey.png")
        dialog.password.setText("not my password")
        dialog.go_button.click()
        seen["error"] = dialog.error.text()
        assert dialog.isVisible()
        dialog.password.setText(ADMIN_PASSWORD)
        when_dialog_opens(RecoveryKeyDialog, sheet)
        dialog.go_button.click()

    when_dialog_opens(RekeyDialog, explain)
    window.menus.actions["actionRekey"].trigger()
    assert "not right" in str(seen["error"])
    assert "Priya Shah" in str(seen["steps"]) and "Dr Amara Okafor" in str(seen["steps"])
    assert "This clinic's records were encrypted that way" in str(seen["when"]), "told why"
    assert seen["sheet"] == "The clinic's new recovery key"
    plan = window.rekey_request
    assert plan is not None and not window.isVisible(), "the launcher takes it from here"
    # The launcher: the file closed, re-keyed on a worker, reopened with the admin signed in.
    services.close()
    said: list[str] = []

    def done(box: QDialog) -> None:
        assert isinstance(box, QMessageBox)
        said.append(box.text())
        box.accept()

    when_dialog_opens(QMessageBox, done)
    reopened = rekey_flow.change_keys_and_reopen(plan, clock=clock)
    try:
        assert reopened.key == parse_recovery_secret(plan.recovery_text).data != old.data
        assert reopened.desk.user is not None and reopened.desk.user.name == "Ada Admin"
        assert said and "Priya Shah" in said[0] and "temporary password" in said[0]
    finally:
        reopened.close()


def test_cancelling_at_the_new_sheet_changes_nothing(qtbot, encrypted) -> None:
    services, _old, _backup, _clock = encrypted
    keyring = services.paths.keyring.read_bytes()
    window = MainWindow(services, day_first=True)
    qtbot.addWidget(window)
    window.show()

    def explain(dialog: QDialog) -> None:
        assert isinstance(dialog, RekeyDialog)
        dialog.password.setText(ADMIN_PASSWORD)
        when_dialog_opens(RecoveryKeyDialog, lambda sheet: sheet.reject())
        dialog.go_button.click()

    when_dialog_opens(RekeyDialog, explain)
    window.menus.actions["actionRekey"].trigger()
    assert window.rekey_request is None and window.isVisible()
    assert services.paths.keyring.read_bytes() == keyring


def test_a_failed_rekey_reopens_with_the_old_keys_and_says_so(
    qtbot, encrypted, monkeypatch: pytest.MonkeyPatch
) -> None:
    services, old, _backup, clock = encrypted
    plan = rekey.prepare_rekey(services, ADMIN_PASSWORD)
    services.close()

    def fails(*_args, **_kwargs):
        raise StorageError("The disk is full, so the clinic's keys were not changed.")

    monkeypatch.setattr(rekey, "carry_out_rekey", fails)
    said: list[str] = []

    def error(box: QDialog) -> None:
        assert isinstance(box, QMessageBox)
        said.append(box.text())
        box.accept()

    when_dialog_opens(QMessageBox, error)
    reopened = rekey_flow.change_keys_and_reopen(plan, clock=clock)
    try:
        assert reopened.key == old.data
        assert said and "old recovery sheet keep working" in said[0]
    finally:
        reopened.close()


def test_restoring_a_backup_from_before_asks_for_the_old_recovery_key(qtbot, encrypted) -> None:
    services, old, old_backup, clock = encrypted
    result = rekey.rekey_clinic(services, ADMIN_PASSWORD)
    svc = _signed_in(services.paths, result.data_key, clock)
    try:
        dialog = RestoreDialog(None, BackupService(svc.ctx, svc.paths))
        qtbot.addWidget(dialog)
        qtbot.waitUntil(lambda: dialog.model.rowCount() == 1, timeout=10_000)
        words = dialog.model.text(dialog.model.record_at(0), VERIFIED)
        assert "opens with the old recovery key (before " in str(words)
        prompts: list[str] = []

        def type_old_key(box: QDialog) -> None:
            assert isinstance(box, QInputDialog)
            prompts.append(box.labelText())
            box.setTextValue(recovery_key_text(old))
            box.accept()

        def confirm(box: QDialog) -> None:
            assert isinstance(box, QMessageBox)
            prompts.append(box.informativeText())
            box.buttons()[0].click()

        when_dialog_opens(QInputDialog, type_old_key)
        dialog.restore_selected()
        when_dialog_opens(QMessageBox, confirm)
        qtbot.waitUntil(lambda: dialog.chosen is not None, timeout=10_000)
        assert "older recovery sheet" in prompts[0]
        assert "encrypted again with the clinic's current key" in prompts[1]
        assert dialog.backup_key == old.data and dialog.chosen == old_backup
    finally:
        svc.close()
    assert encryption.unlock(svc.paths, _ids(svc.paths)["Ada Admin"], ADMIN_PASSWORD) == (
        result.data_key
    )
