"""Session records: products and lots, courses, treatment sessions, adverse events (pure)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum

from exodesk.domain.allergies import Allergen, Contents, anaesthetic_contents, contents_known
from exodesk.domain.dates import format_long
from exodesk.domain.problems import Problem, check_text

# ---- vocabularies (stable ids: stored in the data file) -------------------------------------

TREATMENTS: dict[str, str] = {
    "exosome_face": "Exosome facial",
    "exosome_scalp": "Exosome scalp treatment",
    "prp": "PRP (platelet-rich plasma)",
    "microneedling": "Microneedling",
}
AREAS: dict[str, str] = {
    "face": "Face",
    "neck": "Neck",
    "decolletage": "Décolletage",
    "scalp": "Scalp",
    "hands": "Hands",
}
INDICATIONS: dict[str, str] = {
    "rejuvenation": "Skin rejuvenation",
    "acne_scarring": "Acne scarring / texture",
    "pigmentation": "Pigmentation",
    "hair_thinning": "Hair thinning",
}
DELIVERY_METHODS: dict[str, str] = {
    "topical_microneedling": "Topical after microneedling",
    "microinjection": "Microinjection",
    "combination": "Combination",
    "topical_only": "Topical only",
}
REACTIONS: dict[str, str] = {
    "redness": "Redness",
    "swelling": "Swelling",
    "pinpoint_bleeding": "Pinpoint bleeding",
    "bruising": "Bruising",
    "warmth": "Warmth",
    "tightness_flaking": "Tightness or flaking",
}
PRODUCT_KINDS: dict[str, str] = {
    "exosome": "Exosome product",
    "prp_kit": "PRP kit",
    "serum": "Serum",
    "anaesthetic": "Anaesthetic",
    "other": "Other",
}
SOURCES: dict[str, str] = {
    "umbilical_cord_msc": "Umbilical cord stem cells (human)",
    "placenta": "Placenta (human)",
    "bone_marrow": "Bone marrow (human)",
    "adipose": "Adipose / fat tissue (human)",
    "plant": "Plant-derived",
    "platelet": "Platelets",
    "other": "Other",
}
HUMAN_SOURCES = frozenset({"umbilical_cord_msc", "placenta", "bone_marrow", "adipose"})
INTENDED_USES: dict[str, str] = {
    "topical": "Topical",
    "injectable": "Injectable",
    "both": "Topical and injectable",
}
LAB_REPORTS: dict[str, str] = {
    "purity": "Purity",
    "sterility": "Sterility",
    "viability": "Viability",
    "virus_pathogen": "Virus and pathogen testing",
}
AE_TYPES: dict[str, str] = {
    "infection": "Infection",
    "allergic_reaction": "Allergic reaction",
    "granuloma_nodule": "Granuloma / nodule",
    "skin_necrosis": "Skin necrosis",
    "prolonged_swelling_redness": "Prolonged swelling or redness",
    "bruising": "Bruising",
    "acne_flare": "Acne flare",
    "systemic_reaction": "Systemic reaction",
}
AE_SEVERITIES: dict[str, str] = {
    "mild": "Mild",
    "moderate": "Moderate",
    "severe": "Severe",
    "life_threatening": "Life-threatening",
}
AE_OUTCOMES: dict[str, str] = {
    "ongoing": "Not yet resolved",
    "resolved": "Resolved",
    "resolved_with_sequelae": "Resolved with lasting effects",
    "unknown": "Unknown",
}
SESSION_STATUSES = ("current", "amended", "entered_in_error")


# ---- records ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Product:
    """An entry of the clinic's product catalogue."""

    name: str
    manufacturer: str
    kind: str
    source: str | None = None  # biologics only
    intended_use: str = "topical"
    notes: str = ""
    active: bool = True
    id: int | None = None
    # What it contains: the ingredients as on the label, and the clinic's listed allergens
    # among them; allergens_recorded once someone has said, even "none of the listed".
    ingredients: str = ""
    allergen_ids: frozenset[int] = frozenset()
    allergens_recorded: bool = False


