"""The start-up check of the data file, run beside the clinic's first reads instead of before them.

SQLite's ``quick_check`` reads every page of the file: ~0.15 s for a small clinic, 2.4 s for a
1 GB file in the OS cache, 15 s straight from disk, three times that when the file is encrypted
(every page is decrypted). Run before the window, it was most of a large clinic's start-up
(issue #9). The promise it keeps (issue #7: a damaged file is never written to) is about writes,
so it now runs on a thread of its own, on its own connection, while reception signs in and
looks people up; every write waits for it (``ServiceContext.write`` calls the gate):

- the check passed: the first save goes straight through (the usual case: the check is long
  done by the time anyone has typed a password and a record);
- still running: the save waits for it, and the UI says so;
- the file is damaged: that save, and every later one, is refused with ``DataFileDamaged``
  (nothing is written), and the window offers the newest good backup.

A file with a pending migration keeps the synchronous check (the migration writes at once),
and so does every admin command (``open_services`` checks synchronously unless asked).

The thread does nothing but SQLite work on its own connection (the GIL is released while SQLite
runs) and finishes by setting an event; it never touches Qt. After a clean check it refreshes
the planner's statistics (``PRAGMA optimize``), a write, which is why that waits for the check
too.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from exodesk.errors import StorageError
from exodesk.storage.data_file import refresh_statistics
from exodesk.storage.database import open_database, quick_check
from exodesk.storage.engine import sqlite3

log = logging.getLogger(__name__)

# refresh_statistics lives in storage (it runs PRAGMA optimize); workspace imports it from here.
__all__ = ["StartupCheck", "refresh_statistics"]


class StartupCheck:
    """``quick_check`` of one data file on a thread of its own; see the module's docstring.

    Args:
        path: The data file (already opened, migrated and locked by the caller).
        key: Its data key, if encrypted.
    """

    def __init__(self, path: Path, *, key: bytes | None = None) -> None:
        self.path = Path(path)
        self._key = key
        self._done = threading.Event()
        self._failure: StorageError | None = None
        self._conn: sqlite3.Connection | None = None
        self._cancelled = False
        self._guard = threading.Lock()
        self.seconds: float | None = None
        """How long the check took (None until it has finished)."""
        self.on_wait: Callable[[bool], None] | None = None
        """Called on the main thread with True when a save starts waiting for the check and
        with False when the wait is over (the UI shows a busy cursor and a line of status)."""
        self._thread = threading.Thread(target=self._run, name="exodesk-startup-check", daemon=True)

    def start(self) -> StartupCheck:
        """Start the thread."""
        self._started = time.perf_counter()
        self._thread.start()
        return self

    def _settle(self) -> None:
        """Once the thread has finished: join it (a no-op after the first time)."""
        self._thread.join()

    # ---- the thread ----------------------------------------------------------------------
    def _run(self) -> None:
        try:
            db = open_database(self.path, key=self._key)
            with self._guard:
                self._conn = db.conn
            try:
                if not self._cancelled:
                    quick_check(db, self.path)
                if not self._cancelled:
                    refresh_statistics(db)
            finally:
                with self._guard:
                    self._conn = None
                db.close()
        except StorageError as exc:
            if not self._cancelled:
                self._failure = exc
        except sqlite3.Error as exc:
            if not self._cancelled:  # an interrupt from cancel() is expected; anything else is not
                log.error("start-up check of %s failed: %s", self.path, exc)
                self._failure = StorageError(
                    f"The start-up check of the data file could not finish ({exc}); ExoDesk "
                    "will not save anything until it is restarted.",
                    advice="Close ExoDesk and open it again; if this keeps happening, run "
                    "`exodesk check`.",
                )
        finally:
            self.seconds = time.perf_counter() - self._started
            self._done.set()
            if self._failure is None and not self._cancelled:
                log.info("start-up check of %s passed in %.2f s", self.path, self.seconds)

    # ---- asked from the main thread (or a worker) ----------------------------------------
    @property
    def done(self) -> bool:
        """True once the check has finished, passed or not."""
        return self._done.is_set()

    @property
    def failure(self) -> StorageError | None:
        """Why the file may not be written to (None: passed, or not finished yet)."""
        return self._failure if self._done.is_set() else None

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the check to finish (at most ``timeout`` seconds); True if it has."""
        finished = self._done.wait(timeout)
        if finished:
            self._settle()
        return finished

    def gate(self) -> None:
        """Block until the check has finished, then refuse if it found the file damaged.

        ``ServiceContext.write`` calls this before every transaction.

        Raises:
            StorageError: the check failed (``DataFileDamaged`` for a damaged file); nothing
                was written.
        """
        if not self._done.is_set():
            notify = self.on_wait if threading.current_thread() is threading.main_thread() else None
            log.info("a write is waiting for the start-up check")
            if notify is not None:
                notify(True)
            try:
                self._done.wait()
            finally:
                if notify is not None:
                    notify(False)
        self._settle()
        if self._failure is not None:
            raise self._failure

    def cancel(self) -> None:
        """Stop the check (closing the clinic): interrupt SQLite until the thread has ended.

        An interrupt only stops a statement that is running: one that lands between two
        statements is lost (SQLite clears it when none is pending), so it is repeated until
        the thread is gone. A test that ran statements in a loop hung about 1 run in 8 on a
        single interrupt.
        """
        self._cancelled = True
        if self._thread.ident is None:  # never started
            return
        while self._thread.is_alive():
            with self._guard:
                if self._conn is not None:
                    with contextlib.suppress(sqlite3.Error):
                        self._conn.interrupt()
            self._thread.join(0.05)
        self._settle()
