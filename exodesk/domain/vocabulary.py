"""Internal names in plain words: the one place ids become what a receptionist reads.

ExoDesk stores ids (``exosome_face``, ``defer``, ``documents_issued``, ``date_of_birth``) and
writes some of them into the audit trail's summaries. The trail is the record and stays as
written; everything that shows it, or any other id, to a person goes through here:

- treatment ids → their names (the sessions' names, then the comparison's for the rest);
- verdict ids → the rule table's words;
- audit actions and table names → words ("Printed", "Handout no. 2");
- field names → labels ("date of birth"), values → words (lists as "a, b and c");
- a stored summary → the same sentence in words, a saved file named by its file name only
  (``words``), or not at all on a patient's own copy (``file_names=False``).

``screening_vocabulary`` stays the place for how verdicts *look* (symbol, colour); the words
for the ids are here. Pure: the caller passes the rule table and comparison it has loaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from exodesk.domain.dates import format_short
from exodesk.domain.screening import VERDICT_ORDER
from exodesk.domain.sessions import AE_TYPES, TREATMENTS

if TYPE_CHECKING:
    from exodesk.domain.comparison import ComparisonContent
    from exodesk.domain.screening import RuleTable


def join_words(words: Iterable[str], last: str = "and") -> str:
    """``a``, ``a and b``, ``a, b and c``: a list as a sentence says it ("" for none)."""
    items = [w for w in words if w]
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def humanise(identifier: str) -> str:
    """An id nobody has named yet, as words: ``out_of_hours`` → ``out of hours``."""
    return " ".join(identifier.replace("_", " ").split())


# ---- fields and values -------------------------------------------------------------------
# What a stored field is called on screen and on paper, in lower case (a sentence may start
# with one: ``field_label(...).capitalize()``). A field not listed reads as its name in words.
FIELD_LABELS: dict[str, str] = {
    # patients
    "family_name": "family name",
    "given_names": "given names",
    "date_of_birth": "date of birth",
    "emergency_contact": "emergency contact",
    "gp": "GP",
    "alerts": "alerts",
    "status_reason": "reason for the status",
    # clinic settings
    "out_of_hours": "out-of-hours phone",
    "paper_size": "paper size",
    "logo_sha256": "logo",
    "logo_png": "logo",
    "screening_valid_days": "days a screening stays valid",
    "idle_lock_minutes": "minutes before the screen locks",
    "require_baseline_photos": "baseline photos needed before a course's first session",
    # staff
    "admin": "admin",
    "is_admin": "admin",
    # exports and backups
    "rows": "records",
}


def field_label(name: str) -> str:
    """A stored field's name as a label, in lower case: ``date_of_birth`` → ``date of birth``."""
    return FIELD_LABELS.get(name, humanise(name))


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def value_words(value: Any) -> str:
    """A stored value as people read it: a list as "a, b and c", a day as ``3 Apr 1985``,
    yes or no, and "—" for nothing."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple | set | frozenset):
        return join_words(value_words(v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{field_label(str(k))}: {value_words(v)}" for k, v in value.items())
    text = str(value)
    if _ISO_DAY.match(text):
        try:
            return format_short(date.fromisoformat(text))
        except ValueError:
            return text
    return text


# ---- the audit trail ---------------------------------------------------------------------
# What kind of change an entry records, as the audit log's Action column says it.
AUDIT_ACTIONS: dict[str, str] = {
    "create": "Added",
    "update": "Changed",
    "amend": "Corrected",
    "print": "Printed",
    "export": "Exported",
    "consent": "Consent signed",
    "consent_revoked": "Consent taken back",
    "sign_off": "Reviewed",
    "override": "Overridden",
    "allergy_override": "Allergy overridden",
    "entered_in_error": "Marked entered in error",
    "deactivate": "Marked inactive",
    "reactivate": "Made active again",
    "view": "Looked at",
    "sign_in": "Signed in",
    "sign_out": "Signed out",
    "password_set": "Password set",
    "password_changed": "Password changed",
    "password_reset": "Password reset",
    "refused": "Refused",
    "backup": "Backed up",
    "restore": "Restored",
}

# What one record of a table is called ("Handout no. 2"); a change with no one record names
# the table as a whole ("Clinic settings").
AUDIT_RECORDS: dict[str, str] = {
    "patients": "Patient",
    "patient_allergies": "Allergy",
    "no_known_allergies": "No known allergies",
    "allergens": "Allergen",
    "screenings": "Screening",
    "screening_signoffs": "Screening review",
    "screening_overrides": "Screening override",
    "consents": "Consent",
    "consent_texts": "Consent wording",
    "courses": "Course",
    "sessions": "Session",
    "adverse_events": "Adverse event",
    "documents_issued": "Handout",
    "products": "Product",
    "lots": "Lot",
    "protocol_templates": "Course plan",
    "staff": "Staff member",
    "settings": "Clinic settings",
    "editable_texts": "Clinic wording",
    "data_file": "Data file",
    "photo_sets": "Photo set",
    "photos": "Photo",
    "photo_ratings": "Photo rating",
    "photo_consents": "Photo consent",
    "photo_consent_revocations": "Photo consent taken back",
    "photo_consent_texts": "Photo consent wording",
}
_WHOLE_TABLES = {"lots": "Lots", "courses": "Courses", "settings": "Clinic settings"}


def audit_what(table_name: str, record_id: int | None) -> str:
    """The changed record in words: ``Handout no. 2``, ``Clinic settings``."""
    if record_id is None:
        return (
            _WHOLE_TABLES.get(table_name)
            or AUDIT_RECORDS.get(table_name)
            or (humanise(table_name).capitalize())
        )
    noun = AUDIT_RECORDS.get(table_name) or humanise(table_name).capitalize()
    return f"{noun} no. {record_id}"


_SAVED = re.compile(r"\bsaved:(?P<path>\S.*?)(?=: \d+ patients?$|$)")
_SAVED_WORD = re.compile(r"\bsaved\b")


def audit_action(action: str, summary: str = "") -> str:
    """What kind of change, in a word or two: "Added", "Printed", "Saved to a file"."""
    if action == "print" and _SAVED_WORD.search(summary):
        return "Saved to a file"
    return AUDIT_ACTIONS.get(action) or humanise(action).capitalize()


def file_name(path: str) -> str:
    """The last part of a path, whichever system wrote it (``C:\\x\\a.pdf`` → ``a.pdf``)."""
    return re.split(r"[\\/]", path.rstrip("\\/"))[-1]


# ---- the vocabulary ------------------------------------------------------------------------
@dataclass(frozen=True)
class Vocabulary:
    """The names of the ids the data holds.

    Build it with ``Vocabulary.build(rules=..., comparison=...)`` from what the caller has
    loaded; without them it still names the four treatments a session records, and says any
    other id in words.

    Attributes:
        treatments: Treatment id → name.
        verdicts: Verdict id → the rule table's word ("Not yet").
    """

    treatments: Mapping[str, str] = field(default_factory=lambda: dict(TREATMENTS))
    verdicts: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls, *, rules: RuleTable | None = None, comparison: ComparisonContent | None = None
    ) -> Vocabulary:
        """The names from the rule table and the comparison; the sessions' names win where
        both name a treatment (they are what the sessions and sheets say)."""
        treatments: dict[str, str] = {}
        if comparison is not None:
            treatments.update({t.id: t.label for t in comparison.treatments})
        if rules is not None:
            treatments.update({t.id: t.label for t in rules.treatments})
        treatments.update(TREATMENTS)
        verdicts: dict[str, str] = {}
        if rules is not None:
            for verdict in VERDICT_ORDER:
                try:
                    verdicts[verdict] = rules.verdict_label(verdict)
                except KeyError:
                    continue
        return cls(treatments, verdicts)

    # ---- single ids ------------------------------------------------------------------------
    def treatment(self, treatment_id: str) -> str:
        """A treatment's name (an unknown id in words)."""
        return self.treatments.get(treatment_id) or humanise(treatment_id).capitalize()

    def treatment_list(self, ids: str | Iterable[str]) -> str:
        """Several treatments, as stored (``"a,b,c"``) or as a list: "A, B and C"."""
        if isinstance(ids, str):
            ids = [i.strip() for i in ids.split(",")]
        return join_words(self.treatment(i) for i in ids if i)

    def verdict(self, verdict_id: str) -> str:
        """A verdict's word ("Not yet"); an unknown id in words."""
        return self.verdicts.get(verdict_id) or humanise(verdict_id).capitalize()

    def document(self, kind: str, template: str) -> str:
        """What an issued handout was: "Aftercare sheet: Exosome facial", "Treatment
        comparison: Exosomes (scalp), PRP and Microneedling"."""
        what = _DOCUMENTS.get(kind) or humanise(kind).capitalize()
        said = self.treatment_list(template) if template else ""
        return f"{what}: {said}" if said else what

    def stored_forms(self, text: str) -> list[str]:
        """What to look for in stored sentences when someone searches for ``text``: the
        text itself, then every id whose words contain it ("exosome facial" also finds
        ``exosome_face``, "not yet" ``defer``, "date of birth" ``date_of_birth``)."""
        typed = " ".join(text.split()).casefold()
        if not typed:
            return []
        named = [*self.treatments.items(), *self.verdicts.items(), *FIELD_LABELS.items()]
        ids = [i for i, words in named if typed in words.casefold()]
        return list(dict.fromkeys([text.strip(), *ids]))

    # ---- sentences -------------------------------------------------------------------------
    def words(self, text: str, *, file_names: bool = True) -> str:
        """A stored sentence (an audit summary) with every id in it said in words.

        ``"Intake screening — exosome_face defer, prp proceed"`` →
        ``"Intake screening — Exosome facial: Not yet; PRP (platelet-rich plasma): Go ahead"``;
        ``"Aftercare sheet (exosome_face) reprinted: saved:/home/desk/Aftercare.pdf"`` →
        ``"Aftercare sheet (Exosome facial) reprinted: saved as “Aftercare.pdf”"``, or with
        ``file_names=False`` (a patient's copy, which must not show the clinic PC's folders
        or file names) ``"… reprinted: saved to a file"``.
        """
        if not text:
            return text

        # A saved file's name is the user's own words: set aside while ids are said in
        # words ("prp.pdf" stays as named), and put back at the end.
        names: list[str] = []

        def saved(match: re.Match[str]) -> str:
            names.append(file_name(match["path"].strip()))
            return f"saved as \x00{len(names) - 1}\x00" if file_names else "saved to a file"

        text = _SAVED.sub(saved, text)
        # "Aftercare sheet (exosome_face) reprinted: printed" is a second copy.
        text = re.sub(r" reprinted: (printed|saved)\b", r" \1 again", text)
        treatment = _alternatives(self.treatments)
        verdict = _alternatives({**dict.fromkeys(VERDICT_ORDER), **self.verdicts})
        pair = rf"(?:{treatment}) (?:{verdict})"

        def pairs(match: re.Match[str]) -> str:
            said = []
            for part in match[0].split(", "):
                t, v = part.split(" ")
                said.append(f"{self.treatment(t)}: {self.verdict(v)}")
            return "; ".join(said)

        text = re.sub(rf"{_START}{pair}(?:, {pair})*{_END}", pairs, text)
        text = re.sub(
            rf"{_START}({treatment}): ({verdict}) overridden",
            lambda m: f"{self.treatment(m[1])}: “{self.verdict(m[2])}” overridden",
            text,
        )
        text = re.sub(
            rf"{_START}(?:{treatment})(?:, ?(?:{treatment}))+{_END}",
            lambda m: self.treatment_list(m[0]),
            text,
        )
        text = re.sub(rf"{_START}(?:{treatment}){_END}", lambda m: self.treatment(m[0]), text)
        # A list of changed fields ends the summary of a change: "Changed family_name, phone".
        text = re.sub(
            rf"^(Changed (?:[^:]*: )?|Clinic settings: )({_FIELD}(?:, {_FIELD})*)$",
            lambda m: m[1] + join_words(field_label(f) for f in m[2].split(", ")),
            text,
        )
        return re.sub("\x00(\\d+)\x00", lambda m: f"“{names[int(m[1])]}”", text)


_DOCUMENTS = {
    "aftercare": "Aftercare sheet",
    "comparison": "Treatment comparison",
    "screening": "Screening summary",
    "photo_progress": "Photo progress sheet",
}
# An id is a whole word: not part of a longer id, a word with a hyphen, or a file name.
_START = r"(?<![\w\-./\\])"
_END = r"(?![\w\-/\\])"
_FIELD = r"[a-z][a-z0-9_]*"


def _alternatives(ids: Iterable[str]) -> str:
    # Longest first, so "exosome_face" is not read as a shorter id that starts it.
    return "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True) if i)


def event_type_words(type_id: str) -> str:
    """An adverse event's kind in words ("Granuloma / nodule")."""
    return AE_TYPES.get(type_id) or humanise(type_id).capitalize()
