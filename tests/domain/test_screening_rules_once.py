"""Screening rules decided once in the domain: which answers count, and which treatments a
practitioner may sign off or override (the tab and the service both ask these)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from exodesk.domain.intake import (
    MAX_TEXT_ANSWER,
    Override,
    ScreeningRecord,
    SignOff,
    check_text_answers,
    may_override,
    may_sign_off,
    open_to_override,
    open_to_sign_off,
)
from exodesk.domain.screening import (
    VERDICT_ORDER,
    Item,
    ScreeningResult,
    TreatmentResult,
    evaluate,
)
from tests.bundled import bundled_rules

TABLE = bundled_rules()
TODAY = date(2026, 6, 15)
AREA = TABLE.item("active_infection_area")
INFECTION = TABLE.item("active_infection")

# ---- which answers count ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({}, {}),
        ({"pregnant": None}, {}),
        ({"pregnant": True, "notes": None}, {"pregnant": True}),
        # The area counts only while there is an infection.
        ({"active_infection_area": "face"}, {}),
        ({"active_infection": False, "active_infection_area": "face"}, {"active_infection": False}),
        ({"active_infection": None, "active_infection_area": "scalp"}, {}),
        (
            {"active_infection": True, "active_infection_area": "face"},
            {"active_infection": True, "active_infection_area": "face"},
        ),
        ({"active_infection": True, "active_infection_area": None}, {"active_infection": True}),
        # Only True opens a follow-up: a truthy non-bool is a bad answer, not a "yes".
        ({"active_infection": "yes", "active_infection_area": "face"}, {"active_infection": "yes"}),
        ({"active_infection": 1, "active_infection_area": "face"}, {"active_infection": 1}),
        # Unknown keys stay, so checking the answers still names them.
        ({"shoe_size": 42}, {"shoe_size": 42}),
    ],
)
def test_effective_answers(answers: dict[str, Any], expected: dict[str, Any]) -> None:
    assert TABLE.effective_answers(answers) == expected
    assert TABLE.effective_answers(answers) is not answers


@pytest.mark.parametrize(
    ("item", "answers", "asked"),
    [
        (AREA, {}, False),
        (AREA, {"active_infection": False}, False),
        (AREA, {"active_infection": None}, False),
        (AREA, {"active_infection": "yes"}, False),
        (AREA, {"active_infection": True}, True),
        (INFECTION, {}, True),
        (TABLE.item("pregnant"), {"active_infection": False}, True),
    ],
)
def test_asks(item: Item, answers: dict[str, Any], asked: bool) -> None:
    assert TABLE.asks(item, answers) is asked


def test_only_follow_ups_depend_on_an_answer() -> None:
    dependent = {item.id for item in TABLE.items if not TABLE.asks(item, {})}
    assert dependent == {item.id for item in TABLE.items if item.only_if} == {AREA.id}


@pytest.mark.parametrize("infection", [None, False, True])
@pytest.mark.parametrize("area", [None, *AREA.values])
def test_the_engine_judges_exactly_the_effective_answers(
    infection: bool | None, area: str | None
) -> None:
    answers = {"active_infection": infection, "active_infection_area": area}
    effective = TABLE.effective_answers(answers)
    judged = evaluate(answers, today=TODAY, rules=TABLE)
    assert judged == evaluate(effective, today=TODAY, rules=TABLE)
    if infection is not True and area is not None:
        # What is dropped changes nothing: the area alone never moves a verdict.
        assert judged == evaluate({}, today=TODAY, rules=TABLE)


# ---- which treatments are open to a practitioner's decision ------------------------------

AT = datetime(2026, 6, 15, 9, 30, tzinfo=UTC)


def record_with(
    verdicts: dict[str, str],
    *,
    signoffs: dict[str, str] | None = None,
    superseded: bool = False,
) -> ScreeningRecord:
    result = ScreeningResult(
        today=TODAY,
        version=TABLE.version,
        treatments=tuple(TreatmentResult(t, v) for t, v in verdicts.items()),
    )
    return ScreeningRecord(
        id=1,
        patient_id=1,
        version=1,
        series_id=1,
        taken_on=TODAY,
        taken_at=AT,
        taken_by="Ada Admin",
        rule_table_version=TABLE.version,
        answers={},
        result=result,
        superseded=superseded,
        signoffs=tuple(
            SignOff(t, decision, "", "Dr Amara Okafor", AT)
            for t, decision in (signoffs or {}).items()
        ),
    )


# verdict, latest sign-off (None: none yet) -> (may sign off, may override)
DECISIONS: list[tuple[str, str | None, bool, bool]] = [
    ("proceed", None, False, False),
    ("precautions", None, False, False),
    ("review", None, True, False),  # signed off first; only "not cleared" may be overridden
    ("review", "cleared", True, False),
    ("review", "not_cleared", True, True),
    ("defer", None, False, True),
    ("decline", None, False, True),
]


def test_the_table_covers_every_verdict() -> None:
    assert {verdict for verdict, *_ in DECISIONS} == set(VERDICT_ORDER)


@pytest.mark.parametrize(("verdict", "signoff", "sign", "override"), DECISIONS)
def test_who_may_decide(verdict: str, signoff: str | None, sign: bool, override: bool) -> None:
    record = record_with(
        {"prp": verdict}, signoffs={"prp": signoff} if signoff is not None else None
    )
    assert may_sign_off(record, "prp") is sign
    assert may_override(record, "prp") is override
    assert open_to_sign_off(record) == (("prp",) if sign else ())
    assert open_to_override(record) == (("prp",) if override else ())
    # An amended (superseded) version is never decided on: decide on the newest.
    old = replace(record, superseded=True)
    assert not may_sign_off(old, "prp") and not may_override(old, "prp")
    assert open_to_sign_off(old) == open_to_override(old) == ()


def test_the_latest_signoff_counts() -> None:
    record = record_with({"prp": "review"}, signoffs={"prp": "not_cleared"})
    cleared_later = replace(
        record, signoffs=(*record.signoffs, SignOff("prp", "cleared", "", "Dr B", AT))
    )
    assert may_override(record, "prp")
    assert not may_override(cleared_later, "prp")


def test_an_override_does_not_close_the_treatment() -> None:
    # A second override replaces the first (the latest is shown), as a second sign-off does.
    record = replace(
        record_with({"prp": "defer"}),
        overrides=(Override("prp", "defer", "Letter seen", "Dr Amara Okafor", AT),),
    )
    assert may_override(record, "prp")


def test_unknown_treatment_is_never_open() -> None:
    record = record_with({"prp": "review"})
    assert not may_sign_off(record, "tattoo") and not may_override(record, "tattoo")


def test_open_lists_keep_the_result_order() -> None:
    record = record_with(
        {
            "exosome_face": "defer",
            "exosome_scalp": "review",
            "prp": "decline",
            "microneedling": "review",
        },
        signoffs={"microneedling": "not_cleared"},
    )
    assert open_to_sign_off(record) == ("exosome_scalp", "microneedling")
    assert open_to_override(record) == ("exosome_face", "prp", "microneedling")


# ---- text answers: the one length limit (the form shows the service's problems) -----------


@pytest.mark.parametrize(
    ("answers", "problem"),
    [
        ({"medications": "x" * MAX_TEXT_ANSWER}, None),
        (
            {"medications": "x" * (MAX_TEXT_ANSWER + 1)},
            f"Medicines is {MAX_TEXT_ANSWER + 1:,} characters long; "
            f"the most it can hold is {MAX_TEXT_ANSWER:,}.",
        ),
        ({"allergies": "Latex\nand plasters\ttoo"}, None),
        ({"allergies": "Latex\x07"}, "Allergies contains invisible control characters; retype it."),
        ({"notes": None, "pregnant": True}, None),
    ],
)
def test_check_text_answers(answers: dict[str, Any], problem: str | None) -> None:
    found = check_text_answers(answers, TABLE)
    assert [p.message for p in found] == ([problem] if problem else [])
    assert all(p.field in answers for p in found)
