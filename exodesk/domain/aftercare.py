"""Aftercare sheet templates: the wording per treatment, its JSON form and its validation.

The bundled wording is data (``resources/aftercare/sheets.json``, from clinical-facts §4, read by
``services.bundled`` and parsed here); a
clinic's edited wording is stored as JSON in the data file, one version per edit, and read back
with ``template_from_json``. Pure: no clock, no storage, no Qt.

Public API::

    parse_sheets(data) -> dict[str, AftercareTemplate]          # decoded sheets.json, validated
    template_to_json(template) -> str
    template_from_json(text) -> AftercareTemplate               # ValueError if malformed
    validate_template(template) -> list[Problem]                # wording checks, as problems
    estimated_lines(template) -> dict[str, int]                 # against LINE_BUDGETS
    SECTION_IDS, STAGE_KEYS, RECOVERY_STAGES, RESULT_STAGES, LINE_BUDGETS

``template_from_json`` checks the shape only (keys and types), so a stored template that a later
version finds too long still opens in the editor; ``validate_template`` then says what to fix.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from exodesk.domain.problems import Problem
from exodesk.domain.sessions import TREATMENTS

# The sheet lays its sections out by id, in this order; every template has all of them.
SECTION_IDS: tuple[str, ...] = (
    "normal",
    "first_72_hours",
    "first_2_weeks",
    "use",
    "avoid",
    "call_us",
    "emergency",
)

# The timeline's stages, left to right. Their positions are fixed; each treatment adapts the
# words. The first four are recovery, the last three the slow results, drawn differently.
STAGE_KEYS: tuple[str, ...] = (
    "day_0",
    "days_1_2",
    "days_3_7",
    "weeks_1_2",
    "weeks_2_4",
    "weeks_6_12",
    "months_3_6",
)
RECOVERY_STAGES: tuple[str, ...] = STAGE_KEYS[:4]
RESULT_STAGES: tuple[str, ...] = STAGE_KEYS[4:]

MAX_TITLE = 40
MAX_HEADING = 40
MAX_BULLET = 400
MAX_BULLETS_PER_SECTION = 10
# A stage's label and text print under one of seven markers, a seventh of the page wide.
MAX_STAGE_LABEL = 12
MAX_STAGE_TEXT = 28

# Where each part prints on the sheet at normal size (reports/aftercare.py lays it out so):
# the intro across the page; the three "when" lists side by side in thirds; Use and Avoid
# side by side (Avoid wider); "Call us if" and the emergency box side by side.
PLACES: dict[str, str] = {
    "intro": "full",
    "normal": "third",
    "first_72_hours": "third",
    "first_2_weeks": "third",
    "use": "use",
    "avoid": "avoid",
    "call_us": "call_us",
    "emergency": "emergency",
}
# Characters per printed line in each place: the place's text width on A4 (the narrower
# paper) at 9.5 pt, over 0.53 em a character. Plain English text averages 0.51 em in the
# bundled font, so the estimate errs towards more lines. CJK characters count as two.
LINE_CHARS: dict[str, int] = {
    "full": 97,
    "third": 28,
    "use": 37,
    "avoid": 52,
    "call_us": 50,
    "emergency": 34,
}
# The sheet's length bound, part by part: the most lines (``estimated_lines``) each part may
# take and the sheet still fit one page. A row of the page is as tall as its tallest column,
# so a budget per column bounds the page exactly where a single total could not (a total
# would allow all the text in one narrow column, three times as tall). Verified by rendering
# a template with every part at its budget at once, with the longest title, stage texts and
# labels allowed, a long patient name and three products: one page on A4 and on Letter at
# the full 9.5 pt, and at most two in large print (where such a template is set a little
# smaller, see reports/aftercare.py FALLBACK_SCALES; the bundled wording prints at 14 pt).
# The test is tests/reports/test_aftercare.py::test_the_length_bound_fits.
LINE_BUDGETS: dict[str, int] = {
    "intro": 1,
    "normal": 8,
    "first_72_hours": 8,
    "first_2_weeks": 8,
    "use": 4,
    "avoid": 4,
    "call_us": 10,
    "emergency": 9,
}
# A heading's characters count this many times: headings are 1.15 times the body size, bold.
HEADING_WIDTH = 1.3

_TEMPLATE_KEYS = frozenset({"treatment", "title", "intro", "version", "sections", "timeline"})
_SECTION_KEYS = frozenset({"id", "heading", "bullets", "sources"})
_TIMELINE_KEYS = frozenset({"stages", "sources"})
_STAGE_KEYS = frozenset({"key", "label", "text"})


@dataclass(frozen=True)
class AftercareSection:
    """One titled list on the sheet.

    Attributes:
        id: One of ``SECTION_IDS``; stable, the sheet places the section by it.
        heading: The heading as printed ("What is normal").
        bullets: One line of advice each, in print order.
    """

    id: str
    heading: str
    bullets: tuple[str, ...]


@dataclass(frozen=True)
class TimelineStage:
    """One marker of the recovery timeline.

    Attributes:
        key: One of ``STAGE_KEYS``.
        label: The time it stands for, printed above the marker ("Days 3–7").
        text: What happens then, a few words printed under the marker.
    """

    key: str
    label: str
    text: str


@dataclass(frozen=True)
class AftercareTemplate:
    """The wording of one treatment's aftercare sheet.

    Attributes:
        treatment: A ``TREATMENTS`` id.
        title: The sheet's title.
        intro: One or two sentences under the title.
        sections: The lists, in ``SECTION_IDS`` order when valid.
        timeline: The seven stages, in ``STAGE_KEYS`` order when valid.
        version: Which wording this is: the bundled file's version, or the clinic's own.
    """

    treatment: str
    title: str
    intro: str
    sections: tuple[AftercareSection, ...]
    timeline: tuple[TimelineStage, ...]
    version: str

    def section(self, section_id: str) -> AftercareSection:
        """Return the section with this id.

        Raises:
            KeyError: when the template has no such section.
        """
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(f"The {self.treatment} aftercare template has no {section_id!r} section.")


# ---------------------------------------------------------------------------------------------
# What was done: the sheet's opening words for a session

# At most one printed line across the page (``LINE_CHARS["full"]``): the intro's own line
# prints after it, so a session's sheet opens with two lines and a blank sheet with one.
MAX_METHOD_LINE = LINE_CHARS["full"]


def method_line(treatment: str, delivery: str | None, *, scalp: bool = False) -> str:
    """Say how this session was done, in a patient's words; "" when there is no session.

    The bundled intros say nothing about the method, so a blank sheet (no session) makes no
    claim about needles or injections, and a session's sheet says what really happened.

    Args:
        treatment: A ``TREATMENTS`` id.
        delivery: The session's ``DELIVERY_METHODS`` id, or None for a sheet with no session.
        scalp: Whether the scalp was treated (exosome scalp therapy always is).

    Returns:
        One sentence of at most ``MAX_METHOD_LINE`` characters, or "".
    """
    if delivery is None:
        return ""
    where = "scalp" if scalp or treatment == "exosome_scalp" else "skin"
    if treatment == "microneedling":
        if delivery == "microinjection":
            return f"Your {where} was treated with very small injections."
        if delivery == "combination":
            return f"Your {where} was treated with microneedling and very small injections."
        return f"Your {where} was treated with microneedling: very fine needles make tiny openings."
    what = "PRP" if treatment == "prp" else "The product"
    return {
        "topical_microneedling": f"{what} was put on your {where} just after microneedling.",
        "microinjection": f"{what} was put into your {where} with very small injections.",
        "combination": f"{what} was put into your {where} with microneedling and small injections.",
        "topical_only": f"{what} was put on your {where}; no needles were used.",
    }.get(delivery, "")


# ---------------------------------------------------------------------------------------------
# Loading and JSON


def parse_sheets(data: Any, *, name: str = "sheets.json") -> dict[str, AftercareTemplate]:
    """Build the bundled templates by treatment id from the decoded JSON of a sheets file.

    Args:
        data: The decoded JSON object (see ``resources/aftercare/sheets.json``).
        name: The file's name, for the messages.

    Raises:
        ValueError: when it is malformed or a template in it fails ``validate_template``.
    """
    if not isinstance(data, Mapping) or not isinstance(data.get("templates"), list):
        raise ValueError(f"{name} must be a JSON object with a list of templates.")
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        raise ValueError(f"{name} needs a version.")
    templates: dict[str, AftercareTemplate] = {}
    for raw in data["templates"]:
        template = _parse_template(raw, default_version=version)
        if template.treatment in templates:
            raise ValueError(f"{name} has two templates for {template.treatment}.")
        # The bundled wording must pass the same checks as a clinic's own.
        problems = validate_template(template)
        if problems:
            raise ValueError(f"{name}, {template.treatment}: {problems[0].message}")
        templates[template.treatment] = template
    missing = [t for t in TREATMENTS if t not in templates]
    if missing:
        raise ValueError(f"{name} has no template for {', '.join(missing)}.")
    return templates


def template_to_json(template: AftercareTemplate) -> str:
    """Return the template as JSON text, the shape ``template_from_json`` reads.

    Args:
        template: Any template (valid or not: a draft may be saved and fixed later).

    Returns:
        One JSON object; non-ASCII letters are kept as they are, keys in a fixed order.
    """
    data = {
        "treatment": template.treatment,
        "version": template.version,
        "title": template.title,
        "intro": template.intro,
        "sections": [
            {"id": s.id, "heading": s.heading, "bullets": list(s.bullets)}
            for s in template.sections
        ],
        "timeline": {
            "stages": [{"key": s.key, "label": s.label, "text": s.text} for s in template.timeline]
        },
    }
    return json.dumps(data, ensure_ascii=False)


def template_from_json(text: str) -> AftercareTemplate:
    """Read a template from JSON text written by ``template_to_json``.

    Only the shape is checked here; call ``validate_template`` for the wording.

    Args:
        text: One JSON object.

    Returns:
        The template.

    Raises:
        ValueError: when the text is not JSON, or a key is missing, unknown or of the wrong type.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"The aftercare template is not valid JSON: {exc}") from exc
    return _parse_template(data, default_version=None)


