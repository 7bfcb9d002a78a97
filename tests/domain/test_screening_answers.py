"""Explicit answers: what still needs one, the words for it, how it is stored and read back."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from exodesk.domain.intake import NOT_RECORDED, decode_answer, describe_answer, encode_answer
from exodesk.domain.problems import Problem
from exodesk.domain.screening import (
    NEVER,
    check_answers,
    evaluate,
    no_to_the_rest,
    unanswered,
)
from exodesk.domain.screening_vocabulary import (
    UNANSWERED_FIELD,
    not_recorded_text,
    unanswered_problems,
    unanswered_text,
)
from tests.bundled import bundled_rules

TODAY = date(2026, 6, 15)
TABLE = bundled_rules()
# Every question that needs an answer when nothing is answered: all but free text and the
# infection's area (asked only after a yes to the infection).
REQUIRED = tuple(i.id for i in TABLE.items if i.type != "text" and i.id != "active_infection_area")
ALL_NO = no_to_the_rest(TABLE, {})


def ids(items: tuple[Any, ...]) -> list[str]:
    return [item.id for item in items]


@pytest.mark.parametrize(
    ("answers", "missing"),
    [
        ({}, list(REQUIRED)),
        ({"medications": "Levothyroxine", "notes": ""}, list(REQUIRED)),
        # An explicit no / never / none of these / a choice answers the question.
        ({"pregnant": False}, [i for i in REQUIRED if i != "pregnant"]),
        ({"laser_last": NEVER}, [i for i in REQUIRED if i != "laser_last"]),
        ({"laser_last": date(2026, 6, 1)}, [i for i in REQUIRED if i != "laser_last"]),
        (
            {"bleeding_supplements": frozenset()},
            [i for i in REQUIRED if i != "bleeding_supplements"],
        ),
        (
            {"chronic_skin_condition": ["acne"]},
            [i for i in REQUIRED if i != "chronic_skin_condition"],
        ),
        ({"autoimmune": "none"}, [i for i in REQUIRED if i != "autoimmune"]),
        # None is no answer, whatever the type.
        ({"pregnant": None, "laser_last": None}, list(REQUIRED)),
        (ALL_NO, []),
        # A follow-up needs an answer only while it is asked.
        ({**ALL_NO, "active_infection": True}, ["active_infection_area"]),
        ({**ALL_NO, "active_infection": True, "active_infection_area": "scalp"}, []),
        ({**ALL_NO, "active_infection_area": "face"}, []),
        ({**ALL_NO, "pregnant": None}, ["pregnant"]),
        (
            {**ALL_NO, "retinoid_last_use": None, "keloid_history": None},
            [
                "keloid_history",
                "retinoid_last_use",
            ],
        ),
    ],
)
def test_unanswered_names_what_still_needs_an_answer_in_questionnaire_order(
    answers: dict[str, Any], missing: list[str]
) -> None:
    found = ids(unanswered(TABLE, answers))
    assert sorted(found) == sorted(missing)
    assert found == [i.id for i in TABLE.items if i.id in missing], "questionnaire order"


def test_no_to_the_rest_answers_every_type_explicitly_and_keeps_what_was_given() -> None:
    given = {"pregnant": True, "laser_last": date(2026, 6, 1), "medications": "Aspirin"}
    filled = no_to_the_rest(TABLE, given)
    assert {k: filled[k] for k in given} == given
    assert (filled["breastfeeding"], filled["peel_last"], filled["autoimmune"]) == (
        False,
        NEVER,
        "none",
    )
    assert filled["bleeding_supplements"] == frozenset()
    assert "notes" not in filled and "active_infection_area" not in filled
    assert unanswered(TABLE, filled) == ()
    # An area has no "none" choice: where an infection is must be said.
    assert ids(unanswered(TABLE, no_to_the_rest(TABLE, {"active_infection": True}))) == [
        "active_infection_area"
    ]


def test_evaluate_keeps_its_contract_absent_means_no_and_never() -> None:
    # Programmatic callers may still leave answers out; the questionnaire may not.
    empty = evaluate({}, today=TODAY, rules=TABLE)
    assert {t.verdict for t in empty.treatments} == {"proceed"}
    assert evaluate(ALL_NO, today=TODAY, rules=TABLE) == empty, (
        "explicit no / never judges as absent"
    )
    assert evaluate({"pregnant": None, "laser_last": None}, today=TODAY, rules=TABLE) == empty


def test_never_is_a_valid_date_answer_and_still_only_for_dates() -> None:
    assert check_answers({"laser_last": NEVER}, today=TODAY, rules=TABLE) == []
    assert check_answers({"pregnant": NEVER}, today=TODAY, rules=TABLE) == [
        Problem("pregnant", "The answer must be yes or no, not a Never.")
    ]


@pytest.mark.parametrize(
    ("item_id", "value", "stored", "words"),
    [
        ("pregnant", True, "yes", "Yes"),
        ("pregnant", False, "no", "No"),
        ("laser_last", date(2026, 6, 1), "2026-06-01", "Mon 1 Jun 2026"),
        ("laser_last", NEVER, "never", "Never"),
        ("autoimmune", "none", "none", "No"),
        ("autoimmune", "controlled", "controlled", "Yes, and it is well controlled"),
        ("bleeding_supplements", frozenset({"vitamin_e", "ginkgo"}), "ginkgo,vitamin_e", None),
        ("bleeding_supplements", frozenset(), "none", "None of these"),
        ("medications", "Aspirin 75 mg", "Aspirin 75 mg", "Aspirin 75 mg"),
    ],
)
def test_explicit_answers_are_stored_and_read_back_as_given(
    item_id: str, value: Any, stored: str, words: str | None
) -> None:
    item = TABLE.item(item_id)
    assert encode_answer(item, value) == stored
    assert decode_answer(item, stored) == value
    if words is not None:
        assert describe_answer(item, value) == words


@pytest.mark.parametrize(
    "item_id", ["pregnant", "laser_last", "autoimmune", "bleeding_supplements"]
)
def test_no_answer_is_not_stored_and_reads_not_recorded_never_no(item_id: str) -> None:
    # A screening saved before every question needed an answer has no row for an unticked box.
    item = TABLE.item(item_id)
    assert encode_answer(item, None) is None
    assert describe_answer(item, None) == NOT_RECORDED


def test_empty_free_text_is_no_answer_and_a_dash() -> None:
    item = TABLE.item("notes")
    assert encode_answer(item, "  ") is None
    assert describe_answer(item, None) == "—"


@pytest.mark.parametrize(
    ("missing", "limit", "text"),
    [
        ((), None, ""),
        (("pregnant",), None, "Not answered yet: Pregnant or trying to conceive."),
        (
            ("pregnant", "breastfeeding"),
            1,
            "Not answered yet: Pregnant or trying to conceive and 1 more.",
        ),
        (
            ("breastfeeding", "sun_exposure_last"),
            2,
            "Not answered yet: Breastfeeding, Last sunburn or tanning.",
        ),
    ],
)
def test_the_unanswered_sentence(missing: tuple[str, ...], limit: int | None, text: str) -> None:
    assert unanswered_text(tuple(TABLE.item(i) for i in missing), limit=limit) == text


def test_unanswered_problems_mark_each_question_then_list_them_all() -> None:
    items = unanswered(TABLE, {**ALL_NO, "pregnant": None, "peel_last": None})
    problems = unanswered_problems(items)
    assert problems == [
        Problem("pregnant", "Choose Yes or No."),
        Problem("peel_last", "Give the date, or tick Never."),
        Problem(UNANSWERED_FIELD, unanswered_text(items)),
    ]
    assert unanswered_problems(()) == []
    assert not_recorded_text(()) == ""
    assert "Pregnant or trying to conceive, Last chemical peel" in not_recorded_text(items)
