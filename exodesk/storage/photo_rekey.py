"""The note of a photo re-key left pending: ``exodesk.photos-rekey-pending`` beside the data file.

The photos follow the data file's key only after the data file (and keyring) changed key:
re-keying, or encrypting a plain clinic. A process stopped between the two (a kill, a power
cut) would leave blobs under a key that is no longer in use: after a re-key the old key is
retired, and nothing else holds it. So just before the data file is swapped a small note is
written beside it, atomically, holding what the store's ``reencrypt`` needs to finish:

- after a re-key, the old data key sealed with AES-256-GCM under a key derived from the NEW
  data key (HKDF-SHA256, info ``ExoDesk photos re-key note v1``; the two keys' public
  fingerprints as associated data) — never the old key in the clear;
- after encrypting a plain clinic, only that the photos were plain.

The note goes once every blob is under the new key (``clear_note``). The next open with the
current key finishes the job (``exodesk.services.photo_rekey``). A JSON file::

    {"version": 1, "from": "key" | "plain", "old_key_id": "…" | null,
     "new_key_id": "…", "nonce": "<hex>", "sealed": "<hex>"}
"""

from __future__ import annotations

import binascii
import json
import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from exodesk.errors import StorageError
from exodesk.paths import DataPaths
from exodesk.storage.backup import discard
from exodesk.storage.database import storage_errors
from exodesk.storage.keys import key_id
from exodesk.storage.photo_store import NONCE_BYTES, derived_key, write_file_atomically

log = logging.getLogger(__name__)

NOTE_NAME = "exodesk.photos-rekey-pending"
NOTE_VERSION = 1
NOTE_HKDF_INFO = b"ExoDesk photos re-key note v1"
_AAD = b"ExoDesk photos re-key note\0"


class NoteUnreadable(Exception):
    """The note is damaged, or does not open with the key given (the reason in words)."""


def note_path(paths: DataPaths) -> Path:
    """Where the note of a pending photo re-key is (whether or not there is one)."""
    return paths.folder / NOTE_NAME


@dataclass(frozen=True)
class PendingPhotoRekey:
    """A photo re-key left pending (read from the note)."""

    old_key_id: str | None
    """The old key's public fingerprint (None: the photos were plain)."""
    new_key_id: str
    """The fingerprint of the key the photos are to be under."""
    nonce: bytes = field(default=b"", repr=False)
    sealed: bytes = field(default=b"", repr=False)

    @property
    def plain(self) -> bool:
        return self.old_key_id is None

    def old_key(self, new_key: bytes) -> bytes | None:
        """The old data key, unsealed with ``new_key`` (None: the photos were plain).

        Raises:
            NoteUnreadable: ``new_key`` is not the key the note was sealed under, or the note
                was changed.
        """
        if key_id(new_key) != self.new_key_id:
            raise NoteUnreadable("it was written for another key than the one in use")
        if self.old_key_id is None:
            return None
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        aead = AESGCM(derived_key(new_key, NOTE_HKDF_INFO))
        try:
            old = aead.decrypt(self.nonce, self.sealed, _aad(self.old_key_id, self.new_key_id))
        except InvalidTag:
            raise NoteUnreadable("it does not open with the key in use (damaged)") from None
        if len(old) != 32 or key_id(old) != self.old_key_id:
            raise NoteUnreadable("the key in it is not the one it names (damaged)")
        return old


def _aad(old_id: str, new_id: str) -> bytes:
    return _AAD + old_id.encode("ascii") + b"\0" + new_id.encode("ascii")


def write_note(paths: DataPaths, old_key: bytes | None, new_key: bytes) -> Path:
    """Write the note (atomically: ``.partial``, fsync, rename, fsync of the folder) before
    the data file is swapped to ``new_key``; ``old_key`` None: the photos are plain.

    Raises:
        StorageError: the data folder cannot be written.
    """
    new_id = key_id(new_key)
    body: dict[str, object] = {"version": NOTE_VERSION, "new_key_id": new_id}
    if old_key is None:
        body |= {"from": "plain", "old_key_id": None, "nonce": "", "sealed": ""}
    else:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        old_id = key_id(old_key)
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = AESGCM(derived_key(new_key, NOTE_HKDF_INFO)).encrypt(
            nonce, old_key, _aad(old_id, new_id)
        )
        body |= {"from": "key", "old_key_id": old_id, "nonce": nonce.hex(), "sealed": sealed.hex()}
    path = note_path(paths)
    with storage_errors(path):
        write_file_atomically(path, json.dumps(body, sort_keys=True).encode("ascii"))
    log.info("photo re-key note written (%s → %s)", body["old_key_id"] or "plain", new_id)
    return path


def read_note(paths: DataPaths) -> PendingPhotoRekey | None:
    """The pending photo re-key, or None if there is no note (one stat when there is none).

    Raises:
        NoteUnreadable: the note is not one (damaged).
        StorageError: it cannot be read.
    """
    path = note_path(paths)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StorageError(f"{path} cannot be read ({exc.strerror or exc}).") from exc
    try:
        body = json.loads(raw)
        if body["version"] != NOTE_VERSION:
            raise NoteUnreadable(f"it is of another version ({body['version']})")
        plain = body["from"] == "plain"
        return PendingPhotoRekey(
            old_key_id=None if plain else str(body["old_key_id"]),
            new_key_id=str(body["new_key_id"]),
            nonce=b"" if plain else bytes.fromhex(body["nonce"]),
            sealed=b"" if plain else bytes.fromhex(body["sealed"]),
        )
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise NoteUnreadable(f"it is damaged ({exc})") from None


def clear_note(paths: DataPaths) -> None:
    """Remove the note (every blob is under the new key, or the change never took effect)."""
    discard(note_path(paths))
