"""Clinical photos on disk: a content-addressed folder of blobs, encrypted with the clinic's key.

Every file detail of the photo store lives here: ``<data folder>/photos/ab/abcdef….blob``, one
file per distinct image (the name is the SHA-256 of the plaintext bytes, its *ref*), two levels
so no folder holds more than a few hundred files per thousand photos. A blob is written once,
atomically (``.partial`` + fsync + rename + fsync of the folder), and never overwritten or
deleted by the app; only re-keying (``FolderPhotoStore.reencrypt``) replaces a blob, by one
with the same plaintext.

A blob file is ``EXOPHOTO1`` + one flag byte + a 12-byte nonce + the payload:

- flag ``1`` (an encrypted clinic): the payload is AES-256-GCM ciphertext (with its 16-byte
  tag) under a key derived from the data key with HKDF-SHA256 (info ``ExoDesk photos v1``),
  a random nonce per blob, and the ref as associated data (a blob copied under another ref
  does not open);
- flag ``0`` (a plain clinic, such as the demo): the payload is the bytes as they are, the
  nonce zeros.

Either way ``get`` checks the SHA-256 of what it returns against the ref, so a damaged file is
never shown as a photo. The folder is pure file work: any thread may use a store.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import secrets
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from exodesk.errors import StorageError
from exodesk.paths import DataPaths
from exodesk.storage.backup import PARTIAL_SUFFIX, copy_errors, fsync_folder

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger(__name__)

PHOTOS_FOLDER = "photos"
"""The store's folder: beside the data file, and in a backup folder beside the backups."""
BLOB_SUFFIX = ".blob"
MAGIC = b"EXOPHOTO1"
FLAG_PLAIN, FLAG_AES_GCM = 0, 1
NONCE_BYTES = 12
HEADER_BYTES = len(MAGIC) + 1 + NONCE_BYTES
HKDF_INFO = b"ExoDesk photos v1"
_REF = re.compile(r"^[0-9a-f]{64}$")

Progress = Callable[[int, int], None]
"""Called with (blobs done, blobs in all)."""


@runtime_checkable
class PhotoStore(Protocol):
    """Where photo bytes are kept, by the SHA-256 of their plaintext (what a server could
    serve later)."""

    def put(self, data: bytes) -> str:
        """Keep ``data``; returns its ref (sha256 hex). Idempotent."""
        ...

    def get(self, ref: str) -> bytes:
        """The plaintext bytes of ``ref``. Raises StorageError if missing or damaged."""
        ...

    def exists(self, ref: str) -> bool:
        """Whether a blob for ``ref`` is stored (not whether it is sound)."""
        ...

    def refs(self) -> Iterator[str]:
        """Every ref stored, in no particular order."""
        ...


def photo_ref(data: bytes) -> str:
    """The ref of ``data``: the SHA-256 of its bytes, in lowercase hex."""
    return hashlib.sha256(data).hexdigest()


def is_ref(ref: str) -> bool:
    """Whether ``ref`` has the form of a ref (64 lowercase hex digits)."""
    return bool(_REF.match(ref))


def _check_ref(ref: str) -> None:
    if not is_ref(ref):
        # A bug (refs come from the store and the data file), never something typed.
        raise ValueError(f"not a photo ref: {ref!r}")


def blob_key(data_key: bytes) -> bytes:
    """The 32-byte AES key for photo blobs, derived from the clinic's data key."""
    return derived_key(data_key, HKDF_INFO)


def derived_key(data_key: bytes, info: bytes) -> bytes:
    """A 32-byte AES key derived from the clinic's data key with HKDF-SHA256 and ``info``
    (one ``info`` per use: the blobs, the note of a photo re-key left pending)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    if len(data_key) != 32:
        raise ValueError("a data key is 32 bytes")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(data_key)


class BlobProblem(Exception):
    """A blob's bytes are not a sound blob of the ref asked for (the reason in words)."""


