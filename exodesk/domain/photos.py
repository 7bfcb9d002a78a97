"""Clinical photos: standard views per area, photo sets and their labels, consent levels, scales.

The views of each area are data, ``resources/photos/views.toml`` (read by ``services.bundled``);
this module parses them (``parse_views``) and holds the rules. It is pure: it reads no file and
``today`` is always passed in.

Public API::

    parse_views(data) -> ViewTable             # decoded views.toml; .areas .views(area)
                                               # .label(area, view) .allows(area, view)
    missing_views(area, photos_of_set, table) -> list[str]   # standard view ids still to take
    CONSENT_LEVELS, CONSENT_LABELS, validate_levels(levels) -> list[Problem]
    Photo, PhotoSet, Rating, PhotoConsent      # frozen dataclasses the services return
    SCALES, SCALE_LABELS, scale_values(scale), value_label(scale, value), scale_for(area, sex)
    baseline_ids(sets) -> set[int]             # which sets are baselines
    set_label(...) -> str                      # "Session 2 of 4", "Baseline", ...
    area_for_course(treatment, indication) -> str
    check_image_size(width, height) -> str | None, fit_within(width, height, limit)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from exodesk.domain.problems import Problem

# ---- views ----------------------------------------------------------------------------------

FREE_VIEW = "free"
FREE_VIEW_LABEL = "Free view"


@dataclass(frozen=True)
class ViewTable:
    """The standard views of each photo area, in the order a practitioner takes them.

    ``by_area`` maps an area id to ``((view_id, label), ...)`` standard views; every area also
    allows the free view (``FREE_VIEW``), which is never "missing".
    """

    area_labels: Mapping[str, str]
    by_area: Mapping[str, tuple[tuple[str, str], ...]]

    @property
    def areas(self) -> tuple[str, ...]:
        return tuple(self.by_area)

    def views(self, area: str, *, with_free: bool = True) -> tuple[tuple[str, str], ...]:
        """(view id, label) of the area's standard views (then the free view)."""
        standard = self.by_area.get(area, ())
        return (*standard, (FREE_VIEW, FREE_VIEW_LABEL)) if with_free else standard

    def allows(self, area: str, view: str) -> bool:
        return area in self.by_area and (
            view == FREE_VIEW or any(v == view for v, _ in self.by_area[area])
        )

    def label(self, area: str, view: str) -> str:
        """The view's label ("Left 45°"); the id itself when the table does not know it."""
        for v, text in self.views(area):
            if v == view:
                return text
        return view

    def area_label(self, area: str) -> str:
        return self.area_labels.get(area, area)


def parse_views(data: Mapping[str, Any]) -> ViewTable:
    """Build the view table from decoded ``views.toml``.

    The file holds ``[areas.<id>]`` tables with ``label`` and ``views = [{id, label}, ...]``.

    Raises:
        ValueError: the file is not a valid view table (the message says what is wrong).
    """
    areas = data.get("areas")
    if not isinstance(areas, Mapping) or not areas:
        raise ValueError("views.toml: no [areas] tables")
    labels: dict[str, str] = {}
    by_area: dict[str, tuple[tuple[str, str], ...]] = {}
    for area, raw in areas.items():
        if not isinstance(raw, Mapping):
            raise ValueError(f"views.toml: area {area!r} is not a table")
        label = raw.get("label")
        views = raw.get("views")
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"views.toml: area {area!r} has no label")
        if not isinstance(views, list) or not views:
            raise ValueError(f"views.toml: area {area!r} has no views")
        found: list[tuple[str, str]] = []
        for view in views:
            if not isinstance(view, Mapping):
                raise ValueError(f"views.toml: a view of {area!r} is not a table")
            vid, vlabel = view.get("id"), view.get("label")
            if not isinstance(vid, str) or not isinstance(vlabel, str) or not vid or not vlabel:
                raise ValueError(f"views.toml: a view of {area!r} lacks an id or label")
            if vid == FREE_VIEW or vid in {v for v, _ in found}:
                raise ValueError(f"views.toml: view {vid!r} of {area!r} is listed twice")
            found.append((vid, vlabel))
        labels[area] = label
        by_area[area] = tuple(found)
    return ViewTable(MappingProxyType(labels), MappingProxyType(by_area))


def missing_views(area: str, photos_of_set: Iterable[Photo], table: ViewTable) -> list[str]:
    """The standard view ids of ``area`` that no photo of the set shows yet, in taking order.

    Photos entered in error do not count; the free view is never missing.
    """
    taken = {p.view for p in photos_of_set if not p.entered_in_error}
    return [v for v, _ in table.views(area, with_free=False) if v not in taken]


# ---- records --------------------------------------------------------------------------------

SOURCES: dict[str, str] = {
    "file": "From a file",
    "folder": "From a camera card or phone folder",
    "camera": "From the camera",
}


