"""The log a clinic can send us: written from the first start, and a native crash lands in it."""

from __future__ import annotations

import logging
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

    def launch(paths, *, demo: bool) -> int:
        seen.append(paths.folder)
        logging.getLogger("exodesk").info("window would open now")
        return 0

    monkeypatch.setattr(launcher, "launch", launch)
    assert app.run_gui(data_dir=str(folder), demo=False, keep=False) == 0
    assert seen == [folder]
    text = (folder / "exodesk.log").read_text(encoding="utf-8")
    assert "starting on" in text and "window would open now" in text


@pytest.mark.parametrize("rolled_over", [False, True], ids=["fresh", "after-rollover"])
def test_a_native_crash_leaves_every_threads_stack_in_the_log(
    tmp_path: Path, rolled_over: bool
) -> None:
    log_file = tmp_path / "logs" / "exodesk.log"
    script = textwrap.dedent(
        f"""
        import ctypes, logging, threading, time
        from pathlib import Path
        from exodesk.app import setup_logging
        setup_logging(Path({str(log_file)!r}))
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
    assert (tmp_path / "logs" / "exodesk.log.1").exists() is rolled_over
