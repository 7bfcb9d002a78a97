"""The clinical content report: every patient-facing sentence, its source, status and version.

A clinician reviews the wording ExoDesk prints or shows (screening reasons, consent, aftercare
sheets, comparison cells, regulatory notes) against its sources and signs it: "reviewed by
<name> on <date>" against one content version. This module turns the already-loaded content
into that list, says which version it is, and whether a review covers it. Pure: the caller
loads the files and the clinic's edits and passes them in.

Public API::

    screening_entries(table, *, clinic_rules=()) -> list[ContentEntry]
    consent_entries(text, *, version, edited) -> list[ContentEntry]
    aftercare_entries(templates, *, edited=()) -> list[ContentEntry]
    comparison_entries(content) -> list[ContentEntry]
    regulatory_entries(facts) -> list[ContentEntry]
    content_version(parts, entries) -> str
    consent_paragraphs(text) -> tuple[str, ...]
    ContentReport, ContentEntry, ContentReview, review_from_dict(data)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from exodesk.domain.aftercare import AftercareTemplate, method_line
from exodesk.domain.clinic import COUNTRIES
from exodesk.domain.comparison import (
    ALL_COUNTRIES,
    CLINIC_SOURCE,
    ComparisonContent,
    Fact,
    Measure,
)
from exodesk.domain.regulatory import ALL_JURISDICTIONS, RegulatoryFact
from exodesk.domain.screening import RuleTable
from exodesk.domain.sessions import DELIVERY_METHODS

# The statuses a sentence can have. "no source named" is for text whose file names no seed
# (the bundled consent text): saying so is more honest than calling it sourced.
SOURCED = "sourced"
ESTIMATE = "estimate"
CLINIC = "clinic's own wording"
UNSOURCED = "no source named"
STATUSES: tuple[str, ...] = (SOURCED, ESTIMATE, CLINIC, UNSOURCED)

# The parts of the report, in print order.
SCREENING = "Screening rule reasons"
CONSENT = "Consent text"
AFTERCARE = "Aftercare sheets"
COMPARISON = "Treatment comparison"
REGULATORY = "Regulatory notes"
PARTS: tuple[str, ...] = (SCREENING, CONSENT, AFTERCARE, COMPARISON, REGULATORY)

_MEASURE_NAMES = {
    "invasiveness": "How invasive (glance graphic)",
    "downtime_days": "Downtime (glance graphic)",
    "sessions": "Sessions (glance graphic)",
}
DIGEST_LENGTH = 8


@dataclass(frozen=True)
class ContentEntry:
    """One patient-facing sentence (or short phrase) as ExoDesk uses it.

    Attributes:
        part: One of ``PARTS``.
        kind: What it is within the part ("reason", "bullet", "cell", "paragraph"…).
        where: Where it appears, in words ("Aftercare: After your exosome facial — Call us if").
        text: The wording in use.
        status: One of ``STATUSES``.
        sources: Seed ids ("000"…), or ``CLINIC_SOURCE`` for the clinic's own words.
        basis: For an estimate, why it is what it is; otherwise a note on the source, if any.
    """

    part: str
    kind: str
    where: str
    text: str
    status: str
    sources: tuple[str, ...] = ()
    basis: str = ""


@dataclass(frozen=True)
class ContentReview:
    """A clinician's "reviewed by <name> on <date>" against one content version."""

    version: str
    reviewer: str
    reviewed_on: date
    recorded_by: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "version": self.version,
            "reviewer": self.reviewer,
            "reviewed_on": self.reviewed_on.isoformat(),
            "recorded_by": self.recorded_by,
        }

    def sentence(self) -> str:
        """ "Reviewed by Dr X on 6 Dec 2026"."""
        return f"Reviewed by {self.reviewer} on {long_date(self.reviewed_on)}"


