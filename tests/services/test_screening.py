"""Screening services on a real file: save, amend, sign-off, override, consent, and the gate."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from exodesk.domain.intake import may_override, may_sign_off
from exodesk.domain.patient import Patient
from exodesk.domain.screening import RuleTable, unanswered
from exodesk.domain.screening_vocabulary import (
    UNANSWERED_FIELD,
    not_recorded_text,
    override_words,
    signoff_words,
    unanswered_text,
)
from exodesk.domain.staff import StaffMember
from exodesk.errors import UserError
from exodesk.services.context import PermissionRefused
from exodesk.services.demo import seat
from exodesk.services.workspace import Services
from tests.answers import answered
from tests.reports.pdftools import pdf_text

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # stands in for a drawn signature


@pytest.fixture
def patient_id(services: Services) -> int:
    return services.patients.create(Patient("Smith", "Olivia", date(1985, 4, 3))).record.id


@pytest.fixture
def practitioner(services: Services) -> StaffMember:
    return services.clinic.save_staff(StaffMember("Dr Amara Okafor", "practitioner")).record


def _as(services: Services, member: StaffMember) -> None:
    seat(services, member.id)


def _rows(services: Services, sql: str, *args: object) -> list[tuple]:
    return services.ctx.db.execute(sql, list(args)).fetchall()


def test_retinoid_three_days_ago_defers_the_facial_only(
    services: Services, patient_id: int
) -> None:
    today = services.ctx.today()
    result = services.screening.save(
        patient_id, answered({"retinoid_last_use": today - timedelta(days=3)})
    )
    assert result.ok
    record = result.record
    assert record.result.verdict_for("exosome_face") == "defer"
    assert record.result.for_treatment("exosome_face").until == today + timedelta(days=4)
    assert record.result.verdict_for("exosome_scalp") == "proceed"
    # every answer its own queryable row, the explicit no and never too; verdicts queryable too
    stored = dict(
        _rows(
            services,
            "SELECT item_id, value FROM screening_answers WHERE screening_id=?",
            record.id,
        )
    )
    assert stored["retinoid_last_use"] == (today - timedelta(days=3)).isoformat()
    assert (stored["pregnant"], stored["laser_last"], stored["autoimmune"]) == (
        "no",
        "never",
        "none",
    )
    assert stored["bleeding_supplements"] == "none"
    assert "medications" not in stored, "free text left empty is no answer"
    assert ("exosome_face", "defer") in _rows(
        services,
        "SELECT treatment_id, verdict FROM screening_verdicts WHERE screening_id=?",
        record.id,
    )
    assert record.taken_by == "Ada Admin"
    assert record.rule_table_version == "2026.2"


def test_bad_answers_are_problems_and_nothing_is_saved(services: Services, patient_id: int) -> None:
    today = services.ctx.today()
    result = services.screening.save(
        patient_id,
        answered(
            {
                "laser_last": today + timedelta(days=1),
                "peel_last": date(1980, 1, 1),
                "medications": "x" * 5000,
            }
        ),
    )
    assert not result.ok
    assert {p.field for p in result.problems} == {"laser_last", "peel_last", "medications"}
    assert _rows(services, "SELECT count(*) FROM screenings") == [(0,)]


def test_infection_area_without_infection_is_dropped(services: Services, patient_id: int) -> None:
    record = services.screening.save(patient_id, answered({"active_infection_area": "face"})).record
    assert "active_infection_area" not in record.answers
    assert record.result.verdict_for("exosome_face") == "proceed"


def test_amend_keeps_the_earlier_version(services: Services, patient_id: int, clock) -> None:
    first = services.screening.save(patient_id, answered({"anticoagulants": True})).record
    clock.advance(minutes=5)
    refused = services.screening.amend(first.id, answered(), "  ")
    assert [p.field for p in refused.problems] == ["reason"]
    second = services.screening.amend(
        first.id, answered(), "Patient stopped warfarin last year"
    ).record
    assert second.version == 2 and second.series_id == first.id
    assert services.screening.current(patient_id).id == second.id
    old = services.screening.get(first.id)
    assert old.superseded and old.answers == answered({"anticoagulants": True})
    history = services.screening.history(patient_id)
    assert [(h.version, h.superseded) for h in history] == [(2, False), (1, True)]
    with pytest.raises(UserError, match="already amended"):
        services.screening.amend(first.id, answered(), "again")


def test_signoff_needs_a_practitioner_and_a_review(
    services: Services, patient_id: int, practitioner: StaffMember
) -> None:
    record = services.screening.save(patient_id, answered({"blood_disorder": True})).record
    assert record.result.verdict_for("prp") == "review"
    _as(services, services.clinic.save_staff(StaffMember("Priya Shah", "reception")).record)
    with pytest.raises(PermissionRefused, match="may not sign off screenings"):
        services.screening.sign_off(record.id, "prp", "cleared", "")
    _as(services, practitioner)
    with pytest.raises(UserError, match="review"):
        services.screening.sign_off(
            services.screening.save(patient_id, answered()).record.id, "prp", "cleared", ""
        )
    record = services.screening.save(patient_id, answered({"blood_disorder": True})).record
    assert not services.screening.sign_off(record.id, "prp", "not_cleared", "").ok
    done = services.screening.sign_off(record.id, "prp", "cleared", "Haematologist letter seen")
    signoff = done.record.signoff_for("prp")
    assert (signoff.decision, signoff.by_name) == ("cleared", "Dr Amara Okafor")


def test_override_of_a_deferral_is_recorded(
    services: Services, patient_id: int, practitioner: StaffMember
) -> None:
    record = services.screening.save(
        patient_id, answered({"peel_last": services.ctx.today() - timedelta(days=2)})
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
    record = services.screening.save(patient_id, answered()).record
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


def test_the_summary_prints_the_words_of_the_consent_version_signed(
    services: Services, patient_id: int
) -> None:
    first = services.screening.save(patient_id, answered()).record
    services.screening.record_consent(first.id, "Olivia Smith", PNG)
    assert services.screening.save_consent_text("New wording.\n\nSecond paragraph.").ok
    second = services.screening.save(patient_id, answered()).record
    services.screening.record_consent(second.id, "Olivia Smith", PNG)
    unsigned = services.screening.save(patient_id, answered()).record
    # Signed under version 1 (the bundled text), then under the clinic's version 2.
    old = services.screening.summary(first.id)
    assert old.consent_text is not None and "Consent to treatment" in old.consent_text
    assert services.screening.summary(second.id).consent_text == (
        "New wording.\n\nSecond paragraph."
    )
    assert services.screening.summary(unsigned.id).consent_text is None


@pytest.mark.parametrize(
    ("answers", "treatment", "allowed", "words"),
    [
        ({}, "exosome_face", True, None),
        ({"anticoagulants": True}, "prp", True, None),
        ({"blood_disorder": True}, "prp", False, "sign-off"),
        ({"pregnant": True}, "exosome_face", False, "deferred until you are no longer pregnant"),
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
    record = services.screening.save(patient_id, answered(answers)).record
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
    record = services.screening.save(patient_id, answered({"blood_disorder": True})).record
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
    record = services.screening.save(patient_id, answered({"keloid_history": True})).record
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
    record = services.screening.save(patient_id, answered({"cancer_history": True})).record
    assert record.result.verdict_for("exosome_face") == "decline"
    assert record.rule_table_version.startswith("2026.2+clinic.")


# ---- rules decided once ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("infection", "kept"),
    [(None, False), (False, False), (True, True)],
)
def test_a_follow_up_is_stored_only_when_its_question_counts(
    services: Services, patient_id: int, infection: bool | None, kept: bool
) -> None:
    answers = {"active_infection": infection, "active_infection_area": "face"}
    record = services.screening.save(patient_id, answered(answers)).record
    assert ("active_infection_area" in record.answers) is kept
    effective = services.screening.rules().effective_answers(answers)
    assert ("active_infection_area" in effective) is kept


def _decide(services: Services, decide: str, screening_id: int, treatment: str) -> Any:
    if decide == "sign_off":
        return services.screening.sign_off(screening_id, treatment, "cleared", "")
    return services.screening.override(screening_id, treatment, "Letter seen")


@pytest.mark.parametrize(
    "answer_set",
    ["reviews_and_deferrals", "plain_review_and_plain_deferral", "review_under_a_deferral"],
)
@pytest.mark.parametrize("first_signoff", [None, "cleared", "not_cleared"])
def test_the_service_records_exactly_the_decisions_the_domain_opens(
    services: Services,
    patient_id: int,
    practitioner: StaffMember,
    first_signoff: str | None,
    answer_set: str,
) -> None:
    """Every treatment, every verdict: a sign-off or override is accepted exactly when
    domain.intake says it may be (which is also what the tab offers)."""
    today = services.ctx.today()
    answers = {
        "reviews_and_deferrals": {
            "blood_disorder": True,
            "keloid_history": True,
            "peel_last": today,
        },
        # Exosome treatments deferred with nothing to review; PRP and microneedling reviewed.
        "plain_review_and_plain_deferral": {"pregnant": True},
        # PRP and microneedling deferred by the peel, with pregnancy's review under it.
        "review_under_a_deferral": {"pregnant": True, "peel_last": today},
    }[answer_set]
    _as(services, practitioner)
    screening = services.screening
    seen: set[tuple[str, bool, bool]] = set()
    for treatment in screening.rules().treatment_ids:
        for decide in ("sign_off", "override"):
            record = screening.save(patient_id, answered(answers)).record
            if first_signoff and may_sign_off(record, treatment):
                record = screening.sign_off(record.id, treatment, first_signoff, "why").record
            allowed = (may_sign_off if decide == "sign_off" else may_override)(record, treatment)
            seen.add((record.result.verdict_for(treatment), decide == "sign_off", allowed))
            if allowed:
                assert _decide(services, decide, record.id, treatment).ok, (treatment, decide)
            else:
                with pytest.raises(UserError):
                    _decide(services, decide, record.id, treatment)
    # Both answers happen, so neither branch above is vacuous (with every deferral carrying a
    # review under it and a "not cleared" sign-off first, every decision is open).
    everything_open = answer_set == "reviews_and_deferrals" and first_signoff == "not_cleared"
    expected = {True} if everything_open else {True, False}
    assert {allowed for *_, allowed in seen} == expected


def test_the_summary_says_decisions_in_the_cards_words(
    services: Services, patient_id: int, practitioner: StaffMember
) -> None:
    record = services.screening.save(
        patient_id, answered({"blood_disorder": True, "peel_last": services.ctx.today()})
    ).record
    _as(services, practitioner)
    services.screening.sign_off(record.id, "exosome_scalp", "not_cleared", "Keloid")
    services.screening.override(record.id, "exosome_face", "Enzyme peel only")
    record = services.screening.get(record.id)
    table = services.screening.rules()
    summary = services.screening.summary(record.id)
    assert summary.signoffs == (
        f"Exosome scalp treatment: {signoff_words(record.signoffs[0]).sentence}",
    )
    assert summary.overrides == (
        f"Exosome facial: {override_words(record.overrides[0], table).sentence}",
    )
    assert "“Not yet” overridden by Dr Amara Okafor" in summary.overrides[0]
    assert "Not cleared by Dr Amara Okafor" in summary.signoffs[0]


@pytest.fixture
def tightenings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts RuleTable.tightened calls (one list entry each)."""
    calls: list[int] = []
    original = RuleTable.tightened

    def counted(self: RuleTable, overrides: Any) -> RuleTable:
        calls.append(1)
        return original(self, overrides)

    monkeypatch.setattr(RuleTable, "tightened", counted)
    return calls


