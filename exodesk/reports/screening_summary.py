"""The intake screening summary: the data it prints, and its rendering to PDF bytes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.dates import age_on, format_long
from exodesk.domain.screening_vocabulary import verdict_look
from exodesk.reports.document import (
    INK,
    MUTED,
    RULE,
    SHADE,
    DocumentSetup,
    ReportStyles,
    TableCommand,
    alert_box,
    bullets,
    content_width,
    heading,
    make_styles,
    para,
    png_image,
    render_document,
)
from exodesk.reports.fonts import SANS, missing_glyphs
from exodesk.reports.markup import para_text

TITLE = "Screening summary"

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class AnswerLine:
    """One screening question and the answer given, under its section."""

    section: str
    question: str
    answer: str


@dataclass(frozen=True)
class VerdictLine:
    """The outcome for one treatment.

    Attributes:
        treatment_label: The treatment as the clinic names it.
        verdict: A verdict id (``domain.screening.VERDICT_ORDER``).
        verdict_label: The verdict's word as printed ("Proceed with precautions").
        until_text: For a deferral, when it ends (``screening_vocabulary.verdict_when``: every
            condition and the latest date); printed under the verdict as it is.
        reasons: Why the rules gave this verdict, one line each.
        precautions: What to do differently, one line each.
    """

    treatment_label: str
    verdict: str
    verdict_label: str
    until_text: str | None = None
    reasons: tuple[str, ...] = ()
    precautions: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScreeningSummary:
    """Everything the screening summary prints; built by a service, asserted on by tests.

    Attributes:
        clinic: Letterhead and paper size.
        patient_name: As recorded.
        date_of_birth: None when not recorded.
        taken_on: The day the screening was taken.
        taken_by: Who took it.
        version: The screening's version number for this patient.
        rule_table_version: The rule table the verdicts came from.
        answers: The questions and answers, in the order asked.
        verdicts: One line per treatment.
        signoffs: Clinician sign-off lines, one each ("<treatment>: " and the sentence of
            ``domain.screening_vocabulary.signoff_words``).
        overrides: Clinician overrides of a verdict, one each, likewise
            (``override_words``); printed in red.
        consent_version: The consent form's version, None when no consent is recorded.
        consent_signed_name: The name the patient signed with.
        consent_date: The day consent was signed.
        signature_png: The captured signature image.
        printed_on: The date printed in the footer (reports never read the clock).
        large_print: Bigger type.
        answers_note: Printed above the answers when some have no answer recorded (a
            screening saved before every question needed one); None otherwise.
        consent_text: The words of the consent form version the patient signed, printed
            above the signature; None when not known.
    """

    clinic: ClinicSettings
    patient_name: str
    date_of_birth: date | None
    taken_on: date
    taken_by: str
    version: int
    rule_table_version: str
    answers: tuple[AnswerLine, ...]
    verdicts: tuple[VerdictLine, ...]
    signoffs: tuple[str, ...]
    overrides: tuple[str, ...]
    consent_version: str | None
    consent_signed_name: str | None
    consent_date: date | None
    signature_png: bytes | None = field(repr=False)
    printed_on: date
    large_print: bool = False
    answers_note: str | None = None
    consent_text: str | None = None


def render_screening_summary(summary: ScreeningSummary) -> bytes:
    """Render the screening summary to PDF bytes (the same summary gives the same bytes).

    Args:
        summary: The data to print.

    Returns:
        A complete PDF file.
    """
    styles = make_styles(summary.large_print)
    width = content_width(summary.clinic.paper_size)
    setup = DocumentSetup(
        clinic=summary.clinic,
        title=TITLE,
        printed_on=summary.printed_on,
        subject=summary.patient_name,
        subtitle=(
            f"Screening version {summary.version}  ·  Rule table {summary.rule_table_version}"
        ),
        large_print=summary.large_print,
    )
    return render_document(setup, build_story(summary, styles, width), styles)


def summary_missing_glyphs(summary: ScreeningSummary) -> tuple[str, ...]:
    """Return the characters in ``summary`` that will print as a placeholder (none, usually)."""
    return missing_glyphs(_all_text(summary))


def _all_text(summary: ScreeningSummary) -> Iterator[str]:
    clinic = summary.clinic
    yield from (clinic.name, clinic.address, clinic.phone, clinic.out_of_hours)
    yield from (summary.patient_name, summary.taken_by, summary.rule_table_version)
    yield summary.answers_note or ""
    for answer in summary.answers:
        yield from (answer.section, answer.question, answer.answer)
    for verdict in summary.verdicts:
        yield from (verdict.treatment_label, verdict.verdict_label, verdict.until_text or "")
        yield from (*verdict.reasons, *verdict.precautions)
    yield from (*summary.signoffs, *summary.overrides)
    yield from (summary.consent_version or "", summary.consent_signed_name or "")
    yield summary.consent_text or ""


def format_date_of_birth(day: date) -> str:
    """Return ``3 Apr 1985``: no weekday, and month names independent of the OS locale."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def build_story(summary: ScreeningSummary, styles: ReportStyles, width: float) -> list[Flowable]:
    """Return the summary's flowables (everything under the letterhead and title)."""
    story: list[Flowable] = [_patient_band(summary, styles, width)]
    story.extend(heading("Outcome by treatment", styles))
    if summary.verdicts:
        story.append(_verdict_table(summary.verdicts, styles, width))
    else:
        story.append(Paragraph("No treatments were assessed.", styles.body))
    if summary.overrides:
        story.append(Spacer(0, styles.size))
        story.append(alert_box("⚠ Overridden by a clinician", summary.overrides, styles, width))
    story.extend(heading("Answers", styles))
    if summary.answers_note:
        story.append(para(summary.answers_note, styles.body))
        story.append(Spacer(0, styles.size * 0.5))
    if summary.answers:
        story.extend(_answer_tables(summary.answers, styles, width))
    else:
        story.append(Paragraph("No answers were recorded.", styles.body))
    story.extend(heading("Sign-offs", styles))
    if summary.signoffs:
        story.extend(bullets(summary.signoffs, styles.bullet))
    else:
        story.append(Paragraph("None recorded.", styles.body))
    story.extend(_consent(summary, styles, width))
    return story


