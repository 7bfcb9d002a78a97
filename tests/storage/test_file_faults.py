"""File faults at start-up and while saving: each said plainly, the data file left untouched.

Complements ``test_database.py`` (not a database, another program's file, a corrupt file,
read-only connection, busy, disk full by ``max_page_count``) and ``test_migrations.py`` (a file
from a newer ExoDesk) with: a truncated file, a flipped byte that quick_check finds, a
read-only folder and file, a really full disk, a network drive, and the launcher's offer to
restore a backup. Real faults use mounts and ``chattr`` where this machine allows them (CI
runs as root) and are skipped otherwise; each also has a simulated twin that always runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path, PureWindowsPath

import pytest

from exodesk.domain.patient import Patient
from exodesk.domain.staff import StaffMember
from exodesk.errors import StorageError
from exodesk.paths import DataPaths
from exodesk.services.demo import seat
from exodesk.services.workspace import DataFileDamaged, Services, open_services
from exodesk.storage import database, engine
from exodesk.storage.database import (
    NETWORK_WARNING,
    DiskFull,
    linux_network_filesystem,
    open_database,
    quick_check,
    windows_network_drive,
)
from exodesk.storage.lock import lock_path_for
from tests.answers import answered

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX mounts and attributes")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _make_clinic(paths: DataPaths, clock, *, patients: int = 120) -> None:
    """A closed data file with staff, patients and screenings (several pages per table)."""
    svc = open_services(paths, create=True, clock=clock)
    try:
        assert svc.clinic.add_first_staff(
            StaffMember("Ada Admin", "practitioner", is_admin=True)
        ).ok
        with svc.ctx.write():
            for i in range(patients):
                saved = svc.patients.create(
                    Patient(f"Family{i}", "Zoë", date(1940, 1, 1) + timedelta(days=97 * i % 25_000))
                )
                if i % 3 == 0:
                    svc.screening.save(saved.record.id, answered({"anticoagulants": bool(i % 2)}))
    finally:
        svc.close()
    # Closed cleanly: the WAL is folded in, the data file alone holds everything.
    assert not Path(f"{paths.data_file}-wal").exists()


@pytest.fixture
def clinic(data_paths: DataPaths, clock) -> DataPaths:
    _make_clinic(data_paths, clock)
    return data_paths


def _run(*args: str) -> bool:
    if shutil.which(args[0]) is None:
        return False
    return subprocess.run(list(args), capture_output=True).returncode == 0


@contextlib.contextmanager
def _mounted(*args: str, at: Path) -> Iterator[None]:
    if sys.platform == "win32" or not _run("mount", *args, str(at)):
        pytest.skip("cannot mount here (needs root or CAP_SYS_ADMIN); the simulated test runs")
    try:
        yield
    finally:
        if not _run("umount", str(at)):
            _run("umount", "-l", str(at))


# ---- damaged files -----------------------------------------------------------------------
def test_a_truncated_file_is_refused_untouched(clinic: DataPaths) -> None:
    raw = clinic.data_file.read_bytes()
    clinic.data_file.write_bytes(raw[: len(raw) // 2])
    before = _sha(clinic.data_file)
    with pytest.raises(DataFileDamaged, match="The data file is damaged") as info:
        open_services(clinic, lock=True)
    assert "Restore the newest backup" in info.value.advice
    assert _sha(clinic.data_file) == before
    assert lock_path_for(clinic.data_file).read_bytes() == b""  # the lock was given back


def _page_size(raw: bytes) -> int:
    size = int.from_bytes(raw[16:18], "big")
    return 65536 if size == 1 else size


def _leaf_page(raw: bytes, table: str, path: Path) -> int:
    """The leftmost leaf page of ``table``'s b-tree, found by reading the pages themselves."""
    conn = sqlite3.connect(path)
    try:
        page = conn.execute("SELECT rootpage FROM sqlite_master WHERE name=?", [table]).fetchone()
    finally:
        conn.close()
    number, size = page[0], _page_size(raw)
    while True:
        start = (number - 1) * size + (100 if number == 1 else 0)
        kind = raw[start]
        if kind == 0x0D:  # table leaf
            return number
        assert kind == 0x05, f"page {number} is not a table b-tree page"
        first_cell = int.from_bytes(raw[start + 12 : start + 14], "big")
        cell = (number - 1) * size + first_cell
        number = int.from_bytes(raw[cell : cell + 4], "big")  # its left child


