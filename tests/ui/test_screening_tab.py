"""The Intake screening tab driven as reception and the practitioner would."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QCheckBox, QDialog

from exodesk.domain.intake import check_text_answers, open_to_override, open_to_sign_off
from exodesk.domain.patient import Patient
from exodesk.domain.screening_vocabulary import override_words, signoff_words, verdict_look
from exodesk.domain.staff import StaffMember
from exodesk.services.workspace import Services
from exodesk.ui.main_window import MainWindow
from exodesk.ui.printing import PdfPreviewDialog
from exodesk.ui.screening.consent import ConsentDialog
from exodesk.ui.screening.decisions import OverrideDialog, SignOffDialog
from exodesk.ui.screening.tab import ScreeningTab
from tests.ui.dialogs import when_dialog_opens
from tests.ui.test_patients_tab import unnamed_widgets


@pytest.fixture
def window(qtbot, services: Services, uk_locale) -> MainWindow:
    services.clinic.save_staff(StaffMember("Dr Amara Okafor", "practitioner"))
    olivia = services.patients.create(Patient("Smith", "Olivia", date(1985, 4, 3), "female"))
    win = MainWindow(services, day_first=True)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.patients_tab.open_patient(olivia.record)
    win.tabs.setCurrentWidget(win.screening_tab)
    return win


def tab_of(win: MainWindow) -> ScreeningTab:
    return win.screening_tab


def press_tab_until(qtbot, start, target, limit: int = 120) -> None:
    """Walk the focus chain with Tab, as a keyboard user does, until ``target`` has focus."""
    start.setFocus()
    for _ in range(limit):
        if QApplication.focusWidget() is target:
            return
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    raise AssertionError(f"Tab never reached {target.objectName()}")


def settle(qtbot, tab: ScreeningTab) -> None:
    qtbot.waitUntil(lambda: not tab._timer.isActive())


def test_keyboard_only_screening_updates_the_panel_and_saves(
    qtbot, window: MainWindow, services: Services
) -> None:
    tab = tab_of(window)
    form = tab.questionnaire
    assert "New screening for Olivia Smith" in tab.status.text()
    first = form.answers_by_item["pregnant"].focus
    retinoid = form.answers_by_item["retinoid_last_use"].focus
    press_tab_until(qtbot, first, retinoid)
    qtbot.keyClicks(retinoid, "19/11/2026")
    settle(qtbot, tab)
    face = tab.verdicts.cards["exosome_face"]
    assert "NOT YET" in face.badge.text()
    assert "Can go ahead from Thu 26 Nov 2026" in face.body.text()
    assert "GO AHEAD" in tab.verdicts.cards["exosome_scalp"].badge.text()
    blood_thinner = form.answers_by_item["anticoagulants"].focus
    press_tab_until(qtbot, retinoid, blood_thinner)
    qtbot.keyClick(blood_thinner, Qt.Key.Key_Space)
    settle(qtbot, tab)
    scalp = tab.verdicts.cards["exosome_scalp"]
    assert "PRECAUTIONS" in scalp.badge.text().upper()
    assert "For the practitioner" in scalp.body.text()
    qtbot.keyClick(blood_thinner, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    record = services.screening.current(window.current.patient.id)
    assert record is not None
    assert record.answers == {"retinoid_last_use": date(2026, 11, 19), "anticoagulants": True}
    assert "Screening v1" in tab.status.text()
    assert not form.answers_by_item["anticoagulants"].widget.isEnabled()  # read-only once saved


def test_follow_up_question_appears_and_is_cleared(qtbot, window: MainWindow) -> None:
    form = tab_of(window).questionnaire
    infection: QCheckBox = form.answers_by_item["active_infection"].widget
    area = form.answers_by_item["active_infection_area"]
    assert not area.widget.isVisibleTo(form)
    infection.setChecked(True)
    assert area.widget.isVisibleTo(form)
    area.widget.setCurrentIndex(area.widget.findData("face"))
    infection.setChecked(False)
    assert not area.widget.isVisibleTo(form)
    assert "active_infection_area" not in form.answers()[0]


def test_bad_dates_and_long_text_are_shown_inline_and_nothing_saves(
    qtbot, window: MainWindow, services: Services
) -> None:
    tab = tab_of(window)
    form = tab.questionnaire
    form.answers_by_item["laser_last"].focus.setText("23/11/2026")  # tomorrow
    form.answers_by_item["peel_last"].focus.setText("31/02/2026")
    form.answers_by_item["medications"].widget.setPlainText("x" * 5000)
    settle(qtbot, tab)
    assert "after today" in form.errors["laser_last"].text() or form.errors["laser_last"].text()
    assert "no day 31" in form.errors["peel_last"].text()
    assert "5,000" in form.errors["medications"].text()
    assert "fix the answers" in tab.verdicts.heading.text()
    tab.save_button.click()
    assert services.screening.current(window.current.patient.id) is None


def _save_with(tab: ScreeningTab, answers: dict) -> None:
    tab.questionnaire.set_answers(answers)
    tab.update_preview()
    tab.save_button.click()


def test_amend_keeps_history(qtbot, window: MainWindow, services: Services) -> None:
    tab = tab_of(window)
    _save_with(tab, {"anticoagulants": True})
    qtbot.keyClick(tab.amend_button, Qt.Key.Key_Space)
    assert tab.questionnaire.answers_by_item["anticoagulants"].widget.isEnabled()
    tab.questionnaire.answers_by_item["anticoagulants"].widget.setChecked(False)

    def give_reason(dialog: QDialog) -> None:
        dialog.text.setPlainText("Stopped warfarin in 2024")
        dialog.ok.click()

    opened = when_dialog_opens(QDialog, give_reason)
    tab.save_button.click()
    assert opened
    assert tab.history.count() == 2
    assert "v2" in tab.history.itemText(0) and "amended later" in tab.history.itemText(1)
    tab.history.setCurrentIndex(1)
    tab.history.activated.emit(1)
    assert tab.questionnaire.answers_by_item["anticoagulants"].widget.isChecked()
    assert "amended later" in tab.status.text()
    assert not tab.amend_button.isEnabled()


def test_signoff_and_override_by_the_practitioner(
    qtbot, window: MainWindow, services: Services
) -> None:
    tab = tab_of(window)
    _save_with(tab, {"blood_disorder": True, "peel_last": date(2026, 11, 20)})
    practitioner = next(m for m in services.clinic.staff() if m.name == "Dr Amara Okafor")
    services.clinic.sign_in(practitioner.id)

    def sign(dialog: SignOffDialog) -> None:
        dialog.treatment.setCurrentIndex(dialog.treatment.findData("exosome_scalp"))
        dialog.text.setPlainText("Haematologist letter seen")
        dialog.buttons.accepted.emit()

    assert when_dialog_opens(SignOffDialog, sign) is not None
    tab.signoff_button.click()
    card = tab.verdicts.cards["exosome_scalp"]
    assert "Sign-off: Cleared" in card.body.text()
    assert "Dr Amara Okafor" in card.body.text()

    def fill(dialog: OverrideDialog) -> None:
        assert "reason" in dialog.error.text().lower()  # the refusal is shown inline
        dialog.treatment.setCurrentIndex(dialog.treatment.findData("exosome_face"))
        dialog.text.setPlainText("Enzyme peel only; skin intact")
        dialog.buttons.accepted.emit()

    def refuse_first(dialog: OverrideDialog) -> None:
        # No reason yet: the service refuses and the same dialog opens again with the problem.
        when_dialog_opens(OverrideDialog, fill)
        dialog.buttons.accepted.emit()

    when_dialog_opens(OverrideDialog, refuse_first)
    tab.override_button.click()
    face = tab.verdicts.cards["exosome_face"]
    assert "OVERRIDDEN" in face.body.text() and "#b00020" in face.body.text()
    gate = services.screening.clearance(window.current.patient.id, "exosome_face")
    assert gate.overridden


def test_consent_is_signed_in_the_dialog(qtbot, window: MainWindow, services: Services) -> None:
    tab = tab_of(window)
    _save_with(tab, {})
    assert tab.consent_button.isEnabled()

    def sign(dialog: ConsentDialog) -> None:
        assert "Consent to treatment" in dialog.text.toPlainText()
        dialog.name.setText("Olivia Smith")
        pad = dialog.pad
        qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPoint(40, 60))
        for x in range(40, 300, 10):
            qtbot.mouseMove(pad, QPoint(x, 60 + (x % 30)))
        qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(300, 70))
        dialog.save_button.click()

    opened = when_dialog_opens(ConsentDialog, sign)
    tab.consent_button.click()
    assert opened
    record = services.screening.current(window.current.patient.id)
    assert record.consent is not None and record.consent.signed_name == "Olivia Smith"
    assert record.consent.signature_png.startswith(b"\x89PNG")
    assert "consent signed" in tab.status.text()
    assert not tab.consent_button.isEnabled()


def test_print_to_pdf_holds_verdicts_and_reasons(
    qtbot, window: MainWindow, services: Services, tmp_path: Path
) -> None:
    tab = tab_of(window)
    _save_with(tab, {"retinoid_last_use": date(2026, 11, 19), "anticoagulants": True})
    out = tmp_path / "printed.pdf"

    def print_it(dialog: PdfPreviewDialog) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(out))
        dialog.print_to(printer)
        dialog.reject()

    when_dialog_opens(PdfPreviewDialog, print_it)
    tab.print_button.click()
    text = "\n".join(page.extract_text() for page in PdfReader(out).pages)
    flat = " ".join(text.split())
    assert "Olivia Smith" in flat
    assert "Exosome facial" in flat
    assert "Thu 26 Nov 2026" in flat
    assert "retinoid" in flat.lower()
    assert "blood thinner" in flat.lower()
    audit = services.ctx.db.execute("SELECT count(*) FROM audit_log WHERE action='print'")
    assert audit.fetchone()[0] == 1


def test_no_patient_means_nothing_to_do(qtbot, services: Services, uk_locale) -> None:
    win = MainWindow(services, day_first=True)
    qtbot.addWidget(win)
    tab = tab_of(win)
    assert "Choose a patient" in tab.status.text()
    assert not tab.save_button.isEnabled()


def test_lapsed_screening_is_said_in_red(
    qtbot, window: MainWindow, services: Services, clock
) -> None:
    tab = tab_of(window)
    _save_with(tab, {})
    clock.advance(days=31)
    tab.load_patient(window.current.patient)
    assert "LAPSED" in tab.status.text()
    assert "8a1c1c" in tab.status.styleSheet()
    assert not services.screening.clearance(window.current.patient.id, "prp").allowed


def test_screening_widgets_are_named(window: MainWindow) -> None:
    assert unnamed_widgets(tab_of(window)) == []


def test_date_answers_take_today_minus_days(qtbot, window: MainWindow) -> None:
    field = tab_of(window).questionnaire.answers_by_item["sun_exposure_last"].widget
    field.set_value(date(2026, 11, 22) - timedelta(days=1))
    assert field.value() == (date(2026, 11, 21), None)
    field.never.click()
    assert field.value() == (None, None)


def test_clinic_tightens_a_rule_and_edits_consent(qtbot, window: MainWindow, services) -> None:
    from exodesk.ui.dialogs.settings_window import SCREENING, SettingsWindow

    settings = SettingsWindow(window, services, page=SCREENING)
    qtbot.addWidget(settings)
    dialog = settings.pages[SCREENING]
    combo = dialog._outcomes["cancer_history"]
    assert combo.findData("precautions") == -1, "a looser verdict is never offered"
    combo.setCurrentIndex(combo.findData("decline"))
    dialog._windows["retinoids"].setValue(10)
    assert dialog._windows["retinoids"].minimum() == 7, "a shorter wait is never offered"
    dialog.consent.setPlainText("Our own consent wording.")
    assert dialog.save()
    table = services.screening.rules()
    assert table.version.startswith("2026.2+clinic.")
    assert {e.outcome for e in table.rule("cancer_history").effects} == {"decline"}
    assert table.rule("retinoids").window == ("days", 10)
    assert services.screening.consent_text() == (2, "Our own consent wording.")
    reopened = SettingsWindow(window, services, page=SCREENING)
    qtbot.addWidget(reopened)
    again = reopened.pages[SCREENING]
    assert again._outcomes["cancer_history"].currentData() == "decline"
    again.restore_rules()
    assert again.save()
    assert services.screening.rules().version == "2026.2"
    assert unnamed_widgets(reopened) == []


# ---- one rule in one place: the tab shows what the domain decides -------------------------


def test_a_long_answer_is_refused_in_the_domains_words_even_on_save(
    qtbot, window: MainWindow, services: Services
) -> None:
    tab = tab_of(window)
    form = tab.questionnaire
    form.answers_by_item["peel_last"].focus.setText("31/02/2026")  # cannot be read
    form.answers_by_item["medications"].widget.setPlainText("x" * 5000)
    settle(qtbot, tab)
    [expected] = check_text_answers({"medications": "x" * 5000}, services.screening.rules())
    assert form.errors["medications"].text() == expected.message
    tab.save_button.click()  # refused for the date; the length problem stays in view
    assert form.errors["medications"].text() == expected.message
    assert "no day 31" in form.errors["peel_last"].text()
    assert services.screening.current(window.current.patient.id) is None


def _offered(button, dialog_type, open_: tuple[str, ...]) -> list[str] | None:
    """The treatments a decision dialog offers (None: the button is disabled)."""
    # The button is enabled exactly when the domain opens a treatment; checked before the
    # click, since a click with nothing open shows a message box.
    assert button.isEnabled() is bool(open_)
    if not button.isEnabled():
        return None
    offered: list[str] = []

    def read(dialog) -> None:
        offered.extend(dialog.treatment.itemData(i) for i in range(dialog.treatment.count()))
        dialog.reject()

    when_dialog_opens(dialog_type, read)
    button.click()
    return offered


def test_decision_buttons_offer_exactly_what_the_domain_opens(
    qtbot, window: MainWindow, services: Services
) -> None:
    tab = tab_of(window)
    _save_with(tab, {"blood_disorder": True, "keloid_history": True})
    practitioner = next(m for m in services.clinic.staff() if m.name == "Dr Amara Okafor")
    services.clinic.sign_in(practitioner.id)
    record = tab._record
    # Reviews only, none signed off: a sign-off is open, an override is not yet (the
    # button used to be enabled here and then said "Nothing here can be overridden").
    assert open_to_override(record) == ()
    assert len(open_to_sign_off(record)) > 1
    signing = _offered(tab.signoff_button, SignOffDialog, open_to_sign_off(record))
    assert signing == list(open_to_sign_off(record))
    assert _offered(tab.override_button, OverrideDialog, open_to_override(record)) is None
    tab._saved(services.screening.sign_off(record.id, "prp", "not_cleared", "Platelets low"))
    record = tab._record
    assert open_to_override(record) == ("prp",)
    assert _offered(tab.override_button, OverrideDialog, open_to_override(record)) == ["prp"]
    signing = _offered(tab.signoff_button, SignOffDialog, open_to_sign_off(record))
    assert signing == list(open_to_sign_off(record))


def test_cards_show_the_vocabulary_the_summary_prints(
    qtbot, window: MainWindow, services: Services
) -> None:
    tab = tab_of(window)
    _save_with(tab, {"blood_disorder": True, "peel_last": date(2026, 11, 20)})
    practitioner = next(m for m in services.clinic.staff() if m.name == "Dr Amara Okafor")
    services.clinic.sign_in(practitioner.id)
    record = tab._record
    tab._saved(services.screening.sign_off(record.id, "exosome_scalp", "not_cleared", "Keloid"))
    tab._saved(services.screening.override(tab._record.id, "exosome_face", "Peel only <ok>"))
    record = tab._record
    table = services.screening.rules()
    for treatment in table.treatment_ids:
        card = tab.verdicts.cards[treatment]
        look = verdict_look(record.result.verdict_for(treatment))
        assert card.badge.text().startswith(f"{look.symbol}  ")
        assert look.colour in card.badge.styleSheet() and look.background in card.styleSheet()
    summary = services.screening.summary(record.id)
    face = QTextDocument()
    face.setHtml(tab.verdicts.cards["exosome_face"].body.text())
    scalp = QTextDocument()
    scalp.setHtml(tab.verdicts.cards["exosome_scalp"].body.text())
    override = override_words(record.overrides[0], table)
    signoff = signoff_words(record.signoffs[0])
    # The same sentence after the card's own lead-in as after the treatment on paper.
    assert f"{override.lead.upper()} {override.rest}" in face.toPlainText()
    assert summary.overrides == (f"Exosome facial: {override.sentence}",)
    assert f"Sign-off: {signoff.sentence}" in scalp.toPlainText()
    assert summary.signoffs == (f"Exosome scalp treatment: {signoff.sentence}",)


def test_a_card_shows_every_deferral_with_its_date_or_condition(window: MainWindow) -> None:
    from exodesk.domain.screening import evaluate

    tab = tab_of(window)
    result = evaluate(
        {
            "pregnant": True,
            "active_infection": True,
            "active_infection_area": "scalp",
            "isotretinoin_last_dose": date(2026, 9, 22),
        },
        today=date(2026, 11, 22),
    )
    tab.verdicts.show_result(result)
    prp = tab.verdicts.cards["prp"].body.text()
    assert "Not until the infection has cleared, and not before Mon 22 Mar 2027" in prp
    assert "(until the infection has cleared)" in prp
    assert "(can go ahead from Mon 22 Mar 2027)" in prp
    assert "pregnant" in prp, "the review reason is listed too"