def _cell_style(styles: ReportStyles) -> list[TableCommand]:
    pad = styles.size * 0.45
    return [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), SANS),
        ("LEFTPADDING", (0, 0), (-1, -1), pad),
        ("RIGHTPADDING", (0, 0), (-1, -1), pad),
        ("TOPPADDING", (0, 0), (-1, -1), pad * 0.8),
        ("BOTTOMPADDING", (0, 0), (-1, -1), pad),
    ]


def _patient_band(summary: ScreeningSummary, styles: ReportStyles, width: float) -> Table:
    if summary.date_of_birth is None:
        born = "Not recorded"
    else:
        age = age_on(summary.date_of_birth, summary.taken_on)
        born = f"{format_date_of_birth(summary.date_of_birth)} (age {age})"
    cells = [
        ("Patient", summary.patient_name),
        ("Date of birth", born),
        ("Screened on", format_long(summary.taken_on)),
        ("Screened by", summary.taken_by),
    ]
    return _facts_band(cells, styles, width, shaded=True)


# Column shares of the four-up facts bands (patient, consent); the consent band lines up with
# the patient band above it.
_BAND_FRACTIONS = (0.34, 0.25, 0.20, 0.21)


def _facts_band(
    cells: list[tuple[str, str]], styles: ReportStyles, width: float, *, shaded: bool
) -> Table:
    """Label-over-value cells: four across, or two across in large print (four would wrap)."""
    across = 2 if styles.size > 12 else 4
    fractions = (0.5, 0.5) if across == 2 else _BAND_FRACTIONS[: len(cells)]
    rows: list[list[object]] = []
    for start in range(0, len(cells), across):
        chunk = cells[start : start + across]
        padding = [""] * (len(fractions) - len(chunk))
        rows.append([*(Paragraph(label, styles.label) for label, _ in chunk), *padding])
        rows.append([*(para(v, styles.body_bold) for _, v in chunk), *padding])
    band = Table(rows, colWidths=[width * f for f in fractions], hAlign="LEFT")
    commands: list[TableCommand] = [*_cell_style(styles)]
    for label_row in range(0, len(rows), 2):
        commands += [
            ("TOPPADDING", (0, label_row), (-1, label_row), styles.size * 0.6),
            ("BOTTOMPADDING", (0, label_row), (-1, label_row), 0),
            ("BOTTOMPADDING", (0, label_row + 1), (-1, label_row + 1), styles.size * 0.5),
        ]
    if shaded:
        commands.append(("BACKGROUND", (0, 0), (-1, -1), SHADE))
        commands.append(("BOTTOMPADDING", (0, -1), (-1, -1), styles.size * 0.8))
    band.setStyle(TableStyle(commands))
    return band


def _verdict_table(verdicts: tuple[VerdictLine, ...], styles: ReportStyles, width: float) -> Table:
    # In large print three columns wrap every word, so the outcome goes under the treatment.
    stacked = styles.size > 12
    if stacked:
        titles: tuple[str, ...] = ("Treatment and outcome", "Why, and precautions")
        fractions: tuple[float, ...] = (0.42, 0.58)
    else:
        titles = ("Treatment", "Outcome", "Why, and precautions")
        fractions = (0.27, 0.25, 0.48)
    rows: list[list[object]] = [[Paragraph(text, styles.label) for text in titles]]
    commands: list[TableCommand] = [
        *_cell_style(styles),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
    ]
    for row, line in enumerate(verdicts, start=1):
        # The word carries the meaning; the symbol and colour (the screen's: one vocabulary)
        # help the eye find it, and the symbols still differ on a black-and-white print.
        look = verdict_look(line.verdict)
        colour = colors.HexColor(look.colour)
        treatment = para(line.treatment_label, styles.body_bold)
        outcome: list[Flowable] = [
            Paragraph(
                f'<font color="{colour.hexval()}">{para_text(look.symbol)}&nbsp;&nbsp;'
                f"{para_text(line.verdict_label)}</font>",
                styles.body_bold,
            )
        ]
        if line.until_text:
            outcome.append(para(line.until_text, styles.small))
        details: list[Flowable] = list(bullets(line.reasons, styles.bullet))
        if line.precautions:
            details.append(Paragraph("Precautions", styles.label))
            details.extend(bullets(line.precautions, styles.bullet))
        if not details:
            details.append(Paragraph("—", styles.body))
        if stacked:
            rows.append([[treatment, Spacer(0, styles.size * 0.3), *outcome], details])
        else:
            rows.append([treatment, outcome, details])
        # A coloured bar beside each row, as well as the word, ties the row to its outcome.
        commands.append(("LINEBEFORE", (0, row), (0, row), 3, colour))
    table = Table(
        rows,
        colWidths=[width * f for f in fractions],
        repeatRows=1,
        splitInRow=1,
        hAlign="LEFT",
    )
    table.setStyle(TableStyle(commands))
    return table


