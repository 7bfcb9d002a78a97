"""Backup dialogs (back up now, restore, restore drill) and the automatic backups' UI glue."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from exodesk.errors import UserError
from exodesk.paths import DataPaths
from exodesk.services import rekey
from exodesk.services.backups import (
    CLOSE,
    DAILY,
    MANUAL,
    BackupRecord,
    BackupService,
    BackupStopped,
    DrillResult,
    backup_data_file,
    drill_backups,
    format_size,
    verify_backup,
)
from exodesk.ui.common import error_style, named
from exodesk.ui.errors import show_user_error
from exodesk.ui.models import ALIGN_RIGHT, RowsTableModel, rows_view
from exodesk.ui.workers import BackgroundTask, run_in_background

log = logging.getLogger(__name__)

Work = Callable[[Callable[[int, int], None]], Any]
_automatic_running: set[int] = set()


def _error_text(exc: UserError) -> str:
    return f"{exc.message} {exc.advice}".strip()


# ---- back up now -------------------------------------------------------------------------
class BackupNowDialog(QDialog):
    """Back up the data file now, to the backups folder or a folder the person chooses.

    The copy is made on a worker thread through a connection of its own (read-only), so
    ExoDesk stays usable; a progress dialog shows only if it takes more than half a second.
    """

    backup_made = Signal(object)

    def __init__(self, parent: QWidget | None, backups: BackupService) -> None:
        super().__init__(parent)
        self.setWindowTitle("Back up now")
        self.setObjectName("backupNowDialog")
        self._backups = backups
        self.folder = backups.paths.backups
        self.record: BackupRecord | None = None
        self.task: BackgroundTask | None = None
        intro = QLabel(
            "ExoDesk copies the data file, checks the copy, and keeps it beside a small record "
            "of what it holds. Keep a copy away from this PC too (a USB stick, say)."
        )
        intro.setWordWrap(True)
        self.folder_edit = named(QLineEdit(str(self.folder)), "backupFolder", "Backup folder")
        self.folder_edit.setReadOnly(True)
        self.choose_button = named(
            QPushButton("Choose folder…"), "backupChooseFolder", "Choose the backup folder"
        )
        self.backup_button = named(QPushButton("Back up now"), "backupNowButton", "Back up now")
        self.backup_button.setDefault(True)
        self.close_button = named(QPushButton("Close"), "backupClose", "Close")
        self.result_label = QLabel("")
        self.result_label.setObjectName("backupResult")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.choose_button.clicked.connect(self.choose_folder)
        self.backup_button.clicked.connect(self.start)
        self.close_button.clicked.connect(self.reject)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.choose_button)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.backup_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(QLabel("Folder:"))
        layout.addLayout(folder_row)
        layout.addWidget(self.result_label)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.resize(560, 240)

    @property
    def busy(self) -> bool:
        return self.task is not None and self.task.running

    def choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(
            self, "Back up to which folder?", str(self.folder)
        )
        if chosen:
            self.set_folder(Path(chosen))

    def set_folder(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder_edit.setText(str(self.folder))

    def start(self) -> None:
        """Make the backup on a worker thread; the result shows in the dialog."""
        if self.busy:
            return
        data_file, folder = self._backups.paths.data_file, self.folder
        create = folder == self._backups.paths.backups  # never create a folder on a USB path
        now, key = self._backups.now(), self._backups.key

        def work(progress: Callable[[int, int], None]) -> BackupRecord:
            self._backups.ready()  # a copy of a file still being checked waits for the check
            return backup_data_file(
                data_file,
                folder,
                reason=MANUAL,
                now=now,
                progress=progress,
                create_folder=create,
                key=key,
            )

        self.task = BackgroundTask(
            self,
            "Backing up the data file…",
            work,
            object_name="backupProgress",
            stop_tip="Stop the backup",
        )
        self.task.done.connect(self._done)
        self.task.failed.connect(self._failed)
        self._set_busy(True)
        self._say("Backing up…")
        self.task.start()

    def _set_busy(self, busy: bool) -> None:
        for button in (self.backup_button, self.choose_button, self.close_button):
            button.setEnabled(not busy)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.result_label.setText(text)
        self.result_label.setStyleSheet(error_style() if error else "")
        self.result_label.setAccessibleName(text)

    def _done(self, record: BackupRecord) -> None:
        self._set_busy(False)
        self.record = record
        try:
            self._backups.record_backup(record)
        except UserError as exc:
            # The copy is safe on disk; only its audit entry is missing.
            self._say(f"{record.sentence()} It could not be noted in the audit log: {exc}")
        else:
            self._say(record.sentence())
        self.backup_made.emit(record)

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        if not isinstance(exc, UserError):
            raise exc  # a bug: the crash handler logs it and says so
        self._say(_error_text(exc), error=True)

    def reject(self) -> None:
        if self.busy:
            return  # the worker still writes; closing would hide its result
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.busy:
            event.ignore()
            return
        super().closeEvent(event)


# ---- restore -----------------------------------------------------------------------------
BACKUP_HEADERS = ("Made", "Reason", "Size", "Patients", "Sessions", "Verified")
WHEN, REASON, SIZE, PATIENTS, SESSIONS, VERIFIED = range(len(BACKUP_HEADERS))


class BackupTableModel(RowsTableModel[BackupRecord]):
    """Backup files, newest first, with their checks in words."""

    HEADERS = BACKUP_HEADERS

    def record_at(self, row: int) -> BackupRecord | None:
        return self.row_at(row)

    def text(self, record: BackupRecord, column: int) -> str | None:
        if column == WHEN:
            return record.when
        if column == REASON:
            return record.reason_words
        if column == SIZE:
            return format_size(record.size)
        if column in (PATIENTS, SESSIONS):
            table = "patients" if column == PATIENTS else "sessions"
            count = record.counts.get(table)
            return f"{count:,}" if count is not None else "—"
        if column == VERIFIED:
            return record.verified_words
        return ""

    def role_data(self, record: BackupRecord, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(record.path)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (SIZE, PATIENTS, SESSIONS):
            return ALIGN_RIGHT
        return None


class RestoreDialog(QDialog):
    """Pick a backup to restore; returns the chosen file in ``chosen`` on accept.

    The dialog only checks the file and asks for confirmation: the caller closes the data file,
    calls ``restore_file(paths, dialog.chosen)`` and reopens it.
    """

    loaded = Signal()

    def __init__(
        self, parent: QWidget | None, backups: BackupService, folder: Path | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Restore from a backup")
        self.setObjectName("restoreDialog")
        self._backups = backups
        self.folder = Path(folder) if folder else backups.paths.backups
        self.chosen: Path | None = None
        self.backup_key: bytes | None = None
        """The older data key the chosen backup opens with (made before a re-key)."""
        self._checking = False
        self.folder_label = QLabel()
        self.folder_label.setWordWrap(True)
        self.other_folder = named(
            QPushButton("Look in another folder…"),
            "restoreChooseFolder",
            "Look for backups in another folder",
        )
        self.model = BackupTableModel()
        self.table = rows_view(self.model, "restoreTable", "Backups")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.status = QLabel("")
        self.status.setObjectName("restoreStatus")
        self.status.setWordWrap(True)
        self.restore_button = named(
            QPushButton("Restore…"), "restoreButton", "Restore the chosen backup"
        )
        self.restore_button.setEnabled(False)
        self.close_button = named(QPushButton("Close"), "restoreClose", "Close")
        self.other_folder.clicked.connect(self.choose_folder)
        self.restore_button.clicked.connect(self.restore_selected)
        self.close_button.clicked.connect(self.reject)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _index: self.restore_selected())
        top = QHBoxLayout()
        top.addWidget(self.folder_label, 1)
        top.addWidget(self.other_folder)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.restore_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.resize(820, 420)
        self.load()

    def load(self) -> None:
        """List the folder's backups on a worker (each file is re-hashed against its record)."""
        folder, paths, key = self.folder, self._backups.paths, self._backups.key
        self.folder_label.setText(f"Backups in {folder}")
        self._say("Reading the backups…")
        run_in_background(
            self,
            lambda: rekey.list_backups_with_keys(folder, paths, key),
            self._loaded,
            self._failed,
        )

    def choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(
            self, "Look for backups in which folder?", str(self.folder)
        )
        if chosen:
            self.folder = Path(chosen)
            self.load()

    def selected(self) -> BackupRecord | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.record_at(rows[0].row()) if rows else None

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(error_style() if error else "")
        self.status.setAccessibleName(text)

    def _loaded(self, records: list[BackupRecord]) -> None:
        self.model.set_rows(records)
        if records:
            self.table.selectRow(0)
            unverified = sum(1 for r in records if not r.verified)
            note = f"; {unverified} not verified" if unverified else ""
            noun = "backup" if len(records) == 1 else "backups"
            self._say(f"{len(records)} {noun}{note}. Choose one and press Restore.")
        else:
            self._say(f"There are no backups in {self.folder}.")
        self._selection_changed()
        self.loaded.emit()

    def _failed(self, exc: BaseException) -> None:
        self._checking = False
        self._selection_changed()
        if not isinstance(exc, UserError):
            raise exc
        self._say(_error_text(exc), error=True)
        self.loaded.emit()

    def _selection_changed(self, *_args: object) -> None:
        self.restore_button.setEnabled(self.selected() is not None and not self._checking)

    def restore_selected(self) -> None:
        """Check the chosen backup (on a worker), then ask before handing it to the caller."""
        record = self.selected()
        if record is None or self._checking:
            return
        key = self._backups.key
        self.backup_key = None
        try:
            rekey.require_current_key(record, self._backups.paths, key)
        except rekey.OldKeyNeeded as needed:
            from exodesk.ui.rekey_flow import ask_old_recovery_key

            self.backup_key = ask_old_recovery_key(self, needed)
            if self.backup_key is None:
                self._say(f"{needed.message} {needed.advice}", error=True)
                return
            key = self.backup_key
        self._checking = True
        self._selection_changed()
        self._say(f"Checking the backup of {record.when}…")
        run_in_background(
            self, lambda: verify_backup(record.path, key=key), self._verified, self._failed
        )

    def _verified(self, record: BackupRecord) -> None:
        self._checking = False
        self._selection_changed()
        self._say(f"The backup of {record.when} checks out.")
        if self.confirm(record):
            self.chosen = record.path
            self.accept()

    def confirm(self, record: BackupRecord) -> bool:
        """Say what will happen, and ask."""
        counts = record.count_words() or "its records"
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Restore from a backup",
            f"Restore the backup of {record.when} ({counts})?",
            parent=self,
        )
        box.setObjectName("restoreConfirm")
        box.setInformativeText(
            "ExoDesk will:\n"
            f"• keep the data as it is now in {self._backups.paths.backups} "
            "(before-restore-….sqlite3), so this can be undone;\n"
            "• close the data file and put this backup in its place"
            + (
                ", encrypted again with the clinic's current key;\n"
                if self.backup_key is not None
                else ";\n"
            )
            + "• open it again.\n\n"
            f"Anything entered after {record.when} is not in this backup; it stays only in the "
            "copy kept aside."
        )
        yes = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
        named(yes, "restoreConfirmYes", "Restore the backup")
        no = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        named(no, "restoreConfirmNo", "Do not restore")
        box.setDefaultButton(no)
        box.exec()
        return box.clickedButton() is yes


