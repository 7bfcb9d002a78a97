"""Backups, rotation, restore, drills and export on real files (and a real full disk)."""

from __future__ import annotations

import base64
import contextlib
import csv
import errno
import hashlib
import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from exodesk.domain.patient import Patient
from exodesk.errors import StorageError, UserError
from exodesk.paths import DataPaths
from exodesk.services.backups import (
    BackupService,
    BackupStopped,
    drill_backups,
    list_backups,
    restore_file,
)
from exodesk.services.workspace import Services, open_services
from exodesk.storage import backup as storage_backup
from exodesk.storage import engine
from exodesk.storage.audit import AuditRepository
from exodesk.storage.backup_files import (
    CHANGED,
    NO_RECORD,
    UNREADABLE_RECORD,
    sidecar_of,
    when_words,
)
from tests.answers import answered
from tests.conftest import FakeClock

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture
def backups(services: Services) -> BackupService:
    return BackupService(services.ctx, services.paths)


def add_patient(services: Services, family: str, given: str = "Ann", **extra: str) -> int:
    result = services.patients.create(Patient(family, given, date(1980, 5, 1), **extra))
    assert result.ok, result.problems
    return result.record.id


def family_names(paths: DataPaths) -> list[str]:
    conn = sqlite3.connect(paths.data_file)
    try:
        return [r[0] for r in conn.execute("SELECT family_name FROM patients ORDER BY id")]
    finally:
        conn.close()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def corrupt_table_root(path: Path, table: str) -> None:
    """Overwrite the b-tree page header of ``table``'s root page: integrity_check must fail."""
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", [table]).fetchone()[0]
    conn.close()
    data = bytearray(path.read_bytes())
    start = (root - 1) * page_size
    data[start : start + 12] = b"\xee" * 12
    path.write_bytes(bytes(data))


def change_in_index(path: Path, index: str, old: bytes, new: bytes) -> None:
    """Change a value inside ``index``'s root page only: the rows still read fine, but the index
    no longer matches them, which only integrity_check notices."""
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", [index]).fetchone()[0]
    conn.close()
    data = bytearray(path.read_bytes())
    start = (root - 1) * page_size
    page = bytes(data[start : start + page_size])
    assert page.count(old) == 1
    data[start : start + page_size] = page.replace(old, new)
    path.write_bytes(bytes(data))


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ---- making a backup ---------------------------------------------------------------------
def test_backup_now_is_verified_and_has_a_sidecar(
    services: Services, backups: BackupService
) -> None:
    add_patient(services, "Öztürk", "Şükrü")
    record = backups.backup_now()
    assert record.path.parent == services.paths.backups
    assert record.path.name == "exodesk-20261122-100000-manual.sqlite3"
    assert record.verified and record.problem == ""
    meta = json.loads(sidecar_of(record.path).read_text(encoding="utf-8"))
    assert meta["verified"] is True and meta["integrity_check"] == "ok"
    assert meta["reason"] == "manual" and meta["app_version"] == "0.1.0"
    assert meta["created_at"] == "2026-11-22T10:00:00+00:00"
    assert meta["size"] == record.path.stat().st_size
    assert meta["sha256"] == sha(record.path)
    assert meta["schema_version"] >= 4
    # Row counts of every table, as they were in the live file.
    live = services.ctx.db
    for table, rows in meta["row_counts"].items():
        count = live.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        # The live audit_log has one more row by now: the backup's own entry.
        assert rows == count - (1 if table == "audit_log" else 0), table
    assert meta["row_counts"]["patients"] == 1
    assert set(meta["row_counts"]) >= {"patients", "staff", "audit_log", "sessions"}
    assert not any(t.startswith(("sqlite_", "patients_fts")) for t in meta["row_counts"])
    # The copy is one self-contained file in rollback-journal mode that passes its check.
    conn = sqlite3.connect(record.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT given_names FROM patients").fetchone()[0] == "Şükrü"
    conn.close()
    assert leftovers(services.paths.backups) == sorted(
        [record.path.name, sidecar_of(record.path).name]
    )
    entry = AuditRepository(live).latest(1)[0]
    assert (entry.action, entry.actor_name) == ("backup", "Ada Admin")
    assert entry.after["sha256"] == meta["sha256"]


def test_names_sort_by_time_and_never_collide(
    services: Services, backups: BackupService, clock: FakeClock
) -> None:
    first = backups.backup_now()
    second = backups.backup_now()
    clock.advance(hours=1)
    third = backups.backup_now(reason="close")
    assert second.path.name == "exodesk-20261122-100000-manual-2.sqlite3"
    assert third.path.name == "exodesk-20261122-110000-close.sqlite3"
    assert [r.path for r in backups.list_backups()] == [third.path, second.path, first.path]
    with pytest.raises(ValueError, match="one lowercase word"):
        backups.backup_now(reason="../escape")


def test_progress_is_reported_and_stopping_keeps_nothing(
    services: Services, backups: BackupService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage_backup, "_MIN_STEP_PAGES", 1)  # many steps on a small file
    seen: list[tuple[int, int]] = []
    backups.backup_now(progress=lambda done, total: seen.append((done, total)))
    assert len(seen) > 3
    assert seen[-1][0] == seen[-1][1] > 0
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)

    def stop(done: int, total: int) -> None:
        if done > 2:
            raise BackupStopped()

    before = leftovers(services.paths.backups)
    with pytest.raises(BackupStopped):
        backups.backup_now(progress=stop)
    assert leftovers(services.paths.backups) == before