@dataclass(frozen=True)
class Lot:
    """One lot/batch of a product, with its expiry and the lab reports on file."""

    product_id: int
    lot_number: str
    expiry: date
    received_on: date | None = None
    storage: str = ""
    lab_reports: frozenset[str] = frozenset()
    notes: str = ""
    id: int | None = None


@dataclass(frozen=True)
class ProtocolTemplate:
    """A course protocol (§3): sessions, spacing and maintenance for one indication."""

    key: str
    label: str
    indication: str
    sessions_min: int
    sessions_max: int
    interval_min_days: int
    interval_max_days: int
    maintenance_min_months: int
    maintenance_max_months: int
    id: int | None = None


@dataclass(frozen=True)
class Course:
    """A planned series of sessions of one treatment for one patient."""

    patient_id: int
    treatment: str
    indication: str
    planned_sessions: int
    interval_min_days: int
    interval_max_days: int
    maintenance_min_months: int
    maintenance_max_months: int
    started_on: date
    template_key: str = ""
    status: str = "active"  # active | completed | stopped
    id: int | None = None


@dataclass(frozen=True)
class SessionProduct:
    """A product lot used in a session, and how much."""

    lot_id: int
    volume_ml: float | None = None
    product_name: str = ""
    lot_number: str = ""
    expiry: date | None = None


@dataclass(frozen=True)
class PrpPreparation:
    """How the PRP was prepared (recorded per session)."""

    kit: str = ""
    blood_drawn_ml: float | None = None
    spin: str = "single"  # single | double
    speed: str = ""  # as the centrifuge states it: "3,500 rpm" or "1,500 g"
    spin_minutes: int | None = None
    volume_obtained_ml: float | None = None
    activator: str = ""


@dataclass(frozen=True)
class TreatmentSession:
    """One recorded treatment session. Amended, never edited in place or deleted."""

    patient_id: int
    performed_at: datetime
    practitioner_id: int
    treatment: str
    areas: frozenset[str]
    indication: str
    delivery: str
    needle_depth_mm: float | None = None
    anaesthetic: str = ""
    anaesthetic_minutes: int | None = None
    products: tuple[SessionProduct, ...] = ()
    reactions: frozenset[str] = frozenset()
    aftercare_issued: bool = False
    notes: str = ""
    prp: PrpPreparation | None = None
    course_id: int | None = None
    gate_override_reason: str = ""
    spacing_reason: str = ""
    regulatory_confirmations: tuple[str, ...] = ()
    practitioner_name: str = ""
    status: str = "current"
    error_reason: str = ""
    version: int = 1
    series_id: int | None = None
    id: int | None = None
    # Went ahead despite an allergy: the practitioner's reason, and the conflicts as worded.
    allergy_override_reason: str = ""
    allergy_conflicts: tuple[str, ...] = ()


@dataclass(frozen=True)
class AdverseEvent:
    """A complication logged against a session (and so its lots)."""

    session_id: int
    type: str
    onset_date: date
    severity: str
    description: str
    action_taken: str = ""
    outcome: str = "ongoing"
    resolution_date: date | None = None
    reported_to_supplier: bool = False
    reported_to_regulator: bool = False
    regulator_reference: str = ""
    id: int | None = None


@dataclass(frozen=True)
class RegulatoryNote:
    """A regulatory fact that applies to this session and needs the practitioner's confirmation."""

    id: str
    text: str
    sources: tuple[str, ...] = field(default_factory=tuple)


# ---- limits and groupings used by validation ------------------------------------------------

