"""MainWindow: builds the tabs and the current-patient header, wires one data_changed, and
keeps the desk lock and the backups of an open window (its menus are in ui/menus.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QByteArray, QRect, QSettings, QSignalBlocker, QSize, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QMainWindow,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from exodesk import APP_NAME
from exodesk.domain import accounts as perms
from exodesk.domain.patient import Patient
from exodesk.errors import StorageError, UserError
from exodesk.services.allergies import ALLERGIES
from exodesk.services.backups import BackupService
from exodesk.services.context import PATIENTS, SETTINGS, STAFF, Changes
from exodesk.services.workspace import Services, StartupCheck
from exodesk.ui.current import CurrentPatient
from exodesk.ui.dialogs.backups import backup_before_closing, run_due_backup
from exodesk.ui.dialogs.sign_in import SignInDialog
from exodesk.ui.errors import show_user_error
from exodesk.ui.header import PatientHeader
from exodesk.ui.lock import DeskLock, IdleWatcher
from exodesk.ui.menus import MainMenus
from exodesk.ui.patients.tab import PatientsTab
from exodesk.ui.startup_check import (
    PASSED_MESSAGE,
    RUNNING_MESSAGE,
    CheckWatcher,
    offer_backup_after_check,
    show_busy_while_waiting,
)

if TYPE_CHECKING:  # built on first use, so their modules load then (see MainWindow._tab)
    from exodesk.services.rekey import RekeyPlan
    from exodesk.ui.aftercare.tab import AftercareTab
    from exodesk.ui.comparison.tab import ComparisonTab
    from exodesk.ui.screening.tab import ScreeningTab
    from exodesk.ui.sessions.tab import SessionsTab


DEFAULT_SIZE = QSize(1200, 760)
"""The window's size on a first start, when the screen has room for it (the frame aside)."""


FRAME_ALLOWANCE = QSize(16, 40)
"""Room left for the window's frame and title bar before the window manager says (Windows 11:
8 px each side, a 31 px title bar)."""