@dataclass(frozen=True)
class Photo:
    """One stored photo (the re-encoded image, never the original file)."""

    id: int
    set_id: int
    patient_id: int
    view: str
    ref: str
    thumb_ref: str
    original_sha256: str
    width: int
    height: int
    taken_at: datetime
    imported_at: datetime
    imported_by: int
    source: str
    entered_in_error: bool = False
    error_reason: str | None = None


@dataclass(frozen=True)
class PhotoSet:
    """The photos of one area taken on one day (for a session, or before a course starts)."""

    id: int
    patient_id: int
    area: str
    session_id: int | None
    taken_on: date
    is_baseline: bool
    course_id: int | None
    label: str


@dataclass(frozen=True)
class Rating:
    """One rating of a set on a scale (the newest per set and scale stands)."""

    set_id: int
    scale: str
    value: str
    rated_by: str
    rated_at: datetime
    taken_on: date | None = None


@dataclass(frozen=True)
class PhotoConsent:
    """The patient's photo consent as it stands: the newest signed form less what was revoked.

    ``levels`` are the levels in force now; ``signed_levels`` those the form gave;
    ``revoked`` holds (level, who, when) of each revocation since it was signed.
    """

    id: int
    patient_id: int
    levels: frozenset[str]
    signed_levels: frozenset[str]
    text_version: int
    signed_name: str
    signed_on: date
    signature_png: bytes
    recorded_by: str
    recorded_at: datetime
    revoked: tuple[tuple[str, str, datetime], ...] = ()


# ---- consent --------------------------------------------------------------------------------

RECORD = "record"
TEACHING = "teaching"
MARKETING = "marketing"
CONSENT_LEVELS: tuple[str, ...] = (RECORD, TEACHING, MARKETING)
CONSENT_LABELS: dict[str, str] = {
    RECORD: "Clinical record only (needed to take photos at all)",
    TEACHING: "Teaching, with nothing that identifies me",
    MARKETING: "Marketing, where I could be recognised",
}
CONSENT_SHORT: dict[str, str] = {
    RECORD: "clinical record",
    TEACHING: "teaching",
    MARKETING: "marketing",
}
NO_RECORD_CONSENT = (
    "This patient has not agreed to photos for their clinical record, so no photo can be "
    "taken or stored. Record their photo consent first."
)


def validate_levels(levels: Iterable[str]) -> list[Problem]:
    """Problems with a set of consent levels to sign (record is the first level)."""
    chosen = set(levels)
    unknown = chosen - set(CONSENT_LEVELS)
    if unknown:
        return [Problem("levels", f"{', '.join(sorted(unknown))} is not a photo consent level.")]
    if not chosen:
        return [Problem("levels", "Tick at least the clinical record level, or do not sign.")]
    if RECORD not in chosen:
        return [
            Problem(
                "levels",
                "Teaching and marketing need the clinical record level too: tick it, or "
                "do not sign.",
            )
        ]
    return []


# ---- scales ---------------------------------------------------------------------------------

NORWOOD = "norwood"
LUDWIG = "ludwig"
GAIS_PRACTITIONER = "gais_practitioner"
GAIS_PATIENT = "gais_patient"
SCALES: dict[str, tuple[tuple[str, str], ...]] = {
    # Norwood (Hamilton–Norwood) male pattern hair loss stages.
    NORWOOD: (
        ("1", "Stage 1"),
        ("2", "Stage 2"),
        ("3", "Stage 3"),
        ("3V", "Stage 3 vertex"),
        ("4", "Stage 4"),
        ("5", "Stage 5"),
        ("6", "Stage 6"),
        ("7", "Stage 7"),
    ),
    # Ludwig female pattern hair loss grades.
    LUDWIG: (("I", "Grade I"), ("II", "Grade II"), ("III", "Grade III")),
    # Global Aesthetic Improvement Scale: the published five grades.
    GAIS_PRACTITIONER: (
        ("1", "Exceptional improvement"),
        ("2", "Very improved"),
        ("3", "Improved"),
        ("4", "Unaltered"),
        ("5", "Worse"),
    ),
    GAIS_PATIENT: (
        ("1", "Exceptional improvement"),
        ("2", "Very improved"),
        ("3", "Improved"),
        ("4", "Unaltered"),
        ("5", "Worse"),
    ),
}
SCALE_LABELS: dict[str, str] = {
    NORWOOD: "Norwood stage",
    LUDWIG: "Ludwig grade",
    GAIS_PRACTITIONER: "Improvement (practitioner's view)",
    GAIS_PATIENT: "Improvement (patient's view)",
}
SCALE_AREAS: dict[str, str] = {
    NORWOOD: "scalp",
    LUDWIG: "scalp",
    GAIS_PRACTITIONER: "face",
    GAIS_PATIENT: "face",
}


def scale_values(scale: str) -> tuple[str, ...]:
    """The values of a scale, mildest (or best) first as published."""
    return tuple(v for v, _ in SCALES[scale])


def value_label(scale: str, value: str) -> str:
    """The words for a value ("Stage 3 vertex", "Improved"); the value when unknown."""
    return dict(SCALES.get(scale, ())).get(value, value)


