"""A problem shown beside a field leaves once that field is edited, in every form that shows
problems (the patient and session forms have their own tests)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialogButtonBox, QLabel, QLineEdit, QPlainTextEdit

from exodesk.domain.problems import Problem
from exodesk.services.workspace import Services
from exodesk.ui.common import clear_when_edited, error_label
from exodesk.ui.dialogs.reason import ReasonDialog
from exodesk.ui.dialogs.staff import StaffMemberDialog
from exodesk.ui.widgets import DateField
from tests.conftest import TODAY
from tests.ui.test_events import (  # noqa: F401  (treated is a fixture)
    Treated,
    choose,
    open_event_dialog,
    treated,
    type_date,
)


def test_an_adverse_event_s_problems_leave_field_by_field(
    qtbot,
    services: Services,
    treated: Treated,  # noqa: F811
) -> None:
    dialog = open_event_dialog(qtbot, services, treated.session.id)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    shown = {key for key, label in dialog.errors.items() if label.isVisible()}
    assert {"type", "severity", "onset_date", "description"} <= shown
    choose(dialog.type, "bruising")
    assert not dialog.errors["type"].isVisible()
    assert dialog.errors["severity"].isVisible()
    choose(dialog.severity, "mild")
    assert not dialog.errors["severity"].isVisible()
    type_date(dialog.onset, "yesterday")
    assert not dialog.errors["onset_date"].isVisible()
    dialog.description.setPlainText("Bruise on the chin.")
    assert not dialog.errors["description"].isVisible()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.saved is not None
    assert dialog.saved.onset_date.toordinal() == TODAY.toordinal() - 1


def test_a_resolution_problem_leaves_when_the_outcome_changes(
    qtbot,
    services: Services,
    treated: Treated,  # noqa: F811
) -> None:
    dialog = open_event_dialog(qtbot, services, treated.session.id)
    choose(dialog.outcome, "resolved")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.errors["resolution_date"].isVisible()
    choose(dialog.outcome, "ongoing")  # the other half of the problem
    assert not dialog.errors["resolution_date"].isVisible()


def test_a_staff_member_s_name_problem_leaves_once_typed(qtbot, services: Services) -> None:
    dialog = StaffMemberDialog(None, services.accounts, services.clinic)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.findChild(QDialogButtonBox).accepted.emit()
    assert dialog.errors["name"].isVisible()
    qtbot.keyClicks(dialog.name, "R")
    assert not dialog.errors["name"].isVisible()


def test_a_reason_problem_leaves_once_typed(qtbot) -> None:
    dialog = ReasonDialog(None, "Amend", "Say why")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.show_problems(
        [Problem("reason", "The reason is 2,001 characters long; the most it can hold is 2,000.")]
    )
    assert dialog.error.isVisible()
    dialog.text.setPlainText("Typed wrongly")
    assert not dialog.error.isVisible()


def test_clear_when_edited_knows_every_kind_of_field(qtbot) -> None:
    fields = [QLineEdit(), QPlainTextEdit(), QComboBox()]
    date = DateField("d", "Date", day_first=True, today=lambda: TODAY)
    for field in (*fields, date):
        qtbot.addWidget(field)
    for field, edit in (
        (fields[0], lambda: fields[0].setText("x")),
        (fields[1], lambda: fields[1].setPlainText("x")),
        (fields[2], lambda: fields[2].addItem("x")),
        (date, lambda: date.edit.setText("yesterday")),
    ):
        label = error_label("e")
        qtbot.addWidget(label)
        clear_when_edited(label, field)
        label.setText("A problem.")
        label.show()
        edit()
        assert label.text() == "" and label.isHidden(), type(field).__name__
    try:
        clear_when_edited(QLabel(), QLabel())
    except TypeError as exc:
        assert "QLabel" in str(exc)
    else:
        raise AssertionError("a field with no edit signal is refused")
