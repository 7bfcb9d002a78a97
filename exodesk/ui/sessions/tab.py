"""SessionsTab: the patient's courses and timeline, and the session form."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.allergies import allergy_override_line
from exodesk.domain.courses import CourseProgress
from exodesk.domain.dates import format_long, format_short, format_stamp
from exodesk.domain.lists import OVERDUE_STATES
from exodesk.domain.patient import Patient
from exodesk.domain.problems import Problem
from exodesk.domain.sessions import (
    AREAS,
    DELIVERY_METHODS,
    INDICATIONS,
    REACTIONS,
    TREATMENTS,
    TreatmentSession,
)
from exodesk.errors import UserError
from exodesk.services.catalogue import CATALOGUE, CatalogueService
from exodesk.services.context import Changes, SaveResult
from exodesk.services.courses import CourseService
from exodesk.services.events import EventService
from exodesk.services.screening import SCREENINGS
from exodesk.services.sessions import SESSIONS, SessionService
from exodesk.services.timeline import TimelineEntry, TimelineService
from exodesk.ui import tips
from exodesk.ui.common import error_label, named
from exodesk.ui.current import CurrentPatient
from exodesk.ui.dialogs.reason import ReasonDialog
from exodesk.ui.errors import show_user_error
from exodesk.ui.look import ERROR, FADED, WARNING, ink, item_ink
from exodesk.ui.printing import preview_job
from exodesk.ui.sessions.form import SessionForm
from exodesk.ui.widgets import NoWheelComboBox, NoWheelSpinBox

DETAIL, FORM = 0, 1


class SessionsTab(QWidget):
    """Record, amend and review the current patient's treatment sessions."""

    data_changed = Signal(object)  # Changes
    event_requested = Signal(int)  # session id: the main window opens the adverse event dialog
    aftercare_requested = Signal(int)  # session id: the main window shows the Aftercare tab
    edit_event_requested = Signal(int)  # adverse event id: the main window opens its dialog

    def __init__(
        self,
        current: CurrentPatient,
        *,
        sessions: SessionService,
        courses: CourseService,
        catalogue: CatalogueService,
        events: EventService,
        timeline: TimelineService,
    ) -> None:
        super().__init__()
        self.setObjectName("sessionsTab")
        self._sessions = sessions
        self._courses = courses
        self._catalogue = catalogue
        self._events = events
        self._timeline = timeline
        self._current = current
        self._selected: TimelineEntry | None = None
        self._amending: int | None = None

        top = self._build_top()
        self._build_timeline()
        detail_page = self._build_detail_page()
        self.form = SessionForm(sessions, catalogue)  # it scrolls itself, its buttons stay put
        self.pages = QStackedWidget()
        self.pages.addWidget(detail_page)
        self.pages.addWidget(self.form)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.timeline)
        splitter.addWidget(self.pages)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self._connect()
        current.changed.connect(self.load_patient)
        self.load_patient(current.patient)

    # ---- building ------------------------------------------------------------------------
    def _build_top(self) -> QHBoxLayout:
        """The patient's courses, and the buttons that start a course or a session."""
        self.courses_label = QLabel()
        self.courses_label.setObjectName("coursesSummary")
        self.courses_label.setWordWrap(True)
        self.courses_label.setTextFormat(Qt.TextFormat.RichText)
        self.new_course = named(QPushButton("Ne&w course…"), "newCourse", "Start a course")
        self.record_button = named(
            QPushButton("Recor&d session"), "recordSession", "Record a session", "Ctrl+R"
        )
        top = QHBoxLayout()
        top.addWidget(self.courses_label, 1)
        top.addWidget(self.new_course)
        top.addWidget(self.record_button)
        return top

    def _build_timeline(self) -> None:
        self.timeline = named(
            QListWidget(),
            "timeline",
            "Patient timeline",
            "Screenings, sessions and adverse events, newest first",
        )
        self.timeline.setWordWrap(True)
        self.timeline.setAlternatingRowColors(True)

    def _build_detail_page(self) -> QWidget:
        """The chosen timeline entry in full, with what can be done about it."""
        self.detail = QLabel()
        self.detail.setObjectName("sessionDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.amend_button = named(QPushButton("A&mend…"), "amendSession", "Amend session")
        self.error_button = named(
            QPushButton("E&ntered in error…"),
            "sessionEnteredInError",
            "Mark session as entered in error",
        )
        self.aftercare_button = named(
            QPushButton("Print aftercare…"),
            "printAftercare",
            "Print the aftercare sheet for this session",
        )
        self.event_button = named(
            QPushButton("L&og adverse event…"),
            "logAdverseEvent",
            "Log an adverse event against this session",
        )
        self.edit_event_button = named(
            QPushButton("Edit e&vent…"),
            "editAdverseEvent",
            "Update the adverse event (outcome, resolution, reports)",
        )
        self.report_button = named(
            QPushButton("Re&gulator report…"),
            "regulatorReport",
            "Print the adverse event laid out for a regulator report",
        )
        detail_page = QWidget()
        detail_layout = QVBoxLayout(detail_page)
        detail_layout.addWidget(self.detail, 1)
        actions = QHBoxLayout()
        # A session shows the first four, an adverse event the last two (_update_buttons).
        for button in (
            self.aftercare_button,
            self.amend_button,
            self.error_button,
            self.event_button,
            self.edit_event_button,
            self.report_button,
        ):
            actions.addWidget(button)
        actions.addStretch(1)
        detail_layout.addLayout(actions)
        return detail_page

    def _connect(self) -> None:
        self.new_course.clicked.connect(self.start_course)
        self.record_button.clicked.connect(self.start_record)
        self.timeline.currentRowChanged.connect(self._select)
        self.amend_button.clicked.connect(self.start_amend)
        self.error_button.clicked.connect(self.mark_error)
        self.event_button.clicked.connect(self._request_event)
        self.aftercare_button.clicked.connect(self._request_aftercare)
        self.edit_event_button.clicked.connect(self._request_edit_event)
        self.report_button.clicked.connect(self.print_regulator_report)
        self.form.save_requested.connect(self._save)
        self.form.cancel_requested.connect(self.show_detail)
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        QShortcut(QKeySequence("Ctrl+R"), self, self.start_record, context=context)
        QShortcut(QKeySequence.StandardKey.Save, self, self._save_if_editing, context=context)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.show_detail, context=context)

    # ---- loading -------------------------------------------------------------------------
    @property
    def patient(self) -> Patient | None:
        return self._current.patient

    def load_patient(self, patient: Patient | None) -> None:
        self.pages.setCurrentIndex(DETAIL)
        self.refresh()

    def refresh(self) -> None:
        patient = self.patient
        patient_id = patient.id if patient is not None else None
        for button in (self.new_course, self.record_button):
            button.setEnabled(patient_id is not None)
        self.timeline.clear()
        self._selected = None
        if patient_id is None:
            self.courses_label.setText("Choose a patient on the Patients tab first.")
            self.detail.setText("")
            self._update_buttons()
            return
        try:
            courses = self._courses.courses(patient_id)
            entries = self._timeline.entries(patient_id)
        except UserError as exc:
            show_user_error(self, exc)
            return
        lines = []
        course_tips = []
        for course, progress in courses:
            if course.status == "stopped":
                continue
            course_tips.append(
                f"{TREATMENTS[course.treatment]}: {tips.COURSE_STATE_TIPS[progress.state]}"
            )
            label = (
                f"<b>{html.escape(TREATMENTS[course.treatment])}</b> "
                f"({html.escape(INDICATIONS[course.indication])}): {html.escape(progress.label)}"
            )
            window = _window_text(progress)
            if window:
                label += f" — {html.escape(window)}"
            if progress.state in OVERDUE_STATES:
                label = f"<span style='color:{ink(WARNING)}'>{label} (OVERDUE)</span>"
            lines.append(label)
        self.courses_label.setText("<br>".join(lines) or "No course yet.")
        self.courses_label.setToolTip(
            "\n".join(course_tips) or "Start a course to plan the sessions and their spacing."
        )
        for entry in entries:
            when = (
                format_short(entry.when.date())
                if entry.kind == "adverse_event"
                else format_stamp(entry.when)
            )
            item = QListWidgetItem(f"{when} · {entry.title}\n{entry.detail}")
            item.setData(Qt.ItemDataRole.UserRole, entry)
            if entry.alert:
                item.setForeground(item_ink(ERROR))
                item.setToolTip(tips.TIMELINE_ALERT)
            elif entry.muted:
                item.setForeground(item_ink(FADED))
                item.setToolTip(tips.TIMELINE_MUTED)
            self.timeline.addItem(item)
        if self.timeline.count():
            self.timeline.setCurrentRow(0)
        else:
            self.detail.setText("Nothing recorded yet. Record a session with Ctrl+R.")
        self._update_buttons()

    def _select(self, row: int) -> None:
        item = self.timeline.item(row) if row >= 0 else None
        self._selected = item.data(Qt.ItemDataRole.UserRole) if item else None
        self.detail.setText(self._detail_html(self._selected))
        self._update_buttons()

    def _selected_session(self) -> TreatmentSession | None:
        entry = self._selected
        if entry is None or entry.kind != "session":
            return None
        try:
            return self._sessions.get(entry.record_id)
        except UserError:
            return None

    def _update_buttons(self) -> None:
        session = self._selected_session()
        current = session is not None and session.status == "current"
        self.amend_button.setEnabled(current)
        self.error_button.setEnabled(current)
        self.event_button.setEnabled(current)
        self.aftercare_button.setEnabled(current)
        is_event = self._selected is not None and self._selected.kind == "adverse_event"
        for button in (
            self.aftercare_button,
            self.amend_button,
            self.error_button,
            self.event_button,
        ):
            button.setVisible(not is_event)
        self.edit_event_button.setVisible(is_event)
        self.report_button.setVisible(is_event)

    def _detail_html(self, entry: TimelineEntry | None) -> str:
        if entry is None:
            return ""
        if entry.kind != "session":
            return f"<b>{html.escape(entry.title)}</b><br>{html.escape(entry.detail)}"
        s = self._sessions.get(entry.record_id)
        rows = [
            ("When", format_stamp(s.performed_at)),
            ("Practitioner", s.practitioner_name),
            ("Treatment", TREATMENTS[s.treatment]),
            ("Areas", ", ".join(AREAS[a] for a in sorted(s.areas))),
            ("Indication", INDICATIONS[s.indication]),
            ("Delivery", DELIVERY_METHODS[s.delivery]),
            ("Needle depth", f"{s.needle_depth_mm:.2f} mm" if s.needle_depth_mm else "—"),
            (
                "Anaesthetic",
                f"{s.anaesthetic} ({s.anaesthetic_minutes} min)"
                if s.anaesthetic_minutes
                else s.anaesthetic or "—",
            ),
            (
                "Products",
                "; ".join(
                    f"{p.product_name}, lot {p.lot_number}"
                    + (f", exp. {format_short(p.expiry)}" if p.expiry else "")
                    + (f", {p.volume_ml:g} ml" if p.volume_ml else "")
                    for p in s.products
                )
                or "—",
            ),
            ("Reactions seen", ", ".join(REACTIONS[r] for r in sorted(s.reactions)) or "none"),
            ("Aftercare sheet", "given" if s.aftercare_issued else "not recorded"),
        ]
        if s.prp:
            p = s.prp
            rows.append(
                (
                    "PRP",
                    f"{p.kit or 'kit —'}; {p.blood_drawn_ml or '—'} ml drawn; "
                    f"{p.spin} spin {p.speed} {p.spin_minutes or '—'} min; "
                    f"{p.volume_obtained_ml or '—'} ml obtained; "
                    f"activator {p.activator or 'none'}",
                )
            )
        if s.notes:
            rows.append(("Notes", s.notes))
        if s.spacing_reason:
            rows.append(("Short spacing", s.spacing_reason))
        if s.regulatory_confirmations:
            texts = self._sessions.regulatory_texts()
            rows.append(
                (
                    "Regulatory notes confirmed",
                    " ".join(texts.get(i, i) for i in s.regulatory_confirmations),
                )
            )
        body = "".join(
            f"<tr><td style='padding-right:12px'><b>{html.escape(k)}</b></td>"
            f"<td>{html.escape(str(v))}</td></tr>"
            for k, v in rows
        )
        header = f"<h3>{html.escape(entry.title)}</h3>"
        red = ink(ERROR)
        if s.gate_override_reason:
            header += (
                f"<p style='color:{red}'><b>SCREENING OVERRIDDEN:</b> "
                f"{html.escape(s.gate_override_reason)}</p>"
            )
        if s.allergy_override_reason:
            said = allergy_override_line(s.allergy_conflicts, s.allergy_override_reason)
            header += f"<p style='color:{red}'><b>ALLERGY OVERRIDDEN:</b> {html.escape(said)}</p>"
        if s.status == "entered_in_error":
            header += (
                f"<p style='color:{red}'><b>ENTERED IN ERROR:</b> {html.escape(s.error_reason)}</p>"
            )
        elif s.status == "amended":
            header += f"<p style='color:{ink(FADED)}'>This version was amended later.</p>"
        if s.version > 1:
            header += f"<p>Version {s.version}: {html.escape(s.error_reason)}</p>"
        return header + f"<table>{body}</table>"

    # ---- recording -----------------------------------------------------------------------
    def _course_choices(self) -> list[tuple[int, str]]:
        patient = self.patient
        assert patient is not None and patient.id is not None
        return [
            (int(c.id or 0), f"{TREATMENTS[c.treatment]} — {progress.label}")
            for c, progress in self._courses.courses(patient.id)
            if c.status == "active"
        ]

    def _course_plans(self) -> dict[int, tuple[str, str]]:
        """Each active course's (treatment, indication): choosing it in the form brings them."""
        patient = self.patient
        assert patient is not None and patient.id is not None
        return {
            int(c.id or 0): (c.treatment, c.indication)
            for c, _progress in self._courses.courses(patient.id)
            if c.status == "active"
        }

    def start_record(self) -> None:
        patient = self.patient
        if patient is None or patient.id is None:
            return
        try:
            courses = self._course_choices()
            course_id = courses[0][0] if courses else None
            draft = self._sessions.prefill(patient.id, course_id)
            plans = self._course_plans()
        except UserError as exc:
            show_user_error(self, exc)
            return
        self._amending = None
        self.form.load(draft, courses, plans=plans)
        self.pages.setCurrentIndex(FORM)
        self.form.treatment.setFocus()

    def start_amend(self) -> None:
        session = self._selected_session()
        if session is None or session.status != "current":
            return
        self._amending = int(session.id or 0)
        self.form.load(
            session,
            self._course_choices(),
            amending=int(session.series_id or 0),
            plans=self._course_plans(),
        )
        self.pages.setCurrentIndex(FORM)

    def show_detail(self) -> None:
        self.pages.setCurrentIndex(DETAIL)

    def _save_if_editing(self) -> None:
        if self.pages.currentIndex() == FORM:
            self.form._emit_save()

    def _save(self, draft: TreatmentSession, confirmed: list[str]) -> None:
        try:
            if self._amending is not None:
                dialog = ReasonDialog(
                    self, "Amend session", "Say what was corrected. The earlier version is kept."
                )
                if dialog.exec() != QDialog.DialogCode.Accepted:
                    return
                result = self._sessions.amend(
                    self._amending, draft, dialog.reason(), confirmed=confirmed
                )
            else:
                result = self._sessions.record(draft, confirmed=confirmed)
        except UserError as exc:
            show_user_error(self, exc)
            return
        if not result.ok:
            self.form.show_problems(result.problems)
            return
        self._done(result)

    def _done(self, result: SaveResult) -> None:
        self.pages.setCurrentIndex(DETAIL)
        self.refresh()
        self.data_changed.emit(result.changes)

    def mark_error(self) -> None:
        session = self._selected_session()
        if session is None:
            return
        dialog = ReasonDialog(
            self,
            "Entered in error",
            "The session stays in the record but no longer counts.",
            "For example: recorded on the wrong patient",
        )
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        try:
            result = self._sessions.mark_entered_in_error(int(session.id or 0), dialog.reason())
        except UserError as exc:
            show_user_error(self, exc)
            return
        self._done(result)

    def _request_aftercare(self) -> None:
        session = self._selected_session()
        if session is not None:
            self.aftercare_requested.emit(int(session.id or 0))

    def _request_edit_event(self) -> None:
        if self._selected is not None and self._selected.kind == "adverse_event":
            self.edit_event_requested.emit(self._selected.record_id)

    def print_regulator_report(self) -> None:
        entry = self._selected
        if entry is None or entry.kind != "adverse_event":
            return
        try:
            job = self._events.regulator_report_job(entry.record_id)
        except UserError as exc:
            show_user_error(self, exc)
            return
        preview_job(self, job)

    def _request_event(self) -> None:
        session = self._selected_session()
        if session is not None:
            self.event_requested.emit(int(session.id or 0))

    def start_course(self) -> None:
        patient = self.patient
        if patient is None or patient.id is None:
            return
        dialog = CourseDialog(self, self._catalogue)
        while dialog.exec() == QDialog.DialogCode.Accepted:
            try:
                result = self._courses.start_course(
                    patient.id, dialog.template_key(), dialog.treatment(), dialog.planned()
                )
            except UserError as exc:
                show_user_error(self, exc)
                return
            if result.ok:
                self._done(result)
                return
            dialog.show_problems(result.problems)

    # ---- app-wide changes ------------------------------------------------------------------
    def on_data_changed(self, changes: Changes) -> None:
        if changes.touches(SESSIONS) or changes.touches(SCREENINGS) or changes.touches(CATALOGUE):
            if self.pages.currentIndex() == DETAIL:
                self.refresh()
            else:
                self.form.run_checks()


