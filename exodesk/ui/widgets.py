"""Reusable input widgets: a date field that takes typed dates, a calendar and "Never"; combo
boxes, spin boxes and date-time fields the mouse wheel cannot change in passing (exodesk/ui
uses these, never the bare Qt classes: tests/ui/test_wheel.py scans for them)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QCalendarWidget,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QSpinBox,
    QToolButton,
    QWidget,
    QWidgetAction,
)

from exodesk.domain.dates import format_long, parse_user_date
from exodesk.ui.common import date_hint, format_date, named
from exodesk.ui.look import NOTE, ink_style


class DateField(QWidget):
    """A date typed as people type it (03/04/2026, 2026-04-03, 2026/04/03; "yesterday" or
    "2 weeks ago" where a past date is asked), or picked from a calendar.

    ``value()`` returns (date | None, problem text | None); the reading beside the field
    ("= Thu 19 Nov 2026") shows how the typing was understood. With ``never_button`` a "Never"
    box sits beside it, so "never" is said, not inferred from an empty field: ticking it clears
    the date, typing or picking a date unticks it, and ``is_never()`` tells which was said.
    """

    changed = Signal()

    def __init__(
        self,
        object_name: str,
        accessible_name: str,
        *,
        day_first: bool,
        today: Callable[[], date],
        never_button: bool = True,
        past: bool = True,
    ) -> None:
        super().__init__()
        self._day_first = day_first
        self._past = past  # a past date is asked: "yesterday", "3 days ago" are understood
        self._today = today
        self.edit = named(
            QLineEdit(),
            object_name,
            accessible_name,
            f"Type a date like {date_hint(day_first)}"
            + (", “yesterday” or “3 days ago”" if past else "")
            + (", or tick Never" if never_button else ", or leave empty for never"),
        )
        self.edit.setPlaceholderText(date_hint(day_first))
        self.edit.setMaximumWidth(130)
        self.reading = QLabel()
        self.reading.setObjectName(f"{object_name}_reading")
        self.reading.setStyleSheet(ink_style(NOTE))
        self.calendar_button = named(
            QToolButton(), f"{object_name}_calendar", f"{accessible_name}: pick from a calendar"
        )
        self.calendar_button.setText("▦")  # a glyph every bundled and system font has
        self.calendar_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.calendar_button)
        self.calendar = QCalendarWidget()
        self.calendar.setObjectName(f"{object_name}_calendarWidget")
        self.calendar.setAccessibleName("Calendar")
        self.calendar.setMaximumDate(QDate(today().year, today().month, today().day))
        action = QWidgetAction(menu)
        action.setDefaultWidget(self.calendar)
        menu.addAction(action)
        self.calendar_button.setMenu(menu)
        self.calendar.clicked.connect(self._picked)
        self.calendar.activated.connect(self._picked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        layout.addWidget(self.calendar_button)
        self.never: QCheckBox | None = None
        if never_button:
            self.never = named(
                QCheckBox("Never"),
                f"{object_name}_never",
                f"{accessible_name}: never",
                "Tick if this has never happened",
            )
            self.never.toggled.connect(self._never_toggled)
            layout.addWidget(self.never)
        layout.addWidget(self.reading, 1)
        self.edit.textChanged.connect(self._typed)
        self.setFocusProxy(self.edit)

    def _picked(self, qdate: QDate) -> None:
        self.set_value(date(qdate.year(), qdate.month(), qdate.day()))
        self.calendar_button.menu().hide()
        self.edit.setFocus()

    def _typed(self) -> None:
        day, problem = self.value()
        if problem or day is None:
            self.reading.setText("")
        else:
            self.reading.setText(f"= {format_long(day)}")
        if self.never is not None and self.edit.text().strip() and self.never.isChecked():
            # A date typed after "Never" replaces it; one change, so one signal.
            self.never.blockSignals(True)
            self.never.setChecked(False)
            self.never.blockSignals(False)
        self.changed.emit()

    def _never_toggled(self, ticked: bool) -> None:
        if ticked and self.edit.text():
            self.edit.blockSignals(True)
            self.edit.clear()
            self.edit.blockSignals(False)
            self.reading.setText("")
        self.changed.emit()

    def clear(self) -> None:
        self.edit.clear()

    def set_value(self, day: date | None) -> None:
        self.edit.setText(format_date(day) if day else "")

    def is_never(self) -> bool:
        """True when "Never" is ticked (always False without the box)."""
        return self.never is not None and self.never.isChecked()

    def set_never(self, never: bool) -> None:
        """Tick or untick "Never"; ticking it clears the date."""
        if self.never is not None:
            self.never.setChecked(never)

    def value(self) -> tuple[date | None, str | None]:
        text = self.edit.text().strip()
        if not text:
            return None, None
        try:
            today = self._today()
            day = parse_user_date(
                text,
                day_first=self._day_first,
                pivot_today=today,
                relative_to=today if self._past else None,
            )
            return day, None
        except ValueError as exc:
            return None, str(exc)

    def set_read_only(self, read_only: bool) -> None:
        self.edit.setReadOnly(read_only)
        self.calendar_button.setEnabled(not read_only)
        if self.never is not None:
            self.never.setEnabled(not read_only)


def align_top(label: QLabel) -> QLabel:
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    return label


# mypy sees the mixin as a QWidget (so super() calls check); at run time it is a plain class
# placed before the Qt box in each subclass's bases.
if TYPE_CHECKING:
    _WheelBase = QWidget
else:
    _WheelBase = object


class _WheelWhenFocused(_WheelBase):
    """The mouse wheel changes the box only once it has focus.

    Scrolling a long form with the pointer over a plain combo box or spin box changes its
    answer without a word; here the wheel scrolls the form instead until the box is clicked
    or tabbed to. Not WheelFocus (Qt's default for these): the wheel must not give it focus
    either.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()  # passed on to the scroll area around the form


class NoWheelComboBox(_WheelWhenFocused, QComboBox):
    """A combo box that the mouse wheel changes only once it has focus."""


class NoWheelSpinBox(_WheelWhenFocused, QSpinBox):
    """A spin box that the mouse wheel changes only once it has focus."""


class NoWheelDoubleSpinBox(_WheelWhenFocused, QDoubleSpinBox):
    """A decimal spin box that the mouse wheel changes only once it has focus."""


class NoWheelDateTimeEdit(_WheelWhenFocused, QDateTimeEdit):
    """A date-and-time field that the mouse wheel changes only once it has focus."""
