"""How screening verdicts and practitioners' decisions are shown: one symbol, one colour and one
sentence each, for the verdict cards, the printed summary and the comparison's patient marks;
and the one sentence that says which questions are not answered yet.

The verdict's word is the rule table's (``RuleTable.verdict_label``); this module adds what the
table leaves to presentation. Colour never carries the meaning alone: the symbol and the word go
with it everywhere, and the symbols still differ on a black-and-white print.

Every symbol is in both weights of the bundled DejaVu Sans, so it prints as drawn on screen
(``tests/reports/test_screening_summary.py`` prints each and reads it back). The colours are CSS
hex strings, which Qt style sheets and reportlab's ``HexColor`` both read; each keeps a contrast
of at least 4.5:1 against white paper and against its own background tint.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from exodesk.domain.dates import format_long, format_stamp
from exodesk.domain.intake import SIGNOFF_DECISIONS, Override, SignOff
from exodesk.domain.problems import Problem
from exodesk.domain.screening import DEFER, REVIEW, Item, RuleTable, TreatmentResult


@dataclass(frozen=True)
class VerdictLook:
    """How one verdict is shown beside its word.

    Attributes:
        verdict: The verdict id ("" for the look of an id this vocabulary does not know).
        symbol: One character, printable with the bundled fonts.
        colour: The word's, the symbol's and the edge's colour (``#rrggbb``).
        background: The tint behind a verdict card on screen and in the user guide; paper
            stays white and shows the colour as a bar beside the row instead.
    """

    verdict: str
    symbol: str
    colour: str
    background: str


# The screen's set since the first release, which the user guide shows; the printed summary used
# a second set (✓ ! ? ◷ ✕, and purple for "Not yet") until both were made to read this one.
VERDICT_LOOKS: dict[str, VerdictLook] = {
    look.verdict: look
    for look in (
        VerdictLook("proceed", "✔", "#1b5e20", "#e8f5e9"),  # green
        VerdictLook("precautions", "⚠", "#7a4f00", "#fff4d6"),  # amber
        VerdictLook("review", "?", "#0d47a1", "#e3f0fd"),  # blue
        VerdictLook("defer", "◷", "#8a3b00", "#fde9dc"),  # orange
        VerdictLook("decline", "✖", "#8a1c1c", "#fbe4e4"),  # red
    )
}

# A verdict id from a future table still shows, plainly, rather than failing a print.
UNKNOWN_LOOK = VerdictLook("", "•", "#1a1a1a", "#ffffff")

# No verdict yet, because questions are unanswered: grey, and a pencil, for answers still to
# give; never a go ahead (a circle looked like one more radio button to click, and "…" at the
# start of the headline read as words cut off).
UNANSWERED_LOOK = VerdictLook("", "✎", "#595959", "#f0f0f0")

# The headline of a card with no verdict: questions still to answer, or (rarely) none to show.
NO_VERDICT_UNANSWERED = "No verdict yet — answer every question"
NO_VERDICT = "No verdict yet"

# The colour of an override wherever a screening appears (card, summary, session detail).
OVERRIDE_COLOUR = "#b00020"


def verdict_look(verdict: str) -> VerdictLook:
    """The look of a verdict id (``UNKNOWN_LOOK`` for an id that is not a verdict)."""
    return VERDICT_LOOKS.get(verdict, UNKNOWN_LOOK)


@dataclass(frozen=True)
class DecisionWords:
    """A practitioner's sign-off or override in words.

    Attributes:
        lead: What was decided: "Cleared", "Not cleared", "“Not yet” overridden". A screen may
            set it in bold or capitals; the words stay these.
        rest: Who, when and why: "by Dr Amara Okafor, 24 Nov 2026 10:05 — Letter seen".
    """

    lead: str
    rest: str

    @property
    def sentence(self) -> str:
        """The whole decision as one line of plain text."""
        return f"{self.lead} {self.rest}"


def _by(name: str, stamp: str, why: str) -> str:
    return f"by {name}, {stamp}" + (f" — {why}" if why else "")


def signoff_words(signoff: SignOff) -> DecisionWords:
    """A sign-off in words: "Not cleared by Dr Amara Okafor, 24 Nov 2026 10:05 — Keloid"."""
    lead = SIGNOFF_DECISIONS.get(signoff.decision, signoff.decision)
    return DecisionWords(lead, _by(signoff.by_name, format_stamp(signoff.at), signoff.note))


def override_words(override: Override, table: RuleTable) -> DecisionWords:
    """An override in words: "“Not yet” overridden by Dr Amara Okafor, 24 Nov 2026 10:05 —
    Enzyme peel only", naming the verdict by its word, never its id."""
    try:
        word = table.verdict_label(override.verdict)
    except KeyError:
        word = override.verdict
    return DecisionWords(
        f"“{word}” overridden", _by(override.by_name, format_stamp(override.at), override.reason)
    )


