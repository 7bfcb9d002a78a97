"""The photo store: content-addressed blobs, AES-256-GCM in an encrypted clinic, re-keying."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import pytest

from exodesk.errors import StorageError
from exodesk.paths import DataPaths
from exodesk.storage import photo_store as module
from exodesk.storage.photo_store import (
    FLAG_AES_GCM,
    FLAG_PLAIN,
    HEADER_BYTES,
    MAGIC,
    FolderPhotoStore,
    PhotosNotRekeyed,
    PhotoStore,
    blob_key,
    open_photo_store,
)

KEY = bytes(range(1, 33))
OTHER_KEY = bytes(range(101, 133))
PHOTO = b"\xff\xd8\xff\xe0" + b"JFIF canary pattern Zyzzyva " * 40 + b"\xff\xd9"


def _store(tmp_path: Path, key: bytes | None = KEY) -> FolderPhotoStore:
    return open_photo_store(DataPaths(tmp_path / "clinic"), key)


@pytest.mark.parametrize("key", [KEY, None], ids=["encrypted", "plain"])
def test_put_get_round_trip_by_sha256(tmp_path: Path, key: bytes | None) -> None:
    store = _store(tmp_path, key)
    assert isinstance(store, PhotoStore)
    ref = store.put(PHOTO)
    assert ref == hashlib.sha256(PHOTO).hexdigest()
    path = tmp_path / "clinic" / "photos" / ref[:2] / f"{ref}.blob"
    assert store.path_of(ref) == path and path.is_file()
    assert store.exists(ref) and not store.exists("0" * 64)
    assert store.get(ref) == PHOTO
    assert list(store.refs()) == [ref]
    blob = path.read_bytes()
    assert blob.startswith(MAGIC)
    if key is None:
        assert blob[len(MAGIC)] == FLAG_PLAIN and blob[HEADER_BYTES:] == PHOTO
    else:
        assert blob[len(MAGIC)] == FLAG_AES_GCM
        assert b"Zyzzyva" not in blob and b"\xff\xd8\xff" not in blob
        assert len(blob) == HEADER_BYTES + len(PHOTO) + 16  # the GCM tag
    # No partial files are left behind.
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_put_is_idempotent_and_never_rewrites_a_sound_blob(tmp_path: Path) -> None:
    store = _store(tmp_path)
    ref = store.put(PHOTO)
    before = store.path_of(ref).read_bytes()
    assert store.put(PHOTO) == ref
    assert store.path_of(ref).read_bytes() == before  # the same nonce: not written again


def test_each_blob_has_its_own_nonce(tmp_path: Path) -> None:
    store = _store(tmp_path)
    a, b = store.put(b"one" * 100), store.put(b"two" * 100)
    nonce = slice(len(MAGIC) + 1, HEADER_BYTES)
    assert store.path_of(a).read_bytes()[nonce] != store.path_of(b).read_bytes()[nonce]


def test_the_key_is_derived_with_hkdf_not_the_data_key_itself() -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    expected = HKDF(hashes.SHA256(), 32, None, b"ExoDesk photos v1").derive(KEY)
    assert blob_key(KEY) == expected != KEY


def test_a_missing_blob_is_a_plain_storage_error(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with pytest.raises(StorageError, match="missing") as caught:
        store.get("ab" * 32)
    assert "Restore the photos from a backup" in str(caught.value)


@pytest.mark.parametrize(
    "damage",
    ["flip-a-ciphertext-byte", "truncate", "not-a-blob", "swap-files"],
)
def test_a_damaged_blob_is_a_plain_storage_error(tmp_path: Path, damage: str) -> None:
    store = _store(tmp_path)
    ref = store.put(PHOTO)
    other = store.put(b"another photo" * 50)
    path = store.path_of(ref)
    blob = bytearray(path.read_bytes())
    if damage == "flip-a-ciphertext-byte":
        blob[HEADER_BYTES + 10] ^= 0x01
    elif damage == "truncate":
        blob = blob[: len(blob) // 2]
    elif damage == "not-a-blob":
        blob = bytearray(b"GIF89a" + bytes(100))
    else:
        blob = bytearray(store.path_of(other).read_bytes())  # the ref is the AAD
    path.write_bytes(bytes(blob))
    with pytest.raises(StorageError, match="damaged, so the photo cannot be shown"):
        store.get(ref)
    assert store.problem(ref) is not None
    assert store.problem(other) is None


def test_a_plain_blob_whose_bytes_do_not_match_its_ref_is_damaged(tmp_path: Path) -> None:
    store = _store(tmp_path, None)
    ref = store.put(PHOTO)
    path = store.path_of(ref)
    path.write_bytes(path.read_bytes()[:-1] + b"X")
    with pytest.raises(StorageError, match="do not match"):
        store.get(ref)


def test_another_key_does_not_open_and_a_plain_store_refuses_encrypted_blobs(
    tmp_path: Path,
) -> None:
    ref = _store(tmp_path, KEY).put(PHOTO)
    with pytest.raises(StorageError, match="another key"):
        _store(tmp_path, OTHER_KEY).get(ref)
    with pytest.raises(StorageError, match="encrypted, and no key"):
        _store(tmp_path, None).get(ref)


def test_put_repairs_a_damaged_blob_with_the_same_contents(tmp_path: Path) -> None:
    store = _store(tmp_path)
    ref = store.put(PHOTO)
    store.path_of(ref).write_bytes(b"rubbish")
    assert store.put(PHOTO) == ref
    assert store.get(ref) == PHOTO


def test_put_on_a_full_disk_says_so_plainly_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(tmp_path)
    real_fsync = os.fsync

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(module.os, "fsync", full)
    with pytest.raises(StorageError, match=r"The disk is full .*the photo was not saved"):
        store.put(PHOTO)
    monkeypatch.setattr(module.os, "fsync", real_fsync)
    assert [p for p in store.folder.rglob("*") if p.is_file()] == []
    assert store.get(store.put(PHOTO)) == PHOTO


def test_refs_ignore_partials_and_strangers(tmp_path: Path) -> None:
    store = _store(tmp_path)
    ref = store.put(PHOTO)
    sub = store.path_of(ref).parent
    (sub / f"{ref}.blob.x1.partial").write_bytes(b"half")
    (sub / "notes.txt").write_text("hello")
    (store.folder / "zz").mkdir()
    (store.folder / "zz" / f"{'ab' * 32}.blob").write_bytes(b"misfiled")
    assert list(store.refs()) == [ref]
    assert list(_store(tmp_path / "nowhere").refs()) == []


# ---- re-keying ---------------------------------------------------------------------------
def _photos(n: int) -> list[bytes]:
    return [f"photo {i} ".encode() * 200 for i in range(n)]


@pytest.mark.parametrize(
    ("old", "new"),
    [(KEY, OTHER_KEY), (None, KEY), (KEY, None)],
    ids=["new-key", "encrypting", "decrypting"],
)
def test_reencrypt_moves_every_blob_to_the_new_key(
    tmp_path: Path, old: bytes | None, new: bytes | None
) -> None:
    store = _store(tmp_path, old)
    refs = [store.put(p) for p in _photos(5)]
    seen: list[tuple[int, int]] = []
    result = store.reencrypt(old, new, lambda done, total: seen.append((done, total)))
    assert result.ok and result.rekeyed == 5 and result.already == 0
    assert seen[-1] == (5, 5) and len(seen) == 5
    assert store.key == new
    fresh = _store(tmp_path, new)
    assert [fresh.get(r) for r in refs] == _photos(5)
    flag = FLAG_PLAIN if new is None else FLAG_AES_GCM
    assert all(fresh.path_of(r).read_bytes()[len(MAGIC)] == flag for r in refs)
    if old is not None and new is not None:
        with pytest.raises(StorageError):
            _store(tmp_path, old).get(refs[0])


def test_a_reencrypt_stopped_halfway_finishes_when_run_again(tmp_path: Path) -> None:
    store = _store(tmp_path, KEY)
    refs = [store.put(p) for p in _photos(6)]

    class PowerCut(Exception):
        pass

    def cut(done: int, _total: int) -> None:
        if done == 3:
            raise PowerCut

    with pytest.raises(PowerCut):
        store.reencrypt(KEY, OTHER_KEY, cut)
    again = _store(tmp_path, KEY).reencrypt(KEY, OTHER_KEY)
    assert (again.rekeyed, again.already) == (3, 3)
    assert [_store(tmp_path, OTHER_KEY).get(r) for r in refs] == _photos(6)
    assert not list(store.folder.rglob("*.partial"))


def test_reencrypt_reports_damaged_blobs_and_rekeys_the_rest(tmp_path: Path) -> None:
    store = _store(tmp_path, KEY)
    refs = [store.put(p) for p in _photos(3)]
    store.path_of(refs[1]).write_bytes(b"rubbish")
    with pytest.raises(PhotosNotRekeyed, match="1 photo file in the data folder") as caught:
        store.reencrypt(KEY, OTHER_KEY)
    assert caught.value.result.damaged == (refs[1],)
    assert caught.value.result.rekeyed == 2
    new = _store(tmp_path, OTHER_KEY)
    assert new.get(refs[0]) == _photos(3)[0] and new.get(refs[2]) == _photos(3)[2]


def test_refs_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a photo ref"):
        _store(tmp_path).path_of("../../etc/passwd")
    assert module.is_ref("a" * 64) and not module.is_ref("A" * 64)