def _window_text(progress: CourseProgress) -> str:
    # course_progress sets both ends of a window or neither, so testing both tests the first.
    if progress.state in ("complete", "maintenance_due", "maintenance_overdue"):
        start, end = progress.maintenance_earliest, progress.maintenance_latest
        if start and end:
            return f"maintenance {format_short(start)} – {format_short(end)}"
        return ""
    start, end = progress.next_earliest, progress.next_latest
    if start is None or end is None:
        return "first session any time"
    return f"next {format_short(start)} – {format_long(end)}"


class CourseDialog(QDialog):
    """Start a course from a protocol template."""

    def __init__(self, parent: QWidget, catalogue: CatalogueService) -> None:
        super().__init__(parent)
        self.setObjectName("courseDialog")
        self.setWindowTitle("Start a course")
        self._catalogue = catalogue
        self._protocols = catalogue.protocols()
        self.protocol = named(NoWheelComboBox(), "course_protocol", "Protocol")
        for t in self._protocols:
            self.protocol.addItem(t.label, t.key)
        self.treatment_combo = named(NoWheelComboBox(), "course_treatment", "Treatment")
        for key, label in TREATMENTS.items():
            self.treatment_combo.addItem(label, key)
        self.sessions = named(
            NoWheelSpinBox(),
            "course_planned_sessions",
            "Planned sessions",
            "Within the protocol's range; the next session's dates follow its interval.",
        )
        self.facts = QLabel()
        self.facts.setObjectName("courseFacts")
        self.facts.setWordWrap(True)
        self.error = error_label("courseError")
        form = QFormLayout()
        form.addRow("&Protocol", self.protocol)
        form.addRow("&Treatment", self.treatment_combo)
        form.addRow("Planned &sessions", self.sessions)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        named(buttons.button(QDialogButtonBox.StandardButton.Ok), "courseOk", "Start course")
        named(buttons.button(QDialogButtonBox.StandardButton.Cancel), "courseCancel", "Cancel")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.facts)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.protocol.currentIndexChanged.connect(self._protocol_changed)
        self.treatment_combo.currentIndexChanged.connect(self._show_facts)
        self._protocol_changed()

    def _protocol_changed(self) -> None:
        t = self._protocols[self.protocol.currentIndex()]
        self.sessions.setRange(t.sessions_min, t.sessions_max)
        self.sessions.setValue(t.sessions_min if t.sessions_min > 1 else t.sessions_max)
        if t.indication == "hair_thinning":
            self.treatment_combo.setCurrentIndex(self.treatment_combo.findData("exosome_scalp"))
        self._show_facts()

    def _show_facts(self) -> None:
        """The plan's numbers, and for PRP or microneedling that they are an estimate."""
        t = self._protocols[self.protocol.currentIndex()]
        weeks = f"{t.interval_min_days // 7}–{t.interval_max_days // 7} weeks"
        text = (
            f"{t.sessions_min}–{t.sessions_max} sessions, {weeks} apart; "
            f"maintenance every {t.maintenance_min_months}–"
            f"{t.maintenance_max_months} months."
        )
        details = self._catalogue.protocol_details(t.key)
        basis = details.estimate_basis(self.treatment()) if details else None
        if basis:
            text += f"\nAn estimate: {basis}"
        self.facts.setText(text)

    def template_key(self) -> str:
        return self.protocol.currentData()

    def treatment(self) -> str:
        return self.treatment_combo.currentData()

    def planned(self) -> int:
        return self.sessions.value()

    def show_problems(self, problems: list[Problem]) -> None:
        self.error.setText(" ".join(p.message for p in problems))
        self.error.setVisible(bool(problems))
