"""The window and the taskbar carry the ExoDesk icon (#18)."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from exodesk.services.workspace import Services
from exodesk.ui.icon import APP_USER_MODEL_ID, ICON_ICO, ICON_PNG, install_icon
from exodesk.ui.launcher import application
from exodesk.ui.main_window import MainWindow


def _image(image: QImage) -> QImage:
    return image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)


def test_the_main_window_carries_the_exodesk_icon(qtbot, services: Services) -> None:
    app = application()
    window = MainWindow(services, day_first=True)
    qtbot.addWidget(window)
    icon = window.windowIcon()
    assert not icon.isNull()
    assert app.windowIcon().cacheKey() == icon.cacheKey()
    # The picture is the resource's, pixel for pixel, at its own size.
    drawn = icon.pixmap(QSize(256, 256)).toImage()
    assert _image(drawn) == _image(QImage(str(ICON_PNG)))
    # And the small sizes the taskbar and title bar use come from the .ico, not scaled down.
    sizes = {(s.width(), s.height()) for s in icon.availableSizes()}
    assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= sizes
    assert ICON_ICO.read_bytes().startswith(b"\x00\x00\x01\x00")


class _Shell32:
    def __init__(self) -> None:
        self.ids: list[str] = []

    def SetCurrentProcessExplicitAppUserModelID(self, app_id: str) -> int:
        self.ids.append(app_id)
        return 0


def test_windows_groups_the_taskbar_under_exodesk(qapp: QApplication) -> None:
    shell32 = _Shell32()
    install_icon(shell32)
    assert shell32.ids == [APP_USER_MODEL_ID] == ["ExoDesk.ExoDesk"]


def test_elsewhere_no_taskbar_identity_is_asked_for(qapp: QApplication, monkeypatch) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    install_icon()  # no ctypes.windll here: nothing is called
    assert not qapp.windowIcon().isNull()
