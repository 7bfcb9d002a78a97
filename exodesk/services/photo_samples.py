"""Synthetic clinical photos for the demo clinic and tests: drawn shapes, never real people.

A plain face-like oval (eyes, nose, mouth) or a scalp-like dome with hair strokes, turned a
little for each standard view, on a studio grey, with the view and the date written across it,
so a newcomer sees the gallery and the compare view working without anyone's picture.

Public API::

    synthetic_photo(area, view, day, *, size=(960, 720), density=1.0) -> bytes   # a JPEG
"""

from __future__ import annotations

import io
import random
from datetime import date

from PIL import Image, ImageDraw

# How far each view turns the drawn head (x offset of the features, as a share of the width).
_TURN = {
    "front": 0.0,
    "left_45": -0.12,
    "right_45": 0.12,
    "left_profile": -0.25,
    "right_profile": 0.25,
    "hairline": 0.0,
    "parting": 0.0,
    "crown": 0.0,
    "donor": 0.0,
    "free": 0.05,
}


def synthetic_photo(
    area: str,
    view: str,
    day: date,
    *,
    size: tuple[int, int] = (960, 720),
    density: float = 1.0,
) -> bytes:
    """A drawn stand-in for a clinical photo, as JPEG bytes.

    Args:
        area: "face" or "scalp" (anything else is drawn as a face).
        view: The view id; it turns the drawing and is written on it.
        day: Written on the picture (and seeds the hair strokes, so each day differs).
        size: Width and height in pixels.
        density: For the scalp, how much hair (1.0 full; lower shows thinning).
    """
    width, height = size
    image = Image.new("RGB", size, (196, 200, 204))
    draw = ImageDraw.Draw(image)
    cx = width / 2 + _TURN.get(view, 0.0) * width
    cy = height / 2
    r = min(width, height) * 0.34
    skin = (224, 189, 160)
    draw.ellipse((cx - r * 0.8, cy - r, cx + r * 0.8, cy + r), fill=skin, outline=(150, 120, 100))
    rng = random.Random(f"{area}{view}{day.isoformat()}")
    if area == "scalp":
        hair = (70, 50, 35)
        for _ in range(int(900 * max(0.0, min(density, 1.5)))):
            x = rng.uniform(cx - r * 0.75, cx + r * 0.75)
            y = rng.uniform(cy - r * 0.95, cy + r * 0.6)
            if ((x - cx) / (r * 0.8)) ** 2 + ((y - cy) / r) ** 2 > 0.92:
                continue
            draw.line((x, y, x + rng.uniform(-6, 6), y + rng.uniform(8, 18)), fill=hair, width=2)
        if view == "parting":
            draw.line((cx, cy - r, cx, cy + r * 0.6), fill=skin, width=max(2, int(r * 0.04)))
    else:
        eye = r * 0.12
        for side in (-1, 1):
            ex = cx + side * r * 0.32
            draw.ellipse(
                (ex - eye, cy - r * 0.25 - eye / 2, ex + eye, cy - r * 0.25 + eye / 2),
                fill=(250, 250, 250),
                outline=(90, 70, 60),
            )
        draw.line((cx, cy - r * 0.1, cx - r * 0.06, cy + r * 0.2), fill=(150, 110, 90), width=3)
        draw.arc(
            (cx - r * 0.3, cy + r * 0.2, cx + r * 0.3, cy + r * 0.55),
            20,
            160,
            fill=(160, 80, 80),
            width=4,
        )
        for _ in range(int(40 * density)):
            x = rng.uniform(cx - r * 0.5, cx + r * 0.5)
            y = rng.uniform(cy - r * 0.6, cy + r * 0.6)
            draw.point((x, y), fill=(200, 150, 130))
    text = f"{view.replace('_', ' ')}  {day.isoformat()}  (drawn example, not a real person)"
    draw.rectangle((0, height - 28, width, height), fill=(60, 64, 70))
    draw.text((10, height - 22), text, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()
