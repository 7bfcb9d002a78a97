"""The admin commands print in UTF-8 whatever the console's code page (issue #20).

A Windows console program whose output is redirected writes in the ANSI code page (cp1252 in
much of Europe). Simulated here with PYTHONIOENCODING=cp1252 and PYTHONUTF8=0: before, a data
folder under "Łucja" made ``init`` and ``info`` exit 1 with a UnicodeEncodeError traceback
(``backup`` after the backup was written).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from exodesk import app

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[bytes]:
    env = {
        **os.environ,
        "PYTHONIOENCODING": "cp1252",
        "PYTHONUTF8": "0",
        "PYTHONPATH": str(ROOT),
        "QT_QPA_PLATFORM": "offscreen",
    }
    env.pop("EXODESK_DATA_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "exodesk", *args],
        capture_output=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )


def test_a_polish_folder_name_prints_under_cp1252(tmp_path: Path) -> None:
    folder = tmp_path / "Łucja Nowak" / "ExoDesk"
    for command in ("init", "info", "backup"):
        result = _run(command, "--data-dir", str(folder))
        assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
        assert result.stderr == b""
        out = result.stdout.decode("utf-8")
        assert "Łucja Nowak" in out, out
    assert "Schema version" in _run("info", "--data-dir", str(folder)).stdout.decode("utf-8")


def test_streams_without_reconfigure_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setattr(sys, "stderr", None)  # the windowed app on Windows has none
    app.utf8_console()
    print("Łucja", file=sys.stdout)
