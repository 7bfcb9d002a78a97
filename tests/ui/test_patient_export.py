"""Export this patient, driven like a person would: choose a folder, wait, read where it went."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox, QWidget

from exodesk.domain.patient import Patient
from exodesk.services.workspace import Services
from exodesk.ui.dialogs.patient_export import PatientExportDialog, export_patient
from tests.ui.dialogs import when_dialog_opens
from tests.ui.test_patients_tab import unnamed_widgets


@pytest.fixture
def parent(qtbot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


@pytest.fixture
def patient_id(services: Services) -> int:
    return services.patients.create(Patient("Ñúñez", "Zoë", date(1985, 4, 3))).record.id


def _export(qtbot, parent, services, patient_id, folder) -> PatientExportDialog:
    asked: list[QWidget | None] = []

    def choose(owner: QWidget | None) -> Path:
        asked.append(owner)
        return folder

    dialog = export_patient(parent, services, patient_id, choose_folder=choose)
    assert asked == [parent]
    assert isinstance(dialog, PatientExportDialog)
    qtbot.addWidget(dialog)
    return dialog


def test_export_to_the_chosen_folder_says_where_the_files_went(
    qtbot, parent, services: Services, patient_id: int, tmp_path: Path
) -> None:
    folder = tmp_path / "usb"
    folder.mkdir()
    dialog = _export(qtbot, parent, services, patient_id, folder)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=20_000)
    result = dialog.export_result
    assert result is not None
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted([result.json_path.name, result.pdf_path.name])
    assert names[0].startswith(f"{patient_id}-Zoë-Ñúñez-")
    text = dialog.status.text()
    assert str(folder) in text and result.pdf_path.name in text and result.json_path.name in text
    assert dialog.isVisible()
    assert dialog.open_button.isEnabled() and dialog.close_button.isEnabled()
    assert unnamed_widgets(dialog) == []
    entry = services.ctx.db.execute(
        "SELECT action, patient_id FROM audit_log ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert tuple(entry) == ("export", patient_id)
    dialog.close_button.click()
    assert not dialog.isVisible()


def test_the_window_cannot_be_closed_while_writing(
    qtbot, parent, services: Services, patient_id: int, tmp_path: Path
) -> None:
    dialog = _export(qtbot, parent, services, patient_id, tmp_path)
    assert dialog.busy and not dialog.close_button.isEnabled()
    dialog.reject()
    assert dialog.busy
    qtbot.waitUntil(lambda: not dialog.busy, timeout=20_000)
    assert dialog.export_result is not None


def test_cancelling_the_folder_chooser_does_nothing(
    parent, services: Services, patient_id: int
) -> None:
    assert export_patient(parent, services, patient_id, choose_folder=lambda _owner: None) is None
    count = services.ctx.db.execute("SELECT count(*) FROM audit_log WHERE action='export'")
    assert count.fetchone()[0] == 0


def test_a_folder_that_went_away_is_said_in_the_window(
    qtbot, parent, services: Services, patient_id: int, tmp_path: Path
) -> None:
    gone = tmp_path / "unplugged"
    dialog = _export(qtbot, parent, services, patient_id, gone)
    failures: list[object] = []
    dialog.failed.connect(failures.append)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=20_000)
    assert dialog.export_result is None
    assert [type(f).__name__ for f in failures] == ["UserError"]
    assert "does not exist, so nothing was exported" in dialog.status.text()
    assert dialog.isVisible() and not dialog.open_button.isEnabled()
    assert not gone.exists()


def test_a_refusal_is_shown_at_once(
    qtbot, parent, services: Services, patient_id: int, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    services.desk.user = None
    dialog = _export(qtbot, parent, services, patient_id, out)
    assert not dialog.busy and dialog.isVisible()
    assert "Nobody is signed in" in dialog.status.text()
    assert list(out.iterdir()) == []


def test_no_patient_chosen_is_said_plainly(qtbot, parent, services: Services) -> None:
    seen = when_dialog_opens(QMessageBox, lambda box: box.accept())
    asked: list[object] = []
    assert export_patient(parent, services, None, choose_folder=asked.append) is None
    assert seen and "Choose a patient first" in seen[0].text()
    assert asked == [], "no folder is asked for"
