"""Words a receptionist understands (issue #18): no internal name in any view or printed
document of the demo clinic.

The demo clinic is seeded, then a day's paperwork is done through the services exactly as the
print path does it (an aftercare sheet printed and reprinted to a file, a comparison handout,
a screening summary, the regulator report, the recall and due lists, a subject access export,
the clinical content report), and a patient's details are corrected. Then every tab of the
main window is shown for the patients whose records hold the most, with the History and audit
log dialogs, and every printed document is read back from its PDF with pypdf.

Visible text fails on:
  (a) an identifier from ``resources/`` (treatment, verdict, question, rule, row ids, keys…)
      as a whole word, letter case as stored;
  (b) any snake_case token (``[a-z]+_[a-z_]+``);
  (c) a Python list or dict as Python prints it (``['a.pdf', 'a.json']``).

Visible means what the eye gets: labels, buttons, group titles, tab titles, window titles,
combo box items, line edits and their placeholders, text boxes, every table, list and tree
model cell (DisplayRole) and header. Tooltips are not checked (an admin's tooltip may name a
folder in full).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractListModel,
    QAbstractTableModel,
    QModelIndex,
    Qt,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTabWidget,
    QTextEdit,
    QWidget,
)

from exodesk.paths import RESOURCES
from exodesk.services.audit import AuditService
from exodesk.services.demo import seat, seed_demo
from exodesk.services.photo_sheet import PhotoSheetService
from exodesk.services.workspace import Services
from exodesk.ui.dialogs.audit_log import AuditLogDialog
from exodesk.ui.dialogs.clinical_content import ClinicalContentWindow
from exodesk.ui.dialogs.settings_window import SettingsWindow
from exodesk.ui.main_window import MainWindow
from exodesk.ui.patients.tab import HistoryDialog
from exodesk.ui.sessions.catalogue import ProductsDialog
from exodesk.ui.sessions.events import OpenEventsDialog
from exodesk.ui.sessions.lists import DueListDialog, RecallDialog
from tests.reports.pdftools import pdf_text
from tests.reports.photo_samples import GAIS_RATINGS, pair

SNAKE = re.compile(r"[a-z]+_[a-z_]+")
PYTHON_REPR = re.compile(r"[\[{]'[^']*'[,:\]}]")
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
# Keys whose string values (or lists of strings) are identifiers, wherever they appear.
ID_KEYS = frozenset(
    {"id", "key", "treatment", "treatments", "verdict", "section", "items", "indication"}
)


# ---- what counts as an internal name -----------------------------------------------------
def _strings(value: object, key: str = "") -> Iterator[tuple[str, str]]:
    """Every (key, string) in a JSON document; a dict's own keys come as ("", key)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield "", k
            yield from _strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)
    elif isinstance(value, str):
        yield key, value


def resource_identifiers() -> frozenset[str]:
    """The ids and keys the resources use, that no one but ExoDesk should read.

    Ids are every value under an id-like key (``id``, ``key``, ``treatment``…), and every
    snake_case key or value anywhere (``what_it_is``, ``family_name``). A one-word id that
    the resources' own prose uses, in the same letter case, as an ordinary word ("face",
    "review", "pregnant") cannot be told from that word, so it is left out; ``prp`` and
    ``defer`` stay in, because the prose writes PRP and never "defer". Numbers ("001", a
    source's number) and upper-case codes ("GB") are codes people read, not internal names.
    """
    ids: set[str] = set()
    prose_words: set[str] = set()
    for path in (*RESOURCES.rglob("*.txt"), *RESOURCES.rglob("*.html")):
        prose_words.update(re.findall(r"[A-Za-z0-9_]+", path.read_text(encoding="utf-8")))
    for path in sorted(RESOURCES.rglob("*.json")):
        for key, text in _strings(json.loads(path.read_text(encoding="utf-8"))):
            if not IDENTIFIER.match(text) or text.isdigit():
                if " " in text:  # a sentence or a label, not a web address
                    prose_words.update(re.findall(r"[A-Za-z0-9_]+", text))
                continue
            # A dict's own keys count only when snake_case: one-word keys ("summary",
            # "label") are the resources' field names, and plain words as well.
            if key in ID_KEYS or "_" in text:
                ids.add(text)
    return frozenset(i for i in ids if "_" in i or i not in prose_words)


