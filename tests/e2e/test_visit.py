"""Whole visits through the real window: register, screen, amend; and register, screen, sign
the consent, record a session with a lot, print the comparison and the aftercare sheet."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QDialog

from exodesk.domain.sessions import Lot, Product
from exodesk.services.workspace import Services
from exodesk.ui.main_window import MainWindow
from exodesk.ui.screening.consent import ConsentDialog
from tests.reports.pdftools import pdf_text
from tests.ui.dialogs import when_dialog_opens
from tests.ui.previews import print_to, through_the_preview


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
    assert "No verdict yet — answer every question" in (
        tab.verdicts.cards["exosome_face"].badge.text()
    )
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


def _answer_no_to_everything_else(tab, *, but: frozenset[str] = frozenset()) -> None:
    """The patient answers no, never and none of these to every question not in ``but``."""
    for item_id, answer in tab.questionnaire.answers_by_item.items():
        if item_id in but:
            continue
        control = answer.widget
        if answer.item.type == "bool":
            control.no.click()
        elif answer.item.type == "date":
            control.never.click()
        elif answer.item.type == "set":
            control.none.click()
        elif item_id == "autoimmune":
            control.setCurrentIndex(control.findData("none"))


def test_a_whole_visit_from_registration_to_the_aftercare_in_the_issue_log(
    qtbot, services: Services, uk_locale, tmp_path: Path
) -> None:
    """New patient → screening → consent → session with a lot → comparison printed →
    aftercare printed and found in the issue log, all through the real window."""
    # Before the day: the clinic's catalogue has a plant exosome serum with a tested lot.
    catalogue = services.catalogue
    serum = catalogue.save_product(
        Product("VerdeCell Plant Exosome Booster", "Botanica", "exosome", "plant", "topical")
    ).record
    reports = frozenset({"purity", "sterility", "viability", "virus_pathogen"})
    lot = catalogue.save_lot(
        Lot(serum.id, "VC-2411", services.ctx.today() + timedelta(days=200), lab_reports=reports)
    ).record

    window = MainWindow(services, day_first=True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)

    # Reception registers the patient.
    patients = window.patients_tab
    qtbot.keyClick(patients.search, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    form = patients.form
    # Accented letters come from the keyboard layout, not from key codes: paste them in.
    form.fields["family_name"].insert("Ó Briain")
    form.fields["given_names"].insert("Siobhán")
    qtbot.keyClicks(form.dob, "03/07/1988")
    qtbot.keyClicks(form.fields["phone"], "07700 900654")
    qtbot.keyClick(form.fields["phone"], Qt.Key.Key_Return)
    assert window.header.name_label.text() == "Ó BRIAIN, Siobhán"
    patient_id = window.current.patient.id

    # The intake screening: every question answered, nothing stands in the way.
    window.tabs.setCurrentWidget(window.screening_tab)
    screening_tab = window.screening_tab
    _answer_no_to_everything_else(screening_tab)
    qtbot.waitUntil(lambda: not screening_tab._timer.isActive())
    assert "GO AHEAD" in screening_tab.verdicts.cards["exosome_face"].badge.text()
    screening_tab.save_button.click()
    assert services.screening.current(patient_id) is not None

    # She signs the consent on the pad.
    def sign(dialog: ConsentDialog) -> None:
        dialog.name.setText("Siobhán Ó Briain")
        pad = dialog.pad
        qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPoint(40, 60))
        for x in range(40, 300, 10):
            qtbot.mouseMove(pad, QPoint(x, 60 + (x % 30)))
        qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(300, 70))
        dialog.save_button.click()

    assert when_dialog_opens(ConsentDialog, sign) is not None
    screening_tab.consent_button.click()
    assert services.screening.current(patient_id).consent is not None

    # The practitioner records the session with the lot.
    window.tabs.setCurrentWidget(window.sessions_tab)
    sessions_tab = window.sessions_tab
    assert sessions_tab.record_button.isEnabled()
    sessions_tab.record_button.click()
    session_form = sessions_tab.form
    session_form.needle_depth.setFocus()
    session_form.needle_depth.selectAll()
    qtbot.keyClicks(session_form.needle_depth, "0.5")
    session_form.add_product.click()
    combo = session_form.products.cellWidget(session_form.products.rowCount() - 1, 0)
    combo.setCurrentIndex(combo.findData(lot.id))
    session_form.products.cellWidget(session_form.products.rowCount() - 1, 1).setValue(2.0)
    check = session_form.run_checks()
    assert check.gate.allowed, check.gate.problems
    for note in session_form.regulatory_checks.values():
        note.setChecked(True)
    session_form.save_button.click()
    [session] = services.sessions.sessions(patient_id)
    assert [p.lot_number for p in session.products] == ["VC-2411"]

    # The comparison she takes home, printed.
    window.tabs.setCurrentWidget(window.comparison_tab)
    comparison = window.comparison_tab
    for key, box in comparison.picks.items():
        box.setChecked(key in ("exosome_face", "prp", "microneedling"))
    handout = tmp_path / "comparison.pdf"
    through_the_preview(qtbot, comparison.print_button.click, print_to(handout))
    assert "Ó Briain" in " ".join(pdf_text(handout.read_bytes()).split())

    # The aftercare sheet written for this session, printed from the session.
    window.tabs.setCurrentWidget(sessions_tab)
    sessions_tab.timeline.setCurrentRow(0)
    sessions_tab.aftercare_button.click()
    aftercare = window.aftercare_tab
    assert window.tabs.currentWidget() is aftercare
    aftercare.wait_for_preview()
    sheet = tmp_path / "aftercare.pdf"
    through_the_preview(qtbot, aftercare.print_button.click, print_to(sheet))
    text = " ".join(pdf_text(sheet.read_bytes()).split())
    assert "Siobhán Ó Briain" in text and "VC-2411" in text
    assert "Trouble breathing" in text

    # Both handouts are in the issue log, the sheet against the session.
    issued = services.aftercare.issued(patient_id)
    assert [(d.kind, d.session_id) for d in issued if d.kind == "aftercare"] == [
        ("aftercare", session.id)
    ]
    assert any(d.kind == "comparison" for d in issued)
    assert aftercare.issued.count() >= 1


def test_photos_from_consent_to_the_progress_sheet_in_the_issue_log(
    qtbot, services: Services, uk_locale, tmp_path: Path, clock, monkeypatch
) -> None:
    """Photos through the real window: refused without consent, the consent signed, a
    baseline set from files, a follow-up set a month later through the camera (synthetic
    frames) with the baseline as ghost, the two compared and rated, the progress sheet
    printed and found in the issue log."""
    from PySide6.QtCore import QSize
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from exodesk.domain.patient import Patient
    from exodesk.ui.photos import take
    from exodesk.ui.photos.camera import CameraCapture, SyntheticFrameSource
    from exodesk.ui.photos.comparing import CompareWindow
    from exodesk.ui.photos.consent import PhotoConsentDialog
    from exodesk.ui.photos.gallery import PhotosWindow
    from exodesk.ui.photos.progress import ProgressSheetDialog
    from exodesk.ui.photos.take import TakePhotosDialog
    from tests.ui.photos.picture_files import write_pictures

    def synthetic_camera() -> take.CameraFactory:
        def make(parent, views, ghosts, already) -> CameraCapture:
            camera = SyntheticFrameSource(QSize(800, 600), interval_ms=20)
            return CameraCapture(parent, camera, views, ghosts=ghosts, already=already)

        return make

    monkeypatch.setattr(take, "camera_for_this_pc", synthetic_camera)
    phone = write_pictures(tmp_path / "phone", 5)
    monkeypatch.setattr(
        QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(p) for p in phone], "")
    )
    patient = services.patients.create(
        Patient("Ó Briain", "Siobhán", date(1988, 7, 3), "female", "07700 900654")
    ).record
    window = MainWindow(services, day_first=True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.patients_tab.open_patient(patient)
    steps: list[str] = []

    def refuse(box: QDialog) -> None:
        assert isinstance(box, QMessageBox) and "No photo can be taken yet" in box.text()
        steps.append("refused")
        next(b for b in box.buttons() if b.text() == "Not now").click()

    def sign(dialog: QDialog) -> None:
        assert isinstance(dialog, PhotoConsentDialog)
        dialog.levels["record"].setChecked(True)
        dialog.name.setText("Siobhán Ó Briain")
        pad = dialog.pad
        qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPoint(30, 50))
        for x in range(30, 280, 10):
            qtbot.mouseMove(pad, QPoint(x, 50 + x % 25))
        qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(280, 60))
        dialog.save_button.click()
        steps.append("signed")

    def baseline_from_files(dialog: QDialog) -> None:
        assert isinstance(dialog, TakePhotosDialog)
        dialog.files_button.click()
        assert dialog.missing_label.text() == "Every standard view is there."
        dialog.save_button.click()
        qtbot.waitUntil(lambda: not dialog.importing, timeout=30_000)
        assert "5 photos imported." in dialog.status.text()
        steps.append("baseline")
        dialog.cancel_button.click()

    def follow_up_by_camera(dialog: QDialog) -> None:
        assert isinstance(dialog, TakePhotosDialog)

        def shoot(camera: QDialog) -> None:
            assert isinstance(camera, CameraCapture)
            qtbot.waitUntil(lambda: camera.live.live is not None, timeout=3000)
            for _ in range(5):
                qtbot.keyClick(camera.live, Qt.Key.Key_Space)
            camera.done_button.click()

        when_dialog_opens(CameraCapture, shoot)
        dialog.camera_button.click()
        assert len(dialog.pending) == 5 and {p.source for p in dialog.pending} == {"camera"}
        dialog.save_button.click()
        qtbot.waitUntil(lambda: not dialog.importing, timeout=30_000)
        steps.append("follow-up")
        dialog.cancel_button.click()

    def compare(dialog: QDialog) -> None:
        assert isinstance(dialog, CompareWindow)
        left, right = dialog.compare.captions()
        assert left.startswith("22 Nov 2026") and right.startswith("20 Dec 2026")
        dialog.scale.setCurrentIndex(dialog.scale.findData("gais_practitioner"))
        dialog.value.setCurrentIndex(dialog.value.findData("3"))
        dialog.rate_button.click()
        steps.append("compared")
        dialog.close_button.click()

    def print_sheet(dialog: QDialog) -> None:
        assert isinstance(dialog, ProgressSheetDialog)
        try:  # a failure closes the dialogs, so the test fails instead of waiting for ever
            assert len(dialog.pairs()) == 4, "the first four views with two dates"
            sheet = tmp_path / "progress.pdf"
            through_the_preview(qtbot, dialog.print_button.click, print_to(sheet))
            text = " ".join(pdf_text(sheet.read_bytes()).split())
            assert "Siobhán Ó Briain" in text
            steps.append("printed")
        finally:
            dialog.cancel_button.click()

    def in_the_photos_window(photos: QDialog) -> None:
        assert isinstance(photos, PhotosWindow)
        try:
            steps_in_the_photos_window(photos)
        finally:
            photos.close_button.click()

    def steps_in_the_photos_window(photos: PhotosWindow) -> None:
        when_dialog_opens(QMessageBox, refuse)
        photos.take_button.click()  # no consent yet: refused, nothing opens
        assert services.photos.sets(int(patient.id)) == []
        when_dialog_opens(PhotoConsentDialog, sign)
        photos.consent_button.click()
        when_dialog_opens(TakePhotosDialog, baseline_from_files)
        photos.take_button.click()
        clock.advance(days=28)
        when_dialog_opens(TakePhotosDialog, follow_up_by_camera)
        photos.take_button.click()
        assert photos.model.rowCount() == 10
        photos.gallery.setCurrentIndex(photos.model.index(0, 0))
        when_dialog_opens(CompareWindow, compare)
        photos.compare_button.click()
        when_dialog_opens(ProgressSheetDialog, print_sheet)
        photos.sheet_button.click()

    when_dialog_opens(PhotosWindow, in_the_photos_window)
    window.header.photos_button.click()
    assert steps == ["refused", "signed", "baseline", "follow-up", "compared", "printed"]
    [baseline, follow_up] = reversed(services.photos.sets(int(patient.id)))
    assert baseline.is_baseline and not follow_up.is_baseline
    assert {p.source for p in services.photos.photos(follow_up.id)} == {"camera"}
    issued = services.aftercare.issued(int(patient.id))
    assert any(d.kind == "photo_progress" for d in issued)
