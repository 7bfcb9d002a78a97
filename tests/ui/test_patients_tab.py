"""The Patients tab driven as reception would: keyboard, search, open, edit, save."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from exodesk.domain.patient import Patient
from exodesk.services.workspace import Services
from exodesk.ui.main_window import MainWindow
from exodesk.ui.patients.model import PatientTableModel
from exodesk.ui.patients.tab import HistoryDialog


@pytest.fixture
def window(qtbot, services: Services, uk_locale) -> MainWindow:
    for p in (
        Patient("Smith", "Olivia", date(1990, 1, 15), "female", "07700 900001"),
        Patient(
            "O'Brien-Łukasz",
            "Zoë",
            date(1985, 4, 3),
            "female",
            "07700 900123",
            alerts="Allergy: lidocaine",
        ),
        Patient("Jones", "Noah", date(1979, 6, 30), "male", "07700 900002"),
    ):
        assert services.patients.create(p).ok
    win = MainWindow(services, day_first=True)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def type_text(qtbot, widget: QWidget, text: str) -> None:
    """Type like a keyboard; letters QTest cannot synthesise (ñ, é) arrive as an input method
    would deliver them."""
    for ch in text:
        if ch.isascii():
            qtbot.keyClicks(widget, ch)
        else:
            widget.insert(ch)


def _type_search(qtbot, win: MainWindow, text: str) -> None:
    tab = win.patients_tab
    tab.search.clear()
    qtbot.keyClicks(tab.search, text)
    qtbot.waitUntil(lambda: not tab._timer.isActive())


def test_model_passes_the_qt_model_tester(qtmodeltester, services: Services) -> None:
    model = PatientTableModel(services.ctx.today)
    model.set_rows([Patient("Smith", "Olivia", date(1990, 1, 15), id=1)])
    qtmodeltester.check(model, force_py=True)


def test_the_list_shows_everyone_and_search_filters_as_you_type(qtbot, window: MainWindow) -> None:
    tab = window.patients_tab
    assert tab.model.rowCount() == 3
    assert tab.count_label.text() == "3 patients in all"
    _type_search(qtbot, window, "zoe")
    assert tab.model.rowCount() == 1
    assert tab.model.patient_at(0).family_name == "O'Brien-Łukasz"
    assert tab.count_label.text() == "1 patient"
    _type_search(qtbot, window, "03/04/1985")
    assert [tab.model.patient_at(i).given_names for i in range(tab.model.rowCount())] == ["Zoë"]
    _type_search(qtbot, window, "31/02/1985")
    assert tab.model.rowCount() == 0
    assert tab.search_message.isVisible()
    assert "no day 31" in tab.search_message.text()
    _type_search(qtbot, window, "' OR 1=1 --")
    assert tab.model.rowCount() == 0


def test_enter_opens_the_patient_and_the_header_names_them(qtbot, window: MainWindow) -> None:
    _type_search(qtbot, window, "obrien")
    qtbot.keyClick(window.patients_tab.search, Qt.Key.Key_Return)
    assert window.current.patient is not None
    assert window.current.patient.given_names == "Zoë"
    assert window.header.name_label.text() == "O'BRIEN-ŁUKASZ, Zoë"
    assert "41 years" in window.header.details_label.text()
    assert "born 3 Apr 1985" in window.header.details_label.text()
    assert "Allergy: lidocaine" in window.header.alerts_label.text()
    form = window.patients_tab.form
    assert form.fields["given_names"].text() == "Zoë"


def test_edit_and_save_with_the_keyboard(qtbot, window: MainWindow, services: Services) -> None:
    tab = window.patients_tab
    _type_search(qtbot, window, "smith")
    qtbot.keyClick(tab.search, Qt.Key.Key_Return)
    phone: QLineEdit = tab.form.fields["phone"]
    phone.setFocus()
    phone.selectAll()
    qtbot.keyClicks(phone, "07700 900777")
    qtbot.keyClick(phone, Qt.Key.Key_Return)
    stored = services.patients.search("smith").rows[0]
    assert stored.phone == "07700 900777"
    assert window.current.patient.phone == "07700 900777"
    assert [e.action for e in services.patients.history(stored.id)] == ["create", "update"]


def test_history_says_fields_and_values_in_words(
    qtbot, window: MainWindow, services: Services, tmp_path
) -> None:
    """Issue #18: History showed ``date_of_birth: 1985-04-03`` and the export's file list as
    a Python list (``['a.pdf', 'a.json']``). It shows the form's labels and plain values."""
    smith = services.patients.search("smith").rows[0]
    assert services.patients.update(
        replace(smith, family_name="Smyth", date_of_birth=date(1985, 4, 4))
    ).ok
    services.subject_access.export(int(smith.id), tmp_path)
    dialog = HistoryDialog(window, smith, services.patients.history(int(smith.id)))
    qtbot.addWidget(dialog)
    texts = [dialog.list.item(n).text() for n in range(dialog.list.count())]
    export, change = texts[0], texts[1]
    assert "    Family name: Smith → Smyth" in change.splitlines()
    assert "    Date of birth: 15 Jan 1990 → 4 Apr 1985" in change.splitlines()
    assert "Changed date of birth and family name" in change.splitlines()[0]
    assert "[" not in export and "'" not in export
    assert " and " in next(line for line in export.splitlines() if "Files:" in line)
    assert not [t for t in texts if re.search(r"[a-z]+_[a-z_]+", t.replace(str(tmp_path), ""))]


