"""ProgressSheetDialog: choose up to four before-and-after pairs of one area and print them on
the patient's progress sheet (through the one print path, recorded in the issue log)."""

from __future__ import annotations

import itertools

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.photo_sheet import MAX_PAIRS
from exodesk.domain.photos import Photo, PhotoSet
from exodesk.errors import UserError
from exodesk.services.context import Changes
from exodesk.services.workspace import Services
from exodesk.ui.common import error_label, named, resize_within_screen
from exodesk.ui.errors import show_user_error
from exodesk.ui.look import NOTE, ink_style
from exodesk.ui.photos.compare import caption
from exodesk.ui.printing import preview_job
from exodesk.ui.widgets import NoWheelComboBox


class _PairRow:
    """One line of the form: include it, which view, the earlier and the later date."""

    def __init__(self, number: int) -> None:
        self.include = named(
            QCheckBox(f"Pair &{number}"), f"sheetPair{number}", f"Print pair {number}"
        )
        self.view = named(NoWheelComboBox(), f"sheetPair{number}View", f"Pair {number}: view")
        self.before = named(
            NoWheelComboBox(), f"sheetPair{number}Before", f"Pair {number}: earlier date"
        )
        self.after = named(
            NoWheelComboBox(), f"sheetPair{number}After", f"Pair {number}: later date"
        )
        self.dates: list[Photo] = []


class ProgressSheetDialog(QDialog):
    """Pick the pairs, then Print… opens the preview. ``changes`` holds what printing
    recorded (the issue log)."""

    def __init__(
        self,
        parent: QWidget | None,
        services: Services,
        *,
        patient_id: int,
        patient_name: str,
        area: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("progressSheetDialog")
        self.setAccessibleName("Print a progress sheet")
        self.setWindowTitle(f"Progress sheet — {patient_name}")
        self._services = services
        self._photos = services.photos
        self._patient_id = patient_id
        self._table = self._photos.views
        self.changes = Changes()
        self._sets: dict[int, PhotoSet] = {}

        intro = QLabel(
            f"Choose up to {MAX_PAIRS} before-and-after pairs of one area. They print on one "
            "page with the ratings, for the patient to take home."
        )
        intro.setObjectName("sheetIntro")
        intro.setWordWrap(True)
        self.area = named(NoWheelComboBox(), "sheetArea", "Area")
        for area_id in self._table.areas:
            self.area.addItem(self._table.area_label(area_id), area_id)
        if area is not None and self.area.findData(area) >= 0:
            self.area.setCurrentIndex(self.area.findData(area))
        area_label = QLabel("&Area")
        area_label.setBuddy(self.area)
        top = QHBoxLayout()
        top.addWidget(area_label)
        top.addWidget(self.area)
        top.addStretch(1)

        self.problem = error_label("sheetProblem")
        grid = QGridLayout()
        for column, words in enumerate(("", "View", "Before", "After")):
            heading = QLabel(words)
            heading.setObjectName(f"sheetHeading{column}")
            heading.setStyleSheet(ink_style(NOTE, bold=True))
            grid.addWidget(heading, 0, column)
        self.rows = [_PairRow(n) for n in range(1, MAX_PAIRS + 1)]
        for r, row in enumerate(self.rows, start=1):
            grid.addWidget(row.include, r, 0)
            grid.addWidget(row.view, r, 1)
            grid.addWidget(row.before, r, 2)
            grid.addWidget(row.after, r, 3)
            row.view.currentIndexChanged.connect(lambda _=0, rw=row: self._fill_dates(rw))
            row.include.toggled.connect(lambda _=False: self.problem.hide())
        grid.setColumnStretch(1, 2)
        grid.setColumnStretch(2, 3)
        grid.setColumnStretch(3, 3)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.print_button = named(
            buttons.button(QDialogButtonBox.StandardButton.Ok),
            "sheetPrint",
            "Preview and print the progress sheet",
            "Opens the preview; printing or saving it is recorded in the issue log (Enter)",
        )
        self.print_button.setText("&Print…")
        self.cancel_button = named(
            buttons.button(QDialogButtonBox.StandardButton.Cancel),
            "sheetCancel",
            "Close",
            "Close without printing (Esc)",
        )
        self.cancel_button.setText("Close")
        buttons.accepted.connect(self.print_sheet)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(top)
        layout.addLayout(grid)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.area.currentIndexChanged.connect(self._fill)
        chain: list[QWidget] = [self.area]
        for row in self.rows:
            chain += [row.include, row.view, row.before, row.after]
        chain += [self.print_button, self.cancel_button]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)
        self._fill()
        resize_within_screen(self, 820, 420)

    @property
    def area_id(self) -> str:
        return str(self.area.currentData())

    def _fill(self) -> None:
        """Each row offers the area's views; the views with two dates or more are chosen in
        order, earliest (the baseline) against the latest."""
        self._sets = {s.id: s for s in self._photos.sets(self._patient_id)}
        views = self._table.views(self.area_id)
        comparable = [
            v
            for v, _ in views
            if len(self._photos.compare_pair(self._patient_id, self.area_id, v)) >= 2
        ]
        for index, row in enumerate(self.rows):
            row.view.blockSignals(True)
            row.view.clear()
            for view_id, label in views:
                row.view.addItem(label, view_id)
            wanted = comparable[index] if index < len(comparable) else None
            if wanted is not None:
                row.view.setCurrentIndex(row.view.findData(wanted))
            row.view.blockSignals(False)
            row.include.setChecked(wanted is not None)
            self._fill_dates(row)

    def _fill_dates(self, row: _PairRow) -> None:
        row.dates = self._photos.compare_pair(
            self._patient_id, self.area_id, str(row.view.currentData())
        )
        for combo in (row.before, row.after):
            combo.clear()
            for photo in row.dates:
                photo_set = self._sets.get(photo.set_id)
                words = (
                    caption(photo_set.taken_on, photo_set.label)
                    if photo_set is not None
                    else caption(photo.taken_at.date())
                )
                combo.addItem(words, photo.id)
        if row.dates:
            row.before.setCurrentIndex(0)
            row.after.setCurrentIndex(len(row.dates) - 1)

    def pairs(self) -> list[tuple[Photo, Photo]]:
        """(earlier photo, later photo) of each row ticked, in order."""
        chosen = []
        for row in self.rows:
            b, a = row.before.currentIndex(), row.after.currentIndex()
            if not row.include.isChecked() or b < 0 or a < 0 or a == b:
                continue
            chosen.append((row.dates[min(a, b)], row.dates[max(a, b)]))
        return chosen

    def print_sheet(self) -> None:
        pairs = self.pairs()
        if not pairs:
            self.problem.setText(
                "Tick at least one pair with two different dates (a view needs a follow-up "
                "set as well as the baseline)."
            )
            self.problem.show()
            return
        try:
            sheet = self._photos.progress_sheet_data(
                self._patient_id, [(before.id, after.id) for before, after in pairs]
            )
            job = self._services.photo_sheet.sheet_job(sheet, patient_id=self._patient_id)
        except UserError as exc:
            show_user_error(self, exc)
            return
        preview_job(self, job, self._recorded)

    def _recorded(self, changes: Changes) -> None:
        if changes.topics:
            self.changes = Changes(self.changes.topics | changes.topics, self._patient_id)
