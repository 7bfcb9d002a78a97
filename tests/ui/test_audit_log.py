"""The audit log dialog, driven as an admin would: filters, lazy paging and the chain check."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta

import pytest
from PySide6.QtCore import Qt

from exodesk.domain.audit import AuditEntry
from exodesk.domain.patient import Patient
from exodesk.domain.staff import StaffMember
from exodesk.services.audit import AuditService
from exodesk.services.demo import seat
from exodesk.services.workspace import Services
from exodesk.storage.audit import AuditRepository
from exodesk.ui.common import format_date
from exodesk.ui.dialogs.audit_log import (
    ACTION,
    SUMMARY,
    WHAT,
    WHEN,
    WHO,
    AuditLogDialog,
    AuditTableModel,
)
from tests.ui.test_patients_tab import unnamed_widgets


@pytest.fixture
def week(services: Services, clock) -> dict[str, int]:
    """Three days of work by two people: Ada registers on day 1, the nurse edits on day 3."""
    nurse = services.clinic.save_staff(StaffMember("Nurse Ben Whitaker", "practitioner")).record
    ids = {}
    for family, given_names in (("Öztürk", "Şükrü"), ("Smith", "Olivia")):
        result = services.patients.create(Patient(family, given_names, date(1980, 1, 1)))
        ids[family] = result.record.id
    clock.advance(days=2)
    seat(services, nurse.id)
    smith = services.patients.get(ids["Smith"])
    from dataclasses import replace

    assert services.patients.update(replace(smith, phone="07700 900555")).ok
    # Ada, the admin, reads the trail (seated directly: a sign-in would add an entry).
    services.desk.user = services.clinic.staff()[0]
    return {"nurse": nurse.id, **ids}


def _dialog(qtbot, services: Services, **kwargs) -> AuditLogDialog:
    dialog = AuditLogDialog(None, AuditService(services.ctx), **kwargs)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _column(dialog: AuditLogDialog, column: int) -> list[str]:
    model = dialog.table.model()
    return [model.index(r, column).data() for r in range(model.rowCount())]


def test_newest_first_with_when_who_what(qtbot, services: Services, week, clock) -> None:
    dialog = _dialog(qtbot, services)
    whos = _column(dialog, WHO)
    assert whos[0] == "Nurse Ben Whitaker" and whos[-1] == "Ada Admin"
    assert _column(dialog, SUMMARY)[0] == "Changed phone"
    assert _column(dialog, WHAT)[0] == f"Patient no. {week['Smith']}"
    assert _column(dialog, ACTION)[0] == "Changed"
    assert _column(dialog, WHEN)[0].startswith(format_date(clock().astimezone().date()))
    tip = dialog.table.model().index(0, SUMMARY).data(Qt.ItemDataRole.ToolTipRole)
    assert "Changed: " in tip and "phone" in tip
    assert dialog.status.text() == f"{len(whos)} entries."
    assert unnamed_widgets(dialog) == []


def test_filter_by_person(qtbot, services: Services, week) -> None:
    dialog = _dialog(qtbot, services)
    everyone = dialog.table.model().rowCount()
    index = dialog.person.findText("Nurse Ben Whitaker")
    assert index > 0
    dialog.person.setCurrentIndex(index)
    assert set(_column(dialog, WHO)) == {"Nurse Ben Whitaker"}
    assert 0 < dialog.table.model().rowCount() < everyone
    dialog.person.setCurrentIndex(0)
    assert dialog.table.model().rowCount() == everyone


def test_filter_by_typed_dates(qtbot, services: Services, week, clock, uk_locale) -> None:
    dialog = _dialog(qtbot, services)
    everyone = dialog.table.model().rowCount()
    first_day = clock().astimezone().date() - timedelta(days=2)
    qtbot.keyClicks(dialog.date_to.edit, first_day.strftime("%d/%m/%Y"))
    assert set(_column(dialog, WHO)) == {"Ada Admin"}
    assert all(w.startswith(format_date(first_day)) for w in _column(dialog, WHEN))
    dialog.date_to.clear()
    qtbot.keyClicks(dialog.date_from.edit, (first_day + timedelta(days=1)).strftime("%d/%m/%Y"))
    assert set(_column(dialog, WHO)) == {"Nurse Ben Whitaker"}
    dialog.date_from.clear()
    assert dialog.table.model().rowCount() == everyone
    # A date that cannot be read is said beside the fields; the list is left as it was.
    qtbot.keyClicks(dialog.date_from.edit, "31/02/2026")
    assert dialog.date_error.isVisible() and dialog.date_error.text()
    assert dialog.table.model().rowCount() == everyone
    dialog.date_from.clear()
    qtbot.keyClicks(dialog.date_from.edit, first_day.strftime("%d/%m/%Y"))
    qtbot.keyClicks(dialog.date_to.edit, (first_day - timedelta(days=1)).strftime("%d/%m/%Y"))
    assert dialog.date_error.text() == "The 'to' date is before the 'from' date."


def test_patient_and_text_filters(qtbot, services: Services, week) -> None:
    dialog = _dialog(qtbot, services, patient_id=week["Smith"], patient_label="SMITH, Olivia")
    assert dialog.patient_only.isVisible() and dialog.patient_only.isChecked()
    assert dialog.patient_only.text() == "Only SMITH, Olivia"
    assert _column(dialog, SUMMARY) == ["Changed phone", "Registered SMITH, Olivia"]
    dialog.patient_only.setChecked(False)
    assert any("ÖZTÜRK" in s for s in _column(dialog, SUMMARY))
    dialog.text.setText("öZtüRK")  # keyClicks cannot type non-ASCII; any letter case finds it
    qtbot.waitUntil(lambda: dialog.table.model().rowCount() == 1, timeout=2000)
    assert "ÖZTÜRK" in _column(dialog, SUMMARY)[0]
    dialog.text.setText("nobody-like-this")
    qtbot.keyClick(dialog.text, Qt.Key.Key_Return)
    assert dialog.table.model().rowCount() == 0
    assert dialog.status.text() == "No entries match these filters."


def test_the_summary_filter_finds_the_words_shown(qtbot, services: Services) -> None:
    """What the list shows is what the filter finds: "Exosome facial" and "date of birth"
    find entries stored as ``exosome_face`` and ``date_of_birth``."""
    repo = AuditRepository(services.ctx.db)
    when = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    with services.ctx.db.atomic():
        for summary in (
            "Aftercare sheet (exosome_face) printed",
            "Changed date_of_birth, phone",
            "Aftercare sheet (prp) printed",
        ):
            repo.append(
                AuditEntry(
                    when, 1, "Ada Admin", "print", "settings", None, None, summary, None, None
                )
            )
    dialog = _dialog(qtbot, services)
    dialog.text.setText("exosome FACIAL")
    dialog.refresh()
    assert _column(dialog, SUMMARY) == ["Aftercare sheet (Exosome facial) printed"]
    dialog.text.setText("Date of birth")
    dialog.refresh()
    assert _column(dialog, SUMMARY) == ["Changed date of birth and phone"]


def test_a_long_trail_loads_a_page_at_a_time(qtbot, services: Services, clock) -> None:
    db = services.ctx.db
    repo = AuditRepository(db)
    with db.atomic():
        for n in range(450):
            repo.append(
                AuditEntry(
                    clock(), 1, "Ada Admin", "view", "patients", n, None, f"#{n}", None, None
                )
            )
    total = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    dialog = _dialog(qtbot, services)
    model = dialog.table.model()
    assert model.rowCount() == 200
    assert model.canFetchMore()
    assert "newest 200 entries" in dialog.status.text()
    model.fetchMore()
    assert model.rowCount() == 400
    dialog.table.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() == total, timeout=2000)
    assert not model.canFetchMore()
    ids = [model.index(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(total)]
    assert ids == list(range(total, 0, -1))
    assert dialog.status.text() == f"{total} entries."


def test_entries_are_said_in_words_and_the_record_stays_as_stored(services: Services) -> None:
    """Issue #18: ``documents_issued #2``, ``exosome_face defer`` and ``saved:/tmp/…`` were
    shown as stored. The cells say them in words; the tooltip keeps the stored sentence."""
    when = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    stored = [
        AuditEntry(
            when,
            1,
            "Ada Admin",
            "print",
            "documents_issued",
            2,
            7,
            "Aftercare sheet (exosome_face) reprinted: saved:/home/desk/Documents/Zoë.pdf",
            None,
            None,
            id=3,
        ),
        AuditEntry(
            when,
            1,
            "Ada Admin",
            "create",
            "screenings",
            4,
            7,
            "Intake screening — exosome_face defer, prp proceed",
            None,
            None,
            id=2,
        ),
        AuditEntry(
            when,
            1,
            "Ada Admin",
            "update",
            "settings",
            None,
            None,
            "Clinic settings: out_of_hours, paper_size",
            {"out_of_hours": "1", "paper_size": "A4"},
            {"out_of_hours": "2", "paper_size": "Letter"},
            id=1,
        ),
    ]
    model = AuditTableModel()
    model.set_rows(stored)
    rows = [[model.index(r, c).data() for c in (ACTION, WHAT, SUMMARY)] for r in range(3)]
    assert rows == [
        [
            "Saved to a file",
            "Handout no. 2",
            "Aftercare sheet (Exosome facial) saved again as “Zoë.pdf”",
        ],
        [
            "Added",
            "Screening no. 4",
            "Intake screening — Exosome facial: Not yet; PRP (platelet-rich plasma): Go ahead",
        ],
        ["Changed", "Clinic settings", "Clinic settings: out-of-hours phone and paper size"],
    ]
    tip = model.index(0, SUMMARY).data(Qt.ItemDataRole.ToolTipRole)
    assert "As recorded: Aftercare sheet (exosome_face) reprinted: saved:/home/desk" in tip
    tip = model.index(2, SUMMARY).data(Qt.ItemDataRole.ToolTipRole)
    assert "Changed: out-of-hours phone and paper size" in tip


def test_the_model_passes_the_qt_model_tester(qtmodeltester, services: Services, week) -> None:
    audit = AuditService(services.ctx)
    model = AuditTableModel(page_size=2)
    model.set_rows(audit.entries(limit=2), lambda last: audit.entries(before_id=last, limit=2))
    qtmodeltester.check(model, force_py=True)
    assert model.index(0, 99).data() is None


def test_verify_shows_the_result_in_plain_words(
    qtbot, services: Services, week, data_paths
) -> None:
    dialog = _dialog(qtbot, services)
    total = services.ctx.db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    qtbot.mouseClick(dialog.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=10_000)
    assert dialog.verify_result.text() == f"The audit trail is intact: {total} entries checked."
    assert "#1b5e20" in dialog.verify_result.styleSheet()
    assert dialog.verify_button.isEnabled()

    tamper = sqlite3.connect(data_paths.data_file, isolation_level=None)
    tamper.execute("DROP TRIGGER audit_log_no_update")
    tamper.execute("UPDATE audit_log SET summary = 'Nothing happened' WHERE id = 3")
    tamper.close()
    dialog.report = None
    qtbot.mouseClick(dialog.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=10_000)
    assert dialog.verify_result.text().startswith(
        "Audit entry 3 was changed after it was written (recorded "
    )
    assert "#b00020" in dialog.verify_result.styleSheet()
