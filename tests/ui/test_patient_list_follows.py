# ruff: noqa: F811 - the window fixture imported from test_patients_tab is a parameter here
"""The Patients list highlights the current patient or nobody: never one name in the list and
another in the header, whichever way the current patient changed."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt

from exodesk.domain.patient import Patient
from exodesk.services.workspace import Services
from exodesk.ui.main_window import MainWindow
from exodesk.ui.patients.model import NAME
from tests.ui.test_patients_tab import _type_search, window  # noqa: F401 - fixture


def _highlighted(win: MainWindow) -> list[str]:
    rows = win.patients_tab.table.selectionModel().selectedRows(NAME)
    return [str(index.data()) for index in rows]


def _header(win: MainWindow) -> str:
    return win.header.name_label.text()


def _id_of(services: Services, family: str) -> int:
    [patient] = services.patients.search(family).rows
    assert patient.id is not None
    return patient.id


def test_nobody_current_means_nobody_highlighted(window: MainWindow) -> None:
    assert window.current.patient is None
    assert window.patients_tab.model.rowCount() == 3
    assert _highlighted(window) == []


def test_the_due_lists_open_patient_moves_the_highlight(
    window: MainWindow, services: Services
) -> None:
    window.show_patient(_id_of(services, "jones"))
    assert _header(window) == "JONES, Noah"
    assert _highlighted(window) == ["JONES, Noah"]
    window.show_patient(_id_of(services, "smith"))  # the row highlighted before was Jones's
    assert _header(window) == "SMITH, Olivia"
    assert _highlighted(window) == ["SMITH, Olivia"]


def test_new_patient_lets_go_and_cancel_comes_back(
    qtbot, window: MainWindow, services: Services
) -> None:
    tab = window.patients_tab
    window.show_patient(_id_of(services, "smith"))
    qtbot.keyClick(tab, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert _header(window) == "No patient chosen"
    assert _highlighted(window) == []
    tab.form.cancel_requested.emit()
    assert _header(window) == "SMITH, Olivia"
    assert _highlighted(window) == ["SMITH, Olivia"]


def test_a_new_patient_saved_is_the_one_highlighted(
    qtbot, window: MainWindow, services: Services
) -> None:
    tab = window.patients_tab
    window.show_patient(_id_of(services, "jones"))
    tab.new_patient()
    tab.form.fields["family_name"].setText("Abbott")
    tab.form.fields["given_names"].setText("Ada")
    tab.form.dob.setText("02/03/1991")
    tab.form.fields["phone"].setText("07700 900555")
    qtbot.keyClick(tab.form.fields["family_name"], Qt.Key.Key_Return)  # Enter saves
    assert _header(window) == "ABBOTT, Ada"
    assert _highlighted(window) == ["ABBOTT, Ada"]


def test_a_search_highlights_the_current_patient_or_nobody(
    qtbot, window: MainWindow, services: Services
) -> None:
    tab = window.patients_tab
    window.show_patient(_id_of(services, "smith"))
    _type_search(qtbot, window, "jones")  # Smith is not among them
    assert tab.model.rowCount() == 1
    assert _highlighted(window) == []
    _type_search(qtbot, window, "")  # everyone again: Smith among them, last
    assert tab.model.rowCount() == 3
    assert _highlighted(window) == ["SMITH, Olivia"]
    _type_search(qtbot, window, "jones")
    qtbot.keyClick(tab.search, Qt.Key.Key_Return)  # nothing highlighted: the first found opens
    assert _header(window) == "JONES, Noah"
    assert _highlighted(window) == ["JONES, Noah"]


def test_a_row_walked_to_but_not_opened_is_let_go_of_on_cancel(
    qtbot, window: MainWindow, services: Services
) -> None:
    tab = window.patients_tab
    window.show_patient(_id_of(services, "smith"))
    tab.table.setFocus()
    tab.table.selectRow(0)  # walked to Jones with the arrows, not opened
    assert _highlighted(window) == ["JONES, Noah"]
    tab.form.cancel_requested.emit()
    assert _header(window) == "SMITH, Olivia"
    assert _highlighted(window) == ["SMITH, Olivia"]


def test_letting_go_of_the_patient_lets_go_of_the_highlight(
    window: MainWindow, services: Services
) -> None:
    window.show_patient(_id_of(services, "smith"))
    window.current.set(None)  # what a change of user at the desk does (switch_user)
    assert _header(window) == "No patient chosen"
    assert _highlighted(window) == []


def test_a_current_patient_not_in_the_list_highlights_nobody(
    window: MainWindow, services: Services
) -> None:
    unsaved = Patient("Nobody", "Here", date(1990, 1, 1))
    window.current.set(unsaved)
    assert _highlighted(window) == []
