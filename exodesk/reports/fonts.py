"""Bundled TrueType fonts: registration, and per-character fallback so every name prints."""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from exodesk.paths import RESOURCES

FONT_DIR = RESOURCES / "fonts"

# Names under which the fonts are registered with reportlab. Our own names (not the fonts'
# PostScript names) so a font of the same name registered elsewhere cannot clash with ours.
SANS = "ExoSans"  # DejaVu Sans: Latin (incl. Polish, Turkish, Vietnamese), Greek, Cyrillic
SANS_BOLD = "ExoSans-Bold"
CJK = "ExoCJK"  # Droid Sans Fallback: Chinese, Japanese kana, Korean Hangul

FONT_FILES: dict[str, str] = {
    SANS: "DejaVuSans.ttf",
    SANS_BOLD: "DejaVuSans-Bold.ttf",
    CJK: "DroidSansFallback.ttf",
}

# The order fonts are tried in for each character: the main font first, so digits and
# punctuation look the same everywhere, then the fallback.
FALLBACK_ORDER: tuple[str, ...] = (SANS, CJK)

# Printed in place of a character no bundled font can draw. U+FFFD (a diamond with a question
# mark, drawn by DejaVu Sans) is the conventional "unknown character" sign; unlike an empty
# box it cannot be mistaken for a real letter or a tick box on a form.
PLACEHOLDER = "\ufffd"

_lock = threading.Lock()
_coverage: dict[str, frozenset[int]] = {}


@dataclass(frozen=True)
class TextRun:
    """A stretch of text drawn in one font.

    Attributes:
        text: The characters, already normalised (missing ones replaced by ``PLACEHOLDER``).
        font: The registered font name (``SANS`` or ``CJK``); a bold context turns ``SANS``
            into ``SANS_BOLD`` through the registered family.
    """

    text: str
    font: str


@dataclass(frozen=True)
class FontRuns:
    """Text split into per-font runs, plus the characters that could not be drawn.

    Attributes:
        runs: The runs in reading order; adjacent runs never share a font.
        missing: Each character no bundled font has, once, in order of first appearance.
    """

    runs: tuple[TextRun, ...]
    missing: tuple[str, ...]

    @property
    def text(self) -> str:
        """The text as it will print (with placeholders)."""
        return "".join(run.text for run in self.runs)

    @property
    def fonts_used(self) -> tuple[str, ...]:
        """The fonts the runs use, each once, in order of first use."""
        return tuple(dict.fromkeys(run.font for run in self.runs))


def register_fonts() -> None:
    """Register the bundled fonts with reportlab by absolute path; safe to call repeatedly.

    Raises:
        FileNotFoundError: when a bundled font file is missing from the resources folder.
    """
    with _lock:
        if _coverage:
            return
        for name, file_name in FONT_FILES.items():
            path = FONT_DIR / file_name
            if not path.is_file():
                raise FileNotFoundError(f"The bundled font {file_name} is missing from {FONT_DIR}.")
            pdfmetrics.registerFont(TTFont(name, str(path)))
        # <b> in a paragraph maps SANS to SANS_BOLD; there is no italic face, so italic stays
        # upright rather than failing.
        pdfmetrics.registerFontFamily(
            SANS, normal=SANS, bold=SANS_BOLD, italic=SANS, boldItalic=SANS_BOLD
        )
        cmaps = {name: _cmap(name) for name in FONT_FILES}
        # A character counts as "in the main font" only when both weights have it, so text
        # split once prints correctly whether the paragraph around it is bold or not.
        _coverage[SANS] = cmaps[SANS] & cmaps[SANS_BOLD]
        _coverage[CJK] = cmaps[CJK]


def _cmap(name: str) -> frozenset[int]:
    # getFont is typed as the base Font; every name in FONT_FILES was registered as a TTFont.
    font = cast(TTFont, pdfmetrics.getFont(name))
    # Only the Basic Multilingual Plane: reportlab writes a malformed ToUnicode entry for
    # characters beyond it (an odd-length hex string, not a UTF-16 pair), so an emoji DejaVu
    # does draw would still come back wrong when the PDF is searched, copied or read aloud.
    return frozenset(code for code in font.face.charToGlyph if code <= 0xFFFF)


def has_glyph(font: str, char: str) -> bool:
    """Return whether the registered font ``font`` can draw the single character ``char``."""
    register_fonts()
    return ord(char) in _coverage.get(font, frozenset())


