"""The patient's aftercare sheet: the data it prints, and its rendering to one page of PDF."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import CondPageBreak, Flowable, Paragraph, Spacer, Table, TableStyle

from exodesk.domain.aftercare import (
    RECOVERY_STAGES,
    AftercareSection,
    AftercareTemplate,
    TimelineStage,
)
from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.dates import format_long
from exodesk.reports.document import (
    ALERT,
    INK,
    MUTED,
    SHADE,
    DocumentSetup,
    EndMark,
    ReportStyles,
    TableCommand,
    bullets,
    content_width,
    make_styles,
    para,
    render_document,
)
from exodesk.reports.fonts import SANS, string_width
from exodesk.reports.markup import para_text

# The number to dial, by the clinic's country; none is printed for "OTHER".
EMERGENCY_NUMBERS: dict[str, str] = {
    "GB": "999",
    "IE": "112 or 999",
    "US": "911",
    "CA": "911",
    "AU": "000",
    "NZ": "111",
}

# The timeline's two parts, named above them; the names are also its heading.
RECOVERY_CAPTION = "Recovery"
RESULTS_CAPTION = "Results build slowly"

# When a sheet still overflows (a letterhead with a long address and a tall logo on top of
# long wording; in large print, every part of the wording at its line budget at once), it is
# set again at these scales, in turn, rather than spill onto another page: 9.5 pt becomes
# 8.7 pt, then 8.1 pt; large print's 14 pt becomes 12.9 pt, then 11.9 pt.
FALLBACK_SCALES = (0.92, 0.85)

_NBSP = "\u00a0"


def _keep_last_words(text: str) -> str:
    """Join the last two words with a no-break space, so a heading never ends on one short
    word alone ("Call emergency services now / if")."""
    head, _, last = text.rstrip().rpartition(" ")
    return f"{head}{_NBSP}{last}" if head else text


@dataclass(frozen=True)
class SheetProduct:
    """A product used in the session, as the patient's sheet names it.

    Attributes:
        name: The product's name as sold.
        lot_number: The lot or batch number on the vial, so a recall can be matched.
    """

    name: str
    lot_number: str


@dataclass(frozen=True)
class AftercareSheet:
    """Everything one aftercare sheet prints; built by a service, asserted on by tests.

    Attributes:
        clinic: Letterhead, phone numbers, country (emergency number) and paper size.
        template: The wording: the bundled one or the clinic's own.
        printed_on: The date printed in the footer (reports never read the clock).
        patient_name: The patient's name; None prints the blank sheet for the waiting-room
            rack, with lines to write the personal details on (the fields below but the
            treatment are then not printed).
        treatment_label: The treatment as the clinic names it.
        areas: The treated areas in words ("Face, neck").
        session_date: The day of the treatment (None: printed as a dash).
        practitioner: Who did the treatment.
        products: The products used, with their lot numbers.
        course_label: Where the course is ("session 2 of 4"), or "" outside a course.
        next_window: When the next session falls ("between 20 Dec 2026 and 3 Jan 2027"), or "".
        large_print: Bigger type; the sheet may then take two pages.
        method_line: How the session was done (``domain.aftercare.method_line``), printed
            before the intro; "" on a sheet with no session.
    """

    clinic: ClinicSettings
    template: AftercareTemplate
    printed_on: date
    patient_name: str | None
    treatment_label: str
    areas: str
    session_date: date | None
    practitioner: str
    products: tuple[SheetProduct, ...]
    course_label: str
    next_window: str
    large_print: bool = False
    method_line: str = ""


def render_aftercare(sheet: AftercareSheet) -> bytes:
    """Render the aftercare sheet to PDF bytes (the same sheet gives the same bytes).

    One page at normal size, on A4 or Letter, for any template that passes
    ``validate_template`` under a usual letterhead; at most two pages in large print. A sheet
    that would overflow is set again smaller (``FALLBACK_SCALES``) until it fits.

    Args:
        sheet: The data to print.

    Returns:
        A complete PDF file.

    Raises:
        KeyError: when the template lacks one of ``SECTION_IDS`` (validate it first).
    """
    pages = 2 if sheet.large_print else 1
    pdf, used = _render(sheet, 1.0)
    for scale in FALLBACK_SCALES:
        if used <= pages:
            break
        pdf, used = _render(sheet, scale)
    return pdf


def _render(sheet: AftercareSheet, scale: float) -> tuple[bytes, int]:
    """Return the PDF and the number of pages its content took."""
    base = make_styles(sheet.large_print)
    if scale != 1.0:
        base = _scaled(base, scale)
    styles = _sheet_styles(base, sheet.large_print)
    setup = DocumentSetup(
        clinic=sheet.clinic,
        title=sheet.template.title,
        printed_on=sheet.printed_on,
        subject=sheet.patient_name or "",
        subtitle=f"Please keep this sheet  ·  Wording {sheet.template.version}",
        large_print=sheet.large_print,
    )
    end = EndMark()
    story = [*_story(sheet, styles, content_width(sheet.clinic.paper_size)), end]
    return render_document(setup, story, styles.base), end.page


# ---------------------------------------------------------------------------------------------
# Styles


@dataclass(frozen=True)
class _SheetStyles:
    """The shared report styles plus the few this sheet adds."""

    base: ReportStyles
    large: bool
    section: ParagraphStyle
    bullet: ParagraphStyle
    stage_label: ParagraphStyle
    stage_text: ParagraphStyle
    timeline_caption: ParagraphStyle
    box_title: ParagraphStyle
    emergency_title: ParagraphStyle
    dial: ParagraphStyle
    phone: ParagraphStyle

    @property
    def size(self) -> float:
        """The body size in points; spacing scales with it."""
        return self.base.size


_SCALED_ATTRIBUTES = (
    "fontSize",
    "leading",
    "spaceBefore",
    "spaceAfter",
    "leftIndent",
    "rightIndent",
    "firstLineIndent",
    "bulletFontSize",
    "bulletIndent",
)


def _scaled(styles: ReportStyles, factor: float) -> ReportStyles:
    """Return the shared styles with every size and space multiplied by ``factor``."""
    # Any: each field takes its own type (a float size, ParagraphStyles), named at run time.
    changes: dict[str, Any] = {"size": styles.size * factor}
    for field in dataclasses.fields(styles):
        style = getattr(styles, field.name)
        if isinstance(style, ParagraphStyle):
            copy = ParagraphStyle(style.name, parent=style)
            for attribute in _SCALED_ATTRIBUTES:
                setattr(copy, attribute, getattr(style, attribute) * factor)
            changes[field.name] = copy
    return dataclasses.replace(styles, **changes)


def _sheet_styles(base: ReportStyles, large: bool) -> _SheetStyles:
    size = base.size
    # Headings stand out by weight; in large print the body is already big, and larger
    # headings would cost the lines that keep the sheet to two pages.
    head = size * (1.0 if large else 1.15)
    # A little air between bullets at normal size, where wrapped lines sit close together.
    gap = size * (0.05 if large else 0.1)
    # The titles are short; the shared title size is meant for report names.
    base = dataclasses.replace(
        base,
        title=ParagraphStyle(
            "sheet_title", parent=base.title, fontSize=size * 1.6, leading=size * 1.95
        ),
    )
    return _SheetStyles(
        base=base,
        large=large,
        section=ParagraphStyle(
            "sheet_section",
            parent=base.heading,
            fontSize=head,
            leading=head * 1.22,
            spaceBefore=size * 0.75,
            spaceAfter=size * 0.2,
        ),
        bullet=ParagraphStyle("sheet_bullet", parent=base.bullet, spaceBefore=gap),
        stage_label=ParagraphStyle(
            "stage_label",
            parent=base.body_bold,
            fontSize=size * 0.9,
            leading=size * 1.1,
            alignment=TA_CENTER,
        ),
        stage_text=ParagraphStyle(
            "stage_text", parent=base.small, alignment=TA_CENTER, leading=base.small.fontSize * 1.2
        ),
        timeline_caption=ParagraphStyle(
            "timeline_caption", parent=base.body_bold, fontSize=head, leading=head * 1.22
        ),
        box_title=ParagraphStyle(
            "box_title", parent=base.callout_title, fontSize=head, leading=head * 1.22
        ),
        emergency_title=ParagraphStyle(
            "emergency_title",
            parent=base.callout_title,
            fontSize=head,
            leading=head * 1.22,
            textColor=ALERT,
        ),
        dial=ParagraphStyle("dial", parent=base.body_bold, fontSize=size * 1.5, leading=size * 1.8),
        phone=ParagraphStyle("phone", parent=base.body, leading=size * 1.4),
    )


# ---------------------------------------------------------------------------------------------
# The story


def _story(sheet: AftercareSheet, styles: _SheetStyles, width: float) -> list[Flowable]:
    template = sheet.template
    size = styles.size
    when = [template.section(i) for i in ("normal", "first_72_hours", "first_2_weeks")]
    story: list[Flowable] = [
        para(" ".join(t for t in (sheet.method_line, template.intro) if t), styles.base.body),
        Spacer(0, size * 0.7),
        _personal_band(sheet, styles, width),
        # Headings at the top of a table cell lose their space above: the rows get a spacer.
        Spacer(0, size * 0.7),
    ]
    if styles.large:
        # Two across, then the third under them: three columns of 14 pt text would wrap
        # every line, and stacking all three would not fit two pages.
        story.append(_columns([_listing(s, styles) for s in when[:2]], styles, width))
        story += [CondPageBreak(size * 3.6), *_listing(when[2], styles)]
    else:
        # Side by side, in time order: at normal size the page has no room to stack them.
        story.append(_columns([_listing(s, styles) for s in when], styles, width))
    story += [
        Spacer(0, size * 0.7),
        _use_avoid(template, styles, width),
        # The timeline's captions ("Recovery", "Results build slowly") are its heading.
        Spacer(0, size * 1.1),
        _Timeline(template.timeline, styles),
        Spacer(0, size * 1.1),
        _help_boxes(sheet, styles, width),
    ]
    return story


def _listing(section: AftercareSection, styles: _SheetStyles) -> list[Flowable]:
    return [para(section.heading, styles.section), *bullets(section.bullets, styles.bullet)]


def _columns(
    cells: Sequence[list[Flowable]],
    styles: _SheetStyles,
    width: float,
    shares: Sequence[float] | None = None,
) -> Table:
    """Lay flowable lists side by side, separated by a gutter.

    Args:
        cells: One list of flowables per column.
        styles: The sheet's styles (the gutter scales with the type).
        width: The whole width.
        shares: Each column's share of the text width; equal when None.
    """
    gap = styles.size * 1.4
    count = len(cells)
    text = width - gap * (count - 1)
    shares = shares or [1 / count] * count
    # Outer columns have a half gutter on one side only, so text widths follow the shares.
    widths = [text * share + gap for share in shares]
    widths[0] -= gap / 2
    widths[-1] -= gap / 2
    table = Table([list(cells)], colWidths=widths)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONTNAME", (0, 0), (-1, -1), SANS),
                ("LEFTPADDING", (0, 0), (-1, -1), gap / 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), gap / 2),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
                ("RIGHTPADDING", (-1, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


# A band row: label and value pairs; a value of None is a line to write on (the blank sheet).
_Pair = tuple[str, Flowable | None]


# Which details share a row, by label; a detail with no value (no course) is left out. Two
# across at normal size; in large print only the short ones, as a long name would wrap.
_BAND_ROWS: dict[tuple[bool, bool], tuple[tuple[str, ...], ...]] = {
    # (large print, blank sheet)
    (False, False): (
        ("Patient", "Date"),
        ("Treatment", "Area"),
        ("Practitioner", "Course"),
        ("Next session",),
        ("Products",),
    ),
    (False, True): (
        ("Name", "Date"),
        ("Treatment", "Area"),
        ("Practitioner",),
        ("Next session",),
        ("Products",),
    ),
    (True, False): (
        ("Patient",),
        ("Treatment", "Area"),
        ("Date", "Course"),
        ("Practitioner",),
        ("Next session",),
        ("Products",),
    ),
    (True, True): (
        ("Name",),
        ("Treatment", "Area"),
        ("Date",),
        ("Practitioner",),
        ("Next session",),
        ("Products",),
    ),
}


def _personal_band(sheet: AftercareSheet, styles: _SheetStyles, width: float) -> Table:
    """The patient's details as label and value pairs; lines to write on for the blank sheet."""
    base = styles.base

    def value(text: str) -> Flowable:
        return para(text.strip() or "—", base.body_bold)

    blank = sheet.patient_name is None
    # A cell holds one flowable, a list of them (the products), or None for a line to write on.
    values: dict[str, Flowable | list[Flowable] | None]
    if blank:
        # The blank sheet keeps the treatment (it is that treatment's sheet), and has a
        # line to write on for everything else.
        values = dict.fromkeys(("Name", "Date", "Area", "Practitioner", "Next session", "Products"))
        values["Treatment"] = value(sheet.treatment_label)
    else:
        values = {
            "Patient": value(sheet.patient_name or ""),
            "Date": value(format_long(sheet.session_date) if sheet.session_date else ""),
            "Treatment": value(sheet.treatment_label),
            "Area": value(sheet.areas),
            "Practitioner": value(sheet.practitioner),
            "Products": _products(sheet.products, styles),
        }
        if sheet.course_label.strip():
            values["Course"] = value(_capitalised(sheet.course_label.strip()))
        if sheet.next_window.strip():
            values["Next session"] = value(_capitalised(sheet.next_window.strip()))
    rows = [
        [(label, values[label]) for label in plan if label in values]
        for plan in _BAND_ROWS[(styles.large, blank)]
    ]
    rows = [row for row in rows if row]

    label_width = styles.size * 7.2
    right_label = styles.size * 4.6
    # The left value gets the room a long name needs; the right one a date or an area.
    left_value = (width - label_width - right_label) * (0.56 if styles.large else 0.64)
    widths = [label_width, left_value, right_label, width - label_width - left_value - right_label]
    pad = styles.size * 0.6
    gap = styles.size * 0.12
    # Labels are smaller than values: push them down so both share a baseline.
    drop = base.body_bold.fontSize - base.label.fontSize
    commands: list[TableCommand] = [
        ("BACKGROUND", (0, 0), (-1, -1), SHADE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), SANS),
        ("LEFTPADDING", (0, 0), (-1, -1), pad * 0.5),
        ("RIGHTPADDING", (0, 0), (-1, -1), pad),
        ("LEFTPADDING", (0, 0), (0, -1), pad),
        ("TOPPADDING", (0, 0), (-1, -1), gap),
        ("BOTTOMPADDING", (0, 0), (-1, -1), gap),
        ("TOPPADDING", (0, 0), (-1, 0), pad),
        ("BOTTOMPADDING", (0, -1), (-1, -1), pad),
    ]
    table_rows: list[list[object]] = []
    for index, row in enumerate(rows):
        cells: list[object] = []
        for label, content in row:
            # Room for handwriting: about 7 mm from one line to the next.
            cells += [Paragraph(label, base.label), content or Spacer(0, styles.size * 1.9)]
        if len(row) == 1:
            # A value alone on its row spans the rest of it.
            cells += ["", ""]
            commands.append(("SPAN", (1, index), (-1, index)))
        for position, (_, content) in enumerate(row):
            if content is None:
                # A line to write on under each empty value, across the span if alone.
                last = -1 if len(row) == 1 else 2 * position + 1
                commands.append(("LINEBELOW", (2 * position + 1, index), (last, index), 0.6, MUTED))
        table_rows.append(cells)
        small_value = styles.large and row[0][0] == "Products" and row[0][1] is not None
        top = (pad if index == 0 else gap) + (0 if small_value else drop)
        commands += [
            ("TOPPADDING", (0, index), (0, index), top),
            ("TOPPADDING", (2, index), (2, index), top),
        ]
    heights: list[float | None] = [None] * len(table_rows)
    if blank:
        # A form: labels and values sit on the lines, and the shading runs on a little
        # below the last line rather than the last line closing the band.
        commands += [
            ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ("BOTTOMPADDING", (0, -1), (-1, -1), gap),
        ]
        table_rows.append(["", "", "", ""])
        heights.append(pad)
    band = Table(table_rows, colWidths=widths, rowHeights=heights)
    band.setStyle(TableStyle(commands))
    return band


