"""What a person would see at the reception PC's screen size: the window fits, nothing scrolls
sideways, and a picture of it can be looked at (saved under the test's own folder)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

# A 1366×768 screen less the Windows taskbar; a 1920×1080 screen at 150 % is 1280×720.
SCREENS = ((1366, 728), (1280, 720))


def assert_fits_and_shoot(widget: QWidget, picture: Path) -> QImage:
    """Fail if ``widget`` is larger than the smallest reception screen or shows a sideways
    scroll bar anywhere; save what it shows to ``picture`` and return it."""
    assert widget.isVisible(), "look at what is on screen"
    size = widget.frameGeometry().size()
    smallest = min(SCREENS)
    assert size.width() <= smallest[0] and size.height() <= smallest[1], (
        f"{widget.objectName()} is {size.width()}×{size.height()}, larger than {smallest}"
    )
    sideways = [
        area.objectName() or type(area).__name__
        for area in widget.findChildren(QAbstractScrollArea)
        if area.isVisible() and area.horizontalScrollBar().isVisible()
    ]
    assert sideways == [], f"sideways scroll bars in {widget.objectName()}: {sideways}"
    image = widget.grab().toImage()
    assert not image.isNull() and image.save(str(picture))
    return image
