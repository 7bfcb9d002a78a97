"""A guard against a reference leak in PySide6 6.12.0 that can crash Python before 3.12.

On Python 3.11 with PySide6 6.12.0, every ``Signal.emit()`` from Python drops one reference to
``True`` and ``QLineEdit.setText`` drops one to ``None``. True starts with a few hundred
references, so after some hundreds of emits Python aborts with "Fatal Python error:
bool_dealloc" (reproduced here with a 5-line script, and in the test suite). PySide6-Pdf, which
the preview needs, exists only for 6.12.0, so we cannot pin an older PySide6.

The guard gives the three singletons a reserve of references and tops it up from a timer, so
the leaked references come out of the reserve instead. The reserve is added to the reference
count itself: the references are never given back (the leak never gives back the ones it takes
either), so the guard costs no memory, where holding them in a list took 8 bytes each (6 MB at
start, issue #9). On Python 3.12 and later the singletons are immortal (PEP 683) and the guard
does nothing.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, QTimer

TOP_UP = 250_000
LOW_WATER = 125_000
_SINGLETONS = (True, False, None)
_timer: QTimer | None = None
# Where CPython keeps an object's reference count: its first field, after the two list
# pointers that only a Py_TRACE_REFS build (the one with sys.getobjects) puts before it.
_REFCNT_OFFSET = 2 * ctypes.sizeof(ctypes.c_void_p) if hasattr(sys, "getobjects") else 0


def _add_references(obj: object, count: int) -> None:
    """What ``count`` calls of ``Py_IncRef(obj)`` would do, in one step (the GIL is held)."""
    ctypes.c_ssize_t.from_address(id(obj) + _REFCNT_OFFSET).value += count


def needed() -> bool:
    """Whether this Python can free True/None when a C extension leaks their references."""
    return sys.version_info < (3, 12)


def top_up() -> None:
    """Add references to any singleton that has fewer than LOW_WATER."""
    if not needed():
        return
    for obj in _SINGLETONS:
        if sys.getrefcount(obj) < LOW_WATER:
            _add_references(obj, TOP_UP)


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
