"""Clinical photos, service side: the import pipeline (metadata stripped, upright, sized,
refusals in plain words), sets and baselines, consent levels, entered in error, ratings,
and the baseline rule on saving a course's first session. Real data file, real photo store."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.patient import Patient
from exodesk.domain.photos import GAIS_PATIENT, NORWOOD, newest_ratings
from exodesk.domain.sessions import Lot, Product, SessionProduct
from exodesk.domain.staff import StaffMember
from exodesk.errors import UserError
from exodesk.services.context import PermissionRefused, SaveResult
from exodesk.services.photo_import import prepare_photo
from exodesk.services.photo_samples import synthetic_photo
from exodesk.services.workspace import Services
from tests.answers import answered
from tests.conftest import FakeClock

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
SERIAL = "SN-4417-ZX-998877"
MAKER = b"ACME-MAKER-NOTE-0042"
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>CreatorTool-Secret</rdf:RDF></x:xmpmeta>'
COMMENT = b"Shot at 12 Harley Street"


def phone_jpeg(size: tuple[int, int] = (4000, 3000), orientation: int = 6) -> bytes:
    """A phone-like JPEG: GPS position, device serial, maker note, XMP, a comment, and an
    orientation tag; a red block at the raw top-left corner shows which way it turns."""
    image = Image.new("RGB", size, (40, 120, 200))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, size[0] // 5, size[1] // 5), fill=(230, 20, 20))
    exif = Image.Exif()
    exif[0x010F] = "ACME"  # Make
    exif[0x0110] = "Phone 12"  # Model
    exif[0x0112] = orientation
    exif[0x0131] = "ACME Camera 4.2"  # Software
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (51.0, 31.0, 12.5)
    gps[3] = "W"
    gps[4] = (0.0, 8.0, 45.0)
    details = exif.get_ifd(0x8769)
    details[0x9003] = "2026:03:12 09:41:07"  # DateTimeOriginal
    details[0xA431] = SERIAL  # BodySerialNumber
    details[0x927C] = MAKER  # MakerNote
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92, exif=exif, xmp=XMP, comment=COMMENT)
    data = out.getvalue()
    assert SERIAL.encode() in data and MAKER in data and b"CreatorTool-Secret" in data
    return data


@pytest.fixture
def clinic(services: Services) -> dict[str, int]:
    pid = services.patients.create(Patient("Ñúñez", "Zoë", date(1985, 4, 3), "female")).record.id
    other = services.patients.create(Patient("Brown", "Sam", date(1979, 1, 2), "male")).record.id
    return {"patient": pid, "other": other}


def consent(services: Services, pid: int, levels: set[str] | None = None) -> None:
    result = services.photos.record_consent(pid, levels or {"record"}, "Zoë Ñúñez", PNG)
    assert result.ok, result.problems


def _audit(services: Services, table: str) -> list[tuple[str, str, dict]]:
    return [
        (action, summary, json.loads(after or "null"))
        for action, summary, after in services.ctx.db.execute(
            "SELECT action, summary, after FROM audit_log WHERE table_name = ? ORDER BY id",
            [table],
        )
    ]


# ---- the pipeline ---------------------------------------------------------------------------
def test_the_stored_photo_keeps_no_metadata_is_upright_and_sized(
    services: Services, clinic: dict[str, int]
) -> None:
    consent(services, clinic["patient"])
    original = phone_jpeg()
    photo_set = services.photos.new_set(clinic["patient"], "face")
    photo = services.photos.add_photo(photo_set.id, "front", original, source="file")

    stored = services.photos.image(photo)
    thumb = services.photos.thumbnail(photo)
    for data in (stored, thumb):
        for secret in (SERIAL.encode(), MAKER, b"CreatorTool-Secret", COMMENT, b"ACME"):
            assert secret not in data
        assert b"Exif" not in data and b"http://ns.adobe.com/xap" not in data
        assert b"ICC_PROFILE" not in data
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "JPEG"
            assert not image.getexif()
            assert not {"exif", "xmp", "comment", "icc_profile"} & image.info.keys()
    # Orientation 6 (turn 90° clockwise): the 4000×3000 landscape is stored upright as
    # 1500×2000 (decoded at half size: the long side at most 2,048 px, and within 10% of it),
    # and the raw top-left red block is now at the top-right.
    assert (photo.width, photo.height) == (1500, 2000)
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (1500, 2000)
        red, _, blue = image.getpixel((1500 - 20, 20))
        assert red > 200 and blue < 60
        red, _, blue = image.getpixel((20, 20))
        assert red < 80 and blue > 150
    with Image.open(io.BytesIO(thumb)) as image:
        assert max(image.size) == 320
    assert photo.original_sha256 == hashlib.sha256(original).hexdigest()
    assert photo.ref == hashlib.sha256(stored).hexdigest()
    # The camera's own time stands when none is given (its local time, made aware).
    assert photo.taken_at == datetime(2026, 3, 12, 9, 41, 7).astimezone()
    # The store holds the clean bytes only; the original is not kept anywhere.
    assert not any(
        SERIAL.encode() in services.ctx.photos_store.get(ref)
        for ref in services.ctx.photos_store.refs()
    )


def test_png_with_transparency_and_a_small_picture_are_kept_as_they_are(
    services: Services, clinic: dict[str, int]
) -> None:
    image = Image.new("RGBA", (640, 480), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((100, 100, 300, 300), fill=(10, 200, 10, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    prepared = prepare_photo(out.getvalue())
    assert (prepared.width, prepared.height) == (640, 480)
    with Image.open(io.BytesIO(prepared.jpeg)) as stored:
        assert stored.getpixel((5, 5)) == (255, 255, 255)  # transparency became white
    assert prepared.taken_at is None


def test_heic_from_a_phone_is_imported() -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    image = Image.new("RGB", (1200, 900), (40, 120, 200))
    ImageDraw.Draw(image).rectangle((0, 0, 240, 180), fill=(230, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif.get_ifd(0x8769)[0xA431] = SERIAL
    out = io.BytesIO()
    try:
        image.save(out, "HEIF", exif=exif.tobytes(), quality=85)
    except (RuntimeError, ValueError, KeyError, OSError) as exc:  # libheif without an encoder
        pytest.skip(f"this pillow-heif cannot write HEIC: {exc}")
    assert SERIAL.encode() in out.getvalue()
    prepared = prepare_photo(out.getvalue())
    # Turned upright once (libheif turns it; its orientation tag is then 1, not turned twice).
    assert (prepared.width, prepared.height) == (900, 1200)
    assert SERIAL.encode() not in prepared.jpeg and b"Exif" not in prepared.jpeg
    with Image.open(io.BytesIO(prepared.jpeg)) as stored:
        assert stored.format == "JPEG"
        red, _, blue = stored.getpixel((900 - 20, 20))
        assert red > 170 and blue < 70


def _bomb_png(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("1", size).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"%PDF-1.7 not a picture at all" * 10, "not a picture ExoDesk can read"),
        (b"GIF89a" + b"\x00" * 100, "not a picture ExoDesk can read"),
        (phone_jpeg((800, 600))[:3000], "damaged or cut short"),
        (_bomb_png((11000, 10000)), "far larger than any camera takes"),
        (_bomb_png((20000, 20000)), "far larger than any camera takes"),
    ],
    ids=["empty", "pdf", "gif", "truncated", "110-megapixels", "400-megapixels"],
)
def test_what_cannot_be_imported_is_refused_in_a_plain_sentence(data: bytes, words: str) -> None:
    with pytest.raises(UserError, match=words) as refused:
        prepare_photo(data)
    assert "Traceback" not in refused.value.message


def test_import_files_adds_each_in_order_with_progress_and_names_a_bad_file(
    services: Services, clinic: dict[str, int], tmp_path: Path
) -> None:
    consent(services, clinic["patient"])
    photo_set = services.photos.new_set(clinic["patient"], "scalp")
    items = []
    for view in ("hairline", "parting", "crown"):
        path = tmp_path / f"{view}.jpg"
        path.write_bytes(synthetic_photo("scalp", view, date(2026, 11, 22)))
        items.append((view, path))
    steps: list[tuple[int, int]] = []
    added = services.photos.import_files(photo_set.id, items, lambda d, t: steps.append((d, t)))
    assert [p.view for p in added] == ["hairline", "parting", "crown"]
    assert steps == [(1, 3), (2, 3), (3, 3)]
    assert services.photos.missing_views(photo_set.id) == ["donor"]

    bad = tmp_path / "IMG_0042.HEIC"
    bad.write_bytes(b"not really a picture")
    with pytest.raises(UserError, match=r"IMG_0042\.HEIC: This file is not a picture"):
        services.photos.import_files(photo_set.id, [("donor", bad)])
    with pytest.raises(UserError, match=r"IMG_9999\.jpg is no longer there"):
        services.photos.import_files(photo_set.id, [("donor", tmp_path / "IMG_9999.jpg")])
    assert len(services.photos.photos(photo_set.id)) == 3


# ---- consent --------------------------------------------------------------------------------
def test_no_photo_without_the_record_level_and_revoking_is_respected(
    services: Services, clinic: dict[str, int]
) -> None:
    pid = clinic["patient"]
    with pytest.raises(UserError, match="has not agreed to photos for their clinical record"):
        services.photos.new_set(pid, "face")
    assert services.photos.consent(pid) is None
    assert not services.photos.may(pid, "record")

    refused = services.photos.record_consent(pid, {"teaching"}, "Zoë Ñúñez", PNG)
    assert [p.field for p in refused.problems] == ["levels"]
    assert not services.photos.record_consent(pid, {"record"}, "Zoë Ñúñez", b"").ok

    consent(services, pid, {"record", "teaching"})
    held = services.photos.consent(pid)
    assert held is not None and held.levels == {"record", "teaching"}
    assert held.text_version == 1 and held.signature_png == PNG
    assert services.photos.may(pid, "teaching") and not services.photos.may(pid, "marketing")
    photo_set = services.photos.new_set(pid, "face")
    services.photos.add_photo(
        photo_set.id, "front", synthetic_photo("face", "front", date(2026, 11, 22)), source="file"
    )

    services.photos.revoke_consent(pid, "teaching")
    assert not services.photos.may(pid, "teaching") and services.photos.may(pid, "record")
    services.photos.revoke_consent(pid, "record")
    assert not services.photos.may(pid, "record")
    with pytest.raises(UserError, match="has not agreed to photos"):
        services.photos.add_photo(
            photo_set.id, "left_45", synthetic_photo("face", "left_45", date.today()), source="file"
        )
    with pytest.raises(UserError, match="no clinical record photo consent to take back"):
        services.photos.revoke_consent(pid, "record")
    # What was taken stays in the record.
    assert len(services.photos.photos(photo_set.id)) == 1
    assert [a for a, _, _ in _audit(services, "photo_consents")] == ["consent"]
    assert [after for _, _, after in _audit(services, "photo_consent_revocations")] == [
        {"revoked": "teaching"},
        {"revoked": "record"},
    ]
    # Signing again (a new version of the wording) brings the levels back.
    assert services.photos.save_consent_text("New photo wording.").ok
    consent(services, pid, {"record", "marketing"})
    held = services.photos.consent(pid)
    assert held is not None and held.levels == {"record", "marketing"} and held.text_version == 2


# ---- sets, baselines, labels ----------------------------------------------------------------
def _session_setup(services: Services, pid: int) -> tuple[int, int]:
    product = services.catalogue.save_product(
        Product("VerdeCell", "Botanica", "exosome", "plant", "topical")
    ).record
    lot = services.catalogue.save_lot(
        Lot(product.id, "VC-2411", services.ctx.today() + timedelta(days=300))
    ).record
    screening = services.screening.save(pid, answered()).record
    services.screening.record_consent(screening.id, "Zoë Ñúñez", PNG)
    course = services.courses.start_course(pid, "skin_rejuvenation", "exosome_face", 4).record
    return course.id, lot.id


def _record_session(services: Services, pid: int, course_id: int, lot_id: int) -> SaveResult:
    draft = replace(
        services.sessions.prefill(pid, course_id),
        needle_depth_mm=0.5,
        products=(SessionProduct(lot_id, 2.0),),
    )
    check = services.sessions.check(draft)
    return services.sessions.record(draft, confirmed=[n.id for n in check.regulatory])


def test_the_first_set_of_a_course_is_its_baseline_and_sets_are_labelled(
    services: Services, clinic: dict[str, int], clock: FakeClock
) -> None:
    pid = clinic["patient"]
    consent(services, pid)
    course_id, lot_id = _session_setup(services, pid)
    baseline = services.photos.new_set(pid, "face")  # before the first session
    assert baseline.course_id == course_id and baseline.is_baseline
    assert baseline.label == "Baseline — before session 1 of 4"
    first = _record_session(services, pid, course_id, lot_id).record
    clock.advance(days=29)
    second = _record_session(services, pid, course_id, lot_id)
    assert second.ok, second.problems
    second = second.record
    follow_up = services.photos.new_set(pid, "face", session_id=second.id)
    assert follow_up.course_id == course_id and not follow_up.is_baseline
    assert follow_up.label == "Session 2 of 4"
    loose = services.photos.new_set(pid, "scalp")  # no scalp course: its own baseline
    assert loose.course_id is None and loose.label == "Baseline"
    later = services.photos.new_set(pid, "scalp")
    assert later.label == "Follow-up"
    assert [s.id for s in services.photos.sets(pid)] == [
        later.id,
        loose.id,
        follow_up.id,
        baseline.id,
    ]
    assert first.id != second.id
    services.photos.record_consent(clinic["other"], {"record"}, "Sam Brown", PNG)
    with pytest.raises(UserError, match="not this patient's"):
        services.photos.new_set(clinic["other"], "face", session_id=second.id)
    with pytest.raises(UserError, match="cannot be dated in the future"):
        services.photos.new_set(pid, "face", taken_on=services.ctx.today() + timedelta(days=1))
    with pytest.raises(UserError, match="not taken of"):
        services.photos.new_set(pid, "hands")
    with pytest.raises(UserError, match="not a view of the face"):
        services.photos.add_photo(
            baseline.id, "crown", synthetic_photo("face", "front", date.today()), source="file"
        )
    created = _audit(services, "photo_sets")
    assert created[0][2]["baseline"] is True and "Baseline" in created[0][1]


def test_entered_in_error_hides_and_keeps_the_photo(
    services: Services, clinic: dict[str, int]
) -> None:
    pid = clinic["patient"]
    consent(services, pid)
    photo_set = services.photos.new_set(pid, "face")
    day = date(2026, 11, 22)
    wrong = services.photos.add_photo(
        photo_set.id, "front", synthetic_photo("face", "free", day), source="camera"
    )
    right = services.photos.add_photo(
        photo_set.id, "front", synthetic_photo("face", "front", day), source="camera"
    )
    with pytest.raises(UserError, match="reason"):
        services.photos.mark_entered_in_error(wrong.id, "  ")
    services.photos.mark_entered_in_error(wrong.id, "Wrong angle")
    assert [p.id for p in services.photos.photos(photo_set.id)] == [right.id]
    everything = services.photos.photos(photo_set.id, include_errors=True)
    assert [(p.id, p.entered_in_error, p.error_reason) for p in everything] == [
        (wrong.id, True, "Wrong angle"),
        (right.id, False, None),
    ]
    assert [p.id for p in services.photos.gallery(pid)] == [right.id]
    assert services.ctx.photos_store.exists(wrong.ref), "the picture itself is kept"
    with pytest.raises(UserError, match="already marked"):
        services.photos.mark_entered_in_error(wrong.id, "Again")
    assert _audit(services, "photos")[-1][:2] == (
        "entered_in_error",
        "Photo entered in error: Wrong angle",
    )
    # A receptionist may take photos but not hide one from the record.
    services.desk.user = services.clinic.save_staff(StaffMember("Priya Shah", "reception")).record
    with pytest.raises(PermissionRefused):
        services.photos.mark_entered_in_error(right.id, "Blurred")


def test_ratings_gallery_filters_and_compare_dates(
    services: Services, clinic: dict[str, int], clock: FakeClock
) -> None:
    pid = clinic["other"]  # male: rated on the Norwood scale
    services.photos.record_consent(pid, {"record"}, "Sam Brown", PNG)
    assert services.photos.scales(pid, "scalp") == (NORWOOD,)
    first = services.photos.new_set(pid, "scalp", taken_on=date(2026, 6, 1))
    later = services.photos.new_set(pid, "scalp", taken_on=date(2026, 9, 1))
    for s in (first, later):
        for view in ("crown", "hairline"):
            services.photos.add_photo(
                s.id,
                view,
                synthetic_photo("scalp", view, s.taken_on),
                source="folder",
                taken_at=datetime.combine(s.taken_on, datetime.min.time(), UTC),
            )
    services.photos.rate(first.id, NORWOOD, "4")
    services.photos.rate(later.id, NORWOOD, "3V")
    services.photos.rate(later.id, NORWOOD, "3")  # a correction: the newest stands
    with pytest.raises(UserError, match="rates face photos"):
        services.photos.rate(first.id, GAIS_PATIENT, "2")
    with pytest.raises(UserError, match="Choose a value"):
        services.photos.rate(first.id, NORWOOD, "8")
    standing = newest_ratings(services.photos.ratings(pid))
    assert [(r.taken_on, r.value, r.rated_by) for r in standing] == [
        (date(2026, 6, 1), "4", "Ada Admin"),
        (date(2026, 9, 1), "3", "Ada Admin"),
    ]
    crowns = services.photos.compare_pair(pid, "scalp", "crown")
    assert [p.set_id for p in crowns] == [first.id, later.id]
    assert [p.view for p in services.photos.gallery(pid, view="hairline")] == ["hairline"] * 2
    assert services.photos.gallery(pid, area="face") == []
    assert [s for _, s, _ in _audit(services, "photo_ratings")] == [
        "Norwood stage: Stage 4",
        "Norwood stage: Stage 3 vertex",
        "Norwood stage: Stage 3",
    ]


# ---- the clinic's baseline rule -------------------------------------------------------------
def test_a_course_first_session_waits_for_baseline_photos_when_the_clinic_asks(
    services: Services, clinic: dict[str, int], clock: FakeClock
) -> None:
    pid = clinic["patient"]
    course_id, lot_id = _session_setup(services, pid)
    settings = services.clinic.settings()
    assert settings.require_baseline_photos is False
    assert services.clinic.save_settings(
        replace(settings, name="Riverside", require_baseline_photos=True)
    ).ok
    refused = _record_session(services, pid, course_id, lot_id)
    assert [p.field for p in refused.problems] == ["baseline_photos"]
    assert refused.problems[0].message.startswith(
        "The clinic asks for baseline photos before a course's first session"
    )
    consent(services, pid)
    photo_set = services.photos.new_set(pid, "face")
    refused = _record_session(services, pid, course_id, lot_id)
    assert [p.field for p in refused.problems] == ["baseline_photos"], "an empty set is no baseline"
    services.photos.add_photo(
        photo_set.id, "front", synthetic_photo("face", "front", date.today()), source="file"
    )
    assert _record_session(services, pid, course_id, lot_id).ok
    clock.advance(days=29)
    # Only the first session waits: the second is saved whatever the photos.
    services.photos.mark_entered_in_error(services.photos.photos(photo_set.id)[0].id, "Blurred")
    assert _record_session(services, pid, course_id, lot_id).ok


def test_without_the_setting_sessions_save_as_before(
    services: Services, clinic: dict[str, int]
) -> None:
    course_id, lot_id = _session_setup(services, clinic["patient"])
    assert _record_session(services, clinic["patient"], course_id, lot_id).ok
    assert ClinicSettings().require_baseline_photos is False


def test_the_progress_sheet_data_pairs_captions_and_standing_ratings(
    services: Services, clinic: dict[str, int], clock: FakeClock
) -> None:
    from exodesk.reports.photo_progress import progress_sheet_pdf
    from tests.reports.pdftools import pdf_text

    pid = clinic["patient"]
    consent(services, pid)
    course_id, lot_id = _session_setup(services, pid)
    baseline = services.photos.new_set(pid, "face")
    before = services.photos.add_photo(
        baseline.id, "front", synthetic_photo("face", "front", date(2026, 11, 22)), source="file"
    )
    assert _record_session(services, pid, course_id, lot_id).ok
    clock.advance(days=29)
    second = _record_session(services, pid, course_id, lot_id).record
    later = services.photos.new_set(pid, "face", session_id=second.id)
    after = services.photos.add_photo(
        later.id, "front", synthetic_photo("face", "front", date(2026, 12, 21)), source="file"
    )
    services.photos.rate(later.id, GAIS_PATIENT, "4")
    services.photos.rate(later.id, GAIS_PATIENT, "3")  # a correction: only this one prints

    sheet = services.photos.progress_sheet_data(pid, [(after.id, before.id)])  # any order
    assert sheet.patient_name == "Zoë Ñúñez" and sheet.area_label == "Face"
    (pair,) = sheet.pairs
    assert pair.view_label == "Front"
    assert pair.before_jpeg == services.photos.image(before)
    assert pair.after_jpeg == services.photos.image(after)
    assert pair.before_caption == "22 Nov 2026 · Baseline — before session 1 of 4"
    assert pair.after_caption == "21 Dec 2026 · Session 2 of 4"
    assert sheet.ratings == (("Change you see", date(2026, 12, 21), "Improved"),)
    text = pdf_text(progress_sheet_pdf(sheet))
    assert "Session 2 of 4" in text and "Improved" in text
    assert services.photo_sheet.sheet_job(sheet, patient_id=pid) is not None

    with pytest.raises(UserError, match="Choose at least one"):
        services.photos.progress_sheet_data(pid, [])
    services.photos.mark_entered_in_error(after.id, "Wrong patient")
    with pytest.raises(UserError, match="no longer in this patient's record"):
        services.photos.progress_sheet_data(pid, [(before.id, after.id)])