def test_the_tightened_table_is_built_once_until_the_settings_change(
    services: Services, patient_id: int, practitioner: StaffMember, tightenings: list[int]
) -> None:
    screening = services.screening
    assert screening.set_rule_overrides({"cancer_history": {"outcome": "decline"}}).ok
    tightenings.clear()
    record = screening.save(
        patient_id, answered({"blood_disorder": True, "cancer_history": True})
    ).record
    record = screening.amend(
        record.id, answered({"blood_disorder": True}), "No cancer after all"
    ).record
    _as(services, practitioner)
    screening.sign_off(record.id, "prp", "not_cleared", "No")
    screening.override(record.id, "prp", "Haematologist agrees")
    screening.clearance(patient_id, "prp")
    screening.summary(record.id)
    assert len(tightenings) == 1, "built once, at the first use after the change"
    first = screening.rules()
    assert screening.rules() is first
    # A change refused keeps the table; a stored change is what the next save judges by.
    _as(services, next(m for m in services.clinic.staff() if m.is_admin))
    assert not screening.set_rule_overrides({"cancer_history": {"outcome": "precautions"}}).ok
    assert screening.rules() is first
    assert screening.set_rule_overrides({"peel": {"days": 9}}).ok
    assert screening.rules() is not first
    assert screening.rules().rule("peel").window == ("days", 9)
    saved = screening.save(
        patient_id, answered({"peel_last": services.ctx.today() - timedelta(days=8)})
    )
    assert saved.record.result.verdict_for("exosome_face") == "defer"
    assert saved.record.rule_table_version == screening.rules().version


