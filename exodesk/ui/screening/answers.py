"""Answer controls of the questionnaire: each question needs an explicit answer, none pre-set.

A yes/no question starts with neither Yes nor No chosen, a date question with no date and
"Never" unticked, a choice question on "Not answered", a tick-all-that-apply question with
nothing ticked and "None of these" unticked. Until the patient answers, ``answer()`` gives
``None`` ("not answered", which ``domain.screening.unanswered`` names); then the value the
engine reads: ``True``/``False``, a date or ``NEVER``, a choice id, a set (empty: none of these).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QPlainTextEdit, QRadioButton, QWidget

from exodesk.domain.screening import NEVER, Item
from exodesk.ui.common import named
from exodesk.ui.widgets import DateField, NoWheelComboBox

NONE_OF_THESE = "None of these"


class _ChoiceButton(QRadioButton):
    """A radio button that a click or Space only ever chooses, never unchooses.

    Not auto-exclusive and in no button group, so that Tab stops on Yes and on No alike
    (Qt lets Tab into a group of radio buttons only once); the pair keeps one chosen itself.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.setAutoExclusive(False)

    def nextCheckState(self) -> None:
        self.setChecked(True)


class BoolAnswer(QWidget):
    """Yes / No, neither chosen until the patient answers."""

    changed = Signal()

    def __init__(self, item: Item, tip: str) -> None:
        super().__init__()
        self.setObjectName(f"answer_{item.id}")
        self.yes = named(_ChoiceButton("Yes"), f"answer_{item.id}_yes", f"{item.label}: yes", tip)
        self.no = named(_ChoiceButton("No"), f"answer_{item.id}_no", f"{item.label}: no", tip)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.yes)
        row.addWidget(self.no)
        row.addStretch(1)
        self.yes.toggled.connect(lambda on: self._chosen(self.no, on))
        self.no.toggled.connect(lambda on: self._chosen(self.yes, on))
        self.focus: QWidget = self.yes
        self.tab_chain: list[QWidget] = [self.yes, self.no]

    def _chosen(self, other: QRadioButton, on: bool) -> None:
        # Only ever on (a click never unchooses): the other answer is taken back.
        if on and other.isChecked():
            other.blockSignals(True)
            other.setChecked(False)
            other.blockSignals(False)
        self.changed.emit()

    def answer(self) -> tuple[Any, str | None]:
        if self.yes.isChecked():
            return True, None
        if self.no.isChecked():
            return False, None
        return None, None

    def set_answer(self, value: Any) -> None:
        for button, wanted in ((self.yes, value is True), (self.no, value is False)):
            button.blockSignals(True)
            button.setChecked(wanted)
            button.blockSignals(False)

    def set_read_only(self, read_only: bool) -> None:
        self.yes.setEnabled(not read_only)
        self.no.setEnabled(not read_only)


class EnumAnswer(NoWheelComboBox):
    """One choice from a list, "Not answered" until one is chosen."""

    changed = Signal()

    def __init__(self, item: Item, tip: str) -> None:
        super().__init__()
        named(self, f"answer_{item.id}", item.label, tip)
        self.addItem("Not answered", None)
        for choice in item.choices:
            self.addItem(choice.label, choice.id)
        self.currentIndexChanged.connect(lambda _index: self.changed.emit())
        self.focus: QWidget = self
        self.tab_chain: list[QWidget] = [self]

    def answer(self) -> tuple[Any, str | None]:
        return self.currentData(), None

    def set_answer(self, value: Any) -> None:
        self.blockSignals(True)
        self.setCurrentIndex(max(0, self.findData(value)))
        self.blockSignals(False)

    def set_read_only(self, read_only: bool) -> None:
        self.setEnabled(not read_only)


