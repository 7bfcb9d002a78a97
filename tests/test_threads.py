"""Background threads run with automatic garbage collection paused (exodesk/threads.py)."""

from __future__ import annotations

import gc
import threading

from exodesk.threads import collector_paused


def test_pauses_nest_across_threads_and_the_collector_comes_back() -> None:
    assert gc.isenabled()
    inside = threading.Event()
    release = threading.Event()

    def worker() -> None:
        with collector_paused():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=worker)
    thread.start()
    assert inside.wait(10)
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled(), "the other thread's pause still holds"
    release.set()
    thread.join(10)
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_start_up_check_runs_with_the_collector_paused(data_paths, clock, monkeypatch) -> None:
    from exodesk.services import startup_check
    from exodesk.services.workspace import open_services
    from tests.storage.test_file_faults import _make_clinic

    _make_clinic(data_paths, clock)
    seen: list[bool] = []
    real = startup_check.quick_check

    def watching(db, path=None):
        seen.append(gc.isenabled())
        return real(db, path)

    monkeypatch.setattr(startup_check, "quick_check", watching)
    svc = open_services(data_paths, clock=clock, background_check=True)
    try:
        assert svc.startup_check is not None and svc.startup_check.wait(30)
    finally:
        svc.close()
    assert seen == [False]
    assert gc.isenabled()


def test_a_background_job_runs_with_the_collector_paused_until_its_result_is_back(
    qtbot,
) -> None:
    from PySide6.QtCore import QObject

    from exodesk.ui.workers import run_in_background

    owner = QObject()
    results: list[bool] = []
    run_in_background(owner, gc.isenabled, results.append, lambda exc: results.append(exc))
    assert not gc.isenabled()  # paused before the job even started
    qtbot.waitUntil(lambda: bool(results), timeout=10_000)
    assert results == [False]
    assert gc.isenabled()


def test_the_window_lets_the_collector_run_again_once_the_check_has_passed(
    qtbot, data_paths, clock
) -> None:
    from exodesk.services.workspace import open_services
    from exodesk.ui.main_window import MainWindow
    from tests.storage.test_file_faults import _make_clinic

    _make_clinic(data_paths, clock)
    svc = open_services(data_paths, clock=clock, background_check=True)
    try:
        svc.desk.user = svc.clinic.staff()[0]
        window = MainWindow(svc, day_first=True)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(gc.isenabled, timeout=30_000)
        assert svc.startup_check is not None and svc.startup_check.done
        window.close()
    finally:
        svc.close()
    assert gc.isenabled()
