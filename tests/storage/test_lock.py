"""One ExoDesk per data file: the advisory lock, its plain refusal, and stale-lock takeover."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from exodesk.domain.patient import Patient
from exodesk.domain.staff import StaffMember
from exodesk.errors import StorageError
from exodesk.paths import DataPaths
from exodesk.services.demo import seat
from exodesk.services.workspace import Services, open_services
from exodesk.storage import lock as lock_module
from exodesk.storage.lock import (
    AlreadyOpenError,
    DataFileLock,
    LockHolder,
    lock_path_for,
    pid_alive,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="tests the POSIX (flock) path")

REPO = Path(__file__).resolve().parents[2]
STARTED = datetime(2026, 11, 22, 14, 2, tzinfo=UTC)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _since(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M")


def _dead_pid() -> int:
    """The id of a process that has already finished."""
    code = "import os; print(os.getpid())"
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return int(done.stdout)


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "exodesk.sqlite3"
    path.write_bytes(b"")
    return path


@pytest.fixture
def holder_process(data_file: Path):
    """Another process (another ExoDesk, as far as the lock can tell) holding the lock."""
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from exodesk.storage.lock import acquire_lock\n"
        "held = acquire_lock(Path(sys.argv[1]))\n"
        "print('locked', flush=True)\n"
        "time.sleep(120)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(data_file)], stdout=subprocess.PIPE, env=env
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"locked"
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def test_the_lock_file_says_who_holds_it(data_file: Path) -> None:
    with DataFileLock(data_file, clock=lambda: STARTED) as held:
        assert held.path == lock_path_for(data_file) == data_file.with_name("exodesk.sqlite3.lock")
        raw = json.loads(held.path.read_text(encoding="utf-8"))
        assert raw == {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": STARTED.isoformat(),
        }
    # Released: the file stays (deleting it would race), but no longer names anyone.
    assert held.path.exists()
    assert held.path.read_bytes() == b""


def test_a_second_holder_in_the_same_process_is_refused(data_file: Path) -> None:
    with DataFileLock(data_file, clock=lambda: STARTED):
        second = DataFileLock(data_file, clock=lambda: STARTED)
        with pytest.raises(AlreadyOpenError) as info:
            second.acquire()
        assert not second.held
    assert str(info.value.message) == (
        f"ExoDesk is already open on this data file (on {socket.gethostname()}, "
        f"since {_since(STARTED)}). Close it there first."
    )
    assert info.value.holder == LockHolder(os.getpid(), socket.gethostname(), STARTED)


def test_another_process_holding_the_lock_is_named(data_file: Path, holder_process) -> None:
    with pytest.raises(AlreadyOpenError, match=r"already open on this data file \(on ") as info:
        DataFileLock(data_file).acquire()
    assert info.value.holder is not None
    assert info.value.holder.pid == holder_process.pid
    assert info.value.message.endswith("Close it there first.")


def test_a_lock_left_by_a_killed_process_is_taken_over(data_file: Path, holder_process) -> None:
    holder_process.send_signal(signal.SIGKILL)
    holder_process.wait()
    # The dead holder's details are still in the file: only the OS lock went with it.
    stale = LockHolder.from_json(lock_path_for(data_file).read_text(encoding="utf-8"))
    assert stale is not None and stale.pid == holder_process.pid
    assert not pid_alive(holder_process.pid)
    with DataFileLock(data_file, clock=lambda: STARTED) as held:
        assert held.holder is not None and held.holder.pid == os.getpid()
        now = LockHolder.from_json(held.path.read_text(encoding="utf-8"))
        assert now == held.holder


def test_a_stale_lock_file_without_a_process_is_taken_over(data_file: Path) -> None:
    stale = LockHolder(_dead_pid(), socket.gethostname(), STARTED)
    lock_path_for(data_file).write_text(stale.to_json(), encoding="utf-8")
    with DataFileLock(data_file) as held:
        assert held.holder is not None and held.holder.pid == os.getpid()


def test_a_garbled_lock_file_is_taken_over(data_file: Path) -> None:
    lock_path_for(data_file).write_bytes(b"\x00\xffnot json at all")
    with DataFileLock(data_file) as held:
        assert LockHolder.from_json(held.path.read_text(encoding="utf-8")) == held.holder


def test_release_is_safe_twice_and_the_lock_can_be_taken_again(data_file: Path) -> None:
    first = DataFileLock(data_file).acquire()
    first.release()
    first.release()
    again = DataFileLock(data_file).acquire()
    assert again.held
    again.release()


def test_the_start_time_names_the_day_when_it_was_not_today() -> None:
    holder = LockHolder(1, "RECEPTION-PC", datetime(2026, 11, 20, 9, 30, tzinfo=UTC))
    error = AlreadyOpenError(holder, now=datetime(2026, 11, 22, 10, 0, tzinfo=UTC))
    local = holder.started.astimezone()
    assert f"(on RECEPTION-PC, since {local.day} Nov {local:%H:%M})" in error.message


def test_a_holder_without_details_still_gets_a_plain_sentence() -> None:
    error = AlreadyOpenError(None)
    assert error.message == "ExoDesk is already open on this data file. Close it there first."


@pytest.mark.parametrize(
    ("host", "alive", "refused"),
    [("here", True, True), ("here", False, False), ("OTHER-PC", True, False)],
    ids=["live-holder-here", "dead-holder-here", "holder-on-another-pc"],
)
def test_where_the_filesystem_cannot_lock_the_holder_details_decide(
    data_file: Path, monkeypatch: pytest.MonkeyPatch, host: str, alive: bool, refused: bool
) -> None:
    """Some network shares refuse flock (ENOLCK): then a live holder on this PC still counts."""

    def no_locks(_fh: object) -> bool:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(lock_module, "_try_lock", no_locks)
    monkeypatch.setattr(lock_module, "_unlock", lambda _fh: None)
    monkeypatch.setattr(lock_module, "pid_alive", lambda _pid: alive)
    other = LockHolder(os.getpid() + 1, socket.gethostname() if host == "here" else host, STARTED)
    lock_path_for(data_file).write_text(other.to_json(), encoding="utf-8")
    held = DataFileLock(data_file)
    if refused:
        with pytest.raises(AlreadyOpenError):
            held.acquire()
    else:
        held.acquire()
        assert held.holder is not None and held.holder.pid == os.getpid()
        held.release()


def test_a_lock_failure_other_than_held_is_said_plainly(
    data_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_fh: object) -> bool:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(lock_module, "_try_lock", broken)
    with pytest.raises(StorageError, match="could not lock its data file") as info:
        DataFileLock(data_file).acquire()
    assert not isinstance(info.value, AlreadyOpenError)


class FakeMsvcrt:
    """msvcrt.locking as Windows behaves: a byte locked through one handle refuses the others."""

    LK_UNLCK, LK_NBLCK = 0, 2

    def __init__(self) -> None:
        self.held: dict[tuple[int, int], int] = {}

    def locking(self, fd: int, mode: int, nbytes: int) -> None:
        assert nbytes == 1
        key = (os.fstat(fd).st_ino, os.lseek(fd, 0, os.SEEK_CUR))
        if mode == self.LK_NBLCK:
            if self.held.get(key, fd) != fd:
                raise OSError(errno.EACCES, "Permission denied")
            self.held[key] = fd
        else:
            assert self.held.pop(key) == fd


def test_the_windows_path_locks_a_byte_past_the_details(
    data_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """msvcrt cannot run here; a fake with Windows' rules checks how lock.py uses it."""
    fake = FakeMsvcrt()
    monkeypatch.setattr(lock_module, "_WINDOWS", True)
    monkeypatch.setitem(sys.modules, "msvcrt", fake)
    with DataFileLock(data_file, clock=lambda: STARTED) as held:
        [(_, offset)] = fake.held
        # Windows locks are mandatory: the locked byte must lie beyond what the next one reads.
        assert offset == lock_module._WINDOWS_LOCK_OFFSET > held.path.stat().st_size
        with pytest.raises(AlreadyOpenError) as info:
            DataFileLock(data_file).acquire()
        assert info.value.holder == held.holder
    assert fake.held == {}
    DataFileLock(data_file).acquire().release()


