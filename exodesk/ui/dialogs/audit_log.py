"""The audit log for admins: who changed what and when, with filters and the chain check."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.audit import AuditEntry, ChainReport, entry_number
from exodesk.domain.dates import format_stamp
from exodesk.domain.vocabulary import audit_action, audit_what, field_label, join_words
from exodesk.errors import UserError
from exodesk.services.audit import PAGE_SIZE, AuditService
from exodesk.services.vocabulary import vocabulary
from exodesk.ui.common import error_label, error_style, locale_day_first, named
from exodesk.ui.look import GOOD, ink_style
from exodesk.ui.models import RowsTableModel, rows_view
from exodesk.ui.widgets import DateField, NoWheelComboBox
from exodesk.ui.workers import run_in_background

WHEN, WHO, ACTION, WHAT, SUMMARY = range(5)
HEADERS = ("When", "Who", "Action", "What", "Summary")
TYPING_PAUSE_MS = 300

# (id of the last entry shown) -> the next, older page
PageFetcher = Callable[[int], list[AuditEntry]]


def _buddy(text: str, widget: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(widget)
    return label


class AuditTableModel(RowsTableModel[AuditEntry]):
    """Shows the entries it is given; asks ``fetch_more`` for the next page only when scrolled."""

    HEADERS = HEADERS

    def __init__(self, page_size: int = PAGE_SIZE) -> None:
        super().__init__()
        self._page_size = page_size

    # ---- feeding -------------------------------------------------------------------------
    def set_rows(self, rows: Iterable[AuditEntry], fetch_more: PageFetcher | None = None) -> None:
        """Replace the rows; ``fetch_more`` loads the page after a given entry id."""
        first = list(rows)

        def next_page() -> tuple[list[AuditEntry], bool]:
            last_id = self._rows[-1].id if self._rows else None
            page = fetch_more(int(last_id)) if fetch_more and last_id is not None else []
            return page, len(page) >= self._page_size

        # A short page is the last one: no need to ask the file again.
        more = fetch_more is not None and len(first) >= self._page_size
        self._reset(first, next_page if more else None)

    def entry_at(self, row: int) -> AuditEntry | None:
        return self.row_at(row)

    # ---- cells ---------------------------------------------------------------------------
    # The trail stores ids and keeps them (it is the record); the cells say them in words.
    def text(self, entry: AuditEntry, column: int) -> str | None:
        if column == WHEN:
            return format_stamp(entry.at)
        if column == WHO:
            return entry.actor_name
        if column == ACTION:
            return audit_action(entry.action, entry.summary)
        if column == WHAT:
            return audit_what(entry.table_name, entry.record_id)
        if column == SUMMARY:
            return vocabulary().words(entry.summary)
        return None

    def role_data(self, entry: AuditEntry, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and column == SUMMARY:
            changed = entry.changed_fields()
            number = f"Entry {entry_number(entry.id)}" if entry.id is not None else "Entry"
            said = vocabulary().words(entry.summary)
            lines = [f"{number}: {said}"]
            if changed:
                lines.append("Changed: " + join_words(field_label(f) for f in changed))
            if said != entry.summary:
                # The words as stored, for an admin who needs the record itself (a saved
                # file's whole path, say).
                lines.append(f"As recorded: {entry.summary}")
            return "\n".join(lines)
        if role == Qt.ItemDataRole.UserRole:
            return entry.id
        return None


class AuditLogDialog(QDialog):
    """Every recorded change, newest first; filter by patient, person, dates; verify the chain.

    Args:
        parent: The owning window.
        audit_service: Where the entries come from.
        patient_id: Open showing only this patient's entries (a tick box lifts the filter).
        patient_label: How to name that patient on the tick box (the id if empty).
    """

    def __init__(
        self,
        parent: QWidget | None,
        audit_service: AuditService,
        *,
        patient_id: int | None = None,
        patient_label: str = "",
    ) -> None:
        super().__init__(parent)
        self._audit = audit_service
        self._patient_id = patient_id
        self.report: ChainReport | None = None
        self.setObjectName("auditLogDialog")
        self.setWindowTitle("Audit log")
        self.resize(1000, 620)
        self._build_filters(patient_label)
        self._build_table()
        self._build_verify()
        self._lay_out()
        self._connect()
        self.refresh()
        self.text.setFocus()

    # ---- building ------------------------------------------------------------------------
    def _build_filters(self, patient_label: str) -> None:
        audit_service, patient_id = self._audit, self._patient_id
        day_first = locale_day_first()
        who = patient_label or (f"record {patient_id}" if patient_id is not None else "")
        self.patient_only = named(
            QCheckBox(f"Only {who}"), "auditPatientOnly", "Only this patient's entries"
        )
        self.patient_only.setChecked(patient_id is not None)
        self.patient_only.setVisible(patient_id is not None)
        self.text = named(
            QLineEdit(),
            "auditText",
            "Summary contains",
            "Show only entries whose summary contains this text, e.g. a patient's name",
        )
        self.text.setPlaceholderText("Text in the summary, e.g. a name")
        self.text.setClearButtonEnabled(True)
        self.person = named(NoWheelComboBox(), "auditPerson", "Person who made the change")
        self.person.addItem("Everyone", None)
        for member in audit_service.people():
            label = member.name if member.active else f"{member.name} (left)"
            self.person.addItem(label, member.id)
        self.date_from = DateField(
            "auditFrom",
            "From date",
            day_first=day_first,
            today=audit_service.today,
            never_button=False,
        )
        self.date_to = DateField(
            "auditTo", "To date", day_first=day_first, today=audit_service.today, never_button=False
        )
        self.date_error = error_label("auditDateError")

    def _build_table(self) -> None:
        self.model = AuditTableModel()
        self._shown_filters: dict[str, Any] = {}
        self.model.rowsInserted.connect(lambda *_: self._show_count())
        self.table = rows_view(
            self.model, "auditTable", "Audit entries, newest first", single=False
        )
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for column in (WHEN, WHO, ACTION, WHAT):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(SUMMARY, QHeaderView.ResizeMode.Stretch)
        self.status = QLabel()
        self.status.setObjectName("auditStatus")

    def _build_verify(self) -> None:
        self.verify_button = named(
            QPushButton("&Verify chain"),
            "auditVerify",
            "Verify the audit trail",
            "Check that no audit entry was changed, removed or reordered since it was written",
        )
        self.verify_result = QLabel()
        self.verify_result.setObjectName("auditVerifyResult")
        self.verify_result.setWordWrap(True)
        self.verify_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        named(self.buttons.button(QDialogButtonBox.StandardButton.Close), "auditClose", "Close")
        self.buttons.rejected.connect(self.reject)

    def _lay_out(self) -> None:
        filters = QGridLayout()
        filters.addWidget(_buddy("&Summary:", self.text), 0, 0)
        filters.addWidget(self.text, 0, 1)
        filters.addWidget(_buddy("&Person:", self.person), 0, 2)
        filters.addWidget(self.person, 0, 3)
        filters.addWidget(self.patient_only, 0, 4)
        filters.addWidget(_buddy("&From:", self.date_from.edit), 1, 0)
        filters.addWidget(self.date_from, 1, 1)
        filters.addWidget(_buddy("&To:", self.date_to.edit), 1, 2)
        filters.addWidget(self.date_to, 1, 3, 1, 2)
        filters.setColumnStretch(1, 1)
        filters.setColumnStretch(3, 1)
        verify_row = QHBoxLayout()
        verify_row.addWidget(self.verify_button)
        verify_row.addWidget(self.verify_result, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.date_error)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addLayout(verify_row)
        layout.addWidget(self.buttons)

    def _connect(self) -> None:
        # Typing waits for a pause, so each keystroke does not query the whole trail.
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(TYPING_PAUSE_MS)
        self._typing.timeout.connect(self.refresh)
        self.text.textChanged.connect(self._typing.start)
        self.text.returnPressed.connect(self.refresh)
        self.person.currentIndexChanged.connect(self.refresh)
        self.patient_only.toggled.connect(self.refresh)
        self.date_from.changed.connect(self.refresh)
        self.date_to.changed.connect(self.refresh)
        self.verify_button.clicked.connect(self.verify)

    # ---- the list ------------------------------------------------------------------------
    def filters(self) -> dict[str, Any] | None:
        """The filters as typed, or None (with the problem shown) if a date cannot be read."""
        since, since_problem = self.date_from.value()
        until, until_problem = self.date_to.value()
        problem = since_problem or until_problem
        if not problem and since and until and until < since:
            problem = "The 'to' date is before the 'from' date."
        self.date_error.setText(problem or "")
        self.date_error.setAccessibleName(problem or "")
        self.date_error.setVisible(bool(problem))
        if problem:
            return None
        return {
            "patient_id": self._patient_id if self.patient_only.isChecked() else None,
            "actor_id": self.person.currentData(),
            "since": since,
            "until": until,
            "text": self.text.text().strip() or None,
        }

    def refresh(self) -> None:
        """Load the first page for the current filters (the rest loads as the list scrolls)."""
        self._typing.stop()
        filters = self.filters()
        if filters is None:
            return
        try:
            rows = self._audit.entries(**filters)
        except UserError as exc:
            self.status.setText(exc.message)
            return
        self._shown_filters = filters
        self.model.set_rows(rows, lambda last_id: self._audit.entries(**filters, before_id=last_id))
        self._show_count()

    def _show_count(self) -> None:
        shown = self.model.rowCount()
        filtered = any(v is not None for v in self._shown_filters.values())
        if not shown:
            text = "No entries match these filters." if filtered else "The audit log is empty."
        elif self.model.canFetchMore():
            text = f"Showing the newest {shown:,} entries; scroll down for older ones."
        else:
            text = f"{shown:,} {'entry' if shown == 1 else 'entries'}."
        self.status.setText(text)

    # ---- the chain check -----------------------------------------------------------------
    def verify(self) -> None:
        """Check the chain off the UI thread; the result appears beside the button."""
        self.verify_button.setEnabled(False)
        self.verify_result.setStyleSheet("")
        self.verify_result.setText("Checking the audit trail…")
        job = self._audit.verify_job()
        if job is None:  # an in-memory file cannot be opened from another thread
            self._verified(self._audit.verify())
            return
        run_in_background(self, job, self._verified, self._verify_failed)

    def _verified(self, report: ChainReport) -> None:
        self.report = report
        self.verify_button.setEnabled(True)
        self.verify_result.setStyleSheet(
            ink_style(GOOD, bold=True) if report.ok else error_style(bold=True)
        )
        self.verify_result.setText(report.message)
        self.verify_result.setAccessibleName(report.message)

    def _verify_failed(self, exc: BaseException) -> None:
        self.verify_button.setEnabled(True)
        self.verify_result.setStyleSheet(error_style(bold=True))
        if isinstance(exc, UserError):
            self.verify_result.setText(f"The check could not run: {exc.message}")
            return
        self.verify_result.setText("The check could not run; the details are in the log.")
