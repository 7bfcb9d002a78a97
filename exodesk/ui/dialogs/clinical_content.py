"""Help → Clinical content: the content report previewed, whether it is reviewed, and the
"Record a review…" dialog."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtWidgets import (
    QBoxLayout,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain import accounts as perms
from exodesk.domain.content import ContentReport, ContentReview
from exodesk.domain.problems import Problem
from exodesk.errors import UserError
from exodesk.services.content import ContentService
from exodesk.services.workspace import Services
from exodesk.ui.common import clear_when_edited, error_label, named, show_problems
from exodesk.ui.errors import show_user_error
from exodesk.ui.look import ERROR, ink_style
from exodesk.ui.printing import PdfPreviewDialog
from exodesk.ui.widgets import DateField

# The window's result when a review was recorded: the caller opens it again, so the preview
# shows the PDF with the review on its first page.
REVIEW_RECORDED = 2
TITLE = "Clinical content"


class ClinicalContentWindow(PdfPreviewDialog):
    """The content report in the shared preview (print, save), with its review status above it
    and a "Record a review…" button for those who may sign it.

    Args:
        parent: The main window.
        services: The open data file's services.
        day_first: The locale writes dates day first (for the review date).
    """

    def __init__(self, parent: QWidget | None, services: Services, *, day_first: bool) -> None:
        content = services.content
        self.report: ContentReport = content.report()
        super().__init__(
            content.pdf(self.report),
            TITLE,
            content.file_name(self.report),
            services.clinic.settings().paper_size,
            parent,
        )
        self.setObjectName("clinicalContentWindow")
        self._content = content
        self._today = services.ctx.today
        self._day_first = day_first
        user = services.desk.user
        self._reviewer = user.name if user is not None else ""
        self.status = named(QLabel(self.report.review_status()), "contentReviewStatus", "Review")
        self.status.setWordWrap(True)
        reviewed = self.report.review is not None
        self.status.setStyleSheet("" if reviewed else ink_style(ERROR, bold=True))
        self.review_button = named(
            QPushButton("&Record a review…"),
            "recordReviewButton",
            "Record a review",
            "Record that a clinician has reviewed this version of the wording",
        )
        may = user is not None and perms.allowed(user, perms.CONTENT_REVIEW)
        self.review_button.setEnabled(may)
        if not may:
            self.review_button.setToolTip(
                f"Only {perms.who_may(perms.CONTENT_REVIEW)} can record a review."
            )
        self.review_button.clicked.connect(self.record_review)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.review_button)
        layout = self.layout()
        if isinstance(layout, QBoxLayout):  # the preview's column: the status goes on top
            layout.insertLayout(0, row)

    def record_review(self) -> None:
        dialog = ReviewDialog(
            self,
            self._content,
            self.report.version,
            reviewer=self._reviewer,
            today=self._today,
            day_first=self._day_first,
        )
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.review is not None:
            self.status.setText(dialog.review.sentence())
            self.done(REVIEW_RECORDED)


class ReviewDialog(QDialog):
    """Asks who reviewed the wording and on which day; saves through the service."""

    def __init__(
        self,
        parent: QWidget | None,
        content: ContentService,
        version: str,
        *,
        reviewer: str,
        today: Callable[[], date],
        day_first: bool,
    ) -> None:
        super().__init__(parent)
        self._content = content
        self.review: ContentReview | None = None
        self.setObjectName("contentReviewDialog")
        self.setWindowTitle("Record a review of the clinical content")
        intro = QLabel(
            "Record that a clinician has read every sentence of this version against its "
            f"sources.\n\nVersion: {version}"
        )
        intro.setWordWrap(True)
        self.reviewer = named(QLineEdit(), "reviewerName", "Reviewed by")
        self.reviewer.setPlaceholderText("Dr A. Okafor")
        self.reviewer.setText(reviewer)
        self.reviewed_on = DateField(
            "reviewedOn",
            "Reviewed on",
            day_first=day_first,
            today=today,
            never_button=False,
        )
        self.reviewed_on.set_value(today())
        self.errors = {
            "reviewer": error_label("reviewerError"),
            "reviewed_on": error_label("reviewedOnError"),
        }
        form = QFormLayout()
        form.addRow("Reviewed &by", self.reviewer)
        form.addRow("", self.errors["reviewer"])
        form.addRow("Reviewed &on", self.reviewed_on)
        form.addRow("", self.errors["reviewed_on"])
        clear_when_edited(self.errors["reviewer"], self.reviewer)
        clear_when_edited(self.errors["reviewed_on"], self.reviewed_on)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        named(buttons.button(QDialogButtonBox.StandardButton.Save), "reviewSave", "Save the review")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(520, 240)

    def save(self) -> None:
        day, problem = self.reviewed_on.value()
        if day is None:
            message = problem or "Type the day of the review."
            show_problems(self.errors, [Problem("reviewed_on", message)])
            return
        try:
            result = self._content.record_review(self.reviewer.text(), day)
        except UserError as exc:
            show_user_error(self, exc)
            return
        show_problems(self.errors, result.problems)
        if result.ok:
            self.review = result.record
            self.accept()
