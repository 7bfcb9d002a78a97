"""Regulatory wording in every patient-facing text is as strong as its source, no stronger
(clinical facts §2, corrected 2026-12-06)."""

from __future__ import annotations

import re

import pytest

from exodesk.paths import RESOURCES

PATIENT_FACING = [
    RESOURCES / "screening" / "consent.txt",
    RESOURCES / "screening" / "rules.json",
    RESOURCES / "aftercare" / "sheets.json",
    RESOURCES / "comparison" / "treatments.json",
    RESOURCES / "sessions" / "regulatory.json",
]


@pytest.mark.parametrize("path", PATIENT_FACING, ids=lambda p: p.name)
def test_nothing_says_not_approved_for_cosmetic_use(path) -> None:
    """ "Not approved for cosmetic use" implies approval for something else: never say it."""
    text = path.read_text(encoding="utf-8").lower()
    assert not re.search(r"approved[^.]{0,40}cosmetic|cosmetic[^.]{0,40}approved", text)


def test_the_consent_says_no_exosome_product_is_approved() -> None:
    text = " ".join((RESOURCES / "screening" / "consent.txt").read_text(encoding="utf-8").split())
    assert "no exosome product has been approved by a medicines regulator" in text
    assert "none is FDA-approved" in text and "2023 review" in text
