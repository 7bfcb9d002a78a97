"""Photos in backups: incremental copies, the drill's byte-for-byte proof, restore, rotation."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from exodesk.domain.staff import StaffMember
from exodesk.errors import StorageError
from exodesk.paths import DataPaths
from exodesk.services.backups import BackupService, BackupStopped, drill_backups, restore_file
from exodesk.services.demo import seat
from exodesk.services.workspace import Services, open_services
from exodesk.storage.backup_files import discard_stale_partials, prune_backups, sidecar_of
from exodesk.storage.photo_backup import refs_digest
from exodesk.storage.photo_store import FolderPhotoStore, backup_photos_folder, open_photo_store
from tests.conftest import ADMIN_PASSWORD, FakeClock
from tests.photo_rows import add_row, new_set, some_patient

KEY = bytes(range(7, 39))


def jpeg(n: int, size: int = 3000) -> bytes:
    """A distinct small 'photo' (JPEG markers around a pattern)."""
    body = f"photo number {n} ".encode() * (size // 16)
    return b"\xff\xd8\xff\xe0" + body + b"\xff\xd9"


def record_photos(svc: Services, *photos: bytes, thumbs: bool = True) -> list[str]:
    """Put ``photos`` (and a thumbnail of each) into the store and name them in the data file
    (a set of the first patient's; without ``thumbs`` a photo is its own thumbnail)."""
    store = svc.ctx.photos_store
    set_id = new_set(svc.ctx.db, some_patient(svc))
    refs = []
    for data in photos:
        ref = store.put(data)
        thumb = store.put(data[:200] + b"thumb") if thumbs else ref
        add_row(svc.ctx.db, set_id, ref, thumb)
        refs += [ref] + ([thumb] if thumbs else [])
    return refs


@pytest.fixture(params=[True, False], ids=["encrypted", "plain"])
def clinic(
    request: pytest.FixtureRequest, data_paths: DataPaths, clock: FakeClock
) -> Iterator[Services]:
    svc = open_services(data_paths, create=True, clock=clock, key=KEY if request.param else None)
    admin = StaffMember("Ada Admin", "practitioner", is_admin=True)
    assert svc.accounts.first_account(admin, ADMIN_PASSWORD).ok
    yield svc
    svc.close()


def shared_photos(svc: Services) -> Path:
    return backup_photos_folder(svc.paths.backups, svc.key)


def blob_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.blob"))


def test_the_context_builds_the_store_beside_the_data_file(clinic: Services) -> None:
    store = clinic.ctx.photos_store
    assert store is clinic.ctx.photos_store  # built once
    assert store.folder == clinic.paths.folder / "photos"
    assert store.encrypted == (clinic.key is not None)


def test_a_backup_copies_the_photos_its_records_name_and_records_them(
    clinic: Services, clock: FakeClock
) -> None:
    refs = record_photos(clinic, jpeg(1), jpeg(2), jpeg(3))
    orphan = clinic.ctx.photos_store.put(jpeg(99))  # in the store, named by no record
    backups = BackupService(clinic.ctx, clinic.paths)
    record = backups.backup_now(reason="daily")
    assert record.photos_copied == 6 and record.photo_refs == 6
    assert record.photo_bytes_copied == sum(
        clinic.ctx.photos_store.path_of(r).stat().st_size for r in refs
    )
    meta = json.loads(sidecar_of(record.path).read_text(encoding="utf-8"))
    assert meta["photo_refs"] == 6
    assert meta["photo_refs_sha256"] == refs_digest(refs)
    assert meta["photos_missing"] == 0
    copies = FolderPhotoStore(shared_photos(clinic), clinic.key)
    assert sorted(copies.refs()) == sorted(refs)
    assert not copies.exists(orphan)
    for ref in refs:  # copied as stored: the same sealed bytes
        assert copies.path_of(ref).read_bytes() == clinic.ctx.photos_store.path_of(ref).read_bytes()
    assert not list(shared_photos(clinic).rglob("*.partial"))


def test_the_next_backup_copies_only_the_new_photos(clinic: Services, clock: FakeClock) -> None:
    record_photos(clinic, *(jpeg(i) for i in range(10)))
    backups = BackupService(clinic.ctx, clinic.paths)
    first = backups.backup_now(reason="daily")
    before = {p: p.stat().st_mtime_ns for p in blob_files(shared_photos(clinic))}
    clock.advance(days=1)
    new = record_photos(clinic, jpeg(100), jpeg(101), thumbs=False)
    second = backups.backup_now(reason="daily")
    assert (first.photos_copied, second.photos_copied) == (20, 2)
    assert second.photo_refs == 22
    assert second.photo_bytes_copied == sum(
        clinic.ctx.photos_store.path_of(r).stat().st_size for r in new
    )
    after = {p: p.stat().st_mtime_ns for p in blob_files(shared_photos(clinic))}
    assert {p: after[p] for p in before} == before  # nothing there was written again
    assert len(after) == 22


def test_a_damaged_copy_in_the_backup_folder_is_copied_again(clinic: Services) -> None:
    refs = record_photos(clinic, jpeg(1), thumbs=False)
    backups = BackupService(clinic.ctx, clinic.paths)
    backups.backup_now()
    copy = FolderPhotoStore(shared_photos(clinic), clinic.key).path_of(refs[0])
    copy.write_bytes(copy.read_bytes()[:100])  # cut short: another size
    assert backups.backup_now().photos_copied == 1
    assert FolderPhotoStore(shared_photos(clinic), clinic.key).get(refs[0]) == jpeg(1)


def test_the_drill_proves_every_photo_restores_byte_for_byte(clinic: Services) -> None:
    record_photos(clinic, jpeg(1), jpeg(2))
    backups = BackupService(clinic.ctx, clinic.paths)
    backups.backup_now()
    result = backups.drill()
    assert result.ok, result.problems
    assert result.photos == 4
    assert result.sentence().endswith(", 4 photos.")


@pytest.mark.parametrize("damage", ["flip", "missing", "swapped"])
def test_the_drill_fails_on_a_damaged_or_missing_photo(clinic: Services, damage: str) -> None:
    refs = record_photos(clinic, jpeg(1), jpeg(2), thumbs=False)
    backups = BackupService(clinic.ctx, clinic.paths)
    backups.backup_now()
    copies = FolderPhotoStore(shared_photos(clinic), clinic.key)
    path = copies.path_of(refs[1])
    if damage == "flip":
        data = bytearray(path.read_bytes())
        data[-5] ^= 0x01
        path.write_bytes(bytes(data))
    elif damage == "missing":
        path.unlink()
    else:
        path.write_bytes(copies.path_of(refs[0]).read_bytes())
    result = drill_backups(clinic.paths.backups, key=clinic.key)
    assert not result.ok
    assert f"1 of its 2 photos does not restore in {copies.folder}" in result.problems[0]
    assert refs[1][:12] in result.problems[0]
    assert "does NOT restore cleanly" in result.sentence()


def test_the_drill_fails_when_the_records_name_other_photos_than_recorded(
    clinic: Services,
) -> None:
    record_photos(clinic, jpeg(1), thumbs=False)
    backups = BackupService(clinic.ctx, clinic.paths)
    record = backups.backup_now()
    sidecar = sidecar_of(record.path)
    meta = json.loads(sidecar.read_text(encoding="utf-8"))
    meta["photo_refs_sha256"] = "0" * 64
    sidecar.write_text(json.dumps(meta), encoding="utf-8")
    result = drill_backups(clinic.paths.backups, key=clinic.key)
    assert result.problems == ["the photos it names differ from those recorded when it was made"]
    meta["photo_refs"] = 5
    sidecar.write_text(json.dumps(meta), encoding="utf-8")
    result = drill_backups(clinic.paths.backups, key=clinic.key)
    assert result.problems == ["it names 1 photos where 5 were recorded when it was made"]


def test_a_photo_damaged_in_the_data_folder_is_said_and_the_backup_still_made(
    clinic: Services,
) -> None:
    refs = record_photos(clinic, jpeg(1), jpeg(2), thumbs=False)
    clinic.ctx.photos_store.path_of(refs[0]).write_bytes(b"rubbish")
    backups = BackupService(clinic.ctx, clinic.paths)
    record = backups.backup_now()
    assert record.verified and record.photos_copied == 1 and record.photos_missing == 1
    assert "1 photo could not be backed up" in record.sentence()
    assert not drill_backups(clinic.paths.backups, key=clinic.key).ok


def test_stopping_a_backup_while_photos_are_copied_leaves_no_backup(clinic: Services) -> None:
    record_photos(clinic, *(jpeg(i) for i in range(5)), thumbs=False)
    backups = BackupService(clinic.ctx, clinic.paths)
    calls: list[tuple[int, int]] = []

    def stop(done: int, total: int) -> None:
        calls.append((done, total))
        if total != calls[0][1] and total - done == 2:  # the photos' part: 3 of 5 copied
            raise BackupStopped()

    with pytest.raises(BackupStopped):
        backups.backup_now(progress=stop)
    assert not list(clinic.paths.backups.glob("*.sqlite3"))
    assert not list(clinic.paths.backups.glob("*.json"))
    assert not list(clinic.paths.backups.rglob("*.partial"))
    pages = calls[0][1]
    assert (pages + 3, pages + 5) in calls
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)  # never goes back
    # The blobs copied so far stay (they are content-addressed); the next backup adds the rest.
    assert backups.backup_now().photos_copied == 2


