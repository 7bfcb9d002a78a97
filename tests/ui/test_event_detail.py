# ruff: noqa: F811 - the fixtures imported from test_sessions_tab are parameters here
"""An adverse event chosen on the timeline is shown in full beside it: what happened, what was
done, how it ended and who has been told, as the regulator report prints them."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from PySide6.QtGui import QTextDocument

from exodesk.domain.dates import format_long, format_short
from exodesk.domain.sessions import AdverseEvent
from exodesk.services.workspace import Services
from exodesk.ui.main_window import MainWindow
from exodesk.ui.sessions.tab import SessionsTab
from tests.ui.test_sessions_tab import clinic, window  # noqa: F401 - fixtures


def _record_a_session(tab: SessionsTab) -> None:
    tab.start_record()
    tab.form.needle_depth.setValue(0.5)
    tab.form.save_button.click()


def _shown(tab: SessionsTab) -> str:
    document = QTextDocument()
    document.setHtml(tab.detail.text())
    return " ".join(document.toPlainText().split())


def _choose_the_event(tab: SessionsTab) -> None:
    tab.refresh()
    row = next(
        i for i in range(tab.timeline.count()) if "Adverse event" in tab.timeline.item(i).text()
    )
    tab.timeline.setCurrentRow(row)


def test_an_adverse_event_is_shown_in_full(
    window: MainWindow, services: Services, clinic: dict, clock
) -> None:
    tab = window.sessions_tab
    _record_a_session(tab)
    [session] = services.sessions.sessions(clinic["patient"].id)
    clock.advance(days=3)
    onset = services.ctx.today()
    logged = services.events.log_event(
        AdverseEvent(
            session.id,
            "granuloma_nodule",
            onset,
            "moderate",
            "Firm 5 mm lump under the left cheekbone\nTender to touch",
            action_taken="Warm compresses; reviewed after a week",
        )
    )
    assert logged.ok
    _choose_the_event(tab)
    shown = _shown(tab)
    assert "Granuloma / nodule (Moderate)" in shown
    assert "Severity Moderate" in shown
    assert f"Onset {format_long(onset)}" in shown
    assert "Firm 5 mm lump under the left cheekbone Tender to touch" in shown
    assert "Action taken Warm compresses; reviewed after a week" in shown
    assert "Outcome Not yet resolved" in shown and "Resolved Not yet" in shown
    assert "Reported to the supplier No" in shown
    assert "Reported to the regulator No" in shown
    assert "Dr Amara Okafor" in shown  # the session it followed, and who did it

    # Resolved, and told the supplier and the regulator a week later.
    clock.advance(days=7)
    resolved_on = services.ctx.today()
    updated = services.events.log_event(
        replace(
            logged.record,
            outcome="resolved",
            resolution_date=resolved_on,
            reported_to_supplier=True,
            reported_to_regulator=True,
            regulator_reference="MHRA-2026-0042",
        )
    )
    assert updated.ok
    _choose_the_event(tab)
    shown = _shown(tab)
    assert "Outcome Resolved" in shown
    assert f"Resolved {format_long(resolved_on)}" in shown
    assert "Reported to the supplier Yes" in shown
    assert (
        f"Reported to the regulator Yes, reference MHRA-2026-0042 "
        f"(marked on {format_short(resolved_on)})" in shown
    )
    # Plain words only: no stored ids such as granuloma_nodule or resolved_with_sequelae.
    assert not re.search(r"[a-z]+_[a-z_]+", shown)
    assert tab.edit_event_button.isVisibleTo(tab) and tab.report_button.isVisibleTo(tab)


def test_the_regulator_date_is_when_it_was_marked_reported(
    services: Services, clinic: dict, window: MainWindow, clock
) -> None:
    tab = window.sessions_tab
    _record_a_session(tab)
    [session] = services.sessions.sessions(clinic["patient"].id)
    event = AdverseEvent(session.id, "bruising", services.ctx.today(), "mild", "Small bruise")
    logged = services.events.log_event(event).record
    assert services.events.regulator_told_on(logged.id) is None
    clock.advance(days=2)
    told = services.events.log_event(replace(logged, reported_to_regulator=True)).record
    marked = services.events.regulator_told_on(logged.id)
    assert marked is not None and marked.astimezone().date() == services.ctx.today()
    clock.advance(days=5)  # a later edit that leaves the flag alone keeps the date
    services.events.log_event(replace(told, action_taken="Arnica gel"))
    assert services.events.regulator_told_on(logged.id) == marked
    assert services.ctx.today() - marked.astimezone().date() == timedelta(days=5)