# Offsets into a b-tree leaf page's header: what a single flipped byte breaks there.
FLIPS = {
    "first cell pointer": 8,  # quick_check answers with fault rows, it does not raise
    "number of cells": 4,
    "page type": 0,  # SQLite raises "database disk image is malformed"
}


@pytest.mark.parametrize("offset", FLIPS.values(), ids=FLIPS.keys())
def test_a_flipped_byte_in_a_page_is_caught_before_anyone_types(
    clinic: DataPaths, offset: int
) -> None:
    raw = bytearray(clinic.data_file.read_bytes())
    page = _leaf_page(bytes(raw), "patients", clinic.data_file)
    raw[(page - 1) * _page_size(bytes(raw)) + offset] ^= 0xFF
    clinic.data_file.write_bytes(bytes(raw))
    before = _sha(clinic.data_file)
    with pytest.raises(DataFileDamaged, match="The data file is damaged") as info:
        open_services(clinic, lock=True)
    assert "Restore the newest backup" in info.value.advice
    assert _sha(clinic.data_file) == before


def test_quick_check_rows_other_than_ok_count_as_damage(clinic: DataPaths) -> None:
    """The reason for checking for exactly ["ok"]: a damaged page need not raise."""
    raw = bytearray(clinic.data_file.read_bytes())
    page = _leaf_page(bytes(raw), "patients", clinic.data_file)
    raw[(page - 1) * _page_size(bytes(raw)) + FLIPS["first cell pointer"]] ^= 0xFF
    clinic.data_file.write_bytes(bytes(raw))
    conn = sqlite3.connect(clinic.data_file)
    rows = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]  # no exception
    conn.close()
    assert rows != ["ok"] and rows
    db = open_database(clinic.data_file)  # opening alone notices nothing
    try:
        with pytest.raises(DataFileDamaged):
            quick_check(db, clinic.data_file)
    finally:
        db.close()


@pytest.mark.slow
def test_quick_check_on_ten_thousand_patients_is_quick(data_paths: DataPaths, clock) -> None:
    """Real records through the services, then copied in SQL up to 10,000 patients (the
    services take ~3 ms a patient with their audit entries; the check only sees pages)."""
    _make_clinic(data_paths, clock, patients=300)
    db = open_database(data_paths.data_file)
    try:
        columns = [
            r[1] for r in db.execute("PRAGMA table_info(patients)").fetchall() if r[1] != "id"
        ]
        names = ", ".join(columns)
        copied = ", ".join(
            f"{c} || ' ' || n" if c in ("family_name", "search_names") else c for c in columns
        )
        with db.atomic():
            db.execute(
                f"""INSERT INTO patients ({names})
                WITH RECURSIVE n(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM n WHERE n < 33)
                SELECT {copied} FROM patients, n"""
            )
            db.execute("DELETE FROM patients WHERE id > 10000")
            db.execute(
                "UPDATE patients SET notes = printf('%.*c', 400 + id % 800, 'n') WHERE id > 300"
            )
        assert db.execute("SELECT count(*) FROM patients").fetchone()[0] == 10_000
        seconds = min(quick_check(db, data_paths.data_file) for _ in range(3))
    finally:
        db.close()
    size = data_paths.data_file.stat().st_size / 1e6
    print(f"\nquick_check: {seconds * 1000:.0f} ms on 10,000 patients ({size:.1f} MB)")
    # Measured ~40-80 ms warm and ~0.4 s with a cold cache on a 29 MB file built wholly through
    # the services; a start-up check must stay unnoticed.
    assert seconds < 2.0


# ---- read-only folder and file -----------------------------------------------------------
@posix_only
def test_a_read_only_folder_is_refused_before_anything_is_written(clinic: DataPaths) -> None:
    """A read-only bind mount: what a write-protected share or stick looks like, even to root."""
    folder = clinic.folder
    before, listing = _sha(clinic.data_file), sorted(os.listdir(folder))
    with _mounted("--bind", str(folder), at=folder):
        if not _run("mount", "-o", "remount,bind,ro", str(folder)):
            pytest.skip("cannot remount read-only here")
        for lock in (True, False):
            with pytest.raises(StorageError, match=r"data folder .* is read-only") as info:
                open_services(clinic, lock=lock)
            assert "write-protected" in info.value.advice
            assert sorted(os.listdir(folder)) == listing  # no -wal, -shm or lock file
    assert _sha(clinic.data_file) == before


