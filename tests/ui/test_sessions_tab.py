"""The Sessions tab driven as the practitioner would during an appointment."""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from exodesk.domain.dates import format_short
from exodesk.domain.lists import due_line
from exodesk.domain.patient import Patient
from exodesk.domain.sessions import Lot, Product
from exodesk.domain.staff import StaffMember
from exodesk.services.demo import seat
from exodesk.services.workspace import Services
from exodesk.ui.main_window import MainWindow
from exodesk.ui.sessions.tab import CourseDialog, SessionsTab
from tests.answers import answered
from tests.ui.dialogs import when_dialog_opens
from tests.ui.test_patients_tab import unnamed_widgets

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def clinic(services: Services) -> dict:
    practitioner = services.clinic.save_staff(StaffMember("Dr Amara Okafor", "practitioner"))
    seat(services, practitioner.record.id)
    catalogue = services.catalogue
    plant = catalogue.save_product(
        Product("VerdeCell Plant Exosome Booster", "Botanica", "exosome", "plant", "topical")
    ).record
    cord = catalogue.save_product(
        Product("ExoGlow Cord Serum", "Biologics Ltd", "exosome", "umbilical_cord_msc", "topical")
    ).record
    today = services.ctx.today()
    reports = frozenset({"purity", "sterility", "viability", "virus_pathogen"})
    good = catalogue.save_lot(
        Lot(plant.id, "VC-1", today + timedelta(days=200), lab_reports=reports)
    ).record
    expired = catalogue.save_lot(Lot(plant.id, "VC-OLD", today - timedelta(days=1))).record
    human = catalogue.save_lot(
        Lot(cord.id, "EX-9", today + timedelta(days=90), lab_reports=reports)
    ).record
    olivia = services.patients.create(Patient("Smith", "Olivia", date(1985, 4, 3))).record
    screening = services.screening.save(olivia.id, answered()).record
    services.screening.record_consent(screening.id, "Olivia Smith", PNG)
    return {"good": good, "expired": expired, "human": human, "patient": olivia}


@pytest.fixture
def window(qtbot, services: Services, clinic: dict) -> MainWindow:
    win = MainWindow(services, day_first=True)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.patients_tab.open_patient(clinic["patient"])
    win.tabs.setCurrentWidget(win.sessions_tab)
    return win


def tab_of(win: MainWindow) -> SessionsTab:
    return win.sessions_tab


def _choose_lot(tab: SessionsTab, lot_id: int) -> None:
    tab.form.add_product.click()
    combo = tab.form.products.cellWidget(tab.form.products.rowCount() - 1, 0)
    combo.setCurrentIndex(combo.findData(lot_id))
    tab.form.products.cellWidget(tab.form.products.rowCount() - 1, 1).setValue(2.5)


