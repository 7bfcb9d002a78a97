"""Accounts as rules: who may do what, the password rules, and when wrong passwords lock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from exodesk.domain import accounts as perms
from exodesk.domain.accounts import (
    ADMIN_PERMISSIONS,
    PERMISSION_LABELS,
    ROLE_PERMISSIONS,
    allowed,
    attempts_left,
    check_password,
    is_locked,
    lockout_until,
    minutes_left,
    normalise_password,
    permissions,
    refusal_message,
    who_may,
)
from exodesk.domain.staff import ROLES, StaffMember

RECEPTION = StaffMember("Priya Shah", "reception", id=1)
PRACTITIONER = StaffMember("Dr Amara Okafor", "practitioner", id=2)
RECEPTION_ADMIN = StaffMember("Tom Reyes", "reception", id=3, is_admin=True)
PRACTITIONER_ADMIN = StaffMember("Ada Admin", "practitioner", id=4, is_admin=True)
ALL = frozenset(PERMISSION_LABELS)


def test_every_permission_has_a_label_and_belongs_to_someone() -> None:
    constants = {v for k, v in vars(perms).items() if k.isupper() and isinstance(v, str)}
    assert constants == ALL
    granted = set(ADMIN_PERMISSIONS).union(*ROLE_PERMISSIONS.values())
    assert granted == ALL
    assert set(ROLE_PERMISSIONS) == set(ROLES)


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        (
            RECEPTION,
            {
                perms.PATIENTS_VIEW,
                perms.PATIENTS_EDIT,
                perms.SCREENING_VIEW,
                perms.SCREENING_TAKE,
                perms.DUE_LIST_VIEW,
                perms.DUE_LIST_MARK,
                perms.HANDOUTS_PRINT,
                # Reception often holds the camera; hiding a photo (PHOTOS_ERROR) is clinical.
                perms.PHOTOS_VIEW,
                perms.PHOTOS_TAKE,
                perms.PHOTO_CONSENT,
            },
        ),
        # Reviewing the clinical content is both clinical and the clinic lead's: the one
        # permission a practitioner shares with the admins.
        (PRACTITIONER, ALL - ADMIN_PERMISSIONS | {perms.CONTENT_REVIEW}),
        (RECEPTION_ADMIN, ROLE_PERMISSIONS["reception"] | ADMIN_PERMISSIONS),
        (PRACTITIONER_ADMIN, ALL),
    ],
    ids=["reception", "practitioner", "reception+admin", "practitioner+admin"],
)
def test_the_permission_table(member: StaffMember, expected: set[str]) -> None:
    assert permissions(member) == expected
    for permission in ALL:
        assert allowed(member, permission) == (permission in expected)


def test_the_admin_flag_adds_no_clinical_work() -> None:
    clinical = {
        perms.SCREENING_SIGN_OFF,
        perms.SCREENING_OVERRIDE,
        perms.SESSIONS_RECORD,
        perms.EVENTS_LOG,
        perms.CATALOGUE_EDIT,
    }
    assert not clinical & ADMIN_PERMISSIONS
    assert not any(allowed(RECEPTION_ADMIN, p) for p in clinical)


def test_someone_who_has_left_may_do_nothing() -> None:
    gone = StaffMember("Ada Admin", "practitioner", active=False, id=4, is_admin=True)
    assert permissions(gone) == frozenset()
    assert not allowed(gone, perms.PATIENTS_VIEW)


def test_an_unknown_role_may_do_nothing_and_an_unknown_permission_is_a_bug() -> None:
    assert permissions(StaffMember("Old Admin", "admin", id=9)) == frozenset()
    with pytest.raises(KeyError):
        allowed(PRACTITIONER_ADMIN, "patients.delete")


def test_refusals_name_what_and_who_to_ask() -> None:
    assert refusal_message(RECEPTION, perms.SESSIONS_RECORD) == (
        "Priya Shah may not record treatment sessions and courses."
    )
    assert who_may(perms.SESSIONS_RECORD) == "a practitioner"
    assert who_may(perms.BACKUPS_RESTORE) == "an admin"
    assert who_may(perms.PATIENTS_EDIT) == "reception or a practitioner"
    assert who_may(perms.CONTENT_REVIEW) == "a practitioner or an admin"


def test_staff_labels_show_the_admin_flag() -> None:
    assert RECEPTION.label == "Priya Shah (Reception)"
    assert PRACTITIONER_ADMIN.label == "Ada Admin (Practitioner, admin)"
    assert StaffMember("Old", "admin").validate()[0].field == "role"


# ---- passwords -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery",
        "ĺóńğ ţëxţ ẅïţĥ àççëñţş",
        "パスワードは十文字以上です",
        "пароль-достаточно-длинный",
        "🔒🔑🗝️🔐🔓🔏🔒🔑🗝️🔐",
        "          .",  # spaces count
        "x" * 1000,
    ],
)
def test_any_unicode_of_ten_characters_or_more_is_accepted(password: str) -> None:
    assert check_password(password, name="Ada Admin") == []


@pytest.mark.parametrize(
    ("password", "words"),
    [
        ("", "at least 10 characters"),
        ("short", "at least 10 characters (this one has 5)"),
        ("123456789", "at least 10"),
        ("x" * 1001, "at most 1,000"),
        ("Ada Admin!", "cannot be your name"),  # contains the whole name
        ("ada admin", "at least 10"),
        ("A D A A D M I N", "cannot be your name"),
        ("Okafor-Okafor", ""),  # a name part repeated is allowed: it is not the name
        ("tab\there-and-more", "control characters"),
    ],
)
def test_passwords_that_break_the_rules_say_why(password: str, words: str) -> None:
    name = "Ada Admin" if "Okafor" not in password else "Dr Amara Okafor"
    problems = check_password(password, name=name)
    if not words:
        assert problems == []
        return
    assert len(problems) == 1 and problems[0].field == "password"
    assert words in problems[0].message
    assert password not in problems[0].message or not password


def test_a_name_part_alone_is_refused() -> None:
    assert check_password("Whitakerrr", name="Ben Whitaker") == []
    problems = check_password("  Whitaker  ", name="Nurse Ben Whitaker")
    assert problems and "your name" in problems[0].message
    problems = check_password("WHITAKER12", name="Nurse Ben Whitaker")
    assert problems == []


def test_passwords_are_compared_in_one_unicode_form() -> None:
    composed, decomposed = "caf\u00e9 au lait!", "cafe\u0301 au lait!"
    assert normalise_password(composed) == normalise_password(decomposed)
    assert normalise_password(" Spaces Kept ") == " Spaces Kept "


# ---- lockout ---------------------------------------------------------------------------------
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("failures", [0, 1, 4])
def test_fewer_than_five_wrong_passwords_do_not_lock(failures: int) -> None:
    assert lockout_until(failures, NOW) is None
    assert attempts_left(failures) == 5 - failures


@pytest.mark.parametrize("failures", [5, 6])
def test_the_fifth_wrong_password_locks_for_five_minutes(failures: int) -> None:
    until = lockout_until(failures, NOW)
    assert until == NOW + timedelta(minutes=5)
    assert is_locked(until, NOW + timedelta(minutes=4, seconds=59))
    assert not is_locked(until, NOW + timedelta(minutes=5))
    assert not is_locked(None, NOW)


@pytest.mark.parametrize(
    ("left", "minutes"),
    [(timedelta(minutes=5), 5), (timedelta(minutes=4, seconds=1), 5), (timedelta(seconds=1), 1)],
)
def test_minutes_left_round_up(left: timedelta, minutes: int) -> None:
    assert minutes_left(NOW + left, NOW) == minutes