# ---- when a deferral lifts ---------------------------------------------------------------
# What a "when" line adds when a doctor's review stands in the way too (the review verdict's
# word is "Needs a doctor's review first"; a deferral cannot be signed off, so it stays said).
DOCTOR_FIRST = "a doctor needs to agree first"


def verdict_when(result: TreatmentResult) -> str | None:
    """The headline of a deferral: everything that stands in the way, each said once.

    A dated deferral alone: "Can go ahead from Tue 2 Feb 2027". Anything more, and the date is
    never said alone, as if it were the only condition: every undated condition, the latest
    date, and a doctor's review when one of the reasons needs it —
    "Not until the infection has cleared"; "Not before Thu 26 Nov 2026, and a doctor needs to
    agree first"; "Not until the infection has cleared, not before Tue 2 Feb 2027, and a doctor
    needs to agree first". Precautions do not stand in the way and are not said here. None when
    the verdict is not a deferral.
    """
    if result.verdict != DEFER:
        return None
    deferrals = [r for r in result.reasons if r.outcome == DEFER]
    dates = [r.until for r in deferrals if r.until is not None]
    conditions = list(dict.fromkeys(r.until_text for r in deferrals if r.until_text))
    latest = max(dates) if dates else None
    review = any(r.outcome == REVIEW for r in result.reasons)
    if latest is not None and not conditions and not review:
        return f"Can go ahead from {format_long(latest)}"
    clauses = [f"not {condition}" for condition in conditions]
    if latest is not None:
        clauses.append(f"not before {format_long(latest)}")
    if review:
        clauses.append(DOCTOR_FIRST)
    if not clauses:
        return None
    said = clauses[0] if len(clauses) == 1 else ", ".join(clauses[:-1]) + ", and " + clauses[-1]
    return said[0].upper() + said[1:]


def reason_lines(result: TreatmentResult) -> tuple[str, ...]:
    """The reasons as the card and the summary list them, under ``verdict_when``'s headline.

    Each is its text; a deferral's date or condition follows only when nothing else says it:
    not when the headline already has it, not when the reason's own words do ("We will wait
    until the infection has cleared."). So a date shows beside a reason only when it is not
    the headline's ("… (no longer applies from Fri 11 Dec 2026)"), or when there is no
    headline (a card whose verdict is more severe than "Not yet").
    """
    deferrals = [r for r in result.reasons if r.outcome == DEFER]
    headline = result.verdict == DEFER
    latest = max((r.until for r in deferrals if r.until is not None), default=None)
    lines = []
    for reason in result.reasons:
        extra: str | None = None
        if reason.outcome == DEFER and reason.until is not None:
            said = headline and reason.until == latest
            extra = None if said else f"no longer applies from {format_long(reason.until)}"
        elif reason.outcome == DEFER and reason.until_text:
            said = headline or reason.until_text.lower() in reason.text.lower()
            extra = None if said else reason.until_text
        lines.append(f"{reason.text} ({extra})" if extra else reason.text)
    return tuple(lines)


# ---- questions not answered yet ----------------------------------------------------------
def unanswered_text(items: Sequence[Item], *, limit: int | None = None) -> str:
    """The sentence the verdict cards, the screening tab and the service's refusal give.

    ``"Not answered yet: Breastfeeding, Last sunburn or tanning."``; with ``limit``, at most
    that many names and then how many more (``"…, Active skin infection and 19 more."``), for a
    card that has room for a line or two. Empty when nothing is missing.
    """
    if not items:
        return ""
    return f"Not answered yet: {_names(items, limit)}."


def not_recorded_text(items: Sequence[Item], *, limit: int | None = None) -> str:
    """What the card panel and the printed summary say of a screening saved before every
    question needed an answer (an unticked box was then stored as nothing). Empty when
    nothing is missing; ``limit`` as for ``unanswered_text``."""
    if not items:
        return ""
    return (
        "Saved before every question needed an answer: nothing is recorded for "
        f"{_names(items, limit)}, and the outcome was judged as if each were no or never."
    )


def _names(items: Sequence[Item], limit: int | None) -> str:
    labels = [item.label for item in items]
    if limit is not None and len(labels) > limit:
        return f"{', '.join(labels[:limit])} and {len(labels) - limit} more"
    return ", ".join(labels)


# The field of the problem that lists every unanswered question (a form shows it by its Save).
UNANSWERED_FIELD = "unanswered"

_ANSWER_PROMPTS = {
    "bool": "Choose Yes or No.",
    "date": "Give the date, or tick Never.",
    "enum": "Choose an answer.",
    "set": "Tick each that applies, or None of these.",
}


def unanswered_problems(items: Sequence[Item]) -> list[Problem]:
    """Why answers with questions missing cannot be saved: one problem beside each question,
    then the whole list (``unanswered_text``) under ``UNANSWERED_FIELD``."""
    if not items:
        return []
    return [
        *(
            Problem(item.id, _ANSWER_PROMPTS.get(item.type, "Answer this question."))
            for item in items
        ),
        Problem(UNANSWERED_FIELD, unanswered_text(items)),
    ]
