"""Saved screenings: answers as stored text, verdicts kept whole, sign-offs, overrides, consent,
and whether a session of a treatment may be recorded now (the gate)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from exodesk.domain.dates import add_days, format_long
from exodesk.domain.problems import Problem, check_text
from exodesk.domain.screening import (
    DECLINE,
    DEFER,
    NEVER,
    REVIEW,
    Item,
    Reason,
    RuleTable,
    ScreeningResult,
    TreatmentResult,
)

SIGNOFF_DECISIONS = {"cleared": "Cleared", "not_cleared": "Not cleared"}
MAX_REASON = 2000
MAX_TEXT_ANSWER = 4000


# ---- answers as stored text -------------------------------------------------------------
# One row per answered question. Since every question needs an explicit answer, "no", "never"
# and "none" (none of these) are stored too; screenings saved before then stored only "yes",
# dates and ticked choices, so an item with no row is "not recorded", never a silent no.

NOT_RECORDED = "Not recorded"
_NO, _NEVER, _NONE = "no", "never", "none"


def encode_answer(item: Item, value: Any) -> str | None:
    """The stored text of one answer (None: not answered, nothing to store)."""
    if value is None:
        return None
    if item.type == "bool":
        return "yes" if value else _NO
    if item.type == "date":
        return _NEVER if value is NEVER else value.isoformat()
    if item.type == "set":
        chosen = [v for v in item.values if v in set(value)]
        return ",".join(chosen) if chosen else _NONE
    text = str(value)
    return text if text.strip() else None


def decode_answer(item: Item, text: str) -> Any:
    """The Python value of one stored answer (the inverse of ``encode_answer``)."""
    if item.type == "bool":
        return text == "yes"
    if item.type == "date":
        return NEVER if text == _NEVER else date.fromisoformat(text)
    if item.type == "set":
        # "none" is never a value of a set item (the rule table's validation refuses it).
        return frozenset(v for v in text.split(",") if v and v != _NONE)
    return text


def describe_answer(item: Item, value: Any) -> str:
    """An answer in words, for screens and printouts.

    Only an explicit answer reads "No", "Never" or "None of these"; a question with no answer
    recorded (a screening saved before every question needed one) reads "Not recorded", and
    free text left empty reads "—".
    """
    if value is None or (item.type == "text" and value == ""):
        return "—" if item.type == "text" else NOT_RECORDED
    if item.type == "bool":
        return "Yes" if value else "No"
    if item.type == "date":
        return "Never" if value is NEVER else format_long(value)
    if item.type == "enum":
        return item.value_label(value)
    if item.type == "set":
        if not value:
            return "None of these"
        return ", ".join(item.value_label(v) for v in item.values if v in value)
    return str(value)


def check_text_answers(answers: dict[str, Any], table: RuleTable) -> list[Problem]:
    """Free-text answers must fit and be printable (pasting 5,000 characters is refused)."""
    problems: list[Problem] = []
    for item in table.items:
        if item.type == "text" and isinstance(answers.get(item.id), str):
            problems += check_text(
                item.id, answers[item.id], item.label, max_len=MAX_TEXT_ANSWER, multiline=True
            )
    return problems


# ---- the result, kept whole -------------------------------------------------------------


def result_to_json(result: ScreeningResult) -> dict[str, Any]:
    """Everything needed to show a saved screening exactly as it was judged."""
    return {
        "today": result.today.isoformat(),
        "version": result.version,
        "treatments": [
            {
                "treatment": t.treatment,
                "verdict": t.verdict,
                "until": t.until.isoformat() if t.until else None,
                "until_text": t.until_text,
                "reasons": [
                    {
                        "rule": r.rule,
                        "title": r.title,
                        "outcome": r.outcome,
                        "text": r.text,
                        "until": r.until.isoformat() if r.until else None,
                        "until_text": r.until_text,
                        "precaution": r.precaution,
                        "note": r.note,
                        "sources": list(r.sources),
                    }
                    for r in t.reasons
                ],
            }
            for t in result.treatments
        ],
    }


def result_from_json(data: dict[str, Any]) -> ScreeningResult:
    def day(text: str | None) -> date | None:
        return date.fromisoformat(text) if text else None

    return ScreeningResult(
        today=date.fromisoformat(data["today"]),
        version=data["version"],
        treatments=tuple(
            TreatmentResult(
                treatment=t["treatment"],
                verdict=t["verdict"],
                until=day(t["until"]),
                until_text=t["until_text"],
                reasons=tuple(
                    Reason(
                        rule=r["rule"],
                        title=r["title"],
                        outcome=r["outcome"],
                        text=r["text"],
                        until=day(r["until"]),
                        until_text=r["until_text"],
                        precaution=r["precaution"],
                        note=r["note"],
                        sources=tuple(r["sources"]),
                    )
                    for r in t["reasons"]
                ),
            )
            for t in data["treatments"]
        ),
    )


# ---- records ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SignOff:
    """A practitioner's decision on a ``review`` verdict."""

    treatment: str
    decision: str
    note: str
    by_name: str
    at: datetime
    id: int | None = None

    @property
    def cleared(self) -> bool:
        return self.decision == "cleared"