# A lot is flagged "expiring" while fewer than this many days remain before its expiry date.
LOT_EXPIRING_DAYS = 30
# Needle depths outside this range are typing slips (no aesthetic protocol goes deeper).
NEEDLE_DEPTH_MIN_MM = 0.1
NEEDLE_DEPTH_MAX_MM = 3.0
# Deeper than this, per area, is unusual and worth a second look (a warning, not a refusal).
NEEDLE_DEPTH_USUAL_MAX_MM: dict[str, float] = {
    "face": 1.5,
    "neck": 1.5,
    "decolletage": 1.5,
    "hands": 1.5,
    "scalp": 2.0,
}
ANAESTHETIC_MAX_MINUTES = 120
INGREDIENTS_MAX = 4000
# 20–30 minutes is typical [001]; only times well outside that earn a warning.
ANAESTHETIC_USUAL_MINUTES = (10, 60)
ANAESTHETIC_TYPICAL_TEXT = "20–30 minutes"
VOLUME_MAX_ML = 50.0
EARLIEST_SESSION_YEAR = 2000
PRP_SPINS: dict[str, str] = {"single": "Single spin", "double": "Double spin"}
PRP_BLOOD_DRAWN_ML = (1.0, 100.0)
PRP_SPIN_MINUTES = (1, 60)
# Deliveries that put product under the skin with a needle (not just into microchannels).
INJECTED_DELIVERIES = frozenset({"microinjection", "combination"})
# Treatments that break the skin whatever the delivery (needling, or PRP's blood draw and
# injections), so they count for spacing even when the product itself is applied topically.
SKIN_BREAKING_TREATMENTS = frozenset({"prp", "microneedling"})


def is_skin_breaking(treatment: str, delivery: str) -> bool:
    """Whether a session breaks the skin (and so needs time to heal before the next one).

    Args:
        treatment: A TREATMENTS id.
        delivery: A DELIVERY_METHODS id.

    Returns:
        True unless the product was only applied to intact skin (``topical_only``) in a
        treatment that does not needle by itself (PRP and microneedling always count).
    """
    return delivery != "topical_only" or treatment in SKIN_BREAKING_TREATMENTS


def clean_lot_number(text: str) -> str:
    """Return a lot number as it is stored: exactly as typed, minus surrounding spaces.

    Case, inner spaces and punctuation are kept, because a recall notice quotes the lot
    number as printed on the box.
    """
    return text.strip()


# ---- products and lots ----------------------------------------------------------------------


def validate_product(p: Product) -> list[Problem]:
    """Return every problem with a catalogue product, one per field, for a form to show inline.

    Args:
        p: The product as the form would save it.

    Returns:
        Problems whose ``field`` is the Product field name (empty when it can be saved).
    """
    problems: list[Problem] = []
    problems += check_text("name", p.name, "Product name", required=True, max_len=120)
    problems += check_text("manufacturer", p.manufacturer, "Manufacturer", max_len=120)
    if p.kind not in PRODUCT_KINDS:
        problems.append(Problem("kind", _not_a_choice("product kind", p.kind, PRODUCT_KINDS)))
    if p.source is None:
        # Where an exosome comes from decides which regulatory notes apply, so it must be known.
        if p.kind == "exosome":
            problems.append(
                Problem(
                    "source",
                    "Say where this exosome product comes from (as the supplier's documents "
                    "state it); it decides which regulatory notes apply.",
                )
            )
    elif p.source not in SOURCES:
        problems.append(Problem("source", _not_a_choice("source", p.source, SOURCES)))
    if p.intended_use not in INTENDED_USES:
        problems.append(
            Problem("intended_use", _not_a_choice("intended use", p.intended_use, INTENDED_USES))
        )
    problems += check_text("notes", p.notes, "Notes", max_len=4000, multiline=True)
    problems += check_text(
        "ingredients", p.ingredients, "Ingredients", max_len=INGREDIENTS_MAX, multiline=True
    )
    return problems


def validate_lot(lot: Lot, *, today: date) -> list[Problem]:
    """Return every problem with a lot record, one per field.

    The lot number is checked as it will be stored (``clean_lot_number``: trimmed, otherwise
    exactly as typed).

    Args:
        lot: The lot as the form would save it.
        today: The day it is entered (received dates may not be after it).

    Returns:
        Problems whose ``field`` is the Lot field name (empty when it can be saved).
    """
    problems: list[Problem] = []
    number = clean_lot_number(lot.lot_number)
    found = check_text("lot_number", number, "Lot number", required=True, max_len=60)
    if not found and not number.isprintable():
        # Also catches pasted zero-width and non-breaking spaces that a search would not match.
        found = [
            Problem(
                "lot_number",
                "Lot number contains characters that cannot be seen or printed; retype it.",
            )
        ]
    problems += found
    expiry = lot.expiry
    if not isinstance(expiry, date):
        problems.append(Problem("expiry", "Expiry date is needed (it is printed on the box)."))
        expiry = None
    if lot.received_on is not None:
        if lot.received_on > today:
            problems.append(
                Problem(
                    "received_on",
                    f"Received on {format_long(lot.received_on)} is after today; "
                    "enter the day it arrived.",
                )
            )
        elif expiry is not None and lot.received_on > expiry:
            problems.append(
                Problem(
                    "received_on",
                    f"Received on {format_long(lot.received_on)} is after its expiry date "
                    f"({format_long(expiry)}); check both dates.",
                )
            )
    unknown = sorted(set(lot.lab_reports) - set(LAB_REPORTS))
    if unknown:
        problems.append(
            Problem(
                "lab_reports",
                f"{', '.join(unknown)} is not a kind of lab report "
                f"({', '.join(LAB_REPORTS.values()).lower()}).",
            )
        )
    problems += check_text("storage", lot.storage, "Storage", max_len=200)
    problems += check_text("notes", lot.notes, "Notes", max_len=2000, multiline=True)
    return problems


