"""The one print path, service side: each printed document is a PrintJob that renders without
the data file, and records its issue (audit entry, issue log for handouts) as it always has."""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from exodesk.domain.accounts import EVENTS_LOG, RECALL_VIEW
from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.patient import Patient
from exodesk.domain.sessions import AdverseEvent, Lot, Product, SessionProduct
from exodesk.domain.staff import StaffMember
from exodesk.services.aftercare import DOCUMENTS, NOT_IDENTICAL
from exodesk.services.context import Changes, PermissionRefused
from exodesk.services.photo_sheet import PhotoSheetService
from exodesk.services.printing import PrintJob
from exodesk.services.workspace import Services
from tests.answers import answered
from tests.conftest import FakeClock
from tests.reports.photo_samples import pair

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def make_clinic(services: Services, clock: FakeClock) -> dict[str, int]:
    """A clinic on Letter paper with one patient who has had a session with a lot, an adverse
    event and an aftercare sheet; the clock then moves on 50 days so she is due again."""
    services.clinic.save_settings(
        ClinicSettings(name="Riverside Clinic", phone="020 7946 0123", paper_size="Letter")
    )
    product = services.catalogue.save_product(
        Product("VerdeCell", "Botanica", "exosome", "plant", "topical")
    ).record
    lot = services.catalogue.save_lot(
        Lot(product.id, "VC-2411", services.ctx.today() + timedelta(days=90))
    ).record
    pid = services.patients.create(
        Patient("Ñúñez", "Zoë", date(1985, 4, 3), "female", phone="07700 900111")
    ).record.id
    screening = services.screening.save(pid, answered()).record
    services.screening.record_consent(screening.id, "Zoë Ñúñez", PNG)
    course = services.courses.start_course(pid, "skin_rejuvenation", "exosome_face", 3).record
    draft = replace(
        services.sessions.prefill(pid, course.id),
        needle_depth_mm=0.5,
        products=(SessionProduct(lot.id, 2.0),),
    )
    check = services.sessions.check(draft)
    session = services.sessions.record(draft, confirmed=[n.id for n in check.regulatory]).record
    event = services.events.log_event(
        AdverseEvent(session.id, "bruising", services.ctx.today(), "mild", "Pinpoint bruising")
    ).record
    sheet = services.aftercare.sheet(treatment="exosome_face", session_id=session.id)
    document = services.aftercare.record_issue(
        sheet, services.aftercare.render(sheet), "printed", patient_id=pid, session_id=session.id
    ).record
    clock.advance(days=50)
    return {
        "patient": pid,
        "session": session.id,
        "event": event.id,
        "document": document,
        "screening": screening.id,
    }


# ---- every printed document, and what issuing it leaves behind -------------------------------
@dataclass(frozen=True)
class Document:
    """One printed document: how a service builds its job, what the PDF says, and the audit
    entry (and issue-log entry, for a handout) that issuing it leaves."""

    build: Callable[[Services, dict[str, int]], PrintJob[object]]
    title: str
    file_name: str
    words: tuple[str, ...]  # on the page
    audit: tuple[str, str, str]  # action, table, summary (with {how})
    issue: tuple[str, str] | None = None  # documents_issued: kind, how
    patient: bool = True  # the audit entry is filed under the patient
    session: bool = False  # the issue-log entry names the session
    changes: frozenset[str] = frozenset()


def _comparison(s: Services, ids: dict[str, int]) -> PrintJob[object]:
    view = s.comparison.view(["exosome_face", "prp"], patient_id=ids["patient"])
    return s.comparison.handout_job(view, patient_id=ids["patient"])


def _photo_sheet(s: Services, ids: dict[str, int]) -> PrintJob[object]:
    photos = PhotoSheetService(s.ctx)
    sheet = photos.sheet(ids["patient"], area_label="Face", pairs=(pair(0), pair(1)))
    return photos.sheet_job(sheet, patient_id=ids["patient"])


