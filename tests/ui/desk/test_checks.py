"""The desk checks themselves: each one catches what it is for, on a small window built to have
exactly that fault (and passes the same window without it)."""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from tests.ui.desk import checks

SCREEN = QRect(0, 0, 1280, 720)


def _window(qtbot, width: int = 400, height: int = 300) -> QDialog:
    window = QDialog()
    window.setObjectName("testWindow")
    qtbot.addWidget(window)
    window.resize(width, height)
    return window


def _show(qtbot, window: QWidget) -> None:
    window.show()
    qtbot.waitExposed(window)


def test_a_window_larger_than_the_screen(qtbot) -> None:
    window = _window(qtbot, 1300, 300)
    _show(qtbot, window)
    [problem] = checks.window_fits(window, SCREEN)  # its frame: a few pixels more
    assert problem.startswith("testWindow is 130")
    assert problem.endswith(", larger than the 1280×720 screen")
    window.resize(1200, 300)
    window.move(0, 0)
    assert checks.window_fits(window, SCREEN) == []


def test_a_stray_window(qtbot) -> None:
    """As SessionsTab once did: a button made without a parent, never put in a layout, shown."""
    window = _window(qtbot)
    _show(qtbot, window)
    before: list[QWidget] = []
    assert checks.no_stray_windows([window], before) == []
    stray = QPushButton("Regulator report…")
    qtbot.addWidget(stray)
    stray.show()
    [problem] = checks.no_stray_windows([window], before)
    assert problem.startswith("a stray window QPushButton 'Regulator report…' (QPushButton)")


def test_a_form_that_scrolls_sideways(qtbot) -> None:
    window = _window(qtbot)
    area = QScrollArea()
    area.setObjectName("formScroll")
    area.setWidgetResizable(True)
    content = QWidget()
    content.setMinimumWidth(700)  # e.g. a check box line that does not wrap
    area.setWidget(content)
    QVBoxLayout(window).addWidget(area)
    _show(qtbot, window)
    [problem] = checks.no_sideways_scrolling(window)
    assert problem.startswith("formScroll scrolls sideways")
    content.setMinimumWidth(100)
    qtbot.waitUntil(lambda: not area.horizontalScrollBar().isVisible())
    assert checks.no_sideways_scrolling(window) == []


def test_a_button_outside_its_window_or_cut(qtbot) -> None:
    window = _window(qtbot)
    outside = QPushButton("Save", window)
    outside.setObjectName("saveButton")
    outside.setGeometry(350, 280, 80, 30)
    holder = QWidget(window)
    holder.setGeometry(10, 10, 50, 50)
    cut = QPushButton("Cancel", holder)
    cut.setObjectName("cancelButton")
    cut.setGeometry(0, 30, 80, 30)
    _show(qtbot, window)
    assert checks.buttons_inside(window) == [
        "button saveButton at 350,280 80×30 is outside its 400×300 window",
        "button cancelButton is 80×30 but only 50×20 of it shows",
    ]


def test_a_button_over_the_notes_box(qtbot) -> None:
    """Two controls a layout placed, lying on each other (the patient form's old fault)."""
    window = _window(qtbot)
    form = QFormLayout(window)
    notes = QPlainTextEdit()
    notes.setObjectName("notes")
    save = QPushButton("Save")
    save.setObjectName("save")
    form.addRow("Notes", notes)
    form.addRow(save)
    _show(qtbot, window)
    assert checks.no_overlapping_buttons(window) == []
    save.move(notes.x(), notes.y() + 10)  # as if the layout had not made room
    [problem] = checks.no_overlapping_buttons(window)
    assert problem.startswith("button save overlaps notes by ")


def test_a_cover_over_the_window_is_not_an_overlap(qtbot) -> None:
    """The lock screen's cover lies over the window on purpose (it is in no layout)."""
    window = _window(qtbot)
    QVBoxLayout(window).addWidget(QPlainTextEdit())
    cover = QWidget(window)
    cover.setGeometry(window.rect())
    QPushButton("Unlock", cover).setGeometry(10, 10, 80, 30)
    _show(qtbot, window)
    assert checks.no_overlapping_buttons(window) == []


def test_a_label_cut_short(qtbot) -> None:
    window = _window(qtbot)
    label = QLabel("NEEDS A DOCTOR'S REVIEW BEFORE TREATMENT", window)
    label.setObjectName("badge")
    label.setGeometry(10, 10, 120, 20)
    _show(qtbot, window)
    [problem] = checks.no_cut_labels(window)
    assert problem.startswith("label badge needs ")
    assert problem.endswith(" but has 120 px and no tooltip")
    label.setToolTip(label.text())  # the whole text is a pointer away
    assert checks.no_cut_labels(window) == []
    label.setToolTip("")
    label.setWordWrap(True)  # wraps onto lines below instead
    assert checks.no_cut_labels(window) == []


def test_a_label_with_room_is_fine(qtbot) -> None:
    window = _window(qtbot)
    layout = QVBoxLayout(window)
    layout.addWidget(QLabel("<b>Exosome facial</b> (Skin rejuvenation)"))
    layout.addWidget(QLabel("&Name"))
    _show(qtbot, window)
    assert checks.no_cut_labels(window) == []
