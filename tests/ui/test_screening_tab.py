"""The Intake screening tab driven as reception and the practitioner would."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QTextDocument, QWheelEvent
from PySide6.QtWidgets import QApplication, QDialog

from exodesk.domain.intake import check_text_answers, open_to_override, open_to_sign_off
from exodesk.domain.patient import Patient
from exodesk.domain.screening import NEVER, unanswered
from exodesk.domain.screening_vocabulary import (
    UNANSWERED_FIELD,
    not_recorded_text,
    override_words,
    signoff_words,
    unanswered_text,
    verdict_look,
)
from exodesk.domain.staff import StaffMember
from exodesk.services.demo import seat
from exodesk.services.workspace import Services
from exodesk.ui.main_window import MainWindow
from exodesk.ui.screening.consent import ConsentDialog
from exodesk.ui.screening.decisions import OverrideDialog, SignOffDialog
from exodesk.ui.screening.tab import ScreeningTab
from exodesk.ui.screening.verdicts import CARD_NAMES
from tests.answers import answered
from tests.bundled import bundled_rules
from tests.ui.dialogs import when_dialog_opens
from tests.ui.previews import print_to, through_the_preview
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


def answer_by_keyboard(qtbot, form, start, item_id: str, value) -> object:
    """Tab from ``start`` to the control that gives ``value`` and give it from the keyboard:
    Space on Yes, No, Never or None of these, a date typed, a choice by the arrow key.
    Returns the control, where the next walk starts."""
    control = form.answers_by_item[item_id].widget
    if isinstance(value, date):
        target = control.edit
    elif value is NEVER:
        target = control.never
    elif value is True:
        target = control.yes
    elif value is False:
        target = control.no
    elif value == frozenset():
        target = control.none
    else:
        target = control
    press_tab_until(qtbot, start, target)
    if isinstance(value, date):
        qtbot.keyClicks(target, value.strftime("%d/%m/%Y"))
    elif isinstance(value, str):
        while target.currentData() != value:
            qtbot.keyClick(target, Qt.Key.Key_Down)
    else:
        qtbot.keyClick(target, Qt.Key.Key_Space)
    return target


def test_keyboard_only_screening_updates_the_panel_and_saves(
    qtbot, window: MainWindow, services: Services
) -> None:
    tab = tab_of(window)
    form = tab.questionnaire
    assert "New screening for Olivia Smith" in tab.status.text()
    wanted = answered({"retinoid_last_use": date(2026, 11, 19), "anticoagulants": True})
    at = form.answers_by_item["pregnant"].focus
    # Every question in questionnaire order, from the keyboard alone, the Tab key between.
    for item_id in form.answers_by_item:
        if item_id in wanted:
            at = answer_by_keyboard(qtbot, form, at, item_id, wanted[item_id])
    settle(qtbot, tab)
    face = tab.verdicts.cards["exosome_face"]
    assert "NOT YET" in face.badge.text()
    assert "Can go ahead from Thu 26 Nov 2026" in face.body.text()
    scalp = tab.verdicts.cards["exosome_scalp"]
    assert "PRECAUTIONS" in scalp.badge.text().upper()
    assert "For the practitioner" in scalp.body.text()
    qtbot.keyClick(at, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    record = services.screening.current(window.current.patient.id)
    assert record is not None
    assert record.answers == wanted
    assert "Screening v1" in tab.status.text()
    blood_thinner = form.answers_by_item["anticoagulants"].widget
    assert blood_thinner.yes.isChecked() and not blood_thinner.yes.isEnabled()  # read-only now


def test_follow_up_question_appears_and_is_cleared(qtbot, window: MainWindow) -> None:
    form = tab_of(window).questionnaire
    infection = form.answers_by_item["active_infection"].widget
    area = form.answers_by_item["active_infection_area"]
    assert not area.widget.isVisibleTo(form)
    infection.yes.click()
    assert area.widget.isVisibleTo(form)
    asked = unanswered(tab_of(window)._screening.rules(), form.answers()[0])
    assert "active_infection_area" in [i.id for i in asked], "asked, so it needs an answer"
    area.widget.setCurrentIndex(area.widget.findData("face"))
    infection.no.click()
    assert not area.widget.isVisibleTo(form)
    assert "active_infection_area" not in form.answers()[0]
    asked = unanswered(tab_of(window)._screening.rules(), form.answers()[0])
    assert "active_infection_area" not in [i.id for i in asked], "not asked, not needed"


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
    """Save ``answers``, and no / never / none of these to every other question."""
    tab.questionnaire.set_answers(answered(answers))
    tab.update_preview()
    tab.save_button.click()


def test_amend_keeps_history(qtbot, window: MainWindow, services: Services) -> None:
    tab = tab_of(window)
    _save_with(tab, {"anticoagulants": True})
    qtbot.keyClick(tab.amend_button, Qt.Key.Key_Space)
    blood_thinner = tab.questionnaire.answers_by_item["anticoagulants"].widget
    assert blood_thinner.yes.isEnabled() and blood_thinner.yes.isChecked()
    blood_thinner.no.click()

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
    assert tab.questionnaire.answers_by_item["anticoagulants"].widget.yes.isChecked()
    assert "amended later" in tab.status.text()
    assert not tab.amend_button.isEnabled()


def test_signoff_and_override_by_the_practitioner(
    qtbot, window: MainWindow, services: Services
) -> None:
    tab = tab_of(window)
    _save_with(tab, {"blood_disorder": True, "peel_last": date(2026, 11, 20)})
    practitioner = next(m for m in services.clinic.staff() if m.name == "Dr Amara Okafor")
    seat(services, practitioner.id)

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
    through_the_preview(qtbot, tab.print_button.click, print_to(out))
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
    # No patient, no verdicts: the panel says what to do and shows no card at all.
    assert not any(card.isVisibleTo(tab) for card in tab.verdicts.cards.values())
    assert tab.verdicts.note.text() == "Choose a patient on the Patients tab first."


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
    assert field.answer() == (None, None), "neither a date nor Never: not answered"
    field.set_value(date(2026, 11, 22) - timedelta(days=1))
    assert field.answer() == (date(2026, 11, 21), None)
    field.never.click()
    assert field.answer() == (NEVER, None) and field.edit.text() == ""
    qtbot.keyClicks(field.edit, "20/11/2026")
    assert field.answer() == (date(2026, 11, 20), None) and not field.never.isChecked()


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
    seat(services, practitioner.id)
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
    seat(services, practitioner.id)
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
        rules=bundled_rules(),
    )
    tab.verdicts.show_result(result)
    prp = tab.verdicts.cards["prp"].body.text()
    assert "Not until the infection has cleared, and not before Mon 22 Mar 2027" in prp
    assert "(until the infection has cleared)" in prp
    assert "(can go ahead from Mon 22 Mar 2027)" in prp
    assert "pregnant" in prp, "the review reason is listed too"


# ---- no silent "go ahead": every question needs an explicit answer ------------------------


def _missing(services: Services, answers: dict) -> tuple:
    return unanswered(services.screening.rules(), answers)


def test_a_blank_screening_says_no_go_ahead_and_lists_what_is_missing(
    qtbot, window: MainWindow, services: Services
) -> None:
    tab = tab_of(window)
    settle(qtbot, tab)
    missing = _missing(services, {})
    assert missing[:2] == (
        services.screening.rules().item("pregnant"),
        services.screening.rules().item("breastfeeding"),
    )
    go_ahead = verdict_look("proceed")
    for card in tab.verdicts.cards.values():
        assert card.isVisibleTo(tab)
        assert "GO AHEAD" not in card.badge.text() and go_ahead.symbol not in card.badge.text()
        assert go_ahead.colour not in card.styleSheet() + card.badge.styleSheet()
        assert "NO VERDICT YET" in card.badge.text()
        assert card.body.text() == unanswered_text(missing, limit=CARD_NAMES)
        assert card.body.text().startswith("Not answered yet: Pregnant or trying to conceive")
        assert unanswered_text(missing) in card.toolTip(), "the tooltip names every question"
    # Nothing is pre-answered: no Yes/No chosen, no Never, no None of these, no choice.
    assert tab.questionnaire.answers()[0] == {}


def test_save_refuses_with_the_list_and_marks_each_question(
    qtbot, window: MainWindow, services: Services
) -> None:
    tab = tab_of(window)
    form = tab.questionnaire
    form.answers_by_item["pregnant"].widget.no.click()
    form.answers_by_item["sun_exposure_last"].widget.never.click()
    settle(qtbot, tab)
    assert not tab.problem.isVisibleTo(tab), "a blank question is no problem until Save"
    tab.save_button.click()
    assert services.screening.current(window.current.patient.id) is None
    missing = _missing(services, form.answers()[0])
    assert "pregnant" not in [i.id for i in missing]
    # The same sentence beside Save as on every card, and the whole list in its tooltip.
    card = tab.verdicts.cards["prp"]
    assert tab.problem.isVisibleTo(tab)
    assert tab.problem.text() == card.body.text() == unanswered_text(missing, limit=CARD_NAMES)
    assert tab.problem.toolTip() == unanswered_text(missing)
    # The service, called directly with the same answers, refuses with the same list.
    direct = services.screening.save(window.current.patient.id, form.answers()[0])
    assert [p.message for p in direct.problems if p.field == UNANSWERED_FIELD] == [
        tab.problem.toolTip()
    ]
    assert tab.problem.text().startswith("Not answered yet: Breastfeeding, Active skin")
    assert form.errors["breastfeeding"].text() == "Choose Yes or No."
    assert form.errors["isotretinoin_last_dose"].text() == "Give the date, or tick Never."
    assert form.errors["chronic_skin_condition"].text().endswith("or None of these.")
    assert form.errors["pregnant"].text() == "" and form.errors["medications"].text() == ""
    assert QApplication.focusWidget() is form.answers_by_item["breastfeeding"].focus
    # Answering one takes it off the list at once; Ctrl+P while editing refuses the same way.
    form.answers_by_item["breastfeeding"].widget.no.click()
    settle(qtbot, tab)
    assert form.errors["breastfeeding"].text() == ""
    assert "Breastfeeding" not in tab.problem.toolTip()
    tab.print_summary()
    assert tab.problem.text() == card.body.text() and tab.problem.isVisibleTo(tab)


def test_answering_every_question_lets_save_save_and_the_cards_judge(
    qtbot, window: MainWindow, services: Services
) -> None:
    tab = tab_of(window)
    form = tab.questionnaire
    tab.save_button.click()  # refused first
    assert tab.problem.isVisibleTo(tab)
    for item_id, value in answered().items():
        control = form.answers_by_item[item_id].widget
        if value is False:
            control.no.click()
        elif value is NEVER:
            control.never.click()
        elif value == frozenset():
            control.none.click()
        else:
            control.setCurrentIndex(control.findData(value))
    settle(qtbot, tab)
    assert not tab.problem.isVisibleTo(tab)
    assert all(not label.text() for label in form.errors.values())
    for card in tab.verdicts.cards.values():
        assert "GO AHEAD" in card.badge.text()
        assert card.body.text() == "Nothing in the answers stands in the way."
    assert tab.save_button.isEnabled()
    tab.save_button.click()
    record = services.screening.current(window.current.patient.id)
    assert record is not None and record.answers == answered()


def test_amending_fills_in_the_explicit_answers(
    qtbot, window: MainWindow, services: Services
) -> None:
    tab = tab_of(window)
    _save_with(tab, {"anticoagulants": True, "bleeding_supplements": frozenset({"ginkgo"})})
    tab.amend_button.click()
    form = tab.questionnaire
    assert form.answers()[0] == tab._record.answers
    pregnant = form.answers_by_item["pregnant"].widget
    assert pregnant.no.isChecked() and not pregnant.yes.isChecked() and pregnant.no.isEnabled()
    assert form.answers_by_item["laser_last"].widget.never.isChecked()
    assert form.answers_by_item["chronic_skin_condition"].widget.none.isChecked()
    supplements = form.answers_by_item["bleeding_supplements"].widget
    assert [b.isChecked() for b in supplements.boxes] == [False, True, False]
    assert not supplements.none.isChecked()
    assert form.answers_by_item["autoimmune"].widget.currentData() == "none"
    settle(qtbot, tab)
    assert "PRECAUTIONS" in tab.verdicts.cards["prp"].badge.text()


def test_an_old_screening_with_unticked_boxes_shows_them_unanswered(
    qtbot, window: MainWindow, services: Services
) -> None:
    tab = tab_of(window)
    _save_with(tab, {"anticoagulants": True})
    record = tab._record
    # Saved as the app did before every question needed an answer: "yes" and dates only.
    services.ctx.db.execute(
        "DELETE FROM screening_answers WHERE screening_id = ? AND value IN ('no', 'never', 'none')",
        [record.id],
    )
    tab.load_patient(window.current.patient)
    old = tab._record
    assert old.answers == {"anticoagulants": True}
    assert "PRECAUTIONS" in tab.verdicts.cards["prp"].badge.text(), "the verdict as judged"
    missing = _missing(services, old.answers)
    assert tab.verdicts.note.text() == not_recorded_text(missing, limit=CARD_NAMES)
    assert tab.verdicts.note.toolTip() == not_recorded_text(missing)
    assert tab.verdicts.note.text().startswith(
        "Saved before every question needed an answer: nothing is recorded for Pregnant"
    )
    pregnant = tab.questionnaire.answers_by_item["pregnant"].widget
    assert not pregnant.yes.isChecked() and not pregnant.no.isChecked()
    tab.amend_button.click()
    settle(qtbot, tab)
    assert "NO VERDICT YET" in tab.verdicts.cards["prp"].badge.text()
    assert (
        tab.verdicts.cards["prp"]
        .body.text()
        .startswith("Not answered yet: Pregnant or trying to conceive")
    )


def test_the_wheel_changes_a_choice_only_once_it_has_focus(qtbot, window: MainWindow) -> None:
    form = tab_of(window).questionnaire
    combo = form.answers_by_item["autoimmune"].widget
    assert combo.focusPolicy() == Qt.FocusPolicy.StrongFocus, "the wheel gives it no focus"

    def wheel() -> None:
        centre = QPointF(combo.rect().center())
        event = QWheelEvent(
            centre,
            QPointF(combo.mapToGlobal(combo.rect().center())),
            QPoint(0, 0),
            QPoint(0, -120),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(combo, event)

    form.answers_by_item["pregnant"].focus.setFocus()
    wheel()
    assert combo.currentData() is None, "scrolling past it left it unanswered"
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    wheel()
    assert combo.currentData() is not None


def test_every_answer_control_is_named_and_in_the_tab_order(qtbot, window: MainWindow) -> None:
    form = tab_of(window).questionnaire
    form.answers_by_item["active_infection"].widget.yes.click()  # shows the follow-up too
    controls = [w for a in form.answers_by_item.values() for w in a.widget.tab_chain]
    assert unnamed_widgets(form) == []
    for control in controls:
        assert control.objectName().startswith("answer_") and control.accessibleName()
    seen = []
    controls[0].setFocus()
    for _ in range(len(controls) * 2):
        seen.append(QApplication.focusWidget())
        if seen[-1] is controls[-1]:
            break
        qtbot.keyClick(seen[-1], Qt.Key.Key_Tab)
    assert [w for w in seen if w in controls] == controls, "Tab visits each, in order"