def available_area(window: QWidget) -> QRect:
    """The part of the window's screen that windows may use (the taskbar left out)."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


class MainWindow(QMainWindow):
    """The one window. Tabs never talk to each other: they share the current patient and
    ``data_changed``, which carries what a service call changed."""

    data_changed = Signal(object)  # Changes

    BACKUP_CHECK_MS = 60 * 60 * 1000
    """How often an open window checks whether today's backup is due (it runs once a day)."""
    FIRST_BACKUP_DELAY_MS = 5_000
    """The first check waits until the window has painted and the user has started work."""

    def __init__(
        self, services: Services, *, day_first: bool, automatic_backups: bool = False
    ) -> None:
        """Args:
        services: The open data file's services.
        day_first: The locale writes dates day first.
        automatic_backups: Back up once a day while open and when closing (the app does;
            tests of other features leave it off so each window does not write backups).
        """
        super().__init__()
        self.setObjectName("mainWindow")
        self._services = services
        self._day_first = day_first
        self.backups = BackupService(services.ctx, services.paths)
        self.automatic_backups = automatic_backups
        self.encrypt_request = False
        """The admin chose Tools → Encrypt: the launcher converts the file and reopens it."""
        self.restore_request: Path | None = None
        """A backup the user chose to restore: the launcher closes the file, restores, reopens."""
        self.restore_backup_key: bytes | None = None
        """The older data key that backup opens with (made before the clinic's keys changed)."""
        self.restore_admin_key: bytes | None = None
        """The admin key in hand, to seal that older backup's rows again as it goes in."""
        self.rekey_request: RekeyPlan | None = None
        """Tools → Change the clinic's keys, ready: the launcher re-keys the file, reopens."""
        self._backup_timer = QTimer(self)
        self._backup_timer.setInterval(self.BACKUP_CHECK_MS)
        self._backup_timer.timeout.connect(self.run_due_backup)
        self._shown_once = False
        self._placed = QSize()
        """The size the window was given at start (see _fit_in_screen)."""
        self.current = CurrentPatient(self)
        self.header = PatientHeader(services.patients.today, services.allergies, services.desk)
        self._build_tabs()
        self.current.changed.connect(self.header.show_patient)
        self.header.data_changed.connect(self.data_changed)
        self.header.photos_requested.connect(self.open_photos)
        # Every letter of "Photos" already answers Alt somewhere: a shortcut of its own.
        QShortcut(QKeySequence("Ctrl+Shift+P"), self, self._photos_key)
        self.data_changed.connect(self._on_data_changed)
        self._build_layout()
        self.menus = MainMenus(self, services, day_first=day_first)
        self._idle_minutes = services.clinic.settings().idle_lock_minutes
        self.desk_lock = DeskLock(self, self.menus.set_enabled)
        self.idle = IdleWatcher(self, services.ctx.now, lambda: self._idle_minutes)
        self.idle.idle.connect(self.lock_desk)
        self._update_title()
        self.apply_permissions()
        self._restore_geometry()
        self.check_watcher: CheckWatcher | None = None
        if services.startup_check is not None:
            self._watch_startup_check(services.startup_check)

    def _build_tabs(self) -> None:
        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.tabs.setAccessibleName("Sections")
        # Only the Patients tab is built now. The others start as empty pages and are built
        # the first time they are selected or their attribute (``window.sessions_tab``) is
        # read: start-up skips their widgets and their modules (issue #9). A tab built late
        # reads the current patient and the file then, so it misses no data_changed.
        self._built: dict[str, QWidget] = {}
        self._placeholders: dict[str, QWidget] = {}
        self.patients_tab = PatientsTab(
            self._services.patients, self.current, day_first=self._day_first
        )
        self.tabs.addTab(self.patients_tab, "&Patients")
        self._wire_tab(self.patients_tab)
        for name, label in (
            ("screening_tab", "Intake scr&eening"),
            ("sessions_tab", "Sess&ions"),
            ("comparison_tab", "&Compare treatments"),
            ("aftercare_tab", "&Aftercare"),
        ):
            placeholder = QWidget()
            placeholder.setObjectName(f"{name}Placeholder")
            self._placeholders[name] = placeholder
            self.tabs.addTab(placeholder, label)
        self.tabs.currentChanged.connect(self._tab_selected)

    def _build_layout(self) -> None:
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.header)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.desk_label = QLabel()
        self.desk_label.setObjectName("deskLabel")
        self.statusBar().addPermanentWidget(self.desk_label)

    # ---- tabs, built on first use --------------------------------------------------------
    @property
    def screening_tab(self) -> ScreeningTab:
        return self._tab("screening_tab")

    @property
    def sessions_tab(self) -> SessionsTab:
        return self._tab("sessions_tab")

    @property
    def comparison_tab(self) -> ComparisonTab:
        return self._tab("comparison_tab")

    @property
    def aftercare_tab(self) -> AftercareTab:
        return self._tab("aftercare_tab")

    def _page(self, name: str) -> QWidget:
        """The tab's page as it is now (its placeholder until built), without building it."""
        tab = self._built.get(name)
        return tab if tab is not None else self._placeholders[name]

    def _tab(self, name: str) -> Any:
        """The tab, built and put in its placeholder's place the first time it is asked for."""
        tab = self._built.get(name)
        if tab is not None:
            return tab
        tab = self._built[name] = self._build_tab(name)
        self._wire_tab(tab)
        placeholder = self._placeholders.pop(name)
        index = self.tabs.indexOf(placeholder)
        # Swapping pages moves the current tab for a moment: nobody should hear about it.
        with QSignalBlocker(self.tabs):
            current = self.tabs.currentIndex()
            enabled, tip = self.tabs.isTabEnabled(index), self.tabs.tabToolTip(index)
            self.tabs.insertTab(index, tab, self.tabs.tabText(index))
            self.tabs.removeTab(index + 1)
            self.tabs.setTabEnabled(index, enabled)
            self.tabs.setTabToolTip(index, tip)
            self.tabs.setCurrentIndex(current)
        placeholder.deleteLater()
        return tab

    def _build_tab(self, name: str) -> QWidget:
        # Function-level imports: a tab's module (and what it imports) loads with the tab.
        services = self._services
        if name == "screening_tab":
            from exodesk.ui.screening.tab import ScreeningTab

            return ScreeningTab(
                services.screening,
                self.current,
                day_first=self._day_first,
                allergies=services.allergies,
            )
        if name == "sessions_tab":
            from exodesk.ui.sessions.tab import SessionsTab

            tab = SessionsTab(
                self.current,
                sessions=services.sessions,
                courses=services.courses,
                catalogue=services.catalogue,
                events=services.events,
                timeline=services.timeline,
            )
            tab.event_requested.connect(self.menus.log_event)
            tab.aftercare_requested.connect(self.print_aftercare)
            tab.edit_event_requested.connect(self.menus.edit_event)
            return tab
        if name == "comparison_tab":
            from exodesk.ui.comparison.tab import ComparisonTab

            return ComparisonTab(services.comparison, self.current)
        from exodesk.ui.aftercare.tab import AftercareTab

        return AftercareTab(services.aftercare, services.sessions, self.current)

    def _wire_tab(self, tab: Any) -> None:
        tab.data_changed.connect(self.data_changed)
        self.data_changed.connect(tab.on_data_changed)

    def _tab_selected(self, index: int) -> None:
        page = self.tabs.widget(index)
        for name, placeholder in list(self._placeholders.items()):
            if page is placeholder:
                self._tab(name)

    def show_patient(self, patient_id: int) -> None:
        """Make the patient current and show them on the Patients tab (the due list asks)."""
        try:
            patient = self._services.patients.get(patient_id)
        except UserError as exc:
            show_user_error(self, exc)
            return
        self.tabs.setCurrentWidget(self.patients_tab)
        self.patients_tab.open_patient(patient)

    def _photos_key(self) -> None:
        if self.header.photos_button.isVisible() and self.header.photos_button.isEnabled():
            self.open_photos()

    def open_photos(self) -> None:
        """The current patient's clinical photos (the header's Photos… button)."""
        patient = self.current.patient
        if patient is None or patient.id is None:
            return
        from exodesk.ui.photos.gallery import PhotosWindow
        from exodesk.ui.photos.take import camera_for_this_pc

        try:
            window = PhotosWindow(
                self,
                self._services,
                patient_id=patient.id,
                patient_name=patient.display_name,
                camera=camera_for_this_pc(),
            )
        except UserError as exc:
            show_user_error(self, exc)
            return
        window.exec()
        if window.changes.topics:
            self.data_changed.emit(window.changes)

    def print_aftercare(self, session_id: int) -> None:
        self.tabs.setCurrentWidget(self.aftercare_tab)
        self.aftercare_tab.select_session(session_id)

    # ---- the start-up check --------------------------------------------------------------
    def _watch_startup_check(self, check: StartupCheck) -> None:
        """Say in the status bar that the file is being checked; if the check finds it
        damaged, say so once and offer the newest good backup."""
        show_busy_while_waiting(check)
        self.check_watcher = CheckWatcher(self, check)
        self.check_watcher.passed.connect(self._startup_check_passed)
        self.check_watcher.failed.connect(self._startup_check_failed)
        if not check.done:
            self.statusBar().showMessage(RUNNING_MESSAGE)
        self.check_watcher.start()

    def _startup_check_passed(self, _seconds: float) -> None:
        if self.statusBar().currentMessage() == RUNNING_MESSAGE:
            self.statusBar().showMessage(PASSED_MESSAGE, 5_000)
        try:
            self._services.ctx.ready()  # the sign-in's audit entry, held for the check
        except UserError as exc:
            show_user_error(self, exc, title=f"{APP_NAME} could not record the sign-in")

    def _startup_check_failed(self, failure: StorageError) -> None:
        self.statusBar().showMessage("The data file is damaged: nothing more will be saved.")
        chosen = offer_backup_after_check(self, failure, self._services.paths.backups)
        if chosen is not None:
            self.restore_request = chosen.path
            self.close()

    def run_due_backup(self) -> bool:
        """Start today's automatic backup in the background if none was made today."""
        if not self.isVisible():  # closing: the close backup covers it
            return False
        return run_due_backup(self, self.backups)

    def switch_user(self, parent: QWidget | None = None) -> bool:
        """Someone else signs in (their password); what the last person left unsaved is
        closed unsaved, so it is never saved under the wrong name. True if someone did."""
        before = self._services.desk.user
        dialog = SignInDialog(
            parent or self,
            self._services.accounts,
            self._services.clinic.staff(),
            clinic_name=self._services.clinic.settings().name,
            preselect=None,
        )
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.member is None:
            return False
        if before is not None and dialog.member.id != before.id:
            self.desk_lock.close_dialogs()
            self.current.set(None)
        self.data_changed.emit(Changes(frozenset({STAFF})))
        return True

    # ---- the idle lock -------------------------------------------------------------------
    def lock_desk(self) -> None:
        """Hide every window's contents behind the lock panel (nothing is closed)."""
        user = self._services.desk.user
        if user is None or self.desk_lock.locked or not self.isVisible():
            return
        self.idle.paused = True
        cover = self.desk_lock.lock(user.name)
        cover.unlock_requested.connect(self._unlock)
        cover.switch_requested.connect(self._switch_from_lock)

    def _unlock(self, password: str) -> None:
        user = self._services.desk.user
        cover = self.desk_lock.interactive
        if user is None or cover is None:
            return
        try:
            self._services.accounts.verify_unlock(int(user.id or 0), password)
        except UserError as exc:
            cover.refused(str(exc))
            return
        self._finish_unlock()

    def _switch_from_lock(self) -> None:
        cover = self.desk_lock.interactive
        self.desk_lock.letting_in = True
        try:
            switched = self.switch_user(cover.window() if cover is not None else self)
        finally:
            self.desk_lock.letting_in = False
        if switched:
            self._finish_unlock()

    def _finish_unlock(self) -> None:
        self.desk_lock.unlock()
        self.idle.paused = False
        self.idle.last_activity = self._services.ctx.now()
        self.apply_permissions()

    def apply_permissions(self) -> None:
        """Enable only what the person at the desk may do (menus and whole tabs)."""
        user = self._services.desk.user

        def may(permission: str) -> bool:
            return user is not None and perms.allowed(user, permission)

        self.menus.apply_permissions(may)
        self.header.photos_button.setVisible(may(perms.PHOTOS_VIEW))
        for tab, needed in (
            (self._page("screening_tab"), perms.SCREENING_VIEW),
            (self._page("sessions_tab"), perms.SESSIONS_VIEW),
            (self._page("comparison_tab"), perms.HANDOUTS_PRINT),
            (self._page("aftercare_tab"), perms.HANDOUTS_PRINT),
        ):
            index = self.tabs.indexOf(tab)
            self.tabs.setTabEnabled(index, may(needed))
            self.tabs.setTabToolTip(
                index, "" if may(needed) else f"Only {perms.who_may(needed)} can open this."
            )

    def _on_data_changed(self, changes: Changes) -> None:
        if changes.touches(SETTINGS) or changes.touches(STAFF):
            self._update_title()
            self.apply_permissions()
        if changes.touches(SETTINGS):
            self._idle_minutes = self._services.clinic.settings().idle_lock_minutes
        current: Patient | None = self.current.patient
        if (
            changes.touches(PATIENTS)
            and current
            and current.id is not None  # the current patient is a saved one
            and changes.patient_id == current.id
        ):
            try:
                self.header.show_patient(self._services.patients.get(current.id))
            except UserError as exc:
                show_user_error(self, exc)
        elif changes.touches(ALLERGIES) and current and changes.patient_id == current.id:
            self.header.refresh_allergies()

    def _update_title(self) -> None:
        clinic = self._services.clinic.settings().name or "New clinic"
        self.setWindowTitle(f"{clinic} — {APP_NAME}")
        user = self._services.desk.user
        self.desk_label.setText(f"At the desk: {user.label}" if user else "Nobody at the desk")

    # ---- geometry ------------------------------------------------------------------------
    def _ui_settings(self) -> QSettings:
        return QSettings(str(self._services.paths.ui_settings), QSettings.Format.IniFormat)

    def _restore_geometry(self) -> None:
        # type=QByteArray makes QSettings hand back a QByteArray; the stub says object.
        geometry = cast(
            QByteArray,
            self._ui_settings().value("window/geometry", QByteArray(), type=QByteArray),
        )
        area = available_area(self)
        if geometry and self.restoreGeometry(geometry) and area.contains(self.geometry()):
            self._placed = self.size()
            return  # as it was left, and it fits this screen
        # A first start, or a size saved on a larger screen: the default size, or the screen's
        # room less a window frame, whichever is smaller (showEvent checks the real frame).
        self.resize(DEFAULT_SIZE.boundedTo(area.size() - FRAME_ALLOWANCE))
        self.move(area.topLeft())  # a window's move places its frame, title bar included
        self._placed = self.size()

    def _fit_in_screen(self) -> None:
        """Shrink and move the window (frame included) into the screen's available area.

        Only the size chosen here at start: a size set since (by the person, or by code that
        shows the window at a given size) is left alone."""
        if self.isMaximized() or self.isFullScreen() or self.size() != self._placed:
            return
        area = available_area(self)
        frame = self.frameGeometry()
        if area.contains(frame):
            return
        border = frame.size() - self.size()
        self.resize(self.size().boundedTo(area.size() - border))
        self._placed = self.size()
        frame = self.frameGeometry()
        x = min(max(frame.left(), area.left()), area.right() + 1 - frame.width())
        y = min(max(frame.top(), area.top()), area.bottom() + 1 - frame.height())
        self.move(x, y)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown_once:
            self._fit_in_screen()
            # The frame's real size is known once the window manager has framed the window.
            QTimer.singleShot(200, self, self._fit_in_screen)
            self.idle.start()
        if self.automatic_backups and not self._shown_once:
            QTimer.singleShot(self.FIRST_BACKUP_DELAY_MS, self, self.run_due_backup)
            self._backup_timer.start()
        self._shown_once = True

    def closeEvent(self, event: QCloseEvent) -> None:
        # QSettings never raises; a geometry that fails to save is only a nicety lost.
        self._ui_settings().setValue("window/geometry", self.saveGeometry())
        self._backup_timer.stop()
        self.idle.stop()
        if self.automatic_backups and self.restore_request is None and not self.encrypt_request:
            # A restore saves the current file aside itself; otherwise back up what changed.
            backup_before_closing(self, self.backups)
        super().closeEvent(event)
        if event.isAccepted():
            self._close_other_windows()

    def _close_other_windows(self) -> None:
        """Close every other window of the app (a dialog left open, a stray window): one left
        visible kept the app running after Exit, holding the data file's lock (issue #18)."""
        for widget in QApplication.topLevelWidgets():
            if widget is self or not widget.isVisible():
                continue
            if isinstance(widget, QDialog):
                widget.done(QDialog.DialogCode.Rejected)  # ends its exec() too
            widget.close()
            if widget.isVisible():  # it refused: hidden, it holds nothing open
                widget.hide()
