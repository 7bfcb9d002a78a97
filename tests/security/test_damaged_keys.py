"""A damaged password file: the recovery key still opens the clinic on its own, and passwords
come back as people sign in (issue #19, access)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog

from exodesk.errors import StorageError
from exodesk.paths import DataPaths
from exodesk.services import encryption
from exodesk.services.workspace import open_services
from exodesk.storage.keys import recovery_key_text
from exodesk.ui.dialogs.unlock import UnlockDialog
from tests.conftest import ADMIN_PASSWORD, FakeClock
from tests.security.test_data_loss import _encrypted_clinic


def _flip_a_byte(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 3] ^= 0x5A
    path.write_bytes(bytes(raw))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:40])


@pytest.mark.parametrize("damage", [_flip_a_byte, _truncate], ids=["flipped byte", "truncated"])
def test_the_recovery_key_opens_the_clinic_whatever_became_of_the_password_file(
    qtbot, tmp_path: Path, damage
) -> None:
    paths = DataPaths(tmp_path / "clinic")
    data_key, _backup = _encrypted_clinic(paths)
    admin_id = encryption.sign_in_choices(paths)[0][0]
    damage(paths.keyring)
    with pytest.raises(StorageError, match="damaged"):
        encryption.unlock(paths, admin_id, ADMIN_PASSWORD)
    # The prompt opens, says why, and takes the recovery key.
    dialog = UnlockDialog(
        None, paths, clock=FakeClock(), ask_recovery_key=lambda parent: recovery_key_text(data_key)
    )
    qtbot.addWidget(dialog)
    assert "damaged" in dialog.error.text() and "recovery key" in dialog.error.text()
    dialog.use_recovery_key()
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.key == data_key
    assert not paths.keyring.exists()
    assert [p.name for p in paths.folder.glob("exodesk.keys.damaged-*")], "kept, renamed"
    # Opened with the recovery key, the admin signs in with their password: it opens the
    # file again from then on.
    services = open_services(paths, key=dialog.key)
    try:
        services.accounts.sign_in(admin_id, ADMIN_PASSWORD)
    finally:
        services.close()
    assert encryption.unlock(paths, admin_id, ADMIN_PASSWORD) == data_key


def test_another_clinics_recovery_key_does_not_move_a_damaged_password_file(
    tmp_path: Path,
) -> None:
    paths = DataPaths(tmp_path / "clinic")
    _encrypted_clinic(paths)
    _truncate(paths.keyring)
    with pytest.raises(encryption.WrongKey):
        encryption.unlock_with_recovery_key(paths, encryption.new_clinic_key()[1])
    assert paths.keyring.exists()
