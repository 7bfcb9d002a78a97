"""How test_mnemonics builds each photo window (one place, so its table grows by one line)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QDialog, QWidget

from exodesk.services.workspace import Services
from tests.ui.photos.demo_photos import give_photos
from tests.ui.photos.picture_files import write_pictures

Factory = Callable[[Services, Path, QWidget], QDialog]


def _with_photos(s: Services) -> int:
    """A demo patient with photo sets (given once)."""
    patient = s.patients.search("").rows[0]
    pid = int(patient.id or 0)
    if not s.photos.sets(pid):
        give_photos(s, pid)
    return pid


def photo_factories() -> dict[str, Factory]:
    from exodesk.ui.photos.comparing import CompareWindow
    from exodesk.ui.photos.consent import PhotoConsentDialog
    from exodesk.ui.photos.folder import FolderImportDialog
    from exodesk.ui.photos.gallery import PhotosWindow
    from exodesk.ui.photos.progress import ProgressSheetDialog
    from exodesk.ui.photos.take import TakePhotosDialog

    def take(s: Services, t: Path, h: QWidget) -> QDialog:
        pid = _with_photos(s)
        return TakePhotosDialog(
            None,
            s.photos,
            patient_id=pid,
            patient_name="A",
            sessions=s.sessions.sessions(pid),
            today=s.ctx.today(),
        )

    def folder(s: Services, t: Path, h: QWidget) -> QDialog:
        write_pictures(t / "card", 2)
        return FolderImportDialog(None, t / "card", s.photos.views.views("face"))

    return {
        "PhotosWindow": lambda s, t, h: PhotosWindow(
            None, s, patient_id=_with_photos(s), patient_name="A"
        ),
        "TakePhotosDialog": take,
        "PhotoConsentDialog": lambda s, t, h: PhotoConsentDialog(
            None, s.photos, patient_id=_with_photos(s), patient_name="A", today_text="1 Dec"
        ),
        "FolderImportDialog": folder,
        "CompareWindow": lambda s, t, h: CompareWindow(
            None, s, patient_id=_with_photos(s), patient_name="A", area="face", view="front"
        ),
        "ProgressSheetDialog": lambda s, t, h: ProgressSheetDialog(
            None, s, patient_id=_with_photos(s), patient_name="A", area="face"
        ),
    }
