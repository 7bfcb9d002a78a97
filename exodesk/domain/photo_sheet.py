"""The patient's photo progress sheet as data: before/after pairs, ratings over the course."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.dates import format_short

# The sheet's wording and layout, as the issue log records it; raise it when either changes.
SHEET_VERSION = "2026.1"

# One page holds at most this many pairs; the sheet refuses more rather than shrink them.
MAX_PAIRS = 4

# The scales as the patient's sheet names them, and one plain line on what each measures.
# Keyed by the scale ids of ``exodesk.domain.photos`` ("norwood", "ludwig", "gais_…").
SHEET_SCALES: dict[str, tuple[str, str]] = {
    "norwood": (
        "Norwood stage",
        "Norwood stage: how far hair has receded at the front and crown, from 1 (none) "
        "to 7 (most).",
    ),
    "ludwig": (
        "Ludwig stage",
        "Ludwig stage: how much hair has thinned on top of the head, from I (mild) to III (most).",
    ),
    "gais_practitioner": (
        "Change your practitioner sees",
        "Change seen: compared with your first photos, on a five-step scale from "
        "“exceptional improvement” to “worse”, rated by your practitioner and by you.",
    ),
    "gais_patient": (
        "Change you see",
        "Change seen: compared with your first photos, on a five-step scale from "
        "“exceptional improvement” to “worse”, rated by your practitioner and by you.",
    ),
}


def scale_label(scale: str) -> str:
    """The sheet's words for a scale id ("Norwood stage"); an unknown id is returned as is."""
    return SHEET_SCALES.get(scale, (scale, ""))[0]


def scale_notes(labels: tuple[str, ...] | list[str]) -> list[str]:
    """The plain lines explaining the scales the sheet shows, once each, in order."""
    by_label = {label: note for label, note in SHEET_SCALES.values()}
    notes = [by_label[label] for label in labels if by_label.get(label)]
    return list(dict.fromkeys(notes))


def photo_caption(taken_on: date, label: str = "") -> str:
    """A photo's caption under it: "12 Mar 2026 · Session 1 of 4" (the date alone if no label).

    Args:
        taken_on: The day the photo set was taken.
        label: Where the set sits in the course ("Session 2 of 4"), or "".
    """
    label = label.strip()
    day = format_short(taken_on)
    return f"{day} · {label[:1].upper()}{label[1:]}" if label else day


@dataclass(frozen=True)
class ProgressPair:
    """One view of the patient from two days, printed side by side.

    Attributes:
        view_label: The view in words ("Front", "Crown (vertex)").
        before_jpeg: The earlier photo: the stored JPEG bytes, embedded as they are where
            their size suits the print.
        before_caption: Under the earlier photo (``photo_caption``).
        after_jpeg: The later photo.
        after_caption: Under the later photo.
    """

    view_label: str
    before_jpeg: bytes = field(repr=False)
    before_caption: str
    after_jpeg: bytes = field(repr=False)
    after_caption: str


@dataclass(frozen=True)
class ProgressSheet:
    """Everything the photo progress sheet prints; built by a service, asserted on by tests.

    Attributes:
        clinic: Letterhead, phone numbers (who to call) and paper size.
        printed_on: The date printed in the footer (reports never read the clock).
        patient_name: Whose photos these are, in the heading band and every footer.
        area_label: The treatment area in words ("Face", "Scalp").
        pairs: One to ``MAX_PAIRS`` pairs, top to bottom (left to right in a grid).
        ratings: (scale label, date, value label) over the course, e.g. ("Norwood stage",
            date(2026, 3, 12), "3V"); scale labels from ``scale_label``. Empty: no table.
    """

    clinic: ClinicSettings
    printed_on: date
    patient_name: str
    area_label: str
    pairs: tuple[ProgressPair, ...]
    ratings: tuple[tuple[str, date, str], ...] = ()


def check_pair_count(count: int) -> None:
    """Refuse a sheet with no pair, or with more than one page holds.

    Raises:
        ValueError: ``count`` is not between 1 and ``MAX_PAIRS``.
    """
    if not 1 <= count <= MAX_PAIRS:
        raise ValueError(
            f"A photo progress sheet holds 1 to {MAX_PAIRS} before-and-after pairs "
            f"({count} were chosen)."
        )
