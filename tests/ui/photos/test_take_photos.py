"""Taking a photo set: the area and session, the views checklist, pictures from files (dialog and
drag and drop), from a camera card folder with one key each, from the camera with the baseline
as a ghost; the import runs off the main thread with a progress bar."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, QSize, Qt, QTimer, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QDialog, QFileDialog

from exodesk.services.workspace import Services
from exodesk.ui.photos.camera import CameraCapture, SyntheticFrameSource
from exodesk.ui.photos.folder import FolderImportDialog
from exodesk.ui.photos.take import CameraFactory, TakePhotosDialog
from tests.ui.dialogs import when_dialog_opens
from tests.ui.photos.helpers import new_patient, store_set
from tests.ui.photos.picture_files import picture_bytes, write_pictures


def synthetic_camera(made: list[CameraCapture]) -> CameraFactory:
    """The camera path with the synthetic frame source (what a test PC has)."""

    def make(parent, views, ghosts, already) -> CameraCapture:
        source = SyntheticFrameSource(QSize(640, 480), interval_ms=20)
        dialog = CameraCapture(parent, source, views, ghosts=ghosts, already=already)
        made.append(dialog)
        return dialog

    return make


def open_dialog(
    qtbot, services: Services, patient_id: int, camera: CameraFactory | str = "", **kwargs
) -> TakePhotosDialog:
    dialog = TakePhotosDialog(
        None,
        services.photos,
        patient_id=patient_id,
        patient_name="Siobhán Ó Briain",
        sessions=services.sessions.sessions(patient_id),
        today=services.ctx.today(),
        camera=camera,
        **kwargs,
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def import_and_wait(qtbot, dialog: TakePhotosDialog) -> None:
    ticks: list[int] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(5)
    dialog.save_button.click()
    assert dialog.importing and dialog.progress.isVisible()
    qtbot.waitUntil(lambda: not dialog.importing, timeout=30_000)
    timer.stop()
    assert ticks, "the window kept handling events while pictures were imported"


def checklist(dialog: TakePhotosDialog) -> list[str]:
    return [dialog.checklist.item(i).text() for i in range(dialog.checklist.count())]


def test_files_take_the_missing_views_in_order_and_import_off_the_main_thread(
    qtbot, services: Services, tmp_path: Path, monkeypatch
) -> None:
    patient_id = new_patient(services)
    dialog = open_dialog(qtbot, services, patient_id)
    assert dialog.area_id == "face"
    assert dialog.session_id is None, "no session today: a consultation"
    assert not dialog.save_button.isEnabled()
    assert "○  1  Front — missing" in checklist(dialog)
    paths = write_pictures(tmp_path / "phone", 3)
    (tmp_path / "notes.txt").write_text("x")
    monkeypatch.setattr(
        QFileDialog,
        "getOpenFileNames",
        lambda *a, **k: ([str(p) for p in paths] + [str(tmp_path / "notes.txt")], ""),
    )
    dialog.files_button.click()
    assert [p.view for p in dialog.pending] == ["front", "left_45", "right_45"]
    assert "notes.txt is not a JPEG, PNG or HEIC picture" in dialog.status.text()
    assert "✓  2  Left 45° — ready to import" in checklist(dialog)
    assert dialog.missing_label.text() == "Still missing: Left profile, Right profile"

    # One picture is really the right profile: 5 on it in the list.
    dialog.list.setCurrentRow(2)
    qtbot.keyClick(dialog.list, Qt.Key.Key_5)
    assert [p.view for p in dialog.pending] == ["front", "left_45", "right_profile"]

    # A PNG dropped onto the window joins them.
    png = tmp_path / "scan.png"
    png.write_bytes(picture_bytes(40, fmt="PNG"))
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(png))])
    drop = QDropEvent(
        QPointF(50, 50),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    dialog.dropEvent(drop)
    assert [p.view for p in dialog.pending][-1] == "right_45"

    import_and_wait(qtbot, dialog)
    assert "4 photos imported." in dialog.status.text()
    assert dialog.pending == []
    [photo_set] = services.photos.sets(patient_id)
    assert photo_set.is_baseline and photo_set.area == "face"
    stored = services.photos.photos(photo_set.id)
    assert sorted(p.view for p in stored) == sorted(
        ["front", "left_45", "right_profile", "right_45"]
    )
    assert {p.source for p in stored} == {"file"}
    assert "✓  1  Front — stored" in checklist(dialog)
    assert dialog.missing_label.text() == "Still missing: Left profile"
    assert dialog.changes.patient_id == patient_id


def test_a_bad_file_is_reported_and_the_others_are_kept(
    qtbot, services: Services, tmp_path: Path
) -> None:
    patient_id = new_patient(services)
    dialog = open_dialog(qtbot, services, patient_id)
    good = write_pictures(tmp_path, 1)[0]
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff not really a jpeg")
    dialog.add_files([good, bad])
    import_and_wait(qtbot, dialog)
    assert "1 photo imported. Not imported: broken.jpg:" in dialog.status.text()
    assert len(dialog.pending) == 1, "the broken one stays listed"


def test_a_camera_card_folder_one_key_per_picture(
    qtbot, services: Services, tmp_path: Path, monkeypatch
) -> None:
    patient_id = new_patient(services)
    dialog = open_dialog(qtbot, services, patient_id, area="scalp")
    card = tmp_path / "card"
    write_pictures(card / "DCIM" / "100CANON", 4)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(card))

    def assign(folder: QDialog) -> None:
        assert isinstance(folder, FolderImportDialog)
        qtbot.waitUntil(lambda: not folder.loading, timeout=10_000)
        folder.list.setFocus()
        for key in (Qt.Key.Key_1, Qt.Key.Key_3, Qt.Key.Key_S, Qt.Key.Key_4):
            qtbot.keyClick(folder.list, key)
        folder.use_button.click()

    seen = when_dialog_opens(FolderImportDialog, assign)
    dialog.folder_button.click()
    assert seen
    assert [(p.view, p.source) for p in dialog.pending] == [
        ("hairline", "folder"),
        ("crown", "folder"),
        ("donor", "folder"),
    ]
    import_and_wait(qtbot, dialog)
    # The same card again: what was imported is not offered twice.
    offered: list[int] = []

    def look(folder: QDialog) -> None:
        assert isinstance(folder, FolderImportDialog)
        qtbot.waitUntil(lambda: not folder.loading, timeout=10_000)
        offered.append(folder.list.count())
        folder.reject()

    when_dialog_opens(FolderImportDialog, look)
    dialog.import_folder(card)
    assert offered == [1], "three were imported, one was skipped"


def test_the_camera_path_with_the_baseline_as_ghost(qtbot, services: Services) -> None:
    patient_id = new_patient(services)
    store_set(services, patient_id, "face", ("front", "left_45"), taken_on=date(2026, 9, 1))
    made: list[CameraCapture] = []
    dialog = open_dialog(qtbot, services, patient_id, camera=synthetic_camera(made))

    def take_two(camera: QDialog) -> None:
        assert isinstance(camera, CameraCapture)
        qtbot.waitUntil(lambda: camera.live.live is not None, timeout=3000)
        assert set(camera._ghosts) == {"front", "left_45"}, "the baseline's views as ghosts"
        camera.capture()
        camera.capture()
        camera.done_button.click()

    seen = when_dialog_opens(CameraCapture, take_two)
    dialog.camera_button.click()
    assert seen
    assert [(p.view, p.source) for p in dialog.pending] == [
        ("front", "camera"),
        ("left_45", "camera"),
    ]
    import_and_wait(qtbot, dialog)
    sets = services.photos.sets(patient_id)
    assert len(sets) == 2 and not sets[0].is_baseline
    assert {p.source for p in services.photos.photos(sets[0].id)} == {"camera"}


def test_without_camera_support_the_button_says_so(qtbot, services: Services) -> None:
    patient_id = new_patient(services)
    dialog = open_dialog(qtbot, services, patient_id, camera="This PC has no camera support.")
    dialog.camera_button.click()
    assert dialog.status.text().startswith("This PC has no camera support. Add the pictures")


def test_enter_imports_and_escape_closes(qtbot, services: Services, tmp_path: Path) -> None:
    patient_id = new_patient(services)
    dialog = open_dialog(qtbot, services, patient_id)
    dialog.add_files(write_pictures(tmp_path, 1))
    dialog.list.setFocus()
    qtbot.keyClick(dialog.list, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.importing, timeout=30_000)
    assert len(services.photos.gallery(patient_id)) == 1
    qtbot.keyClick(dialog.list, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
