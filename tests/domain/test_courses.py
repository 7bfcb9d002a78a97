"""Courses: the bundled protocols, template validation, course progress and session spacing."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exodesk.domain.courses import (
    COURSE_STATES,
    course_from_protocol,
    course_progress,
    protocol_fits,
    protocol_for,
    session_number_for,
    spacing_warnings,
    validate_protocol,
)
from exodesk.domain.dates import format_long
from exodesk.domain.sessions import INDICATIONS, Course, ProtocolTemplate
from exodesk.services.bundled import PROTOCOLS_FILE
from tests.bundled import bundled_data, bundled_protocols, content_at

PROTOCOLS = bundled_protocols()

# ---- the bundled protocols cover §3 exactly -------------------------------------------------

# indication -> (sessions min, max, interval days min, max, maintenance months min, max)
SECTION_3 = {
    "rejuvenation": (2, 4, 28, 42, 6, 12),
    "acne_scarring": (3, 6, 28, 42, 6, 12),
    "hair_thinning": (3, 6, 28, 42, 3, 6),
}


def numbers(t: ProtocolTemplate) -> tuple[int, ...]:
    return (
        t.sessions_min,
        t.sessions_max,
        t.interval_min_days,
        t.interval_max_days,
        t.maintenance_min_months,
        t.maintenance_max_months,
    )


def test_bundled_protocols_are_exactly_section_3() -> None:
    templates = bundled_protocols().templates
    assert {t.indication: numbers(t) for t in templates} == SECTION_3
    assert len(templates) == len(SECTION_3)


@pytest.mark.parametrize("template", bundled_protocols().templates, ids=lambda t: t.key)
def test_each_bundled_protocol_validates_and_cites_its_sources(template: ProtocolTemplate) -> None:
    assert validate_protocol(template) == []
    details = bundled_protocols().details_for(template.key)
    assert details is not None
    assert details.sources == ("001", "002", "004")
    assert template.sessions_min <= details.default_sessions <= template.sessions_max
    assert details.treatments


@pytest.mark.parametrize(
    ("indication", "key"),
    [
        ("rejuvenation", "skin_rejuvenation"),
        ("pigmentation", "skin_rejuvenation"),  # no protocol of its own: said so in the data
        ("acne_scarring", "acne_scarring"),
        ("hair_thinning", "scalp_hair"),
    ],
)
def test_protocol_for_every_indication(indication: str, key: str) -> None:
    template = protocol_for(indication, PROTOCOLS)
    assert template is not None and template.key == key


def test_every_indication_has_a_protocol_and_pigmentation_says_why() -> None:
    assert all(protocol_for(i, PROTOCOLS) is not None for i in INDICATIONS)
    details = bundled_protocols().details_for("skin_rejuvenation")
    assert details is not None and details.also_for == ("pigmentation",)
    assert "pigmentation" in details.note.lower()
    assert protocol_for("wrinkles", PROTOCOLS) is None


def test_protocol_for_searches_the_clinics_templates_first() -> None:
    edited = replace(protocol_for("rejuvenation", PROTOCOLS), sessions_max=5)  # type: ignore[arg-type]
    assert protocol_for("pigmentation", PROTOCOLS, [edited]) == edited
    assert protocol_for("hair_thinning", PROTOCOLS, [edited]) is None


@pytest.mark.parametrize(
    ("key", "treatment", "fits"),
    [
        ("skin_rejuvenation", "exosome_face", True),
        ("skin_rejuvenation", "exosome_scalp", False),
        ("scalp_hair", "exosome_scalp", True),
        ("scalp_hair", "exosome_face", False),
        ("acne_scarring", "microneedling", True),
        ("clinic_own", "exosome_scalp", True),  # a clinic's own template fits any treatment
    ],
)
def test_protocol_fits(key: str, treatment: str, fits: bool) -> None:
    template = replace(bundled_protocols().templates[0], key=key)
    assert protocol_fits(template, treatment, PROTOCOLS) is fits


def test_load_protocols_is_cached() -> None:
    assert bundled_protocols().templates is bundled_protocols().templates


def _raw() -> dict:
    return bundled_data(PROTOCOLS_FILE)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("path", "value", "words"),
    [
        (("sessions", "min"), 5, "sessions_max"),
        (("interval_days", "max"), 400, "interval_max_days"),
        (("sessions", "default"), 9, "default"),
        (("treatments",), ["botox"], "treatments"),
        (("sources",), ["007"], "seed ids"),
        (("also_for",), ["rejuvenation"], "also_for"),
        (("indication",), "wrinkles", "indication"),
        (("maintenance_months",), {"min": 3}, "missing"),
    ],
)
def test_a_bad_protocol_file_is_refused(
    tmp_path: Path, path: tuple[str, ...], value: object, words: str
) -> None:
    data = _raw()
    target = data["protocols"][0]
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    with pytest.raises(ValueError, match=words):
        content_at(tmp_path, PROTOCOLS_FILE, json.dumps(data)).protocols  # noqa: B018


def test_a_protocol_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"protocols\.json is not valid JSON"):
        content_at(tmp_path, PROTOCOLS_FILE, "{not json").protocols  # noqa: B018


def test_two_protocols_for_one_indication_are_refused(tmp_path: Path) -> None:
    data = _raw()
    data["protocols"][1]["indication"] = "pigmentation"
    with pytest.raises(ValueError, match="one protocol"):
        content_at(tmp_path, PROTOCOLS_FILE, json.dumps(data)).protocols  # noqa: B018


# ---- validating a clinic's template ---------------------------------------------------------

TEMPLATE = ProtocolTemplate(
    key="clinic_glow",
    label="Glow course",
    indication="rejuvenation",
    sessions_min=2,
    sessions_max=4,
    interval_min_days=28,
    interval_max_days=42,
    maintenance_min_months=6,
    maintenance_max_months=12,
)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"key": ""}, "key"),
        ({"key": "Glow Course"}, "key"),
        ({"label": " "}, "label"),
        ({"label": "l" * 121}, "label"),
        ({"indication": "wrinkles"}, "indication"),
        ({"sessions_min": 0}, "sessions_min"),
        ({"sessions_max": 21}, "sessions_max"),
        ({"sessions_min": 5}, "sessions_max"),  # min above max: said on the max field
        ({"interval_min_days": 0}, "interval_min_days"),
        ({"interval_max_days": 366}, "interval_max_days"),
        ({"interval_min_days": 43}, "interval_max_days"),
        ({"maintenance_min_months": 0}, "maintenance_min_months"),
        ({"maintenance_max_months": 61}, "maintenance_max_months"),
        ({"maintenance_min_months": 13}, "maintenance_max_months"),
        ({"sessions_min": True}, "sessions_min"),
        ({"interval_max_days": 30.5}, "interval_max_days"),
    ],
)
def test_validate_protocol_names_the_field(change: dict, field: str) -> None:
    assert [p.field for p in validate_protocol(replace(TEMPLATE, **change))] == [field]


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"sessions_min": 1, "sessions_max": 1},
        {"sessions_min": 20, "sessions_max": 20},
        {"interval_min_days": 1, "interval_max_days": 365},
        {"maintenance_min_months": 60, "maintenance_max_months": 60},
        {"maintenance_min_months": 1, "maintenance_max_months": 1},
    ],
)
def test_validate_protocol_accepts_the_edges(change: dict) -> None:
    assert validate_protocol(replace(TEMPLATE, **change)) == []


def test_the_message_for_min_above_max_quotes_both() -> None:
    (problem,) = validate_protocol(replace(TEMPLATE, sessions_min=5))
    assert "4 sessions" in problem.message and "5 sessions" in problem.message


# ---- starting a course ----------------------------------------------------------------------


def test_course_from_a_bundled_protocol() -> None:
    template = protocol_for("hair_thinning", PROTOCOLS)
    assert template is not None
    course = course_from_protocol(
        template,
        protocols=PROTOCOLS,
        patient_id=3,
        treatment="exosome_scalp",
        started_on=date(2026, 3, 1),
    )
    assert course == Course(
        patient_id=3,
        treatment="exosome_scalp",
        indication="hair_thinning",
        planned_sessions=3,
        interval_min_days=28,
        interval_max_days=42,
        maintenance_min_months=3,
        maintenance_max_months=6,
        started_on=date(2026, 3, 1),
        template_key="scalp_hair",
    )


@pytest.mark.parametrize(
    ("change", "planned", "expected"),
    [
        ({}, None, 3),  # the bundled default
        ({"sessions_max": 2}, None, 2),  # a clinic narrowed the range below the default
        ({"sessions_min": 4, "sessions_max": 4}, None, 4),
        ({"key": "clinic_own", "sessions_min": 2}, None, 2),  # no bundled default: the minimum
        ({}, 4, 4),
    ],
)
def test_course_from_protocol_plans_sessions(
    change: dict, planned: int | None, expected: int
) -> None:
    template = replace(protocol_for("rejuvenation", PROTOCOLS), **change)  # type: ignore[arg-type]
    course = course_from_protocol(
        template,
        protocols=PROTOCOLS,
        patient_id=1,
        treatment="exosome_face",
        started_on=date(2026, 1, 5),
        planned_sessions=planned,
    )
    assert course.planned_sessions == expected


def test_a_pigmentation_course_keeps_its_indication() -> None:
    template = protocol_for("pigmentation", PROTOCOLS)
    assert template is not None
    course = course_from_protocol(
        template,
        protocols=PROTOCOLS,
        patient_id=1,
        treatment="exosome_face",
        started_on=date(2026, 1, 5),
        indication="pigmentation",
    )
    assert course.indication == "pigmentation"
    assert course.template_key == "skin_rejuvenation"


# ---- course progress ------------------------------------------------------------------------

COURSE = Course(
    patient_id=1,
    treatment="exosome_face",
    indication="rejuvenation",
    planned_sessions=4,
    interval_min_days=28,
    interval_max_days=42,
    maintenance_min_months=6,
    maintenance_max_months=12,
    started_on=date(2026, 1, 10),
)


def test_a_course_with_no_sessions_has_not_started() -> None:
    progress = course_progress(COURSE, [], today=date(2026, 1, 1))
    assert progress.state == "not_started"
    assert progress.label == "session 1 of 4"
    assert progress.next_number == 1
    assert (progress.next_earliest, progress.next_latest) == (None, None)
    assert (progress.maintenance_earliest, progress.maintenance_latest) == (None, None)


@pytest.mark.parametrize(
    ("today", "state"),
    [
        (date(2026, 1, 10), "not_yet"),  # the day of the session itself
        (date(2026, 2, 6), "not_yet"),  # the day before last + 28
        (date(2026, 2, 7), "due"),  # exactly last + 28
        (date(2026, 2, 14), "due"),
        (date(2026, 2, 21), "due"),  # exactly last + 42: still due
        (date(2026, 2, 22), "overdue"),  # the day after
        (date(2027, 1, 1), "overdue"),
    ],
)
def test_next_session_window_boundaries(today: date, state: str) -> None:
    progress = course_progress(COURSE, [date(2026, 1, 10)], today=today)
    assert progress.state == state
    assert progress.done == 1 and progress.planned == 4
    assert progress.label == "session 2 of 4"  # 1 done: the next is the 2nd
    assert progress.next_number == 2
    assert progress.next_earliest == date(2026, 2, 7)
    assert progress.next_latest == date(2026, 2, 21)
    assert progress.maintenance_earliest is None


def test_the_window_counts_from_the_latest_session_in_any_order() -> None:
    dates = [date(2026, 3, 7), date(2026, 1, 10), date(2026, 2, 7)]
    progress = course_progress(COURSE, dates, today=date(2026, 3, 7))
    assert progress.last_session == date(2026, 3, 7)
    assert progress.next_earliest == date(2026, 4, 4)
    assert progress.label == "session 4 of 4"


@pytest.mark.parametrize(
    ("last", "earliest", "latest"),
    [
        (date(2024, 2, 29), date(2024, 3, 28), date(2024, 4, 11)),  # from 29 Feb
        (date(2024, 2, 1), date(2024, 2, 29), date(2024, 3, 14)),  # onto 29 Feb
        (date(2025, 2, 1), date(2025, 3, 1), date(2025, 3, 15)),  # no 29 Feb that year
        (date(2026, 12, 20), date(2027, 1, 17), date(2027, 1, 31)),  # across the year end
    ],
)
def test_next_window_in_calendar_days(last: date, earliest: date, latest: date) -> None:
    progress = course_progress(COURSE, [last], today=last)
    assert (progress.next_earliest, progress.next_latest) == (earliest, latest)


FOUR = [date(2025, 5, 3), date(2025, 6, 7), date(2025, 7, 26), date(2025, 8, 31)]


@pytest.mark.parametrize(
    ("today", "state"),
    [
        (date(2025, 8, 31), "complete"),
        (date(2026, 2, 27), "complete"),  # the day before 31 Aug + 6 months (clamped to 28 Feb)
        (date(2026, 2, 28), "maintenance_due"),  # exactly + 6 months, clamped
        (date(2026, 8, 31), "maintenance_due"),  # exactly + 12 months: still due
        (date(2026, 9, 1), "maintenance_overdue"),  # the day after
    ],
)
def test_maintenance_window_boundaries(today: date, state: str) -> None:
    progress = course_progress(COURSE, FOUR, today=today)
    assert progress.state == state
    assert progress.label == "course complete (4 of 4)"
    assert progress.complete and progress.next_number is None
    assert (progress.next_earliest, progress.next_latest) == (None, None)
    assert progress.maintenance_earliest == date(2026, 2, 28)
    assert progress.maintenance_latest == date(2026, 8, 31)


@pytest.mark.parametrize(
    ("last", "months", "earliest", "latest"),
    [
        (date(2023, 8, 31), (6, 12), date(2024, 2, 29), date(2024, 8, 31)),  # into a leap Feb
        (date(2024, 2, 29), (6, 12), date(2024, 8, 29), date(2025, 2, 28)),  # from 29 Feb
        (date(2024, 2, 29), (3, 6), date(2024, 5, 29), date(2024, 8, 29)),  # scalp
        (date(2025, 11, 30), (3, 6), date(2026, 2, 28), date(2026, 5, 30)),
        (date(2025, 12, 31), (3, 6), date(2026, 3, 31), date(2026, 6, 30)),
    ],
)
def test_maintenance_months_are_clamped_to_the_month_end(
    last: date, months: tuple[int, int], earliest: date, latest: date
) -> None:
    course = replace(
        COURSE,
        planned_sessions=1,
        maintenance_min_months=months[0],
        maintenance_max_months=months[1],
    )
    progress = course_progress(course, [last], today=last)
    assert (progress.maintenance_earliest, progress.maintenance_latest) == (earliest, latest)
    assert progress.state == "complete"
    assert course_progress(course, [last], today=earliest).state == "maintenance_due"
    assert course_progress(course, [last], today=latest).state == "maintenance_due"
    after = latest + timedelta(days=1)
    assert course_progress(course, [last], today=after).state == "maintenance_overdue"


def test_more_sessions_than_planned_is_still_complete() -> None:
    five = [*FOUR, date(2025, 10, 5)]
    progress = course_progress(COURSE, five, today=date(2025, 10, 5))
    assert progress.label == "course complete (5 given, 4 planned)"
    assert progress.state == "complete"
    assert progress.maintenance_earliest == date(2026, 4, 5)


@pytest.mark.parametrize(("done", "number"), [(0, 1), (1, 2), (3, 4), (19, 20)])
def test_session_number_for(done: int, number: int) -> None:
    assert session_number_for(done) == number


def test_session_number_for_a_negative_count_is_a_bug() -> None:
    with pytest.raises(ValueError):
        session_number_for(-1)


@given(
    last=st.dates(min_value=date(2001, 1, 1), max_value=date(2040, 12, 31)),
    low=st.integers(1, 60),
    extra=st.integers(0, 60),
    offset=st.integers(-10, 500),
    planned=st.integers(2, 6),
)
def test_state_follows_the_window_for_any_day(
    last: date, low: int, extra: int, offset: int, planned: int
) -> None:
    course = replace(
        COURSE, planned_sessions=planned, interval_min_days=low, interval_max_days=low + extra
    )
    today = last + timedelta(days=offset)
    progress = course_progress(course, [last], today=today)
    assert progress.next_earliest == last + timedelta(days=low)
    assert progress.next_latest == last + timedelta(days=low + extra)
    if offset < low:
        assert progress.state == "not_yet"
    elif offset <= low + extra:
        assert progress.state == "due"
    else:
        assert progress.state == "overdue"
    assert progress.label == f"session 2 of {planned}"


@given(
    last=st.dates(min_value=date(2001, 1, 1), max_value=date(2040, 12, 31)),
    low=st.integers(1, 24),
    extra=st.integers(0, 24),
    first=st.integers(-10, 1200),
    step=st.integers(0, 400),
)
def test_states_only_move_forward_as_days_pass(
    last: date, low: int, extra: int, first: int, step: int
) -> None:
    course = replace(
        COURSE,
        planned_sessions=1,
        maintenance_min_months=low,
        maintenance_max_months=low + extra,
    )
    earlier = last + timedelta(days=first)
    later = earlier + timedelta(days=step)
    a = course_progress(course, [last], today=earlier).state
    b = course_progress(course, [last], today=later).state
    assert COURSE_STATES.index(a) <= COURSE_STATES.index(b)
    assert {a, b} <= {"complete", "maintenance_due", "maintenance_overdue"}


# ---- spacing --------------------------------------------------------------------------------

WHEN = date(2026, 3, 10)
FACE = frozenset({"face"})


def before(days: int) -> date:
    return WHEN - timedelta(days=days)


@pytest.mark.parametrize(
    ("gap", "warned"),
    [(27, True), (28, False), (1, True), (0, True), (60, False)],
)
def test_same_course_treatment_too_soon(gap: int, warned: bool) -> None:
    previous = [(before(gap), "exosome_face", FACE, "topical_only")]
    warnings = spacing_warnings(
        when=WHEN,
        treatment="exosome_face",
        areas=FACE,
        delivery="topical_only",
        course=COURSE,
        previous=previous,
    )
    assert bool(warnings) is warned
    if warned:
        (warning,) = warnings
        assert format_long(before(gap)) in warning
        assert "at least 28 days" in warning


def test_the_course_warning_names_the_gap_and_the_earliest_day() -> None:
    previous = [(before(14), "exosome_face", FACE, "topical_only")]
    (warning,) = spacing_warnings(
        when=WHEN,
        treatment="exosome_face",
        areas=FACE,
        delivery="topical_only",
        course=COURSE,
        previous=previous,
    )
    assert warning == (
        "This session is 14 days after the Exosome facial on Tue 24 Feb 2026; the course plans "
        "at least 28 days between sessions (the earliest would be Tue 24 Mar 2026)."
    )


def test_a_session_entered_late_is_checked_against_a_later_one() -> None:
    later = WHEN + timedelta(days=10)
    (warning,) = spacing_warnings(
        when=WHEN,
        treatment="exosome_face",
        areas=FACE,
        delivery="topical_only",
        course=COURSE,
        previous=[(later, "exosome_face", FACE, "topical_only")],
    )
    assert "10 days before" in warning and format_long(later) in warning


def test_only_the_nearest_earlier_course_session_is_named() -> None:
    previous = [
        (before(20), "exosome_face", FACE, "topical_only"),
        (before(5), "exosome_face", FACE, "topical_only"),
    ]
    (warning,) = spacing_warnings(
        when=WHEN,
        treatment="exosome_face",
        areas=FACE,
        delivery="topical_only",
        course=COURSE,
        previous=previous,
    )
    assert format_long(before(5)) in warning


def test_other_treatments_do_not_count_for_the_course_check() -> None:
    previous = [(before(5), "exosome_scalp", frozenset({"scalp"}), "topical_only")]
    assert (
        spacing_warnings(
            when=WHEN,
            treatment="exosome_face",
            areas=FACE,
            delivery="topical_only",
            course=COURSE,
            previous=previous,
        )
        == []
    )


@pytest.mark.parametrize(
    ("this", "other", "warned"),
    [
        # (treatment, areas, delivery) of this session and of one 10 days before, no course
        (
            ("microneedling", {"face"}, "topical_microneedling"),
            ("prp", {"face"}, "microinjection"),
            True,
        ),
        (
            ("exosome_face", {"face", "neck"}, "microinjection"),
            ("microneedling", {"neck"}, "topical_only"),
            True,
        ),  # overlapping areas
        (
            ("exosome_face", {"face"}, "topical_only"),
            ("microneedling", {"face"}, "topical_microneedling"),
            False,
        ),  # topical only does not break the skin
        (
            ("microneedling", {"face"}, "topical_microneedling"),
            ("exosome_face", {"face"}, "topical_only"),
            False,
        ),  # nor did the earlier topical-only session
        (
            ("microneedling", {"face"}, "topical_microneedling"),
            ("exosome_scalp", {"scalp"}, "microinjection"),
            False,
        ),  # different areas are fine
        (
            ("prp", {"scalp"}, "topical_only"),
            ("exosome_scalp", {"scalp"}, "combination"),
            True,
        ),  # PRP breaks the skin whatever the delivery
    ],
)
def test_skin_breaking_sessions_on_the_same_area(this: tuple, other: tuple, warned: bool) -> None:
    treatment, areas, delivery = this
    o_treatment, o_areas, o_delivery = other
    warnings = spacing_warnings(
        when=WHEN,
        treatment=treatment,
        areas=frozenset(areas),
        delivery=delivery,
        course=None,
        previous=[(before(10), o_treatment, frozenset(o_areas), o_delivery)],
    )
    assert bool(warnings) is warned
    if warned:
        assert format_long(before(10)) in warnings[0]
        assert "10 days before this session" in warnings[0]


@pytest.mark.parametrize(("gap", "warned"), [(27, True), (28, False)])
def test_without_a_course_the_area_check_uses_28_days(gap: int, warned: bool) -> None:
    warnings = spacing_warnings(
        when=WHEN,
        treatment="microneedling",
        areas=FACE,
        delivery="topical_microneedling",
        course=None,
        previous=[(before(gap), "prp", FACE, "microinjection")],
    )
    assert bool(warnings) is warned


@pytest.mark.parametrize(("gap", "warned"), [(34, True), (35, False)])
def test_the_area_check_uses_the_courses_minimum(gap: int, warned: bool) -> None:
    course = replace(COURSE, interval_min_days=35)
    warnings = spacing_warnings(
        when=WHEN,
        treatment="exosome_face",
        areas=FACE,
        delivery="microinjection",
        course=course,
        previous=[(before(gap), "microneedling", FACE, "topical_microneedling")],
    )
    assert bool(warnings) is warned
    if warned:
        assert "at least 35 days" in warnings[0]


def test_the_area_warning_names_the_areas_and_the_treatment() -> None:
    (warning,) = spacing_warnings(
        when=WHEN,
        treatment="microneedling",
        areas=frozenset({"face", "neck", "scalp"}),
        delivery="topical_microneedling",
        course=None,
        previous=[(before(7), "prp", frozenset({"neck", "face"}), "microinjection")],
    )
    assert warning == (
        "The face and neck had PRP (platelet-rich plasma) on Tue 3 Mar 2026, 7 days before this "
        "session; skin that was needled or injected needs at least 28 days before the same area "
        "is treated again."
    )


def test_a_session_named_by_the_course_check_is_not_named_twice() -> None:
    previous = [(before(10), "exosome_face", FACE, "microinjection")]
    warnings = spacing_warnings(
        when=WHEN,
        treatment="exosome_face",
        areas=FACE,
        delivery="microinjection",
        course=COURSE,
        previous=previous,
    )
    assert len(warnings) == 1 and "the course plans" in warnings[0]


def test_course_and_area_warnings_together_course_first() -> None:
    previous = [
        (before(3), "microneedling", FACE, "topical_microneedling"),
        (before(10), "exosome_face", FACE, "microinjection"),
    ]
    warnings = spacing_warnings(
        when=WHEN,
        treatment="exosome_face",
        areas=FACE,
        delivery="microinjection",
        course=COURSE,
        previous=previous,
    )
    assert len(warnings) == 2
    assert "the course plans" in warnings[0] and format_long(before(10)) in warnings[0]
    assert "Microneedling" in warnings[1] and format_long(before(3)) in warnings[1]


def test_no_previous_sessions_no_warnings() -> None:
    assert (
        spacing_warnings(
            when=WHEN,
            treatment="prp",
            areas=FACE,
            delivery="microinjection",
            course=COURSE,
            previous=[],
        )
        == []
    )


@pytest.mark.parametrize("key", ["skin_rejuvenation", "acne_scarring", "scalp_hair"])
def test_plans_extended_to_prp_and_microneedling_are_marked_estimates(key: str) -> None:
    details = bundled_protocols().details_for(key)
    assert details is not None
    for treatment in ("prp", "microneedling"):
        basis = details.estimate_basis(treatment)
        assert basis and "estimate" in basis
    for treatment in ("exosome_face", "exosome_scalp"):
        assert details.estimate_basis(treatment) is None
