"""The photo windows at both reception sizes, beside the main window: the Photos window, taking
photos, the photo consent, the folder import, the compare window and the progress sheet."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, QThreadPool
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from exodesk.services.workspace import Services
from exodesk.ui.main_window import MainWindow
from exodesk.ui.photos.thumbs import ThumbLoader
from tests.ui.desk import checks
from tests.ui.desk.conftest import fill_screen
from tests.ui.desk.test_desk import _rich_patient
from tests.ui.desk.walker import SIZES, shoot, size_id
from tests.ui.photos.demo_photos import give_photos
from tests.ui.photos.picture_files import write_pictures

Build = Callable[[MainWindow, Services, int, Path], QDialog]


def _photos(window: MainWindow, s: Services, pid: int, tmp: Path) -> QDialog:
    from exodesk.ui.photos.gallery import PhotosWindow

    return PhotosWindow(window, s, patient_id=pid, patient_name="A Patient", camera="")


def _take(window: MainWindow, s: Services, pid: int, tmp: Path) -> QDialog:
    from exodesk.ui.photos.take import TakePhotosDialog

    dialog = TakePhotosDialog(
        window,
        s.photos,
        patient_id=pid,
        patient_name="A Patient",
        sessions=s.sessions.sessions(pid),
        today=s.ctx.today(),
        camera="",
    )
    dialog.add_files(write_pictures(tmp / "take", 3))
    return dialog


def _consent(window: MainWindow, s: Services, pid: int, tmp: Path) -> QDialog:
    from exodesk.ui.photos.consent import PhotoConsentDialog

    dialog = PhotoConsentDialog(
        window, s.photos, patient_id=pid, patient_name="A Patient", today_text="22 Nov 2026"
    )
    dialog.save()  # nothing ticked, no name, no signature: every problem line shows
    return dialog


def _folder(window: MainWindow, s: Services, pid: int, tmp: Path) -> QDialog:
    from exodesk.ui.photos.folder import FolderImportDialog

    write_pictures(tmp / "card", 6)
    return FolderImportDialog(window, tmp / "card", s.photos.views.views("face", with_free=False))


def _compare(window: MainWindow, s: Services, pid: int, tmp: Path) -> QDialog:
    from exodesk.ui.photos.comparing import CompareWindow

    return CompareWindow(
        window, s, patient_id=pid, patient_name="A Patient", area="face", view="front"
    )


def _sheet(window: MainWindow, s: Services, pid: int, tmp: Path) -> QDialog:
    from exodesk.ui.photos.progress import ProgressSheetDialog

    return ProgressSheetDialog(window, s, patient_id=pid, patient_name="A Patient", area="face")


WINDOWS: dict[str, Build] = {
    "Photos": _photos,
    "Take_photos": _take,
    "Photo_consent": _consent,
    "Folder_import": _folder,
    "Compare_photos": _compare,
    "Progress_sheet": _sheet,
}


@pytest.mark.parametrize(
    ("size", "name"),
    [pytest.param(size, name, id=f"{size_id(size)}-{name}") for size in SIZES for name in WINDOWS],
)
def test_photo_window_fits(
    qtbot,
    main_window: MainWindow,
    demo: Services,
    already_open: list[QWidget],
    shots: Path,
    screen: QRect,
    tmp_path: Path,
    size: tuple[int, int],
    name: str,
) -> None:
    fill_screen(qtbot, main_window, screen)
    patient = _rich_patient(demo)
    pid = int(patient.id or 0)
    give_photos(demo, pid)
    main_window.patients_tab.open_patient(patient)
    dialog = WINDOWS[name](main_window, demo, pid, tmp_path)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    loaders = dialog.findChildren(ThumbLoader)
    qtbot.waitUntil(lambda: all(loader.idle for loader in loaders), timeout=20_000)
    QThreadPool.globalInstance().waitForDone(20_000)
    qtbot.wait(100)
    QApplication.processEvents()
    problems = checks.everything(dialog, screen, placed=checks.on_a_real_display())
    shoot(dialog, shots / f"{size_id(size)}-photos-{name}.png")
    dialog.reject()
    assert not problems, "\n".join(problems)
