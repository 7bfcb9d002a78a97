"""The start-up check in the background (issue #9): reads at once, writes wait, damage refuses.

Real data files on disk; the check is held back (or made endless) by wrapping the real
quick_check, so each test decides when it finishes.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from exodesk.domain.patient import Patient
from exodesk.paths import DataPaths
from exodesk.services import startup_check
from exodesk.services.backups import BackupService
from exodesk.services.workspace import DataFileDamaged, Services, open_services
from tests.answers import answered
from tests.conftest import ADMIN_PASSWORD
from tests.storage.test_file_faults import FLIPS, _leaf_page, _make_clinic, _page_size

DATA = Path(__file__).resolve().parent.parent / "data"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def clinic(data_paths: DataPaths, clock) -> DataPaths:
    _make_clinic(data_paths, clock)
    return data_paths


def damage_screenings(paths: DataPaths) -> None:
    """Break a leaf page of the screenings table: the patient list still reads, quick_check
    answers with fault rows."""
    raw = bytearray(paths.data_file.read_bytes())
    page = _leaf_page(bytes(raw), "screenings", paths.data_file)
    raw[(page - 1) * _page_size(bytes(raw)) + FLIPS["first cell pointer"]] ^= 0xFF
    paths.data_file.write_bytes(bytes(raw))


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """The background check waits for this event before running the real quick_check."""
    release = threading.Event()
    real = startup_check.quick_check

    def waiting(db, path=None):
        assert release.wait(30), "the test never released the check"
        return real(db, path)

    monkeypatch.setattr(startup_check, "quick_check", waiting)
    return release


def _sign_in(svc: Services) -> None:
    svc.desk.user = svc.clinic.staff()[0]


def _new_patient(svc: Services, name: str) -> int:
    saved = svc.patients.create(Patient(name, "Zoë", date(1980, 5, 17)))
    assert saved.ok, saved.problems
    return saved.record.id


def test_reads_answer_at_once_and_the_first_save_waits_for_the_check(
    clinic: DataPaths, clock, held: threading.Event
) -> None:
    svc = open_services(clinic, clock=clock, lock=True, background_check=True)
    try:
        check = svc.startup_check
        assert check is not None and not check.done
        _sign_in(svc)
        assert len(svc.patients.search("family1").rows) > 0  # reading needs no check
        assert not check.done
        threading.Timer(0.3, held.set).start()
        started = time.perf_counter()
        new_id = _new_patient(svc, "Waited")
        waited = time.perf_counter() - started
        assert check.done and check.failure is None
        assert waited >= 0.25, "the save went ahead of the check"
        assert svc.patients.get(new_id).family_name == "Waited"
        assert check.seconds is not None and check.seconds >= 0.25
    finally:
        svc.close()


def test_a_damaged_file_opens_for_reading_and_every_save_is_refused_untouched(
    clinic: DataPaths, clock
) -> None:
    damage_screenings(clinic)
    before = _sha(clinic.data_file)
    svc = open_services(clinic, clock=clock, lock=True, background_check=True)
    try:
        assert svc.startup_check is not None
        assert svc.startup_check.wait(30)
        assert isinstance(svc.startup_check.failure, DataFileDamaged)
        _sign_in(svc)
        assert len(svc.patients.search("").rows) == 120  # still readable
        with pytest.raises(DataFileDamaged, match="damaged"):
            _new_patient(svc, "Never saved")
        with pytest.raises(DataFileDamaged):
            svc.accounts.sign_in(svc.clinic.staff()[0].id, ADMIN_PASSWORD)
        # Backups wait for the check too, and never copy a file it found damaged.
        with pytest.raises(DataFileDamaged):
            BackupService(svc.ctx, clinic).backup_now()
        assert not clinic.backups.exists() or not any(clinic.backups.iterdir())
        assert svc.patients.search("never saved").rows == []
    finally:
        svc.close()
    assert _sha(clinic.data_file) == before, "a damaged file was written to"


def test_the_synchronous_check_still_refuses_a_damaged_file_at_open(clinic: DataPaths) -> None:
    damage_screenings(clinic)
    with pytest.raises(DataFileDamaged):
        open_services(clinic)


def test_closing_stops_a_check_that_is_still_running(
    clinic: DataPaths, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = threading.Event()

    def endless(db, path=None):
        running.set()
        while True:  # only an interrupt from close() ends this
            db.execute("PRAGMA quick_check").fetchall()

    monkeypatch.setattr(startup_check, "quick_check", endless)
    svc = open_services(clinic, clock=clock, lock=True, background_check=True)
    check = svc.startup_check
    assert check is not None and running.wait(30)
    started = time.perf_counter()
    svc.close()
    assert time.perf_counter() - started < 5
    assert check.done and check.failure is None  # stopped, not a fault
    # The lock was given back: the file opens again, and the check passes this time.
    monkeypatch.undo()
    again = open_services(clinic, clock=clock, lock=True, background_check=True)
    try:
        assert again.startup_check is not None and again.startup_check.wait(30)
        assert again.startup_check.failure is None
    finally:
        again.close()


def test_a_new_file_and_a_file_to_migrate_are_checked_before_opening(
    data_paths: DataPaths, clock, tmp_path: Path
) -> None:
    fresh = open_services(data_paths, create=True, clock=clock, background_check=True)
    try:
        assert fresh.startup_check is None and fresh.ctx.startup_check is None
    finally:
        fresh.close()
    old = DataPaths(tmp_path / "old")
    old.folder.mkdir()
    shutil.copyfile(DATA / "schema-v1.sqlite3", old.data_file)
    migrated = open_services(old, clock=clock, background_check=True)
    try:
        assert migrated.startup_check is None  # the migration wrote at once, after the check
        assert migrated.check() == []
    finally:
        migrated.close()


def test_the_check_refreshes_missing_planner_statistics(clinic: DataPaths, clock) -> None:
    conn = sqlite3.connect(clinic.data_file)
    conn.execute("DROP TABLE IF EXISTS sqlite_stat1")
    conn.commit()
    conn.close()
    svc = open_services(clinic, clock=clock, background_check=True)
    try:
        assert svc.startup_check is not None and svc.startup_check.wait(30)
        assert svc.startup_check.failure is None
    finally:
        svc.close()
    conn = sqlite3.connect(clinic.data_file)
    try:
        tables = {r[0] for r in conn.execute("SELECT tbl FROM sqlite_stat1")}
    finally:
        conn.close()
    assert {"patients", "screenings"} <= tables


def _clinic_with_a_password(paths: DataPaths, clock) -> int:
    """A closed data file whose admin has ADMIN_PASSWORD; returns the admin's id."""
    from exodesk.domain.staff import StaffMember

    svc = open_services(paths, create=True, clock=clock)
    try:
        made = svc.accounts.first_account(
            StaffMember("Ada Admin", "practitioner", is_admin=True), ADMIN_PASSWORD
        )
        assert made.ok
        with svc.ctx.write():
            for i in range(120):
                svc.patients.create(Patient(f"Family{i}", "Zoë", date(1970, 1, 1)))
                if i % 3 == 0:
                    svc.screening.save(i + 1, answered({"anticoagulants": bool(i % 2)}))
        return made.record.id
    finally:
        svc.close()


