"""One ExoDesk per data file: an advisory lock file beside it that says who holds it."""

from __future__ import annotations

import errno
import json
import logging
import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from exodesk.errors import StorageError

log = logging.getLogger(__name__)

LOCK_SUFFIX = ".lock"
_WINDOWS = sys.platform == "win32"  # one switch, so a test can walk the Windows path too
# Windows byte-range locks are mandatory: a locked byte cannot even be read by anyone else. So
# the lock sits on one byte far past the holder's details, which the second ExoDesk must read.
_WINDOWS_LOCK_OFFSET = 1 << 20
# Errors meaning "this filesystem cannot lock at all" (some network shares), not "someone has it".
_UNSUPPORTED = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL}


def lock_path_for(data_file: Path) -> Path:
    """The lock file that belongs to ``data_file`` (same folder, ``.lock`` added)."""
    data_file = Path(data_file)
    return data_file.with_name(data_file.name + LOCK_SUFFIX)


@dataclass(frozen=True)
class LockHolder:
    """Who holds the lock: enough to tell the user where to go and close ExoDesk."""

    pid: int
    host: str
    started: datetime

    def to_json(self) -> str:
        return json.dumps({"pid": self.pid, "host": self.host, "started": self.started.isoformat()})

    @classmethod
    def from_json(cls, text: str) -> LockHolder | None:
        """The holder written in a lock file, or None if it is empty or unreadable."""
        try:
            raw = json.loads(text)
            started = datetime.fromisoformat(str(raw["started"]))
            if started.tzinfo is None:
                started = started.replace(tzinfo=UTC)
            return cls(pid=int(raw["pid"]), host=str(raw["host"]), started=started)
        except (ValueError, KeyError, TypeError):
            return None


class AlreadyOpenError(StorageError):
    """Another ExoDesk holds the data file; it was not opened for writing."""

    def __init__(self, holder: LockHolder | None, *, now: datetime | None = None) -> None:
        self.holder = holder
        if holder is None:
            where = ""
        else:
            local = holder.started.astimezone()
            today = (now or datetime.now(UTC)).astimezone().date()
            when = local.strftime("%H:%M")
            if local.date() != today:
                when = f"{local.day} {local.strftime('%b')} {when}"
            where = f" (on {holder.host}, since {when})"
        super().__init__(
            f"ExoDesk is already open on this data file{where}. Close it there first.",
            advice="Two ExoDesks writing to one file at once could lose work, so this one stops.",
        )


def pid_alive(pid: int) -> bool:
    """Whether a process with this id is running on this computer."""
    if pid <= 0:
        return False
    if _WINDOWS:
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        query_limited_information = 0x1000
        still_active = 259
        handle = kernel32.OpenProcess(query_limited_information, False, pid)
        if not handle:
            return False
        try:
            code = ctypes.c_ulong()
            if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
                return True
            return code.value == still_active
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it is just someone else's
    return True


def _try_lock(fh: IO[bytes]) -> bool:
    """Take the OS lock without waiting. False: someone holds it.

    Raises:
        OSError: the filesystem cannot lock (errno in ``_UNSUPPORTED``) or another failure.
    """
    if _WINDOWS:
        import msvcrt

        fh.seek(_WINDOWS_LOCK_OFFSET)
        try:
            # typeshed declares msvcrt's names only under `sys.platform == "win32"`; the
            # _WINDOWS switch (so tests can walk this path with a fake msvcrt) hides that.
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError as exc:
            # Windows says "held by someone else" as EACCES (or EDEADLOCK after its retries).
            if exc.errno in (errno.EACCES, errno.EDEADLOCK):
                return False
            raise
        return True
    import fcntl

    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


def _unlock(fh: IO[bytes]) -> None:
    if _WINDOWS:
        import msvcrt

        fh.seek(_WINDOWS_LOCK_OFFSET)
        # Declared only for win32 in typeshed; see _try_lock.
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
        return
    import fcntl

    fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _read_holder(fh: IO[bytes]) -> LockHolder | None:
    fh.seek(0)
    # The details are a short line of JSON; never read up to the Windows lock byte.
    return LockHolder.from_json(fh.read(4096).decode("utf-8", "replace").strip("\x00 \n"))


def _write_holder(fh: IO[bytes], holder: LockHolder) -> None:
    fh.seek(0)
    fh.truncate()
    fh.write(holder.to_json().encode("utf-8") + b"\n")
    fh.flush()


