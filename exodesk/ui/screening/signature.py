"""SignaturePad: a white surface the patient signs on with a mouse, a stylus or a finger."""

from __future__ import annotations

import itertools
import math

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QEvent,
    QIODevice,
    QPointF,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QTabletEvent,
    QTouchEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

Point = tuple[float, float]

# Less ink than this (in pad pixels, all strokes together) is a dot or an accidental touch,
# not a signature: a short name written small is still well over 100 px.
MIN_INK_LENGTH = 30.0

INK = QColor("#14213d")
_PAD_PEN_WIDTH = 2.5
_BASELINE = QColor("#b4b4b4")
_HINT = QColor("#707070")  # 4.9:1 on the white pad
_BORDER = QColor("#8c8c8c")
_DESCRIPTION = (
    "The patient signs here with a finger, a stylus or the mouse. "
    "Press Delete or the Clear button to start again."
)


def _ink_length(strokes: list[list[Point]]) -> float:
    return sum(math.dist(a, b) for stroke in strokes for a, b in itertools.pairwise(stroke))


def _stroke_path(points: list[QPointF]) -> QPainterPath:
    # Curves through the midpoints between samples: a fast pen stroke reads as handwriting
    # instead of a chain of straight segments.
    path = QPainterPath(points[0])
    for here, after in itertools.pairwise(points[1:]):
        path.quadTo(here, (here + after) / 2)
    path.lineTo(points[-1])
    return path