def test_record_a_session_from_the_keyboard(
    qtbot, window: MainWindow, services: Services, clinic: dict
) -> None:
    tab = tab_of(window)
    qtbot.keyClick(tab.timeline, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    form = tab.form
    assert tab.pages.currentIndex() == 1
    assert form.treatment.currentData() == "exosome_face"
    form.needle_depth.setFocus()
    form.needle_depth.selectAll()
    qtbot.keyClicks(form.needle_depth, "0.75")
    _choose_lot(tab, clinic["good"].id)
    form.reactions["redness"].setChecked(True)
    check = form.run_checks()
    assert check.gate.allowed
    assert "Screening allows" in form.check_label.text()
    [note] = form.regulatory_checks.values()  # the worldwide fact about exosome products
    qtbot.keyClick(note, Qt.Key.Key_Space)
    assert note.isChecked()
    qtbot.keyClick(form.needle_depth, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    shown = {k: v.text() for k, v in form.errors.items() if v.text()}
    assert shown == {}
    [stored] = services.sessions.sessions(clinic["patient"].id)
    assert stored.needle_depth_mm == 0.75
    assert [p.lot_number for p in stored.products] == ["VC-1"]
    assert stored.reactions == frozenset({"redness"})
    assert tab.pages.currentIndex() == 0
    assert "Exosome facial" in tab.timeline.item(0).text()
    assert "VC-1" in tab.detail.text()


def test_the_gate_stops_an_unscreened_treatment_until_overridden(
    qtbot, window: MainWindow, services: Services, clinic: dict
) -> None:
    tab = tab_of(window)
    screening = services.screening.current(clinic["patient"].id)
    services.screening.amend(screening.id, answered({"pregnant": True}), "Patient is pregnant")
    tab.start_record()
    form = tab.form
    # Every exosome treatment is deferred: the form offers one nearer to going ahead (PRP
    # waits for a review); the practitioner chooses the facial to override.
    assert form.treatment.currentData() == "prp"
    form.treatment.setCurrentIndex(form.treatment.findData("exosome_face"))
    form.needle_depth.setValue(0.5)
    form.run_checks()
    assert "does not allow" in form.check_label.text()
    assert form.gate_reason.isVisibleTo(form)
    form.save_button.click()
    assert "Give a reason to override" in form.errors["gate_override_reason"].text()
    assert services.sessions.sessions(clinic["patient"].id) == []
    form.gate_reason.setPlainText("Obstetrician agreed topical plant serum only")
    form.save_button.click()
    [stored] = services.sessions.sessions(clinic["patient"].id)
    assert stored.gate_override_reason == "Obstetrician agreed topical plant serum only"
    assert "SCREENING OVERRIDDEN" in tab.detail.text()
    assert tab.timeline.item(0).foreground().color().name() == "#b00020"


def test_an_expired_lot_cannot_be_used(
    qtbot, window: MainWindow, services: Services, clinic: dict
) -> None:
    tab = tab_of(window)
    tab.start_record()
    tab.form.needle_depth.setValue(0.5)
    _choose_lot(tab, clinic["expired"].id)
    combo = tab.form.products.cellWidget(0, 0)
    assert combo.currentText() == (
        "VerdeCell Plant Exosome Booster — lot VC-OLD "
        f"(EXPIRED {format_short(clinic['expired'].expiry)}: cannot be used)"
    )
    assert combo.itemText(combo.findData(clinic["good"].id)).endswith(
        f"lot VC-1 (exp. {format_short(clinic['good'].expiry)})"
    )
    check = tab.form.run_checks()
    # Said once, as the problem that stops saving, not again among the flags.
    assert not any(label.text().startswith("⚠ Lot VC-OLD") for label in tab.form.flag_labels)
    assert [f.lot_number for f in check.lot_flags] == ["VC-OLD"]  # its lab reports: a flag
    tab.form.save_button.click()
    assert "expired" in tab.form.errors["products"].text()
    assert services.sessions.sessions(clinic["patient"].id) == []


def test_regulatory_note_must_be_confirmed(
    qtbot, window: MainWindow, services: Services, clinic: dict
) -> None:
    tab = tab_of(window)
    tab.start_record()
    tab.form.needle_depth.setValue(0.5)
    _choose_lot(tab, clinic["human"].id)
    tab.form.run_checks()
    assert tab.form.regulatory_checks, "a GB clinic using a human-derived exosome is warned"
    tab.form.save_button.click()
    assert "Confirm you have read" in tab.form.errors["regulatory"].text()
    for box in tab.form.regulatory_checks.values():
        box.setChecked(True)
    tab.form.save_button.click()
    [stored] = services.sessions.sessions(clinic["patient"].id)
    assert "gb_human_derived_exosome" in stored.regulatory_confirmations
    # The record shows what was confirmed in words (SessionService.regulatory_texts).
    tab.timeline.setCurrentRow(0)
    wording = services.sessions.regulatory_texts()["gb_human_derived_exosome"]
    assert "Regulatory notes confirmed" in tab.detail.text()
    assert html.escape(wording) in tab.detail.text()


def test_amend_and_entered_in_error_keep_the_record(
    qtbot, window: MainWindow, services: Services, clinic: dict
) -> None:
    tab = tab_of(window)
    tab.start_record()
    tab.form.needle_depth.setValue(0.5)
    tab.form.save_button.click()
    tab.timeline.setCurrentRow(0)
    tab.amend_button.click()
    tab.form.needle_depth.setValue(1.0)

    def reason(dialog: QDialog) -> None:
        dialog.text.setPlainText("Depth was 1.0 mm, typed wrongly")
        dialog.ok.click()

    when_dialog_opens(QDialog, reason)
    tab.form.save_button.click()
    everything = services.sessions.sessions(clinic["patient"].id, include_all=True)
    assert sorted((s.version, s.status, s.needle_depth_mm) for s in everything) == [
        (1, "amended", 0.5),
        (2, "current", 1.0),
    ]
    tab.timeline.setCurrentRow(0)

    def error_reason(dialog: QDialog) -> None:
        dialog.text.setPlainText("Recorded on the wrong patient")
        dialog.ok.click()

    when_dialog_opens(QDialog, error_reason)
    tab.error_button.click()
    assert services.sessions.sessions(clinic["patient"].id) == []
    kept = services.sessions.sessions(clinic["patient"].id, include_all=True)
    assert {s.status for s in kept} == {"amended", "entered_in_error"}
    assert any(
        "ENTERED IN ERROR" in tab.timeline.item(i).text() for i in range(tab.timeline.count())
    )


def test_a_course_shows_its_progress(qtbot, window: MainWindow, services: Services) -> None:
    tab = tab_of(window)

    def choose(dialog: CourseDialog) -> None:
        dialog.protocol.setCurrentIndex(dialog.protocol.findData("skin_rejuvenation"))
        dialog.sessions.setValue(4)
        dialog.accept()

    when_dialog_opens(CourseDialog, choose)
    tab.new_course.click()
    assert "session 1 of 4" in tab.courses_label.text()
    tab.start_record()
    assert tab.form.course.currentData() is not None
    tab.form.needle_depth.setValue(0.5)
    tab.form.save_button.click()
    assert "session 2 of 4" in tab.courses_label.text()
    assert "next " in tab.courses_label.text()
    assert "OVERDUE" not in tab.courses_label.text()


def test_an_overdue_course_says_so_as_the_due_list_does(
    window: MainWindow, services: Services, clinic: dict, clock
) -> None:
    patient = clinic["patient"].id
    course = services.courses.start_course(patient, "skin_rejuvenation", "exosome_face", 3)
    draft = replace(services.sessions.prefill(patient, course.record.id), needle_depth_mm=0.5)
    assert services.sessions.record(draft).ok
    clock.advance(days=50)
    tab = tab_of(window)
    tab.refresh()
    [entry] = services.recall.due_list()
    assert entry.progress.state == "overdue" and due_line(entry).overdue
    assert "(OVERDUE)" in tab.courses_label.text()


def test_session_widgets_are_named(window: MainWindow) -> None:
    tab = tab_of(window)
    tab.start_record()
    assert unnamed_widgets(tab) == []


def test_adverse_event_entry_prints_the_regulator_report(
    qtbot, window: MainWindow, services: Services, clinic: dict, clock, tmp_path
) -> None:
    from pypdf import PdfReader

    from exodesk.domain.sessions import AdverseEvent
    from tests.ui.previews import print_to, through_the_preview

    tab = tab_of(window)
    tab.start_record()
    tab.form.needle_depth.setValue(0.5)
    tab.form.save_button.click()
    [session] = services.sessions.sessions(clinic["patient"].id)
    clock.advance(days=31)
    logged = services.events.log_event(
        AdverseEvent(
            session.id,
            "granuloma_nodule",
            services.ctx.today(),
            "moderate",
            "Firm 5 mm lump under the left cheekbone",
        )
    )
    assert logged.ok
    tab.refresh()
    row = next(
        i for i in range(tab.timeline.count()) if "Adverse event" in tab.timeline.item(i).text()
    )
    tab.timeline.setCurrentRow(row)
    assert tab.report_button.isVisibleTo(tab) and not tab.amend_button.isVisibleTo(tab)
    # In the tab's own row of buttons, not a window of its own.
    assert tab.isAncestorOf(tab.report_button) and tab.isAncestorOf(tab.edit_event_button)
    out = tmp_path / "report.pdf"
    through_the_preview(qtbot, tab.report_button.click, print_to(out))
    flat = " ".join(" ".join(p.extract_text() for p in PdfReader(out).pages).split())
    assert "O.S." in flat and "Olivia" not in flat
    assert "VC-1" not in flat or "Granuloma" in flat


def test_the_course_plan_says_when_it_is_an_estimate(qtbot, services: Services) -> None:
    """The sources give course plans for exosome treatments; for PRP and microneedling the
    same numbers are an estimate, and the dialog says so with its basis."""
    dialog = CourseDialog(None, services.catalogue)
    qtbot.addWidget(dialog)
    dialog.protocol.setCurrentIndex(dialog.protocol.findData("skin_rejuvenation"))
    dialog.treatment_combo.setCurrentIndex(dialog.treatment_combo.findData("exosome_face"))
    assert "estimate" not in dialog.facts.text()
    for treatment in ("prp", "microneedling"):
        dialog.treatment_combo.setCurrentIndex(dialog.treatment_combo.findData(treatment))
        assert "An estimate: The sources give this plan for exosome treatments" in (
            dialog.facts.text()
        )
