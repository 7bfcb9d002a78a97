"""Colours on screen that stay readable under any palette: light, dark or high contrast.

Windows hands Qt the user's palette (dark mode, a high-contrast theme). A colour written into
the code meets that palette's other colour, so a widget never sets only one of the two: either
both come from the palette (roles), or the text colour is chosen for the background it will
sit on. ``ink`` takes the colour a design asks for (a red for an error, a grey for a note) and
moves its lightness, keeping its hue, until it reaches the WCAG ratio against the background:
the same red on a white form, a lighter red on a dark one, and whatever the palette's own text
is under a high-contrast theme if no shade of it would do.
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtGui import QBrush, QColor, QGuiApplication, QPalette

NORMAL_TEXT = 4.5
"""WCAG 2.x AA contrast for body text (3.0 would do for 18 pt, or 14 pt bold)."""

# Named intentions, as designed for a light window; ``ink`` adapts each to the real background.
ERROR = "#b00020"
WARNING = "#8a1c1c"
CAUTION = "#8a5300"
GOOD = "#1b5e20"
NOTE = "#555555"
FADED = "#777777"


def luminance(colour: QColor) -> float:
    """WCAG relative luminance of an sRGB colour."""

    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.redF())
        + 0.7152 * channel(colour.greenF())
        + 0.0722 * channel(colour.blueF())
    )


def contrast(a: QColor, b: QColor) -> float:
    """The WCAG contrast ratio of two colours, 1 to 21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def is_dark(palette: QPalette | None = None) -> bool:
    """True when the palette's window is darker than its text (dark mode, most high-contrast
    themes)."""
    palette = palette or QGuiApplication.palette()
    window = palette.color(QPalette.ColorRole.Window)
    text = palette.color(QPalette.ColorRole.WindowText)
    return luminance(window) < luminance(text)


def backgrounds(palette: QPalette | None = None) -> tuple[QColor, ...]:
    """What a label's text may sit on: the window, the base of a form or list, a button's
    face, and the window a shade towards its text (tab pages and group boxes)."""
    palette = palette or QGuiApplication.palette()
    window = palette.color(QPalette.ColorRole.Window)
    return (
        window,
        palette.color(QPalette.ColorRole.Base),
        palette.color(QPalette.ColorRole.AlternateBase),
        palette.color(QPalette.ColorRole.Button),
        blend(window, palette.color(QPalette.ColorRole.WindowText), 0.12),
    )


def blend(a: QColor, b: QColor, amount: float) -> QColor:
    """``a`` moved ``amount`` (0 to 1) of the way towards ``b``."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * amount,
        a.greenF() + (b.greenF() - a.greenF()) * amount,
        a.blueF() + (b.blueF() - a.blueF()) * amount,
    )


def ink(
    colour: str | QColor,
    background: QColor | tuple[QColor, ...] | None = None,
    ratio: float = NORMAL_TEXT,
) -> str:
    """``colour``, made light or dark enough to read at ``ratio`` on ``background`` (one colour
    or several; by default everything the palette puts behind a label, see ``backgrounds``), as
    ``#rrggbb``."""
    if background is None:
        behind = backgrounds()
    elif isinstance(background, QColor):
        behind = (background,)
    else:
        behind = background
    return _ink(QColor(colour).rgb(), tuple(c.rgb() for c in behind), ratio)


@lru_cache(maxsize=256)
def _ink(colour: int, behind: tuple[int, ...], ratio: float) -> str:
    wanted = QColor.fromRgb(colour)
    grounds = [QColor.fromRgb(c) for c in behind]

    def readable(candidate: QColor) -> bool:
        return all(contrast(candidate, ground) >= ratio for ground in grounds)

    if readable(wanted):
        return wanted.name()
    # Away from the background: lighter on a dark one, darker on a light one.
    lighter = sum(luminance(g) for g in grounds) / len(grounds) < 0.18
    hue, saturation, lightness = wanted.hslHueF(), wanted.hslSaturationF(), wanted.lightnessF()
    steps = 50
    for step in range(1, steps + 1):
        shade = lightness + (1 - lightness if lighter else -lightness) * step / steps
        shaded = QColor.fromHslF(max(hue, 0.0), saturation, min(max(shade, 0.0), 1.0))
        candidate = QColor.fromRgb(shaded.rgb())  # as #rrggbb will say it: 8 bits a channel
        if readable(candidate):
            return candidate.name()
    return "#ffffff" if lighter else "#000000"


def ink_style(colour: str | QColor, *, bold: bool = False, background: QColor | None = None) -> str:
    """A style sheet for a label's text in ``colour``, readable on ``background`` (by default
    on everything the palette puts behind a label)."""
    return f"color: {ink(colour, background)};" + (" font-weight: bold;" if bold else "")


def tint(palette: QPalette | None = None, amount: float = 0.08) -> QColor:
    """A panel's background a shade off the palette's base, towards its highlight colour: pale
    blue on a light palette, a dark blue-grey on a dark one; the palette's text reads on it."""
    palette = palette or QGuiApplication.palette()
    return blend(
        palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Highlight), amount
    )


def item_ink(colour: str | QColor) -> QBrush:
    """A table or list row's text colour (its ForegroundRole): ``colour``, readable on the
    palette's base, on striped rows and on the window."""
    palette = QGuiApplication.palette()
    grounds = tuple(
        palette.color(role)
        for role in (
            QPalette.ColorRole.Base,
            QPalette.ColorRole.AlternateBase,
            QPalette.ColorRole.Window,
        )
    )
    return QBrush(QColor(ink(colour, grounds)))