class _Cipher:
    """AES-256-GCM under the photo key of one data key (None: the plain clinic's store)."""

    def __init__(self, data_key: bytes | None) -> None:
        self.data_key = data_key
        self._aead: AESGCM | None = None

    @property
    def encrypted(self) -> bool:
        return self.data_key is not None

    def aead(self) -> AESGCM:
        if self._aead is None:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            assert self.data_key is not None
            self._aead = AESGCM(blob_key(self.data_key))
        return self._aead

    def seal(self, data: bytes, ref: str) -> bytes:
        """The blob file's bytes for ``data`` (whose ref is ``ref``)."""
        if self.data_key is None:
            return MAGIC + bytes([FLAG_PLAIN]) + bytes(NONCE_BYTES) + data
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self.aead().encrypt(nonce, data, ref.encode("ascii"))
        return MAGIC + bytes([FLAG_AES_GCM]) + nonce + sealed

    def open(self, blob: bytes, ref: str) -> bytes:
        """The plaintext in ``blob``, checked against ``ref``.

        A plain blob opens with any cipher (its bytes still have to match the ref: the
        leftovers of a re-key that was stopped); an encrypted one only with its key.

        Raises:
            BlobProblem: not a blob, encrypted with another key (or none given), or damaged.
        """
        if len(blob) < HEADER_BYTES or not blob.startswith(MAGIC):
            raise BlobProblem("it is not an ExoDesk photo file")
        flag = blob[len(MAGIC)]
        nonce, payload = blob[len(MAGIC) + 1 : HEADER_BYTES], blob[HEADER_BYTES:]
        if flag == FLAG_PLAIN:
            data = payload
        elif flag == FLAG_AES_GCM:
            if self.data_key is None:
                raise BlobProblem("it is encrypted, and no key was given")
            from cryptography.exceptions import InvalidTag

            try:
                data = self.aead().decrypt(nonce, payload, ref.encode("ascii"))
            except InvalidTag:
                raise BlobProblem(
                    "it does not open with this key (damaged, or another key)"
                ) from None
        else:
            raise BlobProblem(f"it has an unknown kind ({flag})")
        if photo_ref(data) != ref:
            raise BlobProblem("its contents do not match its name (damaged)")
        return data

    def is_sealed_with_me(self, blob: bytes) -> bool:
        """Whether ``blob``'s flag is this cipher's kind (plain or encrypted)."""
        if len(blob) < HEADER_BYTES or not blob.startswith(MAGIC):
            return False
        return blob[len(MAGIC)] == (FLAG_AES_GCM if self.encrypted else FLAG_PLAIN)


def write_file_atomically(path: Path, data: bytes, *, sync_folder: bool = True) -> None:
    """Write ``data`` to a unique ``.partial`` beside ``path``, flush it, rename it over.

    With ``sync_folder`` false the caller fsyncs the folder itself (once for many files).
    """
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=PARTIAL_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise
    if sync_folder:
        fsync_folder(path.parent)


@dataclass(frozen=True)
class RekeyResult:
    """What ``reencrypt`` did."""

    rekeyed: int
    """Blobs re-written under the new key."""
    already: int
    """Blobs already under the new key (a re-key stopped earlier and run again)."""
    damaged: tuple[str, ...] = ()
    """Refs whose blob opens under neither key, or whose bytes do not match the ref."""

    @property
    def ok(self) -> bool:
        return not self.damaged


class PhotosNotRekeyed(StorageError):
    """Some photos could not be re-keyed; ``result.damaged`` says which (keep the old key)."""

    def __init__(self, result: RekeyResult) -> None:
        n = len(result.damaged)
        super().__init__(
            f"{n} photo file{'s' if n != 1 else ''} in the data folder could not be read, so "
            "they were not re-keyed; every other photo was.",
            advice="Restore the photos from a backup, then run the change again.",
        )
        self.result = result


