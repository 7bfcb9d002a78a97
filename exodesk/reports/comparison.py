"""The treatment comparison handout: glance shapes, the side-by-side facts and their sources."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import CondPageBreak, Flowable, Paragraph, Spacer, Table, TableStyle

from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.comparison import (
    DOWNTIME_DAYS_RANGE,
    INVASIVENESS_RANGE,
    UNKNOWN_TEXT,
    Cell,
    Column,
    ComparisonView,
    Measure,
    PatientMark,
)
from exodesk.domain.screening_vocabulary import verdict_look
from exodesk.reports.document import (
    INK,
    MUTED,
    RULE,
    SHADE,
    DocumentSetup,
    ReportStyles,
    TableCommand,
    content_width,
    make_styles,
    para,
    render_document,
)
from exodesk.reports.fonts import SANS
from exodesk.reports.markup import escape, para_text

INTRO = (
    # Not only clinic and supplier pages since issue 17: a health service, a professional body
    # and research reviews too. The list at the end names each with its publisher.
    "What published sources say about each treatment, side by side. "
    "A dash (—) means our sources do not say; small numbers point to the sources at the end. "
    "Your practitioner will talk through what suits you."
)
ESTIMATE_MARK = "*"
# Where the sources give no number the glance graphic still needs one; it is drawn in grey and
# its words carry a star the legend explains, so it is never mistaken for a cited figure (the
# star survives a mono print; a word would wrap every narrow column onto a second line).
ESTIMATE_FILL = colors.HexColor("#9A9A9A")
LEGEND = (
    "<b>At a glance.</b> One block per day of downtime; ○ extra sessions some need. "
    "* Grey: an estimate, as our sources give no figure."
)
# In large print (14 pt) a column of a four-way table holds about ten characters a line, so
# large print compares two treatments per table, one table after another.
LARGE_PRINT_COLUMNS = 2
LARGE_PRINT_SIZE = 12
# The column width (points) at which the glance shapes print at full size.
GLANCE_FULL_WIDTH = 128
# The downtime track always covers two weeks, so bars compare across handouts.
DOWNTIME_TRACK_DAYS = 14
EVIDENCE_ROW = "evidence"


@dataclass(frozen=True)
class ComparisonHandout:
    """Everything the comparison handout prints.

    Attributes:
        clinic: Letterhead, paper size.
        printed_on: The date printed in the footer (reports never read the clock).
        view: The comparison to print (``exodesk.domain.comparison.build_view``).
        patient_name: Who it was prepared for; None prints a general handout.
        large_print: Bigger type.
    """

    clinic: ClinicSettings
    printed_on: date
    view: ComparisonView
    patient_name: str | None = None
    large_print: bool = False


def render_comparison(handout: ComparisonHandout) -> bytes:
    """Render the comparison handout to PDF bytes (the same handout gives the same bytes).

    Args:
        handout: The data to print.

    Returns:
        A complete PDF file.
    """
    styles = make_styles(handout.large_print)
    width = content_width(handout.clinic.paper_size)
    name = (handout.patient_name or "").strip()
    setup = DocumentSetup(
        clinic=handout.clinic,
        title=handout.view.title,
        printed_on=handout.printed_on,
        subject=name,
        subtitle=handout.view.subtitle,
        large_print=handout.large_print,
    )
    return render_document(setup, build_story(handout, styles, width), styles)


def build_story(handout: ComparisonHandout, styles: ReportStyles, width: float) -> list[Flowable]:
    """Return the handout's flowables (everything under the letterhead and title)."""
    view = handout.view
    story: list[Flowable] = []
    name = (handout.patient_name or "").strip()
    if name:
        story.append(para(f"Prepared for {name}", styles.body_bold))
        story.append(Spacer(0, styles.size * 0.25))
    story.append(para(INTRO, styles.small))
    per_table = LARGE_PRINT_COLUMNS if styles.size > LARGE_PRINT_SIZE else len(view.columns)
    for start in range(0, len(view.columns), per_table):
        if start:
            # A later table starts on a fresh page unless its names, glance and a few facts fit.
            story.append(CondPageBreak(styles.size * 24))
        story.append(Spacer(0, styles.size * 0.75))
        story.append(_comparison_table(view, styles, width, start, start + per_table))
    if view.footnotes:
        story.append(Spacer(0, styles.size * 0.6))
        story.append(_sources(view, styles))
    return story


# ---- glance shapes ----------------------------------------------------------------------------


