"""The one vocabulary of verdicts and decisions: a distinct, legible look per verdict and one
sentence per sign-off or override."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from exodesk.domain.dates import format_stamp
from exodesk.domain.intake import Override, SignOff
from exodesk.domain.screening import VERDICT_ORDER, Reason, TreatmentResult
from exodesk.domain.screening_vocabulary import (
    UNKNOWN_LOOK,
    VERDICT_LOOKS,
    DecisionWords,
    override_words,
    signoff_words,
    verdict_look,
)
from tests.bundled import bundled_rules

TABLE = bundled_rules()
AT = datetime(2026, 11, 24, 10, 5, tzinfo=UTC)
STAMP = format_stamp(AT)  # the PC's local time, as on screen and paper


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two ``#rrggbb`` colours."""
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_one_look_per_verdict_mildest_first() -> None:
    assert tuple(VERDICT_LOOKS) == VERDICT_ORDER
    assert all(VERDICT_LOOKS[v].verdict == v for v in VERDICT_ORDER)


def test_symbols_and_colours_tell_every_verdict_apart() -> None:
    looks = VERDICT_LOOKS.values()
    assert len({look.symbol for look in looks}) == len(VERDICT_ORDER)
    assert len({look.colour for look in looks}) == len(VERDICT_ORDER)
    assert len({look.background for look in looks}) == len(VERDICT_ORDER)
    assert all(len(look.symbol) == 1 for look in looks)


@pytest.mark.parametrize("verdict", VERDICT_ORDER)
def test_every_colour_is_legible_on_paper_and_on_its_card(verdict: str) -> None:
    look = verdict_look(verdict)
    assert contrast(look.colour, "#ffffff") >= 4.5
    assert contrast(look.colour, look.background) >= 4.5


@pytest.mark.parametrize(
    ("verdict", "symbol", "colour"),
    [
        # The set the screen and the user guide have always shown (resources/help/guide.html).
        ("proceed", "✔", "#1b5e20"),
        ("precautions", "⚠", "#7a4f00"),
        ("review", "?", "#0d47a1"),
        ("defer", "◷", "#8a3b00"),
        ("decline", "✖", "#8a1c1c"),
    ],
)
def test_the_looks(verdict: str, symbol: str, colour: str) -> None:
    look = verdict_look(verdict)
    assert (look.symbol, look.colour) == (symbol, colour)


def test_no_verdict_yet_reads_as_meant_and_legibly() -> None:
    """The grey card's headline started with "…", which read as words cut off."""
    from exodesk.domain.screening_vocabulary import (
        NO_VERDICT,
        NO_VERDICT_UNANSWERED,
        UNANSWERED_LOOK,
    )

    assert NO_VERDICT_UNANSWERED == "No verdict yet — answer every question"
    assert NO_VERDICT_UNANSWERED.startswith(NO_VERDICT)
    look = UNANSWERED_LOOK
    assert len(look.symbol) == 1 and look.symbol not in "….⋯"
    assert look.symbol not in {v.symbol for v in VERDICT_LOOKS.values()} | {UNKNOWN_LOOK.symbol}
    assert contrast(look.colour, "#ffffff") >= 4.5
    assert contrast(look.colour, look.background) >= 4.5


def test_an_unknown_verdict_still_has_a_plain_look() -> None:
    assert verdict_look("maybe") is UNKNOWN_LOOK
    assert UNKNOWN_LOOK.symbol not in {look.symbol for look in VERDICT_LOOKS.values()}


@pytest.mark.parametrize(
    ("decision", "note", "expected"),
    [
        ("cleared", "", DecisionWords("Cleared", f"by Dr Amara Okafor, {STAMP}")),
        (
            "cleared",
            "Haematologist letter seen",
            DecisionWords("Cleared", f"by Dr Amara Okafor, {STAMP} — Haematologist letter seen"),
        ),
        (
            "not_cleared",
            "Keloid on chest",
            DecisionWords("Not cleared", f"by Dr Amara Okafor, {STAMP} — Keloid on chest"),
        ),
    ],
)
def test_signoff_words(decision: str, note: str, expected: DecisionWords) -> None:
    said = signoff_words(SignOff("prp", decision, note, "Dr Amara Okafor", AT))
    assert said == expected
    assert said.sentence == f"{expected.lead} {expected.rest}"


