"""Alt letters: no two things in one window (or one menu) answer the same Alt letter, and no label
shows a mnemonic ampersand literally. Every dialog class in exodesk/ui is found by walking the
package, so a new dialog without a way to build it here fails the test that lists them."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QDialog, QPushButton, QWidget

import exodesk.ui
from exodesk.domain.patient import Patient
from exodesk.domain.sessions import AdverseEvent
from exodesk.domain.staff import StaffMember
from exodesk.paths import DataPaths
from exodesk.services.audit import AuditService
from exodesk.services.backups import BackupService
from exodesk.services.demo import DEMO_CLINIC, seat, seed_demo
from exodesk.services.workspace import Services, open_services
from exodesk.ui.main_window import MainWindow
from tests.conftest import FakeClock
from tests.ui.mnemonics import menu_problems, mnemonic, window_problems
from tests.ui.photos.factories import photo_factories

Factory = Callable[[Services, Path, QWidget], QDialog]


def _admin(services: Services) -> None:
    admin = next(m for m in services.clinic.staff() if m.is_admin and m.role == "practitioner")
    seat(services, int(admin.id or 0))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """The demo clinic (a few patients, their sessions and events), an admin practitioner at the
    desk: every door is open."""
    folder = tmp_path_factory.mktemp("mnemonics")
    services = open_services(DataPaths(folder / "clinic"), create=True, clock=FakeClock())
    seed_demo(services, patients=30, backup_history=False)
    _admin(services)
    yield services
    services.close()


def _event(s: Services) -> AdverseEvent:
    """An adverse event of the demo (its patient, session and event fill the dialogs)."""
    for patient in s.patients.search("").rows:
        for event in s.events.events_for_patient(int(patient.id or 0)):
            return event
    raise AssertionError("the demo has no adverse event")


def _patient_id(s: Services) -> int:
    return s.sessions.get(_event(s).session_id).patient_id


def _event_session(s: Services) -> int:
    return _event(s).session_id


def _pdf(s: Services, _tmp: Path) -> bytes:
    return s.content.pdf()


def _factories() -> dict[str, Factory]:
    """How to build each dialog class, by qualified name."""
    from exodesk.ui.dialogs.allergens import AllergenListDialog, AllergenPickerDialog
    from exodesk.ui.dialogs.allergies import AllergiesDialog
    from exodesk.ui.dialogs.audit_log import AuditLogDialog
    from exodesk.ui.dialogs.backups import BackupNowDialog, DrillDialog, RestoreDialog
    from exodesk.ui.dialogs.clinical_content import ClinicalContentWindow, ReviewDialog
    from exodesk.ui.dialogs.first_run import FirstRunDialog
    from exodesk.ui.dialogs.guide import GuideDialog
    from exodesk.ui.dialogs.patient_export import PatientExportDialog
    from exodesk.ui.dialogs.reason import ReasonDialog
    from exodesk.ui.dialogs.recovery_key import RecoveryKeyDialog
    from exodesk.ui.dialogs.rekey import RekeyDialog
    from exodesk.ui.dialogs.settings_window import SettingsWindow
    from exodesk.ui.dialogs.sign_in import SignInDialog
    from exodesk.ui.dialogs.staff import (
        ChangePasswordDialog,
        ResetPasswordDialog,
        StaffListDialog,
        StaffMemberDialog,
    )
    from exodesk.ui.dialogs.unlock import UnlockDialog
    from exodesk.ui.patients.tab import HistoryDialog
    from exodesk.ui.photos.camera import CameraCapture, SyntheticFrameSource
    from exodesk.ui.printing import PdfPreviewDialog
    from exodesk.ui.screening.allergies import ScreeningAllergiesDialog
    from exodesk.ui.screening.consent import ConsentDialog
    from exodesk.ui.screening.decisions import OverrideDialog, SignOffDialog
    from exodesk.ui.sessions.catalogue import ProductsDialog
    from exodesk.ui.sessions.events import AdverseEventDialog, OpenEventsDialog
    from exodesk.ui.sessions.lists import DueListDialog, RecallDialog
    from exodesk.ui.sessions.tab import CourseDialog

    treatments = [("exosome_face", "Exosome facial"), ("prp_scalp", "PRP for the scalp")]

    def patient(s: Services) -> Patient:
        return s.patients.get(_patient_id(s))

    def member(s: Services) -> StaffMember:
        return next(m for m in s.clinic.staff() if not m.is_admin)

    table: dict[str, Factory] = {
        "AllergenListDialog": lambda s, t, h: AllergenListDialog(None, s.catalogue),
        "AllergenPickerDialog": lambda s, t, h: AllergenPickerDialog(
            None, s.catalogue, frozenset()
        ),
        "AllergiesDialog": lambda s, t, h: AllergiesDialog(
            None, s.allergies, patient(s), may_retract=True
        ),
        "AuditLogDialog": lambda s, t, h: AuditLogDialog(
            None, AuditService(s.ctx), patient_id=_patient_id(s), patient_label="A patient"
        ),
        "BackupNowDialog": lambda s, t, h: BackupNowDialog(None, BackupService(s.ctx, s.paths)),
        "RestoreDialog": lambda s, t, h: RestoreDialog(None, BackupService(s.ctx, s.paths), t),
        "DrillDialog": lambda s, t, h: DrillDialog(None, t),
        "ClinicalContentWindow": lambda s, t, h: ClinicalContentWindow(None, s, day_first=True),
        "ReviewDialog": lambda s, t, h: ReviewDialog(
            None, s.content, "1", reviewer="Dr Amara Okafor", today=s.ctx.today, day_first=True
        ),
        "FirstRunDialog": lambda s, t, h: FirstRunDialog(None, country="GB", data_file=t / "x"),
        "GuideDialog": lambda s, t, h: GuideDialog(None),
        "PatientExportDialog": lambda s, t, h: PatientExportDialog(
            None, s.subject_access, _patient_id(s), t, show_after_ms=60_000
        ),
        "ReasonDialog": lambda s, t, h: ReasonDialog(None, "Mark inactive", "Why?"),
        "RecoveryKeyDialog": lambda s, t, h: RecoveryKeyDialog(
            None, "ABCD-EFGH", clinic=DEMO_CLINIC, printed_on=date(2026, 11, 22)
        ),
        "RekeyDialog": lambda s, t, h: RekeyDialog(
            None,
            lambda password: None,
            names=["Priya Shah"],
            first_generation=True,  # type: ignore[arg-type,return-value]
        ),
        "SettingsWindow": lambda s, t, h: SettingsWindow(None, s),
        "SignInDialog": lambda s, t, h: SignInDialog(
            None, s.accounts, s.clinic.staff(), clinic_name=DEMO_CLINIC.name
        ),
        "StaffMemberDialog": lambda s, t, h: StaffMemberDialog(None, s.accounts, s.clinic),
        "StaffMemberDialog (edit)": lambda s, t, h: StaffMemberDialog(
            None, s.accounts, s.clinic, member(s)
        ),
        "ResetPasswordDialog": lambda s, t, h: ResetPasswordDialog(
            None, s.accounts, s.accounts.account(int(member(s).id or 0))
        ),
        "StaffListDialog": lambda s, t, h: StaffListDialog(None, s.clinic, s.accounts),
        "ChangePasswordDialog": lambda s, t, h: ChangePasswordDialog(None, s.accounts, "Ada"),
        "CameraCapture": lambda s, t, h: CameraCapture(
            None, SyntheticFrameSource(interval_ms=1000), [("front", "Front"), ("free", "Free")]
        ),
        "UnlockDialog": lambda s, t, h: UnlockDialog(None, s.paths, clock=s.ctx.now),
        "HistoryDialog": lambda s, t, h: HistoryDialog(
            h, patient(s), s.patients.history(_patient_id(s))
        ),
        "PdfPreviewDialog": lambda s, t, h: PdfPreviewDialog(_pdf(s, t), "Preview", "x.pdf"),
        "ScreeningAllergiesDialog": lambda s, t, h: ScreeningAllergiesDialog(
            None, s.allergies, patient(s), {}
        ),
        "ConsentDialog": lambda s, t, h: ConsentDialog(
            None,
            consent_text="I agree.",
            consent_version=1,
            patient_name="A patient",
            today_text="22/11/2026",
        ),
        "SignOffDialog": lambda s, t, h: SignOffDialog(None, treatments),
        "OverrideDialog": lambda s, t, h: OverrideDialog(None, treatments),
        "ProductsDialog": lambda s, t, h: ProductsDialog(None, s.catalogue, day_first=True),
        "AdverseEventDialog": lambda s, t, h: AdverseEventDialog(
            None, s.events, session_id=_event_session(s), day_first=True
        ),
        "AdverseEventDialog (edit)": lambda s, t, h: AdverseEventDialog(
            None,
            s.events,
            session_id=_event_session(s),
            event=_event(s),
            day_first=True,
        ),
        "OpenEventsDialog": lambda s, t, h: OpenEventsDialog(
            None, s.events, s.patients, day_first=True
        ),
        "RecallDialog": lambda s, t, h: RecallDialog(None, s.recall),
        "DueListDialog": lambda s, t, h: DueListDialog(None, s.recall),
        "CourseDialog": lambda s, t, h: CourseDialog(h, s.catalogue),
    }
    table.update(photo_factories())
    return table


def _dialog_classes() -> set[str]:
    """Every QDialog subclass defined in exodesk/ui (private bases left out)."""
    found = set()
    for info in pkgutil.walk_packages(exodesk.ui.__path__, "exodesk.ui."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, QDialog)
                and value.__module__ == module.__name__
                and not name.startswith("_")
            ):
                found.add(name)
    return found


def test_every_dialog_class_in_the_ui_is_walked_here() -> None:
    built = {name.split(" ")[0] for name in _factories()}
    assert _dialog_classes() - built == set(), "add a factory for the new dialog"


@pytest.mark.parametrize("name", sorted(_factories()))
def test_no_alt_letter_clash_or_literal_ampersand_in_the_dialog(
    qtbot, demo: Services, tmp_path: Path, name: str
) -> None:
    host = QWidget()  # the parent of the dialogs that need one
    qtbot.addWidget(host)
    dialog = _factories()[name](demo, tmp_path, host)
    qtbot.addWidget(dialog)
    problems = window_problems(dialog)
    assert not problems, "\n".join(problems)


@pytest.fixture
def main_window(qtbot, demo: Services) -> MainWindow:
    _admin(demo)
    window = MainWindow(demo, day_first=True)
    qtbot.addWidget(window)
    for name in ("screening_tab", "sessions_tab", "comparison_tab", "aftercare_tab"):
        getattr(window, name)  # every tab built, so its widgets are walked
    window.patients_tab.open_patient(demo.patients.get(_patient_id(demo)))
    return window


def test_no_alt_letter_clash_in_the_main_window_and_its_tabs(main_window: MainWindow) -> None:
    problems = window_problems(main_window)
    assert not problems, "\n".join(problems)


def test_no_alt_letter_clash_inside_a_menu(main_window: MainWindow) -> None:
    problems = menu_problems(main_window.menuBar())
    assert not problems, "\n".join(problems)


def test_the_lock_cover_has_no_clash(qtbot) -> None:
    from exodesk.ui.lock import LockCover

    host = QWidget()
    qtbot.addWidget(host)
    cover = LockCover(host, person="Ada", interactive=True)
    problems = window_problems(cover)
    assert not problems, "\n".join(problems)


def test_the_unsaved_changes_question_has_no_clash(qtbot) -> None:
    from PySide6.QtWidgets import QMessageBox

    from exodesk.ui.dialogs.settings_page import STAY, ask_unsaved
    from tests.ui.dialogs import when_dialog_opens

    host = QWidget()
    qtbot.addWidget(host)
    problems: list[str] = []

    def walk_then_stay(box: QDialog) -> None:
        problems.extend(window_problems(box))
        box.findChild(QPushButton, "unsavedStay").click()

    seen = when_dialog_opens(QMessageBox, walk_then_stay)
    assert ask_unsaved(host, "The clinic page") == STAY
    assert seen and not problems, "\n".join(problems)


def test_the_walker_finds_a_clash_and_a_literal_ampersand(qtbot) -> None:
    from PySide6.QtWidgets import QFormLayout, QLineEdit, QPushButton, QVBoxLayout

    assert mnemonic("Save && &close") == "c"
    assert mnemonic("Riverside Skin & Hair") is None
    window = QWidget()
    qtbot.addWidget(window)
    layout = QVBoxLayout(window)
    layout.addWidget(QPushButton("&Print…"))
    layout.addWidget(QPushButton("&Patients"))
    form = QFormLayout()
    inner = QVBoxLayout()
    inner.addWidget(QLineEdit())
    form.addRow("&Name", inner)  # a layout, not a widget: no buddy, '&Name' on screen
    layout.addLayout(form)
    problems = window_problems(window)
    assert any("Alt+P" in p and "&Print…" in p and "&Patients" in p for p in problems)
    assert any("'&Name'" in p for p in problems)


def test_alt_letters_reach_what_they_name_on_the_sessions_tab(
    qtbot, main_window: MainWindow
) -> None:
    """Pressed for real: Alt+D is Record session (Alt+R was also the Records menu), and Alt+I
    still opens the Sessions tab from anywhere."""
    from PySide6.QtCore import Qt

    main_window.show()
    qtbot.waitExposed(main_window)
    main_window.windowHandle().requestActivate()  # offscreen: activateWindow() is not enough
    qtbot.waitUntil(lambda: QApplication.activeWindow() is main_window)
    qtbot.keyClick(main_window, Qt.Key.Key_I, Qt.KeyboardModifier.AltModifier)
    tab = main_window.sessions_tab
    assert main_window.tabs.currentWidget() is tab
    assert tab.record_button.isEnabled()
    with qtbot.waitSignal(tab.record_button.clicked, timeout=1000):
        qtbot.keyClick(main_window, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)
