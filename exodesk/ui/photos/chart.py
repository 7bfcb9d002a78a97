"""RatingChart: a small chart of a rating scale over dates (Norwood or Ludwig stages, the Global
Aesthetic Improvement Scale), drawn with QPainter in the palette's own colours, with the same
values in words for screen readers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from itertools import pairwise

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QHelpEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from exodesk.domain.dates import format_short
from exodesk.ui.look import blend, ink

NO_RATINGS = "No ratings yet."
# One colour and one marker shape per series, so two series differ without colour too.
SERIES_COLOURS = ("#1565c0", "#c2185b", "#2e7d32")
MARKERS = ("circle", "square", "diamond")
MARKER = 4.5  # radius, pixels


class RatingChart(QWidget):
    """A scale's ratings over dates: one line per rater, the scale's best level at the top.

    Public API:
        ``set_ratings(title, levels, series)``: ``levels`` the scale in order, best first, as
        ``(value, words)`` (e.g. ``("1", "Exceptional improvement")``); ``series`` one or more
        ``(name, [(date, value), ...])`` (e.g. the practitioner's and the patient's GAIS).
        ``clear(message)``; ``summary()`` (also the accessibleDescription); ``positions()``
        (where each rating is drawn, per series).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ratingChart")
        self.setAccessibleName("Rating chart")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumSize(220, 140)
        self._title = ""
        self._levels: list[tuple[str, str]] = []
        self._series: list[tuple[str, list[tuple[date, str]]]] = []
        self._message = NO_RATINGS
        self.setAccessibleDescription(NO_RATINGS)

    def sizeHint(self) -> QSize:
        line = self.fontMetrics().height()
        return QSize(360, self._header() + line + 12 + max(4, len(self._levels) - 1) * 16)

    def _legend_width(self) -> float:
        metrics = self.fontMetrics()
        return sum(metrics.horizontalAdvance(name) + 2 * MARKER + 20 for name, _ in self._series)

    def _legend_apart(self) -> bool:
        """True when the legend goes on a line of its own under the title."""
        if len(self._series) < 2:
            return False
        title = self.fontMetrics().horizontalAdvance(self._title) + 24
        return title + self._legend_width() > self.width()

    def _header(self) -> int:
        """The height of the title (and the legend's own line, if it needs one)."""
        line = self.fontMetrics().height()
        return 6 + line * (2 if self._legend_apart() else 1) + line // 2 + 4

    # -- data -----------------------------------------------------------------------------

    def set_ratings(
        self,
        title: str,
        levels: Sequence[tuple[str, str]],
        series: Sequence[tuple[str, Sequence[tuple[date, str]]]],
    ) -> None:
        """Show ``series`` of ratings on the scale ``levels`` (best first) under ``title``."""
        self._title = title
        self._levels = list(levels)
        self._series = [(name, sorted(points)) for name, points in series if points]
        self.setAccessibleName(f"Rating chart: {title}")
        self.setAccessibleDescription(self.summary())
        self.setMinimumHeight(self.sizeHint().height())
        self.updateGeometry()
        self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        height = self.sizeHint().height()
        if height != self.minimumHeight():
            self.setMinimumHeight(height)

    def clear(self, message: str = NO_RATINGS) -> None:
        self._series = []
        self._message = message
        self.setAccessibleDescription(message)
        self.update()

    def summary(self) -> str:
        """Every rating in words, as a screen reader reads the chart."""
        if not self._series:
            return self._message
        words = dict(self._levels)
        parts = []
        for name, points in self._series:
            said = "; ".join(
                f"{format_short(day)}: {value}"
                + (f" ({words[value]})" if words.get(value) and words[value] != value else "")
                for day, value in points
            )
            parts.append(f"{name}: {said}." if len(self._series) > 1 else f"{said}.")
        return f"{self._title}. " + " ".join(parts)

    # -- geometry -------------------------------------------------------------------------

    def _plot(self) -> QRectF:
        metrics = self.fontMetrics()
        left = max((metrics.horizontalAdvance(v) for v, _ in self._levels), default=0) + 14
        top = self._header()
        bottom = metrics.height() + metrics.height() // 2 + 8
        return QRectF(
            left, top, max(1, self.width() - left - 14), max(1, self.height() - top - bottom)
        )

    def _row_y(self, index: int, plot: QRectF) -> float:
        if len(self._levels) <= 1:
            return plot.center().y()
        return plot.top() + index * plot.height() / (len(self._levels) - 1)

    def _dates(self) -> list[date]:
        return sorted({day for _, points in self._series for day, _ in points})

    def _x(self, day: date, plot: QRectF) -> float:
        days = self._dates()
        first, last = days[0], days[-1]
        if first == last:
            return plot.center().x()
        return plot.left() + (day - first).days / (last - first).days * plot.width()

    def positions(self) -> list[list[QPointF]]:
        """Where each rating of each series is drawn (values off the scale left out)."""
        plot = self._plot()
        rows = {value: i for i, (value, _) in enumerate(self._levels)}
        return [
            [
                QPointF(self._x(day, plot), self._row_y(rows[value], plot))
                for day, value in points
                if value in rows
            ]
            for _, points in self._series
        ]

    # -- painting -------------------------------------------------------------------------

    def _colours(self) -> tuple[QColor, QColor, QColor, list[QColor]]:
        palette = self.palette()
        ground = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        grid = blend(ground, text, 0.18)
        series = [QColor(ink(colour, ground)) for colour in SERIES_COLOURS]
        return ground, text, grid, series

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        ground, text, grid, colours = self._colours()
        painter.fillRect(self.rect(), ground)
        painter.setPen(QPen(grid, 1))
        painter.drawRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5))
        metrics = self.fontMetrics()
        if not self._series or not self._levels:
            painter.setPen(text)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self._message)
            painter.end()
            return
        plot = self._plot()
        painter.setPen(text)
        painter.drawText(
            QRectF(8, 4, self.width() - 16, metrics.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            self._title,
        )
        # The scale: a faint line and the value at each level, best at the top.
        for index, (value, _) in enumerate(self._levels):
            y = self._row_y(index, plot)
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(text)
            painter.drawText(
                QRectF(0, y - metrics.height() / 2, plot.left() - 8, metrics.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                value,
            )
        self._paint_dates(painter, plot, text)
        for number, points in enumerate(self.positions()):
            colour = colours[number % len(colours)]
            painter.setPen(QPen(colour, 2))
            for a, b in pairwise(points):
                painter.drawLine(a, b)
            painter.setBrush(colour)
            for point in points:
                self._marker(painter, point, MARKERS[number % len(MARKERS)])
            painter.setBrush(Qt.BrushStyle.NoBrush)
        if len(self._series) > 1:
            self._paint_legend(painter, colours, text)
        painter.end()

    def _paint_dates(self, painter: QPainter, plot: QRectF, text: QColor) -> None:
        metrics = self.fontMetrics()
        y = plot.bottom() + metrics.height() / 2 + 4
        taken: list[tuple[float, float]] = []
        days = self._dates()
        # First and last always, those between where there is room.
        order = [days[0], days[-1], *days[1:-1]] if len(days) > 1 else days
        painter.setPen(text)
        for day in order:
            words = format_short(day)
            width = metrics.horizontalAdvance(words)
            x = self._x(day, plot)
            left = min(max(x - width / 2, 2), self.width() - width - 2)
            span = (left - 6, left + width + 6)
            if any(span[0] < b and a < span[1] for a, b in taken):
                continue
            taken.append(span)
            painter.drawText(QRectF(left, y, width, metrics.height()), 0, words)

    def _marker(self, painter: QPainter, point: QPointF, shape: str) -> None:
        r = MARKER
        if shape == "square":
            painter.drawRect(QRectF(point.x() - r, point.y() - r, 2 * r, 2 * r))
        elif shape == "diamond":
            path = QPainterPath(QPointF(point.x(), point.y() - r - 1))
            for dx, dy in ((r + 1, 0), (0, r + 1), (-r - 1, 0), (0, -r - 1)):
                path.lineTo(point.x() + dx, point.y() + dy)
            painter.drawPath(path)
        else:
            painter.drawEllipse(point, r, r)

    def _paint_legend(self, painter: QPainter, colours: list[QColor], text: QColor) -> None:
        metrics = self.fontMetrics()
        x = self.width() - 10.0
        row = 4 + (metrics.height() if self._legend_apart() else 0)
        y = row + metrics.height() / 2
        for number in reversed(range(len(self._series))):
            name = self._series[number][0]
            width = metrics.horizontalAdvance(name)
            x -= width
            painter.setPen(text)
            painter.drawText(
                QRectF(x, row, width, metrics.height()), Qt.AlignmentFlag.AlignVCenter, name
            )
            x -= MARKER + 6
            colour = colours[number % len(colours)]
            painter.setPen(QPen(colour, 2))
            painter.setBrush(colour)
            self._marker(painter, QPointF(x, y), MARKERS[number % len(MARKERS)])
            painter.setBrush(Qt.BrushStyle.NoBrush)
            x -= MARKER + 14

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            QToolTip.showText(event.globalPos(), self._nearest(QPointF(event.pos())), self)
            return True
        return super().event(event)

    def _nearest(self, where: QPointF) -> str:
        """The rating nearest the pointer, in words (empty when none is near)."""
        words = dict(self._levels)
        best: tuple[float, str] | None = None
        for (name, points), drawn in zip(self._series, self.positions(), strict=True):
            on_scale = [(d, v) for d, v in points if v in words]
            for (day, value), point in zip(on_scale, drawn, strict=True):
                distance = (point - where).manhattanLength()
                if distance <= 16 and (best is None or distance < best[0]):
                    who = f" — {name}" if len(self._series) > 1 else ""
                    best = (distance, f"{format_short(day)}: {value} ({words[value]}){who}")
        return best[1] if best else ""
