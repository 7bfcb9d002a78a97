"""Treatment courses: protocol templates, where a course stands, and spacing between sessions.

The bundled protocols (clinical-facts §3) are data, ``resources/sessions/protocols.json`` (read by
``services.bundled``); this module parses them and does the calendar maths. It is pure: it reads
no file, and ``today`` is always passed in.

Public API::

    parse_protocols(data) -> ProtocolTable                        # decoded protocols.json
    ProtocolTable.templates / .details_for(key) -> ProtocolDetails | None
    protocol_for(indication, protocols, templates=None) -> ProtocolTemplate | None
    protocol_fits(t, treatment, protocols) -> bool
    validate_protocol(t) -> list[Problem]
    course_from_protocol(t, *, protocols, patient_id, treatment, started_on, ...) -> Course
    course_progress(course, session_dates, *, today) -> CourseProgress
    session_number_for(done) -> int
    spacing_warnings(*, when, treatment, areas, delivery, course, previous) -> list[str]

Course arithmetic, all in calendar days (months clamped to the month's end, so a maintenance
window from 31 Aug + 6 months starts on 28 Feb, or 29 Feb in a leap year):

* The next session's window runs from ``last + interval_min_days`` to ``last + interval_max_days``,
  both ends included. Before its first day the course is ``"not_yet"``; on its first day and on
  its last day it is ``"due"``; from the day after its last day it is ``"overdue"``.
* Before any session the course is ``"not_started"`` and the first session may be any time
  (``next_earliest``/``next_latest`` are ``None``).
* Once ``planned`` sessions are done, the maintenance window runs from
  ``last + maintenance_min_months`` to ``last + maintenance_max_months``, both ends included:
  ``"complete"`` before it, ``"maintenance_due"`` inside it, ``"maintenance_overdue"`` after it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from exodesk.domain.dates import add_days, add_months, format_long
from exodesk.domain.problems import Problem, check_text
from exodesk.domain.sessions import (
    AREAS,
    INDICATIONS,
    TREATMENTS,
    Course,
    ProtocolTemplate,
    is_skin_breaking,
)

COURSE_STATES: tuple[str, ...] = (
    "not_started",
    "not_yet",
    "due",
    "overdue",
    "complete",
    "maintenance_due",
    "maintenance_overdue",
)

# Without a course to say otherwise, skin that was needled or injected gets four weeks (the
# shortest interval of every §3 protocol) before the same area is broken again.
DEFAULT_MIN_SPACING_DAYS = 28

# Limits a clinic's edited template must keep to: anything outside is a typing slip.
SESSIONS_RANGE = (1, 20)
INTERVAL_DAYS_RANGE = (1, 365)
MAINTENANCE_MONTHS_RANGE = (1, 60)
SOURCE_IDS = ("000", "001", "002", "003", "004")
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


# ---------------------------------------------------------------------------------------------
# Protocol templates


@dataclass(frozen=True)
class ProtocolDetails:
    """What the bundled table says about a protocol beyond its numbers.

    Kept apart from ProtocolTemplate, whose fields are the ones a clinic edits and stores.
    """

    key: str
    treatments: tuple[str, ...]  # the treatments this protocol is meant for
    default_sessions: int  # sessions a new course plans until the practitioner changes it
    also_for: tuple[str, ...]  # other indications that follow this protocol (pigmentation)
    sources: tuple[str, ...]  # seed ids, "000".."004"
    note: str = ""
    # Treatment id -> why the plan is only an estimate for it: the sources give the numbers
    # for exosome treatments, and the table extends them to PRP and microneedling.
    estimate_for: Mapping[str, str] = field(default_factory=dict)

    def estimate_basis(self, treatment: str) -> str | None:
        """Why this plan is an estimate for ``treatment``; None where the sources give it."""
        return self.estimate_for.get(treatment)


@dataclass(frozen=True)
class ProtocolTable:
    """The bundled protocol file, validated: its templates and their details, in file order."""

    version: str
    templates: tuple[ProtocolTemplate, ...]
    details: tuple[ProtocolDetails, ...]

    def details_for(self, key: str) -> ProtocolDetails | None:
        """The bundled details (treatments, default sessions, sources) of a template key, or
        None: a template a clinic created itself has no details."""
        for details in self.details:
            if details.key == key:
                return details
        return None


def protocol_for(
    indication: str,
    protocols: ProtocolTable,
    templates: Sequence[ProtocolTemplate] | None = None,
) -> ProtocolTemplate | None:
    """The protocol template to follow for an indication.

    A template for the indication itself wins; otherwise one whose bundled details list the
    indication in ``also_for`` (pigmentation follows skin rejuvenation).

    Args:
        indication: An INDICATIONS id.
        protocols: The bundled protocol table (``parse_protocols``).
        templates: The clinic's templates (as edited and stored); the bundled ones by default.

    Returns:
        The template, or None when no protocol covers the indication.
    """
    pool = tuple(templates) if templates is not None else protocols.templates
    for template in pool:
        if template.indication == indication:
            return template
    for template in pool:
        details = protocols.details_for(template.key)
        if details is not None and indication in details.also_for:
            return template
    return None


def protocol_fits(t: ProtocolTemplate, treatment: str, protocols: ProtocolTable) -> bool:
    """Whether a template is meant for a treatment (a clinic's own template fits any)."""
    details = protocols.details_for(t.key)
    return details is None or not details.treatments or treatment in details.treatments


def validate_protocol(t: ProtocolTemplate) -> list[Problem]:
    """Return every problem with a protocol template, as a clinic may edit it.

    Args:
        t: The template as the form would save it.

    Returns:
        Problems whose ``field`` is the ProtocolTemplate field name: sessions 1–20, intervals
        1–365 days, maintenance 1–60 months, and each minimum no more than its maximum (the
        problem is given on the ``*_max`` field). Empty when it can be saved.
    """
    problems: list[Problem] = []
    if not _KEY.match(t.key or ""):
        problems.append(
            Problem(
                "key",
                "The key must start with a lower-case letter and use only a–z, 0–9 and _ "
                "(at most 40).",
            )
        )
    problems += check_text("label", t.label, "Name", required=True, max_len=120)
    if t.indication not in INDICATIONS:
        problems.append(
            Problem(
                "indication",
                f"“{t.indication}” is not an indication; choose one of: "
                f"{', '.join(INDICATIONS.values())}.",
            )
        )
    for stem, (low, high), unit in (
        ("sessions", SESSIONS_RANGE, "sessions"),
        ("interval", INTERVAL_DAYS_RANGE, "days"),
        ("maintenance", MAINTENANCE_MONTHS_RANGE, "months"),
    ):
        suffix = {"sessions": "", "days": "_days", "months": "_months"}[unit]
        low_field, high_field = f"{stem}_min{suffix}", f"{stem}_max{suffix}"
        values = {}
        for name in (low_field, high_field):
            value = getattr(t, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                problems.append(
                    Problem(name, f"Enter a whole number of {unit} from {low} to {high}.")
                )
            else:
                values[name] = value
        if len(values) == 2 and values[low_field] > values[high_field]:
            problems.append(
                Problem(
                    high_field,
                    f"The most ({values[high_field]} {unit}) is less than the fewest "
                    f"({values[low_field]} {unit}).",
                )
            )
    return problems


def course_from_protocol(
    t: ProtocolTemplate,
    *,
    protocols: ProtocolTable,
    patient_id: int,
    treatment: str,
    started_on: date,
    indication: str | None = None,
    planned_sessions: int | None = None,
) -> Course:
    """Start a course that follows a protocol template.

    Args:
        t: The template (bundled or as the clinic edited it).
        protocols: The bundled protocol table, for the template's default number of sessions.
        patient_id: Whose course it is.
        treatment: A TREATMENTS id.
        started_on: The day the course is planned (usually the first session's day).
        indication: The indication the course treats; the template's by default. Pass it when
            the template covers another indication too (pigmentation follows rejuvenation).
        planned_sessions: How many sessions to plan; by default the bundled default for the
            template, kept inside the template's range, or the template's minimum for a
            clinic's own template.

    Returns:
        An active Course carrying a copy of the template's numbers (later edits to the template
        do not change courses already planned).
    """
    if planned_sessions is None:
        details = protocols.details_for(t.key)
        wanted = details.default_sessions if details is not None else t.sessions_min
        planned_sessions = min(max(wanted, t.sessions_min), t.sessions_max)
    return Course(
        patient_id=patient_id,
        treatment=treatment,
        indication=indication if indication is not None else t.indication,
        planned_sessions=planned_sessions,
        interval_min_days=t.interval_min_days,
        interval_max_days=t.interval_max_days,
        maintenance_min_months=t.maintenance_min_months,
        maintenance_max_months=t.maintenance_max_months,
        started_on=started_on,
        template_key=t.key,
    )


# ---------------------------------------------------------------------------------------------
# Where a course stands


@dataclass(frozen=True)
class CourseProgress:
    """Where a course stands on one day.

    Attributes:
        done: Sessions given (the caller leaves out entered-in-error ones).
        planned: Sessions the course plans.
        label: ``"session 2 of 4"`` names the NEXT session (with 1 of 4 done, the next is the
            2nd); with none done it is ``"session 1 of 4"``; once all are done it is
            ``"course complete (4 of 4)"``, or ``"course complete (5 given, 4 planned)"``.
        state: One of COURSE_STATES (see the module docstring for every boundary).
        last_session: The latest session date, or None before the first.
        next_earliest / next_latest: The window for the next course session, both ends
            included; None before the first session (any time) and once the course is done.
        maintenance_earliest / maintenance_latest: The maintenance window after the last
            session, both ends included; None until all planned sessions are done.
    """

    done: int
    planned: int
    label: str
    state: str
    last_session: date | None = None
    next_earliest: date | None = None
    next_latest: date | None = None
    maintenance_earliest: date | None = None
    maintenance_latest: date | None = None

    @property
    def complete(self) -> bool:
        """True once every planned session is done."""
        return self.done >= self.planned

    @property
    def next_number(self) -> int | None:
        """The number of the next course session (1-based), or None once the course is done."""
        return None if self.complete else session_number_for(self.done)


def session_number_for(done: int) -> int:
    """The number of the next session when ``done`` sessions are given: 0 done -> session 1.

    Raises:
        ValueError: when ``done`` is negative (a caller's bug, not a user's input).
    """
    if done < 0:
        raise ValueError(f"done must be 0 or more, not {done}")
    return done + 1


def course_progress(
    course: Course, session_dates: Sequence[date], *, today: date
) -> CourseProgress:
    """Work out where a course stands on ``today``.

    Args:
        course: The course (its own copy of the protocol numbers is used).
        session_dates: The dates of the sessions given in this course, in any order; the caller
            leaves out sessions entered in error. Amended sessions count once.
        today: The day to judge on.

    Returns:
        The progress, with the state judged as the module docstring sets out. A course's
        ``status`` (stopped, completed) is not considered: the caller decides what to show.
    """
    done = len(session_dates)
    planned = course.planned_sessions
    if done == 0:
        return CourseProgress(done, planned, _label(done, planned), "not_started")
    last = max(session_dates)
    if done < planned:
        earliest = add_days(last, course.interval_min_days)
        latest = add_days(last, course.interval_max_days)
        state = _window_state(today, earliest, latest, ("not_yet", "due", "overdue"))
        return CourseProgress(
            done,
            planned,
            _label(done, planned),
            state,
            last_session=last,
            next_earliest=earliest,
            next_latest=latest,
        )
    earliest = add_months(last, course.maintenance_min_months)
    latest = add_months(last, course.maintenance_max_months)
    state = _window_state(
        today, earliest, latest, ("complete", "maintenance_due", "maintenance_overdue")
    )
    return CourseProgress(
        done,
        planned,
        _label(done, planned),
        state,
        last_session=last,
        maintenance_earliest=earliest,
        maintenance_latest=latest,
    )


def _label(done: int, planned: int) -> str:
    if done < planned:
        return f"session {session_number_for(done)} of {planned}"
    if done == planned:
        return f"course complete ({done} of {planned})"
    return f"course complete ({done} given, {planned} planned)"


def _window_state(today: date, earliest: date, latest: date, names: tuple[str, str, str]) -> str:
    before, inside, after = names
    if today < earliest:
        return before
    if today <= latest:
        return inside
    return after


# ---------------------------------------------------------------------------------------------
# Spacing between sessions


def spacing_warnings(
    *,
    when: date,
    treatment: str,
    areas: Iterable[str],
    delivery: str,
    course: Course | None,
    previous: Sequence[tuple[date, str, frozenset[str], str]],
) -> list[str]:
    """Warn when a session comes too soon after (or before) another one.

    Two checks, each against the minimum interval (the course's ``interval_min_days``, or
    DEFAULT_MIN_SPACING_DAYS, 28, with no course). A gap of exactly the minimum is fine; one
    day less is warned about. Sessions on either side of ``when`` count, so a session entered
    late (dated before one already recorded) is checked too.

    1. Course spacing: the nearest other session of the course's treatment before (or on) and
       after ``when``.
    2. Healing: when this session breaks the skin (``is_skin_breaking``), every other
       skin-breaking session that touched one of the same areas. A session already named by
       the course check is not named again.

    Args:
        when: The session's date.
        treatment: Its TREATMENTS id.
        areas: Its AREAS ids.
        delivery: Its DELIVERY_METHODS id.
        course: The course it belongs to, or None.
        previous: (date, treatment, areas, delivery) of the patient's other current sessions
            (not this one, nor its earlier versions).

    Returns:
        Plain sentences naming the dates; the app asks the practitioner for a reason when
        there are any.
    """
    minimum = course.interval_min_days if course is not None else DEFAULT_MIN_SPACING_DAYS
    warnings: list[str] = []
    named: set[int] = set()

    if course is not None:
        same = [
            (index, entry)
            for index, entry in enumerate(previous)
            if entry[1] == course.treatment and abs((when - entry[0]).days) < minimum
        ]
        before = [pair for pair in same if pair[1][0] <= when]
        after = [pair for pair in same if pair[1][0] > when]
        nearest = []
        if before:
            nearest.append(max(before, key=lambda pair: pair[1][0]))
        if after:
            nearest.append(min(after, key=lambda pair: pair[1][0]))
        for index, (day, other, _, _) in nearest:
            named.add(index)
            text = (
                f"This session is {_gap(when, day)} the {TREATMENTS.get(other, other)} on "
                f"{format_long(day)}; the course plans at least {_days(minimum)} between "
                "sessions"
            )
            if day <= when:
                text += f" (the earliest would be {format_long(add_days(day, minimum))})"
            warnings.append(text + ".")

    if is_skin_breaking(treatment, delivery):
        here = set(areas)
        clashes = sorted(
            (
                (day, other, shared)
                for index, (day, other, other_areas, other_delivery) in enumerate(previous)
                if index not in named
                and abs((when - day).days) < minimum
                and is_skin_breaking(other, other_delivery)
                and (shared := here & set(other_areas))
            ),
            key=lambda clash: clash[0],
        )
        for day, other, shared in clashes:
            warnings.append(
                f"The {_area_names(shared)} had {TREATMENTS.get(other, other)} on "
                f"{format_long(day)}, {_gap(day, when, this=False)}; skin that was needled or "
                f"injected needs at least {_days(minimum)} before the same area is treated "
                "again."
            )
    return warnings


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _gap(when: date, other: date, *, this: bool = True) -> str:
    """How far ``when`` is from ``other``: ``12 days after`` / ``3 days before`` / same day.

    With ``this=False`` the phrase is about ``when`` relative to this session:
    ``12 days before this session``.
    """
    gap = (when - other).days
    if this:
        if gap == 0:
            return "on the same day as"
        return f"{_days(abs(gap))} {'after' if gap > 0 else 'before'}"
    if gap == 0:
        return "the same day as this session"
    return f"{_days(abs(gap))} {'after' if gap > 0 else 'before'} this session"


def _area_names(areas: Iterable[str]) -> str:
    names = [AREAS[a].lower() for a in AREAS if a in set(areas)]
    unknown = sorted(a for a in set(areas) if a not in AREAS)
    names += unknown
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} and {names[-1]}"


# ---------------------------------------------------------------------------------------------
# Parsing


def parse_protocols(data: Mapping[str, Any]) -> ProtocolTable:
    """Build and validate the protocol table from decoded JSON (see protocols.json).

    Raises:
        ValueError: naming the protocol and what is wrong with it.
    """
    if not isinstance(data, Mapping) or not isinstance(data.get("protocols"), list):
        raise ValueError("A protocol file must be a JSON object with a list of protocols.")
    templates: list[ProtocolTemplate] = []
    details: list[ProtocolDetails] = []
    for raw in data["protocols"]:
        template, detail = _parse_protocol(raw)
        templates.append(template)
        details.append(detail)
    keys = [t.key for t in templates]
    if len(set(keys)) != len(keys):
        raise ValueError("Protocol keys must be unique.")
    covered = [t.indication for t in templates] + [i for d in details for i in d.also_for]
    if len(set(covered)) != len(covered):
        raise ValueError("Each indication may be covered by one protocol only.")
    return ProtocolTable(str(data.get("version", "")), tuple(templates), tuple(details))


def _parse_protocol(raw: Any) -> tuple[ProtocolTemplate, ProtocolDetails]:
    if not isinstance(raw, Mapping):
        raise ValueError("Each protocol must be a JSON object.")
    key = str(raw.get("key", ""))
    where = f"Protocol {key or '(no key)'}"
    try:
        sessions, interval, maintenance = (
            raw["sessions"],
            raw["interval_days"],
            raw["maintenance_months"],
        )
        template = ProtocolTemplate(
            key=key,
            label=raw["label"],
            indication=raw["indication"],
            sessions_min=sessions["min"],
            sessions_max=sessions["max"],
            interval_min_days=interval["min"],
            interval_max_days=interval["max"],
            maintenance_min_months=maintenance["min"],
            maintenance_max_months=maintenance["max"],
        )
        detail = ProtocolDetails(
            key=key,
            treatments=tuple(raw["treatments"]),
            default_sessions=sessions["default"],
            also_for=tuple(raw.get("also_for", ())),
            sources=tuple(raw["sources"]),
            note=str(raw.get("note", "")),
            estimate_for=dict(raw.get("estimate_for", {})),
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{where}: missing or mistyped entry {exc}.") from None
    problems = validate_protocol(template)
    if problems:
        raise ValueError(f"{where}: {problems[0].field}: {problems[0].message}")
    if not detail.treatments or set(detail.treatments) - set(TREATMENTS):
        raise ValueError(f"{where}: treatments must be a non-empty list of treatment ids.")
    if set(detail.estimate_for) - set(detail.treatments) or not all(
        isinstance(v, str) and v.strip() for v in detail.estimate_for.values()
    ):
        raise ValueError(f"{where}: estimate_for must give a basis for treatments it covers.")
    if set(detail.also_for) - set(INDICATIONS) or template.indication in detail.also_for:
        raise ValueError(f"{where}: also_for must list other indication ids.")
    if not detail.sources or set(detail.sources) - set(SOURCE_IDS):
        raise ValueError(f"{where}: sources must be seed ids ({', '.join(SOURCE_IDS)}).")
    default = detail.default_sessions
    if isinstance(default, bool) or not isinstance(default, int):
        raise ValueError(f"{where}: the default number of sessions must be a whole number.")
    if not template.sessions_min <= default <= template.sessions_max:
        raise ValueError(f"{where}: the default number of sessions is outside its range.")
    return template, detail
