"""Kill a writing ExoDesk with SIGKILL hundreds of times: the file stays sound, no save is lost.

``tests/storage/crash_writer.py`` saves records through the real services and logs each id
(fsynced) once the service has committed it. Run with ``--serve`` it imports once and forks a
fresh writer per kill (no connection is open across the fork), so a kill costs ~0.2 s instead
of Python's start-up; a few kills use a freshly started program instead. Each writer is killed
at a random moment (5-300 ms after it said "ready", or 5-120 ms after the fork to land in
start-up), and after every kill the file is checked: ``integrity_check`` is exactly ``ok``,
``foreign_key_check`` is empty, and every logged id is present; at the end also FTS5's own
check. Each data file is reused across all its kills; a few files run side by side.

A longer run: ``python tests/storage/test_crash_safety.py --kills 2000``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

WRITER = Path(__file__).with_name("crash_writer.py")
REPO = Path(__file__).resolve().parents[2]
DATA_FILE_NAME = "exodesk.sqlite3"  # exodesk.paths.DATA_FILE_NAME, without importing the app
KILL_DELAY_MS = (5, 300)
# Most kills are timed from "ready" (the file is open and saving). This share is timed from the
# fork instead, with delays up to STARTUP_WINDOW_MS, so many land in start-up: stale-lock
# takeover, migrations, quick_check, ANALYZE, signing in.
STARTUP_KILL_SHARE = 0.15
STARTUP_WINDOW_MS = 120
# This share kills a freshly started program rather than a forked writer (slower: Python and
# the app import afresh), to show the fork changes nothing.
FRESH_PROCESS_SHARE = 0.03
READY_TIMEOUT_S = 30.0
TABLES = {"patient": "patients", "screening": "screenings", "audit": "audit_log"}


@dataclass
class CrashFigures:
    """What a campaign did and found."""

    kills: int = 0
    startup_kills: int = 0
    fresh_kills: int = 0
    committed: int = 0
    verified: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, other: CrashFigures) -> None:
        self.kills += other.kills
        self.startup_kills += other.startup_kills
        self.fresh_kills += other.fresh_kills
        self.committed += other.committed
        self.verified += other.verified
        self.failures += other.failures

    def summary(self) -> str:
        return (
            f"kills: {self.kills} ({self.startup_kills} during start-up, "
            f"{self.fresh_kills} of a freshly started program), "
            f"records committed: {self.committed}, records verified: {self.verified}, "
            f"failures: {len(self.failures)}, time: {self.seconds:.1f} s"
        )


def _committed_ids(log_path: Path) -> dict[str, set[int]]:
    ids: dict[str, set[int]] = {kind: set() for kind in TABLES}
    if not log_path.exists():
        return ids
    for line in log_path.read_text(encoding="utf-8").splitlines():
        kind, _, number = line.partition(" ")
        ids[kind].add(int(number))
    return ids


def verify(data_file: Path, log_path: Path, *, full: bool = False) -> tuple[int, int, list[str]]:
    """Check the file after a kill, without writing to it.

    Between kills it is read with ``mode=ro``, so the WAL the kill left behind stays for the
    next writer to recover (as after a real crash). ``full`` opens it read-write, as the next
    ExoDesk start would, and also runs FTS5's own check (which SQLite counts as a write).

    Returns:
        (records the log says were committed, of those found in the file, faults).
    """
    ids = _committed_ids(log_path)
    committed = sum(len(v) for v in ids.values())
    if not data_file.exists():
        return committed, 0, ([f"{data_file} is missing"] if committed else [])
    faults: list[str] = []
    uri = f"{data_file.resolve().as_uri()}?mode={'rw' if full else 'ro'}"
    conn = sqlite3.connect(uri, uri=True, timeout=10)
    verified = 0
    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
        if rows != ["ok"]:
            faults.append(f"integrity_check: {rows[:5]}")
        fk = conn.execute("PRAGMA foreign_key_check").fetchall()
        if fk:
            faults.append(f"foreign_key_check: {fk[:5]}")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if full and "patients_fts" in tables:
            # integrity_check does not look inside FTS5; this compares the index with its table.
            try:
                conn.execute("INSERT INTO patients_fts(patients_fts) VALUES ('integrity-check')")
            except sqlite3.DatabaseError as exc:
                faults.append(f"patients_fts integrity-check: {exc}")
            conn.rollback()
        for kind, table in TABLES.items():
            if not ids[kind]:
                continue
            present = {r[0] for r in conn.execute(f"SELECT id FROM {table}")}
            missing = ids[kind] - present
            verified += len(ids[kind]) - len(missing)
            if missing:
                faults.append(f"{len(missing)} committed {kind}(s) lost: {sorted(missing)[:10]}")
    finally:
        conn.close()
    return committed, verified, faults


class _Lines:
    """Lines from a child's pipe, each awaited with a timeout (select on the raw descriptor)."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = b""

    def next(self, timeout: float) -> str | None:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._fd], [], [], left)[0]:
                return None
            chunk = os.read(self._fd, 4096)
            if not chunk:
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode("utf-8", "replace").strip()


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }


class _Server:
    """``crash_writer.py --serve``: forks a writer on demand, reports when each has gone."""

    def __init__(self, folder: Path, log_path: Path, stderr: Path) -> None:
        self._stderr = stderr.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, str(WRITER), str(folder), str(log_path), "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=_env(),
        )
        assert self.proc.stdout is not None and self.proc.stdin is not None
        self._lines = _Lines(self.proc.stdout.fileno())
        self._stdin = self.proc.stdin

    def start(self, seed: int) -> tuple[int, bool]:
        """Fork a writer; (its pid, whether it already said ready)."""
        self._stdin.write(f"run {seed}\n".encode())
        self._stdin.flush()
        ready = False
        while True:
            line = self._lines.next(READY_TIMEOUT_S)
            if line is None:
                raise RuntimeError("the writer server did not answer")
            if line == "ready":  # the writer may speak before its parent does
                ready = True
            elif line.startswith("started "):
                return int(line.split()[1]), ready

    def wait_ready(self) -> str:
        """Wait for "ready"; returns the line that came instead if the writer ended first."""
        line = self._lines.next(READY_TIMEOUT_S)
        return line or "no answer"

    def reaped(self, pid: int) -> tuple[int, bool]:
        """Wait until the server has reaped ``pid``: (its exit code, -9 after SIGKILL; whether
        it said "ready" meanwhile)."""
        ready = False
        while True:
            line = self._lines.next(READY_TIMEOUT_S)
            if line is None:
                raise RuntimeError(f"writer {pid} was never reaped")
            if line == "ready":
                ready = True
            elif line.startswith(f"exited {pid} "):
                return int(line.split()[2]), ready

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._stderr.close()


