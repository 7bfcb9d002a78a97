"""Long work off the UI thread: one helper, results delivered on the main thread."""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from shiboken6 import isValid

from exodesk import threads

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


_REPORT_MODULES = (
    "exodesk.reports.document",
    "exodesk.reports.aftercare",
    "exodesk.reports.clinical",
    "exodesk.reports.comparison",
    "exodesk.reports.screening_summary",
    "exodesk.reports.subject_access",
    "exodesk.reports.recovery_key",
)


def _import_reports_here() -> None:
    """Import the report modules (and reportlab, PIL) on the main thread, once.

    The services import reportlab only when the first PDF is drawn (issue #9), and most PDFs
    are drawn by a job here. A first import on a worker thread, while the main thread runs
    Python under PySide6's import hook, crashed the interpreter in CI (a segfault in the
    worker, an abort in the main thread). Paid once, at the first background job.
    """
    if all(name in sys.modules for name in _REPORT_MODULES):
        return
    for name in _REPORT_MODULES:
        importlib.import_module(name)
    # PIL imports its image plugins on first use: do that here too (the clinic's logo).
    from PIL import Image

    Image.preinit()


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
    _import_reports_here()
    signals = _Signals()
    _live.add(signals)
    # No garbage collection from now until the result is back (exodesk/threads.py).
    threads.pause()

    def finish(callback: Callable[[Any], None], value: Any) -> None:
        _live.discard(signals)
        threads.resume()
        if isValid(owner):
            callback(value)

    signals.done.connect(lambda result: finish(on_done, result))
    signals.failed.connect(lambda exc: finish(on_error, exc))
    QThreadPool.globalInstance().start(_Job(fn, signals))
