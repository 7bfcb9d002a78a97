"""PhotosWindow: the patient's clinical photos by date, area and view, and what can be done
with them (take, consent, compare, print a progress sheet, mark entered in error)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain import accounts as perms
from exodesk.domain.dates import format_short
from exodesk.domain.photos import CONSENT_LEVELS, CONSENT_SHORT, RECORD, Photo, PhotoSet
from exodesk.errors import UserError
from exodesk.services.context import Changes
from exodesk.services.photos import PHOTOS
from exodesk.services.workspace import Services
from exodesk.ui.common import named, resize_within_screen, without_default_buttons
from exodesk.ui.dialogs.reason import ReasonDialog
from exodesk.ui.errors import show_user_error
from exodesk.ui.look import CAUTION, FADED, GOOD, NOTE, ink_style, item_ink
from exodesk.ui.photos.take import CameraFactory
from exodesk.ui.photos.thumbs import THUMB_SIDE, ThumbLoader, placeholder, scaled_image
from exodesk.ui.widgets import NoWheelComboBox

PHOTO_ROLE = Qt.ItemDataRole.UserRole
ALL = ""

NO_RECORD_CONSENT = (
    "No photo can be taken yet: the patient has not agreed to photos for their clinical "
    "record. Record their photo consent first (Photo consent…)."
)


def _thumbnail(fetch: Callable[[Photo], bytes], photo: Photo) -> QImage:
    """A stored thumbnail, decoded (on a worker thread)."""
    return scaled_image(fetch(photo), THUMB_SIDE)


class GalleryModel(QAbstractListModel):
    """The photos shown, newest set first; a photo's thumbnail is asked for the first time
    the view paints it (so the first screen of 500 photos decodes only what it shows)."""

    def __init__(self, fetch: Callable[[Photo], bytes], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._fetch = fetch
        self._rows: list[tuple[Photo, str]] = []
        self._icons: dict[int, QIcon] = {}
        self._waiting = QIcon(QPixmap.fromImage(placeholder("…", THUMB_SIDE)))
        self.loader = ThumbLoader(self)
        self.loader.loaded.connect(self._loaded)
        self.loader.failed.connect(self._failed)

    def set_rows(self, rows: list[tuple[Photo, str]]) -> None:
        """(photo, caption) pairs in the order shown."""
        self.beginResetModel()
        self.loader.forget()
        self._rows = rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def photo_at(self, row: int) -> Photo | None:
        return self._rows[row][0] if 0 <= row < len(self._rows) else None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        photo, caption = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return caption
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return caption.replace("\n", ", ")
        if role == Qt.ItemDataRole.DecorationRole:
            icon = self._icons.get(photo.id)
            if icon is None:
                self.loader.request(photo.id, partial(_thumbnail, self._fetch, photo))
                return self._waiting
            return icon
        if role == Qt.ItemDataRole.ForegroundRole and photo.entered_in_error:
            return item_ink(FADED)
        if role == PHOTO_ROLE:
            return photo
        return None

    @property
    def thumbnails_loaded(self) -> int:
        return len(self._icons)

    def _row_of(self, photo_id: int) -> int:
        return next((i for i, (p, _c) in enumerate(self._rows) if p.id == photo_id), -1)

    def _loaded(self, key: object, image: object) -> None:
        if not isinstance(key, int) or not isinstance(image, QImage):
            return
        self._icons[key] = QIcon(QPixmap.fromImage(image))
        row = self._row_of(key)
        if row >= 0:
            index = self.index(row, 0)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def _failed(self, key: object, _message: str) -> None:
        if isinstance(key, int):
            self._icons[key] = QIcon(QPixmap.fromImage(placeholder("Cannot be shown")))


class PhotosWindow(QDialog):
    """One patient's photos. ``changes`` gathers what was changed while it was open."""

    def __init__(
        self,
        parent: QWidget | None,
        services: Services,
        *,
        patient_id: int,
        patient_name: str,
        camera: CameraFactory | str = "",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("photosWindow")
        self.setAccessibleName("Clinical photos")
        self.setWindowTitle(f"Photos — {patient_name}")
        self._services = services
        self._photos = services.photos
        self._patient_id = patient_id
        self._patient_name = patient_name
        self._camera = camera
        self._table = self._photos.views
        self.changes = Changes()
        self._sets: dict[int, PhotoSet] = {}

        self.consent_label = QLabel()
        self.consent_label.setObjectName("photosConsent")
        self.consent_label.setWordWrap(True)
        self.area = named(NoWheelComboBox(), "photosArea", "Show photos of the area")
        self.area.addItem("All areas", ALL)
        for area_id in self._table.areas:
            self.area.addItem(self._table.area_label(area_id), area_id)
        self.view = named(NoWheelComboBox(), "photosView", "Show photos of the view")
        self.show_errors = named(
            QCheckBox("Show entered in e&rror"),
            "photosShowErrors",
            "Show photos entered in error",
            "Photos marked entered in error are kept, greyed and hidden unless this is ticked.",
        )
        area_label = QLabel("A&rea")
        area_label.setBuddy(self.area)
        # Alt+R is taken by "Show entered in error": the area takes Alt+E instead.
        area_label.setText("Ar&ea")
        view_label = QLabel("&View")
        view_label.setBuddy(self.view)
        filters = QHBoxLayout()
        filters.addWidget(area_label)
        filters.addWidget(self.area)
        filters.addSpacing(12)
        filters.addWidget(view_label)
        filters.addWidget(self.view)
        filters.addSpacing(12)
        filters.addWidget(self.show_errors)
        filters.addStretch(1)

        self.model = GalleryModel(self._photos.thumbnail, self)
        self.gallery = named(
            QListView(),
            "photosGallery",
            "Photos",
            "Newest first. Enter or a double click compares the photo with the same view "
            "on other dates.",
        )
        self.gallery.setModel(self.model)
        self.gallery.setViewMode(QListView.ViewMode.IconMode)
        self.gallery.setIconSize(QSize(THUMB_SIDE, THUMB_SIDE * 3 // 4))
        self.gallery.setGridSize(QSize(THUMB_SIDE + 64, THUMB_SIDE * 3 // 4 + 64))
        self.gallery.setResizeMode(QListView.ResizeMode.Adjust)
        self.gallery.setMovement(QListView.Movement.Static)
        self.gallery.setUniformItemSizes(True)
        self.gallery.setWordWrap(True)
        self.gallery.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.empty_label = QLabel()
        self.empty_label.setObjectName("photosEmpty")
        self.empty_label.setWordWrap(True)
        self.empty_label.setStyleSheet(ink_style(NOTE))
        self.count_label = QLabel()
        self.count_label.setObjectName("photosCount")

        self.take_button = named(
            QPushButton("&Take photos…"),
            "photosTake",
            "Take photos",
            "A set of standard views for a session or a consultation",
        )
        self.consent_button = named(
            QPushButton("Photo &consent…"),
            "photosConsentButton",
            "Photo consent",
            "What the patient agreed to; sign or take back a level",
        )
        self.compare_button = named(
            QPushButton("Com&pare…"),
            "photosCompare",
            "Compare dates",
            "The same view on two dates side by side, with the ratings",
        )
        self.sheet_button = named(
            QPushButton("Print progress s&heet…"),
            "photosPrintSheet",
            "Print a progress sheet",
            "Up to 4 before-and-after pairs on one page for the patient",
        )
        self.error_button = named(
            QPushButton("Entered in err&or…"),
            "photosEnteredInError",
            "Mark the photo as entered in error",
            "It is hidden and kept, never deleted (you say why)",
        )
        self.close_button = named(QPushButton("Close"), "photosClose", "Close", "Esc")
        actions = QHBoxLayout()
        for button in (
            self.take_button,
            self.consent_button,
            self.compare_button,
            self.sheet_button,
            self.error_button,
        ):
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.consent_label)
        layout.addLayout(filters)
        layout.addWidget(self.gallery, 1)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.count_label)
        layout.addLayout(actions)
        without_default_buttons(self)

        self.area.currentIndexChanged.connect(self._area_changed)
        self.view.currentIndexChanged.connect(self.refresh)
        self.show_errors.toggled.connect(self.refresh)
        self.gallery.activated.connect(self._open_compare_at)
        self.gallery.selectionModel().currentChanged.connect(self._update_buttons)
        self.take_button.clicked.connect(self.take_photos)
        self.consent_button.clicked.connect(self.open_consent)
        self.compare_button.clicked.connect(lambda: self.open_compare())
        self.sheet_button.clicked.connect(self.print_sheet)
        self.error_button.clicked.connect(self.mark_error)
        self.close_button.clicked.connect(self.reject)
        for first, second in itertools.pairwise(
            [
                self.area,
                self.view,
                self.show_errors,
                self.gallery,
                self.take_button,
                self.consent_button,
                self.compare_button,
                self.sheet_button,
                self.error_button,
                self.close_button,
            ]
        ):
            QWidget.setTabOrder(first, second)
        self._fill_views()
        self.refresh()
        self._show_consent()
        resize_within_screen(self, 1180, 720)

    # ---- what is shown -------------------------------------------------------------------
    def _area_changed(self) -> None:
        self._fill_views()
        self.refresh()

    def _fill_views(self) -> None:
        area = str(self.area.currentData())
        self.view.blockSignals(True)
        self.view.clear()
        self.view.addItem("All views", ALL)
        if area:
            for view_id, label in self._table.views(area):
                self.view.addItem(label, view_id)
        self.view.blockSignals(False)
        self.view.setEnabled(bool(area))

    def refresh(self) -> None:
        """Read the patient's photos again, as the filters say."""
        area = str(self.area.currentData() or "") or None
        view = str(self.view.currentData() or "") or None
        try:
            self._sets = {s.id: s for s in self._photos.sets(self._patient_id)}
            photos = self._photos.gallery(self._patient_id, area=area, view=view)
            in_error = self._in_error(area, view)
        except UserError as exc:
            show_user_error(self, exc)
            return
        hidden = 0
        if self.show_errors.isChecked():
            photos = photos + in_error
        else:
            hidden = len(in_error)
        photos.sort(key=self._in_order)
        rows = [(p, self._caption(p)) for p in photos]
        self.model.set_rows(rows)
        count = f"{len(photos)} photo{'s' if len(photos) != 1 else ''}"
        if hidden:
            count += f" ({hidden} entered in error, hidden)"
        self.count_label.setText(count)
        self.empty_label.setText(
            "No photos yet. Take photos… adds a set for a session or a consultation."
            if not photos
            else ""
        )
        self.empty_label.setVisible(not photos)
        if photos:
            self.gallery.setCurrentIndex(self.model.index(0, 0))
        self._update_buttons()

    def _in_error(self, area: str | None, view: str | None) -> list[Photo]:
        """The photos entered in error among those the filters choose."""
        found = []
        for photo_set in self._sets.values():
            if area is not None and photo_set.area != area:
                continue
            for photo in self._photos.photos(photo_set.id, include_errors=True):
                if photo.entered_in_error and (view is None or photo.view == view):
                    found.append(photo)
        return found

    def _in_order(self, photo: Photo) -> tuple[int, int, int, int]:
        """Newest set first; within a set, the views in the order they are taken."""
        photo_set = self._sets.get(photo.set_id)
        day = photo_set.taken_on if photo_set is not None else photo.taken_at.date()
        views = [v for v, _ in self._table.views(photo_set.area)] if photo_set else []
        place = views.index(photo.view) if photo.view in views else len(views)
        return (-day.toordinal(), -photo.set_id, place, photo.id)

    def _caption(self, photo: Photo) -> str:
        photo_set = self._sets.get(photo.set_id)
        area = photo_set.area if photo_set is not None else ""
        when = format_short(photo_set.taken_on if photo_set else photo.taken_at.date())
        label = self._table.label(area, photo.view)
        second = f"{when} · {photo_set.label}" if photo_set is not None else when
        if photo.entered_in_error:
            return f"{label} — entered in error\n{second}"
        return f"{label}\n{second}"

    def _show_consent(self) -> None:
        consent = self._photos.consent(self._patient_id)
        levels = set(consent.levels) if consent is not None else set()
        if RECORD in levels:
            agreed = ", ".join(CONSENT_SHORT[lv] for lv in CONSENT_LEVELS if lv in levels)
            words, colour = f"Photo consent: {agreed}.", GOOD
        else:
            words, colour = NO_RECORD_CONSENT, CAUTION
        self.consent_label.setText(words)
        self.consent_label.setStyleSheet(ink_style(colour))
        self.consent_label.setAccessibleName(words)

    def current_photo(self) -> Photo | None:
        return self.model.photo_at(self.gallery.currentIndex().row())

    def _may(self, permission: str) -> bool:
        user = self._services.desk.user
        return user is not None and perms.allowed(user, permission)

    def _update_buttons(self, *_: object) -> None:
        photo = self.current_photo()
        may_error = self._may(perms.PHOTOS_ERROR)
        self.error_button.setEnabled(photo is not None and not photo.entered_in_error and may_error)
        self.error_button.setToolTip(
            "It is hidden and kept, never deleted (you say why)"
            if may_error
            else "Only a practitioner can mark a photo as entered in error."
        )
        has_photos = self.model.rowCount() > 0
        self.compare_button.setEnabled(has_photos)
        self.sheet_button.setEnabled(has_photos)
        self.take_button.setEnabled(self._may(perms.PHOTOS_TAKE))

    def _changed(self, changes: Changes) -> None:
        if changes.topics:
            self.changes = Changes(self.changes.topics | changes.topics, self._patient_id)

    # ---- doing things --------------------------------------------------------------------
    def open_consent(self) -> None:
        from exodesk.ui.photos.consent import PhotoConsentDialog

        dialog = PhotoConsentDialog(
            self,
            self._photos,
            patient_id=self._patient_id,
            patient_name=self._patient_name,
            today_text=format_short(self._services.ctx.today()),
        )
        dialog.exec()
        self._changed(dialog.changes)
        self._show_consent()

    def take_photos(self) -> None:
        """The take-photos dialog; without record-level consent, why not, and the consent."""
        if not self._photos.may(self._patient_id, RECORD) and not self._offer_consent():
            return
        from exodesk.ui.photos.take import TakePhotosDialog

        sessions = self._services.sessions.sessions(self._patient_id)
        dialog = TakePhotosDialog(
            self,
            self._photos,
            patient_id=self._patient_id,
            patient_name=self._patient_name,
            sessions=sessions,
            today=self._services.ctx.today(),
            area=str(self.area.currentData() or "") or None,
            camera=self._camera,
        )
        dialog.exec()
        self._changed(dialog.changes)
        self.refresh()

    def _offer_consent(self) -> bool:
        """Say why photos cannot be taken and offer the consent form; True once it stands."""
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(QMessageBox.Icon.Information, "Photo consent needed", "", parent=self)
        box.setObjectName("photosNoConsentBox")
        box.setText(NO_RECORD_CONSENT)
        sign = box.addButton("Photo consent…", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Not now", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        if box.clickedButton() is not sign:
            return False
        self.open_consent()
        return self._photos.may(self._patient_id, RECORD)

    def mark_error(self) -> None:
        photo = self.current_photo()
        if photo is None:
            return
        dialog = ReasonDialog(
            self,
            "Photo entered in error",
            "The photo is hidden from the gallery, the comparison and the progress sheet. It "
            "is kept in the record and can be seen with Show entered in error.",
            "Why? (for example: wrong patient, wrong area, blurred)",
        )
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        try:
            self._photos.mark_entered_in_error(photo.id, dialog.reason())
        except UserError as exc:
            show_user_error(self, exc)
            return
        self._changed(Changes(frozenset({PHOTOS}), self._patient_id))
        self.refresh()

    def _open_compare_at(self, index: QModelIndex) -> None:
        photo = self.model.photo_at(index.row())
        if photo is not None:
            self.open_compare(photo)

    def open_compare(self, photo: Photo | None = None) -> None:
        from exodesk.ui.photos.comparing import CompareWindow

        photo = photo or self.current_photo()
        photo_set = self._sets.get(photo.set_id) if photo is not None else None
        dialog = CompareWindow(
            self,
            self._services,
            patient_id=self._patient_id,
            patient_name=self._patient_name,
            area=photo_set.area if photo_set is not None else None,
            view=photo.view if photo is not None else None,
            photo_id=photo.id if photo is not None else None,
        )
        dialog.exec()
        self._changed(dialog.changes)

    def print_sheet(self) -> None:
        from exodesk.ui.photos.progress import ProgressSheetDialog

        photo = self.current_photo()
        photo_set = self._sets.get(photo.set_id) if photo is not None else None
        dialog = ProgressSheetDialog(
            self,
            self._services,
            patient_id=self._patient_id,
            patient_name=self._patient_name,
            area=photo_set.area if photo_set is not None else None,
        )
        dialog.exec()
        self._changed(dialog.changes)
