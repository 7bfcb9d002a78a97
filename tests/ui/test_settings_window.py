"""The Settings window driven from the keyboard: pages, saving, unsaved changes, defaults."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton, QWidget

from exodesk.services.comparison import ClinicComparisonTexts
from exodesk.services.context import SETTINGS
from exodesk.services.workspace import Services
from exodesk.ui.dialogs.settings_window import (
    AFTERCARE,
    CLINIC,
    COMPARISON,
    PAGES,
    SCREENING,
    SettingsWindow,
)
from tests.ui.dialogs import when_dialog_opens
from tests.ui.test_patients_tab import unnamed_widgets

CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier


def open_window(qtbot, services: Services, page: str | None = None) -> SettingsWindow:
    window = SettingsWindow(None, services, page=page)
    # Closing at the end of a test must not stop on the unsaved-changes question.
    qtbot.addWidget(window, before_close_func=_drop_typing)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window


def _drop_typing(window: SettingsWindow) -> None:
    for page in window.pages.values():
        page.discard()


def press(qtbot, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier):
    """A key pressed wherever the keyboard focus is, as the user would."""
    target = QApplication.focusWidget()
    assert target is not None
    qtbot.keyClick(target, key, modifiers)


def tab_until(qtbot, target: QWidget, limit: int = 60) -> None:
    """Walk the focus chain with Tab, as a keyboard user does, until ``target`` has focus."""
    for _ in range(limit):
        if QApplication.focusWidget() is target:
            return
        press(qtbot, Qt.Key.Key_Tab)
    raise AssertionError(f"Tab never reached {target.objectName()}")


def type_into(qtbot, field: QWidget, text: str) -> None:
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, text)


def answer_unsaved(choice: str) -> list:
    """Click Save, Discard or Stay in the unsaved-changes question once it opens."""

    def click(box: QMessageBox) -> None:
        box.findChild(QPushButton, f"unsaved{choice}").click()

    return when_dialog_opens(QMessageBox, click)


@pytest.mark.parametrize("key", PAGES)
def test_opens_on_each_page_with_every_widget_named(qtbot, services: Services, key: str) -> None:
    window = open_window(qtbot, services, key)
    assert window.stack.currentWidget() is window.pages[key]
    assert window.heading.text() == window.pages[key].page_title
    assert window.page_list.currentRow() == PAGES.index(key)
    assert not any(page.is_dirty() for page in window.pages.values())
    assert unnamed_widgets(window) == []


def test_clinic_details_typed_and_saved_with_ctrl_s(qtbot, services: Services) -> None:
    window = open_window(qtbot, services)
    page = window.pages[CLINIC]
    type_into(qtbot, page.details.name, "Riverside Clinic")
    type_into(qtbot, page.details.phone, "020 7946 0123")
    assert page.is_dirty()
    press(qtbot, Qt.Key.Key_S, CTRL)
    stored = services.clinic.settings()
    assert (stored.name, stored.phone) == ("Riverside Clinic", "020 7946 0123")
    assert not page.is_dirty()
    assert "saved" in window.status.text()
    assert window.changes.touches(SETTINGS)


def test_the_idle_lock_minutes_are_set_on_the_clinic_page(qtbot, services: Services) -> None:
    window = open_window(qtbot, services)
    page = window.pages[CLINIC]
    type_into(qtbot, page.details.name, "Riverside Clinic")
    page.idle_minutes.setValue(1)
    assert page.idle_minutes.value() == 2, "2 to 30 minutes"
    page.idle_minutes.setValue(5)
    press(qtbot, Qt.Key.Key_S, CTRL)
    assert services.clinic.settings().idle_lock_minutes == 5


def test_pages_this_person_may_not_change_are_greyed_out(qtbot, services: Services) -> None:
    window = open_window(qtbot, services, CLINIC)
    window.limit_to({SCREENING}, {CLINIC: "Only an admin can change this."})
    item = window.page_list.item(0)
    assert not item.flags() & Qt.ItemFlag.ItemIsEnabled
    assert item.toolTip() == "Only an admin can change this."
    assert window.current is window.pages[SCREENING], "opens on a page they may change"


def test_a_problem_shows_beside_its_field_and_nothing_is_stored(qtbot, services: Services) -> None:
    window = open_window(qtbot, services)
    page = window.pages[CLINIC]
    form = page.details
    type_into(qtbot, form.phone, "12")
    press(qtbot, Qt.Key.Key_S, CTRL)
    assert form.errors["phone"].isVisible()
    assert form.errors["phone"].text()
    assert services.clinic.settings().phone == ""
    assert not window.changes.topics
    # The address box keeps its full height above the phone field and its problem.
    bottom = form.address.mapTo(page, form.address.rect().bottomLeft()).y()
    assert bottom < form.phone.mapTo(page, form.phone.rect().topLeft()).y()


def test_screening_rule_tightened_from_the_keyboard(qtbot, services: Services) -> None:
    window = open_window(qtbot, services)
    press(qtbot, Qt.Key.Key_2, ALT)
    page = window.pages[SCREENING]
    assert window.stack.currentWidget() is page
    combo = page._outcomes["cancer_history"]
    tab_until(qtbot, combo)
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentData() == "defer"
    press(qtbot, Qt.Key.Key_S, CTRL)
    assert {e.outcome for e in services.screening.rules().rule("cancer_history").effects} == {
        "defer"
    }


def test_tab_walks_every_rule_and_leaves_the_table(qtbot, services: Services) -> None:
    window = open_window(qtbot, services, SCREENING)
    page = window.pages[SCREENING]
    page.rules.setFocus()
    tab_until(qtbot, page._windows["recent_laser"])
    tab_until(qtbot, page.findChild(QPushButton, "restoreRules"), limit=3)
    tab_until(qtbot, window.save_button, limit=3)


def test_aftercare_title_and_comparison_price_saved(qtbot, services: Services) -> None:
    window = open_window(qtbot, services)
    press(qtbot, Qt.Key.Key_3, ALT)
    wording = window.pages[AFTERCARE]
    assert window.stack.currentWidget() is wording
    treatment = wording.treatment.currentData()
    type_into(qtbot, wording.title, "After your treatment with us")
    press(qtbot, Qt.Key.Key_S, CTRL)
    assert services.aftercare.wording(treatment).template.title == "After your treatment with us"
    assert wording.version.text() == "Saved: clinic v1"

    press(qtbot, Qt.Key.Key_4, ALT)
    texts = window.pages[COMPARISON]
    assert window.stack.currentWidget() is texts
    texts.treatment.setCurrentIndex(texts.treatment.findData("prp"))
    type_into(qtbot, texts.price, "GBP 350 a session")
    press(qtbot, Qt.Key.Key_S, CTRL)
    assert services.comparison.clinic_texts().prices == {"prp": "GBP 350 a session"}
    assert window.changes.touches(SETTINGS)


def test_ctrl_page_keys_step_through_the_pages(qtbot, services: Services) -> None:
    window = open_window(qtbot, services)
    window.pages[CLINIC].details.address.setFocus()
    for expected in (SCREENING, AFTERCARE, COMPARISON, CLINIC):
        press(qtbot, Qt.Key.Key_PageDown, CTRL)
        assert window.stack.currentWidget() is window.pages[expected]
    press(qtbot, Qt.Key.Key_PageUp, CTRL)
    assert window.stack.currentWidget() is window.pages[COMPARISON]


def test_stay_keeps_the_typing_on_its_page(qtbot, services: Services) -> None:
    window = open_window(qtbot, services)
    page = window.pages[CLINIC]
    type_into(qtbot, page.details.name, "Half typed")
    asked = answer_unsaved("Stay")
    press(qtbot, Qt.Key.Key_2, ALT)
    assert asked, "leaving a page with typing asks first"
    assert window.stack.currentWidget() is page
    assert window.page_list.currentRow() == PAGES.index(CLINIC)
    assert page.details.name.text() == "Half typed"
    assert services.clinic.settings().name == ""


def test_discard_drops_the_typing(qtbot, services: Services) -> None:
    window = open_window(qtbot, services, CLINIC)
    page = window.pages[CLINIC]
    type_into(qtbot, page.details.name, "Never kept")
    asked = answer_unsaved("Discard")
    press(qtbot, Qt.Key.Key_PageDown, CTRL)
    assert asked
    assert window.stack.currentWidget() is window.pages[SCREENING]
    assert page.details.name.text() == ""
    assert services.clinic.settings().name == ""
    assert not window.changes.topics


def test_save_stores_the_typing_then_moves_on(qtbot, services: Services) -> None:
    window = open_window(qtbot, services, CLINIC)
    type_into(qtbot, window.pages[CLINIC].details.name, "Willow Clinic")
    asked = answer_unsaved("Save")
    window.page_list.setCurrentRow(PAGES.index(COMPARISON))
    assert asked
    assert window.stack.currentWidget() is window.pages[COMPARISON]
    assert services.clinic.settings().name == "Willow Clinic"
    assert window.changes.touches(SETTINGS)


def test_save_refused_keeps_the_page(qtbot, services: Services) -> None:
    window = open_window(qtbot, services, CLINIC)
    page = window.pages[CLINIC]
    type_into(qtbot, page.details.phone, "12")
    asked = answer_unsaved("Save")
    press(qtbot, Qt.Key.Key_3, ALT)
    assert asked
    assert window.stack.currentWidget() is page
    assert page.details.errors["phone"].isVisible()
    assert page.details.phone.text() == "12"


def test_esc_asks_when_there_is_typing_and_closes_when_settled(qtbot, services: Services) -> None:
    window = open_window(qtbot, services, COMPARISON)
    page = window.pages[COMPARISON]
    type_into(qtbot, page.note, "Ask about our course price")
    asked = answer_unsaved("Stay")
    press(qtbot, Qt.Key.Key_Escape)
    assert asked
    assert window.isVisible()
    assert page.note.text() == "Ask about our course price"
    # The offscreen platform leaves the closed question active; a desktop gives the window
    # (and the note) the keyboard back by itself.
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    page.note.setFocus()
    asked = answer_unsaved("Discard")
    press(qtbot, Qt.Key.Key_Escape)
    assert asked
    assert not window.isVisible()
    assert services.comparison.clinic_texts().notes == {}


def test_esc_closes_at_once_without_typing(qtbot, services: Services) -> None:
    window = open_window(qtbot, services, SCREENING)
    press(qtbot, Qt.Key.Key_Escape)
    assert not window.isVisible()


def test_switching_aftercare_sheet_asks_too(qtbot, services: Services) -> None:
    window = open_window(qtbot, services, AFTERCARE)
    page = window.pages[AFTERCARE]
    first = page.treatment.currentData()
    type_into(qtbot, page.title, "Our own title")
    asked = answer_unsaved("Stay")
    page.treatment.setCurrentIndex(page.treatment.findData("prp"))
    assert asked
    assert page.treatment.currentData() == first
    assert page.title.text() == "Our own title"
    asked = answer_unsaved("Save")
    page.treatment.setCurrentIndex(page.treatment.findData("prp"))
    assert asked
    assert page.treatment.currentData() == "prp"
    assert services.aftercare.wording(first).template.title == "Our own title"
    assert page.title.text() == services.aftercare.wording("prp").template.title


def test_restore_default_rules_and_consent(qtbot, services: Services) -> None:
    assert services.screening.set_rule_overrides({"cancer_history": {"outcome": "decline"}}).ok
    assert services.screening.save_consent_text("Our own consent wording.").ok
    window = open_window(qtbot, services, SCREENING)
    page = window.pages[SCREENING]
    assert page._outcomes["cancer_history"].currentData() == "decline"
    qtbot.mouseClick(page.findChild(QPushButton, "restoreRules"), Qt.MouseButton.LeftButton)
    page.pages.setCurrentIndex(1)
    qtbot.mouseClick(page.findChild(QPushButton, "restoreConsent"), Qt.MouseButton.LeftButton)
    assert page.is_dirty()
    assert window.save_current()
    assert services.screening.rules().version == "2026.2"
    assert services.screening.consent_text()[1] == services.screening.default_consent_text()


def test_restore_standard_aftercare_wording(qtbot, services: Services) -> None:
    default = services.aftercare.wording("microneedling")
    edited = replace(default.template, title="Microneedling: our advice")
    assert services.aftercare.save_wording(edited).ok
    window = open_window(qtbot, services, AFTERCARE)
    page = window.pages[AFTERCARE]
    page.treatment.setCurrentIndex(page.treatment.findData("microneedling"))
    assert page.title.text() == "Microneedling: our advice"
    qtbot.mouseClick(page.restore_button, Qt.MouseButton.LeftButton)
    assert page.title.text() == default.template.title
    assert "Save to use it" in page.version.text()
    assert services.aftercare.wording("microneedling").edited, "nothing stored before Save"
    press(qtbot, Qt.Key.Key_S, CTRL)
    restored = services.aftercare.wording("microneedling")
    assert not restored.edited
    assert restored.template == default.template


def test_restore_standard_comparison_texts(qtbot, services: Services) -> None:
    texts = ClinicComparisonTexts(
        {"exosome_face": {"downtime": "Back at work the next morning."}},
        {"prp": "Ask about courses"},
        {"exosome_face": "£450 a session"},
    )
    assert services.comparison.save_clinic_texts(texts).ok
    window = open_window(qtbot, services, COMPARISON)
    page = window.pages[COMPARISON]
    page.treatment.setCurrentIndex(page.treatment.findData("exosome_face"))
    assert page.price.text() == "£450 a session"
    qtbot.mouseClick(page.restore_button, Qt.MouseButton.LeftButton)
    assert page.price.text() == ""
    assert page.notice.isVisible()
    assert services.comparison.clinic_texts().prices, "nothing stored before Save"
    press(qtbot, Qt.Key.Key_S, CTRL)
    stored = services.comparison.clinic_texts()
    assert (stored.edits, stored.notes, stored.prices) == ({}, {}, {})


def test_ctrl_s_on_an_unchanged_page_stores_nothing(qtbot, services: Services) -> None:
    window = open_window(qtbot, services, AFTERCARE)
    press(qtbot, Qt.Key.Key_S, CTRL)
    assert "Nothing to save" in window.status.text()
    assert not services.aftercare.wording(window.pages[AFTERCARE].treatment.currentData()).edited
    assert not window.changes.topics
