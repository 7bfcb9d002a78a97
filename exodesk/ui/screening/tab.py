"""ScreeningTab: the intake questionnaire, the live verdicts, and what follows a saved screening."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.dates import format_long, format_stamp
from exodesk.domain.intake import ScreeningRecord, open_to_override, open_to_sign_off
from exodesk.domain.patient import Patient
from exodesk.domain.problems import Problem
from exodesk.domain.screening import Item, unanswered
from exodesk.domain.screening_vocabulary import (
    UNANSWERED_FIELD,
    not_recorded_text,
    unanswered_problems,
    unanswered_text,
)
from exodesk.errors import UserError
from exodesk.services.allergies import SCREENING_ITEM, AllergyService
from exodesk.services.context import PATIENTS, SETTINGS, Changes, SaveResult
from exodesk.services.screening import SCREENINGS, Preview, ScreeningService
from exodesk.ui import tips
from exodesk.ui.common import error_label, named
from exodesk.ui.current import CurrentPatient
from exodesk.ui.dialogs.reason import ReasonDialog
from exodesk.ui.errors import show_user_error
from exodesk.ui.look import WARNING, ink_style
from exodesk.ui.printing import preview_job
from exodesk.ui.screening.allergies import ScreeningAllergiesDialog
from exodesk.ui.screening.consent import ConsentDialog
from exodesk.ui.screening.decisions import OverrideDialog, SignOffDialog
from exodesk.ui.screening.questionnaire import QuestionnaireForm
from exodesk.ui.screening.verdicts import CARD_NAMES, VERDICT_MIN_WIDTH, VerdictPanel
from exodesk.ui.widgets import NoWheelComboBox

PREVIEW_DELAY_MS = 150

VIEW, NEW, AMEND = "view", "new", "amend"


class ScreeningTab(QWidget):
    """Take, review and amend the current patient's intake screening."""

    data_changed = Signal(object)  # Changes

    def __init__(
        self,
        screening: ScreeningService,
        current: CurrentPatient,
        *,
        day_first: bool,
        allergies: AllergyService | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("screeningTab")
        self._screening = screening
        self._allergies = allergies  # a "yes" to a product allergy asks what (see _store)
        self._current = current
        self._record: ScreeningRecord | None = None
        self._mode = VIEW
        # Once Save (or Print) was refused, every unanswered question stays marked until it
        # is answered; before that, a blank question is not yet a problem.
        self._refused = False
        table = screening.rules()
        today = screening.today

        self.status = QLabel()
        self.status.setObjectName("screeningStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.history = named(
            NoWheelComboBox(),
            "screeningHistory",
            "Screening versions",
            "Earlier versions stay as they were; choose one to see it.",
        )
        self.history.setMinimumContentsLength(28)
        self.new_button = named(
            QPushButton("&New screening"),
            "newScreening",
            "New screening",
            tips.NEW_SCREENING_BUTTON,
        )
        self.amend_button = named(
            QPushButton("A&mend…"),
            "amendScreening",
            "Amend screening",
            "Correct the answers; the earlier version is kept",
        )
        self.save_button = named(
            QPushButton("&Save screening"), "saveScreening", "Save screening", "Save (Ctrl+S)"
        )
        self.cancel_button = named(QPushButton("Cancel"), "cancelScreening", "Cancel", "Esc")
        self.signoff_button = named(
            QPushButton("Si&gn off…"),
            "signOffScreening",
            "Practitioner sign-off",
            tips.SIGN_OFF_BUTTON,
        )
        self.override_button = named(
            QPushButton("Overri&de…"),
            "overrideScreening",
            "Override a verdict",
            tips.OVERRIDE_BUTTON,
        )
        self.consent_button = named(
            QPushButton("C&onsent…"),
            "consentScreening",
            "Take the patient's consent",
            tips.CONSENT_BUTTON,
        )
        self.print_button = named(
            QPushButton("Print or sa&ve…"),
            "printScreening",
            "Print or save the screening summary",
            "Ctrl+P",
        )

        # Why Save or Print was refused: the cards' sentence, beside the buttons.
        self.problem = error_label("screeningProblem")
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        self.questionnaire = QuestionnaireForm(table, day_first=day_first, today=today)
        self.verdicts = VerdictPanel(table)
        left = QScrollArea()
        left.setObjectName("questionnaireScroll")
        left.setWidgetResizable(True)
        left.setWidget(self.questionnaire)
        left.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        right = QScrollArea()
        right.setObjectName("verdictScroll")
        right.setWidgetResizable(True)
        right.setWidget(self.verdicts)
        right.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        # The cards wrap down to VERDICT_MIN_WIDTH and the splitter stops there: narrower, the
        # panel cut its own words behind a sideways scroll bar (issue #18).
        right.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        right.setMinimumWidth(VERDICT_MIN_WIDTH)
        self.verdict_splitter = splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setChildrenCollapsible(False)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)

        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        top.addWidget(QLabel("Version:"))
        top.addWidget(self.history)
        actions = QHBoxLayout()
        for button in (
            self.new_button,
            self.amend_button,
            self.signoff_button,
            self.override_button,
            self.consent_button,
            self.print_button,
        ):
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(self.problem, 4)
        actions.addWidget(self.cancel_button)
        actions.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addLayout(actions)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.update_preview)
        self.questionnaire.answers_changed.connect(self._answers_changed)
        self.history.activated.connect(self._show_version)
        self.new_button.clicked.connect(self.start_new)
        self.amend_button.clicked.connect(self.start_amend)
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.cancel)
        self.signoff_button.clicked.connect(self.sign_off)
        self.override_button.clicked.connect(self.override)
        self.consent_button.clicked.connect(self.take_consent)
        self.print_button.clicked.connect(self.print_summary)
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        QShortcut(QKeySequence.StandardKey.Save, self, self._save_if_editing, context=context)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self._cancel_if_editing, context=context)
        QShortcut(QKeySequence.StandardKey.Print, self, self.print_summary, context=context)
        current.changed.connect(self.load_patient)
        self.load_patient(current.patient)

    def hideEvent(self, event: QHideEvent) -> None:
        # A pending debounce must not fire into a closed window (or a closed data file).
        self._timer.stop()
        super().hideEvent(event)

    # ---- loading -------------------------------------------------------------------------
    @property
    def patient(self) -> Patient | None:
        return self._current.patient

    def load_patient(self, patient: Patient | None) -> None:
        """Show the patient's current screening, or an empty questionnaire if there is none."""
        self._record = None
        if patient is not None and patient.id is not None:
            try:
                self._record = self._screening.current(patient.id)
            except UserError as exc:
                show_user_error(self, exc)
        self._fill_history()
        if self._record is not None:
            self._show_record(self._record)
        else:
            self._enter(NEW, {})

    def _fill_history(self) -> None:
        self.history.clear()
        patient = self.patient
        if patient is None or patient.id is None:
            return
        for entry in self._screening.history(patient.id):
            when = format_stamp(datetime.fromisoformat(entry.taken_at))
            note = " (amended later)" if entry.superseded else ""
            self.history.addItem(f"v{entry.version} · {when} · {entry.taken_by}{note}", entry.id)

    def _show_version(self, index: int) -> None:
        screening_id = self.history.itemData(index)
        if screening_id is not None:
            try:
                self._show_record(self._screening.get(int(screening_id)))
            except UserError as exc:
                show_user_error(self, exc)

    def _show_record(self, record: ScreeningRecord) -> None:
        self._record = record
        self._mode = VIEW
        self._refused = False
        self._show_refusal("")
        self.history.setCurrentIndex(max(0, self.history.findData(record.id)))
        self.questionnaire.show_problems([])
        self.questionnaire.set_answers(record.answers)
        self._timer.stop()
        self.questionnaire.set_read_only(True)
        self.verdicts.show_problem("")
        self.verdicts.show_result(record.result, record)
        # Saved before every question needed an answer: say so, as the printed summary does.
        missing = unanswered(self._screening.rules(), record.answers)
        self.verdicts.show_note(
            not_recorded_text(missing, limit=CARD_NAMES), not_recorded_text(missing)
        )
        self._update()

    def _enter(self, mode: str, answers: dict) -> None:
        self._mode = mode
        self._refused = False
        self._show_refusal("")
        self.questionnaire.show_problems([])
        self.questionnaire.set_answers(answers)
        self.questionnaire.set_read_only(self.patient is None)
        self._update()
        self.update_preview()

    # ---- state shown -----------------------------------------------------------------------
    def _update(self) -> None:
        patient, record, editing = self.patient, self._record, self._mode != VIEW
        has_patient = patient is not None
        viewing_current = record is not None and not record.superseded and not editing
        self.save_button.setVisible(editing)
        self.cancel_button.setVisible(editing and record is not None)
        self.save_button.setEnabled(has_patient)
        self.new_button.setEnabled(has_patient and not editing)
        self.amend_button.setEnabled(viewing_current)
        # The same rule the service applies when the decision is saved (domain.intake).
        self.signoff_button.setEnabled(viewing_current and bool(self._open_to(open_to_sign_off)))
        self.override_button.setEnabled(viewing_current and bool(self._open_to(open_to_override)))
        self.consent_button.setEnabled(viewing_current and record.consent is None)  # type: ignore[union-attr]
        self.print_button.setEnabled(record is not None and not editing)
        self.history.setEnabled(not editing and self.history.count() > 0)
        self.status.setText(self._status_text())
        lapsed = self._lapsed()
        self.status.setStyleSheet(ink_style(WARNING) if lapsed else "")
        self.status.setToolTip(tips.SCREENING_LAPSED if lapsed else "")

    def _lapsed(self) -> bool:
        record = self._record
        if record is None or self._mode != VIEW:
            return False
        valid_until = record.valid_until(self._screening.valid_days())
        return self._screening.today() >= valid_until

    def _status_text(self) -> str:
        if self.patient is None:
            return "Choose a patient on the Patients tab first."
        if self._mode == NEW:
            return (
                f"New screening for {self.patient.full_name}: answer with the patient, "
                "check the verdicts, then save."
            )
        record = self._record
        assert record is not None
        if self._mode == AMEND:
            return f"Amending version {record.version}: the earlier version is kept as it was."
        valid_until = record.valid_until(self._screening.valid_days())
        bits = [
            f"Screening v{record.version} of {format_long(record.taken_on)} by {record.taken_by}"
        ]
        if record.superseded:
            bits.append("amended later — read only")
        elif self._lapsed():
            bits.append(f"LAPSED on {format_long(valid_until)}: take a new screening")
        else:
            bits.append(f"valid until {format_long(valid_until)}")
        bits.append("consent signed" if record.consent else "consent not yet signed")
        return " · ".join(bits)

    # ---- editing ---------------------------------------------------------------------------
    def _answers_changed(self) -> None:
        if self._mode != VIEW:
            self._timer.start()

    def update_preview(self) -> None:
        """Judge the answers as typed and show the verdicts (nothing is saved).

        No verdict until every question has an answer: the cards say which are missing.
        """
        self._refresh()

    def _refresh(self) -> tuple[list[Problem], tuple[Item, ...]]:
        """``update_preview``, returning the problems and the unanswered questions shown."""
        self._timer.stop()
        if self._mode == VIEW:
            return [], ()
        if self.patient is None:
            self.verdicts.show_no_patient()
            return [], ()
        preview, problems, missing = self._judge()
        shown = list(problems)
        if self._refused:
            # After a refused Save: every unanswered question marked, the list by the button.
            shown += [p for p in unanswered_problems(missing) if p.field != UNANSWERED_FIELD]
            self._show_refusal(unanswered_text(missing, limit=CARD_NAMES), unanswered_text(missing))
        self.questionnaire.show_problems(shown)
        if problems:
            self.verdicts.show_problem("fix the answers marked in red")
        else:
            self.verdicts.show_problem("")
        if missing:
            self.verdicts.show_unanswered(missing)
        else:
            self.verdicts.show_result(preview.result)
        return problems, missing

    def _judge(self) -> tuple[Preview, list[Problem], tuple[Item, ...]]:
        """The service's judgement of the answers as typed; every problem to show (what the
        form could not read, a date, then what the rules refuse); the unanswered questions
        (``domain.screening.unanswered``; a date that cannot be read has its own problem)."""
        answers, reading = self.questionnaire.answers()
        patient = self.patient
        dob = patient.date_of_birth if patient else None
        preview = self._screening.preview(answers, dob)
        read = {r.field for r in reading}
        problems = reading + [p for p in preview.problems if p.field not in read]
        missing = tuple(item for item in preview.unanswered if item.id not in read)
        return preview, problems, missing

    def _show_refusal(self, text: str, full: str = "") -> None:
        """The sentence beside Save and Print (hidden when empty); the full list as a tip."""
        self.problem.setText(text)
        self.problem.setToolTip(full or text)
        self.problem.setAccessibleName(full or text)
        self.problem.setVisible(bool(text))

    def _refuse(self, extra: str = "") -> bool:
        """Refuse Save or Print while an answer is missing or cannot be read: mark each, say
        the list by the buttons and put the cursor on the first. True when refused."""
        self._refused = True
        problems, missing = self._refresh()
        if extra and not missing:
            self._show_refusal(extra)
        if problems or missing:
            self.questionnaire.focus_first(problems + unanswered_problems(missing))
        return bool(problems or missing or extra)

    def start_new(self) -> None:
        self._enter(NEW, {})
        self.questionnaire.focus_first()

    def start_amend(self) -> None:
        if self._record is not None:
            self._enter(AMEND, dict(self._record.answers))
            self.questionnaire.focus_first()

    def _save_if_editing(self) -> None:
        if self._mode != VIEW:
            self.save()

    def _cancel_if_editing(self) -> None:
        if self._mode != VIEW and self._record is not None:
            self.cancel()

    def cancel(self) -> None:
        if self._record is not None:
            self._show_record(self._record)

    def save(self) -> None:
        patient = self.patient
        if patient is None or patient.id is None:
            return
        # Nothing is saved while a date cannot be read or a question has no answer.
        if self._refuse():
            return
        answers, _ = self.questionnaire.answers()
        try:
            if self._mode == AMEND and self._record is not None:
                dialog = ReasonDialog(
                    self,
                    "Amend screening",
                    "Say what was corrected. The earlier version is kept.",
                    "For example: patient remembered a peel last week",
                )
                if dialog.exec() != QDialog.DialogCode.Accepted:
                    return
                result = self._store(answers, self._record.id, dialog.reason())
            else:
                result = self._store(answers)
        except UserError as exc:
            show_user_error(self, exc)
            return
        if not result.ok:
            self.questionnaire.show_problems(result.problems)
            self.questionnaire.focus_first(result.problems)
            listed = next((p.message for p in result.problems if p.field == UNANSWERED_FIELD), "")
            self._show_refusal(listed)
            return
        self._saved(result)

    def _store(self, answers: dict, amending: int | None = None, reason: str = "") -> SaveResult:
        """Save the screening (or its amendment). A "yes" to a product allergy first asks
        what, and the allergies are saved with the screening, in one transaction."""
        patient = self.patient
        assert patient is not None and patient.id is not None
        if self._allergies is None or answers.get(SCREENING_ITEM) is not True:
            if amending is not None:
                return self._screening.amend(amending, answers, reason)
            return self._screening.save(patient.id, answers)
        ask = ScreeningAllergiesDialog(
            self, self._allergies, patient, answers, amending=amending, reason=reason
        )
        ask.exec()
        return ask.saved or SaveResult(
            problems=[Problem(SCREENING_ITEM, "Say what the patient is allergic to, or answer no.")]
        )

    def _saved(self, result: SaveResult) -> None:
        self._record = result.record
        self._fill_history()
        self._show_record(result.record)
        self.data_changed.emit(result.changes)

    # ---- decisions, consent, print -------------------------------------------------------
    def _open_to(
        self, which: Callable[[ScreeningRecord], tuple[str, ...]]
    ) -> list[tuple[str, str]]:
        """(id, label) of the treatments open to a decision (``open_to_sign_off`` or
        ``open_to_override``) on the screening shown."""
        record = self._record
        if record is None:
            return []
        table = self._screening.rules()
        return [(t, table.treatment_label(t)) for t in which(record)]

    def sign_off(self) -> None:
        record = self._record
        treatments = self._open_to(open_to_sign_off)
        if record is None or not treatments:
            return
        dialog = SignOffDialog(self, treatments)
        while dialog.exec() == QDialog.DialogCode.Accepted:
            if self._decided(
                lambda: self._screening.sign_off(
                    record.id, dialog.chosen_treatment(), dialog.decision(), dialog.note()
                ),
                dialog,
            ):
                return

    def override(self) -> None:
        record = self._record
        treatments = self._open_to(open_to_override)
        if record is None:
            return
        if not treatments:
            show_user_error(
                self,
                UserError(
                    "Nothing here can be overridden.",
                    advice="A review verdict is first signed off; only one not cleared, or a "
                    "deferral or decline, can be overridden.",
                ),
            )
            return
        dialog = OverrideDialog(self, treatments)
        while dialog.exec() == QDialog.DialogCode.Accepted:
            if self._decided(
                lambda: self._screening.override(
                    record.id, dialog.chosen_treatment(), dialog.note()
                ),
                dialog,
            ):
                return

    def _decided(
        self, call: Callable[[], SaveResult], dialog: SignOffDialog | OverrideDialog
    ) -> bool:
        """Run a decision; keep its dialog open with the problem shown if it is refused."""
        try:
            result = call()
        except UserError as exc:
            show_user_error(self, exc)
            return True
        if not result.ok:
            dialog.show_problems(result.problems)
            return False
        self._saved(result)
        return True

    def take_consent(self) -> None:
        record, patient = self._record, self.patient
        if record is None or patient is None:
            return
        version, text = self._screening.consent_text()
        dialog = ConsentDialog(
            self,
            consent_text=text,
            consent_version=version,
            patient_name=patient.full_name,
            today_text=format_long(self._screening.today()),
        )
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        try:
            result = self._screening.record_consent(
                record.id, dialog.signed_name, dialog.signature_png
            )
        except UserError as exc:
            show_user_error(self, exc)
            return
        if not result.ok:
            show_user_error(self, UserError(result.problems[0].message))
            return
        self._saved(result)

    def print_summary(self) -> None:
        record, patient = self._record, self.patient
        if self._mode != VIEW and patient is not None:
            # Only a saved screening prints: say what is missing first (Ctrl+P while editing).
            self._refuse("Save the screening, then print it.")
            return
        if record is None or patient is None:
            return
        try:
            job = self._screening.summary_job(record.id)
        except UserError as exc:
            show_user_error(self, exc)
            return
        preview_job(self, job)

    # ---- app-wide changes ------------------------------------------------------------------
    def on_data_changed(self, changes: Changes) -> None:
        if changes.touches(SETTINGS):
            self.verdicts.set_table(self._screening.rules())
        if changes.touches(SCREENINGS) or changes.touches(SETTINGS):
            return  # our own saves already refreshed; settings apply from the next screening
        if changes.touches(PATIENTS) and self.patient and changes.patient_id == self.patient.id:
            self._update()
