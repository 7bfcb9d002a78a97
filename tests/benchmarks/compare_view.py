"""How long the compare view takes to show a pair of 2048×1536 photos (issue #21: "the compare
view opens in under 200 ms").

Usage: ``python tests/benchmarks/compare_view.py [--repeat R]``. Two JPEGs as the photo store
keeps them are decoded, handed to a CompareView the size of a reception PC's window, and
painted; each figure is the median of R runs with fresh pictures (nothing cached).
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from exodesk.ui.photos.compare import CompareMode, CompareView
from tests.ui.photos.pictures import photo_like


@dataclass(frozen=True)
class CompareTimes:
    decode_ms: float  # two stored JPEGs to QImages
    show_ms: float  # set_pair and the first paint, side by side
    modes_ms: float  # switching to wipe, then overlay, each painted
    zoom_ms: float  # one zoom step painted (the visible part of the full pictures)


def jpeg(image: QImage, quality: int = 90) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "JPG", quality)  # type: ignore[call-overload]
    buffer.close()
    return bytes(data.data())


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def measure(repeat: int = 5, size: tuple[int, int] = (1366, 640)) -> CompareTimes:
    """Median times over ``repeat`` runs, each with two fresh pictures."""
    app = QApplication.instance() or QApplication([])
    assert app is not None
    stored = [(jpeg(photo_like(seed=i)), jpeg(photo_like(seed=i + 1))) for i in range(repeat)]
    view = CompareView()
    view.resize(*size)
    view.show()
    app.processEvents()
    decode, show, modes, zoom = [], [], [], []
    for before, after in stored:
        view.set_mode(CompareMode.SIDE_BY_SIDE)
        view.reset_zoom()
        start = time.perf_counter()
        left, right = QImage.fromData(before), QImage.fromData(after)
        decode.append(_ms(start))
        start = time.perf_counter()
        view.set_pair(left, "12 Mar 2026 — Session 1 of 4", right, "4 Jun 2026 — Session 4 of 4")
        view.canvas.repaint()
        show.append(_ms(start))
        start = time.perf_counter()
        view.set_mode(CompareMode.WIPE)
        view.canvas.repaint()
        view.set_mode(CompareMode.OVERLAY)
        view.canvas.repaint()
        modes.append(_ms(start))
        start = time.perf_counter()
        view.zoom_in()
        view.canvas.repaint()
        zoom.append(_ms(start))
    view.close()
    view.deleteLater()
    return CompareTimes(
        statistics.median(decode),
        statistics.median(show),
        statistics.median(modes),
        statistics.median(zoom),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    times = measure(args.repeat)
    print(f"decode two 2048×1536 JPEGs : {times.decode_ms:7.1f} ms")
    print(f"set_pair + first paint     : {times.show_ms:7.1f} ms")
    print(f"wipe + overlay, painted    : {times.modes_ms:7.1f} ms")
    print(f"one zoom step, painted     : {times.zoom_ms:7.1f} ms")
    print(f"open (decode + show)       : {times.decode_ms + times.show_ms:7.1f} ms")


if __name__ == "__main__":
    main()
