"""A data file emptied or hollowed out is damaged, never a new clinic, and never costs the good
backups (issue #19, data loss)."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest

from exodesk import cli
from exodesk.app import main
from exodesk.domain.patient import Patient
from exodesk.domain.staff import StaffMember
from exodesk.paths import DataPaths
from exodesk.services.backups import BackupService
from exodesk.services.workspace import open_services
from exodesk.storage.backup_files import list_backups, prune_backups, sidecar_of
from exodesk.storage.database import DataFileDamaged
from exodesk.storage.restore import verify_backup
from exodesk.ui.startup_check import newest_good_backup
from tests.conftest import FakeClock

PATIENTS = 30


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def clinic(tmp_path: Path) -> DataPaths:
    """A clinic of 30 patients with one good backup (made yesterday)."""
    paths = DataPaths(tmp_path / "clinic")
    clock = FakeClock()
    clock.advance(days=-1)
    svc = open_services(paths, create=True, clock=clock)
    try:
        svc.clinic.add_first_staff(StaffMember("Ada Admin", "practitioner", is_admin=True))
        with svc.ctx.write():
            for i in range(PATIENTS):
                svc.patients.create(Patient(f"Family{i}", "Zoë", date(1960, 1, 1) + timedelta(i)))
        BackupService(svc.ctx, paths).backup_now(reason="daily")
    finally:
        svc.close()
    return paths


def _empty_the_file(paths: DataPaths) -> None:
    paths.data_file.write_bytes(b"")  # `: > exodesk.sqlite3`


def _hollow_the_staff_list(paths: DataPaths) -> None:
    conn = sqlite3.connect(paths.data_file)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("DELETE FROM staff")
    conn.commit()
    conn.close()


def _an_empty_database(paths: DataPaths) -> None:
    paths.data_file.unlink()
    conn = sqlite3.connect(paths.data_file)
    conn.execute("PRAGMA journal_mode = WAL")  # writes the header: a valid, empty database
    conn.close()
    assert paths.data_file.stat().st_size > 0


def _listing(folder: Path) -> list[str]:
    """What is in the data folder, the logs and the advisory lock's file aside."""
    return sorted(n for n in os.listdir(folder) if not n.endswith((".log", ".lock")))


DAMAGE = {
    "zero-length": (_empty_the_file, "empty (0 bytes)"),
    "an empty database": (_an_empty_database, "holds no ExoDesk records"),
    "no staff": (_hollow_the_staff_list, "lost its staff list"),
}


@pytest.mark.parametrize("kind", DAMAGE)
def test_a_hollow_data_file_is_refused_untouched_and_the_good_backup_survives(
    clinic: DataPaths, kind: str
) -> None:
    damage, words = DAMAGE[kind]
    damage(clinic)
    before = _sha(clinic.data_file)
    listing = _listing(clinic.folder)
    backups_before = sorted(p.name for p in clinic.backups.iterdir())
    # The app's start, and each admin command, refuse it; nothing is migrated or written.
    with pytest.raises(DataFileDamaged, match=words.replace("(", r"\(").replace(")", r"\)")):
        open_services(clinic, lock=True)
    assert main(["info", "--data-dir", str(clinic.folder)]) == 2
    assert main(["backup", "--data-dir", str(clinic.folder)]) == 2
    out = io.StringIO()
    assert cli.cmd_check(clinic, out=out) == 1 and words.split(" (")[0] in out.getvalue()
    assert _sha(clinic.data_file) == before
    assert _listing(clinic.folder) == listing
    assert sorted(p.name for p in clinic.backups.iterdir()) == backups_before
    # What the launcher offers: the good backup, which restores the 30 patients.
    good = newest_good_backup(clinic.backups)
    assert good is not None and good.counts["patients"] == PATIENTS


def test_a_file_fresh_from_init_with_no_staff_yet_still_opens(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path / "new")
    assert main(["init", "--data-dir", str(paths.folder)]) == 0
    svc = open_services(paths, lock=True)
    try:
        assert svc.clinic.staff() == []
    finally:
        svc.close()


