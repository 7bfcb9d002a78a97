"""Help → Clinical content: the window opens on the content report, says whether the wording in
use is reviewed, and records a review through the real dialog."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog

from exodesk.domain.staff import StaffMember
from exodesk.services.workspace import Services
from exodesk.ui.dialogs.clinical_content import (
    REVIEW_RECORDED,
    ClinicalContentWindow,
    ReviewDialog,
)
from exodesk.ui.main_window import MainWindow
from tests.reports.pdftools import page_texts
from tests.ui.dialogs import when_dialog_opens


@pytest.fixture
def window(qtbot, services: Services) -> MainWindow:
    win = MainWindow(services, day_first=True)
    qtbot.addWidget(win)
    return win


def test_the_help_menu_entry_opens_the_window_on_the_content_report(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    seen: list[ClinicalContentWindow] = []

    def look(dialog: QDialog) -> None:
        assert isinstance(dialog, ClinicalContentWindow)
        seen.append(dialog)
        dialog.grab().save(str(tmp_path / "clinical-content.png"))
        dialog.reject()

    when_dialog_opens(ClinicalContentWindow, look)
    action = window.findChild(QAction, "actionClinicalContent")
    assert action is not None and action.isEnabled()
    action.trigger()
    (dialog,) = seen
    assert dialog.windowTitle() == "Clinical content — preview"
    assert dialog.status.text().startswith("Not reviewed: the wording in use (version rules ")
    assert dialog.page_count > 5
    assert "Clinical content for review" in page_texts(dialog.pdf_bytes)[0]
    assert dialog.review_button.isEnabled()


def test_recording_a_review_through_the_dialog(qtbot, services: Services) -> None:
    dialog = ClinicalContentWindow(None, services, day_first=True)
    qtbot.addWidget(dialog)

    def fill(review: QDialog) -> None:
        assert isinstance(review, ReviewDialog)
        assert review.reviewer.text() == "Ada Admin"  # the person at the desk
        review.reviewer.setText("Dr Amara Okafor")
        review.reviewed_on.edit.setText("20/11/2026")
        qtbot.mouseClick(
            review.findChild(type(dialog.review_button), "reviewSave"), Qt.MouseButton.LeftButton
        )

    when_dialog_opens(ReviewDialog, fill)
    finished: list[int] = []
    dialog.finished.connect(finished.append)
    qtbot.mouseClick(dialog.review_button, Qt.MouseButton.LeftButton)
    assert finished == [REVIEW_RECORDED]
    assert dialog.status.text() == "Reviewed by Dr Amara Okafor on 20 Nov 2026"
    again = ClinicalContentWindow(None, services, day_first=True)
    qtbot.addWidget(again)
    assert again.status.text() == "Reviewed by Dr Amara Okafor on 20 Nov 2026"
    assert "Reviewed by Dr Amara Okafor on 20 Nov 2026" in page_texts(again.pdf_bytes)[0]


def test_reception_sees_the_content_but_cannot_record_a_review(qtbot, services: Services) -> None:
    services.desk.user = services.clinic.save_staff(StaffMember("Priya Shah", "reception")).record
    dialog = ClinicalContentWindow(None, services, day_first=True)
    qtbot.addWidget(dialog)
    assert not dialog.review_button.isEnabled()
    assert dialog.review_button.toolTip() == (
        "Only a practitioner or an admin can record a review."
    )