def _products(products: Sequence[SheetProduct], styles: _SheetStyles) -> list[Flowable]:
    """The products with their lot numbers: run on at normal size, one a line in large print."""
    if not products:
        return [Paragraph("—", styles.base.body_bold)]
    parts = []
    for product in products:
        text = f"<b>{para_text(product.name.strip())}</b>"
        if product.lot_number.strip():
            text += f"&nbsp;&nbsp;lot&nbsp;{para_text(product.lot_number.strip())}"
        parts.append(text)
    if styles.large:
        # At the small size: lot numbers are for the clinic's records, and at 14 pt three
        # products would take a quarter of the first page.
        return [Paragraph(text, styles.base.small) for text in parts]
    return [Paragraph("&nbsp;&nbsp;&nbsp;·&nbsp;&nbsp; ".join(parts), styles.base.body)]


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _use_avoid(template: AftercareTemplate, styles: _SheetStyles, width: float) -> Table:
    columns: list[list[Flowable]] = []
    # A tick and a cross as well as the words, so the two lists differ at a glance.
    for symbol, section_id in (("✓", "use"), ("✕", "avoid")):
        section = template.section(section_id)
        title = Paragraph(
            f"{para_text(symbol)}&nbsp;&nbsp;{para_text(section.heading)}", styles.section
        )
        columns.append([title, *bullets(section.bullets, styles.bullet)])
    # "Avoid" lines are longer (what, and for how long), so that column is wider.
    shares = (0.45, 0.55) if styles.large else (0.42, 0.58)
    return _columns(columns, styles, width, shares)


