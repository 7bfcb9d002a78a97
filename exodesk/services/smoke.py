"""Checks the frozen build's smoke test runs beside the window: what photos and separated
keys need is really in the bundle (``exodesk --smoke-test``)."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from exodesk.services.photo_import import prepare_photo
from exodesk.services.sealing import Signer, new_signing_seed, public_key_text
from exodesk.storage.keys import new_data_key
from exodesk.storage.photo_store import FolderPhotoStore


def smoke_photos_and_keys(folder: Path) -> str:
    """What a frozen build must carry for photos and separated keys: Pillow with JPEG and
    HEIC (pillow_heif, with its encoder here), colour management, AES-GCM for the encrypted
    photo store, and Ed25519 for signed audit entries."""
    picture = Image.new("RGB", (640, 480), (180, 120, 90))
    sizes = []
    for kind in ("JPEG", "HEIF"):
        if kind == "HEIF":
            from pillow_heif import register_heif_opener

            register_heif_opener()
        buffer = io.BytesIO()
        picture.save(buffer, kind)
        prepared = prepare_photo(buffer.getvalue())
        sizes.append(len(prepared.jpeg))
    store = FolderPhotoStore(folder / "smoke-photos", new_data_key())
    ref = store.put(prepared.jpeg)
    if store.get(ref) != prepared.jpeg:
        raise RuntimeError("the encrypted photo store did not give the photo back")
    seed = new_signing_seed()
    signer = Signer()
    signer.hold(1, 1, seed)
    if signer(1, "0" * 64) is None or not public_key_text(seed):
        raise RuntimeError("audit entries could not be signed")
    return (
        f"JPEG and HEIC photos prepared ({sizes[0]:,} and {sizes[1]:,} bytes), "
        "encrypted and read back, one entry signed"
    )
