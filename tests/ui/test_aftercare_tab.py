"""The Aftercare tab and its service: preview, print to PDF, issue log, reprint, wording."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from exodesk.domain.aftercare import method_line
from exodesk.domain.patient import Patient
from exodesk.domain.sessions import Lot, Product, SessionProduct
from exodesk.domain.staff import StaffMember
from exodesk.services.demo import seat
from exodesk.services.workspace import Services
from exodesk.ui.aftercare.tab import AftercareTab
from exodesk.ui.dialogs.settings_window import AFTERCARE, SettingsWindow
from exodesk.ui.main_window import MainWindow
from tests.answers import answered
from tests.ui.previews import print_to, through_the_preview
from tests.ui.test_patients_tab import unnamed_widgets

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def visit(services: Services) -> dict:
    """A patient with a course and one session using a lot, as after an appointment."""
    from exodesk.domain.clinic import ClinicSettings

    services.clinic.save_settings(
        ClinicSettings(name="Riverside Clinic", phone="020 7946 0123", out_of_hours="07700 900456")
    )
    doctor = services.clinic.save_staff(StaffMember("Dr Amara Okafor", "practitioner")).record
    seat(services, doctor.id)
    product = services.catalogue.save_product(
        Product("VerdeCell Booster", "Botanica", "exosome", "plant", "topical")
    ).record
    lot = services.catalogue.save_lot(
        Lot(product.id, "VC-2411", services.ctx.today() + timedelta(days=90))
    ).record
    pid = services.patients.create(Patient("Öztürk", "Şükrü", date(1980, 5, 1))).record.id
    screening = services.screening.save(pid, answered()).record
    services.screening.record_consent(screening.id, "Şükrü Öztürk", PNG)
    course = services.courses.start_course(pid, "skin_rejuvenation", "exosome_face", 4).record
    draft = replace(
        services.sessions.prefill(pid, course.id),
        needle_depth_mm=0.5,
        products=(SessionProduct(lot.id, 2.0),),
    )
    check = services.sessions.check(draft)
    session = services.sessions.record(draft, confirmed=[n.id for n in check.regulatory]).record
    return {"patient_id": pid, "session": session}


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "sheet.pdf"
    path.write_bytes(pdf)
    return " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())


def test_sheet_for_a_session_is_personal(services: Services, visit: dict, tmp_path) -> None:
    sheet = services.aftercare.sheet(treatment="exosome_face", session_id=visit["session"].id)
    assert sheet.patient_name == "Şükrü Öztürk"
    assert sheet.course_label == "session 1 of 4"
    assert sheet.next_window.startswith("between ")
    assert [(p.name, p.lot_number) for p in sheet.products] == [("VerdeCell Booster", "VC-2411")]
    text = _text(services.aftercare.render(sheet), tmp_path)
    for words in ("Şükrü Öztürk", "VC-2411", "Session 1 of 4", "020 7946 0123", "07700 900456"):
        assert words in text
    # The opening line says how this session was done, from its delivery method.
    delivery = visit["session"].delivery
    assert sheet.method_line == method_line("exosome_face", delivery)
    assert sheet.method_line and sheet.method_line in text


def test_blank_sheet_has_no_patient(services: Services, visit: dict, tmp_path) -> None:
    sheet = services.aftercare.sheet(treatment="exosome_scalp")
    assert sheet.patient_name is None
    text = _text(services.aftercare.render(sheet), tmp_path)
    assert "Şükrü" not in text
    # No session: nothing is said about needles or injections.
    assert sheet.method_line == ""
    assert "was put" not in text and "was treated with" not in text


def test_issue_log_and_byte_identical_reprint_after_the_wording_changed(
    services: Services, visit: dict
) -> None:
    aftercare = services.aftercare
    sheet = aftercare.sheet(treatment="exosome_face", session_id=visit["session"].id)
    pdf = aftercare.render(sheet)
    logged = aftercare.record_issue(
        sheet, pdf, "printed", patient_id=visit["patient_id"], session_id=visit["session"].id
    )
    [doc] = aftercare.issued(visit["patient_id"])
    assert doc.sha256 == hashlib.sha256(pdf).hexdigest()
    assert doc.template_version == "2026.1" or doc.template_version
    edited = replace(sheet.template, title="Looking after your skin (our words)")
    assert aftercare.save_wording(edited).ok
    assert aftercare.wording("exosome_face").version == "clinic v1"
    again = aftercare.reprint(logged.record)
    assert again.identical and again.pdf == pdf
    timeline = services.timeline.entries(visit["patient_id"])
    assert any(t.kind == "sheet" and "Aftercare sheet printed" in t.title for t in timeline)
    assert aftercare.restore_default_wording("exosome_face").ok
    assert not aftercare.wording("exosome_face").edited


def test_bad_wording_is_refused(services: Services) -> None:
    template = services.aftercare.wording("prp").template
    emergency = template.section("emergency")
    broken = replace(
        template,
        sections=tuple(
            replace(s, bullets=()) if s.id == emergency.id else s for s in template.sections
        ),
    )
    result = services.aftercare.save_wording(broken)
    assert not result.ok
    assert services.aftercare.wording("prp").edited is False


@pytest.fixture
def window(qtbot, services: Services, visit: dict) -> MainWindow:
    win = MainWindow(services, day_first=True)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.patients_tab.open_patient(services.patients.get(visit["patient_id"]))
    return win


def test_print_aftercare_from_the_session_previews_and_logs(
    qtbot, window: MainWindow, services: Services, visit: dict, tmp_path: Path
) -> None:
    window.tabs.setCurrentWidget(window.sessions_tab)
    window.sessions_tab.timeline.setCurrentRow(0)
    window.sessions_tab.aftercare_button.click()
    tab: AftercareTab = window.aftercare_tab
    assert window.tabs.currentWidget() is tab
    assert tab.session.currentData() == visit["session"].id
    tab.wait_for_preview()
    assert tab.document.pageCount() == 1
    assert "Şükrü Öztürk" in tab.status.text()
    out = tmp_path / "printed.pdf"
    through_the_preview(qtbot, tab.print_button.click, print_to(out))
    assert "Şükrü Öztürk" in _text(out.read_bytes(), tmp_path)
    assert tab.issued.count() == 1
    assert "printed by Dr Amara Okafor" in tab.issued.item(0).text()
    tab.large_print.setChecked(True)
    tab.refresh_preview()
    tab.wait_for_preview()
    qtbot.waitUntil(lambda: "page" in tab.status.text() and tab._job.data.large_print)
    assert tab.document.pageCount() <= 2, "large print takes at most two pages"
    assert unnamed_widgets(tab) == []


def test_wording_dialog_saves_a_new_version(qtbot, window: MainWindow, services: Services) -> None:
    settings = SettingsWindow(window, services, page=AFTERCARE)
    qtbot.addWidget(settings)
    dialog = settings.pages[AFTERCARE]
    dialog.treatment.setCurrentIndex(dialog.treatment.findData("microneedling"))
    dialog.title.setText("Microneedling: our advice")
    dialog.save()
    assert not dialog.error.isVisibleTo(dialog), dialog.error.text()
    assert services.aftercare.wording("microneedling").template.title == "Microneedling: our advice"
    assert "clinic v1" in dialog.version.text()
    dialog.sections["emergency"].setPlainText("")
    dialog.save()
    assert dialog.error.isVisibleTo(dialog)
    assert services.aftercare.wording("microneedling").version == "clinic v1"
    assert unnamed_widgets(dialog) == []
