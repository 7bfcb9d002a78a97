# ruff: noqa: F811 - the window fixture imported from test_patients_tab is a parameter here
"""The patients search from the keyboard: Down walks into the results, Enter opens one."""

from __future__ import annotations

from PySide6.QtCore import Qt

from exodesk.ui.main_window import MainWindow
from exodesk.ui.patients.model import NAME
from tests.ui.test_patients_tab import window  # noqa: F401 - fixture


def _selected_name(win: MainWindow) -> str:
    tab = win.patients_tab
    [index] = tab.table.selectionModel().selectedRows(NAME)
    return str(index.data())


def test_down_right_after_typing_goes_to_what_was_typed(qtbot, window: MainWindow) -> None:
    tab = window.patients_tab
    tab.search.setFocus()
    qtbot.keyClicks(tab.search, "jones")
    assert tab._timer.isActive(), "typed faster than the search waits"
    qtbot.keyClick(tab.search, Qt.Key.Key_Down)
    assert tab.table.hasFocus()
    assert tab.model.rowCount() == 1 and _selected_name(window).startswith("JONES")
    qtbot.keyClick(tab.table, Qt.Key.Key_Return)
    assert window.current.patient is not None and window.current.patient.family_name == "Jones"


def test_down_then_down_then_enter_opens_the_second_patient(qtbot, window: MainWindow) -> None:
    tab = window.patients_tab
    tab.search.setFocus()
    assert tab.model.rowCount() == 3
    qtbot.keyClick(tab.search, Qt.Key.Key_Down)
    assert tab.table.hasFocus() and tab.table.currentIndex().row() == 0
    qtbot.keyClick(tab.table, Qt.Key.Key_Down)
    second = tab.model.patient_at(1)
    assert tab.table.currentIndex().row() == 1
    qtbot.keyClick(tab.table, Qt.Key.Key_Return)
    assert window.current.patient is not None and window.current.patient.id == second.id


def test_down_with_nothing_found_stays_in_the_search_box(qtbot, window: MainWindow) -> None:
    tab = window.patients_tab
    tab.search.setFocus()
    qtbot.keyClicks(tab.search, "nobody-called-this")
    qtbot.keyClick(tab.search, Qt.Key.Key_Down)
    assert tab.model.rowCount() == 0
    assert tab.search.hasFocus()
