"""GuideDialog: the user guide opens offline, has its sections, and all its pictures exist."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QImage, QTextDocument
from PySide6.QtWidgets import QAbstractButton, QMainWindow, QTextBrowser, QWidget

from exodesk import APP_NAME
from exodesk.domain.screening_vocabulary import VERDICT_LOOKS
from exodesk.paths import RESOURCES
from exodesk.ui.dialogs.guide import GUIDE, PICTURE_WIDTH, GuideDialog

SECTIONS = (
    "A patient's visit",
    "Arrival: find or register the patient",
    "Intake screening",
    "The session",
    "The aftercare sheet",
    "Comparing treatments",
    "What the verdicts mean",
    "Backups",
    "Where they are",
    "How to restore one",
)


class _Links(HTMLParser):
    """The guide's pictures, links and anchors."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[tuple[str, dict[str, str | None]]] = []
        self.hrefs: list[str] = []
        self.anchors: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "img":
            self.images.append((values.get("src") or "", values))
        elif tag == "a":
            if values.get("href"):
                self.hrefs.append(values["href"] or "")
            if values.get("name"):
                self.anchors.add(values["name"] or "")


@pytest.fixture(scope="module")
def links() -> _Links:
    parser = _Links()
    parser.feed(GUIDE.read_text(encoding="utf-8"))
    return parser


@pytest.fixture
def guide(qtbot) -> GuideDialog:
    dialog = GuideDialog(None)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_guide_shows_its_sections(guide: GuideDialog) -> None:
    assert guide.windowTitle() == f"{APP_NAME} user guide"
    text = guide.browser.toPlainText()
    assert text.startswith(f"{APP_NAME} user guide")
    for heading in SECTIONS:
        assert heading in text, heading


def test_visit_goes_from_arrival_to_handout_in_order(guide: GuideDialog) -> None:
    text = guide.browser.toPlainText()
    steps = [
        "Arrival: find or register",
        "Intake screening",
        "The session",
        "The aftercare sheet",
        "Comparing treatments",
    ]
    positions = [text.index(step, text.index("1. A patient's visit")) for step in steps]
    assert positions == sorted(positions)


def test_every_verdict_has_its_label_symbol_and_meaning(guide: GuideDialog) -> None:
    rules = json.loads((RESOURCES / "screening" / "rules.json").read_text(encoding="utf-8"))
    labels = {v["id"]: v["label"] for v in rules["verdicts"]}
    assert set(labels) == set(VERDICT_LOOKS)
    text = guide.browser.toPlainText()
    shown = text[text.index("What the verdicts mean") : text.index("3. Backups")]
    lines = {line.strip() for line in shown.splitlines()}
    html = GUIDE.read_text(encoding="utf-8")
    for verdict, look in VERDICT_LOOKS.items():
        symbol, colour, background = look.symbol, look.colour, look.background
        assert labels[verdict] in lines, verdict
        assert symbol in lines, verdict
        # The same colours as the verdict cards, for the symbol and the words alike.
        assert re.search(
            rf'bgcolor="{background}" style="color: {colour};"><span class="symbol">'
            rf"{re.escape(symbol)}</span>",
            html,
        ), verdict
        assert f'style="color: {colour};"><b>{labels[verdict]}</b>' in html, verdict


def test_backups_say_where_and_how_to_restore(guide: GuideDialog) -> None:
    text = guide.browser.toPlainText()
    backups = text[text.index("3. Backups") : text.index("4. Signing in")]
    assert rf"%LOCALAPPDATA%\{APP_NAME}\backups" in backups
    assert "Restore from a backup" in backups
    assert "exodesk-admin restore" in backups
    assert "USB stick" in backups


def test_every_picture_exists_and_loads(guide: GuideDialog, links: _Links) -> None:
    assert {src for src, _attrs in links.images} >= {
        "patients.png",
        "screening.png",
        "sessions.png",
    }
    for src, attrs in links.images:
        path = GUIDE.parent / src
        assert path.is_file(), src
        assert attrs.get("alt"), src
        assert attrs.get("width") == str(PICTURE_WIDTH), src
        loaded = guide.browser.document().resource(
            QTextDocument.ResourceType.ImageResource.value, QUrl(src)
        )
        image = loaded if isinstance(loaded, QImage) else QImage()
        assert not image.isNull(), src
        # Scaled smoothly by the dialog to the width the page gives it.
        assert round(image.width() / image.devicePixelRatio()) == PICTURE_WIDTH, src


def test_links_stay_inside_the_guide(links: _Links) -> None:
    assert links.hrefs
    for href in links.hrefs:
        assert href.startswith("#"), href  # offline: nothing to fetch, nowhere to go
        assert href[1:] in links.anchors, href


def test_contents_button_goes_back_to_the_top(qtbot, guide: GuideDialog) -> None:
    guide.browser.scrollToAnchor("backups")
    bar = guide.browser.verticalScrollBar()
    assert bar.value() > 0
    guide.contents_button.click()
    assert bar.value() == 0


def test_show_for_reuses_the_open_guide(qtbot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    first = GuideDialog.show_for(window)
    second = GuideDialog.show_for(window)
    assert first is second
    assert first.isVisible() and not first.isModal()
    assert len(window.findChildren(GuideDialog)) == 1


def test_a_missing_guide_is_said_plainly(qtbot, tmp_path: Path) -> None:
    dialog = GuideDialog(None, guide=tmp_path / "guide.html")
    qtbot.addWidget(dialog)
    assert "The user guide is missing" in dialog.browser.toPlainText()


def test_every_control_has_a_name(guide: GuideDialog) -> None:
    controls = [
        w for w in guide.findChildren(QWidget) if isinstance(w, QAbstractButton | QTextBrowser)
    ]
    assert len(controls) == 3
    for widget in controls:
        assert widget.objectName() and widget.accessibleName(), widget


def test_the_guide_explains_signing_in_and_the_lock(guide: GuideDialog) -> None:
    text = guide.browser.toPlainText()
    section = text[text.index("4. Signing in") : text.index("5. Keys worth knowing")]
    assert "lock screen" in section and "Ctrl+L" in section
    assert "Five wrong passwords" in section
    assert "Reception" in section and "Practitioners" in section and "admin" in section
