"""Import from a camera card or phone folder: the new pictures listed with thumbnails, each
given its view with one key press."""

from __future__ import annotations

import hashlib
from pathlib import Path

from PySide6.QtCore import Qt

from exodesk.ui.photos.folder import FolderImportDialog
from tests.ui.photos.picture_files import write_pictures

FACE = (
    ("front", "Front"),
    ("left_45", "Left 45°"),
    ("right_45", "Right 45°"),
    ("left_profile", "Left profile"),
    ("right_profile", "Right profile"),
)


def _open(qtbot, folder: Path, known: frozenset[str] = frozenset()) -> FolderImportDialog:
    dialog = FolderImportDialog(None, folder, FACE, known)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: not dialog.loading, timeout=10_000)
    return dialog


def test_one_key_press_gives_each_picture_its_view_and_moves_on(qtbot, tmp_path: Path) -> None:
    card = tmp_path / "DCIM" / "100CANON"
    paths = write_pictures(card, 7)
    (card / "notes.txt").write_text("not a picture")
    dialog = _open(qtbot, tmp_path)
    assert dialog.list.count() == 7, "pictures below the chosen folder, nothing else"
    assert not dialog.use_button.isEnabled(), "nothing given a view yet"
    dialog.list.setFocus()
    for key in (Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_S, Qt.Key.Key_3, Qt.Key.Key_F):
        qtbot.keyClick(dialog.list, key)
    assert dialog.list.currentRow() == 5, "each key press moved to the next picture"
    chosen = dialog.chosen()
    assert [(p.path, p.view) for p in chosen] == [
        (paths[0], "front"),
        (paths[1], "left_45"),
        (paths[3], "right_45"),
        (paths[4], "free"),
    ]
    assert "Left 45°" in dialog.list.item(1).text()
    assert "Skipped" in dialog.list.item(2).text()
    assert dialog.use_button.isEnabled()
    assert "7 new pictures; 4 given a view." in dialog.status.text()
    # A number key beyond the area's views does nothing.
    qtbot.keyClick(dialog.list, Qt.Key.Key_9)
    assert dialog.list.currentRow() == 5
    # Thumbnails were made off the main thread and shown.
    icon = dialog.list.item(0).icon()
    assert not icon.isNull()


def test_pictures_already_imported_for_the_patient_are_left_out(qtbot, tmp_path: Path) -> None:
    paths = write_pictures(tmp_path, 4)
    known = frozenset(hashlib.sha256(p.read_bytes()).hexdigest() for p in paths[:3])
    dialog = _open(qtbot, tmp_path, known)
    assert dialog.list.count() == 1
    assert dialog.list.item(0).data(Qt.ItemDataRole.UserRole) == str(paths[3])
    assert "3 already imported for this patient, left out." in dialog.status.text()


def test_an_empty_folder_says_so(qtbot, tmp_path: Path) -> None:
    dialog = _open(qtbot, tmp_path)
    assert dialog.status.text() == "No new pictures in this folder."
    assert not dialog.use_button.isEnabled()
