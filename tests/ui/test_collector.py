"""Garbage is collected on the main thread only, never on a worker (exodesk/ui/collector.py)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication, QWidget

from exodesk.ui import collector
from exodesk.ui.workers import run_in_background


class _Cycle:
    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def collections() -> Iterator[list[tuple[str, int]]]:
    """(thread name, generation) of every collection while the test runs."""
    seen: list[tuple[str, int]] = []

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append((threading.current_thread().name, info["generation"]))

    gc.callbacks.append(record)
    yield seen
    gc.callbacks.remove(record)


@pytest.fixture
def small_thresholds() -> Iterator[None]:
    old = gc.get_threshold()
    gc.set_threshold(50, 5, 5)
    yield
    gc.set_threshold(*old)


def test_install_switches_automatic_collection_off_once(qapp: QApplication) -> None:
    gc.enable()
    try:
        first = collector.install(qapp)
        assert not gc.isenabled()
        assert collector.install(qapp) is first
        assert qapp.findChildren(collector.MainThreadCollector) == [first]
    finally:
        gc.disable()  # as the test session keeps it (tests/conftest.py)


def test_a_busy_worker_never_collects_the_main_thread_does(
    qtbot, qapp: QApplication, collections, small_thresholds
) -> None:
    collector.install(qapp)
    widget = QWidget()
    widget.me = widget  # garbage only a collection can free, as a closed dialog's cycle is
    del widget
    done: list[object] = []

    def allocate() -> int:
        made = [_Cycle() for _ in range(20_000)]  # far past every threshold
        return len(made)

    owner = QWidget()
    qtbot.addWidget(owner)
    run_in_background(owner, allocate, done.append, done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=10_000)
    assert done == [20_000]
    qtbot.waitUntil(lambda: bool(collections), timeout=5_000)
    assert {name for name, _generation in collections} == {threading.main_thread().name}


def test_collect_if_due_collects_what_automatic_collection_would(small_thresholds) -> None:
    gc.collect()
    assert collector.collect_if_due() is None, "nothing allocated: nothing due"
    keep = [_Cycle() for _ in range(200)]
    assert collector.collect_if_due() is not None
    assert gc.get_count()[0] < 50
    del keep


def test_collect_if_due_refuses_other_threads() -> None:
    failures: list[BaseException] = []

    def other() -> None:
        try:
            collector.collect_if_due()
        except RuntimeError as exc:
            failures.append(exc)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert failures and "main thread" in str(failures[0])
