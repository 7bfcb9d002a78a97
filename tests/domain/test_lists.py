"""Rows of the clinic-wide lists: one way to show a recall row and a due row."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from exodesk.domain.courses import CourseProgress
from exodesk.domain.lists import (
    DUE_ORDER,
    OVERDUE_STATES,
    DueEntry,
    DueLine,
    RecallRow,
    due_line,
    due_order,
    due_window_text,
    is_due,
    recall_line,
)
from exodesk.domain.patient import Patient
from exodesk.domain.sessions import Course
from tests.local_time import TWELVE_HOURS_EAST, local_time_zone

ROW = RecallRow(
    session_id=5,
    performed_at=datetime(2026, 11, 21, 20, 15, tzinfo=UTC),
    treatment="exosome_face",
    practitioner="Dr Amara Okafor",
    patient_id=3,
    family_name=" Öztürk ",
    given_names="Şükrü ",
    date_of_birth=date(1980, 1, 1),
    phone="07700 900111",
    email="s@example.com",
    lot_id=9,
    lot_number="VC-2411",
    adverse_events="bruising (2026-11-23)",
)


def test_a_recall_line_names_the_patient_as_every_list_does() -> None:
    line = recall_line(ROW)
    patient = Patient(ROW.family_name, ROW.given_names, ROW.date_of_birth)
    assert line.patient_name == patient.display_name == "ÖZTÜRK, Şükrü"
    assert (line.family_name, line.given_names) == (" Öztürk ", "Şükrü ")
    assert line.treatment == "Exosome facial"
    assert (line.lot_number, line.phone, line.email) == ("VC-2411", "07700 900111", "s@example.com")
    # Stored as ids and ISO days; said in words (issue #18).
    assert line.adverse_events == "Bruising (23 Nov 2026)"
    assert line.date_of_birth == date(1980, 1, 1)


@pytest.mark.parametrize(
    ("performed_at", "day"),
    [
        # Recorded in UTC in the evening: in a clinic twelve hours east it was the next day,
        # which the stored text's first ten characters would not say.
        (datetime(2026, 11, 21, 20, 15, tzinfo=UTC), date(2026, 11, 22)),
        (datetime(2026, 11, 21, 11, 59, tzinfo=UTC), date(2026, 11, 21)),
        (datetime.fromisoformat("2026-11-22T08:00:00+12:00"), date(2026, 11, 22)),
    ],
)
def test_a_recall_line_shows_the_sessions_local_day(performed_at: datetime, day: date) -> None:
    with local_time_zone(TWELVE_HOURS_EAST):
        line = recall_line(RecallRow(**{**vars(ROW), "performed_at": performed_at}))
    assert line.session_date == day


def test_a_missing_date_of_birth_and_no_events() -> None:
    line = recall_line(RecallRow(**{**vars(ROW), "date_of_birth": None, "adverse_events": ""}))
    assert line.date_of_birth is None and line.adverse_events == ""


def _progress(state: str, **dates: date) -> CourseProgress:
    return CourseProgress(1, 3, "session 2 of 3", state, **dates)


@pytest.mark.parametrize(
    ("state", "dates", "text"),
    [
        (
            "due",
            {"next_earliest": date(2026, 12, 1), "next_latest": date(2026, 12, 15)},
            "1 Dec 2026 – 15 Dec 2026",
        ),
        (
            "overdue",
            {"next_earliest": date(2026, 11, 1), "next_latest": date(2026, 11, 15)},
            "1 Nov 2026 – 15 Nov 2026",
        ),
        (
            "maintenance_due",
            {
                "maintenance_earliest": date(2027, 3, 1),
                "maintenance_latest": date(2027, 5, 1),
                "next_earliest": date(2026, 12, 1),
                "next_latest": date(2026, 12, 2),
            },
            "1 Mar 2027 – 1 May 2027",
        ),
        ("due", {}, "any time"),
    ],
)
def test_the_due_window(state: str, dates: dict, text: str) -> None:
    assert due_window_text(_progress(state, **dates)) == text


COURSE = Course(3, "exosome_scalp", "hair_thinning", 3, 28, 42, 6, 12, date(2026, 9, 1), id=4)


@pytest.mark.parametrize(
    ("state", "due", "overdue"),
    [
        ("not_started", False, False),
        ("not_yet", False, False),
        ("due", True, False),
        ("overdue", True, True),
        ("complete", False, False),
        ("maintenance_due", True, False),
        ("maintenance_overdue", True, True),
    ],
)
def test_which_courses_are_called_and_which_are_overdue(
    state: str, due: bool, overdue: bool
) -> None:
    assert is_due(_progress(state)) is due
    if due:
        line = due_line(DueEntry(3, "NOWAK, Łukasz", "07700 900222", COURSE, _progress(state)))
        assert line.overdue is overdue
        assert (line.patient_name, line.phone) == ("NOWAK, Łukasz", "07700 900222")
        assert (line.treatment, line.course_label) == ("Exosome scalp treatment", "session 2 of 3")
        assert line.window_text == "any time" and line.state == state
    assert (state in OVERDUE_STATES) is overdue


def test_the_call_order_is_overdue_first_then_by_name() -> None:
    entries = [
        DueEntry(n, name, "", COURSE, _progress(state))
        for n, (name, state) in enumerate(
            [
                ("B", "due"),
                ("A", "maintenance_due"),
                ("C", "overdue"),
                ("A", "due"),
                ("D", "maintenance_overdue"),
            ]
        )
    ]
    ordered = [(e.patient_name, e.progress.state) for e in due_order(entries)]
    assert ordered == [
        ("C", "overdue"),
        ("D", "maintenance_overdue"),
        ("A", "due"),
        ("B", "due"),
        ("A", "maintenance_due"),
    ]
    assert DUE_ORDER == ("overdue", "maintenance_overdue", "due", "maintenance_due")


def test_a_due_line_refuses_a_state_that_is_not_called() -> None:
    with pytest.raises(ValueError, match="Unknown due state"):
        DueLine("A", "", "PRP", "session 1 of 2", "any time", "complete")
