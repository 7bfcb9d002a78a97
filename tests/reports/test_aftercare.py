"""The aftercare sheet: one page, everything a patient needs on it, any name, stable bytes."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata
from datetime import date
from typing import Any

import pytest

from exodesk.domain.aftercare import (
    LINE_BUDGETS,
    LINE_CHARS,
    MAX_BULLETS_PER_SECTION,
    MAX_METHOD_LINE,
    MAX_STAGE_LABEL,
    MAX_STAGE_TEXT,
    MAX_TITLE,
    PLACES,
    AftercareTemplate,
    estimated_lines,
    validate_template,
)
from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.sessions import TREATMENTS
from exodesk.reports.aftercare import (
    EMERGENCY_NUMBERS,
    FALLBACK_SCALES,
    AftercareSheet,
    SheetProduct,
    render_aftercare,
)
from exodesk.reports.fonts import PLACEHOLDER
from tests.bundled import bundled_aftercare
from tests.reports.pdftools import (
    base_name,
    drawn_text,
    fonts_drawing,
    page_texts,
    pdf_text,
    reader,
)

TEMPLATES = bundled_aftercare()
LONG_NAME = "Zoë Anastasia O'Brien-Łukasz-Montgomery"
HOSTILE = "<b>x</b> & Co &amp; <font name=Courier>y</font>"
ALLERGY_NOTE = "Allergy: <latex"
# Latin with accents, Polish, Turkish, Greek, Chinese.
SCRIPT_NAMES = ["Zoë Ñúñez", "Łukasz Wąsowski", "Şükrü Öztürk", "Γιώργος Παπαδόπουλος", "李小龍"]
PAPERS = {"A4": (595.28, 841.89), "Letter": (612.0, 792.0)}
PRODUCTS = (
    SheetProduct("ExoGlow Regenerative Serum 5 ml", "EXO-24-11873"),
    SheetProduct("HydraCalm Hyaluronic Acid Serum", "HC-2026-0412"),
    SheetProduct("Numbing cream (lidocaine 4%)", "LD4-99812"),
)
CLINIC = ClinicSettings(
    name="Riverside Skin & Regenerative Clinic",
    address="14 Mill Lane\nHebden Bridge HX7 8AB",
    phone="01422 845 210",
    out_of_hours="07700 900 123",
    country="GB",
    paper_size="A4",
)
AREAS = {
    "exosome_face": "Face, neck",
    "exosome_scalp": "Scalp",
    "prp": "Scalp",
    "microneedling": "Face, décolletage",
}


def sheet(treatment: str = "exosome_face", *, paper: str = "A4", **changes: Any) -> AftercareSheet:
    """A sheet with a long name, three products and a course; ``changes`` override fields."""
    made = AftercareSheet(
        clinic=dataclasses.replace(CLINIC, paper_size=paper),
        template=TEMPLATES[treatment],
        printed_on=date(2026, 12, 2),
        patient_name=LONG_NAME,
        treatment_label=TREATMENTS[treatment],
        areas=AREAS[treatment],
        session_date=date(2026, 11, 29),
        practitioner="Dr Şükrü Öztürk",
        products=PRODUCTS,
        course_label="session 2 of 4",
        next_window="between 20 Dec 2026 and 3 Jan 2027",
    )
    return dataclasses.replace(made, **changes)


def squash(text: str) -> str:
    """Text without whitespace: a value wrapped over two lines reads back with a break in it."""
    return "".join(text.split())


def text_size(pdf: bytes, line: str) -> float:
    """The size a line of advice was printed at, found by its first words (it may wrap)."""
    start = " ".join(line.split()[:2])
    sizes = {round(chunk.size, 2) for chunk in drawn_text(pdf) if start in chunk.text}
    assert len(sizes) == 1, (start, sizes)
    return sizes.pop()


# ---- one page, everything on it -----------------------------------------------------------------


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("treatment", TREATMENTS)
def test_each_sheet_fits_one_page_at_full_size(treatment: str, paper: str) -> None:
    pdf = render_aftercare(sheet(treatment, paper=paper))
    pages = reader(pdf).pages
    assert len(pages) == 1
    box = pages[0].mediabox
    assert (round(float(box.width), 2), round(float(box.height), 2)) == PAPERS[paper]
    # Not the smaller fallback: the bundled wording fits at the normal 9.5 pt.
    first_call = TEMPLATES[treatment].section("call_us").bullets[0]
    assert text_size(pdf, first_call) == 9.5


@pytest.mark.parametrize("treatment", TREATMENTS)
def test_the_sheet_prints_everything_the_patient_needs(treatment: str) -> None:
    template = TEMPLATES[treatment]
    text = pdf_text(render_aftercare(sheet(treatment)))
    flat = squash(text)
    assert LONG_NAME in text
    assert TREATMENTS[treatment] in text
    assert AREAS[treatment] in text
    assert "Sun 29 Nov 2026" in text
    assert "Dr Şükrü Öztürk" in text
    for product in PRODUCTS:
        assert squash(product.name) in flat and f"lot{product.lot_number}" in flat
    assert "Session 2 of 4" in text
    assert "Between 20 Dec 2026 and 3 Jan 2027" in text
    assert template.title in text and template.intro in text
    for section in template.sections:
        assert squash(section.heading) in flat, section.id
        for bullet in section.bullets:
            assert bullet in text, bullet
    for stage in template.timeline:
        assert squash(stage.label) in flat and squash(stage.text) in flat, stage.key
    assert "Recovery" in text and "Results build slowly" in text


def test_the_call_us_box_holds_both_numbers_and_the_emergency_box_the_number_to_dial() -> None:
    text = page_texts(render_aftercare(sheet()))[0]
    call_us = text.index("Call us if")
    emergency = text.index("Call emergency services now if")
    # Printed inside the box: after its heading, before the emergency box begins.
    assert call_us < text.index("Clinic 01422 845 210", call_us) < emergency
    assert call_us < text.index("Out of hours 07700 900 123", call_us) < emergency
    assert text.index("Dial 999") > emergency


@pytest.mark.parametrize(("country", "dial"), [("US", "Dial 911"), ("AU", "Dial 000")])
def test_the_number_to_dial_follows_the_clinics_country(country: str, dial: str) -> None:
    clinic = dataclasses.replace(CLINIC, country=country)
    assert dial in pdf_text(render_aftercare(sheet(clinic=clinic)))
    assert EMERGENCY_NUMBERS["IE"] == "112 or 999"


def test_no_number_to_dial_is_guessed_for_another_country() -> None:
    clinic = dataclasses.replace(CLINIC, country="OTHER")
    text = pdf_text(render_aftercare(sheet(clinic=clinic)))
    assert "Dial" not in text
    assert "Call emergency services now if" in text


def test_a_missing_number_leaves_a_line_to_write_it_on() -> None:
    clinic = dataclasses.replace(CLINIC, out_of_hours="")
    text = pdf_text(render_aftercare(sheet(clinic=clinic)))
    assert re.search(r"Out of hours _{10,}", text)
    assert "Clinic 01422 845 210" in text


def test_a_sheet_outside_a_course_leaves_the_course_out() -> None:
    text = pdf_text(render_aftercare(sheet(course_label="", next_window="")))
    assert "Course" not in text and "Next session" not in text
    assert LONG_NAME in text


# ---- large print and the blank sheet ------------------------------------------------------------


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("treatment", TREATMENTS)
def test_large_print_takes_at_most_two_pages(treatment: str, paper: str) -> None:
    template = TEMPLATES[treatment]
    pdf = render_aftercare(sheet(treatment, paper=paper, large_print=True))
    pages = page_texts(pdf)
    assert len(pages) <= 2
    # 14 pt on A4. On the shorter Letter page the face sheet's longer warning lists (clinical
    # facts §4, corrected 2026-12-06), with a long name and three products, take the first
    # fallback size (12.9 pt) to stay on two pages; still large print.
    size = text_size(pdf, template.section("call_us").bullets[0])
    assert size == 14.0 if paper == "A4" else size >= round(14.0 * FALLBACK_SCALES[0], 2)
    text = " ".join(pages)
    for bullet in (*template.section("call_us").bullets, *template.section("emergency").bullets):
        assert bullet in text
    # A loose second page still says whose it is (the shared footer shortens a long name in
    # large print with an ellipsis, so only its start is certain to be there).
    assert all(f"{template.title} — Zoë Anastasia" in page for page in pages)


@pytest.mark.parametrize("treatment", TREATMENTS)
def test_the_blank_sheet_has_lines_to_write_on_and_no_name(treatment: str) -> None:
    pdf = render_aftercare(sheet(treatment, patient_name=None))
    text = pdf_text(pdf)
    assert len(reader(pdf).pages) == 1
    assert LONG_NAME not in text and "Dr Şükrü Öztürk" not in text
    assert PRODUCTS[0].lot_number not in text and "Session 2 of 4" not in text
    for label in ("Name", "Date", "Treatment", "Area", "Practitioner", "Next session", "Products"):
        assert label in text
    assert TREATMENTS[treatment] in text
    for bullet in TEMPLATES[treatment].section("emergency").bullets:
        assert bullet in text


def test_the_blank_sheet_also_prints_in_large_print() -> None:
    pdf = render_aftercare(sheet(patient_name=None, large_print=True, paper="Letter"))
    assert len(reader(pdf).pages) <= 2


# ---- any text prints as typed -------------------------------------------------------------------


def test_hostile_text_prints_as_typed() -> None:
    clinic = dataclasses.replace(CLINIC, name=f"Riverside {HOSTILE}")
    pdf = render_aftercare(
        sheet(
            clinic=clinic,
            patient_name=f"Ann {HOSTILE}",
            practitioner=ALLERGY_NOTE,
            products=(SheetProduct("<b>bold</b>", "<i>"),),
        )
    )
    text = pdf_text(pdf)
    assert f"Riverside {HOSTILE}" in text
    assert squash(f"Ann {HOSTILE}") in squash(text)
    assert ALLERGY_NOTE in text
    assert "<b>bold</b>" in text and "lot <i>" in text
    assert "Courier" not in {base_name(chunk.font) for chunk in drawn_text(pdf)}


@pytest.mark.parametrize("name", SCRIPT_NAMES)
def test_names_in_five_scripts_print_with_real_glyphs(name: str) -> None:
    pdf = render_aftercare(sheet(patient_name=name, practitioner=name))
    text = pdf_text(pdf)
    assert name in text
    assert PLACEHOLDER not in text
    wanted = {"DroidSansFallback"} if name == "李小龍" else {"DejaVuSans", "DejaVuSans-Bold"}
    for word in name.split():
        fonts = {base_name(font) for font in fonts_drawing(pdf, word)}
        assert fonts, word
        assert fonts <= wanted, (word, fonts)


# ---- reprints -----------------------------------------------------------------------------------


def test_the_same_sheet_gives_identical_bytes() -> None:
    first = hashlib.sha256(render_aftercare(sheet("prp"))).hexdigest()
    assert hashlib.sha256(render_aftercare(sheet("prp"))).hexdigest() == first
    later = render_aftercare(sheet("prp", printed_on=date(2026, 12, 3)))
    assert hashlib.sha256(later).hexdigest() != first


# ---- the length bound ---------------------------------------------------------------------------


def _words() -> list[str]:
    return " ".join(b for t in TEMPLATES.values() for s in t.sections for b in s.bullets).split()


WORDS = _words()


def _text(length: int, start: int) -> str:
    """Plain aftercare English, exactly ``length`` characters long (or one less)."""
    out: list[str] = []
    index = start
    while len(" ".join(out)) < length:
        out.append(WORDS[index % len(WORDS)])
        index += 1
    return " ".join(out)[:length].rstrip()


def template_at_the_bound(treatment: str) -> AftercareTemplate:
    """The template with every part at its line budget, every line as full as it may be."""
    template = TEMPLATES[treatment]
    sections = []
    start = 0
    for section in template.sections:
        chars = LINE_CHARS[PLACES[section.id]]
        # What the heading takes: the section's lines with no bullets under it.
        bare = dataclasses.replace(section, bullets=())
        heading = estimated_lines(dataclasses.replace(template, sections=(bare,)))[section.id]
        lines = LINE_BUDGETS[section.id] - heading
        count = min(lines, MAX_BULLETS_PER_SECTION)
        shares = [lines // count + (i < lines % count) for i in range(count)]
        bullets = []
        for share in shares:
            bullets.append(_text(share * chars, start))
            start += 7
        sections.append(dataclasses.replace(section, bullets=tuple(bullets)))
    stages = tuple(
        dataclasses.replace(
            stage, label=_text(MAX_STAGE_LABEL, 3 * i), text=_text(MAX_STAGE_TEXT, 5 * i)
        )
        for i, stage in enumerate(template.timeline)
    )
    return dataclasses.replace(
        template,
        title=_text(MAX_TITLE, 2),
        intro=_text(LINE_BUDGETS["intro"] * LINE_CHARS["full"], 11),
        sections=tuple(sections),
        timeline=stages,
    )


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("treatment", TREATMENTS)
def test_the_length_bound_fits(treatment: str, paper: str) -> None:
    """LINE_BUDGETS is verified here: every part at its budget at once still fits, with the
    session's method line at its longest before the intro."""
    template = template_at_the_bound(treatment)
    assert validate_template(template) == []
    assert estimated_lines(template) == LINE_BUDGETS
    longest = _text(MAX_METHOD_LINE, 13)
    pdf = render_aftercare(sheet(treatment, paper=paper, template=template, method_line=longest))
    assert len(reader(pdf).pages) == 1
    # At full size, with the long name and three products: no fallback needed.
    assert text_size(pdf, template.section("call_us").bullets[0]) == 9.5
    large = render_aftercare(
        sheet(treatment, paper=paper, template=template, method_line=longest, large_print=True)
    )
    assert len(reader(large).pages) <= 2


