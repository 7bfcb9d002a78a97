"""Garbage collection on the main thread only: PySide6 6.12 crashes when it runs elsewhere.

Python's cyclic collector runs on whichever thread happens to trip its allocation threshold. A
background job (a PDF, a backup check, the encryption conversion) allocates a lot, so that is
often a worker. If the garbage then holds a Qt widget that only a reference cycle kept alive
(a closed dialog and the lambda connected to it, a test's list of dialogs), the widget's C++
destructor runs on the worker; shiboken queues the deletion of its children for the main thread
(``BindingManager::addToDeletionInMainThread``), and the main thread later calls a null
destructor from ``runDeletionInMainThread`` and the process dies (SIGSEGV, no traceback).

Reproduced on CPython 3.12.1 and PySide6 6.12.0 (so not the 3.11 reference leak): with
automatic collection left on and ``encrypt_clinic`` run through ``ui.workers.BackgroundTask``,
``tests/ui/test_encryption_flow.py::test_converting_a_plain_clinic_once`` segfaulted in 6 runs
of 6. gdb: ``gc_collect_main`` on the "Thread (pooled)" thread -> ``QWidget::~QWidget`` ->
``QBoxLayout::~QBoxLayout`` -> ``Shiboken::Object::destroy`` -> ``addToDeletionInMainThread``;
then the main thread, inside ``QEventLoop::exec``: ``_Py_HandlePending`` ->
``runDeletionInMainThread`` -> a call to address 0.

So automatic collection is switched off for the life of the application and this module does
the collector's job from a timer on the main thread: every half second it collects the
generations whose thresholds have been passed, exactly what automatic collection would have
done, only on the right thread. Reference counting still frees everything that is not in a
cycle at once, on whatever thread lets go of it last.
"""

from __future__ import annotations

import gc
import logging
import threading

from PySide6.QtCore import QObject, QTimer

log = logging.getLogger(__name__)
INTERVAL_MS = 500


def collect_if_due() -> int | None:
    """On the main thread, collect what automatic collection would collect now.

    Returns the generation collected, or None if no threshold has been passed yet.
    """
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("garbage is collected on the main thread only")
    counts, thresholds = gc.get_count(), gc.get_threshold()
    due = None
    for generation in range(3):
        # A threshold of 0 switches that generation's automatic collection off.
        if thresholds[generation] and counts[generation] > thresholds[generation]:
            due = generation
        else:
            break
    if due is not None:
        gc.collect(due)
    return due


class MainThreadCollector(QObject):
    """Owns the timer; ``install`` switches automatic collection off and starts it."""

    def __init__(self, parent: QObject, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(collect_if_due)

    def start(self) -> None:
        gc.disable()
        self._timer.start()
        log.debug("automatic garbage collection off; collecting on the main thread")


def install(parent: QObject) -> MainThreadCollector:
    """Collect garbage on the main thread only, for as long as ``parent`` (the app) lives."""
    existing = parent.findChild(MainThreadCollector)
    if existing is not None:
        return existing
    collector = MainThreadCollector(parent)
    collector.start()
    return collector