def test_a_read_only_folder_simulated(clinic: DataPaths, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where nothing can be mounted: os.access says what a read-only folder would."""
    real_access = os.access
    folder = clinic.folder

    def access(path: os.PathLike[str] | str, mode: int, **kwargs: object) -> bool:
        if Path(path) == folder and mode & os.W_OK:
            return False
        return real_access(path, mode, **kwargs)

    monkeypatch.setattr(database.os, "access", access)
    before, listing = _sha(clinic.data_file), sorted(os.listdir(folder))
    with pytest.raises(StorageError, match=r"data folder .* is read-only"):
        open_services(clinic, lock=True)
    assert sorted(os.listdir(folder)) == listing
    assert _sha(clinic.data_file) == before


@posix_only
def test_a_write_protected_file_is_refused_at_start_not_at_the_first_save(
    clinic: DataPaths,
) -> None:
    """chattr +i stops even root (chmod does not), like a read-only file for a normal user."""
    before = _sha(clinic.data_file)
    if not _run("chattr", "+i", str(clinic.data_file)):
        pytest.skip("chattr +i is not possible here")
    try:
        with pytest.raises(StorageError, match=r"data file .* is read-only") as info:
            open_services(clinic, lock=True)
        assert "write-protected" in info.value.advice
        # Reading is still possible, e.g. for a backup or `exodesk check`.
        db = open_database(clinic.data_file, read_only=True)
        assert db.execute("SELECT count(*) FROM patients").fetchone()[0] == 120
        db.close()
    finally:
        _run("chattr", "-i", str(clinic.data_file))
    assert _sha(clinic.data_file) == before


# ---- a full disk -------------------------------------------------------------------------
@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs: a disk that really fills up."""
    disk = tmp_path / "disk"
    disk.mkdir()
    with _mounted("-t", "tmpfs", "-o", "size=2m", "tmpfs", at=disk):
        yield disk


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == 28  # ENOSPC
    finally:
        os.close(fd)
    return filler


@posix_only
def test_a_really_full_disk_loses_nothing_and_recovers(tiny_disk: Path, clock) -> None:
    paths = DataPaths(tiny_disk / "clinic")
    svc = open_services(paths, create=True, clock=clock, lock=True)
    try:
        assert svc.clinic.add_first_staff(
            StaffMember("Ada Admin", "practitioner", is_admin=True)
        ).ok
        born = svc.ctx.today().replace(year=1970)
        assert svc.patients.create(Patient("Kept", "Karen", born)).ok
        filler = _fill(tiny_disk)
        with pytest.raises(DiskFull, match="The disk is full, so nothing was saved") as info:
            for i in range(50):
                svc.patients.create(Patient(f"Full{i}", "Fred", born, notes="n" * 5000))
        assert "Free some space" in info.value.advice
        assert "Kept" in [p.family_name for p in svc.patients.search("").rows]
        assert svc.check() == []
        filler.unlink()
        assert svc.patients.create(Patient("After", "Anna", born)).ok
        assert svc.check() == []
    finally:
        svc.close()


@posix_only
def test_starting_on_a_full_disk_says_so_and_changes_nothing(tiny_disk: Path, clock) -> None:
    paths = DataPaths(tiny_disk / "clinic")
    svc = open_services(paths, create=True, clock=clock)
    assert svc.clinic.add_first_staff(StaffMember("Ada Admin", "practitioner", is_admin=True)).ok
    svc.close()
    before = _sha(paths.data_file)
    _fill(tiny_disk)
    with pytest.raises(DiskFull, match="disk holding the data file is full") as info:
        open_services(paths, clock=clock, lock=True)
    assert "Free some space" in info.value.advice
    assert _sha(paths.data_file) == before


def test_statistics_are_skipped_not_fatal_on_a_full_disk() -> None:
    """ANALYZE only speeds searches up: on a full disk the clinic may still read its records."""
    from exodesk.services.workspace import refresh_statistics

    class Failing:
        def __init__(self, message: str) -> None:
            self.message = message

        def execute(self, _sql: str) -> None:
            raise engine.sqlite3.OperationalError(self.message)

    refresh_statistics(Failing("database or disk is full"))  # type: ignore[arg-type]
    with pytest.raises(StorageError, match="disk reported an error"):
        refresh_statistics(Failing("disk I/O error"))  # type: ignore[arg-type]


# ---- network drives ----------------------------------------------------------------------
MOUNTS = """\
/dev/sda1 / ext4 rw,relatime 0 0
//nas/clinic {root}/share cifs rw,vers=3.0 0 0
nas:/export {root}/nfs nfs4 rw 0 0
user@host:/srv {root}/ssh fuse.sshfs rw 0 0
data {root}/vm 9p rw 0 0
/dev/sdb1 {root}/share/local ext4 rw 0 0
//nas/with\\040space {root}/with\\040space smb3 rw 0 0
"""


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("share/exodesk.sqlite3", "cifs"),
        ("nfs/deep/er/exodesk.sqlite3", "nfs4"),
        ("ssh/exodesk.sqlite3", "fuse.sshfs"),
        ("vm/exodesk.sqlite3", "9p"),
        ("with space/exodesk.sqlite3", "smb3"),
        ("share/local/exodesk.sqlite3", None),  # a local disk mounted inside the share
        ("elsewhere/exodesk.sqlite3", None),
        ("nfsnot/exodesk.sqlite3", None),  # a prefix of a name is not a parent folder
    ],
)
def test_network_filesystems_are_told_from_a_mounts_file(
    tmp_path: Path, where: str, expected: str | None
) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text(MOUNTS.format(root=tmp_path), encoding="utf-8")
    assert linux_network_filesystem(tmp_path / where, mounts) == expected


