"""Encryption at rest through the real services: no patient name on disk in the clear."""

from __future__ import annotations

import csv
import hashlib
import json
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from exodesk.domain.patient import Patient
from exodesk.domain.staff import StaffMember
from exodesk.errors import UserError
from exodesk.paths import DataPaths
from exodesk.services import encryption as enc
from exodesk.services.audit import AuditService
from exodesk.services.backups import (
    BackupService,
    backup_data_file,
    drill_backups,
    restore_file,
    verify_backup,
)
from exodesk.services.workspace import Services, open_services
from exodesk.storage.database import is_encrypted as file_is_encrypted
from exodesk.storage.keys import KdfParams
from tests.conftest import ADMIN_PASSWORD, FakeClock
from tests.photo_rows import name_refs

CANARY_GIVEN, CANARY_FAMILY = "Quennell", "Zyzzyva"
TINY = KdfParams(time_cost=1, memory_cost=8, parallelism=1)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _clear_text_in(path: Path) -> bool:
    """Whether the canary's names are in ``path``, in UTF-8 or UTF-16-LE, in any case."""
    data = path.read_bytes().lower()
    for word in (CANARY_GIVEN, CANARY_FAMILY):
        for encoding in ("utf-8", "utf-16-le"):
            if word.lower().encode(encoding) in data:
                return True
    return False


PHOTO_CANARY = b"ZyzzyvaPhotoCanary"
JPEG_MAGIC = b"\xff\xd8\xff\xe0"


def _canary_jpeg() -> bytes:
    """A real JPEG (Pillow) with a distinctive comment and pixel pattern."""
    import io

    from PIL import Image

    image = Image.new("RGB", (64, 48))
    image.putdata([((x * 37) % 256, (y * 91) % 256, 0x5A) for y in range(48) for x in range(64)])
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, comment=PHOTO_CANARY)
    data = out.getvalue()
    assert data.startswith(JPEG_MAGIC) and PHOTO_CANARY in data
    return data


def _photo_in(path: Path, photo: bytes) -> bool:
    """Whether ``path`` holds the JPEG's magic, its comment, or a slice of its pixel data."""
    data = path.read_bytes()
    return any(needle in data for needle in (JPEG_MAGIC, PHOTO_CANARY, photo[-200:-2]))


def _name_photo(svc: Services, ref: str) -> None:
    """Name the photo in the data file, as a photo's record does (so backups carry it)."""
    name_refs(svc, [ref])


def _files(*folders: Path) -> list[Path]:
    return [p for folder in folders if folder.is_dir() for p in folder.rglob("*") if p.is_file()]


def _open(paths: DataPaths, clock: FakeClock, key: bytes | None) -> Services:
    svc = open_services(paths, create=True, clock=clock, key=key)
    admin = StaffMember("Ada Admin", "practitioner", is_admin=True)
    assert svc.accounts.first_account(admin, ADMIN_PASSWORD).ok
    return svc


