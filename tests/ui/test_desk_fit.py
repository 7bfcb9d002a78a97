"""The demo clinic at the reception PC's screen sizes (issue #18, Fit): the window opens inside
the screen and never grows by itself; the session form, the verdict cards and the patient form
wrap instead of scrolling sideways, and their buttons stay in sight.

Set EXODESK_SHOTS to a folder to keep every picture the tests look at there as well."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, QPoint, QRect, QSettings
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QLabel, QSplitter, QWidget

from exodesk.paths import DataPaths
from exodesk.services.demo import seed_demo
from exodesk.services.workspace import Services, open_services
from exodesk.ui import main_window as main_window_module
from exodesk.ui.launcher import sign_in_demo
from exodesk.ui.main_window import MainWindow
from tests.ui.fit import SCREENS, assert_fits_and_shoot


@pytest.fixture
def demo(data_paths: DataPaths, clock) -> Iterator[Services]:
    svc = open_services(data_paths, create=True, clock=clock)
    seed_demo(svc, patients=14, backup_history=False)
    sign_in_demo(svc)
    yield svc
    svc.close()


def _screen(monkeypatch: pytest.MonkeyPatch, width: int, height: int) -> QRect:
    area = QRect(0, 0, width, height)
    monkeypatch.setattr(main_window_module, "available_area", lambda _window: area, raising=False)
    return area


def keep(widget: QWidget, name: str) -> None:
    """Keep a picture of ``widget`` in $EXODESK_SHOTS (before/after pictures for the issue)."""
    folder = os.environ.get("EXODESK_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(folder) / f"{name}.png"))


def sideways(widget: QWidget) -> list[str]:
    return [
        area.objectName() or type(area).__name__
        for area in widget.findChildren(QAbstractScrollArea)
        if area.isVisible() and area.horizontalScrollBar().isVisible()
    ]


def fully_visible(widget: QWidget) -> bool:
    """Every pixel of ``widget`` is on screen (not clipped by a scroll area or the window)."""
    return widget.isVisible() and widget.visibleRegion().boundingRect() == widget.rect()


def settle(qtbot) -> None:
    for _ in range(3):
        QApplication.processEvents()
        qtbot.wait(30)


def open_window(qtbot, demo: Services, size: tuple[int, int]) -> MainWindow:
    """The window filling a screen of ``size`` (as maximised there), its frame included."""
    window = MainWindow(demo, day_first=True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    border = window.frameGeometry().size() - window.size()
    window.resize(size[0] - border.width(), size[1] - border.height())
    settle(qtbot)
    return window


def patient_named(demo: Services, index: int):
    return demo.patients.search("").rows[index]


# ---- the window ----------------------------------------------------------------------------
@pytest.mark.parametrize("screen", SCREENS)
def test_the_window_opens_inside_the_screen(
    qtbot, demo: Services, monkeypatch: pytest.MonkeyPatch, screen: tuple[int, int]
) -> None:
    area = _screen(monkeypatch, *screen)
    window = MainWindow(demo, day_first=True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    keep(window, f"window-opens-{screen[0]}x{screen[1]}")
    frame = window.frameGeometry()
    assert frame.width() <= area.width() and frame.height() <= area.height(), (
        f"the window opens at {frame.width()}×{frame.height()} on a {screen} screen"
    )
    assert window.statusBar().isVisible()
    window.close()


def test_a_saved_size_is_kept_only_if_it_fits(
    qtbot, demo: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    _screen(monkeypatch, 1920, 1040)
    big = MainWindow(demo, day_first=True)
    qtbot.addWidget(big)
    big.resize(1700, 1000)
    big.show()
    qtbot.waitExposed(big)
    big.close()  # saves its geometry
    saved = QSettings(str(demo.paths.ui_settings), QSettings.Format.IniFormat)
    assert saved.value("window/geometry", QByteArray(), type=QByteArray)
    area = _screen(monkeypatch, 1366, 728)
    window = MainWindow(demo, day_first=True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.width() <= area.width() and window.height() <= area.height()
    window.close()
    # A size that fits is kept.
    _screen(monkeypatch, 1920, 1040)
    again = MainWindow(demo, day_first=True)
    qtbot.addWidget(again)
    again.resize(700, 500)  # the offscreen screen is 800×600
    again.show()
    qtbot.waitExposed(again)
    again.close()
    _screen(monkeypatch, 1366, 728)
    kept = MainWindow(demo, day_first=True)
    qtbot.addWidget(kept)
    kept.show()
    qtbot.waitExposed(kept)
    assert (kept.width(), kept.height()) == (700, 500)
    kept.close()


@pytest.mark.parametrize("screen", SCREENS)
def test_no_tab_makes_the_window_grow(
    qtbot, demo: Services, monkeypatch: pytest.MonkeyPatch, screen: tuple[int, int]
) -> None:
    _screen(monkeypatch, *screen)
    window = MainWindow(demo, day_first=True)  # at the size it opens at on that screen
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    settle(qtbot)
    window.patients_tab.open_patient(patient_named(demo, 1))
    before = window.size()
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        settle(qtbot)
        assert window.size() == before, (
            f"{window.tabs.tabText(index)} made the window {window.width()}×{window.height()}"
        )
        hint = window.minimumSizeHint()
        assert hint.width() <= screen[0] and hint.height() <= screen[1], (
            f"{window.tabs.tabText(index)} needs {hint.width()}×{hint.height()}"
        )
    window.tabs.setCurrentWidget(window.comparison_tab)
    settle(qtbot)
    keep(window, f"compare-{screen[0]}x{screen[1]}")
    assert sideways(window) == []


# ---- the session form ----------------------------------------------------------------------
@pytest.mark.parametrize("screen", SCREENS)
def test_the_session_form_wraps_and_save_stays_in_sight(
    qtbot, demo: Services, screen: tuple[int, int], tmp_path: Path
) -> None:
    window = open_window(qtbot, demo, screen)
    window.patients_tab.open_patient(patient_named(demo, 0))
    window.tabs.setCurrentWidget(window.sessions_tab)
    tab = window.sessions_tab
    tab.start_record()
    form = tab.form
    form.add_product.click()
    combo = form.products.cellWidget(form.products.rowCount() - 1, 0)
    # The human-derived lot: the longest warnings (regulatory notes, lab reports).
    human = next(
        i
        for i in range(1, combo.count())
        if "cord" in combo.itemText(i).lower() or "human" in combo.itemText(i).lower()
    )
    combo.setCurrentIndex(human)
    form.run_checks()
    settle(qtbot)
    keep(window, f"session-form-{screen[0]}x{screen[1]}")
    assert form.regulatory_checks, "the lot brings warnings to confirm"
    assert sideways(window) == [], "the session form scrolls sideways"
    for button in (form.save_button, form.cancel_button):
        assert fully_visible(button), f"{button.text()} is out of sight"
    volume = form.products.cellWidget(form.products.rowCount() - 1, 1)
    assert fully_visible(volume), "the volume is out of sight"
    body = form.scroll_area.widget()
    viewport = form.scroll_area.viewport()
    assert body.width() <= viewport.width(), (
        f"the form is {body.width()} px wide in a {viewport.width()} px view"
    )
    form.scroll_area.verticalScrollBar().setValue(form.scroll_area.verticalScrollBar().maximum())
    settle(qtbot)
    keep(window, f"session-form-checks-{screen[0]}x{screen[1]}")
    assert _cut_labels(body, viewport) == []
    for box in form.regulatory_checks.values():
        assert box.isVisible() and box.mapTo(viewport, QPoint(box.width(), 0)).x() <= (
            viewport.width()
        )
    if screen == min(SCREENS):
        assert_fits_and_shoot(window, tmp_path / "session-form.png")


# ---- the verdict cards ---------------------------------------------------------------------
def _cut_labels(panel: QWidget, viewport: QWidget) -> list[str]:
    """Labels of the panel that reach past the right edge of what the scroll area shows."""
    right = viewport.width()
    cut = []
    for label in panel.findChildren(QLabel):
        if not label.isVisible() or not label.text():
            continue
        edge = label.mapTo(viewport, QPoint(label.width(), 0)).x()
        if edge > right:
            cut.append(label.text()[:30])
    return cut


@pytest.mark.parametrize("screen", SCREENS)
def test_the_verdict_cards_wrap(
    qtbot, demo: Services, screen: tuple[int, int], tmp_path: Path
) -> None:
    window = open_window(qtbot, demo, screen)
    tab = window.screening_tab
    window.tabs.setCurrentWidget(tab)
    # A new patient with nothing answered ("Answer the questions …"), then the demo patients
    # whose screening needs a doctor's review.
    for n, patient in enumerate(demo.patients.search("").rows[:6]):
        window.patients_tab.open_patient(patient)
        window.tabs.setCurrentWidget(tab)
        if n == 0:
            tab.new_button.click() if tab.new_button.isEnabled() else None
        settle(qtbot)
        scroll = window.findChild(QAbstractScrollArea, "verdictScroll")
        assert scroll is not None
        keep(window, f"verdicts-{screen[0]}x{screen[1]}-{n}")
        assert not scroll.horizontalScrollBar().isVisible(), "the verdicts scroll sideways"
        assert _cut_labels(tab.verdicts, scroll.viewport()) == []
    if screen == min(SCREENS):
        assert_fits_and_shoot(window, tmp_path / "verdicts.png")
    # The splitter pulled as far towards the verdicts as it goes: the cards still wrap.
    splitter = scroll.parentWidget()
    assert isinstance(splitter, QSplitter)
    splitter.setSizes([10_000, 1])
    settle(qtbot)
    keep(window, f"verdicts-squeezed-{screen[0]}x{screen[1]}")
    assert scroll.viewport().width() >= 200, "the verdicts can still be read"
    assert not scroll.horizontalScrollBar().isVisible()
    assert tab.verdicts.width() <= scroll.viewport().width()
    assert _cut_labels(tab.verdicts, scroll.viewport()) == []


# ---- the patient form ----------------------------------------------------------------------
@pytest.mark.parametrize("size", [*SCREENS, (1200, 760)])
def test_problems_on_the_patient_form_push_the_buttons_down(
    qtbot, demo: Services, size: tuple[int, int], tmp_path: Path
) -> None:
    window = open_window(qtbot, demo, size)
    tab = window.patients_tab
    tab.open_patient(patient_named(demo, 2))
    form = tab.form
    form.fields["phone"].setText("12ab")
    form.fields["email"].setText("not an email")
    form.save_button.click()
    settle(qtbot)
    shown = [label for label in form.errors.values() if label.isVisible()]
    assert len(shown) == 2, "two problems are shown"
    keep(window, f"patient-problems-{size[0]}x{size[1]}")
    notes = form.fields["notes"]
    notes_box = QRect(notes.mapTo(form, QPoint(0, 0)), notes.size())
    for button in (form.save_button, form.cancel_button):
        place = QRect(button.mapTo(form, QPoint(0, 0)), button.size())
        assert not place.intersects(notes_box), f"{button.text()} overlaps the Notes box"
    for label in shown:
        field = form.fields[next(k for k, v in form.errors.items() if v is label)]
        field_box = QRect(field.mapTo(form, QPoint(0, 0)), field.size())
        place = QRect(label.mapTo(form, QPoint(0, 0)), label.size())
        assert place.top() >= field_box.bottom(), "the problem sits under its field"
    assert sideways(window) == []
    if size == min(SCREENS):
        assert_fits_and_shoot(window, tmp_path / "patient-problems.png")
