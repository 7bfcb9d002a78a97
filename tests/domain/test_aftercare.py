"""Aftercare templates: the bundled wording, its JSON round trip and the wording checks."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exodesk.domain.aftercare import (
    LINE_BUDGETS,
    MAX_BULLET,
    MAX_METHOD_LINE,
    RECOVERY_STAGES,
    RESULT_STAGES,
    SECTION_IDS,
    STAGE_KEYS,
    AftercareSection,
    AftercareTemplate,
    TimelineStage,
    estimated_lines,
    method_line,
    template_from_json,
    template_to_json,
    validate_template,
)
from exodesk.domain.sessions import TREATMENTS
from exodesk.services.bundled import SHEETS_FILE
from tests.bundled import bundled_aftercare, bundled_data

TEMPLATES = bundled_aftercare()

# The stage positions the brief fixes, in order, as the bundled labels print them.
STAGE_LABELS = (
    "Day 0",
    "Days 1–2",
    "Days 3–7",
    "Weeks 1–2",
    "2–4 weeks",
    "6–12 weeks",
    "3–6 months",
)


def face() -> AftercareTemplate:
    return TEMPLATES["exosome_face"]


def with_section(template: AftercareTemplate, section_id: str, *bullets: str) -> AftercareTemplate:
    """The template with one section's bullets replaced."""
    sections = tuple(
        replace(s, bullets=tuple(bullets)) if s.id == section_id else s for s in template.sections
    )
    return replace(template, sections=sections)


def fields(template: AftercareTemplate) -> set[str]:
    return {problem.field for problem in validate_template(template)}


# ---- the bundled wording ----------------------------------------------------------------------


def test_there_is_one_valid_template_per_treatment() -> None:
    assert set(TEMPLATES) == set(TREATMENTS)
    for treatment, template in TEMPLATES.items():
        assert template.treatment == treatment
        assert validate_template(template) == []
        assert template.version == bundled_data(SHEETS_FILE)["version"]


def test_the_bundled_templates_are_kept_once_and_read_only() -> None:
    first = bundled_aftercare()
    with pytest.raises(TypeError):
        first["prp"] = first["exosome_face"]  # type: ignore[index]
    again = bundled_aftercare()
    assert again is first and "prp" in again
    assert again["exosome_face"] is TEMPLATES["exosome_face"]


@pytest.mark.parametrize("treatment", TREATMENTS)
def test_every_template_has_every_section_in_order_and_the_seven_stages(treatment: str) -> None:
    template = TEMPLATES[treatment]
    assert tuple(s.id for s in template.sections) == SECTION_IDS
    for section in template.sections:
        assert section.heading.strip()
        assert section.bullets, section.id
        assert all(b.strip() for b in section.bullets)
    assert tuple(s.key for s in template.timeline) == STAGE_KEYS
    assert tuple(s.label for s in template.timeline) == STAGE_LABELS
    assert all(s.text.strip() for s in template.timeline)
    assert template.section("call_us").heading == "Call us if"
    assert template.section("emergency").heading == "Call emergency services now if"


def test_recovery_and_result_stages_split_the_timeline() -> None:
    assert RECOVERY_STAGES + RESULT_STAGES == STAGE_KEYS
    assert RESULT_STAGES == ("weeks_2_4", "weeks_6_12", "months_3_6")


@pytest.mark.parametrize("treatment", TREATMENTS)
def test_each_emergency_sign_stands_alone(treatment: str) -> None:
    """Facts §4 (corrected): any ONE of these is an emergency, not only in combination."""
    bullets = [b.lower() for b in TEMPLATES[treatment].section("emergency").bullets]
    alone = {
        "breathing": next(b for b in bullets if "breathing" in b),
        "lips, tongue or throat": next(b for b in bullets if "tongue" in b),
        "beyond the treated area": next(b for b in bullets if "beyond the treated area" in b),
        "hives": next(b for b in bullets if "hives" in b),
        "dizzy or faint": next(b for b in bullets if "dizzy" in b),
    }
    assert "faint" in alone["dizzy or faint"]
    assert "hives" not in alone["breathing"], "shortness of breath alone is an emergency"
    # "Your face swells" could be read as the mild swelling the sheet calls normal.
    assert not any("face" in b for b in bullets)
    assert len(set(alone.values())) == 5, "one sign per line"


