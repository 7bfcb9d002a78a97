"""ExoDesk's icon on every window, and on Windows its own taskbar button.

Without an icon Qt shows a blank window symbol; and on Windows a Python program's windows
group under python.exe's taskbar button (and its icon) unless the process names itself with an
AppUserModelID before it shows a window. The frozen .exe carries the same icon as a resource
(pyinstaller.spec), which Explorer and the Start menu show.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from PySide6.QtGui import QGuiApplication, QIcon

from exodesk import APP_NAME
from exodesk.paths import RESOURCES

log = logging.getLogger(__name__)

ICON_PNG = RESOURCES / "exodesk.png"
"""256 px, drawn by tests/make_icon.py."""
ICON_ICO = RESOURCES / "exodesk.ico"
"""Every size Windows asks for, 16 to 256 px (the .exe's icon too)."""
APP_USER_MODEL_ID = f"{APP_NAME}.{APP_NAME}"
"""How Windows groups ExoDesk's windows on the taskbar (Company.Product)."""


def app_icon() -> QIcon:
    """The ExoDesk icon: each size the .ico holds, and the 256 px picture."""
    icon = QIcon(str(ICON_ICO))
    icon.addFile(str(ICON_PNG))
    return icon


def install_icon(shell32: Any = None) -> None:
    """Give every window the icon; on Windows, give the process its own taskbar identity.

    Args:
        shell32: Windows' shell32 (by default ``ctypes.windll.shell32``; a test passes its own).
    """
    icon = app_icon()
    if icon.isNull():
        log.warning("the icon %s could not be read", ICON_PNG)
    else:
        QGuiApplication.setWindowIcon(icon)
    if shell32 is None and sys.platform == "win32":
        import ctypes

        shell32 = ctypes.windll.shell32  # type: ignore[attr-defined,unused-ignore]
    if shell32 is not None:
        try:
            shell32.SetCurrentProcessExplicitAppUserModelID(APP_USER_MODEL_ID)
        except (AttributeError, OSError) as exc:  # very old Windows: keep python's grouping
            log.warning("no taskbar identity: %s", exc)