def lot_status(lot: Lot, today: date) -> str:
    """Return ``"expired"``, ``"expiring"`` or ``"ok"`` for a lot on ``today``.

    A lot is usable through its expiry date: on the expiry day itself it is ``"expiring"``
    (0 days left), the day after it is ``"expired"``. It is ``"expiring"`` while fewer than
    LOT_EXPIRING_DAYS (30) days remain, so with exactly 30 days left it is ``"ok"`` and with 29
    it is ``"expiring"``.
    """
    if today > lot.expiry:
        return "expired"
    if (lot.expiry - today).days < LOT_EXPIRING_DAYS:
        return "expiring"
    return "ok"


class Severity(Enum):
    """What a flag asks of the practitioner before a session is saved."""

    BLOCKS = "blocks"  # the session cannot be saved with it (validation refuses it)
    INFORMS = "informs"  # shown so that it is seen; the session saves as it is


class LotFlagKind(Enum):
    """What is wrong, or worth knowing, about a lot."""

    EXPIRED = "expired"
    EXPIRING = "expiring"
    NO_LAB_REPORTS = "no_lab_reports"
    LAB_REPORTS_MISSING = "lab_reports_missing"


# An expired lot cannot be used; the rest are for the practitioner's information.
LOT_FLAG_SEVERITY: dict[LotFlagKind, Severity] = {
    LotFlagKind.EXPIRED: Severity.BLOCKS,
    LotFlagKind.EXPIRING: Severity.INFORMS,
    LotFlagKind.NO_LAB_REPORTS: Severity.INFORMS,
    LotFlagKind.LAB_REPORTS_MISSING: Severity.INFORMS,
}

# Kinds whose lots come without third-party lab reports: nobody asks a PRP kit's or an
# anaesthetic's supplier for purity, sterility, viability or virus testing.
NO_LAB_REPORT_KINDS = frozenset({"prp_kit", "anaesthetic"})


def product_contents(product: Product) -> Contents:
    """What a catalogue product contains, as the allergy check sees it."""
    return Contents(
        label=product.name,
        role="product",
        allergen_ids=product.allergen_ids,
        ingredients=product.ingredients,
        known=contents_known(product.ingredients, product.allergen_ids, product.allergens_recorded),
    )


def session_contents(
    products: Iterable[Product],
    anaesthetic: str,
    catalogue: Iterable[Product],
    allergens: Iterable[Allergen],
) -> list[Contents]:
    """Everything a session puts on the patient: each product used (once), then the anaesthetic.

    Args:
        products: The catalogue products of the lots the session uses.
        anaesthetic: The session's anaesthetic field.
        catalogue: Every catalogue product (the anaesthetic's name is looked up among them).
        allergens: The clinic's allergen list (the anaesthetic's words are searched for it).
    """
    # Two lots of one product are one product to be allergic to.
    contents = list({p.id: product_contents(p) for p in products}.values())
    named = anaesthetic_contents(
        anaesthetic,
        [
            (p.name, p.allergen_ids, p.ingredients, product_contents(p).known)
            for p in catalogue
            if p.kind == "anaesthetic"
        ],
        allergens,
    )
    if named is not None:
        contents.append(named)
    return contents