@pytest.mark.parametrize("treatment", TREATMENTS)
def test_call_us_names_the_warning_signs_of_section_4(treatment: str) -> None:
    bullets = [b.lower() for b in TEMPLATES[treatment].section("call_us").bullets]
    text = " ".join(bullets)
    pain = next(b for b in bullets if "pain" in b and "lumps" not in b)
    assert "worse" in pain and "at any time" in pain and "after the first day" not in text
    for sign in ("spreads", "pus", "discharge", "fever", "bruising", "lumps", "months"):
        assert sign in text, sign
    assert "more than 2 days" in text, "redness or swelling past 48 hours"
    assert "dark" in text and "blistering" in text and "rash" in text
    if treatment == "exosome_scalp":
        assert "smell" in text  # §4: the scalp's warning signs add an unusual odour


@pytest.mark.parametrize("treatment", TREATMENTS)
def test_what_is_normal_never_contradicts_call_us(treatment: str) -> None:
    """Redness or swelling past 48 hours is a reason to call: "normal" never says a week."""
    for bullet in TEMPLATES[treatment].section("normal").bullets:
        lowered = bullet.lower()
        if "week" in lowered:
            assert "redness" not in lowered and "swelling" not in lowered, bullet
            assert "most of it" not in lowered and "some may last" not in lowered, bullet


def test_the_scalp_timeline_tells_hair_time() -> None:
    stages = {s.key: s for s in TEMPLATES["exosome_scalp"].timeline}
    shedding = stages["weeks_6_12"]
    # Shedding falls from 4–8 weeks: by the 6–12 weeks stage there may be less. The text
    # names no other time than its label's.
    assert shedding.label == "6–12 weeks" and "shed less" in shedding.text
    assert not re.search(r"\d", shedding.text)
    assert "thicker" in stages["months_3_6"].text


@pytest.mark.parametrize("treatment", TREATMENTS)
def test_the_bundled_intro_makes_no_claim_about_needles_or_injections(treatment: str) -> None:
    """A blank sheet has no session: the method is said by ``method_line`` or not at all."""
    intro = TEMPLATES[treatment].intro.lower()
    assert not re.search(r"needl|inject", intro), intro


@pytest.mark.parametrize(
    ("treatment", "delivery", "scalp", "says", "never"),
    [
        (
            "exosome_face",
            "topical_microneedling",
            False,
            "on your skin just after microneedling",
            "inject",
        ),
        (
            "exosome_face",
            "microinjection",
            False,
            "into your skin with very small injections",
            "microneedling",
        ),
        ("exosome_face", "combination", False, "microneedling and small injections", "no needles"),
        ("exosome_face", "topical_only", False, "no needles were used", "inject"),
        ("exosome_scalp", "microinjection", False, "into your scalp", "skin"),
        ("prp", "microinjection", True, "PRP was put into your scalp", "skin"),
        ("prp", "topical_microneedling", False, "PRP was put on your skin", "inject"),
        (
            "microneedling",
            "topical_microneedling",
            False,
            "microneedling: very fine needles",
            "inject",
        ),
        ("microneedling", "topical_only", False, "microneedling", "inject"),
    ],
)
def test_the_method_line_says_how_the_session_was_done(
    treatment: str, delivery: str, scalp: bool, says: str, never: str
) -> None:
    line = method_line(treatment, delivery, scalp=scalp)
    assert says in line and never not in line
    assert len(line) <= MAX_METHOD_LINE


def test_a_sheet_with_no_session_says_nothing_about_the_method() -> None:
    assert all(method_line(t, None) == "" for t in TREATMENTS)


