"""Driving modal dialogs from tests: act on the dialog once it is open, then let exec() return."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QWidget


def when_dialog_opens(
    kind: type[QDialog], action: Callable[[QDialog], None], *, attempts: int = 200
) -> list[QDialog]:
    """Arrange for ``action(dialog)`` to run as soon as a ``kind`` dialog is shown modally.

    Returns a list that will hold the dialog, so the test can assert it really opened.
    """
    seen: list[QDialog] = []

    def poll(remaining: int = attempts) -> None:
        widget: QWidget | None = QApplication.activeModalWidget()
        if isinstance(widget, kind) and widget.isVisible():
            seen.append(widget)
            action(widget)
            return
        if remaining:
            QTimer.singleShot(10, lambda: poll(remaining - 1))

    QTimer.singleShot(0, poll)
    return seen