def test_overriding_a_deferral_does_not_skip_the_review_under_it(
    services: Services, patient_id: int, practitioner: StaffMember
) -> None:
    """Pregnant (PRP: review) and a peel today (PRP: not yet): the override answers the
    deferral, not the doctor's review; the session stays blocked until a cleared sign-off."""
    _as(services, practitioner)
    today = services.ctx.today()
    record = services.screening.save(
        patient_id, answered({"pregnant": True, "peel_last": today})
    ).record
    assert record.result.verdict_for("prp") == "defer"
    services.screening.record_consent(record.id, "Pat", PNG)
    assert services.screening.override(record.id, "prp", "Peel was very light").ok
    gate = services.screening.clearance(patient_id, "prp")
    assert not gate.allowed
    assert any("sign-off (pregnancy)" in p for p in gate.problems), gate.problems
    assert services.screening.sign_off(record.id, "prp", "cleared", "Obstetrician agreed").ok
    gate = services.screening.clearance(patient_id, "prp")
    assert gate.allowed and gate.overridden


# ---- every question needs an explicit answer, in the service too --------------------------


def test_save_and_amend_refuse_an_incomplete_answer_set_called_directly(
    services: Services, patient_id: int
) -> None:
    table = services.screening.rules()
    for answers in ({}, {"pregnant": True}, {**answered(), "laser_last": None}):
        refused = services.screening.save(patient_id, answers)
        missing = unanswered(table, answers)
        assert not refused.ok and missing
        listed = [p for p in refused.problems if p.field == UNANSWERED_FIELD]
        assert [p.message for p in listed] == [unanswered_text(missing)]
        assert {p.field for p in refused.problems} == {i.id for i in missing} | {UNANSWERED_FIELD}
    assert _rows(services, "SELECT count(*) FROM screenings") == [(0,)]
    asked = services.screening.save(patient_id, answered({"active_infection": True}))
    assert [p.message for p in asked.problems if p.field == UNANSWERED_FIELD] == [
        "Not answered yet: Where the skin infection is."
    ]
    first = services.screening.save(patient_id, answered()).record
    refused = services.screening.amend(first.id, {"pregnant": False}, "Corrected")
    assert not refused.ok and UNANSWERED_FIELD in {p.field for p in refused.problems}
    assert services.screening.current(patient_id).id == first.id, "nothing saved around it"