def test_no_mounts_file_means_no_warning(tmp_path: Path) -> None:
    assert linux_network_filesystem(tmp_path / "x.sqlite3", tmp_path / "missing") is None


@pytest.mark.parametrize(
    ("path", "remote_drives", "expected"),
    [
        (r"\\server\share\ExoDesk\exodesk.sqlite3", "", "UNC path"),
        (r"\\?\UNC\server\share\exodesk.sqlite3", "", "UNC path"),
        ("//server/share/exodesk.sqlite3", "", "UNC path"),
        (r"Z:\ExoDesk\exodesk.sqlite3", "Z", "mapped network drive"),
        (r"\\?\Z:\ExoDesk\exodesk.sqlite3", "Z", "mapped network drive"),
        (r"C:\Users\reception\AppData\Local\ExoDesk\exodesk.sqlite3", "Z", None),
        (r"\\?\C:\ExoDesk\exodesk.sqlite3", "Z", None),
    ],
)
def test_windows_network_paths(path: str, remote_drives: str, expected: str | None) -> None:
    asked: list[str] = []

    def drive_type(root: str) -> int:
        asked.append(root)
        return 4 if PureWindowsPath(root).drive.rstrip(":") in remote_drives else 3

    assert windows_network_drive(path, drive_type) == expected
    assert all(root.endswith(":\\") for root in asked)


def test_open_services_warns_about_a_network_drive(
    data_paths: DataPaths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock
) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text(f"//nas/clinic {data_paths.folder} cifs rw 0 0\n", encoding="utf-8")
    local = open_services(data_paths, create=True, clock=clock)
    local.close()
    assert local.warnings == []
    monkeypatch.setattr(database, "PROC_MOUNTS", mounts)
    shared = open_services(data_paths, clock=clock)
    shared.close()
    assert shared.warnings == [NETWORK_WARNING]
    assert NETWORK_WARNING.startswith("This data file is on a network drive.")


def test_the_launcher_shows_each_warning_once(services: Services, qapp) -> None:
    from PySide6.QtWidgets import QMessageBox

    from exodesk.ui import launcher
    from tests.ui.dialogs import when_dialog_opens

    services.warnings.append(NETWORK_WARNING)
    seen = when_dialog_opens(QMessageBox, lambda box: box.accept())
    launcher.show_warnings(services)
    assert [box.text() for box in seen] == [NETWORK_WARNING]
    assert seen[0].objectName() == "startupWarningBox"