def test_rotation_never_deletes_the_shared_photos(clinic: Services, clock: FakeClock) -> None:
    refs = record_photos(clinic, jpeg(1), thumbs=False)
    backups = BackupService(clinic.ctx, clinic.paths)
    for _ in range(12):
        backups.backup_now(reason="daily")
        clock.advance(days=1)
    removed = prune_backups(clinic.paths.backups, clock())
    assert removed  # old backup files went
    assert FolderPhotoStore(shared_photos(clinic), clinic.key).get(refs[0]) == jpeg(1)
    assert drill_backups(clinic.paths.backups, key=clinic.key).ok


def test_a_restore_brings_back_only_the_missing_photos(
    data_paths: DataPaths, clinic: Services, clock: FakeClock
) -> None:
    refs = record_photos(clinic, jpeg(1), jpeg(2), thumbs=False)
    backups = BackupService(clinic.ctx, clinic.paths)
    record = backups.backup_now()
    key = clinic.key
    clinic.close()
    store = open_photo_store(data_paths, key)
    kept = store.path_of(refs[0])
    kept_bytes, kept_time = kept.read_bytes(), kept.stat().st_mtime_ns
    store.path_of(refs[1]).unlink()
    result = restore_file(data_paths, record.path, now=clock(), key=key)
    assert (result.photos_restored, result.photos_not_restored) == (1, 0)
    assert store.get(refs[1]) == jpeg(2)
    assert kept.read_bytes() == kept_bytes and kept.stat().st_mtime_ns == kept_time
    assert "photos" not in result.message()


