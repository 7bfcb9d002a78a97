"""The screening summary: what it prints, byte-stable reprints, paper sizes and large print."""

from __future__ import annotations

import dataclasses
import struct
import zlib
from datetime import date

import pytest
from reportlab.lib import colors

from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.screening import VERDICT_ORDER
from exodesk.domain.screening_vocabulary import OVERRIDE_COLOUR, verdict_look
from exodesk.reports.document import ALERT
from exodesk.reports.fonts import EMOJI_PLACEHOLDER
from exodesk.reports.screening_summary import (
    AnswerLine,
    ScreeningSummary,
    VerdictLine,
    format_date_of_birth,
    render_screening_summary,
    summary_missing_glyphs,
)
from tests.reports.pdftools import (
    base_name,
    drawn_text,
    fonts_drawing,
    page_texts,
    pdf_text,
    reader,
)

LONG_NAME = "Zoë Ñúñez-Wąsowska de la Fuente-Öztürk"
OVERRIDE = "PRP: decline overridden to review by Dr Şükrü Öztürk (haematologist agrees)."


def png(width: int = 40, height: int = 20) -> bytes:
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


def sample(**changes: object) -> ScreeningSummary:
    clinic = ClinicSettings(
        name="Riverside Skin & Regenerative Clinic",
        address="14 Mill Lane\nHebden Bridge HX7 8AB",
        phone="01422 845 210",
        paper_size="A4",
        logo_png=png(),
    )
    summary = ScreeningSummary(
        clinic=clinic,
        patient_name=LONG_NAME,
        date_of_birth=date(1985, 4, 3),
        taken_on=date(2026, 12, 1),
        taken_by="Dr Łukasz Wąsowski",
        version=3,
        rule_table_version="2026.2",
        answers=(
            AnswerLine("About you", "Are you pregnant or breastfeeding?", "No"),
            AnswerLine("Medical history", "Do you take anticoagulants?", "Yes — apixaban"),
            AnswerLine("Medical history", "Do you have diabetes?", "Type 2"),
            AnswerLine("Allergies", "Allergies", "Allergy: <latex & <b>bold</b> &amp;"),
        ),
        verdicts=(
            VerdictLine("Consultation", "proceed", "Proceed"),
            VerdictLine(
                "LED therapy",
                "precautions",
                "Proceed with precautions",
                reasons=("Type 2 diabetes.",),
                precautions=("Check skin integrity first.",),
            ),
            VerdictLine("Exosome topical", "review", "Needs review", reasons=("Unsure.",)),
            VerdictLine(
                "Microneedling",
                "defer",
                "Defer",
                until_text="Can go ahead from Mon 1 Mar 2027",
                reasons=("Isotretinoin within 6 months.",),
            ),
            VerdictLine("PRP injections", "decline", "Decline", reasons=("Anticoagulants.",)),
        ),
        signoffs=("Reviewed by Dr Łukasz Wąsowski.",),
        overrides=(OVERRIDE,),
        consent_version="Consent v4",
        consent_signed_name="Zoë Ñúñez",
        consent_date=date(2026, 12, 1),
        signature_png=png(120, 30),
        printed_on=date(2026, 12, 2),
    )
    return dataclasses.replace(summary, **changes)


def body_size(pdf: bytes, fragment: str) -> float:
    sizes = {round(c.size, 2) for c in drawn_text(pdf) if fragment in c.text}
    assert len(sizes) == 1, sizes
    return sizes.pop()


def test_typical_summary_fits_two_pages_with_every_page_numbered() -> None:
    pages = page_texts(render_screening_summary(sample()))
    assert 1 <= len(pages) <= 2
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        # A loose page can be matched to its patient.
        assert LONG_NAME in text


def test_prints_patient_clinic_and_dates() -> None:
    text = pdf_text(render_screening_summary(sample()))
    for expected in (
        "Riverside Skin & Regenerative Clinic",
        "Screening summary",
        "Screening version 3",
        "Rule table 2026.2",
        "3 Apr 1985 (age 41)",
        "Tue 1 Dec 2026",
        "Dr Łukasz Wąsowski",
        "Printed Wed 2 Dec 2026",
    ):
        assert expected in text, expected


