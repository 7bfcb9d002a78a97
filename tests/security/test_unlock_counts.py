"""Wrong passwords at the unlock prompt are counted with the slot: a restart does not reset the
wait after five (issue #19, access)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from exodesk.errors import UserError
from exodesk.paths import DataPaths
from exodesk.services import encryption
from exodesk.ui.dialogs.unlock import UnlockDialog
from tests.conftest import ADMIN_PASSWORD, FakeClock
from tests.security.test_data_loss import _encrypted_clinic


@pytest.fixture
def clinic(tmp_path: Path) -> DataPaths:
    paths = DataPaths(tmp_path / "clinic")
    _encrypted_clinic(paths)
    return paths


def _admin_id(paths: DataPaths) -> int:
    [(staff_id, _name)] = encryption.sign_in_choices(paths)
    return int(staff_id)


def test_five_wrong_passwords_make_the_person_wait_even_after_a_restart(
    qtbot, clinic: DataPaths
) -> None:
    clock = FakeClock()
    first = UnlockDialog(None, clinic, clock=clock)
    qtbot.addWidget(first)
    for n in range(5):
        first.password_box.setText(f"wrong guess {n}")
        first.unlock()
    first.close()
    # ExoDesk is closed and opened again: a new prompt, the same wait.
    again = UnlockDialog(None, clinic, clock=clock)
    qtbot.addWidget(again)
    again.password_box.setText(ADMIN_PASSWORD)
    again.unlock()
    assert "wait 5 minutes" in again.error.text() and again.key is None
    clock.advance(minutes=5)
    again.password_box.setText(ADMIN_PASSWORD)
    again.unlock()
    assert again.key is not None
    # Signed in: the run is over and forgotten.
    assert "failed" not in json.loads(clinic.keyring.read_text())


def test_the_count_is_kept_in_the_password_file_not_in_memory(clinic: DataPaths) -> None:
    clock = FakeClock()
    staff_id = _admin_id(clinic)
    for n in range(5):
        with pytest.raises(encryption.WrongPassword):
            encryption.unlock(clinic, staff_id, f"wrong {n}", now=clock())
    stored = json.loads(clinic.keyring.read_text())["failed"][str(staff_id)]
    assert stored["count"] == 5
    with pytest.raises(UserError, match="wait 4 minutes"):
        encryption.unlock(clinic, staff_id, ADMIN_PASSWORD, now=clock() + timedelta(minutes=1))
    assert encryption.unlock(clinic, staff_id, ADMIN_PASSWORD, now=clock() + timedelta(minutes=6))


def test_damaged_counts_start_over_and_never_lock_anyone_out(clinic: DataPaths) -> None:
    data = json.loads(clinic.keyring.read_text())
    data["failed"] = {"1": {"count": "many", "last": "yesterday"}}
    clinic.keyring.write_text(json.dumps(data))
    assert encryption.unlock(clinic, _admin_id(clinic), ADMIN_PASSWORD)
