"""A bad day for the files: a damaged page, a read-only folder, an edited password file, the
plain-text sidecar of an encrypted backup (issue #19)."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from exodesk import cli
from exodesk.app import main
from exodesk.domain.patient import Patient
from exodesk.domain.staff import StaffMember
from exodesk.errors import StorageError
from exodesk.paths import DataPaths
from exodesk.services.workspace import open_services
from exodesk.storage import database, keys
from exodesk.storage.keys import KdfParams, Keyring, new_data_key
from tests.conftest import FakeClock
from tests.storage.test_file_faults import FLIPS, _leaf_page, _mounted, _page_size, _run, _sha


@pytest.fixture
def clinic(tmp_path: Path) -> DataPaths:
    from datetime import date, timedelta

    paths = DataPaths(tmp_path / "clinic")
    svc = open_services(paths, create=True, clock=FakeClock())
    try:
        svc.clinic.add_first_staff(StaffMember("Ada Admin", "practitioner", is_admin=True))
        with svc.ctx.write():
            for i in range(150):
                svc.patients.create(
                    Patient(f"Family{i}", "Zoë", date(1950, 1, 1) + timedelta(days=101 * i))
                )
    finally:
        svc.close()
    return paths


def test_check_on_a_damaged_page_lists_the_fault_and_exits_1(clinic: DataPaths) -> None:
    raw = bytearray(clinic.data_file.read_bytes())
    page = _leaf_page(bytes(raw), "patients", clinic.data_file)
    raw[(page - 1) * _page_size(bytes(raw)) + FLIPS["page type"]] ^= 0xFF
    clinic.data_file.write_bytes(bytes(raw))
    before = _sha(clinic.data_file)
    out = io.StringIO()
    assert cli.cmd_check(clinic, out=out) == 1
    text = out.getvalue()
    assert "fault" in text and "damaged" in text and "Restore the newest backup" in text
    assert _sha(clinic.data_file) == before
    assert main(["check", "--data-dir", str(clinic.folder)]) == 1


def _read_only_folder(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_access = os.access

    def access(path: os.PathLike[str] | str, mode: int, **kwargs: object) -> bool:
        if Path(path) == folder and mode & os.W_OK:
            return False
        return real_access(path, mode, **kwargs)

    monkeypatch.setattr(database.os, "access", access)


@pytest.mark.parametrize("command", ["info", "check"])
def test_info_and_check_read_a_clinic_in_a_read_only_folder_simulated(
    clinic: DataPaths, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    _read_only_folder(clinic.folder, monkeypatch)
    listing = sorted(os.listdir(clinic.folder))
    out = io.StringIO()
    run = cli.cmd_info if command == "info" else cli.cmd_check
    assert run(clinic, out=out) == 0, out.getvalue()
    assert ("patients:" in out.getvalue()) if command == "info" else "no faults" in out.getvalue()
    assert sorted(os.listdir(clinic.folder)) == listing


@pytest.mark.skipif(os.name == "nt", reason="a POSIX read-only bind mount")
def test_info_and_check_read_a_clinic_on_a_read_only_mount(clinic: DataPaths) -> None:
    folder = clinic.folder
    before, listing = _sha(clinic.data_file), sorted(os.listdir(folder))
    with _mounted("--bind", str(folder), at=folder):
        if not _run("mount", "-o", "remount,bind,ro", str(folder)):
            pytest.skip("cannot remount read-only here")
        for run in (cli.cmd_info, cli.cmd_check):
            out = io.StringIO()
            assert run(clinic, out=out) == 0, out.getvalue()
        assert sorted(os.listdir(folder)) == listing
    assert _sha(clinic.data_file) == before


# ---- the password file ------------------------------------------------------------------------
TINY = KdfParams(time_cost=1, memory_cost=8, parallelism=1)


@pytest.mark.parametrize(
    "edit",
    [
        {"memory_cost": 2**40},
        {"memory_cost": 2**31},
        {"time_cost": 10**9},
        {"parallelism": 10**6},
        {"memory_cost": 0},
    ],
)
def test_an_edited_cost_in_a_key_slot_is_a_damaged_file_not_a_crash(
    tmp_path: Path, edit: dict[str, int]
) -> None:
    path = tmp_path / "exodesk.keys"
    ring = Keyring(path, kdf=TINY)
    ring.add_or_replace_slot(1, "Ada Admin", "ada's secret", new_data_key())
    ring.save()
    data = json.loads(path.read_text())
    data["slots"]["1"]["kdf"].update(edit)
    path.write_text(json.dumps(data))
    with pytest.raises(StorageError, match="damaged") as info:
        Keyring.load(path, kdf=TINY).unlock(1, "ada's secret")
    assert "recovery key" in info.value.advice


def test_a_pc_short_of_memory_gets_a_sentence_not_an_argon2_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from argon2.exceptions import HashingError

    path = tmp_path / "exodesk.keys"
    ring = Keyring(path, kdf=TINY)
    ring.add_or_replace_slot(1, "Ada Admin", "ada's secret", new_data_key())
    ring.save()

    def out_of_memory(*args: object, **kwargs: object) -> bytes:
        raise HashingError("Memory allocation error")

    monkeypatch.setattr(keys, "hash_secret_raw", out_of_memory)
    with pytest.raises(StorageError, match="memory") as info:
        Keyring.load(path, kdf=TINY).unlock(1, "ada's secret")
    assert "Close other programs" in info.value.advice


# ---- sidecars --------------------------------------------------------------------------------
def test_the_sidecar_of_an_encrypted_backup_does_not_say_where_the_clinic_lives(
    tmp_path: Path,
) -> None:
    from exodesk.services.backups import BackupService
    from exodesk.storage.backup_files import sidecar_of
    from tests.conftest import ADMIN_PASSWORD

    paths = DataPaths(tmp_path / "Dr Okafor's clinic")
    plain_paths = DataPaths(tmp_path / "plain clinic")
    for where, key in ((paths, new_data_key()), (plain_paths, None)):
        svc = open_services(where, create=True, clock=FakeClock(), key=key)
        try:
            admin = StaffMember("Ada Admin", "practitioner", is_admin=True)
            assert svc.accounts.first_account(admin, ADMIN_PASSWORD).ok
            record = BackupService(svc.ctx, svc.paths).backup_now()
        finally:
            svc.close()
        text = sidecar_of(record.path).read_text(encoding="utf-8")
        if key is not None:
            assert str(where.folder) not in text and "Okafor" not in text
            assert json.loads(text)["source"] is None
        else:
            # A plain backup holds everything in the clear anyway; its sidecar may say where.
            assert json.loads(text)["source"] == str(where.data_file)
