"""What a new session starts with: the treatment to offer first, and each treatment's usual
areas, indication and delivery (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from exodesk.domain.intake import Clearance
from exodesk.domain.screening import PRECAUTIONS, PROCEED, REVIEW
from exodesk.domain.sessions import TREATMENTS


@dataclass(frozen=True)
class TreatmentDefaults:
    """The usual areas, indication and delivery of one treatment (the form starts there)."""

    areas: frozenset[str]
    indication: str
    delivery: str


TREATMENT_DEFAULTS: dict[str, TreatmentDefaults] = {
    "exosome_face": TreatmentDefaults(frozenset({"face"}), "rejuvenation", "topical_microneedling"),
    "exosome_scalp": TreatmentDefaults(
        frozenset({"scalp"}), "hair_thinning", "topical_microneedling"
    ),
    "prp": TreatmentDefaults(frozenset({"face"}), "rejuvenation", "microinjection"),
    "microneedling": TreatmentDefaults(
        frozenset({"face"}), "rejuvenation", "topical_microneedling"
    ),
}


def treatment_defaults(treatment: str) -> TreatmentDefaults:
    """The usual areas, indication and delivery of ``treatment`` (the facial's if unknown)."""
    return TREATMENT_DEFAULTS.get(treatment, TREATMENT_DEFAULTS["exosome_face"])


def _standing(clearance: Clearance | None) -> int:
    """How near a treatment is to going ahead: 0 allowed now; 1 the screening allows it but
    something shared stands in the way (no consent, a lapsed screening); 2 a doctor's review
    is awaited; 3 deferred, declined, or never screened."""
    if clearance is None:
        return 3
    if clearance.allowed:
        return 0
    if clearance.verdict in (PROCEED, PRECAUTIONS):
        return 1
    if clearance.verdict == REVIEW:
        return 2
    return 3


def choose_treatment(
    *,
    course: str | None,
    clearances: Mapping[str, Clearance],
    previous: str | None = None,
) -> str:
    """The treatment a new session form offers first.

    The course's treatment when the session belongs to one (the plan decides; the form's
    check then says if the screening stands in the way). Otherwise a treatment that may go
    ahead on the latest screening: the nearest to going ahead (``_standing``), the previous
    session's treatment among equals, else the first in TREATMENTS order.

    Args:
        course: The treatment of the course the session is recorded under, or None.
        clearances: Treatment id -> the gate for it today (missing: never screened).
        previous: The treatment of the patient's latest session, or None.

    Returns:
        A TREATMENTS id.
    """
    if course in TREATMENTS:
        return str(course)
    best = min(_standing(clearances.get(t)) for t in TREATMENTS)
    candidates = [t for t in TREATMENTS if _standing(clearances.get(t)) == best]
    if previous in candidates:
        return str(previous)
    return candidates[0]
