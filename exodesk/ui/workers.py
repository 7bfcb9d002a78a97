"""Long work off the UI thread: one helper, results delivered on the main thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from shiboken6 import isValid

log = logging.getLogger(__name__)
_live: set[_Signals] = set()


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], signals: _Signals) -> None:
        super().__init__()
        self._fn = fn
        self._signals = signals

    def run(self) -> None:
        try:
            result = self._fn()
        except Exception as exc:  # delivered to the caller's on_error, never swallowed
            log.exception("background job failed")
            self._signals.failed.emit(exc)
        else:
            self._signals.done.emit(result)


def run_in_background(
    owner: QObject,
    fn: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException], None],
) -> None:
    """Run ``fn`` on the thread pool; ``on_done``/``on_error`` run on the main thread.

    The callbacks are dropped if ``owner`` (the widget that asked) was deleted meanwhile.
    ``fn`` must not touch the data file: a sqlite-utils Database cannot cross threads, so
    callers read what they need first and hand the pure work (rendering a PDF) to ``fn``.
    """
    signals = _Signals()
    _live.add(signals)

    def finish(callback: Callable[[Any], None], value: Any) -> None:
        _live.discard(signals)
        if isValid(owner):
            callback(value)

    signals.done.connect(lambda result: finish(on_done, result))
    signals.failed.connect(lambda exc: finish(on_error, exc))
    QThreadPool.globalInstance().start(_Job(fn, signals))
