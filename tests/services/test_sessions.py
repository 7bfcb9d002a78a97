"""Session services on a real file: record, amend, entered in error, events, recall, due list."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from exodesk.domain.patient import Patient
from exodesk.domain.sessions import (
    AdverseEvent,
    Lot,
    LotFlagKind,
    Product,
    SessionProduct,
    TreatmentSession,
)
from exodesk.domain.staff import StaffMember
from exodesk.errors import UserError
from exodesk.services.context import PermissionRefused
from exodesk.services.demo import seat
from exodesk.services.workspace import Services
from exodesk.storage.patients import PatientRepository
from exodesk.storage.sessions import SessionRepository
from tests.answers import answered

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def practitioner(services: Services) -> StaffMember:
    member = services.clinic.save_staff(StaffMember("Dr Amara Okafor", "practitioner")).record
    seat(services, member.id)
    return member


@pytest.fixture
def lot(services: Services, practitioner: StaffMember) -> Lot:
    product = services.catalogue.save_product(
        Product("VerdeCell", "Botanica", "exosome", "plant", "topical")
    ).record
    return services.catalogue.save_lot(
        Lot(product.id, "VC-2411", services.ctx.today() + timedelta(days=100))
    ).record


@pytest.fixture
def patient_id(services: Services, practitioner: StaffMember) -> int:
    pid = services.patients.create(Patient("Smith", "Olivia", date(1985, 4, 3))).record.id
    record = services.screening.save(pid, answered()).record
    services.screening.record_consent(record.id, "Olivia Smith", PNG)
    return pid


def _draft(services: Services, patient_id: int, lot: Lot | None = None) -> TreatmentSession:
    draft = services.sessions.prefill(patient_id, None)
    return replace(
        draft,
        needle_depth_mm=0.75,
        products=(SessionProduct(lot.id, 2.0),) if lot else (),
    )


def _record(services: Services, draft: TreatmentSession):
    check = services.sessions.check(draft)
    return services.sessions.record(draft, confirmed=[n.id for n in check.regulatory])


def test_record_needs_a_practitioner_and_audits(
    services: Services, patient_id: int, lot: Lot, practitioner: StaffMember
) -> None:
    draft = _draft(services, patient_id, lot)
    seat(services, 1)  # the admin adds a receptionist
    reception = services.clinic.save_staff(StaffMember("Priya Shah", "reception")).record
    seat(services, reception.id)
    with pytest.raises(PermissionRefused, match="may not record treatment sessions"):
        _record(services, draft)
    seat(services, practitioner.id)
    saved = _record(services, draft)
    assert saved.ok, saved.problems
    audit = services.ctx.db.execute(
        "SELECT actor_name, summary FROM audit_log WHERE table_name='sessions'"
    ).fetchall()
    assert audit[0][0] == "Dr Amara Okafor" and "Exosome facial" in audit[0][1]


def test_amend_keeps_history_and_entered_in_error_keeps_the_row(
    services: Services, patient_id: int, lot: Lot
) -> None:
    first = _record(services, _draft(services, patient_id, lot)).record
    assert not services.sessions.amend(first.id, first, "  ").ok
    second = services.sessions.amend(
        first.id, replace(first, needle_depth_mm=1.0), "Depth typed wrongly"
    )
    assert second.ok, second.problems
    rows = services.sessions.sessions(patient_id, include_all=True)
    assert sorted((s.version, s.status) for s in rows) == [(1, "amended"), (2, "current")]
    with pytest.raises(UserError, match="current version"):
        services.sessions.amend(first.id, first, "again")
    done = services.sessions.mark_entered_in_error(second.record.id, "Wrong patient")
    assert done.record.status == "entered_in_error"
    assert services.sessions.sessions(patient_id) == []
    assert len(services.sessions.sessions(patient_id, include_all=True)) == 2
    count = services.ctx.db.execute("SELECT count(*) FROM sessions").fetchone()[0]
    assert count == 2, "nothing is ever deleted"


def test_spacing_needs_a_reason(services: Services, patient_id: int) -> None:
    assert _record(services, _draft(services, patient_id)).ok
    again = _draft(services, patient_id)
    refused = _record(services, again)
    assert [p.field for p in refused.problems] == ["spacing_reason"]
    accepted = _record(services, replace(again, spacing_reason="Patient travelling abroad"))
    assert accepted.ok
    assert accepted.record.spacing_reason == "Patient travelling abroad"


def test_the_check_shows_the_lot_flags_that_let_a_session_save(
    services: Services, patient_id: int
) -> None:
    """An expired lot is a problem (it blocks), never also a flag; the rest are flags; a kit
    or an anaesthetic is not flagged for lab reports nobody asks its supplier for."""
    today = services.ctx.today()
    exosome = services.catalogue.save_product(
        Product("VerdeCell", "Botanica", "exosome", "plant", "topical")
    ).record
    kit = services.catalogue.save_product(
        Product("Spin kit", "Medtech", "prp_kit", "platelet", "injectable")
    ).record
    lots = {
        name: services.catalogue.save_lot(
            Lot(product.id, name, today + timedelta(days=days))
        ).record
        for name, product, days in (
            ("OLD", exosome, -1),
            ("SOON", exosome, 10),
            ("KIT", kit, 10),
        )
    }
    draft = replace(
        _draft(services, patient_id),
        products=tuple(SessionProduct(lot.id, 1.0) for lot in lots.values()),
    )
    check = services.sessions.check(draft)
    assert [p.field for p in check.problems] == ["products"]
    assert "OLD" in check.problems[0].message
    flags = {(f.lot_number, f.kind) for f in check.lot_flags}
    assert flags == {
        ("OLD", LotFlagKind.NO_LAB_REPORTS),  # what does not block is still said
        ("SOON", LotFlagKind.EXPIRING),
        ("SOON", LotFlagKind.NO_LAB_REPORTS),
        ("KIT", LotFlagKind.EXPIRING),
    }
    assert not any(f.blocks for f in check.lot_flags)
    assert check.warnings == [], "needle depth 0.75 mm is usual for the face"


def test_adverse_event_a_month_later_and_the_regulator_report(
    services: Services, patient_id: int, lot: Lot, clock
) -> None:
    session = _record(services, _draft(services, patient_id, lot)).record
    clock.advance(days=33)
    onset = services.ctx.today() - timedelta(days=1)
    bad = services.events.log_event(
        AdverseEvent(session.id, "granuloma_nodule", date(2020, 1, 1), "moderate", "Lump")
    )
    assert [p.field for p in bad.problems] == ["onset_date"]
    logged = services.events.log_event(
        AdverseEvent(session.id, "granuloma_nodule", onset, "moderate", "Firm 5 mm lump")
    )
    assert logged.ok
    assert [e.id for e, _ in services.events.open_events()] == [logged.record.id]
    [row] = services.events.open_events()
    assert (row.event, row.patient_id) == (logged.record, patient_id)
    report = services.events.regulator_report(logged.record.id)
    assert report.patient_initials == "O.S."
    assert report.products[0].lot_number == "VC-2411"
    assert "Olivia" not in str(report)
    resolved = services.events.log_event(
        replace(logged.record, outcome="resolved", resolution_date=services.ctx.today())
    )
    assert resolved.ok
    assert services.events.open_events() == []
    history = services.ctx.db.execute(
        "SELECT action FROM audit_log WHERE table_name='adverse_events' ORDER BY id"
    ).fetchall()
    assert history == [("create",), ("update",)]


def test_due_list_shows_who_to_call(services: Services, patient_id: int, clock) -> None:
    course = services.courses.start_course(patient_id, "skin_rejuvenation", "exosome_face", 3)
    draft = replace(_draft(services, patient_id), course_id=course.record.id)
    assert _record(services, draft).ok
    assert services.recall.due_list() == []
    clock.advance(days=30)
    [entry] = services.recall.due_list()
    assert entry.progress.state == "due" and entry.progress.label == "session 2 of 3"
    clock.advance(days=20)
    [entry] = services.recall.due_list()
    assert entry.progress.state == "overdue"


def test_recall_over_50000_sessions_finds_exactly_the_lot(
    services: Services, practitioner: StaffMember
) -> None:
    """Generate a large clinic straight into the tables, then recall one lot."""
    catalogue, recall_service = services.catalogue, services.recall
    product = catalogue.save_product(
        Product("ExoGlow", "Biologics", "exosome", "plant", "topical")
    ).record
    lots = [
        catalogue.save_lot(Lot(product.id, f"EX-{n:04d}", date(2027, 1, 1))).record
        for n in range(40)
    ]
    target = lots[17]
    similar = lots[1]  # EX-0001 shares a prefix with nothing; EX-0017 is unique
    rng = random.Random(3)
    db = services.ctx.db
    patients = PatientRepository(db)
    repo = SessionRepository(db)
    expected: set[int] = set()
    with services.ctx.write():
        pids = [
            patients.insert(
                Patient(f"Family{n}", "Given", date(1980, 1, 1), phone=f"0770090{n:04d}"),
                at="2026-01-01T00:00:00+00:00",
                actor_id=1,
            )
            for n in range(2000)
        ]
        base = datetime(2024, 1, 1, 10, tzinfo=UTC)
        for n in range(50_000):
            chosen = rng.sample(lots, 2)
            session = TreatmentSession(
                patient_id=rng.choice(pids),
                performed_at=base + timedelta(minutes=n * 15),
                practitioner_id=practitioner.id,
                treatment="exosome_face",
                areas=frozenset({"face"}),
                indication="rejuvenation",
                delivery="topical_microneedling",
                needle_depth_mm=0.5,
                products=tuple(SessionProduct(lot.id, 1.0) for lot in chosen),
            )
            new_id = repo.insert(
                session, at=base.isoformat(), by=practitioner.id, screening_id=None
            )
            if target in chosen:
                expected.add(new_id)
    recall = recall_service.recall("ex 0017")
    assert [lot.lot_number for lot, _ in recall.lots] == ["EX-0017"]
    assert {r.session_id for r in recall.rows} == expected
    assert len(expected) > 1000
    assert all(r.lot_number == "EX-0017" for r in recall.rows)
    assert similar.lot_number not in {r.lot_number for r in recall.rows}
    # an entered-in-error session drops out of the recall; an amended one is replaced
    wrong = next(iter(expected))
    repo.mark_error(wrong, "test")
    assert wrong not in {r.session_id for r in recall_service.recall("EX-0017").rows}
    table = list(csv.reader(io.StringIO(recall_service.recall_csv(recall))))
    assert table[0][0] == "Lot" and len(table) == len(expected) + 1
    plan = db.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM session_products WHERE lot_id = ?", [target.id]
    ).fetchall()
    assert "USING" in str(plan) and "INDEX" in str(plan)
