"""The rating chart: a scale's ratings over dates, best level at the top, readable on a light
and a dark palette, and the same values in words for screen readers."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QHBoxLayout, QVBoxLayout, QWidget

from exodesk.ui.look import contrast, ink
from exodesk.ui.photos.chart import SERIES_COLOURS, RatingChart
from exodesk.ui.photos.compare import CompareView
from tests.ui.fit import SCREENS, assert_fits_and_shoot
from tests.ui.photos.pictures import photo_like
from tests.ui.photos.test_camera import dark_palette

SHOTS = Path(os.environ["EXODESK_SHOTS"]) if os.environ.get("EXODESK_SHOTS") else None
NORWOOD = [(v, f"Stage {v}") for v in ("1", "2", "3", "3V", "4", "5", "6", "7")]
GAIS = [
    ("1", "Exceptional improvement"),
    ("2", "Very improved"),
    ("3", "Improved"),
    ("4", "Unaltered"),
    ("5", "Worse"),
]
DAYS = [date(2026, 3, 12), date(2026, 4, 9), date(2026, 5, 7), date(2026, 6, 4)]


def chart(qtbot, width: int = 420) -> RatingChart:
    widget = RatingChart()
    qtbot.addWidget(widget)
    widget.resize(width, 200)
    widget.show()
    return widget


def test_the_summary_lists_every_rating_in_words(qtbot) -> None:
    widget = chart(qtbot)
    widget.set_ratings(
        "Norwood stage", NORWOOD, [("Practitioner", [(DAYS[1], "3"), (DAYS[0], "3V")])]
    )
    assert widget.accessibleName() == "Rating chart: Norwood stage"
    assert widget.accessibleDescription() == (
        "Norwood stage. 12 Mar 2026: 3V (Stage 3V); 9 Apr 2026: 3 (Stage 3)."
    )
    widget.set_ratings(
        "Global Aesthetic Improvement Scale",
        GAIS,
        [("Practitioner", [(DAYS[2], "2")]), ("Patient", [(DAYS[2], "3")])],
    )
    assert widget.summary() == (
        "Global Aesthetic Improvement Scale. Practitioner: 7 May 2026: 2 (Very improved). "
        "Patient: 7 May 2026: 3 (Improved)."
    )


def test_better_is_higher_and_later_is_further_right(qtbot) -> None:
    widget = chart(qtbot)
    widget.set_ratings(
        "GAIS", GAIS, [("Practitioner", [(DAYS[0], "4"), (DAYS[1], "3"), (DAYS[3], "1")])]
    )
    points = widget.positions()[0]
    assert points[0].y() > points[1].y() > points[2].y()
    assert points[0].x() < points[1].x() < points[2].x()
    # Dates are spaced by time: 4 weeks, then 8 weeks.
    assert (points[2].x() - points[1].x()) == pytest.approx(2 * (points[1].x() - points[0].x()))


def test_without_ratings_it_says_so(qtbot) -> None:
    widget = chart(qtbot)
    assert widget.accessibleDescription() == "No ratings yet."
    widget.set_ratings("GAIS", GAIS, [("Practitioner", [])])
    assert widget.summary() == "No ratings yet."


def series_pixels(widget: RatingChart, colour: QColor) -> int:
    image = widget.grab().toImage()
    return sum(
        1
        for y in range(0, image.height(), 2)
        for x in range(0, image.width(), 2)
        if QColor(image.pixel(x, y)) == colour
    )


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_lines_and_words_read_on_light_and_dark(qtbot, dark: bool) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    old = app.palette()
    if dark:
        app.setPalette(dark_palette())
    try:
        widget = chart(qtbot)
        widget.set_ratings(
            "GAIS",
            GAIS,
            [
                ("Practitioner", [(DAYS[0], "4"), (DAYS[2], "2"), (DAYS[3], "2")]),
                ("Patient", [(DAYS[2], "3"), (DAYS[3], "2")]),
            ],
        )
        base = widget.palette().color(QPalette.ColorRole.Base)
        text = widget.palette().color(QPalette.ColorRole.Text)
        assert contrast(text, base) >= 4.5
        for colour in SERIES_COLOURS[:2]:
            drawn = QColor(ink(colour, base))
            assert contrast(drawn, base) >= 4.5
            assert series_pixels(widget, drawn) > 20, f"{colour} is drawn"
        if SHOTS is not None:
            SHOTS.mkdir(parents=True, exist_ok=True)
            widget.grab().save(str(SHOTS / f"chart-{'dark' if dark else 'light'}.png"))
    finally:
        app.setPalette(old)


def test_a_tooltip_names_the_rating_under_the_pointer(qtbot) -> None:
    widget = chart(qtbot)
    widget.set_ratings("GAIS", GAIS, [("Practitioner", [(DAYS[0], "4"), (DAYS[3], "2")])])
    point = widget.positions()[0][1]
    assert widget._nearest(point + QPoint(3, 2).toPointF()) == "4 Jun 2026: 2 (Very improved)"
    assert widget._nearest(point + QPoint(60, 60).toPointF()) == ""


@pytest.mark.parametrize("screen", SCREENS)
def test_compare_view_and_chart_together_fit_the_screens(
    qtbot, tmp_path: Path, screen: tuple[int, int]
) -> None:
    """How the patient's Photos page may put them together (the ui part wires it)."""
    window = QWidget()
    window.setObjectName("comparePreview")
    qtbot.addWidget(window)
    compare = CompareView()
    compare.set_pair(
        photo_like(seed=0),
        "12 Mar 2026 — Session 1 of 4",
        photo_like(seed=3),
        "4 Jun 2026 — Session 4 of 4",
    )
    side = QVBoxLayout()
    norwood = RatingChart()
    norwood.set_ratings(
        "Norwood stage",
        NORWOOD,
        [("Practitioner", list(zip(DAYS, ["4", "4", "3V", "3"], strict=True)))],
    )
    gais = RatingChart()
    gais.set_ratings(
        "Global Aesthetic Improvement Scale",
        GAIS,
        [
            ("Practitioner", [(DAYS[1], "3"), (DAYS[3], "2")]),
            ("Patient", [(DAYS[1], "3"), (DAYS[3], "3")]),
        ],
    )
    side.addWidget(norwood)
    side.addWidget(gais)
    side.addStretch(1)
    row = QHBoxLayout(window)
    row.addWidget(compare, 1)
    panel = QWidget()
    panel.setLayout(side)
    panel.setFixedWidth(340)
    row.addWidget(panel)
    window.show()
    qtbot.waitExposed(window)
    border = window.frameGeometry().size() - window.size()
    # The space under the main window's header and tabs.
    window.resize(screen[0] - border.width(), screen[1] - 120 - border.height())
    qtbot.wait(20)
    name = f"compare-chart-{screen[0]}x{screen[1]}.png"
    if screen == min(SCREENS):  # the helper holds every window to the smallest screen
        assert_fits_and_shoot(window, tmp_path / name)
    assert window.minimumSizeHint().width() <= screen[0] - border.width()
    if SHOTS is not None:
        window.grab().save(str(SHOTS / name))