class DataFileLock:
    """The advisory lock on one data file, held for as long as this ExoDesk has it open.

    The operating system releases the lock when the process ends, however it ends, so a lock
    left behind by a crash or a power cut is simply taken over. The lock file itself stays (an
    empty file after a clean exit): deleting it would let two newcomers lock two different files.
    """

    def __init__(self, data_file: Path, *, clock: Callable[[], datetime] | None = None) -> None:
        self.data_file = Path(data_file)
        self.path = lock_path_for(self.data_file)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._fh: IO[bytes] | None = None
        self.holder: LockHolder | None = None

    @property
    def held(self) -> bool:
        return self._fh is not None

    def acquire(self) -> DataFileLock:
        """Take the lock, or say plainly who has the file open.

        Raises:
            AlreadyOpenError: another running ExoDesk holds it.
            StorageError: the lock file cannot be written (read-only or missing folder).
        """
        if self._fh is not None:
            return self
        try:
            # "a+b" creates the file without truncating: the holder's details must survive.
            # Unbuffered, so a failed write (disk full) is not retried, and failed, at close.
            fh = open(self.path, "a+b", buffering=0)  # noqa: SIM115 - open while the lock is held
        except OSError as exc:
            raise _cannot_lock(self.path, exc) from exc
        try:
            try:
                locked = _try_lock(fh)
            except OSError as exc:
                if exc.errno not in _UNSUPPORTED:
                    raise _cannot_lock(self.path, exc) from exc
                locked = self._without_os_lock(fh)
            if not locked:
                holder = _read_holder(fh)
                log.warning("data file already open: %s held by %s", self.data_file, holder)
                raise AlreadyOpenError(holder, now=self._clock())
            previous = _read_holder(fh)
            if previous is not None:
                log.info("taking over a stale lock of %s (pid %s)", previous.host, previous.pid)
            self.holder = LockHolder(os.getpid(), socket.gethostname(), self._clock())
            try:
                _write_holder(fh, self.holder)
            except OSError as exc:
                # The OS lock is what keeps a second ExoDesk out; the details only name the
                # holder. On a full disk the clinic can still read its records, so carry on.
                log.warning("lock held, but its details could not be written: %s", exc)
        except BaseException:
            fh.close()
            raise
        self._fh = fh
        return self

    def _without_os_lock(self, fh: IO[bytes]) -> bool:
        """The filesystem cannot lock: fall back on the holder's details (same PC only)."""
        log.warning("%s cannot be locked on this filesystem; checking the holder", self.path)
        holder = _read_holder(fh)
        if holder is None or holder.pid == os.getpid():
            return True
        if holder.host == socket.gethostname():
            return not pid_alive(holder.pid)
        # Another PC's process cannot be checked from here; a crashed one would otherwise lock
        # the clinic out for good, so the newcomer proceeds and the log says so.
        log.warning("lock file names %s on %s; cannot verify, proceeding", holder.pid, holder.host)
        return True

    def release(self) -> None:
        """Give the lock up (safe to call twice)."""
        fh, self._fh = self._fh, None
        if fh is None:
            return
        try:
            # Clear the details first, so nobody is told this ExoDesk is still open.
            fh.seek(0)
            fh.truncate()
            fh.flush()
            _unlock(fh)
        except OSError as exc:
            log.warning("could not release %s cleanly: %s", self.path, exc)
        finally:
            try:
                fh.close()  # closing gives the OS lock back even if the lines above failed
            except OSError as exc:
                log.warning("could not close %s: %s", self.path, exc)

    def __enter__(self) -> DataFileLock:
        return self.acquire()

    def __exit__(self, *_exc: object) -> None:
        self.release()


def _cannot_lock(path: Path, exc: OSError) -> StorageError:
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StorageError(
            f"The data folder {path.parent} is read-only, so ExoDesk cannot open its data file "
            "for writing.",
            advice="Check that the folder and its drive are not write-protected, then reopen.",
        )
    if exc.errno == errno.ENOSPC:
        return StorageError(
            "The disk is full, so ExoDesk cannot open its data file.",
            advice="Free some space on the disk, then try again.",
        )
    if exc.errno == errno.ENOENT:
        return StorageError(
            f"The folder {path.parent} does not exist.",
            advice="Check the data folder setting (--data-dir or EXODESK_DATA_DIR).",
        )
    return StorageError(
        f"ExoDesk could not lock its data file ({path}): {exc.strerror or exc}.",
        advice="Check the drive (a USB or network drive may have gone), then try again.",
    )


def acquire_lock(data_file: Path, *, clock: Callable[[], datetime] | None = None) -> DataFileLock:
    """Take the lock on ``data_file`` (see ``DataFileLock.acquire``)."""
    return DataFileLock(data_file, clock=clock).acquire()
