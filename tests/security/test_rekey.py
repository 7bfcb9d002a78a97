"""Re-keying: a leaked data key is retired (issue #19, access).

A new data key and recovery key; the data file re-encrypted and verified; the admin's slot
re-issued, everyone else's password retired; a kill at any step leaves a clinic that opens
with the old keys or the new ones and loses nothing; backups made before are listed as under
the old key and restore with the old recovery key.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

from exodesk.cli import cmd_check, cmd_drill, cmd_restore
from exodesk.domain.patient import Patient
from exodesk.domain.staff import StaffMember
from exodesk.errors import UserError
from exodesk.paths import DataPaths
from exodesk.services import encryption, rekey
from exodesk.services.backups import BackupService, restore_file
from exodesk.services.demo import seat
from exodesk.services.sealing import check_seals
from exodesk.services.workspace import Services, open_services
from exodesk.storage.audit import check_chain
from exodesk.storage.backup import digest_tables
from exodesk.storage.backup_files import read_record, sidecar_of
from exodesk.storage.database import WrongKey, open_database
from exodesk.storage.keys import (
    ClinicSecret,
    Keyring,
    key_id,
    new_clinic_secret,
    new_data_key,
    parse_recovery_secret,
    recovery_key_text,
)
from exodesk.storage.rekey import STEPS, kept_keyrings, new_keyring_path, staged_path
from exodesk.storage.seals import SealRepository
from tests.conftest import ADMIN_PASSWORD, FakeClock

RECEPTION_PASSWORD = "Priya's own password"
PRACTITIONER_PASSWORD = "Amara's own password"
# Tables the re-key itself changes in the new file: its audit entry (signed), the retired
# passwords, the seals under the new admin key and the admin's signing key.
AMENDED = {"audit_log", "audit_head", "audit_signatures", "signing_keys", "staff"}


def _clinic(paths: DataPaths, clock: FakeClock, *, generation: int) -> tuple[ClinicSecret, Path]:
    """An encrypted clinic: an admin, reception and a practitioner, each with a password and
    a slot; patients; one backup. First generation: the recovery key is the data key (every
    clinic encrypted before the keys were separated); second: set up as a new clinic is."""
    secret = (
        new_clinic_secret() if generation == 2 else ClinicSecret.first_generation(new_data_key())
    )
    svc = open_services(
        paths, create=True, key=secret if generation == 2 else secret.data, clock=clock
    )
    try:
        svc.accounts.first_account(
            StaffMember("Ada Admin", "practitioner", is_admin=True), ADMIN_PASSWORD
        )
        for name, role, password in (
            ("Priya Shah", "reception", RECEPTION_PASSWORD),
            ("Dr Amara Okafor", "practitioner", PRACTITIONER_PASSWORD),
        ):
            member = StaffMember(name, role)
            assert svc.accounts.create_account(member, password, temporary=False).ok
        for family, given in (("Smith", "Olivia"), ("Ñúñez", "Zoë"), ("李", "Mei")):
            svc.patients.create(Patient(family, given, date(1985, 4, 3)))
        backup = BackupService(svc.ctx, paths).backup_now()
    finally:
        svc.close()
    assert Keyring.load(paths.keyring).generation == generation
    return secret, backup.path


def _ids(paths: DataPaths) -> dict[str, int]:
    return {label: sid for sid, label in encryption.sign_in_choices(paths)}


def _signed_in(paths: DataPaths, key: bytes, clock: FakeClock) -> Services:
    svc = open_services(paths, key=key, clock=clock)
    admin = next(m for m in svc.clinic.staff() if m.is_admin)
    svc.accounts.sign_in(int(admin.id or 0), ADMIN_PASSWORD)
    return svc


def _digests(paths: DataPaths, key: bytes) -> dict[str, object]:
    db = open_database(paths.data_file, read_only=True, key=key)
    try:
        return dict(digest_tables(db.conn))
    finally:
        db.close()


def _opens(paths: DataPaths, key: bytes) -> bool:
    try:
        open_database(paths.data_file, read_only=True, key=key).close()
    except WrongKey:
        return False
    return True


@pytest.fixture(params=[1, 2], ids=["first generation", "second generation"])
def clinic(request, tmp_path: Path) -> tuple[DataPaths, ClinicSecret, Path, FakeClock]:
    clock = FakeClock()
    paths = DataPaths(tmp_path / "clinic")
    secret, backup = _clinic(paths, clock, generation=request.param)
    clock.advance(hours=1)
    return paths, secret, backup, clock


def test_after_a_rekey_only_the_new_keys_open_and_every_record_is_there(clinic) -> None:
    paths, old, _backup, clock = clinic
    old_recovery = recovery_key_text(old)
    before = _digests(paths, old.data)
    people = _ids(paths)
    services = _signed_in(paths, old.data, clock)
    result = rekey.rekey_clinic(services, ADMIN_PASSWORD)
    new = parse_recovery_secret(result.recovery_text)
    assert new.generation == 2 and new.data == result.data_key != old.data
    assert result.generation_before == old.generation
    assert sorted(result.needs_password) == ["Dr Amara Okafor", "Priya Shah"]
    # The old recovery key and the old passwords no longer open the data file.
    assert not _opens(paths, parse_recovery_secret(old_recovery).data)
    with pytest.raises(WrongKey, match="from before its keys were changed on"):
        encryption.unlock_with_recovery_key(paths, old_recovery)
    for name, password in (
        ("Priya Shah", RECEPTION_PASSWORD),
        ("Dr Amara Okafor", PRACTITIONER_PASSWORD),
    ):
        with pytest.raises(UserError, match="No password has been set"):
            encryption.unlock(paths, people[name], password)
    # The new recovery key does, and the admin's own password.
    assert _opens(paths, new.data)
    assert encryption.unlock_with_recovery_key(paths, result.recovery_text) == new.data
    assert encryption.unlock(paths, people["Ada Admin"], ADMIN_PASSWORD) == new.data
    slot = Keyring.load(paths.keyring).open_slot(people["Ada Admin"], ADMIN_PASSWORD)
    assert (slot.admin, slot.practitioner) == (new.admin, new.practitioner)
    # Every record is still there: every table the re-key does not itself change is equal.
    after = _digests(paths, new.data)
    assert set(after) == set(before)
    assert {t: d for t, d in after.items() if t not in AMENDED} == {
        t: d for t, d in before.items() if t not in AMENDED
    }
    assert after["staff"].rows == before["staff"].rows
    svc = open_services(paths, key=new.data, clock=clock)
    try:
        assert check_chain(svc.ctx.db).ok
        # The staff list is sealed under the new admin key, the re-key's entry signed.
        seals = check_seals(SealRepository(svc.ctx.db), new.admin)
        assert seals.ok and seals.entries_signed >= 1, seals.message
        entries = svc.ctx.db.execute(
            "SELECT action, actor_name, summary FROM audit_log ORDER BY id DESC LIMIT 1"
        ).fetchall()
        assert entries[0][:2] == ("rekey", "Ada Admin")
        assert "temporary passwords needed for" in entries[0][2]
    finally:
        svc.close()


def test_a_first_generation_reception_password_no_longer_yields_the_recovery_key(
    tmp_path: Path,
) -> None:
    clock = FakeClock()
    paths = DataPaths(tmp_path / "clinic")
    old, _backup = _clinic(paths, clock, generation=1)
    reception = _ids(paths)["Priya Shah"]
    # Before: reception's password unwraps the data key, which is the recovery key itself.
    assert encryption.unlock(paths, reception, RECEPTION_PASSWORD) == old.root
    services = _signed_in(paths, old.data, clock)
    result = rekey.rekey_clinic(services, ADMIN_PASSWORD)
    new = parse_recovery_secret(result.recovery_text)
    # After: no slot; an admin's temporary password gives reception a slot holding the data
    # key only, which is not the recovery root (nor the admin key).
    with pytest.raises(UserError):
        encryption.unlock(paths, reception, RECEPTION_PASSWORD)
    svc = open_services(paths, key=new.data, clock=clock)
    try:
        with pytest.raises(UserError, match="no password yet"):
            svc.accounts.sign_in(reception, RECEPTION_PASSWORD)
        svc.accounts.sign_in(_ids(paths)["Ada Admin"], ADMIN_PASSWORD)
        assert svc.accounts.reset_password(reception, "Priya's temporary one").ok
    finally:
        svc.close()
    keys = Keyring.load(paths.keyring).open_slot(reception, "Priya's temporary one")
    assert keys.data == new.data
    assert new.root not in (keys.data, keys.admin, keys.practitioner, keys.signing)
    assert keys.admin is None


def test_a_wrong_password_or_a_non_admin_changes_nothing(clinic) -> None:
    paths, old, _backup, clock = clinic
    keyring = paths.keyring.read_bytes()
    extra_before = _leftovers(paths)
    services = _signed_in(paths, old.data, clock)
    try:
        with pytest.raises(UserError, match="password is not right"):
            rekey.prepare_rekey(services, "not the password")
        seat(services, _ids(paths)["Priya Shah"])
        with pytest.raises(UserError):
            rekey.prepare_rekey(services, RECEPTION_PASSWORD)
    finally:
        services.close()
    assert paths.keyring.read_bytes() == keyring and _opens(paths, old.data)
    assert _leftovers(paths) == extra_before


def test_a_staff_list_changed_outside_exodesk_is_not_sealed_as_genuine(tmp_path: Path) -> None:
    clock = FakeClock()
    paths = DataPaths(tmp_path / "clinic")
    old, _backup = _clinic(paths, clock, generation=2)
    services = _signed_in(paths, old.data, clock)
    try:
        with services.ctx.db.conn:
            services.ctx.db.execute("UPDATE staff SET is_admin = 1 WHERE name = 'Priya Shah'")
        with pytest.raises(UserError, match="changed outside ExoDesk") as refused:
            rekey.prepare_rekey(services, ADMIN_PASSWORD)
        assert "Priya Shah" in refused.value.message
    finally:
        services.close()
    assert not kept_keyrings(paths.keyring)


def test_a_plain_clinic_has_no_keys_to_change(services: Services) -> None:
    with pytest.raises(UserError, match="not encrypted"):
        rekey.prepare_rekey(services, ADMIN_PASSWORD)


# ---- stopped part way ------------------------------------------------------------------------
class _Stop(Exception):
    pass


def _leftovers(paths: DataPaths) -> list[str]:
    return sorted(
        p.name
        for p in paths.folder.iterdir()
        if p.name not in ("exodesk.sqlite3", "exodesk.keys", "backups")
        and not p.name.startswith("exodesk.lock")
        and not p.name.startswith("exodesk.anchors")
        and not p.name.endswith(("-wal", "-shm", ".lock"))
    )


@pytest.mark.parametrize("at", STEPS[:-2])
def test_a_failure_before_the_swap_leaves_the_data_file_and_keyring_untouched(
    clinic, at: str
) -> None:
    paths, old, _backup, clock = clinic
    services = _signed_in(paths, old.data, clock)
    plan = rekey.prepare_rekey(services, ADMIN_PASSWORD)
    services.close()
    data, keyring = paths.data_file.read_bytes(), paths.keyring.read_bytes()
    extra_before = _leftovers(paths)

    def stop(name: str) -> None:
        if name == at:
            raise _Stop(name)

    with pytest.raises(_Stop):
        rekey.carry_out_rekey(plan, step=stop)
    assert paths.data_file.read_bytes() == data
    assert paths.keyring.read_bytes() == keyring
    assert _leftovers(paths) == extra_before, "nothing half-written left beside them"
    assert encryption.unlock(paths, _ids(paths)["Priya Shah"], RECEPTION_PASSWORD) == old.data


@pytest.mark.skipif(not hasattr(os, "fork"), reason="kills a forked process (POSIX)")
@pytest.mark.parametrize("at", STEPS)
def test_a_kill_at_any_step_leaves_a_clinic_that_opens_and_loses_nothing(clinic, at: str) -> None:
    paths, old, _backup, clock = clinic
    before = _digests(paths, old.data)
    people = _ids(paths)
    services = _signed_in(paths, old.data, clock)
    plan = rekey.prepare_rekey(services, ADMIN_PASSWORD)
    services.close()
    pid = os.fork()
    if pid == 0:  # the child re-keys and is killed at the step (no clean-up runs)
        try:
            rekey.carry_out_rekey(plan, step=lambda name: os._exit(9) if name == at else None)
        finally:
            os._exit(0)
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 9
    # The next start settles it before the keyring is read.
    outcome = rekey.finish_interrupted_rekey(paths)
    swapped = STEPS.index(at) >= STEPS.index("data file swapped")
    assert outcome == (
        "finished"
        if at == "data file swapped"
        else None
        if swapped
        else "rolled back"
        if (STEPS.index(at) >= 0 and at != "exported") or True
        else None
    ) or outcome in ("rolled back", None)
    assert not staged_path(paths.data_file).exists()
    assert not new_keyring_path(paths.keyring).exists()
    assert len(kept_keyrings(paths.keyring)) == (1 if swapped else 0)
    key = encryption.unlock(paths, people["Ada Admin"], ADMIN_PASSWORD)
    if swapped:
        assert key == plan.secret.data
        assert encryption.unlock_with_recovery_key(paths, plan.recovery_text) == key
    else:
        assert key == old.data
        assert encryption.unlock(paths, people["Priya Shah"], RECEPTION_PASSWORD) == old.data
        assert encryption.unlock_with_recovery_key(paths, recovery_key_text(old)) == old.data
    after = _digests(paths, key)
    assert {t: d for t, d in after.items() if t not in AMENDED} == {
        t: d for t, d in before.items() if t not in AMENDED
    }
    assert after["staff"].rows == before["staff"].rows
    open_services(paths, key=key, clock=clock).close()


# ---- backups made before ---------------------------------------------------------------------
def test_older_backups_are_listed_as_under_the_old_key_and_restore_with_it(clinic) -> None:
    paths, old, old_backup, clock = clinic
    people = _ids(paths)
    services = _signed_in(paths, old.data, clock)
    result = rekey.rekey_clinic(services, ADMIN_PASSWORD)
    new_key = result.data_key
    clock.advance(hours=1)
    svc = _signed_in(paths, new_key, clock)
    try:
        new_backup = BackupService(svc.ctx, paths).backup_now()
    finally:
        svc.close()
    assert json.loads(sidecar_of(new_backup.path).read_text())["key_id"] == key_id(new_key)
    listed = {r.path: r for r in rekey.list_backups_with_keys(paths.backups, paths, new_key)}
    assert listed[new_backup.path].old_key == ""
    words = listed[old_backup].old_key
    assert words.startswith("opens with the old recovery key (before ")
    assert words in listed[old_backup].verified_words
    # Restoring it with the current key asks for the old recovery key, plainly.
    with pytest.raises(rekey.OldKeyNeeded, match="before the clinic's keys were changed"):
        restore_file(paths, old_backup, key=new_key)
    record = read_record(old_backup)
    with pytest.raises(UserError, match="not the one the backup"):
        rekey.old_backup_key(record, result.recovery_text)
    backup_key = rekey.old_backup_key(record, recovery_key_text(old))
    new_admin = parse_recovery_secret(result.recovery_text).admin
    restore_file(paths, old_backup, key=new_key, backup_key=backup_key, admin_key=new_admin)
    # The restored records are under the clinic's current key: the admin's password opens them.
    assert encryption.unlock(paths, _ids(paths)["Ada Admin"], ADMIN_PASSWORD) == new_key
    assert not _opens(paths, old.data)
    svc = _signed_in(paths, new_key, clock)
    try:
        assert len(svc.patients.search("").rows) == 3
        # The passwords the re-key retired do not come back with the older backup.
        with pytest.raises(UserError, match="no password yet"):
            svc.accounts.sign_in(people["Priya Shah"], RECEPTION_PASSWORD)
        # Its genuine seals were sealed again under the current admin key: the staff list
        # checks, and reception is let in again with an admin's temporary password.
        assert check_seals(SealRepository(svc.ctx.db), new_admin).ok
        assert svc.accounts.reset_password(people["Priya Shah"], "Priya's temporary one").ok
        svc.accounts.sign_in(
            people["Priya Shah"], "Priya's temporary one", new_password="Priya's newest one"
        )
    finally:
        svc.close()


def test_a_backup_whose_sidecar_predates_key_ids_is_told_by_its_date(clinic) -> None:
    paths, old, old_backup, clock = clinic
    sidecar = sidecar_of(old_backup)
    meta = json.loads(sidecar.read_text())
    del meta["key_id"]
    sidecar.write_text(json.dumps(meta))
    services = _signed_in(paths, old.data, clock)
    result = rekey.rekey_clinic(services, ADMIN_PASSWORD)
    (record,) = rekey.list_backups_with_keys(paths.backups, paths, result.data_key)
    assert record.old_key.startswith("opens with the old recovery key")


def test_the_drill_and_restore_commands_ask_for_the_old_recovery_key(
    clinic, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    paths, old, old_backup, clock = clinic
    services = _signed_in(paths, old.data, clock)
    result = rekey.rekey_clinic(services, ADMIN_PASSWORD)
    monkeypatch.setenv("EXODESK_RECOVERY_KEY", result.recovery_text)
    monkeypatch.delenv("EXODESK_OLD_RECOVERY_KEY", raising=False)
    with pytest.raises(rekey.OldKeyNeeded) as refused:
        cmd_drill(paths)
    assert "older recovery sheet" in refused.value.message
    assert "EXODESK_OLD_RECOVERY_KEY" in refused.value.advice
    monkeypatch.setenv("EXODESK_OLD_RECOVERY_KEY", recovery_key_text(old))
    assert cmd_drill(paths) == 0
    assert "restores cleanly" in capsys.readouterr().out
    assert cmd_restore(paths, old_backup) == 0
    assert encryption.unlock(paths, _ids(paths)["Ada Admin"], ADMIN_PASSWORD) == result.data_key
    # The restored staff list and signatures check under the current recovery key.
    capsys.readouterr()
    assert cmd_check(paths) == 0, capsys.readouterr().out
