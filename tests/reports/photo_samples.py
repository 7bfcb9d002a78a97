"""Synthetic clinical photos for tests: drawn shapes and the date as text, never real people."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from functools import cache

from PIL import Image, ImageDraw, ImageFont

from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.photo_sheet import ProgressPair, ProgressSheet, photo_caption, scale_label

BEFORE_DAY = date(2026, 3, 12)
AFTER_DAY = date(2026, 6, 4)
VIEWS = ("Front", "Left 45°", "Right 45°", "Left profile")
CLINIC = ClinicSettings(
    name="Riverside Skin Clinic",
    address="12 River Street\nKingston KT1 1AA",
    phone="020 7946 0000",
)


@cache
def jpeg(
    width: int = 2048,
    height: int = 1536,
    *,
    text: str = "12 Mar 2026",
    shade: int = 0,
    noise: bool = False,
    quality: int = 90,
) -> bytes:
    """A JPEG of an oval "face" on a plain ground with ``text`` written in the corner.

    Args:
        width: Pixels across.
        height: Pixels down.
        text: Drawn at the top left (the date, so a render shows which photo is which).
        shade: Shifts the colours, so two photos differ.
        noise: Grain over the picture, so the JPEG is as large as a real photo of this size.
        quality: The JPEG quality.
    """
    image = Image.new("RGB", (width, height), (200 - shade, 180, 160 + shade // 2))
    draw = ImageDraw.Draw(image)
    draw.ellipse(
        (width * 0.25, height * 0.15, width * 0.75, height * 0.85),
        fill=(230, 190 - shade // 3, 170),
        outline=(90, 60, 40),
        width=max(2, width // 200),
    )
    draw.rectangle((width * 0.4, height * 0.45, width * 0.6, height * 0.5), fill=(120, 70, 60))
    font = ImageFont.load_default(size=max(12, height // 14))
    draw.text((width * 0.05, height * 0.04), text, fill=(20, 20, 20), font=font)
    if noise:
        grain = Image.effect_noise((width, height), 40).convert("RGB")
        image = Image.blend(image, grain, 0.25)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def pair(
    index: int = 0,
    *,
    size: tuple[int, int] = (2048, 1536),
    noise: bool = False,
    view: str | None = None,
) -> ProgressPair:
    """The ``index``-th standard view, at the first and the fourth session of a course."""
    width, height = size
    return ProgressPair(
        view_label=view or VIEWS[index % len(VIEWS)],
        before_jpeg=jpeg(width, height, text="12 Mar 2026", shade=10 * index, noise=noise),
        before_caption=photo_caption(BEFORE_DAY, "Session 1 of 4"),
        after_jpeg=jpeg(width, height, text="4 Jun 2026", shade=40 + 10 * index, noise=noise),
        after_caption=photo_caption(AFTER_DAY, "session 4 of 4"),
    )


GAIS_RATINGS = (
    (scale_label("gais_practitioner"), date(2026, 4, 9), "3 · Improved"),
    (scale_label("gais_practitioner"), AFTER_DAY, "2 · Very improved"),
    (scale_label("gais_patient"), date(2026, 4, 9), "3 · Improved"),
    (scale_label("gais_patient"), AFTER_DAY, "1 · Exceptional improvement"),
)


def sample_sheet(
    count: int = 2,
    *,
    size: tuple[int, int] = (2048, 1536),
    paper: str = "A4",
    noise: bool = False,
    **changes: object,
) -> ProgressSheet:
    """A face sheet for Zoë Ñúñez with ``count`` pairs and GAIS ratings; ``changes`` replace
    any field."""
    sheet = ProgressSheet(
        clinic=replace(CLINIC, paper_size=paper),
        printed_on=AFTER_DAY,
        patient_name="Zoë Ñúñez",
        area_label="Face",
        pairs=tuple(pair(i, size=size, noise=noise) for i in range(count)),
        ratings=GAIS_RATINGS,
    )
    return replace(sheet, **changes)  # type: ignore[arg-type]