# Words that promise results or sell, which patient wording must not use.
PROMISES = re.compile(
    r"\b(miracle|guarantee\w*|permanent|amazing|incredible|instant\w*|best results|will see"
    r"|youthful|flawless|100 ?%)\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize("treatment", TREATMENTS)
def test_the_wording_makes_no_promises(treatment: str) -> None:
    template = TEMPLATES[treatment]
    texts = [template.title, template.intro]
    texts += [b for s in template.sections for b in s.bullets]
    texts += [s.text for s in template.timeline]
    for text in texts:
        assert not PROMISES.search(text), text
    # Results are hedged: every result stage says what may happen, not what will.
    for stage in template.timeline:
        if stage.key in ("weeks_6_12", "months_3_6") and treatment != "exosome_scalp":
            assert "may" in stage.text, stage


def test_every_bundled_section_names_its_sources() -> None:
    data = bundled_data(SHEETS_FILE)
    seeds = {"000", "001", "002", "003", "004"}
    for raw in data["templates"]:
        for section in raw["sections"]:
            assert section["sources"] and set(section["sources"]) <= seeds, section["id"]
        assert raw["timeline"]["sources"] and set(raw["timeline"]["sources"]) <= seeds


# ---- JSON ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("treatment", TREATMENTS)
def test_template_round_trips_through_json(treatment: str) -> None:
    template = TEMPLATES[treatment]
    text = template_to_json(template)
    assert template_from_json(text) == template
    # Letters are stored as they are, not as \u escapes.
    assert "–" in text


text_strategy = st.text(max_size=60)


@given(
    title=text_strategy,
    intro=text_strategy,
    version=text_strategy,
    heading=text_strategy,
    bullets=st.lists(text_strategy, max_size=4),
    label=text_strategy,
)
def test_any_template_round_trips_through_json(
    title: str, intro: str, version: str, heading: str, bullets: list[str], label: str
) -> None:
    template = AftercareTemplate(
        treatment="prp",
        title=title,
        intro=intro,
        sections=(AftercareSection("normal", heading, tuple(bullets)),),
        timeline=(TimelineStage("day_0", label, intro),),
        version=version,
    )
    assert template_from_json(template_to_json(template)) == template


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "must be a JSON object"),
        ('{"treatment": "prp"}', "'version' as text"),
        ("__UNKNOWN_KEY__", "Unknown key 'colour'"),
        ("__BULLET_NUMBER__", "must be a list of text"),
        ("__NO_TIMELINE__", "must be a JSON object"),
    ],
)
def test_template_from_json_names_what_is_malformed(text: str, message: str) -> None:
    data = json.loads(template_to_json(face()))
    if text == "__UNKNOWN_KEY__":
        data["colour"] = "red"
    elif text == "__BULLET_NUMBER__":
        data["sections"][0]["bullets"] = ["ok", 3]
    elif text == "__NO_TIMELINE__":
        data["timeline"] = None
    if text.startswith("__"):
        text = json.dumps(data)
    with pytest.raises(ValueError, match=re.escape(message)):
        template_from_json(text)


def test_template_from_json_checks_shape_not_wording() -> None:
    # A stored draft that is too long still opens, so the editor can say what to shorten.
    long = with_section(face(), "normal", "x" * (MAX_BULLET + 1))
    assert template_from_json(template_to_json(long)) == long
    assert validate_template(long)


def test_section_lookup() -> None:
    assert face().section("use").id == "use"
    with pytest.raises(KeyError, match="aftercare"):
        face().section("nowhere")


# ---- validation -----------------------------------------------------------------------------


def test_a_missing_section_is_a_problem() -> None:
    template = replace(face(), sections=tuple(s for s in face().sections if s.id != "avoid"))
    problems = validate_template(template)
    assert [p.field for p in problems] == ["avoid"]
    assert "missing" in problems[0].message


def test_an_empty_emergency_list_is_a_problem() -> None:
    assert fields(with_section(face(), "emergency")) == {"emergency"}
    # A blank line is empty too: the list, and the line itself.
    assert fields(with_section(face(), "emergency", "  ")) == {"emergency", "emergency.0"}


def test_an_empty_call_us_list_is_a_problem() -> None:
    assert fields(with_section(face(), "call_us")) == {"call_us"}


