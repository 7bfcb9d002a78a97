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
from exodesk.domain.screening import DEFER, Item, Reason, RuleTable, TreatmentResult


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

# No verdict yet, because questions are unanswered: grey, and a symbol that reads as waiting,
# never as go ahead (a circle looked like one more radio button to click).
UNANSWERED_LOOK = VerdictLook("", "…", "#595959", "#f0f0f0")

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
def reason_when(reason: Reason) -> str | None:
    """When one deferring rule lets the treatment go ahead, in words; None for other rules.

    ``"can go ahead from Tue 2 Feb 2027"`` for a dated deferral, the rule's own condition
    (``"until the infection has cleared"``) for an undated one.
    """
    if reason.outcome != DEFER:
        return None
    if reason.until is not None:
        return f"can go ahead from {format_long(reason.until)}"
    return reason.until_text


def verdict_when(result: TreatmentResult) -> str | None:
    """The headline of a deferral: every condition, and the latest date if there is one too.

    "Can go ahead from Tue 2 Feb 2027"; "Not until the infection has cleared"; with both kinds
    of rule, "Not until the infection has cleared, and not before Tue 2 Feb 2027" (a dated
    rule still holds after the condition is met). None when the verdict is not a deferral.
    """
    if result.verdict != DEFER:
        return None
    deferrals = [r for r in result.reasons if r.outcome == DEFER]
    dates = [r.until for r in deferrals if r.until is not None]
    conditions = list(dict.fromkeys(r.until_text for r in deferrals if r.until_text))
    latest = max(dates) if dates else None
    if not conditions:
        return f"Can go ahead from {format_long(latest)}" if latest else None
    said = "Not " + ", and ".join(conditions)
    if latest is not None:
        said += f", and not before {format_long(latest)}"
    return said


def reason_line(reason: Reason) -> str:
    """A reason as the card and the summary list it: its text, then when it lifts."""
    when = reason_when(reason)
    return f"{reason.text} ({when})" if when else reason.text


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