# An answer longer than this (a pasted letter, a medicines list) gets the table's full width
# under its question instead of a narrow column, in regular weight.
_LONG_ANSWER = 160


def _answer_tables(
    answers: tuple[AnswerLine, ...], styles: ReportStyles, width: float
) -> list[Flowable]:
    """One table per section, its name as a header row that repeats when the table splits."""
    tables: list[Flowable] = []
    long_answer = ParagraphStyle(
        "long_answer", parent=styles.body, leftIndent=styles.size * 1.5, spaceBefore=2
    )
    for section, lines in groupby(answers, key=lambda a: a.section):
        rows: list[list[object]] = [[para(section, styles.body_bold), ""]]
        commands: list[TableCommand] = [
            *_cell_style(styles),
            ("SPAN", (0, 0), (1, 0)),
            ("BACKGROUND", (0, 0), (1, 0), SHADE),
        ]
        for answer in lines:
            question = para(answer.question, styles.body)
            if len(answer.answer) > _LONG_ANSWER or answer.answer.count("\n") > 4:
                # One cell for both, so a page break can only fall inside the answer.
                answer_para = para(answer.answer, long_answer)
                rows.append([[question, answer_para], ""])
                row = len(rows) - 1
                commands += [
                    ("SPAN", (0, row), (1, row)),
                    ("LINEBELOW", (0, row), (1, row), 0.4, RULE),
                ]
            else:
                rows.append([question, para(answer.answer, styles.body_bold)])
                commands.append(("LINEBELOW", (0, len(rows) - 1), (1, len(rows) - 1), 0.4, RULE))
        table = Table(
            rows,
            colWidths=[width * 0.62, width * 0.38],
            repeatRows=1,
            splitInRow=1,
            hAlign="LEFT",
        )
        table.setStyle(TableStyle(commands))
        tables.append(table)
    return tables


def _consent(summary: ScreeningSummary, styles: ReportStyles, width: float) -> list[Flowable]:
    """The consent: its words as signed, then who signed, when, and the signature.

    The heading stays with the first paragraphs of the words and the signature with the
    last, so the section flows on from the answers (it no longer waits for a page of its
    own) and a signature never prints apart from what was signed.
    """
    heading = Paragraph("Consent", styles.heading)
    if summary.consent_version is None:
        none = Paragraph("No consent form is recorded with this screening.", styles.body)
        return [KeepTogether([heading, none])]
    signed_on = format_long(summary.consent_date) if summary.consent_date else "Not recorded"
    cells = [
        ("Consent form", f"Version {summary.consent_version}"),
        ("Signed by", summary.consent_signed_name or "Not signed"),
        ("Date signed", signed_on),
    ]
    signed: list[Flowable] = [_facts_band(cells, styles, width, shaded=False)]
    signature = (
        png_image(summary.signature_png, 70 * mm, 22 * mm) if summary.signature_png else None
    )
    if signature is not None:
        signature.hAlign = "LEFT"
        box = Table(
            [[signature], [Paragraph("Signature", styles.label)]],
            colWidths=[75 * mm],
            hAlign="LEFT",
        )
        box.setStyle(
            TableStyle(
                [
                    *_cell_style(styles),
                    ("LINEBELOW", (0, 0), (0, 0), 0.6, MUTED),
                ]
            )
        )
        signed += [Spacer(0, styles.size * 0.5), box]
    # The text is stored as typed: blank lines between paragraphs, lines wrapped by hand.
    words_style = ParagraphStyle("consent_words", parent=styles.body, spaceAfter=styles.size * 0.45)
    words: list[Flowable] = [
        para(" ".join(block.split()), words_style)
        for block in (summary.consent_text or "").split("\n\n")
        if block.strip()
    ]
    if len(words) <= 3:
        return [KeepTogether([heading, *words, *signed])]
    # The first two blocks: the form's own title line and its first paragraph.
    return [
        KeepTogether([heading, *words[:2]]),
        *words[2:-1],
        KeepTogether([words[-1], *signed]),
    ]
