"""The photo progress sheet: one page whatever it holds, captions and dates, photos embedded
small, any name inside the page."""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass
from datetime import date

import pytest
from PIL import Image
from reportlab.pdfbase import pdfmetrics

from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.photo_sheet import (
    MAX_PAIRS,
    ProgressPair,
    ProgressSheet,
    check_pair_count,
    photo_caption,
    scale_label,
    scale_notes,
)
from exodesk.reports.document import SIDE_MARGIN
from exodesk.reports.fonts import CJK, SANS, SANS_BOLD, register_fonts
from exodesk.reports.photo_progress import (
    ABOUT_TITLE,
    CALL_WITHOUT_PHONE,
    KEEP_IF_WITHIN,
    PRINT_DPI,
    RATINGS_HEADING,
    TITLE,
    embeddable,
    progress_sheet_pdf,
)
from tests.reports.pdftools import base_name, page_texts, pdf_text, reader
from tests.reports.photo_samples import CLINIC, jpeg, pair, sample_sheet

PAPERS = {"A4": (595.28, 841.89), "Letter": (612.0, 792.0)}
LANDSCAPE, PORTRAIT = (2048, 1536), (1536, 2048)


# ---- reading the page back -----------------------------------------------------------------
@dataclass(frozen=True)
class Box:
    """Something drawn on the page: its edges in points from the bottom left."""

    what: str
    left: float
    bottom: float
    right: float
    top: float

    def overlaps(self, other: Box) -> bool:
        return (
            self.left < other.right - 0.5
            and other.left < self.right - 0.5
            and self.bottom < other.top - 0.5
            and other.bottom < self.top - 0.5
        )


_FACES = {"DejaVuSans": SANS, "DejaVuSans-Bold": SANS_BOLD, "DroidSansFallback": CJK}


def drawn(pdf: bytes) -> tuple[list[Box], list[Box]]:
    """The page's text chunks and images, each with its box."""
    register_fonts()
    texts: list[Box] = []
    images: list[Box] = []
    page = reader(pdf).pages[0]
    spacing = [0.0]

    def text(chunk, cm, tm, font_dict, font_size) -> None:
        if not chunk.strip() or font_dict is None:
            return
        face = _FACES.get(base_name(str(font_dict["/BaseFont"])), SANS)
        left = cm[4] + tm[4] * cm[0]
        baseline = cm[5] + tm[5] * cm[3]
        size = font_size * tm[0] * cm[0]
        line = chunk.rstrip()
        # A full line is squeezed with negative word spacing (Tw, in text space units).
        width = pdfmetrics.stringWidth(line, face, size) + spacing[0] * line.count(" ") * cm[0]
        texts.append(
            Box(chunk.strip(), left, baseline - size * 0.25, left + width, baseline + size)
        )

    def operator(op: bytes, args, cm, _tm) -> None:
        if op == b"Tw":
            spacing[0] = float(args[0])
        elif op == b"Do":
            images.append(Box(str(args[0]), cm[4], cm[5], cm[4] + cm[0], cm[5] + cm[3]))

    page.extract_text(visitor_text=text, visitor_operand_before=operator)
    return texts, images


def embedded_images(pdf: bytes) -> list[tuple[int, int, list[str], bytes]]:
    """Each image object of the page: pixel width and height, filters, the stream as stored."""
    found = []
    for ref in reader(pdf).pages[0]["/Resources"]["/XObject"].values():
        image = ref.get_object()
        filters = image["/Filter"]
        names = [str(f) for f in filters] if isinstance(filters, list) else [str(filters)]
        found.append((int(image["/Width"]), int(image["/Height"]), names, image._data))
    return found


def assert_inside_page(pdf: bytes, paper: str) -> None:
    """Every text chunk and photo inside the side margins; no text over a photo."""
    width, height = PAPERS[paper]
    texts, images = drawn(pdf)
    assert texts and images
    slack = 0.5
    for box in [*texts, *images]:
        assert SIDE_MARGIN - slack <= box.left and box.right <= width - SIDE_MARGIN + slack, box
        assert box.bottom >= 0 and box.top <= height, box
    for chunk in texts:
        for image in images:
            assert not chunk.overlaps(image), (chunk, image)


