"""Draw the ExoDesk application icon: resources/exodesk.png and a multi-size resources/exodesk.ico.

QT_QPA_PLATFORM=offscreen python tests/make_icon.py
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QGuiApplication,
    QImage,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPen,
)

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
# Windows picks the nearest of these for the taskbar, title bar, Explorer and Alt+Tab.
ICO_SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)
TEAL_TOP = QColor("#1f8a8a")
TEAL_BOTTOM = QColor("#0f5f66")
DROP = QColor("#ffffff")
CORE = QColor("#7fd4cf")


def _drop_path(size: float) -> QPainterPath:
    """A drop shape: a circle at the bottom drawn up to a point, centred in a ``size`` square."""
    radius = size * 0.25
    cx, cy = size / 2, size * 0.60
    tip = QPointF(cx, size * 0.15)
    path = QPainterPath(tip)
    path.cubicTo(
        QPointF(cx + radius * 0.35, cy - radius * 1.25),
        QPointF(cx + radius, cy - radius * 0.75),
        QPointF(cx + radius, cy),
    )
    path.arcTo(QRectF(cx - radius, cy - radius, radius * 2, radius * 2), 0, -180)
    path.cubicTo(
        QPointF(cx - radius, cy - radius * 0.75),
        QPointF(cx - radius * 0.35, cy - radius * 1.25),
        tip,
    )
    path.closeSubpath()
    return path


def draw(size: int) -> QImage:
    """The icon at ``size`` px: a teal rounded square holding a white drop with a small core.

    Each size is drawn on its own (not scaled down from 256) so 16 and 24 px stay crisp.
    """
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    margin = max(0.5, size * 0.03)
    square = QRectF(margin, margin, size - 2 * margin, size - 2 * margin)
    gradient = QLinearGradient(square.topLeft(), square.bottomLeft())
    gradient.setColorAt(0.0, TEAL_TOP)
    gradient.setColorAt(1.0, TEAL_BOTTOM)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(gradient))
    painter.drawRoundedRect(square, size * 0.22, size * 0.22)
    painter.setBrush(DROP)
    painter.drawPath(_drop_path(size))
    if size >= 32:  # the core is noise below 32 px
        painter.setBrush(CORE)
        core = size * 0.085
        painter.drawEllipse(QPointF(size / 2, size * 0.62), core, core)
        painter.setPen(QPen(CORE, max(1.0, size * 0.03)))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(QPointF(size / 2, size * 0.62), core * 2.0, core * 2.0)
    painter.end()
    return image


def to_pil(image: QImage) -> Image.Image:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return Image.open(io.BytesIO(bytes(data.data()))).convert("RGBA")


def main(out: Path = RESOURCES) -> None:
    """Write exodesk.png (256 px) and exodesk.ico (every size in ICO_SIZES) into ``out``."""
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    out.mkdir(parents=True, exist_ok=True)
    frames = [to_pil(draw(size)) for size in ICO_SIZES]
    largest = frames[-1]
    largest.save(out / "exodesk.png", optimize=True)
    # Pillow takes each exact size from append_images instead of scaling the largest down.
    largest.save(
        out / "exodesk.ico",
        format="ICO",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=frames[:-1],
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else RESOURCES)
