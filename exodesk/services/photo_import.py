"""The photo import pipeline: a picture's bytes in, a clean JPEG and its thumbnail out.

What a phone or camera file carries beyond the picture (GPS position, the device's serial
number, maker notes, XMP, comments, the date in the file's own tags) is never stored: the
picture is decoded, turned upright (EXIF orientation), converted to sRGB, scaled to fit
``MAX_STORED_SIDE`` and encoded afresh as a JPEG with no metadata at all, and a thumbnail is
made from it. The SHA-256 of the original bytes is kept, to show later which file a photo came
from; the original itself is not kept.

Pure computation on bytes: no data file, no photo store, no clock. It is safe on any thread
(the UI runs it in a worker while the window stays responsive); Pillow releases the GIL while
it decodes, scales and encodes, so two pictures prepare at once on two cores.

Public API::

    prepare_photo(data) -> PreparedPhoto     # raises UserError with a plain sentence
    read_picture_file(path) -> bytes         # raises UserError with a plain sentence
    PICTURE_SUFFIXES                         # what a folder import picks up
"""

from __future__ import annotations

import hashlib
import io
import math
import threading
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from PIL import Image, ImageCms, UnidentifiedImageError

from exodesk.domain.photos import (
    MAX_SOURCE_BYTES,
    MAX_STORED_SIDE,
    MAX_THUMB_SIDE,
    check_image_size,
    fit_within,
)
from exodesk.errors import UserError

JPEG_QUALITY = 90
THUMB_QUALITY = 80
PICTURE_SUFFIXES = (".jpg", ".jpeg", ".png", ".heic", ".heif")
FORMATS = ("JPEG", "PNG", "HEIF")
_EXIF_DATETIME_ORIGINAL = 0x9003
_EXIF_IFD = 0x8769

_heif_lock = threading.Lock()
_heif_registered = False


def _register_heif() -> None:
    """Teach Pillow to open HEIC/HEIF (what phones take) once per process."""
    global _heif_registered
    with _heif_lock:
        if not _heif_registered:
            from pillow_heif import register_heif_opener

            register_heif_opener()
            _heif_registered = True


@dataclass(frozen=True)
class PreparedPhoto:
    """A picture ready to store: the clean JPEG, its thumbnail and what the import learned."""

    jpeg: bytes = field(repr=False)
    thumbnail: bytes = field(repr=False)
    width: int
    height: int
    original_sha256: str
    taken_at: datetime | None
    """When the camera says it was taken (its local time), or None."""


NOT_A_PICTURE = (
    "This file is not a picture ExoDesk can read. Photos can be JPEG, PNG or HEIC files "
    "(the kind phones and cameras take)."
)
DAMAGED = (
    "This picture could not be read: the file looks damaged or cut short. Copy it from the "
    "camera or phone again and retry."
)


def prepare_photo(data: bytes) -> PreparedPhoto:
    """Turn a picture file's bytes into what the photo store keeps.

    Raises:
        UserError: the bytes are not a JPEG, PNG or HEIC picture, are damaged, or are far
            larger than any camera takes (a "decompression bomb"); nothing is kept.
    """
    if not data:
        raise UserError("This file is empty, so there is no picture to import.")
    if len(data) > MAX_SOURCE_BYTES:
        raise UserError(
            f"This file is {len(data) / 1_000_000:.0f} MB, larger than any camera photo; it "
            "was not imported."
        )
    if _looks_like_heif(data):
        _register_heif()  # pillow_heif loads libheif (~0.1 s): only for a phone's HEIC
    digest = hashlib.sha256(data).hexdigest()
    with warnings.catch_warnings():
        # The size is checked below, before the pixels are decoded (check_image_size).
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            source = Image.open(io.BytesIO(data), formats=FORMATS)
        except Image.DecompressionBombError as exc:
            raise UserError(_too_large()) from exc
        except (UnidentifiedImageError, ValueError, TypeError) as exc:
            raise UserError(NOT_A_PICTURE) from exc
        except (OSError, SyntaxError, EOFError) as exc:
            raise UserError(DAMAGED) from exc
        with source:
            problem = check_image_size(*source.size)
            if problem:
                raise UserError(problem)
            taken_at = _exif_taken_at(source)
            try:
                picture = _upright_srgb(source)
            except Image.DecompressionBombError as exc:
                raise UserError(_too_large()) from exc
            except (OSError, SyntaxError, EOFError, ValueError) as exc:
                raise UserError(DAMAGED) from exc
    jpeg = _jpeg(picture, JPEG_QUALITY)
    thumb = picture.copy()
    thumb.thumbnail((MAX_THUMB_SIDE, MAX_THUMB_SIDE), Image.Resampling.BICUBIC)
    return PreparedPhoto(
        jpeg=jpeg,
        thumbnail=_jpeg(thumb, THUMB_QUALITY),
        width=picture.width,
        height=picture.height,
        original_sha256=digest,
        taken_at=taken_at,
    )