@pytest.mark.parametrize(
    ("verdict", "lead"),
    [
        ("defer", "“Not yet” overridden"),
        ("decline", "“Not suitable” overridden"),
        ("review", "“Needs a doctor's review first” overridden"),
        ("retired_verdict", "“retired_verdict” overridden"),  # never a crash on an old record
    ],
)
def test_override_words_name_the_verdict_by_its_word(verdict: str, lead: str) -> None:
    said = override_words(
        Override("prp", verdict, "Enzyme peel only", "Dr Amara Okafor", AT), TABLE
    )
    assert said == DecisionWords(lead, f"by Dr Amara Okafor, {STAMP} — Enzyme peel only")
    assert said.sentence == f"{lead} by Dr Amara Okafor, {STAMP} — Enzyme peel only"


def test_every_deferral_is_said_once_with_its_date_or_condition() -> None:
    """Pregnant, a scalp infection and isotretinoin two months ago: the PRP card used to say
    only "until the infection has cleared"; the isotretinoin date must show too, and the
    doctor's review that pregnancy needs for PRP; the reasons then repeat none of it (they
    said "We will wait until the infection has cleared. (until the infection has cleared)")."""
    from datetime import date

    from exodesk.domain.screening import evaluate
    from exodesk.domain.screening_vocabulary import reason_lines, verdict_when

    today = date(2026, 12, 6)
    result = evaluate(
        {
            "pregnant": True,
            "active_infection": True,
            "active_infection_area": "scalp",
            "isotretinoin_last_dose": date(2026, 10, 6),
        },
        today=today,
        rules=TABLE,
    ).for_treatment("prp")
    assert result.verdict == "defer"
    assert verdict_when(result) == (
        "Not until the infection has cleared, not before Tue 6 Apr 2027, "
        "and a doctor needs to agree first"
    )
    assert reason_lines(result) == tuple(r.text for r in result.reasons)


def _reason(outcome: str, until: date | None = None, until_text: str | None = None) -> Reason:
    text = {
        "defer": "We will wait until the infection has cleared." if until_text else "Wait.",
        "review": "A doctor needs to agree before treatment can go ahead.",
        "precautions": "We will try a small patch of skin first.",
    }[outcome]
    return Reason("r", "Rule", outcome, text, until=until, until_text=until_text)


CLEARED = "until the infection has cleared"
PREGNANT = "until you are no longer pregnant, trying to get pregnant or breastfeeding"
NOV26 = date(2026, 11, 26)
DEC11 = date(2026, 12, 11)


