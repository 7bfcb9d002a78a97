"""The words for a lot's flags: the one place a ``LotFlag`` becomes a sentence and a tooltip.

The domain decides what is wrong with a lot (``lot_check``) and how much it matters; the session
form, its lot list and the catalogue's lots table all say it with these functions.
"""

from __future__ import annotations

from collections.abc import Iterable

from exodesk.domain.dates import format_long, format_short
from exodesk.domain.sessions import LAB_REPORTS, Lot, LotFlag, LotFlagKind
from exodesk.ui import tips

# What to do about each kind of flag (the tooltip after its sentence).
LOT_FLAG_TIPS: dict[LotFlagKind, str] = {
    LotFlagKind.EXPIRED: tips.LOT_EXPIRED,
    LotFlagKind.EXPIRING: tips.LOT_EXPIRING,
    LotFlagKind.NO_LAB_REPORTS: tips.LOT_LAB_REPORTS,
    LotFlagKind.LAB_REPORTS_MISSING: tips.LOT_LAB_REPORTS,
}


def lot_flag_text(flag: LotFlag) -> str:
    """One plain sentence: ``Lot EX-2207A expires on Tue 1 Dec 2026 (in 9 days).``"""
    name = f"Lot {flag.lot_number}"
    missing = ", ".join(LAB_REPORTS[key].lower() for key in flag.missing)
    match flag.kind:
        case LotFlagKind.EXPIRED:
            return f"{name} expired on {format_long(flag.expiry)} — it cannot be used."
        case LotFlagKind.EXPIRING:
            when = {0: "today", 1: "tomorrow"}.get(flag.days_left, f"in {flag.days_left} days")
            return f"{name} expires on {format_long(flag.expiry)} ({when})."
        case LotFlagKind.NO_LAB_REPORTS:
            return f"No third-party lab reports are on file for lot {flag.lot_number} ({missing})."
        case LotFlagKind.LAB_REPORTS_MISSING:
            return f"Some third-party lab reports are missing for lot {flag.lot_number}: {missing}."


def lot_flag_tip(flag: LotFlag) -> str:
    """What the flag means for the practitioner, and what to do."""
    return LOT_FLAG_TIPS[flag.kind]


def lot_flags_tip(flags: Iterable[LotFlag], *, lab_reports_expected: bool) -> str:
    """A lot's tooltip: each flag's sentence and what to do, or why there is nothing to say."""
    lines = [f"{lot_flag_text(flag)} {lot_flag_tip(flag)}" for flag in flags]
    fine = tips.LOT_FINE if lab_reports_expected else tips.LOT_FINE_NO_REPORTS
    return "\n".join(lines) or fine


def lot_choice_text(product_name: str, lot: Lot, flags: Iterable[LotFlag]) -> str:
    """A lot as the session form lists it: ``VerdeCell — lot VC-2411 (exp. 1 Mar 2027)``, or
    ``VerdeCell — lot VC-2301 (EXPIRED 1 Mar 2026: cannot be used)``."""
    expired = any(flag.kind is LotFlagKind.EXPIRED for flag in flags)
    when = format_short(lot.expiry)
    status = f"EXPIRED {when}: cannot be used" if expired else f"exp. {when}"
    return f"{product_name} — lot {lot.lot_number} ({status})"
