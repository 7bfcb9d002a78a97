"""Session records: products and lots, courses, treatment sessions, adverse events (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

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