def test_a_backup_of_a_hollow_file_is_not_one_to_restore(clinic: DataPaths, tmp_path: Path) -> None:
    hollow = tmp_path / "hollow.sqlite3"
    shutil.copy(clinic.data_file, hollow)
    conn = sqlite3.connect(hollow)
    conn.execute("DELETE FROM staff")
    conn.commit()
    conn.close()
    with pytest.raises(DataFileDamaged, match="lost its staff list"):
        verify_backup(hollow)


# ---- rotation never trades records for fewer --------------------------------------------------
def test_rotation_keeps_a_fuller_backup_and_the_smaller_one_says_so(
    clinic: DataPaths,
) -> None:
    [good] = list_backups(clinic.backups, check=False)
    # Someone empties most of the clinic (here: a test's SQL) and backups carry on daily.
    conn = sqlite3.connect(clinic.data_file)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    conn.execute("DELETE FROM patients WHERE id > 2")
    conn.execute("DELETE FROM audit_log WHERE id > 3")
    conn.commit()
    conn.close()
    clock = FakeClock()
    svc = open_services(clinic, clock=clock)
    try:
        svc.desk.user = svc.clinic.staff()[0]
        backups = BackupService(svc.ctx, clinic)
        made = []
        for _ in range(12):
            clock.advance(days=1)
            made.append(backups.backup_now(reason="daily"))
            backups.rotate(clock())
    finally:
        svc.close()
    assert "fewer records than the backup before it" in made[0].sentence()
    assert "both are kept" in made[0].sentence()
    names = {p.name for p in clinic.backups.glob("*.sqlite3")}
    assert good.path.name in names, "the fuller backup survives every rotation"
    assert sidecar_of(good.path).exists()


def test_rotation_in_a_growing_clinic_deletes_old_copies_as_before(tmp_path: Path) -> None:
    """Protection only where records went down: a normal clinic still rotates."""
    paths = DataPaths(tmp_path / "grow")
    clock = FakeClock()
    svc = open_services(paths, create=True, clock=clock)
    try:
        svc.clinic.add_first_staff(StaffMember("Ada Admin", "practitioner", is_admin=True))
        backups = BackupService(svc.ctx, paths)
        start = clock()
        for day in range(20):
            svc.patients.create(Patient(f"Grow{day}", "Ann", date(1970, 1, 1)))
            from exodesk.storage.backup_files import backup_data_file

            backup_data_file(
                paths.data_file,
                paths.backups,
                reason="daily",
                now=start + timedelta(days=day),
                create_folder=True,
            )
        removed = prune_backups(paths.backups, start + timedelta(days=20))
    finally:
        svc.close()
    assert len(removed) > 0
    assert backups is not None


# ---- keys and restores ------------------------------------------------------------------------
def _encrypted_clinic(paths: DataPaths) -> tuple[bytes, Path]:
    """An encrypted clinic with one patient and one backup; (data key, backup)."""
    from exodesk.services import encryption
    from tests.conftest import ADMIN_PASSWORD

    data_key, _recovery = encryption.new_clinic_key()
    svc = open_services(paths, create=True, key=data_key, clock=FakeClock())
    try:
        admin = svc.accounts.first_account(
            StaffMember("Ada Admin", "practitioner", is_admin=True), ADMIN_PASSWORD
        ).record
        assert admin is not None  # its slot, with the admin key, was made by first_account
        svc.patients.create(Patient("Smith", "Olivia", date(1985, 4, 3)))
        backup = BackupService(svc.ctx, paths).backup_now()
    finally:
        svc.close()
    return data_key, backup.path


def test_restoring_over_a_sound_file_of_another_key_does_not_call_it_damaged(
    tmp_path: Path,
) -> None:
    from exodesk.services.backups import restore_file

    paths = DataPaths(tmp_path / "clinic")
    old_key, old_backup = _encrypted_clinic(paths)
    # The data file went missing, and a new clinic (another key) was set up in its place.
    paths.data_file.unlink()
    paths.keyring.unlink()
    _encrypted_clinic(DataPaths(tmp_path / "elsewhere"))
    shutil.copy(tmp_path / "elsewhere" / "exodesk.sqlite3", paths.data_file)
    result = restore_file(paths, old_backup, key=old_key)
    assert result.saved_aside is not None and "damaged" not in result.saved_aside.name
    assert "not a damaged one" in result.message()
    assert "was damaged" not in result.message()