def is_biologic(product: Product) -> bool:
    """Whether a product is made from living material, so its lots need lab reports.

    Every exosome product is, and so is any other product whose source is recorded (the
    catalogue records a source for biologics only: a human-derived serum, say). A PRP kit and
    an anaesthetic never are: the platelets are the patient's own, and lidocaine is a drug.
    """
    if product.kind in NO_LAB_REPORT_KINDS:
        return False
    return product.kind == "exosome" or product.source is not None


def lab_reports_expected(product: Product | None) -> bool:
    """Whether third-party lab reports are asked for with this product's lots: biologics only.

    An unknown product (None) is treated as one that needs them, so nothing is left unsaid.
    """
    return product is None or is_biologic(product)


@dataclass(frozen=True)
class LotFlag:
    """One fact about a lot on a day, for the practitioner; the ui words it.

    Attributes:
        kind: What the flag is about.
        lot_number: The lot's number, as stored.
        expiry: The lot's expiry date.
        days_left: Days from the day looked at to the expiry (negative once expired).
        missing: The LAB_REPORTS ids not on file, in LAB_REPORTS order (lab report kinds only).
    """

    kind: LotFlagKind
    lot_number: str
    expiry: date
    days_left: int
    missing: tuple[str, ...] = ()

    @property
    def severity(self) -> Severity:
        return LOT_FLAG_SEVERITY[self.kind]

    @property
    def blocks(self) -> bool:
        """Whether the lot cannot be used in a session because of it."""
        return self.severity is Severity.BLOCKS


def lot_check(lot: Lot, today: date, *, lab_reports_expected: bool = True) -> list[LotFlag]:
    """Everything the practitioner should know about a lot: expiry, and lab reports not on file.

    Args:
        lot: The lot.
        today: The day it is looked at (or the session's day).
        lab_reports_expected: False for products where third-party lab reports are not asked
            for (``lab_reports_expected(product)``); no lab report flag is then raised.

    Returns:
        Zero or more flags, the expiry's first.
    """
    flags: list[LotFlag] = []
    left = (lot.expiry - today).days
    status = lot_status(lot, today)
    if status != "ok":
        kind = LotFlagKind.EXPIRED if status == "expired" else LotFlagKind.EXPIRING
        flags.append(LotFlag(kind, lot.lot_number, lot.expiry, left))
    if lab_reports_expected:
        missing = tuple(key for key in LAB_REPORTS if key not in lot.lab_reports)
        if missing:
            kind = (
                LotFlagKind.NO_LAB_REPORTS
                if len(missing) == len(LAB_REPORTS)
                else LotFlagKind.LAB_REPORTS_MISSING
            )
            flags.append(LotFlag(kind, lot.lot_number, lot.expiry, left, missing))
    return flags


# ---- sessions -------------------------------------------------------------------------------


def session_day(performed_at: datetime) -> date:
    """The calendar day of a session where the clinic is: its local date (the PC's time zone).

    Every check, list and printed page takes a session's day from here, never from the stored
    text (whose offset is whatever the PC had when it was recorded). A naive moment is taken as
    local already; a moment at the very edge of the calendar, which has no local date, keeps
    its own.
    """
    if performed_at.tzinfo is None:
        return performed_at.date()
    try:
        return performed_at.astimezone().date()
    except (OverflowError, ValueError):
        return performed_at.date()


