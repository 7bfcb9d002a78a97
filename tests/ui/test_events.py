"""Adverse events: logged weeks after the session, refused inline, listed until resolved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from exodesk.domain.patient import Patient
from exodesk.domain.sessions import AdverseEvent, Lot, Product, SessionProduct, TreatmentSession
from exodesk.domain.staff import StaffMember
from exodesk.services.demo import seat
from exodesk.services.sessions import SESSIONS
from exodesk.services.workspace import Services
from exodesk.ui.sessions.events import (
    DAYS_OPEN,
    PATIENT,
    REPORTED,
    SEVERITY,
    TYPE,
    AdverseEventDialog,
    OpenEventsDialog,
    OpenEventTableModel,
)
from tests.conftest import TODAY
from tests.ui.dialogs import when_dialog_opens
from tests.ui.fit import assert_fits_and_shoot
from tests.ui.test_patients_tab import unnamed_widgets

A_MONTH_AGO = datetime(2026, 10, 22, 10, 0, tzinfo=UTC)


@dataclass
class Treated:
    patient: Patient
    session: TreatmentSession
    practitioner: StaffMember


@pytest.fixture
def treated(services: Services) -> Treated:
    """Olivia Smith, treated a month ago with ExoGlow lot EX-114, Dr A at the desk."""
    doctor = services.clinic.save_staff(StaffMember("Dr A", "practitioner")).record
    seat(services, doctor.id)
    patient = services.patients.create(
        Patient("Smith", "Olivia", date(1990, 1, 15), "female", "07700 900001")
    ).record
    product = services.catalogue.save_product(
        Product("ExoGlow Serum", "Acme Bio", "exosome", source="plant")
    ).record
    lot = services.catalogue.save_lot(Lot(product.id, "EX-114", date(2027, 5, 1))).record
    draft = TreatmentSession(
        patient_id=patient.id,
        performed_at=A_MONTH_AGO,
        practitioner_id=doctor.id,
        treatment="exosome_face",
        areas=frozenset({"face"}),
        indication="rejuvenation",
        delivery="topical_microneedling",
        needle_depth_mm=0.5,
        products=(SessionProduct(lot.id, 1.5),),
        gate_override_reason="Screened on paper before ExoDesk",
    )
    notes = services.sessions.check(draft).regulatory
    recorded = services.sessions.record(draft, confirmed=[n.id for n in notes])
    assert recorded.ok, recorded.problems
    return Treated(patient, recorded.record, doctor)


def open_event_dialog(
    qtbot, services: Services, session_id: int, event: AdverseEvent | None = None
) -> AdverseEventDialog:
    dialog = AdverseEventDialog(
        None, services.events, session_id=session_id, event=event, day_first=True
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def type_into(qtbot, widget: QWidget, text: str) -> None:
    widget.setFocus()
    widget.clear()
    qtbot.keyClicks(widget, text)


def type_date(field, text: str) -> None:
    """A DateField filled in one edit (see tests/ui/test_catalogue.py: PySide6 6.12 loses a
    reference to True on each Python-side emit, and DateField emits per keystroke)."""
    field.edit.setText(text)


def choose(combo, data: object) -> None:
    index = combo.findData(data)
    assert index >= 0, data
    combo.setCurrentIndex(index)


def fill_granuloma(qtbot, dialog: AdverseEventDialog, onset: str) -> None:
    choose(dialog.type, "granuloma_nodule")
    type_date(dialog.onset, onset)
    choose(dialog.severity, "moderate")
    type_into(qtbot, dialog.description, "Firm 4 mm nodule, left cheek, painless.")
    type_into(qtbot, dialog.action, "Photographed; review in 2 weeks.")


def log(services: Services, session_id: int, onset: date, **kw: object) -> AdverseEvent:
    values: dict = {"type": "bruising", "severity": "mild", "description": "Bruise, chin."}
    values.update(kw)
    result = services.events.log_event(AdverseEvent(session_id, onset_date=onset, **values))
    assert result.ok, result.problems
    return result.record


def test_the_dialog_says_which_old_session_it_is_logged_against(
    qtbot, services: Services, treated: Treated
) -> None:
    dialog = open_event_dialog(qtbot, services, treated.session.id)
    text = dialog.session_label.text()
    assert (
        "Logged against the session of 22 Oct 2026 (31 days ago): Exosome facial, by Dr A" in text
    )
    assert "ExoGlow Serum lot EX-114 (1.5 ml)" in text
    assert dialog.windowTitle() == "Log an adverse event"
    assert dialog.type.currentIndex() == -1  # nothing chosen for the practitioner
    assert dialog.severity.currentIndex() == -1


def test_a_granuloma_is_logged_a_month_after_the_session(
    qtbot, services: Services, treated: Treated, uk_locale
) -> None:
    dialog = open_event_dialog(qtbot, services, treated.session.id)
    choose(dialog.type, "granuloma_nodule")
    type_into(qtbot, dialog.onset.edit, "18/11/2026")  # typed key by key, as a person would
    choose(dialog.severity, "moderate")
    type_into(qtbot, dialog.description, "Firm 4 mm nodule, left cheek, painless.")
    type_into(qtbot, dialog.action, "Photographed; review in 2 weeks.")
    dialog.supplier.setChecked(True)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    assert dialog.result() == AdverseEventDialog.DialogCode.Accepted
    assert dialog.saved is not None
    assert dialog.changes.touches(SESSIONS)
    assert dialog.changes.patient_id == treated.patient.id
    stored = services.events.event(dialog.saved.id)
    assert (stored.type, stored.onset_date, stored.severity, stored.outcome) == (
        "granuloma_nodule",
        date(2026, 11, 18),
        "moderate",
        "ongoing",
    )
    assert stored.session_id == treated.session.id
    assert stored.reported_to_supplier and not stored.reported_to_regulator
    assert [e.id for e, _ in services.events.open_events()] == [stored.id]


def test_an_onset_before_the_session_is_refused_beside_the_date(
    qtbot, services: Services, treated: Treated
) -> None:
    dialog = open_event_dialog(qtbot, services, treated.session.id)
    fill_granuloma(qtbot, dialog, "01/10/2026")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    error = dialog.errors["onset_date"]
    assert error.isVisible()
    assert "before the session (Thu 22 Oct 2026)" in error.text()
    assert dialog.isVisible() and dialog.saved is None
    assert services.events.open_events() == []


def test_missing_choices_and_an_unreadable_date_are_said_beside_their_fields(
    qtbot, services: Services, treated: Treated
) -> None:
    dialog = open_event_dialog(qtbot, services, treated.session.id)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    for key in ("type", "severity", "onset_date", "description"):
        assert dialog.errors[key].isVisible(), key
    assert dialog.errors["description"].text() == "Description is needed."

    type_date(dialog.onset, "31/11/2026")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.errors["onset_date"].isVisible()
    assert not dialog.errors["type"].isVisible()  # only the unreadable date is said first
    assert services.events.open_events() == []


def test_a_resolved_outcome_needs_its_resolution_date(
    qtbot, services: Services, treated: Treated
) -> None:
    dialog = open_event_dialog(qtbot, services, treated.session.id)
    fill_granuloma(qtbot, dialog, "01/11/2026")
    assert not dialog.resolution.isEnabled()
    choose(dialog.outcome, "resolved")
    assert dialog.resolution.isEnabled()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    error = dialog.errors["resolution_date"]
    assert error.isVisible()
    assert error.text() == "Enter the day it resolved."
    assert dialog.saved is None

    type_date(dialog.resolution, "20/11/2026")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.saved is not None
    assert dialog.saved.resolution_date == date(2026, 11, 20)
    assert services.events.open_events() == []


def test_a_date_left_in_a_disabled_field_is_not_saved(
    qtbot, services: Services, treated: Treated
) -> None:
    dialog = open_event_dialog(qtbot, services, treated.session.id)
    fill_granuloma(qtbot, dialog, "01/11/2026")
    choose(dialog.outcome, "resolved")
    type_date(dialog.resolution, "20/11/2026")
    choose(dialog.outcome, "ongoing")  # changed their mind: not resolved after all
    dialog.regulator.setChecked(True)
    type_into(qtbot, dialog.reference, "MHRA-123")
    dialog.regulator.setChecked(False)
    assert not dialog.reference.isEnabled()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.saved is not None
    assert dialog.saved.resolution_date is None
    assert dialog.saved.regulator_reference == ""


def test_the_regulator_reference_is_kept_when_reported(
    qtbot, services: Services, treated: Treated
) -> None:
    dialog = open_event_dialog(qtbot, services, treated.session.id)
    fill_granuloma(qtbot, dialog, "01/11/2026")
    assert not dialog.reference.isEnabled()
    dialog.regulator.setChecked(True)
    assert dialog.reference.isEnabled()
    type_into(qtbot, dialog.reference, "MHRA-2026-0042")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    stored = services.events.event(dialog.saved.id)
    assert stored.reported_to_regulator
    assert stored.regulator_reference == "MHRA-2026-0042"


def test_reception_is_told_plainly_that_a_practitioner_logs_events(
    qtbot, services: Services, treated: Treated
) -> None:
    dialog = open_event_dialog(qtbot, services, treated.session.id)
    fill_granuloma(qtbot, dialog, "01/11/2026")
    # The desk changes hands before Save: the admin adds a receptionist, who saves.
    seat(services, 1)
    reception = services.clinic.save_staff(StaffMember("Priya Shah", "reception")).record
    seat(services, reception.id)
    seen: list[str] = []

    def read_and_close(box) -> None:
        seen.append(box.text())
        box.accept()

    opened = when_dialog_opens(QMessageBox, read_and_close)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert opened and seen == ["Priya Shah may not log or report adverse events."]
    assert dialog.saved is None
    seat(services, treated.practitioner.id)
    assert services.events.open_events() == []


def test_an_event_opens_with_what_was_logged(qtbot, services: Services, treated: Treated) -> None:
    event = log(
        services,
        treated.session.id,
        date(2026, 11, 2),
        reported_to_regulator=True,
        regulator_reference="REF-9",
    )
    dialog = open_event_dialog(qtbot, services, treated.session.id, event)
    assert dialog.windowTitle() == "Adverse event"
    assert dialog.type.currentData() == "bruising"
    assert dialog.onset.value() == (date(2026, 11, 2), None)
    assert dialog.severity.currentData() == "mild"
    assert dialog.description.toPlainText() == "Bruise, chin."
    assert dialog.reference.isEnabled() and dialog.reference.text() == "REF-9"
    assert not dialog.resolution.isEnabled()


def test_open_events_lists_it_and_drops_it_once_resolved(
    qtbot, services: Services, treated: Treated
) -> None:
    older = log(
        services,
        treated.session.id,
        date(2026, 11, 1),
        type="granuloma_nodule",
        severity="severe",
        description="Nodule, left cheek.",
        reported_to_supplier=True,
    )
    log(services, treated.session.id, date(2026, 11, 10))
    dialog = OpenEventsDialog(None, services.events, services.patients, day_first=True)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)

    assert dialog.windowTitle() == "Open adverse events (2)"
    model = dialog.model
    assert model.event_at(0).id == older.id  # oldest first
    assert model.index(0, PATIENT).data() == "SMITH, Olivia"
    assert model.index(0, TYPE).data() == "Granuloma / nodule"
    assert model.index(0, SEVERITY).data() == "Severe"
    assert model.index(0, SEVERITY).data(Qt.ItemDataRole.ForegroundRole).color().name() == (
        "#b00020"
    )
    assert model.index(0, DAYS_OPEN).data() == str((TODAY - date(2026, 11, 1)).days)
    assert model.index(0, REPORTED).data() == "supplier"
    assert model.index(1, REPORTED).data() == "no"

    def resolve(event_dialog: AdverseEventDialog) -> None:
        choose(event_dialog.outcome, "resolved_with_sequelae")
        type_date(event_dialog.resolution, "21/11/2026")
        event_dialog.save_button.click()

    opened = when_dialog_opens(AdverseEventDialog, resolve)
    dialog.table.selectRow(0)
    qtbot.mouseClick(dialog.edit_button, Qt.MouseButton.LeftButton)

    assert opened
    assert dialog.windowTitle() == "Open adverse events (1)"
    assert model.rowCount() == 1 and model.event_at(0).id != older.id
    assert services.events.event(older.id).outcome == "resolved_with_sequelae"
    assert dialog.changes.touches(SESSIONS)


def test_enter_on_the_list_opens_the_event_and_keeps_the_list_open(
    qtbot, services: Services, treated: Treated
) -> None:
    log(services, treated.session.id, date(2026, 11, 10))
    dialog = OpenEventsDialog(None, services.events, services.patients, day_first=True)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    opened = when_dialog_opens(AdverseEventDialog, lambda d: d.reject())
    dialog.table.setFocus()
    qtbot.keyClick(dialog.table, Qt.Key.Key_Return)
    assert len(opened) == 1
    assert dialog.isVisible()
    assert dialog.windowTitle() == "Open adverse events (1)"


def test_no_open_events_is_said_plainly(qtbot, services: Services, treated: Treated) -> None:
    dialog = OpenEventsDialog(None, services.events, services.patients, day_first=True)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Open adverse events (0)"
    assert dialog.summary.text() == "No adverse events are waiting to be resolved."
    assert not dialog.edit_button.isEnabled()


def test_every_widget_is_named(qtbot, services: Services, treated: Treated) -> None:
    log(services, treated.session.id, date(2026, 11, 2))
    events = OpenEventsDialog(None, services.events, services.patients, day_first=True)
    qtbot.addWidget(events)
    assert unnamed_widgets(events) == []
    dialog = open_event_dialog(qtbot, services, treated.session.id)
    assert unnamed_widgets(dialog) == []


def test_open_event_model_passes_the_qt_model_tester(qtmodeltester) -> None:
    model = OpenEventTableModel(lambda: TODAY)
    event = AdverseEvent(1, "infection", date(2026, 11, 1), "severe", "Pustules.", id=1)
    model.set_rows([(event, "SMITH, Olivia")])
    qtmodeltester.check(model, force_py=True)


def test_the_dialogs_fit_a_reception_screen(
    qtbot, services: Services, treated: Treated, tmp_path
) -> None:
    dialog = open_event_dialog(qtbot, services, treated.session.id)
    fill_granuloma(qtbot, dialog, "01/10/2026")
    choose(dialog.outcome, "resolved")
    dialog.regulator.setChecked(True)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert_fits_and_shoot(dialog, tmp_path / "adverse-event-problems.png")

    log(
        services,
        treated.session.id,
        date(2026, 11, 1),
        type="granuloma_nodule",
        severity="severe",
        description="Nodule.",
        reported_to_supplier=True,
    )
    log(
        services,
        treated.session.id,
        date(2026, 11, 12),
        type="prolonged_swelling_redness",
        reported_to_supplier=True,
        reported_to_regulator=True,
        regulator_reference="R-1",
    )
    events = OpenEventsDialog(None, services.events, services.patients, day_first=True)
    qtbot.addWidget(events)
    events.show()
    qtbot.waitExposed(events)
    assert_fits_and_shoot(events, tmp_path / "open-events.png")