def scale_rank(scale: str, value: str) -> int:
    """The position of ``value`` on its scale (0 first), for charts; -1 when unknown."""
    values = scale_values(scale)
    return values.index(value) if value in values else -1


def scales_for(area: str, sex: str = "") -> tuple[str, ...]:
    """The scales that rate a set of ``area``: Norwood for men, Ludwig for women, both when
    the sex is neither; the improvement scale (both raters) for the face."""
    if area == "scalp":
        if sex == "male":
            return (NORWOOD,)
        if sex == "female":
            return (LUDWIG,)
        return (NORWOOD, LUDWIG)
    if area == "face":
        return (GAIS_PRACTITIONER, GAIS_PATIENT)
    return ()


def validate_rating(area: str, scale: str, value: str) -> list[Problem]:
    if scale not in SCALES:
        return [Problem("scale", f"{scale} is not a rating scale.")]
    if SCALE_AREAS[scale] != area:
        what = SCALE_LABELS[scale].lower()
        return [Problem("scale", f"The {what} rates {SCALE_AREAS[scale]} photos.")]
    if value not in scale_values(scale):
        return [Problem("value", f"Choose a value from the {SCALE_LABELS[scale].lower()} list.")]
    return []


# ---- sets: baseline and label ---------------------------------------------------------------


@dataclass(frozen=True)
class SetFacts:
    """What labelling a set needs, as stored (before ``is_baseline`` and ``label``)."""

    id: int
    area: str
    course_id: int | None
    session_id: int | None
    taken_on: date


def baseline_ids(sets: Iterable[SetFacts]) -> set[int]:
    """Which sets are baselines: the first set of each course and area; for sets outside any
    course, the first set of that area (earliest date, then the one made first)."""
    first: dict[tuple[int | None, str], SetFacts] = {}
    for s in sets:
        key = (s.course_id, s.area)
        held = first.get(key)
        if held is None or (s.taken_on, s.id) < (held.taken_on, held.id):
            first[key] = s
    return {s.id for s in first.values()}


def set_label(
    *,
    is_baseline: bool,
    session_number: int | None,
    planned: int | None,
    sessions_before: int = 0,
) -> str:
    """The words a set is shown with.

    Args:
        is_baseline: The first set of its course (or area).
        session_number: The course session this set belongs to (1-based), if any.
        planned: The course's planned sessions, if the set belongs to a course.
        sessions_before: Course sessions given on or before the set's day (sets without a
            session of their own).
    """
    if planned is not None and session_number is not None:
        text = f"Session {session_number} of {planned}"
        return f"Baseline — {text}" if is_baseline else text
    if planned is not None:
        if sessions_before == 0:
            return (
                f"Baseline — before session 1 of {planned}"
                if is_baseline
                else (f"Before session 1 of {planned}")
            )
        text = f"After session {sessions_before} of {planned}"
        return f"Baseline — {text}" if is_baseline else text
    return "Baseline" if is_baseline else "Follow-up"


def area_for_course(treatment: str, indication: str) -> str:
    """The photo area a course treats: the scalp for scalp and hair treatments, else the face."""
    if treatment == "exosome_scalp" or indication == "hair_thinning":
        return "scalp"
    return "face"


def area_for_session(areas: Iterable[str], table: ViewTable) -> str | None:
    """The photo area of a session's treated areas (scalp before face), or None."""
    chosen = set(areas)
    for area in ("scalp", "face", *table.areas):
        if area in chosen and area in table.by_area:
            return area
    return None


# ---- the import limits ----------------------------------------------------------------------

MAX_STORED_SIDE = 2048
MAX_THUMB_SIDE = 320
MAX_SOURCE_PIXELS = 100_000_000  # 100 MP: beyond any phone; more is a decompression bomb
MAX_SOURCE_BYTES = 80_000_000


def check_image_size(width: int, height: int) -> str | None:
    """A plain sentence when an image is too large (or empty) to import, else None."""
    if width <= 0 or height <= 0:
        return "This picture has no pixels, so it cannot be imported."
    if width * height > MAX_SOURCE_PIXELS:
        return (
            f"This picture is {width:,} × {height:,} pixels, far larger than any camera takes; "
            "it was not imported. Save it at a smaller size and try again."
        )
    return None


def fit_within(width: int, height: int, limit: int) -> tuple[int, int]:
    """The size ``width``×``height`` scaled down (never up) so its long side is ≤ ``limit``."""
    long_side = max(width, height)
    if long_side <= limit:
        return width, height
    scale = limit / long_side
    return max(1, round(width * scale)), max(1, round(height * scale))


def newest_ratings(ratings: Sequence[Rating]) -> list[Rating]:
    """The standing rating per (set, scale): the newest one given."""
    kept: dict[tuple[int, str], Rating] = {}
    for r in ratings:
        held = kept.get((r.set_id, r.scale))
        if held is None or r.rated_at >= held.rated_at:
            kept[(r.set_id, r.scale)] = r
    return sorted(kept.values(), key=lambda r: (r.taken_on or date.min, r.set_id, r.scale))
