"""Every verdict and flag shown as a colour and a symbol also says what it means, on hover."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from exodesk.domain.patient import Patient
from exodesk.domain.screening import VERDICT_ORDER
from exodesk.domain.sessions import Lot, Product
from exodesk.services.workspace import Services
from exodesk.ui import tips
from exodesk.ui.main_window import MainWindow
from exodesk.ui.patients.model import NAME, PatientTableModel
from exodesk.ui.sessions.form import allergy_flags
from tests.answers import answered

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
EVERY_REPORT = frozenset({"purity", "sterility", "viability", "virus_pathogen"})

# Answer sets that between them give every verdict (decline only once the clinic tightens
# the cancer-history rule, as no default rule declines).
PROFILES = [
    {},
    {"anticoagulants": True},
    {"pregnant": True},
    {"cancer_history": True},
]


@pytest.fixture
def window(qtbot, services: Services, uk_locale) -> MainWindow:
    win = MainWindow(services, day_first=True)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def open_patient(window: MainWindow, services: Services, patient: Patient) -> None:
    window.patients_tab.open_patient(services.patients.get(patient.id))


def test_every_verdict_card_says_what_it_means(window: MainWindow, services: Services) -> None:
    assert services.screening.set_rule_overrides({"cancer_history": {"outcome": "decline"}}).ok
    patient = services.patients.create(Patient("Smith", "Olivia", date(1985, 4, 3))).record
    window.tabs.setCurrentWidget(window.screening_tab)
    tab = window.screening_tab
    table = services.screening.rules()
    seen: set[str] = set()
    for answers in PROFILES:
        record = services.screening.save(patient.id, answered(answers)).record
        open_patient(window, services, patient)
        for treatment in record.result.treatments:
            card = tab.verdicts.cards[treatment.treatment]
            word = table.verdict_label(treatment.verdict)
            assert card.badge.text().endswith(word.upper())
            for widget in (card, card.badge):
                assert widget.toolTip().startswith(f"{word}. "), (treatment, widget.toolTip())
                assert tips.VERDICT_TIPS[treatment.verdict] in widget.toolTip()
            seen.add(treatment.verdict)
    assert seen == set(VERDICT_ORDER)


def test_an_override_and_an_empty_card_say_so(window: MainWindow, services: Services) -> None:
    patient = services.patients.create(Patient("Walsh", "Niamh", date(1990, 2, 14))).record
    record = services.screening.save(patient.id, answered({"pregnant": True})).record
    assert services.screening.override(record.id, "exosome_face", "Obstetrician agreed").ok
    open_patient(window, services, patient)
    tab = window.screening_tab
    assert tips.OVERRIDDEN in tab.verdicts.cards["exosome_face"].toolTip()
    assert tips.OVERRIDDEN not in tab.verdicts.cards["exosome_scalp"].toolTip()
    for button in (tab.signoff_button, tab.override_button, tab.consent_button):
        assert button.toolTip(), button.objectName()
    tab.start_new()
    tab.questionnaire.answers_by_item["pregnant"].widget.yes.click()
    tab.questionnaire.answers_by_item["isotretinoin_last_dose"].widget.edit.setText("99/99/2026")
    tab.update_preview()
    card = tab.verdicts.cards["exosome_face"]
    assert card.toolTip() == card.badge.toolTip()
    # What is missing, then what the empty card means.
    assert card.toolTip().startswith("Not answered yet: Breastfeeding, ")
    assert card.toolTip().endswith(f"\n{tips.NO_VERDICT}")


def test_questions_a_rule_reads_say_which_rules(window: MainWindow, services: Services) -> None:
    form = window.screening_tab.questionnaire
    table = services.screening.rules()
    read = {item for rule in table.rules for item in rule.items}
    for item in table.items:
        question = form.findChild(QLabel, f"question_{item.id}")
        if item.id in read:
            assert question.toolTip().startswith("Used by the screening rules: "), item.id
            assert item.question in form.answers_by_item[item.id].focus.toolTip() or (
                item.type == "date"
            )
        else:
            assert question.toolTip() == "", item.id
    isotretinoin = form.findChild(QLabel, "question_isotretinoin_last_dose")
    assert "“Not yet”" in isotretinoin.toolTip()
    assert "“Needs a doctor's review first”" in isotretinoin.toolTip()


@pytest.fixture
def clinic(services: Services) -> dict:
    """A screened, consenting patient and lots that raise every flag a session shows."""
    catalogue = services.catalogue
    plant = catalogue.save_product(
        Product("VerdeCell Plant Exosome Booster", "Botanica", "exosome", "plant", "topical")
    ).record
    kit = catalogue.save_product(
        Product("Spin kit", "Medtech", "prp_kit", "platelet", "injectable")
    ).record
    today = services.ctx.today()
    lots = {
        "good": Lot(plant.id, "VC-1", today + timedelta(days=200), lab_reports=EVERY_REPORT),
        "expired": Lot(plant.id, "VC-OLD", today - timedelta(days=1), lab_reports=EVERY_REPORT),
        "expiring": Lot(plant.id, "VC-SOON", today + timedelta(days=10), lab_reports=EVERY_REPORT),
        "bare": Lot(plant.id, "VC-BARE", today + timedelta(days=300)),
        "partial": Lot(
            plant.id, "VC-HALF", today + timedelta(days=300), lab_reports=frozenset({"purity"})
        ),
        "kit": Lot(kit.id, "KIT-1", today + timedelta(days=300)),
    }
    saved = {key: catalogue.save_lot(lot).record for key, lot in lots.items()}
    olivia = services.patients.create(Patient("Smith", "Olivia", date(1985, 4, 3))).record
    screening = services.screening.save(olivia.id, answered()).record
    services.screening.record_consent(screening.id, "Olivia Smith", PNG)
    return {"patient": olivia, **saved}


def test_every_session_flag_says_what_it_means(
    qtbot, window: MainWindow, services: Services, clinic: dict
) -> None:
    patient = clinic["patient"]
    # An earlier session on the same area today, so the new one is too soon after it.
    earlier = replace(services.sessions.prefill(patient.id, None), needle_depth_mm=0.5)
    notes = [n.id for n in services.sessions.check(earlier).regulatory]
    assert services.sessions.record(earlier, confirmed=notes).ok
    open_patient(window, services, patient)
    window.tabs.setCurrentWidget(window.sessions_tab)
    tab = window.sessions_tab
    tab.start_record()
    form = tab.form
    form.needle_depth.setValue(2.5)  # deeper than usual for the face
    for key in ("expiring", "bare", "partial"):
        form.add_product.click()
        combo = form.products.cellWidget(form.products.rowCount() - 1, 0)
        combo.setCurrentIndex(combo.findData(clinic[key].id))
        assert combo.toolTip() == combo.itemData(combo.currentIndex(), Qt.ItemDataRole.ToolTipRole)
    check = form.run_checks()
    assert check.spacing, "the earlier session today makes this one too soon"
    shown = {label.text(): label.toolTip() for label in form.flag_labels}
    allergies = allergy_flags(check.allergies)  # allergies not recorded for this patient
    assert len(allergies) == 1
    assert len(shown) == (
        len(allergies) + len(check.warnings) + len(check.lot_flags) + len(check.spacing)
    )
    assert all(tip for tip in shown.values()), shown
    assert set(shown.values()) >= {
        tips.ALLERGIES_NOT_ASKED,
        tips.LOT_EXPIRING,
        tips.LOT_LAB_REPORTS,
        tips.NEEDLE_DEPTH,
        tips.SPACING,
    }
    # Each lot flag is shown once, in its own words, whichever lot raised it.
    assert {f.lot_number for f in check.lot_flags} == {"VC-SOON", "VC-BARE", "VC-HALF"}
    assert not any(f.blocks for f in check.lot_flags)
    assert form.check_label.toolTip() == tips.GATE_ALLOWED
    assert form.delivery.toolTip()
    assert all(box.toolTip() for box in form.regulatory_checks.values())


def test_every_lot_in_the_list_has_its_flags_on_hover(
    window: MainWindow, services: Services, clinic: dict
) -> None:
    open_patient(window, services, clinic["patient"])
    window.tabs.setCurrentWidget(window.sessions_tab)
    tab = window.sessions_tab
    tab.start_record()
    tab.form.add_product.click()
    combo = tab.form.products.cellWidget(0, 0)
    tip_of = {
        combo.itemData(i): combo.itemData(i, Qt.ItemDataRole.ToolTipRole)
        for i in range(combo.count())
    }
    assert all(tip_of.values()), tip_of
    assert tips.LOT_EXPIRED in tip_of[clinic["expired"].id]
    assert tips.LOT_EXPIRING in tip_of[clinic["expiring"].id]
    assert tips.LOT_LAB_REPORTS in tip_of[clinic["bare"].id]
    assert tip_of[clinic["good"].id] == tips.LOT_FINE
    assert tip_of[clinic["kit"].id] == tips.LOT_FINE_NO_REPORTS


def test_course_progress_says_what_its_state_means(
    window: MainWindow, services: Services, clinic: dict
) -> None:
    patient = clinic["patient"]
    assert services.courses.start_course(patient.id, "skin_rejuvenation", "exosome_face", 4).ok
    open_patient(window, services, patient)
    label = window.sessions_tab.courses_label
    assert tips.COURSE_STATE_TIPS["not_started"] in label.toolTip()


def test_header_alerts_and_inactive_say_what_to_do(window: MainWindow, services: Services) -> None:
    patient = services.patients.create(
        replace(Patient("Nowak", "Łukasz", date(1979, 7, 9)), alerts="Allergy: lidocaine")
    ).record
    assert services.patients.set_status(patient.id, "inactive", "Moved away").ok
    open_patient(window, services, patient)
    tip = window.header.alerts_label.toolTip()
    assert tips.PATIENT_ALERTS in tip
    assert tips.PATIENT_INACTIVE in tip
    model = PatientTableModel(lambda: date(2026, 11, 22))
    model.set_rows([services.patients.get(patient.id)])
    name_tip = model.index(0, NAME).data(Qt.ItemDataRole.ToolTipRole)
    assert "Allergy: lidocaine" in name_tip
    assert "Moved away" in name_tip
    assert tips.PATIENT_INACTIVE in name_tip