def findings(where: str, text: str, identifiers: frozenset[str]) -> list[str]:
    """What is wrong with one piece of visible text (empty: nothing)."""
    found = sorted(set(SNAKE.findall(text)))
    words = set(re.findall(r"[A-Za-z0-9_]+", text))
    found += sorted((words & identifiers) - set(found))
    found += sorted(set(PYTHON_REPR.findall(text)))
    said = []
    for token in found:
        at = text.find(token)
        said.append(f"{where}: {token!r} in …{text[max(0, at - 70) : at + 70]!r}…")
    return said


# ---- what is visible ---------------------------------------------------------------------
def _plain(text: str) -> str:
    """Rich text as read: tags dropped, entities decoded, mnemonic ampersands removed."""
    if "<" in text and ">" in text:
        text = re.sub(r"<[^>]*>", " ", text)
    return html.unescape(text)


def _model_texts(model: QAbstractItemModel, parent: QModelIndex | None = None) -> Iterator[str]:
    parent = parent or QModelIndex()
    flat = isinstance(model, QAbstractListModel | QAbstractTableModel)
    # PySide6 hides columnCount on a list model and hasChildren on both flat kinds.
    columns = 1 if isinstance(model, QAbstractListModel) else model.columnCount(parent)
    if not parent.isValid():
        for section in range(columns):
            header = model.headerData(section, Qt.Orientation.Horizontal)
            if isinstance(header, str):
                yield header
    while model.canFetchMore(parent):
        model.fetchMore(parent)
    for row in range(model.rowCount(parent)):
        for column in range(max(1, columns)):
            index = model.index(row, column, parent)
            value = model.data(index, Qt.ItemDataRole.DisplayRole)
            if isinstance(value, str):
                yield value
            if not flat and column == 0 and model.rowCount(index) > 0:
                yield from _model_texts(model, index)


def visible_texts(root: QWidget) -> Iterator[tuple[str, str]]:
    """(where, text) for every piece of text ``root`` shows now."""
    widgets = [root, *root.findChildren(QWidget)]
    for widget in widgets:
        if widget is not root and not widget.isVisibleTo(root):
            continue
        if isinstance(widget, QHeaderView):
            continue  # its model is its table's, walked with the table (headers included)
        where = widget.objectName() or type(widget).__name__
        if widget.isWindow() and widget.windowTitle():
            yield f"{where} title", widget.windowTitle()
        if isinstance(widget, QLabel):
            yield where, _plain(widget.text())
        elif isinstance(widget, QAbstractButton):
            yield where, widget.text().replace("&", "")
        elif isinstance(widget, QGroupBox):
            yield where, widget.title().replace("&", "")
        elif isinstance(widget, QComboBox):
            for n in range(widget.count()):
                yield where, widget.itemText(n)
        elif isinstance(widget, QLineEdit):
            yield where, widget.text()
            yield where, widget.placeholderText()
        elif isinstance(widget, QTextEdit | QPlainTextEdit):
            yield where, widget.toPlainText()
        elif isinstance(widget, QAbstractItemView) and widget.model() is not None:
            for text in _model_texts(widget.model()):
                yield where, text
        if isinstance(widget, QTabWidget):
            for n in range(widget.count()):
                yield where, widget.tabText(n).replace("&", "")


# ---- a day's paperwork at the demo clinic ------------------------------------------------
@dataclass
class Paperwork:
    """The demo clinic after a day's printing: what was printed, and whose records to show."""

    documents: dict[str, bytes] = field(default_factory=dict)
    patients: list[int] = field(default_factory=list)


