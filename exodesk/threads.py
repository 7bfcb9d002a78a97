"""No automatic garbage collection while an ExoDesk background thread runs Python.

Under PySide6 6.12 on Python 3.11 the test suite crashed twice, each time with a collection
running while a second Python thread was alive: once the collection ran on the start-up check's
thread (collecting objects the GUI thread made), once on the GUI thread while the check's
thread was starting. Destroying a Qt object's wrapper can release the interpreter lock in the
middle of a collection, and a second thread that runs Python then can free objects the
collection is still walking. So the thread that starts background work pauses automatic
collection *before* the work starts, and it resumes only once the work has finished: no
collection can overlap it on either thread. Reference counting frees everything else as usual;
the cycles made meanwhile wait a few seconds (a startup check of a big file: up to a minute).
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_paused = 0
_was_enabled = True


def pause() -> None:
    """Stop automatic collection until every ``pause`` has had its ``resume``."""
    global _paused, _was_enabled
    with _lock:
        if _paused == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1


def resume() -> None:
    """Undo one ``pause``; the last one turns collection back on (if it was on)."""
    global _paused
    with _lock:
        if _paused == 0:
            raise RuntimeError("resume() without pause()")
        _paused -= 1
        if _paused == 0 and _was_enabled:
            gc.enable()


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause automatic collection while the block runs (start and join threads inside it)."""
    pause()
    try:
        yield
    finally:
        resume()
