"""The words for a lot's flags: one sentence and one tooltip per kind, and the lot list's label."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from exodesk.domain.dates import format_long
from exodesk.domain.sessions import LAB_REPORTS, Lot, LotFlag, LotFlagKind, lot_check
from exodesk.ui import tips
from exodesk.ui.sessions.lot_words import (
    LOT_FLAG_TIPS,
    lot_choice_text,
    lot_flag_text,
    lot_flag_tip,
    lot_flags_tip,
)

TODAY = date(2026, 11, 22)
PURITY = frozenset({"purity"})
LOT = Lot(7, "EX-2207A", date(2027, 6, 30), lab_reports=frozenset(LAB_REPORTS), id=7)


def _words(lot: Lot, *, expected: bool = True) -> list[str]:
    return [lot_flag_text(f) for f in lot_check(lot, TODAY, lab_reports_expected=expected)]


def test_an_expired_lot() -> None:
    lot = Lot(7, "EX-2207A", date(2026, 11, 3), lab_reports=frozenset(LAB_REPORTS))
    assert _words(lot) == ["Lot EX-2207A expired on Tue 3 Nov 2026 — it cannot be used."]


@pytest.mark.parametrize(
    ("days_left", "words"), [(12, "(in 12 days)"), (1, "(tomorrow)"), (0, "(today)")]
)
def test_an_expiring_lot(days_left: int, words: str) -> None:
    expiry = TODAY + timedelta(days=days_left)
    lot = Lot(7, "EX-2207A", expiry, lab_reports=frozenset(LAB_REPORTS))
    assert _words(lot) == [f"Lot EX-2207A expires on {format_long(expiry)} {words}."]


def test_no_lab_report_on_file() -> None:
    lot = Lot(7, "EX-2207A", date(2027, 6, 30))
    assert _words(lot) == [
        "No third-party lab reports are on file for lot EX-2207A "
        "(purity, sterility, viability, virus and pathogen testing)."
    ]


def test_some_lab_reports_missing() -> None:
    lot = Lot(7, "EX-2207A", date(2027, 6, 30), lab_reports=frozenset({"purity", "viability"}))
    (flag,) = _words(lot)
    assert "lot EX-2207A" in flag
    assert "sterility, virus and pathogen testing" in flag
    assert "purity" not in flag and "viability" not in flag


def test_expiry_first_then_reports_and_reports_can_be_left_out() -> None:
    lot = Lot(7, "EX-2207A", TODAY - timedelta(days=1))
    words = _words(lot)
    assert len(words) == 2
    assert "expired" in words[0] and "lab reports" in words[1]
    assert _words(lot, expected=False) == words[:1]


@pytest.mark.parametrize(
    ("lot", "tip"),
    [
        (Lot(7, "A", TODAY - timedelta(days=1), lab_reports=frozenset(LAB_REPORTS)), "EXPIRED"),
        (Lot(7, "A", TODAY + timedelta(days=3), lab_reports=frozenset(LAB_REPORTS)), "EXPIRING"),
        (Lot(7, "A", TODAY + timedelta(days=300)), "LAB_REPORTS"),
        (
            Lot(7, "A", TODAY + timedelta(days=300), lab_reports=frozenset({"purity"})),
            "LAB_REPORTS",
        ),
    ],
)
def test_each_flag_says_what_to_do(lot: Lot, tip: str) -> None:
    (flag,) = lot_check(lot, TODAY)
    assert lot_flag_tip(flag) == getattr(tips, f"LOT_{tip}")
    assert lot_flags_tip([flag], lab_reports_expected=True) == (
        f"{lot_flag_text(flag)} {getattr(tips, f'LOT_{tip}')}"
    )


def test_every_kind_has_words_and_a_tip() -> None:
    assert set(LOT_FLAG_TIPS) == set(LotFlagKind)
    for kind in LotFlagKind:
        lot = Lot(7, "A", TODAY + timedelta(days=300))
        text = lot_flag_text(LotFlag(kind, lot.lot_number, lot.expiry, 300, ("purity",)))
        assert text and text.endswith("."), kind


def test_a_lot_with_nothing_to_say() -> None:
    assert lot_flags_tip([], lab_reports_expected=True) == tips.LOT_FINE
    assert lot_flags_tip([], lab_reports_expected=False) == tips.LOT_FINE_NO_REPORTS


def test_the_lot_list_says_expired_exactly_when_the_lot_blocks() -> None:
    for days in (-2, -1, 0, 1, 40):
        lot = Lot(7, "VC-1", TODAY + timedelta(days=days), lab_reports=frozenset(LAB_REPORTS))
        flags = lot_check(lot, TODAY)
        text = lot_choice_text("VerdeCell", lot, flags)
        assert ("(EXPIRED" in text) == any(f.blocks for f in flags), (days, text)
        assert text.startswith("VerdeCell — lot VC-1 (")
    fine = lot_choice_text("VerdeCell", LOT, [])
    assert fine == "VerdeCell — lot EX-2207A (exp. 30 Jun 2027)"