def do_paperwork(services: Services, folder: Path) -> Paperwork:
    done = Paperwork()
    admin = next(m for m in services.clinic.staff() if m.is_admin and m.role == "practitioner")
    seat(services, int(admin.id or 0))
    rows = services.patients.search("").rows
    event = services.events.open_events()[0]
    event_patient = event.patient_id
    overridden = next(
        p.id
        for p in rows
        if (record := services.screening.current(int(p.id))) is not None
        and any(record.override_for(t.treatment) for t in record.result.treatments)
    )
    signed_off = next(
        p.id
        for p in rows
        if (record := services.screening.current(int(p.id))) is not None
        and any(record.signoff_for(t.treatment) for t in record.result.treatments)
    )
    done.patients = [int(event_patient), int(overridden), int(signed_off)]

    def issue(name: str, job, how: str = "printed") -> bytes:
        pdf = job.pdf()
        job.record(how if how == "printed" else f"saved:{folder / (job.file_name)}", pdf)
        done.documents[name] = pdf
        return pdf

    # The aftercare sheet for the latest session, printed, then saved again as a reprint.
    session = services.sessions.sessions(int(event_patient))[0]
    issue(
        "aftercare sheet",
        services.aftercare.sheet_job(
            treatment=session.treatment, patient_id=int(event_patient), session_id=session.id
        ),
    )
    [sheet] = [d for d in services.aftercare.issued(int(event_patient)) if d.kind == "aftercare"]
    issue("aftercare reprint", services.aftercare.reprint_job(sheet.id), "saved")
    issue("aftercare reprint", services.aftercare.reprint_job(sheet.id))
    # The hair-thinning comparison for the same patient, saved as a file.
    concern = services.comparison.content().concerns[0]
    view = services.comparison.view(
        concern.treatments, concern=concern.id, patient_id=int(event_patient)
    )
    issue(
        "comparison handout",
        services.comparison.handout_job(view, patient_id=int(event_patient)),
        "saved",
    )
    # The photo progress sheet, printed: synthetic photos (the demo clinic has none yet).
    photo_sheets = PhotoSheetService(services.ctx)
    sheet = photo_sheets.sheet(
        int(event_patient), area_label="Face", pairs=(pair(0), pair(1)), ratings=GAIS_RATINGS
    )
    issue("photo progress sheet", photo_sheets.sheet_job(sheet, patient_id=int(event_patient)))
    for pid in (overridden, signed_off):
        record = services.screening.current(int(pid))
        issue(f"screening summary {pid}", services.screening.summary_job(record.id), "saved")
    issue("regulator report", services.events.regulator_report_job(event.event.id), "saved")
    recall = services.recall.recall("VC-2411")
    issue("recall list", services.recall.recall_job(recall, "VC-2411"), "saved")
    issue("due list", services.recall.due_list_job(services.recall.due_list()))
    done.documents["content report"] = services.content.pdf()

    # A correction and a status change: the History's field lines.
    patient = services.patients.get(int(event_patient))
    from dataclasses import replace

    changed = services.patients.update(
        replace(patient, phone="07700 900999", gp="Dr Evans, Surbiton Medical Centre")
    )
    assert changed.ok, changed.problems
    services.patients.set_status(int(event_patient), "inactive", "Moved away")
    services.patients.set_status(int(event_patient), "active", "Came back")

    # The subject access export last, so its audit section holds everything above.
    exported = services.subject_access.export(int(event_patient), folder)
    done.documents["subject access"] = exported.pdf_path.read_bytes()
    return done


# ---- the test ----------------------------------------------------------------------------
SEEN: dict[str, list[str]] = {}


def _check(
    found: list[str], where: str, texts: Iterable[tuple[str, str]], identifiers, folder: Path
) -> None:
    for place, text in texts:
        # A folder the user chose is their own words, not ExoDesk's (the test's is a pytest
        # temporary folder, named after this test).
        text = text.replace(str(folder), "the folder")
        SEEN.setdefault(where.split(" › ")[-1], []).append(text)
        found.extend(findings(f"{where} › {place}", text, identifiers))


# Sentences each walk must have read, so the test cannot pass by reading nothing: the places
# where ids used to show, now in words.
EXPECTED = {
    "Audit log": ("Handout no. ", "Saved to a file", "Exosome facial: “Not yet” overridden"),
    "History": ("Phone: ", "Marked inactive: Moved away"),
    "&Aftercare": ("Treatment comparison: ", "Photo progress sheet: Face"),
    # The README screenshot showed "confirmed: all_no_approved_exosome_therapy" here.
    "session detail": ("Treatment comparison saved: ", "Regulatory notes confirmed"),
    "Lot recall": ("Granuloma / nodule",),
    "subject access": ("saved to a file", "Treatment comparison: ", "Photo progress sheet"),
    "photo progress sheet": ("Before · 12 Mar 2026 · Session 1 of 4", "Change you see"),
    "content report": ("regulatory note 1 (United States)", "between 6 and 12 months ago"),
}


