"""Pictures of the app on the demo clinic: the user guide's and README's, or a set for review.

    QT_QPA_PLATFORM=offscreen python tests/screenshots.py --guide   # resources/help/*.png
    QT_QPA_PLATFORM=offscreen python tests/screenshots.py OUT_DIR   # every view, for review

The window is 1366×728 (a 1366×768 reception screen less the Windows taskbar), signed in as the
demo's admin practitioner, on a throwaway demo clinic; a run takes about ten seconds. Nothing
waits on a person: a dialog that opens is named and closed and the run fails, and a run that
is still going after two minutes prints where it is stuck and stops.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import sys
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QLocale, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from exodesk.domain.patient import Patient
from exodesk.domain.screening import no_to_the_rest
from exodesk.paths import RESOURCES, DataPaths
from exodesk.services.demo import seed_demo
from exodesk.services.workspace import Services, open_services
from exodesk.ui.launcher import application, sign_in_demo
from exodesk.ui.main_window import MainWindow

GUIDE = RESOURCES / "help"
WINDOW = (1366, 728)
TIME_LIMIT_S = 120
PNG_QUALITY = 0  # Qt's PNG "quality" 0 is its strongest compression: same pixels, fewer bytes


class Shooter:
    """The demo clinic in a main window, and a way to save what it shows."""

    def __init__(self, app: QApplication, services: Services, out: Path) -> None:
        self.app = app
        self.services = services
        self.out = out
        self.window = MainWindow(services, day_first=True)
        self.window.resize(*WINDOW)
        self.window.show()
        self.dialogs: list[str] = []
        self._watch = QTimer()
        self._watch.timeout.connect(self._close_dialogs)
        self._watch.start(100)
        self.patients = services.patients.search("").rows

    def _close_dialogs(self) -> None:
        """A modal dialog would wait for a click forever: name it, close it, fail the run."""
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            return
        words = dialog.text() if isinstance(dialog, QMessageBox) else ""
        self.dialogs.append(f"{dialog.windowTitle()!r} {words!r}".strip())
        if isinstance(dialog, QDialog):
            dialog.reject()
        else:
            dialog.close()

    def settle(self) -> None:
        from PySide6.QtCore import QThreadPool

        for _ in range(3):
            QThreadPool.globalInstance().waitForDone(10_000)
            self.app.processEvents()

    def shoot(self, name: str) -> None:
        self.settle()
        focused = QApplication.focusWidget()
        if isinstance(focused, QWidget):
            focused.clearFocus()  # no focus frame in a picture
        self.app.processEvents()
        path = self.out / f"{name}.png"
        if not self.window.grab().save(str(path), "PNG", PNG_QUALITY):
            raise OSError(f"could not write {path}")
        print(path)

    def open(self, patient: Patient, tab: QWidget | None = None) -> None:
        if tab is not None:
            self.window.tabs.setCurrentWidget(tab)
        self.window.patients_tab.open_patient(patient)
        self.settle()

    def first(self, wanted: Callable[[Patient], object]) -> Patient:
        return next(p for p in self.patients if wanted(p))

    # ---- the views ------------------------------------------------------------------------
    def patients_view(self, name: str = "patients") -> None:
        tab = self.window.patients_tab
        self.window.tabs.setCurrentWidget(tab)
        allergies = self.services.allergies
        patient = self.first(lambda p: allergies.summary(_id(p)).state == "listed")
        # Found as reception would: the first letters of the family name, then their row.
        tab.search.setText(patient.family_name[:3])
        tab.refresh()
        rows = range(tab.model.rowCount())
        tab.table.selectRow(next(r for r in rows if tab.model.patient_at(r).id == patient.id))
        self.open(patient)
        self.shoot(name)

    def patient_problems(self, name: str) -> None:
        tab = self.window.patients_tab
        self.window.tabs.setCurrentWidget(tab)
        tab.new_patient()
        tab.form.fields["family_name"].setText("   ")
        tab.form.dob.setText("31/02/1990")
        tab.form.fields["email"].setText("no-at-sign")
        tab.form.save_button.click()
        self.shoot(name)
        tab.form.cancel_button.click()  # the half-typed patient is not kept

    def screening_view(self, name: str = "screening") -> None:
        screening = self.services.screening
        tab = self.window.screening_tab
        self.open(self.first(lambda p: not screening.current(_id(p))), tab)
        today = self.services.ctx.today()
        tab.questionnaire.set_answers(
            no_to_the_rest(
                screening.rules(),
                {
                    "retinoid_last_use": today - timedelta(days=3),
                    "anticoagulants": True,
                    "blood_disorder": True,
                    "active_infection": True,
                    "active_infection_area": "scalp",
                },
            )
        )
        tab.update_preview()
        self.shoot(name)

    def screening_states(self) -> None:
        screening = self.services.screening
        tab = self.window.screening_tab
        self.open(self.first(lambda p: not screening.current(_id(p))), tab)
        self.shoot("screening-empty")
        today = self.services.ctx.today()
        tab.questionnaire.set_answers(
            {"retinoid_last_use": today - timedelta(days=3), "anticoagulants": True}
        )
        tab.update_preview()
        self.shoot("screening-unanswered")
        self.screening_view("screening-all-verdicts")
        screened = [p for p in self.patients if screening.current(_id(p))]
        self.open(screened[2], tab)
        self.shoot("screening-saved")

    def sessions_view(self, name: str = "sessions") -> None:
        events = self.services.events
        sessions = self.services.sessions
        with_event = self.first(
            lambda p: sessions.sessions(_id(p)) and events.events_for_patient(_id(p))
        )
        self.open(with_event, self.window.sessions_tab)
        self.shoot(name)

    def session_form(self, name: str) -> None:
        self.window.tabs.setCurrentWidget(self.window.sessions_tab)
        self.window.sessions_tab.start_record()
        self.shoot(name)

    def aftercare_view(self, name: str = "aftercare") -> None:
        sessions = self.services.sessions
        treated = self.first(lambda p: sessions.sessions(_id(p)))
        self.open(treated, self.window.aftercare_tab)
        self.window.aftercare_tab.wait_for_preview()
        self.shoot(name)

    def comparison_view(self, name: str = "comparison") -> None:
        screening = self.services.screening
        comparison = self.services.comparison

        def pregnant_with_marks(p: Patient) -> bool:
            record = screening.current(_id(p))
            return bool(
                record and record.answers.get("pregnant") and comparison.patient_marks(_id(p))
            )

        self.open(self.first(pregnant_with_marks), self.window.comparison_tab)
        self.shoot(name)


def _id(patient: Patient) -> int:
    return int(patient.id or 0)


def guide(shooter: Shooter) -> None:
    """The five pictures the user guide and the README show."""
    shooter.patients_view()
    shooter.screening_view()
    shooter.sessions_view()
    shooter.aftercare_view()
    shooter.comparison_view()


def review(shooter: Shooter) -> None:
    """Every view worth looking at, and a few states of each."""
    shooter.patients_view("patients")
    shooter.patient_problems("patients-problems")
    shooter.screening_states()
    shooter.sessions_view("sessions-timeline")
    shooter.session_form("sessions-form")
    shooter.aftercare_view("aftercare")
    shooter.comparison_view("comparison")
    tab = shooter.window.comparison_tab
    tab.concern.setCurrentIndex(tab.concern.findData("hair_thinning"))
    shooter.shoot("comparison-hair")


def main(argv: list[str]) -> int:
    faulthandler.dump_traceback_later(TIME_LIMIT_S, exit=True)
    logging.getLogger("qt").setLevel(logging.ERROR)  # offscreen's "propagateSizeHints" chatter
    if argv[:1] == ["--guide"]:
        out, take = GUIDE, guide
    else:
        out, take = Path(argv[0] if argv else "shots"), review
    out.mkdir(parents=True, exist_ok=True)
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
    app = application()
    shooter: Shooter | None = None
    with tempfile.TemporaryDirectory() as tmp:
        services = open_services(DataPaths(Path(tmp)), create=True)
        try:
            seed_demo(services, backup_history=False)
            sign_in_demo(services)
            shooter = Shooter(app, services, out)
            take(shooter)
            shooter.window.close()
        finally:
            services.close()
            faulthandler.cancel_dump_traceback_later()
    if shooter.dialogs:
        print("dialogs opened (closed unanswered):", *shooter.dialogs, sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
