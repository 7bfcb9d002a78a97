"""The readable copy of a subject access export: its data in words, and the PDF it renders."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.subject_access import TABLES, PatientExport, decode_row
from exodesk.reports.subject_access import (
    CHUNK_CHARS,
    NOTHING,
    SubjectAccessReport,
    build_report,
    chunks,
    reflow,
    render_subject_access,
    report_missing_glyphs,
)
from tests.bundled import bundled_rules
from tests.reports.pdftools import base_name, fonts_drawing, page_texts, pdf_text

CLINIC = ClinicSettings(
    name="Riverside Skin Clinic", address="12 Willow Lane", phone="020 7946 0123"
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
CONSENT = (
    "Consent to treatment\n\nI have answered the health questions honestly and as fully as\n"
    "I can. I will tell the clinic if anything changes.\n- a new medicine\n- an infection"
)
# Each page's running header (from page 2) and footer, which pypdf reads after the content.
_PAGE_CHROME = re.compile(
    r" ?(Riverside Skin Clinic Everything we hold about you )?Page \d+ of \d+ .*? by ExoDesk$"
)


def _export(**changes: Any) -> PatientExport:
    patient = {
        "id": 7,
        "family_name": "Ñúñez-Łukasz",
        "given_names": "Zoë",
        "date_of_birth": "1985-04-03",
        "sex": "female",
        "phone": "07700 900123",
        "email": "",
        "notes": "Prefers mornings.",
        "status": "active",
        "status_reason": "",
        "created_at": "2026-01-05T09:30:00+00:00",
        "created_by": "Priya Shah",
        "updated_at": "2026-01-05T09:30:00+00:00",
        "updated_by": "Priya Shah",
        "version": 1,
    }
    patient.update(changes.pop("patient", {}))
    tables: dict[str, list[dict[str, Any]]] = {
        "patients": [patient],
        "screenings": [
            {
                "id": 3,
                "patient_id": 7,
                "version": 1,
                "superseded": 0,
                "amend_reason": "",
                "taken_on": "2026-01-05",
                "taken_at": "2026-01-05T09:40:00+00:00",
                "taken_by": "Dr Amara Okafor",
                "rule_table_version": "2026.1",
            }
        ],
        "screening_answers": [{"screening_id": 3, "item_id": "blood_disorder", "value": "yes"}],
        "screening_verdicts": [
            {"screening_id": 3, "treatment_id": "prp", "verdict": "review", "until": None}
        ],
        "screening_signoffs": [],
        "screening_overrides": [],
        "consents": [
            {
                "id": 1,
                "screening_id": 3,
                "consent_text_id": 1,
                "signed_name": "Zoë Ñúñez-Łukasz",
                "signed_on": "2026-01-05",
                "signature_png": PNG,
                "recorded_by": "Dr Amara Okafor",
                "recorded_at": "2026-01-05T09:45:00+00:00",
            }
        ],
        "consent_texts": [{"id": 1, "version": 1, "text": CONSENT}],
        "courses": [],
        "sessions": [
            {
                "id": 11,
                "patient_id": 7,
                "status": "current",
                "status_reason": "",
                "version": 1,
                "performed_at": "2026-01-06T10:00:00+00:00",
                "practitioner": "Dr Amara Okafor",
                "treatment": "exosome_face",
                "areas": "face,neck",
                "indication": "rejuvenation",
                "delivery": "topical_microneedling",
                "needle_depth_mm": 0.75,
                "anaesthetic": "Lidocaine 5% cream",
                "anaesthetic_minutes": 25,
                "reactions": "redness",
                "aftercare_issued": 1,
                "notes": "Went well.",
                "prp": None,
                "regulatory_confirmations": '["fact-1"]',
                "recorded_at": "2026-01-06T10:30:00+00:00",
                "recorded_by": "Dr Amara Okafor",
            }
        ],
        "session_products": [{"session_id": 11, "position": 0, "lot_id": 4, "volume_ml": 2.5}],
        "lots": [
            {
                "id": 4,
                "product_id": 2,
                "lot_number": "VC-2411",
                "expiry": "2027-09-28",
                "lab_reports": "purity,sterility",
            }
        ],
        "products": [{"id": 2, "name": "VerdeCell", "manufacturer": "Botanica", "kind": "exosome"}],
        "adverse_events": [
            {
                "id": 5,
                "session_id": 11,
                "type": "bruising",
                "onset_date": "2026-01-07",
                "severity": "mild",
                "description": "Pinpoint bruising along the jawline.",
                "outcome": "resolved",
                "resolution_date": "2026-01-12",
                "recorded_by": "Dr Amara Okafor",
                "recorded_at": "2026-01-08T11:00:00+00:00",
            }
        ],
        "documents_issued": [
            {
                "id": 9,
                "kind": "aftercare",
                "template": "exosome_face",
                "how": "printed",
                "issued_at": "2026-01-06T10:40:00+00:00",
                "issued_by": "Dr Amara Okafor",
            }
        ],
        "audit_log": [
            {
                "id": 20,
                "at": "2026-01-05T09:30:00+00:00",
                "actor_name": "Priya Shah",
                "action": "update",
                "table_name": "patients",
                "summary": "Corrected ÑÚÑEZ-ŁUKASZ, Zoë",
                "before": '{"phone": "1"}',
                "after": '{"phone": "2"}',
            }
        ],
    }
    tables.update(changes.pop("tables", {}))
    assert not changes
    tables = {t: tables[t] for t in [*TABLES, *tables] if t in tables}  # in export order
    return PatientExport(
        patient_id=7,
        patient_name=f"{patient['given_names']} {patient['family_name']}",
        generated_at=datetime(2026, 11, 22, 10, 0, tzinfo=UTC),
        clinic_name=CLINIC.name,
        tables={table: [decode_row(table, row) for row in rows] for table, rows in tables.items()},
    )


def _report(export: PatientExport | None = None) -> SubjectAccessReport:
    return build_report(
        export or _export(),
        clinic=CLINIC,
        printed_on=date(2026, 11, 22),
        json_name="7-Zoë-Ñúñez-Łukasz-2026-11-22.json",
        rules=bundled_rules(),
        regulatory={"fact-1": "No exosome product is approved for this use."},
    )


def _items(report: SubjectAccessReport, section: str) -> dict[str, str]:
    [found] = [s for s in report.sections if s.title == section]
    return {item.label: item.value for card in found.cards for item in card.items}


def _content(pdf: bytes) -> str:
    return " ".join(_PAGE_CHROME.sub("", page) for page in page_texts(pdf))


# ---- the data ----------------------------------------------------------------------------
def test_sections_in_plain_words_in_order() -> None:
    report = _report()
    assert report.headings == (
        "Your details",
        "Your allergies",
        "Screenings",
        "Consents you signed",
        "Treatment courses",
        "Treatment sessions",
        "Products and lots used",
        "Reactions and complications",
        "Handouts given to you",
        "Who looked at or changed your record",
    )
    counts = {s.title: s.count for s in report.sections}
    assert counts["Treatment sessions"] == 1 and counts["Treatment courses"] == 0
    assert report.patient_number == "7" and report.date_of_birth == "3 Apr 1985"
    assert any("machine-readable" in line and report.json_name in line for line in report.intro())


def test_ids_print_as_words() -> None:
    report = _report()
    details = _items(report, "Your details")
    assert details["Sex"] == "Female"
    assert details["Date of birth"] == "3 Apr 1985"
    assert "Priya Shah" in details["Record created"]
    screening = _items(report, "Screenings")
    question = bundled_rules().item("blood_disorder").question
    assert screening[question] == "Yes"
    review = bundled_rules().verdict_label("review")
    assert screening[f"Outcome: {bundled_rules().treatment_label('prp')}"] == review
    session = _items(report, "Treatment sessions")
    assert session["Areas"] == "Face, Neck"
    assert session["Products used"] == "VerdeCell, lot VC-2411, 2.5 ml"
    assert session["Needle depth"] == "0.75 mm"
    assert session["Regulatory facts confirmed"] == "• No exosome product is approved for this use."
    lots = _items(report, "Products and lots used")
    assert lots["Lab reports held"] == "Purity, Sterility"
    event = _items(report, "Reactions and complications")
    assert event["Outcome"] == "Resolved" and event["Resolved on"] == "12 Jan 2026"
    [audit] = [s for s in report.sections if s.title.startswith("Who looked")]
    assert audit.table is not None
    [row] = audit.table.rows
    assert row[1:3] == ("Priya Shah", "Changed: your details")
    assert "changed: phone" in row[3]


def test_consent_wording_is_printed_once_and_reflowed() -> None:
    report = _report()
    [section] = [s for s in report.sections if s.title == "Consents you signed"]
    assert section.count == 1
    signed, wording = section.cards
    assert signed.image == PNG
    assert wording.title == "Wording of consent form version 1"
    assert wording.items[0].value == (
        "Consent to treatment\n\nI have answered the health questions honestly and as fully "
        "as I can. I will tell the clinic if anything changes.\n- a new medicine\n- an infection"
    )


def test_nothing_recorded_and_other_tables() -> None:
    empty = {table: [] for table in TABLES if table != "patients"}
    # A table this version does not describe (a later version's), e.g. body scans.
    extra = {"body_scans": [{"id": 1, "patient_id": 7, "caption": "Before treatment"}]}
    report = _report(_export(tables={**empty, **extra}))
    assert all(s.count == 0 for s in report.sections[1:-1])
    assert report.sections[-1].title == "Other records: body scans"
    pdf = pdf_text(render_subject_access(report))
    assert pdf.count(NOTHING) == len(report.sections) - 2  # all but details and scans
    assert "Before treatment" in pdf


def test_reflow_keeps_paragraphs_and_lists() -> None:
    assert reflow("one\ntwo\n\nthree\n1. four\n• five\nsix") == (
        "one two\n\nthree\n1. four\n• five six"
    )


@given(st.text(alphabet=st.sampled_from("ab c\n"), max_size=3000))
def test_chunks_keep_every_character_in_order(text: str) -> None:
    pieces = chunks(text, 100)
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")
    assert all(len(piece.lstrip("\n")) <= 100 for piece in pieces)


# ---- the PDF -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("family", "given"),
    [("Ñúñez-Łukasz", "Zoë"), ("王", "小明"), ("김", "민준"), ("Öztürk", "Şükrü")],
)
def test_names_with_accents_and_cjk_print(family: str, given: str) -> None:
    report = _report(_export(patient={"family_name": family, "given_names": given}))
    assert report_missing_glyphs(report) == ()
    pdf = render_subject_access(report)
    text = "".join(pdf_text(pdf).split())
    assert f"{given}{family}" in text
    if family in ("王", "김"):
        assert {base_name(f) for f in fonts_drawing(pdf, family)} == {"DroidSansFallback"}


def test_a_ten_thousand_character_note_wraps_across_pages() -> None:
    words = ("Pigmentation check at every visit; photos kept in the clinic file. " * 200)[:10_000]
    unbroken = "x" * 10_000
    for note in (words, unbroken):
        report = _report(_export(patient={"notes": note}))
        pdf = render_subject_access(report)
        pages = page_texts(pdf)
        assert len(pages) >= 3
        content = "".join(_content(pdf).split())
        assert "".join(note.split()) in content
        assert max(len(piece) for piece in chunks(note)) <= CHUNK_CHARS


def test_the_same_report_gives_the_same_bytes() -> None:
    assert render_subject_access(_report()) == render_subject_access(_report())


def test_the_cover_says_what_the_files_are() -> None:
    pdf = pdf_text(render_subject_access(_report()))
    assert pdf.startswith("Riverside Skin Clinic")
    for text in (
        "Everything we hold about you",
        "Zoë Ñúñez-Łukasz",
        "Patient no.",
        "7-Zoë-Ñúñez-Łukasz-2026-11-22.json",
        "machine-readable",
        "What is in this document",
        "Page 1 of",
    ):
        assert text in pdf, text


def test_allergies_print_in_every_version_and_the_override_on_the_session() -> None:
    conflict = "Lidocaine 5% cream contains lidocaine: the patient is allergic to Lidocaine."
    session = {**_export().rows("sessions")[0]}
    session.update(
        allergy_conflicts=f'["{conflict}"]', allergy_override_reason="Allergist's letter seen"
    )
    allergy = {
        "id": 1,
        "patient_id": 7,
        "substance": "Lidocaine",
        "severity": "anaphylaxis",
        "reaction": "Throat swelled",
        "source": "migration",
        "note": "From the alert “Allergy: lidocaine”.",
        "recorded_at": "2026-01-05T09:30:00+00:00",
        "recorded_by": None,
        "version": 1,
    }
    export = _export(
        tables={
            "sessions": [session],
            "patient_allergies": [
                {**allergy, "status": "amended"},
                {**allergy, "id": 2, "version": 2, "status": "current", "amend_reason": "Fixed"},
                {
                    **allergy,
                    "id": 3,
                    "substance": "Egg",
                    "status": "entered_in_error",
                    "status_reason": "Wrong patient",
                    "severity": "mild",
                    "source": "staff",
                    "recorded_by": "Priya Shah",
                },
            ],
            "no_known_allergies": [
                {
                    "id": 1,
                    "patient_id": 7,
                    "recorded_at": "2025-12-01T09:00:00+00:00",
                    "recorded_by": "Priya Shah",
                    "source": "staff",
                }
            ],
        }
    )
    report = _report(export)
    [section] = [s for s in report.sections if s.title == "Your allergies"]
    assert section.count == 4
    first, second, egg, none = section.cards
    assert first.title == "Allergy: Lidocaine"
    items = {i.label: i.value for i in first.items}
    assert items["Severity"] == "Anaphylaxis"
    assert items["Status"] == "Replaced by a corrected version"
    assert items["How it was recorded"] == "From the patient's alert (migration)"
    assert {i.label: i.value for i in second.items}["Corrects the earlier version"] == "Fixed"
    egg_items = {i.label: i.value for i in egg.items}
    assert egg_items["Status"].endswith("no longer on your list): Wrong patient")
    assert none.title == "No known allergies"
    session_items = _items(report, "Treatment sessions")
    assert session_items["Allergy it went ahead despite"] == conflict
    assert session_items["Why it went ahead despite the allergy"] == "Allergist's letter seen"
    text = pdf_text(render_subject_access(report))
    assert "Your allergies" in text and "Allergist's letter seen" in text
