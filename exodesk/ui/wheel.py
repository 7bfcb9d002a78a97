"""A combo box the mouse wheel changes only once it has focus, so scrolling never changes one."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QComboBox, QWidget


class NoWheelComboBox(QComboBox):
    """A combo box that the mouse wheel changes only once it has focus.

    Scrolling a long form with the pointer over a plain combo box changes its choice without
    a word (a substance, a severity); here the wheel scrolls the form instead until the box is
    clicked or tabbed to.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Not WheelFocus: the wheel must not give it focus either.
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()  # passed on to whatever scrolls around it
