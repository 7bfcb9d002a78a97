"""The demo clinic: synthetic staff and patients, written through the services like real work.

Never real people: names are drawn from common name lists and combined at random; phone
numbers are from the ranges set aside for drama and fiction (UK 07700 900xxx, 020 7946 0xxx).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.patient import Patient
from exodesk.domain.staff import StaffMember
from exodesk.services.workspace import Services

DEMO_CLINIC = ClinicSettings(
    name="Riverside Skin & Hair Clinic (demo)",
    address="12 Willow Lane\nKingston upon Thames\nKT1 4AB",
    phone="020 7946 0123",
    out_of_hours="07700 900456",
    country="GB",
    paper_size="A4",
)

DEMO_STAFF = (
    StaffMember("Priya Shah", "reception"),
    StaffMember("Dr Amara Okafor", "practitioner"),
    StaffMember("Nurse Ben Whitaker", "practitioner"),
    StaffMember("Tom Reyes", "admin"),
)

_GIVEN = (
    "Olivia",
    "Amelia",
    "Isla",
    "Zoë",
    "Ava",
    "Sophie",
    "Grace",
    "Chloé",
    "Freya",
    "Hannah",
    "Noah",
    "Oliver",
    "George",
    "Arthur",
    "Leo",
    "Harry",
    "Jack",
    "Mateo",
    "Oscar",
    "Theo",
    "Łucja",
    "Agnieszka",
    "Şükrü",
    "Elif",
    "Ayşe",
    "Siobhán",
    "Niamh",
    "Aoife",
    "Seán",
    "José",
    "María",
    "Renée",
    "Björn",
    "Søren",
    "Priyanka",
    "Aarav",
    "Mei",
    "Hiroshi",
    "Fatima",
    "Yusuf",
)
_FAMILY = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Wright",
    "O'Brien",
    "McCarthy",
    "Nowak",
    "Wiśniewski",
    "Kowalczyk",
    "Öztürk",
    "Yılmaz",
    "Müller",
    "García",
    "Fernández",
    "Dubois",
    "Lefèvre",
    "Andersson",
    "Nørgaard",
    "Khan",
    "Begum",
    "Nguyen",
    "Okonkwo",
    "Mensah",
    "Papadopoulos",
    "Rossi",
    "Costa",
    "Walsh",
    "Murphy",
    "Kelly",
    "Hughes",
    "Edwards",
    "Thompson",
    "Evans",
    "Roberts",
)
_TOWNS = ("Kingston upon Thames", "Surbiton", "Richmond", "Twickenham", "Wimbledon", "Putney")
_STREETS = ("Elm Road", "Park Avenue", "Mill Lane", "Church Street", "Station Road", "Queens Walk")
_ALERTS = (
    "",
    "",
    "",
    "",
    "Allergy: lidocaine",
    "Latex allergy",
    "Needle-phobic: allow extra time",
    "Prefers female practitioner",
)


def _patients(rng: random.Random, today: date, count: int) -> list[Patient]:
    patients = []
    seen: set[tuple[str, str]] = set()
    special = [
        Patient("O'Brien-Łukasz", "Zoë", date(1985, 4, 3), "female", "07700 900001"),
        Patient("李", "小龍", date(1979, 11, 27), "male", "07700 900002"),
        Patient("Ñúñez", "Zoë", date(1992, 2, 29), "female", "+44 7700 900003"),
    ]
    patients.extend(special)
    seen.update((p.family_name, p.given_names) for p in special)
    while len(patients) < count:
        given, family = rng.choice(_GIVEN), rng.choice(_FAMILY)
        if (family, given) in seen:
            continue
        seen.add((family, given))
        age_days = rng.randint(19 * 365, 72 * 365)
        female = rng.random() < 0.78  # these clinics see mostly women
        n = len(patients)
        patients.append(
            Patient(
                family_name=family,
                given_names=given,
                date_of_birth=today - timedelta(days=age_days),
                sex="female" if female else "male",
                phone=f"07700 900{n:03d}",
                email=f"{fold_ascii(given)}.{fold_ascii(family)}@example.com",
                address=f"{rng.randint(1, 199)} {rng.choice(_STREETS)}\n{rng.choice(_TOWNS)}",
                emergency_contact=f"{rng.choice(_GIVEN)} {family} · 020 7946 0{n:03d}",
                gp=f"Dr {rng.choice(_FAMILY)}, {rng.choice(_TOWNS)} Medical Centre",
                alerts=rng.choice(_ALERTS),
                notes="",
            )
        )
    return patients


def fold_ascii(text: str) -> str:
    """An e-mail-safe, lower-case ASCII version of a name part."""
    from exodesk.domain.patient import fold

    return "".join(c for c in fold(text) if c.isascii() and c.isalnum()) or "patient"


def seed_demo(services: Services, *, patients: int = 80, seed: int = 2026) -> None:
    """Fill an empty data file with the demo clinic."""
    rng = random.Random(seed)
    clinic = services.clinic
    first = clinic.add_first_staff(DEMO_STAFF[-1])
    if not first.ok:
        raise RuntimeError(first.problems)
    for member in DEMO_STAFF[:-1]:
        clinic.save_staff(member)
    clinic.save_settings(DEMO_CLINIC)
    reception = next(m for m in clinic.staff() if m.role == "reception")
    clinic.sign_in(int(reception.id or 0))
    today = services.ctx.today()
    for patient in _patients(rng, today, patients):
        result = services.patients.create(patient)
        if not result.ok:
            raise RuntimeError(f"demo patient refused: {result.problems}")