def review_from_dict(data: Mapping[str, Any]) -> ContentReview:
    """A stored review back as a ``ContentReview`` (the settings value's JSON)."""
    return ContentReview(
        version=str(data["version"]),
        reviewer=str(data["reviewer"]),
        reviewed_on=date.fromisoformat(str(data["reviewed_on"])),
        recorded_by=str(data.get("recorded_by", "")),
    )


def long_date(day: date) -> str:
    """ "6 Dec 2026": day first and the month in words, so no reader misreads it."""
    return f"{day.day} {day:%b %Y}"


@dataclass(frozen=True)
class ContentReport:
    """Everything the review document lists, and which version of the wording it is.

    Attributes:
        version: The content version (see ``content_version``); a review counts only for it.
        clinic_edits: True when any of the clinic's own wording or settings is in use.
        entries: Every sentence, in ``PARTS`` order.
        source_titles: Seed id -> title, for the source list.
        review: The review of exactly this version, or None.
        earlier_reviews: Reviews of other versions, newest first (they no longer count).
    """

    version: str
    clinic_edits: bool
    entries: tuple[ContentEntry, ...]
    source_titles: Mapping[str, str] = field(default_factory=dict)
    review: ContentReview | None = None
    earlier_reviews: tuple[ContentReview, ...] = ()

    def in_part(self, part: str) -> tuple[ContentEntry, ...]:
        return tuple(e for e in self.entries if e.part == part)

    def count(self, *, status: str | None = None, kind: str | None = None) -> int:
        return sum(
            1
            for e in self.entries
            if (status is None or e.status == status) and (kind is None or e.kind == kind)
        )

    def review_status(self) -> str:
        """The line the window and the PDF's first page show."""
        if self.review is not None:
            return self.review.sentence()
        return f"Not reviewed: the wording in use (version {self.version}) has no review yet"


def with_reviews(report: ContentReport, reviews: Sequence[ContentReview]) -> ContentReport:
    """The report with the review of its version (the newest one) and the older ones."""
    newest_first = sorted(reviews, key=lambda r: r.reviewed_on, reverse=True)
    current = next((r for r in newest_first if r.version == report.version), None)
    others = tuple(r for r in newest_first if r.version != report.version)
    return ContentReport(
        version=report.version,
        clinic_edits=report.clinic_edits,
        entries=report.entries,
        source_titles=report.source_titles,
        review=current,
        earlier_reviews=others,
    )


def _status(sources: Iterable[str], *, edited: bool = False, estimate: bool = False) -> str:
    if edited:
        return CLINIC
    if estimate:
        return ESTIMATE
    return SOURCED if tuple(sources) else UNSOURCED


# ---- each part ---------------------------------------------------------------------------
def screening_entries(table: RuleTable, *, clinic_rules: Iterable[str] = ()) -> list[ContentEntry]:
    """Every reason, precaution and "until" text of the rules, as the clinic's table has them.

    Args:
        table: The rule table in use (the bundled one tightened by the clinic's settings).
        clinic_rules: Ids of rules the clinic's settings changed: their sentences are used
            under the clinic's own verdict or window, so they show as the clinic's wording.
    """
    changed = set(clinic_rules)
    entries: list[ContentEntry] = []
    for rule in table.rules:
        edited = rule.id in changed
        status = _status(rule.sources, edited=edited)
        basis = "Made stricter in the clinic's screening settings." if edited else ""
        # The words as a patient reads them: "{months}" filled from the rule's own window.
        numbers = rule.when.placeholders()
        for effect in rule.effects:
            treatments = ", ".join(table.treatment_label(t) for t in effect.treatments)
            where = (
                f"Screening: {rule.title} → {treatments} ({table.verdict_label(effect.outcome)})"
            )
            entries.append(
                ContentEntry(
                    SCREENING,
                    "reason",
                    where,
                    effect.reason.format(**numbers),
                    status,
                    rule.sources,
                    basis,
                )
            )
            if effect.precaution:
                entries.append(
                    ContentEntry(
                        SCREENING,
                        "precaution",
                        where,
                        effect.precaution.format(**numbers),
                        status,
                        rule.sources,
                        basis,
                    )
                )
        if rule.until_text:
            entries.append(
                ContentEntry(
                    SCREENING,
                    "until",
                    f"Screening: {rule.title} (when a deferral lifts)",
                    rule.until_text.format(**numbers),
                    status,
                    rule.sources,
                    basis,
                )
            )
    return entries


