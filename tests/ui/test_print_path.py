"""The one print path, UI side: every printed document renders on a worker thread, opens in the
shared preview and, once printed or saved, is recorded as before; a failure is one sentence."""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QThreadPool
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QProgressDialog, QPushButton, QWidget
from reportlab.pdfgen import canvas
from shiboken6 import isValid

import exodesk.reports.aftercare
import exodesk.reports.clinical
import exodesk.reports.comparison
import exodesk.reports.screening_summary
from exodesk.errors import UserError
from exodesk.services.context import Changes
from exodesk.services.printing import PrintJob
from exodesk.services.workspace import Services
from exodesk.ui import printing
from exodesk.ui.aftercare.tab import AftercareTab
from exodesk.ui.comparison.tab import ComparisonTab
from exodesk.ui.current import CurrentPatient
from exodesk.ui.printing import PdfPreviewDialog, preview_job
from exodesk.ui.screening.tab import ScreeningTab
from exodesk.ui.sessions.lists import DueListDialog, RecallDialog
from exodesk.ui.sessions.tab import SessionsTab
from tests.conftest import FakeClock
from tests.services.test_printing import (
    DOCUMENTS_PRINTED,
    audit_tail,
    expected_audit,
    flat_text,
    issue_rows,
    make_clinic,
)
from tests.ui.previews import RENDER_TIMEOUT_MS, save_to, through_the_preview


def a_pdf(text: str = "Riverside Clinic") -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out, invariant=1)
    page.drawString(72, 720, text)
    page.save()
    return out.getvalue()


@pytest.fixture
def shown_errors(monkeypatch: pytest.MonkeyPatch) -> list[UserError]:
    errors: list[UserError] = []

    def show(_parent: QWidget | None, exc: UserError, _title: str = "ExoDesk") -> None:
        errors.append(exc)

    monkeypatch.setattr(printing, "show_user_error", show)
    return errors