# ---- one page ------------------------------------------------------------------------------
@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("shape", [LANDSCAPE, PORTRAIT], ids=["landscape", "portrait"])
@pytest.mark.parametrize("pairs", [1, 2, 3, 4])
def test_one_page_whatever_the_number_of_pairs(pairs: int, shape: tuple[int, int], paper: str):
    pdf = progress_sheet_pdf(sample_sheet(pairs, size=shape, paper=paper))
    pages = reader(pdf).pages
    assert len(pages) == 1
    box = pages[0].mediabox
    assert (round(float(box.width), 2), round(float(box.height), 2)) == PAPERS[paper]
    _, images = drawn(pdf)
    assert len(images) == 2 * pairs
    assert len(embedded_images(pdf)) == 2 * pairs
    assert_inside_page(pdf, paper)


@pytest.mark.parametrize("count", [0, MAX_PAIRS + 1, 9])
def test_no_pair_or_more_than_four_is_refused(count: int) -> None:
    sheet = sample_sheet(1)
    sheet = dataclasses.replace(sheet, pairs=tuple(sheet.pairs[0] for _ in range(count)))
    with pytest.raises(ValueError, match="1 to 4 before-and-after pairs"):
        progress_sheet_pdf(sheet)
    with pytest.raises(ValueError):
        check_pair_count(count)


def test_photos_use_the_page_they_have() -> None:
    # One pair prints far larger than each of four; four still print at a usable size.
    def smallest(pdf: bytes) -> float:
        return min(i.right - i.left for i in drawn(pdf)[1])

    one, four = (progress_sheet_pdf(sample_sheet(n)) for n in (1, 4))
    assert smallest(one) > 2 * smallest(four)
    assert smallest(four) > 100  # points: about 4 cm across


def test_a_pair_sits_side_by_side_before_on_the_left() -> None:
    texts, images = drawn(progress_sheet_pdf(sample_sheet(1)))
    before, after = sorted(images, key=lambda i: i.left)
    assert abs(before.top - after.top) < 0.5 and before.right < after.left
    for word, image in (("Before", before), ("After", after)):
        caption = next(t for t in texts if t.what.startswith(word))
        # Under its photo, starting at its left edge.
        assert caption.top <= image.bottom and abs(caption.left - image.left) < 0.5


# ---- what it says --------------------------------------------------------------------------
def test_captions_dates_views_and_ratings_are_printed() -> None:
    pdf = progress_sheet_pdf(sample_sheet(4))
    [text] = page_texts(pdf)
    for expected in (
        TITLE,
        "Riverside Skin Clinic",
        "Zoë Ñúñez",
        "Face · 4 views, before and after",
        "Front",
        "Left 45°",
        "Right 45°",
        "Left profile",
        "Before · 12 Mar 2026 · Session 1 of 4",
        "After · 4 Jun 2026 · Session 4 of 4",
        RATINGS_HEADING,
        "9 Apr 2026",
        "Change your practitioner sees",
        "Change you see",
        "1 · Exceptional improvement",
        ABOUT_TITLE,
        "part of your clinical record at Riverside Skin Clinic",
        "results vary",
        "call us on 020 7946 0000",
        "Page 1 of 1",
        "Printed Thu 4 Jun 2026",
    ):
        assert expected in text, expected
    assert text.count("Before · 12 Mar 2026") == 4


def test_plain_calm_words_and_no_promises() -> None:
    text = pdf_text(progress_sheet_pdf(sample_sheet(2))).lower()
    for promise in ("guarantee", "will improve", "will see", "permanent", "cure", "100%"):
        assert promise not in text
    assert "results vary" in text and "not what will happen next" in text


def test_no_phone_set_up_says_to_ask_at_the_next_visit() -> None:
    clinic = dataclasses.replace(CLINIC, phone="", name="")
    text = pdf_text(progress_sheet_pdf(sample_sheet(1, clinic=clinic)))
    assert CALL_WITHOUT_PHONE in text
    assert "your clinical record at the clinic" in text