def _actions(paths: DataPaths) -> list[tuple[str, str]]:
    conn = sqlite3.connect(paths.data_file)
    try:
        return conn.execute("SELECT action, at FROM audit_log ORDER BY id").fetchall()
    finally:
        conn.close()


def test_signing_in_does_not_wait_for_the_check_and_its_entry_keeps_its_place(
    data_paths: DataPaths, clock, held: threading.Event
) -> None:
    admin_id = _clinic_with_a_password(data_paths, clock)
    before = len(_actions(data_paths))
    svc = open_services(data_paths, clock=clock, lock=True, background_check=True)
    try:
        signed_in_at = clock()
        member = svc.accounts.sign_in(admin_id, ADMIN_PASSWORD)  # returns with the check held
        assert svc.desk.user is not None and svc.desk.user.id == member.id
        assert svc.ctx.holding == 1 and not svc.startup_check.done
        clock.advance(minutes=3)
        held.set()
        _new_patient(svc, "After sign-in")  # the save writes the held entry first
        assert svc.ctx.holding == 0
    finally:
        svc.close()
    actions = _actions(data_paths)[before:]
    assert [a for a, _ in actions] == ["sign_in", "create"]
    assert actions[0][1] == signed_in_at.isoformat()  # its own time, not the save's


def test_closing_right_after_signing_in_still_records_the_sign_in(
    data_paths: DataPaths, clock, held: threading.Event
) -> None:
    admin_id = _clinic_with_a_password(data_paths, clock)
    svc = open_services(data_paths, clock=clock, lock=True, background_check=True)
    svc.accounts.sign_in(admin_id, ADMIN_PASSWORD)
    threading.Timer(0.2, held.set).start()
    svc.close()  # waits for the check, then writes the entry
    assert _actions(data_paths)[-1][0] == "sign_in"


