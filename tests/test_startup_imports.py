"""What start-up imports: nothing that only printing or a not-yet-opened tab needs (issue #9)."""

from __future__ import annotations

import subprocess
import sys

# Imported on first use: reportlab (~100 ms) with the first PDF, each tab when it is opened.
LAZY = (
    "reportlab",
    "exodesk.reports.aftercare",
    "exodesk.reports.clinical",
    "exodesk.reports.comparison",
    "exodesk.reports.screening_summary",
    "exodesk.reports.subject_access",
    "exodesk.ui.aftercare.tab",
    "exodesk.ui.comparison.tab",
    "exodesk.ui.screening.tab",
    "exodesk.ui.sessions.tab",
    # Built on first use (Services.aftercare, .comparison, .subject_access; Settings pages).
    "exodesk.services.aftercare",
    "exodesk.services.comparison",
    "exodesk.services.subject_access",
    "exodesk.ui.dialogs.aftercare_wording",
    "exodesk.ui.dialogs.comparison_texts",
)


def test_start_up_loads_no_report_and_no_unopened_tab() -> None:
    code = (
        "import os, sys\n"
        "os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "import exodesk.services.workspace, exodesk.ui.launcher, exodesk.ui.main_window\n"
        f"print(sorted(m for m in sys.modules if m in {LAZY!r}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
