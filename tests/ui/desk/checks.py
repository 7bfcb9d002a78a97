"""What a person at a reception screen would notice, as checks on a shown window or dialog.

Each check returns plain sentences (empty: nothing wrong), so one test can report every
problem of a view at once. ``screen`` is the space the window must fit: offscreen it is the
size under test; on a real display (xcb) it is also the screen's available geometry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from PySide6 import QtGui
from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication, QScreen, QTextDocument
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLabel,
    QLayout,
    QLineEdit,
    QScrollArea,
    QWidget,
)


def on_a_real_display() -> bool:
    """A real display (xcb under Xvfb) places windows on a real screen; offscreen does not."""
    return QGuiApplication.platformName() not in ("offscreen", "minimal")


_REAL_AVAILABLE = QScreen.availableGeometry
"""The screen's own answer (the desk tests make the app see the size under test instead)."""


def in_the_real_screen(window: QWidget) -> list[str]:
    """On a real display: the window's real frame lies inside its screen's available area."""
    screen = window.screen()
    if not on_a_real_display() or screen is None:
        return []
    area = _REAL_AVAILABLE(screen)
    frame = _frame(window)
    if area.contains(frame):
        return []
    return [
        f"{describe(window)}'s frame {frame.x()},{frame.y()} {frame.width()}×{frame.height()} "
        f"is not inside the screen's available area {area.x()},{area.y()} "
        f"{area.width()}×{area.height()}"
    ]


def describe(widget: QWidget) -> str:
    """How a failure names a widget: its objectName, else its text, else its type."""
    name = widget.objectName()
    if name and not name.startswith("qt_"):
        return name
    text = getattr(widget, "text", None)
    if callable(text) and text():
        return f"{type(widget).__name__} {_plain(str(text()))[:40]!r}"
    return type(widget).__name__


def _plain(text: str) -> str:
    if QtGui.Qt.mightBeRichText(text):
        doc = QTextDocument()
        doc.setHtml(text)
        return doc.toPlainText()
    return text


def _shown(widget: QWidget) -> bool:
    return widget.isVisible() and widget.width() > 0 and widget.height() > 0


def _inside_scrolled_content(widget: QWidget, top: QWidget) -> bool:
    """The widget sits inside a scroll area's content, where scrolling (down) reaches it."""
    parent = widget.parentWidget()
    while parent is not None and parent is not top:
        grand = parent.parentWidget()
        if isinstance(grand, QAbstractScrollArea) and parent is grand.viewport():
            return True
        parent = grand
    return False


TITLE_BAR = 31
"""Windows draws a title bar about 31 px high (in logical pixels, at any scaling). Offscreen Qt
and a bare X server draw none (or a thin line): the size checks add what is missing."""


def _frame(window: QWidget) -> QRect:
    """The window's frame on screen, as drawn here."""
    frame = window.frameGeometry()
    return frame if frame.isValid() else window.geometry()


def frame_margins(window: QWidget) -> tuple[int, int, int]:
    """(left + right, title bar, bottom) around the window's contents, a Windows title bar
    at least."""
    frame, inner = _frame(window), window.geometry()
    sides = max(frame.width() - inner.width(), 0)
    title = max(inner.top() - frame.top(), TITLE_BAR)
    bottom = max(frame.bottom() - inner.bottom(), 0)
    return sides, title, bottom


def outer_size(window: QWidget) -> QSize:
    """The window's size on a Windows screen: its contents, frame and title bar."""
    sides, title, bottom = frame_margins(window)
    return window.size() + QSize(sides, title + bottom)


def window_fits(window: QWidget, screen: QRect, *, placed: bool = True) -> list[str]:
    """The window, title bar and all, is no larger than the screen, and (``placed``: on a
    real display, where Qt placed it on that screen) lies inside it."""
    size = outer_size(window)
    if size.width() > screen.width() or size.height() > screen.height():
        return [
            f"{describe(window)} is {size.width()}×{size.height()} with its title bar, larger "
            f"than the {screen.width()}×{screen.height()} screen"
        ]
    frame = _frame(window)
    if placed and not screen.contains(frame):
        return [
            f"{describe(window)} at {frame.x()},{frame.y()} {frame.width()}×{frame.height()} "
            f"reaches outside the screen {screen.x()},{screen.y()} "
            f"{screen.width()}×{screen.height()}"
        ]
    return []


PASSING = (Qt.WindowType.Popup, Qt.WindowType.ToolTip)
"""Menus, drop-downs and tooltips come and go with the mouse: they are not windows left open."""


def no_stray_windows(allowed: Iterable[QWidget], before: Iterable[QWidget]) -> list[str]:
    """No visible top-level window other than ``allowed`` (and those already open before)."""
    keep = {id(w) for w in allowed} | {id(w) for w in before}
    stray = [
        w
        for w in QApplication.topLevelWidgets()
        if w.isVisible() and id(w) not in keep and w.windowType() not in PASSING
    ]
    return [
        f"a stray window {describe(w)} ({type(w).__name__}) at {w.x()},{w.y()} "
        f"{w.width()}×{w.height()}"
        for w in stray
    ]


def no_sideways_scrolling(window: QWidget) -> list[str]:
    """No form area (a QScrollArea holding widgets) shows a sideways scroll bar."""
    return [
        f"{describe(area)} scrolls sideways (its content is "
        f"{area.widget().width() if area.widget() else 0} wide in a "
        f"{area.viewport().width()} wide view)"
        for area in window.findChildren(QScrollArea)
        if _shown(area) and area.horizontalScrollBar().isVisible()
    ]


