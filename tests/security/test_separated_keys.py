"""An insider with a password, against a clinic whose keys are separated (issue #19).

Before: the recovery key *was* the data key, so any password yielded it and "Use the recovery
key → Set a new password" seated a receptionist as the admin; ``UPDATE staff SET is_admin=1``
made them one and ``exodesk check`` said all was well; and any entry could be written in
anyone's name. Now the recovery key is a root of its own, slots hold only what a role needs,
staff rows are sealed under the admin key, and each person's entries are signed with a key
only their password unwraps.
"""

from __future__ import annotations

import base64
import io
import json
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from exodesk import cli
from exodesk.domain.audit import AuditEntry
from exodesk.domain.patient import Patient
from exodesk.domain.staff import StaffMember
from exodesk.errors import UserError
from exodesk.paths import DataPaths
from exodesk.services import encryption
from exodesk.services.encryption import RoleNotBacked
from exodesk.services.sealing import UNSIGNED_ACTIONS
from exodesk.services.workspace import Services, open_services
from exodesk.storage.audit import AuditRepository
from exodesk.storage.database import open_database
from exodesk.storage.keys import (
    Keyring,
    KeyringDamaged,
    parse_recovery_secret,
    recovery_key_text,
    wrap,
)
from tests.conftest import ADMIN_PASSWORD, FakeClock

RECEPTION_PASSWORD = "Rita's desk password"
PRACTITIONER_PASSWORD = "Pat's treatment room"


@dataclass
class Clinic:
    paths: DataPaths
    recovery: str
    admin: int
    reception: int
    practitioner: int


@pytest.fixture
def clinic(tmp_path: Path) -> Clinic:
    """A new (second-generation) encrypted clinic: an admin, a receptionist, a practitioner."""
    paths = DataPaths(tmp_path / "clinic")
    secret, recovery = encryption.new_clinic_key()
    svc = open_services(paths, create=True, key=secret, clock=FakeClock())
    try:
        admin = svc.accounts.first_account(
            StaffMember("Ada Admin", "practitioner", is_admin=True), ADMIN_PASSWORD
        ).record
        reception = svc.accounts.create_account(
            StaffMember("Rita Reception", "reception"), RECEPTION_PASSWORD, temporary=False
        ).record
        practitioner = svc.accounts.create_account(
            StaffMember("Pat Practitioner", "practitioner"), PRACTITIONER_PASSWORD, temporary=False
        ).record
    finally:
        svc.close()
    return Clinic(paths, recovery, int(admin.id), int(reception.id), int(practitioner.id))


def _open(clinic: Clinic, staff_id: int, password: str, *, sign_in: bool = True) -> Services:
    key = encryption.unlock(clinic.paths, staff_id, password)
    services = open_services(clinic.paths, key=key, clock=FakeClock())
    if sign_in:
        try:
            services.accounts.sign_in(staff_id, password)
        except BaseException:
            services.close()
            raise
    return services


def _sql(clinic: Clinic, data_key: bytes, statement: str, *args: object) -> None:
    """What someone who can decrypt the file can do to it with any SQLite tool."""
    db = open_database(clinic.paths.data_file, key=data_key)
    try:
        with db.conn:
            db.execute(statement, list(args))
    finally:
        db.close()


def _reception_data_key(clinic: Clinic) -> bytes:
    return encryption.unlock(clinic.paths, clinic.reception, RECEPTION_PASSWORD)


