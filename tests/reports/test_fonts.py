"""Bundled fonts: registration, per-character fallback runs, and the fonts a real PDF uses."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Paragraph

from exodesk.domain.clinic import ClinicSettings
from exodesk.reports import fonts
from exodesk.reports.document import DocumentSetup, make_styles, render_document
from exodesk.reports.fonts import (
    CJK,
    DEVANAGARI,
    EMOJI_PLACEHOLDER,
    FONT_DIR,
    FONT_FILES,
    PLACEHOLDER,
    SANS,
    SANS_BOLD,
    TextRun,
    font_for_char,
    font_for_text,
    has_glyph,
    layout,
    missing_glyphs,
    register_fonts,
    split_runs,
)
from exodesk.reports.markup import para_text
from tests.reports.pdftools import base_name, drawn_text, fonts_drawing, page_fonts, pdf_text

NAMES = {
    "latin": "Zoë Ñúñez",
    "polish": "Łukasz Wąsowski",
    "turkish": "Şükrü Öztürk",
    "greek": "Γιώργος Παπαδόπουλος",
    "chinese": "李小龍",
}
CJK_NAMES = ["李小龍", "山田はなこ", "김민준"]
# An Ethiopic syllable: no bundled font has Ethiopic (emoji have their own placeholder).
NO_FONT_HAS = "\u1200"


def render_lines(*lines: str, bold: bool = False) -> bytes:
    styles = make_styles()
    style = styles.body_bold if bold else styles.body
    setup = DocumentSetup(ClinicSettings(name="Test clinic"), "Font test", date(2026, 1, 2))
    return render_document(setup, [Paragraph(para_text(line), style) for line in lines], styles)


def test_font_files_are_bundled_truetype_with_licences() -> None:
    for file_name in FONT_FILES.values():
        data = (FONT_DIR / file_name).read_bytes()
        # TrueType outlines start 00 01 00 00 (or "true"); CFF-flavoured OpenType starts "OTTO",
        # which reportlab cannot embed.
        assert data[:4] in (b"\x00\x01\x00\x00", b"true"), file_name
    assert (FONT_DIR / "LICENSE-DejaVu.txt").is_file()
    assert (FONT_DIR / "LICENSE-DroidSansFallback.txt").is_file()
    assert (FONT_DIR / "LICENSE-NotoSansDevanagari.txt").is_file()
    total = sum(p.stat().st_size for p in FONT_DIR.iterdir())
    assert total < 8_000_000


def test_register_fonts_is_idempotent() -> None:
    register_fonts()
    first = pdfmetrics.getFont(SANS)
    register_fonts()
    assert pdfmetrics.getFont(SANS) is first
    for name in (SANS, SANS_BOLD, CJK, DEVANAGARI):
        assert pdfmetrics.getFont(name).face.filename.startswith(str(FONT_DIR))


@pytest.mark.parametrize("name", list(NAMES.values())[:4])
def test_european_names_are_one_run_in_the_main_font(name: str) -> None:
    runs = split_runs(name)
    assert runs.runs == (TextRun(name, SANS),)
    assert runs.missing == ()


@pytest.mark.parametrize("name", CJK_NAMES)
def test_cjk_names_use_the_fallback_font(name: str) -> None:
    runs = split_runs(name)
    assert runs.fonts_used == (CJK,)
    assert runs.text == name
    assert runs.missing == ()
    assert font_for_text(name) == CJK


def test_mixed_text_switches_font_per_run_and_keeps_spaces_with_the_run() -> None:
    runs = split_runs("Bruce 李小龍 (Lee)")
    assert runs.runs == (
        TextRun("Bruce ", SANS),
        TextRun("李小龍 ", CJK),
        TextRun("(Lee)", SANS),
    )


def test_a_character_no_font_has_becomes_a_reported_placeholder() -> None:
    runs = split_runs(f"Tube {NO_FONT_HAS} here {NO_FONT_HAS}")
    assert runs.text == f"Tube {PLACEHOLDER} here {PLACEHOLDER}"
    assert runs.missing == (NO_FONT_HAS,)
    assert font_for_char(NO_FONT_HAS) is None
    assert missing_glyphs(["ok", f"a{NO_FONT_HAS}", "\x00"]) == (NO_FONT_HAS, "\x00")


def test_control_characters_are_placeholders_and_separators_are_newlines() -> None:
    runs = split_runs("a\x00b\tc\r\nd\u2028e")
    assert runs.text == f"a{PLACEHOLDER}b c\nd\ne"
    assert runs.missing == ("\x00",)


def test_decomposed_accents_are_composed_so_the_font_has_them() -> None:
    assert split_runs("Zoe\u0308").text == "Zoë"


def test_main_font_coverage_holds_for_both_weights() -> None:
    # U+1D5A0 is in DejaVu Sans but not DejaVu Sans Bold: bold text would print a box.
    assert not has_glyph(SANS, "\U0001d5a0")
    for char in "Łąęśźż ŞşĞğİı ΓιώργοςЖ":
        assert has_glyph(SANS, char)


@given(st.text(max_size=60))
@settings(max_examples=200, deadline=None)
def test_every_run_is_drawable_by_its_font(text: str) -> None:
    result = split_runs(text)
    for run in result.runs:
        for char in run.text:
            assert char == "\n" or char == PLACEHOLDER or has_glyph(run.font, char)
    for char in result.missing:
        assert font_for_char(char) is None or unicodedata.category(char) in ("Cc", "Cs")


def test_names_in_five_scripts_print_with_the_font_that_has_their_glyphs() -> None:
    pdf = render_lines(*NAMES.values())
    text = pdf_text(pdf)
    for name in NAMES.values():
        assert name in text
    for key, name in NAMES.items():
        expected = "DroidSansFallback" if key == "chinese" else "DejaVuSans"
        used = {base_name(f) for f in fonts_drawing(pdf, name)}
        assert used == {expected}, (name, used)


def test_bold_text_uses_the_bold_face_and_cjk_stays_in_its_font() -> None:
    pdf = render_lines("Łukasz 李小龍", bold=True)
    chunks = {c.text.strip(): base_name(c.font) for c in drawn_text(pdf)}
    assert chunks["Łukasz"] == "DejaVuSans-Bold"
    assert chunks["李小龍"] == "DroidSansFallback"


def test_page_resources_hold_only_bundled_fonts_and_cjk_only_when_needed() -> None:
    latin = page_fonts(render_lines("Zoë Ñúñez"))
    assert all({base_name(f) for f in page} <= {"DejaVuSans", "DejaVuSans-Bold"} for page in latin)
    mixed = page_fonts(render_lines("Zoë", "李小龍"))
    assert "DroidSansFallback" in {base_name(f) for f in mixed[0]}


def test_missing_character_prints_a_placeholder_not_a_box() -> None:
    pdf = render_lines(f"Likes {NO_FONT_HAS} tubes")
    assert f"Likes {PLACEHOLDER} tubes" in pdf_text(pdf)


def test_draw_string_reports_what_it_drew(tmp_path) -> None:
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(tmp_path / "x.pdf"), invariant=1)
    drawn = fonts.draw_string(canvas, 10, 10, f"Zoë 李 {NO_FONT_HAS}", 10, align="right")
    canvas.save()
    assert drawn.fonts_used == (SANS, CJK)
    assert drawn.missing == (NO_FONT_HAS,)
    assert fonts.string_width("李", 10) > 0


# Names as a reception would type them; each must print as the screen shows it.
WORLD_NAMES = {
    "arabic": "محمد علي",
    "hebrew": "שרה כהן",
    "chinese": "王小明",
    "devanagari": "प्रिया शर्मा",
}


def test_arabic_and_hebrew_names_print_right_to_left_and_joined() -> None:
    pdf = render_lines(*WORLD_NAMES.values(), f"{WORLD_NAMES['arabic']} and Ali")
    # pypdf reads right-to-left text back in reading order (as a viewer's copy and paste
    # does): a name drawn left to right in typed order, as before, reads back reversed.
    text = unicodedata.normalize("NFKC", pdf_text(pdf))
    for key in ("arabic", "hebrew", "chinese"):
        assert WORLD_NAMES[key] in text, key
    # Joined Arabic letters are the contextual forms (initial, medial, final), not the
    # isolated letters a PDF without shaping shows.
    arabic = next(c.text for c in drawn_text(pdf) if "\ufe8e" <= c.text[:1] <= "\ufeff")
    assert all(0xFE70 <= ord(c) <= 0xFEFF for c in arabic.strip() if not c.isspace())
    assert "\ufffd" not in text


def test_words_of_a_right_to_left_name_are_laid_out_from_the_right() -> None:
    # Drawn left to right: the last word typed comes first; each word's letters are
    # shaped (joined forms) and drawn from the right.
    shaped = layout("محمد علي").text
    first, second = shaped.split(" ")
    assert unicodedata.normalize("NFKC", first) == "يلع"  # علي, drawn from the right
    assert unicodedata.normalize("NFKC", second) == "دمحم"  # محمد
    assert layout("שרה כהן").text == "ןהכ הרש"
    # A Latin word inside right-to-left text keeps its own direction, and digits follow
    # the Unicode bidirectional algorithm (as on screen).
    assert layout("שרה Smith כהן").text == "ןהכ Smith הרש"
    assert layout("Dr שרה כהן 42").text == "Dr 42 ןהכ הרש"
    assert layout("Zoë Ñúñez").text == "Zoë Ñúñez"


def test_devanagari_names_are_shaped_with_the_devanagari_font() -> None:
    name = WORLD_NAMES["devanagari"]
    pdf = render_lines(name)
    used = {base_name(f) for f in fonts_drawing(pdf, "य")}
    assert used == {"NotoSansDevanagari-Regular"}
    drawn = layout("हिंदी").text
    # The vowel sign i is drawn before its consonant (ह) although typed after it, as the
    # screen shows it; unshaped text would draw it after, with a dotted circle.
    assert drawn.index("ह") == 1
    assert drawn[0] not in "हिंदी"
    assert "\ufffd" not in pdf_text(pdf)


def test_emoji_print_as_one_clear_placeholder_each() -> None:
    pdf = render_lines("Anna 🌸 Smith", "Family 👨\u200d👩\u200d👧 🇬🇧 👍🏽 end")
    text = pdf_text(pdf)
    assert f"Anna {EMOJI_PLACEHOLDER} Smith" in text
    assert f"Family {EMOJI_PLACEHOLDER} {EMOJI_PLACEHOLDER} {EMOJI_PLACEHOLDER} end" in text
    assert "\ufffd" not in text
    assert split_runs("Anna 🌸").missing == ("🌸",)


@given(st.text(max_size=60))
@settings(max_examples=200, deadline=None)
def test_every_laid_out_character_has_a_glyph_in_its_font(text: str) -> None:
    for run in layout(text).runs:
        face = pdfmetrics.getFont(run.font).face
        for char in run.text:
            assert char == "\n" or ord(char) in face.charToGlyph, (run, char)


def test_canvas_strings_are_shaped_too(tmp_path) -> None:
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(tmp_path / "x.pdf"), invariant=1)
    drawn = fonts.draw_string(canvas, 10, 10, "שרה כהן", 10, align="right")
    canvas.save()
    assert drawn.text == "ןהכ הרש"
