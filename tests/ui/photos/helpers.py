"""A patient with photo consent (or without), and photo sets stored through the real service."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QColor, QImage, QPainter

from exodesk.domain.patient import Patient
from exodesk.domain.photos import PhotoSet
from exodesk.services.workspace import Services
from tests.ui.photos.picture_files import picture_bytes


def signature_png() -> bytes:
    """A small PNG with a stroke on it, as the signature pad gives."""
    image = QImage(300, 100, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.drawLine(10, 50, 290, 60)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]
    return bytes(data.data())


def new_patient(services: Services, *, consent: bool = True, sex: str = "female") -> int:
    result = services.patients.create(
        Patient("Ó Briain", "Siobhán", date(1988, 7, 3), sex, "07700 900654")
    )
    assert result.ok, result.problems
    patient_id = int(result.record.id)
    if consent:
        saved = services.photos.record_consent(
            patient_id, {"record"}, "Siobhán Ó Briain", signature_png()
        )
        assert saved.ok, saved.problems
    return patient_id


def store_set(
    services: Services,
    patient_id: int,
    area: str = "face",
    views: tuple[str, ...] = ("front", "left_45"),
    *,
    seed: int = 0,
    taken_on: date | None = None,
) -> PhotoSet:
    photos = services.photos
    photo_set = photos.new_set(patient_id, area, taken_on=taken_on)
    for i, view in enumerate(views):
        prepared = photos.prepare(picture_bytes(seed + i))
        photos.add_prepared(photo_set.id, view, prepared, source="file")
    return photo_set