def test_no_internal_name_in_any_view_or_document(qtbot, tmp_path: Path, uk_locale) -> None:
    from exodesk.paths import DataPaths
    from exodesk.services.workspace import open_services

    identifiers = resource_identifiers()
    assert {"exosome_face", "all_no_approved_exosome_therapy", "prp"} <= identifiers
    folder = tmp_path / "exports"
    folder.mkdir()
    services = open_services(DataPaths(tmp_path / "clinic"), create=True)
    try:
        seed_demo(services, backup_history=False)
        paperwork = do_paperwork(services, folder)
        found: list[str] = []

        for name, pdf in paperwork.documents.items():
            _check(found, name, [("PDF", pdf_text(pdf))], identifiers, folder)
        # A patient's copy says nothing of the clinic PC's folders (the exports went to one).
        said = pdf_text(paperwork.documents["subject access"])
        copy = "".join(said.split())
        for path in ("".join(str(folder).split()), f"{folder.anchor}tmp"):
            if path in copy:
                at = copy.index(path)
                found.append(f"subject access › PDF: a local path …{copy[at - 80 : at + 80]}…")
        if re.search(r"saved:\S", said):
            found.append("subject access › PDF: a file path as the trail stores it (saved:…)")

        window = MainWindow(services, day_first=True)
        qtbot.addWidget(window)
        window.resize(1366, 728)
        window.show()
        qtbot.waitExposed(window)
        for pid in paperwork.patients:
            patient = services.patients.get(pid)
            window.current.set(patient)
            for index in range(window.tabs.count()):
                window.tabs.setCurrentIndex(index)
                page = window.tabs.currentWidget()
                QApplication.processEvents()
                _check(
                    found,
                    f"patient {pid} › {window.tabs.tabText(index)}",
                    visible_texts(page),
                    identifiers,
                    folder,
                )
            # Every entry of the timeline, each shown in full beside it.
            timeline = window.sessions_tab.timeline
            for row in range(timeline.count()):
                timeline.setCurrentRow(row)
                detail = window.sessions_tab.detail
                _check(
                    found,
                    f"patient {pid} › session detail",
                    [("sessionDetail", _plain(detail.text()))],
                    identifiers,
                    folder,
                )
            _check(
                found, f"patient {pid} › header", visible_texts(window.header), identifiers, folder
            )
            history = HistoryDialog(window, patient, services.patients.history(pid))
            qtbot.addWidget(history)
            history.show()
            _check(found, f"patient {pid} › History", visible_texts(history), identifiers, folder)
            history.close()

        audit = AuditLogDialog(window, AuditService(services.ctx))
        recall = RecallDialog(window, services.recall)
        recall.query.setText("VC-2411")
        recall.search()
        products = ProductsDialog(window, services.catalogue, day_first=True)
        settings = SettingsWindow(window, services)
        # Each list a dialog steps through (products, settings pages), shown one by one.
        lists = {products: products.product_list, settings: settings.page_list}
        for dialog in (
            audit,
            recall,
            DueListDialog(window, services.recall),
            OpenEventsDialog(window, services.events, services.patients, day_first=True),
            products,
            settings,
            ClinicalContentWindow(window, services, day_first=True),
        ):
            qtbot.addWidget(dialog)
            dialog.show()
            steps = lists.get(dialog)
            for row in range(steps.count() if steps is not None else 1):
                if steps is not None:
                    steps.setCurrentRow(row)
                _check(found, dialog.windowTitle(), visible_texts(dialog), identifiers, folder)
            dialog.close()
        window.close()

        assert not found, f"{len(found)} internal names in visible text:\n" + "\n".join(
            dict.fromkeys(found)
        )
        for where, sentences in EXPECTED.items():
            read = "\n".join(SEEN.get(where, []))
            missing = [sentence for sentence in sentences if sentence not in read]
            assert not missing, f"{where} was not read: {missing} ({read[:300]!r})"
    finally:
        services.close()
