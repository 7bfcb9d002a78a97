"""The audit trail against someone who can recompute SHA-256 (issue #19).

Each attack edits the data file with another program, as an insider with the file (and, in an
encrypted clinic, its key) could: the guard triggers dropped, every hash recomputed with the
chain's own ``seal`` and the chain head moved to match, so the chain on its own looks whole
(each test shows ``check_chain`` is satisfied). What gives it away is written outside the
file: the end of the chain as each backup saw it (its sidecar, and the anchors file beside the
data file), and the records the trail should describe.
"""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from exodesk.cli import cmd_check
from exodesk.domain.patient import Patient
from exodesk.domain.staff import StaffMember
from exodesk.paths import DataPaths
from exodesk.services import encryption as enc
from exodesk.services.audit import AuditService
from exodesk.services.backups import BackupRecord, BackupService, list_backups, restore_file
from exodesk.services.workspace import Services, open_services
from exodesk.storage.audit import GENESIS_HASH, SEALED_FIELDS, check_chain, seal
from exodesk.storage.database import is_encrypted
from exodesk.storage.engine import connect
from tests.conftest import ADMIN_PASSWORD, FakeClock
from tests.test_cli import run

COLUMNS = ", ".join(SEALED_FIELDS)


# ---- the clinic and the attacker's tools ---------------------------------------------------
def _work(services: Services, clock: FakeClock, names: list[str]) -> None:
    for family in names:
        clock.advance(minutes=5)
        assert services.patients.create(Patient(family, "Alex", date(1980, 5, 6))).ok


def _backup(services: Services, clock: FakeClock, folder: Path | None = None) -> BackupRecord:
    clock.advance(minutes=1)
    return BackupService(services.ctx, services.paths).backup_now(folder)


@pytest.fixture
def clinic(services: Services, clock: FakeClock) -> Services:
    """Patients recorded, a backup made, and more work after it (so the backup's anchor sits
    in the middle of the trail, not at its end)."""
    services.clinic.save_staff(StaffMember("Nurse Ben Whitaker", "practitioner"))
    _work(services, clock, ["Abbott", "Baker", "Carter", "Dunn"])
    _backup(services, clock)
    _work(services, clock, ["Evans", "Fisher", "Grant"])
    return services


@pytest.fixture
def tamper(data_paths: DataPaths, clinic: Services) -> Iterator[sqlite3.Connection]:
    """Another program's connection to the same file, as someone editing it by hand would use."""
    conn = sqlite3.connect(data_paths.data_file, isolation_level=None)
    for trigger in ("audit_log_no_update", "audit_log_no_delete"):
        conn.execute(f"DROP TRIGGER {trigger}")
    conn.execute("DROP TRIGGER audit_head_forward_only")  # so the head can be moved back
    yield conn
    conn.close()


def _reseal_from(conn: sqlite3.Connection, first_id: int) -> None:
    """Recompute every hash from ``first_id`` on and move the head: the chain looks whole."""
    before = conn.execute(
        "SELECT entry_hash FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT 1", [first_id]
    ).fetchone()
    prev_hash = before[0] if before else GENESIS_HASH
    rows = conn.execute(
        f"SELECT {COLUMNS} FROM audit_log WHERE id >= ? ORDER BY id", [first_id]
    ).fetchall()
    for row in rows:
        entry_hash = seal(prev_hash, row)
        conn.execute(
            "UPDATE audit_log SET prev_hash = ?, entry_hash = ? WHERE id = ?",
            [prev_hash, entry_hash, row[0]],
        )
        prev_hash = entry_hash
    _move_head(conn)


def _move_head(conn: sqlite3.Connection) -> None:
    newest = conn.execute(
        "SELECT id, entry_hash FROM audit_log ORDER BY id DESC LIMIT 1"
    ).fetchone()
    conn.execute("UPDATE audit_head SET last_id = ?, last_hash = ?", list(newest or (0, "")))


