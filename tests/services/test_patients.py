"""Patient services on a real file: saving, audit, round-trips and search over 10,000 patients."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exodesk.domain.patient import SEXES, Patient, sort_key
from exodesk.errors import UserError
from exodesk.services.context import PATIENTS
from exodesk.services.workspace import Services
from exodesk.storage.patients import PatientRepository

BORN = date(1985, 4, 3)


def _audit_rows(services: Services, action: str | None = None) -> list[tuple]:
    sql = "SELECT action, actor_name, record_id, before, after, at FROM audit_log "
    sql += "WHERE table_name = 'patients'" + (" AND action = ?" if action else "")
    return services.ctx.db.execute(sql, [action] if action else []).fetchall()


def test_create_stores_exactly_and_audits(services: Services) -> None:
    patient = Patient(
        "O'Brien-Łukasz", "  Zoë  ", BORN, "female", "07700 900123", notes="line 1\nline 2"
    )
    result = services.patients.create(patient)
    assert result.ok
    assert result.changes.touches(PATIENTS)
    stored = services.patients.get(result.record.id)
    assert stored.given_names == "Zoë"  # surrounding spaces trimmed on one-line fields
    assert stored.family_name == "O'Brien-Łukasz"
    assert stored.notes == "line 1\nline 2"
    [(action, actor, record_id, before, after, at)] = _audit_rows(services, "create")
    assert (action, actor, record_id, before) == ("create", "Ada Admin", stored.id, None)
    assert '"family_name": "O\'Brien-Łukasz"' in after
    assert at.startswith("2026-11-22T10:00:00")


def test_invalid_patient_is_refused_and_nothing_is_written(services: Services) -> None:
    result = services.patients.create(Patient("   ", "Zoë", date(2030, 1, 1)))
    assert not result.ok
    assert {p.field for p in result.problems} == {"family_name", "date_of_birth"}
    assert services.ctx.db.execute("SELECT count(*) FROM patients").fetchone()[0] == 0
    assert _audit_rows(services) == []


def test_update_keeps_the_earlier_values_in_the_audit(services: Services, clock) -> None:
    created = services.patients.create(Patient("Smith", "Olivia", BORN, phone="07700 900001"))
    clock.advance(hours=2)
    changed = replace(created.record, phone="07700 900999", alerts="Latex allergy")
    result = services.patients.update(changed)
    assert result.ok
    assert result.record.version == 2
    history = services.patients.history(created.record.id)
    assert [e.action for e in history] == ["create", "update"]
    update = history[-1]
    assert update.before == {"alerts": "", "phone": "07700 900001"}
    assert update.after == {"alerts": "Latex allergy", "phone": "07700 900999"}
    assert update.actor_name == "Ada Admin"
    assert update.at.hour == 12


def test_saving_an_unchanged_patient_writes_no_audit(services: Services) -> None:
    created = services.patients.create(Patient("Smith", "Olivia", BORN)).record
    services.patients.update(created)
    assert len(services.patients.history(created.id)) == 1


def test_a_stale_edit_is_refused_not_silently_overwritten(services: Services) -> None:
    created = services.patients.create(Patient("Smith", "Olivia", BORN)).record
    services.patients.update(replace(created, phone="07700 900111"))
    with pytest.raises(UserError, match="Someone else saved"):
        services.patients.update(replace(created, email="late@example.com"))
    assert services.patients.get(created.id).phone == "07700 900111"


def test_patients_are_retired_with_a_reason_never_deleted(services: Services) -> None:
    created = services.patients.create(Patient("Smith", "Olivia", BORN)).record
    refused = services.patients.set_status(created.id, "inactive", "   ")
    assert [p.field for p in refused.problems] == ["reason"]
    done = services.patients.set_status(created.id, "inactive", "Moved to Leeds")
    assert done.record.status == "inactive"
    assert services.patients.search("smith").rows == []
    assert [p.id for p in services.patients.search("smith", include_inactive=True).rows] == [
        created.id
    ]
    assert services.ctx.db.execute("SELECT count(*) FROM patients").fetchone()[0] == 1
    assert _audit_rows(services, "deactivate")[0][4] == (
        '{"status": "inactive", "status_reason": "Moved to Leeds"}'
    )


def test_nobody_at_the_desk_means_no_change(services: Services) -> None:
    services.desk.user = None
    with pytest.raises(UserError, match="Nobody is signed in"):
        services.patients.create(Patient("Smith", "Olivia", BORN))
    assert services.ctx.db.execute("SELECT count(*) FROM patients").fetchone()[0] == 0


_any_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    family=_any_text,
    given_name=_any_text,
    born=st.dates(min_value=date(1880, 1, 1), max_value=date(2030, 12, 31)),
    sex=st.sampled_from(list(SEXES)),
    notes=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300),
)
def test_any_input_is_stored_exactly_or_refused_whole(
    services: Services, family: str, given_name: str, born: date, sex: str, notes: str
) -> None:
    before = services.ctx.db.execute("SELECT count(*) FROM patients").fetchone()[0]
    result = services.patients.create(Patient(family, given_name, born, sex, notes=notes))
    after = services.ctx.db.execute("SELECT count(*) FROM patients").fetchone()[0]
    if not result.ok:
        assert after == before
        assert all(p.message for p in result.problems)
        return
    assert after == before + 1
    stored = services.patients.get(result.record.id)
    got = (stored.family_name, stored.given_names, stored.date_of_birth, stored.sex, stored.notes)
    assert got == (family.strip(), given_name.strip(), born, sex, notes)


# ---- search over a generated clinic ------------------------------------------------------------

FAMILY = [
    "Smith",
    "Jones",
    "Öztürk",
    "Wiśniewski",
    "Nørgaard",
    "García",
    "Nguyen",
    "Papadopoulos",
    "McCarthy",
    "O'Neill",
    "Lefèvre",
    "Müller",
    "Khan",
    "Okonkwo",
    "Dubois",
    "Brown",
]
GIVEN = [
    "Olivia",
    "Zoë",
    "Chloé",
    "Łucja",
    "Şükrü",
    "Renée",
    "José",
    "Noah",
    "Amelia",
    "Leo",
    "Siobhán",
    "Björn",
    "Mei",
    "Aarav",
    "Fatima",
    "Grace",
]


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Services:
    """10,000 generated patients plus a few we look for, in a real file."""
    from exodesk.domain.staff import StaffMember
    from exodesk.paths import DataPaths
    from exodesk.services.workspace import open_services
    from tests.conftest import FakeClock

    svc = open_services(DataPaths(tmp_path_factory.mktemp("big")), create=True, clock=FakeClock())
    svc.clinic.add_first_staff(StaffMember("Ada Admin", "practitioner", is_admin=True))
    rng = random.Random(7)
    repo = PatientRepository(svc.ctx.db)
    with svc.ctx.write():
        for n in range(10_000):
            repo.insert(
                Patient(
                    rng.choice(FAMILY) + ("" if n % 3 else f"-{rng.choice(FAMILY)}"),
                    rng.choice(GIVEN),
                    date(1940, 1, 1) + timedelta(days=rng.randint(0, 25_000)),
                    phone=f"0161 496 {n:04d}",
                ),
                at="2026-11-22T10:00:00+00:00",
                actor_id=1,
            )
        for special in (
            Patient("O'Brien-Łukasz", "Zoë", date(1985, 4, 3), phone="+44 7700 900123"),
            Patient("李", "小龍", date(1979, 11, 27), phone="07700 900456"),
            Patient("Zebedee", "Quentin", date(1985, 3, 4), phone="07700 900789"),
        ):
            repo.insert(special, at="2026-11-22T10:00:00+00:00", actor_id=1)
    yield svc
    svc.close()


def _all_matches(svc: Services, text: str, *, day_first: bool = True) -> list[Patient]:
    query = svc.patients.understand(text, day_first=day_first)
    page = svc.patients.page(query)
    rows = list(page.rows)
    while page.next_after:
        page = svc.patients.page(query, after=page.next_after)
        rows += page.rows
    return rows


def _names(rows: list[Patient]) -> set[str]:
    return {f"{p.given_names} {p.family_name}" for p in rows}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("zoe obrien", {"Zoë O'Brien-Łukasz"}),
        ("ZOË O'BRIEN", {"Zoë O'Brien-Łukasz"}),
        ("lukasz", {"Zoë O'Brien-Łukasz"}),
        ("łuk zo", {"Zoë O'Brien-Łukasz"}),
        ("小龍", {"小龍 李"}),
        ("龍", {"小龍 李"}),
        ("zeb", {"Quentin Zebedee"}),
        ("quen", {"Quentin Zebedee"}),
        ("07700 900123", {"Zoë O'Brien-Łukasz"}),
        ("07700900123", {"Zoë O'Brien-Łukasz"}),
        ("+447700900123", {"Zoë O'Brien-Łukasz"}),
        ("900 456", {"小龍 李"}),
        ("03/04/1985", {"Zoë O'Brien-Łukasz"}),
        ("1985-04-03", {"Zoë O'Brien-Łukasz"}),
        ("27.11.1979", {"小龍 李"}),
    ],
)
def test_search_finds_the_right_people(clinic: Services, text: str, expected: set[str]) -> None:
    found = _names(_all_matches(clinic, text))
    assert expected <= found
    # None of the generated patients carry these names, numbers or dates.
    assert found == expected


def test_day_month_order_follows_the_locale(clinic: Services) -> None:
    assert _names(_all_matches(clinic, "03/04/1985", day_first=False)) >= {"Quentin Zebedee"}
    assert "Zoë O'Brien-Łukasz" not in _names(_all_matches(clinic, "03/04/1985", day_first=False))


def test_prefix_search_matches_a_direct_scan(clinic: Services) -> None:
    everyone = _all_matches(clinic, "")
    assert len(everyone) == 10_003
    for text in ("sm", "oz", "wis", "nor", "garc", "mc", "o'n", "lef", "chlo", "renee", "luc"):
        tokens = clinic.patients.understand(text, day_first=True).tokens
        from exodesk.domain.patient import name_search_text

        expected = {
            p.id
            for p in everyone
            if all(
                any(w.startswith(t) for w in name_search_text(p.family_name, p.given_names).split())
                for t in tokens
            )
        }
        got = [p.id for p in _all_matches(clinic, text)]
        assert set(got) == expected, text
        assert len(got) == len(set(got)), "no patient twice across pages"
        assert expected, f"the generated clinic should have someone matching {text!r}"


def test_phone_digits_anywhere_in_the_number(clinic: Services) -> None:
    found = _all_matches(clinic, "496 0042")
    assert [p.phone for p in found] == ["0161 496 0042"]


def test_results_come_in_list_order(clinic: Services) -> None:
    rows = _all_matches(clinic, "smith")
    keys = [(sort_key(p.family_name, p.given_names), p.id) for p in rows]
    assert keys == sorted(keys)
    assert len(rows) > 500


@pytest.mark.parametrize(
    "text",
    [
        "' OR 1=1 --",
        '"',
        "%",
        "*",
        "smith' --",
        'a" OR "b',
        "NEAR(a b)",
        "a*b",
        "^x",
        "-smith",
        "😀",
    ],
)
def test_hostile_search_text_is_harmless(clinic: Services, text: str) -> None:
    query = clinic.patients.understand(text, day_first=True)
    page = clinic.patients.page(query)
    assert len(page.rows) <= 200
    if text in ('"', "%", "*", "😀"):
        assert query.kind == "invalid" and page.rows == []
    assert clinic.ctx.db.execute("SELECT count(*) FROM patients").fetchone()[0] == 10_003


def test_count_is_capped_for_broad_searches(clinic: Services) -> None:
    query = clinic.patients.understand("s", day_first=True)
    assert clinic.patients.count_matches(query) == 1000
    query = clinic.patients.understand("zebedee", day_first=True)
    assert clinic.patients.count_matches(query) == 1