def _phones(clinic: ClinicSettings, styles: _SheetStyles) -> Paragraph:
    # A line to write on when a number is not set up, so the box never lacks a number.
    blank = "_" * 18
    parts = [
        # Non-breaking inside each label and number: the line may wrap only between them.
        f"{label}&nbsp;&nbsp;<b>{para_text((number.strip() or blank).replace(' ', _NBSP))}</b>"
        for label, number in (
            ("Clinic", clinic.phone),
            ("Out&nbsp;of&nbsp;hours", clinic.out_of_hours),
        )
    ]
    return Paragraph("&nbsp;&nbsp;&nbsp; ".join(parts), styles.phone)


@dataclass(frozen=True)
class _BoxLook:
    border: float
    colour: colors.Color
    bar: float


# The emergency box has the heaviest border on the page; "Call us if" a thin one and a bar.
_CALL_US_LOOK = _BoxLook(border=0.8, colour=INK, bar=3.0)
_EMERGENCY_LOOK = _BoxLook(border=2.6, colour=ALERT, bar=0.0)


def _box_look(look: _BoxLook, col: int) -> list[TableCommand]:
    commands: list[TableCommand] = [("BOX", (col, 0), (col, 0), look.border, look.colour)]
    if look.bar:
        commands.append(("LINEBEFORE", (col, 0), (col, 0), look.bar, look.colour))
    return commands


