"""Picture files for photo tests: real JPEG/PNG bytes made with Pillow, each different."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw


def picture_bytes(
    seed: int, *, size: tuple[int, int] = (640, 480), fmt: str = "JPEG", orientation: int = 0
) -> bytes:
    """A picture with a coloured square that moves with ``seed`` (so no two are the same);
    ``orientation`` writes an EXIF orientation tag (6: the camera was turned right)."""
    image = Image.new("RGB", size, (200, 180 - seed % 100, 160))
    draw = ImageDraw.Draw(image)
    x = 20 + (seed * 37) % (size[0] - 120)
    draw.rectangle((x, 40, x + 100, 140), fill=(30, 60 + seed % 150, 90))
    out = io.BytesIO()
    if orientation:
        exif = Image.Exif()
        exif[0x0112] = orientation
        image.save(out, fmt, exif=exif.tobytes())
    else:
        image.save(out, fmt)
    return out.getvalue()


def write_pictures(folder: Path, count: int, *, start: int = 0, fmt: str = "JPEG") -> list[Path]:
    """``count`` picture files named like a camera's (IMG_0001.JPG …) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".JPG" if fmt == "JPEG" else ".png"
    paths = []
    for i in range(start, start + count):
        path = folder / f"IMG_{i + 1:04d}{suffix}"
        path.write_bytes(picture_bytes(i, fmt=fmt))
        paths.append(path)
    return paths