def test_pid_alive_knows_this_process_and_a_finished_one() -> None:
    assert pid_alive(os.getpid())
    assert not pid_alive(_dead_pid())
    assert not pid_alive(0)


# ---- through open_services ---------------------------------------------------------------
@pytest.fixture
def clinic(data_paths: DataPaths, clock) -> DataPaths:
    svc = open_services(data_paths, create=True, clock=clock)
    assert svc.clinic.add_first_staff(StaffMember("Ada Admin", "practitioner", is_admin=True)).ok
    svc.close()
    return data_paths


def test_a_second_exodesk_is_refused_and_the_file_is_untouched(clinic: DataPaths, clock) -> None:
    first = open_services(clinic, lock=True, clock=clock)
    try:
        seat(first, first.clinic.staff()[0].id)
        first.ctx.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        before = _sha(clinic.data_file)
        with pytest.raises(AlreadyOpenError, match="already open on this data file"):
            open_services(clinic, lock=True, clock=clock)
        assert _sha(clinic.data_file) == before
        # The first one carries on as if nothing happened.
        saved = first.patients.create(
            Patient("Kept", "Karen", first.ctx.today().replace(year=1970))
        )
        assert saved.ok
    finally:
        first.close()
    second = open_services(clinic, lock=True, clock=clock)
    try:
        assert second.lock is not None and second.lock.held
        seat(second, second.clinic.staff()[0].id)
        assert [p.family_name for p in second.patients.search("").rows] == ["Kept"]
    finally:
        second.close()
    assert not second.lock.held