@dataclass
class FolderPhotoStore:
    """A ``PhotoStore`` in one folder (``open_photo_store`` for a data folder's).

    Args:
        folder: The store's folder (``photos``); created when the first photo is put.
        key: The clinic's 32-byte data key (None: a plain clinic, blobs kept as they are).
    """

    folder: Path
    key: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.folder = Path(self.folder)

    @cached_property
    def _cipher(self) -> _Cipher:
        return _Cipher(self.key)

    @property
    def encrypted(self) -> bool:
        return self.key is not None

    def path_of(self, ref: str) -> Path:
        """The file of ``ref`` (``photos/ab/ab….blob``), whether or not it exists."""
        _check_ref(ref)
        return self.folder / ref[:2] / f"{ref}{BLOB_SUFFIX}"

    # ---- the protocol ---------------------------------------------------------------------
    def put(self, data: bytes) -> str:
        """Keep ``data`` (encrypted if the clinic is) and return its ref; a ref already stored
        is not written again.

        Raises:
            StorageError: the folder cannot be written (full, read-only, gone).
        """
        ref = photo_ref(data)
        path = self.path_of(ref)
        if path.is_file() and self.problem(ref) is None:
            return ref
        # A file already there that does not open (damaged on the disk) is replaced by a
        # sound one with the same contents: the one case where a blob is written over.
        blob = self._cipher.seal(data, ref)
        with copy_errors(self.folder, outcome="the photo was not saved"):
            new_folder = not path.parent.is_dir()
            path.parent.mkdir(parents=True, exist_ok=True)
            write_file_atomically(path, blob)
            if new_folder:
                fsync_folder(path.parent.parent)
        return ref

    def get(self, ref: str) -> bytes:
        """The photo's bytes, checked against its ref.

        Raises:
            StorageError: the file is missing or damaged (or encrypted with another key).
        """
        blob = self.read_blob(ref)
        try:
            return self._cipher.open(blob, ref)
        except BlobProblem as exc:
            log.warning("photo %s unreadable: %s", ref, exc)
            raise StorageError(
                f"A photo's file in the data folder is damaged, so the photo cannot be shown "
                f"({self._short(ref)}: {exc}).",
                advice="Restore the photos from a backup, or ask whoever looks after this PC.",
            ) from exc

    def exists(self, ref: str) -> bool:
        return self.path_of(ref).is_file()

    def refs(self) -> Iterator[str]:
        if not self.folder.is_dir():
            return
        with _errors(self.folder):
            for sub in sorted(self.folder.iterdir()):
                if len(sub.name) != 2 or not sub.is_dir():
                    continue
                for item in sorted(sub.iterdir()):
                    ref = item.name.removesuffix(BLOB_SUFFIX)
                    if item.name.endswith(BLOB_SUFFIX) and is_ref(ref) and ref[:2] == sub.name:
                        yield ref

    # ---- file-level work (backups, restore, re-keying) ------------------------------------
    def read_blob(self, ref: str) -> bytes:
        """The blob file's bytes as stored (sealed).

        Raises:
            StorageError: the file is missing or cannot be read.
        """
        path = self.path_of(ref)
        try:
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise StorageError(
                f"A photo's file is missing from {self.folder} ({self._short(ref)}), so the "
                "photo cannot be shown.",
                advice="Restore the photos from a backup, or ask whoever looks after this PC.",
            ) from exc
        except OSError as exc:
            raise StorageError(
                f"A photo's file in {self.folder} cannot be read ({self._short(ref)}).",
                advice="Check the drive, then try again.",
            ) from exc

    def problem(self, ref: str) -> str | None:
        """Why ``ref`` would not come back byte for byte, in words; None if it would."""
        try:
            blob = self.path_of(ref).read_bytes()
        except FileNotFoundError:
            return "its file is missing"
        except OSError as exc:
            return f"its file cannot be read ({exc.strerror or exc})"
        try:
            self._cipher.open(blob, ref)
        except BlobProblem as exc:
            return str(exc)
        return None

    def open_blob(self, blob: bytes, ref: str) -> bytes:
        """The plaintext of sealed ``blob`` bytes of ``ref`` (read from anywhere).

        Raises:
            BlobProblem: they are not a sound blob of ``ref`` under this store's key.
        """
        return self._cipher.open(blob, ref)

    def put_blob(self, ref: str, blob: bytes, *, sync_folder: bool = True) -> Path:
        """Install sealed ``blob`` bytes as they are (a copy of another store's file), after
        checking that they open under this store's key and match ``ref``; replaces a file
        of another size (a damaged copy). Read back and compared before returning.

        Raises:
            BlobProblem: the bytes are not a sound blob of ``ref`` for this store.
            StorageError: the folder cannot be written, or the copy read back differs.
        """
        self._cipher.open(blob, ref)
        path = self.path_of(ref)
        with copy_errors(self.folder, outcome="the photo was not copied"):
            path.parent.mkdir(parents=True, exist_ok=True)
            write_file_atomically(path, blob, sync_folder=sync_folder)
            if hashlib.sha256(path.read_bytes()).digest() != hashlib.sha256(blob).digest():
                raise StorageError(
                    f"A photo copied into {self.folder} did not read back the same "
                    f"({self._short(ref)}).",
                    advice="Check the drive (it may be failing), then try again.",
                )
        return path

    def sync(self, folders: Iterable[Path] = ()) -> None:
        """Flush the renames in ``folders`` (fan-out folders) and the store folder itself."""
        with _errors(self.folder):
            for folder in sorted(set(folders)):
                fsync_folder(folder)
            if self.folder.is_dir():
                fsync_folder(self.folder)

    def reencrypt(
        self, old_key: bytes | None, new_key: bytes | None, progress: Progress | None = None
    ) -> RekeyResult:
        """Re-write every blob from ``old_key`` to ``new_key`` (None: plain), then verify.

        Each blob is replaced atomically by one with the same plaintext under the new key and
        read back; a blob already under the new key is left alone, so a re-key stopped by a
        power cut is finished by running it again with the same keys. Afterwards this store
        uses ``new_key``. Blobs that open under neither key are left as they are.

        Raises:
            PhotosNotRekeyed: some blobs could not be read (``.result.damaged``); every other
                blob was re-keyed. Keep the old key until this is resolved.
            StorageError: the folder cannot be written.
        """
        old, new = _Cipher(old_key), _Cipher(new_key)
        refs = list(self.refs())
        rekeyed = already = 0
        damaged: list[str] = []
        folders: set[Path] = set()
        for done, ref in enumerate(refs):
            path = self.path_of(ref)
            with _errors(self.folder):
                blob = path.read_bytes()
            if new.is_sealed_with_me(blob) and _opens(new, blob, ref):
                already += 1
            else:
                try:
                    data = old.open(blob, ref)
                except BlobProblem as exc:
                    log.warning("photo %s not re-keyed: %s", ref, exc)
                    damaged.append(ref)
                else:
                    sealed = new.seal(data, ref)
                    with copy_errors(self.folder, outcome="the photos were not all re-keyed"):
                        write_file_atomically(path, sealed, sync_folder=False)
                    folders.add(path.parent)
                    with _errors(self.folder):
                        if not _opens(new, path.read_bytes(), ref):
                            damaged.append(ref)
                    rekeyed += 1
            if progress is not None:
                progress(done + 1, len(refs))
        self.sync(folders)
        self.key = new_key
        self.__dict__.pop("_cipher", None)
        result = RekeyResult(rekeyed, already, tuple(damaged))
        log.info("photos re-keyed: %d, already: %d, damaged: %d", rekeyed, already, len(damaged))
        if damaged:
            raise PhotosNotRekeyed(result)
        return result

    @staticmethod
    def _short(ref: str) -> str:
        return f"photo {ref[:12]}"


