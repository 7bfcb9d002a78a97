"""Every photo window: each interactive widget named for tests and screen readers, and every
label and button readable under a light, a dark and a high-contrast palette."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget

from exodesk.paths import DataPaths
from exodesk.services.demo import seat, seed_demo
from exodesk.services.workspace import Services, open_services
from exodesk.ui.photos.thumbs import ThumbLoader
from tests.conftest import FakeClock
from tests.ui.photos.factories import photo_factories
from tests.ui.test_look import painted, unreadable  # noqa: F401 - painted is a fixture
from tests.ui.test_patients_tab import unnamed_widgets

SHOTS = Path("/tmp/shots-pui")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    folder = tmp_path_factory.mktemp("photo-look")
    services = open_services(DataPaths(folder / "clinic"), create=True, clock=FakeClock())
    seed_demo(services, patients=3, backup_history=False)
    doctor = next(m for m in services.clinic.staff() if m.role == "practitioner" and m.is_admin)
    seat(services, int(doctor.id or 0))
    yield services
    QThreadPool.globalInstance().waitForDone(20_000)
    services.close()


def _shown(qtbot, demo: Services, tmp_path: Path, name: str) -> QWidget:
    host = QWidget()
    qtbot.addWidget(host)
    dialog = photo_factories()[name](demo, tmp_path, host)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    loaders = dialog.findChildren(ThumbLoader)
    qtbot.waitUntil(lambda: all(loader.idle for loader in loaders), timeout=20_000)
    QApplication.processEvents()
    return dialog


@pytest.mark.parametrize("name", sorted(photo_factories()))
def test_every_interactive_widget_is_named(qtbot, demo: Services, tmp_path: Path, name: str):
    dialog = _shown(qtbot, demo, tmp_path, name)
    assert unnamed_widgets(dialog) == []
    dialog.close()


KNOWN: dict[tuple[str, str], str] = {}
"""Known faults being fixed elsewhere (strict xfail, so a mark goes as soon as it passes)."""


def _look_cases() -> list[pytest.param]:  # type: ignore[valid-type]
    cases = []
    for name in sorted(photo_factories()):
        for palette in ("light", "dark", "high-contrast"):
            reason = KNOWN.get((name, palette))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            cases.append(pytest.param(name, palette, marks=marks, id=f"{name}-{palette}"))
    return cases


@pytest.mark.parametrize(("name", "painted"), _look_cases(), indirect=["painted"])
def test_every_label_and_button_is_readable(
    qtbot,
    demo: Services,
    tmp_path: Path,
    painted: str,  # noqa: F811 - the fixture imported above, by name
    name: str,
) -> None:
    dialog = _shown(qtbot, demo, tmp_path, name)
    focused = QGuiApplication.focusObject()
    if isinstance(focused, QWidget):
        focused.clearFocus()
    QApplication.processEvents()
    SHOTS.mkdir(parents=True, exist_ok=True)
    dialog.grab().save(str(SHOTS / f"look-{painted}-{name}.png"))
    faults = unreadable(dialog)
    dialog.close()
    assert faults == [], "\n".join(faults)