def _check(clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.setenv(cli.RECOVERY_KEY_VARIABLE, clinic.recovery)
    out = io.StringIO()
    code = cli.cmd_check(clinic.paths, out=out)
    return code, out.getvalue()


def test_no_password_yields_the_recovery_key_and_slots_hold_only_their_role(
    clinic: Clinic,
) -> None:
    secret = parse_recovery_secret(clinic.recovery)
    assert secret.generation == 2
    ring = Keyring.load(clinic.paths.keyring)
    assert ring.generation == 2
    held = {
        "reception": ring.open_slot(clinic.reception, RECEPTION_PASSWORD),
        "practitioner": ring.open_slot(clinic.practitioner, PRACTITIONER_PASSWORD),
        "admin": ring.open_slot(clinic.admin, ADMIN_PASSWORD),
    }
    for keys in held.values():
        assert keys.data == secret.data
        # The data key is not the recovery key, nor is anything else a slot holds.
        assert secret.root not in (keys.data, keys.admin, keys.practitioner, keys.signing)
        assert recovery_key_text(keys.data) != clinic.recovery
    assert held["reception"].admin is None and held["reception"].practitioner is None
    assert held["practitioner"].admin is None
    assert held["practitioner"].practitioner == secret.practitioner
    assert held["admin"].admin == secret.admin
    # Three different signing keys, one per person.
    assert len({k.signing for k in held.values()}) == 3


def test_a_receptionist_cannot_take_over_an_admin_with_what_their_password_opens(
    clinic: Clinic,
) -> None:
    data_key = _reception_data_key(clinic)
    services = _open(clinic, clinic.reception, RECEPTION_PASSWORD, sign_in=False)
    try:
        # Before: the data key written as a recovery key was the recovery key.
        with pytest.raises(UserError, match="Only this clinic's recovery key"):
            services.accounts.restore_access(
                clinic.admin, "a password of my choosing", recovery_key=recovery_key_text(data_key)
            )
        assert services.desk.user is None
    finally:
        services.close()
    # The admin's password still works; the real recovery key still restores access.
    assert encryption.unlock(clinic.paths, clinic.admin, ADMIN_PASSWORD)
    services = _open(clinic, clinic.reception, RECEPTION_PASSWORD, sign_in=False)
    try:
        result = services.accounts.restore_access(
            clinic.admin, "the admin's new password", recovery_key=clinic.recovery
        )
        assert result.ok and services.desk.user is not None and services.desk.user.is_admin
    finally:
        services.close()
    assert encryption.unlock(clinic.paths, clinic.admin, "the admin's new password")


@pytest.mark.parametrize(
    "edit",
    [
        "UPDATE staff SET is_admin = 1 WHERE id = ?",
        "UPDATE staff SET role = 'practitioner' WHERE id = ?",
    ],
    ids=["made admin", "made practitioner"],
)
def test_a_role_given_outside_exodesk_is_refused_at_sign_in_and_named_by_check(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch, edit: str
) -> None:
    assert _check(clinic, monkeypatch)[0] == 0
    _sql(clinic, _reception_data_key(clinic), edit, clinic.reception)
    services = _open(clinic, clinic.reception, RECEPTION_PASSWORD, sign_in=False)
    try:
        with pytest.raises(RoleNotBacked):
            services.accounts.sign_in(clinic.reception, RECEPTION_PASSWORD)
        assert services.desk.user is None
    finally:
        services.close()
    # Even after an admin has signed in on this PC (the admin key in hand): the row's seal
    # does not hold, so the sign-in is still refused.
    services = _open(clinic, clinic.admin, ADMIN_PASSWORD)
    try:
        services.accounts.sign_out()
        with pytest.raises(RoleNotBacked, match="changed outside ExoDesk"):
            services.accounts.sign_in(clinic.reception, RECEPTION_PASSWORD)
        refusals = [
            e
            for e in services.ctx.db.execute(
                "SELECT action, summary FROM audit_log WHERE actor_id = ?", [clinic.reception]
            ).fetchall()
            if e[0] == "sign_in_failed"
        ]
        assert len(refusals) == 2
    finally:
        services.close()
    code, text = _check(clinic, monkeypatch)
    assert code == 1
    assert "Rita Reception" in text and "changed outside ExoDesk" in text


def test_a_slot_forged_with_made_up_keys_does_not_back_a_role(clinic: Clinic) -> None:
    data_key = _reception_data_key(clinic)
    # The receptionist rewraps their own slot with invented admin and practitioner keys...
    ring = Keyring.load(clinic.paths.keyring)
    forged = wrap(
        str(clinic.reception),
        "Rita Reception",
        RECEPTION_PASSWORD,
        data_key,
        ring.kdf,
        extras={"admin": secrets.token_bytes(32), "practitioner": secrets.token_bytes(32)},
    )
    raw = json.loads(clinic.paths.keyring.read_text())
    raw["slots"][str(clinic.reception)] = forged.as_dict()
    body = {k: v for k, v in raw.items() if k not in ("checksum", "failed")}
    raw["checksum"] = (
        __import__("hashlib")
        .sha256(
            json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
        )
        .hexdigest()
    )
    clinic.paths.keyring.write_text(json.dumps(raw))
    # ...and makes themself an admin in the data file.
    _sql(clinic, data_key, "UPDATE staff SET is_admin = 1 WHERE id = ?", clinic.reception)
    services = _open(clinic, clinic.reception, RECEPTION_PASSWORD, sign_in=False)
    try:
        with pytest.raises(RoleNotBacked):
            services.accounts.sign_in(clinic.reception, RECEPTION_PASSWORD)
    finally:
        services.close()


def test_a_role_an_admin_gives_in_exodesk_follows_into_the_slot(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = _open(clinic, clinic.admin, ADMIN_PASSWORD)
    try:
        [rita] = [m for m in services.clinic.staff() if m.id == clinic.reception]
        assert services.clinic.save_staff(replace(rita, role="practitioner")).ok
        services.accounts.sign_out()
        member = services.accounts.sign_in(clinic.reception, RECEPTION_PASSWORD)
        assert member.role == "practitioner"
    finally:
        services.close()
    keys = Keyring.load(clinic.paths.keyring).open_slot(clinic.reception, RECEPTION_PASSWORD)
    assert keys.practitioner is not None and keys.admin is None
    # From now on the slot backs the role on its own, whoever unlocked first.
    _open(clinic, clinic.reception, RECEPTION_PASSWORD).close()
    assert _check(clinic, monkeypatch)[0] == 0


def test_entries_are_signed_by_their_author_and_a_forged_one_is_named(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, date, datetime

    services = _open(clinic, clinic.practitioner, PRACTITIONER_PASSWORD)
    try:
        assert services.patients.create(Patient("Smith", "Olivia", date(1985, 4, 3))).ok
        signed = services.ctx.db.execute(
            "SELECT count(*) FROM audit_signatures s JOIN signing_keys k "
            "ON k.id = s.signing_key_id WHERE k.staff_id = ?",
            [clinic.practitioner],
        ).fetchone()[0]
    finally:
        services.close()
    assert signed >= 2  # the sign-in and the new patient
    code, text = _check(clinic, monkeypatch)
    assert code == 0 and "signed entries verified" in text
    # The receptionist, who can decrypt the file, writes an entry in the practitioner's name.
    data_key = _reception_data_key(clinic)
    db = open_database(clinic.paths.data_file, key=data_key)
    try:
        with db.conn:
            AuditRepository(db).append(
                AuditEntry(
                    at=datetime(2026, 12, 6, 12, tzinfo=UTC),
                    actor_id=clinic.practitioner,
                    actor_name="Pat Practitioner",
                    action="update",
                    table_name="patients",
                    record_id=1,
                    patient_id=1,
                    summary="Consent withdrawn",
                    before=None,
                    after=None,
                )
            )
    finally:
        db.close()
    code, text = _check(clinic, monkeypatch)
    assert code == 1
    assert "Pat Practitioner's name that their own session did not sign" in text


def test_an_entry_signed_with_someone_elses_key_is_named(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = _open(clinic, clinic.reception, RECEPTION_PASSWORD)
    try:
        services.accounts.sign_out()
        # Relabel the receptionist's signed sign-out entry as the practitioner's.
        newest = services.ctx.db.execute("SELECT max(audit_id) FROM audit_signatures").fetchone()[0]
    finally:
        services.close()
    data_key = _reception_data_key(clinic)
    _sql(clinic, data_key, "DROP TRIGGER audit_log_no_update")
    _sql(
        clinic,
        data_key,
        "UPDATE audit_log SET actor_id = ? WHERE id = ?",
        clinic.practitioner,
        newest,
    )
    code, text = _check(clinic, monkeypatch)
    assert code == 1 and "carries a signature that is not theirs" in text


def test_failed_sign_ins_in_someones_name_need_no_signature(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "sign_in_failed" in UNSIGNED_ACTIONS
    services = _open(clinic, clinic.admin, ADMIN_PASSWORD)
    try:
        services.accounts.sign_out()
        with pytest.raises(UserError):
            services.accounts.sign_in(clinic.practitioner, "not the password at all")
    finally:
        services.close()
    assert _check(clinic, monkeypatch)[0] == 0


def test_a_first_generation_clinic_still_opens_and_check_says_how_to_separate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exodesk.storage.keys import new_data_key

    paths = DataPaths(tmp_path / "old clinic")
    data_key = new_data_key()  # as every clinic encrypted before the keys were separated
    svc = open_services(paths, create=True, key=data_key, clock=FakeClock())
    try:
        svc.accounts.first_account(
            StaffMember("Ada Admin", "practitioner", is_admin=True), ADMIN_PASSWORD
        )
    finally:
        svc.close()
    assert Keyring.load(paths.keyring).generation == 1
    assert encryption.unlock(paths, 1, ADMIN_PASSWORD) == data_key
    old_sheet = recovery_key_text(data_key)
    assert encryption.unlock_with_recovery_key(paths, old_sheet) == data_key
    monkeypatch.setenv(cli.RECOVERY_KEY_VARIABLE, old_sheet)
    out = io.StringIO()
    assert cli.cmd_check(paths, out=out) == 0
    assert "change the clinic's keys" in out.getvalue()


def test_a_flipped_byte_inside_a_slot_is_damage_not_a_wrong_password(clinic: Clinic) -> None:
    raw = json.loads(clinic.paths.keyring.read_text())
    slot = raw["slots"][str(clinic.admin)]
    wrapped = bytearray(base64.b64decode(slot["wrapped"]))
    wrapped[0] ^= 0x01
    slot["wrapped"] = base64.b64encode(bytes(wrapped)).decode()
    clinic.paths.keyring.write_text(json.dumps(raw))
    with pytest.raises(KeyringDamaged):
        encryption.unlock(clinic.paths, clinic.admin, ADMIN_PASSWORD)
    # The recovery key still opens the clinic.
    assert encryption.unlock_with_recovery_key(clinic.paths, clinic.recovery)


def test_the_audit_trail_check_in_the_app_names_a_changed_staff_row(clinic: Clinic) -> None:
    from exodesk.services.audit import AuditService

    services = _open(clinic, clinic.admin, ADMIN_PASSWORD)
    try:
        audit = AuditService(services.ctx)
        assert audit.verify().ok
        job = audit.verify_job()
        assert job is not None and job().ok
    finally:
        services.close()
    _sql(
        clinic,
        _reception_data_key(clinic),
        "UPDATE staff SET is_admin = 1 WHERE id = ?",
        clinic.reception,
    )
    services = _open(clinic, clinic.admin, ADMIN_PASSWORD)
    try:
        audit = AuditService(services.ctx)
        for report in (audit.verify(), audit.verify_job()()):  # type: ignore[misc]
            assert not report.ok
            assert any("Rita Reception" in fault for fault in report.faults)
    finally:
        services.close()


def test_the_sign_in_dialog_shows_the_whole_refusal(qtbot, clinic: Clinic) -> None:
    from exodesk.ui.dialogs.sign_in import SignInDialog

    _sql(
        clinic,
        _reception_data_key(clinic),
        "UPDATE staff SET is_admin = 1 WHERE id = ?",
        clinic.reception,
    )
    services = _open(clinic, clinic.reception, RECEPTION_PASSWORD, sign_in=False)
    try:
        dialog = SignInDialog(
            None, services.accounts, services.clinic.staff(), preselect=clinic.reception
        )
        qtbot.addWidget(dialog)
        dialog.show()
        before = dialog.height()
        dialog.password.setText(RECEPTION_PASSWORD)
        dialog.sign_in()
        assert dialog.member is None and services.desk.user is None
        text = dialog.error.text()
        assert "Rita Reception cannot sign in" in text and "admin" in text
        # The wrapped refusal fits: the dialog grew to the height its layout needs.
        layout = dialog.layout()
        assert dialog.height() > before
        assert dialog.height() >= layout.totalHeightForWidth(dialog.width())
    finally:
        services.close()
