"""Starting the GUI: open or create the data file, ask who is at the desk, show the window."""

from __future__ import annotations

import json
import logging
import sys

from PySide6.QtCore import QThreadPool, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from exodesk import APP_NAME
from exodesk.errors import UserError
from exodesk.paths import RESOURCES, DataPaths
from exodesk.services.demo import seed_demo
from exodesk.services.workspace import Services, open_services
from exodesk.ui import refguard
from exodesk.ui.common import locale_day_first
from exodesk.ui.dialogs.settings import ClinicSettingsDialog
from exodesk.ui.dialogs.staff import DeskDialog, StaffMemberDialog
from exodesk.ui.errors import install_excepthook, show_user_error
from exodesk.ui.main_window import MainWindow

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
    refguard.install(app)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    return app  # type: ignore[return-value]


def _open(paths: DataPaths, *, demo: bool) -> Services | None:
    """Open the clinic's file; on a first start offer to create it. None: the user declined."""
    if demo:
        services = open_services(paths, create=True)
        if not services.clinic.staff(include_inactive=True):
            seed_demo(services)
        return services
    if not paths.data_file.exists():
        answer = QMessageBox.question(
            None,
            APP_NAME,
            f"There is no clinic data file yet at\n{paths.data_file}\n\nCreate a new one there?",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return None
    return open_services(paths, create=True)


def _first_setup(services: Services) -> bool:
    """A new clinic needs its first staff member and its name before anything else."""
    if not services.clinic.staff(include_inactive=True) and (
        StaffMemberDialog(None, services.clinic, first=True).exec() != QDialog.DialogCode.Accepted
    ):
        return False
    if not services.clinic.settings().name:
        return ClinicSettingsDialog(None, services.clinic).exec() == QDialog.DialogCode.Accepted
    return True


def launch(paths: DataPaths, *, demo: bool) -> int:
    """Run the app until the window closes; returns the process exit code."""
    app = application()
    install_excepthook()
    try:
        services = _open(paths, demo=demo)
    except UserError as exc:
        log.warning("could not open %s: %s", paths.data_file, exc)
        show_user_error(None, exc, title=f"{APP_NAME} cannot open its data")
        return 2
    if services is None:
        return 0
    try:
        if not _first_setup(services):
            return 0
        if services.desk.user is None or demo:
            name = services.clinic.settings().name
            if DeskDialog(None, services.clinic, name).exec() != QDialog.DialogCode.Accepted:
                return 0
        window = MainWindow(services, day_first=locale_day_first())
        window.show()
        return app.exec()
    finally:
        QThreadPool.globalInstance().waitForDone(10_000)  # no render left running at exit
        services.close()


def check_resources() -> int:
    """Read every bundled resource once (a missing or broken one fails the smoke test)."""
    count = 0
    for path in sorted(RESOURCES.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.suffix == ".json":
            json.loads(data.decode("utf-8"))
        elif not data:
            raise RuntimeError(f"empty resource {path}")
        count += 1
    if count == 0:
        raise RuntimeError(f"no resources found in {RESOURCES}")
    return count


def smoke(paths: DataPaths) -> str:
    """Build everything offscreen on a fresh folder; return a one-line report."""
    app = application()
    services = open_services(paths, create=True)
    try:
        seed_demo(services, patients=25)
        window = MainWindow(services, day_first=locale_day_first())
        window.show()
        app.processEvents()
        rows = window.patients_tab.model.rowCount()
        if rows == 0:
            raise RuntimeError("the patient list is empty after seeding")
        resources = check_resources()
        screened = next(
            (p for p in services.patients.search("").rows if services.screening.current(p.id)),
            None,
        )
        if screened is None:
            raise RuntimeError("the demo clinic has no screening to print")
        record = services.screening.current(screened.id)
        pdf = services.screening.render_summary(record.id)
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
        return (
            f"{rows} patients listed, {resources} resources read, "
            f"one PDF rendered ({len(pdf):,} bytes), schema ok"
        )
    finally:
        services.close()