class _Dots(Flowable):
    """A row of dots: ``filled`` solid, then open ones up to ``total`` (vector shapes)."""

    def __init__(
        self, filled: int, total: int, size: float, *, fill: colors.Color, slots: int
    ) -> None:
        super().__init__()
        self.filled, self.total, self.fill = filled, total, fill
        self.diameter = size * 0.66
        self.gap = size * 0.28
        # Every column reserves the same number of slots, so the words beside line up.
        self.width = slots * self.diameter + (slots - 1) * self.gap
        self.height = size * 1.1

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        radius = self.diameter / 2
        y = self.height / 2
        canvas.saveState()
        canvas.setLineWidth(0.8)
        for index in range(self.total):
            x = radius + index * (self.diameter + self.gap)
            solid = index < self.filled
            # Open dots keep a dark outline even for an estimate: they must show on a mono print.
            canvas.setStrokeColor(self.fill if solid else INK)
            canvas.setFillColor(self.fill)
            canvas.circle(x, y, radius - 0.4, stroke=1, fill=1 if solid else 0)
        canvas.restoreState()


class _DayBar(Flowable):
    """A two-week track of day blocks with the first ``days`` filled (vector shapes)."""

    def __init__(self, days: int, size: float, *, fill: colors.Color) -> None:
        super().__init__()
        self.days, self.fill = days, fill
        self.block = size * 0.44
        # Room after the track for the arrow of a downtime longer than two weeks.
        self.track = self.block * DOWNTIME_TRACK_DAYS
        self.width = self.track + self.block
        self.height = size * 1.1

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        bar_height = self.height * 0.6
        bottom = (self.height - bar_height) / 2
        canvas.saveState()
        canvas.setLineWidth(0.5)
        canvas.setStrokeColor(MUTED)
        canvas.rect(0, bottom, self.track, bar_height, stroke=1, fill=0)
        canvas.setFillColor(self.fill)
        canvas.setStrokeColor(colors.white)
        canvas.setLineWidth(0.6)
        for day in range(min(self.days, DOWNTIME_TRACK_DAYS)):
            # A white gap between blocks keeps the days countable on a mono print.
            canvas.rect(day * self.block, bottom, self.block, bar_height, stroke=1, fill=1)
        if self.days > DOWNTIME_TRACK_DAYS:
            canvas.setFillColor(self.fill)
            path = canvas.beginPath()
            path.moveTo(self.track + 1, bottom)
            path.lineTo(self.width, bottom + bar_height / 2)
            path.lineTo(self.track + 1, bottom + bar_height)
            path.close()
            canvas.drawPath(path, stroke=0, fill=1)
        # A mark at one week, so "about a week" can be read off the track.
        canvas.setStrokeColor(INK)
        canvas.setLineWidth(0.6)
        week = 7 * self.block
        canvas.line(week, bottom - 1.5, week, bottom + bar_height + 1.5)
        canvas.restoreState()


def _fill(measure: Measure) -> colors.Color:
    return ESTIMATE_FILL if measure.estimate else INK


def _words(measure: Measure) -> str:
    return f"{measure.words}{ESTIMATE_MARK}" if measure.estimate else measure.words


def _beside(shape: Flowable, words: str, style: ParagraphStyle, width: float) -> Flowable:
    """A shape with its words to the right, both vertically centred; stacked when narrow."""
    gap = style.fontSize * 0.5
    shape_width = shape.wrap(width, 0)[0] + gap
    if width - shape_width < style.fontSize * 4:
        # Too narrow for words beside the shape: put them under it rather than squeeze them.
        return _Stack([shape, para(words, style)])
    pair = Table([[shape, para(words, style)]], colWidths=[shape_width, width - shape_width])
    pair.hAlign = "LEFT"
    pair.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), SANS),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return pair


class _Stack(Table):
    """Flowables one above the other in a single padding-free cell."""

    def __init__(self, parts: list[Flowable]) -> None:
        super().__init__([[part] for part in parts], hAlign="LEFT")
        self.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), SANS),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 0),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ]
            )
        )


