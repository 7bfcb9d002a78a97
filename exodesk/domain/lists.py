"""Rows of the clinic-wide lists (lot recall, patients due) and the one way each is shown.

A repository returns ``RecallRow``s; ``recall_line`` turns each into the ``RecallLine`` that the
screen, the printed list and the CSV all show, so the session's day and the patient's name are
decided once. The due list does the same with ``DueEntry`` and ``due_line``; the open adverse
events list reads ``OpenEvent`` rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from exodesk.domain.courses import CourseProgress
from exodesk.domain.dates import format_short, format_stamp
from exodesk.domain.patient import list_name
from exodesk.domain.sessions import TREATMENTS, AdverseEvent, Course, session_day
from exodesk.domain.vocabulary import event_type_words

# ---- lot recall ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecallRow:
    """One current session that used a recalled lot, with its patient's contacts, as stored.

    Attributes:
        session_id: The session.
        performed_at: When it was performed (as recorded, with its offset).
        treatment: A ``TREATMENTS`` id.
        practitioner: Who did it.
        patient_id: The patient treated.
        family_name: The patient's family name, as recorded.
        given_names: The patient's given names, as recorded.
        date_of_birth: None when not recorded.
        phone: Empty when not recorded.
        email: Empty when not recorded.
        lot_id: The lot used.
        lot_number: Its number, as stored.
        adverse_events: Events logged against the session, one line (empty for none).
    """

    session_id: int
    performed_at: datetime
    treatment: str
    practitioner: str
    patient_id: int
    family_name: str
    given_names: str
    date_of_birth: date | None
    phone: str
    email: str
    lot_id: int
    lot_number: str
    adverse_events: str = ""


@dataclass(frozen=True)
class RecallLine:
    """One session that used a recalled lot, as every recall list shows it.

    Attributes:
        patient_name: Family name first (``list_name``), as every list in the app.
        date_of_birth: None when not recorded.
        phone: The patient's phone, empty when not recorded.
        email: The patient's email, empty when not recorded.
        session_date: The session's local day (``session_day``).
        treatment: The treatment in words (a report also takes a ``TREATMENTS`` id).
        practitioner: Who did the session.
        adverse_events: Events logged against the session, one line (empty for none).
        lot_number: The lot used (the list may cover several lots).
        family_name: The family name alone, for a spreadsheet's own column.
        given_names: The given names alone, likewise.
    """

    patient_name: str
    date_of_birth: date | None
    phone: str
    email: str
    session_date: date
    treatment: str
    practitioner: str
    adverse_events: str
    lot_number: str = ""
    family_name: str = ""
    given_names: str = ""


_STORED_EVENT = re.compile(r"(?P<type>[a-z_]+) \((?P<day>\d{4}-\d{2}-\d{2})\)")


def events_words(stored: str) -> str:
    """The events of a recall row in words: ``granuloma_nodule (2026-09-12); bruising
    (2026-08-10)`` as stored → ``Granuloma / nodule (12 Sep 2026); Bruising (10 Aug 2026)``."""

    def said(match: re.Match[str]) -> str:
        try:
            day = format_short(date.fromisoformat(match["day"]))
        except ValueError:
            day = match["day"]
        return f"{event_type_words(match['type'])} ({day})"

    return _STORED_EVENT.sub(said, stored)


def recall_line(row: RecallRow) -> RecallLine:
    """Return a stored recall row as the lists show it: its local day, the name family first."""
    return RecallLine(
        patient_name=list_name(row.family_name, row.given_names),
        date_of_birth=row.date_of_birth,
        phone=row.phone,
        email=row.email,
        session_date=session_day(row.performed_at),
        treatment=TREATMENTS.get(row.treatment, row.treatment),
        practitioner=row.practitioner,
        adverse_events=events_words(row.adverse_events or ""),
        lot_number=row.lot_number,
        family_name=row.family_name,
        given_names=row.given_names,
    )


# ---- patients due -------------------------------------------------------------------------------

# The course states that put a patient on reception's call list, in the order they are called:
# overdue first, courses before maintenance.
DUE_ORDER: tuple[str, ...] = ("overdue", "maintenance_overdue", "due", "maintenance_due")
OVERDUE_STATES = frozenset({"overdue", "maintenance_overdue"})

CALLED = "called"
BOOKED = "booked"
DUE_MARKS: dict[str, str] = {CALLED: "Called", BOOKED: "Booked"}
"""What reception notes against a patient on the call list, and how the list says it."""


@dataclass(frozen=True)
class DueMark:
    """Reception called the patient, or booked their next session, for this due window.

    Attributes:
        outcome: ``CALLED`` or ``BOOKED``.
        marked_at: When it was noted.
        marked_by: Who noted it (their name on the staff list).
    """

    outcome: str
    marked_at: datetime
    marked_by: str

    @property
    def text(self) -> str:
        """``Booked 22 Nov 2026 14:05, Priya Shah``."""
        words = DUE_MARKS.get(self.outcome, self.outcome)
        by = f", {self.marked_by}" if self.marked_by else ""
        return f"{words} {format_stamp(self.marked_at)}{by}"


@dataclass(frozen=True)
class DueEntry:
    """A patient due or overdue for their next session (reception's call list).

    ``mark`` is the latest call or booking noted for this course's present due window (None:
    nobody has called yet)."""

    patient_id: int
    patient_name: str
    phone: str
    course: Course
    progress: CourseProgress
    mark: DueMark | None = None

    @property
    def booked(self) -> bool:
        return self.mark is not None and self.mark.outcome == BOOKED


@dataclass(frozen=True)
class DueLine:
    """One patient's course whose next session is due or overdue, as every due list shows it.

    Attributes:
        patient_name: Family name first, as recorded.
        phone: The number to call, empty when not recorded.
        treatment: The treatment in words (a report also takes a ``TREATMENTS`` id).
        course_label: Where the course is: "session 3 of 4" or "maintenance".
        window_text: When the next session falls: "1 Dec – 15 Dec 2026".
        state: One of ``DUE_ORDER``.
        contact: The call or booking noted ("Called 22 Nov 2026 14:05, Priya Shah"), or "".
        booked: The next session is booked: nobody needs to call.

    Raises:
        ValueError: when ``state`` is not one of ``DUE_ORDER`` (a programming error).
    """

    patient_name: str
    phone: str
    treatment: str
    course_label: str
    window_text: str
    state: str
    contact: str = ""
    booked: bool = False

    def __post_init__(self) -> None:
        if self.state not in DUE_ORDER:
            raise ValueError(f"Unknown due state {self.state!r}; expected one of {list(DUE_ORDER)}")

    @property
    def overdue(self) -> bool:
        """Whether the window has passed."""
        return self.state in OVERDUE_STATES


def is_due(progress: CourseProgress) -> bool:
    """Whether a course puts its patient on the call list (due or overdue, course or upkeep)."""
    return progress.state in DUE_ORDER


def due_order(entries: Iterable[DueEntry]) -> list[DueEntry]:
    """The call list's order: those still to call first (booked ones last), then by
    ``DUE_ORDER``, then by name."""
    rank = {state: index for index, state in enumerate(DUE_ORDER)}
    return sorted(entries, key=lambda e: (e.booked, rank[e.progress.state], e.patient_name))


def due_window(progress: CourseProgress) -> tuple[date | None, date | None]:
    """The next visit's window (course or maintenance); a call or booking noted holds for it."""
    if progress.state.startswith("maintenance") and progress.maintenance_earliest:
        return progress.maintenance_earliest, progress.maintenance_latest
    return progress.next_earliest, progress.next_latest


def due_window_text(progress: CourseProgress) -> str:
    """When the next visit falls: ``1 Dec – 15 Dec 2026`` (course or maintenance window)."""
    start, end = due_window(progress)
    if start is None or end is None:
        return "any time"
    return f"{format_short(start)} – {format_short(end)}"


def due_line(entry: DueEntry) -> DueLine:
    """Return a due entry as the lists show it."""
    return DueLine(
        patient_name=entry.patient_name,
        phone=entry.phone,
        treatment=TREATMENTS.get(entry.course.treatment, entry.course.treatment),
        course_label=entry.progress.label,
        window_text=due_window_text(entry.progress),
        state=entry.progress.state,
        contact=entry.mark.text if entry.mark else "",
        booked=entry.booked,
    )


# ---- open adverse events ----------------------------------------------------------------------


class OpenEvent(NamedTuple):
    """An adverse event not yet resolved, with the patient it happened to.

    A named tuple, so ``for event, patient_id in rows`` reads it as well as ``row.event``.
    """

    event: AdverseEvent
    patient_id: int