def test_every_verdict_prints_its_word_and_symbol() -> None:
    summary = sample()
    text = pdf_text(render_screening_summary(summary))
    assert {line.verdict for line in summary.verdicts} == set(VERDICT_ORDER)
    for line in summary.verdicts:
        look = verdict_look(line.verdict)
        assert f"{look.symbol} {line.verdict_label}" in text, line.verdict
    assert "Can go ahead from Mon 1 Mar 2027" in text
    assert "Check skin integrity first." in text


@pytest.mark.parametrize("verdict", VERDICT_ORDER)
def test_each_verdict_prints_the_screens_symbol_in_its_colour(verdict: str) -> None:
    """The one vocabulary on paper: the symbol a card shows, drawn by a bundled font (never the
    placeholder), in the card's colour."""
    look = verdict_look(verdict)
    line = VerdictLine("PRP injections", verdict, "The word")
    summary = sample(verdicts=(line,))
    assert summary_missing_glyphs(summary) == ()
    pdf = render_screening_summary(summary)
    assert f"{look.symbol} The word" in pdf_text(pdf)
    drawn = [c for c in drawn_text(pdf) if look.symbol in c.text and "The word" in c.text]
    assert len(drawn) == 1
    assert base_name(drawn[0].font) == "DejaVuSans-Bold"
    expected = tuple(round(c, 3) for c in colors.HexColor(look.colour).rgb())
    assert tuple(round(c, 3) for c in drawn[0].colour or ()) == expected


def test_overrides_print_in_red() -> None:
    pdf = render_screening_summary(sample())
    assert OVERRIDE in pdf_text(pdf)
    red = tuple(round(c, 3) for c in ALERT.rgb())
    # The red of an override on the verdict cards.
    assert red == tuple(round(c, 3) for c in colors.HexColor(OVERRIDE_COLOUR).rgb())
    override_colours = {
        tuple(round(c, 3) for c in chunk.colour or ())
        for chunk in drawn_text(pdf)
        if "haematologist" in chunk.text or "Overridden" in chunk.text
    }
    assert override_colours == {red}
    # Ordinary answers are not red.
    answer_colours = {chunk.colour for chunk in drawn_text(pdf) if "apixaban" in chunk.text}
    assert all(tuple(round(c, 3) for c in colour or ()) != red for colour in answer_colours)
    assert "Overridden" not in pdf_text(render_screening_summary(sample(overrides=())))


def test_answers_print_exactly_as_typed() -> None:
    text = pdf_text(render_screening_summary(sample()))
    assert "Allergy: <latex & <b>bold</b> &amp;" in text
    assert "Yes — apixaban" in text


def test_same_summary_gives_identical_bytes() -> None:
    first = render_screening_summary(sample())
    assert render_screening_summary(sample()) == first
    assert render_screening_summary(sample(printed_on=date(2026, 12, 3))) != first


@pytest.mark.parametrize(("paper", "size"), [("A4", (595.28, 841.89)), ("Letter", (612.0, 792.0))])
def test_paper_size_comes_from_clinic_settings(paper: str, size: tuple[float, float]) -> None:
    clinic = dataclasses.replace(sample().clinic, paper_size=paper)
    pdf = render_screening_summary(sample(clinic=clinic))
    for page in reader(pdf).pages:
        box = page.mediabox
        assert (round(float(box.width), 2), round(float(box.height), 2)) == size


def test_large_print_makes_text_bigger() -> None:
    normal = render_screening_summary(sample())
    large = render_screening_summary(sample(large_print=True))
    assert body_size(large, "Type 2 diabetes.") >= 1.4 * body_size(normal, "Type 2 diabetes.")
    assert "Proceed with precautions" in pdf_text(large)


