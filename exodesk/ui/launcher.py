"""Starting the GUI: open or create the data file, ask who is at the desk, show the window."""

from __future__ import annotations

import linecache
import logging
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QThreadPool, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from exodesk import APP_NAME
from exodesk.errors import StorageError, UserError
from exodesk.paths import DataPaths
from exodesk.services import encryption, rekey
from exodesk.services.backups import restore_file
from exodesk.services.context import utc_now
from exodesk.services.demo import DEMO_PASSWORD, DEMO_STAFF, seed_demo
from exodesk.services.rekey import RekeyPlan
from exodesk.services.workspace import (
    AlreadyOpenError,
    DataFileDamaged,
    Services,
    open_services,
)
from exodesk.ui import collector
from exodesk.ui.common import locale_day_first
from exodesk.ui.dialogs.first_run import DEMO, FirstRunDialog, FirstRunSetup
from exodesk.ui.dialogs.sign_in import SignInDialog
from exodesk.ui.encryption_flow import offer_encryption, show_new_key, unlock_and_open
from exodesk.ui.errors import install_excepthook, show_user_error
from exodesk.ui.icon import install_icon
from exodesk.ui.main_window import MainWindow
from exodesk.ui.rekey_flow import change_keys_and_reopen
from exodesk.ui.startup_check import (
    NEW_CLINIC,
    RESTORE,
    ask_about_missing_data_file,
    choose_backup_to_restore,
    newest_good_backup,
    show_busy_while_waiting,
)

log = logging.getLogger(__name__)


_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def _qt_message(kind: QtMsgType, _context: object, message: str) -> None:
    # The frozen app has no console: Qt's own warnings belong in the log file.
    logging.getLogger("qt").log(_QT_LEVELS.get(kind, logging.WARNING), "%s", message)


def application() -> QApplication:
    qInstallMessageHandler(_qt_message)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    collector.install(app)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    install_icon()
    return app  # type: ignore[return-value]


def _open(paths: DataPaths, *, demo: bool) -> Services | None:
    """Open the clinic's file; on a first start, set the clinic up. None: the user declined.

    The advisory lock is always taken: a second ExoDesk on the same file is refused.
    """
    if demo:
        services = open_services(paths, create=True, lock=True)
        if not services.clinic.staff(include_inactive=True):
            seed_demo(services)
        sign_in_demo(services)
        return services
    # A change of the clinic's keys stopped part way is settled before the keyring is read.
    rekey.finish_interrupted_rekey(paths)
    if encryption.keys_without_data_file(paths):
        return _data_file_missing(paths)
    if not paths.data_file.exists():
        return _set_up(paths)
    if encryption.is_encrypted(paths):
        return unlock_and_open(paths)
    # The start-up check runs beside sign-in and the first reads; saves wait for it.
    return open_services(paths, lock=True, background_check=True)


def sign_in_demo(services: Services) -> None:
    """The demo opens signed in as its admin practitioner, who may look at everything; every
    demo account's password is DEMO_PASSWORD (the lock screen asks for it)."""
    admin = next(m for m in services.clinic.staff() if m.name == DEMO_STAFF[1].name)
    services.accounts.sign_in(int(admin.id or 0), DEMO_PASSWORD)


class _DemoInstead(Exception):
    """The first-run dialog's "Open the demo clinic instead"."""


def _set_up(paths: DataPaths) -> Services | None:
    """The first-run setup: the clinic's details and its first admin, then the new file."""
    dialog = FirstRunDialog(None, data_file=paths.data_file)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    outcome = dialog.outcome()
    if outcome == DEMO:
        raise _DemoInstead
    assert isinstance(outcome, FirstRunSetup)
    # A new clinic is encrypted from the start: its recovery key is shown (and printed)
    # before the file exists, so nothing is ever written that nobody could open.
    shown = show_new_key(None, outcome.settings, paths)
    if shown is None:
        return None
    secret, _recovery = shown
    # The whole secret: the first admin's slot gets the admin key, and their row its seal.
    services = open_services(paths, create=True, lock=True, key=secret)
    try:
        created = services.accounts.first_account(outcome.member, outcome.password)
        if not created.ok:  # the dialog checked the same rules; a refusal here is a bug
            raise RuntimeError(f"first account refused: {created.problems}")
        saved = services.clinic.save_settings(outcome.settings)
        if not saved.ok:
            raise RuntimeError(f"first-run settings refused: {saved.problems}")
    except BaseException:
        services.close()
        raise
    log.info("set up a new clinic in %s", paths.data_file)
    return services


