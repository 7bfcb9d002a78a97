"""The log a clinic can send us: written from the first start, and a native crash lands in it."""

from __future__ import annotations

import logging
import logging.handlers
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from exodesk import app


@pytest.fixture(autouse=True)
def _log_back_to_normal():
    yield
    logging.shutdown()
    app.setup_logging(None)


def test_a_first_start_makes_the_data_folder_and_writes_a_log(tmp_path: Path, monkeypatch) -> None:
    from exodesk.ui import launcher

    folder = tmp_path / "brand" / "new" / "ExoDesk"
    seen: list[Path] = []

    def launch(paths, *, demo: bool, notice: str | None = None) -> int:
        seen.append(paths.folder)
        logging.getLogger("exodesk").info("window would open now")
        return 0

    monkeypatch.setattr(launcher, "launch", launch)
    assert app.run_gui(data_dir=str(folder), demo=False, keep=False) == 0
    assert seen == [folder]
    text = (folder / "exodesk.log").read_text(encoding="utf-8")
    assert "starting on" in text and "window would open now" in text


@pytest.mark.parametrize(
    ("rolled_over", "refused"),
    [(False, False), (True, False), (True, True)],
    ids=["fresh", "after-rollover", "after-a-refused-rollover"],
)
def test_a_native_crash_leaves_every_threads_stack_in_the_log(
    tmp_path: Path, rolled_over: bool, refused: bool
) -> None:
    log_file = tmp_path / "logs" / "exodesk.log"
    script = textwrap.dedent(
        f"""
        import ctypes, logging, threading, time
        from pathlib import Path
        from exodesk.app import setup_logging
        setup_logging(Path({str(log_file)!r}))
        if {refused!r}:  # another process holds the log, as Windows refuses the rename then
            import os
            def refuse(*args, **kwargs):
                raise PermissionError(32, "The process cannot access the file")
            os.rename = os.replace = refuse
        if {rolled_over!r}:
            logging.getLogger().handlers[-1].doRollover()
        threading.Thread(target=time.sleep, args=(30,), name="busy", daemon=True).start()
        ctypes.string_at(0)  # a segmentation fault, as a broken native library would cause
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONFAULTHANDLER": ""},
    )
    assert result.returncode != 0
    assert result.stderr == "", "nothing for a console the windowed app does not have"
    text = log_file.read_text(encoding="utf-8")
    assert "Fatal Python error: Segmentation fault" in text
    assert "Current thread 0x" in text and "\nThread 0x" in text, "the other threads too"
    assert (tmp_path / "logs" / "exodesk.log.1").exists() is (rolled_over and not refused)


def _refuse_renames(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    refused: list[str] = []

    def refuse(source, dest, *args, **kwargs):  # type: ignore[no-untyped-def]
        refused.append(os.path.basename(source))
        raise PermissionError(32, "The process cannot access the file", str(source))

    monkeypatch.setattr(os, "rename", refuse)
    monkeypatch.setattr(os, "replace", refuse)
    return refused


def test_a_refused_rollover_keeps_every_line_in_the_current_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # On Windows another process holding the log (the GUI while a second copy is refused)
    # makes the rollover's rename fail. Before, the handler lost that line and printed
    # "--- Logging error ---" with a traceback to a console the windowed app does not have.
    log_file = tmp_path / "exodesk.log"
    app.setup_logging(log_file)
    handler = logging.getLogger().handlers[-1]
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    handler.maxBytes = 2_000
    refused = _refuse_renames(monkeypatch)
    for n in range(200):
        logging.getLogger("exodesk").info("line %03d of a busy afternoon", n)
    text = log_file.read_text(encoding="utf-8")
    assert all(f"line {n:03d} of a busy afternoon" in text for n in range(200))
    assert len(text) > 2_000, "kept writing past the size limit rather than lose lines"
    assert refused == ["exodesk.log"], "tried once, then waits a minute before trying again"
    assert not (tmp_path / "exodesk.log.1").exists()
    assert capsys.readouterr().err == ""
    # Once the other process lets go, the next try (a minute later) rolls over as usual.
    monkeypatch.undo()
    monkeypatch.setattr(app.time, "monotonic", lambda: 10.0**9)
    logging.getLogger("exodesk").info("after the other process let go")
    assert (tmp_path / "exodesk.log.1").exists()
    assert "after the other process let go" in log_file.read_text(encoding="utf-8")


def test_admin_commands_log_apart_from_the_window(tmp_path: Path) -> None:
    folder = tmp_path / "clinic"
    assert app.main(["init", "--data-dir", str(folder)]) == 0
    assert app.main(["backup", "--data-dir", str(folder)]) == 0
    logging.shutdown()
    assert "backup written" in (folder / "exodesk-admin.log").read_text(encoding="utf-8")
    assert not (folder / "exodesk.log").exists(), "the GUI's log is the GUI's alone"
