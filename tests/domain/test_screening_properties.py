"""Properties of the screening engine over random valid answers (Hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from exodesk.domain.screening import (
    UNSPECIFIED,
    VERDICT_ORDER,
    Item,
    RuleTable,
    ScreeningResult,
    evaluate,
)
from tests.bundled import bundled_rules

TABLE = bundled_rules()
EARLIEST = date(1930, 1, 1)
LATEST = date(2035, 12, 31)


def _severity(outcome: str) -> int:
    return VERDICT_ORDER.index(outcome)


@st.composite
def a_day_and_birth(draw: st.DrawFn) -> tuple[date, date | None]:
    today = draw(st.dates(min_value=date(2000, 1, 1), max_value=LATEST))
    dob = draw(st.none() | st.dates(min_value=EARLIEST, max_value=today))
    return today, dob


def _value(item: Item, today: date, dob: date | None) -> st.SearchStrategy[Any]:
    if item.type == "bool":
        return st.booleans()
    if item.type == "enum":
        return st.sampled_from(item.values)
    if item.type == "set":
        subsets = st.frozensets(st.sampled_from(item.values))
        return subsets | subsets.map(sorted) | subsets.map(tuple)
    if item.type == "text":
        return st.text(max_size=30)
    earliest = dob or EARLIEST
    # Mostly recent dates, so the day and month windows are hit often, and their edges too.
    recent = st.integers(min_value=0, max_value=400).map(lambda n: today - timedelta(days=n))
    return recent.filter(lambda d: d >= earliest) | st.dates(min_value=earliest, max_value=today)


@st.composite
def screenings(draw: st.DrawFn) -> tuple[dict[str, Any], date, date | None]:
    today, dob = draw(a_day_and_birth())
    answers: dict[str, Any] = {}
    for item in TABLE.items:
        value = draw(st.none() | _value(item, today, dob))
        if draw(st.booleans()) or value is not None:
            answers[item.id] = value
    return answers, today, dob


def _check_invariants(result: ScreeningResult, table: RuleTable) -> None:
    assert [r.treatment for r in result.treatments] == list(table.treatment_ids)
    order = [rule.id for rule in table.rules]
    for treated in result.treatments:
        for reason in treated.reasons:
            # Only rules whose scope holds the treatment may speak about it.
            assert treated.treatment in table.rule(reason.rule).scope
        outcomes = [_severity(r.outcome) for r in treated.reasons]
        expected = max(outcomes, default=0)
        assert _severity(treated.verdict) == expected
        # Most severe first; ties in table order.
        keys = [(-_severity(r.outcome), order.index(r.rule)) for r in treated.reasons]
        assert keys == sorted(keys)
        assert len({r.rule for r in treated.reasons}) == len(treated.reasons)
        deferrals = [r for r in treated.reasons if r.outcome == "defer"]
        if treated.verdict != "defer":
            assert treated.until is None and treated.until_text is None
        elif any(r.until is None for r in deferrals):
            assert treated.until is None and treated.until_text
        else:
            assert treated.until == max(r.until for r in deferrals if r.until is not None)
            assert treated.until > result.today
        assert treated.allows == (treated.verdict in ("proceed", "precautions"))


@given(screenings())
def test_results_are_consistent_and_deterministic(
    case: tuple[dict[str, Any], date, date | None],
) -> None:
    answers, today, dob = case
    result = evaluate(answers, today=today, date_of_birth=dob, rules=TABLE)
    _check_invariants(result, TABLE)
    # Same answers in another order, judged again: the very same result.
    shuffled = dict(reversed(list(answers.items())))
    assert evaluate(shuffled, today=today, date_of_birth=dob, rules=TABLE) == result
    assert (
        evaluate(answers, today=today, date_of_birth=dob, rules=TABLE).to_dict() == result.to_dict()
    )


@given(screenings())
def test_face_only_rules_never_touch_the_scalp_treatment(
    case: tuple[dict[str, Any], date, date | None],
) -> None:
    answers, today, dob = case
    scalp = evaluate(answers, today=today, date_of_birth=dob, rules=TABLE).for_treatment(
        "exosome_scalp"
    )
    fired = {r.rule for r in scalp.reasons}
    assert not fired & {"cold_sores", "retinoids", "strong_acids", "peel", "recent_laser"}
    if "active_infection" in fired:
        area = answers.get("active_infection_area") or UNSPECIFIED
        assert area != "face"


@given(
    last=st.dates(min_value=date(2000, 1, 1), max_value=LATEST),
    gap=st.integers(min_value=0, max_value=30),
)
def test_day_windows_match_a_plain_day_count(last: date, gap: int) -> None:
    today = last + timedelta(days=gap)
    answers = {"retinoid_last_use": last, "sun_exposure_last": last}
    result = evaluate(answers, today=today, rules=TABLE)
    face_rules = {r.rule for r in result.for_treatment("exosome_face").reasons}
    assert ("retinoids" in face_rules) == (gap < 7)
    assert ("sun_exposure" in face_rules) == (gap < 14)


@given(
    screenings(),
    st.integers(min_value=1, max_value=800),
)
def test_waiting_never_makes_a_verdict_worse(
    case: tuple[dict[str, Any], date, date | None], wait: int
) -> None:
    answers, today, dob = case
    before = evaluate(answers, today=today, date_of_birth=dob, rules=TABLE)
    after = evaluate(answers, today=today + timedelta(days=wait), date_of_birth=dob, rules=TABLE)
    for treatment in TABLE.treatment_ids:
        assert _severity(after.verdict_for(treatment)) <= _severity(before.verdict_for(treatment))


@st.composite
def stricter_overrides(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    overrides: dict[str, dict[str, Any]] = {}
    for rule in draw(st.lists(st.sampled_from(TABLE.rules), unique_by=lambda r: r.id)):
        change: dict[str, Any] = {}
        worst = max(_severity(e.outcome) for e in rule.effects)
        if draw(st.booleans()):
            change["outcome"] = draw(st.sampled_from(VERDICT_ORDER[worst:]))
        if rule.window is not None and (draw(st.booleans()) or not change):
            unit, current = rule.window
            change[unit] = draw(st.integers(min_value=current, max_value=current * 3))
        if change:
            overrides[rule.id] = change
    return overrides


@given(screenings(), stricter_overrides())
def test_a_tightened_table_is_never_milder(
    case: tuple[dict[str, Any], date, date | None], overrides: dict[str, dict[str, Any]]
) -> None:
    answers, today, dob = case
    strict = TABLE.tightened(overrides)
    base = evaluate(answers, today=today, date_of_birth=dob, rules=TABLE)
    tight = evaluate(answers, today=today, date_of_birth=dob, rules=strict)
    _check_invariants(tight, strict)
    assert tight.version.startswith("2026.2")
    assert (tight.version == base.version) == (strict.rules == TABLE.rules)
    for treatment in TABLE.treatment_ids:
        assert _severity(tight.verdict_for(treatment)) >= _severity(base.verdict_for(treatment))
