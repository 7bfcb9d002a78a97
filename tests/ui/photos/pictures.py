"""Pictures for the photo widgets' tests: plain colours with a black dot where the test says,
so what lands where on screen can be read back from a grab."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import QColor, QImage, QLinearGradient, QPainter

RED = QColor(200, 40, 40)
BLUE = QColor(40, 60, 200)
DOT = QColor(0, 0, 0)


def picture(
    colour: QColor,
    width: int = 400,
    height: int = 300,
    dot: tuple[float, float] | None = (0.75, 0.5),
    dot_size: float = 0.04,
) -> QImage:
    """A ``width``×``height`` picture in ``colour`` with a black square centred at ``dot``
    (each coordinate 0–1 across the picture), ``dot_size`` of the width wide."""
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(colour)
    if dot is not None:
        side = width * dot_size
        corner = QPointF(dot[0] * width - side / 2, dot[1] * height - side / 2)
        painter = QPainter(image)
        painter.fillRect(QRectF(corner, QSizeF(side, side)), DOT)
        painter.end()
    return image


def close(a: QColor, b: QColor, tolerance: int = 24) -> bool:
    """Two colours within ``tolerance`` on each channel."""
    return all(abs(x - y) <= tolerance for x, y in zip(a.getRgb()[:3], b.getRgb()[:3], strict=True))


def colour_at(image: QImage, x: float, y: float) -> QColor:
    return QColor(image.pixel(round(x), round(y)))


def dark_columns(image: QImage, y: int, x0: int, x1: int) -> list[int]:
    """The columns between x0 and x1 where row ``y`` of ``image`` is (nearly) black."""
    return [x for x in range(x0, x1) if close(QColor(image.pixel(x, y)), DOT, 40)]


def photo_like(width: int = 2048, height: int = 1536, seed: int = 0) -> QImage:
    """A photo-sized picture with gradients and a face-like oval (what scaling really costs)."""
    image = QImage(width, height, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    gradient = QLinearGradient(0, 0, width, height)
    gradient.setColorAt(0, QColor(220 - seed * 10, 180, 150))
    gradient.setColorAt(1, QColor(90, 60 + seed * 10, 50))
    painter.fillRect(image.rect(), gradient)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(230, 190, 160))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(QPointF(width / 2, height / 2), width * 0.22, height * 0.38)
    painter.end()
    return image
