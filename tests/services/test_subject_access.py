"""Subject access export on a real file: everything about patient A, nothing about patient B."""

from __future__ import annotations

import base64
import contextlib
import errno
import json
import os
import re
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from exodesk.domain.allergies import Allergy
from exodesk.domain.patient import Patient
from exodesk.domain.sessions import AdverseEvent, Lot, Product, SessionProduct, TreatmentSession
from exodesk.domain.staff import StaffMember
from exodesk.errors import StorageError, UserError
from exodesk.services import subject_access as subject_access_module
from exodesk.services.context import PermissionRefused, ServiceContext
from exodesk.services.demo import seat
from exodesk.services.subject_access import ExportResult
from exodesk.services.workspace import Services
from exodesk.storage.due_marks import DueMarkRepository
from tests.answers import answered
from tests.reports.pdftools import page_texts, pdf_text

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
# 10,000 characters of ordinary words: the longest note a patient record takes.
LONG_NOTE = ("Prefers morning appointments; ask about the scar on the left cheek. " * 200)[:10_000]
GP_CJK = "山田太郎医生, 東京クリニック"


@dataclass(frozen=True)
class Clinic:
    """Two patients seeded through the services; A is exported, B must not appear."""

    services: Services
    a: int
    b: int
    b_patient: Patient
    a_sessions: tuple[int, ...]
    b_session: int
    lot_id: int


def _record(services: Services, draft: TreatmentSession) -> TreatmentSession:
    check = services.sessions.check(draft)
    saved = services.sessions.record(draft, confirmed=[n.id for n in check.regulatory])
    assert saved.ok, saved.problems
    return saved.record


def _draft(services: Services, patient_id: int, lot: Lot, **changes) -> TreatmentSession:
    draft = services.sessions.prefill(patient_id, None)
    return replace(draft, needle_depth_mm=0.75, products=(SessionProduct(lot.id, 2.0),), **changes)


def _issue_aftercare(services: Services, patient_id: int, session_id: int) -> None:
    sheet = services.aftercare.sheet(treatment="exosome_face", session_id=session_id)
    pdf = services.aftercare.render(sheet)
    done = services.aftercare.record_issue(
        sheet, pdf, "printed", patient_id=patient_id, session_id=session_id
    )
    assert done.ok


