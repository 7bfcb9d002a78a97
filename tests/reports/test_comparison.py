"""The comparison handout: pages per column count, text, sources, patient name, fonts, bytes."""

from __future__ import annotations

import dataclasses
import struct
import zlib
from collections.abc import Sequence
from datetime import date

import pytest
from pypdf.generic import ContentStream

from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.comparison import (
    ComparisonView,
    apply_edits,
    build_view,
    patient_mark,
    treatments_for_concern,
)
from exodesk.reports.comparison import ComparisonHandout, render_comparison
from tests.bundled import bundled_comparison
from tests.reports.pdftools import base_name, fonts_drawing, page_texts, pdf_text, reader

NAME = "Zoë Ñúñez-Wąsowska"
CJK_NAME = "王小明"
PAIR = ("exosome_face", "prp")
TRIO = ("exosome_face", "prp", "microneedling")
QUARTET = ("exosome_scalp", "prp", "microneedling", "hair_transplant")


def png(width: int = 60, height: int = 20) -> bytes:
    """A small valid grey PNG, made without an imaging library."""
    raw = b"".join(b"\x00" + bytes([90, 90, 90]) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def clinic(paper: str = "A4", country: str = "GB") -> ClinicSettings:
    # A full letterhead (four lines and a logo): the page limits must hold for it.
    return ClinicSettings(
        name="Riverside Skin & Regenerative Clinic",
        address="14 Mill Lane\nHebden Bridge\nWest Yorkshire HX7 8AB",
        phone="01422 845 210",
        out_of_hours="07700 900 123",
        country=country,
        paper_size=paper,
        logo_png=png(),
    )


def view(
    treatments: Sequence[str],
    *,
    country: str = "GB",
    marks: dict[str, str] | None = None,
    concern: str | None = None,
    edited: bool = False,
) -> ComparisonView:
    content = bundled_comparison()
    if edited:
        content = apply_edits(
            content,
            {"microneedling": {"results": "Our patients usually see smoother texture."}},
            {"prp": "We use a closed kit; the blood sample takes five minutes."},
        )
    return build_view(
        content,
        treatments=treatments,
        country=country,
        prices={"exosome_face": "£480 a session", "prp": "£350 a session (course of 3: £950)"},
        patient_marks=marks,
        concern=concern,
    )


def handout(
    the_view: ComparisonView,
    *,
    paper: str = "A4",
    country: str = "GB",
    name: str | None = NAME,
    large: bool = False,
) -> ComparisonHandout:
    return ComparisonHandout(clinic(paper, country), date(2026, 12, 2), the_view, name, large)


@pytest.mark.parametrize("paper", ["A4", "Letter"])
@pytest.mark.parametrize(
    ("treatments", "max_pages"), [(PAIR, 1), (TRIO, 1), (QUARTET, 2)], ids=["2", "3", "4"]
)
def test_page_count_by_number_of_treatments(
    paper: str, treatments: tuple[str, ...], max_pages: int
) -> None:
    # The fullest handout: a patient, a mark, prices, an edited cell and a clinic note.
    marks = {treatments[1]: patient_mark("defer", "until the scalp infection has cleared")}
    the_view = view(treatments, marks=marks, edited=True)
    pages = page_texts(render_comparison(handout(the_view, paper=paper)))
    assert len(pages) <= max_pages
    # Nothing was cut to make it fit: the last row and the sources are there.
    assert "Note from this clinic" in pages[-1] and "Sources" in pages[-1]


def row_text(the_view: ComparisonView, row_id: str) -> str:
    """A row as the PDF's text should read: its label, then each cell left to right."""
    row = the_view.row(row_id)
    cells = [cell.text + ",".join(str(n) for n in cell.footnotes) for cell in row.cells]
    return " ".join([row.label, *cells])


@pytest.mark.parametrize("concern", ["hair_thinning", "skin_rejuvenation", "pigmentation"])
def test_text_holds_every_treatment_and_row(concern: str) -> None:
    content = bundled_comparison()
    chosen = treatments_for_concern(content, concern)
    the_view = view(chosen, concern=concern)
    text = pdf_text(render_comparison(handout(the_view)))
    header = " ".join(content.treatment(t).label for t in chosen)
    assert header in text
    for row in the_view.rows:
        if any(cell.note or cell.marker for cell in row.cells):
            assert row.label in text
        else:
            # Label then cells in column order: the rows line up, unknowns print as a dash.
            assert row_text(the_view, row.id) in text
    # Every preselection has something the sources do not say, checked above as a dash.
    assert any(c.unknown and not c.note for r in the_view.rows for c in r.cells)
    assert f"Comparing treatments for {content.concern(concern).label.lower()}" in text


def test_facts_footnotes_and_the_evidence_caution_print() -> None:
    text = pdf_text(render_comparison(handout(view(PAIR))))
    assert "Early studies; no large trials." in text
    assert "£480 a session" in text
    assert "UK guide: £400–£600 a facial session." not in text  # a clinic price replaces it
    assert "At a glance." in text and "3–6 sessions*" in text  # PRP's course is an estimate


def test_uk_price_guide_only_for_a_uk_clinic_without_a_price() -> None:
    content = bundled_comparison()
    for country, shown in (("GB", True), ("US", False)):
        the_view = build_view(content, treatments=PAIR, country=country, prices={})
        text = pdf_text(render_comparison(handout(the_view, country=country)))
        assert ("£400–£600" in text) is shown


def test_footnotes_list_only_the_sources_used() -> None:
    content = bundled_comparison()
    titles = {source.id: source.title for source in content.sources}
    text = pdf_text(
        render_comparison(handout(view(("chemical_peel", "laser_resurfacing"), country="US")))
    )
    assert f"Sources 1 {titles['000']}" in text
    for unused in ("001", "002", "003", "004"):
        assert titles[unused] not in text
    hair = pdf_text(render_comparison(handout(view(("hair_transplant", "stem_cell")))))
    assert titles["003"] in hair and titles["004"] not in hair


def test_patient_mark_prints_in_its_box() -> None:
    marks = {"prp": patient_mark("defer", "until 1 Mar 2027 (isotretinoin)")}
    text = pdf_text(render_comparison(handout(view(TRIO, marks=marks))))
    assert "For you" in text
    assert "Deferred for this patient until 1 Mar 2027 (isotretinoin)" in text
    plain = pdf_text(render_comparison(handout(view(TRIO))))
    assert "For you" not in plain and "Deferred for this patient" not in plain


def test_edited_cell_is_marked() -> None:
    text = pdf_text(render_comparison(handout(view(TRIO, edited=True))))
    assert "Our patients usually see smoother texture." in text
    assert "(edited by the clinic)" in text
    assert "This clinic (its prices, notes and changes)" in text


def test_patient_name_only_when_given() -> None:
    named = pdf_text(render_comparison(handout(view(PAIR))))
    assert f"Prepared for {NAME}" in named
    anonymous = pdf_text(render_comparison(handout(view(PAIR), name=None)))
    assert "Prepared for" not in anonymous and NAME not in anonymous
    blank = pdf_text(render_comparison(handout(view(PAIR), name="   ")))
    assert "Prepared for" not in blank


def test_cjk_patient_name_prints_in_the_cjk_font() -> None:
    pdf = render_comparison(handout(view(PAIR), name=CJK_NAME))
    assert f"Prepared for {CJK_NAME}" in pdf_text(pdf)
    fonts = {base_name(font) for font in fonts_drawing(pdf, CJK_NAME)}
    assert fonts == {"DroidSansFallback"}
    prepared = {base_name(font) for font in fonts_drawing(pdf, "Prepared for")}
    assert prepared and prepared <= {"DejaVuSans", "DejaVuSans-Bold"}


def test_same_handout_gives_the_same_bytes() -> None:
    first = render_comparison(handout(view(TRIO, marks={"prp": patient_mark("review")})))
    again = render_comparison(handout(view(TRIO, marks={"prp": patient_mark("review")})))
    assert first == again
    other = render_comparison(
        dataclasses.replace(handout(view(TRIO)), printed_on=date(2026, 12, 3))
    )
    assert other != first


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_large_print_keeps_every_treatment_and_row(paper: str) -> None:
    content = bundled_comparison()
    the_view = view(QUARTET, marks={"hair_transplant": patient_mark("review")})
    text = pdf_text(render_comparison(handout(the_view, paper=paper, large=True)))
    for treatment in QUARTET:
        assert content.treatment(treatment).label in text
    for row in content.rows:
        assert row.label in text
    assert "Needs a doctor's review" in text


def test_the_hair_transplant_column_says_where_its_facts_come_from() -> None:
    """Most facts come from an exosome supplier's page (seed 003): the handout says so."""
    the_view = view(("exosome_scalp", "prp", "hair_transplant"), concern="hair_thinning")
    text = " ".join(" ".join(page_texts(render_comparison(handout(the_view)))).split())
    assert "Most of this column's facts come from an exosome supplier's web page." in text
    # The one fact from elsewhere names its publisher in the source list.
    assert "American Academy of Dermatology, n.d.: Hair transplant" in text


@pytest.mark.parametrize(
    ("treatments", "cells", "citations"),
    [
        (
            ("chemical_peel", "laser_resurfacing"),
            ["Deep peels carry more risk."],
            ["NHS, n.d.: Chemical peels"],
        ),
        (
            ("prp", "microneedling"),
            ["Hair loss studies: mostly 3 or more", "Scars may look better."],
            [
                "Thieme, 2018: Review: PRP for hair loss",
                "Dovepress, 2020: Review: microneedling for scars",
            ],
        ),
    ],
    ids=["peel-laser", "prp-microneedling"],
)
def test_cells_beyond_the_seeds_print_with_footnotes_naming_the_publisher(
    treatments: tuple[str, ...], cells: list[str], citations: list[str]
) -> None:
    the_view = view(treatments)
    text = " ".join(pdf_text(render_comparison(handout(the_view))).split())
    for words in cells + citations:
        assert words in text
    # Each cited source is numbered in the list under the table, publisher first.
    for footnote in the_view.footnotes:
        assert f"{footnote.number} {footnote.citation}"[:40] in text


def raised_text(pdf: bytes) -> list[tuple[float, float, float, float]]:
    """Each superscript drawn below a line of its own paragraph.

    Reads reportlab's text objects (one per paragraph: ``Tm`` then lines with ``T*``, the
    rise with ``Ts``) and returns (rise, its font size, the line spacing, the paragraph's
    font size) for raised text on a paragraph's second or later line.
    """
    found: list[tuple[float, float, float, float]] = []
    for page in reader(pdf).pages:
        stream = page.get_contents()
        assert stream is not None
        line = rise = size = body = leading = 0.0
        for operands, operator in ContentStream(stream, reader(pdf)).operations:
            if operator == b"BT":
                line = rise = body = 0.0
            elif operator == b"TL":
                leading = float(operands[0])
            elif operator == b"Tf":
                size = float(operands[1])
            elif operator == b"Ts":
                rise = float(operands[0])
            elif operator == b"T*":
                line += 1
            elif operator in (b"Tj", b"TJ"):
                if rise > 0 and line >= 1:
                    found.append((rise, size, leading, body))
                elif rise == 0:
                    body = max(body, size)
    return found


def test_footnote_numbers_clear_the_line_above() -> None:
    # Footnote numbers were raised half the text size and printed into the descenders of
    # the line above. DejaVu Sans digits stand 0.73 em tall; descenders reach 0.24 em.
    for the_view in (view(TRIO), view(PAIR)):
        raised = raised_text(render_comparison(handout(the_view)))
        assert raised, "no footnote number on a wrapped line to measure"
        for rise, size, leading, body in raised:
            top = rise + 0.73 * size
            above = leading - 0.24 * body
            assert above - top >= 0.5, (rise, size, leading, body)
