"""The compare view: two dates of one view side by side, as a wipe and as an overlay; zoom and
pan locked together across both; the keys the gallery listens to; how fast a pair shows."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QWheelEvent
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from exodesk.ui.photos.compare import CompareMode, CompareView, caption
from tests.benchmarks.compare_view import measure
from tests.ui.photos.pictures import BLUE, RED, close, colour_at, dark_columns, picture
from tests.ui.test_patients_tab import unnamed_widgets

SHOTS = Path(os.environ.get("EXODESK_SHOTS", "")) if os.environ.get("EXODESK_SHOTS") else None
BEFORE = "12 Mar 2026 — Session 1 of 4"
AFTER = "4 Jun 2026 — Session 4 of 4"


def keep(image: QImage, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        image.save(str(SHOTS / f"{name}.png"))


@pytest.fixture
def view(qtbot) -> CompareView:
    host = QWidget()
    qtbot.addWidget(host)
    widget = CompareView()
    QVBoxLayout(host).addWidget(widget)
    host.resize(1000, 520)
    host.show()
    qtbot.waitExposed(host)
    widget.set_pair(picture(RED), BEFORE, picture(BLUE), AFTER)
    widget.host = host  # type: ignore[attr-defined]  # kept alive as long as the view
    return widget


def focus(qtbot, view: CompareView) -> None:
    window = view.window()
    window.windowHandle().requestActivate()  # offscreen: activateWindow() is not enough
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    view.canvas.setFocus()
    qtbot.waitUntil(view.canvas.hasFocus)


def grab(view: CompareView) -> QImage:
    return view.canvas.grab().toImage()


def wheel(widget: QWidget, notches: int) -> None:
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(centre.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_the_caption_says_the_date_and_the_session() -> None:
    assert caption(date(2026, 3, 12), "Session 2 of 4") == "12 Mar 2026 — Session 2 of 4"
    assert caption(date(2026, 3, 12)) == "12 Mar 2026"


def test_side_by_side_shows_the_earlier_photo_left_and_both_captions(view: CompareView) -> None:
    image = grab(view)
    keep(image, "compare-side-by-side")
    panels = view.canvas.panels()
    middle = panels[0].center().y()
    assert close(colour_at(image, panels[0].left() + 20, middle), RED)
    assert close(colour_at(image, panels[1].right() - 20, middle), BLUE)
    assert view.captions() == (BEFORE, AFTER)
    words = view.canvas.accessibleDescription()
    assert "Side by side" in words and BEFORE in words and AFTER in words


def test_the_wipe_shows_each_photo_on_its_side_of_a_divider_that_drags(
    qtbot, view: CompareView
) -> None:
    view.set_mode(CompareMode.WIPE)
    assert view.slider.isVisible() and view.slider.accessibleName() == "Wipe divider position"
    view.slider.setValue(30)
    assert view.wipe_position() == pytest.approx(0.30)
    image = grab(view)
    panel = view.canvas.panels()[0]
    split = panel.left() + 0.30 * panel.width()
    y = panel.center().y() - 60  # above the divider's handle
    assert close(colour_at(image, split - 20, y), RED)
    assert close(colour_at(image, split + 20, y), BLUE)
    # Dragged with the mouse from the divider to 60 %.
    start = QPoint(round(split), round(y))
    qtbot.mousePress(view.canvas, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(view.canvas, QPoint(round(panel.left() + 0.6 * panel.width()), round(y)))
    qtbot.mouseRelease(
        view.canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(0.6 * panel.width()), round(y))
    )
    assert view.wipe_position() == pytest.approx(0.6, abs=0.01)
    assert view.slider.value() == 60, "the slider follows the divider"
    keep(grab(view), "compare-wipe")


def test_the_overlay_fades_the_later_photo_over_the_earlier(view: CompareView) -> None:
    view.set_mode(CompareMode.OVERLAY)
    assert view.slider.accessibleName() == "Opacity of the later photo"
    panel = view.canvas.panels()[0]
    point = (panel.left() + panel.width() * 0.3, panel.center().y())
    view.slider.setValue(0)
    assert close(colour_at(grab(view), *point), RED)
    view.slider.setValue(100)
    assert close(colour_at(grab(view), *point), BLUE)
    view.slider.setValue(50)
    mixed = colour_at(grab(view), *point)
    assert close(mixed, QColor(120, 50, 120), 20)
    assert view.overlay_opacity() == pytest.approx(0.5)
    keep(grab(view), "compare-overlay")


def dot_offsets(view: CompareView) -> list[int]:
    """Where each panel shows the pictures' black dot, measured from the panel's left edge."""
    image = grab(view)
    offsets = []
    for panel in view.canvas.panels():
        row = round(panel.center().y())
        columns = dark_columns(image, row, round(panel.left()), round(panel.right()))
        assert columns, "the dot is in view"
        offsets.append(columns[0] - round(panel.left()))
    return offsets


def test_zoom_and_pan_move_both_photos_together(qtbot, view: CompareView) -> None:
    focus(qtbot, view)
    before = dot_offsets(view)
    assert abs(before[0] - before[1]) <= 1
    qtbot.keyClick(view.canvas, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(view.canvas, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert view.zoom() == pytest.approx(1.25**2)
    zoomed = dot_offsets(view)
    assert zoomed[0] > before[0], "zoomed in around the middle, the dot moves outwards"
    assert abs(zoomed[0] - zoomed[1]) <= 1, "both photos zoomed alike"
    # Drag the left photo 40 px to the left: both pan.
    centre = view.canvas.panels()[0].center().toPoint()
    qtbot.mousePress(view.canvas, Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseMove(view.canvas, centre - QPoint(40, 0))
    qtbot.mouseRelease(view.canvas, Qt.MouseButton.LeftButton, pos=centre - QPoint(40, 0))
    panned = dot_offsets(view)
    assert panned[0] == pytest.approx(zoomed[0] - 40, abs=2)
    assert abs(panned[0] - panned[1]) <= 1, "both photos panned alike"
    keep(grab(view), "compare-zoomed")
    qtbot.keyClick(view.canvas, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert view.zoom() == pytest.approx(1.25)
    qtbot.keyClick(view.canvas, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert view.zoom() == 1.0 and view.centre() == QPointF(0.5, 0.5)
    assert dot_offsets(view) == before


def test_the_wheel_zooms_only_once_the_view_has_focus(qtbot, view: CompareView) -> None:
    view.canvas.clearFocus()
    wheel(view.canvas, 2)
    assert view.zoom() == 1.0, "the wheel passing over the photos changes nothing"
    focus(qtbot, view)
    wheel(view.canvas, 2)
    assert view.zoom() == pytest.approx(1.25**2)
    assert view.zoom_label.text() == "156 %"
    wheel(view.canvas, -10)
    assert view.zoom() == 1.0, "never smaller than the fitted photo"


def test_the_keys_ask_for_other_dates_and_views_and_switch_modes(qtbot, view: CompareView) -> None:
    focus(qtbot, view)
    steps: list[int] = []
    views: list[int] = []
    modes: list[str] = []
    view.step_date.connect(steps.append)
    view.choose_view.connect(views.append)
    view.mode_changed.connect(modes.append)
    for key in (Qt.Key.Key_Right, Qt.Key.Key_Left, Qt.Key.Key_Right):
        qtbot.keyClick(view.canvas, key)
    for key in (Qt.Key.Key_1, Qt.Key.Key_3, Qt.Key.Key_5, Qt.Key.Key_6, Qt.Key.Key_0):
        qtbot.keyClick(view.canvas, key)
    assert steps == [1, -1, 1]
    assert views == [1, 3, 5], "1–5 choose a view; 6 and 0 are not views"
    for _ in range(3):
        qtbot.keyClick(view.canvas, Qt.Key.Key_M)
    assert modes == ["wipe", "overlay", "side_by_side"]
    assert view.mode_buttons[CompareMode.SIDE_BY_SIDE].isChecked()
    # Keys reach the view from its buttons too (a mode button clicked keeps Tab focus only).
    view.mode_buttons[CompareMode.WIPE].setFocus()
    qtbot.keyClick(view.mode_buttons[CompareMode.WIPE], Qt.Key.Key_2)
    assert views[-1] == 2


def test_clicking_a_mode_leaves_the_keyboard_with_the_photos(qtbot, view: CompareView) -> None:
    focus(qtbot, view)
    qtbot.mouseClick(view.mode_buttons[CompareMode.OVERLAY], Qt.MouseButton.LeftButton)
    assert view.mode() is CompareMode.OVERLAY
    assert view.canvas.hasFocus()


def test_without_a_pair_it_says_so(qtbot) -> None:
    view = CompareView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    assert view.captions() is None
    assert view.canvas.accessibleDescription() == "Choose two photos to compare."
    view.clear("No earlier photo of this view yet.")
    assert view.canvas.accessibleDescription() == "No earlier photo of this view yet."
    assert not view.zoom_in_button.isEnabled()
    view.set_pair(picture(RED), BEFORE, QImage(), AFTER)
    assert view.captions() is None, "a picture that cannot be read is said, not shown blank"


def test_stepping_to_another_date_keeps_zoom_and_pan(view: CompareView) -> None:
    view.set_zoom(2.0)
    view.canvas.centre = QPointF(0.7, 0.6)
    view.canvas.clamp_centre()
    centre = view.centre()
    view.set_pair(picture(BLUE), AFTER, picture(RED), BEFORE)
    assert view.zoom() == 2.0 and view.centre() == centre
    view.set_pair(picture(BLUE, 300, 400), AFTER, picture(RED), BEFORE)
    assert view.zoom() == 1.0, "a photo of another shape starts fitted"


def test_every_control_is_named(view: CompareView) -> None:
    assert unnamed_widgets(view) == []
    assert view.canvas.accessibleName() == "Photo comparison"


def test_how_long_a_pair_of_photos_takes_to_show(qtbot) -> None:
    """Measured, not judged here (CI machines vary): the figures go in the note."""
    times = measure(repeat=3)
    print(
        f"\ncompare view, 2048×1536 pair: decode {times.decode_ms:.1f} ms, "
        f"set_pair + paint {times.show_ms:.1f} ms, modes {times.modes_ms:.1f} ms, "
        f"zoom {times.zoom_ms:.1f} ms"
    )
    assert times.show_ms > 0


def test_each_photo_is_scaled_once_per_size(qtbot, view: CompareView) -> None:
    """Prepared when set (the view is on screen), reused by every paint and mode switch."""
    left, right = view.canvas.left, view.canvas.right
    assert left is not None and right is not None
    assert len(left.fitted) == 1 and len(right.fitted) == 1, "ready before the first paint"
    ready = next(iter(left.fitted.values()))
    for _ in range(3):
        view.canvas.repaint()
    assert list(left.fitted.values()) == [ready]
    view.set_mode(CompareMode.WIPE)
    view.canvas.repaint()
    view.set_mode(CompareMode.SIDE_BY_SIDE)
    view.canvas.repaint()
    assert len(left.fitted) == 2, "one size for side by side, one for the wipe; no more"
    assert ready in left.fitted.values()
