"""Taking photos through a camera: frame sources, the capture dialog with the baseline's ghost,
the set's checklist, the keys, and the plain sentence when there is no camera."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication

from exodesk.ui.photos import camera
from exodesk.ui.photos.camera import (
    NO_CAMERA,
    NO_SUPPORT,
    CameraCapture,
    QtCameraSource,
    SyntheticFrameSource,
    camera_problem,
    jpeg_bytes,
)
from tests.ui.fit import SCREENS, assert_fits_and_shoot
from tests.ui.photos.pictures import close
from tests.ui.test_patients_tab import unnamed_widgets

FACE = [
    ("front", "Front"),
    ("left_45", "Left 45°"),
    ("right_45", "Right 45°"),
    ("left_profile", "Left profile"),
    ("right_profile", "Right profile"),
    ("free", "Free view"),
]
SHOTS = Path(os.environ["EXODESK_SHOTS"]) if os.environ.get("EXODESK_SHOTS") else None


def white(size: QSize | None = None) -> QImage:
    size = size or QSize(640, 480)
    image = QImage(size, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    return image


def open_dialog(qtbot, source, **kwargs) -> CameraCapture:
    dialog = CameraCapture(None, source, FACE, **kwargs)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def wait_for_frame(qtbot, dialog: CameraCapture) -> None:
    qtbot.waitUntil(lambda: dialog.live.live is not None, timeout=2000)


def test_the_synthetic_source_sends_pictures_on_its_timer(qtbot) -> None:
    source = SyntheticFrameSource(QSize(320, 240), interval_ms=10)
    frames: list[QImage] = []
    source.frame.connect(frames.append)
    assert source.problem() is None
    source.start()
    qtbot.waitUntil(lambda: len(frames) >= 3, timeout=2000)
    source.stop()
    count = len(frames)
    qtbot.wait(60)
    assert len(frames) == count, "stopped means no more pictures"
    assert frames[0].size() == QSize(320, 240)
    assert frames[0] != frames[2], "each picture is new"


def test_space_and_enter_take_the_views_in_order_and_give_jpegs(qtbot) -> None:
    source = SyntheticFrameSource(interval_ms=20)
    dialog = open_dialog(qtbot, source)
    assert source.is_active(), "the camera starts with the dialog"
    assert dialog.current_view() == "front"
    wait_for_frame(qtbot, dialog)
    taken: list[str] = []
    dialog.view_captured.connect(taken.append)
    qtbot.keyClick(dialog.live, Qt.Key.Key_Space)
    assert dialog.current_view() == "left_45"
    assert dialog.status.text() == "Front taken. Next: Left 45°."
    qtbot.keyClick(dialog.live, Qt.Key.Key_Return)
    qtbot.keyClick(dialog.checklist, Qt.Key.Key_Enter)  # from the list too
    assert taken == ["front", "left_45", "right_45"]
    photos = dialog.captured()
    assert list(photos) == ["front", "left_45", "right_45"]
    image = QImage.fromData(photos["front"])
    assert photos["front"][:2] == b"\xff\xd8" and image.size() == QSize(640, 480)
    assert dialog.done_button.text() == "&Done: keep 3 photos"
    assert dialog.missing() == ["left_profile", "right_profile", "free"]
    dialog.done_button.click()
    assert dialog.result() == CameraCapture.DialogCode.Accepted
    assert not source.is_active(), "the camera stops with the dialog"


def test_r_takes_a_view_again(qtbot) -> None:
    source = SyntheticFrameSource(interval_ms=20)
    dialog = open_dialog(qtbot, source)
    wait_for_frame(qtbot, dialog)
    qtbot.keyClick(dialog.live, Qt.Key.Key_Space)
    first = dialog.captured()["front"]
    dialog.set_current_view("front")
    assert dialog.live.still is not None, "the photo taken shows, not the camera"
    assert dialog.retake_button.isEnabled() and not dialog.capture_button.isEnabled()
    qtbot.keyClick(dialog.live, Qt.Key.Key_Space)
    assert dialog.status.text() == "Front is taken. Press R to take it again."
    qtbot.keyClick(dialog.live, Qt.Key.Key_R)
    assert "front" not in dialog.captured() and dialog.live.still is None
    assert dialog.status.text() == "Take Front again."
    source.emit_frame()  # a new picture (the one taken before is not reused)
    qtbot.keyClick(dialog.live, Qt.Key.Key_Space)
    assert dialog.captured()["front"] != first


def test_esc_cancels_and_stops_the_camera(qtbot) -> None:
    source = SyntheticFrameSource(interval_ms=20)
    dialog = open_dialog(qtbot, source)
    wait_for_frame(qtbot, dialog)
    qtbot.keyClick(dialog.live, Qt.Key.Key_Space)
    qtbot.keyClick(dialog.live, Qt.Key.Key_Escape)
    assert dialog.result() == CameraCapture.DialogCode.Rejected
    assert not dialog.isVisible() and not source.is_active()


def test_the_checklist_shows_what_is_still_missing(qtbot) -> None:
    source = SyntheticFrameSource(interval_ms=20)
    dialog = open_dialog(qtbot, source, already={"front", "free"})
    assert dialog.current_view() == "left_45", "the first view still missing comes first"
    assert dialog.missing() == ["left_45", "right_45", "left_profile", "right_profile"]
    texts = [dialog.checklist.item(row).text() for row in range(dialog.checklist.count())]
    assert texts[0] == "✓  Front" and texts[1] == "○  Left 45°"
    spoken = dialog.checklist.item(0).data(Qt.ItemDataRole.AccessibleTextRole)
    assert spoken == "Front: already in this set"
    assert dialog.checklist.item(1).font().bold(), "the current view stands out"
    assert not dialog.checklist.item(0).font().bold()
    wait_for_frame(qtbot, dialog)
    for _ in range(4):
        qtbot.keyClick(dialog.live, Qt.Key.Key_Space)
    assert dialog.missing() == []
    assert dialog.status.text() == "Every view is taken. Press Done to keep the photos."
    # Clicking a view in the list chooses it.
    rect = dialog.checklist.visualItemRect(dialog.checklist.item(5))
    qtbot.mouseClick(dialog.checklist.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert dialog.current_view() == "free"


def test_the_ghost_of_the_baseline_lies_over_the_camera_picture(qtbot) -> None:
    source = SyntheticFrameSource(interval_ms=1000)
    dialog = open_dialog(qtbot, source, ghosts={"front": white()})
    source.emit_frame()
    corner = dialog.live.rect().center()
    corner.setY(dialog.live.height() // 2 + 100)
    corner.setX(dialog.live.width() // 2 - dialog.live.height() // 2)  # the picture's dark edge

    def seen() -> QColor:
        return QColor(dialog.live.grab().toImage().pixel(corner))

    dialog.set_ghost_opacity(0)
    plain = seen()
    dialog.set_ghost_opacity(60)
    ghosted = seen()
    assert ghosted.lightness() > plain.lightness() + 80, "the white ghost shows through"
    assert dialog.ghost_value.text() == "60 %"
    assert dialog.ghost_slider.isEnabled() and dialog.ghost_note.text() == ""
    # A view without a baseline photo: said, and nothing to slide.
    dialog.set_current_view("left_45")
    assert close(seen(), plain, 8)
    assert not dialog.ghost_slider.isEnabled()
    assert dialog.ghost_note.text() == "No baseline photo of this view to line up with."
    # The photo taken holds the camera's picture only, never the ghost.
    dialog.set_current_view("front")
    qtbot.keyClick(dialog.live, Qt.Key.Key_Space)
    taken = QImage.fromData(dialog.captured()["front"])
    assert QColor(taken.pixel(10, 470)).lightness() < 80


def test_without_camera_support_it_says_so_plainly(qtbot, monkeypatch) -> None:
    monkeypatch.setattr(camera, "_multimedia", lambda: None)
    assert camera_problem() == NO_SUPPORT
    source = QtCameraSource()
    failures: list[str] = []
    source.failed.connect(failures.append)
    source.start()  # no exception: a sentence
    assert failures == [NO_SUPPORT]
    dialog = open_dialog(qtbot, source)
    assert dialog.instruction.text() == NO_SUPPORT
    assert dialog.live.message == NO_SUPPORT
    assert not dialog.capture_button.isEnabled()
    qtbot.keyClick(dialog.live, Qt.Key.Key_Space)
    assert dialog.status.text() == NO_SUPPORT and dialog.captured() == {}


def test_this_venv_really_has_no_qt_multimedia_or_says_why_not() -> None:
    """The shared venv carries PySide6-Essentials only: the real import fails and the
    sentence follows. (With the camera extra installed the answer is NO_CAMERA or None.)"""
    try:
        import PySide6.QtMultimedia  # noqa: F401
    except ImportError:
        assert camera_problem() == NO_SUPPORT
    else:
        assert camera_problem() in (NO_CAMERA, None)


def test_camera_support_without_a_camera_says_so(qtbot, monkeypatch) -> None:
    no_devices = SimpleNamespace(QMediaDevices=SimpleNamespace(videoInputs=lambda: []))
    monkeypatch.setattr(camera, "_multimedia", lambda: no_devices)
    assert camera_problem() == NO_CAMERA
    source = QtCameraSource()
    failures: list[str] = []
    source.failed.connect(failures.append)
    source.start()
    assert failures == [NO_CAMERA]


def test_a_camera_that_stops_is_said_and_capture_waits(qtbot) -> None:
    source = SyntheticFrameSource(interval_ms=1000)
    dialog = open_dialog(qtbot, source)
    source.emit_frame()
    source.failed.emit(camera.CAMERA_STOPPED)
    assert dialog.status.text() == camera.CAMERA_STOPPED
    assert not dialog.capture_button.isEnabled()
    qtbot.keyClick(dialog.live, Qt.Key.Key_Space)
    assert dialog.captured() == {}


def test_jpeg_bytes_round_trip() -> None:
    data = jpeg_bytes(white(QSize(64, 48)))
    assert QImage.fromData(data).size() == QSize(64, 48)


def test_every_control_is_named(qtbot) -> None:
    dialog = open_dialog(qtbot, SyntheticFrameSource(interval_ms=1000))
    assert unnamed_widgets(dialog) == []
    assert dialog.live.accessibleName() == "Camera picture"


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, "#202124"),
        (QPalette.ColorRole.WindowText, "#e8eaed"),
        (QPalette.ColorRole.Base, "#2b2c2f"),
        (QPalette.ColorRole.AlternateBase, "#333437"),
        (QPalette.ColorRole.Text, "#e8eaed"),
        (QPalette.ColorRole.Button, "#303134"),
        (QPalette.ColorRole.ButtonText, "#e8eaed"),
        (QPalette.ColorRole.Highlight, "#8ab4f8"),
        (QPalette.ColorRole.HighlightedText, "#202124"),
    ):
        palette.setColor(role, QColor(colour))
    return palette


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_the_dialog_fits_the_reception_screens(
    qtbot, tmp_path: Path, screen: tuple[int, int], dark: bool
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    old = app.palette()
    if dark:
        app.setPalette(dark_palette())
    try:
        source = SyntheticFrameSource(interval_ms=1000)
        ghost = camera.synthetic_frame(QSize(640, 480), 7)
        dialog = open_dialog(
            qtbot, source, ghosts={"front": ghost, "left_45": ghost}, already={"free"}
        )
        dialog.resize(min(dialog.width(), screen[0]), min(dialog.height(), screen[1] - 40))
        source.emit_frame()
        qtbot.keyClick(dialog.live, Qt.Key.Key_Space)
        source.emit_frame()
        qtbot.wait(20)  # the layout settles (the Done button grew with its words)
        name = f"camera-{screen[0]}x{screen[1]}-{'dark' if dark else 'light'}.png"
        assert_fits_and_shoot(dialog, tmp_path / name)
        if SHOTS is not None:
            SHOTS.mkdir(parents=True, exist_ok=True)
            dialog.grab().save(str(SHOTS / name))
    finally:
        app.setPalette(old)


def test_the_keyboard_starts_on_the_camera_picture(qtbot) -> None:
    dialog = open_dialog(qtbot, SyntheticFrameSource(interval_ms=20))
    dialog.windowHandle().requestActivate()  # offscreen: activateWindow() is not enough
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    assert dialog.focusWidget() is dialog.live, "Space takes a photo straight away"
    wait_for_frame(qtbot, dialog)
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Space)
    assert list(dialog.captured()) == ["front"]


def test_the_camera_gives_its_largest_smooth_format() -> None:
    def fmt(width: int, height: int, fps: float) -> SimpleNamespace:
        return SimpleNamespace(resolution=lambda: QSize(width, height), maxFrameRate=lambda: fps)

    vga, hd, still = fmt(640, 480, 30), fmt(1920, 1080, 30), fmt(3840, 2160, 5)
    assert camera._largest_format([vga, still, hd]) is hd, "4K at 5 a second is too jerky"
    assert camera._largest_format([still]) is still, "better slow than nothing"
    assert camera._largest_format([]) is None


def test_a_set_without_views_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="at least one view"):
        CameraCapture(None, SyntheticFrameSource(), [])
