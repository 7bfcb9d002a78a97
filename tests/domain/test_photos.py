"""Clinical photos, the pure rules: views as data, missing views, baselines, labels, scales."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from exodesk.domain.photos import (
    CONSENT_LEVELS,
    FREE_VIEW,
    GAIS_PATIENT,
    GAIS_PRACTITIONER,
    LUDWIG,
    NORWOOD,
    Photo,
    SetFacts,
    area_for_course,
    baseline_ids,
    check_image_size,
    fit_within,
    missing_views,
    parse_views,
    scale_values,
    scales_for,
    set_label,
    validate_levels,
    validate_rating,
    value_label,
)
from exodesk.services.bundled import BundledContent

TABLE = BundledContent().photo_views


def _photo(view: str, *, error: bool = False) -> Photo:
    at = datetime(2026, 3, 12, 10, tzinfo=UTC)
    return Photo(1, 1, 1, view, "r", "t", "s", 10, 10, at, at, 1, "file", error, None)


def test_the_bundled_views_are_those_of_the_issue() -> None:
    assert TABLE.areas == ("face", "scalp")
    assert TABLE.views("face", with_free=False) == (
        ("front", "Front"),
        ("left_45", "Left 45°"),
        ("right_45", "Right 45°"),
        ("left_profile", "Left profile"),
        ("right_profile", "Right profile"),
    )
    assert TABLE.views("scalp", with_free=False) == (
        ("hairline", "Frontal hairline"),
        ("parting", "Mid-scalp parting"),
        ("crown", "Crown (vertex)"),
        ("donor", "Back of head (donor area)"),
    )
    for area in TABLE.areas:
        assert TABLE.views(area)[-1] == (FREE_VIEW, "Free view")
        assert TABLE.allows(area, FREE_VIEW)
    assert not TABLE.allows("face", "crown")
    assert TABLE.label("scalp", "crown") == "Crown (vertex)"
    assert TABLE.area_label("scalp") == "Scalp"


def test_missing_views_in_taking_order_ignoring_errors_and_free() -> None:
    photos = [_photo("left_45"), _photo("front", error=True), _photo(FREE_VIEW)]
    assert missing_views("face", photos, TABLE) == [
        "front",
        "right_45",
        "left_profile",
        "right_profile",
    ]
    every = [_photo(v) for v, _ in TABLE.views("scalp")]
    assert missing_views("scalp", every, TABLE) == []


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({}, "no .areas. tables"),
        ({"areas": {"face": {"views": [{"id": "a", "label": "A"}]}}}, "no label"),
        ({"areas": {"face": {"label": "Face", "views": []}}}, "no views"),
        (
            {"areas": {"face": {"label": "Face", "views": [{"id": "a", "label": "A"}] * 2}}},
            "twice",
        ),
        ({"areas": {"face": {"label": "Face", "views": [{"id": "free", "label": "F"}]}}}, "twice"),
        ({"areas": {"face": {"label": "Face", "views": [{"id": "a"}]}}}, "lacks"),
    ],
)
def test_a_broken_view_table_is_refused_with_what_is_wrong(data: dict, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_views(data)


def test_baselines_are_the_first_set_of_each_course_and_area() -> None:
    sets = [
        SetFacts(1, "face", 7, None, date(2026, 1, 10)),
        SetFacts(2, "face", 7, 11, date(2026, 2, 10)),
        SetFacts(3, "scalp", 7, None, date(2026, 1, 12)),
        SetFacts(4, "face", None, None, date(2025, 6, 1)),
        SetFacts(5, "face", None, None, date(2025, 7, 1)),
        SetFacts(6, "face", 8, None, date(2026, 5, 1)),
        # Made later but dated earlier: the earlier day is the baseline.
        SetFacts(9, "scalp", 7, None, date(2026, 1, 11)),
    ]
    assert baseline_ids(sets) == {1, 9, 4, 6}


def test_labels() -> None:
    assert set_label(is_baseline=True, session_number=None, planned=4) == (
        "Baseline — before session 1 of 4"
    )
    assert set_label(is_baseline=False, session_number=2, planned=4) == "Session 2 of 4"
    assert set_label(is_baseline=True, session_number=1, planned=4) == ("Baseline — Session 1 of 4")
    assert set_label(is_baseline=False, session_number=None, planned=4, sessions_before=3) == (
        "After session 3 of 4"
    )
    assert set_label(is_baseline=True, session_number=None, planned=None) == "Baseline"
    assert set_label(is_baseline=False, session_number=None, planned=None) == "Follow-up"


def test_scales_have_the_published_values_and_words() -> None:
    assert scale_values(NORWOOD) == ("1", "2", "3", "3V", "4", "5", "6", "7")
    assert value_label(NORWOOD, "3V") == "Stage 3 vertex"
    assert scale_values(LUDWIG) == ("I", "II", "III")
    for scale in (GAIS_PRACTITIONER, GAIS_PATIENT):
        assert [value_label(scale, v) for v in scale_values(scale)] == [
            "Exceptional improvement",
            "Very improved",
            "Improved",
            "Unaltered",
            "Worse",
        ]
    assert scales_for("scalp", "male") == (NORWOOD,)
    assert scales_for("scalp", "female") == (LUDWIG,)
    assert scales_for("scalp", "not_stated") == (NORWOOD, LUDWIG)
    assert scales_for("face") == (GAIS_PRACTITIONER, GAIS_PATIENT)
    assert validate_rating("scalp", NORWOOD, "3V") == []
    assert validate_rating("face", NORWOOD, "3V")[0].field == "scale"
    assert validate_rating("scalp", LUDWIG, "IV")[0].field == "value"


def test_consent_levels_need_the_record_level() -> None:
    assert CONSENT_LEVELS == ("record", "teaching", "marketing")
    assert validate_levels({"record"}) == []
    assert validate_levels({"record", "teaching", "marketing"}) == []
    assert "clinical record" in validate_levels({"teaching"})[0].message
    assert validate_levels(set())
    assert "not a photo consent level" in validate_levels({"record", "press"})[0].message


def test_course_areas_and_sizes() -> None:
    assert area_for_course("exosome_scalp", "hair_thinning") == "scalp"
    assert area_for_course("prp", "hair_thinning") == "scalp"
    assert area_for_course("microneedling", "acne_scarring") == "face"
    assert fit_within(4000, 3000, 2048) == (2048, 1536)
    assert fit_within(3000, 4000, 320) == (240, 320)
    assert fit_within(800, 600, 2048) == (800, 600)
    assert check_image_size(4000, 3000) is None
    assert "far larger" in (check_image_size(30000, 30000) or "")
    assert check_image_size(0, 10)
