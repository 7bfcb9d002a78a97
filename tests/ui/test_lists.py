"""Lot recall and the due list, driven through their dialogs."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from exodesk.domain.dates import format_short
from exodesk.domain.lists import RecallRow, due_line, recall_line
from exodesk.domain.patient import Patient
from exodesk.domain.sessions import Lot, Product, SessionProduct, session_day
from exodesk.domain.staff import StaffMember
from exodesk.services.demo import seat
from exodesk.services.workspace import Services
from exodesk.ui.sessions.lists import (
    BORN,
    DUE_PHONE,
    PATIENT,
    SESSION,
    STATUS,
    DueListDialog,
    DueTableModel,
    RecallDialog,
    RecallTableModel,
)
from tests.answers import answered
from tests.ui.previews import save_to, through_the_preview
from tests.ui.test_patients_tab import unnamed_widgets

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _clinic_with_two_sessions(services: Services) -> None:
    doctor = services.clinic.save_staff(StaffMember("Dr Amara Okafor", "practitioner")).record
    seat(services, doctor.id)
    product = services.catalogue.save_product(
        Product("VerdeCell", "Botanica", "exosome", "plant", "topical")
    ).record
    lot = services.catalogue.save_lot(
        Lot(product.id, "VC-2411", services.ctx.today() + timedelta(days=90))
    ).record
    for family, given in (("Öztürk", "Şükrü"), ("李", "小龍")):
        pid = services.patients.create(
            Patient(family, given, date(1980, 1, 1), phone="07700 900111")
        ).record.id
        screening = services.screening.save(pid, answered()).record
        services.screening.record_consent(screening.id, given, PNG)
        course = services.courses.start_course(pid, "skin_rejuvenation", "exosome_face", 3)
        draft = replace(
            services.sessions.prefill(pid, course.record.id),
            needle_depth_mm=0.5,
            products=(SessionProduct(lot.id, 2.0),),
        )
        check = services.sessions.check(draft)
        assert services.sessions.record(draft, confirmed=[n.id for n in check.regulatory]).ok


def test_recall_as_you_type_export_and_print(qtbot, services: Services, tmp_path: Path) -> None:
    _clinic_with_two_sessions(services)
    dialog = RecallDialog(None, services.recall)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.query, "vc 24")
    qtbot.keyClick(dialog.query, Qt.Key.Key_Return)
    assert dialog.model.rowCount() == 2
    assert "2 patients, 2 sessions" in dialog.summary.text()
    out = tmp_path / "recall.csv"
    dialog.export_to(out)
    text = out.read_text(encoding="utf-8-sig")
    assert "Öztürk" in text and "李" in text and text.count("VC-2411") == 2
    path = tmp_path / "recall.pdf"
    through_the_preview(qtbot, dialog.print_button.click, save_to(path))
    flat = " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())
    assert "VC-2411" in flat and "Şükrü" in flat
    # Screen, paper and spreadsheet show the same day and the same name, family name first.
    [first, *_] = dialog.recall.rows
    day = format_short(session_day(first.performed_at))
    names = {dialog.model.index(r, PATIENT).data() for r in range(dialog.model.rowCount())}
    assert names == {"ÖZTÜRK, Şükrü", "李, 小龍"}
    assert all(name in flat for name in names)
    assert dialog.model.index(0, SESSION).data() == day and day in flat
    assert dialog.model.index(0, BORN).data() == "1 Jan 1980"
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][1] == session_day(first.performed_at).isoformat()
    assert {(r[4], r[5]) for r in rows[1:]} == {("Öztürk", "Şükrü"), ("李", "小龍")}
    dialog.query.setText("nothing-like-this")
    dialog.search()
    assert dialog.model.rowCount() == 0 and "No lot number" in dialog.summary.text()
    assert not dialog.export_button.isEnabled()
    assert unnamed_widgets(dialog) == []


def test_due_list_names_who_to_call(qtbot, services: Services, clock, tmp_path: Path) -> None:
    _clinic_with_two_sessions(services)
    clock.advance(days=50)
    dialog = DueListDialog(None, services.recall)
    qtbot.addWidget(dialog)
    assert dialog.model.rowCount() == 2
    assert dialog.model.index(0, STATUS).data() == "OVERDUE"
    assert "07700 900111" in dialog.model.index(0, DUE_PHONE).data()
    path = tmp_path / "due.pdf"
    through_the_preview(qtbot, dialog.findChild(QPushButton, "duePrint").click, save_to(path))
    flat = " ".join(PdfReader(path).pages[0].extract_text().split())
    assert ("session 2 of 3" in flat and "Overdue" in flat) or "OVERDUE" in flat.upper()
    assert unnamed_widgets(dialog) == []


def test_the_list_models_pass_the_qt_model_tester(qtmodeltester, services: Services, clock) -> None:
    _clinic_with_two_sessions(services)
    recall = RecallTableModel()
    recall.set_rows(services.recall.recall("VC").lines)
    assert recall.rowCount() == 2
    qtmodeltester.check(recall, force_py=True)
    clock.advance(days=50)
    due = DueTableModel()
    due.set_rows([due_line(e) for e in services.recall.due_list()])
    assert due.rowCount() == 2
    qtmodeltester.check(due, force_py=True)
    assert due.index(0, STATUS).data(Qt.ItemDataRole.ToolTipRole)
    assert due.index(0, STATUS).data(Qt.ItemDataRole.ForegroundRole) is not None
    for model in (RecallTableModel(), DueTableModel()):
        qtmodeltester.check(model, force_py=True)  # empty, too


def test_a_list_model_answers_nothing_it_does_not_have_without_raising() -> None:
    recall = RecallTableModel()
    row = RecallRow(
        1,
        datetime(2026, 11, 3, 9, tzinfo=UTC),
        "gone",
        "Dr A",
        2,
        "Li",
        "Wei",
        None,
        "",
        "",
        3,
        "L-1",
    )
    recall.set_rows([recall_line(row)])
    assert recall.index(0, BORN).data() == ""
    assert recall.index(0, 2).data() == "gone", "an unknown treatment id shows as stored"
    assert recall.index(5, 0).data() is None and recall.index(0, 99).data() is None
    assert recall.headerData(99, Qt.Orientation.Horizontal) is None
    due = DueTableModel()
    assert due.index(0, 0).data() is None
