"""Take screenshots of the app on the demo clinic, for looking at and for the README/guide.

QT_QPA_PLATFORM=offscreen python tests/screenshots.py OUT_DIR
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QLocale

from exodesk.paths import DataPaths
from exodesk.services.demo import seat, seed_demo
from exodesk.services.workspace import open_services
from exodesk.ui.launcher import application
from exodesk.ui.main_window import MainWindow


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
    app = application()
    with tempfile.TemporaryDirectory() as tmp:
        services = open_services(DataPaths(Path(tmp)), create=True)
        seed_demo(services)
        window = MainWindow(services, day_first=True)
        for width, height in ((1366, 768), (1920, 1080)):
            window.resize(width, height)
            window.show()
            tab = window.patients_tab
            tab.search.setText("zo")
            tab.refresh()
            tab.open_patient(tab.model.patient_at(0))
            app.processEvents()
            window.grab().save(str(out / f"patients-{width}x{height}.png"))
        tab.new_patient()
        tab.form.fields["family_name"].setText("   ")
        tab.form.dob.setText("31/02/1990")
        tab.form.fields["email"].setText("no-at-sign")
        tab.form.save_button.click()
        app.processEvents()
        window.grab().save(str(out / "patients-problems.png"))
        _screening_shots(app, window, services, out)
        _session_shots(app, window, services, out)
        _comparison_shots(app, window, services, out)
        window.close()
        services.close()


def _screening_shots(app, window: MainWindow, services, out: Path) -> None:
    from datetime import timedelta

    from exodesk.domain.screening import no_to_the_rest

    window.resize(1366, 768)
    tab = window.patients_tab
    window.tabs.setCurrentWidget(window.screening_tab)
    rows = services.patients.search("").rows
    screened = [p for p in rows if services.screening.current(p.id)]
    unscreened = [p for p in rows if not services.screening.current(p.id)]
    tab.open_patient(unscreened[0])
    app.processEvents()
    window.grab().save(str(out / "screening-empty.png"))
    form = window.screening_tab.questionnaire
    today = services.ctx.today()
    form.set_answers({"retinoid_last_use": today - timedelta(days=3), "anticoagulants": True})
    window.screening_tab.update_preview()
    app.processEvents()
    window.grab().save(str(out / "screening-unanswered.png"))
    # The rest answered no / never / none of these: every question needs an explicit answer.
    form.set_answers(
        no_to_the_rest(
            services.screening.rules(),
            {"retinoid_last_use": today - timedelta(days=3), "anticoagulants": True},
        )
    )
    window.screening_tab.update_preview()
    app.processEvents()
    window.grab().save(str(out / "screening-midway.png"))
    form.set_answers(
        no_to_the_rest(
            services.screening.rules(),
            {
                "retinoid_last_use": today - timedelta(days=3),
                "anticoagulants": True,
                "blood_disorder": True,
                "active_infection": True,
                "active_infection_area": "scalp",
            },
        )
    )
    window.screening_tab.update_preview()
    app.processEvents()
    window.grab().save(str(out / "screening-all-verdicts.png"))
    tab.open_patient(screened[2])
    app.processEvents()
    window.grab().save(str(out / "screening-saved.png"))


def _session_shots(app, window: MainWindow, services, out: Path) -> None:
    window.resize(1366, 768)
    window.tabs.setCurrentWidget(window.sessions_tab)
    rows = services.patients.search("").rows
    treated = [p for p in rows if services.sessions.sessions(p.id)]
    with_event = next(p for p in treated if services.events.events_for_patient(p.id))
    window.patients_tab.open_patient(with_event)
    app.processEvents()
    window.grab().save(str(out / "sessions-timeline.png"))
    practitioner = next(m for m in services.clinic.staff() if m.role == "practitioner")
    seat(services, practitioner.id)
    window.sessions_tab.start_record()
    app.processEvents()
    window.grab().save(str(out / "sessions-form.png"))


def _comparison_shots(app, window: MainWindow, services, out: Path) -> None:
    rows = services.patients.search("").rows
    pregnant = next(
        p
        for p in rows
        if (r := services.screening.current(p.id))
        and r.answers.get("pregnant")
        and services.comparison.patient_marks(p.id)
    )
    window.patients_tab.open_patient(pregnant)
    window.tabs.setCurrentWidget(window.comparison_tab)
    for size in ((1366, 768), (1920, 1080)):
        window.resize(*size)
        app.processEvents()
        window.grab().save(str(out / f"comparison-{size[0]}x{size[1]}.png"))
    tab = window.comparison_tab
    tab.concern.setCurrentIndex(tab.concern.findData("hair_thinning"))
    window.resize(1366, 768)
    app.processEvents()
    window.grab().save(str(out / "comparison-hair-1366x768.png"))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "shots"))