def test_an_over_long_bullet_is_a_problem() -> None:
    bullets = face().section("call_us").bullets
    at_limit = with_section(face(), "call_us", "y" * MAX_BULLET)
    assert "call_us.0" not in fields(at_limit)
    over = with_section(face(), "call_us", *bullets[:-1], "y" * (MAX_BULLET + 1))
    problems = [p for p in validate_template(over) if p.field == f"call_us.{len(bullets) - 1}"]
    assert problems and f"{MAX_BULLET + 1:,} characters" in problems[0].message


@pytest.mark.parametrize("char", ["\x07", "\x00", "\n", "\t", "\x1b"])
def test_a_control_character_is_a_problem(char: str) -> None:
    bullets = list(face().section("avoid").bullets)
    bullets[1] = f"Retinol{char}for a week"
    problems = validate_template(with_section(face(), "avoid", *bullets))
    assert [(p.field, "control characters" in p.message) for p in problems] == [("avoid.1", True)]
    assert fields(replace(face(), title=f"After{char}")) == {"title"}
    stages = list(face().timeline)
    stages[2] = replace(stages[2], text=f"Dry{char}skin")
    assert fields(replace(face(), timeline=tuple(stages))) == {"timeline.days_3_7"}


def test_a_duplicate_or_unknown_section_is_a_problem() -> None:
    extra = AftercareSection("wellbeing", "Wellbeing", ("Rest",))
    twice = face().section("use")
    template = replace(face(), sections=(*face().sections, extra, twice))
    assert fields(template) == {"wellbeing", "use"}


@pytest.mark.parametrize(
    "change",
    [
        lambda stages: stages[:-1],  # a stage missing
        lambda stages: (stages[1], stages[0], *stages[2:]),  # out of order
        lambda stages: (*stages, stages[-1]),  # one too many
    ],
)
def test_the_timeline_needs_exactly_the_seven_stages_in_order(change) -> None:
    template = replace(face(), timeline=tuple(change(face().timeline)))
    assert fields(template) == {"timeline"}


def test_empty_or_long_stage_words_are_problems() -> None:
    stages = list(face().timeline)
    stages[0] = replace(stages[0], label="")
    stages[6] = replace(stages[6], text="Skin may feel firmer and look brighter too")
    assert fields(replace(face(), timeline=tuple(stages))) == {
        "timeline.day_0",
        "timeline.months_3_6",
    }


def test_title_intro_treatment_and_version_are_checked() -> None:
    assert fields(replace(face(), title=" ")) == {"title"}
    assert fields(replace(face(), title="A" * 41)) == {"title"}
    assert fields(replace(face(), intro="")) == {"intro"}
    assert fields(replace(face(), treatment="laser")) == {"treatment"}
    assert fields(replace(face(), version="")) == {"version"}


# ---- the length bound -----------------------------------------------------------------------


def test_estimated_lines_count_each_bullet_in_its_column() -> None:
    lines = estimated_lines(with_section(face(), "normal", "a" * 28, "a" * 29, "b"))
    # The heading takes a line; 28 characters fill a third-width line, 29 wrap.
    assert lines["normal"] == 1 + 1 + 2 + 1
    assert estimated_lines(with_section(face(), "avoid", "a" * 52))["avoid"] == 1 + 1


def test_wide_characters_count_double() -> None:
    latin = estimated_lines(with_section(face(), "normal", "a" * 20))["normal"]
    cjk = estimated_lines(with_section(face(), "normal", "術" * 20))["normal"]
    assert (latin, cjk) == (2, 3)


def test_a_section_over_its_line_budget_is_a_problem() -> None:
    bullets = face().section("first_72_hours").bullets
    budget = LINE_BUDGETS["first_72_hours"]
    assert estimated_lines(face())["first_72_hours"] <= budget
    longer = with_section(face(), "first_72_hours", *bullets, "Rest with your head raised")
    problems = validate_template(longer)
    assert [p.field for p in problems] == ["first_72_hours"]
    assert f"room for {budget}" in problems[0].message
    too_long_intro = replace(face(), intro=face().intro + " Ask us anything at all." * 4)
    assert fields(too_long_intro) == {"intro"}


def test_every_part_has_a_budget() -> None:
    assert set(LINE_BUDGETS) == {"intro", *SECTION_IDS}
    assert set(estimated_lines(face())) == set(LINE_BUDGETS)
