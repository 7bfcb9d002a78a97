"""The comparison view driven as a practitioner would during a consultation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from exodesk.domain.patient import Patient
from exodesk.domain.screening_vocabulary import verdict_look
from exodesk.services.comparison import ClinicComparisonTexts
from exodesk.services.workspace import Services
from exodesk.ui.comparison.tab import ComparisonTab, GlanceWidget
from exodesk.ui.dialogs.settings_window import COMPARISON, SettingsWindow
from exodesk.ui.main_window import MainWindow
from tests.answers import answered
from tests.ui.previews import print_to, through_the_preview
from tests.ui.test_patients_tab import unnamed_widgets

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def window(qtbot, services: Services) -> MainWindow:
    pid = services.patients.create(Patient("Walsh", "Niamh", date(1990, 2, 14))).record.id
    services.screening.save(pid, answered({"pregnant": True}))
    win = MainWindow(services, day_first=True)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    win.patients_tab.open_patient(services.patients.get(pid))
    win.tabs.setCurrentWidget(win.comparison_tab)
    return win


def tab_of(win: MainWindow) -> ComparisonTab:
    return win.comparison_tab


def test_a_concern_preselects_and_a_treatment_can_be_swapped(qtbot, window: MainWindow) -> None:
    tab = tab_of(window)
    tab.concern.setCurrentIndex(tab.concern.findData("hair_thinning"))
    assert set(tab.chosen()) == {"exosome_scalp", "prp", "microneedling", "hair_transplant"}
    assert not tab.picks["laser_resurfacing"].isEnabled(), "four columns at most"
    tab.picks["microneedling"].setChecked(False)
    tab.picks["stem_cell"].setChecked(True)
    assert [c.treatment for c in tab.view.columns] == [
        "exosome_scalp",
        "prp",
        "hair_transplant",
        "stem_cell",
    ] or set(c.treatment for c in tab.view.columns) == {
        "exosome_scalp",
        "prp",
        "hair_transplant",
        "stem_cell",
    }
    assert tab.concern.currentData() is None, "a hand-made choice is no longer the concern's"
    assert len(tab.findChildren(GlanceWidget)) == 4


def test_the_patients_screening_marks_the_right_columns(qtbot, window: MainWindow) -> None:
    tab = tab_of(window)
    tab.concern.setCurrentIndex(tab.concern.findData("skin_rejuvenation"))
    marks = {c.treatment: c.mark for c in tab.view.columns}
    assert marks["exosome_face"].verdict == "defer"
    assert marks["prp"].verdict == "review"
    label = tab.grid_host.findChild(type(tab.message), "mark_exosome_face")
    assert "Deferred for this patient" in label.text()
    # The verdict's own symbol and colour, as on the screening card and the printout.
    look = verdict_look("defer")
    assert label.text().startswith(look.symbol) and look.colour in label.styleSheet()
    tab.for_patient.setChecked(False)
    assert all(c.mark is None for c in tab.view.columns)


def test_fewer_than_two_is_explained(qtbot, window: MainWindow) -> None:
    tab = tab_of(window)
    for box in tab.picks.values():
        box.setChecked(False)
    tab.picks["prp"].setChecked(True)
    assert "at least two" in tab.message.text()
    assert not tab.print_button.isEnabled()


def test_print_the_handout_to_pdf_and_log_it(
    qtbot, window: MainWindow, services: Services, tmp_path: Path
) -> None:
    tab = tab_of(window)
    tab.concern.setCurrentIndex(tab.concern.findData("acne_scarring"))
    out = tmp_path / "comparison.pdf"
    through_the_preview(qtbot, tab.print_button.click, print_to(out))
    reader = PdfReader(out)
    assert len(reader.pages) <= 2
    flat = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    for column in tab.view.columns:
        assert column.label.split(" (")[0] in flat
    assert "Niamh Walsh" in flat
    assert "Regulatory status" in flat
    [row] = services.ctx.db.execute("SELECT kind, how, patient_id FROM documents_issued").fetchall()
    assert row[0] == "comparison" and row[1] == "printed"


def test_clinic_price_and_own_wording(qtbot, window: MainWindow, services: Services) -> None:
    settings = SettingsWindow(window, services, page=COMPARISON)
    qtbot.addWidget(settings)
    dialog = settings.pages[COMPARISON]
    dialog.treatment.setCurrentIndex(dialog.treatment.findData("exosome_face"))
    dialog.price.setText("£450 a session")
    dialog.cells["downtime"].setText("Most clients are back at work the next morning.")
    assert dialog.save()
    texts = services.comparison.clinic_texts()
    assert texts.prices == {"exosome_face": "£450 a session"}
    view = services.comparison.view(["exosome_face", "prp"])
    assert view.row("price").cells[0].text == "£450 a session"
    assert view.row("downtime").cells[0].edited
    assert unnamed_widgets(dialog) == []
    assert services.comparison.restore_defaults().ok
    assert services.comparison.clinic_texts() == ClinicComparisonTexts({}, {}, {}, 2)


def test_comparison_widgets_are_named(window: MainWindow) -> None:
    assert unnamed_widgets(tab_of(window)) == []