def test_a_sheet_that_would_overflow_is_set_smaller_instead() -> None:
    # A letterhead with a long address, over the longest wording allowed.
    address = "\n".join(f"Line {n} of a long address" for n in range(1, 7))
    clinic = dataclasses.replace(CLINIC, address=address, paper_size="Letter")
    template = template_at_the_bound("exosome_face")
    pdf = render_aftercare(sheet(clinic=clinic, template=template))
    assert len(reader(pdf).pages) == 1
    assert text_size(pdf, template.section("call_us").bullets[0]) < 9.5


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("treatment", TREATMENTS)
@pytest.mark.parametrize("large_print", [False, True])
def test_timeline_words_are_never_broken(treatment: str, paper: str, large_print: bool) -> None:
    # Large print broke "Tenderness" into "Tendernes" and "s" in a narrow timeline column.
    pdf = render_aftercare(sheet(treatment, paper=paper, large_print=large_print))
    words = set(pdf_text(pdf).split(" "))
    for stage in TEMPLATES[treatment].timeline:
        for word in f"{stage.label} {stage.text}".split():
            assert word in words, (word, stage)


WORLD = {
    "arabic": "محمد علي",
    "hebrew": "שרה כהן",
    "chinese": "王小明",
    "devanagari": "प्रिया शर्मा",
    "emoji": "Anna 🌸 Smith",
}


@pytest.mark.parametrize("script", WORLD)
def test_a_patient_name_in_any_script_prints_as_the_screen_shows_it(script: str) -> None:
    # On the sheet (bold, in the details band) and in every page's footer (drawn on the
    # canvas): Arabic and Hebrew read from the right, Arabic letters joined, Devanagari
    # shaped in its own font, an emoji as a clear placeholder, never a diamond.
    name = WORLD[script]
    pdf = render_aftercare(sheet(patient_name=name, practitioner=name, large_print=True))
    text = unicodedata.normalize("NFKC", pdf_text(pdf))
    assert PLACEHOLDER not in text
    if script == "devanagari":
        assert {base_name(c.font) for c in drawn_text(pdf) if "य" in c.text} == {
            "NotoSansDevanagari-Regular"
        }
    elif script == "emoji":
        assert "Anna [emoji] Smith" in text
    else:
        # Twice at least: the details band and the footer of each page.
        assert text.count(name) >= 2, text
