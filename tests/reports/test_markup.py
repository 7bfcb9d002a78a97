"""User text reaches reportlab escaped and font-tagged, and prints exactly as typed."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reportlab.platypus import Paragraph

from exodesk.domain.clinic import ClinicSettings
from exodesk.reports.document import (
    DocumentSetup,
    alert_box,
    callout,
    content_width,
    make_styles,
    para,
    render_document,
)
from exodesk.reports.fonts import CJK, EMOJI_PLACEHOLDER, PLACEHOLDER
from exodesk.reports.markup import escape, para_markup, para_text
from tests.reports.pdftools import page_texts, pdf_text

HOSTILE = [
    "<b>bold</b>",
    "Allergy: <latex",
    "&amp;",
    "a < b > c & d",
    "<font name='Nope'>x</font>",
    "<br/><para>",
    "&#x41; &lt; &nbsp;",
    "]]> <!-- --> <?xml?>",
]


def render(*texts: str, large_print: bool = False) -> bytes:
    styles = make_styles(large_print)
    setup = DocumentSetup(ClinicSettings(name="Test clinic"), "Markup test", date(2026, 1, 2))
    return render_document(setup, [Paragraph(para_text(t), styles.body) for t in texts], styles)


def test_escape_covers_markup_characters() -> None:
    assert escape("<b>&</b>") == "&lt;b&gt;&amp;&lt;/b&gt;"


def test_para_text_escapes_and_breaks_lines() -> None:
    assert para_text("<b>bold</b>") == "&lt;b&gt;bold&lt;/b&gt;"
    assert para_text("one\ntwo\r\nthree") == "one<br/>two<br/>three"


def test_para_text_wraps_only_fallback_runs_in_font_tags() -> None:
    assert para_text("Mr 李 & co") == f'Mr <font name="{CJK}">李 </font>&amp; co'


def test_para_markup_reports_missing_characters() -> None:
    result = para_markup("Needle \u1200 phobia 🧪")
    assert result.missing == ("\u1200", "🧪")
    assert PLACEHOLDER in result.markup
    assert EMOJI_PLACEHOLDER in result.markup


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_prints_as_typed(text: str) -> None:
    assert text in pdf_text(render(f"Note: {text} end"))


def test_newlines_print_as_separate_lines() -> None:
    pdf = render("first line\nsecond line")
    assert "first line\nsecond line" in (
        # pypdf puts each printed line on its own line
        "\n".join(line.strip() for line in _raw_text(pdf).splitlines())
    )


def _raw_text(pdf: bytes) -> str:
    from tests.reports.pdftools import reader

    return "\n".join(page.extract_text() for page in reader(pdf).pages)


def test_ten_thousand_characters_flow_over_pages_and_read_back() -> None:
    words = " ".join(f"word{i:04d}" for i in range(1112))  # 10,000 characters
    assert len(words) >= 10_000
    pages = page_texts(render(words))
    assert len(pages) > 1
    # Every word, in order, with only the running header and footer between pages.
    assert re.findall(r"word\d{4}", " ".join(pages)) == words.split()


def test_ten_thousand_characters_without_a_space_do_not_crash() -> None:
    blob = "x" * 10_000
    assert pdf_text(render(blob)).replace(" ", "").count("x") >= 10_000


def test_emoji_prints_as_a_reported_placeholder_without_crashing() -> None:
    text = "Happy 😀 tube 🧪 heart ❤"
    assert para_markup(text).missing == ("😀", "🧪")
    assert f"Happy {EMOJI_PLACEHOLDER} tube {EMOJI_PLACEHOLDER} heart ❤" in pdf_text(render(text))


@given(st.text(max_size=80))
@settings(max_examples=40, deadline=None)
def test_any_text_renders(text: str) -> None:
    assert render(text).startswith(b"%PDF-")


def test_callout_and_alert_box_print_their_items_as_typed() -> None:
    styles = make_styles()
    width = content_width("A4")
    setup = DocumentSetup(ClinicSettings(name="Clinic"), "Aftercare", date(2026, 1, 2))
    story = [
        callout("Call us if", ["it gets <worse> & hot", "李小龍 asks"], styles, width),
        alert_box("Override", ["Given after <review>"], styles, width),
        para("Plain <para> 李", styles.body),
    ]
    pdf = render_document(setup, story, styles)
    text = pdf_text(pdf)
    for expected in ("Call us if", "it gets <worse> & hot", "李小龍 asks", "Given after <review>"):
        assert expected in text
    assert "Plain <para> 李" in text


def test_a_footer_too_long_for_the_line_is_shortened_with_an_ellipsis() -> None:
    setup = DocumentSetup(
        ClinicSettings(name="Clinic"), "Aftercare", date(2026, 1, 2), subject="Name " * 60
    )
    pages = page_texts(render_document(setup, [para("x", make_styles().body)]))
    assert "Aftercare — Name Name" in pages[0]
    assert "…" in pages[0]
    assert 10 < pages[0].count("Name") < 60
    assert "Page 1 of 1" in pages[0]
