"""The patient's photo progress sheet: before/after pairs and ratings on one page of PDF."""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfdoc import PDFImageXObject
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from exodesk.domain.dates import format_short
from exodesk.domain.photo_sheet import ProgressPair, ProgressSheet, check_pair_count, scale_notes
from exodesk.reports.document import (
    CALLOUT_EDGE,
    CALLOUT_SHADE,
    MUTED,
    RULE,
    SHADE,
    DocumentSetup,
    EndMark,
    ReportStyles,
    TableCommand,
    content_width,
    make_styles,
    para,
    render_document,
)
from exodesk.reports.fonts import SANS, SANS_BOLD
from exodesk.reports.markup import para_text

TITLE = "Your progress photos"

INTRO = (
    "These photos were taken at the clinic on the days shown, of the same views and under "
    "similar light, so that changes are easier to see. Everyone responds differently and "
    "results vary: the photos show how things looked on those days, not what will happen next."
)
ABOUT_TITLE = "About these photos"
# "{clinic}" is the clinic's name, or "the clinic" when none is set up.
ABOUT_LINES = (
    "These photos are part of your clinical record at {clinic}. They are used only as your "
    "photo consent allows, and you can change that consent at any time.",
    "Light, angle, make-up and hair styling change how a photo looks, so a small difference "
    "between two photos may not be a real change.",
)
CALL_WITH_PHONE = "If you have questions about your results, call us on {phone}."
CALL_WITHOUT_PHONE = "If you have questions about your results, ask us at your next visit."
RATINGS_HEADING = "Ratings over your course"
BEFORE, AFTER = "Before", "After"

# Ratings table: at most this many dates as columns (the first and the latest ones).
MAX_RATING_DATES = 6

# Pictures: printed at this resolution when the stored photo is larger than the print needs.
PRINT_DPI = 300
# A stored JPEG is embedded byte for byte (no second lossy encoding) when it is no larger
# than this many times the pixels the print needs, or no larger than SMALL_JPEG bytes;
# otherwise it is scaled down to PRINT_DPI: four pairs of 2048-px phone photos (about
# 1.1 MB each) then make a sheet of about 0.2 MB instead of 9 MB.
KEEP_IF_WITHIN = 1.5
SMALL_JPEG = 64_000
JPEG_QUALITY = 88

# Photos at least this tall (points; about 3 cm) before the type is set smaller to make room.
MIN_PHOTO = 85.0

# Caption parts up to this many characters never break across lines.
SHORT_PART = 20

# When a sheet's words take more room than usual (a tall letterhead, a long clinic name,
# many scales), the type is set again at these scales; the photos always shrink to fit.
FALLBACK_SCALES = (0.92, 0.85)


def progress_sheet_pdf(sheet: ProgressSheet) -> bytes:
    """Render the photo progress sheet to PDF bytes: always one page, A4 or Letter.

    One to four before/after pairs: one pair fills the width; two to four are laid out in
    one column or in a two-by-two grid, whichever prints the photos larger. The caller
    refuses more than four pairs (a fifth would make every photo too small to judge); this
    function refuses them too. The same sheet gives the same bytes.

    Args:
        sheet: The data to print; the clinic's paper size sets A4 or Letter.

    Returns:
        A complete PDF file of one page.

    Raises:
        ValueError: the sheet has no pair, or more than four.
    """
    check_pair_count(len(sheet.pairs))
    # Smaller type first; only at the smallest type may the photos shrink below MIN_PHOTO.
    attempts = [(1.0, MIN_PHOTO), *((scale, MIN_PHOTO) for scale in FALLBACK_SCALES)]
    attempts.append((FALLBACK_SCALES[-1], 0.0))
    pdf = b""
    for scale, min_photo in attempts:
        pdf, pages = _render(sheet, scale, min_photo)
        if pages <= 1:
            break
    return pdf


def _render(sheet: ProgressSheet, scale: float, min_photo: float) -> tuple[bytes, int]:
    styles = _sheet_styles(make_styles(), scale)
    width = content_width(sheet.clinic.paper_size)
    setup = DocumentSetup(
        clinic=sheet.clinic,
        title=TITLE,
        printed_on=sheet.printed_on,
        subject=sheet.patient_name.strip(),
        subtitle=_subtitle(sheet),
    )
    end = EndMark()
    story = [*_story(sheet, styles, width, min_photo), end]
    return render_document(setup, story, styles.base), end.page


