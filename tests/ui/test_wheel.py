"""The mouse wheel scrolls the form; it never changes an answer the pointer passes over (issue
#18: scrolling the questionnaire changed "autoimmune" and three verdicts with it)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDateTimeEdit,
    QWidget,
)

import exodesk.ui
from exodesk.paths import DataPaths
from exodesk.services.demo import seed_demo
from exodesk.services.workspace import Services, open_services
from exodesk.ui.launcher import sign_in_demo
from exodesk.ui.main_window import MainWindow

UI = Path(exodesk.ui.__file__).parent
# Qt's own classes that take the wheel without focus; exodesk/ui uses ui/widgets' NoWheel ones.
WHEEL_TAKERS = {
    "QComboBox",
    "QFontComboBox",
    "QSpinBox",
    "QDoubleSpinBox",
    "QDateEdit",
    "QTimeEdit",
    "QDateTimeEdit",
}


@pytest.fixture
def demo(data_paths: DataPaths, clock) -> Iterator[Services]:
    svc = open_services(data_paths, create=True, clock=clock)
    seed_demo(svc, patients=8, backup_history=False)
    sign_in_demo(svc)
    yield svc
    svc.close()


def wheel(widget: QWidget, notches: int) -> None:
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(QPoint(int(centre.x()), int(centre.y())))),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def value(widget: QWidget) -> object:
    if isinstance(widget, QComboBox):
        return (widget.currentIndex(), widget.currentText())
    if isinstance(widget, QDateTimeEdit):
        return widget.dateTime().toString(Qt.DateFormat.ISODate)
    assert isinstance(widget, QAbstractSpinBox)
    return widget.text()


def wheel_takers(root: QWidget) -> list[QWidget]:
    return [
        w
        for w in root.findChildren(QWidget)
        if isinstance(w, QComboBox | QAbstractSpinBox) and w.isVisible()
    ]


def assert_wheel_passes_by(root: QWidget, where: str) -> int:
    """Wheel up and down over every visible combo, spin and date box of ``root``, none of
    them focused; nothing may change. Returns how many were tried."""
    tried = 0
    for widget in wheel_takers(root):
        widget.clearFocus()
        before = value(widget)
        for notches in (-1, -1, 1, 1, 1):
            wheel(widget, notches)
        assert value(widget) == before, f"{where}: the wheel changed {widget.objectName()}"
        # A real wheel gives a WheelFocus box focus before it turns it.
        assert widget.focusPolicy() != Qt.FocusPolicy.WheelFocus, (
            f"{where}: the wheel would give {widget.objectName()} focus first"
        )
        tried += 1
    return tried


def test_the_wheel_changes_no_answer_anywhere_in_the_window(
    qtbot, demo: Services, data_paths: DataPaths
) -> None:
    window = MainWindow(demo, day_first=True)
    qtbot.addWidget(window)
    window.resize(1366, 728)
    window.show()
    qtbot.waitExposed(window)
    patients = demo.patients.search("").rows
    window.patients_tab.open_patient(patients[0])
    tried = 0
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        qtbot.wait(20)
        tried += assert_wheel_passes_by(window, window.tabs.tabText(index))
    # A new screening: the questionnaire's own drop-downs and dates.
    window.tabs.setCurrentWidget(window.screening_tab)
    window.screening_tab.new_button.click()
    qtbot.wait(20)
    tried += assert_wheel_passes_by(window, "new screening")
    # The session form with a product row and PRP (every spin box shown).
    tab = window.sessions_tab
    window.tabs.setCurrentWidget(tab)
    tab.start_record()
    form = tab.form
    form.treatment.setCurrentIndex(form.treatment.findData("prp"))
    form.add_product.click()
    lots = form.products.cellWidget(0, 0)
    lots.setCurrentIndex(1)
    form.products.cellWidget(0, 1).setValue(2.0)
    form.needle_depth.setValue(1.0)
    form.anaesthetic_minutes.setValue(20)
    qtbot.wait(20)
    tried += assert_wheel_passes_by(window, "session form")
    assert tried >= 20, f"only {tried} boxes were tried"


def test_a_focused_box_still_takes_the_wheel(qtbot, demo: Services) -> None:
    window = MainWindow(demo, day_first=True)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    tab = window.sessions_tab
    window.patients_tab.open_patient(demo.patients.search("").rows[0])
    window.tabs.setCurrentWidget(tab)
    tab.start_record()
    minutes = tab.form.anaesthetic_minutes
    minutes.setValue(20)
    minutes.setFocus()
    qtbot.waitUntil(minutes.hasFocus)
    wheel(minutes, 1)
    assert minutes.value() == 21, "once chosen, the wheel works as people expect"


def test_exodesk_ui_builds_no_bare_wheel_taker() -> None:
    """Every combo, spin and date box in exodesk/ui is one of ui/widgets' NoWheel classes."""
    found = []
    for path in sorted(UI.rglob("*.py")):
        if path.name == "widgets.py" and path.parent == UI:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[ast.expr] = []
            if isinstance(node, ast.Call):
                names = [node.func]
            elif isinstance(node, ast.ClassDef):
                names = list(node.bases)
            for name in names:
                text = name.attr if isinstance(name, ast.Attribute) else getattr(name, "id", "")
                if text in WHEEL_TAKERS:
                    found.append(f"{path.relative_to(UI.parent)}:{node.lineno} {text}")
    assert found == [], "use ui/widgets' NoWheel classes instead:\n" + "\n".join(found)
