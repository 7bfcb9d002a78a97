"""CompareView: the same view from two dates side by side, as a wipe or as an overlay, with zoom
and pan locked together across both pictures.

A reusable widget: it takes two QImages and their captions and knows nothing of patients,
services or storage. The pictures are scaled to fit once per size (kept while the size stays),
so switching modes or stepping through dates repaints from ready pixmaps; a zoomed view draws
only the visible part of the full picture.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QResizeEvent,
    QShowEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.dates import format_short
from exodesk.ui.common import named
from exodesk.ui.look import NOTE, ink_style
from exodesk.ui.widgets import _WheelWhenFocused


class CompareMode(StrEnum):
    """How the two pictures are shown."""

    SIDE_BY_SIDE = "side_by_side"
    WIPE = "wipe"
    OVERLAY = "overlay"


MODE_WORDS = {
    CompareMode.SIDE_BY_SIDE: "Side by side",
    CompareMode.WIPE: "Wipe",
    CompareMode.OVERLAY: "Overlay",
}
MIN_ZOOM = 1.0
MAX_ZOOM = 8.0
ZOOM_STEP = 1.25
GAP = 8  # between the two pictures side by side
HANDLE = 10  # how near the wipe's divider a press grabs it, in pixels
NO_PAIR = "Choose two photos to compare."
PHOTO_BACKDROP = "#202020"  # photos are judged on a neutral dark ground, whatever the palette


def caption(day: date, label: str = "") -> str:
    """A picture's caption: ``12 Mar 2026 — Session 2 of 4`` (the date alone without a label)."""
    return f"{format_short(day)} — {label}" if label else format_short(day)


