"""What encryption at rest costs: open, one save, one search, one verified backup, plain vs
encrypted (SQLCipher), on the same generated clinic.

Usage: ``python tests/benchmarks/encryption.py [--patients N] [--sessions M] [--repeat R]``.
A plain clinic is generated, copied, and the copy encrypted with ``encrypt_data_file``; then
each figure is timed on both, alternating, and the medians are printed with their ratio.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `tests.benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from exodesk.domain.patient import Patient
from exodesk.paths import DataPaths
from exodesk.services.backups import BackupService
from exodesk.services.demo import seat
from exodesk.services.workspace import Services, open_services
from exodesk.storage.encryption import encrypt_data_file
from exodesk.storage.keys import new_data_key
from tests.benchmarks.generate import generate

SEARCHES = ("smith", "jones e", "0161 496", "olivia")


def _ms(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


class Variant:
    """One clinic (plain or encrypted) and the samples taken on it."""

    def __init__(self, name: str, paths: DataPaths, key: bytes | None, scratch: Path) -> None:
        self.name, self.paths, self.key, self.scratch = name, paths, key, scratch
        self.samples: dict[str, list[float]] = {}
        self._n = 0

    def add(self, figure: str, ms: float) -> None:
        self.samples.setdefault(figure, []).append(ms)

    def run_once(self) -> None:
        holder: list[Services] = []
        self.add("open (quick_check, statistics)", _ms(lambda: holder.append(self._open())))
        services = holder[0]
        try:
            seat(services, 1)
            self._n += 1
            born = date(1950 + self._n % 50, 1 + self._n % 12, 1 + self._n % 28)
            patient = Patient(f"Benchmark{self._n}", "Sam", born, phone="01632 960001")
            self.add("one patient save", _ms(lambda: services.patients.create(patient)))
            text = SEARCHES[self._n % len(SEARCHES)]

            def search() -> None:
                query = services.patients.understand(text, day_first=True)
                services.patients.page(query)
                services.patients.count_matches(query)

            # The app keeps its connection: a search mostly finds its pages already
            # decrypted in the page cache. The first one on a connection decrypts them.
            self.add("one search, first on the connection", _ms(search))
            self.add("the same search again (pages cached)", _ms(search))
            folder = self.scratch / f"backups-{self.name}"
            folder.mkdir(exist_ok=True)
            backups = BackupService(services.ctx, services.paths)
            self.add("one verified backup", _ms(lambda: backups.backup_now(folder)))
            shutil.rmtree(folder)
        finally:
            services.close()

    def _open(self) -> Services:
        return open_services(self.paths, key=self.key)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=9, help="runs per figure (median)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="exodesk-enc-bench-") as tmp:
        scratch = Path(tmp)
        plain = generate(scratch / "plain", patients=args.patients, sessions=args.sessions)
        enc_paths = DataPaths(scratch / "encrypted")
        enc_paths.folder.mkdir()
        shutil.copyfile(plain.paths.data_file, enc_paths.data_file)
        key = new_data_key()
        started = time.perf_counter()
        encrypt_data_file(enc_paths.data_file, key, backups_dir=scratch / "before-encryption")
        converted = time.perf_counter() - started
        sizes = {
            "plain": plain.paths.data_file.stat().st_size,
            "encrypted": enc_paths.data_file.stat().st_size,
        }
        print(
            f"{plain.patients:,} patients, {plain.sessions:,} sessions; plain file "
            f"{sizes['plain'] / 2**20:.1f} MB, encrypted {sizes['encrypted'] / 2**20:.1f} MB; "
            f"converted (backup + export + verify) in {converted:.1f} s",
            flush=True,
        )
        variants = [
            Variant("plain", plain.paths, None, scratch),
            Variant("encrypted", enc_paths, key, scratch),
        ]
        for v in variants:  # warm the page cache and both libraries' code paths
            v.run_once()
            v.samples.clear()
        for _ in range(args.repeat):  # alternate, so other jobs on the machine hit both alike
            for v in variants:
                v.run_once()
        lines = [
            "| figure | plain median | encrypted median | ratio | plain p-range | "
            "encrypted p-range |",
            "|---|---|---|---|---|---|",
        ]
        for figure in variants[0].samples:
            a, b = variants[0].samples[figure], variants[1].samples[figure]
            ma, mb = statistics.median(a), statistics.median(b)
            lines.append(
                f"| {figure} | {ma:,.1f} ms | {mb:,.1f} ms | {mb / ma:.2f}× "
                f"| {min(a):,.1f}–{max(a):,.1f} | {min(b):,.1f}–{max(b):,.1f} |"
            )
        print("\n".join(lines))
        load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
        print(
            f"\n{args.repeat} runs each, file in the OS cache; load average {load[0]:.1f} on "
            f"{os.cpu_count()} CPUs"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
