"""A guard against a reference leak in PySide6 6.12.0 that can crash Python before 3.12.

On Python 3.11 with PySide6 6.12.0, every ``Signal.emit()`` from Python drops one reference to
``True`` and ``QLineEdit.setText`` drops one to ``None``. True starts with a few hundred
references, so after some hundreds of emits Python aborts with "Fatal Python error:
bool_dealloc" (reproduced here with a 5-line script, and in the test suite). PySide6-Pdf, which
the preview needs, exists only for 6.12.0, so we cannot pin an older PySide6.

The guard keeps a reserve of references to the three singletons and tops it up from a timer,
so the leaked references come out of the reserve instead. The cost is 8 bytes per leaked
reference (a busy day is some hundred thousand emits: under a few MB). On Python 3.12 and
later the singletons are immortal (PEP 683) and the guard does nothing.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, QTimer

TOP_UP = 250_000
LOW_WATER = 125_000
_SINGLETONS = (True, False, None)
_reserve: list[object] = []
_timer: QTimer | None = None
_pinned = False


def _pin_reserve() -> None:
    # The reserve must outlive interpreter shutdown: freeing it would hand back references the
    # leak already took, and True/None would be deallocated while the GC runs at exit.
    global _pinned
    if not _pinned:
        import ctypes

        ctypes.pythonapi.Py_IncRef(ctypes.py_object(_reserve))
        _pinned = True


def needed() -> bool:
    """Whether this Python can free True/None when a C extension leaks their references."""
    return sys.version_info < (3, 12)


def top_up() -> None:
    """Add references to any singleton that has fewer than LOW_WATER."""
    if not needed():
        return
    _pin_reserve()
    for obj in _SINGLETONS:
        if sys.getrefcount(obj) < LOW_WATER:
            _reserve.extend([obj] * TOP_UP)


def install(parent: QObject) -> None:
    """Top up now and then every second for as long as ``parent`` (the application) lives."""
    global _timer
    top_up()
    if not needed() or _timer is not None:
        return
    _timer = QTimer(parent)
    _timer.setInterval(1000)
    _timer.timeout.connect(top_up)
    _timer.start()
