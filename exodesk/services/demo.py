"""The demo clinic: synthetic staff and patients, written through the services like real work.

Never real people: names are drawn from common name lists and combined at random; phone
numbers are from the ranges set aside for drama and fiction (UK 07700 900xxx, 020 7946 0xxx).

Every demo account signs in with the password ``demo-password`` (``DEMO_PASSWORD``): Priya Shah
(reception), Dr Amara Okafor (practitioner and admin), Nurse Ben Whitaker (practitioner) and
Tom Reyes (reception and admin). It is printed here on purpose: the demo holds no real data.
"""

from __future__ import annotations

import math
import random
import struct
import zlib
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from exodesk.domain.allergies import Allergy
from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.patient import Patient
from exodesk.domain.screening import no_to_the_rest
from exodesk.domain.sessions import (
    AdverseEvent,
    Lot,
    Product,
    PrpPreparation,
    SessionProduct,
    session_day,
)
from exodesk.domain.staff import StaffMember
from exodesk.errors import UserError
from exodesk.services.backups import CLOSE, DAILY, BackupService, backup_data_file
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
    StaffMember("Dr Amara Okafor", "practitioner", is_admin=True),
    StaffMember("Nurse Ben Whitaker", "practitioner"),
    StaffMember("Tom Reyes", "reception", is_admin=True),
)
DEMO_PASSWORD = "demo-password"

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
_MALE_GIVEN = frozenset(
    {
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
        "Şükrü",
        "Seán",
        "José",
        "Björn",
        "Søren",
        "Aarav",
        "Hiroshi",
        "Yusuf",
    }
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
# The allergies above are recorded on the allergy list, not as alerts (so KELLY, Hannah's
# lidocaine allergy stops lidocaine cream): (substance, severity, reaction).
_ALLERGIES: dict[str, tuple[str, str, str]] = {
    "Allergy: lidocaine": (
        "Lidocaine",
        "severe",
        "Lips and face swelled after a dental injection",
    ),
    "Latex allergy": ("Latex", "moderate", "Hives where latex gloves touched the skin"),
}


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
        female = given not in _MALE_GIVEN
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


def demo_signature_png(seed: int, width: int = 300, height: int = 90) -> bytes:
    """A synthetic scribble as a PNG, written without Qt (services never import it)."""
    rng = random.Random(seed)
    pixels = bytearray(b"\xff" * (width * height))
    phase, amp = rng.random() * 6, 12 + rng.random() * 14
    for x in range(20, width - 20):
        y = height / 2 + amp * math.sin(x / (7 + seed % 5) + phase) * math.cos(x / 37)
        for dy in (-1, 0, 1):
            yy = int(y) + dy
            if 0 <= yy < height:
                pixels[yy * width + x] = 30
    raw = b"".join(b"\x00" + bytes(pixels[r * width : (r + 1) * width]) for r in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _seed_allergies(
    services: Services, patient_id: int, allergy: tuple[str, str, str] | None, *, asked: bool
) -> None:
    """The patient's allergy on the list; or, for one in three of the rest, "no known
    allergies" said at registration (the others show "Allergies not recorded")."""
    if allergy is not None:
        substance, severity, reaction = allergy
        saved = services.allergies.record(Allergy(patient_id, substance, severity, reaction))
    elif asked:
        saved = services.allergies.record_none_known(patient_id)
    else:
        return
    if not saved.ok:
        raise RuntimeError(f"demo allergy refused: {saved.problems}")


def _screening_profiles(today: date) -> list[dict[str, Any]]:
    """Answer sets that between them show every verdict the rules give (what each patient
    declares; ``no_to_the_rest`` gives the explicit no / never to everything else)."""
    days = timedelta
    return [
        {},
        {"anticoagulants": True, "bleeding_supplements": frozenset({"omega3_high_dose"})},
        # Stopped six days ago: inside the 5–7 days the source gives (the rule waits 7), so
        # the practitioner's override below rests on the source, not against it.
        {"retinoid_last_use": today - days(6), "medications": "Tretinoin 0.025% cream at night"},
        {"blood_disorder": True, "notes": "Mild von Willebrand disease, under haematology"},
        {"pregnant": True},
        {
            "cancer_history": True,
            "autoimmune": "controlled",
            "notes": "Breast cancer 2015, in remission",
        },
        {"active_infection": True, "active_infection_area": "scalp"},
        {"isotretinoin_last_dose": today - days(240)},
        {"sensitive_skin_or_allergies": True, "chronic_skin_condition": frozenset({"rosacea"})},
        {"cold_sores_frequent": True, "laser_last": today - days(9)},
        {"sun_exposure_last": today - days(5), "recent_treatments": "Beach holiday, some sunburn"},
        {},
    ]


def _seed_screenings(services: Services, rng: random.Random) -> None:
    """Screenings for the first patients: current, lapsed, amended, signed off, overridden."""
    screening, clinic = services.screening, services.clinic
    staff = clinic.staff()
    reception = next(m for m in staff if m.role == "reception" and not m.is_admin)
    practitioner = [m for m in staff if m.role == "practitioner"][-1]
    real_clock = services.ctx.clock
    now = real_clock()
    patients = services.patients.search("").rows[:26]
    try:
        for n, patient in enumerate(patients):
            # Two in five were screened six weeks ago (lapsed); the rest in the last fortnight.
            back = timedelta(days=44 if n % 5 == 4 else rng.randint(0, 13), hours=rng.randint(0, 6))
            _at(services, now - back)
            seat(services, int(reception.id or 0))
            today = services.ctx.today()
            # Every question answered, as the questionnaire requires: no to the rest.
            answers = no_to_the_rest(screening.rules(), _screening_profiles(today)[n % 12])
            record = screening.save(int(patient.id or 0), answers).record
            if n % 7 == 3:
                record = screening.amend(
                    record.id,
                    {**answers, "supplements": "Vitamin D"},
                    "Patient remembered a supplement",
                ).record
            if n % 6 != 5:
                screening.record_consent(record.id, patient.full_name, demo_signature_png(n))
            seat(services, int(practitioner.id or 0))
            verdicts = {t.treatment: t.verdict for t in record.result.treatments}
            if verdicts.get("prp") == "review" and n % 2 == 1:
                screening.sign_off(record.id, "prp", "cleared", "Letter from GP seen and scanned")
            if n == 2:
                screening.override(
                    record.id,
                    "exosome_face",
                    "Tretinoin stopped 6 days ago, within the 5–7 days advised; skin intact "
                    "on exam and a patch test clear",
                )
    finally:
        services.ctx.clock = real_clock


def _at(services: Services, moment: datetime) -> None:
    """Run the next service calls as if at ``moment`` (demo history in the past)."""
    services.ctx.clock = lambda: moment


def _seed_catalogue(services: Services) -> dict[str, int]:
    """Fictional products and lots: one lot expired, one close to expiry, one without reports."""
    catalogue = services.catalogue
    today = services.ctx.today()
    products = {
        "verde": Product(
            "VerdeCell Plant Exosome Booster",
            "Fictional Botanica GmbH",
            "exosome",
            "plant",
            "topical",
            "Demo product; not a real brand.",
            ingredients="Plant-derived exosomes (rose callus culture), sodium hyaluronate, "
            "glycerin, water",
        ),
        "exoglow": Product(
            "ExoGlow Cord-MSC Exosome Serum",
            "Fictional Biologics Ltd",
            "exosome",
            "umbilical_cord_msc",
            "topical",
            "Demo product; human-derived: see the regulatory note.",
            ingredients="Exosomes from human umbilical cord stem cells, hyaluronic acid, "
            "trehalose, phosphate-buffered saline",
        ),
        "prp": Product(
            "RegenPlasma PRP Kit 10 ml",
            "Fictional Medtech Inc",
            "prp_kit",
            "platelet",
            "injectable",
            ingredients="Sodium citrate anticoagulant, separator gel; latex-free",
        ),
        "lido": Product(
            "Lidocaine 5% cream",
            "Fictional Pharma",
            "anaesthetic",
            None,
            "topical",
            ingredients="Lidocaine 5%, carbomer, propylene glycol, water",
        ),
    }
    ids = {key: catalogue.save_product(p).record.id for key, p in products.items()}
    all_reports = frozenset({"purity", "sterility", "viability", "virus_pathogen"})
    lots = {
        "VC-2411": Lot(
            ids["verde"],
            "VC-2411",
            today + timedelta(days=310),
            today - timedelta(days=120),
            "2–8 °C",
            all_reports,
        ),
        "VC-2502": Lot(
            ids["verde"],
            "VC-2502",
            today + timedelta(days=19),
            today - timedelta(days=200),
            "2–8 °C",
            frozenset({"purity", "sterility"}),
        ),
        "EX-2207A": Lot(
            ids["exoglow"],
            "EX-2207A",
            today - timedelta(days=12),
            today - timedelta(days=400),
            "-20 °C",
            all_reports,
        ),
        "EX-2410B": Lot(
            ids["exoglow"],
            "EX-2410B",
            today + timedelta(days=240),
            today - timedelta(days=60),
            "-20 °C",
            frozenset(),
        ),
        "RP-5512": Lot(
            ids["prp"],
            "RP-5512",
            today + timedelta(days=500),
            today - timedelta(days=90),
            "Room temperature",
            frozenset({"sterility"}),
        ),
        "LD-77": Lot(
            ids["lido"],
            "LD-77",
            today + timedelta(days=150),
            today - timedelta(days=30),
            "Room temperature",
        ),
    }
    return {number: catalogue.save_lot(lot).record.id for number, lot in lots.items()}


# The demo's photographed courses, in the order the first courses are seeded: (area, consent
# levels, views of the baseline set, views of the latest set, improvement). The pictures are
# drawn (services.photo_samples), never of real people, and small, so seeding stays quick.
_DEMO_PHOTOS: dict[int, tuple[str, frozenset[str], tuple[str, ...], tuple[str, ...], float]] = {
    0: (
        "face",
        frozenset({"record", "teaching"}),
        ("front", "left_45", "right_45", "left_profile", "right_profile"),
        ("front", "left_45", "right_45"),
        0.5,
    ),
    1: (
        "scalp",
        frozenset({"record"}),
        ("hairline", "parting", "crown", "donor"),
        ("hairline", "crown"),
        1.35,
    ),
}
_DEMO_PHOTO_SIZE = (640, 480)


def _seed_photo_consent(
    services: Services, pid: int, name: str, plan: tuple[str, frozenset[str], Any, Any, float]
) -> None:
    result = services.photos.record_consent(pid, plan[1], name, demo_signature_png(pid + 97))
    if not result.ok:
        raise RuntimeError(f"demo photo consent refused: {result.problems}")


def _seed_photo_set(
    services: Services,
    pid: int,
    plan: tuple[str, frozenset[str], tuple[str, ...], tuple[str, ...], float],
    session_id: int | None,
    *,
    first: bool,
) -> None:
    """A drawn photo set (baseline before the first session, or after the latest) and its
    ratings."""
    from exodesk.services.photo_samples import synthetic_photo

    area, _levels, baseline_views, latest_views, better = plan
    photos = services.photos
    made = photos.new_set(pid, area, session_id=session_id)
    density = 0.55 if area == "scalp" and first else 0.55 * better if area == "scalp" else 1.0
    for view in baseline_views if first else latest_views:
        picture = synthetic_photo(area, view, made.taken_on, size=_DEMO_PHOTO_SIZE, density=density)
        photos.add_photo(made.id, view, picture, source="camera")
    for scale in photos.scales(pid, area)[:2]:
        if scale.startswith("gais"):
            if not first:
                photos.rate(made.id, scale, "2" if scale.endswith("practitioner") else "3")
        else:  # a hair-loss stage: at the baseline and again later (one step better)
            values = {"norwood": ("4", "3"), "ludwig": ("II", "I")}[scale]
            photos.rate(made.id, scale, values[0] if first else values[1])


def _seed_sessions(services: Services, lots: dict[str, int], rng: random.Random) -> int:
    """Courses with sessions in the past (each after a fresh screening), and two complications.
    Returns how many patients were given demo photos."""
    screening, sessions, clinic = services.screening, services.sessions, services.clinic
    practitioner = next(m for m in clinic.staff() if m.role == "practitioner")
    real_clock = services.ctx.clock
    now = real_clock()
    rows = services.patients.search("").rows
    # Patients with no screening yet: their history is written here from the start.
    fresh = [p for p in rows if screening.current(int(p.id or 0)) is None][:9]
    plans = [
        ("skin_rejuvenation", "exosome_face", 3, ["VC-2411"]),
        ("scalp_hair", "exosome_scalp", 3, ["VC-2411"]),
        ("acne_scarring", "microneedling", 2, []),
        ("skin_rejuvenation", "prp", 2, ["RP-5512"]),
        ("skin_rejuvenation", "exosome_face", 1, ["VC-2502"]),
        # A UK clinic: no session uses the human-derived serum (reportedly not legal in the
        # UK); it stays in the catalogue, where its lots show the regulatory flag.
        ("scalp_hair", "exosome_scalp", 2, ["VC-2411"]),
        ("skin_rejuvenation", "exosome_face", 2, ["VC-2411"]),
        ("acne_scarring", "microneedling", 3, []),
        ("scalp_hair", "prp", 1, ["RP-5512"]),
    ]
    event_session: int | None = None
    photographed: list[int] = []  # patients given demo photos, in order
    try:
        seat(services, int(practitioner.id or 0))
        for patient, (template, treatment, done, lot_numbers) in zip(fresh, plans, strict=False):
            pid = int(patient.id or 0)
            gap = 35 + rng.randint(0, 5)
            start = now - timedelta(days=gap * done + rng.randint(2, 9))
            _at(services, start)
            course = services.courses.start_course(pid, template, treatment).record
            for n in range(done):
                moment = start + timedelta(days=gap * n, hours=1)
                _at(services, moment - timedelta(minutes=40))
                record = screening.save(pid, no_to_the_rest(screening.rules(), {})).record
                screening.record_consent(record.id, patient.full_name, demo_signature_png(pid + n))
                _at(services, moment)
                draft = sessions.prefill(pid, course.id)
                scalp = treatment == "exosome_scalp" or template == "scalp_hair"
                draft = replace(
                    draft,
                    treatment=treatment,
                    areas=frozenset({"scalp"} if scalp else {"face", "neck"}),
                    indication=course.indication,
                    delivery="topical_microneedling",
                    needle_depth_mm=1.5 if scalp else 0.75,
                    anaesthetic="Lidocaine 5% cream",
                    anaesthetic_minutes=25,
                    products=tuple(
                        SessionProduct(lots[number], 2.5) for number in [*lot_numbers, "LD-77"]
                    ),
                    reactions=frozenset({"redness", "pinpoint_bleeding"}),
                    aftercare_issued=True,
                    prp=PrpPreparation(
                        "RegenPlasma 10 ml", 10.0, "single", "3,500 rpm", 8, 4.0, "none"
                    )
                    if treatment == "prp"
                    else None,
                )
                check = sessions.check(draft)
                if check.allergies.blocks:
                    # Good practice: the practitioner sees the allergy stop and uses no
                    # lidocaine, rather than overriding it.
                    draft = replace(
                        draft,
                        anaesthetic="",
                        anaesthetic_minutes=None,
                        products=tuple(p for p in draft.products if p.lot_id != lots["LD-77"]),
                        notes="No numbing cream: allergic to lidocaine (on the allergy list).",
                    )
                    check = sessions.check(draft)
                photos = _DEMO_PHOTOS.get(len(photographed)) if n in (0, done - 1) else None
                if photos is not None and n == 0:
                    _at(services, moment - timedelta(minutes=50))
                    _seed_photo_consent(services, pid, patient.full_name, photos)
                    _seed_photo_set(services, pid, photos, None, first=True)
                    _at(services, moment)
                saved = sessions.record(draft, confirmed=[n.id for n in check.regulatory])
                if not saved.ok:
                    raise RuntimeError(f"demo session refused: {saved.problems}")
                if photos is not None and n == done - 1:
                    _at(services, moment + timedelta(minutes=30))
                    _seed_photo_set(services, pid, photos, int(saved.record.id), first=False)
                    photographed.append(pid)
                if event_session is None and n == 0 and done > 1:
                    event_session = saved.record.id
        if event_session is not None:
            first = sessions.get(event_session)
            day = session_day(first.performed_at)
            onset = day + timedelta(days=33)
            _at(services, now)
            services.events.log_event(
                AdverseEvent(
                    event_session,
                    "granuloma_nodule",
                    onset,
                    "moderate",
                    "Small firm lump below the left cheekbone, not tender, about 5 mm.",
                    "Photographed; review booked in two weeks; supplier informed.",
                    "ongoing",
                    reported_to_supplier=True,
                )
            )
            services.events.log_event(
                AdverseEvent(
                    event_session,
                    "bruising",
                    day,
                    "mild",
                    "Pinpoint bruising along the jawline.",
                    "Cool compress advice.",
                    "resolved",
                    resolution_date=day + timedelta(days=4),
                )
            )
    finally:
        services.ctx.clock = real_clock
    return len(photographed)


def _seed_loose_photos(services: Services) -> None:
    """A small demo has no courses to photograph: its first patient gets photo consent and
    one face set, so the gallery is never empty in a demo."""
    practitioner = next(m for m in services.clinic.staff() if m.role == "practitioner")
    seat(services, int(practitioner.id or 0))
    first = services.patients.search("").rows[0]
    pid = int(first.id or 0)
    plan = _DEMO_PHOTOS[0]
    _seed_photo_consent(services, pid, first.full_name, plan)
    _seed_photo_set(services, pid, (*plan[:2], plan[3], plan[3], plan[4]), None, first=True)


def seat(services: Services, staff_id: int | None) -> StaffMember:
    """Put a staff member at the desk without a password: the demo seed and tests only.

    Not a method of any service: a running clinic signs people in with
    ``AccountService.sign_in``, which checks the password. The audit entry says how the
    person got there.

    Raises:
        UserError: that person is not on the active staff list.
    """
    member = next((m for m in services.clinic.staff() if m.id == staff_id), None)
    if member is None or not member.active:
        raise UserError("That staff member is not on the active staff list.")
    services.ctx.desk.user = member
    with services.ctx.write():
        services.ctx.audit(
            "sign_in",
            "staff",
            member.id,
            summary=f"{member.label} at the desk (demo or test: no password asked)",
        )
    return member


def seed_demo(
    services: Services, *, patients: int = 80, seed: int = 2026, backup_history: bool = True
) -> None:
    """Fill an empty data file with the demo clinic (and, by default, a backup history)."""
    rng = random.Random(seed)
    clinic = services.clinic
    first = services.accounts.first_account(DEMO_STAFF[-1], DEMO_PASSWORD)
    if not first.ok:
        raise RuntimeError(first.problems)
    for member in DEMO_STAFF[:-1]:
        services.accounts.create_account(member, DEMO_PASSWORD, temporary=False)
    clinic.save_settings(DEMO_CLINIC)
    reception = next(m for m in clinic.staff() if m.role == "reception")
    # Switching people without typing the password (ClinicService.sign_in) keeps the seed fast.
    seat(services, int(reception.id or 0))
    today = services.ctx.today()
    for n, patient in enumerate(_patients(rng, today, patients)):
        allergy = _ALLERGIES.get(patient.alerts)
        result = services.patients.create(replace(patient, alerts="") if allergy else patient)
        if not result.ok:
            raise RuntimeError(f"demo patient refused: {result.problems}")
        _seed_allergies(services, int(result.record.id or 0), allergy, asked=n % 3 == 0)
    _seed_screenings(services, rng)
    lots = _seed_catalogue(services)
    if not _seed_sessions(services, lots, rng):
        _seed_loose_photos(services)
    if backup_history:
        _seed_backup_history(services)
    seat(services, int(reception.id or 0))


DEMO_BACKUP_DAYS = ((1, CLOSE), (2, DAILY), (3, CLOSE), (6, DAILY), (12, DAILY), (40, DAILY))
"""(days ago, reason) of the demo's past backups: enough for the restore list to look lived-in."""


def _seed_backup_history(services: Services) -> None:
    """Verified backups dated over the past weeks, as a clinic's folder would hold them.

    They hold today's demo data (the demo has no past to copy); each is a real, verified
    backup, so restore and the restore drill work on them. Rotation then runs as it would.
    """
    now = services.ctx.now()
    for days_ago, reason in DEMO_BACKUP_DAYS:
        moment = (now - timedelta(days=days_ago)).replace(hour=18, minute=2, second=0)
        backup_data_file(
            services.paths.data_file,
            services.paths.backups,
            reason=reason,
            now=moment,
            create_folder=True,
        )
    admin = next(m for m in services.clinic.staff() if m.is_admin)
    seat(services, int(admin.id or 0))  # deleting old backups is an admin's choice
    BackupService(services.ctx, services.paths).rotate(now)
