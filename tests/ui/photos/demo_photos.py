"""Photo sets for a demo patient: a consent, a baseline and two follow-ups of the face and one
of the scalp, from the synthetic sample photos (never real people), with ratings."""

from __future__ import annotations

from datetime import date

from exodesk.services.photo_samples import synthetic_photo
from exodesk.services.workspace import Services
from tests.ui.photos.helpers import signature_png

DAYS = (date(2026, 6, 1), date(2026, 8, 1), date(2026, 10, 1))


def give_photos(services: Services, patient_id: int) -> None:
    photos = services.photos
    if photos.consent(patient_id) is None:
        result = photos.record_consent(
            patient_id, {"record", "teaching"}, "A Patient", signature_png()
        )
        assert result.ok, result.problems
    for n, day in enumerate(DAYS):
        face = photos.new_set(patient_id, "face", taken_on=day)
        for view, _label in photos.views.views("face", with_free=False):
            data = synthetic_photo("face", view, day, size=(480, 360))
            photos.add_prepared(face.id, view, photos.prepare(data), source="file")
        if n:
            photos.rate(face.id, "gais_practitioner", str(4 - n))
            photos.rate(face.id, "gais_patient", str(4 - n))
    scalp = photos.new_set(patient_id, "scalp", taken_on=DAYS[0])
    for view in ("hairline", "crown"):
        data = synthetic_photo("scalp", view, DAYS[0], size=(480, 360))
        photos.add_prepared(scalp.id, view, photos.prepare(data), source="folder")
