"""Small helpers every screen uses: names for assistive tech, inline problems, dates, locale."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from PySide6.QtCore import QLocale, QObject, Qt, SignalInstance
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QDoubleSpinBox,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from exodesk.domain.dates import format_short
from exodesk.domain.problems import Problem
from exodesk.ui.look import ERROR, ink_style


def error_style(*, bold: bool = False) -> str:
    """Red words for a problem, as red as the palette allows while staying readable."""
    return ink_style(ERROR, bold=bold)


# A line edit takes whatever is typed or pasted: the form's check refuses what is too long
# and says how long it really is. Qt's own cap (32,767, or any setMaxLength) cuts silently.
UNCUT = 2**31 - 1


def named[W: QWidget](widget: W, object_name: str, accessible_name: str, tip: str = "") -> W:
    """Give a widget the objectName tests use and the accessibleName screen readers speak.

    Generic so callers keep the concrete type (a QLineEdit stays a QLineEdit). A QLineEdit
    also loses Qt's length cap (``UNCUT``): nothing typed or pasted is silently cut.
    """
    widget.setObjectName(object_name)
    widget.setAccessibleName(accessible_name)
    if tip:
        widget.setToolTip(tip)
    if isinstance(widget, QLineEdit):
        widget.setMaxLength(UNCUT)
    return widget


def error_label(object_name: str) -> QLabel:
    """A hidden red label that sits under a field and shows its problem."""
    label = QLabel()
    label.setObjectName(object_name)
    label.setStyleSheet(error_style())
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


def clear_when_edited(label: QLabel, *fields: QObject) -> None:
    """Hide ``label``'s problem as soon as one of ``fields`` changes.

    The problem was about what the field held when it was checked; once it is edited the old
    sentence is wrong or stale, and saving checks the new value again. Fields are line and
    text edits, combo boxes, spin and date-time boxes, check boxes, and any widget with a
    ``changed`` signal (DateField).
    """

    def clear(*_args: object) -> None:
        if label.text():
            label.setText("")
            label.setAccessibleName("")
            label.hide()

    for field in fields:
        if isinstance(field, QLayout):  # every field laid out in it (a row of check boxes)
            items = (field.itemAt(i) for i in range(field.count()))
            found = [item.widget() or item.layout() for item in items if item is not None]
            clear_when_edited(label, *(f for f in found if f is not None and _editable(f)))
        elif isinstance(field, QLineEdit | QPlainTextEdit):
            field.textChanged.connect(clear)
        elif isinstance(field, QComboBox):
            field.currentIndexChanged.connect(clear)
            field.editTextChanged.connect(clear)
        elif isinstance(field, QDateTimeEdit):
            field.dateTimeChanged.connect(clear)
        elif isinstance(field, QSpinBox | QDoubleSpinBox):
            field.valueChanged.connect(clear)
        elif isinstance(field, QAbstractButton):
            field.toggled.connect(clear)
        elif isinstance(getattr(field, "changed", None), SignalInstance):
            field.changed.connect(clear)  # type: ignore[attr-defined]
        else:
            raise TypeError(f"no edit signal known for {type(field).__name__}")


def _editable(thing: QObject) -> bool:
    """Whether ``clear_when_edited`` knows how ``thing`` says it changed (labels do not)."""
    return isinstance(
        thing,
        QLayout
        | QLineEdit
        | QPlainTextEdit
        | QComboBox
        | QDateTimeEdit
        | QSpinBox
        | QDoubleSpinBox
        | QAbstractButton,
    ) or isinstance(getattr(thing, "changed", None), SignalInstance)


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


FRAME_ALLOWANCE = (16, 40)
"""Room a window frame and title bar take around a window's contents (Windows draws about 31 px
of title bar; 40 leaves some to spare)."""


def resize_within_screen(window: QWidget, width: int, height: int) -> None:
    """Give a window its preferred size, or less where its screen is smaller (1366×728 with a
    taskbar, 1280×720 at 150 %), so its title bar and buttons stay on the screen."""
    screen = window.screen()  # the primary screen until the window is shown
    if screen is not None:
        area = screen.availableGeometry()
        width = min(width, area.width() - FRAME_ALLOWANCE[0])
        height = min(height, area.height() - FRAME_ALLOWANCE[1])
    window.resize(width, height)


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


def without_default_buttons(widget: QWidget) -> None:
    """No button of ``widget`` answers Enter by itself: Enter belongs to the focused form
    (``enter_saves``), so it never presses a button the person is not looking at."""
    for button in widget.findChildren(QPushButton):
        button.setAutoDefault(False)
        button.setDefault(False)


def enter_saves(
    event: QKeyEvent,
    focus: QWidget | None,
    forms: Sequence[tuple[QWidget, Callable[[], object]]],
    *,
    on_list: Callable[[], object] | None = None,
) -> bool:
    """Enter in a window with several forms: a focused button is pressed, a focused list does
    ``on_list`` (or nothing more than the arrow keys did), and a field saves the form that
    holds it. Returns False, doing nothing, for any other key (the caller passes it on)."""
    if event.key() not in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
        return False
    if isinstance(focus, QPushButton):
        focus.click()
    elif focus is None:
        pass
    elif isinstance(focus, QAbstractItemView):
        if on_list is not None:
            on_list()
    else:
        for box, save in forms:
            if box.isAncestorOf(focus):
                save()
                break
    return True
