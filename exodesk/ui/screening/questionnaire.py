"""QuestionnaireForm: the intake questions, built from the rule table's items, in sections.

Every question but free text needs an explicit answer (``answers.py``); what is still missing
is ``domain.screening.unanswered`` of ``answers()``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from exodesk.domain.problems import Problem
from exodesk.domain.screening import Item, RuleTable
from exodesk.ui import tips
from exodesk.ui.common import clear_when_edited, error_label
from exodesk.ui.screening.answers import (
    BoolAnswer,
    DateAnswer,
    EnumAnswer,
    SetAnswer,
    TextAnswer,
)

AnswerControl = BoolAnswer | EnumAnswer | SetAnswer | DateAnswer | TextAnswer


class _Answer:
    """One item's control: reads and writes the Python value the engine expects."""

    def __init__(self, item: Item, widget: AnswerControl) -> None:
        self.item = item
        self.widget = widget
        self.focus: QWidget = widget.focus

    def get(self) -> tuple[Any, str | None]:
        """(value or None when not answered, problem text when it cannot be read)."""
        return self.widget.answer()

    def set(self, value: Any) -> None:
        self.widget.set_answer(value)

    def set_read_only(self, read_only: bool) -> None:
        self.widget.set_read_only(read_only)


class QuestionnaireForm(QWidget):
    """Every screening question in its section; follow-up questions show only when relevant.

    Emits ``answers_changed`` whenever an answer changes, so the verdict panel can update.
    """

    answers_changed = Signal()

    def __init__(self, table: RuleTable, *, day_first: bool, today: Callable[[], date]) -> None:
        super().__init__()
        self.setObjectName("questionnaire")
        self._table = table
        self.answers_by_item: dict[str, _Answer] = {}
        self.errors: dict[str, QLabel] = {}
        self._rows: dict[str, tuple[QFormLayout, QWidget]] = {}
        self._order: list[QWidget] = []
        layout = QVBoxLayout(self)
        for section in table.sections:
            items = table.items_in_section(section.id)
            if not items:
                continue
            box = QGroupBox(section.label)
            box.setObjectName(f"section_{section.id}")
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
            for item in items:
                self._add(form, item, day_first=day_first, today=today)
            layout.addWidget(box)
        layout.addStretch(1)
        for first, second in zip(self._order, self._order[1:], strict=False):
            QWidget.setTabOrder(first, second)
        self._update_follow_ups()

    # ---- building ------------------------------------------------------------------------
    def _add(
        self, form: QFormLayout, item: Item, *, day_first: bool, today: Callable[[], date]
    ) -> None:
        question = QLabel(item.question)
        question.setWordWrap(True)
        question.setObjectName(f"question_{item.id}")
        # Which rules the answer feeds, so staff can say why a question is asked.
        why = tips.item_tip(self._table, item)
        question.setToolTip(why)
        tip = f"{item.question}\n{why}" if why else item.question
        widget: AnswerControl
        if item.type == "bool":
            widget = BoolAnswer(item, tip)
        elif item.type == "enum":
            widget = EnumAnswer(item, tip)
        elif item.type == "set":
            widget = SetAnswer(item, tip)
        elif item.type == "date":
            widget = DateAnswer(item, why, day_first=day_first, today=today)
        else:
            widget = TextAnswer(item)
        widget.changed.connect(self._changed)
        self._order += widget.tab_chain
        focus = widget.focus
        question.setBuddy(focus)
        error = error_label(f"error_{item.id}")
        holder = QWidget()
        holder_layout = QVBoxLayout(holder)
        holder_layout.setContentsMargins(0, 0, 0, 0)
        holder_layout.setSpacing(2)
        holder_layout.addWidget(widget)
        holder_layout.addWidget(error)
        clear_when_edited(error, widget)
        form.addRow(question, holder)
        question.setMinimumWidth(260)
        question.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.answers_by_item[item.id] = _Answer(item, widget)
        self.errors[item.id] = error
        self._rows[item.id] = (form, holder)

    # ---- behaviour -----------------------------------------------------------------------
    def _changed(self, *_args: object) -> None:
        self._update_follow_ups()
        self.answers_changed.emit()

    def _update_follow_ups(self) -> None:
        # A follow-up (where the infection is) shows only while its question is answered yes,
        # and is cleared when hidden so a stale area never reaches the rules.
        for item in self._table.items:
            if not item.only_if:
                continue
            parent = self.answers_by_item[item.only_if].get()[0]
            shown = self._table.asks(item, {item.only_if: parent})
            form, holder = self._rows[item.id]
            form.setRowVisible(holder, shown)  # hides the row and its spacing, not just widgets
            if not shown:
                answer = self.answers_by_item[item.id]
                if answer.get()[0] is not None:
                    answer.widget.blockSignals(True)
                    answer.set(None)
                    answer.widget.blockSignals(False)

    def answers(self) -> tuple[dict[str, Any], list[Problem]]:
        """The answers given (unanswered items left out: ``domain.screening.unanswered`` names
        them) and any date that could not be read."""
        values: dict[str, Any] = {}
        problems: list[Problem] = []
        for item_id, answer in self.answers_by_item.items():
            value, problem = answer.get()
            if problem:
                problems.append(Problem(item_id, problem))
            elif value is not None:
                values[item_id] = value
        # Only what the widgets could not read: what the rules refuse (a text too long, a date
        # after today) comes from the service's preview, by the domain's checks.
        return values, problems

    def set_answers(self, answers: dict[str, Any]) -> None:
        for item_id, answer in self.answers_by_item.items():
            answer.widget.blockSignals(True)
            answer.set(answers.get(item_id))
            answer.widget.blockSignals(False)
        self._update_follow_ups()
        self.answers_changed.emit()

    def set_read_only(self, read_only: bool) -> None:
        for answer in self.answers_by_item.values():
            answer.set_read_only(read_only)

    def show_problems(self, problems: list[Problem]) -> None:
        by_item = {p.field: p.message for p in problems}
        for item_id, label in self.errors.items():
            label.setText(by_item.get(item_id, ""))
            label.setVisible(item_id in by_item)

    def focus_first(self, problems: list[Problem] | None = None) -> None:
        """Put the cursor on the first question with a problem (the first question if none)."""
        fields = {p.field for p in problems or []}
        wanted = next((item_id for item_id in self.answers_by_item if item_id in fields), None)
        target = wanted or next(iter(self.answers_by_item))
        self.answers_by_item[target].focus.setFocus()