def test_explicit_no_and_never_print_as_such(services: Services, patient_id: int) -> None:
    record = services.screening.save(
        patient_id, answered({"bleeding_supplements": frozenset({"ginkgo"})})
    ).record
    summary = services.screening.summary(record.id)
    said = {line.question: line.answer for line in summary.answers}
    table = services.screening.rules()
    assert said[table.item("pregnant").question] == "No"
    assert said[table.item("laser_last").question] == "Never"
    assert said[table.item("chronic_skin_condition").question] == "None of these"
    assert said[table.item("bleeding_supplements").question] == "Ginkgo"
    assert said[table.item("autoimmune").question] == "No"
    assert said[table.item("notes").question] == "—"
    assert "Not recorded" not in said.values() and summary.answers_note is None
    text = " ".join(pdf_text(services.screening.summary_job(record.id).pdf()).split())
    assert "Never" in text and "None of these" in text


def test_an_old_screening_with_absent_answers_loads_and_prints_not_recorded(
    services: Services, patient_id: int
) -> None:
    record = services.screening.save(patient_id, answered({"anticoagulants": True})).record
    # What the app stored before every question needed an answer: a row only for a ticked box.
    services.ctx.db.execute(
        "DELETE FROM screening_answers WHERE screening_id = ? AND value IN ('no', 'never', 'none')",
        [record.id],
    )
    old = services.screening.get(record.id)
    assert old.answers == {"anticoagulants": True}
    assert old.result == record.result, "the verdicts stand as they were judged"
    summary = services.screening.summary(record.id)
    said = {line.question: line.answer for line in summary.answers}
    table = services.screening.rules()
    assert said[table.item("pregnant").question] == "Not recorded"
    assert said[table.item("laser_last").question] == "Not recorded"
    assert said[table.item("anticoagulants").question] == "Yes"
    assert "No" not in said.values() and "Never" not in said.values()
    assert summary.answers_note == not_recorded_text(unanswered(table, old.answers))
    text = " ".join(pdf_text(services.screening.summary_job(record.id).pdf()).split())
    assert "Saved before every question needed an answer" in text
    assert "Not recorded" in text