def _help_boxes(sheet: AftercareSheet, styles: _SheetStyles, width: float) -> Table:
    """The "Call us if" box with the clinic's numbers, and the emergency box beside it."""
    call_us = sheet.template.section("call_us")
    emergency = sheet.template.section("emergency")
    call_cell: list[Flowable] = [
        para(call_us.heading, styles.box_title),
        *bullets(call_us.bullets, styles.bullet),
        Spacer(0, styles.size * 0.5),
        _phones(sheet.clinic, styles),
    ]
    emergency_cell: list[Flowable] = [
        # The last two words stay together: no "if" alone on the heading's second line.
        para(_keep_last_words(emergency.heading), styles.emergency_title),
        *bullets(emergency.bullets, styles.bullet),
    ]
    number = EMERGENCY_NUMBERS.get(sheet.clinic.country)
    if number:
        emergency_cell += [Spacer(0, styles.size * 0.4), para(f"Dial {number}", styles.dial)]
    pad = styles.size * 0.7
    gap = styles.size * 1.2
    # Side by side, the boxes are as tall as each other; "Call us if" has the longer list.
    # LINE_CHARS (domain/aftercare.py) assumes this split: 50 characters to 34.
    call_width = (width - gap) * 0.58
    table = Table(
        [[call_cell, "", emergency_cell]], colWidths=[call_width, gap, width - gap - call_width]
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONTNAME", (0, 0), (-1, -1), SANS),
                ("LEFTPADDING", (0, 0), (-1, -1), pad),
                ("RIGHTPADDING", (0, 0), (-1, -1), pad),
                ("TOPPADDING", (0, 0), (-1, -1), pad * 0.7),
                ("BOTTOMPADDING", (0, 0), (-1, -1), pad),
                ("LEFTPADDING", (1, 0), (1, 0), 0),
                ("RIGHTPADDING", (1, 0), (1, 0), 0),
                *_box_look(_CALL_US_LOOK, 0),
                *_box_look(_EMERGENCY_LOOK, 2),
            ]
        )
    )
    return table


