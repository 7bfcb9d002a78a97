"""FolderImportDialog: the new pictures on a camera card or in a phone folder, each given its
view with one key press (1–5 the area's views, F a free view, S skip)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import cast

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QImage, QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from exodesk.ui.common import named, resize_within_screen
from exodesk.ui.look import NOTE, ink_style
from exodesk.ui.photos.thumbs import ThumbLoader, file_thumbnail, pictures_in, placeholder

PREVIEW_SIDE = 480
"""Pictures are decoded this large: sharp in the preview, scaled down for the list."""
FREE = "free"
SKIP = ""
PATH_ROLE = Qt.ItemDataRole.UserRole
VIEW_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class Picture:
    """A picture file chosen for a view."""

    path: Path
    view: str


class FolderImportDialog(QDialog):
    """Lists the pictures in ``folder`` that this patient has not had imported (their SHA-256
    is not among ``known``), with thumbnails loaded in the background.

    The chosen picture is shown large; a number key gives it that view (``views`` in order),
    F a free view, S skips it, and the next picture is chosen. After Accepted, ``chosen()``
    lists the pictures given a view, in the folder's order.
    """

    def __init__(
        self,
        parent: QWidget | None,
        folder: Path,
        views: tuple[tuple[str, str], ...],
        known: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(parent)
        self.setObjectName("photoFolderDialog")
        self.setAccessibleName("Import pictures from a folder")
        self.setWindowTitle("Import pictures from a folder")
        self._views = views[:5]
        self._labels = {view: label for view, label in views} | {FREE: "Free view"}
        self._known = known
        self._loader = ThumbLoader(self)
        self._loader.loaded.connect(self._thumb_loaded)
        self._loader.failed.connect(self._thumb_failed)
        self.already = 0
        """Pictures in the folder already imported for this patient (left out once read)."""

        intro = QLabel(
            f"Pictures in {folder}. Press a number to give the highlighted picture its view; "
            "the next one is chosen for you."
        )
        intro.setObjectName("photoFolderIntro")
        intro.setWordWrap(True)
        keys = [f"{i} {label}" for i, (_view, label) in enumerate(self._views, start=1)]
        self.keys_label = QLabel("   ".join([*keys, "F Free view", "S Skip"]))
        self.keys_label.setObjectName("photoFolderKeys")
        self.keys_label.setWordWrap(True)
        self.keys_label.setStyleSheet(ink_style(NOTE, bold=True))
        self.list = named(
            QListWidget(),
            "photoFolderList",
            "Pictures found",
            "Arrows move between pictures; 1–5, F or S give the highlighted one its view.",
        )
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(QSize(120, 90))
        self.list.setGridSize(QSize(150, 140))
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setWordWrap(True)
        self.list.installEventFilter(self)
        self.preview = QLabel()
        self.preview.setObjectName("photoFolderPreview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(320, 240)
        self.status = QLabel()
        self.status.setObjectName("photoFolderStatus")
        self.status.setWordWrap(True)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.use_button = named(
            buttons.button(QDialogButtonBox.StandardButton.Ok),
            "photoFolderUse",
            "Use the pictures given a view",
        )
        self.use_button.setText("&Use these")
        self.cancel_button = named(
            buttons.button(QDialogButtonBox.StandardButton.Cancel),
            "photoFolderCancel",
            "Cancel",
            "Close without adding any picture (Esc)",
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        right = QVBoxLayout()
        right.addWidget(self.preview, 1)
        right.addWidget(self.status)
        middle = QHBoxLayout()
        middle.addWidget(self.list, 3)
        middle.addLayout(right, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.keys_label)
        layout.addLayout(middle, 1)
        layout.addWidget(buttons)
        self.list.currentItemChanged.connect(self._show_current)
        resize_within_screen(self, 1100, 700)
        self._read(folder)

    # ---- reading the folder --------------------------------------------------------------
    def _read(self, folder: Path) -> None:
        for path in pictures_in(folder):
            item = QListWidgetItem(QIcon(QPixmap.fromImage(placeholder("…", 120))), path.name)
            item.setData(PATH_ROLE, str(path))
            item.setData(VIEW_ROLE, None)  # not decided yet
            item.setToolTip(str(path))
            self.list.addItem(item)
            self._loader.request(str(path), partial(file_thumbnail, path, PREVIEW_SIDE))
        if self.list.count():
            self.list.setCurrentRow(0)
        self._say()

    def _item(self, key: str) -> QListWidgetItem | None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(PATH_ROLE) == key:
                return item
        return None

    def _thumb_loaded(self, key: object, result: object) -> None:
        item = self._item(str(key))
        if item is None:
            return
        image, digest = cast(tuple[QImage, str], result)
        if digest in self._known:  # imported for this patient before: not new
            self.list.takeItem(self.list.row(item))
            self.already += 1
            self._say()
            return
        item.setData(Qt.ItemDataRole.UserRole + 2, image)
        item.setIcon(QIcon(QPixmap.fromImage(image)))
        if item is self.list.currentItem():
            self._show_current(item)

    def _thumb_failed(self, key: object, message: str) -> None:
        item = self._item(str(key))
        if item is not None:
            item.setIcon(QIcon(QPixmap.fromImage(placeholder("Cannot be read", 120))))
            item.setData(VIEW_ROLE, SKIP)
            item.setText(f"{Path(str(key)).name}\nCannot be read")

    @property
    def loading(self) -> bool:
        return not self._loader.idle

    # ---- choosing views ------------------------------------------------------------------
    def eventFilter(self, watched: object, event: object) -> bool:
        if (
            watched is self.list
            and isinstance(event, QKeyEvent)
            and event.type() == QKeyEvent.Type.KeyPress
            and self._key(event)
        ):
            return True
        return super().eventFilter(watched, event)  # type: ignore[arg-type]

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self._key(event):
            super().keyPressEvent(event)

    def _key(self, event: QKeyEvent) -> bool:
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        text = event.text().lower()
        if text.isdigit() and 1 <= int(text) <= len(self._views):
            self.assign(self._views[int(text) - 1][0])
        elif text == "f":
            self.assign(FREE)
        elif text == "s":
            self.assign(SKIP)
        else:
            return False
        return True

    def assign(self, view: str) -> None:
        """Give the highlighted picture ``view`` (SKIP leaves it out) and go to the next."""
        item = self.list.currentItem()
        if item is None:
            return
        item.setData(VIEW_ROLE, view)
        name = Path(str(item.data(PATH_ROLE))).name
        item.setText(f"{name}\n{self._labels.get(view, 'Skipped') if view else 'Skipped'}")
        row = self.list.row(item)
        if row + 1 < self.list.count():
            self.list.setCurrentRow(row + 1)
        self._say()

    def _show_current(self, item: QListWidgetItem | None, *_: object) -> None:
        if item is None:
            self.preview.clear()
            return
        image = item.data(Qt.ItemDataRole.UserRole + 2)
        if isinstance(image, QImage) and not image.isNull():
            self.preview.setPixmap(
                QPixmap.fromImage(image).scaled(
                    self.preview.size(),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
        else:
            self.preview.setText("Loading the picture…")
        self.preview.setAccessibleName(item.text().replace("\n", ", "))

    def _say(self) -> None:
        total = self.list.count()
        given = len(self.chosen())
        words = f"{total} new picture{'s' if total != 1 else ''}; {given} given a view."
        if self.already:
            words += f" {self.already} already imported for this patient, left out."
        if not total:
            words = "No new pictures in this folder." + (
                f" {self.already} were imported for this patient before." if self.already else ""
            )
        self.status.setText(words)
        self.use_button.setEnabled(given > 0)

    def chosen(self) -> list[Picture]:
        """The pictures given a view, in the folder's order."""
        found = []
        for row in range(self.list.count()):
            item = self.list.item(row)
            view = item.data(VIEW_ROLE)
            if view:
                found.append(Picture(Path(str(item.data(PATH_ROLE))), str(view)))
        return found