def _data_file_missing(paths: DataPaths) -> Services | None:
    """The data file is gone but its password file is here: a first run would make a new
    clinic this password file cannot open. Restore the newest good backup (with a password),
    or start a new clinic with the old password file moved aside. None: they closed."""
    newest = newest_good_backup(paths.backups)
    choice = ask_about_missing_data_file(None, paths.data_file, paths.backups, newest)
    if choice == NEW_CLINIC:
        moved = encryption.move_keys_aside(paths, utc_now())
        log.warning("data file missing: new clinic chosen, old password file at %s", moved)
        return _set_up(paths)
    if choice != RESTORE or newest is None:
        return None
    chosen = newest

    def restore(key: bytes) -> None:
        result = restore_file(paths, chosen.path, key=key)
        log.info("data file missing: restored %s", chosen.path)
        box = QMessageBox(QMessageBox.Icon.Information, APP_NAME, result.message())
        box.setObjectName("restoredBox")
        box.exec()

    return unlock_and_open(paths, before_open=restore)


def offer_restore(paths: DataPaths, damage: StorageError) -> bool:
    """The data file is damaged: offer the newest good backup. True: it has been restored.

    Without a good backup it says where the backups are kept. The data file must be closed.
    """
    newest = choose_backup_to_restore(None, damage, paths.backups)
    if newest is None:
        return False
    try:
        result = restore_file(paths, newest.path)
    except UserError as exc:
        log.warning("restore of %s failed: %s", newest.path, exc)
        show_user_error(None, exc, title=f"{APP_NAME} could not restore the backup")
        return False
    log.info("restored %s at start-up", newest.path)
    QMessageBox.information(None, APP_NAME, result.message())
    return True


def _open_or_explain(paths: DataPaths, *, demo: bool) -> Services | int:
    """Open the data file, or explain in plain words why not and return the exit code."""
    try:
        try:
            return _open(paths, demo=demo) or 0
        except _DemoInstead:
            return _run_demo_instead()
        except DataFileDamaged as damage:
            log.error("damaged data file %s: %s", paths.data_file, damage)
            if not offer_restore(paths, damage):
                return 2
            return _open(paths, demo=demo) or 0
    except AlreadyOpenError as exc:
        # Refused and nothing opened: the other ExoDesk keeps the only writable copy open.
        log.warning("%s is already open elsewhere: %s", paths.data_file, exc)
        show_user_error(None, exc, title=f"{APP_NAME} is already open")
        return 2
    except UserError as exc:
        log.warning("could not open %s: %s", paths.data_file, exc)
        show_user_error(None, exc, title=f"{APP_NAME} cannot open its data")
        return 2


def show_warnings(services: Services) -> None:
    """Say once, at start, what the user should know about where the file lives."""
    for warning in services.warnings:
        box = QMessageBox(QMessageBox.Icon.Warning, APP_NAME, warning)
        box.setObjectName("startupWarningBox")
        box.exec()


def _sign_in(services: Services) -> bool:
    """Ask who is at the desk, with their password. False: they cancelled."""
    if services.desk.user is not None:
        return True
    people = services.clinic.staff()
    if not people:
        show_user_error(
            None,
            UserError(
                "This clinic's data file has nobody on its staff list, so nobody can sign in.",
                advice="Restore a backup, or ask whoever looks after this PC.",
            ),
        )
        return False
    dialog = SignInDialog(
        None, services.accounts, people, clinic_name=services.clinic.settings().name
    )
    return dialog.exec() == QDialog.DialogCode.Accepted


def _damage_found(services: Services) -> DataFileDamaged | None:
    """The damage the start-up check found, if it has finished and found some."""
    check = services.startup_check
    failure = check.failure if check is not None else None
    return failure if isinstance(failure, DataFileDamaged) else None


def restore_after_check(
    paths: DataPaths, services: Services, *, demo: bool
) -> Services | int | None:
    """The start-up check found the open file damaged: close it, offer the newest good backup
    and open the restored file. None: no damage found (``services`` is left open); an int:
    the exit code (nothing restored, the file closed and untouched)."""
    damage = _damage_found(services)
    if damage is None:
        return None
    services.close()
    if not offer_restore(paths, damage):
        return 2
    return _open_or_explain(paths, demo=demo)


def _run_demo_instead() -> int:
    """Run the demo clinic in a throwaway folder, then exit (nothing real was created)."""
    with tempfile.TemporaryDirectory(prefix="exodesk-demo-") as folder:
        return launch(DataPaths(Path(folder)), demo=True)


