"""A program the crash test kills: saves records through the real services until it is stopped.

Usage: ``python crash_writer.py DATA_DIR COMMIT_LOG [--seed N] [--max-seconds S] [--serve]``

It opens the data file with ``open_services`` (taking the lock, so every restart after a kill
also takes over a stale lock), signs in a staff member, then saves patients, screenings and
patient corrections in a loop. After each save the service has committed, it appends
``<kind> <id>`` to COMMIT_LOG and fsyncs it: a line in the log is a record the app reported as
saved, which must still be there after the kill. It prints ``ready`` once the file is open.

``--serve`` (POSIX): import once, then for each ``run SEED`` line on stdin fork a writer, print
``started PID``, and ``exited PID CODE`` once it has gone. Python and the app's imports take
~0.5 s of CPU, longer than most kill delays; forking skips them, so kills land in the opening
and saving and hundreds of them fit in CI time. No connection is open when it forks.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import traceback
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

# Run as a plain script from anywhere: the repository root must be importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from exodesk.domain.patient import Patient
from exodesk.domain.staff import StaffMember
from exodesk.paths import DataPaths
from exodesk.services.demo import seat
from exodesk.services.workspace import Services, open_services
from tests.answers import answered

_FAMILY = ("Okafor", "Smith", "Nguyen", "O'Brien", "Ñúñez", "Kowalski", "李", "Haddad")
_GIVEN = ("Zoë", "Ama", "Liam", "Priya", "Łukasz", "Mei", "Omar", "Isla")


class CommitLog:
    """An append-only log whose every line is on disk before the next save starts."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def committed(self, kind: str, record_id: int) -> None:
        # One write() per line, then fsync: the line is durable before we claim the next save.
        os.write(self._fd, f"{kind} {record_id}\n".encode())
        os.fsync(self._fd)


def _sign_in(services: Services) -> None:
    staff = services.clinic.staff()
    if staff:
        seat(services, staff[0].id)
        return
    result = services.clinic.add_first_staff(
        StaffMember("Crash Test Admin", "practitioner", is_admin=True)
    )
    if not result.ok:
        raise SystemExit(f"could not add the first staff member: {result.problems}")


def _patient(rng: random.Random) -> Patient:
    return Patient(
        family_name=rng.choice(_FAMILY),
        given_names=rng.choice(_GIVEN),
        date_of_birth=date(1950, 1, 1) + timedelta(days=rng.randrange(18_000)),
        sex=rng.choice(("female", "male", "not_stated")),
        phone=f"07700 900{rng.randrange(1000):03d}",
        notes="x" * rng.randrange(0, 3000),  # some saves span several pages
    )


def _answers(rng: random.Random, today: date) -> dict[str, object]:
    return rng.choice(
        (
            {},
            {"anticoagulants": True},
            {"blood_disorder": True},
            {"retinoid_last_use": today - timedelta(days=rng.randrange(1, 30))},
        )
    )


def run(folder: Path, log_path: Path, *, seed: int, max_seconds: float) -> int:
    rng = random.Random(seed)
    services = open_services(DataPaths(folder), create=True, lock=True)
    log = CommitLog(log_path)
    _sign_in(services)
    print("ready", flush=True)
    patient_ids: list[int] = []
    deadline = time.monotonic() + max_seconds  # an orphaned writer must not run for ever
    while time.monotonic() < deadline:
        roll = rng.random()
        if roll < 0.5 or not patient_ids:
            result = services.patients.create(_patient(rng))
            assert result.ok, result.problems
            patient_ids.append(result.record.id)
            log.committed("patient", result.record.id)
        elif roll < 0.85:
            answers = _answers(rng, services.ctx.today())
            result = services.screening.save(rng.choice(patient_ids), answered(answers))
            assert result.ok, result.problems
            log.committed("screening", result.record.id)
        else:
            current = services.patients.get(rng.choice(patient_ids))
            changed = replace(current, phone=f"07700 900{rng.randrange(1000):03d}")
            result = services.patients.update(changed)
            assert result.ok, result.problems
            # Logged as the audit entry of the correction: that row must survive too.
            audit_id = services.ctx.db.execute("SELECT max(id) FROM audit_log").fetchone()[0]
            log.committed("audit", int(audit_id))
    services.close()
    return 0


def serve(folder: Path, log_path: Path, *, max_seconds: float) -> int:
    """Fork one writer per ``run SEED`` line; report each one's pid and its end."""
    for line in sys.stdin:
        command, _, seed = line.strip().partition(" ")
        if command != "run":
            break
        pid = os.fork()
        if pid == 0:  # the writer: it never returns into this loop
            code = 1
            try:
                code = run(folder, log_path, seed=int(seed), max_seconds=max_seconds)
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        print(f"started {pid}", flush=True)
        _, status = os.waitpid(pid, 0)
        print(f"exited {pid} {os.waitstatus_to_exitcode(status)}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("commit_log", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--serve", action="store_true", help="fork a writer per 'run SEED' line")
    args = parser.parse_args(argv)
    if args.serve:
        return serve(args.data_dir, args.commit_log, max_seconds=args.max_seconds)
    return run(args.data_dir, args.commit_log, seed=args.seed, max_seconds=args.max_seconds)


if __name__ == "__main__":
    sys.exit(main())
