"""What separated keys cost at the desk: unlock + open + sign in, and one audited save (the
entry signed with the person's Ed25519 key), first-generation keys vs separated keys.

Usage: ``python tests/benchmarks/sign_in.py [--repeat R]``. Two small encrypted clinics are
made with the real (default) key derivation; each figure is timed on both, alternating, and
the medians are printed with their ratio.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `tests.benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from exodesk.domain.patient import Patient
from exodesk.domain.staff import StaffMember
from exodesk.paths import DataPaths
from exodesk.services import encryption
from exodesk.services.workspace import open_services
from exodesk.storage.keys import new_data_key

PASSWORD = "Ada's own password"


def _clinic(folder: Path, *, separated: bool) -> DataPaths:
    paths = DataPaths(folder)
    key = encryption.new_clinic_key()[0] if separated else new_data_key()
    services = open_services(paths, create=True, key=key)
    try:
        services.accounts.first_account(
            StaffMember("Ada Admin", "practitioner", is_admin=True), PASSWORD
        )
    finally:
        services.close()
    return paths


def _run(paths: DataPaths, n: int) -> tuple[float, float]:
    start = time.perf_counter()
    key = encryption.unlock(paths, 1, PASSWORD)
    services = open_services(paths, key=key)
    try:
        services.accounts.sign_in(1, PASSWORD)
        signed_in = time.perf_counter() - start
        patient = Patient(f"Bench{n}", "Sam", date(1980, 1 + n % 12, 1 + n % 28))
        start = time.perf_counter()
        services.patients.create(patient)
        saved = time.perf_counter() - start
    finally:
        services.close()
    return signed_in * 1000, saved * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per figure (median)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="exodesk-signin-bench-") as tmp:
        clinics = {
            "first generation": _clinic(Path(tmp) / "first", separated=False),
            "separated keys": _clinic(Path(tmp) / "separated", separated=True),
        }
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in clinics}
        for paths in clinics.values():  # warm up
            _run(paths, 0)
        for n in range(1, args.repeat + 1):  # alternate: other jobs on the machine hit both
            for name, paths in clinics.items():
                samples[name].append(_run(paths, n))
        base, new = samples["first generation"], samples["separated keys"]
        print("| figure | first generation median | separated keys median | ratio |")
        print("|---|---|---|---|")
        for i, figure in enumerate(("unlock + open + sign in", "one audited patient save")):
            a = statistics.median(s[i] for s in base)
            b = statistics.median(s[i] for s in new)
            print(f"| {figure} | {a:.1f} ms | {b:.1f} ms | {b / a:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
