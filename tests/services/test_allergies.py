"""Allergy services on a real file: the list, corrections kept, the session stop, the screening."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest

from exodesk.domain.allergies import Allergen, Allergy
from exodesk.domain.patient import Patient
from exodesk.domain.sessions import AdverseEvent, Lot, Product, SessionProduct, TreatmentSession
from exodesk.domain.staff import StaffMember
from exodesk.paths import DataPaths
from exodesk.services.allergies import ALLERGIES
from exodesk.services.context import PermissionRefused
from exodesk.services.demo import seat, seed_demo
from exodesk.services.workspace import Services, open_services
from tests.answers import answered

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def kelly(services: Services) -> int:
    dr = services.clinic.save_staff(StaffMember("Dr Amara Okafor", "practitioner")).record
    seat(services, dr.id)
    pid = services.patients.create(Patient("Kelly", "Hannah", date(1988, 5, 14))).record.id
    screening = services.screening.save(pid, answered()).record
    services.screening.record_consent(screening.id, "Hannah Kelly", PNG)
    return pid


def _lidocaine(services: Services) -> Allergen:
    return next(a for a in services.allergies.allergens() if a.key == "lidocaine")


def _rows(services: Services, table: str) -> int:
    return int(services.ctx.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _audit(services: Services, action: str) -> list[tuple[str, str, str]]:
    return services.ctx.db.execute(
        "SELECT actor_name, summary, after FROM audit_log WHERE action = ? ORDER BY id", [action]
    ).fetchall()


# ---- the patient's list ----------------------------------------------------------------------
def test_record_ties_typed_words_to_the_list_and_audits(services: Services, kelly: int) -> None:
    result = services.allergies.record(
        Allergy(kelly, "  Lignocaine ", "anaphylaxis", "Throat swelled at the dentist")
    )
    assert result.ok and result.changes.touches(ALLERGIES)
    stored = result.record
    assert (stored.substance, stored.allergen_id) == ("Lidocaine", _lidocaine(services).id)
    assert stored.recorded_by == "Dr Amara Okafor"
    assert stored.recorded_at == services.ctx.now()
    [(actor, summary, after)] = _audit(services, "create")[-1:]
    assert actor == "Dr Amara Okafor"
    assert summary == "Allergy: Lidocaine (anaphylaxis; Throat swelled at the dentist)"
    assert json.loads(after)["substance"] == "Lidocaine"
    again = services.allergies.record(Allergy(kelly, "lidocaine", "mild"))
    assert [p.field for p in again.problems] == ["substance"]
    assert "already on this patient's list" in again.problems[0].message


def test_a_correction_keeps_the_earlier_version(services: Services, kelly: int, clock) -> None:
    first = services.allergies.record(Allergy(kelly, "Latex", "mild", "Itchy hands")).record
    clock.advance(days=3)
    refused = services.allergies.amend(first.id, replace(first, severity="anaphylaxis"), "  ")
    assert [p.field for p in refused.problems] == ["amend_reason"]
    result = services.allergies.amend(
        first.id,
        replace(first, severity="anaphylaxis", reaction="Lips swelled, short of breath"),
        "Patient brought the allergy clinic's letter",
    )
    assert result.ok
    [current] = services.allergies.summary(kelly).allergies
    assert (current.severity, current.version, current.series_id) == ("anaphylaxis", 2, first.id)
    versions = services.allergies.history(kelly)
    assert [(a.version, a.status, a.severity, a.reaction) for a in versions] == [
        (1, "amended", "mild", "Itchy hands"),
        (2, "current", "anaphylaxis", "Lips swelled, short of breath"),
    ]
    assert versions[1].amend_reason == "Patient brought the allergy clinic's letter"
    [(_, summary, after)] = _audit(services, "amend")
    assert summary.startswith("Corrected allergy: Patient brought the allergy clinic's letter")
    assert json.loads(after)["severity"] == "anaphylaxis"
    with pytest.raises(Exception, match="current version"):
        services.allergies.amend(first.id, first, "Again")


def test_entered_in_error_hides_and_keeps_and_needs_a_practitioner(
    services: Services, kelly: int
) -> None:
    dr = services.desk.require()
    allergy = services.allergies.record(Allergy(kelly, "Nickel", "mild")).record
    seat(services, next(m.id for m in services.clinic.staff() if m.is_admin))
    reception = services.clinic.save_staff(StaffMember("Priya Shah", "reception")).record
    seat(services, reception.id)
    with pytest.raises(PermissionRefused):
        services.allergies.mark_entered_in_error(allergy.id, "Wrong patient")
    seat(services, int(dr.id or 0))
    assert not services.allergies.mark_entered_in_error(allergy.id, "").ok
    assert services.allergies.mark_entered_in_error(allergy.id, "Wrong patient").ok
    assert services.allergies.summary(kelly).allergies == ()
    [kept] = services.allergies.history(kelly)
    assert (kept.status, kept.status_reason) == ("entered_in_error", "Wrong patient")
    [(_, summary, _)] = _audit(services, "entered_in_error")
    assert summary == "Allergy to Nickel entered in error: Wrong patient"


def test_no_known_allergies_is_said_and_stands_until_the_list_changes(
    services: Services, kelly: int, clock
) -> None:
    assert services.allergies.summary(kelly).state == "not_recorded"
    assert services.allergies.record_none_known(kelly).ok
    assert services.allergies.summary(kelly).state == "none_known"
    clock.advance(minutes=5)
    egg = services.allergies.record(Allergy(kelly, "Egg", "moderate")).record
    assert services.allergies.summary(kelly).state == "listed"
    refused = services.allergies.record_none_known(kelly)
    assert [p.field for p in refused.problems] == ["none_known"]
    clock.advance(minutes=5)
    services.allergies.mark_entered_in_error(egg.id, "Recorded on the wrong patient")
    # The list was worked on after "none known" was said: ask again.
    assert services.allergies.summary(kelly).state == "not_recorded"


@pytest.mark.parametrize(
    ("typed", "field", "words"),
    [
        (Allergy(0, "Latex", "severe", "r" * 10_000), "reaction", "10,000 characters"),
        (Allergy(0, "😀" * 121, "severe"), "substance", "121 characters"),
        (Allergy(0, "Latex\x1b[31m", "severe"), "substance", "control characters"),
        (Allergy(0, "Latex", "fatal"), "severity", "not a severity"),
    ],
)
def test_hostile_input_is_refused_plainly_and_writes_nothing(
    services: Services, kelly: int, typed: Allergy, field: str, words: str
) -> None:
    before = (_rows(services, "patient_allergies"), _rows(services, "audit_log"))
    result = services.allergies.record(replace(typed, patient_id=kelly))
    [problem] = result.problems
    assert problem.field == field and words in problem.message
    assert (_rows(services, "patient_allergies"), _rows(services, "audit_log")) == before


@pytest.mark.parametrize(
    "substance",
    [
        "'; DROP TABLE patient_allergies; --",
        "Robert'); DELETE FROM allergens WHERE ('1'='1",
        "Erdnüsse 🥜 (peanuts)",
        "花生",
    ],
)
def test_hostile_words_are_kept_exactly_and_harm_nothing(
    services: Services, kelly: int, substance: str
) -> None:
    reaction = "Hives 😣\n" + "x" * 1990
    result = services.allergies.record(Allergy(kelly, substance, "severe", reaction))
    assert result.ok, result.problems
    [stored] = services.allergies.summary(kelly).allergies
    assert (stored.substance, stored.reaction) == (substance, reaction)
    assert stored.allergen_id is None
    assert len(services.allergies.allergens()) == 19
    assert services.check() == []


# ---- the session stop ------------------------------------------------------------------------
@pytest.fixture
def lidocaine_lot(services: Services, kelly: int) -> Lot:
    product = services.catalogue.save_product(
        Product(
            "Lidocaine 5% cream",
            "Fictional Pharma",
            "anaesthetic",
            None,
            "topical",
            ingredients="Lidocaine 5%, carbomer, water",
        )
    ).record
    assert product.allergen_ids == {_lidocaine(services).id}, "the label's words tick it"
    return services.catalogue.save_lot(
        Lot(product.id, "LD-77", services.ctx.today() + timedelta(days=100))
    ).record


def _kelly_draft(services: Services, kelly: int, lot: Lot) -> TreatmentSession:
    return replace(
        services.sessions.prefill(kelly, None),
        needle_depth_mm=0.5,
        anaesthetic="Lidocaine 5% cream",
        anaesthetic_minutes=25,
        products=(SessionProduct(lot.id, 1.0),),
    )


def test_record_refuses_a_product_the_patient_is_allergic_to_without_an_override(
    services: Services, kelly: int, lidocaine_lot: Lot
) -> None:
    services.allergies.record(Allergy(kelly, "Lidocaine", "anaphylaxis", "Throat swelled"))
    draft = _kelly_draft(services, kelly, lidocaine_lot)
    check = services.sessions.check(draft)
    assert [c.contents.role for c in check.allergies.conflicts] == ["product", "anaesthetic"]
    refused = services.sessions.record(draft)
    [problem] = refused.problems
    assert problem.field == "allergy_override_reason"
    assert "(lidocaine in Lidocaine 5% cream; lidocaine in the anaesthetic" in problem.message
    assert services.sessions.sessions(kelly) == []
    assert not services.sessions.record(replace(draft, allergy_override_reason="   ")).ok
    saved = services.sessions.record(
        replace(draft, allergy_override_reason="  Allergist's letter: reaction was to adrenaline ")
    )
    assert saved.ok, saved.problems
    stored = services.sessions.get(saved.record.id)
    assert stored.allergy_override_reason == "Allergist's letter: reaction was to adrenaline"
    assert stored.allergy_conflicts == check.allergies.sentences
    [(actor, summary, after)] = _audit(services, "allergy_override")
    assert actor == "Dr Amara Okafor"
    assert summary.startswith("Lidocaine 5% cream contains lidocaine")
    assert summary.endswith("Went ahead because: Allergist's letter: reaction was to adrenaline")
    assert json.loads(after)["conflicts"] == list(check.allergies.sentences)
    # Printed with the session: the regulator report of an event after it says both.
    event = services.events.log_event(
        AdverseEvent(stored.id, "allergic_reaction", services.ctx.today(), "severe", "Hives")
    ).record
    report = services.events.regulator_report(event.id)
    assert report.patient_allergies == "Lidocaine (anaphylaxis; Throat swelled)"
    assert report.allergy_override.startswith("Lidocaine 5% cream contains lidocaine")
    assert report.allergy_override.endswith(
        "Went ahead because: Allergist's letter: reaction was to adrenaline"
    )


def test_amend_runs_the_same_stop(services: Services, kelly: int, lidocaine_lot: Lot) -> None:
    draft = replace(_kelly_draft(services, kelly, lidocaine_lot), anaesthetic="", products=())
    session = services.sessions.record(draft).record
    services.allergies.record(Allergy(kelly, "Lidocaine", "severe"))
    changed = _kelly_draft(services, kelly, lidocaine_lot)
    refused = services.sessions.amend(session.id, changed, "Anaesthetic was left off")
    assert [p.field for p in refused.problems] == ["allergy_override_reason"]
    assert services.sessions.get(session.id).status == "current"
    # A prefilled draft from an overridden session does not carry the override on.
    ok = services.sessions.amend(
        session.id, replace(changed, allergy_override_reason="Tested: tolerated"), "Fixed"
    )
    assert ok.ok
    assert services.sessions.prefill(kelly, None).allergy_override_reason == ""


def test_no_allergy_no_stop_and_no_override_is_stored(
    services: Services, kelly: int, lidocaine_lot: Lot
) -> None:
    services.allergies.record(Allergy(kelly, "Latex", "mild"))
    draft = replace(_kelly_draft(services, kelly, lidocaine_lot), allergy_override_reason="x")
    saved = services.sessions.record(draft)
    assert saved.ok
    assert saved.record.allergy_override_reason == ""
    assert saved.record.allergy_conflicts == ()


# ---- the screening's answers -----------------------------------------------------------------
def test_a_yes_at_screening_needs_the_allergy_named(services: Services, kelly: int) -> None:
    before = _rows(services, "screenings")
    refused = services.allergies.save_screening(kelly, answered({"known_product_allergy": True}))
    assert [p.field for p in refused.problems] == ["known_product_allergy"]
    bad = services.allergies.save_screening(
        kelly, answered({"known_product_allergy": True}), [Allergy(0, "", "severe")]
    )
    assert [p.field for p in bad.problems] == ["allergy0.substance"]
    assert _rows(services, "screenings") == before
    result = services.allergies.save_screening(
        kelly,
        answered(
            {"known_product_allergy": True, "allergies": "Hyaluronic acid filler: big swelling"}
        ),
        [Allergy(0, "sodium hyaluronate", "severe", "Big swelling after filler")],
    )
    assert result.ok
    assert result.changes.touches(ALLERGIES) and result.changes.touches("screenings")
    [allergy] = services.allergies.summary(kelly).allergies
    assert (allergy.substance, allergy.source, allergy.screening_id) == (
        "Hyaluronic acid",
        "screening",
        result.record.id,
    )


def test_a_screening_updates_an_allergy_already_listed(services: Services, kelly: int) -> None:
    first = services.allergies.record(Allergy(kelly, "Latex", "unknown")).record
    record = services.screening.current(kelly)
    result = services.allergies.save_screening(
        kelly,
        answered({"known_product_allergy": True}),
        [Allergy(0, "latex", "anaphylaxis", "Collapsed after a balloon")],
        amending=record.id,
        reason="Patient told us more",
    )
    assert result.ok, result.problems
    assert result.record.version == 2
    [current] = services.allergies.summary(kelly).allergies
    assert (current.series_id, current.version, current.severity) == (first.id, 2, "anaphylaxis")
    assert current.amend_reason == "Updated at the intake screening"
    # Nothing new said: nothing written.
    again = services.allergies.save_screening(
        kelly, answered({"known_product_allergy": True}), [Allergy(0, "Latex", "unknown")]
    )
    assert again.ok
    assert len(services.allergies.history(kelly)) == 2


def test_a_screening_that_fails_saves_no_allergy(services: Services, kelly: int) -> None:
    refused = services.allergies.save_screening(
        kelly,
        answered({"known_product_allergy": True, "retinoid_last_use": date(2999, 1, 1)}),
        [Allergy(0, "Latex", "severe")],
    )
    assert not refused.ok
    assert services.allergies.summary(kelly).allergies == ()


# ---- the catalogue ---------------------------------------------------------------------------
def test_the_clinic_adds_to_its_list(services: Services, kelly: int) -> None:
    added = services.catalogue.save_allergen(
        Allergen("", " Carbomer ", "carrier", ("carbopol", " ", "Carbopol"))
    )
    assert added.ok, added.problems
    assert (added.record.key, added.record.name, added.record.also_called) == (
        "clinic_carbomer",
        "Carbomer",
        ("carbopol",),
    )
    clash = services.catalogue.save_allergen(Allergen("", "Xylocaine", "local_anaesthetic"))
    assert [p.field for p in clash.problems] == ["name"]
    product = services.catalogue.save_product(
        Product("Gel", "Maker", "serum", None, "topical", ingredients="Aqua, Carbopol 940")
    ).record
    assert product.allergen_ids == {added.record.id}
    assert product.allergens_recorded


# ---- the demo clinic -------------------------------------------------------------------------
def test_the_demo_records_kellys_lidocaine_allergy_and_models_good_practice(
    tmp_path, clock
) -> None:
    svc = open_services(DataPaths(tmp_path / "demo"), create=True, clock=clock)
    try:
        seed_demo(svc, backup_history=False)
        [kelly] = svc.patients.search("kelly hannah").rows
        assert kelly.alerts == "", "on the allergy list, not an alert"
        summary = svc.allergies.summary(kelly.id)
        assert [(a.substance, a.severity) for a in summary.allergies] == [("Lidocaine", "severe")]
        dr = next(m for m in svc.clinic.staff() if m.role == "practitioner")
        seat(svc, int(dr.id or 0))
        # Her sessions were done without lidocaine, not by overriding the stop.
        done = svc.sessions.sessions(kelly.id)
        assert done
        for session in done:
            assert session.anaesthetic == "" and not session.allergy_override_reason
            assert all("Lidocaine" not in p.product_name for p in session.products)
        # Every demo product says what it contains, so the check can vouch for it.
        assert all(p.allergens_recorded for p in svc.catalogue.products())
        states = {svc.allergies.summary(p.id).state for p in svc.patients.search("").rows}
        assert states == {"listed", "none_known", "not_recorded"}
        draft = replace(svc.sessions.prefill(kelly.id, None), anaesthetic="Lidocaine 5% cream")
        assert svc.sessions.check(draft).allergies.blocks
    finally:
        svc.close()