def test_a_missing_folder_is_refused_and_not_created(
    backups: BackupService, tmp_path: Path
) -> None:
    stick = tmp_path / "usb-stick"
    with pytest.raises(UserError, match="does not exist"):
        backups.backup_now(stick)
    assert not stick.exists()


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An empty folder to write into (a USB stick, say), apart from the data folder."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def test_a_pulled_usb_stick_leaves_no_partial_file(
    backups: BackupService, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Simulated: the final rename fails with EIO, after the sidecar went in."""
    real_replace = os.replace

    def replace(src: str | Path, dst: str | Path) -> None:
        if str(dst).endswith(".sqlite3"):
            raise OSError(errno.EIO, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(storage_backup.os, "replace", replace)
    with pytest.raises(StorageError, match="went away") as caught:
        backups.backup_now(out)
    assert "USB stick" in caught.value.advice
    assert leftovers(out) == []


def test_a_full_disk_during_the_copy_is_said_plainly_simulated(
    backups: BackupService, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(_path: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage_backup, "fsync_file", full)
    with pytest.raises(StorageError, match="disk is full"):
        backups.backup_now(out)
    assert leftovers(out) == []


@contextlib.contextmanager
def tmpfs(folder: Path, options: str) -> Iterator[Path]:
    """A real tiny (or read-only) filesystem; skips where mounting is not allowed."""
    folder.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_really_full_disk_is_refused_and_leaves_nothing(
    services: Services, backups: BackupService, tmp_path: Path
) -> None:
    for n in range(40):
        add_patient(services, f"Family{n}", notes="x" * 2000)
    pages = services.ctx.db.execute("PRAGMA page_count").fetchone()[0]
    assert pages * 4096 > 200_000
    with tmpfs(tmp_path / "small", "size=64k") as small:
        with pytest.raises(StorageError, match="disk is full"):
            backups.backup_now(small)
        assert leftovers(small) == []


def test_a_read_only_folder_is_refused(backups: BackupService, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "ro,size=1m") as read_only:
        with pytest.raises(StorageError, match="may not write"):
            backups.backup_now(read_only)
        assert leftovers(read_only) == []


def test_backup_database_keeps_working_for_migrations(services: Services, tmp_path: Path) -> None:
    target = storage_backup.backup_database(services.ctx.db, tmp_path / "deep" / "copy.sqlite3")
    assert target.exists() and not sidecar_of(target).exists()
    with contextlib.closing(sqlite3.connect(target)) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_table_checksums_see_types_and_order(tmp_path: Path) -> None:
    with contextlib.closing(sqlite3.connect(tmp_path / "t.sqlite3")) as conn:
        conn.execute("CREATE TABLE t (a)")
        conn.execute("INSERT INTO t VALUES (1)")
        one = storage_backup.table_digest(conn, "t")
        conn.execute("UPDATE t SET a = '1'")
        text = storage_backup.table_digest(conn, "t")
        conn.execute("UPDATE t SET a = 1")
        assert one.rows == text.rows == 1
        assert one.sha256 != text.sha256
        assert storage_backup.table_digest(conn, "t") == one


# ---- automatic backups and rotation ------------------------------------------------------
NOW = datetime(2026, 11, 22, 13, 0, tzinfo=UTC)  # a Sunday, end of ISO week 47


def test_rotate_deletes_only_timed_backups_in_the_backups_folder(
    services: Services, backups: BackupService, tmp_path: Path
) -> None:
    folder = services.paths.backups
    folder.mkdir(parents=True)
    old = folder / "exodesk-20240105-120000-daily.sqlite3"
    fresh = folder / "exodesk-20261122-090000-daily.sqlite3"
    keep_too = [
        folder / "before-migration-schema1-20200101-000000.sqlite3",
        folder / "before-restore-20200101-000000.sqlite3",
        folder / "notes.txt",
    ]
    for path in (old, fresh, *keep_too):
        path.write_bytes(b"x")
    sidecar_of(old).write_text("{}")
    stale, young = folder / "x.sqlite3.partial", folder / "y.sqlite3.partial"
    stale.write_bytes(b"x")
    young.write_bytes(b"x")
    two_days_ago = datetime(2026, 11, 20, tzinfo=UTC).timestamp()
    os.utime(stale, (two_days_ago, two_days_ago))
    os.utime(young, (NOW.timestamp(), NOW.timestamp()))
    elsewhere = tmp_path / "usb"
    elsewhere.mkdir()
    manual_elsewhere = backups.backup_now(elsewhere)
    # Only two months have backups, so the monthly rule keeps both.
    assert backups.rotate(NOW) == []
    for n in range(1, 13):
        (folder / f"exodesk-2025{n:02d}15-120000-daily.sqlite3").write_bytes(b"x")
    # Now 14 months have backups: the 12 newest stay; Jan 2025 and Jan 2024 are neither
    # among the 7 newest days nor the 4 newest weeks.
    dropped = folder / "exodesk-20250115-120000-daily.sqlite3"
    assert backups.rotate(NOW) == [old, dropped]
    assert not old.exists() and not sidecar_of(old).exists() and not dropped.exists()
    assert fresh.exists() and all(p.exists() for p in keep_too)
    assert (folder / "exodesk-20250215-120000-daily.sqlite3").exists()
    assert not stale.exists() and young.exists()
    assert manual_elsewhere.path.exists()


def test_backup_if_due_makes_one_per_day(
    services: Services, backups: BackupService, clock: FakeClock
) -> None:
    assert backups.is_due()
    first = backups.backup_if_due()
    assert first is not None and first.reason == "daily"
    assert backups.backup_if_due() is None
    clock.advance(hours=1)
    assert backups.backup_if_due() is None
    clock.advance(days=1)
    second = backups.backup_if_due()
    assert second is not None and second.path != first.path
    # A manual backup elsewhere does not count as today's.
    clock.advance(days=1)
    other = services.paths.folder / "elsewhere"
    other.mkdir()
    backups.backup_now(other)
    assert backups.is_due()


def test_backup_on_close_skips_when_nothing_changed(
    services: Services, backups: BackupService, clock: FakeClock
) -> None:
    first = backups.backup_on_close()
    assert first is not None and first.reason == "close"
    clock.advance(minutes=5)
    assert backups.backup_on_close() is None, "only the backup's own audit entry is newer"
    add_patient(services, "Changed")
    clock.advance(minutes=5)
    second = backups.backup_on_close()
    assert second is not None and second.counts["patients"] == 1
    # A row added behind the audit log's back is noticed by the counts.
    services.ctx.db.execute("INSERT INTO settings (key, value) VALUES ('x', '1')")
    services.ctx.db.conn.commit()
    assert backups.changed_since_last_backup()


# ---- listing -----------------------------------------------------------------------------
def test_list_shows_what_no_longer_verifies(
    services: Services, backups: BackupService, clock: FakeClock
) -> None:
    add_patient(services, "Listed")
    good = backups.backup_now()
    clock.advance(minutes=1)
    tampered = backups.backup_now()
    flip_byte(tampered.path, tampered.size // 2)
    clock.advance(minutes=1)
    bare = backups.backup_now()
    sidecar_of(bare.path).unlink()
    clock.advance(minutes=1)
    garbled = backups.backup_now()
    sidecar_of(garbled.path).write_text("{not json")
    listed = {r.path: r for r in backups.list_backups()}
    assert listed[good.path].verified
    assert listed[good.path].counts["patients"] == 1
    assert (listed[tampered.path].verified, listed[tampered.path].problem) == (False, CHANGED)
    assert (listed[bare.path].verified, listed[bare.path].problem) == (False, NO_RECORD)
    assert listed[garbled.path].problem == UNREADABLE_RECORD
    assert "✗ Not verified" in listed[bare.path].verified_words
    assert listed[good.path].verified_words == "✓ Verified"
    assert list_backups(services.paths.folder / "nowhere") == []


# ---- restore -----------------------------------------------------------------------------
def test_restore_round_trip_and_undo(
    services: Services, backups: BackupService, clock: FakeClock
) -> None:
    paths = services.paths
    add_patient(services, "Before")
    backup = backups.backup_now()
    clock.advance(hours=2)
    add_patient(services, "After")
    services.close()
    assert family_names(paths) == ["Before", "After"]

    result = restore_file(paths, backup.path, now=clock())
    assert family_names(paths) == ["Before"]
    assert result.restored.path == backup.path
    assert result.saved_aside == paths.backups / "before-restore-20261122-120000.sqlite3"
    assert result.saved_aside_verified
    assert "saved as" in result.message() and "Sun 22 Nov 2026" in result.message()
    aside = {r.path: r for r in list_backups(paths.backups)}[result.saved_aside]
    assert aside.verified and aside.counts["patients"] == 2
    for suffix in ("-wal", "-shm", ".restoring"):
        assert not Path(f"{paths.data_file}{suffix}").exists()

    reopened = open_services(paths, clock=clock)
    try:
        entry = AuditRepository(reopened.ctx.db).latest(1)[0]
        assert entry.action == "restore" and backup.path.name in entry.summary
        assert reopened.check() == []
    finally:
        reopened.close()

    # The copy kept aside undoes the restore.
    clock.advance(minutes=1)
    restore_file(paths, result.saved_aside, now=clock())
    assert family_names(paths) == ["Before", "After"]


def test_the_service_restore_closes_its_connection(
    services: Services, backups: BackupService
) -> None:
    add_patient(services, "Kept")
    backup = backups.backup_now()
    add_patient(services, "Dropped")
    result = backups.restore(backup.path)
    assert family_names(services.paths) == ["Kept"]
    assert result.saved_aside is not None and result.saved_aside.exists()
    with pytest.raises(engine.sqlite3.ProgrammingError):
        services.ctx.db.execute("SELECT 1")


def test_restore_refuses_while_the_data_file_is_open(
    services: Services, backups: BackupService
) -> None:
    backup = backups.backup_now()
    add_patient(services, "Still here")
    with pytest.raises(StorageError, match="open in another ExoDesk"):
        restore_file(services.paths, backup.path)
    assert family_names(services.paths) == ["Still here"]
    assert not list(services.paths.backups.glob("before-restore-*"))
    assert not list(services.paths.folder.glob("*.restoring"))


def test_a_corrupt_backup_is_refused_and_nothing_changes(
    services: Services, backups: BackupService, clock: FakeClock
) -> None:
    add_patient(services, "Safe")
    with_sidecar = backups.backup_now()
    clock.advance(minutes=1)
    without_sidecar = backups.backup_now()
    sidecar_of(without_sidecar.path).unlink()
    flip_byte(with_sidecar.path, with_sidecar.size - 100)
    corrupt_table_root(without_sidecar.path, "patients")
    services.close()
    before = sha(services.paths.data_file)
    with pytest.raises(StorageError, match="has changed since it was made"):
        restore_file(services.paths, with_sidecar.path)
    with pytest.raises(StorageError, match="is damaged"):
        restore_file(services.paths, without_sidecar.path)
    assert sha(services.paths.data_file) == before
    assert family_names(services.paths) == ["Safe"]
    assert not list(services.paths.backups.glob("before-restore-*"))
    assert not list(services.paths.folder.glob("*.restoring*"))


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda path: path.write_bytes(b"hello, not a database" * 100), "not an ExoDesk backup"),
        (lambda path: _set_pragma(path, "user_version = 99"), "newer version of ExoDesk"),
        (lambda path: _set_pragma(path, "application_id = 1234"), "not an ExoDesk backup"),
    ],
    ids=["not-a-database", "newer-schema", "another-program"],
)
def test_foreign_or_newer_files_are_refused(
    services: Services, backups: BackupService, spoil, message: str
) -> None:
    backup = backups.backup_now()
    sidecar_of(backup.path).unlink()
    spoil(backup.path)
    services.close()
    before = sha(services.paths.data_file)
    with pytest.raises(StorageError, match=message):
        restore_file(services.paths, backup.path)
    assert sha(services.paths.data_file) == before


def _set_pragma(path: Path, pragma: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA {pragma}")
    conn.commit()
    conn.close()


def test_restoring_over_a_damaged_data_file_keeps_it_as_it_was(
    services: Services, backups: BackupService
) -> None:
    add_patient(services, "Rescued")
    backup = backups.backup_now()
    services.close()
    services.paths.data_file.write_bytes(b"\x00garbage" * 1000)
    result = restore_file(services.paths, backup.path)
    assert family_names(services.paths) == ["Rescued"]
    assert not result.saved_aside_verified
    assert result.saved_aside.name.endswith("-damaged.sqlite3")
    assert result.saved_aside.read_bytes() == b"\x00garbage" * 1000
    assert "damaged" in result.message()


def test_an_index_that_disagrees_with_its_rows_is_refused(
    services: Services, backups: BackupService
) -> None:
    """Every row still reads; only integrity_check sees that the index no longer matches."""
    add_patient(services, "Safe")
    record = backups.backup_now()
    sidecar_of(record.path).unlink()
    change_in_index(record.path, "patients_by_dob", b"1980-05-01", b"1980-05-02")
    conn = sqlite3.connect(record.path)
    assert conn.execute("SELECT family_name FROM patients").fetchall() == [("Safe",)]
    conn.close()
    services.close()
    with pytest.raises(StorageError, match="is damaged"):
        restore_file(services.paths, record.path)
    assert family_names(services.paths) == ["Safe"]


def test_install_removes_the_old_files_log_first(tmp_path: Path) -> None:
    """A stale -wal beside the new file would be replayed onto it by SQLite."""
    data_file, staged = tmp_path / "exodesk.sqlite3", tmp_path / "exodesk.sqlite3.restoring"
    data_file.write_bytes(b"old")
    staged.write_bytes(b"new")
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{data_file}{suffix}").write_bytes(b"stale")
    storage_backup.install(staged, data_file)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exodesk.sqlite3"]
    assert data_file.read_bytes() == b"new"


def test_a_missing_backup_file_is_said_plainly(services: Services, tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="There is no backup file"):
        restore_file(services.paths, tmp_path / "nope.sqlite3")


# ---- drills ------------------------------------------------------------------------------
def test_drill_reports_a_clean_restore(services: Services, backups: BackupService) -> None:
    for name in ("One", "Two", "Three"):
        add_patient(services, name)
    backups.backup_now()
    result = backups.drill()
    assert result.ok, result.problems
    when = when_words(datetime(2026, 11, 22, 10, 0, tzinfo=UTC))
    assert result.sentence() == f"Backup of {when} restores cleanly: 3 patients, 0 sessions."
    assert result.counts["patients"] == 3


def test_drill_detects_a_tampered_backup(
    services: Services, backups: BackupService, clock: FakeClock
) -> None:
    for name in ("One", "Two"):
        add_patient(services, name)
    backups.backup_now()
    clock.advance(minutes=1)
    newest = backups.backup_now()
    conn = sqlite3.connect(newest.path)
    conn.execute("UPDATE patients SET given_names = 'Mallory' WHERE family_name = 'One'")
    conn.commit()
    conn.close()
    result = drill_backups(services.paths.backups)
    assert not result.ok
    assert result.backup.path == newest.path, "the newest backup is the one tested"
    assert CHANGED in result.problems
    assert "the rows of patients differ from when it was made" in result.problems
    assert "does NOT restore cleanly" in result.sentence()

    conn = sqlite3.connect(newest.path)
    conn.execute("DELETE FROM patients WHERE family_name = 'Two'")
    conn.commit()
    conn.close()
    problems = drill_backups(services.paths.backups).problems
    assert "patients has 1 rows where 2 were recorded" in problems


def test_drill_of_a_damaged_backup_says_so(services: Services, backups: BackupService) -> None:
    add_patient(services, "One")
    record = backups.backup_now()
    corrupt_table_root(record.path, "patients")
    result = backups.drill()
    assert "it does not pass SQLite's integrity check" in result.problems


def test_drill_without_backups_is_a_plain_error(backups: BackupService) -> None:
    with pytest.raises(UserError, match="no backup to test"):
        backups.drill()


# ---- export ------------------------------------------------------------------------------
def test_export_writes_every_table_with_a_readme(
    services: Services, backups: BackupService, out: Path
) -> None:
    pid = add_patient(services, "O'Brien", '=HYPERLINK("x")', phone="+44 7700 900123")
    screening = services.screening.save(pid, answered()).record
    services.screening.record_consent(screening.id, "Ann O'Brien", PNG)
    services.ctx.db.execute("CREATE TABLE future_things (id INTEGER PRIMARY KEY, label TEXT)")
    services.ctx.db.execute("INSERT INTO future_things (label) VALUES ('new')")
    services.ctx.db.conn.commit()

    result = backups.export(out)
    folder = result.folder
    assert folder.parent == out and folder.name == "exodesk-export-20261122-100000"
    live = services.ctx.db
    expected = {
        r[1]
        for r in live.execute("PRAGMA table_list").fetchall()
        if r[2] == "table" and not r[1].startswith("sqlite_")
    }
    assert set(result.tables) == expected
    assert "patients_fts" not in expected and "patients_fts_data" not in expected
    for table in expected:
        rows = live.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        if table == "audit_log":
            rows -= 1  # the export's own entry came after
        raw = (folder / f"{table}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), "a BOM, so Excel reads UTF-8"
        with (folder / f"{table}.csv").open(encoding="utf-8-sig", newline="") as fh:
            assert len(list(csv.reader(fh))) - 1 == rows == result.tables[table], table
        data = json.loads((folder / f"{table}.json").read_text(encoding="utf-8"))
        assert len(data) == rows, table

    readme = (folder / "README.txt").read_text(encoding="utf-8-sig")
    for table in expected:
        assert f"\n{table} (" in readme, table
    assert "future_things (1 rows): A table this version of ExoDesk does not describe" in readme
    assert "  family_name: family name (surname)" in readme
    assert "  label: text" in readme

    with (folder / "patients.csv").open(encoding="utf-8-sig", newline="") as fh:
        patient = next(csv.DictReader(fh))
    assert patient["given_names"] == '\'=HYPERLINK("x")', "no formula runs in Excel"
    assert patient["phone"] == "'+44 7700 900123"
    exact = json.loads((folder / "patients.json").read_text(encoding="utf-8"))[0]
    assert exact["given_names"] == '=HYPERLINK("x")'

    with (folder / "consents.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert "signature_png" not in next(csv.reader(fh))
    consent = json.loads((folder / "consents.json").read_text(encoding="utf-8"))[0]
    assert base64.b64decode(consent["signature_png"]) == PNG
    image = json.loads((folder / "stored_images.json").read_text(encoding="utf-8"))
    assert image == [] or "png" in image[0]

    # A password hash is a secret: never in the export (nor described in its README).
    assert "$argon2" not in "".join(p.read_text(encoding="utf-8-sig") for p in folder.iterdir())
    with (folder / "staff.csv").open(encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh))
    assert "password_hash" not in header and "is_admin" in header
    assert "password_hash" not in readme

    entry = AuditRepository(live).latest(1)[0]
    assert entry.action == "export" and str(folder) in entry.summary
    assert [p.name for p in out.iterdir()] == [folder.name]


def test_a_failed_export_leaves_no_folder(
    backups: BackupService, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exodesk.storage import export as module

    real = module._export_table
    written: list[str] = []

    def fill_up(conn, table, cols, work):
        if len(written) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(table)
        return real(conn, table, cols, work)

    monkeypatch.setattr(module, "_export_table", fill_up)
    with pytest.raises(StorageError, match=r"disk is full.*nothing was exported"):
        backups.export(out)
    assert list(out.iterdir()) == []


def test_export_to_a_missing_folder_is_refused(backups: BackupService, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        backups.export(tmp_path / "gone")
    assert not (tmp_path / "gone").exists()