@pytest.mark.parametrize(
    ("reasons", "headline"),
    [
        # A date alone is the only thing in the way: it may be said plainly.
        ([_reason("defer", NOV26)], "Can go ahead from Thu 26 Nov 2026"),
        ([_reason("defer", NOV26), _reason("precautions")], "Can go ahead from Thu 26 Nov 2026"),
        ([_reason("defer", NOV26), _reason("defer", DEC11)], "Can go ahead from Fri 11 Dec 2026"),
        # Anything else in the way: never a bare date, as if it were the only condition.
        (
            [_reason("defer", NOV26), _reason("review")],
            "Not before Thu 26 Nov 2026, and a doctor needs to agree first",
        ),
        (
            [_reason("defer", NOV26), _reason("review"), _reason("review")],
            "Not before Thu 26 Nov 2026, and a doctor needs to agree first",
        ),
        ([_reason("defer", until_text=CLEARED)], "Not until the infection has cleared"),
        (
            [_reason("defer", until_text=CLEARED), _reason("review")],
            "Not until the infection has cleared, and a doctor needs to agree first",
        ),
        (
            [_reason("defer", NOV26), _reason("defer", until_text=CLEARED)],
            "Not until the infection has cleared, and not before Thu 26 Nov 2026",
        ),
        (
            [
                _reason("defer", until_text=CLEARED),
                _reason("defer", until_text=PREGNANT),
                _reason("defer", until_text=CLEARED),
            ],
            f"Not {CLEARED}, and not {PREGNANT}",
        ),
        (
            [
                _reason("defer", DEC11),
                _reason("defer", until_text=CLEARED),
                _reason("review"),
                _reason("defer", NOV26),
                _reason("precautions"),
            ],
            "Not until the infection has cleared, not before Fri 11 Dec 2026, "
            "and a doctor needs to agree first",
        ),
    ],
)
def test_the_when_line_says_all_that_stands_in_the_way(
    reasons: list[Reason], headline: str
) -> None:
    from exodesk.domain.screening_vocabulary import verdict_when

    assert verdict_when(TreatmentResult("prp", "defer", tuple(reasons))) == headline


@pytest.mark.parametrize("verdict", ["proceed", "precautions", "review", "decline"])
def test_only_a_deferral_has_a_when_line(verdict: str) -> None:
    from exodesk.domain.screening_vocabulary import verdict_when

    reasons = (_reason("defer", NOV26), _reason("review"))
    assert verdict_when(TreatmentResult("prp", verdict, reasons)) is None


@pytest.mark.parametrize(
    ("verdict", "reasons", "lines"),
    [
        # The headline says the date: the reason does not say it again.
        ("defer", [_reason("defer", NOV26)], ["Wait."]),
        ("defer", [_reason("defer", NOV26), _reason("review")], ["Wait.", _reason("review").text]),
        # Two dates: the headline has the latest; the other is said beside its own reason.
        (
            "defer",
            [_reason("defer", NOV26), _reason("defer", DEC11)],
            ["Wait. (no longer applies from Thu 26 Nov 2026)", "Wait."],
        ),
        # A condition is in the headline, and in the reason's own words: said by neither.
        (
            "defer",
            [_reason("defer", until_text=CLEARED)],
            [_reason("defer", until_text=CLEARED).text],
        ),
        # No headline (a verdict more severe than "Not yet"): the date and any condition the
        # reason's words do not say follow it.
        ("decline", [_reason("defer", NOV26)], ["Wait. (no longer applies from Thu 26 Nov 2026)"]),
        (
            "decline",
            [
                Reason("r", "Rule", "defer", "We will wait until then.", until_text=PREGNANT),
                _reason("defer", until_text=CLEARED),
            ],
            [f"We will wait until then. ({PREGNANT})", _reason("defer", until_text=CLEARED).text],
        ),
        (
            "review",
            [_reason("review"), _reason("precautions")],
            [_reason("review").text, _reason("precautions").text],
        ),
    ],
)
def test_each_reason_line_says_only_what_nothing_else_says(
    verdict: str, reasons: list[Reason], lines: list[str]
) -> None:
    from exodesk.domain.screening_vocabulary import reason_lines

    assert reason_lines(TreatmentResult("prp", verdict, tuple(reasons))) == tuple(lines)


def test_a_dated_deferral_alone_says_when_it_can_go_ahead() -> None:
    from datetime import date

    from exodesk.domain.screening import evaluate
    from exodesk.domain.screening_vocabulary import verdict_when

    result = evaluate(
        {"retinoid_last_use": date(2026, 12, 4)}, today=date(2026, 12, 6), rules=TABLE
    ).for_treatment("exosome_face")
    assert verdict_when(result) == "Can go ahead from Fri 11 Dec 2026"
    assert verdict_when(evaluate({}, today=date(2026, 12, 6), rules=TABLE).treatments[0]) is None
