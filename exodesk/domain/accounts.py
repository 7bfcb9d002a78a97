"""Accounts: what each role may do, the password rules, and when a run of wrong passwords locks."""

from __future__ import annotations

import math
import unicodedata
from datetime import datetime, timedelta

from exodesk.domain.problems import Problem, has_control_chars
from exodesk.domain.staff import StaffMember

# ---- permissions -------------------------------------------------------------------------
# One name per thing a service guards. The strings are stored in 'refused' audit entries, so
# treat them like migration names: add new ones, never rename a landed one.
PATIENTS_VIEW = "patients.view"
PATIENTS_EDIT = "patients.edit"
SCREENING_VIEW = "screening.view"
SCREENING_TAKE = "screening.take"
SCREENING_SIGN_OFF = "screening.sign_off"
SCREENING_OVERRIDE = "screening.override"
SESSIONS_VIEW = "sessions.view"
SESSIONS_RECORD = "sessions.record"
EVENTS_LOG = "events.log"
DUE_LIST_VIEW = "due_list.view"
DUE_LIST_MARK = "due_list.mark"
RECALL_VIEW = "recall.view"
CATALOGUE_EDIT = "catalogue.edit"
CLINICAL_TEXTS_EDIT = "clinical_texts.edit"
HANDOUTS_PRINT = "handouts.print"
SETTINGS_EDIT = "settings.edit"
ACCOUNTS_MANAGE = "accounts.manage"
BACKUPS_RUN = "backups.run"
BACKUPS_RESTORE = "backups.restore"
AUDIT_VIEW = "audit.view"
EXPORT_CLINIC = "export.clinic"
EXPORT_PATIENT = "export.patient"
CONTENT_REVIEW = "content.review"
ALLERGIES_RETRACT = "allergies.retract"
PHOTOS_VIEW = "photos.view"
PHOTOS_TAKE = "photos.take"
PHOTO_CONSENT = "photos.consent"
PHOTOS_ERROR = "photos.error"

# What each permission lets someone do, finishing "You may not …" in a refusal message.
PERMISSION_LABELS: dict[str, str] = {
    PATIENTS_VIEW: "look up patients",
    PATIENTS_EDIT: "register or change patients",
    SCREENING_VIEW: "see screenings",
    SCREENING_TAKE: "take screenings and consent",
    SCREENING_SIGN_OFF: "sign off screenings",
    SCREENING_OVERRIDE: "override screening verdicts",
    SESSIONS_VIEW: "see treatment sessions and adverse events",
    SESSIONS_RECORD: "record treatment sessions and courses",
    EVENTS_LOG: "log or report adverse events",
    DUE_LIST_VIEW: "see who is due for their next session",
    DUE_LIST_MARK: "note on the due list that a patient was called or booked",
    RECALL_VIEW: "search a lot recall",
    CATALOGUE_EDIT: "change the product, lot and protocol catalogue",
    CLINICAL_TEXTS_EDIT: (
        "change the screening rules, consent text, aftercare sheets or comparison texts"
    ),
    HANDOUTS_PRINT: "print aftercare sheets and treatment comparisons",
    SETTINGS_EDIT: "change the clinic's settings",
    ACCOUNTS_MANAGE: "add staff, change roles or reset passwords",
    BACKUPS_RUN: "make or test backups",
    BACKUPS_RESTORE: "restore a backup",
    AUDIT_VIEW: "see the audit trail",
    EXPORT_CLINIC: "export the whole clinic's data",
    EXPORT_PATIENT: "export everything about one patient (a subject access request)",
    CONTENT_REVIEW: "record a review of the clinical content",
    ALLERGIES_RETRACT: "mark an allergy as entered in error",
    PHOTOS_VIEW: "see or print a patient's clinical photos",
    PHOTOS_TAKE: "take or import clinical photos, or rate them",
    PHOTO_CONSENT: "record or withdraw a patient's photo consent",
    PHOTOS_ERROR: "mark a clinical photo as entered in error",
}

