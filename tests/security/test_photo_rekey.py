"""A re-key (or an encryption) stopped during its photo step is finished at the next open.

The data file and keyring swap first; the photos follow. A kill in between used to leave
blobs under the retired key for ever (or plain at rest): the note written before the swap
(``exodesk.photos-rekey-pending``, the old key sealed under the new one) has the next
``open_services`` with the new key finish the job.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from pathlib import Path

import pytest

from exodesk.domain.staff import StaffMember
from exodesk.errors import StorageError
from exodesk.paths import DataPaths
from exodesk.services import encryption, rekey
from exodesk.services.workspace import open_services
from exodesk.storage import photo_store
from exodesk.storage import rekey as storage_rekey
from exodesk.storage.keys import KdfParams, new_data_key
from exodesk.storage.photo_rekey import (
    NOTE_NAME,
    NoteUnreadable,
    note_path,
    read_note,
    write_note,
)
from exodesk.storage.photo_store import FLAG_AES_GCM, MAGIC, FolderPhotoStore, photos_folder
from tests.conftest import ADMIN_PASSWORD, FakeClock
from tests.security.test_rekey import _clinic, _ids, _signed_in

TINY = KdfParams(time_cost=1, memory_cost=8, parallelism=1)
PHOTOS = 8
KILL_AFTER = 3  # blobs re-written before the process is killed

fork_only = pytest.mark.skipif(not hasattr(os, "fork"), reason="kills a forked process (POSIX)")


def jpeg(n: int) -> bytes:
    return b"\xff\xd8\xff\xe0" + f"clinical photo {n} ".encode() * 200 + b"\xff\xd9"


def _killed_after_some_blobs(work) -> None:  # type: ignore[no-untyped-def]
    """Run ``work`` in a forked child killed (no clean-up) as it is about to re-write blob
    number KILL_AFTER + 1 of the photo step."""
    pid = os.fork()
    if pid == 0:
        try:
            written = 0
            real = photo_store.write_file_atomically

            def write(path: Path, data: bytes, *, sync_folder: bool = True) -> None:
                nonlocal written
                if written == KILL_AFTER:
                    os._exit(9)
                real(path, data, sync_folder=sync_folder)
                written += 1

            photo_store.write_file_atomically = write  # the child's copy only
            work()
        finally:
            os._exit(0)
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 9


def _under(folder: Path, key: bytes | None, refs: list[str]) -> int:
    store = FolderPhotoStore(folder, key)
    return sum(
        1
        for r in refs
        if store.problem(r) is None and store.read_blob(r)[len(MAGIC)] == (key is not None)
    )


def _key_in_clear(folder: Path, key: bytes) -> list[str]:
    forms = [key, key.hex().encode(), key.hex().upper().encode(), base64.b64encode(key)]
    forms.append(base64.urlsafe_b64encode(key))
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and any(f in p.read_bytes() for f in forms)
    )


@pytest.fixture
def rekey_clinic(tmp_path: Path):  # type: ignore[no-untyped-def]
    clock = FakeClock()
    paths = DataPaths(tmp_path / "clinic")
    old, _backup = _clinic(paths, clock, generation=2)
    clock.advance(hours=1)
    svc = _signed_in(paths, old.data, clock)
    originals = {svc.ctx.photos_store.put(jpeg(n)): jpeg(n) for n in range(PHOTOS)}
    plan = rekey.prepare_rekey(svc, ADMIN_PASSWORD)
    svc.close()
    return paths, old, plan, originals, clock


@fork_only
def test_a_rekey_killed_during_its_photos_is_finished_at_the_next_open(rekey_clinic) -> None:
    paths, old, plan, originals, clock = rekey_clinic
    refs = sorted(originals)
    _killed_after_some_blobs(lambda: rekey.carry_out_rekey(plan))
    folder = photos_folder(paths.folder)
    new = plan.secret.data
    # Killed part way: the data file and keyring are under the new key, the photos split.
    assert rekey.finish_interrupted_rekey(paths) is None
    key = encryption.unlock(paths, _ids(paths)["Ada Admin"], ADMIN_PASSWORD)
    assert key == new
    assert _under(folder, new, refs) == KILL_AFTER
    assert _under(folder, old.data, refs) == PHOTOS - KILL_AFTER
    assert note_path(paths).is_file()
    assert _key_in_clear(paths.folder, old.data) == []  # the note holds it sealed

    svc = open_services(paths, key=key, clock=clock)
    try:
        assert svc.warnings == []
        for ref, data in originals.items():
            assert svc.ctx.photos_store.get(ref) == data  # byte for byte, under the new key
    finally:
        svc.close()
    assert _under(folder, new, refs) == PHOTOS
    assert not note_path(paths).exists()
    assert _key_in_clear(paths.folder, old.data) == []
    assert _key_in_clear(paths.folder, new) == []


@fork_only
def test_an_encryption_killed_during_its_photos_is_finished_at_the_next_open(
    tmp_path: Path,
) -> None:
    clock = FakeClock()
    paths = DataPaths(tmp_path / "clinic")
    svc = open_services(paths, create=True, clock=clock)
    assert svc.accounts.first_account(
        StaffMember("Ada Admin", "practitioner", is_admin=True), ADMIN_PASSWORD
    ).ok
    originals = {svc.ctx.photos_store.put(jpeg(n)): jpeg(n) for n in range(PHOTOS)}
    svc.close()
    refs = sorted(originals)
    data_key, _recovery = encryption.new_clinic_key()
    encryption.set_password(paths, 1, "Ada Admin", ADMIN_PASSWORD, data_key, kdf=TINY)
    _killed_after_some_blobs(lambda: encryption.encrypt_clinic(paths, data_key))
    folder = photos_folder(paths.folder)
    assert encryption.is_encrypted(paths)
    assert _under(folder, data_key, refs) == KILL_AFTER
    assert _under(folder, None, refs) == PHOTOS - KILL_AFTER  # plain at rest
    note = read_note(paths)
    assert note is not None and note.plain

    key = encryption.unlock(paths, 1, ADMIN_PASSWORD, kdf=TINY)
    svc = open_services(paths, key=key, clock=clock)
    try:
        assert svc.warnings == []
        for ref, data in originals.items():
            assert svc.ctx.photos_store.get(ref) == data
    finally:
        svc.close()
    assert not note_path(paths).exists()
    for ref, data in originals.items():
        blob = (folder / ref[:2] / f"{ref}.blob").read_bytes()
        assert blob[len(MAGIC)] == FLAG_AES_GCM and data[4:40] not in blob  # none left plain
    assert _key_in_clear(paths.folder, data_key) == []


def test_no_note_means_the_open_does_nothing_with_the_photos(rekey_clinic, monkeypatch) -> None:
    paths, old, _plan, originals, clock = rekey_clinic

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("reencrypt called at an ordinary open")

    monkeypatch.setattr(FolderPhotoStore, "reencrypt", refuse)
    assert not note_path(paths).exists()
    svc = open_services(paths, key=old.data, clock=clock)
    try:
        assert svc.warnings == []
        ref, data = next(iter(originals.items()))
        assert svc.ctx.photos_store.get(ref) == data
    finally:
        svc.close()


@fork_only
def test_a_rekey_killed_just_before_its_swap_drops_the_note_at_the_next_open(
    rekey_clinic,
) -> None:
    paths, old, plan, originals, clock = rekey_clinic

    def work() -> None:
        storage_rekey.install = lambda staged, path: os._exit(9)  # the child's copy only
        rekey.carry_out_rekey(plan)

    _killed_after_some_blobs(work)
    assert note_path(paths).is_file()  # written before the swap that did not happen
    assert rekey.finish_interrupted_rekey(paths) == "rolled back"
    svc = open_services(paths, key=old.data, clock=clock)
    try:
        assert svc.warnings == []
        for ref, data in originals.items():
            assert svc.ctx.photos_store.get(ref) == data
    finally:
        svc.close()
    assert not note_path(paths).exists()  # the change never took effect: nothing to finish


def test_a_failure_at_the_swap_takes_the_note_with_it(rekey_clinic, monkeypatch) -> None:
    paths, old, plan, _originals, _clock = rekey_clinic

    def fail(staged: Path, path: Path) -> None:
        raise StorageError("the disk is full")

    monkeypatch.setattr(storage_rekey, "install", fail)
    with pytest.raises(StorageError, match="disk is full"):
        rekey.carry_out_rekey(plan)
    assert not note_path(paths).exists()
    assert encryption.unlock(paths, _ids(paths)["Ada Admin"], ADMIN_PASSWORD) == old.data


@fork_only
def test_a_photo_that_cannot_be_done_is_said_and_the_note_stays(rekey_clinic) -> None:
    paths, _old, plan, originals, clock = rekey_clinic
    _killed_after_some_blobs(lambda: rekey.carry_out_rekey(plan))
    folder = photos_folder(paths.folder)
    left = [r for r in sorted(originals) if _under(folder, plan.secret.data, [r]) == 0]
    damaged = folder / left[0][:2] / f"{left[0]}.blob"
    raw = bytearray(damaged.read_bytes())
    raw[-1] ^= 0xFF
    damaged.write_bytes(bytes(raw))
    svc = open_services(paths, key=plan.secret.data, clock=clock)
    try:
        assert len(svc.warnings) == 1 and "1 photo file could not be read" in svc.warnings[0]
        for ref, data in originals.items():
            if ref != left[0]:
                assert svc.ctx.photos_store.get(ref) == data
    finally:
        svc.close()
    assert note_path(paths).is_file()  # kept: the next start tries again


def test_a_note_for_another_key_is_left_and_the_start_goes_on(
    rekey_clinic, caplog: pytest.LogCaptureFixture
) -> None:
    paths, old, _plan, originals, clock = rekey_clinic
    write_note(paths, new_data_key(), new_data_key())  # an older backup's, say
    before = note_path(paths).read_bytes()
    with caplog.at_level(logging.WARNING):
        svc = open_services(paths, key=old.data, clock=clock)
    try:
        assert svc.warnings == []
        ref, data = next(iter(originals.items()))
        assert svc.ctx.photos_store.get(ref) == data
    finally:
        svc.close()
    assert note_path(paths).read_bytes() == before
    assert "pending for another key" in caplog.text


def test_a_damaged_note_is_left_and_the_start_goes_on(rekey_clinic) -> None:
    paths, old, _plan, _originals, clock = rekey_clinic
    note_path(paths).write_text("{not json")
    open_services(paths, key=old.data, clock=clock).close()
    assert note_path(paths).read_text() == "{not json"


def test_the_note_holds_the_old_key_sealed_under_the_new_one(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path)
    old, new = new_data_key(), new_data_key()
    write_note(paths, old, new)
    assert (tmp_path / NOTE_NAME).is_file()
    assert _key_in_clear(tmp_path, old) == []
    note = read_note(paths)
    assert note is not None and note.old_key(new) == old
    body = json.loads(note_path(paths).read_text())
    body["sealed"] = body["sealed"][:-2] + ("00" if body["sealed"][-2:] != "00" else "11")
    note_path(paths).write_text(json.dumps(body))
    tampered = read_note(paths)
    assert tampered is not None
    with pytest.raises(NoteUnreadable, match="damaged"):
        tampered.old_key(new)