@pytest.mark.parametrize(
    "name", ["Zoë Ñúñez", "Łukasz Wąsowski", "Şükrü Öztürk", "Γιώργος Παπαδόπουλος", "李小龍"]
)
def test_patient_names_in_five_scripts(name: str) -> None:
    pdf = render_screening_summary(sample(patient_name=name))
    assert name in pdf_text(pdf)
    expected = "DroidSansFallback" if name == "李小龍" else "DejaVuSans-Bold"
    assert expected in {base_name(f) for f in fonts_drawing(pdf, name)}


def test_missing_glyphs_are_reported_and_printed_as_placeholder() -> None:
    summary = sample(signoffs=("Reviewed 🧪 ok",))
    assert summary_missing_glyphs(summary) == ("🧪",)
    assert summary_missing_glyphs(sample()) == ()
    assert f"Reviewed {EMOJI_PLACEHOLDER} ok" in pdf_text(render_screening_summary(summary))


def test_very_long_answer_splits_across_pages() -> None:
    essay = " ".join(["Long answer text."] * 600)  # 10,000+ characters in one table cell
    blob = "y" * 10_000  # and one with no space to break at
    answers = (AnswerLine("Notes", "Anything else?", essay), AnswerLine("Notes", "Code", blob))
    pdf = render_screening_summary(sample(answers=answers))
    text = pdf_text(pdf)
    # Counted word by word: a page break puts the footer and header inside a sentence.
    assert text.count("Long") == text.count("text.") == 600
    assert text.replace(" ", "").count("y") >= 10_000


def test_without_optional_parts() -> None:
    summary = sample(
        date_of_birth=None,
        signoffs=(),
        overrides=(),
        consent_version=None,
        consent_signed_name=None,
        consent_date=None,
        signature_png=None,
        clinic=ClinicSettings(),
        answers=(),
        verdicts=(),
    )
    text = pdf_text(render_screening_summary(summary))
    for expected in (
        "Not recorded",
        "No treatments were assessed.",
        "No answers were recorded.",
        "None recorded.",
        "No consent form is recorded with this screening.",
    ):
        assert expected in text


def test_images_are_embedded_and_damaged_ones_are_left_out() -> None:
    def image_count(pdf: bytes) -> int:
        return sum(len(page.images) for page in reader(pdf).pages)

    assert image_count(render_screening_summary(sample())) == 2  # logo and signature
    clinic = dataclasses.replace(sample().clinic, logo_png=b"\x89PNG\r\n\x1a\nbroken")
    damaged = render_screening_summary(sample(clinic=clinic, signature_png=b"not a png"))
    assert image_count(damaged) == 0
    assert LONG_NAME in pdf_text(damaged)


def test_date_of_birth_format_is_locale_free() -> None:
    assert format_date_of_birth(date(1985, 4, 3)) == "3 Apr 1985"
    assert format_date_of_birth(date(2001, 12, 25)) == "25 Dec 2001"


CONSENT_WORDS = (
    "Consent to treatment\n\n"
    "I have answered the health questions honestly\nand as fully as I can.\n\n"
    "The practitioner has explained the treatment to me.\n\n"
    "I understand the common effects and the rarer risks.\n\n"
    "I know I can change my mind and stop at any time."
)


@pytest.mark.parametrize("answers", [4, 40, 70])
@pytest.mark.parametrize("large_print", [False, True])
def test_consent_prints_with_its_words_and_the_signature_after_them(
    answers: int, large_print: bool
) -> None:
    # The consent used to sit alone on a last page: a version number and a signature, with
    # none of the words signed. Enough answers push it to every point of a page.
    lines = tuple(
        AnswerLine("Medical history", f"Question number {n} about your health?", "No")
        for n in range(answers)
    )
    summary = sample(
        answers=lines, consent_version="1", consent_text=CONSENT_WORDS, large_print=large_print
    )
    pages = page_texts(render_screening_summary(summary))
    text = " ".join(pages)
    for block in CONSENT_WORDS.split("\n\n"):
        assert " ".join(block.split()) in text
    assert "Version 1" in text
    heading_page = next(p for p in pages if "Consent Consent to treatment" in p)
    assert "I have answered the health questions honestly" in heading_page
    signature_page = next(p for p in pages if " Signature " in f" {p} ")
    assert "I know I can change my mind and stop at any time." in signature_page
