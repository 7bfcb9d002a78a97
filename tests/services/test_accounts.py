"""Accounts on a real file: signing in, lockout, resets, the last admin, the first password,
rehashing, and that no password ever reaches the audit trail or the log."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import replace
from datetime import timedelta

import pytest
from argon2 import PasswordHasher, extract_parameters
from argon2.profiles import RFC_9106_LOW_MEMORY

from exodesk.domain.staff import StaffMember
from exodesk.errors import UserError
from exodesk.paths import DataPaths
from exodesk.services import accounts as accounts_module
from exodesk.services.accounts import AccountService, PasswordChangeRequired
from exodesk.services.context import PermissionRefused
from exodesk.services.workspace import Services, open_services
from tests.conftest import ADMIN_PASSWORD, FAST_PASSWORDS, FakeClock

NURSE_PASSWORD = "Ben's temporary one"
NURSE_OWN = "a lantern by the river"


def _actions(services: Services) -> list[str]:
    return [r[0] for r in services.ctx.db.execute("SELECT action FROM audit_log ORDER BY id")]


def _stored(services: Services, staff_id: int, column: str):
    sql = f"SELECT {column} FROM staff WHERE id = ?"
    return services.ctx.db.execute(sql, [staff_id]).fetchone()[0]


class SpyHasher:
    """The real hasher, noting every password it is asked to check."""

    def __init__(self, real: PasswordHasher) -> None:
        self.real = real
        self.checked: list[str] = []

    def verify(self, password_hash: str, password: str) -> bool:
        self.checked.append(password)
        return self.real.verify(password_hash, password)

    def __getattr__(self, name: str):
        return getattr(self.real, name)


@pytest.fixture
def ada(services: Services) -> StaffMember:
    member = services.desk.user
    assert member is not None and member.is_admin and member.role == "practitioner"
    return member


@pytest.fixture
def nurse(services: Services, ada: StaffMember) -> StaffMember:
    """A practitioner with a temporary password, who has already chosen their own."""
    created = services.accounts.create_account(
        StaffMember("Nurse Ben Whitaker", "practitioner"), NURSE_PASSWORD
    )
    assert created.ok, created.problems
    member = created.record
    services.accounts.sign_in(member.id, NURSE_PASSWORD, new_password=NURSE_OWN)
    services.accounts.sign_in(ada.id, ADMIN_PASSWORD)
    return member


# ---- the first account and signing in -----------------------------------------------------
def test_the_first_account_is_an_admin_at_the_desk_with_a_hashed_password(
    services: Services, ada: StaffMember
) -> None:
    stored = _stored(services, ada.id, "password_hash")
    assert stored.startswith("$argon2id$") and ADMIN_PASSWORD not in stored
    assert services.accounts.has_passwords()
    assert _actions(services) == ["create"]
    with pytest.raises(UserError, match="already has staff"):
        services.accounts.first_account(StaffMember("Eve", "practitioner"), "another password")


def test_the_first_account_checks_name_and_password(tmp_path, clock: FakeClock) -> None:
    svc = open_services(DataPaths(tmp_path / "c"), create=True, clock=clock)
    try:
        result = svc.accounts.first_account(StaffMember("  ", "admin"), "short")
        assert {p.field for p in result.problems} == {"name", "role", "password"}
        assert svc.clinic.staff(include_inactive=True) == [] and svc.desk.user is None
        zoe = StaffMember("Zoë Ñúñez García", "reception")
        result = svc.accounts.first_account(zoe, "zoë ñúñez garcía")
        assert [p.message for p in result.problems] == [
            "A password cannot be your name; choose something else."
        ]
        made = svc.accounts.first_account(zoe, "ĺóńğ ţëxţ ok")
        assert made.ok and made.record.is_admin and svc.desk.user == made.record
    finally:
        svc.close()


def test_signing_in_puts_the_person_at_the_desk_and_is_audited(
    services: Services, ada: StaffMember, nurse: StaffMember
) -> None:
    member = services.accounts.sign_in(nurse.id, NURSE_OWN)
    assert services.desk.user == member == nurse
    last = services.ctx.db.execute(
        "SELECT actor_id, action, record_id FROM audit_log ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert last == (nurse.id, "sign_in", nurse.id)
    services.accounts.sign_out()
    assert services.desk.user is None
    assert _actions(services)[-1] == "sign_out"
    services.accounts.sign_out()  # twice is harmless
    assert _actions(services)[-1] == "sign_out"


def test_a_wrong_password_is_counted_audited_and_said_plainly(
    services: Services, nurse: StaffMember
) -> None:
    with pytest.raises(UserError) as refused:
        services.accounts.sign_in(nurse.id, "a lantern by the RIVER")
    assert refused.value.message == "That password is not right."
    assert "4 more tries" in refused.value.advice
    assert refused.value.field == "password"
    assert services.desk.user.id != nurse.id  # Ada is still there
    assert _stored(services, nurse.id, "failed_attempts") == 1
    assert _actions(services)[-1] == "sign_in_failed"
    assert not services.ctx.db.conn.in_transaction, "the count is committed, not left open"
    services.accounts.sign_in(nurse.id, NURSE_OWN)
    assert _stored(services, nurse.id, "failed_attempts") == 0


def test_someone_who_left_cannot_sign_in(
    services: Services, ada: StaffMember, nurse: StaffMember
) -> None:
    assert services.clinic.save_staff(replace(nurse, active=False)).ok
    with pytest.raises(UserError, match="not on the active staff list"):
        services.accounts.sign_in(nurse.id, NURSE_OWN)
    with pytest.raises(UserError, match="not on the active staff list"):
        services.accounts.sign_in(999, NURSE_OWN)


def test_the_same_password_in_another_unicode_form_signs_in(
    services: Services, ada: StaffMember
) -> None:
    made = services.accounts.create_account(
        StaffMember("Chloé Martin", "reception"), "caf\u00e9 au lait!", temporary=False
    )
    assert services.accounts.sign_in(made.record.id, "cafe\u0301 au lait!") == made.record


# ---- lockout -------------------------------------------------------------------------------
def test_five_wrong_passwords_lock_the_account_for_five_minutes(
    services: Services, nurse: StaffMember, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(1, 5):
        clock.advance(seconds=20)
        with pytest.raises(UserError, match="not right"):
            services.accounts.sign_in(nurse.id, f"wrong guess {n}")
    clock.advance(seconds=20)
    with pytest.raises(UserError) as locked:
        services.accounts.sign_in(nurse.id, "wrong guess 5")
    assert locked.value.message == (
        "Too many wrong passwords: Nurse Ben Whitaker can try again in 5 minutes, "
        "or an admin can reset the password."
    )
    assert _actions(services)[-2:] == ["sign_in_failed", "locked_out"]
    locked_at = clock.now

    # While it waits, not even the right password is checked.
    spy = SpyHasher(services.accounts._hasher)
    monkeypatch.setattr(services.accounts, "_hasher", spy)
    checked = spy.checked
    clock.advance(minutes=4, seconds=30)
    with pytest.raises(UserError, match="try again in 1 minute,"):
        services.accounts.sign_in(nurse.id, NURSE_OWN)
    assert checked == []
    assert _actions(services)[-1] == "sign_in_failed"
    assert services.desk.user.id != nurse.id

    # When the wait is over the right password works, and the count starts again.
    clock.now = locked_at + timedelta(minutes=5)
    assert services.accounts.sign_in(nurse.id, NURSE_OWN).id == nurse.id
    assert checked == [NURSE_OWN]
    assert (
        _stored(services, nurse.id, "failed_attempts"),
        _stored(services, nurse.id, "locked_until"),
    ) == (0, None)


def test_after_a_wait_ends_there_are_five_more_tries(
    services: Services, nurse: StaffMember, clock: FakeClock
) -> None:
    for n in range(5):
        with pytest.raises(UserError):
            services.accounts.sign_in(nurse.id, f"wrong guess {n}")
    clock.advance(minutes=6)
    with pytest.raises(UserError) as fresh:
        services.accounts.sign_in(nurse.id, "still wrong")
    assert "4 more tries" in fresh.value.advice
    assert _stored(services, nurse.id, "locked_until") is None
    for n in range(3):
        with pytest.raises(UserError, match="not right"):
            services.accounts.sign_in(nurse.id, f"again wrong {n}")
    with pytest.raises(UserError, match="can try again in 5 minutes"):
        services.accounts.sign_in(nurse.id, "fifth of the new run")
    assert _actions(services).count("locked_out") == 2


def test_an_admin_reset_ends_the_wait(
    services: Services, ada: StaffMember, nurse: StaffMember
) -> None:
    for n in range(5):
        with pytest.raises(UserError):
            services.accounts.sign_in(nurse.id, f"wrong guess {n}")
    assert services.accounts.account(nurse.id).locked_until is not None
    assert services.accounts.reset_password(nurse.id, "fresh temporary one").ok
    account = services.accounts.account(nurse.id)
    assert (account.locked_until, account.failed_attempts, account.must_change_password) == (
        None,
        0,
        True,
    )


# ---- temporary passwords, resets and changes ------------------------------------------------
def test_a_reset_password_must_be_changed_at_the_next_sign_in(
    services: Services, ada: StaffMember, nurse: StaffMember
) -> None:
    assert services.accounts.reset_password(nurse.id, "temporary for Ben").ok
    assert _actions(services)[-1] == "password_reset"
    with pytest.raises(UserError, match="not right"):
        services.accounts.sign_in(nurse.id, NURSE_OWN)  # the old one is gone
    with pytest.raises(PasswordChangeRequired) as change:
        services.accounts.sign_in(nurse.id, "temporary for Ben")
    assert change.value.field == "new_password"
    assert services.desk.user.id == ada.id, "nobody new is at the desk until they choose"
    with pytest.raises(UserError, match="different from the temporary"):
        services.accounts.sign_in(nurse.id, "temporary for Ben", new_password="temporary for Ben")
    with pytest.raises(UserError, match="at least 10"):
        services.accounts.sign_in(nurse.id, "temporary for Ben", new_password="short")
    member = services.accounts.sign_in(
        nurse.id, "temporary for Ben", new_password="my very own again"
    )
    assert services.desk.user == member
    assert _actions(services)[-2:] == ["password_changed", "sign_in"]
    assert not services.accounts.account(nurse.id).must_change_password
    services.accounts.sign_in(nurse.id, "my very own again")


def test_only_an_admin_resets_and_never_their_own(
    services: Services, ada: StaffMember, nurse: StaffMember
) -> None:
    with pytest.raises(UserError, match="Change password"):
        services.accounts.reset_password(ada.id, "a new one for me")
    result = services.accounts.reset_password(nurse.id, "Nurse Ben Whitaker")
    assert [p.field for p in result.problems] == ["password"]
    services.accounts.sign_in(nurse.id, NURSE_OWN)
    with pytest.raises(PermissionRefused, match="may not add staff, change roles or reset"):
        services.accounts.reset_password(ada.id, "taking over ada")
    assert _actions(services)[-1] == "refused"
    services.accounts.sign_in(ada.id, ADMIN_PASSWORD)


def test_changing_your_own_password(services: Services, ada: StaffMember) -> None:
    result = services.accounts.change_password(ADMIN_PASSWORD, "too short")
    assert [p.field for p in result.problems] == ["new_password"]
    with pytest.raises(UserError) as wrong:
        services.accounts.change_password("not my password", "a better password")
    assert wrong.value.field == "old_password"
    assert _stored(services, ada.id, "failed_attempts") == 1
    assert services.accounts.change_password(ADMIN_PASSWORD, "a better password").ok
    assert _actions(services)[-1] == "password_changed"
    with pytest.raises(UserError, match="not right"):
        services.accounts.sign_in(ada.id, ADMIN_PASSWORD)
    services.accounts.sign_in(ada.id, "a better password")
    services.desk.user = None
    with pytest.raises(UserError, match="Nobody is signed in"):
        services.accounts.change_password("a better password", "another good one")


def test_accounts_are_listed_for_admins_only_and_never_show_a_hash(
    services: Services, ada: StaffMember, nurse: StaffMember
) -> None:
    listed = services.accounts.accounts()
    assert [(a.member.name, a.has_password) for a in listed] == [
        ("Ada Admin", True),
        ("Nurse Ben Whitaker", True),
    ]
    assert "argon2" not in repr(listed)
    services.accounts.sign_in(nurse.id, NURSE_OWN)
    with pytest.raises(PermissionRefused):
        services.accounts.accounts()


# ---- the idle lock ---------------------------------------------------------------------------
def test_unlocking_counts_like_signing_in(
    services: Services, ada: StaffMember, nurse: StaffMember
) -> None:
    assert services.accounts.verify_unlock(ada.id, ADMIN_PASSWORD) == ada
    assert _actions(services)[-1] == "unlock"
    with pytest.raises(UserError, match="not right"):
        services.accounts.verify_unlock(ada.id, "wrong one here")
    assert _actions(services)[-1] == "unlock_failed"
    assert _stored(services, ada.id, "failed_attempts") == 1
    with pytest.raises(UserError, match="locked for Ada Admin"):
        services.accounts.verify_unlock(nurse.id, NURSE_OWN)


# ---- the last admin --------------------------------------------------------------------------
def test_the_last_admin_stays_one(services: Services, ada: StaffMember, nurse: StaffMember) -> None:
    for change in (replace(ada, is_admin=False), replace(ada, active=False)):
        with pytest.raises(UserError, match="last admin"):
            services.clinic.save_staff(change)
    assert services.clinic.save_staff(replace(ada, role="reception")).ok  # still an admin
    assert services.clinic.save_staff(replace(nurse, is_admin=True)).ok
    demoted = services.clinic.save_staff(replace(ada, role="reception", is_admin=False))
    assert demoted.ok and services.desk.user == demoted.record
    with pytest.raises(PermissionRefused):  # no longer an admin
        services.clinic.save_staff(replace(nurse, is_admin=False))
    entry = services.ctx.db.execute(
        "SELECT before, after FROM audit_log WHERE action = 'update' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert '"admin": true' in entry[0] and '"admin": false' in entry[1]


# ---- the first password after an upgrade -----------------------------------------------------
@pytest.fixture
def upgraded(tmp_path, clock: FakeClock):
    """A clinic whose accounts have no passwords yet (as after the 0006 migration)."""
    svc = open_services(DataPaths(tmp_path / "u"), create=True, clock=clock)
    assert svc.clinic.add_first_staff(StaffMember("Tom Reyes", "reception")).ok
    assert svc.clinic.save_staff(StaffMember("Priya Shah", "reception")).ok
    assert svc.clinic.save_staff(StaffMember("Kim Second", "reception", is_admin=True)).ok
    svc.desk.user = None
    yield svc
    svc.close()


def test_while_nobody_has_a_password_an_admin_chooses_theirs(upgraded: Services) -> None:
    tom, kim, priya = (
        next(m for m in upgraded.clinic.staff() if m.name == name)
        for name in ("Tom Reyes", "Kim Second", "Priya Shah")
    )
    assert tom.is_admin and not upgraded.accounts.has_passwords()
    assert upgraded.accounts.may_set_first_password(tom.id)
    assert not upgraded.accounts.may_set_first_password(priya.id)
    with pytest.raises(UserError, match="Priya Shah has no password yet"):
        upgraded.accounts.sign_in(priya.id, "anything at all")
    assert _actions(upgraded)[-1] == "sign_in_failed"
    with pytest.raises(UserError, match="at least 10"):
        upgraded.accounts.sign_in(tom.id, "short")
    assert upgraded.accounts.sign_in(tom.id, "Tom's first password") == tom
    assert _actions(upgraded)[-2:] == ["password_set", "sign_in"]
    assert upgraded.accounts.has_passwords()
    # From now on nobody claims an account by typing a password for it.
    assert not upgraded.accounts.may_set_first_password(kim.id)
    with pytest.raises(UserError, match="Kim Second has no password yet"):
        upgraded.accounts.sign_in(kim.id, "Kim's claimed password")
    upgraded.accounts.sign_in(tom.id, "Tom's first password")
    assert upgraded.accounts.reset_password(priya.id, "Priya's temporary").ok
    with pytest.raises(PasswordChangeRequired):
        upgraded.accounts.sign_in(priya.id, "Priya's temporary")


# ---- rehashing -------------------------------------------------------------------------------
def test_a_hash_made_with_weaker_parameters_is_redone_at_sign_in(
    services: Services, ada: StaffMember, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_hash = _stored(services, ada.id, "password_hash")
    assert extract_parameters(old_hash) == FAST_PASSWORDS
    stronger = dataclasses.replace(FAST_PASSWORDS, time_cost=2, memory_cost=16)
    monkeypatch.setattr(accounts_module, "PASSWORD_PARAMETERS", stronger)
    accounts = AccountService(services.ctx)  # as the next version of ExoDesk would build it
    accounts.sign_in(ada.id, ADMIN_PASSWORD)
    new_hash = _stored(services, ada.id, "password_hash")
    assert new_hash != old_hash and extract_parameters(new_hash) == stronger
    accounts.sign_in(ada.id, ADMIN_PASSWORD)
    assert _stored(services, ada.id, "password_hash") == new_hash, "only redone once"
    with pytest.raises(UserError, match="not right"):
        accounts.sign_in(ada.id, "wrong guess")
    assert _stored(services, ada.id, "password_hash") == new_hash


def test_production_hashing_is_argon2id_at_rfc_9106_low_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.undo()  # the tests' cheap parameters (tests/conftest.py) are set aside
    assert accounts_module.PASSWORD_PARAMETERS == RFC_9106_LOW_MEMORY
    made = accounts_module.password_hasher().hash("a password of some length")
    assert made.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


# ---- secrets stay secret ---------------------------------------------------------------------
def test_no_password_reaches_the_audit_trail_settings_or_log(
    services: Services, ada: StaffMember, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    typed = [ADMIN_PASSWORD, "Kim's temporary pw", "Kim's own password", "wrong for Kim!"]
    kim = services.accounts.create_account(StaffMember("Kim Lee", "reception"), typed[1]).record
    with pytest.raises(PasswordChangeRequired):
        services.accounts.sign_in(kim.id, typed[1])
    services.accounts.sign_in(kim.id, typed[1], new_password=typed[2])
    for _ in range(6):
        with pytest.raises(UserError):
            services.accounts.sign_in(kim.id, typed[3])
    with pytest.raises(UserError):
        services.accounts.verify_unlock(kim.id, typed[3])
    clock.advance(minutes=10)
    services.accounts.sign_in(ada.id, ADMIN_PASSWORD)
    services.accounts.reset_password(kim.id, "another temporary")
    services.accounts.change_password(ADMIN_PASSWORD, "Ada's newer password")
    typed += ["another temporary", "Ada's newer password"]

    hashes = [r[0] for r in services.ctx.db.execute("SELECT password_hash FROM staff")]
    audit = "\n".join(
        repr(row) for row in services.ctx.db.execute("SELECT * FROM audit_log").fetchall()
    )
    settings = "\n".join(
        repr(row) for row in services.ctx.db.execute("SELECT * FROM settings").fetchall()
    )
    for secret in typed + [h for h in hashes if h]:
        assert secret not in audit
        assert secret not in settings
        assert secret not in caplog.text
    assert {"sign_in", "sign_in_failed", "locked_out", "password_reset", "password_changed"} <= set(
        _actions(services)
    )