# ---- the launcher's way out of a damaged file --------------------------------------------
def _damage(paths: DataPaths) -> None:
    raw = bytearray(paths.data_file.read_bytes())
    page = _leaf_page(bytes(raw), "patients", paths.data_file)
    raw[(page - 1) * _page_size(bytes(raw)) + FLIPS["page type"]] ^= 0xFF
    paths.data_file.write_bytes(bytes(raw))


def _answer_boxes(answer, *, count: int) -> list[tuple[str, str, str]]:
    """Answer the next ``count`` message boxes as they open; returns (name, text, informative)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    seen: list[tuple[str, str, str]] = []
    answered: list[QMessageBox] = []

    def poll(remaining: int = 300) -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.isVisible() and box not in answered:
            answered.append(box)
            seen.append((box.objectName(), box.text(), box.informativeText()))
            answer(box)
        if remaining and len(seen) < count:
            QTimer.singleShot(10, lambda: poll(remaining - 1))

    QTimer.singleShot(0, poll)
    return seen


def _restore_or_ok(box) -> None:
    restore = [b for b in box.buttons() if b.text() == "Restore this backup"]
    if restore:
        restore[0].click()
    else:
        box.accept()


def _open_and_recover(clinic: DataPaths) -> Services | int:
    """What the launcher does with a damaged file: it opens (the start-up check runs in the
    background), the check finds the damage, sign-in is refused, the newest backup offered."""
    from exodesk.ui import launcher

    opened = launcher._open_or_explain(clinic, demo=False)
    if isinstance(opened, int):
        return opened
    assert opened.startup_check is not None and opened.startup_check.wait(30)
    recovered = launcher.restore_after_check(clinic, opened, demo=False)
    assert recovered is not None, "the damage was not found"
    if isinstance(recovered, Services) and recovered.startup_check is not None:
        recovered.startup_check.wait(30)
    return recovered


def test_the_launcher_offers_the_newest_good_backup_and_restores_it(
    clinic: DataPaths, clock, qapp
) -> None:
    backups = pytest.importorskip("exodesk.services.backups")

    svc = open_services(clinic, clock=clock)
    try:
        seat(svc, svc.clinic.staff()[0].id)
        backups.BackupService(svc.ctx, clinic).backup_now()
    finally:
        svc.close()
    _damage(clinic)
    seen = _answer_boxes(_restore_or_ok, count=2)
    opened = _open_and_recover(clinic)
    assert isinstance(opened, Services), (opened, seen)
    try:
        seat(opened, opened.clinic.staff()[0].id)
        assert len(opened.patients.search("").rows) > 0
        assert opened.lock is not None and opened.lock.held
    finally:
        opened.close()
    (name, text, informative), (_, told, _) = seen
    assert name == "damagedFileBox"
    assert text.startswith("The data file is damaged")
    assert "Restore the newest good backup, from" in informative
    assert told.startswith("Restored the backup of")
    # The damaged file was kept aside for whoever tries to rescue it.
    assert any("damaged" in p.name for p in clinic.backups.iterdir())


def test_without_a_backup_the_launcher_says_where_backups_would_be(clinic: DataPaths, qapp) -> None:
    from PySide6.QtWidgets import QMessageBox

    from tests.ui.dialogs import when_dialog_opens

    _damage(clinic)
    before = _sha(clinic.data_file)
    seen = when_dialog_opens(QMessageBox, lambda box: box.accept())
    assert _open_and_recover(clinic) == 2
    assert seen[0].objectName() == "damagedFileBox"
    assert str(clinic.backups) in seen[0].informativeText()
    assert _sha(clinic.data_file) == before


def test_without_a_good_backup_the_launcher_names_the_backups_folder(
    clinic: DataPaths, qapp
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from tests.ui.dialogs import when_dialog_opens

    for backup in clinic.backups.glob("*") if clinic.backups.exists() else []:
        backup.unlink()
    _damage(clinic)
    seen = when_dialog_opens(QMessageBox, lambda box: box.accept())
    assert _open_and_recover(clinic) == 2
    text = seen[0].informativeText()
    assert text.startswith("There is no good backup in") and str(clinic.backups) in text
