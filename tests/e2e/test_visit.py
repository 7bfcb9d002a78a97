"""A whole visit through the real window: register, screen, save, reopen, amend."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog

from exodesk.services.workspace import Services
from exodesk.ui.main_window import MainWindow
from tests.ui.dialogs import when_dialog_opens


def test_new_patient_to_screening_to_amendment(qtbot, services: Services, uk_locale) -> None:
    window = MainWindow(services, day_first=True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)

    # Reception registers a new patient from the keyboard.
    patients = window.patients_tab
    qtbot.keyClick(patients.search, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    form = patients.form
    qtbot.keyClicks(form.fields["family_name"], "Walsh")
    qtbot.keyClicks(form.fields["given_names"], "Niamh")
    qtbot.keyClicks(form.dob, "14/02/1991")
    qtbot.keyClicks(form.fields["phone"], "07700 900321")
    qtbot.keyClick(form.fields["phone"], Qt.Key.Key_Return)
    assert window.header.name_label.text() == "WALSH, Niamh"

    # Intake screening: a retinoid used three days ago (19 Nov; today is 22 Nov 2026).
    window.tabs.setCurrentWidget(window.screening_tab)
    tab = window.screening_tab
    retinoid = tab.questionnaire.answers_by_item["retinoid_last_use"].focus
    retinoid.setFocus()
    qtbot.keyClicks(retinoid, "19/11/2026")
    qtbot.waitUntil(lambda: not tab._timer.isActive())
    # No verdict until every question has an answer: the cards say which are missing.
    assert "NO VERDICT YET" in tab.verdicts.cards["exosome_face"].badge.text()
    assert "Not answered yet: Pregnant" in tab.verdicts.cards["exosome_face"].body.text()
    # Niamh answers no, never and none of these to everything else.
    for item_id, answer in tab.questionnaire.answers_by_item.items():
        control = answer.widget
        if answer.item.type == "bool":
            control.no.click()
        elif answer.item.type == "date" and item_id != "retinoid_last_use":
            control.never.click()
        elif answer.item.type == "set":
            control.none.click()
        elif item_id == "autoimmune":
            control.setCurrentIndex(control.findData("none"))
    qtbot.waitUntil(lambda: not tab._timer.isActive())
    assert "Can go ahead from Thu 26 Nov 2026" in tab.verdicts.cards["exosome_face"].body.text()
    assert "GO AHEAD" in tab.verdicts.cards["exosome_scalp"].badge.text()
    qtbot.keyClick(retinoid, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

    patient_id = window.current.patient.id
    saved = services.screening.current(patient_id)
    assert saved.result.verdict_for("exosome_face") == "defer"
    assert saved.result.for_treatment("exosome_face").until == date(2026, 11, 26)
    assert saved.result.allows("exosome_scalp")

    # Reopen: choose someone else, then come back to Niamh; the screening shows read-only.
    window.current.set(None)
    patients.search.setText("walsh")
    patients.refresh()
    qtbot.keyClick(patients.search, Qt.Key.Key_Return)
    assert "Screening v1" in tab.status.text()
    assert tab.questionnaire.answers_by_item["retinoid_last_use"].focus.isReadOnly()

    # Amend: the retinoid was in fact stopped a fortnight ago.
    tab.amend_button.click()
    field = tab.questionnaire.answers_by_item["retinoid_last_use"].focus
    field.clear()
    qtbot.keyClicks(field, "08/11/2026")

    def give_reason(dialog: QDialog) -> None:
        dialog.text.setPlainText("Patient checked: last retinoid on 8 Nov")
        dialog.ok.click()

    when_dialog_opens(QDialog, give_reason)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    amended = services.screening.current(patient_id)
    assert amended.version == 2
    assert amended.result.verdict_for("exosome_face") == "proceed"
    assert services.screening.get(saved.id).superseded
    assert [h.version for h in services.screening.history(patient_id)] == [2, 1]
