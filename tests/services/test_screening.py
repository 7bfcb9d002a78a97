"""Screening services on a real file: save, amend, sign-off, override, consent, and the gate."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from exodesk.domain.patient import Patient
from exodesk.domain.staff import StaffMember
from exodesk.errors import UserError
from exodesk.services.context import PermissionRefused
from exodesk.services.workspace import Services

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # stands in for a drawn signature


@pytest.fixture
def patient_id(services: Services) -> int:
    return services.patients.create(Patient("Smith", "Olivia", date(1985, 4, 3))).record.id


@pytest.fixture
def practitioner(services: Services) -> StaffMember:
    return services.clinic.save_staff(StaffMember("Dr Amara Okafor", "practitioner")).record


def _as(services: Services, member: StaffMember) -> None:
    services.clinic.sign_in(member.id)


def _rows(services: Services, sql: str, *args: object) -> list[tuple]:
    return services.ctx.db.execute(sql, list(args)).fetchall()


def test_retinoid_three_days_ago_defers_the_facial_only(
    services: Services, patient_id: int
) -> None:
    today = services.ctx.today()
    result = services.screening.save(patient_id, {"retinoid_last_use": today - timedelta(days=3)})
    assert result.ok
    record = result.record
    assert record.result.verdict_for("exosome_face") == "defer"
    assert record.result.for_treatment("exosome_face").until == today + timedelta(days=4)
    assert record.result.verdict_for("exosome_scalp") == "proceed"
    # every answer its own queryable row; verdicts queryable too
    assert _rows(
        services, "SELECT item_id, value FROM screening_answers WHERE screening_id=?", record.id
    ) == [("retinoid_last_use", (today - timedelta(days=3)).isoformat())]
    assert ("exosome_face", "defer") in _rows(
        services,
        "SELECT treatment_id, verdict FROM screening_verdicts WHERE screening_id=?",
        record.id,
    )
    assert record.taken_by == "Ada Admin"
    assert record.rule_table_version == "2026.1"


def test_bad_answers_are_problems_and_nothing_is_saved(services: Services, patient_id: int) -> None:
    today = services.ctx.today()
    result = services.screening.save(
        patient_id,
        {
            "laser_last": today + timedelta(days=1),
            "peel_last": date(1980, 1, 1),
            "medications": "x" * 5000,
        },
    )
    assert not result.ok
    assert {p.field for p in result.problems} == {"laser_last", "peel_last", "medications"}
    assert _rows(services, "SELECT count(*) FROM screenings") == [(0,)]


def test_infection_area_without_infection_is_dropped(services: Services, patient_id: int) -> None:
    record = services.screening.save(patient_id, {"active_infection_area": "face"}).record
    assert "active_infection_area" not in record.answers
    assert record.result.verdict_for("exosome_face") == "proceed"


def test_amend_keeps_the_earlier_version(services: Services, patient_id: int, clock) -> None:
    first = services.screening.save(patient_id, {"anticoagulants": True}).record
    clock.advance(minutes=5)
    refused = services.screening.amend(first.id, {}, "  ")
    assert [p.field for p in refused.problems] == ["reason"]
    second = services.screening.amend(first.id, {}, "Patient stopped warfarin last year").record
    assert second.version == 2 and second.series_id == first.id
    assert services.screening.current(patient_id).id == second.id
    old = services.screening.get(first.id)
    assert old.superseded and old.answers == {"anticoagulants": True}
    history = services.screening.history(patient_id)
    assert [(h.version, h.superseded) for h in history] == [(2, False), (1, True)]
    with pytest.raises(UserError, match="already amended"):
        services.screening.amend(first.id, {}, "again")


def test_signoff_needs_a_practitioner_and_a_review(
    services: Services, patient_id: int, practitioner: StaffMember
) -> None:
    record = services.screening.save(patient_id, {"blood_disorder": True}).record
    assert record.result.verdict_for("prp") == "review"
    _as(services, services.clinic.save_staff(StaffMember("Priya Shah", "reception")).record)
    with pytest.raises(PermissionRefused, match="may not sign off screenings"):
        services.screening.sign_off(record.id, "prp", "cleared", "")
    _as(services, practitioner)
    with pytest.raises(UserError, match="review"):
        services.screening.sign_off(
            services.screening.save(patient_id, {}).record.id, "prp", "cleared", ""
        )
    record = services.screening.save(patient_id, {"blood_disorder": True}).record
    assert not services.screening.sign_off(record.id, "prp", "not_cleared", "").ok
    done = services.screening.sign_off(record.id, "prp", "cleared", "Haematologist letter seen")
    signoff = done.record.signoff_for("prp")
    assert (signoff.decision, signoff.by_name) == ("cleared", "Dr Amara Okafor")


def test_override_of_a_deferral_is_recorded(
    services: Services, patient_id: int, practitioner: StaffMember
) -> None:
    record = services.screening.save(
        patient_id, {"peel_last": services.ctx.today() - timedelta(days=2)}
    ).record
    _as(services, practitioner)
    assert not services.screening.override(record.id, "exosome_face", "").ok
    with pytest.raises(UserError, match="deferred or declined"):
        services.screening.override(record.id, "exosome_scalp", "why not")
    done = services.screening.override(
        record.id, "exosome_face", "Light enzyme peel only, skin checked"
    )
    override = done.record.override_for("exosome_face")
    assert (override.verdict, override.by_name) == ("defer", "Dr Amara Okafor")
    audit = _rows(services, "SELECT action, actor_name FROM audit_log WHERE action='override'")
    assert audit == [("override", "Dr Amara Okafor")]


def test_consent_is_attached_with_the_text_version(services: Services, patient_id: int) -> None:
    record = services.screening.save(patient_id, {}).record
    assert not services.screening.record_consent(record.id, "Olivia Smith", b"").ok
    assert not services.screening.record_consent(record.id, "  ", PNG).ok
    done = services.screening.record_consent(record.id, "Olivia Smith", PNG).record
    assert done.consent.signed_name == "Olivia Smith"
    assert done.consent.text_version == 1
    assert done.consent.signature_png == PNG
    version, text = services.screening.consent_text()
    assert version == 1 and "Consent to treatment" in text
    assert services.screening.save_consent_text("New wording").record == 2
    assert services.screening.consent_text() == (2, "New wording")
    # the earlier signature keeps the version it was signed under
    assert services.screening.get(record.id).consent.text_version == 1


@pytest.mark.parametrize(
    ("answers", "treatment", "allowed", "words"),
    [
        ({}, "exosome_face", True, None),
        ({"anticoagulants": True}, "prp", True, None),
        ({"blood_disorder": True}, "prp", False, "sign-off"),
        ({"pregnant": True}, "exosome_face", False, "deferred until after pregnancy"),
    ],
)
def test_the_gate_per_verdict(
    services: Services,
    patient_id: int,
    answers: dict,
    treatment: str,
    allowed: bool,
    words: str | None,
) -> None:
    record = services.screening.save(patient_id, answers).record
    services.screening.record_consent(record.id, "Olivia Smith", PNG)
    gate = services.screening.clearance(patient_id, treatment)
    assert gate.allowed is allowed
    if words:
        assert any(words in p for p in gate.problems), gate.problems


def test_the_gate_needs_consent_a_fresh_screening_and_a_cleared_review(
    services: Services,
    patient_id: int,
    practitioner: StaffMember,
    clock,
) -> None:
    assert "no intake screening" in services.screening.clearance(patient_id, "prp").problems[0]
    record = services.screening.save(patient_id, {"blood_disorder": True}).record
    gate = services.screening.clearance(patient_id, "prp")
    assert any("consent" in p for p in gate.problems)
    assert any("sign-off" in p for p in gate.problems)
    services.screening.record_consent(record.id, "Olivia Smith", PNG)
    _as(services, practitioner)
    services.screening.sign_off(record.id, "prp", "cleared", "")
    assert services.screening.clearance(patient_id, "prp").allowed
    clock.advance(days=29)
    assert services.screening.clearance(patient_id, "prp").allowed
    clock.advance(days=1)
    lapsed = services.screening.clearance(patient_id, "prp")
    assert not lapsed.allowed and "lapsed" in lapsed.problems[0]


def test_an_override_opens_the_gate_and_says_so(
    services: Services, patient_id: int, practitioner: StaffMember
) -> None:
    record = services.screening.save(patient_id, {"keloid_history": True}).record
    services.screening.record_consent(record.id, "Olivia Smith", PNG)
    _as(services, practitioner)
    services.screening.sign_off(record.id, "microneedling", "not_cleared", "Keloid on chest")
    assert not services.screening.clearance(patient_id, "microneedling").allowed
    services.screening.override(record.id, "microneedling", "Dermatologist agreed face only")
    gate = services.screening.clearance(patient_id, "microneedling")
    assert gate.allowed and gate.overridden


def test_clinic_can_tighten_rules_and_screenings_record_it(
    services: Services, patient_id: int
) -> None:
    refused = services.screening.set_rule_overrides({"cancer_history": {"outcome": "precautions"}})
    assert not refused.ok
    ok = services.screening.set_rule_overrides({"cancer_history": {"outcome": "decline"}})
    assert ok.ok
    record = services.screening.save(patient_id, {"cancer_history": True}).record
    assert record.result.verdict_for("exosome_face") == "decline"
    assert record.rule_table_version.startswith("2026.1+clinic.")
