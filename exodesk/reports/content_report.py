"""The clinical content report: every patient-facing sentence with its source and status, for a
clinician to review and sign."""

from __future__ import annotations

from datetime import date

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, Spacer, Table, TableStyle

from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.comparison import CLINIC_SOURCE
from exodesk.domain.content import (
    CLINIC,
    ESTIMATE,
    PARTS,
    STATUSES,
    ContentEntry,
    ContentReport,
    long_date,
)
from exodesk.reports.document import (
    MUTED,
    RULE,
    SHADE,
    DocumentSetup,
    alert_box,
    callout,
    content_width,
    heading,
    make_styles,
    para,
    render_document,
)
from exodesk.reports.fonts import SANS, SANS_BOLD

TITLE = "Clinical content for review"

# What each status means, printed once on the first page.
STATUS_MEANINGS: dict[str, str] = {
    "sourced": "the wording rests on the sources named beside it",
    "estimate": "no source gives it; the content's estimate, with its basis",
    "clinic's own wording": "written or changed by this clinic in ExoDesk",
    "no source named": "the content file names no source for it",
}


def source_words(entry: ContentEntry) -> str:
    """ "Seeds 000, 001", "This clinic" or "—"."""
    seeds = [s for s in entry.sources if s != CLINIC_SOURCE]
    words = []
    if seeds:
        words.append(("Seed " if len(seeds) == 1 else "Seeds ") + ", ".join(seeds))
    if CLINIC_SOURCE in entry.sources:
        words.append("This clinic")
    return "; ".join(words) or "—"


def status_words(entry: ContentEntry) -> str:
    """The status as printed, with an estimate's basis (or a source note) after it."""
    if entry.basis and entry.status == ESTIMATE:
        return f"ESTIMATE. Basis: {entry.basis}"
    if entry.basis:
        return f"{entry.status}. {entry.basis}"
    return entry.status.upper() if entry.status == CLINIC else entry.status


def render_content_report(
    report: ContentReport, *, clinic: ClinicSettings, printed_on: date
) -> bytes:
    """The review document: the version and its review first, then every sentence by part."""
    styles = make_styles()
    width = content_width(clinic.paper_size)
    story: list[Flowable] = []
    status = report.review_status()
    if report.review is not None:
        recorded = report.review.recorded_by
        lines = ["It covers exactly the wording listed below (the content version under this box)."]
        if recorded:
            lines.append(f"Recorded in ExoDesk by {recorded}.")
        story.append(callout(status, lines, styles, width))
    else:
        story.append(
            alert_box(
                "Not reviewed",
                [
                    "The wording in use (the content version under this box) has no review yet.",
                    "Read every sentence below against its source, then record the review in "
                    "ExoDesk (Help → Clinical content → Record a review…).",
                ],
                styles,
                width,
            )
        )
    story.append(Spacer(1, styles.size))
    edits = (
        "yes: see the entries marked as the clinic's own wording" if report.clinic_edits else "no"
    )
    story.append(para(f"Content version: {report.version}", styles.body))
    story.append(para(f"Clinic edits in use: {edits}", styles.body))
    if report.earlier_reviews:
        earlier = report.earlier_reviews[0]
        story.append(
            para(
                f"Earlier review (of another version, so it no longer counts): reviewed by "
                f"{earlier.reviewer} on {long_date(earlier.reviewed_on)}, version "
                f"{earlier.version}.",
                styles.small,
            )
        )
    story += heading("How to read this document", styles)
    counts = ", ".join(f"{report.count(status=s)} {s}" for s in STATUSES if report.count(status=s))
    story.append(
        para(
            f"Every sentence ExoDesk prints or shows patients, {len(report.entries)} in all "
            f"({counts}). Beside each: where it appears, its source and its status.",
            styles.body,
        )
    )
    story += [
        para(f"{s}: {meaning}.", styles.bullet, bulletText="•")
        for s, meaning in STATUS_MEANINGS.items()
    ]
    story += heading("Sources", styles)
    for source_id, title in sorted(report.source_titles.items()):
        story.append(para(f"Seed {source_id}: {title}", styles.bullet, bulletText="•"))
    story.append(
        para(
            "This clinic: the clinic's own wording, prices, notes and settings.",
            styles.bullet,
            bulletText="•",
        )
    )
    for part in PARTS:
        entries = report.in_part(part)
        story += heading(f"{part} ({len(entries)})", styles)
        story.append(_table(entries, styles.small, width))
    setup = DocumentSetup(
        clinic=clinic,
        title=TITLE,
        printed_on=printed_on,
        subtitle=status,
    )
    return render_document(setup, story, styles)


def _table(entries: tuple[ContentEntry, ...], style: ParagraphStyle, width: float) -> Table:
    bold = ParagraphStyle("content-head", parent=style, fontName=SANS_BOLD)
    muted = ParagraphStyle("content-where", parent=style, textColor=MUTED)
    rows: list[list[Flowable | list[Flowable]]] = [
        [para("Wording", bold), para("Where it appears", bold), para("Source and status", bold)]
    ]
    for entry in entries:
        status_style = bold if entry.status in (ESTIMATE, CLINIC) else style
        rows.append(
            [
                para(entry.text, style),
                para(entry.where, muted),
                [para(source_words(entry), style), para(status_words(entry), status_style)],
            ]
        )
    table = Table(
        rows,
        colWidths=[width * 0.46, width * 0.30, width * 0.24],
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), SANS),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table
