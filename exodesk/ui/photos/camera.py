"""Taking photos through a camera: where frames come from (a real camera through Qt Multimedia,
or generated ones for tests) and the capture dialog with the baseline's ghost to line up with.

Qt Multimedia comes with PySide6-Addons, not PySide6-Essentials: it is an optional extra
(``pip install exodesk[camera]``). Without it, or without a camera, ``camera_problem()`` says so
in a plain sentence and the product offers files and folders instead; nothing here raises.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping, Sequence
from types import ModuleType
from typing import Any, Protocol

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QObject,
    QPointF,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
    SignalInstance,
)
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QFont,
    QImage,
    QKeyEvent,
    QLinearGradient,
    QPainter,
    QPaintEvent,
)
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from exodesk.ui.common import named
from exodesk.ui.look import ERROR, NOTE, ink_style
from exodesk.ui.photos.compare import NoWheelSlider

NO_SUPPORT = (
    "This PC has no camera support installed, so photos can be added from files or a folder only."
)
NO_CAMERA = "No camera was found on this PC. Plug one in, or add photos from files or a folder."
CAMERA_STOPPED = (
    "The camera stopped giving pictures. Check that it is plugged in and that no other "
    "program is using it."
)
JPEG_QUALITY = 90
GHOST_OPACITY = 35  # per cent: enough to line up with, not so much that it hides the patient


class FrameSource(Protocol):
    """Where live pictures come from.

    ``frame`` carries each new picture (a QImage); ``failed`` carries a plain sentence when
    pictures stop coming. ``problem()`` says before starting why there will be none (None when
    there should be).
    """

    @property
    def frame(self) -> SignalInstance: ...

    @property
    def failed(self) -> SignalInstance: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def problem(self) -> str | None: ...


class SyntheticFrameSource(QObject):
    """Generated pictures on a timer: a test card with a head-shaped oval and a frame number.

    For tests (and the visit test); never offered to users as a camera. ``emit_frame()`` makes
    and sends one picture at once, without the timer.
    """

    frame = Signal(QImage)
    failed = Signal(str)

    def __init__(
        self,
        size: QSize | None = None,
        interval_ms: int = 40,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.size = size or QSize(640, 480)
        self.count = 0
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.emit_frame)

    def problem(self) -> str | None:
        return None

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def is_active(self) -> bool:
        return self._timer.isActive()

    def emit_frame(self) -> QImage:
        image = synthetic_frame(self.size, self.count)
        self.count += 1
        self.frame.emit(image)
        return image


def synthetic_frame(size: QSize, number: int) -> QImage:
    """Test card ``number``: a gradient, an oval where a head would be (drifting a little from
    one frame to the next, as a person does), and the frame's number."""
    image = QImage(size, QImage.Format.Format_RGB32)
    width, height = size.width(), size.height()
    painter = QPainter(image)
    gradient = QLinearGradient(0, 0, 0, height)
    gradient.setColorAt(0, QColor(70, 90, 110))
    gradient.setColorAt(1, QColor(30, 40, 50))
    painter.fillRect(image.rect(), gradient)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(225, 185, 155))
    drift = (number % 20 - 10) * width / 400
    painter.drawEllipse(QPointF(width / 2 + drift, height * 0.48), width * 0.17, height * 0.3)
    painter.setBrush(QColor(200, 160, 130))
    painter.drawRect(QRectF(width * 0.44 + drift, height * 0.74, width * 0.12, height * 0.26))
    painter.setPen(QColor("white"))
    font = QFont(painter.font())
    font.setPixelSize(max(10, height // 24))
    painter.setFont(font)
    painter.drawText(QRectF(8, 8, width - 16, height // 12), f"Test picture {number}")
    painter.end()
    return image


def _multimedia() -> ModuleType | None:
    """PySide6.QtMultimedia, or None when it is not installed (PySide6-Addons) or cannot load
    (on Linux it needs the system's sound libraries)."""
    try:
        return importlib.import_module("PySide6.QtMultimedia")
    except ImportError:
        return None


def camera_names() -> list[str]:
    """The cameras this PC offers, by their own names (none without camera support)."""
    multimedia = _multimedia()
    if multimedia is None:
        return []
    return [device.description() for device in multimedia.QMediaDevices.videoInputs()]


def camera_problem() -> str | None:
    """Why the camera cannot be used, in one plain sentence; None when it can."""
    if _multimedia() is None:
        return NO_SUPPORT
    if not camera_names():
        return NO_CAMERA
    return None


class QtCameraSource(QObject):
    """Pictures from a camera through Qt Multimedia (the first camera unless told which)."""

    frame = Signal(QImage)
    failed = Signal(str)

    def __init__(self, device_index: int = 0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._device_index = device_index
        self._camera: Any = None
        self._session: Any = None
        self._sink: Any = None

    def problem(self) -> str | None:
        problem = camera_problem()
        if problem is None and self._device_index >= len(camera_names()):
            return NO_CAMERA
        return problem

    def start(self) -> None:
        problem = self.problem()
        multimedia = _multimedia()
        if problem is not None or multimedia is None:
            self.failed.emit(problem or NO_SUPPORT)
            return
        if self._camera is None:
            device = multimedia.QMediaDevices.videoInputs()[self._device_index]
            self._camera = multimedia.QCamera(device, self)
            best = _largest_format(device.videoFormats())
            if best is not None:
                self._camera.setCameraFormat(best)
            self._session = multimedia.QMediaCaptureSession(self)
            self._sink = multimedia.QVideoSink(self)
            self._session.setCamera(self._camera)
            self._session.setVideoSink(self._sink)
            self._sink.videoFrameChanged.connect(self._framed)
            self._camera.errorOccurred.connect(self._error)
        self._camera.start()

    def stop(self) -> None:
        if self._camera is not None:
            self._camera.stop()

    def _framed(self, video_frame: Any) -> None:
        image = video_frame.toImage()
        if not image.isNull():
            self.frame.emit(image)

    def _error(self, _error: object, _text: str) -> None:
        self.failed.emit(CAMERA_STOPPED)


def _largest_format(formats: Sequence[Any]) -> Any:
    """The camera format with the most pixels among those giving at least 10 pictures a
    second (a smooth enough live view); a clinical photo wants every pixel the camera has."""
    smooth = [f for f in formats if f.maxFrameRate() >= 10] or list(formats)
    if not smooth:
        return None
    return max(smooth, key=lambda f: f.resolution().width() * f.resolution().height())


def jpeg_bytes(image: QImage, quality: int = JPEG_QUALITY) -> bytes:
    """``image`` as JPEG bytes."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    rgb = image.convertToFormat(QImage.Format.Format_RGB32)
    rgb.save(buffer, "JPG", quality)  # type: ignore[call-overload]
    buffer.close()
    return bytes(data.data())


def _fit(size: QSize, area: QRectF) -> QRectF:
    """``size`` scaled to fit inside ``area``, centred."""
    if size.isEmpty():
        return QRectF()
    scale = min(area.width() / size.width(), area.height() / size.height())
    width, height = size.width() * scale, size.height() * scale
    return QRectF(area.center().x() - width / 2, area.center().y() - height / 2, width, height)


class _LiveView(QWidget):
    """The camera's picture with the baseline's ghost over it, or the picture just taken."""

    def __init__(self) -> None:
        super().__init__()
        named(self, "cameraLive", "Camera picture")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(400, 300)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.live: QImage | None = None
        self.still: QImage | None = None  # the photo taken of the current view, if any
        self.ghost: QImage | None = None
        self.ghost_opacity = GHOST_OPACITY / 100
        self.message = "Waiting for the camera…"

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(20, 20, 20))  # a photo reads best on near-black
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        area = QRectF(self.rect())
        shown = self.still if self.still is not None else self.live
        if shown is None:
            painter.setPen(QColor("white"))
            painter.drawText(
                area.adjusted(24, 24, -24, -24),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self.message,
            )
            painter.end()
            return
        target = _fit(shown.size(), area)
        painter.drawImage(target, shown)
        if self.still is None and self.ghost is not None and self.ghost_opacity > 0:
            painter.setOpacity(self.ghost_opacity)
            painter.drawImage(target, self.ghost)
            painter.setOpacity(1.0)
        if self.still is not None:
            banner = QRectF(target.left(), target.top(), target.width(), 32)
            painter.fillRect(banner, QColor(0, 0, 0, 170))
            painter.setPen(QColor("white"))
            painter.drawText(
                banner, Qt.AlignmentFlag.AlignCenter, "Taken. Press R to take it again."
            )
        painter.end()


class _Checklist(QListWidget):
    """The set's views; the keys that take photos go on to the dialog."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in _CAPTURE_KEYS or event.key() == Qt.Key.Key_R:
            event.ignore()
            return
        super().keyPressEvent(event)


_CAPTURE_KEYS = (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter)


class CameraCapture(QDialog):
    """Take the views of a photo set through a camera, lining each up with the baseline's.

    Public API:
        ``CameraCapture(parent, source, views, *, ghosts=None, already=(), title=...)``:
        ``source`` a FrameSource; ``views`` the set's standard views in order, as
        ``(view_id, label)``; ``ghosts`` the baseline's picture of each view (QImage by view
        id); ``already`` the view ids this set has (ticked, not asked for again).
        ``exec()``; then ``captured()`` gives the JPEG bytes by view id, in the set's order.
        ``current_view()``, ``set_current_view(view_id)``, ``missing()``, ``capture()``,
        ``retake()``, ``set_ghost_opacity(percent)``. Signal ``view_captured(str)``.

    Keys: Space or Enter takes the current view, R takes it again, Esc cancels.
    """

    view_captured = Signal(str)

    def __init__(
        self,
        parent: QWidget | None,
        source: FrameSource,
        views: Sequence[tuple[str, str]],
        *,
        ghosts: Mapping[str, QImage] | None = None,
        already: Iterable[str] = (),
        title: str = "Take photos",
    ) -> None:
        if not views:
            raise ValueError("a photo set has at least one view")
        super().__init__(parent)
        self.setObjectName("cameraCapture")
        self.setWindowTitle(title)
        self._source = source
        self._views = list(views)
        self._labels = dict(self._views)
        self._ghosts = dict(ghosts or {})
        self._already = set(already)
        self._captured: dict[str, bytes] = {}
        self._stills: dict[str, QImage] = {}
        self._latest: QImage | None = None
        self._problem: str | None = None

        self.instruction = QLabel()
        self.instruction.setObjectName("cameraInstruction")
        self.instruction.setWordWrap(True)
        self.live = _LiveView()

        views_label = QLabel("&Views")
        views_label.setObjectName("cameraViewsLabel")
        self.checklist = named(_Checklist(), "cameraViews", "Views of this set")
        self.checklist.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        views_label.setBuddy(self.checklist)
        for view_id, label in self._views:
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, view_id)
            self.checklist.addItem(item)
        self.checklist.currentRowChanged.connect(self._row_chosen)

        ghost_label = QLabel("&Ghost of the baseline")
        ghost_label.setObjectName("cameraGhostLabel")
        self.ghost_slider = named(
            NoWheelSlider(), "cameraGhost", "Ghost of the baseline photo: opacity"
        )
        self.ghost_slider.setRange(0, 80)
        self.ghost_slider.setValue(GHOST_OPACITY)
        self.ghost_slider.valueChanged.connect(self._ghost_moved)
        ghost_label.setBuddy(self.ghost_slider)
        self.ghost_value = QLabel()
        self.ghost_value.setObjectName("cameraGhostValue")
        self.ghost_note = QLabel()
        self.ghost_note.setObjectName("cameraGhostNote")
        self.ghost_note.setWordWrap(True)
        self.ghost_note.setStyleSheet(ink_style(NOTE))

        self.status = QLabel()
        self.status.setObjectName("cameraStatus")
        self.status.setWordWrap(True)

        self.capture_button = named(
            QPushButton("&Capture"), "cameraCaptureButton", "Take this view", "Space or Enter"
        )
        self.retake_button = named(
            QPushButton("&Retake"), "cameraRetake", "Take this view again", "R"
        )
        self.done_button = named(QPushButton("&Done"), "cameraDone", "Keep the photos taken")
        self.cancel_button = named(
            QPushButton("Cancel"), "cameraCancel", "Cancel without keeping any photo", "Esc"
        )
        for button in (self.capture_button, self.retake_button, self.done_button):
            button.setAutoDefault(False)
        self.cancel_button.setAutoDefault(False)
        self.capture_button.clicked.connect(self.capture)
        self.retake_button.clicked.connect(self.retake)
        self.done_button.clicked.connect(self.accept)
        self.cancel_button.clicked.connect(self.reject)

        side = QVBoxLayout()
        side.addWidget(views_label)
        side.addWidget(self.checklist, 1)
        side.addSpacing(8)
        side.addWidget(ghost_label)
        ghost_row = QHBoxLayout()
        ghost_row.addWidget(self.ghost_slider, 1)
        ghost_row.addWidget(self.ghost_value)
        side.addLayout(ghost_row)
        side.addWidget(self.ghost_note)
        side_widget = QWidget()
        side_widget.setObjectName("cameraSide")
        side_widget.setLayout(side)
        side_widget.setFixedWidth(270)

        middle = QHBoxLayout()
        middle.addWidget(self.live, 1)
        middle.addWidget(side_widget)

        buttons = QHBoxLayout()
        buttons.addWidget(self.capture_button)
        buttons.addWidget(self.retake_button)
        buttons.addStretch(1)
        buttons.addWidget(self.done_button)
        buttons.addWidget(self.cancel_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.instruction)
        layout.addLayout(middle, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.resize(1040, 640)

        source.frame.connect(self._framed)
        source.failed.connect(self._failed)
        self._problem = source.problem()
        if self._problem is not None:
            self.live.message = self._problem
        first = self.missing()
        self.set_current_view(first[0] if first else self._views[0][0])
        self.live.setFocus()
        if self._problem is None:
            source.start()

    # -- what the dialog gives back ---------------------------------------------------------

    def captured(self) -> dict[str, bytes]:
        """JPEG bytes of each view taken, by view id, in the set's order."""
        return {view: self._captured[view] for view, _ in self._views if view in self._captured}

    def missing(self) -> list[str]:
        """The views neither in the set already nor taken here, in the set's order."""
        return [
            view
            for view, _ in self._views
            if view not in self._already and view not in self._captured
        ]

    def current_view(self) -> str:
        item = self.checklist.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else ""

    # -- actions --------------------------------------------------------------------------

    def set_current_view(self, view_id: str) -> None:
        for row in range(self.checklist.count()):
            if self.checklist.item(row).data(Qt.ItemDataRole.UserRole) == view_id:
                self.checklist.setCurrentRow(row)
                return

    def set_ghost_opacity(self, percent: int) -> None:
        self.ghost_slider.setValue(percent)

    def capture(self) -> None:
        """Take the current view from the latest picture and go on to the next one missing."""
        view = self.current_view()
        label = self._labels.get(view, view)
        if self._problem is not None:
            self._say(self._problem, problem=True)
            return
        if view in self._captured:
            self._say(f"{label} is taken. Press R to take it again.")
            return
        if self._latest is None:
            self._say("No picture from the camera yet. Wait a moment, then try again.")
            return
        still = self._latest.copy()
        self._captured[view] = jpeg_bytes(still)
        self._stills[view] = still
        self.view_captured.emit(view)
        following = [v for v in self.missing() if self._index(v) > self._index(view)]
        remaining = following or self.missing()
        if remaining:
            self.set_current_view(remaining[0])
            self._say(f"{label} taken. Next: {self._labels[remaining[0]]}.")
        else:
            self._refresh()
            self._say("Every view is taken. Press Done to keep the photos.")

    def retake(self) -> None:
        """Forget the photo of the current view: the camera's picture shows again."""
        view = self.current_view()
        if view not in self._captured:
            return
        del self._captured[view]
        del self._stills[view]
        self._refresh()
        self._say(f"Take {self._labels.get(view, view)} again.")

    # -- reacting ------------------------------------------------------------------------

    def _index(self, view: str) -> int:
        return next(i for i, (v, _) in enumerate(self._views) if v == view)

    def _framed(self, image: QImage) -> None:
        self._latest = image
        if self.live.still is None:
            self.live.live = image
            self.live.update()

    def _failed(self, sentence: str) -> None:
        self._problem = sentence
        self._latest = None
        self.live.live = None
        self.live.message = sentence
        self._refresh()
        self._say(sentence, problem=True)

    def _row_chosen(self, _row: int) -> None:
        self._refresh()
        if self._problem is None:
            self._say("")

    def _ghost_moved(self, value: int) -> None:
        self.live.ghost_opacity = value / 100
        self.ghost_value.setText(f"{value} %")
        self.live.update()

    def _say(self, sentence: str, *, problem: bool = False) -> None:
        self.status.setText(sentence)
        self.status.setStyleSheet(ink_style(ERROR) if problem else "")
        self.status.setAccessibleName(sentence)

    def _refresh(self) -> None:
        view = self.current_view()
        label = self._labels.get(view, view)
        current_row = self.checklist.currentRow()
        for row in range(self.checklist.count()):
            item = self.checklist.item(row)
            item_view = str(item.data(Qt.ItemDataRole.UserRole))
            words = self._labels[item_view]
            if item_view in self._captured:
                state, mark = "taken now", "✓"
            elif item_view in self._already:
                state, mark = "already in this set", "✓"
            else:
                state, mark = "still to take", "○"
            item.setText(f"{mark}  {words}")
            item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{words}: {state}")
            font = item.font()
            font.setBold(row == current_row)
            item.setFont(font)
        ghost = self._ghosts.get(view)
        self.live.ghost = ghost
        self.live.still = self._stills.get(view)
        if self.live.still is None:
            self.live.live = self._latest
        self.ghost_slider.setEnabled(ghost is not None)
        self.ghost_note.setText(
            "" if ghost is not None else "No baseline photo of this view to line up with."
        )
        self.ghost_value.setText(f"{self.ghost_slider.value()} %")
        taken = view in self._captured
        working = self._problem is None
        self.capture_button.setEnabled(working and not taken)
        self.retake_button.setEnabled(taken)
        self.done_button.setEnabled(bool(self._captured))
        count = len(self._captured)
        self.done_button.setText("&Done" if count == 0 else f"&Done: keep {_photos(count)}")
        missing = self.missing()
        if not working:
            self.instruction.setText(self._problem or "")
        elif taken:
            self.instruction.setText(f"{label}: taken. Press R to take it again.")
        else:
            lead = "Line up with the ghost of the baseline, then " if ghost is not None else ""
            still = f" {len(missing)} of {len(self._views)} views still to take." if missing else ""
            self.instruction.setText(
                f"{label}: {lead}{'p' if lead else 'P'}ress Space to take it.{still}"
            )
        self.live.update()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        plain = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if plain == Qt.KeyboardModifier.NoModifier and event.key() in _CAPTURE_KEYS:
            self.capture()
        elif plain == Qt.KeyboardModifier.NoModifier and event.key() == Qt.Key.Key_R:
            self.retake()
        else:
            super().keyPressEvent(event)  # Esc cancels
            return
        event.accept()

    def done(self, result: int) -> None:
        self._source.stop()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._source.stop()
        super().closeEvent(event)


def _photos(count: int) -> str:
    return "1 photo" if count == 1 else f"{count} photos"
