"""A clinic kept under one Windows login moves, once, into the machine-wide folder (#20).

Real folders and real data files; the Windows-only choice of folders is in tests/test_paths.py
and the start-up wiring in tests/test_one_clinic_per_pc.py.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from exodesk.paths import DataPaths
from exodesk.services import encryption as enc
from exodesk.services.data_folder import MOVED_NOTE, NOT_MOVED_NOTE, move_login_clinic
from exodesk.services.workspace import open_services
from exodesk.storage.backup_files import read_record
from exodesk.storage.keys import KdfParams
from exodesk.storage.lock import AlreadyOpenError, acquire_lock
from tests.conftest import ADMIN_PASSWORD, FakeClock

TINY = KdfParams(time_cost=1, memory_cost=8, parallelism=1)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _staff(paths: DataPaths, clock: FakeClock, key: bytes | None = None) -> list[str]:
    svc = open_services(paths, clock=clock, key=key)
    try:
        return [m.name for m in svc.clinic.staff(include_inactive=True)]
    finally:
        svc.close()


@pytest.fixture
def login_clinic(services, data_paths: DataPaths) -> DataPaths:  # type: ignore[no-untyped-def]
    """A clinic with its admin, closed, in a folder playing %LOCALAPPDATA%\\ExoDesk."""
    services.close()
    return data_paths


def test_a_login_clinic_moves_once_with_a_backup_first_and_a_sentence(
    login_clinic: DataPaths, tmp_path: Path, clock: FakeClock
) -> None:
    old, new = login_clinic, DataPaths(tmp_path / "ProgramData" / "ExoDesk")
    before = _sha(old.data_file)
    moved = move_login_clinic(old, new, now=clock())
    assert moved is not None and moved.moved
    assert _sha(new.data_file) == before
    assert _staff(new, clock) == ["Ada Admin"]
    assert not old.data_file.exists() and not old.keyring.exists()
    # The backup was made first, in the old folder, and is a verified ExoDesk backup.
    assert moved.backup is not None and moved.backup.parent == old.backups
    assert moved.backup.name.endswith("-moving.sqlite3")
    assert read_record(moved.backup).path == moved.backup
    assert (new.backups / moved.backup.name).exists(), "the backups came along too"
    assert str(new.folder) in moved.message and str(old.folder) in moved.message
    assert "backup" in moved.message
    assert (old.folder / MOVED_NOTE).read_text(encoding="utf-8").strip() == moved.message
    assert not list(new.folder.glob("*.moving")), "no temporary copy left behind"
    # Once: the next start finds nothing to move.
    assert move_login_clinic(old, new, now=clock()) is None


def test_never_over_a_clinic_already_in_the_machine_folder(
    login_clinic: DataPaths, tmp_path: Path, clock: FakeClock
) -> None:
    old, new = login_clinic, DataPaths(tmp_path / "ProgramData" / "ExoDesk")
    new.folder.mkdir(parents=True)
    shutil.copy2(old.data_file, new.data_file)  # this PC's clinic, already shared
    old_sha, new_sha = _sha(old.data_file), _sha(new.data_file)
    said = move_login_clinic(old, new, now=clock())
    assert said is not None and not said.moved and said.backup is None
    assert "nothing was moved" in said.message and str(old.folder) in said.message
    assert _sha(old.data_file) == old_sha and _sha(new.data_file) == new_sha
    assert not old.backups.exists() or not list(old.backups.glob("*-moving*"))
    assert (old.folder / NOT_MOVED_NOTE).exists()
    assert move_login_clinic(old, new, now=clock()) is None, "said once, not at every start"


def test_an_open_login_clinic_is_not_moved(
    login_clinic: DataPaths, tmp_path: Path, clock: FakeClock
) -> None:
    old, new = login_clinic, DataPaths(tmp_path / "machine")
    lock = acquire_lock(old.data_file)
    try:
        with pytest.raises(AlreadyOpenError):
            move_login_clinic(old, new, now=clock())
    finally:
        lock.release()
    assert old.data_file.exists() and not new.data_file.exists()


def test_a_copy_that_fails_half_way_leaves_the_login_clinic_and_no_half_clinic(
    login_clinic: DataPaths, tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = login_clinic, DataPaths(tmp_path / "machine")
    before, had_keys = _sha(old.data_file), old.keyring.exists()
    real_copy = shutil.copy2

    def disk_full(src, dst, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(dst).endswith(".moving"):
            raise OSError(28, "No space left on device")
        return real_copy(src, dst, *args, **kwargs)

    monkeypatch.setattr(shutil, "copy2", disk_full)
    with pytest.raises(OSError, match="No space"):
        move_login_clinic(old, new, now=clock())
    assert _sha(old.data_file) == before and old.keyring.exists() == had_keys
    assert not new.data_file.exists()
    assert not (new.folder / "backups").exists(), "what was copied is removed again"
    monkeypatch.undo()
    assert move_login_clinic(old, new, now=clock()) is not None, "and it can try again later"
    assert _staff(new, clock) == ["Ada Admin"]


def test_an_encrypted_login_clinic_moves_with_its_password_slots(
    login_clinic: DataPaths, tmp_path: Path, clock: FakeClock
) -> None:
    old, new = login_clinic, DataPaths(tmp_path / "machine")
    data_key, _recovery = enc.new_clinic_key()
    enc.set_password(old, 1, "Ada Admin", ADMIN_PASSWORD, data_key, kdf=TINY)
    enc.encrypt_clinic(old, data_key)
    moved = move_login_clinic(old, new, now=clock())
    assert moved is not None and moved.moved and moved.backup is not None
    assert moved.backup.exists() and moved.backup.with_suffix(".keys").exists()
    assert not old.keyring.exists() and new.keyring.exists()
    key = enc.unlock(new, 1, ADMIN_PASSWORD, kdf=TINY)
    assert _staff(new, clock, key) == ["Ada Admin"]