def _opens(cipher: _Cipher, blob: bytes, ref: str) -> bool:
    try:
        cipher.open(blob, ref)
    except BlobProblem:
        return False
    return True


@contextlib.contextmanager
def _errors(folder: Path) -> Iterator[None]:
    with copy_errors(folder, outcome="the photos could not be read"):
        yield


def photos_folder(data_folder: Path) -> Path:
    """The photo store's folder inside a data folder (or a backup folder)."""
    return Path(data_folder) / PHOTOS_FOLDER


def backup_photos_folder(backup_folder: Path, key: bytes | None) -> Path:
    """Where a backup folder keeps the photos of backups made under ``key``: one folder per
    key (``photos/<key id>``, ``photos/plain``). A blob's name is its plaintext's SHA-256, the
    same under any key, so after a re-key (or encrypting a plain clinic) a new backup must
    not take a blob sealed under the old key for one it can open."""
    if key is None:
        return photos_folder(backup_folder) / "plain"
    fingerprint = hashlib.sha256(b"ExoDesk backup photos\0" + blob_key(key)).hexdigest()[:16]
    return photos_folder(backup_folder) / fingerprint


def open_photo_store(paths: DataPaths, key: bytes | None) -> FolderPhotoStore:
    """The photo store of a clinic's data folder (``photos`` beside the data file).

    Args:
        paths: The data folder.
        key: The clinic's data key (None: a plain clinic).
    """
    return FolderPhotoStore(photos_folder(paths.folder), key)
