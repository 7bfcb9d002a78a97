"""What a new session offers first: the course, then a treatment the screening lets go ahead;
and each treatment's usual areas, indication and delivery."""

from __future__ import annotations

import pytest

from exodesk.domain.intake import Clearance
from exodesk.domain.session_defaults import (
    TREATMENT_DEFAULTS,
    choose_treatment,
    treatment_defaults,
)
from exodesk.domain.sessions import AREAS, DELIVERY_METHODS, INDICATIONS, TREATMENTS

ALL = tuple(TREATMENTS)


def _gates(**verdicts: str) -> dict[str, Clearance]:
    """treatment=verdict, with "+" after the verdict when the gate is open (consent on file,
    sign-off or override recorded)."""
    gates = {}
    for treatment, said in verdicts.items():
        verdict = said.rstrip("+")
        gates[treatment] = Clearance(treatment, said.endswith("+"), (), False, verdict)
    return gates


@pytest.mark.parametrize(
    ("course", "gates", "previous", "expected"),
    [
        # The course decides, even when the screening stands in the way (the form says so).
        (
            "exosome_scalp",
            _gates(exosome_face="proceed+", exosome_scalp="defer"),
            None,
            "exosome_scalp",
        ),
        ("prp", {}, "exosome_face", "prp"),
        # No course: a treatment that may go ahead, not the facial by habit.
        (
            None,
            _gates(
                exosome_face="defer", exosome_scalp="proceed+", prp="defer", microneedling="defer"
            ),
            None,
            "exosome_scalp",
        ),
        (
            None,
            _gates(
                exosome_face="defer", exosome_scalp="defer", prp="review", microneedling="review"
            ),
            None,
            "prp",
        ),
        (
            None,
            _gates(
                exosome_face="decline",
                exosome_scalp="decline",
                prp="defer",
                microneedling="precautions+",
            ),
            None,
            "microneedling",
        ),
        # Allowed now beats allowed-but-for-consent, which beats a review awaited.
        (
            None,
            _gates(
                exosome_face="review",
                exosome_scalp="proceed",
                prp="review+",
                microneedling="proceed",
            ),
            None,
            "prp",
        ),
        (
            None,
            _gates(
                exosome_face="review",
                exosome_scalp="precautions",
                prp="review",
                microneedling="proceed",
            ),
            None,
            "exosome_scalp",
        ),
        # An override or a cleared sign-off opens the gate like a proceed.
        (
            None,
            _gates(
                exosome_face="defer+", exosome_scalp="defer", prp="defer", microneedling="defer"
            ),
            None,
            "exosome_face",
        ),
        # Among equals, the previous session's treatment.
        (
            None,
            _gates(
                exosome_face="proceed+",
                exosome_scalp="proceed+",
                prp="proceed+",
                microneedling="proceed+",
            ),
            "microneedling",
            "microneedling",
        ),
        (
            None,
            _gates(
                exosome_face="proceed+",
                exosome_scalp="proceed+",
                prp="defer",
                microneedling="defer",
            ),
            "prp",
            "exosome_face",
        ),
        (
            None,
            _gates(
                exosome_face="defer", exosome_scalp="proceed", prp="proceed", microneedling="defer"
            ),
            "prp",
            "prp",
        ),
        # Never screened: the previous treatment, else the first.
        (None, {}, "exosome_scalp", "exosome_scalp"),
        (None, {}, None, "exosome_face"),
        # A course or previous treatment the app does not know is ignored.
        ("laser", {}, "peel", "exosome_face"),
    ],
)
def test_the_treatment_offered_first(
    course: str | None, gates: dict[str, Clearance], previous: str | None, expected: str
) -> None:
    assert choose_treatment(course=course, clearances=gates, previous=previous) == expected


@pytest.mark.parametrize(
    ("treatment", "areas", "indication", "delivery"),
    [
        ("exosome_face", {"face"}, "rejuvenation", "topical_microneedling"),
        ("exosome_scalp", {"scalp"}, "hair_thinning", "topical_microneedling"),
        ("prp", {"face"}, "rejuvenation", "microinjection"),
        ("microneedling", {"face"}, "rejuvenation", "topical_microneedling"),
    ],
)
def test_each_treatment_s_usual_details(
    treatment: str, areas: set[str], indication: str, delivery: str
) -> None:
    usual = treatment_defaults(treatment)
    assert (set(usual.areas), usual.indication, usual.delivery) == (areas, indication, delivery)


def test_every_treatment_has_defaults_from_the_vocabularies() -> None:
    assert set(TREATMENT_DEFAULTS) == set(ALL)
    for usual in TREATMENT_DEFAULTS.values():
        assert usual.areas and usual.areas <= set(AREAS)
        assert usual.indication in INDICATIONS
        assert usual.delivery in DELIVERY_METHODS
    assert treatment_defaults("unknown") == TREATMENT_DEFAULTS["exosome_face"]