def _subtitle(sheet: ProgressSheet) -> str:
    # The captions carry the dates; the subtitle says what is compared.
    area = sheet.area_label.strip()
    count = len(sheet.pairs)
    views = "1 view" if count == 1 else f"{count} views"
    return f"{area} · {views}, before and after" if area else f"{views}, before and after"


# ---------------------------------------------------------------------------------------------
# Styles


@dataclass(frozen=True)
class _Styles:
    base: ReportStyles
    section: ParagraphStyle
    view: ParagraphStyle
    caption: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    note: ParagraphStyle
    about: ParagraphStyle

    @property
    def size(self) -> float:
        return self.base.size


def _sheet_styles(base: ReportStyles, scale: float) -> _Styles:
    size = base.size * scale
    small = size * 0.84

    def style(name: str, parent: ParagraphStyle, font_size: float, **kw: Any) -> ParagraphStyle:
        return ParagraphStyle(
            name, parent=parent, fontSize=font_size, leading=font_size * 1.3, **kw
        )

    body = style("photo_body", base.body, size)
    base = ReportStyles(
        size=size,
        title=style("photo_title", base.title, size * 1.6, spaceAfter=1),
        subtitle=style("photo_subtitle", base.subtitle, small, spaceAfter=size * 0.6),
        heading=base.heading,
        subheading=base.subheading,
        body=body,
        body_bold=style("photo_body_bold", base.body_bold, size),
        small=style("photo_small", base.small, small),
        label=style("photo_label", base.label, small),
        bullet=ParagraphStyle(
            "photo_bullet", parent=base.bullet, fontSize=size, leading=size * 1.3
        ),
        callout_title=style("photo_callout_title", base.callout_title, size, spaceAfter=size * 0.3),
        alert=base.alert,
        alert_title=base.alert_title,
        letterhead_name=base.letterhead_name,
        letterhead_detail=base.letterhead_detail,
    )
    return _Styles(
        base=base,
        section=style("photo_section", base.body_bold, size * 1.1, spaceAfter=size * 0.3),
        view=style("photo_view", base.body_bold, size),
        caption=style("photo_caption", base.small, small),
        cell=style("photo_cell", base.small, small),
        cell_bold=style("photo_cell_bold", base.body_bold, small),
        note=style("photo_note", base.label, small * 0.95),
        about=style("photo_about", base.small, small, spaceAfter=size * 0.25),
    )


# ---------------------------------------------------------------------------------------------
# The story


def _story(sheet: ProgressSheet, styles: _Styles, width: float, min_photo: float) -> list[Flowable]:
    size = styles.size
    trailing: list[Flowable] = []
    ratings = _ratings(sheet.ratings, styles, width)
    if ratings:
        trailing += [Spacer(0, size * 0.9), *ratings]
    trailing += [Spacer(0, size * 0.9), _about(sheet, styles, width)]
    grid = _PairGrid(sheet.pairs, styles, trailing, min_photo)
    return [
        para(INTRO, styles.base.body),
        Spacer(0, size * 0.6),
        _band(sheet, styles, width),
        Spacer(0, size * 0.8),
        grid,
        *trailing,
    ]


def _band(sheet: ProgressSheet, styles: _Styles, width: float) -> Table:
    """The patient's name and the area, on a light shade."""
    base = styles.base
    name = sheet.patient_name.strip() or "—"
    area = sheet.area_label.strip() or "—"
    label_width = styles.size * 5.2
    area_label = styles.size * 3.6
    name_width = (width - label_width - area_label) * 0.68
    widths = [label_width, name_width, area_label, width - label_width - name_width - area_label]
    pad = styles.size * 0.55
    drop = base.body_bold.fontSize - base.label.fontSize
    table = Table(
        [
            [
                Paragraph("Patient", base.label),
                para(name, base.body_bold),
                Paragraph("Area", base.label),
                para(area, base.body_bold),
            ]
        ],
        colWidths=widths,
    )
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), SHADE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONTNAME", (0, 0), (-1, -1), SANS),
                ("LEFTPADDING", (0, 0), (-1, -1), pad * 0.5),
                ("RIGHTPADDING", (0, 0), (-1, -1), pad),
                ("LEFTPADDING", (0, 0), (0, -1), pad),
                ("TOPPADDING", (0, 0), (-1, -1), pad),
                ("BOTTOMPADDING", (0, 0), (-1, -1), pad),
                # Labels are smaller than values: push them down so both share a baseline.
                ("TOPPADDING", (0, 0), (0, 0), pad + drop),
                ("TOPPADDING", (2, 0), (2, 0), pad + drop),
            ]
        )
    )
    return table


