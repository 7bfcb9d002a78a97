"""The session form behaves: defaults follow the course and the screening and change with the
treatment; expired lots are greyed out with why; lab-report flags for biologics only;
problems leave once fixed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QComboBox

from exodesk.domain.patient import Patient
from exodesk.domain.sessions import Lot, LotFlagKind, Product
from exodesk.domain.staff import StaffMember
from exodesk.services.demo import seat
from exodesk.services.workspace import Services
from exodesk.ui import tips
from exodesk.ui.main_window import MainWindow
from exodesk.ui.sessions.form import SessionForm
from tests.answers import answered

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
REPORTS = frozenset({"purity", "sterility", "viability", "virus_pathogen"})


@pytest.fixture
def clinic(services: Services) -> dict:
    practitioner = services.clinic.save_staff(StaffMember("Dr Amara Okafor", "practitioner"))
    seat(services, practitioner.record.id)
    catalogue = services.catalogue
    today = services.ctx.today()
    plant = catalogue.save_product(
        Product("VerdeCell Plant Exosome Booster", "Botanica", "exosome", "plant", "topical")
    ).record
    lido = catalogue.save_product(
        Product("Lidocaine 5% cream", "Pharma", "anaesthetic", None, "topical")
    ).record
    lido_other = catalogue.save_product(
        Product("Lidocaine 4% gel", "Pharma", "other", None, "topical")
    ).record
    good = catalogue.save_lot(Lot(plant.id, "VC-1", today + timedelta(days=200))).record
    expired = catalogue.save_lot(
        Lot(plant.id, "VC-OLD", today - timedelta(days=3), lab_reports=REPORTS)
    ).record
    lot_lido = catalogue.save_lot(Lot(lido.id, "LD-77", today + timedelta(days=300))).record
    lot_gel = catalogue.save_lot(Lot(lido_other.id, "LG-1", today + timedelta(days=300))).record
    # A face infection: every face treatment waits; the scalp may go ahead.
    infected = services.patients.create(Patient("Smith", "Olivia", date(1985, 4, 3))).record
    screening = services.screening.save(
        infected.id, answered({"active_infection": True, "active_infection_area": "face"})
    ).record
    services.screening.record_consent(screening.id, "Olivia Smith", PNG)
    return {
        "patient": infected,
        "good": good,
        "expired": expired,
        "lido": lot_lido,
        "gel": lot_gel,
    }


@pytest.fixture
def window(qtbot, services: Services, clinic: dict) -> MainWindow:
    win = MainWindow(services, day_first=True)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.patients_tab.open_patient(clinic["patient"])
    win.tabs.setCurrentWidget(win.sessions_tab)
    return win


def _form(window: MainWindow) -> SessionForm:
    window.sessions_tab.start_record()
    return window.sessions_tab.form


def _shown(form: SessionForm) -> tuple[str, set[str], str, str]:
    return (
        form.treatment.currentData(),
        {k for k, c in form.areas.items() if c.isChecked()},
        form.indication.currentData(),
        form.delivery.currentData(),
    )


def test_the_form_offers_a_treatment_the_screening_lets_go_ahead(
    window: MainWindow, services: Services, clinic: dict
) -> None:
    face = services.screening.clearance(clinic["patient"].id, "exosome_face")
    assert not face.allowed and face.verdict == "defer"
    form = _form(window)
    assert _shown(form) == ("exosome_scalp", {"scalp"}, "hair_thinning", "topical_microneedling")
    assert "allows this treatment" in form.check_label.text()


def test_details_change_with_the_treatment(window: MainWindow) -> None:
    form = _form(window)
    form.treatment.setCurrentIndex(form.treatment.findData("exosome_face"))
    assert _shown(form) == ("exosome_face", {"face"}, "rejuvenation", "topical_microneedling")
    form.treatment.setCurrentIndex(form.treatment.findData("prp"))
    assert _shown(form) == ("prp", {"face"}, "rejuvenation", "microinjection")
    form.treatment.setCurrentIndex(form.treatment.findData("exosome_scalp"))
    assert _shown(form) == ("exosome_scalp", {"scalp"}, "hair_thinning", "topical_microneedling")


def test_a_detail_set_by_hand_is_kept_when_the_treatment_changes(window: MainWindow) -> None:
    form = _form(window)
    form.treatment.setCurrentIndex(form.treatment.findData("exosome_face"))
    form.areas["neck"].setChecked(True)  # face and neck, by hand
    form.delivery.setCurrentIndex(form.delivery.findData("topical_only"))
    form.treatment.setCurrentIndex(form.treatment.findData("microneedling"))
    assert _shown(form) == (
        "microneedling",
        {"face", "neck"},
        "rejuvenation",
        "topical_only",
    )
    form.treatment.setCurrentIndex(form.treatment.findData("exosome_scalp"))
    assert form.indication.currentData() == "hair_thinning"  # not touched: it follows
    assert {k for k, c in form.areas.items() if c.isChecked()} == {"face", "neck"}
    # A new form starts afresh: nothing is "by hand" any more.
    form = _form(window)
    form.treatment.setCurrentIndex(form.treatment.findData("exosome_face"))
    assert _shown(form) == ("exosome_face", {"face"}, "rejuvenation", "topical_microneedling")


def test_choosing_a_course_brings_its_treatment(
    window: MainWindow, services: Services, clinic: dict
) -> None:
    course = services.courses.start_course(
        clinic["patient"].id, "scalp_hair", "exosome_scalp", 4
    ).record
    services.courses.start_course(clinic["patient"].id, "skin_rejuvenation", "microneedling", 3)
    form = _form(window)
    other = next(i for i in range(1, form.course.count()) if form.course.itemData(i) != course.id)
    form.course.setCurrentIndex(other)
    assert _shown(form) == ("microneedling", {"face"}, "rejuvenation", "topical_microneedling")
    form.course.setCurrentIndex(form.course.findData(course.id))
    assert _shown(form)[:3] == ("exosome_scalp", {"scalp"}, course.indication)


def _lot_combo(form: SessionForm) -> QComboBox:
    form.add_product.click()
    combo = form.products.cellWidget(form.products.rowCount() - 1, 0)
    assert isinstance(combo, QComboBox)
    return combo


def test_an_expired_lot_is_greyed_out_saying_why(window: MainWindow, clinic: dict) -> None:
    form = _form(window)
    combo = _lot_combo(form)
    items = combo.model()
    assert isinstance(items, QStandardItemModel)
    expired = combo.findData(clinic["expired"].id)
    good = combo.findData(clinic["good"].id)
    assert not items.item(expired).isEnabled()
    assert items.item(good).isEnabled()
    assert combo.itemText(expired).endswith(": cannot be used)")
    assert "EXPIRED" in combo.itemText(expired)
    assert tips.LOT_EXPIRED in combo.itemData(expired, 3)  # Qt.ToolTipRole
    # Recorded for a day the lot was still in date (a session entered late): it can be chosen.
    form.performed_at.setDate(form.performed_at.date().addDays(-5))
    assert items.item(expired).isEnabled()
    assert "cannot be used" not in combo.itemText(expired)


def test_lab_report_flags_for_biologics_only(
    window: MainWindow, services: Services, clinic: dict
) -> None:
    form = _form(window)
    form.needle_depth.setValue(0.5)
    for lot in ("good", "lido", "gel"):
        combo = _lot_combo(form)
        combo.setCurrentIndex(combo.findData(clinic[lot].id))
    check = form.run_checks()
    assert check is not None
    flagged = {(f.lot_number, f.kind) for f in check.lot_flags}
    assert flagged == {("VC-1", LotFlagKind.NO_LAB_REPORTS)}
    said = " ".join(label.text() for label in form.flag_labels)
    assert "VC-1" in said and "LD-77" not in said and "LG-1" not in said


def test_a_problem_leaves_once_its_field_is_fixed(
    qtbot, window: MainWindow, services: Services, clinic: dict
) -> None:
    form = _form(window)
    form.delivery.setCurrentIndex(form.delivery.findData("microinjection"))
    form.needle_depth.setValue(0)
    form.notes.setPlainText("x" * 10_001)
    form.save_button.click()
    depth, notes = form.errors["needle_depth_mm"], form.errors["notes"]
    assert depth.isVisibleTo(form) and "Needle depth is needed" in depth.text()
    assert notes.isVisibleTo(form) and "10,001 characters" in notes.text()
    form.needle_depth.setValue(0.5)
    assert not depth.isVisibleTo(form)  # at once
    form.run_checks()  # and the checks a moment later do not bring it back
    assert not depth.isVisibleTo(form)
    assert notes.isVisibleTo(form)  # not fixed yet: still said
    form.notes.setPlainText("x" * 10_002)
    assert not notes.isVisibleTo(form)
    form.run_checks()  # still too long: said again, with the new length
    assert notes.isVisibleTo(form) and "10,002 characters" in notes.text()
    form.notes.setPlainText("fine")
    form.run_checks()
    assert not notes.isVisibleTo(form)
    assert services.sessions.sessions(clinic["patient"].id) == []


def test_a_lot_problem_leaves_once_another_lot_is_chosen(window: MainWindow, clinic: dict) -> None:
    form = _form(window)
    form.needle_depth.setValue(0.5)
    combo = _lot_combo(form)
    combo.setCurrentIndex(combo.findData(clinic["expired"].id))  # as an old draft might
    form.save_button.click()
    assert "cannot be used" in form.errors["products"].text()
    combo.setCurrentIndex(combo.findData(clinic["good"].id))
    form.run_checks()
    assert not form.errors["products"].isVisibleTo(form)
