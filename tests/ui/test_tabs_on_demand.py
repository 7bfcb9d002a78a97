"""The main window builds only the Patients tab at start; the others when first used (#9)."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtWidgets import QWidget

from exodesk.domain.patient import Patient
from exodesk.services.context import SETTINGS, Changes
from exodesk.services.workspace import Services
from exodesk.ui.comparison.tab import ComparisonTab
from exodesk.ui.main_window import MainWindow
from exodesk.ui.screening.tab import ScreeningTab
from exodesk.ui.sessions.tab import SessionsTab

LABELS = ["&Patients", "Intake scr&eening", "Sess&ions", "&Compare treatments", "&Aftercare"]


@pytest.fixture
def window(qtbot, services: Services) -> MainWindow:
    win = MainWindow(services, day_first=True)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def _labels(win: MainWindow) -> list[str]:
    return [win.tabs.tabText(i) for i in range(win.tabs.count())]


def test_only_the_patients_tab_is_built_at_start(window: MainWindow) -> None:
    assert _labels(window) == LABELS
    assert window.tabs.currentWidget() is window.patients_tab
    assert not window.findChildren(ScreeningTab)
    assert not window.findChildren(SessionsTab)
    assert not window.findChildren(ComparisonTab)


def test_selecting_a_tab_builds_it_in_place_once(qtbot, window: MainWindow) -> None:
    window.tabs.setCurrentIndex(2)
    tab = window.tabs.currentWidget()
    assert isinstance(tab, SessionsTab)
    assert tab is window.sessions_tab
    assert tab.isVisible()
    assert _labels(window) == LABELS
    window.tabs.setCurrentIndex(0)
    window.tabs.setCurrentIndex(2)
    assert window.tabs.currentWidget() is tab
    assert len(window.findChildren(SessionsTab)) == 1
    qtbot.waitUntil(lambda: window.findChild(QWidget, "sessions_tabPlaceholder") is None)


def test_reading_the_attribute_builds_it_without_switching(window: MainWindow) -> None:
    tab = window.screening_tab
    assert window.tabs.indexOf(tab) == 1
    assert window.tabs.currentWidget() is window.patients_tab
    assert _labels(window) == LABELS


def test_a_tab_built_late_shows_the_current_patient(
    qtbot, window: MainWindow, services: Services
) -> None:
    olivia = services.patients.create(Patient("Smith", "Olivia", date(1985, 4, 3))).record
    window.patients_tab.open_patient(olivia)
    window.tabs.setCurrentIndex(2)
    assert window.sessions_tab.patient == olivia


def test_a_tab_built_late_is_wired_to_data_changed(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    tab = window.comparison_tab
    refreshed: list[tuple] = []
    monkeypatch.setattr(tab, "refresh", lambda *args: refreshed.append(args))
    window.data_changed.emit(Changes(frozenset({SETTINGS})))
    assert refreshed, "the window's data_changed reaches the tab"
    heard: list[Changes] = []
    window.data_changed.connect(heard.append)
    tab.data_changed.emit(Changes(frozenset({SETTINGS})))
    assert heard, "the tab's data_changed reaches the window"
