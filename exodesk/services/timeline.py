"""A patient's timeline: screenings, sessions, adverse events and sheets issued, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from exodesk.domain.accounts import SESSIONS_VIEW
from exodesk.domain.dates import format_long
from exodesk.domain.sessions import (
    AE_OUTCOMES,
    AE_SEVERITIES,
    AE_TYPES,
    AREAS,
    DELIVERY_METHODS,
    TREATMENTS,
)
from exodesk.services.context import ServiceContext
from exodesk.services.events import EventService
from exodesk.services.screening import ScreeningService
from exodesk.services.sessions import SessionService
from exodesk.services.vocabulary import vocabulary
from exodesk.storage.database import storage_errors
from exodesk.storage.documents import DocumentRepository


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a patient's timeline, newest first."""

    when: datetime
    kind: str  # screening | session | adverse_event | sheet
    title: str
    detail: str
    record_id: int
    alert: bool = False  # shown in red (override, entered in error, severe event)
    muted: bool = False  # amended / entered in error


class TimelineService:
    """Everything that happened to one patient, in one list."""

    def __init__(
        self,
        ctx: ServiceContext,
        screening: ScreeningService,
        sessions: SessionService,
        events: EventService,
    ) -> None:
        self._ctx = ctx
        self._screening = screening
        self._sessions = sessions
        self._events = events
        self._documents = DocumentRepository(ctx.db)

    def entries(self, patient_id: int) -> list[TimelineEntry]:
        """Screenings, sessions and adverse events for one patient, newest first."""
        self._ctx.require(SESSIONS_VIEW)
        entries: list[TimelineEntry] = []
        for h in self._screening.history(patient_id):
            entries.append(
                TimelineEntry(
                    datetime.fromisoformat(h.taken_at),
                    "screening",
                    f"Screening v{h.version}",
                    f"by {h.taken_by}"
                    + (" — amended later" if h.superseded else "")
                    + (f" — {h.amend_reason}" if h.amend_reason else ""),
                    h.id,
                    muted=h.superseded,
                )
            )
        for s in self._sessions.sessions(patient_id, include_all=True):
            title = f"{TREATMENTS[s.treatment]} — " + ", ".join(AREAS[a] for a in sorted(s.areas))
            detail = f"{DELIVERY_METHODS[s.delivery]} · {s.practitioner_name}"
            if s.products:
                detail += " · " + ", ".join(
                    f"{p.product_name} lot {p.lot_number}" for p in s.products
                )
            if s.status == "amended":
                detail += " · amended later"
            if s.status == "entered_in_error":
                title = "ENTERED IN ERROR: " + title
                detail += f" · {s.error_reason}"
            if s.gate_override_reason:
                detail += f" · SCREENING OVERRIDDEN: {s.gate_override_reason}"
            if s.allergy_override_reason:
                detail += f" · ALLERGY OVERRIDDEN: {s.allergy_override_reason}"
            entries.append(
                TimelineEntry(
                    s.performed_at,
                    "session",
                    title,
                    detail,
                    int(s.id or 0),
                    alert=bool(s.gate_override_reason or s.allergy_override_reason),
                    muted=s.status != "current",
                )
            )
        for e in self._events.events_for_patient(patient_id):
            outcome = AE_OUTCOMES[e.outcome]
            entries.append(
                TimelineEntry(
                    datetime.combine(e.onset_date, datetime.min.time()).astimezone(),
                    "adverse_event",
                    f"Adverse event: {AE_TYPES[e.type]} ({AE_SEVERITIES[e.severity]})",
                    f"onset {format_long(e.onset_date)} · {outcome}",
                    int(e.id or 0),
                    alert=e.severity in ("severe", "life_threatening") or e.outcome == "ongoing",
                )
            )
        with storage_errors():
            documents = self._documents.issued_for(patient_id)
        words = vocabulary()
        for d in documents:
            what, _, label = words.document(d.kind, d.template).partition(": ")
            entries.append(
                TimelineEntry(
                    d.issued_at,
                    "sheet",
                    f"{what} {d.how}: {label}" if label else f"{what} {d.how}",
                    f"by {d.issued_by} · wording {d.template_version}",
                    d.id,
                )
            )
        # At the same minute a screening comes before the session it cleared.
        order = {"screening": 0, "session": 1, "adverse_event": 2, "sheet": 3}
        return sorted(entries, key=lambda t: (t.when, order[t.kind]), reverse=True)