@pytest.fixture
def previews_opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Titles of previews that opened; a preview that must not open fails the test instead."""
    opened: list[str] = []

    def refuse(_pdf: bytes, title: str, *_args: Any, **_kwargs: Any) -> PdfPreviewDialog:
        opened.append(title)
        raise AssertionError(f"the preview of {title} opened")

    monkeypatch.setattr(printing, "PdfPreviewDialog", refuse)
    return opened


@pytest.fixture
def parent(qtbot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


@dataclass
class Calls:
    """What a job saw: the threads it rendered on, what it recorded, what the tab was told."""

    render_threads: list[threading.Thread]
    recorded: list[tuple[str, bytes, threading.Thread]]
    told: list[Changes]


def watched_job(
    calls: Calls,
    *,
    pdf: bytes | None = None,
    render: Callable[[], bytes] | None = None,
    record: Callable[[str, bytes], Changes] | None = None,
    caveat: Callable[[bytes], str] | None = None,
) -> PrintJob[str]:
    made = pdf or a_pdf()

    def rendering() -> bytes:
        calls.render_threads.append(threading.current_thread())
        return render() if render else made

    def recording(how: str, data: bytes) -> Changes:
        calls.recorded.append((how, data, threading.current_thread()))
        return record(how, data) if record else Changes(frozenset({"documents"}), 7)

    return PrintJob("Test sheet", "Test sheet.pdf", "Letter", "data", rendering, recording, caveat)


@pytest.fixture
def calls() -> Calls:
    return Calls([], [], [])


def settle() -> None:
    QThreadPool.globalInstance().waitForDone(RENDER_TIMEOUT_MS)


# ---- preview_job itself ----------------------------------------------------------------------
def test_renders_on_a_worker_then_records_on_the_main_thread_what_was_saved(
    qtbot, parent: QWidget, calls: Calls, tmp_path: Path
) -> None:
    job = watched_job(calls)
    out = tmp_path / "out.pdf"
    progress_seen: list[object] = []

    def save(dialog: PdfPreviewDialog) -> None:
        progress_seen.append(parent.findChild(QProgressDialog, "printProgress"))
        assert dialog.windowTitle() == "Test sheet — preview"
        save_to(out)(dialog)

    through_the_preview(qtbot, lambda: preview_job(parent, job, calls.told.append), save)
    assert [t is threading.main_thread() for t in calls.render_threads] == [False]
    assert calls.recorded == [(f"saved:{out}", job.pdf(), threading.main_thread())]
    assert out.read_bytes() == job.pdf()
    assert calls.told == [Changes(frozenset({"documents"}), 7)]
    assert progress_seen == [None], "a quick render shows no progress window"
    assert QGuiApplication.overrideCursor() is None


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (RuntimeError("glyph missing"), "“Test sheet” could not be made, so nothing was printed."),
        (UserError("The logo file is damaged."), "The logo file is damaged."),
    ],
)
def test_a_render_failure_is_one_sentence_and_nothing_is_recorded(
    qtbot,
    parent: QWidget,
    calls: Calls,
    shown_errors: list[UserError],
    previews_opened: list[str],
    failure: Exception,
    message: str,
) -> None:
    def broken() -> bytes:
        raise failure

    preview_job(parent, watched_job(calls, render=broken), calls.told.append)
    qtbot.waitUntil(lambda: bool(shown_errors), timeout=RENDER_TIMEOUT_MS)
    assert [e.message for e in shown_errors] == [message]
    assert previews_opened == [] and calls.recorded == [] and calls.told == []
    assert QGuiApplication.overrideCursor() is None


def test_a_refused_record_is_said_and_the_tab_is_not_told(
    qtbot, parent: QWidget, calls: Calls, shown_errors: list[UserError], tmp_path: Path
) -> None:
    def refused(_how: str, _pdf: bytes) -> Changes:
        raise UserError("Priya Shah may not print the recall list.")

    job = watched_job(calls, record=refused)
    through_the_preview(
        qtbot, lambda: preview_job(parent, job, calls.told.append), save_to(tmp_path / "x.pdf")
    )
    assert [e.message for e in shown_errors] == ["Priya Shah may not print the recall list."]
    assert len(calls.recorded) == 1 and calls.told == []


def test_a_slow_render_shows_what_is_being_prepared_and_a_second_click_prints_once(
    qtbot, parent: QWidget, calls: Calls, tmp_path: Path
) -> None:
    release = threading.Event()

    def slow() -> bytes:
        release.wait(RENDER_TIMEOUT_MS / 1000)
        return a_pdf()

    first, second = watched_job(calls, render=slow), watched_job(calls, render=slow)
    parent.show()

    def start() -> None:
        preview_job(parent, first)
        preview_job(parent, second)  # a double click: ignored while the first renders
        qtbot.waitUntil(
            lambda: (
                (p := parent.findChild(QProgressDialog, "printProgress")) is not None
                and p.isVisible()
            ),
            timeout=RENDER_TIMEOUT_MS,
        )
        progress = parent.findChild(QProgressDialog, "printProgress")
        assert progress.labelText() == "Preparing Test sheet…"
        release.set()

    through_the_preview(qtbot, start, save_to(tmp_path / "once.pdf"))
    assert len(calls.render_threads) == 1 and len(calls.recorded) == 1
    visible = [p for p in parent.findChildren(QProgressDialog) if p.isVisible()]
    assert visible == [] and QGuiApplication.overrideCursor() is None


def test_a_caveat_is_read_before_the_preview_opens(
    qtbot, parent: QWidget, calls: Calls, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    told: list[tuple[str, str]] = []
    monkeypatch.setattr(
        printing.QMessageBox, "information", lambda _p, title, text: told.append((title, text))
    )
    job = watched_job(calls, caveat=lambda pdf: "Not identical." if pdf else "")
    through_the_preview(qtbot, lambda: preview_job(parent, job), save_to(tmp_path / "c.pdf"))
    assert told == [("Test sheet", "Not identical.")]


def test_closing_the_window_while_rendering_opens_no_preview_and_restores_the_cursor(
    qtbot, calls: Calls, previews_opened: list[str]
) -> None:
    release = threading.Event()

    def slow() -> bytes:
        release.wait(RENDER_TIMEOUT_MS / 1000)
        return a_pdf()

    widget = QWidget()
    preview_job(widget, watched_job(calls, render=slow))
    assert QGuiApplication.overrideCursor() is not None
    widget.deleteLater()
    qtbot.waitUntil(lambda: not isValid(widget))
    release.set()
    settle()
    qtbot.waitUntil(lambda: QGuiApplication.overrideCursor() is None, timeout=RENDER_TIMEOUT_MS)
    assert previews_opened == [] and calls.recorded == []


# ---- every document, through the widget that prints it ---------------------------------------
Started = tuple[QWidget, Callable[[], None]]


@dataclass(frozen=True)
class Trigger:
    """Where a document is printed from: the widget, how to start, and its renderer."""

    module: Any
    renderer: str
    # Builds the widget and says how to start printing; the test keeps the widget alive.
    start: Callable[[Any, Services, dict[str, int]], Started]


def _patient(services: Services, ids: dict[str, int]) -> CurrentPatient:
    current = CurrentPatient()
    current.set(services.patients.get(ids["patient"]))
    return current


def _aftercare_tab(qtbot, services: Services, ids: dict[str, int]) -> AftercareTab:
    tab = AftercareTab(services.aftercare, services.sessions, _patient(services, ids))
    qtbot.addWidget(tab)
    tab.show()
    qtbot.waitExposed(tab)
    # Choosing the session's sheet re-renders once more, after a short pause.
    qtbot.waitUntil(
        lambda: not tab._timer.isActive() and tab.print_button.isEnabled(),
        timeout=RENDER_TIMEOUT_MS,
    )
    assert tab.session.currentData() == ids["session"]
    return tab


def _print_aftercare(qtbot, services: Services, ids: dict[str, int]) -> Started:
    tab = _aftercare_tab(qtbot, services, ids)
    return tab, tab.print_button.click


def _reprint_aftercare(qtbot, services: Services, ids: dict[str, int]) -> Started:
    tab = _aftercare_tab(qtbot, services, ids)
    assert tab.issued.count() == 1
    return tab, tab.reprint_button.click


def _print_comparison(qtbot, services: Services, ids: dict[str, int]) -> Started:
    tab = ComparisonTab(services.comparison, _patient(services, ids))
    qtbot.addWidget(tab)
    for key, box in tab.picks.items():
        box.setChecked(key in ("exosome_face", "prp"))
    assert tab.for_patient.isChecked() and tab.print_button.isEnabled()
    return tab, tab.print_button.click


def _print_screening_summary(qtbot, services: Services, ids: dict[str, int]) -> Started:
    tab = ScreeningTab(services.screening, _patient(services, ids), day_first=True)
    qtbot.addWidget(tab)
    assert tab.print_button.isEnabled()
    return tab, tab.print_button.click


def _print_regulator_report(qtbot, services: Services, ids: dict[str, int]) -> Started:
    tab = SessionsTab(
        _patient(services, ids),
        sessions=services.sessions,
        courses=services.courses,
        catalogue=services.catalogue,
        events=services.events,
        timeline=services.timeline,
    )
    qtbot.addWidget(tab)
    row = next(i for i in range(tab.timeline.count()) if "Adverse" in tab.timeline.item(i).text())
    tab.timeline.setCurrentRow(row)
    return tab, tab.report_button.click


def _print_recall(qtbot, services: Services, ids: dict[str, int]) -> Started:
    dialog = RecallDialog(None, services.recall)
    qtbot.addWidget(dialog)
    dialog.query.setText("VC")
    dialog.search()
    return dialog, dialog.print_button.click


def _print_due_list(qtbot, services: Services, ids: dict[str, int]) -> Started:
    dialog = DueListDialog(None, services.recall)
    qtbot.addWidget(dialog)
    return dialog, dialog.findChild(QPushButton, "duePrint").click


TRIGGERS: dict[str, Trigger] = {
    "aftercare for a session": Trigger(
        exodesk.reports.aftercare, "render_aftercare", _print_aftercare
    ),
    "aftercare reprint": Trigger(exodesk.reports.aftercare, "render_aftercare", _reprint_aftercare),
    "comparison handout": Trigger(
        exodesk.reports.comparison, "render_comparison", _print_comparison
    ),
    "regulator report": Trigger(
        exodesk.reports.clinical, "render_adverse_event_report", _print_regulator_report
    ),
    "screening summary": Trigger(
        exodesk.reports.screening_summary, "render_screening_summary", _print_screening_summary
    ),
    "recall list": Trigger(exodesk.reports.clinical, "render_recall_report", _print_recall),
    "due list": Trigger(exodesk.reports.clinical, "render_due_list", _print_due_list),
}


@pytest.fixture
def clinic(services: Services, clock: FakeClock) -> Iterator[dict[str, int]]:
    yield make_clinic(services, clock)
    settle()  # no render left running into the next test


def watch_renderer(monkeypatch: pytest.MonkeyPatch, trigger: Trigger) -> list[threading.Thread]:
    threads: list[threading.Thread] = []
    original = getattr(trigger.module, trigger.renderer)

    def watched(*args: Any, **kwargs: Any) -> bytes:
        threads.append(threading.current_thread())
        return original(*args, **kwargs)

    monkeypatch.setattr(trigger.module, trigger.renderer, watched)
    return threads


@pytest.mark.parametrize("name", list(TRIGGERS))
def test_each_document_renders_off_the_main_thread_and_is_recorded_as_before(
    qtbot,
    services: Services,
    clinic: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    name: str,
) -> None:
    """The recall list is the one that, before the one print path, rendered through
    reports.clinical on the UI thread; the due list, regulator report and comparison rendered
    on the UI thread too (through their services)."""
    doc, trigger = DOCUMENTS_PRINTED[name], TRIGGERS[name]
    threads = watch_renderer(monkeypatch, trigger)
    _widget, start = trigger.start(qtbot, services, clinic)
    issued_before = issue_rows(services)
    out = tmp_path / "issued.pdf"
    through_the_preview(qtbot, start, save_to(out))
    # On a worker, every time (the aftercare tab's own preview renders the sheet it prints).
    assert threads and all(thread is not threading.main_thread() for thread in threads)
    pdf = out.read_bytes()
    text = flat_text(pdf)
    assert all(word in text for word in doc.words), text[:400]
    how = f"saved:{out}"
    assert audit_tail(services) == expected_audit(doc, clinic, how)
    issued = issue_rows(services)
    if doc.issue is None:
        assert issued == issued_before
    else:
        assert issued[:-1] == issued_before
        assert issued[-1][:2] == (doc.issue[0], "saved")
        assert issued[-1][4] == hashlib.sha256(pdf).hexdigest()


def test_the_aftercare_tab_lists_a_sheet_once_it_is_saved(
    qtbot, services: Services, clinic: dict[str, int], tmp_path: Path
) -> None:
    tab = _aftercare_tab(qtbot, services, clinic)
    changed: list[Changes] = []
    tab.data_changed.connect(changed.append)
    out = tmp_path / "sheet.pdf"
    through_the_preview(qtbot, tab.print_button.click, save_to(out))
    assert out.read_bytes() == bytes(tab._data.data()), "what was previewed is what was saved"
    assert tab.issued.count() == 2 and " · saved by Ada Admin · " in tab.issued.item(0).text()
    assert [c.patient_id for c in changed] == [clinic["patient"]]


@pytest.mark.parametrize("name", [n for n in TRIGGERS if n != "aftercare for a session"])
def test_a_document_that_fails_to_render_says_so_and_records_nothing(
    qtbot,
    services: Services,
    clinic: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
    shown_errors: list[UserError],
    previews_opened: list[str],
    name: str,
) -> None:
    trigger = TRIGGERS[name]
    _widget, start = trigger.start(qtbot, services, clinic)

    def broken(*_args: Any) -> bytes:
        raise RuntimeError("a font could not be read")

    monkeypatch.setattr(trigger.module, trigger.renderer, broken)
    audit_before, issued_before = audit_tail(services), issue_rows(services)
    start()
    qtbot.waitUntil(lambda: bool(shown_errors), timeout=RENDER_TIMEOUT_MS)
    [error] = shown_errors
    assert error.message.endswith("could not be made, so nothing was printed.")
    assert previews_opened == []
    assert (audit_tail(services), issue_rows(services)) == (audit_before, issued_before)
    assert QGuiApplication.overrideCursor() is None


def test_an_aftercare_sheet_that_fails_to_render_cannot_be_printed(
    qtbot, services: Services, clinic: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any) -> bytes:
        raise RuntimeError("a font could not be read")

    monkeypatch.setattr(exodesk.reports.aftercare, "render_aftercare", broken)
    tab = AftercareTab(services.aftercare, services.sessions, _patient(services, clinic))
    qtbot.addWidget(tab)
    tab.show()
    qtbot.waitUntil(lambda: "could not be made" in tab.status.text(), timeout=RENDER_TIMEOUT_MS)
    assert not tab.print_button.isEnabled()
    issued_before = issue_rows(services)
    tab.print_sheet()
    assert issue_rows(services) == issued_before
