"""A synthetic clinic data file of any size, bulk-inserted straight into the tables."""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.intake import encode_answer, result_to_json
from exodesk.domain.patient import Patient
from exodesk.domain.screening import no_to_the_rest
from exodesk.domain.sessions import Product, PrpPreparation
from exodesk.domain.staff import StaffMember
from exodesk.paths import DataPaths
from exodesk.services.demo import demo_signature_png, fold_ascii, seat
from exodesk.services.workspace import open_services, refresh_statistics
from exodesk.storage.patients import _derived, patient_values
from exodesk.storage.screenings import ScreeningRepository
from exodesk.storage.sessions import _join, lot_key
from tests.bundled import bundled_protocols

# Common surnames first: the weights below fall off with rank, so "Smith" is frequent and the
# accented and non-English names are rarer, as on a real list.
FAMILY = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas",
    "Johnson", "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards",
    "Hughes", "Green", "Hall", "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood",
    "Turner", "Martin", "Cooper", "Hill", "Ward", "Morris", "Moore", "Clark", "Lee", "King",
    "Baker", "Harrison", "Morgan", "Allen", "James", "Scott", "Phillips", "Watson", "Davis",
    "Parker", "Price", "Bennett", "Young", "Griffiths", "Mitchell", "Kelly", "Cook", "Carter",
    "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy", "Miller", "Cox", "Richards",
    "Khan", "Marshall", "Anderson", "Simpson", "Ellis", "Adams", "Singh", "Begum", "Wilkinson",
    "Foster", "Chapman", "Powell", "Webb", "Rogers", "Gray", "Mason", "Ali", "Hunt", "Hussain",
    "Campbell", "Matthews", "Owen", "Palmer", "Holmes", "Mills", "Barnes", "Knight", "Lloyd",
    "Butler", "Russell", "Barker", "Fisher", "Stevens", "Jenkins", "Murray", "Dixon", "Harvey",
    "O'Brien", "McCarthy", "Nowak", "Wiśniewski", "Kowalczyk", "Öztürk", "Yılmaz", "Müller",
    "García", "Fernández", "Dubois", "Lefèvre", "Andersson", "Nørgaard", "Nguyen", "Okonkwo",
    "Mensah", "Papadopoulos", "Rossi", "Costa", "Walsh", "Zhang", "Wang", "Kim", "Sánchez",
    "Łukasiewicz", "Ó Súilleabháin", "Van der Berg", "De Souza", "Abubakar", "Chowdhury",
)  # fmt: skip
GIVEN = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Sophia", "Grace", "Lily", "Freya", "Emily",
    "Ella", "Charlotte", "Sophie", "Hannah", "Chloe", "Jessica", "Lucy", "Emma", "Sarah",
    "Laura", "Rebecca", "Rachel", "Katie", "Amy", "Claire", "Helen", "Nicola", "Joanne",
    "Susan", "Karen", "Julie", "Michelle", "Louise", "Natalie", "Zoë", "Chloé", "Renée",
    "Siobhán", "Niamh", "Aoife", "Łucja", "Agnieszka", "Ayşe", "Elif", "María", "Priyanka",
    "Fatima", "Mei", "Yuki", "Amara", "Noah", "Oliver", "George", "Arthur", "Leo", "Harry",
    "Jack", "Oscar", "Theo", "James", "Thomas", "William", "Daniel", "Matthew", "David",
    "Michael", "Paul", "Mark", "Andrew", "Richard", "Ben", "Sam", "Tom", "Mateo", "José",
    "Seán", "Björn", "Søren", "Şükrü", "Aarav", "Hiroshi", "Yusuf", "Kwame", "Dmitri",
)  # fmt: skip
_MALE_FROM = GIVEN.index("Noah")
# A real list of 100,000 patients holds thousands of surnames, most of them rare: made-up
# English-looking compounds (Ashford, Westwick...) stand in for that long tail.
_SURNAME_STARTS = (
    "Ash", "Black", "Brad", "Brook", "Bur", "Cal", "Cart", "Chad", "Clay", "Craw", "Dal", "Den",
    "Dun", "East", "Fair", "Farn", "Gar", "Glad", "Gold", "Green", "Hal", "Har", "Hart", "Hay",
    "Hol", "Kings", "Lang", "Lind", "Mar", "Mid", "Mor", "New", "North", "Oak", "Pem", "Rad",
    "Ren", "Ring", "Rock", "Ros", "Rud", "Sal", "Sand", "Shel", "Sher", "Stan", "Stock", "Sut",
    "Thorn", "Wal", "War", "Wel", "West", "Whit", "Win", "Wood", "Yar", "Ing", "Up", "Em",
)  # fmt: skip
_SURNAME_ENDS = (
    "bury", "by", "croft", "dale", "don", "field", "ford", "gate", "ham", "hill", "hurst",
    "ington", "land", "ley", "low", "man", "more", "ridge", "stead", "stone", "ton", "well",
    "wick", "win", "wood", "worth",
)  # fmt: skip
RARE_FAMILY = tuple(a + b for a in _SURNAME_STARTS for b in _SURNAME_ENDS)
RARE_SHARE = 0.45  # of patients with a long-tail surname; the rest have a common one
# Phone numbers only from ranges set aside for drama and fiction (Ofcom), so no real person's.
_PHONE_RANGES = (
    "07700 900", "0113 496 0", "0114 496 0", "0115 496 0", "0116 496 0", "0117 496 0",
    "0118 496 0", "0121 496 0", "0131 496 0", "0141 496 0", "0151 496 0", "0161 496 0",
    "020 7946 0", "029 2018 0", "01632 960",
)  # fmt: skip
_TOWNS = ("Kingston upon Thames", "Surbiton", "Richmond", "Twickenham", "Wimbledon", "Putney")
_STREETS = ("Elm Road", "Park Avenue", "Mill Lane", "Church Street", "Station Road", "Queens Walk")
_ALERTS = ("Allergy: lidocaine", "Latex allergy", "Needle-phobic: allow extra time")

