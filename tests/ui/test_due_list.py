"""The due list as reception works it: open a patient from it, note calls and bookings."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from exodesk.services.workspace import Services
from exodesk.ui.look import FADED, item_ink
from exodesk.ui.main_window import MainWindow
from exodesk.ui.sessions.lists import CONTACT, DUE_PATIENT, DueListDialog
from tests.ui.dialogs import when_dialog_opens
from tests.ui.test_lists import _clinic_with_two_sessions
from tests.ui.test_patients_tab import unnamed_widgets


def _due_dialog(qtbot, services: Services, clock) -> DueListDialog:
    _clinic_with_two_sessions(services)
    clock.advance(days=50)
    dialog = DueListDialog(None, services.recall)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.model.rowCount() == 2
    return dialog


def _row_of(dialog: DueListDialog, family: str) -> int:
    for row in range(dialog.model.rowCount()):
        if dialog.model.index(row, DUE_PATIENT).data().startswith(family):
            return row
    raise AssertionError(family)


def test_double_click_opens_that_patient(qtbot, services: Services, clock) -> None:
    dialog = _due_dialog(qtbot, services, clock)
    row = _row_of(dialog, "李")
    rect = dialog.table.visualRect(dialog.model.index(row, DUE_PATIENT))
    with qtbot.waitSignal(dialog.patient_chosen) as chosen:
        qtbot.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert chosen.args == [dialog.entries[row].patient_id]
    assert services.patients.get(chosen.args[0]).family_name == "李"
    assert dialog.result() == QDialog.DialogCode.Accepted and not dialog.isVisible()


def test_enter_on_a_row_opens_that_patient_once(qtbot, services: Services, clock) -> None:
    dialog = _due_dialog(qtbot, services, clock)
    opened: list[int] = []
    dialog.patient_chosen.connect(opened.append)
    dialog.table.setFocus()
    dialog.table.selectRow(0)
    qtbot.keyClick(dialog.table, Qt.Key.Key_Down)  # to the second row
    qtbot.keyClick(dialog.table, Qt.Key.Key_Return)
    assert opened == [dialog.entries[1].patient_id]
    assert not dialog.isVisible()


def test_the_menu_opens_the_chosen_patient_in_the_main_window(
    qtbot, services: Services, clock
) -> None:
    _clinic_with_two_sessions(services)
    clock.advance(days=50)
    window = MainWindow(services, day_first=True)
    qtbot.addWidget(window)
    window.show()
    window.tabs.setCurrentWidget(window.aftercare_tab)

    def choose_second(dialog: QDialog) -> None:
        assert isinstance(dialog, DueListDialog)
        dialog.table.selectRow(1)
        dialog.open_button.click()

    seen = when_dialog_opens(DueListDialog, choose_second)
    window.menus.actions["actionDueList"].trigger()
    assert seen, "the due list opened"
    expected = seen[0].entries[1].patient_id
    assert window.current.patient is not None and window.current.patient.id == expected
    assert window.tabs.currentWidget() is window.patients_tab
    assert window.patients_tab.form.original.id == expected


def test_mark_called_then_booked_shows_who_and_when_and_keeps_it(
    qtbot, services: Services, clock
) -> None:
    dialog = _due_dialog(qtbot, services, clock)
    assert not dialog.called_button.isEnabled(), "nothing selected yet"
    first = dialog.entries[0]
    dialog.table.selectRow(0)
    dialog.called_button.click()
    assert dialog.model.index(0, CONTACT).data().startswith("Called ")
    assert dialog.model.index(0, CONTACT).data().endswith(", Dr Amara Okafor")
    assert dialog.windowTitle() == "Patients due for a session (2 to call)"
    assert dialog.selected_entries() == [dialog.entries[0]], "the row stays selected"

    dialog.booked_button.click()
    # Booked: nobody needs to call, so the patient goes below those still to call, in grey.
    assert dialog.entries[1].course.id == first.course.id and dialog.entries[1].booked
    assert dialog.model.index(1, CONTACT).data().startswith("Booked ")
    grey = dialog.model.index(1, DUE_PATIENT).data(Qt.ItemDataRole.ForegroundRole)
    assert grey.color() == item_ink(FADED).color()  # faded, readable on any palette
    assert dialog.windowTitle() == "Patients due for a session (1 to call)"
    assert dialog.selected_entries()[0].course.id == first.course.id

    again = DueListDialog(None, services.recall)  # stored, not just shown
    qtbot.addWidget(again)
    assert again.model.index(1, CONTACT).data().startswith("Booked ")
    assert unnamed_widgets(dialog) == []


def test_with_everyone_booked_there_is_nothing_to_print(qtbot, services: Services, clock) -> None:
    dialog = _due_dialog(qtbot, services, clock)
    assert dialog.print_button.isEnabled()
    dialog.table.selectAll()
    dialog.booked_button.click()
    assert all(e.booked for e in dialog.entries)
    assert not dialog.print_button.isEnabled()


def test_without_the_permission_the_mark_buttons_are_not_offered(
    qtbot, services: Services, clock
) -> None:
    _clinic_with_two_sessions(services)
    dialog = DueListDialog(None, services.recall, may_mark=False)
    qtbot.addWidget(dialog)
    assert dialog.called_button.isHidden() and dialog.booked_button.isHidden()
