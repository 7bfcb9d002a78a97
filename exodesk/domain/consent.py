"""Consent rules: whether the name a patient typed plausibly is their own."""

from __future__ import annotations

import re

from exodesk.domain.patient import fold

# Apostrophes and dots vanish inside a name (O'Brien = OBrien, St. John = St John); every
# other non-letter separates words.
_JOINERS = re.compile(r"['’ʼ`.]")
_SEPARATORS = re.compile(r"[^\w]+|_")


def _name_words(text: str) -> list[str]:
    return [w for w in _SEPARATORS.split(_JOINERS.sub("", fold(text))) if w]


def _family_name(name_on_file: str) -> str:
    # The caller may pass "O'BRIEN-ŁUKASZ, Zoë" (family first) or "Zoë O'Brien-Łukasz".
    if "," in name_on_file:
        return name_on_file.split(",", 1)[0]
    words = name_on_file.split()
    return words[-1] if words else ""


def name_resembles(typed: str, name_on_file: str) -> bool:
    """Whether a typed name plausibly is the patient's, ignoring case, accents and punctuation.

    It does if it contains the family name as whole words ("zoe obrien lukasz" for
    "Zoë O'Brien-Łukasz"), or shares two words with the name on file (a patient with two
    family names who writes only one of them).

    Args:
        typed: The name the patient typed.
        name_on_file: The patient's name as registered.

    Returns:
        True when it resembles the name on file, or when there is no name on file to compare.
    """
    on_file = _name_words(name_on_file)
    if not on_file:
        return True
    words = _name_words(typed)
    family = "".join(_name_words(_family_name(name_on_file)))
    # Runs of typed words glued together, so "O Brien Lukasz" and "OBrienLukasz" both match.
    runs = {"".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)}
    if family and family in runs:
        return True
    return len(set(words) & set(on_file)) >= min(2, len(set(on_file)))