def _glance_rows(
    columns: Sequence[Column], styles: ReportStyles, style: ParagraphStyle, width: float
) -> list[list[object]]:
    """The three glance rows: invasiveness dots, a downtime bar and session dots per column."""
    # Shapes shrink in narrow columns (four treatments) so the words still fit beside them.
    size = styles.size * min(1.0, width / GLANCE_FULL_WIDTH)
    slots = max(max(c.visual.sessions.max or 0, c.visual.sessions.value) for c in columns)
    label = ParagraphStyle("glance_label", parent=styles.label)
    invasive: list[object] = [Paragraph("How invasive", label)]
    downtime: list[object] = [Paragraph("Downtime", label)]
    sessions: list[object] = [Paragraph("Sessions", label)]
    top = INVASIVENESS_RANGE[1]
    for column in columns:
        visual = column.visual
        dots = _Dots(
            visual.invasiveness.value, top, size, fill=_fill(visual.invasiveness), slots=top
        )
        invasive.append(_beside(dots, _words(visual.invasiveness), style, width))
        days = min(visual.downtime_days.value, DOWNTIME_DAYS_RANGE[1])
        bar = _DayBar(days, size, fill=_fill(visual.downtime_days))
        downtime.append(_beside(bar, _words(visual.downtime_days), style, width))
        count = visual.sessions
        total = max(count.max or 0, count.value)
        course = _Dots(count.value, total, size, fill=_fill(count), slots=slots)
        sessions.append(_beside(course, _words(count), style, width))
    return [invasive, downtime, sessions]


# ---- comparison table -------------------------------------------------------------------------


def _table_styles(styles: ReportStyles, columns: int) -> tuple[ParagraphStyle, ParagraphStyle]:
    """The cell and row-label styles; a touch smaller with three or four columns.

    At full body size three columns need a second page; 8 pt still reads comfortably on
    paper and keeps the handout to one page (two for four treatments).
    """
    size = styles.size if columns <= 2 or styles.size > LARGE_PRINT_SIZE else styles.size * 0.86
    cell = ParagraphStyle("comparison_cell", parent=styles.body, fontSize=size, leading=size * 1.22)
    label = ParagraphStyle("comparison_label", parent=cell, fontName=styles.body_bold.fontName)
    return cell, label


def _footnote_markup(numbers: Sequence[int]) -> str:
    if not numbers:
        return ""
    # Raised a third of the text size, at seven tenths of it: reportlab's default (half,
    # at four fifths) reached into the descenders of the line above.
    return f'<super rise="33%" size="70%">{",".join(str(n) for n in numbers)}</super>'


def _cell_flowables(
    cell: Cell, style: ParagraphStyle, note_style: ParagraphStyle
) -> list[Flowable]:
    if not cell.text:
        return []
    if cell.unknown and cell.note:
        # The reference note (the UK price guide) follows the dash on its line, in grey.
        colour = note_style.textColor.hexval()
        markup = (
            f'{escape(UNKNOWN_TEXT)}&nbsp; <font color="{colour}">{para_text(cell.note)}'
            f"{_footnote_markup(cell.footnotes)}</font>"
        )
        out: list[Flowable] = [Paragraph(markup, style)]
    elif cell.unknown:
        # A dash with no footnote: it is the absence of a fact, not a fact.
        out = [Paragraph(escape(UNKNOWN_TEXT), style)]
    else:
        out = [Paragraph(para_text(cell.text) + _footnote_markup(cell.footnotes), style)]
        if cell.note:
            out.append(Paragraph(para_text(cell.note), note_style))
    if cell.marker:
        out.append(Paragraph(escape(f"({cell.marker})"), note_style))
    return out


def _mark_box(mark: PatientMark, styles: ReportStyles, width: float) -> Table:
    """A boxed mark: a symbol and the words in bold, so it reads without colour."""
    look = verdict_look(mark.verdict)
    size = styles.small.fontSize
    head = ParagraphStyle(
        "mark_head", parent=styles.small, fontName=styles.body_bold.fontName, textColor=INK
    )
    content: list[Flowable] = [
        Paragraph(f"{para_text(look.symbol)}&nbsp;{para_text(mark.heading)}", head)
    ]
    if mark.detail:
        content.append(para(mark.detail, styles.small))
    box = Table([[content]], colWidths=[width])
    box.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), SANS),
                ("BOX", (0, 0), (-1, -1), 1, INK),
                # The verdict's colour as a thick edge helps the eye; the words carry it.
                ("LINEBEFORE", (0, 0), (0, -1), 3.5, colors.HexColor(look.colour)),
                ("LEFTPADDING", (0, 0), (-1, -1), size * 0.7),
                ("RIGHTPADDING", (0, 0), (-1, -1), size * 0.5),
                ("TOPPADDING", (0, 0), (-1, -1), size * 0.3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), size * 0.45),
            ]
        )
    )
    return box


