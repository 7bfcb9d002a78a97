"""SettingsWindow: everything set up at first run and every clinic-editable text, in one place."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from exodesk.services.context import Changes
from exodesk.services.workspace import Services
from exodesk.ui.common import named, resize_within_screen
from exodesk.ui.dialogs.settings import ClinicSettingsPage
from exodesk.ui.dialogs.settings_page import SettingsPage, merge_changes

# The pages, in list order, by the keys callers open the window at.
CLINIC, SCREENING, AFTERCARE, COMPARISON = PAGES = (
    "clinic",
    "screening",
    "aftercare",
    "comparison",
)


class SettingsWindow(QDialog):
    """A page list on the left, the chosen page on the right; Ctrl+S saves the page shown.

    Leaving a page (another page, Esc, Close) with unsaved changes asks: Save, Discard or Stay.
    ``changes`` gathers what every save changed, for one ``data_changed`` when it closes.

    Args:
        parent: The main window.
        services: The open data file's services.
        page: CLINIC, SCREENING, AFTERCARE or COMPARISON to open at; the clinic details when
            None.
    """

    def __init__(
        self, parent: QWidget | None, services: Services, *, page: str | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settingsWindow")
        self.setWindowTitle("Settings")
        self.changes = Changes()
        # Imported here, not at start-up: they bring the aftercare and comparison services,
        # which nothing else needs before their tab or this window opens (issue #9).
        from exodesk.ui.dialogs.aftercare_wording import AftercareWordingPage
        from exodesk.ui.dialogs.comparison_texts import ComparisonTextsPage
        from exodesk.ui.dialogs.screening_settings import ScreeningSettingsPage

        self.pages: dict[str, SettingsPage] = {
            CLINIC: ClinicSettingsPage(services.clinic),
            SCREENING: ScreeningSettingsPage(services.screening),
            AFTERCARE: AftercareWordingPage(services.aftercare),
            COMPARISON: ComparisonTextsPage(services.comparison),
        }
        self.page_list = named(QListWidget(), "settingsPageList", "Settings pages")
        self.stack = QStackedWidget()
        self.stack.setObjectName("settingsStack")
        for number, key in enumerate(PAGES, start=1):
            editor = self.pages[key]
            self.page_list.addItem(editor.page_title)
            self.page_list.item(number - 1).setToolTip(f"Alt+{number}")
            self.stack.addWidget(editor)
            editor.saved.connect(self._saved)
        self.page_list.setStyleSheet("#settingsPageList::item { padding: 6px 8px; }")
        frame = 2 * self.page_list.frameWidth()
        self.page_list.setFixedWidth(self.page_list.sizeHintForColumn(0) + frame + 8)

        self.heading = QLabel()
        self.heading.setObjectName("settingsHeading")
        font = self.heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.heading.setFont(font)
        self.status = QLabel()
        self.status.setObjectName("settingsStatus")
        self.status.setWordWrap(True)
        self.save_button = named(
            QPushButton("Save"), "settingsWindowSave", "Save this page", "Save this page (Ctrl+S)"
        )
        self.save_button.setDefault(True)
        self.close_button = named(QPushButton("Close"), "settingsWindowClose", "Close", "Esc")
        self.save_button.clicked.connect(self.save_current)
        self.close_button.clicked.connect(self.reject)

        right = QVBoxLayout()
        right.addWidget(self.heading)
        right.addWidget(self.stack, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.close_button)
        right.addLayout(buttons)
        layout = QHBoxLayout(self)
        layout.addWidget(self.page_list)
        layout.addLayout(right, 1)

        QShortcut(QKeySequence.StandardKey.Save, self, self.save_current)
        QShortcut(QKeySequence("Ctrl+PgDown"), self, lambda: self._step(1))
        QShortcut(QKeySequence("Ctrl+PgUp"), self, lambda: self._step(-1))
        for number, key in enumerate(PAGES, start=1):
            QShortcut(QKeySequence(f"Alt+{number}"), self, lambda k=key: self.show_page(k))

        self._row = -1
        self.page_list.currentRowChanged.connect(self._row_chosen)
        self.page_list.setCurrentRow(PAGES.index(page or CLINIC))
        resize_within_screen(self, 1100, 700)

    # ---- pages ---------------------------------------------------------------------------
    @property
    def current(self) -> SettingsPage:
        return self.pages[PAGES[self._row]]

    def show_page(self, key: str) -> bool:
        """Go to a page (asking first about unsaved changes); True when it is shown."""
        self.page_list.setCurrentRow(PAGES.index(key))
        shown = self._row == PAGES.index(key)
        if shown:
            self.current.first_field().setFocus()
        return shown

    def limit_to(self, allowed: set[str], why: dict[str, str]) -> None:
        """Grey out the pages the person at the desk may not change (the services refuse them
        too); ``why`` says, per page, who may. Opens the first allowed page if need be."""
        for row, key in enumerate(PAGES):
            item = self.page_list.item(row)
            if key in allowed:
                continue
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            item.setToolTip(why.get(key, ""))
            self.pages[key].setEnabled(False)
        if PAGES[self._row] not in allowed and allowed:
            self.show_page(next(k for k in PAGES if k in allowed))

    def _step(self, by: int) -> None:
        self.show_page(PAGES[(self._row + by) % len(PAGES)])

    def _row_chosen(self, row: int) -> None:
        if row == self._row or row < 0:
            return
        if self._row >= 0 and not self.current.settle_unsaved(self):
            # Stay: the list goes back to the page whose typing is kept.
            self.page_list.blockSignals(True)
            self.page_list.setCurrentRow(self._row)
            self.page_list.blockSignals(False)
            return
        self._row = row
        self.stack.setCurrentIndex(row)
        self.heading.setText(self.current.page_title)
        self.status.setText("")

    # ---- saving and leaving ----------------------------------------------------------------
    def save_current(self) -> bool:
        """Save the page shown; problems show on the page, beside their fields."""
        page = self.current
        if not page.is_dirty():
            self.status.setText("Nothing to save: this page has no changes.")
            return True
        if page.save():
            self.status.setText(f"{page.page_title}: saved.")
            return True
        self.status.setText("Not saved.")
        return False

    def _saved(self, changes: Changes) -> None:
        self.changes = merge_changes(self.changes, changes)

    def reject(self) -> None:
        # Esc, Close and the window's close button all come here.
        if all(editor.settle_unsaved(self) for editor in self._dirty_first()):
            super().reject()

    def _dirty_first(self) -> list[SettingsPage]:
        # The page shown first, then any other (only the shown one can hold typing, since
        # leaving a page asks; the others are checked all the same).
        return [self.current, *(p for p in self.pages.values() if p is not self.current)]