# ---- restore drill -----------------------------------------------------------------------
class DrillDialog(QDialog):
    """Test-restore the newest backup (on a worker) and say in one sentence how it went."""

    finished_drill = Signal(object)

    def __init__(
        self,
        parent: QWidget | None,
        folder: Path,
        *,
        key: bytes | None = None,
        paths: DataPaths | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Test the newest backup")
        self.setObjectName("drillDialog")
        self.folder = Path(folder)
        self._key = key
        self._paths = paths
        self._backup_key: bytes | None = None
        self.drill_result: DrillResult | None = None
        self.running = False
        intro = QLabel(
            "ExoDesk restores the newest backup into a scratch file (your data is not touched) "
            "and checks every table against what was recorded when the backup was made."
        )
        intro.setWordWrap(True)
        self.result_label = QLabel("")
        self.result_label.setObjectName("drillResult")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.again_button = named(QPushButton("Test again"), "drillAgain", "Test again")
        self.close_button = named(QPushButton("Close"), "drillClose", "Close")
        self.again_button.clicked.connect(self.start)
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.again_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.result_label)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.resize(520, 200)
        self.start()

    def start(self) -> None:
        if self.running:
            return
        self.running = True
        self.again_button.setEnabled(False)
        self._say("Testing the newest backup…")
        folder, key, paths, backup_key = self.folder, self._key, self._paths, self._backup_key

        def work() -> DrillResult:
            if paths is None:
                return drill_backups(folder, key=key)
            # A newest backup made before the clinic's keys changed asks for the older key.
            return rekey.drill_newest(folder, paths, key, backup_key=backup_key)

        run_in_background(self, work, self._done, self._failed)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.result_label.setText(text)
        self.result_label.setStyleSheet(error_style() if error else "")
        self.result_label.setAccessibleName(text)

    def _done(self, result: DrillResult) -> None:
        self.running = False
        self.again_button.setEnabled(True)
        self.drill_result = result
        if result.ok:
            self._say(result.sentence())
        else:
            others = "".join(f"\n• {p}" for p in result.problems[1:])
            self._say(
                f"{result.sentence()}{others}\nMake a new backup now, and keep this one for "
                "whoever supports you.",
                error=True,
            )
        self.finished_drill.emit(result)

    def _failed(self, exc: BaseException) -> None:
        self.running = False
        self.again_button.setEnabled(True)
        if not isinstance(exc, UserError):
            raise exc
        self._say(_error_text(exc), error=True)
        if isinstance(exc, rekey.OldKeyNeeded) and self._backup_key is None:
            from exodesk.ui.rekey_flow import ask_old_recovery_key

            self._backup_key = ask_old_recovery_key(self, exc)
            if self._backup_key is not None:
                self.start()


