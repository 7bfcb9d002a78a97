"""Settings: the clinic can require a baseline photo set before the first session of a course."""

from __future__ import annotations

from PySide6.QtCore import Qt

from exodesk.services.workspace import Services
from exodesk.ui.dialogs.settings_window import CLINIC
from tests.ui.test_settings_window import open_window, press


def test_the_baseline_photo_requirement_is_saved_and_shown_again(qtbot, services: Services) -> None:
    assert services.clinic.settings().require_baseline_photos is False
    window = open_window(qtbot, services, CLINIC)
    page = window.pages[CLINIC]
    box = page.require_baseline
    assert box.accessibleName() and box.objectName() == "settings_require_baseline_photos"
    assert not box.isChecked()
    page.details.name.setText("Riverside Clinic")
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Space)
    assert page.is_dirty()
    press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert services.clinic.settings().require_baseline_photos is True
    page.discard()
    assert box.isChecked(), "read back from the data file"