# ---------------------------------------------------------------------------------------------
# The timeline graphic


class _Timeline(Flowable):
    """A horizontal line with one marker per stage, the stage's label above, its text below.

    Recovery stages have filled round markers on a solid line; result stages have open
    markers on a dashed line over a light tint, so the two parts differ in black-and-white
    print by shape and pattern, not by shade alone. The markers are evenly spaced, not to
    scale: the stages run from hours to months.

    Args:
        stages: The template's seven stages, left to right.
        styles: The sheet's styles.
    """

    def __init__(self, stages: Sequence[TimelineStage], styles: _SheetStyles) -> None:
        super().__init__()
        self.stages = tuple(stages)
        self.size = styles.size
        self._styles = styles
        self._fitted_to = -1.0
        self._fit(styles.stage_label, styles.stage_text)
        self._recovery = sum(stage.key in RECOVERY_STAGES for stage in self.stages)
        self._captions = [
            Paragraph(RECOVERY_CAPTION, styles.timeline_caption),
            Paragraph(RESULTS_CAPTION, styles.timeline_caption),
        ]

    def _fit(self, label: ParagraphStyle, text: ParagraphStyle) -> None:
        self._labels = [para(stage.label, label) for stage in self.stages]
        self._texts = [para(stage.text, text) for stage in self.stages]

    def _fit_words(self, inner: float) -> None:
        """Make every word of the labels and texts fit its column whole.

        A column is a seventh of the page: in large print one long word ("Tenderness")
        is wider than that, and a paragraph breaks such a word mid-way. The labels and
        texts then print smaller, together, just enough for the longest word to fit.
        """
        if inner == self._fitted_to:
            return
        self._fitted_to = inner
        label, text = self._styles.stage_label, self._styles.stage_text

        def widest(style: ParagraphStyle, bold: bool, words: list[str]) -> float:
            return max((string_width(w, style.fontSize, bold=bold) for w in words), default=0)

        label_words = [w for stage in self.stages for w in stage.label.split()]
        text_words = [w for stage in self.stages for w in stage.text.split()]
        scale = min(
            1.0,
            inner / max(widest(label, True, label_words), 1e-6),
            inner / max(widest(text, False, text_words), 1e-6),
        )
        if scale < 1.0:
            # A little under the exact fit, for rounding in the line breaker.
            scale *= 0.98

            def smaller(style: ParagraphStyle) -> ParagraphStyle:
                return ParagraphStyle(
                    f"{style.name}_fitted",
                    parent=style,
                    fontSize=style.fontSize * scale,
                    leading=style.leading * scale,
                )

            label, text = smaller(label), smaller(text)
        self._fit(label, text)

    # Vertical layout, top down: captions, labels, the line with its markers, texts.
    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        size = self.size
        self.width = available_width
        self.column = available_width / max(len(self.stages), 1)
        self._recovery_width = self._recovery * self.column
        inner = self.column - size * 0.2
        self._fit_words(inner)
        self._label_h = max((p.wrap(inner, 1e6)[1] for p in self._labels), default=0)
        self._text_h = max((p.wrap(inner, 1e6)[1] for p in self._texts), default=0)
        self._caption_h = max(
            self._captions[0].wrap(max(self._recovery_width - size, 1), 1e6)[1],
            self._captions[1].wrap(max(available_width - self._recovery_width - size, 1), 1e6)[1],
        )
        self.radius = size * 0.42
        self.height = (
            size * 0.4
            + self._caption_h
            + size * 0.35
            + self._label_h
            + size * 0.45
            + 2 * self.radius
            + size * 0.45
            + self._text_h
            + size * 0.3
        )
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        size = self.size
        split = self._recovery_width
        inner = self.column - size * 0.2
        canvas.saveState()

        # The results part sits on a light tint: a shade as well as a line pattern.
        canvas.setFillColor(SHADE)
        canvas.rect(split, 0, self.width - split, self.height, stroke=0, fill=1)

        # Each part named above its stages.
        y = self.height - size * 0.4 - self._caption_h
        self._captions[0].wrap(split - size, 1e6)
        self._captions[0].drawOn(canvas, size * 0.5, y)
        self._captions[1].wrap(self.width - split - size, 1e6)
        self._captions[1].drawOn(canvas, split + size * 0.5, y)

        # Stage labels, bottom-aligned so a label that wraps grows upwards.
        y -= size * 0.35 + self._label_h
        for index, label in enumerate(self._labels):
            _, height = label.wrap(inner, 1e6)
            label.drawOn(canvas, index * self.column + size * 0.1, y)

        # The line: solid through recovery, dashed through results, an arrow at the end.
        line_y = y - size * 0.45 - self.radius
        first = self.column / 2
        last = self.width - self.column / 2
        canvas.setStrokeColor(INK)
        canvas.setLineWidth(2.2)
        canvas.line(first, line_y, split, line_y)
        canvas.setDash(4, 2.5)
        canvas.line(split, line_y, last + self.column * 0.3, line_y)
        canvas.setDash()
        tip = last + self.column * 0.42
        canvas.setFillColor(INK)
        arrow = canvas.beginPath()
        arrow.moveTo(tip, line_y)
        arrow.lineTo(tip - size * 0.6, line_y + size * 0.35)
        arrow.lineTo(tip - size * 0.6, line_y - size * 0.35)
        arrow.close()
        canvas.drawPath(arrow, stroke=0, fill=1)

        # Markers: filled for recovery, open (white inside) for results.
        canvas.setLineWidth(1.4)
        for index, stage in enumerate(self.stages):
            canvas.setFillColor(INK if stage.key in RECOVERY_STAGES else colors.white)
            canvas.circle((index + 0.5) * self.column, line_y, self.radius, stroke=1, fill=1)

        # Stage texts under the markers, top-aligned.
        y = line_y - self.radius - size * 0.45
        for index, text in enumerate(self._texts):
            _, height = text.wrap(inner, 1e6)
            text.drawOn(canvas, index * self.column + size * 0.1, y - height)
        canvas.restoreState()