def _parse_template(raw: Any, *, default_version: str | None) -> AftercareTemplate:
    where = "the aftercare template"
    _object(raw, where)
    _known_keys(raw, _TEMPLATE_KEYS, where)
    treatment = _string(raw, "treatment", where)
    where = f"the {treatment} aftercare template"
    if "version" in raw or default_version is None:
        version = _string(raw, "version", where)
    else:
        version = default_version
    sections = []
    for item in _array(raw, "sections", where):
        _object(item, f"a section of {where}")
        section_id = _string(item, "id", f"a section of {where}")
        at = f"section {section_id} of {where}"
        _known_keys(item, _SECTION_KEYS, at)
        if "sources" in item:
            _strings(item["sources"], "sources", at)
        bullets = _strings(_array(item, "bullets", at), "bullets", at)
        sections.append(AftercareSection(section_id, _string(item, "heading", at), bullets))
    timeline = raw.get("timeline")
    _object(timeline, f"the timeline of {where}")
    _known_keys(timeline, _TIMELINE_KEYS, f"the timeline of {where}")
    stages = []
    for item in _array(timeline, "stages", f"the timeline of {where}"):
        _object(item, f"a timeline stage of {where}")
        key = _string(item, "key", f"a timeline stage of {where}")
        at = f"timeline stage {key} of {where}"
        _known_keys(item, _STAGE_KEYS, at)
        stages.append(TimelineStage(key, _string(item, "label", at), _string(item, "text", at)))
    return AftercareTemplate(
        treatment=treatment,
        title=_string(raw, "title", where),
        intro=_string(raw, "intro", where),
        sections=tuple(sections),
        timeline=tuple(stages),
        version=version,
    )