def _add(svc: Services, family: str, given: str = "Ann") -> int:
    result = svc.patients.create(Patient(family, given, date(1980, 5, 1), phone="01632 960123"))
    assert result.ok, result.problems
    return int(result.record.id)


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """This test's temp folder: Python's temp files (the drill's scratch copy) go here."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder


@pytest.mark.parametrize("checkpoint", [False, True], ids=["in-wal", "checkpointed"])
@pytest.mark.parametrize("encrypted", [True, False], ids=["encrypted", "plain"])
def test_no_patient_name_reaches_the_disk_in_the_clear(
    tmp_path: Path, scratch: Path, clock: FakeClock, encrypted: bool, checkpoint: bool
) -> None:
    paths = DataPaths(tmp_path / "clinic")
    data_key, _recovery = enc.new_clinic_key()
    key = data_key if encrypted else None
    svc = _open(paths, clock, key)
    try:
        if encrypted:
            enc.set_password(paths, 1, "Ada Admin", ADMIN_PASSWORD, data_key, kdf=TINY)
        db = svc.ctx.db
        assert db.execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY: no temp files
        db.execute("PRAGMA wal_autocheckpoint = 0")  # keep the new pages in the -wal
        patient_id = _add(svc, CANARY_FAMILY, CANARY_GIVEN)
        photo = _canary_jpeg()
        _name_photo(svc, svc.ctx.photos_store.put(photo))
        found = svc.patients.search("zyzzyva")
        assert [p.id for p in found.rows] == [patient_id]
        assert [p.id for p in svc.patients.search("quenn").rows] == [patient_id]
        backups = BackupService(svc.ctx, svc.paths)
        record = backups.backup_now()
        assert record.verified
        assert backups.drill().ok  # a scratch copy in the temp folder
        wal = paths.data_file.with_name(paths.data_file.name + "-wal")
        if checkpoint:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            assert wal.stat().st_size > 0
        open_files = [paths.data_file, wal, *_files(paths.backups, scratch)]
        leaks = [p for p in open_files if _clear_text_in(p)]
    finally:
        svc.close()
    leaks += [p for p in _files(paths.folder, scratch) if _clear_text_in(p)]
    # The photo: one blob in the data folder's store, one in the backups' shared folder.
    blobs = _files(paths.folder / "photos", paths.backups / "photos")
    assert len(blobs) == 2 and record.photo_refs == 1
    photo_leaks = [p for p in _files(paths.folder, scratch) if _photo_in(p, photo)]
    if encrypted:
        assert leaks == [], "patient names in the clear"
        assert photo_leaks == [], "photo bytes in the clear"
        assert file_is_encrypted(paths.data_file) and file_is_encrypted(record.path)
    else:
        # The same scan finds the name in a plain clinic: the test can fail.
        assert paths.data_file in leaks and record.path in leaks
        assert sorted(photo_leaks) == sorted(blobs)


def test_a_new_encrypted_clinic_works_through_every_service(
    tmp_path: Path, scratch: Path, clock: FakeClock
) -> None:
    paths = DataPaths(tmp_path / "clinic")
    data_key, recovery = enc.new_clinic_key()
    svc = _open(paths, clock, data_key)
    try:
        enc.set_password(paths, 1, "Ada Admin", ADMIN_PASSWORD, data_key, kdf=TINY)
        _add(svc, CANARY_FAMILY, CANARY_GIVEN)
        assert svc.key == data_key and data_key.hex() not in repr(svc)
        job = AuditService(svc.ctx).verify_job()  # a worker's own connection, same key
        assert job is not None and job().ok
        record = backup_data_file(paths.data_file, paths.backups, key=svc.key, create_folder=True)
        assert file_is_encrypted(record.path) and not _clear_text_in(record.path)
        assert verify_backup(record.path, key=data_key).verified
        export = BackupService(svc.ctx, paths).export(tmp_path)
    finally:
        svc.close()
    # The export is the clinic's way out: plain by design (admin only).
    with (export.folder / "patients.csv").open(encoding="utf-8-sig") as fh:
        assert any(row["family_name"] == CANARY_FAMILY for row in csv.DictReader(fh))
    # Unlocking as the launcher does: a password, or the recovery key.
    assert enc.is_encrypted(paths)
    assert enc.sign_in_choices(paths) == [(1, "Ada Admin")]
    for key in (
        enc.unlock(paths, 1, ADMIN_PASSWORD, kdf=TINY),
        enc.unlock_with_recovery_key(paths, recovery),
    ):
        again = open_services(paths, clock=clock, key=key)
        try:
            assert again.ctx.db.execute("SELECT count(*) FROM patients").fetchone()[0] == 1
        finally:
            again.close()


def test_a_wrong_password_or_recovery_key_changes_nothing(tmp_path: Path, clock: FakeClock) -> None:
    paths = DataPaths(tmp_path / "clinic")
    data_key, _recovery = enc.new_clinic_key()
    _open(paths, clock, data_key).close()
    enc.set_password(paths, 1, "Ada Admin", ADMIN_PASSWORD, data_key, kdf=TINY)
    before = {p.name: _sha(p) for p in _files(paths.folder)}
    with pytest.raises(enc.WrongPassword):
        enc.unlock(paths, 1, "not Ada's password", kdf=TINY)
    with pytest.raises(enc.WrongKey, match="another ExoDesk data file"):
        enc.unlock_with_recovery_key(paths, enc.new_clinic_key()[1])
    with pytest.raises(enc.RecoveryKeyTypo):
        enc.unlock_with_recovery_key(paths, "ABCD-EFGH")
    other_key, _ = enc.new_clinic_key()
    with pytest.raises(enc.WrongKey, match="does not open it"):
        open_services(paths, clock=clock, key=other_key, lock=True)
    with pytest.raises(enc.WrongKey, match="opens only with a password"):
        open_services(paths, clock=clock, lock=True)
    after = {p.name: _sha(p) for p in _files(paths.folder)}
    after.pop("exodesk.sqlite3.lock", None)
    before.pop("exodesk.sqlite3.lock", None)
    # The password file now counts the wrong password (the wait after five survives a
    # restart); its slots are as they were.
    assert after.pop("exodesk.keys") != before.pop("exodesk.keys")
    keys = json.loads(paths.keyring.read_text())
    assert keys["failed"]["1"]["count"] == 1 and set(keys["slots"]) == {"1"}
    assert after == before


def test_restore_and_drill_need_the_key_and_keep_the_file_encrypted(
    tmp_path: Path, scratch: Path, clock: FakeClock
) -> None:
    paths = DataPaths(tmp_path / "clinic")
    data_key, recovery = enc.new_clinic_key()
    svc = _open(paths, clock, data_key)
    _add(svc, "Kept")
    record = BackupService(svc.ctx, paths).backup_now()
    _add(svc, "Dropped")
    svc.close()
    before = _sha(paths.data_file)
    with pytest.raises(enc.WrongKey):
        restore_file(paths, record.path)
    with pytest.raises(enc.WrongKey):
        restore_file(paths, record.path, key=enc.new_clinic_key()[0])
    with pytest.raises(enc.WrongKey):
        drill_backups(paths.backups)
    assert _sha(paths.data_file) == before
    key = enc.unlock_with_recovery_key(paths, recovery)
    assert drill_backups(paths.backups, key=key).ok
    result = restore_file(paths, record.path, key=key, now=clock())
    assert result.saved_aside_verified and enc.is_encrypted(paths)
    assert not _clear_text_in(result.saved_aside) and not _clear_text_in(paths.data_file)
    svc = open_services(paths, clock=clock, key=key)
    try:
        rows = svc.ctx.db.execute("SELECT family_name FROM patients ORDER BY id").fetchall()
        assert [r[0] for r in rows] == ["Kept"]
    finally:
        svc.close()


def test_converting_a_plain_clinic_keeps_everything_and_a_plain_copy(
    tmp_path: Path, clock: FakeClock
) -> None:
    paths = DataPaths(tmp_path / "clinic")
    svc = _open(paths, clock, None)
    _add(svc, CANARY_FAMILY, CANARY_GIVEN)
    _add(svc, "Other")
    photo = _canary_jpeg()
    ref = svc.ctx.photos_store.put(photo)
    _name_photo(svc, ref)
    blob = svc.ctx.photos_store.path_of(ref)
    assert _photo_in(blob, photo)  # a plain clinic keeps its photos plain
    counts = {
        t: svc.ctx.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("patients", "audit_log", "staff")
    }
    svc.close()
    data_key, _recovery = enc.new_clinic_key()
    before = _sha(paths.data_file)
    with pytest.raises(UserError, match="Set your password"):
        enc.encrypt_clinic(paths, data_key)
    assert _sha(paths.data_file) == before
    enc.set_password(paths, 1, "Ada Admin", ADMIN_PASSWORD, data_key, kdf=TINY)
    seen: list[float] = []
    conversion = enc.encrypt_clinic(paths, data_key, progress=seen.append)
    assert seen[-1] == 1.0 and enc.is_encrypted(paths)
    assert not _clear_text_in(paths.data_file)
    assert not _photo_in(blob, photo)  # the photos are encrypted with the records
    assert enc.unencrypted_backups(paths) == [conversion.backup]
    assert _clear_text_in(conversion.backup)  # why the admin is told to delete it later
    key = enc.unlock(paths, 1, ADMIN_PASSWORD, kdf=TINY)
    svc = open_services(paths, clock=clock, key=key)
    try:
        for table, rows in counts.items():
            assert svc.ctx.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == rows
        assert svc.check() == []
        assert svc.ctx.photos_store.get(ref) == photo
        # The plain copy made first restores into the encrypted clinic encrypted.
        svc.close()
        restore_file(paths, conversion.backup, key=key, now=clock())
        assert enc.is_encrypted(paths) and not _clear_text_in(paths.data_file)
        svc = open_services(paths, clock=clock, key=key)
        assert svc.ctx.db.execute("SELECT count(*) FROM patients").fetchone()[0] == 2
    finally:
        svc.close()
