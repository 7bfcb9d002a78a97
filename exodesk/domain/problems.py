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
    if has_control_chars(value, multiline=multiline):
        return [Problem(key, f"{label} contains invisible control characters; retype it.")]
    return []
