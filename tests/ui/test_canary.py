"""A patient's name never leaks outside the encrypted data file: not into the log, the window
settings file, temporary files or the keyring, whatever the person does in the app."""

from __future__ import annotations

import logging
import os
import tempfile
from datetime import date
from pathlib import Path

import pytest

from exodesk.app import setup_logging
from exodesk.domain.patient import Patient
from exodesk.domain.staff import StaffMember
from exodesk.paths import DataPaths
from exodesk.services import encryption
from exodesk.services.workspace import open_services
from exodesk.ui.main_window import MainWindow

FAMILY, GIVEN = "Zyzzyvaquist", "Quennelline"


def leaks(folder: Path) -> list[str]:
    """Every file under ``folder`` holding the canary, in UTF-8 or UTF-16 (either name)."""
    found = []
    needles = [n.encode(codec) for n in (FAMILY, GIVEN) for codec in ("utf-8", "utf-16-le")]
    for path in folder.rglob("*"):
        if path.is_file() and any(needle in path.read_bytes() for needle in needles):
            found.append(str(path.relative_to(folder)))
    return sorted(found)


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temporary files of this test land here, so they can be scanned too."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    return scratch


@pytest.mark.parametrize("encrypted", [True, False])
def test_the_canary_stays_inside_the_encrypted_file(
    qtbot, tmp_path: Path, private_tmp: Path, encrypted: bool
) -> None:
    paths = DataPaths(tmp_path / "clinic")
    key = encryption.new_clinic_key()[0] if encrypted else None
    services = open_services(paths, create=True, key=key)
    setup_logging(paths.log_file)
    try:
        assert services.accounts.first_account(
            StaffMember("Ada Admin", "practitioner"), "a long passphrase"
        ).ok
        window = MainWindow(services, day_first=True, automatic_backups=True)
        qtbot.addWidget(window)
        window.show()
        created = services.patients.create(Patient(FAMILY, GIVEN, date(1980, 5, 1)))
        assert created.ok
        window.data_changed.emit(created.changes)
        # What reception does: search, open, print-preview nothing, then close (a backup).
        window.patients_tab.search.setText(FAMILY[:6])
        qtbot.waitUntil(lambda: window.patients_tab.model.rowCount() == 1)
        window.current.set(created.record)
        logging.getLogger("exodesk").info("a line to prove the log is written")
        window.close()
    finally:
        services.close()
        setup_logging(None)
    assert paths.log_file.read_text(encoding="utf-8"), "the log was written"
    assert paths.ui_settings.exists(), "the window settings file was written"
    everywhere = leaks(tmp_path)
    if encrypted:
        assert everywhere == [], f"the name leaked into: {everywhere}"
    else:
        # The same scan finds the plain clinic's file or its backup: the test can fail.
        assert any(name.startswith("clinic/") for name in everywhere), everywhere
        assert not [n for n in everywhere if n.endswith((".log", ".ini", ".keys"))]
    assert os.listdir(private_tmp) == [] or not leaks(private_tmp)