def launch(paths: DataPaths, *, demo: bool, notice: str | None = None) -> int:
    """Run the app until the window closes; returns the process exit code.

    Restoring a backup from the Tools menu closes the window; the data file is then closed,
    restored and opened again here, and a new window shows the restored records. ``notice``
    (where a Windows login's clinic was moved to, say) is shown first.
    """
    app = application()
    install_excepthook()
    if notice:
        QMessageBox.information(None, APP_NAME, notice)
    # PySide6 keeps the source of every module imported after it in linecache (3.6 MB that
    # only a traceback would read; it reloads them then).
    linecache.clearcache()
    services = _open_or_explain(paths, demo=demo)
    if isinstance(services, int):
        return services
    show_warnings(services)
    offer = not demo
    while True:
        chosen: Path | None = None
        backup_key: bytes | None = None
        admin_key: bytes | None = None
        rekey_plan: RekeyPlan | None = None
        keep_open = False
        show_busy_while_waiting(services.startup_check)
        try:
            if not _sign_in(services):
                # Signing in writes to the file: the start-up check may have refused it.
                recovered = restore_after_check(paths, services, demo=demo)
                if recovered is None:
                    return 0
                keep_open = True  # closed already
                if isinstance(recovered, int):
                    return recovered
                services = recovered
                continue
            if offer:
                services = offer_encryption(services)
                offer = False
            window = MainWindow(services, day_first=locale_day_first(), automatic_backups=True)
            window.show()
            code = app.exec()
            chosen = window.restore_request
            backup_key = window.restore_backup_key
            admin_key = window.restore_admin_key
            rekey_plan = window.rekey_request
            actor = services.desk.user.name if services.desk.user else ""
            key = services.key
            clock = services.ctx.clock
            if window.encrypt_request:
                # Tools → Encrypt: convert, then a new window on the encrypted file.
                window.deleteLater()
                services = offer_encryption(services, ask=False)
                keep_open = True
                continue
        finally:
            if not keep_open:
                QThreadPool.globalInstance().waitForDone(10_000)  # no render left running
                services.close()
        if rekey_plan is not None:
            # Tools → Change the clinic's keys: re-keyed closed, then a new window.
            window.deleteLater()
            services = change_keys_and_reopen(rekey_plan, clock=clock)
            continue
        if chosen is None:
            return code
        window.deleteLater()
        reopened = _restore_and_reopen(
            paths,
            chosen,
            actor=actor,
            demo=demo,
            key=key,
            backup_key=backup_key,
            admin_key=admin_key,
        )
        if isinstance(reopened, int):
            return reopened
        services = reopened


def _restore_and_reopen(
    paths: DataPaths,
    chosen: Path,
    *,
    actor: str,
    demo: bool,
    key: bytes | None = None,
    backup_key: bytes | None = None,
    admin_key: bytes | None = None,
) -> Services | int:
    """Restore ``chosen`` over the (closed) data file, say how it went, and open it again.

    A failed restore leaves the data file as it was, so it is simply opened again.
    """
    try:
        result = restore_file(
            paths,
            chosen,
            actor_name=actor or f"{APP_NAME} restore",
            key=key,
            backup_key=backup_key,
            admin_key=admin_key,
        )
    except UserError as exc:
        log.warning("restore of %s failed: %s", chosen, exc)
        show_user_error(None, exc, title=f"{APP_NAME} could not restore the backup")
    else:
        log.info("restored %s", chosen)
        box = QMessageBox(QMessageBox.Icon.Information, APP_NAME, result.message())
        box.setObjectName("restoredBox")
        box.exec()
    return _open_or_explain(paths, demo=demo)


def smoke(paths: DataPaths) -> str:
    """Build everything offscreen on a fresh folder; return a one-line report."""
    app = application()
    # With the lock, as the app opens it: proves the platform's locking works in the build.
    services = open_services(paths, create=True, lock=True)
    try:
        seed_demo(services, patients=25)
        sign_in_demo(services)
        window = MainWindow(services, day_first=locale_day_first())
        window.show()
        app.processEvents()
        rows = window.patients_tab.model.rowCount()
        if rows == 0:
            raise RuntimeError("the patient list is empty after seeding")
        resources = services.check_resources()
        record = next(
            (
                screening
                for p in services.patients.search("").rows
                if p.id is not None and (screening := services.screening.current(p.id))
            ),
            None,
        )
        if record is None or record.id is None:
            raise RuntimeError("the demo clinic has no screening to print")
        pdf = services.screening.summary_job(record.id).pdf()
        if not pdf.startswith(b"%PDF"):
            raise RuntimeError("the screening summary did not render as a PDF")
        faults = services.check()
        if faults:
            raise RuntimeError(f"fresh data file has faults: {faults}")
        window.tabs.setCurrentWidget(window.aftercare_tab)  # previews render for a shown tab
        window.aftercare_tab.wait_for_preview()
        if not window.aftercare_tab.document.pageCount():
            raise RuntimeError("the aftercare preview did not render")
        window.close()
        from exodesk.services.smoke import smoke_photos_and_keys  # Pillow: not at start-up

        photos = smoke_photos_and_keys(paths.folder)
        return (
            f"{rows} patients listed, {resources} resources read, "
            f"one PDF rendered ({len(pdf):,} bytes), {photos}, schema ok"
        )
    finally:
        services.close()