DOCUMENTS_PRINTED: dict[str, Document] = {
    "aftercare for a session": Document(
        lambda s, ids: s.aftercare.sheet_job(
            treatment="exosome_face", patient_id=ids["patient"], session_id=ids["session"]
        ),
        "Aftercare — Zoë Ñúñez",
        "Aftercare Zoë Ñúñez.pdf",
        ("Zoë Ñúñez", "VC-2411"),
        ("print", "documents_issued", "Aftercare sheet (exosome_face) {how}"),
        issue=("aftercare", "{how}"),
        session=True,
        changes=frozenset({DOCUMENTS}),
    ),
    "aftercare from the session alone": Document(
        lambda s, ids: s.aftercare.sheet_job(treatment="exosome_face", session_id=ids["session"]),
        "Aftercare — Zoë Ñúñez",
        "Aftercare Zoë Ñúñez.pdf",
        ("Zoë Ñúñez", "VC-2411"),
        ("print", "documents_issued", "Aftercare sheet (exosome_face) {how}"),
        issue=("aftercare", "{how}"),
        session=True,
        changes=frozenset({DOCUMENTS}),
    ),
    "aftercare for the patient, large print": Document(
        lambda s, ids: s.aftercare.sheet_job(
            treatment="prp", patient_id=ids["patient"], large_print=True
        ),
        "Aftercare — Zoë Ñúñez",
        "Aftercare Zoë Ñúñez.pdf",
        ("Zoë Ñúñez",),
        ("print", "documents_issued", "Aftercare sheet (prp) {how}"),
        issue=("aftercare", "{how}"),
        changes=frozenset({DOCUMENTS}),
    ),
    "blank aftercare": Document(
        lambda s, ids: s.aftercare.sheet_job(treatment="microneedling"),
        "Aftercare — blank",
        "Aftercare blank.pdf",
        ("Riverside Clinic",),
        ("print", "documents_issued", "Aftercare sheet (microneedling) {how}"),
        issue=("aftercare", "{how}"),
        patient=False,
        changes=frozenset({DOCUMENTS}),
    ),
    "aftercare reprint": Document(
        lambda s, ids: s.aftercare.reprint_job(ids["document"]),
        "Aftercare reprint",
        "Aftercare reprint.pdf",
        ("Zoë Ñúñez", "VC-2411"),
        ("print", "documents_issued", "Aftercare sheet (exosome_face) reprinted: {where}"),
    ),
    "comparison handout": Document(
        _comparison,
        "Treatment comparison — Zoë Ñúñez",
        "Comparison Zoë Ñúñez.pdf",
        ("Zoë Ñúñez", "Regulatory status"),
        ("print", "documents_issued", "Treatment comparison {how}: exosome_face, prp"),
        issue=("comparison", "{how}"),
        changes=frozenset({DOCUMENTS}),
    ),
    "photo progress sheet": Document(
        _photo_sheet,
        "Progress photos — Zoë Ñúñez",
        "Progress photos Zoë Ñúñez.pdf",
        ("Zoë Ñúñez", "Before · 12 Mar 2026 · Session 1 of 4", "020 7946 0123"),
        ("print", "documents_issued", "Photo progress sheet {how}: Face, 2 pairs"),
        issue=("photo_progress", "{how}"),
        changes=frozenset({DOCUMENTS}),
    ),
    "regulator report": Document(
        lambda s, ids: s.events.regulator_report_job(ids["event"]),
        "Adverse event report",
        "Adverse event report.pdf",
        ("Z.Ñ.", "VC-2411"),
        ("print", "adverse_events", "Adverse event report {where}"),
    ),
    "screening summary": Document(
        lambda s, ids: s.screening.summary_job(ids["screening"]),
        "Screening summary — Zoë Ñúñez",
        "Screening Zoë Ñúñez v1.pdf",
        ("Zoë Ñúñez", "Exosome facial"),
        ("print", "screenings", "Screening summary {where}"),
    ),
    "recall list": Document(
        lambda s, ids: s.recall.recall_job(s.recall.recall("VC"), "VC"),
        "Lot recall VC-2411",
        "Recall VC-2411.pdf",
        ("VC-2411", "ÑÚÑEZ, Zoë"),
        ("print", "lots", "Recall list for “VC” {where}: 1 patients"),
        patient=False,
    ),
    "due list": Document(
        lambda s, ids: s.recall.due_list_job(s.recall.due_list()),
        "Patients due for a session",
        "Due list.pdf",
        ("ÑÚÑEZ, Zoë", "07700 900111"),
        ("print", "courses", "Due list {where}: 1 patients"),
        patient=False,
    ),
}