# ---- automatic backups -------------------------------------------------------------------
def run_due_backup(
    owner: QWidget,
    backups: BackupService,
    *,
    on_done: Callable[[BackupRecord | None], None] | None = None,
) -> bool:
    """Start today's automatic backup on a worker if none was made today; no dialog.

    Call when the main window is shown and then from a timer (hourly is plenty). After the
    backup, the audit entry and rotation run on the main thread. A failure shows one message.

    Returns:
        True if a backup was started.
    """
    key = id(backups)
    if key in _automatic_running or not backups.is_due():
        return False
    _automatic_running.add(key)
    data_file, folder, now = backups.paths.data_file, backups.paths.backups, backups.now()
    data_key = backups.key

    def done(record: BackupRecord) -> None:
        _automatic_running.discard(key)
        try:
            backups.after_background_backup(record)
        except UserError as exc:
            log.warning("automatic backup made but not recorded/rotated: %s", exc)
        if on_done is not None:
            on_done(record)

    def failed(exc: BaseException) -> None:
        _automatic_running.discard(key)
        if not isinstance(exc, UserError):
            raise exc
        show_user_error(owner, exc, title="ExoDesk could not make today's backup")
        if on_done is not None:
            on_done(None)

    def work() -> BackupRecord:
        backups.ready()  # the start-up check first: never a backup of a damaged file
        return backup_data_file(
            data_file, folder, reason=DAILY, now=now, create_folder=True, key=data_key
        )

    run_in_background(owner, work, done, failed)
    return True


