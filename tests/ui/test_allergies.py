"""Allergies on screen: the KELLY case stopped in the real session form, the header, the allergy
editor and the products dialog, driven from the keyboard as staff would."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget

from exodesk.domain.allergies import Allergy
from exodesk.domain.patient import Patient
from exodesk.domain.sessions import Lot, Product, SessionProduct
from exodesk.domain.staff import StaffMember
from exodesk.services.demo import seat
from exodesk.services.workspace import Services
from exodesk.ui.dialogs.allergens import AllergenPickerDialog
from exodesk.ui.dialogs.allergies import AllergiesDialog
from exodesk.ui.main_window import MainWindow
from exodesk.ui.sessions.catalogue import ProductsDialog
from exodesk.ui.widgets import NoWheelComboBox
from tests.answers import answered
from tests.ui.dialogs import when_dialog_opens
from tests.ui.test_patients_tab import unnamed_widgets

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
RED = "#b00020"
# What fits on a 1366×768 laptop screen once the taskbar and the window's title bar are off it.
SCREEN_W, SCREEN_H = 1366, 728 - 30


@pytest.fixture
def kelly(services: Services) -> dict:
    """The demo's KELLY, Hannah: treated with lidocaine cream before her lidocaine allergy was
    recorded, so Record session pre-fills it as the anaesthetic and as a product."""
    dr = services.clinic.save_staff(StaffMember("Dr Amara Okafor", "practitioner")).record
    seat(services, dr.id)
    catalogue = services.catalogue
    lido = catalogue.save_product(
        Product(
            "Lidocaine 5% cream",
            "Fictional Pharma",
            "anaesthetic",
            None,
            "topical",
            ingredients="Lidocaine 5%, carbomer, water",
        )
    ).record
    lot = catalogue.save_lot(
        Lot(lido.id, "LD-77", services.ctx.today() + timedelta(days=150))
    ).record
    hannah = services.patients.create(
        Patient("Kelly", "Hannah", date(1988, 5, 14), "female")
    ).record
    screening = services.screening.save(hannah.id, answered()).record
    services.screening.record_consent(screening.id, "Hannah Kelly", PNG)
    earlier = replace(
        services.sessions.prefill(hannah.id, None),
        performed_at=services.ctx.now() - timedelta(days=40),
        needle_depth_mm=0.75,
        anaesthetic="Lidocaine 5% cream",
        anaesthetic_minutes=25,
        products=(SessionProduct(lot.id, 2.5),),
    )
    assert services.sessions.record(earlier).ok
    services.allergies.record(
        Allergy(hannah.id, "Lidocaine", "anaphylaxis", "Throat swelled after a dental injection")
    )
    return {"patient": hannah, "lot": lot, "product": lido}


@pytest.fixture
def window(qtbot, services: Services, kelly: dict) -> MainWindow:
    win = MainWindow(services, day_first=True)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.patients_tab.open_patient(kelly["patient"])
    return win


def test_the_kelly_case_is_stopped_in_the_session_form_until_overridden(
    qtbot, window: MainWindow, services: Services, kelly: dict
) -> None:
    pid = kelly["patient"].id
    window.tabs.setCurrentWidget(window.sessions_tab)
    tab = window.sessions_tab
    qtbot.keyClick(tab.timeline, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    form = tab.form
    # Pre-filled from the earlier session: lidocaine cream, as anaesthetic and as a product.
    assert form.anaesthetic.currentText() == "Lidocaine 5% cream"
    assert form.products.cellWidget(0, 0).currentData() == kelly["lot"].id
    check = form.run_checks()
    assert check.allergies.blocks
    # "Before saving" names the product, the allergen and the allergy, in red.
    stop = form.allergy_label
    assert stop.isVisibleTo(form)
    assert RED in stop.text()
    assert "Lidocaine 5% cream contains lidocaine" in stop.text()
    assert "The anaesthetic Lidocaine 5% cream contains lidocaine" in stop.text()
    assert "allergic to Lidocaine (anaphylaxis" in stop.text()
    # ...and so does the line under each field it is about.
    assert form.anaesthetic_allergy.isVisibleTo(form)
    assert form.products_allergy.text().startswith("✖ Allergy: Lidocaine 5% cream contains")
    assert form.allergy_reason.isVisibleTo(form)

    # Save refuses without a reason, beside the reason box; nothing is stored.
    qtbot.keyClick(form.needle_depth, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    error = form.errors["allergy_override_reason"]
    assert error.isVisibleTo(form)
    assert "allergic to what this session uses" in error.text()
    assert "lidocaine in Lidocaine 5% cream" in error.text()
    assert len(services.sessions.sessions(pid)) == 1
    assert tab.pages.currentIndex() == 1, "still on the form"

    reason = "Allergist's letter 2026: the reaction was to adrenaline, lidocaine tolerated"
    form.allergy_reason.setFocus()
    qtbot.keyClicks(form.allergy_reason, reason)
    form.save_button.click()
    stored = services.sessions.sessions(pid)[0]
    assert stored.allergy_override_reason == reason
    assert stored.allergy_conflicts == check.allergies.sentences
    entries = services.ctx.db.execute(
        "SELECT actor_name, after FROM audit_log WHERE action = 'allergy_override'"
    ).fetchall()
    assert [(actor, json.loads(after)["reason"]) for actor, after in entries] == [
        ("Dr Amara Okafor", reason)
    ]
    # The session's detail prints the override.
    assert tab.pages.currentIndex() == 0
    assert "ALLERGY OVERRIDDEN" in tab.detail.text()
    assert "lidocaine" in tab.detail.text()


def test_changing_the_anaesthetic_lifts_its_stop(
    qtbot, window: MainWindow, services: Services, kelly: dict
) -> None:
    window.tabs.setCurrentWidget(window.sessions_tab)
    tab = window.sessions_tab
    tab.start_record()
    form = tab.form
    form.products.setCurrentCell(0, 0)
    form.remove_product.click()
    form.anaesthetic.setEditText("Ice pack only")
    check = form.run_checks()
    assert not check.allergies.blocks
    assert not form.allergy_label.isVisibleTo(form)
    assert not form.anaesthetic_allergy.isVisibleTo(form)
    # An anaesthetic nobody recorded is said, not passed as safe.
    flags = [label.text() for label in form.flag_labels]
    assert "⚠ What Ice pack only contains is not recorded: check its label." in flags


def test_the_header_names_allergies_in_red_and_says_when_none_are_known(
    qtbot, window: MainWindow, services: Services, kelly: dict
) -> None:
    header = window.header
    assert header.allergies_label.text() == "⚠ ALLERGIES: Lidocaine (anaphylaxis)"
    assert RED in header.allergies_label.styleSheet()
    assert "Throat swelled" in header.allergies_label.toolTip()
    other = services.patients.create(Patient("Nowak", "Agnieszka", date(1990, 1, 2))).record
    window.patients_tab.open_patient(other)
    assert header.allergies_label.text() == "Allergies not recorded"
    services.allergies.record_none_known(other.id)
    window.data_changed.emit(services.allergies.record_none_known(other.id).changes)
    assert header.allergies_label.text().startswith("No known allergies (recorded ")
    assert RED not in header.allergies_label.styleSheet()


def test_the_allergy_editor_from_the_header_by_keyboard(
    qtbot, window: MainWindow, services: Services, kelly: dict
) -> None:
    pid = kelly["patient"].id
    seen: dict[str, QWidget] = {}

    def work(dialog: AllergiesDialog) -> None:
        seen["dialog"] = dialog
        assert unnamed_widgets(dialog) == []
        assert dialog.width() <= SCREEN_W and dialog.height() <= SCREEN_H
        assert dialog.minimumSizeHint().height() <= SCREEN_H
        # A new allergy: typed words that are an entry of the list become it; Enter saves.
        dialog.substance.setFocus()
        qtbot.keyClicks(dialog.substance.lineEdit(), "latex")
        dialog.severity.setCurrentIndex(dialog.severity.findData("moderate"))
        qtbot.keyClicks(dialog.reaction, "Hives on the hands")
        dialog.reaction.insert(" 😣")  # qtbot types ASCII only
        qtbot.keyClick(dialog.reaction, Qt.Key.Key_Return)
        assert dialog.message.text() == "Latex saved."
        # A 10,000-character reaction: said beside the field, and every character kept.
        dialog.substance.setEditText("Chlorhexidine")
        dialog.reaction.setText("x" * 10_000)
        qtbot.keyClick(dialog.reaction, Qt.Key.Key_Return)
        assert "10,000 characters" in dialog.errors["reaction"].text()
        assert dialog.errors["reaction"].isVisibleTo(dialog)
        assert len(dialog.reaction.text()) == 10_000
        # Correct the lidocaine allergy: the reason is asked for beside its field.
        dialog.table.selectRow(0)
        dialog.correct_button.click()
        assert dialog.reason.isVisibleTo(dialog)
        dialog.reaction.setText("Throat and lips swelled (dentist, 2019)")
        dialog.save()
        assert dialog.errors["amend_reason"].text() == "The reason is needed."
        dialog.reason.setText("Patient's own words at review")
        qtbot.keyClick(dialog.reason, Qt.Key.Key_Enter)
        qtbot.keyClick(dialog.table, Qt.Key.Key_Escape)

    when_dialog_opens(AllergiesDialog, work)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    # A mnemonic "animates" the click: the button fires a moment after Alt+L.
    with qtbot.waitSignal(window.header.allergies_button.clicked, timeout=2000):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)
    assert not seen["dialog"].isVisible(), "Esc closed it"
    versions = services.allergies.history(pid)
    assert [(a.substance, a.version, a.status) for a in versions] == [
        ("Lidocaine", 1, "amended"),
        ("Lidocaine", 2, "current"),
        ("Latex", 1, "current"),
    ]
    assert versions[1].reaction == "Throat and lips swelled (dentist, 2019)"
    assert versions[2].reaction == "Hives on the hands 😣"
    header = window.header.allergies_label.text()
    assert header == "⚠ ALLERGIES: Lidocaine (anaphylaxis) · Latex (moderate)"


def test_the_wheel_does_not_change_a_combo_it_passes_over(qtbot, services: Services) -> None:
    combo = NoWheelComboBox()
    combo.addItems(["Mild", "Moderate", "Severe"])
    qtbot.addWidget(combo)
    combo.show()
    host = QWidget()
    host.setFocus()

    def wheel() -> None:
        event = QWheelEvent(
            QPointF(5, 5),
            QPointF(combo.mapToGlobal(QPoint(5, 5))),
            QPoint(0, 0),
            QPoint(0, -120),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(combo, event)

    wheel()
    assert combo.currentIndex() == 0
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    wheel()
    assert combo.currentIndex() == 1


def test_products_list_their_ingredients_and_allergens(
    qtbot, services: Services, kelly: dict
) -> None:
    dialog = ProductsDialog(None, services.catalogue, day_first=True)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.height() <= SCREEN_H and dialog.minimumSizeHint().height() <= SCREEN_H
    assert unnamed_widgets(dialog) == []
    dialog.new_product()
    dialog.name.setText("VerdeCell Plant Exosome Booster")
    dialog.source.setCurrentIndex(dialog.source.findData("plant"))
    dialog.ingredients.setFocus()
    qtbot.keyClicks(dialog.ingredients, "Plant exosomes, sodium hyaluronate, water")
    assert "Hyaluronic acid, named in the ingredients" in dialog.allergens_shown.text()

    def tick_latex(picker: AllergenPickerDialog) -> None:
        assert unnamed_widgets(picker) == []
        row = next(
            n
            for n in range(picker.allergen_list.count())
            if picker.allergen_list.item(n).text().startswith("Latex")
        )
        picker.allergen_list.setCurrentRow(row)
        qtbot.keyClick(picker.allergen_list, Qt.Key.Key_Space)
        qtbot.keyClick(picker.allergen_list, Qt.Key.Key_Return)

    when_dialog_opens(AllergenPickerDialog, tick_latex)
    dialog.choose_allergens.click()
    assert dialog.allergens_shown.text().startswith("Latex")
    dialog.save_product()
    saved = next(p for p in services.catalogue.products() if p.name.startswith("VerdeCell"))
    names = {a.id: a.name for a in services.allergies.allergens()}
    assert sorted(names[i] for i in saved.allergen_ids) == ["Hyaluronic acid", "Latex"]
    assert saved.ingredients == "Plant exosomes, sodium hyaluronate, water"
    # A product nobody has recorded the contents of stands out in the list.
    dialog.new_product()
    dialog.name.setText("Mystery serum")
    dialog.kind.setCurrentIndex(dialog.kind.findData("serum"))
    dialog.save_product()
    texts = [dialog.product_list.item(n).text() for n in range(dialog.product_list.count())]
    assert any(t.startswith("Mystery serum") and "contents not recorded" in t for t in texts)
    dialog.no_allergens.setChecked(True)
    dialog.save_product()
    mystery = next(p for p in services.catalogue.products() if p.name == "Mystery serum")
    assert mystery.allergens_recorded and not mystery.allergen_ids


# ---- the screening's answers -----------------------------------------------------------------
@pytest.fixture
def screening_tab(qtbot, services: Services, kelly: dict):
    """A new patient's screening, open for answers, in the real window."""
    win = MainWindow(services, day_first=True)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    olivia = services.patients.create(Patient("Smith", "Olivia", date(1985, 4, 3))).record
    win.patients_tab.open_patient(olivia)
    win.tabs.setCurrentWidget(win.screening_tab)
    tab = win.screening_tab
    tab.start_new()
    tab.questionnaire.set_answers(
        answered(
            {"known_product_allergy": True, "allergies": "Lidocaine at the dentist: lips swelled"}
        )
    )
    return win, tab, olivia


