"""CompareWindow: one view of one area on two dates (the view helper's CompareView), the
course's ratings as a chart beside it, and rating the set on the right."""

from __future__ import annotations

import itertools
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.dates import format_short
from exodesk.domain.photos import (
    GAIS_PATIENT,
    GAIS_PRACTITIONER,
    SCALE_LABELS,
    SCALES,
    Photo,
    PhotoSet,
    newest_ratings,
    scales_for,
    value_label,
)
from exodesk.errors import UserError
from exodesk.services.context import Changes
from exodesk.services.photos import PHOTOS
from exodesk.services.workspace import Services
from exodesk.ui.common import named, resize_within_screen, without_default_buttons
from exodesk.ui.errors import show_user_error
from exodesk.ui.look import NOTE, ink_style
from exodesk.ui.photos.chart import RatingChart
from exodesk.ui.photos.compare import CompareView, caption
from exodesk.ui.widgets import NoWheelComboBox

FEWER_THAN_TWO = "This view has fewer than two dates yet: take a follow-up set to compare."


class CompareWindow(QDialog):
    """Compare a view across dates. The left picture is the earlier date (the baseline to
    begin with), the right the later one; arrows move the right one through the dates, 1–5
    choose the view. ``changes`` holds what rating did."""

    def __init__(
        self,
        parent: QWidget | None,
        services: Services,
        *,
        patient_id: int,
        patient_name: str,
        area: str | None = None,
        view: str | None = None,
        photo_id: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("photoCompareWindow")
        self.setAccessibleName("Compare photos")
        self.setWindowTitle(f"Compare photos — {patient_name}")
        self._services = services
        self._photos = services.photos
        self._patient_id = patient_id
        self._table = self._photos.views
        self.changes = Changes()
        self._dates: list[Photo] = []
        self._sets: dict[int, PhotoSet] = {}
        patient = services.patients.get(patient_id)
        self._sex = patient.sex

        self.area = named(NoWheelComboBox(), "compareArea", "Area")
        for area_id in self._table.areas:
            self.area.addItem(self._table.area_label(area_id), area_id)
        if area is not None and self.area.findData(area) >= 0:
            self.area.setCurrentIndex(self.area.findData(area))
        self.view = named(NoWheelComboBox(), "compareViewChoice", "View")
        self.before = named(NoWheelComboBox(), "compareBefore", "Earlier date (left)")
        self.after = named(NoWheelComboBox(), "compareAfter", "Later date (right)")
        choose = QHBoxLayout()
        for text, field in (
            ("&Area", self.area),
            ("&View", self.view),
            ("&Before", self.before),
            ("A&fter", self.after),
        ):
            label = QLabel(text)
            label.setBuddy(field)
            choose.addWidget(label)
            choose.addWidget(field, 1)

        self.compare = CompareView()
        self.compare.setAccessibleName("The two photos compared")
        self.message = QLabel()
        self.message.setObjectName("compareMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(ink_style(NOTE))

        self.chart_box = QGroupBox("Ratings over the course")
        self.chart_box.setObjectName("compareRatings")
        chart_layout = QVBoxLayout(self.chart_box)
        self.chart = RatingChart()
        chart_layout.addWidget(self.chart)
        self.ratings_label = QLabel()
        self.ratings_label.setObjectName("compareRatingsList")
        self.ratings_label.setWordWrap(True)
        self.ratings_label.setAlignment(Qt.AlignmentFlag.AlignTop)
        chart_layout.addWidget(self.ratings_label)

        self.rate_box = QGroupBox("Rate a set")
        self.rate_box.setObjectName("compareRateBox")
        rate_form = QFormLayout(self.rate_box)
        self.rate_target = named(
            NoWheelComboBox(),
            "compareRateTarget",
            "The set to rate",
            "The later date (on the right) or the earlier one (on the left)",
        )
        self.scale = named(NoWheelComboBox(), "compareScale", "Rating scale")
        self.value = named(NoWheelComboBox(), "compareValue", "Rating")
        self.rate_button = named(
            QPushButton("&Save rating"),
            "compareSaveRating",
            "Save the rating of the later set",
            "Rated by whoever is signed in, on today's date",
        )
        scale_label = QLabel("S&cale")
        scale_label.setBuddy(self.scale)
        value_label_ = QLabel("Ra&ting")
        value_label_.setBuddy(self.value)
        target_label = QLabel("S&et")
        target_label.setBuddy(self.rate_target)
        rate_form.addRow(target_label, self.rate_target)
        rate_form.addRow(scale_label, self.scale)
        rate_form.addRow(value_label_, self.value)
        rate_form.addRow(self.rate_button)
        side = QVBoxLayout()
        side.addWidget(self.chart_box)
        side.addWidget(self.rate_box)
        side.addStretch(1)
        side_widget = QWidget()
        side_widget.setLayout(side)
        side_widget.setMaximumWidth(340)
        side.setContentsMargins(0, 0, 0, 0)

        self.close_button = named(QPushButton("Close"), "compareClose", "Close", "Esc")
        middle = QHBoxLayout()
        middle.addWidget(self.compare, 1)
        middle.addWidget(side_widget)
        bottom = QHBoxLayout()
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(choose)
        layout.addLayout(middle, 1)
        layout.addLayout(bottom)
        without_default_buttons(self)

        self.area.currentIndexChanged.connect(self._area_changed)
        self.view.currentIndexChanged.connect(self._view_changed)
        self.before.currentIndexChanged.connect(self._show_pair)
        self.after.currentIndexChanged.connect(self._show_pair)
        self.scale.currentIndexChanged.connect(self._fill_values)
        self.rate_button.clicked.connect(self.save_rating)
        self.close_button.clicked.connect(self.reject)
        self.compare.step_date.connect(self.step_date)
        self.compare.choose_view.connect(self.choose_view)
        for first, second in itertools.pairwise(
            [
                self.area,
                self.view,
                self.before,
                self.after,
                self.compare,
                self.rate_target,
                self.scale,
                self.value,
                self.rate_button,
                self.close_button,
            ]
        ):
            QWidget.setTabOrder(first, second)
        self._fill_views(view)
        self._fill_scales()
        self._load_dates(photo_id)
        resize_within_screen(self, 1240, 720)
        self.compare.setFocus()

    # ---- choosing ------------------------------------------------------------------------
    @property
    def area_id(self) -> str:
        return str(self.area.currentData())

    @property
    def view_id(self) -> str:
        return str(self.view.currentData())

    def _fill_views(self, wanted: str | None = None) -> None:
        self.view.blockSignals(True)
        self.view.clear()
        for number, (view_id, label) in enumerate(self._table.views(self.area_id), start=1):
            prefix = f"{number}  " if number <= 5 and view_id != "free" else ""
            self.view.addItem(prefix + label, view_id)
        if wanted is not None and self.view.findData(wanted) >= 0:
            self.view.setCurrentIndex(self.view.findData(wanted))
        self.view.blockSignals(False)

    def _area_changed(self) -> None:
        self._fill_views()
        self._fill_scales()
        self._load_dates()

    def _view_changed(self) -> None:
        self._load_dates()

    def choose_view(self, number: int) -> None:
        """The number key's standard view (1 = the first)."""
        standard = self._table.views(self.area_id, with_free=False)
        if 1 <= number <= len(standard):
            self.view.setCurrentIndex(self.view.findData(standard[number - 1][0]))

    def step_date(self, step: int) -> None:
        """Move the later (right) picture one date on or back; it stays after the left one."""
        row = self.after.currentIndex() + step
        if self.before.currentIndex() < row < self.after.count():
            self.after.setCurrentIndex(row)

    def _load_dates(self, photo_id: int | None = None) -> None:
        try:
            self._sets = {s.id: s for s in self._photos.sets(self._patient_id)}
            self._dates = self._photos.compare_pair(self._patient_id, self.area_id, self.view_id)
        except UserError as exc:
            show_user_error(self, exc)
            self._dates = []
        for combo in (self.before, self.after):
            combo.blockSignals(True)
            combo.clear()
            for photo in self._dates:
                combo.addItem(self._caption(photo), photo.id)
        if len(self._dates) >= 2:
            self.before.setCurrentIndex(0)
            chosen = next(
                (i for i, p in enumerate(self._dates) if p.id == photo_id and i > 0),
                len(self._dates) - 1,
            )
            self.after.setCurrentIndex(chosen)
        for combo in (self.before, self.after):
            combo.blockSignals(False)
        self._show_pair()
        self._show_ratings()

    def _caption(self, photo: Photo) -> str:
        photo_set = self._sets.get(photo.set_id)
        if photo_set is None:
            return format_short(photo.taken_at.date())
        return caption(photo_set.taken_on, photo_set.label)

    def pair(self) -> tuple[Photo, Photo] | None:
        """The two photos shown (earlier, later), if there are two."""
        b, a = self.before.currentIndex(), self.after.currentIndex()
        if len(self._dates) < 2 or b < 0 or a < 0 or b == a:
            return None
        return self._dates[min(a, b)], self._dates[max(a, b)]

    def _show_pair(self) -> None:
        pair = self.pair()
        if pair is None:
            self.compare.clear(FEWER_THAN_TWO if len(self._dates) < 2 else "Choose two dates.")
            self.message.setText(
                FEWER_THAN_TWO if len(self._dates) < 2 else "Choose two different dates."
            )
            self._fill_targets()
            return
        left, right = pair
        try:
            images = [QImage.fromData(self._photos.image(p)) for p in pair]
        except UserError as exc:
            self.compare.clear(exc.message)
            self.message.setText(exc.message)
            return
        self.compare.set_pair(images[0], self._caption(left), images[1], self._caption(right))
        self.message.setText("")  # the compare view says its own keys
        self._fill_targets()

    # ---- ratings -------------------------------------------------------------------------
    def _fill_scales(self) -> None:
        self.scale.blockSignals(True)
        self.scale.clear()
        for scale in scales_for(self.area_id, self._sex):
            self.scale.addItem(SCALE_LABELS[scale], scale)
        self.scale.blockSignals(False)
        self.rate_box.setEnabled(self.scale.count() > 0)
        self._fill_values()

    def _fill_values(self) -> None:
        self.value.clear()
        scale = self.scale.currentData()
        if scale is None:
            return
        for value, words in SCALES[str(scale)]:
            self.value.addItem(f"{value} — {words}" if words != f"Stage {value}" else words, value)
        self._show_ratings()

    def ratings(self, scale: str) -> list[tuple[date, str]]:
        """(day, value) of each standing rating of ``scale`` on this area's sets, oldest first."""
        found = []
        for rating in newest_ratings(self._photos.ratings(self._patient_id)):
            photo_set = self._sets.get(rating.set_id)
            if rating.scale == scale and photo_set is not None and photo_set.area == self.area_id:
                found.append((rating.taken_on or photo_set.taken_on, rating.value))
        return sorted(found)

    def _show_ratings(self) -> None:
        scale = self.scale.currentData()
        if scale is None:
            self.ratings_label.setText("Photos of this area are not rated on a scale.")
            self.chart.clear("Photos of this area are not rated on a scale.")
            return
        scale = str(scale)
        if scale in (GAIS_PRACTITIONER, GAIS_PATIENT):
            # The practitioner's and the patient's view of the change, on one chart.
            title = "Improvement since the first photos"
            series = [
                ("Practitioner", self.ratings(GAIS_PRACTITIONER)),
                ("Patient", self.ratings(GAIS_PATIENT)),
            ]
        else:
            title = SCALE_LABELS[scale]
            series = [(SCALE_LABELS[scale], self.ratings(scale))]
        if any(points for _name, points in series):
            self.chart.set_ratings(title, SCALES[scale], series)
        else:
            self.chart.clear(f"No {SCALE_LABELS[scale].lower()} given yet.")
        lines = [
            f"{format_short(day)}: {value_label(scale, value)}"
            for day, value in self.ratings(scale)
        ]
        self.ratings_label.setText(
            f"{SCALE_LABELS[scale]}:\n" + "\n".join(lines)
            if lines
            else f"No {SCALE_LABELS[scale].lower()} given yet."
        )

    def _fill_targets(self) -> None:
        """The sets that can be rated: the later and the earlier of the pair, or the only
        date there is (a baseline is rated too: a Norwood stage before the course)."""
        pair = self.pair()
        shown = list(reversed(pair)) if pair is not None else self._dates[-1:]
        self.rate_target.clear()
        for photo, side in zip(shown, ("later", "earlier"), strict=False):
            where = f" ({side})" if pair is not None else ""
            self.rate_target.addItem(self._caption(photo) + where, photo.set_id)
        self.rate_button.setEnabled(bool(shown) and self.scale.count() > 0)

    def save_rating(self) -> None:
        target = self.rate_target.currentData()
        scale, value = self.scale.currentData(), self.value.currentData()
        if target is None or scale is None or value is None:
            return
        try:
            self._photos.rate(int(target), str(scale), str(value))
        except UserError as exc:
            show_user_error(self, exc)
            return
        self.changes = Changes(self.changes.topics | {PHOTOS}, self._patient_id)
        self._show_ratings()