def validate_session(s: TreatmentSession, *, today: date, lots: Mapping[int, Lot]) -> list[Problem]:
    """Return every problem with a treatment session record, for a form to show inline.

    Hard limits only; what is merely unusual comes from ``session_warnings``.

    Args:
        s: The session as the form would save it.
        today: The day it is recorded; a session cannot be dated after it.
        lots: Lot id -> Lot for every lot the session may name.

    Returns:
        Problems whose ``field`` is the TreatmentSession field name; PRP preparation fields are
        named ``prp.<field>`` (empty when it can be saved).
    """
    problems: list[Problem] = []
    if s.treatment not in TREATMENTS:
        problems.append(Problem("treatment", _not_a_choice("treatment", s.treatment, TREATMENTS)))
    areas = set(s.areas)
    if not areas:
        problems.append(Problem("areas", "Choose at least one treated area."))
    elif areas - set(AREAS):
        unknown = ", ".join(sorted(str(a) for a in areas - set(AREAS)))
        problems.append(Problem("areas", f"{unknown} is not a treatment area."))
    if s.indication not in INDICATIONS:
        problems.append(
            Problem("indication", _not_a_choice("indication", s.indication, INDICATIONS))
        )
    if s.delivery not in DELIVERY_METHODS:
        problems.append(
            Problem("delivery", _not_a_choice("delivery method", s.delivery, DELIVERY_METHODS))
        )

    day = _session_day(s.performed_at)
    if day is None:
        problems.append(Problem("performed_at", "Enter the date and time of the session."))
    elif day > today:
        problems.append(
            Problem(
                "performed_at",
                f"{format_long(day)} is after today; a session is recorded once it has happened.",
            )
        )
    elif day.year < EARLIEST_SESSION_YEAR:
        problems.append(
            Problem(
                "performed_at",
                f"{format_long(day)} is before {EARLIEST_SESSION_YEAR}; check the year.",
            )
        )

    problems += _needle_depth_problems(s)
    if s.anaesthetic_minutes is not None and not _int_between(
        s.anaesthetic_minutes, 0, ANAESTHETIC_MAX_MINUTES
    ):
        problems.append(
            Problem(
                "anaesthetic_minutes",
                f"Anaesthetic time must be a whole number of minutes from 0 to "
                f"{ANAESTHETIC_MAX_MINUTES}.",
            )
        )
    problems += check_text("anaesthetic", s.anaesthetic, "Anaesthetic", max_len=120)
    problems += _product_problems(s, day, lots)
    unknown_reactions = sorted(str(r) for r in set(s.reactions) - set(REACTIONS))
    if unknown_reactions:
        problems.append(
            Problem("reactions", f"{', '.join(unknown_reactions)} is not a listed reaction.")
        )
    problems += check_text("notes", s.notes, "Notes", max_len=10_000, multiline=True)
    problems += _prp_problems(s)
    problems += check_text(
        "spacing_reason", s.spacing_reason, "Reason", max_len=2000, multiline=True
    )
    problems += check_text(
        "gate_override_reason", s.gate_override_reason, "Reason", max_len=2000, multiline=True
    )
    problems += check_text(
        "allergy_override_reason",
        s.allergy_override_reason,
        "Reason",
        max_len=2000,
        multiline=True,
    )
    return problems


def needle_depth_warnings(depth: float | None, areas: Iterable[str]) -> list[str]:
    """Warn when a needle depth is deeper than usual for a treated area.

    Usual maxima (NEEDLE_DEPTH_USUAL_MAX_MM): face, neck, décolletage and hands 1.5 mm, scalp
    2.0 mm. Exactly at the limit is not warned about.

    Args:
        depth: The needle depth in mm, or None when none was recorded.
        areas: AREAS ids.

    Returns:
        One sentence per limit exceeded (areas sharing a limit are named together).
    """
    if depth is None or not _is_number(depth):
        return []
    over: dict[float, list[str]] = {}
    for area in AREAS:  # display order, whatever order the set iterates in
        limit = NEEDLE_DEPTH_USUAL_MAX_MM.get(area)
        if area in areas and limit is not None and depth > limit:
            over.setdefault(limit, []).append(AREAS[area].lower())
    return [
        f"A needle depth of {_mm(depth)} is deeper than usual for the {_and(names)} "
        f"(usually up to {_mm(limit)}); check it was meant."
        for limit, names in over.items()
    ]


def anaesthetic_warnings(minutes: int | None) -> list[str]:
    """Warn when topical anaesthetic was left on for an unusual time (20–30 minutes is typical).

    Args:
        minutes: The minutes recorded, or None.

    Returns:
        One sentence when ``minutes`` is below 10 or above 60, else nothing.
    """
    if minutes is None or not _is_number(minutes):
        return []
    low, high = ANAESTHETIC_USUAL_MINUTES
    if minutes < low:
        return [
            f"Topical anaesthetic for {minutes} minutes is shorter than usual "
            f"({ANAESTHETIC_TYPICAL_TEXT} is typical); the skin may not be numb yet."
        ]
    if minutes > high:
        return [
            f"Topical anaesthetic for {minutes} minutes is longer than usual "
            f"({ANAESTHETIC_TYPICAL_TEXT} is typical); check the time."
        ]
    return []