def _object(value: Any, where: str) -> None:
    if not isinstance(value, Mapping):
        raise ValueError(f"{where[0].upper()}{where[1:]} must be a JSON object.")


def _known_keys(raw: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ValueError(f"Unknown key {unknown[0]!r} in {where}.")


def _string(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str):
        raise ValueError(f"{where[0].upper()}{where[1:]} needs {key!r} as text.")
    return value


def _array(raw: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = raw.get(key)
    if not isinstance(value, list):
        raise ValueError(f"{where[0].upper()}{where[1:]} needs {key!r} as a list.")
    return value


def _strings(values: Any, key: str, where: str) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"{key!r} in {where} must be a list of text.")
    return tuple(values)


# ---------------------------------------------------------------------------------------------
# Validation


def estimated_lines(template: AftercareTemplate) -> dict[str, int]:
    """Return how many lines each part of the template takes where it prints (an estimate).

    Each bullet takes its characters over ``LINE_CHARS`` of its place, rounded up; so does
    a section's heading, its characters counted ``HEADING_WIDTH`` times (larger, and bold).
    For an editor to show "9 of 12 lines", and for ``validate_template``'s length bound.

    Args:
        template: Any template; sections with unknown ids are left out.

    Returns:
        Lines by part: ``intro`` and each known section id the template has.
    """
    lines = {"intro": _lines(template.intro, LINE_CHARS[PLACES["intro"]])}
    for section in template.sections:
        place = PLACES.get(section.id)
        if place is not None:
            chars = LINE_CHARS[place]
            heading = _lines(section.heading, chars, HEADING_WIDTH)
            lines[section.id] = heading + sum(_lines(b, chars) for b in section.bullets)
    return lines


def _lines(text: str, chars: int, width: float = 1.0) -> int:
    # Wide (CJK) characters take about twice the room of a Latin letter.
    units = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return max(1, math.ceil(units * width / chars))


def validate_template(template: AftercareTemplate) -> list[Problem]:
    """Return every problem with a template's wording (empty when it can be printed).

    Checks: a known treatment; a title, intro and every section of ``SECTION_IDS`` present,
    once each and non-empty (so the "Call us if" and emergency lists always print); bullets
    of at most ``MAX_BULLET`` characters; the seven timeline stages in ``STAGE_KEYS`` order,
    each with a short label and text; no control characters anywhere; and a total weight
    and every part within its ``LINE_BUDGETS`` (``estimated_lines``), so the sheet fits one
    page.

    Args:
        template: The template to check.

    Returns:
        Problems whose ``field`` names the part: ``title``, ``intro``, a section id, a bullet
        as ``<section id>.<index>`` (from 0), ``timeline``, ``timeline.<key>``.
    """
    problems: list[Problem] = []
    if template.treatment not in TREATMENTS:
        problems.append(Problem("treatment", f"Unknown treatment {template.treatment!r}."))
    problems += _text("title", template.title, "The title", MAX_TITLE)
    # The intro's length is bounded by its line budget, like the lists'.
    problems += _text("intro", template.intro, "The introduction", MAX_BULLET)
    if not template.version.strip():
        problems.append(Problem("version", "The wording needs a version."))

    seen: dict[str, int] = {}
    for section in template.sections:
        seen[section.id] = seen.get(section.id, 0) + 1
    for section_id in SECTION_IDS:
        if section_id not in seen:
            problems.append(Problem(section_id, f"The {_name(section_id)} section is missing."))
    for section_id, count in seen.items():
        if section_id not in SECTION_IDS:
            problems.append(
                Problem(section_id, f"{section_id!r} is not a section the sheet can print.")
            )
        elif count > 1:
            problems.append(Problem(section_id, f"The {_name(section_id)} section appears twice."))
    for section in template.sections:
        problems += _section_problems(section)

    problems += _timeline_problems(template.timeline)

    for part, lines in estimated_lines(template).items():
        budget = LINE_BUDGETS[part]
        if lines > budget:
            what = "The introduction" if part == "intro" else f"The {_name(part)} section"
            problems.append(
                Problem(
                    part,
                    f"{what} takes about {lines} lines where it prints; it has room for "
                    f"{budget}, or the sheet will not fit one page. Shorten or remove a line.",
                )
            )
    return problems


def _section_problems(section: AftercareSection) -> list[Problem]:
    name = _name(section.id)
    problems = _text(section.id, section.heading, f"The heading of the {name} section", MAX_HEADING)
    if not any(b.strip() for b in section.bullets):
        problems.append(Problem(section.id, f"The {name} section needs at least one line."))
    if len(section.bullets) > MAX_BULLETS_PER_SECTION:
        problems.append(
            Problem(
                section.id,
                f"The {name} section has {len(section.bullets)} lines; "
                f"the most it can hold is {MAX_BULLETS_PER_SECTION}.",
            )
        )
    for index, bullet in enumerate(section.bullets):
        problems += _text(
            f"{section.id}.{index}", bullet, f"Line {index + 1} of the {name} section", MAX_BULLET
        )
    return problems


def _timeline_problems(timeline: tuple[TimelineStage, ...]) -> list[Problem]:
    keys = tuple(stage.key for stage in timeline)
    if keys != STAGE_KEYS:
        return [
            Problem(
                "timeline",
                "The timeline needs exactly these seven stages, in order: "
                "day 0, days 1–2, days 3–7, weeks 1–2, 2–4 weeks, 6–12 weeks, 3–6 months.",
            )
        ]
    problems: list[Problem] = []
    for stage in timeline:
        field = f"timeline.{stage.key}"
        problems += _text(field, stage.label, f"The label of stage {stage.key}", MAX_STAGE_LABEL)
        problems += _text(field, stage.text, f"The text of stage {stage.key}", MAX_STAGE_TEXT)
    return problems


def _text(field: str, value: str, label: str, max_len: int) -> list[Problem]:
    if not value.strip():
        return [Problem(field, f"{label} is empty.")]
    if len(value) > max_len:
        return [
            Problem(field, f"{label} is {len(value):,} characters long; the most is {max_len:,}.")
        ]
    # Lines are single lines: a newline, tab or other control character would print as a
    # placeholder or break the layout, and is almost always a paste accident.
    if any(unicodedata.category(c) == "Cc" for c in value):
        return [Problem(field, f"{label} contains invisible control characters; retype it.")]
    return []


def _name(section_id: str) -> str:
    return {
        "normal": "“What is normal”",
        "first_72_hours": "“First 72 hours”",
        "first_2_weeks": "“First two weeks”",
        "use": "“Use”",
        "avoid": "“Avoid”",
        "call_us": "“Call us if”",
        "emergency": "emergency",
    }.get(section_id, repr(section_id))
