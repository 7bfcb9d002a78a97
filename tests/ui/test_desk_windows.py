"""Windows that outlive their welcome (issue #18): a stray window at the screen's corner, an
Exit that left the process running with the data file locked, and an idle lock that a window
it did not cover walked past."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QWidget

from exodesk.paths import DataPaths
from exodesk.services.demo import seed_demo
from exodesk.services.workspace import Services, open_services
from exodesk.ui.launcher import sign_in_demo
from exodesk.ui.lock import LockCover
from exodesk.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo(data_paths: DataPaths, clock) -> Iterator[Services]:
    svc = open_services(data_paths, create=True, clock=clock)
    seed_demo(svc, patients=30, backup_history=False)  # enough for sessions and an event
    sign_in_demo(svc)
    yield svc
    svc.close()


@pytest.fixture
def window(qtbot, demo: Services) -> MainWindow:
    win = MainWindow(demo, day_first=True)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def visible_windows() -> list[QWidget]:
    return [w for w in QApplication.topLevelWidgets() if w.isVisible()]


def exit_action(window: MainWindow) -> QAction:
    """File → Exit (called Quit before issue #18's keyboard work): the Ctrl+Q action."""
    return next(
        a for a in window.findChildren(QAction) if a.objectName() in ("actionExit", "actionQuit")
    )


def covered(window: QWidget) -> bool:
    return any(
        cover.isVisible() and cover.geometry() == window.rect()
        for cover in window.findChildren(LockCover)
    )


def test_selecting_an_adverse_event_opens_no_window(
    qtbot, window: MainWindow, demo: Services
) -> None:
    tab = window.sessions_tab
    window.tabs.setCurrentWidget(tab)
    found = 0
    for patient in demo.patients.search("").rows:
        window.patients_tab.open_patient(patient)
        for row in range(tab.timeline.count()):
            tab.timeline.setCurrentRow(row)
            if tab.edit_event_button.isVisible():
                found += 1
                assert visible_windows() == [window]
                for button in (tab.edit_event_button, tab.report_button):
                    assert button.window() is window and not button.isWindow()
    assert found, "the demo clinic has an adverse event to select"


def test_exit_closes_every_other_window(qtbot, window: MainWindow) -> None:
    stray = QLabel("A stray window with a patient's name")
    qtbot.addWidget(stray)
    stray.show()
    left_open = QDialog(window)
    left_open.show()
    exit_action(window).trigger()
    assert visible_windows() == []


EXIT_WITH_STRAYS = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QApplication, QDialog, QLabel
    from exodesk.paths import DataPaths
    from exodesk.services.workspace import open_services
    from exodesk.ui.launcher import application, launch
    from exodesk.ui.main_window import MainWindow

    paths = DataPaths(Path(sys.argv[1]))
    app = application()
    kept = []

    def strays_then_exit() -> None:
        windows = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if not windows:
            QTimer.singleShot(100, strays_then_exit)
            return
        window = windows[0]
        stray = QLabel("A stray window")
        stray.show()
        dialog = QDialog(window)
        dialog.show()
        kept.extend([stray, dialog])
        names = ("actionExit", "actionQuit")
        next(a for a in window.findChildren(QAction) if a.objectName() in names).trigger()

    QTimer.singleShot(100, strays_then_exit)
    code = launch(paths, demo=True)
    open_services(paths, lock=True).close()  # refused if this process still held the lock
    print("ended", code, flush=True)
    """
)


def test_exit_ends_the_process_and_frees_the_data_file(data_paths: DataPaths, clock) -> None:
    svc = open_services(data_paths, create=True, clock=clock)
    seed_demo(svc, patients=4, backup_history=False)
    svc.close()
    try:
        done = subprocess.run(
            [sys.executable, "-c", EXIT_WITH_STRAYS, str(data_paths.folder)],
            cwd=ROOT,
            env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("after Exit, with a stray window open, the process was still running")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ended 0" in done.stdout
    open_services(data_paths, lock=True).close()


def test_the_lock_covers_every_window_and_any_that_opens_while_locked(
    qtbot, window: MainWindow
) -> None:
    stray = QLabel("A stray window with a patient's name")
    qtbot.addWidget(stray)
    stray.show()
    dialog = QDialog(window)
    dialog.show()
    window.lock_desk()
    assert window.desk_lock.locked
    for shown in (window, stray, dialog):
        assert covered(shown), f"{shown} shows what is behind the lock"
    late_dialog = QDialog(window)
    late_dialog.resize(300, 200)
    late_dialog.show()
    late = QLabel("A window opened after the lock")
    qtbot.addWidget(late)
    late.show()
    for shown in (late_dialog, late):
        assert covered(shown), "a window opened while locked is covered too"
    cover = window.desk_lock.interactive
    assert cover is not None and cover.password is not None
    cover.password.setText("demo-password")
    cover.unlock_button.click()
    assert not window.desk_lock.locked
    assert not window.findChildren(LockCover) or not any(
        c.isVisible() for w in (window, stray, dialog, late) for c in w.findChildren(LockCover)
    )
    assert stray.isVisible() and dialog.isVisible(), "nothing was closed by the lock"
    late_dialog.reject()
    dialog.reject()
