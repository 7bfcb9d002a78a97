"""ContentService: the report lists the wording in use (clinic edits included), a review is stored,
audited and refused for reception, and a review of an older version no longer counts."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest

from exodesk.domain import content as c
from exodesk.domain.staff import StaffMember
from exodesk.services.comparison import ClinicComparisonTexts
from exodesk.services.context import PermissionRefused
from exodesk.services.workspace import Services
from tests.reports.pdftools import page_texts, pdf_text


def _audit(services: Services, action: str) -> list[tuple[str, str]]:
    return list(
        services.ctx.db.execute(
            "SELECT actor_name, summary FROM audit_log WHERE action = ? ORDER BY id", [action]
        )
    )


def test_the_bundled_content_is_sourced_or_marked(services: Services) -> None:
    report = services.content.report()
    assert not report.clinic_edits
    assert report.version.startswith("rules 2026.2 · aftercare 2026.2 · comparison 2026.4 · ")
    assert " · regulatory 2026.2 · consent v1 · " in report.version
    assert report.count(status=c.CLINIC) == 0
    assert report.count(status=c.ESTIMATE) > 0
    assert set(report.source_titles) == {
        "000",
        "001",
        "002",
        "003",
        "004",
        "100",
        "101",
        "102",
        "103",
    }
    assert report.review is None
    assert report.review_status().startswith("Not reviewed: the wording in use (version rules")


def test_a_clinic_edited_aftercare_wording_shows_as_its_own_and_makes_a_new_version(
    services: Services,
) -> None:
    before = services.content.report()
    template = services.aftercare.wording("exosome_face").template
    call_us = template.section("call_us")
    edited = replace(
        template,
        sections=tuple(
            replace(s, bullets=(*s.bullets[:-1], "A rash, or strong itching"))
            if s is call_us
            else s
            for s in template.sections
        ),
    )
    assert services.aftercare.save_wording(edited).ok
    after = services.content.report()
    assert after.clinic_edits
    assert after.version != before.version
    assert "aftercare 2026.2 + clinic wording (exosome_face clinic v1)" in after.version
    entry = next(e for e in after.entries if e.text == "A rash, or strong itching")
    assert entry.status == c.CLINIC and entry.part == c.AFTERCARE
    assert "Call us if" in entry.where


def test_comparison_texts_and_consent_edits_are_the_clinics_own(services: Services) -> None:
    texts = ClinicComparisonTexts({"prp": {"downtime": "Back to work the same day."}}, {}, {})
    assert services.comparison.save_clinic_texts(texts).ok
    assert services.screening.save_consent_text("I agree to the treatment.").ok
    report = services.content.report()
    by_text = {e.text: e for e in report.entries}
    assert by_text["Back to work the same day."].status == c.CLINIC
    assert by_text["I agree to the treatment."].status == c.CLINIC
    assert [e.text for e in report.in_part(c.CONSENT)] == ["I agree to the treatment."]
    assert "consent v2 (clinic's own)" in report.version


def test_recording_a_review_is_stored_and_audited(services: Services) -> None:
    version = services.content.report().version
    result = services.content.record_review("  Dr Amara  Okafor ", date(2026, 11, 20))
    assert result.ok, result.problems
    assert result.record == c.ContentReview(
        version, "Dr Amara Okafor", date(2026, 11, 20), recorded_by="Ada Admin"
    )
    report = services.content.report()
    assert report.review == result.record
    assert report.review_status() == "Reviewed by Dr Amara Okafor on 20 Nov 2026"
    ((actor, summary),) = [
        row for row in _audit(services, "update") if "Clinical content" in row[1]
    ]
    assert actor == "Ada Admin"
    assert (
        summary
        == f"Clinical content: Reviewed by Dr Amara Okafor on 20 Nov 2026 (version {version})"
    )
    stored = services.ctx.db.execute(
        "SELECT value FROM settings WHERE key = 'content.reviews'"
    ).fetchone()[0]
    assert json.loads(stored)[0]["version"] == version


def test_a_review_needs_a_name_and_a_day_not_in_the_future(services: Services) -> None:
    future = services.ctx.today() + timedelta(days=1)
    result = services.content.record_review(" ", future)
    assert {p.field for p in result.problems} == {"reviewer", "reviewed_on"}
    assert services.content.reviews() == []


def test_reception_may_not_record_a_review_and_the_refusal_is_audited(services: Services) -> None:
    priya = services.clinic.save_staff(StaffMember("Priya Shah", "reception")).record
    services.desk.user = priya
    with pytest.raises(PermissionRefused):
        services.content.record_review("Priya Shah", date(2026, 11, 20))
    assert services.content.reviews() == []
    assert _audit(services, "refused")[-1][0] == "Priya Shah"


def test_a_review_of_an_older_version_no_longer_counts(services: Services) -> None:
    assert services.content.record_review("Dr X", date(2026, 11, 21)).ok
    assert services.content.report().review is not None
    texts = ClinicComparisonTexts({}, {"prp": "We use our own centrifuge."}, {})
    assert services.comparison.save_clinic_texts(texts).ok
    report = services.content.report()
    assert report.review is None
    assert [r.reviewer for r in report.earlier_reviews] == ["Dr X"]
    assert report.review_status().startswith("Not reviewed: the wording in use")
    # Going back to the reviewed wording brings its review back: it is the same version.
    assert services.comparison.restore_defaults().ok
    assert services.content.report().review is not None


def test_the_pdf_lists_every_sentence_and_shows_the_review_on_its_first_page(
    services: Services,
) -> None:
    report = services.content.report()
    pdf = services.content.pdf(report)
    first = page_texts(pdf)[0]
    assert "Clinical content for review" in first
    assert "Not reviewed" in first and "has no review yet" in first
    text = pdf_text(pdf)
    missing = [e.text for e in report.entries if " ".join(e.text.split()) not in text]
    assert missing == []
    for entry in report.entries:
        if entry.status == c.ESTIMATE:
            assert f"ESTIMATE. Basis: {' '.join(entry.basis.split())}" in text
    assert "Seed 003: Supplier page: exosome hair therapy side effects" in first

    assert services.content.record_review("Dr X", date(2026, 11, 21)).ok
    reviewed = page_texts(services.content.pdf())[0]
    assert "Reviewed by Dr X on 21 Nov 2026" in reviewed
    assert "Not reviewed" not in reviewed