def test_without_lock_nothing_is_created_or_checked(clinic: DataPaths, clock) -> None:
    svc: Services = open_services(clinic, clock=clock)
    svc.close()
    assert svc.lock is None
    assert not lock_path_for(clinic.data_file).exists()


def test_a_failed_open_gives_the_lock_back(clinic: DataPaths, clock) -> None:
    raw = bytearray(clinic.data_file.read_bytes())
    raw[100:] = b"\xff" * (len(raw) - 100)
    clinic.data_file.write_bytes(bytes(raw))
    with pytest.raises(StorageError, match="damaged"):
        open_services(clinic, lock=True, clock=clock)
    # Nobody holds it now, so the restore (which takes the lock itself) can run.
    DataFileLock(clinic.data_file).acquire().release()


def test_no_lock_file_is_left_where_there_is_no_data_file(data_paths: DataPaths) -> None:
    data_paths.folder.mkdir()
    with pytest.raises(StorageError, match="no ExoDesk data file"):
        open_services(data_paths, lock=True)
    assert list(data_paths.folder.iterdir()) == []


# ---- the launcher ------------------------------------------------------------------------
def test_the_launcher_says_so_and_opens_nothing(
    clinic: DataPaths, clock, qapp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exodesk.ui import launcher

    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(
        launcher, "show_user_error", lambda _p, exc, title="": shown.append((title, exc.message))
    )
    first = open_services(clinic, lock=True, clock=clock)
    try:
        assert launcher._open_or_explain(clinic, demo=False) == 2
    finally:
        first.close()
    assert len(shown) == 1
    title, message = shown[0]
    assert title == "ExoDesk is already open"
    assert message.startswith(
        f"ExoDesk is already open on this data file (on {socket.gethostname()}"
    )
    assert message.endswith("Close it there first.")