def consent_paragraphs(text: str) -> tuple[str, ...]:
    """The consent text's paragraphs (blank-line separated), each joined into one line."""
    blocks = [" ".join(block.split()) for block in text.replace("\r\n", "\n").split("\n\n")]
    return tuple(b for b in blocks if b)


def consent_entries(text: str, *, version: int, edited: bool) -> list[ContentEntry]:
    """The consent text in use, paragraph by paragraph."""
    where = f"Consent form (consent text version {version})"
    status = CLINIC if edited else UNSOURCED
    sources = (CLINIC_SOURCE,) if edited else ()
    basis = "" if edited else "consent.txt names no seed; it follows clinical-facts."
    return [
        ContentEntry(CONSENT, "paragraph", where, paragraph, status, sources, basis)
        for paragraph in consent_paragraphs(text)
    ]


def aftercare_entries(
    templates: Sequence[AftercareTemplate],
    *,
    sources: Mapping[str, Mapping[str, tuple[str, ...]]],
    edited: Iterable[str] = (),
) -> list[ContentEntry]:
    """Every title, opening line, bullet and timeline stage of the sheets in use, and the line
    a session's sheet opens with for each delivery method.

    Args:
        templates: The wording in use per treatment.
        sources: Treatment -> section id (and "timeline") -> seed ids, from the bundled file
            (the templates themselves do not carry them).
        edited: Treatments whose wording the clinic changed: all of that sheet is its own.
    """
    clinic = set(edited)
    entries: list[ContentEntry] = []
    for template in templates:
        own = template.treatment in clinic
        cited = sources.get(template.treatment, {})
        sheet_sources = tuple(dict.fromkeys(s for ids in cited.values() for s in ids))
        sheet = f"Aftercare: {template.title}"
        entries.append(_sheet_entry("title", sheet, template.title, sheet_sources, own=own))
        if template.intro:
            entries.append(
                _sheet_entry("intro", f"{sheet} — opening", template.intro, sheet_sources, own=own)
            )
        entries += _method_entries(template.treatment, sheet)
        for section in template.sections:
            for bullet in section.bullets:
                entries.append(
                    _sheet_entry(
                        "bullet",
                        f"{sheet} — {section.heading}",
                        bullet,
                        tuple(cited.get(section.id, ())),
                        own=own,
                    )
                )
        for stage in template.timeline:
            entries.append(
                _sheet_entry(
                    "timeline",
                    f"{sheet} — timeline, {stage.label}",
                    stage.text,
                    tuple(cited.get("timeline", ())),
                    own=own,
                )
            )
    return entries


def _method_entries(treatment: str, sheet: str) -> list[ContentEntry]:
    """The opening line a session's sheet starts with, for every delivery method (and on the
    scalp, where that changes the words). Written in the code, so no file names a source."""
    seen: dict[str, str] = {}
    for delivery, label in DELIVERY_METHODS.items():
        for scalp in (False, True):
            text = method_line(treatment, delivery, scalp=scalp)
            if text and text not in seen:
                seen[text] = f"{label}, on the scalp" if scalp else label
    return [
        ContentEntry(
            AFTERCARE,
            "method",
            f"{sheet} — opening line after a session ({how})",
            text,
            UNSOURCED,
            (),
            "Worded by ExoDesk from the session's delivery method.",
        )
        for text, how in seen.items()
    ]


