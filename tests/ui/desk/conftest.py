"""The demo clinic, seeded once per test run and copied for each test, and its main window at a
reception screen's size with a practitioner-admin at the desk (every menu item shows)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, QRect, QSize, QThreadPool
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QApplication, QWidget

from exodesk.paths import DataPaths
from exodesk.services.demo import seat, seed_demo
from exodesk.services.workspace import Services, open_services
from exodesk.ui.main_window import MainWindow
from tests.conftest import FAST_PASSWORDS, FakeClock
from tests.ui.desk.checks import frame_margins, on_a_real_display
from tests.ui.desk.walker import SIZES

SHOTS_ENV = "EXODESK_DESK_SHOTS"
"""Set to a folder (e.g. /tmp/shots-fitcheck) to keep the screenshots there."""


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo clinic's data folder, seeded once: each test works on its own copy."""
    from exodesk.services import accounts

    folder = tmp_path_factory.mktemp("demo-clinic")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "PASSWORD_PARAMETERS", FAST_PASSWORDS)
        services = open_services(DataPaths(folder), create=True, clock=FakeClock())
        try:
            seed_demo(services)
        finally:
            services.close()
    return folder


@pytest.fixture
def demo(demo_template: Path, tmp_path: Path) -> Iterator[Services]:
    """The demo clinic (a copy) with Dr Amara Okafor, practitioner and admin, at the desk."""
    folder = tmp_path / "clinic"
    shutil.copytree(demo_template, folder)
    services = open_services(DataPaths(folder), clock=FakeClock())
    doctor = next(m for m in services.clinic.staff() if m.is_admin and m.role == "practitioner")
    seat(services, doctor.id)
    yield services
    # A window closed by the walk may leave its work running (a backup, an export): it ends
    # and reports before the data file closes under it.
    QThreadPool.globalInstance().waitForDone(30_000)
    QApplication.processEvents()
    services.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where this test's screenshots go."""
    folder = Path(os.environ[SHOTS_ENV]) if os.environ.get(SHOTS_ENV) else tmp_path / "shots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def already_open() -> list[QWidget]:
    """Windows other tests left open: not this test's business."""
    return [w for w in QApplication.topLevelWidgets() if w.isVisible()]


@pytest.fixture
def uk() -> Iterator[None]:
    old = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
    yield
    QLocale.setDefault(old)


def screen_for(size: tuple[int, int]) -> QRect:
    """The screen space a window must fit: offscreen, the size under test; on a real display,
    the size under test within the screen's available geometry."""
    width, height = size
    if not on_a_real_display():
        return QRect(0, 0, width, height)
    available = QGuiApplication.primaryScreen().availableGeometry()
    return QRect(
        available.topLeft(),
        QSize(min(width, available.width()), min(height, available.height())),
    )


@pytest.fixture
def size() -> tuple[int, int]:
    """The reception screen (tests that walk both sizes parametrise this)."""
    return SIZES[0]


@pytest.fixture
def screen(size: tuple[int, int], monkeypatch: pytest.MonkeyPatch) -> QRect:
    """The screen under test. Offscreen Qt has one 800×800 screen and Xvfb one of 1366×768:
    what the app asks of its screen (QScreen.availableGeometry and friends, from Python)
    answers the size under test, so a window that sizes itself to its screen is tried at
    that size. Qt itself still places windows on the real screen (checks.in_the_real_screen)."""
    rect = screen_for(size)
    for name in ("availableGeometry", "geometry", "availableVirtualGeometry"):
        monkeypatch.setattr(QScreen, name, lambda _self: QRect(rect))
    for name in ("availableSize", "size"):
        monkeypatch.setattr(QScreen, name, lambda _self: rect.size())
    return rect


def fill_screen(qtbot, window: QWidget, screen: QRect) -> None:
    """Make the window, title bar and frame included, take the whole screen (as maximised)."""
    window.show()
    qtbot.waitExposed(window)
    sides, title, bottom = frame_margins(window)
    drawn_title = window.geometry().top() - window.frameGeometry().top()
    window.resize(screen.size() - QSize(sides, title + bottom))
    # move() places the frame drawn here; room is left above it for a Windows title bar.
    window.move(screen.left(), screen.top() + title - drawn_title)
    QApplication.processEvents()


@pytest.fixture
def main_window(
    qtbot, demo: Services, uk: None, already_open: list[QWidget], screen: QRect
) -> MainWindow:
    window = MainWindow(demo, day_first=True)
    qtbot.addWidget(window)
    return window