def _last(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT max(id) FROM audit_log").fetchone()[0])


def _check(paths: DataPaths) -> tuple[int, str]:
    out = io.StringIO()
    code = cmd_check(paths, out=out)
    return code, out.getvalue()


def _only_backup(paths: DataPaths) -> BackupRecord:
    [record] = list_backups(paths.backups)
    return record


def _where(record: BackupRecord) -> str:
    return f"the backup of {record.when} ({record.path.name})"


def _assert_departs_at(text: str, record: BackupRecord, entry_id: int) -> None:
    """The backup file, still readable, names the first entry that no longer matches."""
    line = next(x for x in text.splitlines() if "The trail first departs" in x)
    start = f"  - The trail first departs from {_where(record)} at entry {entry_id}, recorded "
    assert line.startswith(start), line
    assert line.endswith(f"entry {entry_id} is not the one it holds; entries before it match.")


def _assert_chain_looks_whole(services: Services) -> None:
    """Today's check: the chain alone cannot see the attack."""
    assert check_chain(services.ctx.db).ok


# ---- the attacks -------------------------------------------------------------------------
def test_a_rewritten_and_resealed_entry_is_caught(
    clinic: Services, tamper: sqlite3.Connection, data_paths: DataPaths
) -> None:
    record = _only_backup(data_paths)
    anchor = record.audit_last_id
    assert anchor is not None and anchor > 4
    assert _check(data_paths)[0] == 0
    # Entry 3 now says someone else did it; every hash after it recomputed.
    tamper.execute(
        "UPDATE audit_log SET actor_name = 'Nurse Ben Whitaker', summary = 'Rewritten' WHERE id = 3"
    )
    _reseal_from(tamper, 3)
    _assert_chain_looks_whole(clinic)

    code, text = _check(data_paths)
    assert code == 1
    assert (
        f"Audit entry {anchor} is not the one in {_where(record)}: the audit trail was "
        f"rewritten at or before entry {anchor}, and sealed again to hide it."
    ) in text
    _assert_departs_at(text, record, 3)


def test_removing_the_newest_entries_and_moving_the_head_back_is_caught(
    clinic: Services, tamper: sqlite3.Connection, data_paths: DataPaths
) -> None:
    record = _only_backup(data_paths)
    anchor = record.audit_last_id
    assert anchor is not None
    # Everything from two entries before the backup on: gone, and the head moved to match.
    tamper.execute("DELETE FROM audit_log WHERE id > ?", [anchor - 2])
    _move_head(tamper)
    _assert_chain_looks_whole(clinic)

    code, text = _check(data_paths)
    assert code == 1
    assert (
        f"At least 2 of the newest audit entries were removed: {_where(record)} holds entry "
        f"{anchor}, and the trail now ends at entry {anchor - 2}."
    ) in text


def test_a_removed_and_renumbered_entry_is_caught(
    clinic: Services, tamper: sqlite3.Connection, data_paths: DataPaths
) -> None:
    record = _only_backup(data_paths)
    anchor = record.audit_last_id
    assert anchor is not None
    last = _last(tamper)
    # Entry 4 removed, the later ones numbered down to close the gap, all resealed.
    tamper.execute("DELETE FROM audit_log WHERE id = 4")
    tamper.execute("UPDATE audit_log SET id = id - 1 WHERE id > 4")
    _reseal_from(tamper, 4)
    assert _last(tamper) == last - 1
    _assert_chain_looks_whole(clinic)

    code, text = _check(data_paths)
    assert code == 1
    assert (
        f"Audit entry {anchor} is not the one in {_where(record)}: the audit trail was "
        f"rewritten at or before entry {anchor}, and sealed again to hide it."
    ) in text
    _assert_departs_at(text, record, 4)


def test_an_inserted_forged_entry_is_caught(
    clinic: Services, tamper: sqlite3.Connection, data_paths: DataPaths
) -> None:
    record = _only_backup(data_paths)
    anchor = record.audit_last_id
    assert anchor is not None
    # A forged entry slipped in as entry 5: the later ones numbered up, all resealed.
    forged = list(tamper.execute(f"SELECT {COLUMNS} FROM audit_log WHERE id = 5").fetchone())
    forged[SEALED_FIELDS.index("actor_name")] = "Nurse Ben Whitaker"
    forged[SEALED_FIELDS.index("summary")] = "Deleted the allergy record of Abbott"
    tamper.execute("UPDATE audit_log SET id = -(id + 1) WHERE id >= 5")
    tamper.execute("UPDATE audit_log SET id = -id WHERE id < 0")
    tamper.execute(
        f"INSERT INTO audit_log ({COLUMNS}) VALUES ({', '.join('?' * len(forged))})", forged
    )
    _reseal_from(tamper, 5)
    _assert_chain_looks_whole(clinic)

    code, text = _check(data_paths)
    assert code == 1
    assert (
        f"Audit entry {anchor} is not the one in {_where(record)}: the audit trail was "
        f"rewritten at or before entry {anchor}, and sealed again to hide it."
    ) in text
    _assert_departs_at(text, record, 5)


@pytest.fixture
def large_clinic(services: Services, clock: FakeClock) -> Services:
    _work(services, clock, [f"Family{n:03d}" for n in range(300)])
    return services


def test_removing_every_entry_and_the_head_of_300_patients_is_caught(
    large_clinic: Services, data_paths: DataPaths
) -> None:
    """No backup at all: the patients alone show the trail cannot be empty."""
    conn = sqlite3.connect(data_paths.data_file, isolation_level=None)
    try:
        for trigger in ("audit_log_no_delete", "audit_head_no_delete"):
            conn.execute(f"DROP TRIGGER {trigger}")
        conn.execute("DELETE FROM audit_log")
        conn.execute("DELETE FROM audit_head")
    finally:
        conn.close()
    assert (
        check_chain(large_clinic.ctx.db).message == "The audit trail is intact: 0 entries checked."
    )

    code, text = _check(data_paths)
    assert code == 1
    assert (
        "The audit trail is empty, but the file holds 300 patients, and recording each of them "
        "wrote an audit entry: the trail was removed."
    ) in text


def test_removing_every_entry_after_a_backup_names_the_backup(
    clinic: Services, tamper: sqlite3.Connection, data_paths: DataPaths
) -> None:
    record = _only_backup(data_paths)
    tamper.execute("DROP TRIGGER audit_head_no_delete")
    tamper.execute("DELETE FROM audit_log")
    tamper.execute("DELETE FROM audit_head")
    _assert_chain_looks_whole(clinic)

    code, text = _check(data_paths)
    assert code == 1
    assert "The audit trail is empty, but the file holds 7 patients" in text
    assert (
        f"Every audit entry was removed: {_where(record)} holds entries up to "
        f"{record.audit_last_id}."
    ) in text


# ---- where the anchors are kept ------------------------------------------------------------
def test_the_anchors_file_remembers_backups_rotated_or_deleted(
    clinic: Services, tamper: sqlite3.Connection, data_paths: DataPaths
) -> None:
    """Rotation deletes old backups with their sidecars; the anchors file keeps their lines.
    Here the whole backups folder is gone, and the removal is still caught and named."""
    record = _only_backup(data_paths)
    anchor = record.audit_last_id
    assert anchor is not None
    shutil.rmtree(data_paths.backups)
    tamper.execute("DELETE FROM audit_log WHERE id > ?", [anchor - 1])
    _move_head(tamper)

    code, text = _check(data_paths)
    assert code == 1
    assert f"the backup of {record.when} ({record.path.name}) holds entry {anchor}" in text


def test_a_copy_on_a_usb_stick_is_an_anchor_too(
    clinic: Services,
    tamper: sqlite3.Connection,
    data_paths: DataPaths,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    """The attacker deletes the clinic's backups and rewrites the anchors file to fit the
    forged chain; the sidecar of the copy on the USB stick (plugged in again) still tells."""
    stick = tmp_path / "usb-stick"
    stick.mkdir()
    copy = _backup(clinic, clock, stick)
    assert copy.path.parent == stick
    anchor = copy.audit_last_id
    assert anchor is not None and copy.audit_last_hash
    shutil.rmtree(data_paths.backups)
    tamper.execute("UPDATE audit_log SET summary = 'Rewritten' WHERE id = 2")
    _reseal_from(tamper, 2)
    forged = tamper.execute("SELECT entry_hash FROM audit_log WHERE id = ?", [anchor]).fetchone()
    anchors = data_paths.folder / "exodesk.anchors"
    lines = [json.loads(line) for line in anchors.read_text().splitlines()]
    for line in lines:
        line["audit_last_hash"] = forged[0]  # a consistent story, as far as this file goes
        line["audit_last_id"] = anchor
    anchors.write_text("".join(json.dumps(line) + "\n" for line in lines))

    code, text = _check(data_paths)
    assert code == 1
    assert (
        f"Audit entry {anchor} is not the one in the backup of {copy.when} ({copy.path.name})"
    ) in text
    # Unplugged, the stick can say nothing: the check sees only what is in reach.
    shutil.rmtree(stick)
    assert _check(data_paths)[0] == 0


def test_each_backup_records_the_chain_end_in_its_sidecar_and_the_anchors_file(
    clinic: Services, data_paths: DataPaths, clock: FakeClock, tmp_path: Path
) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    copy = _backup(clinic, clock, stick)
    newest = clinic.ctx.db.execute(
        "SELECT id, entry_hash FROM audit_log WHERE action != 'backup' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    sidecar = json.loads(copy.path.with_suffix(".json").read_text())
    assert (sidecar["audit_last_id"], sidecar["audit_last_hash"]) == tuple(newest)
    lines = [
        json.loads(x) for x in (data_paths.folder / "exodesk.anchors").read_text().splitlines()
    ]
    assert [(x["kind"], Path(x["backup"]).parent) for x in lines] == [
        ("backup", data_paths.backups),
        ("backup", stick),
    ]
    assert (lines[-1]["audit_last_id"], lines[-1]["audit_last_hash"]) == tuple(newest)


def test_a_sidecar_from_before_anchors_still_reads_and_is_not_judged(
    clinic: Services, data_paths: DataPaths
) -> None:
    record = _only_backup(data_paths)
    sidecar = record.path.with_suffix(".json")
    meta = json.loads(sidecar.read_text())
    del meta["audit_last_hash"]
    meta["audit_last_id"] = 10_000  # would accuse the live chain, if it were trusted
    sidecar.write_text(json.dumps(meta))
    (data_paths.folder / "exodesk.anchors").unlink()
    [old] = list_backups(data_paths.backups)
    assert old.verified and old.audit_last_hash == "" and old.audit_last_id == 10_000
    assert _check(data_paths)[0] == 0


# ---- restores put an older chain back on purpose -------------------------------------------
def _restore(services: Services, backup: Path, clock: FakeClock) -> Services:
    services.close()
    clock.advance(minutes=10)
    restore_file(services.paths, backup, now=clock())
    reopened = open_services(services.paths, clock=clock)
    reopened.accounts.sign_in(1, ADMIN_PASSWORD)
    return reopened


def test_restoring_older_backups_is_not_a_fault_and_later_attacks_still_are(
    clinic: Services, data_paths: DataPaths, clock: FakeClock
) -> None:
    first = _only_backup(data_paths)
    second = _backup(clinic, clock)
    _work(clinic, clock, ["Hughes"])
    # Back to the first backup: the second one's entries are gone, on purpose.
    reopened = _restore(clinic, first.path, clock)
    try:
        patients = reopened.ctx.db.execute("SELECT count(*) FROM patients").fetchone()[0]
        assert patients == 4  # as the first backup held them
        _work(reopened, clock, ["Irwin"])
        third = _backup(reopened, clock)
    finally:
        reopened.close()
    code, text = _check(data_paths)
    assert code == 0, text
    assert "no faults found" in text
    # Then forward again to the second backup, made before the first restore: fine too.
    again = _restore(reopened, second.path, clock)
    again.close()
    code, text = _check(data_paths)
    assert code == 0, text
    # The trail as restored is anchored like any other: cutting it short is caught.
    conn = sqlite3.connect(data_paths.data_file, isolation_level=None)
    try:
        for trigger in ("audit_log_no_delete", "audit_head_forward_only"):
            conn.execute(f"DROP TRIGGER {trigger}")
        assert second.audit_last_id is not None
        conn.execute("DELETE FROM audit_log WHERE id >= ?", [second.audit_last_id])
        _move_head(conn)
    finally:
        conn.close()
    code, text = _check(data_paths)
    assert code == 1
    assert f"the backup of {second.when} ({second.path.name}) holds entry" in text
    assert third.path.name not in text  # made on the data the second restore replaced


# ---- no anchors at all -------------------------------------------------------------------
def test_a_trail_shorter_than_the_records_is_a_fault(
    clinic: Services, tamper: sqlite3.Connection, data_paths: DataPaths
) -> None:
    """Most of the trail removed, the rest renumbered and resealed, every backup deleted."""
    shutil.rmtree(data_paths.backups)
    (data_paths.folder / "exodesk.anchors").unlink()
    tamper.execute("DELETE FROM audit_log WHERE id > 3")
    _reseal_from(tamper, 1)
    _assert_chain_looks_whole(clinic)

    code, text = _check(data_paths)
    assert code == 1
    assert (
        "The audit trail holds only 3 entries, but the file holds 7 patients, and recording "
        "each of them wrote an audit entry: entries were removed."
    ) in text


def test_a_healthy_clinic_with_backups_and_a_new_one_have_no_faults(
    clinic: Services, data_paths: DataPaths, tmp_path: Path
) -> None:
    code, text = _check(data_paths)
    assert code == 0, text
    assert "no faults found" in text
    new = DataPaths(tmp_path / "new")
    open_services(new, create=True).close()
    assert _check(new)[0] == 0


def test_the_check_in_the_app_compares_with_the_anchors(
    clinic: Services, tamper: sqlite3.Connection, data_paths: DataPaths
) -> None:
    record = _only_backup(data_paths)
    assert record.audit_last_id is not None
    audit = AuditService(clinic.ctx)
    assert audit.verify().ok
    job = audit.verify_job()
    assert job is not None and job().ok
    tamper.execute("DELETE FROM audit_log WHERE id > ?", [record.audit_last_id - 1])
    _move_head(tamper)

    expected = (
        f"At least 1 of the newest audit entries were removed: {_where(record)} holds entry "
        f"{record.audit_last_id}, and the trail now ends at entry {record.audit_last_id - 1}."
    )
    assert expected in audit.verify().faults
    assert expected in job().faults


def test_check_can_be_pointed_at_a_usb_stick_when_every_anchor_on_the_pc_is_gone(
    clinic: Services,
    tamper: sqlite3.Connection,
    data_paths: DataPaths,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    """The backups folder and the anchors file deleted, the trail cut short: only the stick
    knows, and ``exodesk check --backups DIR`` (run as a process, as the IT person would)
    asks it."""
    stick = tmp_path / "usb-stick"
    stick.mkdir()
    copy = _backup(clinic, clock, stick)
    assert copy.audit_last_id is not None
    shutil.rmtree(data_paths.backups)
    (data_paths.folder / "exodesk.anchors").unlink()
    tamper.execute("DELETE FROM audit_log WHERE id > ?", [copy.audit_last_id - 1])
    _move_head(tamper)
    folder = str(data_paths.folder)

    assert run("check", "--data-dir", folder).returncode == 0  # nothing on the PC tells
    result = run("check", "--data-dir", folder, "--backups", str(stick))
    assert result.returncode == 1, result.stderr
    assert (
        f"At least 1 of the newest audit entries were removed: the backup of {copy.when} "
        f"({copy.path.name}) holds entry {copy.audit_last_id}"
    ) in result.stdout

    unplugged = run("check", "--data-dir", folder, "--backups", str(tmp_path / "E"))
    assert unplugged.returncode == 2
    assert "does not exist, so the audit trail was not checked against it" in unplugged.stderr


def test_an_encrypted_clinic_is_anchored_the_same_way(tmp_path: Path, clock: FakeClock) -> None:
    """An insider with the data key rewrites an entry of an encrypted file and reseals; the
    in-app check (Verify chain) opens the encrypted backup with the clinic's key to say where."""
    paths = DataPaths(tmp_path / "clinic")
    data_key, _recovery = enc.new_clinic_key()
    svc = open_services(paths, create=True, clock=clock, key=data_key)
    try:
        admin = StaffMember("Ada Admin", "practitioner", is_admin=True)
        assert svc.accounts.first_account(admin, ADMIN_PASSWORD).ok
        _work(svc, clock, ["Abbott", "Baker", "Carter"])
        record = _backup(svc, clock)
        assert is_encrypted(record.path) and record.audit_last_hash
        _work(svc, clock, ["Dunn"])
        audit = AuditService(svc.ctx)
        assert audit.verify().ok

        conn = connect(str(paths.data_file), key=data_key)
        try:
            conn.isolation_level = None
            for trigger in ("audit_log_no_update", "audit_head_forward_only"):
                conn.execute(f"DROP TRIGGER {trigger}")
            conn.execute("UPDATE audit_log SET summary = 'Rewritten' WHERE id = 2")
            _reseal_from(conn, 2)
        finally:
            conn.close()
        assert check_chain(svc.ctx.db).ok

        faults = audit.verify().faults
        assert any(
            f.startswith(f"Audit entry {record.audit_last_id} is not the one in") for f in faults
        )
        assert any(
            f.startswith(f"The trail first departs from {_where(record)} at entry 2, recorded ")
            for f in faults
        ), faults
    finally:
        svc.close()


def test_a_new_clinic_started_after_the_data_file_went_missing_starts_afresh(
    clinic: Services, data_paths: DataPaths, clock: FakeClock
) -> None:
    """The old clinic's backups stay for a restore; once a person chooses to start a new
    clinic (the old password file moved aside), they no longer accuse the new data file.
    Without that choice, a data file replaced by a new one is named like any lost trail."""
    old = _only_backup(data_paths)
    clinic.close()
    data_paths.data_file.unlink()

    def new_clinic() -> None:
        fresh = open_services(data_paths, create=True, clock=clock)
        try:
            admin = StaffMember("Ada Admin", "practitioner", is_admin=True)
            assert fresh.accounts.first_account(admin, ADMIN_PASSWORD).ok
        finally:
            fresh.close()

    new_clinic()
    code, text = _check(data_paths)
    assert code == 1 and f"{_where(old)} holds entr" in text

    data_paths.data_file.unlink()
    data_paths.keyring.write_text("{}")  # the password file left behind
    clock.advance(days=1)
    enc.move_keys_aside(data_paths, clock())
    new_clinic()
    code, text = _check(data_paths)
    assert code == 0, text
