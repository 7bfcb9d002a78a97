"""Where the clinic lives: one machine-wide folder in the installed Windows app (issue #20).

There is no Windows here: the choice is fed Windows inputs (environment, install record,
``sys.frozen`` and ``os.name``) and compared as Windows paths.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from exodesk import paths
from exodesk.paths import (
    ENV_DATA_DIR,
    INSTALL_RECORD_NAME,
    installed_on_windows,
    machine_data_dir,
    resolve_data_dir,
    uses_default_data_dir,
)

WINDOWS_ENV = {"ProgramData": "C:\\ProgramData", "LOCALAPPDATA": "C:\\Users\\Ada\\AppData\\Local"}


@pytest.fixture
def install_dir(tmp_path: Path) -> Path:
    """The folder of the installed ExoDesk.exe (Program Files\\ExoDesk)."""
    folder = tmp_path / "Program Files" / "ExoDesk"
    folder.mkdir(parents=True)
    return folder


def _record(install_dir: Path, text: str, encoding: str = "utf-8") -> None:
    (install_dir / INSTALL_RECORD_NAME).write_text(text, encoding=encoding)


def test_the_machine_folder_is_under_programdata(install_dir: Path) -> None:
    exe = install_dir / "ExoDesk.exe"
    assert machine_data_dir(WINDOWS_ENV, exe) == "C:\\ProgramData\\ExoDesk"
    # Windows environment names ignore case.
    assert machine_data_dir({"PROGRAMDATA": "D:\\PD"}, exe) == "D:\\PD\\ExoDesk"
    assert machine_data_dir({}, exe) == "C:\\ProgramData\\ExoDesk"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("DataFolder=D:\\Clinic Data\\ExoDesk", "D:\\Clinic Data\\ExoDesk"),
        ('DataFolder="E:\\Łucja\\ExoDesk"', "E:\\Łucja\\ExoDesk"),
        ("DataFolder=%ProgramData%\\Clinic", "C:\\ProgramData\\Clinic"),
        ("DataFolder=\\\\nas\\clinic\\ExoDesk", "\\\\nas\\clinic\\ExoDesk"),
    ],
)
def test_the_folder_recorded_at_install_time_wins(
    install_dir: Path, line: str, expected: str
) -> None:
    _record(install_dir, f"[ExoDesk]\n{line}\n", encoding="utf-8-sig")  # Notepad's BOM too
    assert machine_data_dir(WINDOWS_ENV, install_dir / "ExoDesk.exe") == expected


@pytest.mark.parametrize(
    "text",
    [
        "[ExoDesk]\nDataFolder=ExoDesk\n",  # relative: whose current folder?
        "[ExoDesk]\nDataFolder=%NOPE%\\ExoDesk\n",  # an unknown variable
        "[ExoDesk]\nDataFolder=\n",
        "[Other]\nDataFolder=D:\\X\n",
        "not an ini file at all",
    ],
)
def test_an_unusable_record_falls_back_to_programdata(install_dir: Path, text: str) -> None:
    _record(install_dir, text)
    assert machine_data_dir(WINDOWS_ENV, install_dir / "ExoDesk.exe") == "C:\\ProgramData\\ExoDesk"


def test_only_the_installed_windows_app_uses_the_machine_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # os.name is only changed around the call: pathlib itself reads it to pick a flavour.
    for frozen, name, expected in [
        (True, "nt", True),
        (False, "nt", False),  # from source on Windows: per-user, as before
        (True, "posix", False),
    ]:
        with monkeypatch.context() as m:
            m.setattr(sys, "frozen", frozen, raising=False)
            m.setattr(os, "name", name)
            answer = installed_on_windows()
        assert answer is expected


def test_data_dir_and_the_environment_still_win(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    machine = tmp_path / "ProgramData" / "ExoDesk"
    monkeypatch.setattr(paths, "installed_on_windows", lambda: True)
    monkeypatch.setattr(paths, "machine_data_dir", lambda: str(machine))
    monkeypatch.delenv(ENV_DATA_DIR, raising=False)
    assert resolve_data_dir(None) == machine
    assert uses_default_data_dir(None)
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path / "env"))
    assert resolve_data_dir(None) == tmp_path / "env"
    assert not uses_default_data_dir(None)
    assert resolve_data_dir(str(tmp_path / "cli")) == tmp_path / "cli"
    assert not uses_default_data_dir(str(tmp_path / "cli"))


def test_from_source_the_default_stays_per_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_DATA_DIR, raising=False)
    monkeypatch.setattr(paths, "installed_on_windows", lambda: False)
    assert resolve_data_dir(None) == paths.user_data_dir()