def test_a_yes_to_a_product_allergy_asks_what_and_saves_it_with_the_screening(
    qtbot, services: Services, screening_tab
) -> None:
    from exodesk.ui.screening.allergies import ScreeningAllergiesDialog

    win, tab, olivia = screening_tab

    def answer(dialog: ScreeningAllergiesDialog) -> None:
        try:
            _answer(dialog)
        except BaseException as exc:  # a failed check must not leave the dialog open
            failed.append(exc)
            dialog.reject()

    failed: list[BaseException] = []

    def _answer(dialog: ScreeningAllergiesDialog) -> None:
        assert unnamed_widgets(dialog) == []
        assert dialog.height() <= SCREEN_H
        assert "Lidocaine at the dentist" in dialog.written.text()
        [row] = dialog.rows  # the patient's own words named lidocaine
        assert row.substance.currentText() == "Lidocaine"
        row.severity.setCurrentIndex(row.severity.findData("severe"))
        row.reaction.setFocus()
        qtbot.keyClicks(row.reaction, "Lips swelled")
        dialog.add_button.click()
        second = dialog.rows[1]
        second.substance.setEditText("x" * 200)  # too long: said beside it, nothing saved
        qtbot.keyClick(second.substance.lineEdit(), Qt.Key.Key_Return)
        assert "200 characters" in second.errors["substance"].text()
        assert services.screening.current(olivia.id) is None
        second.substance.setEditText("Adhesive tape")
        qtbot.keyClick(second.reaction, Qt.Key.Key_Return)

    when_dialog_opens(ScreeningAllergiesDialog, answer)
    tab.save()
    if failed:
        raise failed[0]
    record = services.screening.current(olivia.id)
    assert record is not None and record.answers["known_product_allergy"] is True
    allergies = services.allergies.summary(olivia.id).allergies
    assert [(a.substance, a.severity, a.reaction, a.source, a.screening_id) for a in allergies] == [
        ("Lidocaine", "severe", "Lips swelled", "screening", record.id),
        ("Adhesive tape", "unknown", "", "screening", record.id),
    ]
    assert win.header.allergies_label.text().startswith("⚠ ALLERGIES: Lidocaine (severe)")


def test_leaving_the_question_unanswered_saves_nothing(
    qtbot, services: Services, screening_tab
) -> None:
    from exodesk.ui.screening.allergies import ScreeningAllergiesDialog

    _win, tab, olivia = screening_tab
    when_dialog_opens(ScreeningAllergiesDialog, lambda dialog: dialog.reject())
    tab.save()
    assert services.screening.current(olivia.id) is None
    assert services.allergies.summary(olivia.id).allergies == ()
    error = tab.questionnaire.errors["known_product_allergy"]
    assert error.isVisibleTo(tab) and "Say what the patient is allergic to" in error.text()
