"""The benchmark script end to end at a small size: it runs and reports every figure (no timing
is asserted: a shared CI runner's clock says nothing about the app)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIGURES = (
    "cold start to main window with first page",
    "peak memory at that point",
    "search as you type, per keystroke",
    "open a patient with 200 sessions",
    "lot recall over",
    "render one aftercare sheet",
    "aftercare sheets",
    "verified backup of the file",
)


@pytest.mark.slow
def test_a_small_run_produces_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests" / "benchmarks" / "run.py"),
            "--patients",
            "2000",
            "--sessions",
            "10000",
            "--repeat",
            "2",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,  # the script finds its package from its own path, not the working folder
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "| figure |" in done.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["generated"]["patients"] == 2000
    assert report["generated"]["sessions"] == 10_000
    figures = report["figures"]
    for name in FIGURES:
        matching = [f for f in figures if f["name"].startswith(name) or name in f["name"]]
        assert matching, f"no figure {name!r} in {[f['name'] for f in figures]}"
    for figure in figures:
        assert figure["samples"] >= 1, figure["name"]
        for key in ("median", "p95"):
            assert math.isfinite(figure[key]) and figure[key] > 0, (figure["name"], key)
        if figure["baseline"]:
            assert figure["baseline_median"] > 0 and figure["ratio_median"] > 0, figure["name"]
        assert figure["met"] in (True, False, None)
        assert figure["name"] in done.stdout
