"""Safe reportlab Paragraph markup from user and clinic text: escaped, with font fallback runs."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from exodesk.domain.plurals import plural
from exodesk.reports.fonts import SANS, FontRuns, layout

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ParaMarkup:
    """Paragraph markup for one piece of text, and what could not be drawn.

    Attributes:
        markup: Safe to place inside a reportlab Paragraph (alone or inside ``<b>`` etc.).
        missing: Characters no bundled font has; each prints as ``fonts.PLACEHOLDER``.
    """

    markup: str
    missing: tuple[str, ...]


def escape(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` so reportlab's markup parser prints them as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def para_markup(user_text: str) -> ParaMarkup:
    """Turn any text into Paragraph markup that prints exactly as typed.

    Markup characters are escaped (a note reading ``<b>bold</b>`` prints those characters),
    newlines become ``<br/>``, and every run the main font cannot draw is wrapped in
    ``<font name=...>`` for the fallback font. Runs in the main font carry no tag, so the
    paragraph's own style (or a surrounding ``<b>``) decides their weight.

    Args:
        user_text: Text as the user or the clinic typed it.

    Returns:
        The markup and the characters that print as a placeholder.
    """
    fonted: FontRuns = layout(user_text)
    parts: list[str] = []
    for run in fonted.runs:
        body = escape(run.text).replace("\n", "<br/>")
        parts.append(body if run.font == SANS else f'<font name="{run.font}">{body}</font>')
    if fonted.missing:
        # The placeholder is visible on paper; the log says which characters it stands for.
        log.warning(
            "Printed %s no bundled font has as a placeholder: %s",
            plural(len(fonted.missing), "character"),
            ", ".join(f"U+{ord(c):04X}" for c in fonted.missing),
        )
    return ParaMarkup("".join(parts), fonted.missing)


def para_text(user_text: str) -> str:
    """Return safe Paragraph markup for ``user_text`` (see ``para_markup``)."""
    return para_markup(user_text).markup