def _sheet_entry(
    kind: str, where: str, text: str, ids: tuple[str, ...], *, own: bool
) -> ContentEntry:
    ids = (CLINIC_SOURCE,) if own else ids
    return ContentEntry(AFTERCARE, kind, where, text, _status(ids, edited=own), ids)


def _fact_entry(where: str, fact: Fact) -> ContentEntry:
    # Facts may carry an estimate mark and its basis (issue #17 adds them to the file): read
    # them when present, so the report follows the content without a second list.
    estimate = bool(getattr(fact, "estimate", False))
    basis = str(getattr(fact, "basis", "") or "")
    status = _status(fact.sources, edited=fact.edited, estimate=estimate)
    return ContentEntry(COMPARISON, "cell", where, fact.text, status, fact.sources, basis)


def _measure_entry(where: str, measure: Measure) -> ContentEntry:
    status = _status(measure.sources, estimate=measure.estimate)
    return ContentEntry(
        COMPARISON, "measure", where, measure.words, status, measure.sources, measure.basis
    )


def comparison_entries(content: ComparisonContent) -> list[ContentEntry]:
    """Every comparison cell with text, its reference notes, the glance graphic's words and
    the clinic's notes (``content`` as the clinic has it, edits applied)."""
    entries: list[ContentEntry] = []
    for treatment in content.treatments:
        for row in content.rows:
            by_country = treatment.facts.get(row.id, {})
            for country, fact in by_country.items():
                place = "every country" if country == ALL_COUNTRIES else country
                where = f"Comparison: {treatment.label} — {row.label} ({place})"
                if fact.text and not fact.unknown:
                    entries.append(_fact_entry(where, fact))
                if fact.note:
                    entries.append(
                        ContentEntry(
                            COMPARISON,
                            "note",
                            where,
                            fact.note,
                            _status(fact.sources, edited=fact.edited),
                            fact.sources,
                        )
                    )
        for key, name in _MEASURE_NAMES.items():
            measure: Measure = getattr(treatment.visual, key)
            entries.append(_measure_entry(f"Comparison: {treatment.label} — {name}", measure))
        if treatment.clinic_note:
            entries.append(
                ContentEntry(
                    COMPARISON,
                    "clinic note",
                    f"Comparison: {treatment.label} — note from this clinic",
                    treatment.clinic_note,
                    CLINIC,
                    (CLINIC_SOURCE,),
                )
            )
    return entries


def regulatory_entries(facts: Sequence[RegulatoryFact]) -> list[ContentEntry]:
    """Every regulatory note shown before a session (and printed on it), numbered in the
    order the practitioner sees them, with where it applies in words."""
    entries = []
    for number, fact in enumerate(facts, start=1):
        if fact.jurisdiction == ALL_JURISDICTIONS:
            place = "every country"
        else:
            place = COUNTRIES.get(fact.jurisdiction, fact.jurisdiction)
        entries.append(
            ContentEntry(
                REGULATORY,
                "note",
                f"Before saving a session: regulatory note {number} ({place})",
                fact.text,
                _status(fact.sources),
                fact.sources,
                fact.source_note,
            )
        )
    return entries


# ---- the version -------------------------------------------------------------------------
def digest(entries: Iterable[ContentEntry]) -> str:
    """A short hash of the wording in use: any change to any sentence, its place, status or
    sources changes it."""
    canonical = json.dumps(
        [[e.part, e.kind, e.where, e.text, e.status, list(e.sources), e.basis] for e in entries],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:DIGEST_LENGTH]


def content_version(parts: Sequence[str], entries: Iterable[ContentEntry]) -> str:
    """ "rules 2026.2 · aftercare 2026.2 · … · consent v1 · 1a2b3c4d".

    Args:
        parts: The files' own versions in words, e.g. "rules 2026.2" or
            "aftercare 2026.2 + clinic wording (exosome_face clinic v3)".
        entries: The wording in use; its digest ends the version, so an edit the parts do not
            name (a second edit of the same sheet) still makes a new version.
    """
    return " · ".join([*parts, digest(entries)])
