"""The Photos place on the patient: the header's Photos… button (and Ctrl+Shift+P) opens the
current patient's photos from any tab; what changed there reaches the rest of the window."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog

from exodesk.services.workspace import Services
from exodesk.ui.main_window import MainWindow
from exodesk.ui.photos.gallery import PhotosWindow
from tests.ui.dialogs import when_dialog_opens
from tests.ui.photos.helpers import new_patient, store_set


def test_the_header_button_opens_the_current_patients_photos(qtbot, services: Services) -> None:
    patient_id = new_patient(services)
    store_set(services, patient_id, "face", ("front",))
    window = MainWindow(services, day_first=True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    button = window.header.photos_button
    assert button.isVisible() and not button.isEnabled(), "no patient chosen yet"
    window.patients_tab.open_patient(services.patients.get(patient_id))
    assert button.isEnabled()

    seen: list[tuple[str, int]] = []
    changes: list[object] = []
    window.data_changed.connect(changes.append)

    def look(dialog: QDialog) -> None:
        assert isinstance(dialog, PhotosWindow)
        seen.append((dialog.windowTitle(), dialog.model.rowCount()))
        dialog._changed(dialog.changes.__class__(frozenset({"photos"}), patient_id))
        dialog.reject()

    when_dialog_opens(PhotosWindow, look)
    window.tabs.setCurrentWidget(window.sessions_tab)  # from any tab
    window.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(
        window,
        Qt.Key.Key_P,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(lambda: bool(seen), timeout=3000)
    assert seen == [("Photos — Ó BRIAIN, Siobhán", 1)]
    assert any(getattr(c, "patient_id", None) == patient_id for c in changes)


def test_nobody_without_photo_access_sees_the_button(qtbot, services: Services) -> None:
    from exodesk.domain import accounts

    window = MainWindow(services, day_first=True)
    qtbot.addWidget(window)
    window.show()
    assert window.header.photos_button.isVisible()
    services.desk.user = None  # nobody at the desk: no permission at all
    window.apply_permissions()
    assert not window.header.photos_button.isVisible()
    assert accounts.PHOTOS_VIEW in accounts.RECEPTION_PERMISSIONS, "reception sees photos too"