RECEPTION_PERMISSIONS: frozenset[str] = frozenset(
    {
        PATIENTS_VIEW,
        PATIENTS_EDIT,
        SCREENING_VIEW,
        SCREENING_TAKE,
        DUE_LIST_VIEW,
        DUE_LIST_MARK,
        HANDOUTS_PRINT,
        # Reception often holds the camera while the practitioner prepares.
        PHOTOS_VIEW,
        PHOTOS_TAKE,
        PHOTO_CONSENT,
    }
)
# A practitioner can do everything reception does (in a small clinic they often work alone),
# plus everything clinical.
PRACTITIONER_PERMISSIONS: frozenset[str] = RECEPTION_PERMISSIONS | {
    SCREENING_SIGN_OFF,
    SCREENING_OVERRIDE,
    SESSIONS_VIEW,
    SESSIONS_RECORD,
    EVENTS_LOG,
    RECALL_VIEW,
    CATALOGUE_EDIT,
    CLINICAL_TEXTS_EDIT,
    CONTENT_REVIEW,
    # Taking an allergy off the list switches its check off: a clinical decision.
    ALLERGIES_RETRACT,
    # Hiding a photo from the record is a clinical decision, like retracting an allergy.
    PHOTOS_ERROR,
}
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "reception": RECEPTION_PERMISSIONS,
    "practitioner": PRACTITIONER_PERMISSIONS,
}
# The admin flag sits on either role and adds the running of the clinic, never clinical work.
ADMIN_PERMISSIONS: frozenset[str] = frozenset(
    {
        SETTINGS_EDIT,
        ACCOUNTS_MANAGE,
        BACKUPS_RUN,
        BACKUPS_RESTORE,
        AUDIT_VIEW,
        EXPORT_CLINIC,
        EXPORT_PATIENT,
        # The clinic's lead signs its content as well as its practitioners: the review says
        # who read the wording, and the clinic's owner may be the one who answers for it.
        CONTENT_REVIEW,
    }
)


def permissions(member: StaffMember) -> frozenset[str]:
    """Everything this person may do (nothing for someone who has left)."""
    if not member.active:
        return frozenset()
    granted = ROLE_PERMISSIONS.get(member.role, frozenset())
    return granted | ADMIN_PERMISSIONS if member.is_admin else granted


def allowed(member: StaffMember, permission: str) -> bool:
    """True if ``member`` may do what ``permission`` names.

    Raises:
        KeyError: ``permission`` is not one of the names above (a typo is a bug, not a "no").
    """
    if permission not in PERMISSION_LABELS:
        raise KeyError(permission)
    return permission in permissions(member)


def who_may(permission: str) -> str:
    """Who to ask, in words: "a practitioner", "an admin" or "reception or a practitioner"."""
    if permission in ADMIN_PERMISSIONS:
        if permission in ROLE_PERMISSIONS["practitioner"]:
            return "a practitioner or an admin"
        return "an admin"
    roles = [r for r, granted in ROLE_PERMISSIONS.items() if permission in granted]
    if roles == ["practitioner"]:
        return "a practitioner"
    return "reception or a practitioner"


def refusal_message(member: StaffMember, permission: str) -> str:
    """The plain sentence a refused person reads."""
    return f"{member.name} may not {PERMISSION_LABELS[permission]}."


# ---- passwords ---------------------------------------------------------------------------
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1000


def normalise_password(password: str) -> str:
    """The password as it is hashed: NFC, so "é" typed as one or two code points is the same.

    Nothing else changes (spaces, case and any script are kept).
    """
    return unicodedata.normalize("NFC", password)


def _folded(text: str) -> str:
    return "".join(normalise_password(text).casefold().split())


def check_password(password: str, *, name: str, field: str = "password") -> list[Problem]:
    """What is wrong with a new password (empty when it may be used).

    At least ten characters in any script, not the person's name (or one of their names),
    no invisible control characters. Never repeats the password in a message.
    """
    text = normalise_password(password)
    if len(text) < MIN_PASSWORD_LENGTH:
        return [
            Problem(
                field,
                f"A password needs at least {MIN_PASSWORD_LENGTH} characters "
                f"(this one has {len(text)}). A few words with spaces are easy to remember.",
            )
        ]
    if len(text) > MAX_PASSWORD_LENGTH:
        return [Problem(field, f"A password can have at most {MAX_PASSWORD_LENGTH:,} characters.")]
    if has_control_chars(text):
        return [Problem(field, "The password contains invisible control characters; retype it.")]
    folded = _folded(text)
    names = {_folded(name)} | {_folded(part) for part in name.split()}
    if folded in {n for n in names if n} or (_folded(name) and _folded(name) in folded):
        return [Problem(field, "A password cannot be your name; choose something else.")]
    return []


# ---- lockout -----------------------------------------------------------------------------
MAX_FAILED_ATTEMPTS = 5
LOCKOUT = timedelta(minutes=5)


def lockout_until(failed_attempts: int, last_failure: datetime) -> datetime | None:
    """When a run of wrong passwords ends its wait: None until the fifth in a row."""
    if failed_attempts < MAX_FAILED_ATTEMPTS:
        return None
    return last_failure + LOCKOUT


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and now < locked_until


def minutes_left(locked_until: datetime, now: datetime) -> int:
    """Whole minutes still to wait, rounded up (at least 1 while locked)."""
    return max(1, math.ceil((locked_until - now).total_seconds() / 60))


def attempts_left(failed_attempts: int) -> int:
    return max(0, MAX_FAILED_ATTEMPTS - failed_attempts)
