"""What the window shows of the start-up check running beside it (services.startup_check).

- While a save waits for the check: a busy cursor (``show_busy_while_waiting``).
- While the check runs: a line in the status bar; when it passes, a short "checked" line.
- When it finds the file damaged: one message that says nothing more will be saved to it and
  offers the newest good backup (``damage_box``, shared with the launcher's start-up refusal).

The check's thread never touches Qt: ``CheckWatcher`` asks it from the main thread on a timer.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from exodesk import APP_NAME
from exodesk.errors import StorageError
from exodesk.services.backups import BackupRecord, list_backups
from exodesk.services.workspace import DataFileDamaged, StartupCheck

log = logging.getLogger(__name__)

RUNNING_MESSAGE = "Checking the data file in the background; a save waits until it is done."
PASSED_MESSAGE = "Data file checked."


def show_busy_while_waiting(check: StartupCheck | None) -> None:
    """A save that has to wait for the check shows the busy cursor until it may go on."""
    if check is None:
        return

    def waiting(busy: bool) -> None:
        if busy:
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            # Paint the cursor now: the main thread is about to block on the check.
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
        else:
            QApplication.restoreOverrideCursor()

    check.on_wait = waiting


class CheckWatcher(QObject):
    """Tells the main thread when the start-up check has finished: ``passed`` (seconds) or
    ``failed`` (the StorageError every save now raises)."""

    passed = Signal(float)
    failed = Signal(object)
    POLL_MS = 200

    def __init__(self, parent: QObject, check: StartupCheck) -> None:
        super().__init__(parent)
        self.check = check
        self._timer = QTimer(self)
        self._timer.setInterval(self.POLL_MS)
        self._timer.timeout.connect(self.poll)

    def start(self) -> None:
        """Start asking; a check already finished is reported at the next turn of the loop."""
        self._timer.start()
        QTimer.singleShot(0, self, self.poll)

    def poll(self) -> None:
        if not self._timer.isActive() or not self.check.wait(0):  # wait(0) joins a finished one
            return
        self._timer.stop()
        failure = self.check.failure
        if failure is None:
            self.passed.emit(self.check.seconds or 0.0)
        else:
            self.failed.emit(failure)


def newest_good_backup(folder: Path) -> BackupRecord | None:
    """The newest backup whose sidecar says it verified and holds a clinic (restore checks
    it again)."""
    try:
        # Sidecar and size only: restore_file re-hashes and integrity-checks the one chosen.
        return next(
            (r for r in list_backups(folder, check=False) if r.verified and r.holds_a_clinic),
            None,
        )
    except StorageError as exc:
        log.warning("could not list backups in %s: %s", folder, exc)
        return None


def _box(
    parent: QWidget | None, icon: QMessageBox.Icon, title: str, damage: StorageError, name: str
) -> QMessageBox:
    box = QMessageBox(icon, f"{APP_NAME}: {title}", damage.message, parent=parent)
    box.setObjectName(name)
    box.setAccessibleName(title[:1].upper() + title[1:])
    return box


def damage_box(parent: QWidget | None, damage: StorageError, what_next: str) -> QMessageBox:
    """The one message about a damaged data file (object name ``damagedFileBox``)."""
    box = _box(
        parent, QMessageBox.Icon.Critical, "the data file is damaged", damage, "damagedFileBox"
    )
    box.setInformativeText(what_next)
    return box


def choose_backup_to_restore(
    parent: QWidget | None,
    damage: StorageError,
    backups_folder: Path,
    *,
    lead: str = "The damaged file has not been changed.",
    keep: str | None = None,
) -> BackupRecord | None:
    """Say the data file is damaged and offer the newest good backup; the one to restore, or
    None (declined, or there is no good backup: the message then says where they would be).

    Args:
        lead: What happens to the damaged file meanwhile (first sentence of the offer).
        keep: The label of the button that declines; default a plain Close.
    """
    newest = newest_good_backup(backups_folder)
    if newest is None:
        damage_box(
            parent,
            damage,
            f"There is no good backup in {backups_folder}. {lead} Ask whoever looks after this PC.",
        ).exec()
        return None
    box = damage_box(
        parent,
        damage,
        f"Restore the newest good backup, from {newest.when} ({newest.path.name})? "
        f"Anything saved after it will be missing; the damaged file is kept aside in "
        f"{backups_folder}. {lead}",
    )
    restore = box.addButton("Restore this backup", QMessageBox.ButtonRole.AcceptRole)
    restore.setObjectName("restoreNewestButton")
    if keep is None:
        declined = box.addButton(QMessageBox.StandardButton.Close)
    else:
        declined = box.addButton(keep, QMessageBox.ButtonRole.RejectRole)
    declined.setObjectName("declineRestoreButton")
    box.setDefaultButton(restore)
    box.setEscapeButton(declined)
    box.exec()
    return newest if box.clickedButton() is restore else None


def offer_backup_after_check(
    parent: QWidget, damage: StorageError, backups_folder: Path
) -> BackupRecord | None:
    """The check found damage while the window was open: say so, offer the newest good
    backup. Returns the backup to restore (the caller closes the file first), or None to
    go on reading (nothing can be saved)."""
    if not isinstance(damage, DataFileDamaged):
        box = _box(
            parent,
            QMessageBox.Icon.Warning,
            "the data file could not be checked",
            damage,
            "checkFailedBox",
        )
        box.setInformativeText(damage.advice or "")
        box.exec()
        return None
    return choose_backup_to_restore(
        parent,
        damage,
        backups_folder,
        lead="Until then nothing more will be saved to it; you can still look records up.",
        keep="Keep reading",
    )


RESTORE, NEW_CLINIC = "restore", "new clinic"


def ask_about_missing_data_file(
    parent: QWidget | None, data_file: Path, backups_folder: Path, newest: BackupRecord | None
) -> str | None:
    """The data file is missing but its password file is not: restore the newest good backup
    (``RESTORE``), start a new clinic (``NEW_CLINIC``), or None (closed).

    A new clinic is never the default: the records may only be on a USB stick or a backup.
    """
    title = "the data file is missing"
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        f"{APP_NAME}: {title}",
        f"There is no data file at {data_file}, but this clinic's password file is still "
        "there: the clinic's records have gone missing (a failed copy, a sync tool or a "
        "damaged disk can do this).",
        parent=parent,
    )
    box.setObjectName("missingDataFileBox")
    box.setAccessibleName("The data file is missing")
    if newest is not None:
        offer = (
            f"Restore the newest good backup, from {newest.when} ({newest.path.name})? "
            "You will be asked for your password to open it."
        )
    else:
        offer = f"There is no good backup in {backups_folder} to restore."
    box.setInformativeText(
        f"{offer} Or start a new, empty clinic: the old password file is kept, renamed, "
        "beside the data file."
    )
    restore = None
    if newest is not None:
        restore = box.addButton("Restore this backup", QMessageBox.ButtonRole.AcceptRole)
        restore.setObjectName("restoreNewestButton")
        restore.setAccessibleName("Restore this backup")
    new = box.addButton("Start a new clinic", QMessageBox.ButtonRole.DestructiveRole)
    new.setObjectName("newClinicButton")
    new.setAccessibleName("Start a new clinic")
    close = box.addButton(QMessageBox.StandardButton.Close)
    close.setObjectName("declineRestoreButton")
    box.setDefaultButton(restore if restore is not None else close)
    box.setEscapeButton(close)
    box.exec()
    clicked = box.clickedButton()
    if restore is not None and clicked is restore:
        return RESTORE
    return NEW_CLINIC if clicked is new else None
