"""Counted words as people write them: "1 page", "3 pages", never a bracketed "s"."""

from __future__ import annotations


def plural(count: int, one: str, many: str | None = None) -> str:
    """Return ``count`` and the noun in the form that count takes.

    Args:
        count: How many.
        one: The singular noun, or a phrase ending in it ("old backup").
        many: The plural when it is not ``one`` + "s" ("entries", "people").

    Returns:
        ``"1 page"``, ``"0 pages"``, ``"2 pages"``, ``"1,250 pages"``.
    """
    noun = one if count == 1 else (many if many is not None else one + "s")
    return f"{count:,} {noun}"