def test_scalp_ratings_with_what_the_stages_mean() -> None:
    ratings = (
        (scale_label("norwood"), date(2026, 1, 8), "4"),
        (scale_label("norwood"), date(2026, 6, 4), "3V"),
    )
    sheet = sample_sheet(2, area_label="Scalp", ratings=ratings)
    text = pdf_text(progress_sheet_pdf(sheet))
    assert "Norwood stage 4 3V" in text
    assert scale_notes([scale_label("norwood")])[0] in text


def test_no_ratings_no_table() -> None:
    text = pdf_text(progress_sheet_pdf(sample_sheet(2, ratings=())))
    assert RATINGS_HEADING not in text and "Before · 12 Mar 2026" in text


def test_many_rating_dates_show_the_first_and_latest() -> None:
    days = [date(2026, month, 1) for month in range(1, 10)]
    ratings = tuple((scale_label("ludwig"), day, "II") for day in days)
    pdf = progress_sheet_pdf(sample_sheet(4, area_label="Scalp", ratings=ratings))
    text = pdf_text(pdf)
    assert len(reader(pdf).pages) == 1
    assert "1 Jan 2026" in text and "1 Sep 2026" in text
    assert "1 Feb 2026" not in text
    assert "Ratings from 3 other dates are kept in your record." in text


def test_caption_helper() -> None:
    assert photo_caption(date(2026, 3, 12), "session 2 of 4") == "12 Mar 2026 · Session 2 of 4"
    assert photo_caption(date(2026, 3, 12)) == "12 Mar 2026"


# ---- names and words of any length and script ----------------------------------------------
HARD_NAMES = {
    "accents": "Zoë Anastasia Ñúñez-Łukasiewicz O'Brien-Montgomery de la Fuente",
    "emoji": "Anna 🌸 Smith",
    "arabic": "محمد علي",
    "chinese": "王小明",
    "unbroken": "Wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewissenhaftschaferswessen",
}


