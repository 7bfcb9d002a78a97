# ruff: noqa: F811 - the fixtures imported from test_sessions_tab are parameters here
"""While a new session is being recorded no old timeline entry stays highlighted beside the
form; Cancel goes back to the entry that was being read, saving chooses the new one."""

from __future__ import annotations

from PySide6.QtCore import Qt

from exodesk.services.workspace import Services
from exodesk.ui.main_window import MainWindow
from exodesk.ui.sessions.tab import DETAIL, FORM, SessionsTab
from tests.answers import answered
from tests.ui.test_sessions_tab import PNG, clinic, window  # noqa: F401 - fixtures


def _highlighted(tab: SessionsTab) -> list[str]:
    return [item.text().splitlines()[0] for item in tab.timeline.selectedItems()]


def _record_a_session(tab: SessionsTab, depth: float) -> None:
    tab.record_button.click()
    tab.form.needle_depth.setValue(depth)
    tab.form.save_button.click()
    shown = {k: v.text() for k, v in tab.form.errors.items() if v.text()}
    assert tab.pages.currentIndex() == DETAIL, shown


def test_no_old_entry_is_highlighted_beside_a_new_session_form(
    qtbot, window: MainWindow, services: Services, clinic: dict, clock
) -> None:
    tab = window.sessions_tab
    _record_a_session(tab, 0.5)
    [first] = _highlighted(tab)
    assert "Exosome facial" in first and "0.50 mm" in tab.detail.text()

    tab.record_button.click()
    assert tab.pages.currentIndex() == FORM
    assert _highlighted(tab) == [] and tab.timeline.currentRow() == -1
    assert not tab.amend_button.isEnabled()  # nothing chosen: nothing to amend behind the form

    tab.form.cancel_button.click()  # back to what was being read
    assert tab.pages.currentIndex() == DETAIL
    assert _highlighted(tab) == [first] and "0.50 mm" in tab.detail.text()

    qtbot.keyClick(tab.timeline, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert _highlighted(tab) == []
    qtbot.keyClick(tab.form.needle_depth, Qt.Key.Key_Escape)  # Escape cancels the same way
    assert tab.pages.currentIndex() == DETAIL and _highlighted(tab) == [first]

    clock.advance(days=35)  # the next session, spaced as it should be, screened again
    screening = services.screening.save(clinic["patient"].id, answered()).record
    services.screening.record_consent(screening.id, "Olivia Smith", PNG)
    _record_a_session(tab, 0.75)  # saved: the new session is the one chosen
    assert tab.timeline.currentRow() == 0 and "0.75 mm" in tab.detail.text()


def test_amending_keeps_the_session_amended_highlighted(
    window: MainWindow, services: Services, clinic: dict
) -> None:
    tab = window.sessions_tab
    _record_a_session(tab, 0.5)
    [chosen] = _highlighted(tab)
    tab.amend_button.click()
    assert tab.pages.currentIndex() == FORM
    assert _highlighted(tab) == [chosen]
    tab.form.cancel_button.click()
    assert _highlighted(tab) == [chosen]