def _tail(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")[-800:] if path.exists() else ""


def _fresh_kill(clinic: Path, log_path: Path, seed: int, delay: float) -> str | None:
    """Kill a freshly started writer program (no fork) once it is saving; None if all went well."""
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), str(clinic), str(log_path), "--seed", str(seed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    try:
        assert proc.stdout is not None
        if _Lines(proc.stdout.fileno()).next(READY_TIMEOUT_S) != "ready":
            proc.kill()
            return f"writer never became ready: {proc.communicate()[1][-800:]!r}"
        time.sleep(delay)
        if proc.poll() is not None:
            return f"writer stopped by itself ({proc.returncode}): {proc.communicate()[1]!r}"
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        return None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def run_chain(folder: Path, kills: int, rng: random.Random) -> CrashFigures:
    """Kill writers ``kills`` times on one data file (reused across kills), checking each time."""
    folder.mkdir(parents=True, exist_ok=True)
    clinic = folder / "clinic"
    data_file = clinic / DATA_FILE_NAME
    log_path = folder / "committed.log"
    stderr = folder / "writer-stderr.log"
    figures = CrashFigures()
    server = _Server(clinic, log_path, stderr)
    try:
        for n in range(kills):
            seed = rng.randrange(1 << 30)
            from_fork = rng.random() < STARTUP_KILL_SHARE
            # Timed from the fork, opening takes ~50-100 ms: the low delays land inside it.
            top = STARTUP_WINDOW_MS if from_fork else KILL_DELAY_MS[1]
            delay = rng.uniform(KILL_DELAY_MS[0], top) / 1000
            in_startup = False
            if not from_fork and rng.random() < FRESH_PROCESS_SHARE:
                problem = _fresh_kill(clinic, log_path, seed, delay)
                figures.fresh_kills += 1
            else:
                problem = None
                pid, ready = server.start(seed)
                if not from_fork and not ready:
                    answer = server.wait_ready()
                    ready = answer == "ready"
                    if not ready:
                        problem = f"writer never became ready ({answer}): {_tail(stderr)}"
                if problem is None:
                    time.sleep(delay)
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                code, said_ready = server.reaped(pid)
                in_startup = not (ready or said_ready)
                if problem is None and code != -signal.SIGKILL:
                    problem = f"writer stopped by itself ({code}): {_tail(stderr)}"
            if problem:
                figures.failures.append(f"kill {n}: {problem}")
                break
            figures.kills += 1
            figures.startup_kills += in_startup
            _, _, faults = verify(data_file, log_path)
            if faults:
                figures.failures += [f"after kill {n}: {f}" for f in faults]
                break  # later kills would only repeat the damage
    finally:
        server.close()
    figures.committed, figures.verified, faults = verify(data_file, log_path, full=True)
    if faults and not figures.failures:
        figures.failures += [f"at the end: {f}" for f in faults]
    return figures


def run_campaign(root: Path, kills: int, *, seed: int, chains: int) -> CrashFigures:
    """Split ``kills`` over ``chains`` data files killed side by side (each file reused)."""
    started = time.perf_counter()
    results: list[CrashFigures] = [CrashFigures() for _ in range(chains)]
    share = [kills // chains + (1 if i < kills % chains else 0) for i in range(chains)]

    def one(i: int) -> None:
        try:
            results[i] = run_chain(root / f"chain{i}", share[i], random.Random(seed * 1000 + i))
        except Exception as exc:  # a harness bug must fail the run, not vanish with its thread
            results[i].failures.append(f"chain {i} stopped: {exc!r}")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(chains)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = CrashFigures()
    for result in results:
        total.add(result)
    total.seconds = time.perf_counter() - started
    return total


def _chains() -> int:
    # Writers mostly wait on fsync; one more than the CPUs keeps the machine busy, not swamped.
    return max(2, min(4, (os.cpu_count() or 1) + 1))


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
@pytest.mark.timeout(400)
def test_two_hundred_kills_lose_nothing_committed(tmp_path: Path) -> None:
    seed = int(os.environ.get("EXODESK_CRASH_SEED", "20261122"))
    figures = run_campaign(tmp_path, 200, seed=seed, chains=_chains())
    print(f"\ncrash test (seed {seed}): {figures.summary()}")
    assert figures.failures == []
    assert figures.kills == 200
    # The kills must have landed while work was going on, not only before the first save.
    assert figures.committed > 200
    assert figures.verified == figures.committed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Kill a writing ExoDesk many times; verify.")
    parser.add_argument("--kills", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--chains", type=int, default=_chains())
    parser.add_argument("--keep", type=Path, help="run in this folder and keep it")
    args = parser.parse_args(argv)
    if args.keep:
        root = args.keep
        figures = run_campaign(root, args.kills, seed=args.seed, chains=args.chains)
    else:
        with tempfile.TemporaryDirectory(prefix="exodesk-crash-") as tmp:
            figures = run_campaign(Path(tmp), args.kills, seed=args.seed, chains=args.chains)
    print(f"seed {args.seed}, {args.chains} data files: {figures.summary()}")
    for failure in figures.failures[:50]:
        print(f"  - {failure}")
    return 1 if figures.failures else 0


if __name__ == "__main__":
    sys.exit(main())
