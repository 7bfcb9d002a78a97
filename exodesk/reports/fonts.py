"""Bundled TrueType fonts: registration, and per-character fallback so every name prints."""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

import uharfbuzz
from bidi import get_display
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
DEVANAGARI = "ExoDevanagari"  # Noto Sans Devanagari: Hindi, Marathi, Nepali

FONT_FILES: dict[str, str] = {
    SANS: "DejaVuSans.ttf",
    SANS_BOLD: "DejaVuSans-Bold.ttf",
    CJK: "DroidSansFallback.ttf",
    DEVANAGARI: "NotoSansDevanagari-Regular.ttf",
}

# The order fonts are tried in for each character: the main font first, so digits and
# punctuation look the same everywhere, then the fallbacks. DejaVu Sans has Arabic and
# Hebrew, with the OpenType tables HarfBuzz needs to join Arabic letters.
FALLBACK_ORDER: tuple[str, ...] = (SANS, CJK, DEVANAGARI)

# Printed in place of a character no bundled font can draw. U+FFFD (a diamond with a question
# mark, drawn by DejaVu Sans) is the conventional "unknown character" sign; unlike an empty
# box it cannot be mistaken for a real letter or a tick box on a form.
PLACEHOLDER = "\ufffd"

# Printed in place of each emoji (with its skin tone, joiners and variation selectors). No
# bundled font draws emoji, and a colour or outline emoji font would add megabytes for a
# picture that says little on a clinical record; a word in brackets tells the reader plainly
# that the name or note holds an emoji there, where a diamond would look like a fault.
EMOJI_PLACEHOLDER = "[emoji]"

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
        for name in FALLBACK_ORDER[1:]:
            _coverage[name] = cmaps[name]


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


_ZWJ = "\u200d"
# Joiners and variation selectors: invisible, and dropped when no font has them.
_INVISIBLE = frozenset("\u200c\u200d\ufe0e\ufe0f")
# What continues an emoji rather than starting a new one: a joiner, a variation selector,
# a skin tone, a keycap, a tag (subdivision flags).
_EMOJI_TAIL = frozenset("\u200d\ufe0e\ufe0f\u20e3") | {chr(c) for c in range(0x1F3FB, 0x1F400)}
_REGIONAL = range(0x1F1E6, 0x1F200)


def _is_emoji_part(char: str) -> bool:
    code = ord(char)
    return (
        0x1F000 <= code <= 0x1FAFF
        or 0x2600 <= code <= 0x27BF
        or 0x2B00 <= code <= 0x2BFF
        or 0xE0020 <= code <= 0xE007F
        or char in _EMOJI_TAIL
    )


def _continues_emoji(previous: str, char: str) -> bool:
    """Whether ``char`` belongs to the emoji that ``previous`` is part of (one placeholder)."""
    if not previous or not _is_emoji_part(previous):
        return False
    if char in _EMOJI_TAIL or 0xE0020 <= ord(char) <= 0xE007F or previous == _ZWJ:
        return True
    # A flag is two regional indicators; a third starts the next flag (good enough: a name
    # with two flags in a row prints one or two placeholders, never a diamond).
    return ord(char) in _REGIONAL and ord(previous) in _REGIONAL


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
    previous = ""
    in_emoji = False
    for char in _normalise(text):
        if char == "\n" or (
            char.isspace() and current_font is not None and ord(char) in _coverage[current_font]
        ):
            # Whitespace has no glyph to get wrong: keep it in the current run.
            if current_font is None:
                current_font = SANS
            buffer.append(char)
            previous = char
            continue
        font = font_for_char(char)
        if in_emoji and _continues_emoji(previous, char) and (font is None or char in _EMOJI_TAIL):
            # The rest of an emoji already printed as one placeholder.
            if char not in _EMOJI_TAIL:
                missing[char] = None
            previous = char
            continue
        in_emoji = False
        previous = char
        if font is None and _is_emoji_part(char) and char not in _INVISIBLE:
            missing[char] = None
            in_emoji = True
            font, char = SANS, EMOJI_PLACEHOLDER
        elif font is None and char in _INVISIBLE:
            # A joiner or variation selector outside an emoji: nothing to print.
            continue
        elif font is None or unicodedata.category(char) in ("Cc", "Cs"):
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


# Bidirectional classes of right-to-left letters (Hebrew; Arabic, Syriac, Thaana).
_RTL = frozenset(("R", "AL"))
_JOINERS = frozenset("\u200c\u200d")


def _has_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(c) in _RTL for c in text)