def test_new_patient_from_the_keyboard_with_inline_problems(
    qtbot, window: MainWindow, services: Services
) -> None:
    tab = window.patients_tab
    tab.search.setFocus()
    qtbot.keyClick(tab, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    family = tab.form.fields["family_name"]
    assert family.hasFocus()
    type_text(qtbot, family, "Nuñez")
    qtbot.keyClick(family, Qt.Key.Key_Tab)
    type_text(qtbot, QApplication.focusWidget(), "Renée")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is tab.form.dob
    qtbot.keyClicks(tab.form.dob, "29/02/2027")
    qtbot.keyClick(family, Qt.Key.Key_Return)
    error = tab.form.errors["date_of_birth"]
    assert error.isVisible() and "no day 29" in error.text()
    assert services.patients.search("nunez").rows == []
    tab.form.dob.clear()
    qtbot.keyClicks(tab.form.dob, "12/08/1993")
    assert "12 Aug 1993" in tab.form.dob_reading.text()
    tab.form.fields["email"].setText("renee-at-example.com")
    qtbot.keyClick(family, Qt.Key.Key_Return)
    assert "name@example.com" in tab.form.errors["email"].text()
    assert not tab.form.errors["date_of_birth"].isVisible()
    tab.form.fields["email"].setText("renee@example.com")
    qtbot.keyClick(family, Qt.Key.Key_Return)
    [stored] = services.patients.search("nunez").rows
    assert (stored.given_names, stored.date_of_birth) == ("Renée", date(1993, 8, 12))
    assert window.header.name_label.text() == "NUÑEZ, Renée"
    qtbot.waitUntil(lambda: tab.model.row_of(stored.id) >= 0 or tab.search.text() != "")


def test_escape_discards_edits(qtbot, window: MainWindow, services: Services) -> None:
    tab = window.patients_tab
    _type_search(qtbot, window, "jones")
    qtbot.keyClick(tab.search, Qt.Key.Key_Return)
    notes = tab.form.fields["notes"]
    notes.setFocus()
    qtbot.keyClicks(notes, "typed but not wanted")
    qtbot.keyClick(notes, Qt.Key.Key_Escape)
    assert notes.toPlainText() == ""
    assert tab.search.hasFocus()
    assert services.patients.search("jones").rows[0].notes == ""


def test_ctrl_f_focuses_search(qtbot, window: MainWindow) -> None:
    window.patients_tab.form.fields["notes"].setFocus()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.patients_tab.search.hasFocus()


def _inside_composite(w: QWidget) -> bool:
    parent = w.parentWidget()
    while parent is not None:
        if isinstance(parent, (QLineEdit, QComboBox, QSpinBox)):
            return True
        parent = parent.parentWidget()
    return False


def unnamed_widgets(root: QWidget) -> list[str]:
    """Interactive widgets lacking an objectName or accessibleName (Qt's own parts excepted)."""
    kinds = (QAbstractButton, QLineEdit, QPlainTextEdit, QComboBox, QAbstractItemView, QSpinBox)
    found = []
    for w in root.findChildren(QWidget):
        if not isinstance(w, kinds) or isinstance(w, QHeaderView):
            continue
        if _inside_composite(w) or w.objectName().startswith("qt_"):
            continue  # parts Qt builds inside a composite widget (a combo's popup list, ...)
        if not w.objectName() or not w.accessibleName():
            found.append(f"{type(w).__name__}:{w.objectName()}")
    return found


def test_every_interactive_widget_is_named(window: MainWindow) -> None:
    assert unnamed_widgets(window) == []


def test_about_names_version_file_and_schema(window: MainWindow, services: Services) -> None:
    text = window.menus.about_text()
    assert "0.1.0" in text
    assert str(services.paths.data_file) in text
    assert "Schema version: 1" in text or "Schema version:" in text