# ---- killed backups and restores --------------------------------------------------------------
def test_the_next_start_removes_what_a_killed_backup_or_restore_left(clinic: DataPaths) -> None:
    partial = clinic.backups / "exodesk-20261122-100000-manual.sqlite3.partial"
    journal = clinic.backups / "exodesk-20261122-100000-manual.sqlite3.partial-journal"
    running = clinic.backups / "exodesk-20261122-101000-manual.sqlite3.partial"
    staged = clinic.data_file.with_name("exodesk.sqlite3.restoring")
    for path in (partial, journal, running, staged):
        path.write_bytes(b"\0" * 4096)
    clock = FakeClock()
    an_hour_ago = (clock() - timedelta(hours=1)).timestamp()
    for path in (partial, journal):
        os.utime(path, (an_hour_ago, an_hour_ago))
    os.utime(running, (clock().timestamp(), clock().timestamp()))  # still being written
    svc = open_services(clinic, lock=True, clock=clock)
    svc.close()
    assert not partial.exists() and not journal.exists() and not staged.exists()
    assert running.exists()


def test_a_restore_killed_right_after_its_swap_is_recorded_at_the_next_start(
    clinic: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exodesk.services import backups as backups_module
    from exodesk.services.backups import restore_file
    from exodesk.storage.audit import AuditRepository
    from exodesk.storage.restore import RESTORE_PENDING

    [good] = list_backups(clinic.backups, check=False)

    class Killed(BaseException):
        pass

    def killed(*args: object, **kwargs: object) -> None:
        raise Killed  # the process dies between the swap and the audit entry

    monkeypatch.setattr(backups_module, "_audit_restore", killed)
    with pytest.raises(Killed):
        restore_file(clinic, good.path, actor_name="Ada Admin")
    assert (clinic.folder / RESTORE_PENDING).exists()
    monkeypatch.undo()
    svc = open_services(clinic, lock=True, clock=FakeClock())
    try:
        [entry] = AuditRepository(svc.ctx.db).latest(1)
        assert entry.action == "restore" and entry.actor_name == "Ada Admin"
        assert good.path.name in entry.summary and "next start" in entry.summary
    finally:
        svc.close()
    assert not (clinic.folder / RESTORE_PENDING).exists()
    # Recorded once: the next start adds nothing.
    svc = open_services(clinic, lock=True, clock=FakeClock())
    try:
        assert [e.action for e in AuditRepository(svc.ctx.db).latest(2)].count("restore") == 1
    finally:
        svc.close()


def test_a_restore_killed_before_its_swap_records_nothing(
    clinic: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exodesk.services.backups import restore_file
    from exodesk.storage import restore as restore_module
    from exodesk.storage.audit import AuditRepository
    from exodesk.storage.restore import RESTORE_PENDING

    [good] = list_backups(clinic.backups, check=False)

    class Killed(BaseException):
        pass

    real_write = restore_module.write_atomically

    def write_then_die(path: Path, data: bytes) -> None:
        real_write(path, data)
        raise Killed  # the note is written, the swap never happens

    monkeypatch.setattr(restore_module, "write_atomically", write_then_die)
    monkeypatch.setattr(restore_module, "clear_restore_pending", lambda paths: None)
    with pytest.raises(Killed):
        restore_file(clinic, good.path)
    monkeypatch.undo()
    assert (clinic.folder / RESTORE_PENDING).exists()
    svc = open_services(clinic, lock=True, clock=FakeClock())
    try:
        assert "restore" not in [e.action for e in AuditRepository(svc.ctx.db).latest(3)]
    finally:
        svc.close()
    assert not (clinic.folder / RESTORE_PENDING).exists()
