"""What the photo store costs: put/get of a 2 MB photo, and daily backups of a clinic with many
photos, the first (every blob) against the next one (only a new session's 8).

Usage: ``python tests/benchmarks/photos.py [--photos N] [--size BYTES] [--repeat R] [--plain]``.

A clinic is created (encrypted unless ``--plain``) with N synthetic photos in its store (random
bytes of ``--size``, sealed as the store seals them; written without fsync, since filling the
store is set-up, not a figure) and a photos table naming them. Then, each figure beside its
baseline from the same run:

- put / get of one 2 MB photo, against writing (partial + fsync + rename) / reading the same
  2 MB as a plain file;
- the first backup into an empty folder (every blob copied and read back) and the daily backup
  after one new session's 8 photos (only those copied), against a backup of the same data file
  made before it named any photo;
- the drill (every photo decrypted and hashed) against the drill before photos.
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
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `tests.benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from exodesk.domain.staff import StaffMember
from exodesk.paths import DataPaths
from exodesk.services.backups import BackupService, drill_backups
from exodesk.services.workspace import Services, open_services
from exodesk.storage.keys import new_data_key
from exodesk.storage.photo_store import FolderPhotoStore, photo_ref, write_file_atomically
from tests.photo_rows import name_refs

TWO_MB = 2 * 1024 * 1024
SESSION_PHOTOS = 8


def _s[T](fn: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _median(fn: Callable[[], object], repeat: int) -> float:
    return statistics.median(_s(fn)[0] for _ in range(repeat))


def _name_photos(svc: Services, refs: list[str]) -> None:
    # Rows in the columns of the core's 0010_photos (made here if the file lacks them).
    name_refs(svc, refs)


def _fill(store: FolderPhotoStore, count: int, size: int) -> list[str]:
    """``count`` distinct random photos, sealed as ``put`` seals them, written without fsync."""
    refs = []
    cipher = store._cipher  # set-up only: the figures go through put/backup as the app does
    for _ in range(count):
        data = os.urandom(size)
        ref = photo_ref(data)
        path = store.path_of(ref)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(cipher.seal(data, ref))
        refs.append(ref)
    return refs


def _row(name: str, value: float, baseline: float, note: str = "") -> str:
    return f"| {name} | {value:,.3f} s | {baseline:,.3f} s | {value / baseline:,.2f}× | {note} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=20_000)
    parser.add_argument("--size", type=int, default=20_000, help="bytes per synthetic photo")
    parser.add_argument("--repeat", type=int, default=9, help="runs of the put/get figures")
    parser.add_argument("--plain", action="store_true", help="a plain clinic (no key)")
    args = parser.parse_args(argv)
    key = None if args.plain else new_data_key()
    with tempfile.TemporaryDirectory(prefix="exodesk-photo-bench-") as tmp:
        scratch = Path(tmp)
        paths = DataPaths(scratch / "clinic")
        svc = open_services(paths, create=True, key=key)
        try:
            admin = StaffMember("Ada Admin", "practitioner", is_admin=True)
            assert svc.accounts.first_account(admin, "a benchmark passphrase").ok
            store = svc.ctx.photos_store
            backups = BackupService(svc.ctx, paths)
            rows: list[str] = []

            # ---- put / get of a 2 MB photo ---------------------------------------------
            plain_file = scratch / "plain.bin"

            def plain_write() -> None:
                write_file_atomically(plain_file, os.urandom(TWO_MB))

            def put() -> None:
                store.put(os.urandom(TWO_MB))

            photo = os.urandom(TWO_MB)
            ref = store.put(photo)
            write_file_atomically(plain_file, photo)
            base_put = _median(plain_write, args.repeat)
            rows.append(
                _row(
                    "put a 2 MB photo",
                    _median(put, args.repeat),
                    base_put,
                    "baseline: write 2 MB (partial + fsync + rename)",
                )
            )
            base_get = _median(plain_file.read_bytes, args.repeat)
            rows.append(
                _row(
                    "get a 2 MB photo",
                    _median(lambda: store.get(ref), args.repeat),
                    base_get,
                    "baseline: read the same 2 MB as a plain file",
                )
            )

            # ---- backups -----------------------------------------------------------------
            before = scratch / "before-photos"
            before.mkdir()
            # The baselines: the same data file before it named any photo (median of 3).
            base_backup = _median(lambda: backups.backup_now(before), 3)
            base_drill = _median(lambda: drill_backups(before, key=key), 3)
            started = time.perf_counter()
            refs = _fill(store, args.photos, args.size)
            _name_photos(svc, [ref, *refs])
            print(
                f"{args.photos:,} photos of {args.size:,} bytes (+ one of 2 MB) in the "
                f"{'encrypted' if key else 'plain'} store, set up in "
                f"{time.perf_counter() - started:.1f} s",
                flush=True,
            )
            folder = scratch / "usb"
            folder.mkdir()
            first_s, first = _s(lambda: backups.backup_now(folder, reason="daily"))
            new = [os.urandom(args.size) for _ in range(SESSION_PHOTOS)]
            new_refs = [store.put(p) for p in new]
            _name_photos(svc, new_refs)
            next_s, second = _s(lambda: backups.backup_now(folder, reason="daily"))
            drill_s, drill = _s(lambda: drill_backups(folder, key=key))
            assert drill.ok, drill.problems
            rows.append(
                _row(
                    "first backup with photos",
                    first_s,
                    base_backup,
                    f"{first.photos_copied:,} blobs, {first.photo_bytes_copied / 1e6:,.1f} MB "
                    "copied; baseline: the same data file's backup before it named any photo",
                )
            )
            rows.append(
                _row(
                    f"daily backup after one session's {SESSION_PHOTOS} photos",
                    next_s,
                    base_backup,
                    f"{second.photos_copied:,} blobs, {second.photo_bytes_copied / 1e3:,.1f} KB "
                    f"copied of {second.photo_refs:,} needed; {next_s / first_s:.3f}× the first",
                )
            )
            rows.append(
                _row(
                    "drill (every photo decrypted and hashed)",
                    drill_s,
                    base_drill,
                    f"{drill.photos:,} photos proven; baseline: the drill before photos",
                )
            )
        finally:
            svc.close()
        shutil.rmtree(scratch / "usb", ignore_errors=True)
    print("| figure | time | baseline | ratio | note |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    print(
        f"\nput/get: median of {args.repeat}; load average {load[0]:.1f} on {os.cpu_count()} CPUs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