def _in_rtl_word(char: str) -> bool:
    return unicodedata.bidirectional(char) in (*_RTL, "NSM") or char in _JOINERS


def visual_order(text: str) -> str:
    """Return ``text`` with each line's words in the order they are seen, left to right.

    Lines holding right-to-left letters are laid out by the Unicode bidirectional algorithm
    (python-bidi), as the screen does: an Arabic or Hebrew name reads from the right, and a
    Latin word or a number inside it keeps its own direction. The letters of each
    right-to-left word are then put back in reading order, because shaping (``layout``)
    needs them so to join Arabic letters, and draws them right to left itself. Lines with
    no right-to-left letter are returned unchanged.

    A paragraph that wraps is laid out line by line as typed, before wrapping: a right-to-
    left note longer than one printed line keeps its words in order within each typed line,
    but its printed lines are broken from the left.
    """
    lines = []
    for line in text.split("\n"):
        if _has_rtl(line):
            seen = get_display(line)
            parts: list[str] = []
            i = 0
            while i < len(seen):
                j = i
                while j < len(seen) and _in_rtl_word(seen[j]):
                    j += 1
                if j > i:
                    word = seen[i:j]
                    parts.append(word[::-1] if _has_rtl(word) else word)
                    i = j
                else:
                    parts.append(seen[i])
                    i += 1
            line = "".join(parts)
        lines.append(line)
    return "\n".join(lines)


def _needs_shaping(char: str) -> bool:
    code = ord(char)
    # Hebrew, Arabic, Syriac, Thaana, Arabic supplements; Devanagari and its extension.
    return 0x0590 <= code <= 0x08FF or 0x0900 <= code <= 0x097F or 0xA8E0 <= code <= 0xA8FF


def _joins_cluster(char: str) -> bool:
    return unicodedata.category(char) in ("Mn", "Mc", "Me") or char in _JOINERS


# Fonts whose runs are shaped: DejaVu Sans for Arabic and Hebrew, Noto for Devanagari.
_SHAPED = (SANS, DEVANAGARI)
_shape_lock = threading.Lock()


def _shape_word(word: str, name: str) -> str:
    """Shape one word of one script with HarfBuzz; return it as characters in visual order.

    Each glyph HarfBuzz picks becomes the character that the font maps to it (an Arabic
    letter's joined form is a presentation-form character), or, for a glyph no character
    maps to (a Devanagari conjunct), a private-use character reportlab registers for it.
    """
    ttf = cast(Any, pdfmetrics.getFont(name))
    with _shape_lock:
        hb_font = ttf.hbFont(1000)  # also sets ttf.hbAddPrivate
        buffer = uharfbuzz.Buffer()
        buffer.add_str(word)
        buffer.guess_segment_properties()
        uharfbuzz.shape(hb_font, buffer, {})
        out: list[str] = []
        for info, position in zip(buffer.glyph_infos, buffer.glyph_positions, strict=True):
            glyph = info.codepoint
            if glyph == 0:
                continue  # .notdef: a joiner the font does not draw
            chars = ttf.face.glyphToChar.get(glyph)
            if chars:
                out.append(chr(chars[0]))
            else:
                advance = round(ttf.pdfScale(position.x_advance))
                name_ = hb_font.glyph_to_string(glyph)
                out.append(chr(ttf.hbAddPrivate(name_, glyph, advance)))
        return "".join(out)


def _shape_run(run: TextRun) -> TextRun:
    if run.font not in _SHAPED or not any(_needs_shaping(c) for c in run.text):
        return run
    parts: list[str] = []
    i = 0
    text = run.text
    while i < len(text):
        if _needs_shaping(text[i]):
            j = i + 1
            while j < len(text) and (_needs_shaping(text[j]) or _joins_cluster(text[j])):
                j += 1
            parts.append(_shape_word(text[i:j], run.font))
            i = j
        else:
            parts.append(text[i])
            i += 1
    return TextRun("".join(parts), run.font)


def layout(text: str) -> FontRuns:
    """Split ``text`` into font runs ready to draw: in visual order, shaped, with fallbacks.

    ``split_runs`` picks the fonts; ``visual_order`` orders right-to-left words as the screen
    shows them; HarfBuzz (uharfbuzz) joins Arabic letters and builds Devanagari conjuncts
    and vowel signs. Draw the runs' text as it is, left to right.
    """
    fonted = split_runs(visual_order(_normalise(text)))
    return FontRuns(tuple(_shape_run(run) for run in fonted.runs), fonted.missing)


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
    runs = layout(text.replace("\n", " ")).runs
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
    fonted = layout(text.replace("\n", " "))
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
