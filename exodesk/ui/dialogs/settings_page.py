"""SettingsPage: one settings editor, shared by its own dialog and the Settings window."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from exodesk.services.context import Changes
from exodesk.ui.common import named

SAVE, DISCARD, STAY = "save", "discard", "stay"


def merge_changes(first: Changes, second: Changes) -> Changes:
    """Both changes as one, so the main window refreshes once for several saves."""
    return Changes(first.topics | second.topics, first.patient_id or second.patient_id)


class SettingsPage(QWidget):
    """An editor that knows whether it holds unsaved typing and saves itself through a service.

    Subclasses fill in ``snapshot`` (the edited values, normalised so that an untouched page
    compares equal to what was loaded), ``_store`` and ``discard``; they call ``mark_clean``
    once the widgets show what is stored.
    """

    saved = Signal(object)  # Changes of a successful save
    page_title = ""

    def __init__(self) -> None:
        super().__init__()
        self.changes = Changes()
        self._clean: Any = None

    # ---- what subclasses provide -----------------------------------------------------------
    def snapshot(self) -> Any:
        """The values on screen, comparable with ``==``."""
        raise NotImplementedError

    def _store(self) -> Changes | None:
        """Save through the service; show problems inline and return None when refused."""
        raise NotImplementedError

    def discard(self) -> None:
        """Drop the typing: show what is stored again."""
        raise NotImplementedError

    def first_field(self) -> QWidget:
        """Where the keyboard starts on this page."""
        return self

    # ---- shared ----------------------------------------------------------------------------
    def mark_clean(self) -> None:
        self._clean = self.snapshot()

    def is_dirty(self) -> bool:
        return self.snapshot() != self._clean

    def save(self) -> bool:
        """Store the page; True when stored (or nothing needed storing)."""
        changes = self._store()
        if changes is None:
            return False
        self.changes = merge_changes(self.changes, changes)
        self.mark_clean()
        if changes.topics:
            self.saved.emit(changes)
        return True

    def settle_unsaved(self, parent: QWidget) -> bool:
        """Before leaving the page: ask about unsaved typing. True when it is safe to leave."""
        if not self.is_dirty():
            return True
        choice = ask_unsaved(parent, self.page_title)
        if choice == SAVE:
            return self.save()
        if choice == DISCARD:
            self.discard()
            return True
        return False


def ask_unsaved(parent: QWidget, what: str) -> str:
    """Save, Discard or Stay: typing is never dropped without asking. Esc means Stay."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Unsaved changes",
        f"{what} has changes that are not saved yet.",
        parent=parent,
    )
    box.setObjectName("unsavedChangesBox")
    box.setInformativeText("Save them, discard them, or stay on this page to go on editing.")
    save = named(box.addButton(QMessageBox.StandardButton.Save), "unsavedSave", "Save the changes")
    discard = named(
        box.addButton("&Discard changes", QMessageBox.ButtonRole.DestructiveRole),
        "unsavedDiscard",
        "Discard the changes",
    )
    stay = named(box.addButton("S&tay", QMessageBox.ButtonRole.RejectRole), "unsavedStay", "Stay")
    box.setDefaultButton(save)
    box.setEscapeButton(stay)
    box.exec()
    clicked = box.clickedButton()
    box.deleteLater()
    if clicked is save:
        return SAVE
    if clicked is discard:
        return DISCARD
    return STAY