def test_a_damaged_file_takes_no_held_entry(
    data_paths: DataPaths, clock, held: threading.Event
) -> None:
    admin_id = _clinic_with_a_password(data_paths, clock)
    damage_screenings(data_paths)
    before = _sha(data_paths.data_file)
    svc = open_services(data_paths, clock=clock, background_check=True)
    try:
        svc.accounts.sign_in(admin_id, ADMIN_PASSWORD)  # the check is still running: held
        assert svc.ctx.holding == 1
        held.set()
        assert svc.startup_check.wait(30)
        with pytest.raises(DataFileDamaged):
            svc.ctx.ready()
        assert svc.ctx.holding == 0
    finally:
        svc.close()
    assert _sha(data_paths.data_file) == before


def test_the_idle_lock_still_opens_on_a_damaged_file_but_only_with_the_right_password(
    data_paths: DataPaths, clock
) -> None:
    from exodesk.errors import UserError

    admin_id = _clinic_with_a_password(data_paths, clock)
    damage_screenings(data_paths)
    svc = open_services(data_paths, clock=clock, background_check=True)
    try:
        assert svc.startup_check is not None and svc.startup_check.wait(30)
        assert isinstance(svc.startup_check.failure, DataFileDamaged)
        svc.desk.user = svc.clinic.staff()[0]  # signed in before the lock came down
        with pytest.raises(UserError):
            svc.accounts.verify_unlock(admin_id, "not the password at all")
        assert svc.accounts.verify_unlock(admin_id, ADMIN_PASSWORD).id == admin_id
        assert len(svc.patients.search("family").rows) == 120
    finally:
        svc.close()


def test_an_encrypted_file_is_checked_in_the_background_with_its_key(
    data_paths: DataPaths, clock
) -> None:
    from exodesk.domain.staff import StaffMember
    from exodesk.services.encryption import new_clinic_key

    key, _recovery = new_clinic_key()
    svc = open_services(data_paths, create=True, clock=clock, key=key)
    try:
        assert svc.accounts.first_account(
            StaffMember("Ada Admin", "practitioner", is_admin=True), ADMIN_PASSWORD
        ).ok
    finally:
        svc.close()
    svc = open_services(data_paths, clock=clock, key=key, background_check=True)
    try:
        assert svc.startup_check is not None and svc.startup_check.wait(30)
        assert svc.startup_check.failure is None
        _sign_in(svc)
        _new_patient(svc, "Encrypted")
    finally:
        svc.close()
    assert b"Encrypted" not in data_paths.data_file.read_bytes()
