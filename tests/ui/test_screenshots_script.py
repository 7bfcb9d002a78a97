"""tests/screenshots.py (the README's and the guide's pictures) runs through without anyone at
the keyboard: every picture at 1366×728, no dialog left waiting (it once hung on Sessions)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale
from PySide6.QtGui import QImage

from tests import screenshots


@pytest.fixture
def restored() -> Iterator[None]:
    locale, level = QLocale(), logging.getLogger("qt").level
    yield
    QLocale.setDefault(locale)
    logging.getLogger("qt").setLevel(level)


def test_the_review_pictures_are_taken_unattended(restored: None, tmp_path: Path) -> None:
    assert screenshots.main([str(tmp_path)]) == 0
    names = {p.stem for p in tmp_path.glob("*.png")}
    assert {"patients", "screening-all-verdicts", "sessions-form", "aftercare", "comparison"} <= (
        names
    )
    for picture in tmp_path.glob("*.png"):
        image = QImage(str(picture))
        assert (image.width(), image.height()) == screenshots.WINDOW, picture.name


def test_the_guide_pictures_are_the_window_size() -> None:
    for name in ("patients", "screening", "sessions", "aftercare", "comparison"):
        image = QImage(str(screenshots.GUIDE / f"{name}.png"))
        assert (image.width(), image.height()) == screenshots.WINDOW, name
