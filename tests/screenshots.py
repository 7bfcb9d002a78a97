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
from exodesk.services.demo import seed_demo
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
        window.close()
        services.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "shots"))