def test_a_restore_says_which_photos_it_could_not_bring_back(
    data_paths: DataPaths, clinic: Services, clock: FakeClock
) -> None:
    refs = record_photos(clinic, jpeg(1), jpeg(2), thumbs=False)
    backups = BackupService(clinic.ctx, clinic.paths)
    record = backups.backup_now()
    key = clinic.key
    clinic.close()
    for folder in (data_paths.folder / "photos", backup_photos_folder(data_paths.backups, key)):
        FolderPhotoStore(folder, key).path_of(refs[1]).unlink()
    result = restore_file(data_paths, record.path, now=clock(), key=key)
    assert (result.photos_restored, result.photos_not_restored) == (0, 1)
    assert "1 of its photos could not be brought back" in result.message()


def test_a_plain_backups_photos_are_encrypted_on_their_way_into_an_encrypted_clinic(
    data_paths: DataPaths, clock: FakeClock
) -> None:
    svc = open_services(data_paths, create=True, clock=clock)
    admin = StaffMember("Ada Admin", "practitioner", is_admin=True)
    assert svc.accounts.first_account(admin, ADMIN_PASSWORD).ok
    refs = record_photos(svc, jpeg(1), thumbs=False)
    record = BackupService(svc.ctx, svc.paths).backup_now()
    svc.close()
    # The clinic is now an encrypted one (its own photos folder gone with the old PC).
    plain_store = open_photo_store(data_paths, None)
    plain_store.path_of(refs[0]).unlink()
    restore_file(data_paths, record.path, now=clock(), key=KEY)
    restored = open_photo_store(data_paths, KEY)
    blob = restored.path_of(refs[0]).read_bytes()
    assert b"photo number" not in blob and restored.get(refs[0]) == jpeg(1)


