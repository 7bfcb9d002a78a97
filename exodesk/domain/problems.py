"""Validation problems: returned, never raised, so a form can show each beside its field."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field, in a sentence the user can act on."""

    field: str
    message: str


def has_control_chars(text: str, *, multiline: bool = False) -> bool:
    """True when ``text`` holds control characters (tabs and newlines allowed if multiline)."""
    allowed = {"\n", "\t", "\r"} if multiline else set()
    return any(unicodedata.category(c) == "Cc" and c not in allowed for c in text)


# Characters that change how text is *shown* without being seen: bidi embeddings, overrides and
# isolates (U+202A–U+202E, U+2066–U+2069) and the implicit direction marks. "\u202esenoj" shows
# as "jones" but is never found by a search for it, and a printed name would read backwards.
_DIRECTION_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Invisible characters that split or glue a word without showing: a name holding one looks
# like another name and is not found by it.
_ZERO_WIDTH = frozenset("\u200b\u2060\ufeff\u180e\u00ad")
# Zero-width joiner and non-joiner are part of how some scripts are written (Persian,
# Devanagari and other Indic scripts) and of emoji sequences; between two Latin letters or at
# either end of a word they only hide something.
_JOINERS = frozenset("\u200c\u200d")


def has_lone_surrogates(text: str) -> bool:
    """True when ``text`` holds half of a character (a lone UTF-16 surrogate): it cannot be
    stored or printed, and saving it would fail deep in the database driver."""
    return any(unicodedata.category(c) == "Cs" for c in text)


def hidden_formatting(text: str, *, strict: bool = True) -> str | None:
    """The first invisible character in ``text`` that changes how it shows, or None.

    Direction overrides and isolates are refused everywhere. With ``strict`` (one-line fields
    such as names) zero-width spaces are refused too, and joiners are allowed only inside a
    word of a script that uses them: between two characters that are not ASCII.
    """
    for index, char in enumerate(text):
        if char in _DIRECTION_CONTROLS:
            return char
        if not strict:
            continue
        if char in _ZERO_WIDTH:
            return char
        if char in _JOINERS:
            before = text[index - 1] if index > 0 else ""
            after = text[index + 1] if index + 1 < len(text) else ""
            if not before or not after or before.isascii() or after.isascii():
                return char
    return None


def check_text(
    key: str,
    value: str,
    label: str,
    *,
    required: bool = False,
    max_len: int = 200,
    multiline: bool = False,
) -> list[Problem]:
    """Common checks for a free-text field: present if required, not too long, printable."""
    if required and not value.strip():
        return [Problem(key, f"{label} is needed.")]
    if len(value) > max_len:
        return [
            Problem(
                key,
                f"{label} is {len(value):,} characters long; the most it can hold is {max_len:,}.",
            )
        ]
    if has_lone_surrogates(value):
        return [
            Problem(
                key,
                f"{label} holds a broken character (half of an emoji or symbol, usually from "
                "a paste); retype it.",
            )
        ]
    if has_control_chars(value, multiline=multiline):
        return [Problem(key, f"{label} contains invisible control characters; retype it.")]
    hidden = hidden_formatting(value, strict=not multiline)
    if hidden is not None:
        return [
            Problem(
                key,
                f"{label} holds a hidden character (U+{ord(hidden):04X}) that makes it show "
                "differently from what is stored, so searches would miss it; retype it "
                "rather than pasting it.",
            )
        ]
    return []