@pytest.mark.parametrize("shape", [LANDSCAPE, PORTRAIT], ids=["landscape", "portrait"])
@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("name", HARD_NAMES.values(), ids=HARD_NAMES.keys())
def test_long_and_accented_words_stay_inside_the_page(
    name: str, paper: str, shape: tuple[int, int]
) -> None:
    # Portrait photos under a tall letterhead once ran the sheet onto a second page.
    view = f"Right profile — {name}"
    small = (shape[0] // 2, shape[1] // 2)  # the shape is what matters here, not the pixels
    pairs = tuple(pair(i, view=view if i == 3 else None, size=small) for i in range(4))
    long_label = f"Session 12 of 12 — {name}"
    pairs = (
        *pairs[:3],
        dataclasses.replace(
            pairs[3],
            before_caption=photo_caption(date(2026, 3, 12), long_label),
            after_caption=photo_caption(date(2026, 9, 30), long_label),
        ),
    )
    sheet = sample_sheet(
        4,
        paper=paper,
        patient_name=name,
        area_label=f"Face and neck, {name}",
        pairs=pairs,
        clinic=dataclasses.replace(
            CLINIC,
            name=f"Clinic of {name}",
            address="\n".join(["A long street"] * 4),
            paper_size=paper,
        ),
    )
    pdf = progress_sheet_pdf(sheet)
    assert len(reader(pdf).pages) == 1
    assert_inside_page(pdf, paper)
    text = pdf_text(pdf)
    if name.isascii():
        assert "".join(name.split()) in "".join(text.split())
    elif "🌸" in name:
        assert "Anna [emoji] Smith" in text


# ---- the photos ----------------------------------------------------------------------------
def test_a_photo_already_sized_for_print_is_embedded_byte_for_byte() -> None:
    sheet = sample_sheet(1, size=(640, 480))
    stored = {sheet.pairs[0].before_jpeg, sheet.pairs[0].after_jpeg}
    images = embedded_images(progress_sheet_pdf(sheet))
    assert {data for *_, data in images} == stored
    assert all(filters == ["/DCTDecode"] for _, _, filters, _ in images)


def test_large_photos_are_scaled_to_print_resolution_and_the_pdf_stays_small() -> None:
    sheet = sample_sheet(4, noise=True)
    photos = sum(len(p.before_jpeg) + len(p.after_jpeg) for p in sheet.pairs)
    assert photos > 6_000_000  # eight phone-sized photos, about 1.1 MB each
    pdf = progress_sheet_pdf(sheet)
    assert len(pdf) < 600_000
    _, images = drawn(pdf)
    printed = max(max(i.right - i.left, i.top - i.bottom) for i in images)
    for width, height, filters, data in embedded_images(pdf):
        assert filters == ["/DCTDecode"]
        assert max(width, height) <= printed / 72 * PRINT_DPI + 1
        assert Image.open(io.BytesIO(data)).format == "JPEG"


def test_embeddable_keeps_or_scales() -> None:
    small = jpeg(600, 450)
    assert embeddable(small, 144, 108) == small  # 2 in x 1.5 in needs 600 px
    big = jpeg(2048, 1536, noise=True)
    scaled = Image.open(io.BytesIO(embeddable(big, 144, 108)))
    assert scaled.size == (600, 450)
    # Within KEEP_IF_WITHIN of what the print needs: kept, not encoded again.
    near = jpeg(int(600 * KEEP_IF_WITHIN), int(450 * KEEP_IF_WITHIN), noise=True)
    assert embeddable(near, 144, 108) == near


def test_png_and_sideways_photos_are_printed_upright_as_jpeg() -> None:
    png = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 100, 50)).save(png, "PNG")
    assert Image.open(io.BytesIO(embeddable(png.getvalue(), 100, 75))).format == "JPEG"
    # A JPEG still tagged "rotate 90°" (the import pipeline strips tags; this is the guard).
    tagged = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (400, 300), (10, 200, 50)).save(tagged, "JPEG", exif=exif)
    upright = Image.open(io.BytesIO(embeddable(tagged.getvalue(), 300, 400)))
    assert upright.size == (300, 400)


def test_an_unreadable_photo_says_so_and_the_sheet_still_prints() -> None:
    sheet = sample_sheet(1)
    broken = dataclasses.replace(sheet.pairs[0], after_jpeg=b"not a picture")
    pdf = progress_sheet_pdf(dataclasses.replace(sheet, pairs=(broken,)))
    assert "This photo could not be read for printing." in pdf_text(pdf)
    assert len(embedded_images(pdf)) == 1


def test_the_same_photo_twice_is_stored_once() -> None:
    photo = jpeg(640, 480)
    twin = ProgressPair("Front", photo, "12 Mar 2026", photo, "12 Mar 2026")
    pdf = progress_sheet_pdf(sample_sheet(1, pairs=(twin,)))
    assert len(embedded_images(pdf)) == 1
    assert len(drawn(pdf)[1]) == 2


def test_the_same_sheet_gives_the_same_bytes() -> None:
    sheet = sample_sheet(2, noise=True)
    assert progress_sheet_pdf(sheet) == progress_sheet_pdf(sheet)


def test_sheet_data_is_frozen() -> None:
    sheet = ProgressSheet(ClinicSettings(), date(2026, 1, 1), "A", "Face", (pair(0),))
    with pytest.raises(dataclasses.FrozenInstanceError):
        sheet.patient_name = "B"  # type: ignore[misc]


@pytest.mark.parametrize("mode", ["L", "CMYK"])
def test_large_grey_and_cmyk_photos_print_as_rgb_jpeg(mode: str) -> None:
    stored = io.BytesIO()
    Image.effect_noise((2048, 1536), 40).convert(mode).save(stored, "JPEG", quality=90)
    printed = Image.open(io.BytesIO(embeddable(stored.getvalue(), 144, 108)))
    assert (printed.format, printed.mode, printed.size) == ("JPEG", "RGB", (600, 450))
