"""Start-up wiring of the machine-wide folder (issue #20): the GUI and the admin commands
move a Windows login's clinic once, show the sentence once, and ``--data-dir`` still wins.

The installed-on-Windows answer and the two default folders are patched; everything else (the
data files, the move, the launcher's entry and the commands) is real.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from exodesk import app, paths
from exodesk.paths import ENV_DATA_DIR, DataPaths
from exodesk.storage.lock import acquire_lock
from exodesk.ui import launcher


@pytest.fixture(autouse=True)
def _log_back_to_normal():
    yield
    logging.shutdown()
    app.setup_logging(None)


@pytest.fixture
def folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, services
) -> tuple[DataPaths, DataPaths]:  # type: ignore[no-untyped-def]
    """(this login's folder with a clinic, the machine folder) as the installed app sees them."""
    services.close()
    old = services.paths
    machine = DataPaths(tmp_path / "ProgramData" / "ExoDesk")
    monkeypatch.delenv(ENV_DATA_DIR, raising=False)
    monkeypatch.setattr(paths, "installed_on_windows", lambda: True)
    monkeypatch.setattr(app, "installed_on_windows", lambda: True)
    monkeypatch.setattr(paths, "machine_data_dir", lambda: str(machine.folder))
    monkeypatch.setattr(app, "user_data_dir", lambda: old.folder)
    return old, machine


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, str | None]]:
    seen: list[tuple[Path, str | None]] = []

    def launch(paths: DataPaths, *, demo: bool, notice: str | None = None) -> int:
        seen.append((paths.folder, notice))
        return 0

    monkeypatch.setattr(launcher, "launch", launch)
    return seen


def test_the_window_opens_the_moved_clinic_and_says_so_once(
    folders: tuple[DataPaths, DataPaths], launched: list[tuple[Path, str | None]]
) -> None:
    old, machine = folders
    assert app.run_gui(data_dir=None, demo=False, keep=False) == 0
    assert app.run_gui(data_dir=None, demo=False, keep=False) == 0
    (first, notice), (second, again) = launched
    assert first == second == machine.folder
    assert notice is not None and str(machine.folder) in notice and str(old.folder) in notice
    assert again is None
    assert machine.data_file.exists() and not old.data_file.exists()
    assert "moved the clinic" in machine.log_file.read_text(encoding="utf-8")


def test_an_admin_command_moves_it_too_and_prints_the_sentence(
    folders: tuple[DataPaths, DataPaths], capsys: pytest.CaptureFixture[str]
) -> None:
    _old, machine = folders
    assert app.main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"now keeps this PC's clinic in {machine.folder}" in out
    assert f"Data file:      {machine.data_file}" in out


def test_data_dir_wins_and_nothing_moves(
    folders: tuple[DataPaths, DataPaths], launched: list[tuple[Path, str | None]]
) -> None:
    old, machine = folders
    assert app.run_gui(data_dir=str(old.folder), demo=False, keep=False) == 0
    assert launched == [(old.folder, None)]
    assert old.data_file.exists() and not machine.data_file.exists()


def test_a_move_that_cannot_happen_opens_the_clinic_where_it_is(
    folders: tuple[DataPaths, DataPaths], launched: list[tuple[Path, str | None]]
) -> None:
    old, machine = folders
    lock = acquire_lock(old.data_file)  # another ExoDesk under this login has it open
    try:
        assert app.run_gui(data_dir=None, demo=False, keep=False) == 0
    finally:
        lock.release()
    [(opened, notice)] = launched
    assert opened == old.folder, "not the empty machine folder and its first-run setup"
    assert notice is not None and "could not move" in notice and "Nothing was lost" in notice
    assert not machine.data_file.exists()


def test_from_source_nothing_moves(
    folders: tuple[DataPaths, DataPaths],
    launched: list[tuple[Path, str | None]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old, _machine = folders
    monkeypatch.setattr(paths, "installed_on_windows", lambda: False)
    monkeypatch.setattr(app, "installed_on_windows", lambda: False)
    monkeypatch.setattr(paths, "user_data_dir", lambda: old.folder)
    assert app.run_gui(data_dir=None, demo=False, keep=False) == 0
    assert launched == [(old.folder, None)]


def test_the_launcher_shows_the_sentence_before_anything_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qapp
) -> None:  # type: ignore[no-untyped-def]
    # The test's own application, without the launcher's collector and excepthook (those
    # are process-wide and have tests of their own).
    monkeypatch.setattr(launcher, "application", lambda: qapp)
    monkeypatch.setattr(launcher, "install_excepthook", lambda: None)
    shown: list[str] = []
    monkeypatch.setattr(
        launcher.QMessageBox, "information", lambda _p, _t, text: shown.append(text)
    )
    monkeypatch.setattr(launcher, "_open_or_explain", lambda paths, demo: shown.append("open") or 2)
    assert launcher.launch(DataPaths(tmp_path), demo=False, notice="It moved.") == 2
    assert shown == ["It moved.", "open"]