def session_warnings(s: TreatmentSession) -> list[str]:
    """Everything unusual but allowed about one session: needle depth, then anaesthetic time."""
    return needle_depth_warnings(s.needle_depth_mm, s.areas) + anaesthetic_warnings(
        s.anaesthetic_minutes
    )


def _needle_depth_problems(s: TreatmentSession) -> list[Problem]:
    depth = s.needle_depth_mm
    # Microneedling always has a depth, even when the product goes on topically afterwards.
    needed = s.delivery != "topical_only" or s.treatment == "microneedling"
    if depth is None:
        if needed:
            return [
                Problem(
                    "needle_depth_mm",
                    f"Needle depth is needed, between {_mm(NEEDLE_DEPTH_MIN_MM)} and "
                    f"{_mm(NEEDLE_DEPTH_MAX_MM)}; only a topical-only session without "
                    "microneedling has none.",
                )
            ]
        return []
    if not _is_number(depth) or not NEEDLE_DEPTH_MIN_MM <= depth <= NEEDLE_DEPTH_MAX_MM:
        return [
            Problem(
                "needle_depth_mm",
                f"Needle depth must be between {_mm(NEEDLE_DEPTH_MIN_MM)} and "
                f"{_mm(NEEDLE_DEPTH_MAX_MM)}.",
            )
        ]
    return []


def _product_problems(
    s: TreatmentSession, day: date | None, lots: Mapping[int, Lot]
) -> list[Problem]:
    problems: list[Problem] = []
    for used in s.products:
        lot = lots.get(used.lot_id)
        if lot is None:
            name = used.lot_number or f"#{used.lot_id}"
            problems.append(
                Problem("products", f"Lot {name} is not in the product list; choose a lot again.")
            )
            continue
        # The lot's own flags decide what blocks saving (today only an expired lot does).
        flags = lot_check(lot, day, lab_reports_expected=False) if day is not None else []
        if any(f.blocks for f in flags):
            problems.append(
                Problem(
                    "products",
                    f"Lot {lot.lot_number} expired on {format_long(lot.expiry)}; "
                    "an expired lot cannot be used.",
                )
            )
        volume = used.volume_ml
        if volume is not None and (not _is_number(volume) or not 0 < volume <= VOLUME_MAX_ML):
            problems.append(
                Problem(
                    "products",
                    f"The volume of lot {lot.lot_number} must be more than 0 ml and at most "
                    f"{VOLUME_MAX_ML:g} ml.",
                )
            )
    return problems


def _prp_problems(s: TreatmentSession) -> list[Problem]:
    prp = s.prp
    if prp is None:
        if s.treatment == "prp":
            return [Problem("prp", "Record how the PRP was prepared.")]
        return []
    problems: list[Problem] = []
    low, high = PRP_BLOOD_DRAWN_ML
    drawn = prp.blood_drawn_ml
    drawn_ok = drawn is not None and _is_number(drawn) and low <= drawn <= high
    if not drawn_ok:
        problems.append(
            Problem(
                "prp.blood_drawn_ml",
                f"Blood drawn must be between {low:g} and {high:g} ml.",
            )
        )
    if prp.spin not in PRP_SPINS:
        problems.append(Problem("prp.spin", "Choose a single or a double spin."))
    if prp.spin_minutes is not None and not _int_between(prp.spin_minutes, *PRP_SPIN_MINUTES):
        problems.append(
            Problem(
                "prp.spin_minutes",
                f"Spin time must be a whole number of minutes from {PRP_SPIN_MINUTES[0]} "
                f"to {PRP_SPIN_MINUTES[1]}.",
            )
        )
    obtained = prp.volume_obtained_ml
    if obtained is not None:
        if not _is_number(obtained) or obtained <= 0:
            problems.append(
                Problem("prp.volume_obtained_ml", "Volume obtained must be more than 0 ml.")
            )
        elif drawn_ok and drawn is not None and obtained > drawn:
            problems.append(
                Problem(
                    "prp.volume_obtained_ml",
                    f"Volume obtained ({obtained:g} ml) cannot be more than the blood drawn "
                    f"({drawn:g} ml).",
                )
            )
    for key, value, label in (
        ("prp.kit", prp.kit, "Kit"),
        ("prp.speed", prp.speed, "Speed"),
        ("prp.activator", prp.activator, "Activator"),
    ):
        problems += check_text(key, value, label, max_len=120)
    return problems


