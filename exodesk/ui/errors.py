"""Errors on screen: plain sentences for expected ones, one crash dialog for everything else."""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from exodesk.errors import UserError

log = logging.getLogger(__name__)


def show_user_error(parent: QWidget | None, exc: UserError, title: str = "ExoDesk") -> None:
    """One plain sentence and what to do next."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, exc.message, parent=parent)
    box.setObjectName("userErrorBox")
    if exc.advice:
        box.setInformativeText(exc.advice)
    box.exec()


def _excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    if isinstance(value, UserError):
        log.warning("user error reached the top: %s", value)
        show_user_error(QApplication.activeWindow(), value)
        return
    details = "".join(traceback.format_exception(kind, value, tb))
    log.error("unexpected error:\n%s", details)
    if QApplication.instance() is None:
        sys.__excepthook__(kind, value, tb)
        return
    box = QMessageBox(
        QMessageBox.Icon.Critical,
        "ExoDesk: something went wrong",
        "Something unexpected went wrong. What you had already saved is safe.",
    )
    box.setObjectName("crashBox")
    box.setInformativeText("The details are in the log file. Copy them for whoever supports you.")
    box.setDetailedText(details)
    copy = box.addButton("Copy details", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Close)
    box.exec()
    if box.clickedButton() is copy:
        QApplication.clipboard().setText(details)


def install_excepthook() -> None:
    """Route every unexpected exception to the log file and one dialog."""
    sys.excepthook = _excepthook
