"""Photos in the whole-clinic export and the patient's subject access export: decrypted JPEGs
named by date, area and view."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from exodesk.domain.patient import Patient
from exodesk.domain.staff import StaffMember
from exodesk.paths import DataPaths
from exodesk.services.backups import BackupService
from exodesk.services.workspace import Services, open_services
from tests.conftest import ADMIN_PASSWORD, FakeClock
from tests.photo_rows import add_row, new_set

KEY = bytes(range(3, 35))


def jpeg(n: int) -> bytes:
    return b"\xff\xd8\xff\xe0" + f"export photo {n} ".encode() * 100 + b"\xff\xd9"


@pytest.fixture(params=[True, False], ids=["encrypted", "plain"])
def clinic(
    request: pytest.FixtureRequest, data_paths: DataPaths, clock: FakeClock
) -> Iterator[Services]:
    svc = open_services(data_paths, create=True, clock=clock, key=KEY if request.param else None)
    admin = StaffMember("Ada Admin", "practitioner", is_admin=True)
    assert svc.accounts.first_account(admin, ADMIN_PASSWORD).ok
    yield svc
    svc.close()


def patient(svc: Services, family: str) -> int:
    result = svc.patients.create(Patient(family, "Ann", date(1980, 5, 1)))
    assert result.ok
    return int(result.record.id)


def add_photo(
    svc: Services,
    patient_id: int,
    area: str,
    taken_on: str,
    view: str,
    data: bytes,
    *,
    in_error: bool = False,
) -> int:
    store = svc.ctx.photos_store
    set_id = new_set(svc.ctx.db, patient_id, area, taken_on)
    ref, thumb = store.put(data), store.put(data[:50])
    return add_row(svc.ctx.db, set_id, ref, thumb, view=view, in_error=in_error)


def test_the_whole_clinic_export_holds_every_photo_decrypted(
    clinic: Services, tmp_path: Path
) -> None:
    ann, bea = patient(clinic, "Able"), patient(clinic, "Baker")
    p1 = add_photo(clinic, ann, "scalp", "2026-03-12", "crown", jpeg(1))
    p2 = add_photo(clinic, ann, "scalp", "2026-05-12", "crown", jpeg(2), in_error=True)
    p3 = add_photo(clinic, bea, "face", "2026-04-01", "left_45", jpeg(3))
    out = tmp_path / "out"
    out.mkdir()
    result = BackupService(clinic.ctx, clinic.paths).export(out)
    photos = result.folder / "photos"
    found = sorted(str(p.relative_to(photos)) for p in photos.rglob("*.jpg"))
    assert found == [
        f"patient-{ann}/2026-03-12_scalp_crown_photo-{p1}.jpg",
        f"patient-{ann}/2026-05-12_scalp_crown_photo-{p2}_entered-in-error.jpg",
        f"patient-{bea}/2026-04-01_face_left_45_photo-{p3}.jpg",
    ]
    assert (photos / found[0]).read_bytes() == jpeg(1)
    assert (photos / found[2]).read_bytes() == jpeg(3)
    assert result.photos == 3 and "and 3 photos to" in result.sentence()
    readme = (result.folder / "README.txt").read_text(encoding="utf-8-sig")
    assert "Photos (3) are in the photos folder" in readme
    assert "photos.csv" in readme
    # The rows say which file is which: the photo's id is in its name.
    rows = json.loads((result.folder / "photos.json").read_text(encoding="utf-8"))
    assert sorted(r["id"] for r in rows) == sorted([p1, p2, p3])


def test_an_export_says_which_photos_could_not_be_read(clinic: Services, tmp_path: Path) -> None:
    ann = patient(clinic, "Able")
    add_photo(clinic, ann, "face", "2026-03-12", "front", jpeg(1))
    clinic.ctx.photos_store.path_of(clinic.ctx.photos_store.put(jpeg(1))).write_bytes(b"x")
    out = tmp_path / "out"
    out.mkdir()
    result = BackupService(clinic.ctx, clinic.paths).export(out)
    assert result.photos == 0 and result.photos_unreadable == 1
    assert "1 photos could not be read" in result.sentence()


def test_an_export_without_photos_has_no_photos_folder(clinic: Services, tmp_path: Path) -> None:
    patient(clinic, "Able")
    out = tmp_path / "out"
    out.mkdir()
    result = BackupService(clinic.ctx, clinic.paths).export(out)
    assert not (result.folder / "photos").exists()
    assert " photos" not in result.sentence().split(" to ")[0]


def test_the_subject_access_export_holds_only_that_patients_photos(
    clinic: Services, tmp_path: Path
) -> None:
    ann, bea = patient(clinic, "Able"), patient(clinic, "Baker")
    p1 = add_photo(clinic, ann, "scalp", "2026-03-12", "hairline", jpeg(1))
    p2 = add_photo(clinic, ann, "scalp", "2026-03-12", "crown", jpeg(2), in_error=True)
    add_photo(clinic, bea, "face", "2026-04-01", "front", jpeg(3))
    out = tmp_path / "out"
    out.mkdir()
    result = clinic.subject_access.export(ann, out)
    assert result.photos_folder == result.json_path.with_name(result.json_path.stem + "-photos")
    names = sorted(p.name for p in result.photos_folder.iterdir())
    assert names == [
        f"2026-03-12_scalp_crown_photo-{p2}_entered-in-error.jpg",
        f"2026-03-12_scalp_hairline_photo-{p1}.jpg",
    ]
    assert (result.photos_folder / names[1]).read_bytes() == jpeg(1)
    assert result.photos == 2
    assert f"with 2 photos in {result.photos_folder.name}" in result.sentence()
    document = json.loads(result.json_path.read_text(encoding="utf-8"))
    assert "photos" in json.dumps(document)  # the rows are in the JSON too
    # A second export the same day gets its own names, photos folder included.
    again = clinic.subject_access.export(ann, out)
    assert again.photos_folder != result.photos_folder and again.photos == 2
    assert not list(out.glob(".*partial"))


def test_a_subject_access_export_whose_audit_fails_leaves_no_photos(
    clinic: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exodesk.errors import StorageError

    ann = patient(clinic, "Able")
    add_photo(clinic, ann, "face", "2026-03-12", "front", jpeg(1))
    out = tmp_path / "out"
    out.mkdir()

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise StorageError("The disk is full, so nothing was saved.")

    monkeypatch.setattr(clinic.ctx, "audit", refuse)
    with pytest.raises(StorageError):
        clinic.subject_access.export(ann, out)
    assert list(out.iterdir()) == []


def test_a_patient_without_photos_gets_no_photos_folder(clinic: Services, tmp_path: Path) -> None:
    ann = patient(clinic, "Able")
    out = tmp_path / "out"
    out.mkdir()
    result = clinic.subject_access.export(ann, out)
    assert result.photos_folder is None
    assert sorted(p.suffix for p in out.iterdir()) == [".json", ".pdf"]
