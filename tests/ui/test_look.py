"""Every text on the main views is readable in a light, a dark and a high-contrast palette (#18).

Windows 11 in dark mode (and in a high-contrast theme) hands Qt a dark palette: a widget that
sets only a background or only a text colour pairs it with the theme's other colour (the
current patient's name was white on #eef3f8). The test paints the demo clinic's main window
under each palette, tab by tab, and measures what is on the picture: for every visible label
and button, the colour behind it and the colour of its text, and their WCAG contrast ratio.
Text is drawn without anti-aliasing so every text pixel carries its real colour.

``EXODESK_LOOK_SHOTS=DIR`` keeps a picture of every view under every palette in DIR.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QCheckBox,
    QLabel,
    QPushButton,
    QRadioButton,
    QStyle,
    QStyleOptionButton,
    QWidget,
)

from exodesk.domain.patient import Patient
from exodesk.paths import DataPaths
from exodesk.services.demo import seat, seed_demo
from exodesk.services.workspace import Services, open_services
from exodesk.ui import look
from exodesk.ui.look import contrast
from exodesk.ui.main_window import MainWindow
from exodesk.ui.screening.verdicts import VerdictCard
from tests.answers import answered

NORMAL, LARGE = 4.5, 3.0  # WCAG 2.x AA: body text, and text of 18 pt or 14 pt bold


def _palette(colours: dict[QPalette.ColorRole, str], disabled: str) -> QPalette:
    palette = QPalette()
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(disabled))
    return palette


Role = QPalette.ColorRole
# Windows 11's dark mode as Qt's windows11 style reads it.
DARK = {
    Role.Window: "#202020",
    Role.WindowText: "#ffffff",
    Role.Base: "#1c1c1c",
    Role.AlternateBase: "#2b2b2b",
    Role.Text: "#ffffff",
    Role.PlaceholderText: "#9d9d9d",
    Role.Button: "#2d2d2d",
    Role.ButtonText: "#ffffff",
    Role.BrightText: "#ffffff",
    Role.Light: "#3c3c3c",
    Role.Midlight: "#333333",
    Role.Mid: "#2a2a2a",
    Role.Dark: "#1a1a1a",
    Role.Shadow: "#000000",
    Role.Highlight: "#0078d4",
    Role.HighlightedText: "#ffffff",
    Role.Link: "#4cc2ff",
    Role.LinkVisited: "#b4a0ff",
    Role.ToolTipBase: "#2b2b2b",
    Role.ToolTipText: "#ffffff",
}
# A Windows high-contrast theme ("Night sky"): black, white text, yellow on buttons, cyan links.
HIGH_CONTRAST = {
    Role.Window: "#000000",
    Role.WindowText: "#ffffff",
    Role.Base: "#000000",
    Role.AlternateBase: "#000000",
    Role.Text: "#ffffff",
    Role.PlaceholderText: "#c0c0c0",
    Role.Button: "#000000",
    Role.ButtonText: "#ffff00",
    Role.BrightText: "#ffffff",
    Role.Light: "#ffffff",
    Role.Midlight: "#ffffff",
    Role.Mid: "#ffffff",
    Role.Dark: "#ffffff",
    Role.Shadow: "#ffffff",
    Role.Highlight: "#1aebff",
    Role.HighlightedText: "#000000",
    Role.Link: "#ffff00",
    Role.LinkVisited: "#ffff00",
    Role.ToolTipBase: "#000000",
    Role.ToolTipText: "#ffffff",
}


def _palettes() -> dict[str, QPalette]:
    style = QApplication.style()
    return {
        "light": style.standardPalette(),
        "dark": _palette(DARK, "#7a7a7a"),
        "high-contrast": _palette(HIGH_CONTRAST, "#3ff23f"),
    }


@pytest.fixture
def demo(data_paths: DataPaths, clock) -> Iterator[Services]:
    services = open_services(data_paths, create=True, clock=clock)
    seed_demo(services, patients=40, backup_history=False)
    practitioner = next(
        m for m in services.clinic.staff() if m.role == "practitioner" and m.is_admin
    )
    seat(services, int(practitioner.id or 0))
    yield services
    services.close()


@pytest.fixture
def painted(qapp: QApplication, request: pytest.FixtureRequest) -> Iterator[str]:
    """The application under one palette, with text drawn without anti-aliasing."""
    name: str = request.param
    old_palette, old_font = qapp.palette(), qapp.font()
    font = QFont(old_font)
    font.setStyleStrategy(QFont.StyleStrategy.NoAntialias)
    qapp.setFont(font)
    qapp.setPalette(_palettes()[name])
    yield name
    qapp.setPalette(old_palette)
    qapp.setFont(old_font)


def _text_area(widget: QWidget) -> QRect:
    """Where ``widget`` draws its text, in its own coordinates (a button's frame and a check
    box's box left out)."""
    rect = widget.visibleRegion().boundingRect()
    if isinstance(widget, QLabel) and widget.contentsRect() != widget.rect():
        # Inside its frame or border, and clear of the border's smoothed inner edge.
        rect = rect.intersected(widget.contentsRect().adjusted(1, 1, -1, -1))
    if isinstance(widget, QCheckBox | QRadioButton | QPushButton):
        option = QStyleOptionButton()
        option.initFrom(widget)
        element = (
            QStyle.SubElement.SE_CheckBoxContents
            if isinstance(widget, QCheckBox)
            else QStyle.SubElement.SE_RadioButtonContents
            if isinstance(widget, QRadioButton)
            else QStyle.SubElement.SE_PushButtonContents
        )
        contents = widget.style().subElementRect(element, option, widget)
        if isinstance(widget, QPushButton):
            contents = contents.adjusted(2, 2, -2, -2)
        rect = rect.intersected(contents)
    return rect


def _pixels(image: QImage) -> Counter[int]:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    data = bytes(image.constBits())  # type: ignore[call-overload]
    return Counter(memoryview(data).cast("I"))


def _colour(pixel: int) -> QColor:
    return QColor.fromRgb(pixel & 0xFFFFFF)


def _between(colour: QColor, background: QColor, ink: QColor) -> bool:
    """Whether ``colour`` is a blend of ``background`` and ``ink`` (an anti-aliased edge)."""
    ends = [(background.red(), ink.red(), colour.red())]
    ends += [(background.green(), ink.green(), colour.green())]
    ends += [(background.blue(), ink.blue(), colour.blue())]
    span = max(abs(b - a) for a, b, _c in ends)
    if span == 0:
        return False
    # The share of the way from the background to the ink, from the channel that moves most.
    a, b, c = max(ends, key=lambda e: abs(e[1] - e[0]))
    t = (c - a) / (b - a)
    return 0 < t < 1 and all(abs(a + (b - a) * t - c) <= 12 for a, b, c in ends)


def _inks(counts: Counter[int], background: QColor, *, smooth: bool) -> list[QColor]:
    """The text's colours: each that stands apart from the background (not a button face's
    gradient) in at least a few pixels; for letters drawn ``smooth`` (a font asked for by name
    keeps its anti-aliasing), not the blends at their edges."""
    candidates = sorted(
        (
            _colour(pixel)
            for pixel, n in counts.items()
            if n >= 4 and contrast(_colour(pixel), background) >= 1.3
        ),
        key=lambda c: contrast(c, background),
        reverse=True,
    )
    inks: list[QColor] = []
    for colour in candidates:
        if not (smooth and any(_between(colour, background, ink) for ink in inks)):
            inks.append(colour)
    return inks


def _has_text(widget: QWidget) -> bool:
    """Whether ``widget`` shows words. A button whose text is one symbol standing for an icon
    (the date fields' calendar "▦") is left out: its dense glyph has no one background, and
    it is drawn in the palette's own button colours, which the style pairs."""
    if isinstance(widget, QLabel):
        text = widget.text() if widget.pixmap().isNull() else ""
    elif isinstance(widget, QAbstractButton):
        text = widget.text()
    else:
        return False
    return any(c.isalnum() for c in text)


def _is_large(widget: QWidget) -> bool:
    font = widget.font()
    return font.pointSizeF() >= 18 or (font.pointSizeF() >= 14 and font.bold())


def unreadable(window: QWidget) -> list[str]:
    """Every visible, enabled label and button on ``window`` whose text is below the WCAG ratio
    against what is behind it, as "name: text colour on background = ratio"."""
    shot = window.grab().toImage()
    scale = shot.devicePixelRatio()
    faults = []
    for widget in window.findChildren(QWidget):
        if not (isinstance(widget, QLabel | QAbstractButton) and _has_text(widget)):
            continue
        if not widget.isVisible() or not widget.isEnabled():
            continue
        area = _text_area(widget)
        if area.isEmpty():
            continue
        top_left = widget.mapTo(window, area.topLeft())
        crop = shot.copy(
            QRect(
                round(top_left.x() * scale),
                round(top_left.y() * scale),
                round(area.width() * scale),
                round(area.height() * scale),
            )
        )
        counts = _pixels(crop)
        background = _colour(counts.most_common(1)[0][0])
        # The text: every colour that stands apart from the background (gradients and tints
        # within a button's face do not), at least a few pixels of it.
        smooth = not widget.font().styleStrategy() & QFont.StyleStrategy.NoAntialias
        inks = _inks(counts, background, smooth=smooth)
        needed = LARGE if _is_large(widget) else NORMAL
        worst = min((contrast(ink, background) for ink in inks), default=1.0)
        if worst < needed:
            ink = min(inks, key=lambda c: contrast(c, background)).name() if inks else "nothing"
            faults.append(
                f"{widget.objectName() or type(widget).__name__} "
                f"{widget.text()[:40]!r}: {ink} on {background.name()} = {worst:.2f}"
            )
    return faults


def _patients(window: MainWindow, services: Services) -> None:
    rows = services.patients.search("").rows
    with_allergy = next(
        p
        for p in rows
        if services.allergies.summary(int(p.id or 0)).state == "listed"
        and services.sessions.sessions(int(p.id or 0))
    )
    window.tabs.setCurrentWidget(window.patients_tab)
    window.patients_tab.open_patient(with_allergy)


def _screening(window: MainWindow, services: Services) -> None:
    """A new screening whose answers give every kind of verdict card."""
    window.tabs.setCurrentWidget(window.screening_tab)
    new = next(
        p for p in services.patients.search("").rows if not services.screening.current(_id(p))
    )
    window.patients_tab.open_patient(new)
    tab = window.screening_tab
    tab.questionnaire.set_answers(answered({"pregnant": True}))
    tab.update_preview()
    verdicts = {card.badge.text() for card in tab.findChildren(VerdictCard)}
    assert len(verdicts) >= 2, verdicts


def _id(patient: Patient) -> int:
    return int(patient.id or 0)


def _sessions(window: MainWindow, services: Services) -> None:
    window.tabs.setCurrentWidget(window.sessions_tab)


def _comparison(window: MainWindow, services: Services) -> None:
    window.tabs.setCurrentWidget(window.comparison_tab)


def _aftercare(window: MainWindow, services: Services) -> None:
    window.tabs.setCurrentWidget(window.aftercare_tab)


VIEWS: dict[str, Callable[[MainWindow, Services], None]] = {
    "patients": _patients,
    "screening": _screening,
    "sessions": _sessions,
    "comparison": _comparison,
    "aftercare": _aftercare,
}


@pytest.mark.parametrize("painted", ["light", "dark", "high-contrast"], indirect=True)
def test_every_label_and_button_is_readable(qtbot, demo: Services, painted: str) -> None:
    window = MainWindow(demo, day_first=True)
    qtbot.addWidget(window)
    window.resize(1366, 728)
    window.show()
    qtbot.waitExposed(window)
    shots = os.environ.get("EXODESK_LOOK_SHOTS")
    faults = []
    for view, open_view in VIEWS.items():
        open_view(window, demo)
        focused = QGuiApplication.focusObject()
        if isinstance(focused, QWidget):
            focused.clearFocus()  # a focus frame is not text
        QApplication.processEvents()
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            window.grab().save(str(Path(shots) / f"{painted}-{view}.png"))
        faults += [f"{view}: {fault}" for fault in unreadable(window)]
    assert faults == [], "\n".join(faults)


@pytest.mark.parametrize("painted", ["light", "dark", "high-contrast"], indirect=True)
def test_every_named_colour_reads_on_every_background(painted: str) -> None:
    palette = QGuiApplication.palette()
    for colour in (look.ERROR, look.WARNING, look.CAUTION, look.GOOD, look.NOTE, look.FADED):
        for ground in look.backgrounds(palette):
            assert contrast(QColor(look.ink(colour)), ground) >= NORMAL, (colour, ground.name())
        row = look.item_ink(colour).color()
        for role in (Role.Base, Role.AlternateBase):
            assert contrast(row, palette.color(role)) >= NORMAL, (colour, role)


def test_ink_keeps_a_colour_that_already_reads() -> None:
    assert look.ink("#b00020", QColor("#ffffff")) == "#b00020"
    lighter = QColor(look.ink("#b00020", QColor("#202020")))
    assert contrast(lighter, QColor("#202020")) >= NORMAL
    assert lighter.hslHue() in range(340, 360) or lighter.hslHue() < 10  # still a red


@pytest.mark.parametrize("painted", ["dark", "high-contrast"], indirect=True)
def test_an_inactive_patient_row_reads_on_a_dark_list(painted: str) -> None:
    from datetime import date

    from exodesk.domain.patient import Patient
    from exodesk.ui.patients.model import PatientTableModel

    model = PatientTableModel(lambda: date(2026, 12, 6))
    inactive = Patient(
        "Lind", "Eva", date(1970, 1, 1), id=7, status="inactive", status_reason="moved away"
    )
    model.set_rows([inactive])
    brush = model.data(model.index(0, 0), Qt.ItemDataRole.ForegroundRole)
    base = QGuiApplication.palette().color(Role.Base)
    assert contrast(brush.color(), base) >= NORMAL


def test_no_screen_writes_a_text_colour_of_its_own() -> None:
    """A literal text colour meets whatever the theme puts behind it: every one goes through
    ui.look (ink, ink_style, item_ink), which picks the shade for the background."""
    import re

    import exodesk.ui

    fixed = re.compile(r"color:\s*#|QBrush\(\s*(Qt\.GlobalColor|QColor\(\s*['\"]#)")
    found = []
    for source in Path(exodesk.ui.__file__).parent.rglob("*.py"):
        if source.name == "look.py":
            continue
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            if fixed.search(line):
                found.append(f"{source.name}:{number}: {line.strip()}")
    assert found == []


@pytest.mark.parametrize("painted", ["light", "dark", "high-contrast"], indirect=True)
def test_the_first_day_dialogs_are_readable(qtbot, services: Services, painted: str) -> None:
    from datetime import date

    from exodesk.domain.clinic import ClinicSettings
    from exodesk.ui.dialogs.first_run import FirstRunDialog
    from exodesk.ui.dialogs.recovery_key import RecoveryKeyDialog
    from exodesk.ui.dialogs.sign_in import SignInDialog

    first_run = FirstRunDialog(None, country="GB", data_file=Path("/clinic/exodesk.sqlite3"))
    key = RecoveryKeyDialog(
        None,
        "ABCD-EFGH-IJKL-MNOP-QRST-UVWX",
        clinic=ClinicSettings("Riverside"),
        printed_on=date(2026, 12, 6),
    )
    services.desk.user = None
    sign_in = SignInDialog(None, services.accounts, services.clinic.staff(), clinic_name="Zoë")
    sign_in.error.setText("That password is not right. 4 tries left before a 5-minute wait.")
    sign_in.error.show()
    faults = []
    for dialog in (first_run, key, sign_in):
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        faults += [f"{dialog.objectName()}: {f}" for f in unreadable(dialog)]
    assert faults == [], "\n".join(faults)