class NoWheelSlider(_WheelWhenFocused, QSlider):
    """A horizontal slider that the mouse wheel moves only once it has focus (as ui/widgets'
    boxes)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOrientation(Qt.Orientation.Horizontal)


@dataclass
class _Picture:
    """One picture, its caption, and its fitted pixmaps (made once per target size)."""

    image: QImage
    caption: str
    fitted: dict[tuple[int, int, float], QPixmap] = field(default_factory=dict)

    def fitted_pixmap(self, size: QSize, ratio: float) -> QPixmap:
        key = (size.width(), size.height(), ratio)
        pixmap = self.fitted.get(key)
        if pixmap is None:
            width, height = round(size.width() * ratio), round(size.height() * ratio)
            target = QSize(max(1, width), max(1, height))
            scaled = self.image.scaled(
                target,
                Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            pixmap = QPixmap.fromImage(scaled)
            pixmap.setDevicePixelRatio(ratio)
            if len(self.fitted) >= 3:  # a few sizes (both modes, one resize) are plenty
                self.fitted.pop(next(iter(self.fitted)))
            self.fitted[key] = pixmap
        return pixmap


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


class _CompareCanvas(QWidget):
    """Paints the pictures; mouse drag pans (or moves the wipe's divider), the wheel zooms once
    the canvas has focus, Left/Right ask for another date."""

    changed = Signal()  # zoom, pan or divider moved by the mouse

    def __init__(self, owner: CompareView) -> None:
        super().__init__()
        self._owner = owner
        self.left: _Picture | None = None
        self.right: _Picture | None = None
        self.mode = CompareMode.SIDE_BY_SIDE
        self.zoom = MIN_ZOOM
        self.centre = QPointF(0.5, 0.5)  # the picture point (0–1 each way) at each panel's centre
        self.wipe = 0.5
        self.opacity = 0.5
        self.message = NO_PAIR
        self._drag: str | None = None  # "pan" or "divider"
        self._press = QPointF()
        self._press_centre = QPointF()
        named(self, "compareCanvas", "Photo comparison")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(320, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)

    # -- geometry -------------------------------------------------------------------------

    def caption_height(self) -> int:
        return self.fontMetrics().height() + 8

    def panels(self) -> list[QRectF]:
        """Where the pictures go: two panels side by side, else one."""
        height = max(1.0, self.height() - self.caption_height())
        if self.mode is CompareMode.SIDE_BY_SIDE:
            width = max(1.0, (self.width() - GAP) / 2)
            return [QRectF(0, 0, width, height), QRectF(width + GAP, 0, width, height)]
        return [QRectF(0, 0, self.width(), height)]

    def picture_rect(self, picture: _Picture, panel: QRectF) -> QRectF:
        """Where the whole picture lands at the current zoom and pan (it may overhang)."""
        image = picture.image
        fit = min(panel.width() / image.width(), panel.height() / image.height())
        width = image.width() * fit * self.zoom
        height = image.height() * fit * self.zoom
        return QRectF(
            panel.center().x() - self.centre.x() * width,
            panel.center().y() - self.centre.y() * height,
            width,
            height,
        )

    def clamp_centre(self) -> None:
        """Keep the picture over its panel: no empty margin opens while panning a zoomed view."""
        if self.left is None:
            self.centre = QPointF(0.5, 0.5)
            return
        panel = self.panels()[0]
        rect = self.picture_rect(self.left, panel)
        x_margin = panel.width() / 2 / rect.width()
        y_margin = panel.height() / 2 / rect.height()
        self.centre = QPointF(
            _clamp(self.centre.x(), min(0.5, x_margin), max(0.5, 1 - x_margin)),
            _clamp(self.centre.y(), min(0.5, y_margin), max(0.5, 1 - y_margin)),
        )

    def divider_x(self) -> float:
        panel = self.panels()[0]
        return panel.left() + self.wipe * panel.width()

    def zoom_to(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Zoom to ``zoom`` keeping the picture point under ``anchor`` (default: the centre)
        where it is."""
        zoom = _clamp(zoom, MIN_ZOOM, MAX_ZOOM)
        if self.left is None:
            self.zoom = zoom
            return
        panels = self.panels()
        panel = next((p for p in panels if anchor is not None and p.contains(anchor)), panels[0])
        point = anchor if anchor is not None else panel.center()
        before = self.picture_rect(self.left, panel)
        u = (point.x() - before.left()) / before.width()
        v = (point.y() - before.top()) / before.height()
        self.zoom = zoom
        after = self.picture_rect(self.left, panel)
        self.centre = QPointF(
            (panel.center().x() - point.x()) / after.width() + u,
            (panel.center().y() - point.y()) / after.height() + v,
        )
        self.clamp_centre()
        self.update()

    # -- painting -------------------------------------------------------------------------

    def _draw(self, painter: QPainter, picture: _Picture, panel: QRectF, clip: QRectF) -> None:
        target = self.picture_rect(picture, panel)
        visible = target.intersected(clip)
        if visible.isEmpty():
            return
        if abs(self.zoom - MIN_ZOOM) < 1e-9:
            size = QSize(max(1, round(target.width())), max(1, round(target.height())))
            pixmap = picture.fitted_pixmap(size, self.devicePixelRatioF())
            ratio = pixmap.devicePixelRatio()
            source = QRectF(
                (visible.left() - target.left()) * ratio,
                (visible.top() - target.top()) * ratio,
                visible.width() * ratio,
                visible.height() * ratio,
            )
            painter.drawPixmap(visible, pixmap, source)
            return
        sx = picture.image.width() / target.width()
        sy = picture.image.height() / target.height()
        source = QRectF(
            (visible.left() - target.left()) * sx,
            (visible.top() - target.top()) * sy,
            visible.width() * sx,
            visible.height() * sy,
        )
        painter.drawImage(visible, picture.image, source)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Window))
        text = palette.color(QPalette.ColorRole.WindowText)
        if self.left is None or self.right is None:
            painter.setPen(text)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.message)
            painter.end()
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        backdrop = QColor(PHOTO_BACKDROP)
        panels = self.panels()
        for panel in panels:
            painter.fillRect(panel, backdrop)
        if self.mode is CompareMode.SIDE_BY_SIDE:
            self._draw(painter, self.left, panels[0], panels[0])
            self._draw(painter, self.right, panels[1], panels[1])
            captions = [(panels[0], self.left.caption), (panels[1], self.right.caption)]
        elif self.mode is CompareMode.WIPE:
            panel = panels[0]
            split = self.divider_x()
            before = QRectF(panel.left(), panel.top(), split - panel.left(), panel.height())
            after = QRectF(split, panel.top(), panel.right() - split, panel.height())
            self._draw(painter, self.left, panel, before)
            self._draw(painter, self.right, panel, after)
            self._paint_divider(painter, panel, split)
            half, other = self._caption_halves(panel)
            captions = [(half, f"◀ {self.left.caption}"), (other, f"{self.right.caption} ▶")]
        else:
            panel = panels[0]
            self._draw(painter, self.left, panel, panel)
            painter.setOpacity(self.opacity)
            self._draw(painter, self.right, panel, panel)
            painter.setOpacity(1.0)
            half, other = self._caption_halves(panel)
            shown = f"{self.right.caption} at {round(self.opacity * 100)} %"
            captions = [(half, self.left.caption), (other, shown)]
        self._paint_captions(painter, captions, text)
        painter.end()

    def _caption_halves(self, panel: QRectF) -> tuple[QRectF, QRectF]:
        """Where the earlier and the later caption go under one panel: under the picture's
        own left and right halves when it is wide enough for both, else the panel's."""
        assert self.left is not None
        shown = self.picture_rect(self.left, panel).intersected(panel)
        area = shown if shown.width() >= 480 else panel
        half = area.width() / 2
        return QRectF(area.left(), 0, half, 0), QRectF(area.left() + half, 0, half, 0)

    def _paint_divider(self, painter: QPainter, panel: QRectF, x: float) -> None:
        highlight = self.palette().color(QPalette.ColorRole.Highlight)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor("white"), 4))
        painter.drawLine(QPointF(x, panel.top()), QPointF(x, panel.bottom()))
        painter.setPen(QPen(highlight, 2))
        painter.drawLine(QPointF(x, panel.top()), QPointF(x, panel.bottom()))
        painter.setBrush(highlight)
        painter.setPen(QPen(QColor("white"), 2))
        painter.drawEllipse(QPointF(x, panel.center().y()), HANDLE, HANDLE)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)

    def _paint_captions(
        self, painter: QPainter, captions: list[tuple[QRectF, str]], colour: QColor
    ) -> None:
        painter.setPen(colour)
        metrics = self.fontMetrics()
        top = self.height() - self.caption_height()
        for index, (panel, words) in enumerate(captions):
            area = QRectF(panel.left() + 4, top, panel.width() - 8, self.caption_height())
            shown = metrics.elidedText(words, Qt.TextElideMode.ElideRight, int(area.width()))
            single = self.mode is CompareMode.SIDE_BY_SIDE
            align = (
                Qt.AlignmentFlag.AlignHCenter
                if single
                else (Qt.AlignmentFlag.AlignLeft if index == 0 else Qt.AlignmentFlag.AlignRight)
            )
            painter.drawText(area, align | Qt.AlignmentFlag.AlignVCenter, shown)

    # -- input ----------------------------------------------------------------------------

    def _near_divider(self, x: float) -> bool:
        return self.mode is CompareMode.WIPE and abs(x - self.divider_x()) <= HANDLE + 2

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self.left is None:
            super().mousePressEvent(event)
            return
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self._press = event.position()
        self._press_centre = QPointF(self.centre)
        self._drag = "divider" if self._near_divider(event.position().x()) else "pan"
        if self._drag == "pan":
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        position = event.position()
        if self._drag == "divider":
            panel = self.panels()[0]
            self.wipe = _clamp((position.x() - panel.left()) / panel.width(), 0.0, 1.0)
            self.update()
            self.changed.emit()
        elif self._drag == "pan" and self.left is not None:
            rect = self.picture_rect(self.left, self.panels()[0])
            delta = position - self._press
            self.centre = QPointF(
                self._press_centre.x() - delta.x() / rect.width(),
                self._press_centre.y() - delta.y() / rect.height(),
            )
            self.clamp_centre()
            self.update()
            self.changed.emit()
        elif self._near_divider(position.x()):
            self.setCursor(Qt.CursorShape.SizeHorCursor)
        else:
            zoomed = self.zoom > MIN_ZOOM
            self.setCursor(Qt.CursorShape.OpenHandCursor if zoomed else Qt.CursorShape.ArrowCursor)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag = None
        self.unsetCursor()
        event.accept()

    def wheelEvent(self, event: QWheelEvent) -> None:
        # As ui/widgets' boxes: the wheel scrolls what is around until the view is chosen.
        if not self.hasFocus() or self.left is None:
            event.ignore()
            return
        notches = event.angleDelta().y() / 120
        if notches:
            self.zoom_to(self.zoom * ZOOM_STEP**notches, event.position())
            self.changed.emit()
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if modifiers == Qt.KeyboardModifier.NoModifier and event.key() in (
            Qt.Key.Key_Left,
            Qt.Key.Key_Right,
        ):
            self._owner.step_date.emit(-1 if event.key() == Qt.Key.Key_Left else 1)
            event.accept()
            return
        event.ignore()  # to the CompareView: views, modes, zoom

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.clamp_centre()

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.update()


