"""Screening engine: every rule, its scope, window boundaries, combinations and input errors."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from exodesk.domain.problems import Problem
from exodesk.domain.screening import (
    ScreeningInputError,
    ScreeningResult,
    check_answers,
    evaluate,
)
from tests.bundled import bundled_rules

RULES = bundled_rules()
TODAY = date(2026, 6, 15)
ALL = ("exosome_face", "exosome_scalp", "prp", "microneedling")
FACE = ("exosome_face", "prp", "microneedling")
SCALP = ("exosome_scalp", "prp", "microneedling")


def ago(days: int, today: date = TODAY) -> date:
    return today - timedelta(days=days)


def only(treatments: tuple[str, ...], outcome: str) -> dict[str, str]:
    return dict.fromkeys(treatments, outcome)


def fired(result: ScreeningResult, treatment: str) -> list[str]:
    return [reason.rule for reason in result.for_treatment(treatment).reasons]


# (rule id, answers, {treatment: outcome}); treatments left out must proceed with no reason.
PREGNANCY_UNTIL = "until you are no longer pregnant, trying to get pregnant or breastfeeding"
RULE_CASES: list[tuple[str, dict[str, Any], dict[str, str]]] = [
    (
        "pregnancy",
        {"pregnant": True},
        {
            **only(("exosome_face", "exosome_scalp"), "defer"),
            "prp": "review",
            "microneedling": "review",
        },
    ),
    (
        "breastfeeding",
        {"breastfeeding": True},
        {
            **only(("exosome_face", "exosome_scalp"), "defer"),
            "prp": "review",
            "microneedling": "review",
        },
    ),
    (
        "active_infection",
        {"active_infection": True, "active_infection_area": "face"},
        only(FACE, "defer"),
    ),
    (
        "active_infection",
        {"active_infection": True, "active_infection_area": "scalp"},
        only(SCALP, "defer"),
    ),
    (
        "active_infection",
        {"active_infection": True, "active_infection_area": "other"},
        only(ALL, "review"),
    ),
    ("active_infection", {"active_infection": True}, only(ALL, "review")),
    (
        "active_infection",
        {"active_infection": True, "active_infection_area": None},
        only(ALL, "review"),
    ),
    ("isotretinoin_current", {"isotretinoin_current": True}, only(ALL, "defer")),
    ("isotretinoin_recent", {"isotretinoin_last_dose": date(2026, 3, 1)}, only(ALL, "defer")),
    ("isotretinoin_window", {"isotretinoin_last_dose": date(2025, 10, 1)}, only(ALL, "review")),
    ("cancer_history", {"cancer_history": True}, only(ALL, "review")),
    ("autoimmune_uncontrolled", {"autoimmune": "uncontrolled"}, only(ALL, "review")),
    ("autoimmune_controlled", {"autoimmune": "controlled"}, only(ALL, "precautions")),
    ("blood_disorder", {"blood_disorder": True}, only(ALL, "review")),
    ("anticoagulants", {"anticoagulants": True}, only(ALL, "precautions")),
    ("bleeding_supplements", {"bleeding_supplements": {"ginkgo"}}, only(ALL, "precautions")),
    (
        "bleeding_supplements",
        {"bleeding_supplements": ["omega3_high_dose"]},
        only(ALL, "precautions"),
    ),
    ("bleeding_supplements", {"bleeding_supplements": ("vitamin_e",)}, only(ALL, "precautions")),
    ("keloid", {"keloid_history": True}, only(ALL, "review")),
    ("cold_sores", {"cold_sores_frequent": True}, only(FACE, "precautions")),
    ("sensitivity", {"sensitive_skin_or_allergies": True}, only(ALL, "precautions")),
    ("product_allergy", {"known_product_allergy": True}, only(ALL, "review")),
    (
        "chronic_skin_condition",
        {"chronic_skin_condition": frozenset({"rosacea", "acne"})},
        only(ALL, "precautions"),
    ),
    ("chronic_skin_condition", {"chronic_skin_condition": ["other"]}, only(ALL, "precautions")),
    ("retinoids", {"retinoid_last_use": ago(3)}, only(FACE, "defer")),
    ("strong_acids", {"acid_exfoliant_last_use": ago(3)}, only(FACE, "defer")),
    ("peel", {"peel_last": ago(3)}, only(FACE, "defer")),
    ("sun_exposure", {"sun_exposure_last": ago(3)}, only(ALL, "defer")),
    ("recent_laser", {"laser_last": ago(3)}, only(FACE, "precautions")),
]


@pytest.mark.parametrize(
    ("rule_id", "answers", "expected"),
    RULE_CASES,
    ids=[f"{case[0]}-{i}" for i, case in enumerate(RULE_CASES)],
)
def test_each_rule_fires_with_its_outcome_on_exactly_its_treatments(
    rule_id: str, answers: dict[str, Any], expected: dict[str, str]
) -> None:
    result = evaluate(answers, today=TODAY, rules=RULES)
    for treatment in ALL:
        outcome = expected.get(treatment)
        if outcome is None:
            assert result.verdict_for(treatment) == "proceed", treatment
            assert fired(result, treatment) == [], treatment
        else:
            assert result.verdict_for(treatment) == outcome, treatment
            assert fired(result, treatment) == [rule_id], treatment
            reason = result.for_treatment(treatment).reasons[0]
            assert reason.outcome == outcome
            assert reason.text.strip() and "{" not in reason.text
            # Only precautions carry a precaution to print for the practitioner.
            if outcome == "precautions":
                assert reason.precaution
                assert result.for_treatment(treatment).precautions == (reason.precaution,)


def test_every_rule_of_the_table_has_a_case_above() -> None:
    assert {case[0] for case in RULE_CASES} == {rule.id for rule in bundled_rules().rules}


@pytest.mark.parametrize(
    "answers",
    [
        {},
        {"pregnant": False, "breastfeeding": False, "cancer_history": False},
        {"active_infection": False},
        {"autoimmune": "none"},
        {"bleeding_supplements": set(), "chronic_skin_condition": []},
        {"retinoid_last_use": None, "isotretinoin_last_dose": None},
        {"retinoid_last_use": ago(400), "laser_last": ago(400), "sun_exposure_last": ago(400)},
        {"isotretinoin_last_dose": date(2020, 1, 1)},
        {"medications": "Levothyroxine 50 µg", "notes": "Cancer in 1999? No.", "allergies": ""},
    ],
)
def test_no_and_never_answers_proceed_everywhere(answers: dict[str, Any]) -> None:
    result = evaluate(answers, today=TODAY, rules=RULES)
    for treatment in ALL:
        assert result.verdict_for(treatment) == "proceed"
        assert result.for_treatment(treatment).reasons == ()
        assert result.allows(treatment)


@pytest.mark.parametrize("infection", [False, None])
@pytest.mark.parametrize("area", ["face", "scalp", "other"])
def test_an_infection_area_without_an_infection_is_ignored(
    infection: bool | None, area: str
) -> None:
    result = evaluate(
        {"active_infection": infection, "active_infection_area": area}, today=TODAY, rules=RULES
    )
    assert {result.verdict_for(t) for t in ALL} == {"proceed"}


def test_a_dateless_deferral_says_what_must_happen() -> None:
    result = evaluate(
        {"active_infection": True, "active_infection_area": "face"}, today=TODAY, rules=RULES
    )
    face = result.for_treatment("exosome_face")
    assert face.until is None
    assert face.until_text == "until the infection has cleared"
    assert face.reasons[0].until_text == "until the infection has cleared"
    assert face.until_long() == "until the infection has cleared"


# -- window boundaries ---------------------------------------------------------------------

DAY_RULES = [
    ("retinoids", "retinoid_last_use", 7, FACE),
    ("strong_acids", "acid_exfoliant_last_use", 7, FACE),
    ("peel", "peel_last", 7, FACE),
    ("sun_exposure", "sun_exposure_last", 14, ALL),
    ("recent_laser", "laser_last", 14, FACE),
]
# Last dates that cross a leap day, a month end and a year end.
LAST_DATES = [date(2024, 2, 29), date(2024, 2, 25), date(2025, 12, 28), date(2026, 1, 31)]


@pytest.mark.parametrize(("rule_id", "item", "days", "scope"), DAY_RULES)
@pytest.mark.parametrize("last", LAST_DATES, ids=str)
@pytest.mark.parametrize(
    ("offset", "fires"),
    [(0, True), (1, True), ("n-1", True), ("n", False), ("n+1", False)],
    ids=["same-day", "next-day", "day-before", "day-of", "day-after"],
)
def test_day_windows_lift_on_exactly_last_date_plus_n(
    rule_id: str,
    item: str,
    days: int,
    scope: tuple[str, ...],
    last: date,
    offset: int | str,
    fires: bool,
) -> None:
    delta = {"n-1": days - 1, "n": days, "n+1": days + 1}.get(offset, offset)
    today = last + timedelta(days=delta)  # type: ignore[arg-type]
    result = evaluate({item: last}, today=today, rules=RULES)
    lifts = last + timedelta(days=days)
    for treatment in scope:
        outcome = bundled_rules().rule(rule_id).effects[0].outcome
        if fires:
            assert result.verdict_for(treatment) == outcome
            assert fired(result, treatment) == [rule_id]
            expected_until = lifts if outcome == "defer" else None
            assert result.for_treatment(treatment).until == expected_until
            assert result.for_treatment(treatment).reasons[0].until == expected_until
        else:
            assert result.verdict_for(treatment) == "proceed"
    for treatment in set(ALL) - set(scope):
        assert result.verdict_for(treatment) == "proceed"


def test_a_leap_day_retinoid_lifts_in_march() -> None:
    result = evaluate({"retinoid_last_use": date(2024, 2, 29)}, today=date(2024, 3, 6), rules=RULES)
    assert result.for_treatment("exosome_face").until == date(2024, 3, 7)
    assert result.to_dict()["exosome_face"]["until"] == "2024-03-07"


ISO_CASES = [
    # last dose, today, verdict, until
    (date(2025, 8, 31), date(2025, 8, 31), "defer", date(2026, 2, 28)),
    (date(2025, 8, 31), date(2026, 2, 27), "defer", date(2026, 2, 28)),
    (date(2025, 8, 31), date(2026, 2, 28), "review", None),  # 31 Aug + 6 months, clamped
    (date(2025, 8, 31), date(2026, 3, 1), "review", None),
    (date(2025, 8, 31), date(2026, 8, 30), "review", None),
    (date(2025, 8, 31), date(2026, 8, 31), "proceed", None),
    (date(2025, 8, 31), date(2026, 9, 1), "proceed", None),
    (date(2023, 8, 31), date(2024, 2, 28), "defer", date(2024, 2, 29)),  # leap year
    (date(2023, 8, 31), date(2024, 2, 29), "review", None),
    (date(2024, 2, 29), date(2024, 8, 28), "defer", date(2024, 8, 29)),
    (date(2024, 2, 29), date(2024, 8, 29), "review", None),
    (date(2024, 2, 29), date(2025, 2, 27), "review", None),
    (date(2024, 2, 29), date(2025, 2, 28), "proceed", None),  # + 12 months, clamped
    (date(2026, 1, 15), date(2026, 7, 14), "defer", date(2026, 7, 15)),
    (date(2026, 1, 15), date(2026, 7, 15), "review", None),
    (date(2026, 1, 15), date(2027, 1, 14), "review", None),
    (date(2026, 1, 15), date(2027, 1, 15), "proceed", None),
    (date(2025, 12, 31), date(2026, 6, 29), "defer", date(2026, 6, 30)),
]


@pytest.mark.parametrize(("last", "today", "verdict", "until"), ISO_CASES, ids=str)
def test_isotretinoin_windows_use_clamped_calendar_months(
    last: date, today: date, verdict: str, until: date | None
) -> None:
    result = evaluate({"isotretinoin_last_dose": last}, today=today, rules=RULES)
    expected_rule = {"defer": ["isotretinoin_recent"], "review": ["isotretinoin_window"]}
    for treatment in ALL:
        assert result.verdict_for(treatment) == verdict
        assert result.for_treatment(treatment).until == until
        assert fired(result, treatment) == expected_rule.get(verdict, [])


# -- combinations --------------------------------------------------------------------------


def test_the_most_severe_reason_wins_and_comes_first() -> None:
    result = evaluate({"anticoagulants": True, "cancer_history": True}, today=TODAY, rules=RULES)
    for treatment in ALL:
        assert result.verdict_for(treatment) == "review"
        assert fired(result, treatment) == ["cancer_history", "anticoagulants"]


def test_defer_beats_review_only_where_the_deferring_rule_applies() -> None:
    result = evaluate(
        {"keloid_history": True, "retinoid_last_use": ago(2)}, today=TODAY, rules=RULES
    )
    for treatment in FACE:
        assert result.verdict_for(treatment) == "defer"
        assert fired(result, treatment) == ["retinoids", "keloid"]
    assert result.verdict_for("exosome_scalp") == "review"
    assert result.for_treatment("exosome_scalp").until is None


def test_reasons_of_equal_severity_keep_rule_table_order() -> None:
    answers = {
        "chronic_skin_condition": {"eczema"},
        "sensitive_skin_or_allergies": True,
        "anticoagulants": True,
        "autoimmune": "controlled",
        "bleeding_supplements": {"ginkgo"},
    }
    result = evaluate(answers, today=TODAY, rules=RULES)
    table_order = [
        rule.id
        for rule in bundled_rules().rules
        if rule.id
        in {
            "chronic_skin_condition",
            "sensitivity",
            "anticoagulants",
            "autoimmune_controlled",
            "bleeding_supplements",
        }
    ]
    assert table_order == [
        "autoimmune_controlled",
        "anticoagulants",
        "bleeding_supplements",
        "sensitivity",
        "chronic_skin_condition",
    ]
    assert fired(result, "exosome_scalp") == table_order
    assert len(result.for_treatment("exosome_scalp").precautions) == 5


def test_the_latest_deferral_date_wins() -> None:
    answers = {"retinoid_last_use": ago(6), "sun_exposure_last": ago(2), "peel_last": ago(0)}
    result = evaluate(answers, today=TODAY, rules=RULES)
    # Face: retinoid lifts in 1 day, peel in 7, sun in 12: the sun decides.
    assert result.for_treatment("exosome_face").until == ago(2) + timedelta(days=14)
    assert fired(result, "exosome_face") == ["retinoids", "peel", "sun_exposure"]
    assert [r.until for r in result.for_treatment("exosome_face").reasons] == [
        ago(6) + timedelta(days=7),
        ago(0) + timedelta(days=7),
        ago(2) + timedelta(days=14),
    ]
    assert result.for_treatment("exosome_scalp").until == ago(2) + timedelta(days=14)


def test_a_later_face_deferral_does_not_reach_the_scalp() -> None:
    answers = {"retinoid_last_use": ago(0), "sun_exposure_last": ago(10)}
    result = evaluate(answers, today=TODAY, rules=RULES)
    assert result.for_treatment("exosome_face").until == TODAY + timedelta(days=7)
    assert result.for_treatment("exosome_scalp").until == TODAY + timedelta(days=4)


def test_the_latest_date_wins_across_days_and_months() -> None:
    answers = {"isotretinoin_last_dose": date(2026, 1, 20), "sun_exposure_last": ago(1)}
    result = evaluate(answers, today=TODAY, rules=RULES)
    assert result.for_treatment("exosome_scalp").until == date(2026, 7, 20)
    answers["isotretinoin_last_dose"] = date(2025, 12, 20)
    assert evaluate(answers, today=TODAY, rules=RULES).for_treatment("exosome_scalp").until == ago(
        1
    ) + (timedelta(days=14))


def test_a_dateless_deferral_empties_until() -> None:
    answers = {
        "active_infection": True,
        "active_infection_area": "scalp",
        "sun_exposure_last": ago(1),
        "retinoid_last_use": ago(1),
    }
    result = evaluate(answers, today=TODAY, rules=RULES)
    for treatment in SCALP:
        assert result.verdict_for(treatment) == "defer"
        assert result.for_treatment(treatment).until is None
        assert result.for_treatment(treatment).until_text == "until the infection has cleared"
        assert result.to_dict()[treatment]["until"] is None
    # The dated reasons still carry their own dates.
    prp = result.for_treatment("prp")
    assert {r.rule: r.until for r in prp.reasons} == {
        "active_infection": None,
        "retinoids": ago(1) + timedelta(days=7),
        "sun_exposure": ago(1) + timedelta(days=14),
    }
    # A face-only treatment is deferred by dated rules alone.
    face = result.for_treatment("exosome_face")
    assert face.until == ago(1) + timedelta(days=14)
    assert face.until_text is None


def test_pregnancy_review_does_not_empty_a_dated_deferral() -> None:
    result = evaluate({"pregnant": True, "retinoid_last_use": ago(1)}, today=TODAY, rules=RULES)
    prp = result.for_treatment("prp")
    assert prp.verdict == "defer"
    assert prp.until == ago(1) + timedelta(days=7)
    assert [r.rule for r in prp.reasons] == ["retinoids", "pregnancy"]
    face = result.for_treatment("exosome_face")
    assert face.until is None
    assert face.until_text == PREGNANCY_UNTIL


def test_two_undated_conditions_are_both_said_once() -> None:
    answers = {
        "pregnant": True,
        "breastfeeding": True,
        "active_infection": True,
        "active_infection_area": "face",
    }
    face = evaluate(answers, today=TODAY, rules=RULES).for_treatment("exosome_face")
    assert face.until_text == (f"{PREGNANCY_UNTIL}, and until the infection has cleared")


def test_until_is_empty_unless_the_verdict_is_defer() -> None:
    result = evaluate(
        {"laser_last": ago(1), "isotretinoin_last_dose": ago(200)}, today=TODAY, rules=RULES
    )
    face = result.for_treatment("exosome_face")
    assert face.verdict == "review"
    assert face.until is None and face.until_text is None
    assert all(reason.until is None for reason in face.reasons)


@pytest.mark.parametrize(
    ("answers", "allowed"),
    [
        ({}, True),
        ({"sensitive_skin_or_allergies": True}, True),
        ({"cancer_history": True}, False),
        ({"sun_exposure_last": TODAY}, False),
    ],
)
def test_allows_means_proceed_or_precautions(answers: dict[str, Any], allowed: bool) -> None:
    result = evaluate(answers, today=TODAY, rules=RULES)
    assert [result.allows(t) for t in ALL] == [allowed] * 4
    assert [result.for_treatment(t).allows for t in ALL] == [allowed] * 4


def test_to_dict_has_exactly_the_documented_shape() -> None:
    answers = {"retinoid_last_use": ago(2), "anticoagulants": True}
    data = evaluate(answers, today=TODAY, rules=RULES).to_dict()
    assert list(data) == list(ALL)
    assert data["exosome_face"] == {
        "verdict": "defer",
        "until": (ago(2) + timedelta(days=7)).isoformat(),
        "reasons": [
            {
                "rule": "retinoids",
                "outcome": "defer",
                "until": (ago(2) + timedelta(days=7)).isoformat(),
                "text": data["exosome_face"]["reasons"][0]["text"],
            },
            {
                "rule": "anticoagulants",
                "outcome": "precautions",
                "until": None,
                "text": data["exosome_face"]["reasons"][1]["text"],
            },
        ],
    }
    assert data["exosome_scalp"]["verdict"] == "precautions"
    assert json.loads(json.dumps(data)) == data


def test_the_result_records_the_day_and_table_version() -> None:
    result = evaluate({}, today=TODAY, rules=RULES)
    assert result.today == TODAY
    assert result.version == bundled_rules().version == "2026.2"


def test_an_unknown_treatment_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        evaluate({}, today=TODAY, rules=RULES).verdict_for("botox")


def test_reason_texts_quote_the_window() -> None:
    result = evaluate({"retinoid_last_use": ago(1), "laser_last": ago(1)}, today=TODAY, rules=RULES)
    texts = {r.rule: r.text for r in result.for_treatment("prp").reasons}
    assert "7 days" in texts["retinoids"]
    assert "14 days" in texts["recent_laser"]


# -- input errors --------------------------------------------------------------------------

DOB = date(1985, 4, 3)


@pytest.mark.parametrize(
    ("answers", "item", "label"),
    [
        ({"smoker": True}, "smoker", None),
        ({"pregnant": "yes"}, "pregnant", "Pregnant or trying to conceive"),
        ({"pregnant": 1}, "pregnant", "Pregnant or trying to conceive"),
        ({"active_infection": "False"}, "active_infection", "Active skin infection"),
        (
            {"retinoid_last_use": datetime(2026, 6, 1, 9, 30)},
            "retinoid_last_use",
            "Last use of a retinoid cream",
        ),
        ({"retinoid_last_use": True}, "retinoid_last_use", "Last use of a retinoid cream"),
        ({"laser_last": "2026-06-01"}, "laser_last", "Last laser treatment"),
        ({"autoimmune": "sometimes"}, "autoimmune", "Autoimmune condition"),
        ({"autoimmune": True}, "autoimmune", "Autoimmune condition"),
        (
            {"chronic_skin_condition": "eczema"},
            "chronic_skin_condition",
            "Long-term skin conditions",
        ),
        (
            {"chronic_skin_condition": {"warts"}},
            "chronic_skin_condition",
            "Long-term skin conditions",
        ),
        (
            {"bleeding_supplements": ["ginkgo", 3]},
            "bleeding_supplements",
            "Supplements that raise bleeding",
        ),
        ({"notes": 12}, "notes", "Other health notes"),
        (
            {"active_infection": False, "active_infection_area": "elbow"},
            "active_infection_area",
            "Where the skin infection is",
        ),
        (
            {"laser_last": TODAY + timedelta(days=1)},
            "laser_last",
            "Last laser treatment",
        ),
        (
            {"isotretinoin_last_dose": date(2027, 1, 1)},
            "isotretinoin_last_dose",
            "Last dose of isotretinoin",
        ),
        ({"peel_last": DOB - timedelta(days=1)}, "peel_last", "Last chemical peel"),
    ],
)
def test_bad_answers_raise_an_error_naming_the_item(
    answers: dict[str, Any], item: str, label: str | None
) -> None:
    with pytest.raises(ScreeningInputError) as caught:
        evaluate(answers, today=TODAY, date_of_birth=DOB, rules=RULES)
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.item == item
    assert item in str(error)
    if label is None:
        assert error.label is None
    else:
        assert error.label is not None and error.label.startswith(label)
        assert label in str(error)


@pytest.mark.parametrize(
    ("day", "message"),
    [(TODAY + timedelta(days=1), "after today"), (DOB - timedelta(days=1), "before the date")],
)
def test_date_messages_say_what_is_wrong(day: date, message: str) -> None:
    with pytest.raises(ScreeningInputError, match=message):
        evaluate({"sun_exposure_last": day}, today=TODAY, date_of_birth=DOB, rules=RULES)


def test_dates_on_today_and_on_the_birth_date_are_accepted() -> None:
    result = evaluate(
        {"sun_exposure_last": TODAY, "peel_last": DOB}, today=TODAY, date_of_birth=DOB, rules=RULES
    )
    assert result.for_treatment("exosome_scalp").until == TODAY + timedelta(days=14)


def test_a_birth_date_after_today_is_refused() -> None:
    with pytest.raises(ScreeningInputError) as caught:
        evaluate({}, today=TODAY, date_of_birth=TODAY + timedelta(days=1), rules=RULES)
    assert caught.value.item == "date_of_birth"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"today": datetime(2026, 6, 15, 12, 0)},
        {"today": "2026-06-15"},
        {"today": TODAY, "date_of_birth": datetime(1985, 4, 3)},
    ],
)
def test_the_days_passed_in_must_be_dates(kwargs: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        evaluate({}, **kwargs, rules=RULES)


def test_answers_must_be_a_mapping() -> None:
    with pytest.raises(TypeError):
        evaluate([("pregnant", True)], today=TODAY, rules=RULES)  # type: ignore[arg-type]


def test_check_answers_lists_every_problem_beside_its_field() -> None:
    answers = {"pregnant": "yes", "laser_last": TODAY + timedelta(days=3), "smoker": True}
    problems = check_answers(answers, today=TODAY, rules=RULES)
    assert [p.field for p in problems] == ["smoker", "pregnant", "laser_last"]
    assert all(isinstance(p, Problem) and p.message for p in problems)
    assert check_answers({"pregnant": True, "laser_last": TODAY}, today=TODAY, rules=RULES) == []


def test_the_engine_stays_pure() -> None:
    import ast
    import inspect

    import exodesk.domain.screening as module

    source = inspect.getsource(module)
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    allowed_first_party = {"exodesk.domain.dates", "exodesk.domain.problems", "exodesk.paths"}
    assert {m for m in imported if m.startswith("exodesk")} <= allowed_first_party
    forbidden = ("PySide6", "sqlite3", "sqlite_utils", "reportlab", "time")
    assert not {m for m in imported if m.split(".")[0] in forbidden}
    for clock in ("date.today(", "datetime.now(", "datetime.today(", "datetime.utcnow("):
        assert clock not in source


def test_still_taking_isotretinoin_defers_with_no_date_whatever_the_last_dose() -> None:
    """Facts §1: a current user gets no lift date, even with a "last dose" of today."""
    today = date(2026, 12, 6)
    result = evaluate(
        {"isotretinoin_current": True, "isotretinoin_last_dose": today}, today=today, rules=RULES
    )
    for treatment in result.treatments:
        assert treatment.verdict == "defer"
        assert treatment.until is None
        assert treatment.until_text == "until 6 months after your last dose"
    stopped = evaluate(
        {"isotretinoin_current": False, "isotretinoin_last_dose": today}, today=today, rules=RULES
    )
    assert stopped.treatments[0].until == date(2027, 6, 6)


def test_the_pregnancy_reason_fits_those_trying_to_conceive_too() -> None:
    result = evaluate({"pregnant": True}, today=date(2026, 12, 6), rules=RULES)
    reason = result.for_treatment("exosome_face").reasons[0]
    assert "trying to get pregnant" in reason.text
    assert "after your pregnancy" not in reason.text
    assert "trying to get pregnant" in (reason.until_text or "")


@pytest.mark.parametrize(
    "unsourced",
    ["fragile and slow to heal", "could spread it", "can sometimes bring one on"],
)
def test_no_rule_gives_a_reason_its_sources_do_not(unsourced: str) -> None:
    for rule in bundled_rules().rules:
        for effect in rule.effects:
            assert unsourced not in effect.reason, rule.id