def _draw_strokes(painter: QPainter, strokes: list[list[QPointF]], width: float) -> None:
    pen = QPen(INK, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for points in strokes:
        if len(points) == 1:
            painter.drawPoint(points[0])
        else:
            painter.drawPath(_stroke_path(points))


class SignaturePad(QWidget):
    """Captures a handwritten signature as strokes of points and renders it to PNG.

    Points are kept in the coordinates of the pad as it was when signing began, so the
    signature is redrawn scaled if the pad is resized, and ``to_png`` can fit it to any size.
    ``changed`` is emitted when a stroke is finished and when the pad is cleared.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signaturePad")
        self.setAccessibleName("Signature pad")
        self._strokes: list[list[Point]] = []
        self._canvas: QSize | None = None  # the pad's size when the first stroke began
        self._drawing = False
        self.setMinimumSize(400, 140)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.CrossCursor)
        # Touch events must be accepted here, or Qt turns the finger into mouse events and
        # the pad might scroll or select instead of drawing.
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents, True)
        self._describe()

    def sizeHint(self) -> QSize:
        return QSize(560, 180)

    # ---- the public face -----------------------------------------------------------------
    def clear(self) -> None:
        """Wipe the signature so the patient can sign again."""
        had_strokes = bool(self._strokes)
        self._strokes = []
        self._canvas = None
        self._drawing = False
        self._describe()
        self.update()
        if had_strokes:
            self.changed.emit()

    def is_empty(self) -> bool:
        """True when there is no signature, or too little ink to be one (a dot, a slip).

        Returns:
            Whether the strokes together are shorter than ``MIN_INK_LENGTH`` pad pixels.
        """
        return _ink_length(self._strokes) < MIN_INK_LENGTH

    def strokes(self) -> list[list[Point]]:
        """A copy of the strokes, each a list of ``(x, y)`` points in pad pixels."""
        return [list(stroke) for stroke in self._strokes]

    def to_png(self, width: int = 600, height: int = 200) -> bytes:
        """Render the strokes, scaled to fit and centred, in dark ink on white.

        Args:
            width: Width of the image in pixels.
            height: Height of the image in pixels.

        Returns:
            The PNG file's bytes (a blank white image when there are no strokes).

        Raises:
            ValueError: When ``width`` or ``height`` is not positive.
        """
        if width <= 0 or height <= 0:
            raise ValueError(f"A signature image needs a positive size, not {width}×{height}.")
        image = QImage(width, height, QImage.Format.Format_RGB32)
        image.fill(Qt.GlobalColor.white)
        if self._strokes:
            pen_width = max(2.0, height / 70)
            painter = QPainter(image)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            _draw_strokes(painter, self._fitted(width, height, pen_width), pen_width)
            painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        # The PySide6 stub types the format as bytes, but the binding takes only str here
        # (b"PNG" raises ValueError).
        image.save(buffer, "PNG")  # type: ignore[call-overload]
        buffer.close()
        return bytes(data.data())

    # ---- geometry ------------------------------------------------------------------------
    def _fitted(self, width: int, height: int, pen_width: float) -> list[list[QPointF]]:
        """The strokes mapped into a ``width`` × ``height`` image, keeping their proportions."""
        xs = [x for stroke in self._strokes for x, _ in stroke]
        ys = [y for stroke in self._strokes for _, y in stroke]
        left, top = min(xs), min(ys)
        span_x, span_y = max(xs) - left, max(ys) - top
        margin = pen_width + min(width, height) * 0.06
        room_x, room_y = max(1.0, width - 2 * margin), max(1.0, height - 2 * margin)
        scale = min(room_x / max(span_x, 1e-6), room_y / max(span_y, 1e-6))
        off_x = (width - span_x * scale) / 2 - left * scale
        off_y = (height - span_y * scale) / 2 - top * scale
        return [
            [QPointF(x * scale + off_x, y * scale + off_y) for x, y in stroke]
            for stroke in self._strokes
        ]

    def _scale(self) -> float:
        """How much the pad has grown (or shrunk) since signing began."""
        if self._canvas is None or self._canvas.isEmpty():
            return 1.0
        return min(self.width() / self._canvas.width(), self.height() / self._canvas.height())

    def _to_canvas(self, pos: QPointF) -> Point:
        # Clamp to the pad: a stroke dragged past the edge stays on the pad's border.
        x = min(max(pos.x(), 0.0), float(self.width()))
        y = min(max(pos.y(), 0.0), float(self.height()))
        scale = self._scale()
        return (x / scale, y / scale)

    # ---- drawing -------------------------------------------------------------------------
    def _begin(self, pos: QPointF) -> None:
        if self._canvas is None:
            self._canvas = self.size()
        self._strokes.append([self._to_canvas(pos)])
        self._drawing = True
        self.update()

    def _extend(self, pos: QPointF) -> None:
        if not self._drawing:
            return
        point = self._to_canvas(pos)
        stroke = self._strokes[-1]
        # Skip samples that barely move: a tablet reports hundreds a second.
        if math.dist(point, stroke[-1]) >= 0.75:
            stroke.append(point)
            self.update()

    def _end(self, pos: QPointF | None = None) -> None:
        if not self._drawing:
            return
        if pos is not None:
            self._extend(pos)
        self._drawing = False
        self._describe()
        self.changed.emit()

    def _describe(self) -> None:
        state = "Not signed yet." if self.is_empty() else "Signed."
        self.setAccessibleDescription(f"{_DESCRIPTION} {state}")

    # ---- events --------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._begin(event.position())
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drawing and event.buttons() & Qt.MouseButton.LeftButton:
            self._extend(event.position())
            event.accept()
        else:
            super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._drawing:
            self._end(event.position())
            event.accept()
        else:
            super().mouseReleaseEvent(event)

    def tabletEvent(self, event: QTabletEvent) -> None:
        # Accepted, so Qt does not also synthesise mouse events and draw every stroke twice.
        kind = event.type()
        if kind == QEvent.Type.TabletPress:
            self._begin(event.position())
        elif kind == QEvent.Type.TabletMove:
            self._extend(event.position())
        elif kind == QEvent.Type.TabletRelease:
            self._end(event.position())
        event.accept()

    def event(self, event: QEvent) -> bool:
        kind = event.type()
        if kind in (
            QEvent.Type.TouchBegin,
            QEvent.Type.TouchUpdate,
            QEvent.Type.TouchEnd,
            QEvent.Type.TouchCancel,
        ):
            self._touch(event)  # type: ignore[arg-type]
            return True
        return super().event(event)

    def _touch(self, event: QTouchEvent) -> None:
        # Only the first finger draws; a palm or a second finger resting on the screen
        # must not add lines.
        points = event.points()
        kind = event.type()
        if kind == QEvent.Type.TouchCancel or not points:
            self._end()
        elif kind == QEvent.Type.TouchBegin:
            self._begin(points[0].position())
        elif kind == QEvent.Type.TouchUpdate:
            self._extend(points[0].position())
        else:
            self._end(points[0].position())
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.clear()
            event.accept()
        else:
            # Enter and Esc travel on to the dialog (save, cancel).
            super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.update()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect())
        painter.fillRect(rect, Qt.GlobalColor.white)
        self._paint_guides(painter, rect)
        if self._strokes:
            painter.save()
            scale = self._scale()
            painter.scale(scale, scale)
            strokes = [[QPointF(x, y) for x, y in stroke] for stroke in self._strokes]
            _draw_strokes(painter, strokes, _PAD_PEN_WIDTH)
            painter.restore()
        # The border shows where the pad is; a thicker highlight shows keyboard focus.
        if self.hasFocus():
            pen = QPen(self.palette().color(QPalette.ColorRole.Highlight), 2)
            painter.setPen(pen)
            painter.drawRect(rect.adjusted(1, 1, -1, -1))
        else:
            painter.setPen(QPen(_BORDER, 1))
            painter.drawRect(rect.adjusted(0.5, 0.5, -0.5, -0.5))
        painter.end()

    def _paint_guides(self, painter: QPainter, rect: QRectF) -> None:
        inset = 24.0
        base_y = rect.top() + rect.height() * 0.72
        painter.setPen(QPen(_BASELINE, 1))
        painter.drawLine(QPointF(inset, base_y), QPointF(rect.width() - inset, base_y))
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        painter.setFont(font)
        painter.setPen(_HINT)
        metrics = painter.fontMetrics()
        text_y = base_y - metrics.descent() - 6
        painter.drawText(QPointF(inset, text_y), "×")
        if not self._strokes:
            painter.drawText(QPointF(inset + metrics.horizontalAdvance("×  "), text_y), "Sign here")