def font_for_char(char: str) -> str | None:
    """Return the first font in ``FALLBACK_ORDER`` that draws ``char``, or None if none does."""
    register_fonts()
    code = ord(char)
    for font in FALLBACK_ORDER:
        if code in _coverage[font]:
            return font
    return None


def font_for_text(text: str) -> str:
    """Return the one font that best draws all of ``text``.

    For places that take a single font (a canvas string, a PDF field): the first font in
    ``FALLBACK_ORDER`` that has every character, otherwise the one that has the most.
    Use ``split_runs`` where mixed fonts are possible.
    """
    register_fonts()
    codes = {ord(c) for c in _normalise(text) if not c.isspace()}
    best, best_count = SANS, -1
    for font in FALLBACK_ORDER:
        count = len(codes & _coverage[font])
        if count == len(codes):
            return font
        if count > best_count:
            best, best_count = font, count
    return best


# Line and paragraph separators of every convention become a newline, a tab a space: they
# have no glyph, and reportlab would draw a missing-glyph box for them on a canvas.
_WHITESPACE = str.maketrans(
    dict.fromkeys("\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029", "\n") | {"\t": " "}
)


def _normalise(text: str) -> str:
    # NFC so a name typed with combining accents (as macOS keyboards may send it) uses the
    # precomposed letters the fonts have; reportlab does no glyph shaping of its own.
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n")
    return text.translate(_WHITESPACE)


def split_runs(text: str) -> FontRuns:
    """Split ``text`` into runs, each drawn by a bundled font that has its glyphs.

    Newlines are kept (in whichever run they fall); a space joins the run it follows so
    a CJK name with spaces stays one run. A character no bundled font has, or a control
    character, becomes ``PLACEHOLDER`` in the main font and is listed in ``missing``.

    Args:
        text: Any user or clinic text.

    Returns:
        The runs and the characters that could not be drawn.
    """
    register_fonts()
    runs: list[TextRun] = []
    missing: dict[str, None] = {}
    current_font: str | None = None
    buffer: list[str] = []
    for char in _normalise(text):
        if char == "\n" or (
            char.isspace() and current_font is not None and ord(char) in _coverage[current_font]
        ):
            # Whitespace has no glyph to get wrong: keep it in the current run.
            if current_font is None:
                current_font = SANS
            buffer.append(char)
            continue
        font = font_for_char(char)
        if font is None or unicodedata.category(char) in ("Cc", "Cs"):
            missing[char] = None
            font, char = SANS, PLACEHOLDER
        if font != current_font and buffer:
            runs.append(TextRun("".join(buffer), current_font or SANS))
            buffer = []
        current_font = font
        buffer.append(char)
    if buffer:
        runs.append(TextRun("".join(buffer), current_font or SANS))
    return FontRuns(tuple(runs), tuple(missing))


def missing_glyphs(texts: Iterable[str]) -> tuple[str, ...]:
    """Return each character in ``texts`` that no bundled font can draw, once, in order."""
    found: dict[str, None] = {}
    for text in texts:
        for char in split_runs(text).missing:
            found[char] = None
    return tuple(found)


def _face(font: str, bold: bool) -> str:
    return SANS_BOLD if bold and font == SANS else font


def string_width(text: str, size: float, *, bold: bool = False) -> float:
    """Return the printed width in points of one line of ``text`` at ``size``, with fallback."""
    runs = split_runs(text.replace("\n", " ")).runs
    return sum(pdfmetrics.stringWidth(r.text, _face(r.font, bold), size) for r in runs)


def draw_string(
    canvas: Canvas,
    x: float,
    y: float,
    text: str,
    size: float,
    *,
    bold: bool = False,
    align: str = "left",
) -> FontRuns:
    """Draw one line of ``text`` on a canvas, switching fonts per run.

    Args:
        canvas: The reportlab canvas to draw on (its fill colour is used).
        x: The left edge, or the right edge when ``align`` is "right", or the centre.
        y: The baseline.
        text: The text; newlines are drawn as spaces.
        size: Font size in points.
        bold: Draw the main font's runs in bold.
        align: "left", "right" or "centre".

    Returns:
        The runs drawn, with any characters that had to be replaced.
    """
    fonted = split_runs(text.replace("\n", " "))
    width = sum(pdfmetrics.stringWidth(r.text, _face(r.font, bold), size) for r in fonted.runs)
    if align == "right":
        x -= width
    elif align == "centre":
        x -= width / 2
    for run in fonted.runs:
        face = _face(run.font, bold)
        canvas.setFont(face, size)
        canvas.drawString(x, y, run.text)
        x += pdfmetrics.stringWidth(run.text, face, size)
    return fonted