def where(widget: QWidget, window: QWidget) -> QRect:
    """The widget's rectangle in its window's coordinates."""
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def seen_part(widget: QWidget, window: QWidget) -> QRect:
    """What of the widget its parents let show (a scroll area's view cuts its content), in
    the window's coordinates. Covering by siblings (the lock screen's cover) is not cutting."""
    seen = where(widget, window)
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        seen = seen.intersected(where(parent, window))
        parent = parent.parentWidget()
    return seen.intersected(window.rect())


def buttons_inside(window: QWidget) -> list[str]:
    """Every visible button lies inside its window and is not cut by what holds it.

    A button inside a scroll area's content may lie below the visible part (scrolling down
    reaches it); sideways scrolling is no_sideways_scrolling's business.
    """
    problems = []
    inside = window.rect()
    for button in window.findChildren(QAbstractButton):
        if not _shown(button) or _inside_scrolled_content(button, window):
            continue
        if type(button).__name__ == "QTableCornerButton":
            continue
        rect = where(button, window)
        if not inside.contains(rect):
            problems.append(
                f"button {describe(button)} at {rect.x()},{rect.y()} {rect.width()}×"
                f"{rect.height()} is outside its {inside.width()}×{inside.height()} window"
            )
            continue
        seen = seen_part(button, window)
        if seen != rect:
            problems.append(
                f"button {describe(button)} is {rect.width()}×{rect.height()} but only "
                f"{seen.width()}×{seen.height()} of it shows"
            )
    return problems


_MNEMONIC = re.compile(r"&(.)")


def label_text_width(label: QLabel) -> int:
    """The width the label's longest line needs, as drawn (without wrapping)."""
    text = _plain(label.text())
    if label.textFormat() != Qt.TextFormat.RichText and label.buddy() is not None:
        text = _MNEMONIC.sub(r"\1", text)
    metrics = label.fontMetrics()
    return max((metrics.horizontalAdvance(line) for line in text.splitlines()), default=0)


def no_cut_labels(window: QWidget) -> list[str]:
    """No visible one-line label is narrower than its text unless a tooltip says it all."""
    problems = []
    for label in window.findChildren(QLabel):
        if not _shown(label) or label.wordWrap() or not label.text() or label.toolTip():
            continue
        if label.pixmap() is not None and not label.pixmap().isNull():
            continue
        room = label.contentsRect().width() - 2 * max(label.margin(), 0)
        indent = label.indent()
        if indent > 0:
            room -= indent
        needed = label_text_width(label)
        if needed > room + 1:
            problems.append(
                f"label {describe(label)} needs {needed} px for "
                f"{_plain(label.text())[:50]!r} but has {room} px and no tooltip"
            )
    return problems


CONTROLS = (QAbstractButton, QLineEdit, QAbstractSpinBox, QComboBox, QAbstractScrollArea)


def _related(a: QWidget, b: QWidget) -> bool:
    return a is b or a.isAncestorOf(b) or b.isAncestorOf(a)


def _in_layout(layout: QLayout, widget: QWidget) -> bool:
    for n in range(layout.count()):
        item = layout.itemAt(n)
        inner = item.layout() if item is not None else None
        if item is not None and item.widget() is widget:
            return True
        if inner is not None and _in_layout(inner, widget):
            return True
    return False


def _laid_out_together(a: QWidget, b: QWidget) -> bool:
    """Both are placed by the layouts of the widget they share: neither floats above the
    other on purpose (as the lock screen's cover does over the window)."""
    chain = [a]
    while (parent := chain[-1].parentWidget()) is not None:
        chain.append(parent)
    branch_b = b
    while (parent := branch_b.parentWidget()) is not None and parent not in chain:
        branch_b = parent
    if parent is None:
        return False
    branch_a = chain[chain.index(parent) - 1]
    layout = parent.layout()
    return layout is not None and _in_layout(layout, branch_a) and _in_layout(layout, branch_b)


def no_overlapping_buttons(window: QWidget) -> list[str]:
    """No visible button lies over (or under) another control, e.g. Save over the Notes box."""
    # What can be seen of each: a scroll area's content is cut at the edge of its view.
    controls = [
        (w, seen)
        for w in window.findChildren(QWidget)
        if isinstance(w, CONTROLS)
        and _shown(w)
        and type(w).__name__ != "QTableCornerButton"
        and not (seen := seen_part(w, window)).isEmpty()
    ]
    # Parts of one compound control (a combo box's button, a spin box's line edit) belong
    # together: only controls that are not inside each other can overlap.
    problems = []
    for n, (button, here) in enumerate(controls):
        if not isinstance(button, QAbstractButton):
            continue
        for other, there in controls[:n] + controls[n + 1 :]:
            if _related(button, other) or not here.intersects(there):
                continue
            if not _laid_out_together(button, other):
                continue
            if isinstance(other, QAbstractButton) and id(other) < id(button):
                continue  # each pair of buttons once
            overlap = here.intersected(there)
            if overlap.width() > 1 and overlap.height() > 1:
                problems.append(
                    f"button {describe(button)} overlaps {describe(other)} by "
                    f"{overlap.width()}×{overlap.height()}"
                )
    return problems


def everything(window: QWidget, screen: QRect, *, placed: bool = True) -> list[str]:
    """Every check above that looks inside one window."""
    return (
        window_fits(window, screen, placed=placed)
        + in_the_real_screen(window)
        + no_sideways_scrolling(window)
        + buttons_inside(window)
        + no_overlapping_buttons(window)
        + no_cut_labels(window)
    )
