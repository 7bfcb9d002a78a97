"""TakePhotosDialog: one photo set of one area: choose the session, add pictures (files, drag
and drop, a camera card or phone folder, the camera), see which standard views are missing,
and import them off the main thread with a progress bar."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDropEvent,
    QIcon,
    QImage,
    QKeyEvent,
    QKeySequence,
    QPixmap,
    QShortcut,
)
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.dates import format_short
from exodesk.domain.photos import FREE_VIEW, Photo, PhotoSet, ViewTable
from exodesk.domain.sessions import TREATMENTS, TreatmentSession
from exodesk.errors import UserError
from exodesk.services.context import Changes
from exodesk.services.photo_import import PreparedPhoto, prepare_photo, read_picture_file
from exodesk.services.photos import PHOTOS, PhotoService
from exodesk.ui.common import named, resize_within_screen, without_default_buttons
from exodesk.ui.errors import show_user_error
from exodesk.ui.look import CAUTION, GOOD, NOTE, ink, ink_style, item_ink
from exodesk.ui.photos.folder import FolderImportDialog
from exodesk.ui.photos.thumbs import (
    PICTURE_SUFFIXES,
    ThumbLoader,
    file_thumbnail,
    placeholder,
    scaled_image,
)
from exodesk.ui.widgets import NoWheelComboBox
from exodesk.ui.workers import run_in_background

CameraFactory = Callable[
    [QWidget, tuple[tuple[str, str], ...], dict[str, QImage], frozenset[str]], "CameraCapture"
]
"""Builds the camera window: (parent, the area's views, the baseline's picture of each view,
the views the set has already)."""
if TYPE_CHECKING:
    from exodesk.ui.photos.camera import CameraCapture

ITEM_ROLE = Qt.ItemDataRole.UserRole
FILE_FILTER = "Pictures (*.jpg *.jpeg *.png *.heic *.heif *.JPG *.JPEG *.PNG *.HEIC *.HEIF)"


@dataclass
class Pending:
    """A picture waiting to be imported into the set."""

    view: str
    source: str  # "file" | "folder" | "camera"
    path: Path | None = None
    data: bytes | None = None  # a camera frame, already JPEG

    @property
    def name(self) -> str:
        return self.path.name if self.path is not None else "Camera picture"


class TakePhotosDialog(QDialog):
    """Builds one photo set; ``changes`` says what was stored (empty if nothing was).

    Args:
        photos: The photo service (it refuses without the patient's record-level consent).
        sessions: The patient's sessions, newest first, to attach the set to.
        camera: Builds the camera window for this set, or the sentence saying why this PC
            cannot use a camera (the Camera button says it).
    """

    imported = Signal(object)  # list[Photo], once an import finished

    def __init__(
        self,
        parent: QWidget | None,
        photos: PhotoService,
        *,
        patient_id: int,
        patient_name: str,
        sessions: list[TreatmentSession],
        today: date,
        area: str | None = None,
        session_id: int | None = None,
        camera: CameraFactory | str = "",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("takePhotosDialog")
        self.setAccessibleName("Take photos")
        self.setWindowTitle(f"Take photos — {patient_name}")
        self.setAcceptDrops(True)
        self._photos = photos
        self._patient_id = patient_id
        self._table: ViewTable = photos.views
        self._camera = camera
        self._today = today
        self.changes = Changes()
        self.pending: list[Pending] = []
        self.stored: list[Photo] = []
        self.photo_set: PhotoSet | None = None
        self.importing = False
        self._loader = ThumbLoader(self)
        self._loader.loaded.connect(self._thumb_loaded)
        self._thumbs: dict[int, QImage] = {}
        self._ids = itertools.count()
        self._keys: dict[int, Pending] = {}

        self.area = named(NoWheelComboBox(), "takePhotosArea", "Area photographed")
        for area_id in self._table.areas:
            self.area.addItem(self._table.area_label(area_id), area_id)
        if area is not None and self.area.findData(area) >= 0:
            self.area.setCurrentIndex(self.area.findData(area))
        self.session = named(
            NoWheelComboBox(),
            "takePhotosSession",
            "Session the photos belong to",
            "The session these photos go with; a consultation has none.",
        )
        newest_first = sorted(sessions, key=lambda s: s.performed_at, reverse=True)
        for s in newest_first:
            words = f"{format_short(s.performed_at.date())} — {TREATMENTS.get(s.treatment, '')}"
            self.session.addItem(words, s.id)
        self.session.addItem("No session (a consultation)", None)
        todays = next((s.id for s in newest_first if s.performed_at.date() == today), None)
        wanted = session_id if session_id is not None else todays
        # Photos are taken on the day: a session of another day is chosen only on purpose.
        self.session.setCurrentIndex(
            self.session.findData(wanted) if wanted is not None else self.session.count() - 1
        )
        form = QFormLayout()
        area_label = QLabel("&Area")
        area_label.setBuddy(self.area)
        session_label = QLabel("Se&ssion")
        session_label.setBuddy(self.session)
        form.addRow(area_label, self.area)
        form.addRow(session_label, self.session)

        self.checklist = named(
            QListWidget(),
            "takePhotosChecklist",
            "Standard views",
            "Each standard view of the area: taken, waiting to import, or still missing.",
        )
        self.checklist.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.checklist.setMaximumWidth(300)
        self.missing_label = QLabel()
        self.missing_label.setObjectName("takePhotosMissing")
        self.missing_label.setWordWrap(True)

        self.list = named(
            QListWidget(),
            "takePhotosPending",
            "Pictures to import",
            "The highlighted picture: 1–5 give it a view, F a free view, Delete takes it out.",
        )
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(QSize(120, 90))
        self.list.setGridSize(QSize(150, 140))
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setWordWrap(True)
        self.list.installEventFilter(self)
        self.drop_hint = QLabel(
            "Drop picture files anywhere on this window to add them. On a picture: 1–5 or F "
            "give it another view, Delete takes it out."
        )
        self.drop_hint.setWordWrap(True)
        self.drop_hint.setObjectName("takePhotosDropHint")
        self.drop_hint.setStyleSheet(ink_style(NOTE))

        self.files_button = named(
            QPushButton("Add &files…"),
            "takePhotosFiles",
            "Add picture files",
            "JPEG, PNG or HEIC pictures from this PC",
        )
        self.folder_button = named(
            QPushButton("Import from a f&older…"),
            "takePhotosFolder",
            "Import from a camera card or phone folder",
            "Lists the new pictures in a folder; one key press gives each its view.",
        )
        self.camera_button = named(
            QPushButton("Ca&mera…"),
            "takePhotosCamera",
            "Take photos with the camera",
            "The camera's picture, with the same view from the baseline as a ghost to line up.",
        )
        self.remove_button = named(
            QPushButton("&Remove"),
            "takePhotosRemove",
            "Take the highlighted picture out",
            "It is not imported (Delete)",
        )
        self.progress = QProgressBar()
        self.progress.setObjectName("takePhotosProgress")
        self.progress.setAccessibleName("Import progress")
        self.progress.hide()
        self.status = QLabel()
        self.status.setObjectName("takePhotosStatus")
        self.status.setWordWrap(True)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = named(
            buttons.button(QDialogButtonBox.StandardButton.Save),
            "takePhotosSave",
            "Import the pictures into the patient's record",
            "Stores each picture (orientation set, location and camera details removed) (Enter)",
        )
        self.save_button.setText("&Import")
        self.cancel_button = named(
            buttons.button(QDialogButtonBox.StandardButton.Cancel),
            "takePhotosCancel",
            "Close",
            "Close (Esc); pictures not imported yet are left out",
        )
        self.cancel_button.setText("Close")
        buttons.accepted.connect(self.start_import)
        buttons.rejected.connect(self.reject)

        sources = QHBoxLayout()
        for button in (
            self.files_button,
            self.folder_button,
            self.camera_button,
            self.remove_button,
        ):
            sources.addWidget(button)
        sources.addStretch(1)
        left = QVBoxLayout()
        left.addLayout(form)
        views_label = QLabel("Standard views")
        views_label.setObjectName("takePhotosViewsLabel")
        left.addWidget(views_label)
        left.addWidget(self.checklist, 1)
        left.addWidget(self.missing_label)
        right = QVBoxLayout()
        right.addLayout(sources)
        right.addWidget(self.list, 1)
        right.addWidget(self.drop_hint)
        middle = QHBoxLayout()
        middle.addLayout(left, 2)
        middle.addLayout(right, 5)
        layout = QVBoxLayout(self)
        layout.addLayout(middle, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        without_default_buttons(self)

        self.area.currentIndexChanged.connect(self._area_changed)
        self.session.currentIndexChanged.connect(self._refresh_checklist)
        self.files_button.clicked.connect(self.add_files_from_dialog)
        self.folder_button.clicked.connect(self.import_folder_from_dialog)
        self.camera_button.clicked.connect(self.open_camera)
        self.remove_button.clicked.connect(self.remove_current)
        QShortcut(QKeySequence(Qt.Key.Key_Delete), self.list, self.remove_current)
        for first, second in itertools.pairwise(
            [
                self.area,
                self.session,
                self.files_button,
                self.folder_button,
                self.camera_button,
                self.remove_button,
                self.list,
                self.save_button,
                self.cancel_button,
            ]
        ):
            QWidget.setTabOrder(first, second)
        self._refresh_checklist()
        resize_within_screen(self, 1100, 680)

    # ---- the set -------------------------------------------------------------------------
    @property
    def area_id(self) -> str:
        return str(self.area.currentData())

    @property
    def session_id(self) -> int | None:
        value = self.session.currentData()
        return int(value) if value is not None else None

    def views(self) -> tuple[tuple[str, str], ...]:
        return self._table.views(self.area_id)

    def _area_changed(self) -> None:
        # Pictures given a view of the other area keep their place as free views.
        standard = {v for v, _ in self.views()}
        for item in self.pending:
            if item.view not in standard:
                item.view = FREE_VIEW
        self._refresh_list()
        self._refresh_checklist()

    def _existing(self) -> list[Photo]:
        """Photos already stored today for this area and session (a set being completed)."""
        if self.photo_set is not None:
            return self._photos.photos(self.photo_set.id)
        today = self._today
        for s in self._photos.sets(self._patient_id):
            if s.area == self.area_id and s.session_id == self.session_id and s.taken_on == today:
                return self._photos.photos(s.id)
        return []

    def missing(self) -> list[str]:
        """Standard view ids neither stored in this set nor waiting to import."""
        have = {p.view for p in self._existing() if not p.entered_in_error}
        have |= {p.view for p in self.pending}
        return [v for v, _ in self._table.views(self.area_id, with_free=False) if v not in have]

    def _refresh_checklist(self) -> None:
        stored = {p.view for p in self._existing() if not p.entered_in_error}
        waiting = {p.view for p in self.pending}
        self.checklist.clear()
        for number, (view, label) in enumerate(self._table.views(self.area_id), start=1):
            key = "F" if view == FREE_VIEW else str(number)
            if view in stored:
                words, colour = f"✓  {key}  {label} — stored", GOOD
            elif view in waiting:
                words, colour = f"✓  {key}  {label} — ready to import", GOOD
            elif view == FREE_VIEW:
                words, colour = f"    {key}  {label} (any other angle)", NOTE
            else:
                words, colour = f"○  {key}  {label} — missing", CAUTION
            item = QListWidgetItem(words)
            item.setForeground(item_ink(colour))
            self.checklist.addItem(item)
        missing = self.missing()
        labels = dict(self._table.views(self.area_id))
        text = (
            "Still missing: " + ", ".join(labels[v] for v in missing)
            if missing
            else "Every standard view is there."
        )
        self.missing_label.setText(text)
        self.missing_label.setStyleSheet(ink_style(CAUTION if missing else GOOD))
        self.save_button.setEnabled(bool(self.pending) and not self.importing)

    # ---- adding pictures -----------------------------------------------------------------
    def _next_view(self) -> str:
        missing = self.missing()
        return missing[0] if missing else FREE_VIEW

    def add_files(self, paths: list[Path], *, source: str = "file") -> None:
        """Queue picture files; each takes the next missing view (then free views)."""
        for path in paths:
            if path.suffix.lower() not in PICTURE_SUFFIXES:
                self._say(f"{path.name} is not a JPEG, PNG or HEIC picture: left out.")
                continue
            self._add(Pending(self._next_view(), source, path=path))

    def add_pictures(self, chosen: list[tuple[str, Path]], *, source: str) -> None:
        """Queue files already given their views (from a folder)."""
        for view, path in chosen:
            self._add(Pending(view, source, path=path))

    def add_capture(self, view: str, image: QImage, data: bytes) -> None:
        """Queue a camera picture (its JPEG bytes) for ``view``."""
        item = Pending(view, "camera", data=data)
        key = self._add(item, load=False)
        self._thumbs[key] = image.scaled(
            160, 120, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        self._refresh_list()

    def _add(self, item: Pending, *, load: bool = True) -> int:
        key = next(self._ids)
        self._keys[key] = item
        self.pending.append(item)
        if load and item.path is not None:
            path = item.path
            self._loader.request(key, lambda: file_thumbnail(path)[0])
        self._refresh_list()
        self._refresh_checklist()
        return key

    def _thumb_loaded(self, key: object, image: object) -> None:
        if isinstance(key, int) and isinstance(image, QImage):
            self._thumbs[key] = image
            self._refresh_list()

    def _refresh_list(self) -> None:
        row = self.list.currentRow()
        self.list.clear()
        labels = dict(self.views())
        for key, item in self._keys.items():
            if item not in self.pending:
                continue
            image = self._thumbs.get(key) or placeholder("…", 120)
            entry = QListWidgetItem(
                QIcon(QPixmap.fromImage(image)), f"{labels.get(item.view, item.view)}\n{item.name}"
            )
            entry.setData(ITEM_ROLE, key)
            self.list.addItem(entry)
        if self.list.count():
            self.list.setCurrentRow(min(max(row, 0), self.list.count() - 1))
        self.remove_button.setEnabled(bool(self.pending) and not self.importing)

    def _current(self) -> Pending | None:
        entry = self.list.currentItem()
        return self._keys.get(int(entry.data(ITEM_ROLE))) if entry is not None else None

    def set_view(self, view: str) -> None:
        """Give the highlighted picture another view."""
        item = self._current()
        if item is None or self.importing:
            return
        item.view = view
        self._refresh_list()
        self._refresh_checklist()

    def remove_current(self) -> None:
        item = self._current()
        if item is None or self.importing:
            return
        self.pending.remove(item)
        self._refresh_list()
        self._refresh_checklist()

    def eventFilter(self, watched: object, event: object) -> bool:
        if (
            watched is self.list
            and isinstance(event, QKeyEvent)
            and event.type() == QKeyEvent.Type.KeyPress
            and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ):
            text = event.text().lower()
            standard = self._table.views(self.area_id, with_free=False)
            if text.isdigit() and 1 <= int(text) <= len(standard):
                self.set_view(standard[int(text) - 1][0])
                return True
            if text == "f":
                self.set_view(FREE_VIEW)
                return True
        return super().eventFilter(watched, event)  # type: ignore[arg-type]

    def add_files_from_dialog(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "Add pictures", "", FILE_FILTER)
        self.add_files([Path(n) for n in names])

    def import_folder_from_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "The camera card or phone folder")
        if folder:
            self.import_folder(Path(folder))

    def import_folder(self, folder: Path) -> FolderImportDialog:
        """Show the folder's new pictures; those given a view are queued."""
        known = frozenset(p.original_sha256 for p in self._photos.gallery(self._patient_id))
        dialog = FolderImportDialog(
            self, folder, self._table.views(self.area_id, with_free=False), known
        )
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.add_pictures([(p.view, p.path) for p in dialog.chosen()], source="folder")
        return dialog

    def open_camera(self) -> None:
        """The camera window, the baseline's same view shown as a ghost to line up with."""
        if isinstance(self._camera, str):
            self._say(
                (self._camera or "This PC cannot use a camera.")
                + " Add the pictures as files, or import them from the camera's card or the "
                "phone's folder.",
                problem=True,
            )
            return
        already = frozenset(p.view for p in self._existing() if not p.entered_in_error)
        dialog = self._camera(self, self.views(), self._ghosts(), already)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            for view, data in dialog.captured().items():
                self.add_capture(view, QImage.fromData(data), data)

    def _ghosts(self) -> dict[str, QImage]:
        """The baseline set's photo of each view of this area (to line the shot up)."""
        ghosts: dict[str, QImage] = {}
        # The newest baseline of the area: the course being followed now.
        baseline = next(
            (
                s
                for s in self._photos.sets(self._patient_id)
                if s.area == self.area_id and s.is_baseline
            ),
            None,
        )
        if baseline is None:
            return ghosts
        for photo in self._photos.photos(baseline.id):
            ghosts[photo.view] = scaled_image(self._photos.image(photo), 1024)
        return ghosts

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and not self.importing:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        self.add_files([p for p in paths if p.is_file()])
        event.acceptProposedAction()

    # ---- importing -----------------------------------------------------------------------
    def start_import(self) -> None:
        """Store the set (if new) and import the pictures one by one off the main thread."""
        if not self.pending or self.importing:
            return
        try:
            if self.photo_set is None:
                self.photo_set = self._photos.new_set(
                    self._patient_id, self.area_id, session_id=self.session_id
                )
        except UserError as exc:
            show_user_error(self, exc)
            return
        self.importing = True
        self.area.setEnabled(False)
        self.session.setEnabled(False)
        for button in (self.files_button, self.folder_button, self.camera_button):
            button.setEnabled(False)
        self.save_button.setEnabled(False)
        self.remove_button.setEnabled(False)
        self.progress.setRange(0, len(self.pending))
        self.progress.setValue(0)
        self.progress.show()
        self._queue = list(self.pending)
        self._problems: list[str] = []
        self._new: list[Photo] = []
        self._import_next()

    def _import_next(self) -> None:
        if not self._queue:
            self._finish_import()
            return
        item = self._queue[0]
        total = self.progress.maximum()
        self._say(f"Importing picture {total - len(self._queue) + 1} of {total}…")
        path, data = item.path, item.data

        def prepare() -> PreparedPhoto:
            # A worker thread: bytes in, a clean JPEG out; nothing here touches the data file.
            if data is not None:
                return prepare_photo(data)
            assert path is not None
            return prepare_photo(read_picture_file(path))

        run_in_background(self, prepare, self._prepared, self._failed)

    def _prepared(self, prepared: PreparedPhoto) -> None:
        item = self._queue.pop(0)
        assert self.photo_set is not None
        try:
            photo = self._photos.add_prepared(
                self.photo_set.id, item.view, prepared, source=item.source
            )
        except UserError as exc:
            self._problems.append(f"{item.name}: {exc.message}")
        else:
            self._new.append(photo)
            self.pending.remove(item)
        self.progress.setValue(self.progress.value() + 1)
        self._import_next()

    def _failed(self, exc: BaseException) -> None:
        item = self._queue.pop(0)
        message = exc.message if isinstance(exc, UserError) else "it could not be read"
        if isinstance(exc, OSError):
            message = f"the file could not be read ({exc.strerror or exc})"
        self._problems.append(f"{item.name}: {message}")
        self.progress.setValue(self.progress.value() + 1)
        self._import_next()

    def _finish_import(self) -> None:
        self.importing = False
        self.progress.hide()
        for widget in (self.files_button, self.folder_button, self.camera_button):
            widget.setEnabled(True)
        self.stored += self._new
        if self._new:
            self.changes = Changes(frozenset({PHOTOS}), self._patient_id)
        words = f"{len(self._new)} photo{'s' if len(self._new) != 1 else ''} imported."
        if self._problems:
            words += " Not imported: " + "; ".join(self._problems)
        self._say(words, problem=bool(self._problems))
        self._refresh_list()
        self._refresh_checklist()
        self.imported.emit(self._new)

    def _say(self, words: str, *, problem: bool = False) -> None:
        self.status.setText(words)
        self.status.setStyleSheet(f"color: {ink(CAUTION)};" if problem else "")
        self.status.setAccessibleName(words)

    def reject(self) -> None:
        if self.importing:  # the import finishes first: a half-stored picture helps nobody
            self._say("Please wait: the pictures are being imported.")
            return
        super().reject()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            focus = self.focusWidget()
            if isinstance(focus, QPushButton):
                focus.click()
            else:
                self.start_import()
            return
        super().keyPressEvent(event)


def camera_for_this_pc() -> CameraFactory | str:
    """How the camera window is built on this PC (its first camera through Qt Multimedia), or
    the plain sentence saying why there is no camera to use."""
    from exodesk.ui.photos.camera import CameraCapture, QtCameraSource, camera_problem

    problem = camera_problem()
    if problem is not None:
        return problem

    def make(
        parent: QWidget,
        views: tuple[tuple[str, str], ...],
        ghosts: dict[str, QImage],
        already: frozenset[str],
    ) -> CameraCapture:
        return CameraCapture(parent, QtCameraSource(), views, ghosts=ghosts, already=already)

    return make