def flat_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def audit_tail(services: Services) -> tuple[str, str, int | None, str]:
    row = services.ctx.db.execute(
        "SELECT action, table_name, patient_id, summary FROM audit_log ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return row[0], row[1], row[2], row[3]


def issue_rows(services: Services) -> list[tuple]:
    return services.ctx.db.execute(
        "SELECT kind, how, patient_id, session_id, sha256 FROM documents_issued ORDER BY id"
    ).fetchall()


def expected_audit(doc: Document, ids: dict[str, int], how: str) -> tuple:
    action, table, summary = doc.audit
    words = summary.format(how=how.split(":", 1)[0], where=how)
    return action, table, ids["patient"] if doc.patient else None, words


@pytest.fixture
def clinic(services: Services, clock: FakeClock) -> dict[str, int]:
    return make_clinic(services, clock)


@pytest.mark.parametrize("how", ["printed", "saved:/home/desk/Documents/out.pdf"])
@pytest.mark.parametrize("name", list(DOCUMENTS_PRINTED))
def test_each_document_renders_without_the_data_file_and_records_its_issue(
    services: Services, clinic: dict[str, int], name: str, how: str
) -> None:
    doc = DOCUMENTS_PRINTED[name]
    job = doc.build(services, clinic)
    assert (job.title, job.file_name, job.paper_size) == (doc.title, doc.file_name, "Letter")
    issued_before = issue_rows(services)
    # Rendered on another thread, as the UI does: a sqlite connection refuses to be used from
    # a thread other than its own, so this fails if rendering read the data file.
    rendered: list[bytes] = []
    worker = threading.Thread(target=lambda: rendered.append(job.pdf()))
    worker.start()
    worker.join(60)
    assert rendered and rendered[0].startswith(b"%PDF")
    pdf = rendered[0]
    text = flat_text(pdf)
    for word in doc.words:
        assert word in text, (word, text[:400])
    changes = job.record(how, pdf)
    assert changes == Changes(
        doc.changes, clinic["patient"] if doc.changes and doc.patient else None
    )
    assert audit_tail(services) == expected_audit(doc, clinic, how)
    issued = issue_rows(services)
    if doc.issue is None:
        assert issued == issued_before
        return
    kind, logged_how = doc.issue
    assert issued[:-1] == issued_before
    assert issued[-1] == (
        kind,
        logged_how.format(how=how.split(":", 1)[0]),
        clinic["patient"] if doc.patient else None,
        clinic["session"] if doc.session else None,
        hashlib.sha256(pdf).hexdigest(),
    )


def test_a_job_renders_once_so_what_was_previewed_is_what_is_printed(
    services: Services, clinic: dict[str, int]
) -> None:
    calls: list[int] = []
    job = DOCUMENTS_PRINTED["aftercare for a session"].build(services, clinic)
    counted = replace(job, render=lambda: calls.append(1) or job.render())
    first = counted.pdf()
    assert counted.pdf() is first and calls == [1]


def test_the_reprint_says_so_when_it_no_longer_matches_the_original(
    services: Services, clinic: dict[str, int]
) -> None:
    job = services.aftercare.reprint_job(clinic["document"])
    assert job.caveat is not None
    assert job.caveat(job.pdf()) == ""
    assert job.caveat(job.pdf() + b"\n") == NOT_IDENTICAL
    assert job.data.patient_name == "Zoë Ñúñez"


@pytest.mark.parametrize(
    ("name", "permission"),
    [("regulator report", EVENTS_LOG), ("recall list", RECALL_VIEW)],
)
def test_recording_checks_the_permission_again(
    services: Services, clinic: dict[str, int], name: str, permission: str
) -> None:
    """A job built by a practitioner and issued once reception sat down is refused and
    leaves only the refusal."""
    job = DOCUMENTS_PRINTED[name].build(services, clinic)
    reception = services.clinic.save_staff(StaffMember("Priya Shah", "reception")).record
    services.desk.user = reception
    with pytest.raises(PermissionRefused) as refused:
        job.record("printed", job.pdf())
    assert refused.value.permission == permission
    assert audit_tail(services)[0] == "refused"
