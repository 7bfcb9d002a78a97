"""The photo import and gallery benchmark end to end at a small size: it runs and reports both
figures (no timing is asserted: a shared runner's clock says nothing about the app)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_a_small_photo_run_reports_both_figures(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests" / "benchmarks" / "photo_import.py"),
            "--photos",
            "2",
            "--gallery",
            "60",
            "--repeat",
            "1",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        cwd=tmp_path,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"import 2 × 12 MP JPEG with thumbnails: [\d.]+ s \(baseline", done.stdout)
    assert re.search(r"gallery first screen, 60 photos .*: \d+ ms \(baseline", done.stdout)