def _looks_like_heif(data: bytes) -> bool:
    """An ISO media file (HEIC/HEIF/AVIF): ``ftyp`` at offset 4."""
    return data[4:8] == b"ftyp"


def _too_large() -> str:
    return (
        "This picture is far larger than any camera takes, so it was not imported. Save it "
        "at a smaller size and try again."
    )


def _exif_taken_at(image: Image.Image) -> datetime | None:
    try:
        exif = image.getexif()
        raw = exif.get_ifd(_EXIF_IFD).get(_EXIF_DATETIME_ORIGINAL) or exif.get(0x0132)
        if not isinstance(raw, str):
            return None
        return datetime.strptime(raw.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except (ValueError, TypeError, KeyError, OSError, SyntaxError):
        return None  # a garbled date tag is no reason to refuse the picture


# The EXIF orientation tag's values, as the transposition that makes the picture upright.
_TURNS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _upright_srgb(source: Image.Image) -> Image.Image:
    """Decode, scale to fit, turn upright and convert to sRGB RGB; no metadata survives."""
    try:
        orientation = int(source.getexif().get(0x0112, 1))
    except (ValueError, TypeError, OSError, SyntaxError):
        orientation = 1
    icc = source.info.get("icc_profile")
    target = fit_within(source.width, source.height, MAX_STORED_SIDE)
    if source.format == "JPEG" and target != source.size:
        # Let the JPEG decoder scale down while it decodes (by 1/2, 1/4 or 1/8: about four
        # times faster than decoding every pixel and resampling) as far as the result stays
        # within 10% of the stored size: a 12 MP phone photo (4000×3000) decodes straight to
        # 2000×1500, with nothing left to resample.
        source.draft("RGB", (math.ceil(target[0] * 0.9), math.ceil(target[1] * 0.9)))
        target = fit_within(source.width, source.height, MAX_STORED_SIDE)
    image = source.convert("RGBA") if source.mode in ("P", "LA", "PA") else source
    if image.mode not in ("RGB", "RGBA", "L", "I;16", "I", "F", "CMYK"):
        image = image.convert("RGB")
    if image.mode == "RGBA":
        # Transparency becomes white: a clinical photo has none, a PNG screenshot may.
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    elif image.mode in ("I;16", "I", "F"):
        image = image.convert("I").point(lambda v: v / 256).convert("L")
    if icc:
        image = _to_srgb(image, icc)
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    if image.size != target:
        image = image.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    turn = _TURNS.get(orientation)
    if turn is not None:
        image = image.transpose(turn)
    image.load()
    image.info = {}
    return image


def _to_srgb(image: Image.Image, icc: bytes) -> Image.Image:
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        mode = "L" if image.mode == "L" else "RGB"
        srgb = ImageCms.createProfile("sRGB")
        converted = ImageCms.profileToProfile(image, profile, srgb, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image  # a broken profile: keep the pixels as they are
    return converted if converted is not None else image


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    # No exif, no icc_profile, no comment: nothing but the picture (sRGB is JPEG's default).
    image.save(out, "JPEG", quality=quality, optimize=False, exif=b"", subsampling="4:2:0")
    return out.getvalue()


def read_picture_file(path: Path) -> bytes:
    """The bytes of a picture file, or a plain sentence saying why not.

    Raises:
        UserError: the file is missing, unreadable, not a file or far too large.
    """
    try:
        size = path.stat().st_size
        if size > MAX_SOURCE_BYTES:
            raise UserError(
                f"{path.name} is {size / 1_000_000:.0f} MB, larger than any camera photo; "
                "it was not imported."
            )
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise UserError(f"{path.name} is no longer there; it was not imported.") from exc
    except IsADirectoryError as exc:
        raise UserError(f"{path.name} is a folder, not a picture.") from exc
    except PermissionError as exc:
        raise UserError(
            f"ExoDesk may not read {path.name}; it was not imported.",
            advice="Copy the picture somewhere you can open it, then import the copy.",
        ) from exc
    except OSError as exc:
        raise UserError(f"{path.name} could not be read ({exc.strerror or exc}).") from exc
