"""Long work off the UI thread: one helper, results delivered on the main thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QPushButton, QWidget
from shiboken6 import isValid

from exodesk.services.backups import BackupStopped
from exodesk.ui.common import named

log = logging.getLogger(__name__)
_live: set[_Signals] = set()
SHOW_PROGRESS_AFTER_MS = 500
Work = Callable[[Callable[[int, int], None]], Any]


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


class _Relay(QObject):
    progressed = Signal(int, int)


class BackgroundTask(QObject):
    """Run ``work(progress)`` on a worker; a progress dialog appears only past ~0.5 s.

    ``progress(done, total)`` may be called from the worker; once the person presses Stop it
    raises ``BackupStopped``, which the work lets propagate (nothing is kept). The progress
    dialog is named ``object_name`` and its Stop button ``{object_name}Stop``.
    """

    done = Signal(object)
    failed = Signal(object)

    def __init__(
        self,
        parent: QWidget | None,
        label: str,
        work: Work,
        *,
        object_name: str,
        stop_tip: str,
        show_after_ms: int = SHOW_PROGRESS_AFTER_MS,
    ) -> None:
        super().__init__(parent)
        self._parent = parent
        self._label = label
        self._work = work
        self._object_name = object_name
        self._stop_tip = stop_tip
        self._stop = threading.Event()
        self._relay = _Relay(self)
        self._relay.progressed.connect(self._progressed)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(show_after_ms)
        self._timer.timeout.connect(self._show_dialog)
        self._last = (0, 0)
        self.dialog: QProgressDialog | None = None
        self.running = False

    def start(self) -> None:
        relay, stop, work = self._relay, self._stop, self._work

        def progress(done: int, total: int) -> None:
            # Runs on the worker thread: only the thread-safe Event and a queued signal here.
            if stop.is_set():
                raise BackupStopped()
            relay.progressed.emit(done, total)

        self.running = True
        self._timer.start()
        run_in_background(self, lambda: work(progress), self._succeeded, self._failed)

    def _progressed(self, done: int, total: int) -> None:
        self._last = (done, total)
        if self.dialog is not None:
            self.dialog.setMaximum(max(total, 1))
            self.dialog.setValue(min(done, total))

    def _show_dialog(self) -> None:
        if not self.running:
            return
        dialog = QProgressDialog(self._label, "", 0, max(self._last[1], 1), self._parent)
        dialog.setObjectName(self._object_name)
        dialog.setAccessibleName(self._label)
        dialog.setWindowTitle("ExoDesk")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        stop = named(QPushButton("Stop"), f"{self._object_name}Stop", self._stop_tip)
        dialog.setCancelButton(stop)
        dialog.canceled.connect(self._stop.set)
        dialog.setValue(self._last[0])
        dialog.show()
        self.dialog = dialog

    def _finish(self) -> None:
        self.running = False
        self._timer.stop()
        if self.dialog is not None:
            self.dialog.canceled.disconnect(self._stop.set)
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None

    def _succeeded(self, result: Any) -> None:
        self._finish()
        self.done.emit(result)

    def _failed(self, exc: BaseException) -> None:
        self._finish()
        self.failed.emit(exc)


def wait_for_task(
    label: str,
    work: Callable[[Callable[[float], None]], Any],
    *,
    object_name: str,
    stop_tip: str,
    stopped: str,
) -> Any:
    """Run ``work`` on a worker with a progress dialog (and Stop) past ~0.5 s, waiting in a
    local event loop — for flows with no window open (the dialog still paints and Stop still
    answers). ``work`` reports a fraction done. Returns its result, or raises what it raised
    (a Stop as ``UserError(stopped)``).
    """
    from PySide6.QtCore import QEventLoop

    from exodesk.errors import UserError

    outcome: dict[str, Any] = {}
    loop = QEventLoop()

    def run(progress: Callable[[int, int], None]) -> Any:
        return work(lambda fraction: progress(int(fraction * 1000), 1000))

    def finished(name: str, value: Any) -> None:
        outcome[name] = value
        loop.quit()

    task = BackgroundTask(None, label, run, object_name=object_name, stop_tip=stop_tip)
    task.done.connect(lambda result: finished("result", result))
    task.failed.connect(lambda exc: finished("error", exc))
    task.start()
    loop.exec()
    task.deleteLater()
    error = outcome.get("error")
    if isinstance(error, BackupStopped):
        raise UserError(stopped) from None
    if error is not None:
        raise error
    return outcome["result"]