def _comparison_table(
    view: ComparisonView, styles: ReportStyles, width: float, start: int, stop: int
) -> Table:
    """The grid for columns ``start`` to ``stop`` of the view: names, marks, glance, facts."""
    columns = view.columns[start:stop]
    count = len(columns)
    cell_style, label_style = _table_styles(styles, count)
    note_style = ParagraphStyle(
        "comparison_note",
        parent=cell_style,
        fontSize=cell_style.fontSize * 0.9,
        leading=cell_style.fontSize * 1.1,
        textColor=MUTED,
        spaceBefore=1,
    )
    # Two columns leave room for the row labels on one or two lines; more must share it.
    if styles.size > LARGE_PRINT_SIZE:
        label_width = width * 0.25
    else:
        label_width = width * (0.2 if count <= 2 else 0.145)
    column_width = (width - label_width) / count
    pad = styles.size * 0.4
    inner = column_width - 2 * pad
    rows: list[list[object]] = [["", *(para(c.label, label_style) for c in columns)]]
    commands: list[TableCommand] = [
        ("FONTNAME", (0, 0), (-1, -1), SANS),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ("LEFTPADDING", (0, 0), (-1, -1), pad),
        ("RIGHTPADDING", (0, 0), (-1, -1), pad),
        # Tight enough that three treatments with the regulatory row's worldwide line and the
        # sources beyond the seeds (publisher and year each) fit one Letter page
        # (tests/reports/test_comparison.py::test_page_count_by_number_of_treatments).
        ("TOPPADDING", (0, 0), (-1, -1), pad * 0.45),
        ("BOTTOMPADDING", (0, 0), (-1, -1), pad * 0.6),
        ("LEFTPADDING", (0, 0), (0, -1), 0),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        # Light rules between treatments keep each column's facts together when they wrap.
        ("LINEBEFORE", (2, 0), (-1, -1), 0.4, RULE),
    ]
    if any(column.mark is not None for column in columns):
        # Right under the names, so the mark is read before any fact about the treatment.
        marks: list[object] = [para("For you", label_style)]
        marks += [_mark_box(c.mark, styles, inner) if c.mark else "" for c in columns]
        rows.append(marks)
        commands.append(("LINEBELOW", (0, 1), (-1, 1), 0.4, RULE))
    # The glance band: shapes first, so the columns can be compared before reading a word.
    band_top = len(rows)
    rows += _glance_rows(columns, styles, cell_style, inner)
    legend = ParagraphStyle("legend", parent=styles.label, fontSize=styles.label.fontSize * 0.95)
    rows.append([Paragraph(LEGEND, legend), *[""] * count])
    legend_row = len(rows) - 1
    commands += [
        ("VALIGN", (0, band_top), (-1, legend_row - 1), "MIDDLE"),
        ("TOPPADDING", (0, band_top), (-1, legend_row - 1), pad * 0.25),
        ("BOTTOMPADDING", (0, band_top), (-1, legend_row - 1), pad * 0.25),
        ("SPAN", (0, legend_row), (-1, legend_row)),
        ("TOPPADDING", (0, legend_row), (-1, legend_row), pad * 0.3),
        ("BOTTOMPADDING", (0, legend_row), (-1, legend_row), pad * 0.9),
        ("LINEBELOW", (0, legend_row), (-1, legend_row), 0.8, INK),
    ]
    first = len(rows)
    for index, row in enumerate(view.rows, start=first):
        cells = [_cell_flowables(cell, cell_style, note_style) for cell in row.cells[start:stop]]
        rows.append([para(row.label, label_style), *cells])
        commands.append(("LINEBELOW", (0, index), (-1, index), 0.4, RULE))
        if row.id == EVIDENCE_ROW:
            # The evidence row is the caution every reader must see: its facts are shaded.
            commands.append(("BACKGROUND", (1, index), (-1, index), SHADE))
    table = Table(
        rows,
        colWidths=[label_width, *[column_width] * count],
        repeatRows=1,
        # Rows move to the next page whole: a fact cut after its first line reads as complete.
        # Clinic text is bounded (domain.comparison.MAX_CLINIC_TEXT), so every row fits a page.
        splitInRow=0,
        hAlign="LEFT",
    )
    table.setStyle(TableStyle(commands))
    return table


# ---- sources ----------------------------------------------------------------------------------


def _sources(view: ComparisonView, styles: ReportStyles) -> Paragraph:
    """The numbered sources as one run-in paragraph: a list would cost a line each."""
    entries = [
        # The citation names an authoritative source's publisher and year (domain.comparison).
        f"<b>{footnote.number}</b>&nbsp;{para_text(footnote.citation)}"
        for footnote in view.footnotes
    ]
    markup = "<b>Sources</b>&nbsp;&nbsp; " + "&nbsp;&nbsp;&nbsp; ".join(entries)
    return Paragraph(markup, ParagraphStyle("sources", parent=styles.label, textColor=INK))