def _seed(services: Services, clock) -> Clinic:
    today = services.ctx.today()
    product = services.catalogue.save_product(
        Product("VerdeCell", "Botanica", "exosome", "plant", "topical")
    ).record
    lot = services.catalogue.save_lot(
        Lot(product.id, "VC-2411", today + timedelta(days=300), notes="Kept at 2–8 °C")
    ).record

    # ---- patient A: accents, a CJK GP, a 10,000-character note -----------------------------
    a = services.patients.create(
        Patient("Ñúñez", "Zoë", date(1985, 4, 3), "female", phone="07700 900123", gp=GP_CJK)
    ).record
    a = services.patients.update(replace(a, notes=LONG_NOTE, email="zoe@example.com")).record
    # Asked about allergies at first ("none known"), then she remembered latex.
    assert services.allergies.record_none_known(a.id).ok
    assert services.allergies.record(Allergy(a.id, "Latex", "mild", "Itchy rash")).ok
    first = services.screening.save(
        a.id, answered({"peel_last": today - timedelta(days=3), "blood_disorder": True})
    ).record
    clock.advance(minutes=5)
    screening = services.screening.amend(
        first.id,
        answered({"peel_last": today - timedelta(days=2), "blood_disorder": True}),
        "Peel date typed wrongly",
    ).record
    assert services.screening.sign_off(
        screening.id, "exosome_scalp", "cleared", "Haematologist letter seen"
    ).ok
    # The facial is deferred (peel) and also asks for the doctor's review (blood disorder):
    # overriding the deferral does not answer the review, so it is signed off too.
    assert services.screening.sign_off(
        screening.id, "exosome_face", "cleared", "Haematologist letter seen"
    ).ok
    assert services.screening.override(
        screening.id, "exosome_face", "Light enzyme peel only, skin checked"
    ).ok
    # The override answers the peel's deferral; the blood disorder's review needs its own.
    assert services.screening.sign_off(
        screening.id, "exosome_face", "cleared", "Haematologist letter seen"
    ).ok
    assert services.screening.record_consent(screening.id, "Zoë Ñúñez", PNG).ok
    services.screening.record_print(screening.id, "printed")
    course = services.courses.start_course(a.id, "skin_rejuvenation", "exosome_face", 3).record
    a1 = _record(services, _draft(services, a.id, lot, course_id=course.id))
    a1_amended = services.sessions.amend(
        a1.id, replace(a1, needle_depth_mm=1.0), "Depth typed wrongly"
    ).record
    clock.advance(days=29)
    a2 = _record(services, _draft(services, a.id, lot, course_id=course.id, notes="Went well."))
    logged = services.events.log_event(
        AdverseEvent(a2.id, "bruising", services.ctx.today(), "mild", "Pinpoint bruising")
    )
    assert logged.ok, logged.problems
    _issue_aftercare(services, a.id, a2.id)
    with services.ctx.write():  # reception booked her next session from the due list
        DueMarkRepository(services.ctx.db).add(
            course.id, None, "booked", at=services.ctx.now(), by=services.desk.user.id
        )

    # ---- patient B: the same lot, her own everything ---------------------------------------
    b_patient = Patient(
        "Okonkwo-Vance", "Brigitte", date(1971, 9, 14), "female", phone="07700 955512"
    )
    b = services.patients.create(b_patient).record
    services.patients.update(replace(b, notes="Brigitte's private note"))
    b_screening = services.screening.save(b.id, answered()).record
    assert services.screening.record_consent(b_screening.id, "Brigitte Okonkwo-Vance", PNG).ok
    b1 = _record(services, _draft(services, b.id, lot, notes="Brigitte session note"))
    assert services.events.log_event(
        AdverseEvent(b1.id, "granuloma_nodule", services.ctx.today(), "moderate", "Lump B")
    ).ok
    _issue_aftercare(services, b.id, b1.id)
    return Clinic(
        services,
        a.id,
        b.id,
        b_patient,
        (a1.id, a1_amended.id, a2.id),
        b1.id,
        lot.id,
    )


@pytest.fixture
def clinic(services: Services, clock) -> Clinic:
    return _seed(services, clock)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "export"
    folder.mkdir()
    return folder


# Written independently of the repository: what each table should hold for patient :pid.
DIRECT_COUNTS = {
    "patients": "SELECT count(*) FROM patients WHERE id = :pid",
    "screenings": "SELECT count(*) FROM screenings WHERE patient_id = :pid",
    "screening_answers": "SELECT count(*) FROM screening_answers a JOIN screenings s "
    "ON s.id = a.screening_id WHERE s.patient_id = :pid",
    "screening_verdicts": "SELECT count(*) FROM screening_verdicts v JOIN screenings s "
    "ON s.id = v.screening_id WHERE s.patient_id = :pid",
    "screening_signoffs": "SELECT count(*) FROM screening_signoffs o JOIN screenings s "
    "ON s.id = o.screening_id WHERE s.patient_id = :pid",
    "screening_overrides": "SELECT count(*) FROM screening_overrides o JOIN screenings s "
    "ON s.id = o.screening_id WHERE s.patient_id = :pid",
    "consents": "SELECT count(*) FROM consents c JOIN screenings s ON s.id = c.screening_id "
    "WHERE s.patient_id = :pid",
    "consent_texts": "SELECT count(DISTINCT c.consent_text_id) FROM consents c "
    "JOIN screenings s ON s.id = c.screening_id WHERE s.patient_id = :pid",
    "courses": "SELECT count(*) FROM courses WHERE patient_id = :pid",
    "due_list_marks": "SELECT count(*) FROM due_list_marks m JOIN courses c "
    "ON c.id = m.course_id WHERE c.patient_id = :pid",
    "sessions": "SELECT count(*) FROM sessions WHERE patient_id = :pid",
    "session_products": "SELECT count(*) FROM session_products p JOIN sessions s "
    "ON s.id = p.session_id WHERE s.patient_id = :pid",
    "lots": "SELECT count(DISTINCT p.lot_id) FROM session_products p JOIN sessions s "
    "ON s.id = p.session_id WHERE s.patient_id = :pid",
    "products": "SELECT count(DISTINCT l.product_id) FROM session_products p "
    "JOIN sessions s ON s.id = p.session_id JOIN lots l ON l.id = p.lot_id "
    "WHERE s.patient_id = :pid",
    "adverse_events": "SELECT count(*) FROM adverse_events e JOIN sessions s "
    "ON s.id = e.session_id WHERE s.patient_id = :pid",
    "documents_issued": "SELECT count(*) FROM documents_issued WHERE patient_id = :pid "
    "OR session_id IN (SELECT id FROM sessions WHERE patient_id = :pid)",
    "audit_log": "SELECT count(*) FROM audit_log WHERE patient_id = :pid",
    "patient_allergies": "SELECT count(*) FROM patient_allergies WHERE patient_id = :pid",
    "no_known_allergies": "SELECT count(*) FROM no_known_allergies WHERE patient_id = :pid",
    "allergens": "SELECT count(DISTINCT allergen_id) FROM patient_allergies "
    "WHERE patient_id = :pid AND allergen_id IS NOT NULL",
}