@dataclass(frozen=True)
class Override:
    """A practitioner's reasoned decision to go ahead despite a ``defer`` or ``decline``."""

    treatment: str
    verdict: str
    reason: str
    by_name: str
    at: datetime
    id: int | None = None


@dataclass(frozen=True)
class Consent:
    """The patient's signed consent to the clinic's consent text of a given version."""

    text_version: int
    signed_name: str
    signed_on: date
    signature_png: bytes = field(repr=False)
    recorded_by: str = ""
    id: int | None = None


@dataclass(frozen=True)
class ScreeningRecord:
    """One saved version of a patient's screening with what was decided on it since."""

    id: int
    patient_id: int
    version: int
    series_id: int
    taken_on: date
    taken_at: datetime
    taken_by: str
    rule_table_version: str
    answers: dict[str, Any]
    result: ScreeningResult
    superseded: bool = False
    amend_reason: str = ""
    signoffs: tuple[SignOff, ...] = ()
    overrides: tuple[Override, ...] = ()
    consent: Consent | None = None

    def valid_until(self, valid_days: int) -> date:
        """The first day this screening no longer counts (taken on + valid days)."""
        return add_days(self.taken_on, valid_days)

    def signoff_for(self, treatment: str) -> SignOff | None:
        found = [s for s in self.signoffs if s.treatment == treatment]
        return found[-1] if found else None

    def override_for(self, treatment: str) -> Override | None:
        found = [o for o in self.overrides if o.treatment == treatment]
        return found[-1] if found else None


# ---- the practitioner's decisions ------------------------------------------------------
# Which treatments a practitioner may decide on, for the buttons and dialogs on screen and for
# the service that records the decision: one rule, so the two cannot drift apart.


def may_sign_off(record: ScreeningRecord, treatment: str) -> bool:
    """Whether a sign-off of ``treatment`` may be recorded on this screening version.

    A ``review`` verdict waits for one, and so does a ``defer``/``decline`` that some rule
    also asked a doctor to review (``reviews_under``); a later sign-off replaces an earlier
    one. Only on the newest version; an unknown treatment is never open.
    """
    if record.superseded:
        return False
    try:
        result = record.result.for_treatment(treatment)
    except KeyError:
        return False
    return result.verdict == REVIEW or bool(reviews_under(result))


def reviews_under(result: TreatmentResult) -> tuple[Reason, ...]:
    """The ``review`` reasons of a ``defer`` or ``decline`` verdict.

    A rule that asks for a doctor's review still asks for it when a stronger rule defers the
    treatment, and overriding the deferral does not answer it: these need their own sign-off
    (``clearance``), so ``may_sign_off`` allows one.
    """
    if result.verdict not in (DEFER, DECLINE):
        return ()
    return tuple(r for r in result.reasons if r.outcome == REVIEW)