class SetAnswer(QWidget):
    """Tick all that apply, or "None of these": one of the two before it counts as answered."""

    changed = Signal()

    def __init__(self, item: Item, tip: str) -> None:
        super().__init__()
        self.setObjectName(f"answer_{item.id}")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.boxes: list[QCheckBox] = []
        for choice in item.choices:
            box = named(
                QCheckBox(choice.label),
                f"answer_{item.id}_{choice.id}",
                f"{item.label}: {choice.label}",
                tip,
            )
            box.setProperty("value", choice.id)
            box.toggled.connect(self._ticked)
            row.addWidget(box)
            self.boxes.append(box)
        self.none = named(
            QCheckBox(NONE_OF_THESE),
            f"answer_{item.id}_none",
            f"{item.label}: none of these",
            tip,
        )
        self.none.toggled.connect(self._none_ticked)
        row.addWidget(self.none)
        row.addStretch(1)
        self.focus: QWidget = self.boxes[0]
        self.tab_chain: list[QWidget] = [*self.boxes, self.none]

    def _ticked(self, on: bool) -> None:
        # A choice ticked takes back "None of these"; one change, so one signal.
        if on and self.none.isChecked():
            self._set_quietly(self.none, False)
        self.changed.emit()

    def _none_ticked(self, on: bool) -> None:
        if on:
            for box in self.boxes:
                self._set_quietly(box, False)
        self.changed.emit()

    @staticmethod
    def _set_quietly(box: QCheckBox, on: bool) -> None:
        box.blockSignals(True)
        box.setChecked(on)
        box.blockSignals(False)

    def answer(self) -> tuple[Any, str | None]:
        chosen = frozenset(b.property("value") for b in self.boxes if b.isChecked())
        if chosen:
            return chosen, None
        return (frozenset() if self.none.isChecked() else None), None

    def set_answer(self, value: Any) -> None:
        chosen = set(value or ())
        for box in self.boxes:
            self._set_quietly(box, box.property("value") in chosen)
        self._set_quietly(self.none, value is not None and not chosen)

    def set_read_only(self, read_only: bool) -> None:
        for box in (*self.boxes, self.none):
            box.setEnabled(not read_only)


class DateAnswer(DateField):
    """A date, or "Never" ticked; an empty date with Never unticked is not answered."""

    def __init__(self, item: Item, why: str, *, day_first: bool, today: Callable[[], date]) -> None:
        super().__init__(f"answer_{item.id}", item.label, day_first=day_first, today=today)
        self.setObjectName(f"answer_{item.id}_field")
        if why:
            self.edit.setToolTip(f"{self.edit.toolTip()}\n{why}")
            if self.never is not None:
                self.never.setToolTip(f"{self.never.toolTip()}\n{why}")
        self.focus: QWidget = self.edit
        self.tab_chain: list[QWidget] = [self.edit, self.calendar_button]
        if self.never is not None:
            self.tab_chain.append(self.never)

    def answer(self) -> tuple[Any, str | None]:
        if self.is_never():
            return NEVER, None
        return self.value()

    def set_answer(self, value: Any) -> None:
        self.blockSignals(True)
        if value is NEVER:
            self.set_never(True)
        else:
            self.set_never(False)
            self.set_value(value)
        self.blockSignals(False)


class TextAnswer(QPlainTextEdit):
    """Free text: optional."""

    changed = Signal()

    def __init__(self, item: Item) -> None:
        super().__init__()
        named(self, f"answer_{item.id}", item.label, item.question)
        self.setTabChangesFocus(True)
        self.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 12)
        self.textChanged.connect(self.changed.emit)
        self.focus: QWidget = self
        self.tab_chain: list[QWidget] = [self]

    def answer(self) -> tuple[Any, str | None]:
        text = self.toPlainText()
        return (text if text.strip() else None), None

    def set_answer(self, value: Any) -> None:
        self.blockSignals(True)
        self.setPlainText(value or "")
        self.blockSignals(False)

    def set_read_only(self, read_only: bool) -> None:
        self.setReadOnly(read_only)
