"""Small helpers every screen uses: names for assistive tech, inline problems, dates, locale."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QLabel, QWidget

from exodesk.domain.dates import format_short
from exodesk.domain.problems import Problem

ERROR_STYLE = "color: #b00020;"


def named[W: QWidget](widget: W, object_name: str, accessible_name: str, tip: str = "") -> W:
    """Give a widget the objectName tests use and the accessibleName screen readers speak.

    Generic so callers keep the concrete type (a QLineEdit stays a QLineEdit).
    """
    widget.setObjectName(object_name)
    widget.setAccessibleName(accessible_name)
    if tip:
        widget.setToolTip(tip)
    return widget


def error_label(object_name: str) -> QLabel:
    """A hidden red label that sits under a field and shows its problem."""
    label = QLabel()
    label.setObjectName(object_name)
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.hide()
    return label


def show_problems(labels: dict[str, QLabel], problems: list[Problem]) -> None:
    """Show each problem beside its field; clear the rest."""
    by_field = {p.field: p.message for p in problems}
    for key, label in labels.items():
        message = by_field.get(key, "")
        label.setText(message)
        label.setVisible(bool(message))
        label.setAccessibleName(message)


def grow_to_fit(window: QWidget) -> None:
    """Make a window taller when problems appeared in it, so no field is squeezed.

    A word-wrapped problem line needs height for the window's width, which Qt's minimum size
    leaves out; the window grows to the height its layout needs at its width (never shrinks).
    """
    layout = window.layout()
    if layout is None:
        return
    needed = max(layout.totalMinimumSize().height(), layout.totalHeightForWidth(window.width()))
    if window.height() < needed:
        window.resize(window.width(), needed)


def locale_day_first(locale: QLocale | None = None) -> bool:
    """Whether the user's locale writes the day before the month (03/04 = 3 April)."""
    fmt = (locale or QLocale()).dateFormat(QLocale.FormatType.ShortFormat)
    d, m = fmt.find("d"), fmt.find("M")
    return d < m if d >= 0 and m >= 0 else True


def date_hint(day_first: bool) -> str:
    return "dd/mm/yyyy" if day_first else "mm/dd/yyyy"


def format_date(day: date | None) -> str:
    """Unambiguous in any locale: ``3 Apr 1985``."""
    return format_short(day) if day else ""