def may_override(record: ScreeningRecord, treatment: str) -> bool:
    """Whether an override of ``treatment`` may be recorded on this screening version.

    A ``defer`` or ``decline``, or a ``review`` whose latest sign-off is "not cleared", on the
    newest version. A review not yet signed off is not open: it is signed off first.
    """
    if record.superseded:
        return False
    try:
        verdict = record.result.verdict_for(treatment)
    except KeyError:
        return False
    if verdict in (DEFER, DECLINE):
        return True
    signoff = record.signoff_for(treatment)
    return verdict == REVIEW and signoff is not None and not signoff.cleared


def open_to_sign_off(record: ScreeningRecord) -> tuple[str, ...]:
    """The treatments ``may_sign_off`` allows, in the result's order."""
    return tuple(t.treatment for t in record.result.treatments if may_sign_off(record, t.treatment))


def open_to_override(record: ScreeningRecord) -> tuple[str, ...]:
    """The treatments ``may_override`` allows, in the result's order."""
    return tuple(t.treatment for t in record.result.treatments if may_override(record, t.treatment))


# ---- the gate --------------------------------------------------------------------------


@dataclass(frozen=True)
class Clearance:
    """Whether a session of ``treatment`` may be recorded now, and if not, every reason why.

    ``overridden`` is True when a practitioner's override is what allows it (shown in red).
    """

    treatment: str
    allowed: bool
    problems: tuple[str, ...] = ()
    overridden: bool = False
    verdict: str | None = None


def clearance(
    record: ScreeningRecord | None,
    treatment: str,
    *,
    today: date,
    valid_days: int,
    table: RuleTable,
) -> Clearance:
    """Decide the gate for one treatment from the patient's current screening.

    Allowed when the screening is current (taken within ``valid_days``, not superseded), its
    verdict allows the treatment (``proceed``/``precautions``, a ``review`` signed off as
    cleared, or a ``defer``/``decline`` overridden with a reason), and consent is on file.
    """
    if treatment not in table.treatment_ids:
        # A treatment id the screening does not know (a bad draft): refuse, never crash.
        return Clearance(treatment, False, ("Choose one of the screened treatments.",))
    label = table.treatment_label(treatment)
    if record is None:
        return Clearance(treatment, False, ("There is no intake screening for this patient.",))
    problems: list[str] = []
    if record.superseded:
        problems.append("This screening was amended; use the newest version.")
    lapses = record.valid_until(valid_days)
    if today >= lapses:
        problems.append(
            f"The screening of {format_long(record.taken_on)} lapsed on {format_long(lapses)}; "
            "take a new one."
        )
    verdict_result = record.result.for_treatment(treatment)
    verdict = verdict_result.verdict
    overridden = False
    if verdict == REVIEW:
        signoff = record.signoff_for(treatment)
        if signoff is None:
            problems.append(f"{label} needs a practitioner's sign-off first.")
        elif not signoff.cleared:
            override = record.override_for(treatment)
            if override is None:
                problems.append(f"{label} was not cleared at sign-off ({signoff.by_name}).")
            else:
                overridden = True
    elif verdict in (DEFER, DECLINE):
        override = record.override_for(treatment)
        if override is None:
            what = "deferred" if verdict == DEFER else "declined"
            when = verdict_result.until_long()
            problems.append(f"{label} is {what}" + (f" {_until(when)}." if when else "."))
        else:
            overridden = True
            reviews = reviews_under(verdict_result)
            signoff = record.signoff_for(treatment)
            if reviews and (signoff is None or not signoff.cleared):
                asked = ", ".join(r.title.lower() for r in reviews)
                problems.append(
                    f"{label} also needs a practitioner's sign-off ({asked}): overriding the "
                    "deferral does not replace the doctor's review."
                )
    if record.consent is None:
        problems.append("The patient has not signed the consent form.")
    return Clearance(treatment, not problems, tuple(problems), overridden, verdict)


def _until(when: str) -> str:
    return when if when.startswith("until") else f"until {when}"


def validate_reason(text: str, what: str = "reason") -> list[Problem]:
    """A reason is required, printable, and under MAX_REASON characters."""
    return check_text(
        "reason", text, f"The {what}", required=True, max_len=MAX_REASON, multiline=True
    )