CLINIC = ClinicSettings(
    name="Benchmark Skin & Hair Clinic (synthetic)",
    address="1 Synthetic Street\nKingston upon Thames\nKT1 1AA",
    phone="020 7946 0999",
    country="GB",
    paper_size="A4",
)
# (key, product, lot prefix): a new lot of each product arrives every LOT_DAYS days.
PRODUCTS = (
    ("verde", Product("VerdeCell Plant Exosome Booster", "Fictional Botanica GmbH", "exosome",
                      "plant", "topical"), "VC"),
    ("exoglow", Product("ExoGlow Cord-MSC Exosome Serum", "Fictional Biologics Ltd", "exosome",
                        "umbilical_cord_msc", "topical"), "EX"),
    ("prp", Product("RegenPlasma PRP Kit 10 ml", "Fictional Medtech Inc", "prp_kit", "platelet",
                    "injectable"), "RP"),
    ("serum", Product("HydraCalm Recovery Serum", "Fictional Derm Ltd", "serum", None,
                      "topical"), "HC"),
    ("cartridge", Product("NanoPen 12-pin cartridge", "Fictional Devices Ltd", "other", None,
                          "topical"), "NP"),
    ("lido", Product("Lidocaine 5% cream", "Fictional Pharma", "anaesthetic", None, "topical"),
     "LD"),
)  # fmt: skip
LOT_DAYS = 60
HISTORY_YEARS = 10
# Treatment mix, and which products each uses (the anaesthetic is added for most sessions).
TREATMENT_MIX = (("exosome_face", 40), ("exosome_scalp", 20), ("prp", 20), ("microneedling", 20))
TEMPLATE_FOR = {
    "exosome_face": "skin_rejuvenation",
    "exosome_scalp": "scalp_hair",
    "prp": "skin_rejuvenation",
    "microneedling": "acne_scarring",
}
AREAS_FOR = {
    "exosome_face": (("face",), ("face", "neck"), ("face", "neck", "decolletage")),
    "exosome_scalp": (("scalp",),),
    "prp": (("face",), ("scalp",), ("face", "neck")),
    "microneedling": (("face",), ("face", "neck"), ("hands",)),
}
AMENDED_SHARE = 0.015
ERROR_SHARE = 0.005
EVENT_SHARE = 0.003
INACTIVE_SHARE = 0.05
BATCH = 50_000


