"""The due list notes who was called and who is booked: stored (0008_due_list_marks), shown,
audited, and holding for one due window only."""

# ruff: noqa: F811 - the fixtures imported from test_sessions are parameters here
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from exodesk.domain.dates import format_stamp
from exodesk.domain.lists import BOOKED, CALLED, due_line
from exodesk.domain.patient import Patient
from exodesk.errors import UserError
from exodesk.services.workspace import Services
from exodesk.storage.due_marks import DueMarkRepository
from tests.answers import answered
from tests.services.test_sessions import (  # noqa: F401 - fixtures
    PNG,
    _draft,
    _record,
    patient_id,
    practitioner,
)


@pytest.fixture
def due_course(services: Services, patient_id: int, clock) -> int:
    """Olivia Smith's course, one session done a month ago: due for session 2 now."""
    course = services.courses.start_course(patient_id, "skin_rejuvenation", "exosome_face", 3)
    draft = replace(_draft(services, patient_id), course_id=course.record.id)
    assert _record(services, draft).ok
    clock.advance(days=30)
    return int(course.record.id)


def test_the_repository_keeps_every_mark_and_reads_the_newest_for_a_window(
    services: Services, due_course: int, clock
) -> None:
    repo = DueMarkRepository(services.ctx.db)
    window = date(2026, 12, 1)
    with services.ctx.write():
        repo.add(due_course, window, CALLED, at=clock(), by=None)
        clock.advance(hours=1)
        repo.add(due_course, window, BOOKED, at=clock(), by=services.desk.user.id)
        repo.add(due_course, None, CALLED, at=clock(), by=None)  # "any time": its own window
    mark = repo.latest(due_course, window)
    assert mark is not None and mark.outcome == BOOKED
    assert (mark.marked_at, mark.marked_by) == (clock(), "Dr Amara Okafor")
    assert repo.latest(due_course, date(2027, 1, 1)) is None
    assert repo.latest(due_course, None).outcome == CALLED
    count = services.ctx.db.execute("SELECT count(*) FROM due_list_marks").fetchone()[0]
    assert count == 3, "marks are kept, never overwritten"


def test_the_database_refuses_an_unknown_outcome(services: Services, due_course: int) -> None:
    with pytest.raises(Exception, match="CHECK constraint failed"):
        services.ctx.db.execute(
            "INSERT INTO due_list_marks (course_id, outcome, marked_at) VALUES (?, 'maybe', 'x')",
            [due_course],
        )


def test_called_then_booked_shows_who_and_when_and_moves_to_the_bottom(
    services: Services, due_course: int, clock
) -> None:
    [entry] = services.recall.due_list()
    assert entry.mark is None and due_line(entry).contact == ""

    services.recall.mark_due(due_course, CALLED)
    [entry] = services.recall.due_list()
    assert entry.mark is not None and not entry.booked
    line = due_line(entry)
    # When, in the PC's local time (22 Dec 2026 10:00 UTC here), and who.
    assert line.contact == f"Called {format_stamp(clock())}, Dr Amara Okafor"

    services.recall.mark_due(due_course, BOOKED)
    [entry] = services.recall.due_list()
    assert entry.booked and due_line(entry).booked
    assert due_line(entry).contact == f"Booked {format_stamp(clock())}, Dr Amara Okafor"

    audit = services.ctx.db.execute(
        "SELECT action, patient_id, summary FROM audit_log WHERE table_name='due_list_marks' "
        "ORDER BY id"
    ).fetchall()
    assert audit == [
        ("create", entry.patient_id, "Due list: SMITH, Olivia called (Exosome facial)"),
        ("create", entry.patient_id, "Due list: SMITH, Olivia booked (Exosome facial)"),
    ]


def _screened(services: Services, patient: Patient) -> int:
    pid = int(services.patients.create(patient).record.id)
    record = services.screening.save(pid, answered()).record
    services.screening.record_consent(record.id, patient.display_name, PNG)
    return pid


def _one_session_done(services: Services, pid: int) -> int:
    course = services.courses.start_course(pid, "skin_rejuvenation", "exosome_face", 3).record
    assert _record(services, replace(_draft(services, pid), course_id=course.id)).ok
    return int(course.id)


def test_a_booked_patient_goes_below_those_still_to_call(
    services: Services,
    patient_id: int,
    clock,
) -> None:
    smith = _one_session_done(services, patient_id)
    _one_session_done(services, _screened(services, Patient("Young", "Zara", date(1990, 1, 1))))
    clock.advance(days=30)
    names = [e.patient_name for e in services.recall.due_list()]
    assert names == ["SMITH, Olivia", "YOUNG, Zara"]
    services.recall.mark_due(smith, BOOKED)
    names = [e.patient_name for e in services.recall.due_list()]
    assert names == ["YOUNG, Zara", "SMITH, Olivia"]


def test_the_next_session_ends_the_mark(
    services: Services,
    due_course: int,
    patient_id: int,
    clock,
) -> None:
    services.recall.mark_due(due_course, BOOKED)
    record = services.screening.save(patient_id, answered()).record  # the booked visit
    services.screening.record_consent(record.id, "Olivia Smith", PNG)
    draft = replace(_draft(services, patient_id), course_id=due_course)
    assert _record(services, draft).ok
    assert services.recall.due_list() == []
    clock.advance(days=30)
    [entry] = services.recall.due_list()
    assert entry.progress.label == "session 3 of 3"
    assert entry.mark is None, "a booking for session 2 does not hold for session 3"


def test_only_a_course_on_the_list_and_a_known_outcome_can_be_marked(
    services: Services, due_course: int
) -> None:
    with pytest.raises(UserError, match="not something the due list can note"):
        services.recall.mark_due(due_course, "maybe")
    with pytest.raises(UserError, match="no longer due"):
        services.recall.mark_due(due_course + 100, CALLED)
    assert services.ctx.db.execute("SELECT count(*) FROM due_list_marks").fetchone()[0] == 0
