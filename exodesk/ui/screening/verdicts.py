"""VerdictPanel: one card per treatment — colour, symbol and words, reasons and precautions.

No card says go ahead before every question is answered: until then each card is grey and says
which questions are missing (``domain.screening.unanswered``); with no patient chosen there are
no cards at all.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from exodesk.domain.intake import ScreeningRecord
from exodesk.domain.screening import Item, RuleTable, ScreeningResult, TreatmentResult
from exodesk.domain.screening_vocabulary import (
    OVERRIDE_COLOUR,
    UNANSWERED_LOOK,
    VerdictLook,
    override_words,
    reason_line,
    signoff_words,
    unanswered_text,
    verdict_look,
    verdict_when,
)
from exodesk.ui import tips
from exodesk.ui.look import ink

# How many missing questions a card names before "and N more" (its tooltip names them all).
CARD_NAMES = 3
NO_PATIENT = "Choose a patient on the Patients tab first."
# The words on a verdict card: near-black on every verdict's pale tint, whatever the theme.
CARD_TEXT = "#1f1f1f"
VERDICT_MIN_WIDTH = 240
"""The verdict panel is never narrower (the screening tab's splitter stops there); every line
of a card wraps to fit it."""


class VerdictCard(QFrame):
    """The verdict for one treatment, with everything behind it."""

    def __init__(self, treatment: str, label: str) -> None:
        super().__init__()
        self.treatment = treatment
        self._background = QColor("#ffffff")
        self.setObjectName(f"verdict_{treatment}")
        self.setAccessibleName(f"Verdict for {label}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(label)
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.title.setFont(font)
        self.badge = QLabel()
        self.badge.setObjectName(f"verdict_{treatment}_badge")
        # "GO AHEAD WITH PRECAUTIONS" in 13 pt is wider than the panel at 1366 px: wrap it
        # rather than push the cards out under a sideways scroll bar.
        self.badge.setWordWrap(True)
        self.body = QLabel()
        self.body.setObjectName(f"verdict_{treatment}_body")
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.badge)
        layout.addWidget(self.body)
        self._set_tip(tips.NO_VERDICT)

    def _paint(self, look: VerdictLook) -> None:
        self.setStyleSheet(
            f"#verdict_{self.treatment} {{ background: {look.background}; "
            f"border: 2px solid {look.colour}; border-radius: 6px; }}"
            # The card's tint is fixed, so its words are too: never the theme's (white in dark
            # mode) on a pale tint.
            f"#verdict_{self.treatment} QLabel {{ color: {CARD_TEXT}; }}"
        )
        self._background = QColor(look.background)
        self.badge.setStyleSheet(f"color: {look.colour}; font-weight: bold; font-size: 13pt;")

    def show_waiting(self, text: str = "", full: str = "") -> None:
        """No verdict: grey, a symbol that reads as waiting, and ``text`` (which questions are
        missing, or nothing); ``full`` (every missing question) goes in the tooltip."""
        look = UNANSWERED_LOOK
        self._paint(look)
        self.badge.setText(f"{look.symbol}  NO VERDICT YET")
        self.body.setTextFormat(Qt.TextFormat.PlainText)
        self.body.setText(text)
        self._set_tip("\n".join(t for t in (full, tips.NO_VERDICT) if t))
        self.setAccessibleDescription(" ".join(t for t in ("No verdict yet.", full) if t))

    def show_result(
        self, result: TreatmentResult | None, table: RuleTable, record: ScreeningRecord | None
    ) -> None:
        if result is None:
            self.show_waiting()
            return
        # Never colour alone: the symbol and the word too (the same as on paper).
        look = verdict_look(result.verdict)
        word = table.verdict_label(result.verdict)
        self._paint(look)
        self.badge.setText(f"{look.symbol}  {word.upper()}")
        self.body.setTextFormat(Qt.TextFormat.RichText)
        tip = [f"{word}. {tips.VERDICT_TIPS[result.verdict]}"]
        parts: list[str] = []
        # Every deferral with its own date or condition (domain.screening_vocabulary), the
        # same words as the printed summary.
        when = verdict_when(result)
        if when:
            parts.append(f"<b>{html.escape(when)}</b>")
        for reason in result.reasons:
            parts.append("• " + html.escape(reason_line(reason)))
        if result.precautions:
            parts.append("<i>For the practitioner:</i>")
            parts += ["– " + html.escape(p) for p in result.precautions]
        notes = [r.note for r in result.reasons if r.note]
        if notes:
            parts += ["<i>Note:</i> " + html.escape(n) for n in notes]
        if record is not None:
            # The same words as the printed summary (domain.screening_vocabulary).
            signoff = record.signoff_for(self.treatment)
            if signoff is not None:
                said = signoff_words(signoff)
                parts.append(f"<b>Sign-off: {html.escape(said.lead)}</b> {html.escape(said.rest)}")
                tip.append(tips.SIGNED_OFF)
            override = record.override_for(self.treatment)
            if override is not None:
                said = override_words(override, table)
                red = ink(OVERRIDE_COLOUR, self._background)
                parts.append(
                    f"<span style='color:{red}'><b>{html.escape(said.lead.upper())}"
                    f"</b> {html.escape(said.rest)}</span>"
                )
                tip.append(tips.OVERRIDDEN)
        if not result.reasons:
            parts.append("Nothing in the answers stands in the way.")
        self.body.setText("<br>".join(parts))
        self._set_tip("\n".join(tip))
        self.setAccessibleDescription(f"{word}. " + " ".join(r.text for r in result.reasons))

    def _set_tip(self, text: str) -> None:
        # On the card too, so the meaning shows wherever the pointer rests on it.
        self.setToolTip(text)
        self.badge.setToolTip(text)


class VerdictPanel(QWidget):
    """The live verdicts: updates as answers change; shows sign-offs and overrides once saved."""

    def __init__(self, table: RuleTable) -> None:
        super().__init__()
        self.setObjectName("verdictPanel")
        self.cards: dict[str, VerdictCard] = {}
        layout = QVBoxLayout(self)
        self.heading = QLabel("Verdicts")
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        layout.addWidget(self.heading)
        # What the panel says instead of, or beside, the cards: no patient chosen; a screening
        # saved before every question needed an answer.
        self.note = QLabel()
        self.note.setObjectName("verdictNote")
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.hide()
        layout.addWidget(self.note)
        for treatment in table.treatments:
            card = VerdictCard(treatment.id, treatment.label)
            self.cards[treatment.id] = card
            layout.addWidget(card)
        layout.addStretch(1)
        self._table = table

    def set_table(self, table: RuleTable) -> None:
        self._table = table

    def show_result(
        self, result: ScreeningResult | None, record: ScreeningRecord | None = None
    ) -> None:
        """The verdicts of ``result`` (grey cards with no verdict when it is None)."""
        self.show_note("")
        for treatment, card in self.cards.items():
            card.show()
            card.show_result(
                result.for_treatment(treatment) if result else None, self._table, record
            )

    def show_unanswered(self, items: tuple[Item, ...]) -> None:
        """No verdicts yet: every card grey, naming the questions still to answer."""
        short = unanswered_text(items, limit=CARD_NAMES)
        full = unanswered_text(items)
        self.show_note("")
        for card in self.cards.values():
            card.show()
            card.show_waiting(short, full)

    def show_no_patient(self) -> None:
        """No patient, no verdicts: the cards go, and the panel says what to do."""
        self.show_problem("")
        for card in self.cards.values():
            card.hide()
        self.show_note(NO_PATIENT)

    def show_note(self, text: str, tip: str = "") -> None:
        """A line under the heading (hidden when empty); ``tip`` says it in full."""
        self.note.setText(text)
        self.note.setToolTip(tip or text)
        self.note.setVisible(bool(text))

    def show_problem(self, text: str) -> None:
        self.heading.setText(f"Verdicts — {text}" if text else "Verdicts")
