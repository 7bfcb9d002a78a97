"""Pictures made small off the main thread: thumbnails of stored photos and of picture files.

Decoding a JPEG takes milliseconds each, so a gallery of 500 photos or a camera card of 200
pictures would freeze the window if it decoded them all on the main thread. A ``ThumbLoader``
takes requests (a key and a function that returns the image), works through them on the thread
pool a few at a time, and says ``loaded(key, QImage)`` on the main thread. QImage is safe to
make on a worker; QPixmap is made from it on the main thread by whoever shows it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QImageReader, QPainter

from exodesk.ui.workers import run_in_background

THUMB_SIDE = 160
"""The long side a thumbnail is shown at, in pixels."""
BATCH = 8
"""Images decoded by one worker job: few enough that the first screen arrives quickly."""
PICTURE_SUFFIXES = (".jpg", ".jpeg", ".png", ".heic", ".heif")


def scaled_image(data: bytes, side: int = THUMB_SIDE) -> QImage:
    """``data`` (JPEG or PNG bytes) decoded at most ``side`` pixels on its long side; JPEG
    decodes straight to the small size. A null QImage if Qt cannot read it (HEIC)."""
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)  # a phone's EXIF orientation, for files not yet imported
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > side:
        reader.setScaledSize(size.scaled(QSize(side, side), Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    buffer.close()
    return image


def file_thumbnail(path: Path, side: int = THUMB_SIDE) -> tuple[QImage, str]:
    """A picture file's thumbnail and the SHA-256 of its bytes (to know it was imported)."""
    data = path.read_bytes()
    image = scaled_image(data, side)
    if image.isNull():  # Qt reads no HEIC: the import pipeline's own thumbnail does
        from exodesk.errors import UserError
        from exodesk.services.photo_import import prepare_photo

        try:
            image = scaled_image(prepare_photo(data).thumbnail, side)
        except UserError:
            image = placeholder("Cannot be read", side)
    return image, hashlib.sha256(data).hexdigest()


def placeholder(words: str, side: int = THUMB_SIDE) -> QImage:
    """A grey square with a word or two, for a picture not loaded (yet, or at all)."""
    image = QImage(side, side * 3 // 4, QImage.Format.Format_RGB32)
    image.fill(QColor("#d9d9d9"))
    painter = QPainter(image)
    painter.setPen(QColor("#333333"))
    painter.drawText(image.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, words)
    painter.end()
    return image


def pictures_in(folder: Path, limit: int = 2000) -> list[Path]:
    """Picture files in ``folder`` and below (a camera card keeps them in DCIM/100XXXXX), by
    name; at most ``limit`` (a whole phone backup is not a camera card)."""
    found: list[Path] = []
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() in PICTURE_SUFFIXES and path.is_file():
            found.append(path)
            if len(found) >= limit:
                break
    return found


class ThumbLoader(QObject):
    """Loads images on the thread pool, a batch at a time, newest requests first.

    ``request(key, make)`` queues ``make`` (called on a worker: it must not touch the data file
    or any widget); ``loaded(key, result)`` arrives on the main thread. A key asked for again
    while waiting or loaded is not done twice. ``failed(key, message)`` if ``make`` raised.
    """

    loaded = Signal(object, object)  # key, whatever make returned
    failed = Signal(object, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._waiting: dict[Hashable, Callable[[], object]] = {}
        self._asked: set[Hashable] = set()
        self._busy = False

    def request(self, key: Hashable, make: Callable[[], object]) -> None:
        if key in self._asked:
            return
        self._asked.add(key)
        self._waiting[key] = make
        self._next()

    def forget(self) -> None:
        """Drop what is waiting (the gallery shows other photos now)."""
        for key in self._waiting:
            self._asked.discard(key)
        self._waiting.clear()

    @property
    def idle(self) -> bool:
        return not self._busy and not self._waiting

    def _next(self) -> None:
        if self._busy or not self._waiting:
            return
        # Newest requests first: the rows just scrolled into view.
        keys = list(self._waiting)[-BATCH:]
        jobs = [(key, self._waiting.pop(key)) for key in reversed(keys)]
        self._busy = True

        def work() -> list[tuple[Hashable, object, str]]:
            results: list[tuple[Hashable, object, str]] = []
            for key, make in jobs:
                try:
                    results.append((key, make(), ""))
                except Exception as exc:  # one unreadable picture does not stop the others
                    results.append((key, None, str(exc) or type(exc).__name__))
            return results

        run_in_background(self, work, self._done, self._error)

    def _done(self, results: list[tuple[Hashable, object, str]]) -> None:
        self._busy = False
        for key, value, problem in results:
            if problem:
                self.failed.emit(key, problem)
            else:
                self.loaded.emit(key, value)
        self._next()

    def _error(self, exc: BaseException) -> None:  # work() catches per item: not expected
        self._busy = False
        self._next()