class CompareView(QWidget):
    """Two pictures of one view from two dates: side by side, as a wipe, or as an overlay.

    Public API:
        ``set_pair(left, left_caption, right, right_caption)`` shows two QImages (left = the
        earlier date); ``clear(message)`` shows a sentence instead. ``mode()``/``set_mode()``
        (``CompareMode``), ``cycle_mode()``; ``zoom()``/``set_zoom()``, ``zoom_in()``,
        ``zoom_out()``, ``reset_zoom()``; ``centre()`` (the picture point shown mid-panel, 0–1
        each way, the same for both pictures); ``wipe_position()``/``set_wipe_position()``
        (0–1); ``overlay_opacity()``/``set_overlay_opacity()`` (0–1); ``captions()``.

    Signals: ``step_date(int)`` (-1 on Left, +1 on Right), ``choose_view(int)`` (the number
    key pressed, 1–5: the first to fifth standard view), ``mode_changed(str)`` (a
    ``CompareMode`` value).

    Keys (anywhere in the widget): M cycles the mode, Ctrl++ / Ctrl+- zoom, Ctrl+0 fits.
    Mouse: drag pans a zoomed view (or moves the wipe's divider); the wheel zooms once the
    view has focus (a click or Tab gives it), never in passing.
    """

    step_date = Signal(int)
    choose_view = Signal(int)
    mode_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareView")
        self.canvas = _CompareCanvas(self)
        self.canvas.changed.connect(self._sync)

        self.mode_buttons: dict[CompareMode, QPushButton] = {}
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        for mode, words in MODE_WORDS.items():
            button = named(
                QPushButton(words),
                f"compareMode_{mode.value}",
                f"Show the photos: {words.lower()}",
                "M switches between side by side, wipe and overlay",
            )
            button.setCheckable(True)
            button.setAutoDefault(False)
            # Clicking a mode keeps the keyboard with the pictures (Tab still reaches it).
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.clicked.connect(lambda _=False, m=mode: self.set_mode(m))
            self._group.addButton(button)
            self.mode_buttons[mode] = button
            bar.addWidget(button)
        self.mode_buttons[CompareMode.SIDE_BY_SIDE].setChecked(True)

        self.slider_label = QLabel("Divider")
        self.slider_label.setObjectName("compareSliderLabel")
        self.slider = named(
            NoWheelSlider(),
            "compareSlider",
            "Wipe divider position",
        )
        self.slider.setRange(0, 100)
        self.slider.setValue(50)
        self.slider.setMinimumWidth(120)
        self.slider.setMaximumWidth(220)
        self.slider.valueChanged.connect(self._slid)
        self.slider_label.setBuddy(self.slider)
        bar.addSpacing(12)
        bar.addWidget(self.slider_label)
        bar.addWidget(self.slider)
        bar.addStretch(1)

        self.zoom_out_button = self._tool("−", "compareZoomOut", "Zoom out", "Ctrl+−")
        self.zoom_label = QLabel("100 %")
        self.zoom_label.setObjectName("compareZoom")
        self.zoom_label.setMinimumWidth(self.zoom_label.fontMetrics().horizontalAdvance("800 %"))
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.zoom_in_button = self._tool("+", "compareZoomIn", "Zoom in", "Ctrl++")
        self.fit_button = self._tool("Fit", "compareFit", "Fit the photos", "Ctrl+0")
        self.zoom_out_button.clicked.connect(self.zoom_out)
        self.zoom_in_button.clicked.connect(self.zoom_in)
        self.fit_button.clicked.connect(self.reset_zoom)
        for widget in (self.zoom_out_button, self.zoom_label, self.zoom_in_button, self.fit_button):
            bar.addWidget(widget)

        self.hint = QLabel("← → other dates · 1–5 views · M mode · drag to move")
        self.hint.setObjectName("compareHint")
        self.hint.setStyleSheet(ink_style(NOTE))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.hint)
        self.setFocusProxy(self.canvas)
        self._sync()

    def _tool(self, text: str, object_name: str, accessible: str, keys: str) -> QToolButton:
        button = named(QToolButton(), object_name, accessible, f"{accessible} ({keys})")
        button.setText(text)
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        return button

    # -- the pictures ---------------------------------------------------------------------

    def set_pair(self, left: QImage, left_caption: str, right: QImage, right_caption: str) -> None:
        """Show ``left`` (the earlier date) and ``right`` with their captions. Zoom and pan are
        kept when both pictures keep their shape (stepping through dates); mode too."""
        pictures = []
        for image in (left, right):
            if image.isNull():
                self.clear("This photo could not be shown.")
                return
            if image.format() not in (
                QImage.Format.Format_RGB32,
                QImage.Format.Format_ARGB32_Premultiplied,
            ):
                image = image.convertToFormat(QImage.Format.Format_RGB32)
            pictures.append(image)
        old = self.canvas.left
        same_shape = old is not None and old.image.size() == pictures[0].size()
        self.canvas.left = _Picture(pictures[0], left_caption)
        self.canvas.right = _Picture(pictures[1], right_caption)
        if not same_shape:
            self.canvas.zoom = MIN_ZOOM
            self.canvas.centre = QPointF(0.5, 0.5)
        self.canvas.clamp_centre()
        self.prepare()
        self._sync()

    def prepare(self) -> None:
        """Scale both pictures for the current size now (else on the first paint)."""
        canvas = self.canvas
        if canvas.left is None or canvas.right is None or not canvas.isVisible():
            return
        panels = canvas.panels()
        ratio = canvas.devicePixelRatioF()
        for picture, panel in ((canvas.left, panels[0]), (canvas.right, panels[-1])):
            saved = canvas.zoom
            canvas.zoom = MIN_ZOOM
            rect = canvas.picture_rect(picture, panel)
            canvas.zoom = saved
            picture.fitted_pixmap(
                QSize(max(1, round(rect.width())), max(1, round(rect.height()))), ratio
            )

    def clear(self, message: str = NO_PAIR) -> None:
        """No pictures: ``message`` (a plain sentence) in their place."""
        self.canvas.left = self.canvas.right = None
        self.canvas.message = message
        self.canvas.zoom = MIN_ZOOM
        self.canvas.centre = QPointF(0.5, 0.5)
        self._sync()

    def captions(self) -> tuple[str, str] | None:
        """The two captions shown, or None without pictures."""
        if self.canvas.left is None or self.canvas.right is None:
            return None
        return (self.canvas.left.caption, self.canvas.right.caption)

    # -- mode, zoom, pan ------------------------------------------------------------------

    def mode(self) -> CompareMode:
        return self.canvas.mode

    def set_mode(self, mode: CompareMode) -> None:
        mode = CompareMode(mode)
        changed = mode is not self.canvas.mode
        self.canvas.mode = mode
        self.mode_buttons[mode].setChecked(True)
        self.canvas.clamp_centre()
        self._sync()
        if changed:
            self.mode_changed.emit(mode.value)

    def cycle_mode(self) -> None:
        modes = list(CompareMode)
        self.set_mode(modes[(modes.index(self.canvas.mode) + 1) % len(modes)])

    def zoom(self) -> float:
        return self.canvas.zoom

    def set_zoom(self, zoom: float) -> None:
        self.canvas.zoom_to(zoom)
        self._sync()

    def zoom_in(self) -> None:
        self.set_zoom(self.canvas.zoom * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.canvas.zoom / ZOOM_STEP)

    def reset_zoom(self) -> None:
        self.canvas.centre = QPointF(0.5, 0.5)
        self.set_zoom(MIN_ZOOM)

    def centre(self) -> QPointF:
        return QPointF(self.canvas.centre)

    def wipe_position(self) -> float:
        return self.canvas.wipe

    def set_wipe_position(self, position: float) -> None:
        self.canvas.wipe = _clamp(position, 0.0, 1.0)
        self._sync()

    def overlay_opacity(self) -> float:
        return self.canvas.opacity

    def set_overlay_opacity(self, opacity: float) -> None:
        self.canvas.opacity = _clamp(opacity, 0.0, 1.0)
        self._sync()

    # -- keeping the controls and the words in step ----------------------------------------

    def _slid(self, value: int) -> None:
        if self.canvas.mode is CompareMode.WIPE:
            self.canvas.wipe = value / 100
        elif self.canvas.mode is CompareMode.OVERLAY:
            self.canvas.opacity = value / 100
        self._sync()

    def _sync(self) -> None:
        canvas = self.canvas
        mode = canvas.mode
        sliding = mode is not CompareMode.SIDE_BY_SIDE
        self.slider.setVisible(sliding)
        self.slider_label.setVisible(sliding)
        if sliding:
            wipe = mode is CompareMode.WIPE
            self.slider_label.setText("Divider" if wipe else "Later photo")
            self.slider.setAccessibleName(
                "Wipe divider position" if wipe else "Opacity of the later photo"
            )
            self.slider.blockSignals(True)
            self.slider.setValue(round((canvas.wipe if wipe else canvas.opacity) * 100))
            self.slider.blockSignals(False)
        has_pair = canvas.left is not None
        for widget in (self.zoom_in_button, self.zoom_out_button, self.fit_button):
            widget.setEnabled(has_pair)
        self.zoom_label.setText(f"{round(canvas.zoom * 100)} %")
        captions = self.captions()
        if captions is None:
            description = canvas.message
        else:
            description = (
                f"{MODE_WORDS[mode]}. Earlier: {captions[0]}. Later: {captions[1]}. "
                f"Zoom {round(canvas.zoom * 100)} %."
            )
        canvas.setAccessibleDescription(description)
        canvas.update()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        control = Qt.KeyboardModifier.ControlModifier
        plain = modifiers == Qt.KeyboardModifier.NoModifier
        if plain and Qt.Key.Key_1 <= key <= Qt.Key.Key_5:
            self.choose_view.emit(key - Qt.Key.Key_0)
        elif plain and key == Qt.Key.Key_M:
            self.cycle_mode()
        elif plain and key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            self.step_date.emit(-1 if key == Qt.Key.Key_Left else 1)
        elif modifiers & control and key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_in()
        elif modifiers & control and key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.zoom_out()
        elif modifiers & control and key == Qt.Key.Key_0:
            self.reset_zoom()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.prepare()
