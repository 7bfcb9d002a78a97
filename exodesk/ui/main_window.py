"""MainWindow: builds the tabs, the current-patient header and menus; wires one data_changed."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from exodesk import APP_NAME, __version__
from exodesk.domain.patient import Patient
from exodesk.errors import UserError
from exodesk.services.audit import AuditService
from exodesk.services.backups import BackupService
from exodesk.services.context import PATIENTS, SETTINGS, STAFF, Changes
from exodesk.services.sessions import SESSIONS
from exodesk.services.workspace import Services
from exodesk.ui.aftercare.tab import AftercareTab
from exodesk.ui.comparison.tab import ComparisonTab
from exodesk.ui.current import CurrentPatient
from exodesk.ui.dialogs.aftercare_wording import AftercareWordingDialog
from exodesk.ui.dialogs.audit_log import AuditLogDialog
from exodesk.ui.dialogs.backups import (
    BackupNowDialog,
    DrillDialog,
    RestoreDialog,
    backup_before_closing,
    run_due_backup,
)
from exodesk.ui.dialogs.comparison_texts import ComparisonTextsDialog
from exodesk.ui.dialogs.guide import GuideDialog
from exodesk.ui.dialogs.screening_settings import ScreeningSettingsDialog
from exodesk.ui.dialogs.settings import ClinicSettingsDialog
from exodesk.ui.dialogs.staff import DeskDialog, StaffListDialog
from exodesk.ui.errors import show_user_error
from exodesk.ui.header import PatientHeader
from exodesk.ui.patients.tab import PatientsTab
from exodesk.ui.screening.tab import ScreeningTab
from exodesk.ui.sessions.catalogue import ProductsDialog
from exodesk.ui.sessions.events import AdverseEventDialog, OpenEventsDialog
from exodesk.ui.sessions.lists import DueListDialog, RecallDialog
from exodesk.ui.sessions.tab import SessionsTab


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
        self.restore_request: Path | None = None
        """A backup the user chose to restore: the launcher closes the file, restores, reopens."""
        self._backup_timer = QTimer(self)
        self._backup_timer.setInterval(self.BACKUP_CHECK_MS)
        self._backup_timer.timeout.connect(self.run_due_backup)
        self._shown_once = False
        self.current = CurrentPatient(self)
        self.header = PatientHeader(services.patients.today)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.tabs.setAccessibleName("Sections")
        self.patients_tab = PatientsTab(services.patients, self.current, day_first=day_first)
        self.screening_tab = ScreeningTab(services.screening, self.current, day_first=day_first)
        self.sessions_tab = SessionsTab(services.sessions, self.current)
        self.tabs.addTab(self.patients_tab, "&Patients")
        self.tabs.addTab(self.screening_tab, "Intake scr&eening")
        self.aftercare_tab = AftercareTab(services.aftercare, services.sessions, self.current)
        self.tabs.addTab(self.sessions_tab, "Sess&ions")
        self.comparison_tab = ComparisonTab(services.comparison, self.current)
        self.tabs.addTab(self.comparison_tab, "&Compare treatments")
        self.tabs.addTab(self.aftercare_tab, "&Aftercare")

        for tab in (
            self.patients_tab,
            self.screening_tab,
            self.sessions_tab,
            self.comparison_tab,
            self.aftercare_tab,
        ):
            tab.data_changed.connect(self.data_changed)
            self.data_changed.connect(tab.on_data_changed)
        self.current.changed.connect(self.header.show_patient)
        self.sessions_tab.event_requested.connect(self.log_event)
        self.sessions_tab.aftercare_requested.connect(self.print_aftercare)
        self.sessions_tab.edit_event_requested.connect(self.edit_event)
        self.data_changed.connect(self._on_data_changed)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.header)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.desk_label = QLabel()
        self.desk_label.setObjectName("deskLabel")
        self.statusBar().addPermanentWidget(self.desk_label)
        self._build_menus()
        self._update_title()
        self._restore_geometry()

    # ---- menus ---------------------------------------------------------------------------
    def _action(self, text: str, name: str, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(
            self._action(
                "Clinic &settings…",
                "actionSettings",
                self.edit_settings,
                QKeySequence.StandardKey.Preferences,
            )
        )
        file_menu.addAction(self._action("S&taff…", "actionStaff", self.edit_staff))
        file_menu.addAction(
            self._action("&Aftercare wording…", "actionAftercareWording", self.edit_wording)
        )
        file_menu.addAction(
            self._action(
                "Comparison &prices and wording…",
                "actionComparisonTexts",
                self.edit_comparison_texts,
            )
        )
        file_menu.addAction(
            self._action(
                "Screening &rules and consent…",
                "actionScreeningSettings",
                self.edit_screening_settings,
            )
        )
        file_menu.addAction(
            self._action("S&witch user…", "actionSwitchUser", self.switch_user, "Ctrl+Shift+U")
        )
        file_menu.addSeparator()
        file_menu.addAction(
            self._action("&Quit", "actionQuit", self.close, QKeySequence.StandardKey.Quit)
        )
        records = self.menuBar().addMenu("&Records")
        records.addAction(
            self._action("&Lot recall…", "actionRecall", self.show_recall, "Ctrl+Shift+L")
        )
        records.addAction(
            self._action("Patients &due for a session…", "actionDueList", self.show_due_list)
        )
        records.addAction(
            self._action("Open adverse &events…", "actionOpenEvents", self.show_open_events)
        )
        records.addSeparator()
        records.addAction(self._action("&Products and lots…", "actionProducts", self.edit_products))
        records.addSeparator()
        records.addAction(self._action("&Audit log…", "actionAuditLog", self.show_audit_log))
        tools = self.menuBar().addMenu("&Tools")
        tools.addAction(
            self._action("&Back up now…", "actionBackupNow", self.backup_now, "Ctrl+Shift+B")
        )
        tools.addAction(
            self._action("&Restore from a backup…", "actionRestore", self.restore_backup)
        )
        tools.addAction(
            self._action("&Test the newest backup (restore drill)…", "actionDrill", self.drill)
        )
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(
            self._action(
                "&User guide", "actionGuide", self.show_guide, QKeySequence.StandardKey.HelpContents
            )
        )
        help_menu.addAction(self._action("&About ExoDesk", "actionAbout", self.show_about))

    # ---- slots ---------------------------------------------------------------------------
    def edit_settings(self) -> None:
        dialog = ClinicSettingsDialog(self, self._services.clinic)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.changes.topics:
            self.data_changed.emit(dialog.changes)

    def edit_screening_settings(self) -> None:
        dialog = ScreeningSettingsDialog(self, self._services.screening)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.data_changed.emit(Changes(frozenset({SETTINGS})))

    def show_recall(self) -> None:
        RecallDialog(self, self._services.sessions).exec()

    def show_due_list(self) -> None:
        DueListDialog(self, self._services.sessions).exec()

    def show_open_events(self) -> None:
        dialog = OpenEventsDialog(
            self, self._services.sessions, self._services.patients, day_first=self._day_first
        )
        dialog.exec()
        self.data_changed.emit(Changes(frozenset({SESSIONS})))

    def edit_products(self) -> None:
        dialog = ProductsDialog(self, self._services.sessions, day_first=self._day_first)
        dialog.exec()
        if dialog.changes.topics:
            self.data_changed.emit(dialog.changes)

    def log_event(self, session_id: int) -> None:
        try:
            dialog = AdverseEventDialog(
                self, self._services.sessions, session_id=session_id, day_first=self._day_first
            )
        except UserError as exc:
            show_user_error(self, exc)
            return
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.changes.topics:
            self.data_changed.emit(dialog.changes)

    def edit_wording(self) -> None:
        dialog = AftercareWordingDialog(self, self._services.aftercare)
        dialog.exec()
        if dialog.changes.topics:
            self.data_changed.emit(dialog.changes)

    def edit_comparison_texts(self) -> None:
        dialog = ComparisonTextsDialog(self, self._services.comparison)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.changes.topics:
            self.data_changed.emit(dialog.changes)

    def print_aftercare(self, session_id: int) -> None:
        self.tabs.setCurrentWidget(self.aftercare_tab)
        self.aftercare_tab.select_session(session_id)

    def edit_event(self, event_id: int) -> None:
        try:
            event = self._services.sessions.event(event_id)
            dialog = AdverseEventDialog(
                self,
                self._services.sessions,
                session_id=event.session_id,
                event=event,
                day_first=self._day_first,
            )
        except UserError as exc:
            show_user_error(self, exc)
            return
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.changes.topics:
            self.data_changed.emit(dialog.changes)

    def backup_now(self) -> None:
        BackupNowDialog(self, self.backups).exec()

    def drill(self) -> None:
        DrillDialog(self, self._services.paths.backups).exec()

    def restore_backup(self) -> None:
        """Choose a backup; on confirmation the window closes and the launcher restores it
        (the data file must be closed first) and opens the restored file."""
        dialog = RestoreDialog(self, self.backups)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.chosen is not None:
            self.restore_request = dialog.chosen
            self.close()

    def run_due_backup(self) -> bool:
        """Start today's automatic backup in the background if none was made today."""
        if not self.isVisible():  # closing: the close backup covers it
            return False
        return run_due_backup(self, self.backups)

    def show_guide(self) -> None:
        GuideDialog.show_for(self)

    def show_audit_log(self) -> None:
        patient = self.current.patient
        AuditLogDialog(
            self,
            AuditService(self._services.ctx),
            patient_id=patient.id if patient else None,
            patient_label=patient.display_name if patient else "",
        ).exec()

    def edit_staff(self) -> None:
        dialog = StaffListDialog(self, self._services.clinic)
        dialog.exec()
        if dialog.changes.topics:
            self.data_changed.emit(dialog.changes)

    def switch_user(self) -> None:
        name = self._services.clinic.settings().name
        if DeskDialog(self, self._services.clinic, name).exec() == QDialog.DialogCode.Accepted:
            self.data_changed.emit(Changes(frozenset({STAFF})))

    def about_text(self) -> str:
        info = self._services.clinic.info()
        return (
            f"{APP_NAME} {__version__}\n\n"
            f"Data file: {info.path}\n"
            f"Schema version: {info.schema_version}\n"
            f"Patients: {info.counts.get('patients', 0):,}"
        )

    def show_about(self) -> None:
        try:
            text = self.about_text()
        except UserError as exc:
            show_user_error(self, exc)
            return
        box = QMessageBox(QMessageBox.Icon.Information, f"About {APP_NAME}", text, parent=self)
        box.setObjectName("aboutBox")
        box.exec()

    def _on_data_changed(self, changes: Changes) -> None:
        if changes.touches(SETTINGS) or changes.touches(STAFF):
            self._update_title()
        current: Patient | None = self.current.patient
        if changes.touches(PATIENTS) and current and changes.patient_id == current.id:
            try:
                self.header.show_patient(self._services.patients.get(current.id))
            except UserError as exc:
                show_user_error(self, exc)

    def _update_title(self) -> None:
        clinic = self._services.clinic.settings().name or "New clinic"
        self.setWindowTitle(f"{clinic} — {APP_NAME}")
        user = self._services.desk.user
        self.desk_label.setText(f"At the desk: {user.label}" if user else "Nobody at the desk")

    # ---- geometry ------------------------------------------------------------------------
    def _ui_settings(self) -> QSettings:
        return QSettings(str(self._services.paths.ui_settings), QSettings.Format.IniFormat)

    def _restore_geometry(self) -> None:
        geometry = self._ui_settings().value("window/geometry", QByteArray(), type=QByteArray)
        if not geometry or not self.restoreGeometry(geometry):
            self.resize(1200, 760)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.automatic_backups and not self._shown_once:
            self._shown_once = True
            QTimer.singleShot(self.FIRST_BACKUP_DELAY_MS, self, self.run_due_backup)
            self._backup_timer.start()

    def closeEvent(self, event: QCloseEvent) -> None:
        # QSettings never raises; a geometry that fails to save is only a nicety lost.
        self._ui_settings().setValue("window/geometry", self.saveGeometry())
        self._backup_timer.stop()
        if self.automatic_backups and self.restore_request is None:
            # A restore saves the current file aside itself; otherwise back up what changed.
            backup_before_closing(self, self.backups)
        super().closeEvent(event)
