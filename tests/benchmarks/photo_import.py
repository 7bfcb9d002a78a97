"""Clinical photos, the import and the gallery (issue #21), each beside a baseline in the same run.

Usage: ``python tests/benchmarks/photo_import.py [--photos 20] [--gallery 500] [--repeat 3]``.

- Import: 20 synthetic 12 MP phone JPEGs (4000×3000, with EXIF: orientation, GPS, serial)
  through ``PhotoService.import_files`` into an encrypted clinic's photo store, thumbnails
  included. Baseline: the least any importer does with the same files, one after another in
  Pillow (decode, scale to 2,048 px, encode, thumbnail), with no cleaning, store or data file.
  Target: under 10 s for the 20.
- Gallery first screen: a patient with 500 photos; the gallery's rows (``gallery``) and the
  first screen's thumbnails read from the encrypted store (``thumbnail``) and decoded as the
  window does (``QImage.fromData``). Baseline: the same thumbnails read as plain files from a
  folder and decoded alike. Target: under 300 ms.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import argparse
import io
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `tests.benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PIL import Image

from exodesk.domain.patient import Patient
from exodesk.domain.staff import StaffMember
from exodesk.paths import DataPaths
from exodesk.services.photo_samples import synthetic_photo
from exodesk.services.photos import PhotoService
from exodesk.services.workspace import Services, open_services
from exodesk.storage.keys import new_data_key
from exodesk.storage.photo_store import open_photo_store
from exodesk.storage.photos import NewPhoto, PhotoRepository

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
FIRST_SCREEN = 40  # thumbnails a 1366×728 window shows at once (with room to spare)


def phone_jpegs(folder: Path, count: int) -> list[Path]:
    """``count`` distinct 12 MP JPEGs with a phone's EXIF (noise gives a phone's file size)."""
    bases = []
    for n in range(min(count, 4)):
        noise = Image.effect_noise((4000, 3000), 28 + n * 4).convert("RGB")
        tint = Image.new("RGB", (4000, 3000), (180 - n * 20, 140, 120 + n * 15))
        bases.append(Image.blend(noise, tint, 0.55))
    paths = []
    for n in range(count):
        exif = Image.Exif()
        exif[0x0112] = 6 if n % 2 else 1
        exif[0x010F] = "ACME"
        gps = exif.get_ifd(0x8825)
        gps[1], gps[2] = "N", (51.0, 31.0, float(n))
        exif.get_ifd(0x8769)[0xA431] = f"SN-{n:06d}"
        path = folder / f"IMG_{n:04d}.jpg"
        bases[n % len(bases)].save(path, "JPEG", quality=92, exif=exif)
        paths.append(path)
    return paths


def _services(folder: Path) -> tuple[Services, PhotoService, int]:
    services = open_services(DataPaths(folder), create=True)
    assert services.accounts.first_account(
        StaffMember("Ada Admin", "practitioner", is_admin=True), "benchmark-password-1"
    ).ok
    pid = services.patients.create(Patient("Smith", "Olivia", date(1985, 4, 3), "female"))
    photos = PhotoService(services.ctx, store=open_photo_store(DataPaths(folder), new_data_key()))
    assert photos.record_consent(pid.record.id, {"record"}, "Olivia Smith", PNG).ok
    return services, photos, int(pid.record.id)


def baseline_import(paths: list[Path]) -> None:
    for path in paths:
        with Image.open(path) as image:
            image.thumbnail((2048, 2048), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            image.save(out, "JPEG", quality=90)
            image.thumbnail((320, 320))
            image.save(io.BytesIO(), "JPEG", quality=80)


def measure_import(scratch: Path, count: int, repeat: int) -> dict[str, float]:
    paths = phone_jpegs(scratch, count)
    ours, base = [], []
    for n in range(repeat):
        services, photos, pid = _services(scratch / f"clinic-{n}")
        try:
            photo_set = photos.new_set(pid, "face")
            views = [v for v, _ in photos.views.views("face")]
            items = [(views[i % len(views)], p) for i, p in enumerate(paths)]
            start = time.perf_counter()
            added = photos.import_files(photo_set.id, items)
            ours.append(time.perf_counter() - start)
            assert len(added) == count
        finally:
            services.close()
        start = time.perf_counter()
        baseline_import(paths)
        base.append(time.perf_counter() - start)
    return {"import_s": statistics.median(ours), "baseline_s": statistics.median(base)}


def measure_gallery(scratch: Path, count: int, repeat: int) -> dict[str, float]:
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication

    QApplication.instance() or QApplication([])
    services, photos, pid = _services(scratch / "gallery")
    plain = scratch / "plain-thumbs"
    plain.mkdir()
    try:
        repo = PhotoRepository(services.ctx.db)
        big = photos._store.put(
            synthetic_photo("face", "front", date(2026, 1, 1), size=(2048, 1536))
        )
        start_day = date(2025, 1, 1)
        with services.ctx.write():
            set_id = 0
            for n in range(count):
                day = start_day + timedelta(days=n // 5 * 7)
                if n % 5 == 0:
                    set_id = repo.add_set(
                        pid,
                        "face",
                        session_id=None,
                        course_id=None,
                        taken_on=day,
                        at=datetime.now(UTC),
                        by=services.desk.user.id,
                    )
                thumb = synthetic_photo("face", "front", day, size=(320, 240))
                thumb_ref = photos._store.put(thumb + n.to_bytes(4, "big"))  # each distinct
                (plain / f"{n}.jpg").write_bytes(thumb)
                repo.add_photo(
                    NewPhoto(
                        set_id,
                        pid,
                        "front",
                        big,
                        thumb_ref,
                        f"{n:064x}",
                        2048,
                        1536,
                        datetime.combine(day, datetime.min.time(), UTC),
                        "file",
                    ),
                    at=datetime.now(UTC),
                    by=services.desk.user.id,
                )
        ours, base = [], []
        for _ in range(repeat + 1):
            start = time.perf_counter()
            rows = photos.gallery(pid)
            images = [QImage.fromData(photos.thumbnail(p)) for p in rows[:FIRST_SCREEN]]
            ours.append((time.perf_counter() - start) * 1000)
            assert len(rows) == count and not any(i.isNull() for i in images)
            start = time.perf_counter()
            images = [
                QImage.fromData((plain / f"{n}.jpg").read_bytes()) for n in range(FIRST_SCREEN)
            ]
            base.append((time.perf_counter() - start) * 1000)
        ours, base = ours[1:], base[1:]  # the first pass warms the caches
    finally:
        services.close()
    return {"gallery_ms": statistics.median(ours), "baseline_ms": statistics.median(base)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=20)
    parser.add_argument("--gallery", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="exodesk-photo-bench-") as tmp:
        scratch = Path(tmp)
        imported = measure_import(scratch, args.photos, args.repeat)
        gallery = measure_gallery(scratch, args.gallery, args.repeat)
    print(f"CPUs: {os.cpu_count()}; load average {os.getloadavg()[0]:.1f}")
    print(
        f"import {args.photos} × 12 MP JPEG with thumbnails: {imported['import_s']:.2f} s "
        f"(baseline, bare Pillow one by one: {imported['baseline_s']:.2f} s; ratio "
        f"{imported['import_s'] / imported['baseline_s']:.2f}×; target < 10 s: "
        f"{'met' if imported['import_s'] < 10 else 'NOT met'})"
    )
    print(
        f"gallery first screen, {args.gallery} photos ({FIRST_SCREEN} thumbnails decoded): "
        f"{gallery['gallery_ms']:.0f} ms (baseline, plain files: {gallery['baseline_ms']:.0f} ms;"
        f" ratio {gallery['gallery_ms'] / gallery['baseline_ms']:.2f}×; target < 300 ms: "
        f"{'met' if gallery['gallery_ms'] < 300 else 'NOT met'})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