def test_restoring_photos_into_a_full_disk_still_restores_the_records(
    data_paths: DataPaths, clinic: Services, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from exodesk.storage import photo_store

    refs = record_photos(clinic, jpeg(1), thumbs=False)
    record = BackupService(clinic.ctx, clinic.paths).backup_now()
    key = clinic.key
    clinic.close()
    open_photo_store(data_paths, key).path_of(refs[0]).unlink()

    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    real = photo_store.write_file_atomically
    monkeypatch.setattr(photo_store, "write_file_atomically", full)
    result = restore_file(data_paths, record.path, now=clock(), key=key)
    monkeypatch.setattr(photo_store, "write_file_atomically", real)
    assert "Its photos were not brought back: The disk is full" in result.message()
    again = restore_file(data_paths, record.path, now=clock(), key=key)
    assert again.photos_restored == 1


def test_a_backup_made_before_photos_existed_still_drills(clinic: Services) -> None:
    backups = BackupService(clinic.ctx, clinic.paths)
    record = backups.backup_now()
    assert record.photo_refs == 0
    sidecar = sidecar_of(record.path)
    meta = json.loads(sidecar.read_text(encoding="utf-8"))
    for name in [k for k in meta if k.startswith("photo")]:
        del meta[name]
    sidecar.write_text(json.dumps(meta), encoding="utf-8")
    result = drill_backups(clinic.paths.backups, key=clinic.key)
    assert result.ok and result.photos == 0


def test_a_photo_file_that_cannot_be_read_fails_with_a_plain_sentence(clinic: Services) -> None:
    with pytest.raises(StorageError, match="missing from"):
        clinic.ctx.photos_store.get("cd" * 32)


def test_a_photo_copy_cut_off_by_a_crash_is_cleaned_up_later(
    clinic: Services, clock: FakeClock
) -> None:
    refs = record_photos(clinic, jpeg(1), thumbs=False)
    BackupService(clinic.ctx, clinic.paths).backup_now()
    fan = FolderPhotoStore(shared_photos(clinic), clinic.key).path_of(refs[0]).parent
    stale, young = fan / f"{refs[0]}.blob.a1.partial", fan / f"{refs[0]}.blob.b2.partial"
    for path, age in ((stale, 3600), (young, 0)):
        path.write_bytes(b"half a photo")
        os.utime(path, (clock().timestamp() - age, clock().timestamp() - age))
    assert discard_stale_partials(clinic.paths.backups, clock()) == [stale]
    assert young.exists() and FolderPhotoStore(fan.parent, clinic.key).exists(refs[0])


def test_a_backup_after_the_photos_were_sealed_under_a_new_key_copies_them_again(
    data_paths: DataPaths, clock: FakeClock
) -> None:
    """A blob's name is the same under any key: after the clinic's key changed (a re-key, or
    a plain clinic encrypted), the backup folder's copy under the old key must not be taken
    for one the new key opens (before: the new backup's photos did not restore)."""
    from exodesk.storage.engine import KEY_BYTES

    old_key, new_key = b"\x01" * KEY_BYTES, b"\x02" * KEY_BYTES
    svc = open_services(data_paths, create=True, clock=clock, key=old_key)
    try:
        admin = StaffMember("Ada Admin", "practitioner", is_admin=True)
        assert svc.accounts.first_account(admin, ADMIN_PASSWORD).ok
        refs = record_photos(svc, jpeg(1), thumbs=False)
        first = BackupService(svc.ctx, svc.paths).backup_now()
    finally:
        svc.close()
    # The clinic's key changes: the data file and its photos are sealed under the new one.
    from exodesk.storage.engine import sqlite3 as engine_sqlite

    conn = engine_sqlite.connect(str(data_paths.data_file))
    conn.execute(f"PRAGMA key = \"x'{old_key.hex()}'\"")
    conn.execute(f"PRAGMA rekey = \"x'{new_key.hex()}'\"")
    conn.close()
    FolderPhotoStore(data_paths.folder / "photos", old_key).reencrypt(old_key, new_key)
    svc = open_services(data_paths, clock=clock, key=new_key)
    try:
        seat(svc, 1)
        second = BackupService(svc.ctx, svc.paths).backup_now()
    finally:
        svc.close()
    assert second.path != first.path
    # Each backup's photos open with its own key, so both drill and restore.
    for key in (old_key, new_key):
        store = FolderPhotoStore(backup_photos_folder(data_paths.backups, key), key)
        assert store.get(refs[0]) == FolderPhotoStore(data_paths.folder / "photos", new_key).get(
            refs[0]
        )
    assert drill_backups(data_paths.backups, key=new_key).ok
