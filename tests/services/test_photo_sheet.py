"""The photo progress sheet's print path: its data from the data file, the job, and the issue
log and audit entries when it is printed or saved."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import date

import pytest

from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.patient import Patient
from exodesk.domain.photo_sheet import SHEET_VERSION
from exodesk.domain.staff import StaffMember
from exodesk.errors import UserError
from exodesk.services.aftercare import DOCUMENTS
from exodesk.services.context import Changes
from exodesk.services.photo_sheet import KIND, PhotoSheetService
from exodesk.services.vocabulary import vocabulary
from exodesk.services.workspace import Services
from tests.conftest import FakeClock
from tests.reports.pdftools import pdf_text, reader
from tests.reports.photo_samples import GAIS_RATINGS, pair

LOGO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def patient(services: Services) -> int:
    services.clinic.save_settings(
        ClinicSettings(name="Riverside Clinic", phone="020 7946 0123", paper_size="Letter")
    )
    return int(
        services.patients.create(Patient("Ñúñez", "Zoë", date(1985, 4, 3), "female")).record.id
    )


def test_the_sheet_takes_the_clinic_the_patient_and_today(
    services: Services, patient: int, clock: FakeClock
) -> None:
    sheet = PhotoSheetService(services.ctx).sheet(
        patient, area_label="Face", pairs=(pair(0), pair(1)), ratings=GAIS_RATINGS
    )
    assert sheet.patient_name == "Zoë Ñúñez"
    assert sheet.clinic.name == "Riverside Clinic" and sheet.clinic.paper_size == "Letter"
    assert sheet.printed_on == services.ctx.today()
    assert len(sheet.pairs) == 2 and sheet.ratings == GAIS_RATINGS


@pytest.mark.parametrize(("count", "words"), [(0, "at least one"), (5, "up to 4")])
def test_no_pair_or_more_than_four_is_refused_in_plain_words(
    services: Services, patient: int, count: int, words: str
) -> None:
    with pytest.raises(UserError, match=words) as refused:
        PhotoSheetService(services.ctx).sheet(
            patient, area_label="Face", pairs=tuple(pair(i % 4) for i in range(count))
        )
    assert refused.value.advice


def test_an_unknown_patient_is_refused(services: Services) -> None:
    with pytest.raises(UserError, match="no longer exists"):
        PhotoSheetService(services.ctx).sheet(999, area_label="Face", pairs=(pair(),))


@pytest.mark.parametrize("how", ["printed", "saved:/home/desk/Documents/Progress.pdf"])
def test_printing_the_job_logs_it_for_the_patient_and_audits_it(
    services: Services, patient: int, how: str
) -> None:
    photos = PhotoSheetService(services.ctx)
    sheet = photos.sheet(patient, area_label="Scalp", pairs=(pair(0), pair(1)))
    job = photos.sheet_job(sheet, patient_id=patient)
    assert (job.title, job.file_name, job.paper_size) == (
        "Progress photos — Zoë Ñúñez",
        "Progress photos Zoë Ñúñez.pdf",
        "Letter",
    )
    # Rendered on a worker thread, as the preview does: it must not touch the data file.
    rendered: list[bytes] = []
    worker = threading.Thread(target=lambda: rendered.append(job.pdf()))
    worker.start()
    worker.join(60)
    [pdf] = rendered
    assert len(reader(pdf).pages) == 1 and "Zoë Ñúñez" in pdf_text(pdf)

    assert job.record(how, pdf) == Changes(frozenset({DOCUMENTS}), patient)

    # In the patient's issue log (the list the Aftercare tab shows), in words.
    [issued] = services.aftercare.issued(patient)
    assert (issued.kind, issued.template, issued.template_version) == (
        KIND,
        "Scalp",
        SHEET_VERSION,
    )
    assert issued.how == how.split(":", 1)[0]
    assert issued.sha256 == hashlib.sha256(pdf).hexdigest()
    assert issued.issued_by == "Ada Admin"
    assert vocabulary().document(issued.kind, issued.template) == "Photo progress sheet: Scalp"
    # What it showed: each photo by its SHA-256 (the photo store's reference), not the photo.
    payload = json.loads(issued.payload)
    assert [p["before"] for p in payload["pairs"]] == [
        hashlib.sha256(p.before_jpeg).hexdigest() for p in sheet.pairs
    ]
    assert payload["pairs"][0]["after_caption"] == "4 Jun 2026 · Session 4 of 4"
    assert len(issued.payload) < 4000

    action, table, record, who, summary = services.ctx.db.execute(
        "SELECT action, table_name, record_id, patient_id, summary FROM audit_log "
        "ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert (action, table, record, who) == ("print", "documents_issued", issued.id, patient)
    assert summary == f"Photo progress sheet {how.split(':', 1)[0]}: Scalp, 2 pairs"
    assert "Zoë" not in summary and "Ñúñez" not in summary


def test_the_logo_is_kept_once_with_the_log_entry(services: Services, patient: int) -> None:
    services.clinic.save_settings(
        ClinicSettings(name="Riverside Clinic", paper_size="A4", logo_png=LOGO)
    )
    photos = PhotoSheetService(services.ctx)
    sheet = photos.sheet(patient, area_label="Face", pairs=(pair(),))
    photos.record_issue(sheet, b"%PDF-1.4", "printed", patient_id=patient)
    [issued] = services.aftercare.issued(patient)
    clinic = json.loads(issued.payload)["clinic"]
    assert clinic["logo_sha256"] == hashlib.sha256(LOGO).hexdigest()
    assert "logo_png" not in clinic


def test_recording_checks_the_permission_again(services: Services, patient: int) -> None:
    """A job built by one person and printed after someone who has left signed in (an
    account kept for the record, with no permissions) is refused, and nothing is logged."""
    photos = PhotoSheetService(services.ctx)
    job = photos.sheet_job(
        photos.sheet(patient, area_label="Face", pairs=(pair(),)), patient_id=patient
    )
    left = services.clinic.save_staff(StaffMember("Sam Gone", "reception", active=False)).record
    services.desk.user = left
    with pytest.raises(UserError, match="may not see or print a patient's clinical photos"):
        job.record("printed", job.pdf())
    services.desk.user = services.clinic.staff()[0]
    assert services.aftercare.issued(patient) == []