def _ratings(
    ratings: Sequence[tuple[str, date, str]], styles: _Styles, width: float
) -> list[Flowable]:
    """A small table: one row per scale, one column per date (the first and latest few)."""
    if not ratings:
        return []
    scales = list(dict.fromkeys(label for label, _, _ in ratings))
    days = sorted({day for _, day, _ in ratings})
    shown = days if len(days) <= MAX_RATING_DATES else [days[0], *days[-(MAX_RATING_DATES - 1) :]]
    values = {(label, day): value for label, day, value in ratings}
    label_width = min(width * 0.3, styles.size * 17)
    # Date columns as wide as "Exceptional improvement" needs, not the page's width.
    column = min((width - label_width) / len(shown), styles.size * 13)
    rows: list[list[object]] = [
        ["", *[Paragraph(para_text(format_short(d)), styles.cell_bold) for d in shown]]
    ]
    for label in scales:
        rows.append(
            [
                para(label, styles.cell_bold),
                *[para(values.get((label, d), "—"), styles.cell) for d in shown],
            ]
        )
    pad = styles.size * 0.35
    commands: list[TableCommand] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), SANS),
        ("LEFTPADDING", (0, 0), (-1, -1), pad),
        ("RIGHTPADDING", (0, 0), (-1, -1), pad),
        ("TOPPADDING", (0, 0), (-1, -1), pad * 0.6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), pad * 0.8),
        ("LEFTPADDING", (0, 0), (0, -1), 0),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, RULE),
        ("LINEBELOW", (0, 1), (-1, -2), 0.3, RULE),
    ]
    table = Table(rows, colWidths=[label_width, *[column] * len(shown)], hAlign="LEFT")
    table.setStyle(TableStyle(commands))
    flowables: list[Flowable] = [para(RATINGS_HEADING, styles.section), table]
    notes = scale_notes(scales)
    left_out = len(days) - len(shown)
    if left_out:
        dates = "date" if left_out == 1 else "dates"
        notes.append(f"Ratings from {left_out} other {dates} are kept in your record.")
    if notes:
        flowables.append(Spacer(0, styles.size * 0.3))
        flowables += [para(note, styles.note) for note in notes]
    return flowables


def _about(sheet: ProgressSheet, styles: _Styles, width: float) -> Table:
    """A boxed note: the photos are part of the record, results vary, who to call."""
    clinic = sheet.clinic.name.strip() or "the clinic"
    phone = sheet.clinic.phone.strip()
    lines = [line.format(clinic=clinic) for line in ABOUT_LINES]
    call = CALL_WITH_PHONE.format(phone=phone) if phone else CALL_WITHOUT_PHONE
    content: list[Flowable] = [
        para(ABOUT_TITLE, styles.base.callout_title),
        *[para(line, styles.about) for line in lines],
        para(call, ParagraphStyle("photo_call", parent=styles.about, fontName=SANS_BOLD)),
    ]
    pad = styles.size * 0.7
    box = Table([[content]], colWidths=[width])
    box.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), CALLOUT_SHADE),
                ("FONTNAME", (0, 0), (-1, -1), SANS),
                ("BOX", (0, 0), (-1, -1), 0.8, CALLOUT_EDGE),
                ("LINEBEFORE", (0, 0), (0, -1), 3, CALLOUT_EDGE),
                ("LEFTPADDING", (0, 0), (-1, -1), pad),
                ("RIGHTPADDING", (0, 0), (-1, -1), pad),
                ("TOPPADDING", (0, 0), (-1, -1), pad * 0.7),
                ("BOTTOMPADDING", (0, 0), (-1, -1), pad),
            ]
        )
    )
    return box


# ---------------------------------------------------------------------------------------------
# The photos


@dataclass(frozen=True)
class _Photo:
    """A photo as read once: its pixel size, and the bytes to embed."""

    width: int
    height: int
    data: bytes
    readable: bool


