"""Courses: a patient's planned series of sessions, started from a protocol, and where each
stands."""

from __future__ import annotations

from dataclasses import replace

from exodesk.domain.accounts import SESSIONS_RECORD, SESSIONS_VIEW
from exodesk.domain.courses import CourseProgress, course_from_protocol, course_progress
from exodesk.domain.problems import Problem
from exodesk.domain.sessions import TREATMENTS, Course
from exodesk.errors import UserError
from exodesk.services.catalogue import CatalogueService
from exodesk.services.context import Changes, SaveResult, ServiceContext
from exodesk.services.plain import plain
from exodesk.services.sessions import SESSIONS
from exodesk.storage.database import storage_errors
from exodesk.storage.sessions import CourseRepository, SessionRepository


class CourseService:
    """Start, follow and close a patient's courses."""

    def __init__(self, ctx: ServiceContext, catalogue: CatalogueService) -> None:
        self._ctx = ctx
        self._catalogue = catalogue
        self._courses = CourseRepository(ctx.db)
        self._sessions = SessionRepository(ctx.db)

    def courses(self, patient_id: int) -> list[tuple[Course, CourseProgress]]:
        self._ctx.require(SESSIONS_VIEW)
        today = self._ctx.today()
        with storage_errors():
            courses = self._courses.courses_for(patient_id)
            return [
                (c, course_progress(c, self._sessions.course_dates(int(c.id or 0)), today=today))
                for c in courses
            ]

    def start_course(
        self,
        patient_id: int,
        template_key: str,
        treatment: str,
        planned_sessions: int | None = None,
    ) -> SaveResult:
        self._ctx.require(SESSIONS_RECORD)
        template = next((t for t in self._catalogue.protocols() if t.key == template_key), None)
        if template is None:
            return SaveResult(problems=[Problem("template", "Choose a protocol.")])
        if treatment not in TREATMENTS:
            return SaveResult(problems=[Problem("treatment", "Choose a treatment.")])
        course = course_from_protocol(
            template,
            protocols=self._ctx.bundled.protocols,
            patient_id=patient_id,
            treatment=treatment,
            started_on=self._ctx.today(),
        )
        if planned_sessions is not None:
            if isinstance(planned_sessions, bool) or not isinstance(planned_sessions, int):
                return SaveResult(
                    problems=[Problem("planned_sessions", "Planned sessions is a whole number.")]
                )
            if not template.sessions_min <= planned_sessions <= template.sessions_max:
                return SaveResult(
                    problems=[
                        Problem(
                            "planned_sessions",
                            f"This protocol plans {template.sessions_min}–"
                            f"{template.sessions_max} sessions.",
                        )
                    ]
                )
            course = replace(course, planned_sessions=planned_sessions)
        by = int(self._ctx.desk.require().id or 0)
        now = self._ctx.now()
        with self._ctx.write():
            course_id = self._courses.insert_course(course, at=now.isoformat(), by=by)
            self._ctx.audit(
                "create",
                "courses",
                course_id,
                patient_id=patient_id,
                summary=f"Course: {template.label}, {course.planned_sessions} sessions",
                after=plain(course),
                at=now,
            )
            stored = self._courses.course(course_id)
        return SaveResult(record=stored, changes=Changes(frozenset({SESSIONS}), patient_id))

    def set_course_status(self, course_id: int, status: str, reason: str = "") -> SaveResult:
        self._ctx.require(SESSIONS_RECORD)
        if status not in ("active", "completed", "stopped"):
            raise ValueError(status)
        with self._ctx.write():
            course = self._courses.course(course_id)
            if course is None:
                raise UserError("That course no longer exists.")
            self._courses.set_course_status(course_id, status)
            self._ctx.audit(
                "update",
                "courses",
                course_id,
                patient_id=course.patient_id,
                summary=f"Course {status}" + (f": {reason}" if reason else ""),
                before={"status": course.status},
                after={"status": status},
            )
        return SaveResult(
            record=self._courses.course(course_id),
            changes=Changes(frozenset({SESSIONS}), course.patient_id),
        )