def _direct_counts(data_file: Path, patient_id: int) -> dict[str, int]:
    """Counts read through a connection of the test's own, not the app's."""
    with contextlib.closing(sqlite3.connect(data_file)) as conn:
        return {
            table: conn.execute(sql, {"pid": patient_id}).fetchone()[0]
            for table, sql in DIRECT_COUNTS.items()
        }


def _values(node: object, key: str) -> Iterator[object]:
    """Every value stored under ``key`` anywhere in a JSON structure."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                yield v
            yield from _values(v, key)
    elif isinstance(node, list):
        for item in node:
            yield from _values(item, key)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def exported(clinic: Clinic, out: Path) -> tuple[ExportResult, dict, str, str]:
    services = clinic.services
    result = services.subject_access.export(clinic.a, out)
    text = result.json_path.read_text(encoding="utf-8")
    pdf = result.pdf_path.read_bytes()
    return result, json.loads(text), text, pdf_text(pdf)


# ---- what is in it ---------------------------------------------------------------------
def test_counts_per_table_equal_direct_queries(clinic: Clinic, out: Path) -> None:
    services = clinic.services
    expected = _direct_counts(services.paths.data_file, clinic.a)
    # The seed reaches every kind of record, so no count is trivially zero.
    assert all(expected.values()), expected
    assert expected["sessions"] == 3 and expected["lots"] == 1
    result = services.subject_access.export(clinic.a, out)
    document = json.loads(result.json_path.read_text(encoding="utf-8"))
    counts = {table: len(rows) for table, rows in document["tables"].items()}
    assert counts == expected
    assert result.counts == expected
    about = document["about_this_file"]["tables"]
    assert {table: about[table]["rows"] for table in about} == expected
    assert all(about[table]["description"] for table in about)


def test_patient_b_appears_nowhere(clinic: Clinic, exported) -> None:
    _result, document, text, pdf = exported
    b = clinic.b_patient
    for secret in (
        b.given_names,
        b.family_name,
        "Okonkwo",
        b.date_of_birth.isoformat(),
        "14 Sep 1971",
        b.phone,
        b.phone.replace(" ", ""),
        "955512",
        "Brigitte",
        "Lump B",
    ):
        assert secret not in text, secret
        assert secret not in pdf, secret
    # B's number: no row names her, or her session, or her screening.
    assert set(_values(document, "patient_id")) == {clinic.a}
    session_ids = set(_values(document["tables"], "session_id"))
    assert clinic.b_session not in session_ids
    assert session_ids <= set(clinic.a_sessions)
    [patient] = document["tables"]["patients"]
    assert patient["id"] == clinic.a
    assert f"Patient no. {clinic.b}" not in pdf


def test_a_lot_shared_with_b_gives_its_facts_not_her_session(clinic: Clinic, exported) -> None:
    _result, document, _text, _pdf = exported
    tables = document["tables"]
    [lot] = tables["lots"]
    assert (lot["id"], lot["lot_number"], lot["notes"]) == (
        clinic.lot_id,
        "VC-2411",
        "Kept at 2–8 °C",
    )
    assert [p["name"] for p in tables["products"]] == ["VerdeCell"]
    assert {row["session_id"] for row in tables["session_products"]} == set(clinic.a_sessions)
    assert "lots" not in {row["table_name"] for row in tables["audit_log"]}


def test_json_round_trips_with_structures_decoded(clinic: Clinic, exported) -> None:
    _result, document, text, _pdf = exported
    assert json.loads(json.dumps(document, ensure_ascii=False)) == document
    about = document["about_this_file"]
    assert about["format"] == "exodesk-subject-access" and about["format_version"] == 1
    assert about["generator"].startswith("ExoDesk ")
    assert about["patient"] == {"number": clinic.a, "name": "Zoë Ñúñez"}
    assert about["readable_copy"].endswith(".pdf")
    tables = document["tables"]
    assert [row["version"] for row in tables["screenings"]] == [1, 2]
    assert all(isinstance(row["result"], dict) for row in tables["screenings"])
    assert all(isinstance(row["areas"], list) for row in tables["sessions"])
    assert all(isinstance(row["regulatory_confirmations"], list) for row in tables["sessions"])
    assert sorted(row["status"] for row in tables["sessions"]) == ["amended", "current", "current"]
    [document_issued] = tables["documents_issued"]
    assert document_issued["payload"]["patient_name"] == "Zoë Ñúñez"
    assert any(isinstance(row["after"], dict) for row in tables["audit_log"])
    [consent] = tables["consents"]
    assert consent["signature_png"]["media_type"] == "image/png"
    assert base64.b64decode(consent["signature_png"]["base64"]) == PNG
    # Staff appear by name only.
    assert consent["recorded_by"] == "Ada Admin"
    assert {row["practitioner"] for row in tables["sessions"]} == {"Ada Admin"}
    assert all("actor_id" not in row for row in tables["audit_log"])
    assert "staff" not in tables and "password" not in text and "argon2" not in text


# Each page's running header and footer, which pypdf reads after the page's content.
_PAGE_CHROME = re.compile(r" ?(Everything we hold about you )?Page \d+ of \d+ .*? by ExoDesk$")


def test_the_long_note_is_whole_in_the_json_and_wraps_in_the_pdf(exported) -> None:
    result, document, _text, _pdf = exported
    assert document["tables"]["patients"][0]["notes"] == LONG_NOTE
    pages = page_texts(result.pdf_path.read_bytes())
    content = " ".join(_PAGE_CHROME.sub("", page) for page in pages)
    # Wrapped over many lines and pages, and still all there, in order.
    assert "".join(LONG_NOTE.split()) in "".join(content.split())
    assert sum("Prefers morning" in page for page in pages) >= 3


def test_the_pdf_has_plain_headings_and_prints_accents_and_cjk(clinic: Clinic, exported) -> None:
    result, _document, _text, pdf = exported
    for heading in (
        "Everything we hold about you",
        "Your details",
        "Screenings",
        "Consents you signed",
        "Treatment sessions",
        "Products and lots used",
        "Reactions and complications",
        "Handouts given to you",
        "Who looked at or changed your record",
        "What is in this document",
    ):
        assert heading in pdf, heading
    assert "Zoë Ñúñez" in pdf
    assert "".join(GP_CJK.split()) in "".join(pdf.split())
    assert result.json_path.name in pdf, "the cover names the JSON file"
    assert "machine-readable" in pdf
    assert "Page 1 of" in pdf


def test_file_names_and_no_leftovers(clinic: Clinic, out: Path, exported) -> None:
    result, _document, _text, _pdf = exported
    stem = f"{clinic.a}-Zoë-Ñúñez-2026-12-21"
    assert (result.json_path.name, result.pdf_path.name) == (f"{stem}.json", f"{stem}.pdf")
    # The patient's photos, if the clinic has any, in a folder beside the two files.
    photos = [f"{stem}-photos"] if result.photos_folder is not None else []
    assert _leftovers(out) == sorted([f"{stem}.json", f"{stem}.pdf", *photos])
    again = clinic.services.subject_access.export(clinic.a, out)
    assert again.json_path.name == f"{stem}-2.json", "an earlier export is never overwritten"
    assert len(_leftovers(out)) == 2 * (2 + len(photos))


def test_the_export_is_audited_without_clinical_content(clinic: Clinic, exported) -> None:
    result, _document, _text, _pdf = exported
    db = clinic.services.ctx.db
    row = db.execute(
        "SELECT action, actor_name, patient_id, table_name, record_id, summary FROM audit_log "
        "ORDER BY id DESC LIMIT 1"
    ).fetchone()
    action, actor, patient_id, table, record_id, summary = row
    assert (action, actor, patient_id, table, record_id) == (
        "export",
        "Ada Admin",
        clinic.a,
        "patients",
        clinic.a,
    )
    assert result.json_path.name in summary and result.pdf_path.name in summary
    for clinical in ("Exosome", "bruising", "Bruising", "peel", "Prefers", "scar", "VerdeCell"):
        assert clinical not in summary
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'export'").fetchone()[0] == 1


# ---- refusals and failures -------------------------------------------------------------
def test_a_missing_patient_or_folder_is_said_plainly(clinic: Clinic, tmp_path: Path) -> None:
    service = clinic.services.subject_access
    with pytest.raises(UserError, match="no longer exists"):
        service.export(9999, tmp_path)
    with pytest.raises(UserError, match="does not exist"):
        service.export(clinic.a, tmp_path / "gone")


def test_only_an_admin_may_export(clinic: Clinic, out: Path) -> None:
    services = clinic.services
    rita = services.accounts.create_account(
        StaffMember("Rita Reception", "reception"), "Rita's temporary password"
    ).record
    seat(services, rita.id)
    with pytest.raises(PermissionRefused):
        services.subject_access.export(clinic.a, out)
    assert _leftovers(out) == []


@contextlib.contextmanager
def _tmpfs(folder: Path, options: str) -> Iterator[Path]:
    """A real read-only filesystem; skipped where mounting is not allowed."""
    folder.mkdir()
    if os.name != "posix" or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def _export_entries(services: Services) -> int:
    return services.ctx.db.execute(
        "SELECT count(*) FROM audit_log WHERE action = 'export'"
    ).fetchone()[0]


def test_a_read_only_folder_is_refused_and_leaves_nothing(clinic: Clinic, tmp_path: Path) -> None:
    with _tmpfs(tmp_path / "ro", "ro,size=1m") as read_only:
        with pytest.raises(StorageError, match="may not write") as caught:
            clinic.services.subject_access.export(clinic.a, read_only)
        assert "nothing was exported" in caught.value.message
        assert _leftovers(read_only) == []
    assert _export_entries(clinic.services) == 0


def test_a_full_disk_mid_way_leaves_neither_file(
    clinic: Clinic, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The JSON is already in place when the PDF cannot be: both go."""
    real_replace = os.replace
    calls: list[str] = []

    def replace_then_fail(src, dst) -> None:
        calls.append(str(dst))
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(subject_access_module.os, "replace", replace_then_fail)
    with pytest.raises(StorageError, match="disk is full"):
        clinic.services.subject_access.export(clinic.a, out)
    assert len(calls) == 2
    assert _leftovers(out) == []
    assert _export_entries(clinic.services) == 0


def test_a_full_disk_while_writing_leaves_nothing(
    clinic: Clinic, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(subject_access_module.os, "fsync", full)
    with pytest.raises(StorageError, match="disk is full"):
        clinic.services.subject_access.export(clinic.a, out)
    assert _leftovers(out) == []


def test_files_go_if_the_audit_entry_cannot_be_written(
    clinic: Clinic, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(*_args, **_kwargs) -> None:
        raise StorageError("The data file is busy.")

    monkeypatch.setattr(ServiceContext, "audit", locked)
    with pytest.raises(StorageError, match="busy"):
        clinic.services.subject_access.export(clinic.a, out)
    assert _leftovers(out) == []