def backup_before_closing(parent: QWidget, backups: BackupService) -> BackupRecord | None:
    """The backup at close: on a worker, with a progress dialog only if it passes ~0.5 s.

    Waits (in a local event loop, so the window still paints) until the copy is done, then
    audits and rotates. Skipped (None) if nothing changed since the newest backup. A failure
    is shown in one message and closing goes on; Stop ends it with nothing kept.
    """
    if not backups.changed_since_last_backup():
        return None
    data_file, folder, now = backups.paths.data_file, backups.paths.backups, backups.now()
    key = backups.key

    def work(progress: Callable[[int, int], None]) -> BackupRecord:
        backups.ready()
        return backup_data_file(
            data_file,
            folder,
            reason=CLOSE,
            now=now,
            progress=progress,
            create_folder=True,
            key=key,
        )

    outcome: dict[str, Any] = {}
    loop = QEventLoop()
    task = BackgroundTask(
        parent,
        "Backing up before closing…",
        work,
        object_name="backupProgress",
        stop_tip="Stop the backup",
    )

    def finished(key: str, value: Any) -> None:
        outcome[key] = value
        loop.quit()

    task.done.connect(lambda record: finished("record", record))
    task.failed.connect(lambda exc: finished("error", exc))
    task.start()
    loop.exec()
    task.deleteLater()
    error = outcome.get("error")
    if error is not None:
        if isinstance(error, BackupStopped):
            return None
        if not isinstance(error, UserError):
            raise error
        show_user_error(parent, error, title="ExoDesk could not back up before closing")
        return None
    record: BackupRecord = outcome["record"]
    backups.after_background_backup(record)
    return record
