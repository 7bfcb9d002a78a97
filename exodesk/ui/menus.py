"""MainMenus: the main window's menu bar, its actions and shortcuts, who may use each, and
what each one opens."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QMessageBox

from exodesk import APP_NAME, __version__
from exodesk.domain import accounts as perms
from exodesk.errors import UserError
from exodesk.services.audit import AuditService
from exodesk.services.context import SETTINGS, Changes
from exodesk.services.sessions import SESSIONS
from exodesk.services.workspace import Services
from exodesk.ui.dialogs.audit_log import AuditLogDialog
from exodesk.ui.dialogs.backups import BackupNowDialog, DrillDialog, RestoreDialog
from exodesk.ui.dialogs.guide import GuideDialog
from exodesk.ui.dialogs.settings_window import (
    AFTERCARE,
    CLINIC,
    COMPARISON,
    SCREENING,
    SettingsWindow,
)
from exodesk.ui.dialogs.staff import ChangePasswordDialog, StaffListDialog
from exodesk.ui.errors import show_user_error
from exodesk.ui.sessions.catalogue import ProductsDialog
from exodesk.ui.sessions.events import AdverseEventDialog, OpenEventsDialog
from exodesk.ui.sessions.lists import DueListDialog, RecallDialog

if TYPE_CHECKING:
    from exodesk.ui.main_window import MainWindow

Shortcut = str | QKeySequence.StandardKey | tuple[str, ...]
"""One key sequence, or several (the first is the one the menu shows)."""


def exit_shortcuts(platform: str = sys.platform) -> Shortcut:
    """File → Exit's keys. Windows has no standard Quit key (Qt gives none): the menu shows
    Alt+F4, which Windows people know (pressed anywhere in the main window it closes it as the
    title bar's × does), and Ctrl+Q works too. Elsewhere the platform's own Quit key (Ctrl+Q)."""
    if platform == "win32":
        return ("Alt+F4", "Ctrl+Q")
    return QKeySequence.StandardKey.Quit


@dataclass(frozen=True)
class Item:
    """One menu entry: its text, the objectName tests find it by, what it does, its shortcut,
    and the permission it needs (None: everyone at the desk may use it)."""

    text: str
    name: str
    slot: Callable[[], object]
    shortcut: Shortcut | None = None
    permission: str | None = None


SEPARATOR = None
Menu = tuple[str, tuple[Item | None, ...]]


class MainMenus:
    """Builds the window's menu bar and opens what each entry names.

    The actions belong to the window (``window.actions()`` lists them, so their shortcuts work
    and tests find them by objectName); the permissions only hide the door, the services
    refuse the work too.

    Args:
        window: The main window: parent of every dialog, and the one to tell about changes.
        services: The open data file's services.
        day_first: The locale writes dates day first.
    """

    def __init__(self, window: MainWindow, services: Services, *, day_first: bool) -> None:
        self._window = window
        self._services = services
        self._day_first = day_first
        self.actions: dict[str, QAction] = {}
        self.permissions: dict[str, str] = {}
        """What each action needs, by objectName."""
        for title, items in self._menus():
            menu = window.menuBar().addMenu(title)
            for item in items:
                if item is SEPARATOR:
                    menu.addSeparator()
                else:
                    menu.addAction(self._action(item))

    def _menus(self) -> tuple[Menu, ...]:
        w = self._window
        return (
            (
                "&File",
                (
                    Item(
                        "&Settings…",
                        "actionSettings",
                        self.edit_settings,
                        QKeySequence.StandardKey.Preferences,
                        perms.SETTINGS_EDIT,
                    ),
                    Item("S&taff…", "actionStaff", self.edit_staff, None, perms.ACCOUNTS_MANAGE),
                    Item(
                        "&Aftercare wording…",
                        "actionAftercareWording",
                        self.edit_wording,
                        None,
                        perms.CLINICAL_TEXTS_EDIT,
                    ),
                    Item(
                        "&Comparison prices and wording…",
                        "actionComparisonTexts",
                        self.edit_comparison_texts,
                        None,
                        perms.CLINICAL_TEXTS_EDIT,
                    ),
                    Item(
                        "Screening &rules and consent…",
                        "actionScreeningSettings",
                        self.edit_screening_settings,
                        None,
                        perms.CLINICAL_TEXTS_EDIT,
                    ),
                    Item("S&witch user…", "actionSwitchUser", w.switch_user, "Ctrl+Shift+U"),
                    Item("&Lock the screen", "actionLock", w.lock_desk, "Ctrl+L"),
                    Item("Change my &password…", "actionChangePassword", self.change_password),
                    SEPARATOR,
                    Item("E&xit", "actionQuit", w.close, exit_shortcuts()),
                ),
            ),
            (
                "&Records",
                (
                    Item(
                        "&Lot recall…",
                        "actionRecall",
                        self.show_recall,
                        "Ctrl+Shift+L",
                        perms.RECALL_VIEW,
                    ),
                    Item(
                        "Patients &due for a session…",
                        "actionDueList",
                        self.show_due_list,
                        None,
                        perms.DUE_LIST_VIEW,
                    ),
                    Item(
                        "Open adverse &events…",
                        "actionOpenEvents",
                        self.show_open_events,
                        None,
                        perms.SESSIONS_VIEW,
                    ),
                    SEPARATOR,
                    Item(
                        "&Products and lots…",
                        "actionProducts",
                        self.edit_products,
                        None,
                        perms.CATALOGUE_EDIT,
                    ),
                    SEPARATOR,
                    Item(
                        "&Audit log…",
                        "actionAuditLog",
                        self.show_audit_log,
                        None,
                        perms.AUDIT_VIEW,
                    ),
                    Item(
                        "E&xport this patient's records (subject access)…",
                        "actionExportPatient",
                        self.export_patient,
                        None,
                        perms.EXPORT_PATIENT,
                    ),
                ),
            ),
            (
                "&Tools",
                (
                    Item(
                        "&Back up now…",
                        "actionBackupNow",
                        self.backup_now,
                        "Ctrl+Shift+B",
                        perms.BACKUPS_RUN,
                    ),
                    Item(
                        "&Restore from a backup…",
                        "actionRestore",
                        self.restore_backup,
                        None,
                        perms.BACKUPS_RESTORE,
                    ),
                    Item(
                        "&Test the newest backup (restore drill)…",
                        "actionDrill",
                        self.drill,
                        None,
                        perms.BACKUPS_RUN,
                    ),
                    SEPARATOR,
                    Item(
                        "&Encrypt the clinic's records…",
                        "actionEncrypt",
                        self.encrypt_records,
                        None,
                        perms.SETTINGS_EDIT,
                    ),
                    Item(
                        "Change the clinic's &keys…",
                        "actionRekey",
                        self.change_keys,
                        None,
                        perms.ACCOUNTS_MANAGE,
                    ),
                ),
            ),
            (
                "&Help",
                (
                    Item(
                        "&User guide",
                        "actionGuide",
                        self.show_guide,
                        QKeySequence.StandardKey.HelpContents,
                    ),
                    Item("&Clinical content…", "actionClinicalContent", self.show_clinical_content),
                    Item("&About ExoDesk", "actionAbout", self.show_about),
                ),
            ),
        )

    def _action(self, item: Item) -> QAction:
        action = QAction(item.text, self._window)
        action.setObjectName(item.name)
        if isinstance(item.shortcut, tuple):
            action.setShortcuts([QKeySequence(keys) for keys in item.shortcut])
        elif item.shortcut is not None:
            action.setShortcut(QKeySequence(item.shortcut))
        action.triggered.connect(item.slot)
        # On the window as well as in its menu: the shortcut works wherever the focus is.
        self._window.addAction(action)
        self.actions[item.name] = action
        if item.permission is not None:
            self.permissions[item.name] = item.permission
        return action

    # ---- enabling ------------------------------------------------------------------------
    def apply_permissions(self, may: Callable[[str], bool]) -> None:
        """Show and enable only the actions the person at the desk may use."""
        for name, needed in self.permissions.items():
            self.actions[name].setEnabled(may(needed))
            self.actions[name].setVisible(may(needed))
        if self._services.key is not None:  # already encrypted: nothing to offer
            self.actions["actionEncrypt"].setVisible(False)
            self.actions["actionEncrypt"].setEnabled(False)
        else:  # a plain clinic has no keys to change (encrypting it is the item above)
            self.actions["actionRekey"].setVisible(False)
            self.actions["actionRekey"].setEnabled(False)

    def set_enabled(self, enabled: bool) -> None:
        """Every menu and shortcut off (the desk is locked) or back on, as permissions allow."""
        for action in self.actions.values():
            action.setEnabled(enabled)
        self._window.menuBar().setEnabled(enabled)
        if enabled:
            self._window.apply_permissions()

    # ---- File ----------------------------------------------------------------------------
    def edit_settings(self) -> None:
        self.open_settings()

    def edit_screening_settings(self) -> None:
        self.open_settings(SCREENING)

    def edit_wording(self) -> None:
        self.open_settings(AFTERCARE)

    def edit_comparison_texts(self) -> None:
        self.open_settings(COMPARISON)

    def open_settings(self, page: str | None = None) -> None:
        """One Settings window; the pages this person may not change are greyed out."""
        user = self._services.desk.user
        needs = {
            CLINIC: perms.SETTINGS_EDIT,
            SCREENING: perms.CLINICAL_TEXTS_EDIT,
            AFTERCARE: perms.CLINICAL_TEXTS_EDIT,
            COMPARISON: perms.CLINICAL_TEXTS_EDIT,
        }
        window = SettingsWindow(self._window, self._services, page=page)
        window.limit_to(
            {key for key, need in needs.items() if user and perms.allowed(user, need)},
            {key: f"Only {perms.who_may(need)} can change this." for key, need in needs.items()},
        )
        window.exec()
        self._changed(window.changes)

    def edit_staff(self) -> None:
        dialog = StaffListDialog(self._window, self._services.clinic, self._services.accounts)
        dialog.exec()
        self._changed(dialog.changes)

    def change_password(self) -> None:
        user = self._services.desk.user
        if user is not None:
            ChangePasswordDialog(self._window, self._services.accounts, user.name).exec()

    # ---- Records -------------------------------------------------------------------------
    def show_recall(self) -> None:
        RecallDialog(self._window, self._services.recall).exec()

    def show_due_list(self) -> None:
        user = self._services.desk.user
        dialog = DueListDialog(
            self._window,
            self._services.recall,
            may_mark=user is not None and perms.allowed(user, perms.DUE_LIST_MARK),
        )
        dialog.patient_chosen.connect(self._window.show_patient)
        dialog.exec()

    def show_open_events(self) -> None:
        dialog = OpenEventsDialog(
            self._window,
            self._services.events,
            self._services.patients,
            day_first=self._day_first,
        )
        dialog.exec()
        self._window.data_changed.emit(Changes(frozenset({SESSIONS})))

    def edit_products(self) -> None:
        dialog = ProductsDialog(self._window, self._services.catalogue, day_first=self._day_first)
        dialog.exec()
        self._changed(dialog.changes)

    def log_event(self, session_id: int) -> None:
        """Log an adverse event against a session (the Sessions tab asks)."""
        try:
            dialog = AdverseEventDialog(
                self._window,
                self._services.events,
                session_id=session_id,
                day_first=self._day_first,
            )
        except UserError as exc:
            show_user_error(self._window, exc)
            return
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self._changed(dialog.changes)

    def edit_event(self, event_id: int) -> None:
        """Update an adverse event already logged (the Sessions tab asks)."""
        try:
            event = self._services.events.event(event_id)
            dialog = AdverseEventDialog(
                self._window,
                self._services.events,
                session_id=event.session_id,
                event=event,
                day_first=self._day_first,
            )
        except UserError as exc:
            show_user_error(self._window, exc)
            return
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self._changed(dialog.changes)

    def show_audit_log(self) -> None:
        patient = self._window.current.patient
        AuditLogDialog(
            self._window,
            AuditService(self._services.ctx),
            patient_id=patient.id if patient else None,
            patient_label=patient.display_name if patient else "",
        ).exec()

    def export_patient(self) -> None:
        """A subject access request: one readable PDF and one JSON file of this patient."""
        from exodesk.ui.dialogs.patient_export import export_patient

        patient = self._window.current.patient
        if patient is None or patient.id is None:
            QMessageBox.information(
                self._window, APP_NAME, "Open the patient first (Patients tab), then export."
            )
            return
        export_patient(self._window, self._services, patient.id)

    # ---- Tools ---------------------------------------------------------------------------
    def backup_now(self) -> None:
        BackupNowDialog(self._window, self._window.backups).exec()

    def drill(self) -> None:
        DrillDialog(
            self._window,
            self._services.paths.backups,
            key=self._services.key,
            paths=self._services.paths,
        ).exec()

    def restore_backup(self) -> None:
        """Choose a backup; on confirmation the window closes and the launcher restores it
        (the data file must be closed first) and opens the restored file."""
        dialog = RestoreDialog(self._window, self._window.backups)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.chosen is not None:
            self._window.restore_request = dialog.chosen
            self._window.restore_backup_key = dialog.backup_key
            keys = self._services.keys
            self._window.restore_admin_key = keys.admin_key if keys is not None else None
            self._window.close()

    def encrypt_records(self) -> None:
        """Close the window; the launcher encrypts the file (asking for the password and
        showing the recovery key) and opens a new window on it."""
        self._window.encrypt_request = True
        self._window.close()

    def change_keys(self) -> None:
        """Explain, take the admin's password and show the new recovery sheet; then the
        window closes and the launcher re-keys the closed file and opens a new window."""
        from exodesk.ui.rekey_flow import ask_to_change_keys

        plan = ask_to_change_keys(self._window, self._services)
        if plan is not None:
            self._window.rekey_request = plan
            self._window.close()

    # ---- Help ----------------------------------------------------------------------------
    def show_guide(self) -> None:
        GuideDialog.show_for(self._window)

    def show_clinical_content(self) -> None:
        """Every patient-facing sentence with its source and status, and its review; opened
        again after a review is recorded, so the preview shows it."""
        from exodesk.ui.dialogs.clinical_content import REVIEW_RECORDED, ClinicalContentWindow

        while True:
            try:
                window = ClinicalContentWindow(
                    self._window, self._services, day_first=self._day_first
                )
            except UserError as exc:
                show_user_error(self._window, exc)
                return
            if window.exec() != REVIEW_RECORDED:
                return
            self._changed(Changes(frozenset({SETTINGS})))

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
            show_user_error(self._window, exc)
            return
        box = QMessageBox(
            QMessageBox.Icon.Information, f"About {APP_NAME}", text, parent=self._window
        )
        box.setObjectName("aboutBox")
        box.exec()

    # ---- shared --------------------------------------------------------------------------
    def _changed(self, changes: Changes) -> None:
        """Tell every tab what a dialog changed (nothing when it changed nothing)."""
        if changes.topics:
            self._window.data_changed.emit(changes)