def _read(data: bytes) -> _Photo:
    try:
        with PILImage.open(io.BytesIO(data)) as image:
            # Photos are stored upright; a tag left in would turn the print on its side.
            width, height = image.size
            if image.getexif().get(0x0112, 1) in (5, 6, 7, 8):
                width, height = height, width
            return _Photo(width, height, data, True)
    except (OSError, UnidentifiedImageError, ValueError):
        # A damaged photo must not stop the sheet: its place says so instead.
        return _Photo(4, 3, b"", False)


def embeddable(data: bytes, box_width: float, box_height: float) -> bytes:
    """The JPEG to embed for a photo printed in a box of this size (points).

    The stored bytes as they are when they suit the print (a JPEG in RGB or grey, upright,
    not much larger than ``PRINT_DPI`` needs, or small anyway): no second lossy encoding.
    Otherwise the photo scaled to ``PRINT_DPI``, as a JPEG without metadata.

    Args:
        data: The stored photo (normally JPEG; any format Pillow reads).
        box_width: The printed width available, in points.
        box_height: The printed height available, in points.
    """
    with PILImage.open(io.BytesIO(data)) as image:
        orientation = image.getexif().get(0x0112, 1)
        upright = orientation in (None, 1)
        need = max(box_width, box_height) / 72 * PRINT_DPI
        suits = (
            image.format == "JPEG"
            and image.mode in ("RGB", "L")
            and upright
            and (len(data) <= SMALL_JPEG or max(image.size) <= need * KEEP_IF_WITHIN)
        )
        if suits:
            return data
        wanted = (round(box_width / 72 * PRINT_DPI), round(box_height / 72 * PRINT_DPI))
        if orientation in (5, 6, 7, 8):  # turned a quarter: stored the other way round
            wanted = wanted[::-1]
        # A JPEG decodes at 1/2, 1/4 or 1/8 size directly, still no smaller than wanted:
        # a 2048-px photo for a 4 cm print decodes several times faster.
        image.draft("RGB", wanted)
        picture = ImageOps.exif_transpose(image).convert("RGB")
    width, height = picture.size
    scale = min(1.0, box_width / 72 * PRINT_DPI / width, box_height / 72 * PRINT_DPI / height)
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        picture = picture.resize(size, PILImage.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


@dataclass(frozen=True)
class _Layout:
    columns: int
    rows: int
    cell: float  # the width of one pair's column
    photo_width: float  # the box each photo fits in
    photo_height: float
    label_heights: tuple[float, ...]  # per row: the tallest view label
    caption_heights: tuple[float, ...]  # per row: the tallest caption
    smallest_area: float

    def row_height(self, row: int, text_gap: float) -> float:
        return (
            self.label_heights[row] + self.photo_height + self.caption_heights[row] + 2 * text_gap
        )


class _PairGrid(Flowable):
    """The pairs, each a view label over two photos side by side with captions under them.

    It takes the page's height left after what follows it (``trailing``), so the sheet is
    one page: with one column of pairs or a two-by-two grid, whichever prints the smallest
    photo larger, and the photos never larger than the width allows. Photos smaller than
    ``min_photo`` points do not count as fitting: the sheet is then set again in smaller
    type (``FALLBACK_SCALES``) before the photos shrink further.
    """

    def __init__(
        self,
        pairs: Sequence[ProgressPair],
        styles: _Styles,
        trailing: Sequence[Flowable],
        min_photo: float,
    ) -> None:
        super().__init__()
        self.pairs = tuple(pairs)
        self.styles = styles
        self.trailing = tuple(trailing)
        self.min_photo = min_photo
        self.photos = [(_read(p.before_jpeg), _read(p.after_jpeg)) for p in self.pairs]
        size = styles.size
        self.gap = size * 0.8  # between the two photos of a pair
        self.pair_gap = size * 2.0  # between pairs side by side
        self.row_gap = size * 1.0  # between rows of pairs
        self.text_gap = size * 0.3  # between a photo and its label or caption
        self.layout: _Layout | None = None

    # ---- layout --------------------------------------------------------------------------
    def _captions(self, index: int) -> tuple[Paragraph, Paragraph]:
        pair = self.pairs[index]
        style = self.styles.caption
        return (
            Paragraph(f"<b>{BEFORE}</b>\u00a0· {_caption_markup(pair.before_caption)}", style),
            Paragraph(f"<b>{AFTER}</b>\u00a0· {_caption_markup(pair.after_caption)}", style),
        )

    def _text_heights(
        self, columns: int, rows: int, photo_width: float
    ) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """Per row, the tallest view label and the tallest caption at this photo width."""
        labels, captions = [], []
        for row in range(rows):
            indexes = range(row * columns, min((row + 1) * columns, len(self.pairs)))
            labels.append(
                max(
                    para(self.pairs[i].view_label, self.styles.view).wrap(
                        photo_width * 2 + self.gap, 1e6
                    )[1]
                    for i in indexes
                )
            )
            captions.append(
                max(c.wrap(photo_width, 1e6)[1] for i in indexes for c in self._captions(i))
            )
        return tuple(labels), tuple(captions)

    def _plan(self, width: float, height: float, columns: int) -> _Layout:
        rows = math.ceil(len(self.pairs) / columns)
        cell = (width - self.pair_gap * (columns - 1)) / columns
        tallest = max(photo.height / photo.width for pair in self.photos for photo in pair)
        half = (cell - self.gap) / 2
        photo_width = half
        # Photos limited by height print narrower than their column: the box (and the
        # captions under it) narrows to the widest photo, which can make a caption wrap
        # onto another line; a few rounds settle it.
        for attempt in range(4):
            labels, captions = self._text_heights(columns, rows, photo_width)
            text = sum(labels) + sum(captions) + rows * 2 * self.text_gap
            room = (height - self.row_gap * (rows - 1) - text) / rows
            # No taller than the tallest photo needs at this width.
            photo_height = max(min(room, half * tallest), 1.0)
            widest = max(
                _fitted(photo, half, photo_height)[0] for pair in self.photos for photo in pair
            )
            # Never narrower than a date and a short label need, or a squeezed page would
            # wrap the captions ever longer, leaving ever less room for the photos.
            narrowed = max(widest, min(half, self.styles.size * 9))
            if abs(narrowed - photo_width) < 0.5 or attempt == 3:
                # The last round's heights were measured at this width: keep them together.
                break
            photo_width = narrowed
        smallest = min(
            math.prod(_fitted(photo, photo_width, photo_height))
            for pair in self.photos
            for photo in pair
        )
        return _Layout(columns, rows, cell, photo_width, photo_height, labels, captions, smallest)

    def _fits(self, plan: _Layout, room: float) -> bool:
        return self._height(plan) <= room + 0.5 and plan.photo_height >= self.min_photo

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        after = 0.0
        for flowable in self.trailing:
            _, height = flowable.wrap(available_width, available_height)
            after += height + flowable.getSpaceBefore() + flowable.getSpaceAfter()
        # A little slack for rounding in the frame's own arithmetic.
        room = available_height - after - 2.0
        plans = [self._plan(available_width, room, 1)]
        if len(self.pairs) > 1:
            plans.append(self._plan(available_width, room, 2))
        # A plan that fits beats one that does not; then the larger smallest photo wins, and
        # a tie keeps one column (it reads top to bottom).
        self.layout = max(
            plans,
            key=lambda p: (self._fits(p, room), round(p.smallest_area), -p.columns),
        )
        self.width = available_width
        self.height = self._height(self.layout)
        if not self._fits(self.layout, room):
            # Taller than the page has: the sheet runs onto a second page, and is set again.
            self.height = max(self.height, available_height + 1)
        return self.width, self.height

    def _height(self, plan: _Layout) -> float:
        rows = sum(plan.row_height(row, self.text_gap) for row in range(plan.rows))
        return rows + (plan.rows - 1) * self.row_gap

    # ---- drawing -------------------------------------------------------------------------
    def draw(self) -> None:
        plan = self.layout
        assert plan is not None, "wrap() comes before draw()"
        canvas = self.canv
        pair_width = plan.photo_width * 2 + self.gap
        top = self.height
        for index, pair in enumerate(self.pairs):
            row, column = divmod(index, plan.columns)
            if index and column == 0:
                top -= plan.row_height(row - 1, self.text_gap) + self.row_gap
            # A pair narrower than its column (photos limited by height) sits in its middle.
            x = column * (plan.cell + self.pair_gap) + (plan.cell - pair_width) / 2
            label = para(pair.view_label, self.styles.view)
            _, label_height = label.wrap(pair_width, 1e6)
            label.drawOn(canvas, x, top - label_height)
            photo_top = top - plan.label_heights[row] - self.text_gap
            captions = self._captions(index)
            for side, photo in enumerate(self.photos[index]):
                left = x + side * (plan.photo_width + self.gap)
                self._draw_photo(photo, left, photo_top, plan)
                caption = captions[side]
                _, height = caption.wrap(plan.photo_width, 1e6)
                caption.drawOn(canvas, left, photo_top - plan.photo_height - self.text_gap - height)

    def _draw_photo(self, photo: _Photo, left: float, top: float, plan: _Layout) -> None:
        canvas = self.canv
        width, height = _fitted(photo, plan.photo_width, plan.photo_height)
        # Centred across its box, hung from the top so the captions line up under a row.
        x = left + (plan.photo_width - width) / 2
        y = top - height
        canvas.saveState()
        if photo.readable:
            draw_jpeg(canvas, embeddable(photo.data, width, height), x, y, width, height)
            canvas.setStrokeColor(RULE)
            canvas.setLineWidth(0.5)
            canvas.rect(x, y, width, height, stroke=1, fill=0)
        else:
            canvas.setFillColor(SHADE)
            canvas.setStrokeColor(RULE)
            canvas.rect(x, y, width, height, stroke=1, fill=1)
            note = para("This photo could not be read for printing.", self.styles.caption)
            _, note_height = note.wrap(width - 8, height)
            canvas.setFillColor(MUTED)
            note.drawOn(canvas, x + 4, y + (height - note_height) / 2)
        canvas.restoreState()


def draw_jpeg(canvas: Canvas, data: bytes, x: float, y: float, width: float, height: float) -> None:
    """Draw a JPEG file's bytes as they are: one DCT-encoded image in the PDF, no copy.

    ``Canvas.drawImage`` would decode every photo to name it (~9 MB of pixels for a 2048-px
    photo) and, with reportlab's default settings, store it as ASCII85 text, a quarter
    larger; the byte-stable output of the other reports depends on those settings, so they
    are left alone and the image object is built here instead. Drawn twice, stored once.

    Args:
        canvas: The page's canvas.
        data: A baseline or progressive JPEG in RGB or grey (``embeddable`` makes sure).
        x: The left edge, in points.
        y: The bottom edge.
        width: The printed width.
        height: The printed height.
    """
    with PILImage.open(io.BytesIO(data)) as picture:
        if picture.format != "JPEG" or picture.mode not in ("RGB", "L"):
            raise ValueError("draw_jpeg takes a JPEG in RGB or grey (see embeddable)")
        pixels = picture.size
        grey = picture.mode == "L"
    name = hashlib.sha256(data).hexdigest()
    # Any: the canvas's resource bookkeeping and the image object's fields are not in the
    # reportlab stubs (this is what Canvas.drawImage does after decoding the picture).
    pdf: Any = canvas
    registered = pdf._doc.getXObjectName(name)
    if pdf._doc.idToObject.get(registered) is None:
        image: Any = PDFImageXObject(name)
        image.width, image.height = pixels
        image.bitsPerComponent = 8
        image.colorSpace = "DeviceGray" if grey else "DeviceRGB"
        image.streamContent = data
        image._filters = ("DCTDecode",)
        image.mask = None
        pdf._setXObjects(image)
        pdf._doc.Reference(image, registered)
        pdf._doc.addForm(name, image)
    canvas.saveState()
    canvas.translate(x, y)
    canvas.scale(width, height)
    pdf._code.append(f"/{registered} Do")
    canvas.restoreState()
    pdf._currentPageHasImages = 1
    pdf._formsinuse.append(name)


def _caption_markup(caption: str) -> str:
    """A caption's short parts ("12 Mar 2026", "Session 1 of 4") each kept on one line; a
    long one (a clinic's own wording) wraps between its words."""
    parts = [
        para_text(part if len(part) > SHORT_PART else part.replace(" ", "\u00a0"))
        for part in (part.strip() for part in caption.split("·"))
    ]
    # The dot stays at the end of a line, never starting the next.
    return "\u00a0· ".join(part for part in parts if part)


def _fitted(photo: _Photo, box_width: float, box_height: float) -> tuple[float, float]:
    """The printed size of a photo fitted to a box, keeping its shape."""
    scale = min(box_width / photo.width, box_height / photo.height)
    return photo.width * scale, photo.height * scale
