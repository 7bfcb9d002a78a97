"""Signing in to an encrypted clinic (every new clinic) from the keyboard: Enter signs in, and
what the dialog says reads as written (issue #18: Enter opened the recovery-key prompt, and a
wrong password showed "clinic&#x27;s records")."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import QDialog, QLabel, QWidget

from exodesk.paths import DataPaths
from exodesk.services.demo import seed_demo
from exodesk.services.workspace import Services, open_services
from exodesk.ui.dialogs.sign_in import SignInDialog
from exodesk.ui.dialogs.unlock import UnlockDialog
from exodesk.ui.launcher import sign_in_demo
from exodesk.ui.main_window import MainWindow
from tests.conftest import FakeClock
from tests.ui.test_encryption_flow import ADA_PASSWORD, encrypted  # noqa: F401 (a fixture)

ENTITY = re.compile(r"&(#x?[0-9a-fA-F]+|amp|lt|gt|quot|apos|nbsp);")


def entities_shown(root: QWidget) -> list[str]:
    """Labels that show an HTML entity literally: escaped text in a plain-text label."""
    found = []
    for label in [root, *root.findChildren(QWidget)]:
        if not isinstance(label, QLabel) or not label.text():
            continue
        plain = label.textFormat() == Qt.TextFormat.PlainText or (
            label.textFormat() == Qt.TextFormat.AutoText and not GuiQt.mightBeRichText(label.text())
        )
        if plain and ENTITY.search(label.text()):
            found.append(f"{label.objectName() or type(label).__name__}: {label.text()[:60]}")
    return found


def unlock_dialog(qtbot, paths: DataPaths, asked: list[int]) -> UnlockDialog:
    def ask(_parent: QWidget) -> str | None:
        asked.append(1)
        return None

    dialog = UnlockDialog(None, paths, clock=FakeClock(), ask_recovery_key=ask)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_enter_in_the_password_box_signs_in(qtbot, encrypted) -> None:  # noqa: F811
    paths, _ = encrypted
    asked: list[int] = []
    dialog = unlock_dialog(qtbot, paths, asked)
    assert dialog.ok_button.isDefault() and not dialog.recovery_button.isDefault()
    dialog.password_box.setFocus()
    qtbot.keyClicks(dialog.password_box, ADA_PASSWORD)
    qtbot.keyClick(dialog.password_box, Qt.Key.Key_Return)
    assert asked == [], "Enter opened the recovery-key prompt"
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.key is not None


def test_a_wrong_password_reads_as_written(qtbot, encrypted) -> None:  # noqa: F811
    paths, _ = encrypted
    asked: list[int] = []
    dialog = unlock_dialog(qtbot, paths, asked)
    qtbot.keyClicks(dialog.password_box, "not the password")
    qtbot.keyClick(dialog.password_box, Qt.Key.Key_Return)
    assert asked == []
    assert dialog.error.isVisible()
    assert "the clinic's records" in dialog.error.text()
    assert entities_shown(dialog) == []
    # Enter again, with the right password, still signs in.
    qtbot.keyClicks(dialog.password_box, ADA_PASSWORD)
    qtbot.keyClick(dialog.password_box, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted and asked == []


@pytest.fixture
def demo(data_paths: DataPaths, clock) -> Iterator[Services]:
    svc = open_services(data_paths, create=True, clock=clock)
    seed_demo(svc, patients=8, backup_history=False)
    sign_in_demo(svc)
    yield svc
    svc.close()


def test_no_label_shows_an_escaped_entity(qtbot, demo: Services) -> None:
    """Every tab of the demo clinic (names with apostrophes, sources with "&"), and a wrong
    password at sign-in: no label shows "&#x27;" or "&amp;"."""
    window = MainWindow(demo, day_first=True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    for patient in demo.patients.search("").rows[:4]:
        window.patients_tab.open_patient(patient)
        for index in range(window.tabs.count()):
            window.tabs.setCurrentIndex(index)
            qtbot.wait(10)
            assert entities_shown(window) == [], window.tabs.tabText(index)
    members = demo.clinic.staff()
    dialog = SignInDialog(window, demo.accounts, members, clinic_name="O'Neill & Daughters")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.password, "not the password")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.error.isVisible()
    assert entities_shown(dialog) == []
