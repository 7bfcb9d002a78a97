"""The common page: paper size, letterhead, footer with page numbers, shared styles, PDF bytes."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    HRFlowable,
    Image,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from exodesk import APP_NAME
from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.dates import format_long
from exodesk.reports.fonts import SANS, SANS_BOLD, draw_string, register_fonts, string_width
from exodesk.reports.markup import para_text

PAGE_SIZES: dict[str, tuple[float, float]] = {"A4": A4, "Letter": LETTER}

# One TableStyle command: an opcode, the cell range, then the opcode's arguments. The
# reportlab stubs spell commands as a union of exact tuple shapes, which a list mixing
# opcodes cannot be inferred as; this is what our command lists are typed as instead.
type TableCommand = tuple[Any, ...]

# Colours: dark enough to read on a cheap mono laser printer, where they turn to greys.
INK = colors.HexColor("#1A1A1A")
MUTED = colors.HexColor("#555555")
RULE = colors.HexColor("#B8B8B8")
SHADE = colors.HexColor("#F1F1F1")
ALERT = colors.HexColor("#B00020")
ALERT_SHADE = colors.HexColor("#FCEBEC")
CALLOUT_SHADE = colors.HexColor("#EEF3F8")
CALLOUT_EDGE = colors.HexColor("#2F5D8A")

SIDE_MARGIN = 18 * mm
TOP_MARGIN = 14 * mm
# Later pages carry a one-line running header above the frame.
TOP_MARGIN_LATER = 22 * mm
BOTTOM_MARGIN = 22 * mm

LOGO_MAX_WIDTH = 45 * mm
LOGO_MAX_HEIGHT = 20 * mm


@dataclass(frozen=True)
class ReportStyles:
    """The paragraph styles every report shares, at normal or large-print size.

    Attributes:
        size: The body font size in points; table paddings and gaps scale with it.
    """

    size: float
    title: ParagraphStyle
    subtitle: ParagraphStyle
    heading: ParagraphStyle
    subheading: ParagraphStyle
    body: ParagraphStyle
    body_bold: ParagraphStyle
    small: ParagraphStyle
    label: ParagraphStyle
    bullet: ParagraphStyle
    callout_title: ParagraphStyle
    alert: ParagraphStyle
    alert_title: ParagraphStyle
    letterhead_name: ParagraphStyle
    letterhead_detail: ParagraphStyle


def make_styles(large_print: bool = False) -> ReportStyles:
    """Return the shared styles; ``large_print`` sets 14 pt body text instead of 9.5 pt.

    Args:
        large_print: Bigger type throughout, for patients who need it.
    """
    register_fonts()
    size = 14.0 if large_print else 9.5

    def style(name: str, **kw: Any) -> ParagraphStyle:
        base: dict[str, Any] = {
            "fontName": SANS,
            "fontSize": size,
            "leading": size * 1.32,
            "textColor": INK,
            "bulletFontName": SANS,
            "bulletFontSize": size,
            # Long unbroken strings (a pasted URL, a CJK sentence) wrap instead of overflowing.
            "splitLongWords": 1,
            "allowWidows": 0,
        }
        base.update(kw)
        return ParagraphStyle(name, **base)

    small = size * 0.84
    return ReportStyles(
        size=size,
        title=style(
            "title", fontName=SANS_BOLD, fontSize=size * 1.9, leading=size * 2.3, spaceAfter=1
        ),
        subtitle=style(
            "subtitle", fontSize=small, leading=small * 1.3, textColor=MUTED, spaceAfter=size
        ),
        heading=style(
            "heading",
            fontName=SANS_BOLD,
            fontSize=size * 1.3,
            leading=size * 1.6,
            spaceBefore=size * 1.3,
            spaceAfter=size * 0.5,
        ),
        subheading=style(
            "subheading", fontName=SANS_BOLD, spaceBefore=size * 0.6, spaceAfter=2, keepWithNext=1
        ),
        body=style("body"),
        body_bold=style("body_bold", fontName=SANS_BOLD),
        small=style("small", fontSize=small, leading=small * 1.3),
        label=style("label", fontSize=small, leading=small * 1.3, textColor=MUTED),
        bullet=style("bullet", leftIndent=size * 1.35, bulletIndent=size * 0.15),
        callout_title=style("callout_title", fontName=SANS_BOLD, spaceAfter=size * 0.3),
        alert=style("alert", textColor=ALERT),
        alert_title=style(
            "alert_title", fontName=SANS_BOLD, textColor=ALERT, spaceAfter=size * 0.3
        ),
        letterhead_name=style(
            "letterhead_name", fontName=SANS_BOLD, fontSize=size * 1.45, leading=size * 1.8
        ),
        letterhead_detail=style(
            "letterhead_detail", fontSize=small, leading=small * 1.35, textColor=MUTED
        ),
    )


@dataclass(frozen=True)
class DocumentSetup:
    """What every report page needs besides its content.

    Attributes:
        clinic: The clinic's details and paper size.
        title: The document's title, printed under the letterhead and in every footer.
        printed_on: The date to print as the generation date (reports never read a clock).
        subject: Who the document is about (a patient's name), repeated in every footer so
            a loose page can be matched to its patient.
        subtitle: One line under the title (versions, references).
        large_print: Bigger type for patients who need it.
    """

    clinic: ClinicSettings
    title: str
    printed_on: date
    subject: str = ""
    subtitle: str = ""
    large_print: bool = False


def page_size(paper_size: str) -> tuple[float, float]:
    """Return the (width, height) in points for "A4" or "Letter"; anything else gives A4."""
    return PAGE_SIZES.get(paper_size, A4)


def content_width(paper_size: str) -> float:
    """Return the width in points between the side margins for this paper size."""
    return page_size(paper_size)[0] - 2 * SIDE_MARGIN


def para(text: str, style: ParagraphStyle, **kwargs: Any) -> Paragraph:
    """Return a Paragraph of plain user or clinic text: escaped, with font fallback runs.

    Use this, not ``Paragraph(text, ...)``, for anything not written as markup in the code:
    a bare Paragraph would parse ``<`` as a tag and print CJK text as empty boxes.
    """
    return Paragraph(para_text(text), style, **kwargs)


def png_image(png: bytes, max_width: float, max_height: float) -> Image | None:
    """Return an image flowable scaled to fit the box, keeping its shape; None if unreadable.

    Args:
        png: The image file's bytes (PNG, as the settings store it).
        max_width: The widest it may print, in points.
        max_height: The tallest it may print, in points.
    """
    try:
        reader = ImageReader(io.BytesIO(png))
        width, height = reader.getSize()
    except (OSError, ValueError):
        # Settings validation accepts only PNG data; a damaged file must not stop the print.
        return None
    if width <= 0 or height <= 0:
        return None
    scale = min(max_width / width, max_height / height)
    image = Image(io.BytesIO(png), width=width * scale, height=height * scale)
    image.hAlign = "RIGHT"
    return image


def letterhead(clinic: ClinicSettings, styles: ReportStyles, width: float) -> list[Flowable]:
    """Return the first-page letterhead: name, address and phones on the left, logo right."""
    text: list[Flowable] = []
    if clinic.name.strip():
        text.append(para(clinic.name.strip(), styles.letterhead_name))
    details = [line.strip() for line in clinic.address.splitlines() if line.strip()]
    phones = []
    if clinic.phone.strip():
        phones.append(f"Phone {clinic.phone.strip()}")
    if clinic.out_of_hours.strip():
        phones.append(f"Out of hours {clinic.out_of_hours.strip()}")
    if phones:
        details.append("  ·  ".join(phones))
    if details:
        text.append(para("\n".join(details), styles.letterhead_detail))
    logo = png_image(clinic.logo_png, LOGO_MAX_WIDTH, LOGO_MAX_HEIGHT) if clinic.logo_png else None
    if not text and logo is None:
        return []
    if logo is None:
        head = Table([[text]], colWidths=[width])
    else:
        head = Table([[text, logo]], colWidths=[width - LOGO_MAX_WIDTH - 6, LOGO_MAX_WIDTH + 6])
    head.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONTNAME", (0, 0), (-1, -1), SANS),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [
        head,
        HRFlowable(
            width="100%", thickness=0.6, color=RULE, spaceBefore=styles.size * 0.6, spaceAfter=0
        ),
        Spacer(0, styles.size * 1.2),
    ]


def heading(text: str, styles: ReportStyles) -> list[Flowable]:
    """Return a section heading that never ends a page alone.

    A page break comes first unless there is room for the heading and a few lines under it.
    (``keepWithNext`` would instead glue the heading to the whole next table and push a
    long table, heading and all, onto a new page.)
    """
    return [
        CondPageBreak(styles.size * 9),
        para(text, styles.heading),
    ]


def bullets(items: Sequence[str], style: ParagraphStyle) -> list[Flowable]:
    """Return one bulleted paragraph per item (items are user text, escaped here)."""
    return [para(item, style, bulletText="•") for item in items]


def callout(title: str, items: Sequence[str], styles: ReportStyles, width: float) -> Table:
    """Return a boxed, shaded list such as "Call us if…", with a bold title.

    Args:
        title: The box's heading.
        items: One line each, bulleted.
        styles: The document's styles.
        width: The box's width in points.
    """
    return _box(
        [para(title, styles.callout_title), *bullets(items, styles.bullet)],
        width,
        styles,
        edge=CALLOUT_EDGE,
        shade=CALLOUT_SHADE,
    )


def alert_box(title: str, items: Sequence[str], styles: ReportStyles, width: float) -> Table:
    """Return a red-edged box of red lines, for overrides and other things that must be seen.

    Args:
        title: The box's heading (start it with a word, not only a symbol).
        items: One line each, bulleted, in red.
        styles: The document's styles.
        width: The box's width in points.
    """
    bullet_style = ParagraphStyle("alert_bullet", parent=styles.bullet, textColor=ALERT)
    return _box(
        [para(title, styles.alert_title), *bullets(items, bullet_style)],
        width,
        styles,
        edge=ALERT,
        shade=ALERT_SHADE,
    )


def _box(
    content: list[Flowable],
    width: float,
    styles: ReportStyles,
    *,
    edge: colors.Color,
    shade: colors.Color,
) -> Table:
    pad = styles.size * 0.8
    box = Table([[content]], colWidths=[width], splitInRow=1)
    box.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), shade),
                ("FONTNAME", (0, 0), (-1, -1), SANS),
                ("BOX", (0, 0), (-1, -1), 0.8, edge),
                # A thick left edge marks the box even when the shading prints too pale.
                ("LINEBEFORE", (0, 0), (0, -1), 3, edge),
                ("LEFTPADDING", (0, 0), (-1, -1), pad),
                ("RIGHTPADDING", (0, 0), (-1, -1), pad),
                ("TOPPADDING", (0, 0), (-1, -1), pad * 0.8),
                ("BOTTOMPADDING", (0, 0), (-1, -1), pad),
            ]
        )
    )
    return box


class _PageChrome:
    """Draws the running header (page 2 on) and the footer, once the page count is known."""

    def __init__(
        self, setup: DocumentSetup, styles: ReportStyles, paper: tuple[float, float]
    ) -> None:
        self.setup = setup
        self.size = styles.size * 0.84
        self.paper = paper  # every page template uses the document's page size

    def draw(self, canvas: Canvas, page: int, pages: int) -> None:
        width, height = self.paper
        left, right = SIDE_MARGIN, width - SIDE_MARGIN
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        if page > 1:
            clinic = self.setup.clinic.name.strip()
            top = height - 13 * mm
            canvas.setFillColor(MUTED)
            if clinic:
                draw_string(canvas, left, top, clinic, self.size, bold=True)
            draw_string(canvas, right, top, self.setup.title, self.size, align="right")
            canvas.line(left, top - self.size * 0.6, right, top - self.size * 0.6)
        base = BOTTOM_MARGIN - 9 * mm
        canvas.line(left, base + self.size * 1.6, right, base + self.size * 1.6)
        canvas.setFillColor(INK)
        page_text = f"Page {page} of {pages}"
        draw_string(canvas, right, base, page_text, self.size, bold=True, align="right")
        what = self.setup.title
        if self.setup.subject.strip():
            what = f"{what} — {self.setup.subject.strip()}"
        room = right - left - string_width(page_text, self.size, bold=True) - 12
        draw_string(canvas, left, base, _fit(what, self.size, room), self.size)
        canvas.setFillColor(MUTED)
        printed = f"Printed {format_long(self.setup.printed_on)} by {APP_NAME}"
        draw_string(canvas, left, base - self.size * 1.35, printed, self.size * 0.9)
        canvas.restoreState()


def _fit(text: str, size: float, room: float) -> str:
    """Shorten one line with an ellipsis until it fits ``room`` points."""
    if string_width(text, size) <= room:
        return text
    while text and string_width(text + "…", size) > room:
        text = text[:-1]
    return text.rstrip() + "…"


class _ChromeCanvas(Canvas):
    """A canvas that holds back each page until the end, so footers can say "Page 1 of N"."""

    def __init__(self, *args: Any, chrome: _PageChrome, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._chrome = chrome
        self._held_pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._held_pages.append(dict(self.__dict__))
        # Canvas's private fresh-page reset; the stubs list no private members.
        self._startPage()  # type: ignore[attr-defined]

    def save(self) -> None:
        pages = len(self._held_pages)
        for state in self._held_pages:
            self.__dict__.update(state)
            self._chrome.draw(self, self.getPageNumber(), pages)
            super().showPage()
        super().save()


class EndMark(Flowable):
    """Takes no room; remembers the page it landed on, so a render knows its length."""

    def __init__(self) -> None:
        super().__init__()
        self.page = 0

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self.page = self.canv.getPageNumber()


def render_document(
    setup: DocumentSetup, story: Sequence[Flowable], styles: ReportStyles | None = None
) -> bytes:
    """Lay out ``story`` under the letterhead and title and return the PDF's bytes.

    The same input always gives the same bytes (reportlab's invariant mode: no creation
    time, a fixed document id), so a reprint can be compared with the original byte for byte.

    Args:
        setup: Clinic, title, date printed and print size.
        story: The report's content, built with ``styles``.
        styles: The styles the story was built with (made from ``setup.large_print`` if None).

    Returns:
        A complete PDF file.
    """
    styles = styles or make_styles(setup.large_print)
    paper = page_size(setup.clinic.paper_size)
    width, height = paper
    frame_width = width - 2 * SIDE_MARGIN

    def frame(top: float) -> Frame:
        return Frame(
            SIDE_MARGIN,
            BOTTOM_MARGIN,
            frame_width,
            height - top - BOTTOM_MARGIN,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )

    buffer = io.BytesIO()
    title = setup.title if not setup.subject else f"{setup.title} — {setup.subject}"
    doc = BaseDocTemplate(
        buffer,
        pagesize=paper,
        title=title,
        author=setup.clinic.name,
        subject=setup.title,
        creator=APP_NAME,
        producer=APP_NAME,
        invariant=1,
        pageCompression=1,
        # Otherwise every page references Helvetica, which has no glyphs beyond Latin-1.
        initialFontName=SANS,
        initialFontSize=styles.size,
    )
    doc.addPageTemplates(
        [
            PageTemplate("first", [frame(TOP_MARGIN)], autoNextPageTemplate="later"),
            PageTemplate("later", [frame(TOP_MARGIN_LATER)]),
        ]
    )
    head: list[Flowable] = letterhead(setup.clinic, styles, frame_width)
    head.append(para(setup.title, styles.title))
    if setup.subtitle:
        head.append(para(setup.subtitle, styles.subtitle))
    else:
        head.append(Spacer(0, styles.size))
    chrome = _PageChrome(setup, styles, paper)
    doc.build(
        [*head, *story],
        canvasmaker=lambda *args, **kwargs: _ChromeCanvas(*args, chrome=chrome, **kwargs),
    )
    return buffer.getvalue()