@dataclass(frozen=True)
class GeneratedClinic:
    """What was generated, and the records the benchmark measures on."""

    paths: DataPaths
    patients: int
    sessions: int
    session_products: int
    screenings: int
    adverse_events: int
    lots: int
    busy_patient_id: int  # the patient with the most sessions (200 by default)
    busy_sessions: int
    recall_lot: str  # an exosome lot used by thousands of sessions
    sheet_session_ids: tuple[int, ...]  # current sessions to print aftercare sheets for
    seconds: float
    file_bytes: int


def _chunks(rows: Iterable[Sequence[Any]], size: int = BATCH) -> Iterator[list[Sequence[Any]]]:
    batch: list[Sequence[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert(conn: sqlite3.Connection, table: str, columns: str, rows: Iterable[Sequence]) -> int:
    """Bulk insert in one transaction per table (executemany in batches to bound memory)."""
    marks = ", ".join("?" for _ in columns.split(","))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
    count = 0
    with conn:
        for batch in _chunks(rows):
            conn.executemany(sql, batch)
            count += len(batch)
    return count


_PATIENT_COLUMNS = (
    "family_name, given_names, date_of_birth, sex, phone, email, address, emergency_contact, "
    "gp, alerts, notes, status, status_reason, sort_key, search_names, search_phone, "
    "created_at, created_by, updated_at, updated_by"
)


def _insert_patients(conn: sqlite3.Connection, rows: Iterable[Sequence]) -> int:
    """Patients through their table's triggers (which fill the FTS index), in one statement.

    Row by row, every INSERT is its own statement and FTS5 flushes its pending terms to a new
    segment at each one (minutes for 100,000 rows); staged first, one INSERT ... SELECT lets
    it build the index in memory.
    """
    conn.execute(f"CREATE TEMP TABLE staged_patients ({_PATIENT_COLUMNS})")
    count = _insert(conn, "temp.staged_patients", _PATIENT_COLUMNS, rows)
    with conn:
        conn.execute(
            f"INSERT INTO patients ({_PATIENT_COLUMNS}) "
            f"SELECT {_PATIENT_COLUMNS} FROM temp.staged_patients ORDER BY rowid"
        )
    conn.execute("DROP TABLE temp.staged_patients")
    return count


def _weights(n: int, shift: int) -> list[float]:
    """Zipf-like weights, flattened at the top: with ``shift`` 10 "Smith" is about one
    common surname in thirty, as on a British list."""
    return [1.0 / (rank + 1 + shift) for rank in range(n)]


def _session_counts(
    rng: random.Random, patients: int, sessions: int, busy: int, busy_index: int
) -> list[int]:
    """How many session rows each patient has: one in ten none, a long tail, one with ``busy``."""
    counts = [0] * patients
    rest = sessions - busy
    if patients > 1 and rest > 0:
        draws = [0.0 if rng.random() < 0.1 else rng.expovariate(1.0) for _ in range(patients)]
        draws[busy_index] = 0.0
        scale = rest / (sum(draws) or 1.0)
        cap = max(busy - 1, 1)
        counts = [min(int(d * scale), cap) for d in draws]
        short = rest - sum(counts)
        order = [i for i in range(patients) if i != busy_index]
        while short > 0:  # hand out what rounding and the cap left over, one at a time
            for i in rng.sample(order, min(len(order), short)):
                if counts[i] < cap:
                    counts[i] += 1
                    short -= 1
            if all(counts[i] >= cap for i in order):
                break
    counts[busy_index] = min(busy, sessions)
    return counts


def generate(
    folder: Path,
    *,
    patients: int = 100_000,
    sessions: int = 1_000_000,
    busy_sessions: int = 200,
    seed: int = 2026,
    today: date | None = None,
) -> GeneratedClinic:
    """Create ``folder``'s data file as a clinic with this many patients and session rows.

    The schema comes from the app's own migrations; the small tables (staff, settings,
    products) go through the services; the big ones are bulk-inserted with the derived columns
    the repositories would write (sort keys, search text, lot keys), and the patients' FTS
    index is filled by the table's own triggers.
    """
    started = time.perf_counter()
    rng = random.Random(seed)
    today = today or date.today()
    paths = DataPaths(Path(folder))
    if paths.data_file.exists():
        raise FileExistsError(paths.data_file)
    busy_sessions = min(busy_sessions, sessions)

    services = open_services(paths, create=True)
    try:
        clinic = services.clinic
        admin = clinic.add_first_staff(
            StaffMember("Ada Admin", "practitioner", is_admin=True)
        ).record
        clinic.save_staff(StaffMember("Rita Reception", "reception"))
        clinic.save_staff(StaffMember("Dr Amara Okafor", "practitioner"))
        clinic.save_staff(StaffMember("Nurse Ben Whitaker", "practitioner"))
        clinic.save_settings(CLINIC)
        practitioners = [int(m.id or 0) for m in clinic.staff() if m.role == "practitioner"]
        product_ids = {
            key: services.catalogue.save_product(product).record.id for key, product, _ in PRODUCTS
        }
        _, consent_text = services.screening.consent_text()
        table = services.screening.rules()
        profiles = _screening_profiles(services, today)
        admin_id = int(admin.id or 0)
    finally:
        services.close()

    conn = sqlite3.connect(paths.data_file)
    try:
        # A throwaway file being written from scratch: no WAL, no fsync until the end.
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -262144")
        conn.execute("PRAGMA foreign_keys = OFF")
        stamp = datetime(today.year, today.month, today.day, 9, tzinfo=UTC).isoformat()
        with conn:
            consent_id = ScreeningRepository(_Db(conn)).add_consent_text(
                consent_text, at=datetime.fromisoformat(stamp), by=None
            )[0]
        history_start = today - timedelta(days=365 * HISTORY_YEARS)
        lots = _lots(history_start, today, product_ids)
        lot_count = _insert(
            conn,
            "lots",
            "id, product_id, lot_number, lot_key, expiry, received_on, storage, lab_reports, "
            "notes, created_at",
            [(*row, stamp) for row in lots.rows],
        )
        busy_index = patients // 2
        _insert_patients(conn, _patients(rng, patients, today, stamp, admin_id))
        counts = _session_counts(rng, patients, sessions, busy_sessions, busy_index)
        plan = _Plan(rng, today, history_start, lots, practitioners, profiles, table.version,
                     consent_id, stamp)  # fmt: skip
        plan.build(counts)
        plan.chronological()
        _insert(
            conn,
            "courses",
            "id, patient_id, treatment, indication, planned_sessions, interval_min_days, "
            "interval_max_days, maintenance_min_months, maintenance_max_months, started_on, "
            "template_key, status, created_at, created_by",
            plan.courses,
        )
        screenings = _insert(
            conn,
            "screenings",
            "id, patient_id, series_id, version, taken_on, taken_at, taken_by, date_of_birth, "
            "rule_table_version, result",
            plan.screenings,
        )
        _insert(
            conn,
            "screening_answers",
            "screening_id, item_id, value",
            plan.answers(),
        )
        _insert(
            conn,
            "screening_verdicts",
            "screening_id, treatment_id, verdict, until",
            plan.verdicts(),
        )
        _insert(
            conn,
            "consents",
            "screening_id, consent_text_id, signed_name, signed_on, signature_png, "
            "recorded_by, recorded_at",
            plan.consents(),
        )
        session_rows = _insert(
            conn,
            "sessions",
            "id, patient_id, course_id, series_id, version, supersedes, status, status_reason, "
            "performed_at, practitioner_id, treatment, areas, indication, delivery, "
            "needle_depth_mm, anaesthetic, anaesthetic_minutes, reactions, aftercare_issued, "
            "notes, prp, screening_id, gate_override_reason, spacing_reason, "
            "regulatory_confirmations, recorded_at, recorded_by",
            plan.sessions,
        )
        product_rows = _insert(
            conn,
            "session_products",
            "session_id, position, lot_id, volume_ml",
            plan.products,
        )
        events = _insert(
            conn,
            "adverse_events",
            "session_id, type, onset_date, severity, description, action_taken, outcome, "
            "resolution_date, reported_to_supplier, reported_to_regulator, "
            "regulator_reference, version, recorded_at, recorded_by",
            plan.events,
        )
        busy_patient_id = busy_index + 1
        sheet_ids = plan.current_ids[:: max(len(plan.current_ids) // 100, 1)][:100]
        recall_lot = lots.busiest(plan.lot_use, "verde")
        del plan  # the row lists are large: free them before the app opens the file
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()

    services = open_services(paths)  # the app's own statistics, as every open refreshes them
    try:
        seat(services, admin_id)
        _issue_sheets(services, busy_patient_id)
        refresh_statistics(services.ctx.db)
        services.ctx.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        services.close()
    return GeneratedClinic(
        paths=paths,
        patients=patients,
        sessions=session_rows,
        session_products=product_rows,
        screenings=screenings,
        adverse_events=events,
        lots=lot_count,
        busy_patient_id=busy_patient_id,
        busy_sessions=busy_sessions,
        recall_lot=recall_lot,
        sheet_session_ids=tuple(sheet_ids),
        seconds=time.perf_counter() - started,
        file_bytes=paths.data_file.stat().st_size,
    )


class _Db:
    """Just enough of sqlite-utils' Database for a repository to write through a raw connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)


def _screening_profiles(services: Any, today: date) -> list[tuple[int, str, list, list]]:
    """(weight, result JSON, answer rows, verdict rows) for a few typical answer sets."""
    dob = date(today.year - 40, 6, 1)
    sets: list[tuple[int, dict[str, Any]]] = [
        (70, {}),
        (8, {"medications": "Levothyroxine 50 micrograms"}),
        (6, {"sensitive_skin_or_allergies": True}),
        (5, {"retinoid_last_use": today - timedelta(days=20)}),
        (4, {"anticoagulants": True}),
        (4, {"cold_sores_frequent": True}),
        (3, {"autoimmune": "controlled", "notes": "Hashimoto's, stable"}),
    ]
    table = services.screening.rules()
    out = []
    for weight, declared in sets:
        # Every question answered, as a saved screening is: no / never to the rest.
        answers = no_to_the_rest(table, declared)
        preview = services.screening.preview(answers, dob)
        if preview.result is None:
            continue  # an answer this rule table does not know: leave that profile out
        result = json.dumps(result_to_json(preview.result), ensure_ascii=False, sort_keys=True)
        answer_rows = [
            (item.id, text)
            for item in table.items
            if (text := encode_answer(item, answers.get(item.id))) is not None
        ]
        verdict_rows = [
            (t.treatment, t.verdict, t.until.isoformat() if t.until else None)
            for t in preview.result.treatments
        ]
        out.append((weight, result, answer_rows, verdict_rows))
    return out


@dataclass
class _Lots:
    rows: list[tuple]
    # product key -> [(lot id, lot number)] in the order they arrived, one per LOT_DAYS
    by_product: dict[str, list[tuple[int, str]]]
    start: date

    def pick(self, product: str, day: date) -> int:
        lots = self.by_product[product]
        return lots[min(max((day - self.start).days // LOT_DAYS, 0), len(lots) - 1)][0]

    def busiest(self, use: dict[int, int], product: str) -> str:
        _, number = max(self.by_product[product], key=lambda lot: use.get(lot[0], 0))
        return number


def _lots(start: date, today: date, product_ids: dict[str, int]) -> _Lots:
    rows, by_product = [], {}
    lot_id = 0
    for key, _product, prefix in PRODUCTS:
        lots = []
        received = start
        while received <= today:
            lot_id += 1
            number = f"{prefix}-{received:%y%m}{'AB'[lot_id % 2]}"
            rows.append(
                (
                    lot_id,
                    product_ids[key],
                    number,
                    lot_key(number),
                    (received + timedelta(days=540)).isoformat(),
                    received.isoformat(),
                    "2–8 °C",
                    "purity,sterility",
                    "",
                )
            )
            lots.append((lot_id, number))
            received += timedelta(days=LOT_DAYS)
        by_product[key] = lots
    return _Lots(rows, by_product, start)


def _patients(
    rng: random.Random, count: int, today: date, stamp: str, admin_id: int
) -> Iterator[tuple]:
    family_w = _weights(len(FAMILY), 10)
    given_w = _weights(len(GIVEN), 5)

    def surname() -> str:
        if rng.random() < RARE_SHARE:
            return rng.choice(RARE_FAMILY)
        return rng.choices(FAMILY, family_w)[0]

    for n in range(count):
        family = surname()
        if rng.random() < 0.05:
            family += "-" + surname()
        first = rng.choices(GIVEN, given_w)[0]
        given = first + (" " + rng.choice(GIVEN) if rng.random() < 0.15 else "")
        inactive = rng.random() < INACTIVE_SHARE
        patient = Patient(
            family_name=family,
            given_names=given,
            date_of_birth=today - timedelta(days=rng.randint(18 * 365, 80 * 365)),
            sex="male" if GIVEN.index(first) >= _MALE_FROM else "female",
            phone=f"{rng.choice(_PHONE_RANGES)}{rng.randint(0, 999):03d}",
            email=f"{fold_ascii(first)}.{fold_ascii(family)}{n}@example.com",
            address=f"{rng.randint(1, 199)} {rng.choice(_STREETS)}\n{rng.choice(_TOWNS)}",
            emergency_contact=f"{rng.choice(GIVEN)} {family}",
            gp=f"Dr {rng.choice(FAMILY)}, {rng.choice(_TOWNS)} Medical Centre",
            alerts=rng.choice(_ALERTS) if rng.random() < 0.08 else "",
            status="inactive" if inactive else "active",
            status_reason="Moved away" if inactive else "",
        )
        values = patient_values(patient)
        values.update(_derived(patient))  # the very columns PatientRepository.insert writes
        yield (
            *(values[k] for k in _PATIENT_FIELDS),
            stamp,
            admin_id,
            stamp,
            admin_id,
        )


_PATIENT_FIELDS = (
    "family_name",
    "given_names",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "address",
    "emergency_contact",
    "gp",
    "alerts",
    "notes",
    "status",
    "status_reason",
    "sort_key",
    "search_names",
    "search_phone",
)


class _Plan:
    """Every patient's courses, screenings, sessions, products and events, as table rows."""

    def __init__(
        self,
        rng: random.Random,
        today: date,
        start: date,
        lots: _Lots,
        practitioners: list[int],
        profiles: list[tuple[int, str, list, list]],
        rule_version: str,
        consent_id: int,
        stamp: str,
    ) -> None:
        self.rng = rng
        self.today = today
        self.start = start
        self.lots = lots
        self.practitioners = practitioners
        self.profiles = profiles
        self.profile_weights = [p[0] for p in profiles]
        self.rule_version = rule_version
        self.consent_id = consent_id
        self.stamp = stamp
        self.protocols = {t.key: t for t in bundled_protocols().templates}
        self.signatures = [demo_signature_png(n) for n in range(8)]
        self.courses: list[tuple] = []
        self.screenings: list[tuple] = []
        self.screening_profile: list[int] = []
        self.sessions: list[tuple] = []
        self.products: list[tuple] = []
        self.events: list[tuple] = []
        self.current_ids: list[int] = []
        self.lot_use: dict[int, int] = {}
        self._left = 0

    def build(self, counts: list[int]) -> None:
        treatments = [t for t, _ in TREATMENT_MIX]
        weights = [w for _, w in TREATMENT_MIX]
        span = (self.today - timedelta(days=7) - self.start).days
        for index, count in enumerate(counts):
            if not count:
                continue
            rng = self.rng
            sizes = []
            left = count
            while left > 0:
                size = min(left, rng.randint(2, 6))
                sizes.append(size)
                left -= size
            # Gaps: about five weeks inside a course, months between courses; squeezed to fit.
            gaps = []
            for size in sizes:
                gaps.append(rng.randint(90, 400))
                gaps += [rng.randint(28, 42) for _ in range(size - 1)]
            gaps[0] = 0
            total = sum(gaps)
            squeeze = min(1.0, span / total) if total else 1.0
            day = self.start + timedelta(days=rng.randint(0, max(span - int(total * squeeze), 0)))
            dob = self.today - timedelta(days=rng.randint(25 * 365, 70 * 365))
            self._left = count  # rows, not visits: an amended visit takes two
            g = 0
            for number, size in enumerate(sizes):
                treatment = rng.choices(treatments, weights)[0]
                course_days = []
                for _ in range(size):
                    day += timedelta(days=max(int(gaps[g] * squeeze), 1) if g else 0)
                    g += 1
                    course_days.append(day)
                self._course(index + 1, treatment, course_days, dob, last=number == len(sizes) - 1)

    def chronological(self) -> None:
        """Number courses, screenings and sessions in the order they happened, as a clinic's
        file does: it was written day by day, so one patient's sessions lie scattered through
        the table and one lot's sessions lie close together (which decides what reads cost)."""
        course_ids = _renumber(self.courses, key=lambda row: (row[9], row[0]))
        self.courses = [(course_ids[r[0]], *r[1:]) for r in self.courses]
        self.courses.sort()
        order = sorted(range(len(self.screenings)), key=lambda i: self.screenings[i][5])
        screening_ids = {self.screenings[i][0]: n for n, i in enumerate(order, start=1)}
        self.screening_profile = [self.screening_profile[i] for i in order]
        self.screenings = [
            (screening_ids[r[0]], r[1], screening_ids[r[2]], *r[3:])
            for r in (self.screenings[i] for i in order)
        ]
        session_ids = _renumber(self.sessions, key=lambda row: (row[8], row[0]))
        self.sessions = sorted(
            (
                session_ids[r[0]],
                r[1],
                course_ids[r[2]],
                session_ids[r[3]],
                r[4],
                session_ids[r[5]] if r[5] else None,
                *r[6:21],
                screening_ids[r[21]],
                *r[22:],
            )
            for r in self.sessions
        )
        self.products = sorted((session_ids[r[0]], *r[1:]) for r in self.products)
        self.events = sorted((session_ids[r[0]], *r[1:]) for r in self.events)
        self.current_ids = sorted(session_ids[i] for i in self.current_ids)

    def _course(
        self, patient_id: int, treatment: str, days: list[date], dob: date, *, last: bool
    ) -> None:
        rng = self.rng
        template = self.protocols[TEMPLATE_FOR[treatment]]
        course_id = len(self.courses) + 1
        first = self._moment(days[0])
        status = "active" if last and (self.today - days[-1]).days < 365 else "completed"
        self.courses.append(
            (
                course_id,
                patient_id,
                treatment,
                template.indication,
                max(len(days), template.sessions_min),
                template.interval_min_days,
                template.interval_max_days,
                template.maintenance_min_months,
                template.maintenance_max_months,
                days[0].isoformat(),
                template.key,
                status,
                first.isoformat(),
                self.practitioners[0],
            )
        )
        screening_id = len(self.screenings) + 1
        taken = first - timedelta(minutes=40)
        profile = rng.choices(range(len(self.profiles)), self.profile_weights)[0]
        self.screenings.append(
            (
                screening_id,
                patient_id,
                screening_id,
                1,
                taken.date().isoformat(),
                taken.isoformat(),
                self.practitioners[0],
                dob.isoformat(),
                self.rule_version,
                self.profiles[profile][1],
            )
        )
        self.screening_profile.append(profile)
        areas_choices = AREAS_FOR[treatment]
        for day in days:
            if self._left <= 0:
                break
            moment = self._moment(day)
            areas = frozenset(rng.choice(areas_choices))
            roll = rng.random()
            if roll < AMENDED_SHARE and self._left >= 2:
                old_id = self._session(
                    patient_id, course_id, screening_id, treatment, areas, moment, "amended"
                )
                self._session(
                    patient_id,
                    course_id,
                    screening_id,
                    treatment,
                    areas,
                    moment,
                    "current",
                    amends=old_id,
                )
            elif roll < AMENDED_SHARE + ERROR_SHARE:
                self._session(
                    patient_id, course_id, screening_id, treatment, areas, moment, "error"
                )
            else:
                self._session(
                    patient_id, course_id, screening_id, treatment, areas, moment, "current"
                )

    def _moment(self, day: date) -> datetime:
        minutes = self.rng.randrange(9 * 60, 18 * 60, 15)
        return datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=UTC)

    def _session(
        self,
        patient_id: int,
        course_id: int,
        screening_id: int,
        treatment: str,
        areas: frozenset[str],
        moment: datetime,
        status: str,
        amends: int | None = None,
    ) -> int:
        rng = self.rng
        self._left -= 1
        session_id = len(self.sessions) + 1
        scalp = "scalp" in areas
        prp = None
        if treatment == "prp":
            prp = json.dumps(
                asdict(PrpPreparation("RegenPlasma 10 ml", 10.0, "single", "3,500 rpm", 8, 4.0))
            )
        numbing = rng.random() < 0.7
        reactions = frozenset(rng.sample(("redness", "pinpoint_bleeding", "swelling"), 2))
        when = moment.isoformat()
        self.sessions.append(
            (
                session_id,
                patient_id,
                course_id,
                amends if amends else session_id,
                2 if amends else 1,
                amends,
                "entered_in_error" if status == "error" else status,
                "Recorded against the wrong patient" if status == "error" else "",
                when,
                rng.choice(self.practitioners),
                treatment,
                _join(areas),
                self.protocols[TEMPLATE_FOR[treatment]].indication,
                "microinjection" if treatment == "prp" else "topical_microneedling",
                1.5 if scalp else 0.75,
                "Lidocaine 5% cream" if numbing else "",
                25 if numbing else None,
                _join(reactions),
                1,
                "",
                prp,
                screening_id,
                "",
                "",
                "[]",
                when,
                self.practitioners[0],
            )
        )
        day = moment.date()
        used = {
            "exosome_face": ["verde" if rng.random() < 0.6 else "exoglow", "cartridge"],
            "exosome_scalp": ["verde" if rng.random() < 0.6 else "exoglow", "cartridge"],
            "prp": ["prp"],
            "microneedling": ["cartridge", "serum"],
        }[treatment]
        if numbing:
            used.append("lido")
        for position, product in enumerate(used):
            lot_id = self.lots.pick(product, day)
            self.products.append((session_id, position, lot_id, 2.5))
            if status == "current":
                self.lot_use[lot_id] = self.lot_use.get(lot_id, 0) + 1
        if status == "current":
            self.current_ids.append(session_id)
            if rng.random() < EVENT_SHARE:
                self._event(session_id, day)
        return session_id

    def _event(self, session_id: int, day: date) -> None:
        rng = self.rng
        onset = day + timedelta(days=rng.choice((0, 1, 2, 7, 30)))
        ongoing = (self.today - onset).days < 60 and rng.random() < 0.5
        self.events.append(
            (
                session_id,
                rng.choice(("bruising", "prolonged_swelling_redness", "acne_flare", "infection")),
                onset.isoformat(),
                rng.choice(("mild", "mild", "moderate", "severe")),
                "Redness and swelling beyond the expected two days.",
                "Cool compress advice; review booked.",
                "ongoing" if ongoing else "resolved",
                None if ongoing else (onset + timedelta(days=10)).isoformat(),
                0,
                0,
                "",
                1,
                self.stamp,
                self.practitioners[0],
            )
        )

    def answers(self) -> Iterator[tuple]:
        for screening_id, profile in enumerate(self.screening_profile, start=1):
            for item_id, text in self.profiles[profile][2]:
                yield (screening_id, item_id, text)

    def verdicts(self) -> Iterator[tuple]:
        for screening_id, profile in enumerate(self.screening_profile, start=1):
            for treatment, verdict, until in self.profiles[profile][3]:
                yield (screening_id, treatment, verdict, until)

    def consents(self) -> Iterator[tuple]:
        for row in self.screenings:
            screening_id, patient_id, taken_at = row[0], row[1], row[5]
            if screening_id % 10:  # nine in ten screenings were signed
                yield (
                    screening_id,
                    self.consent_id,
                    f"Patient {patient_id}",
                    row[4],
                    self.signatures[screening_id % len(self.signatures)],
                    self.practitioners[0],
                    taken_at,
                )


def _renumber(rows: list[tuple], *, key: Any) -> dict[int, int]:
    """Old id (first column) -> new id, numbering the rows in ``key`` order from 1."""
    return {row[0]: n for n, row in enumerate(sorted(rows, key=key), start=1)}


def _issue_sheets(services: Any, patient_id: int) -> None:
    """Aftercare sheets issued for the busy patient's sessions, logged through the service.

    Only for this patient: the issue log of every session would store a few kilobytes of
    wording per sheet and dwarf the rest of the file (see the benchmark's notes).
    """
    for session in services.sessions.sessions(patient_id)[:60]:
        sheet = services.aftercare.sheet(treatment=session.treatment, session_id=session.id)
        services.aftercare.record_issue(
            sheet, b"", "printed", patient_id=patient_id, session_id=session.id
        )