# ---- adverse events -------------------------------------------------------------------------


def validate_adverse_event(e: AdverseEvent, *, today: date, session_date: date) -> list[Problem]:
    """Return every problem with an adverse-event record, one per field.

    Args:
        e: The event as the form would save it.
        today: The day it is recorded; no date may be after it.
        session_date: The day of the session it is logged against; onset cannot be earlier.

    Returns:
        Problems whose ``field`` is the AdverseEvent field name (empty when it can be saved).
    """
    problems: list[Problem] = []
    if e.type not in AE_TYPES:
        problems.append(Problem("type", _not_a_choice("type", e.type, AE_TYPES)))
    if e.severity not in AE_SEVERITIES:
        problems.append(Problem("severity", _not_a_choice("severity", e.severity, AE_SEVERITIES)))
    if e.outcome not in AE_OUTCOMES:
        problems.append(Problem("outcome", _not_a_choice("outcome", e.outcome, AE_OUTCOMES)))
    onset = e.onset_date if isinstance(e.onset_date, date) else None
    if onset is None:
        problems.append(Problem("onset_date", "Enter the day it started."))
    elif onset > today:
        problems.append(
            Problem("onset_date", f"{format_long(onset)} is after today; enter the day it started.")
        )
    elif onset < session_date:
        problems.append(
            Problem(
                "onset_date",
                f"{format_long(onset)} is before the session ({format_long(session_date)}); "
                "an event logged against a session starts on or after it.",
            )
        )
    problems += check_text(
        "description", e.description, "Description", required=True, max_len=10_000, multiline=True
    )
    problems += check_text(
        "action_taken", e.action_taken, "Action taken", max_len=10_000, multiline=True
    )
    resolved = e.outcome.startswith("resolved")
    if e.resolution_date is None:
        if resolved:
            problems.append(Problem("resolution_date", "Enter the day it resolved."))
    elif not resolved:
        problems.append(
            Problem(
                "resolution_date",
                "A resolution date is only recorded once the outcome is resolved; clear it "
                "or change the outcome.",
            )
        )
    elif e.resolution_date > today:
        problems.append(
            Problem(
                "resolution_date",
                f"{format_long(e.resolution_date)} is after today; enter the day it resolved.",
            )
        )
    elif onset is not None and e.resolution_date < onset:
        problems.append(
            Problem(
                "resolution_date",
                f"{format_long(e.resolution_date)} is before the onset "
                f"({format_long(onset)}); check both dates.",
            )
        )
    problems += check_text(
        "regulator_reference", e.regulator_reference, "Regulator reference", max_len=100
    )
    if e.regulator_reference.strip() and not e.reported_to_regulator:
        problems.append(
            Problem(
                "regulator_reference",
                "A regulator reference is only recorded when the event was reported to the "
                "regulator; tick that box or clear the reference.",
            )
        )
    return problems


# ---- helpers --------------------------------------------------------------------------------


def _not_a_choice(what: str, value: object, choices: Mapping[str, str]) -> str:
    return f"“{value}” is not a {what}; choose one of: {', '.join(choices.values())}."


def _is_number(value: object) -> bool:
    # bool is an int; True mm or True minutes would be a form bug, not a value.
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float is no measurement either
        return False


def _int_between(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _session_day(moment: object) -> date | None:
    if isinstance(moment, datetime):
        return moment.date()
    if isinstance(moment, date):
        return moment
    return None


def _mm(value: float) -> str:
    """``1.5 mm``, ``0.25 mm``, ``2.0 mm``: at least one decimal, at most two."""
    text = f"{value:.2f}".rstrip("0")
    return f"{text}0 mm" if text.endswith(".") else f"{text} mm"


def _and(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"
