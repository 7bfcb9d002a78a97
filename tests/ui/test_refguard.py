"""The guard that keeps PySide6's reference leak from crashing Python 3.11."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

EMITS = 20_000
SCRIPT = textwrap.dedent(
    f"""
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QApplication, QLineEdit
    app = QApplication([])
    if sys.argv[1] == "guarded":
        from exodesk.ui import refguard
        refguard.install(app)
    class Thing(QObject):
        changed = Signal()
    thing, edit = Thing(), QLineEdit()
    for n in range({EMITS}):
        thing.changed.emit()
        edit.setText(str(n))
    print("survived")
    """
)


def _run(mode: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, timeout=120
    )


def test_many_emits_survive_with_the_guard() -> None:
    result = _run("guarded")
    assert result.returncode == 0, result.stderr[-400:]
    assert "survived" in result.stdout


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="True and None are immortal from 3.12")
def test_the_leak_is_real_without_the_guard() -> None:
    """If this starts passing unguarded, PySide6 fixed the leak and the guard can go."""
    from PySide6 import __version__ as pyside_version

    result = _run("bare")
    if result.returncode == 0:
        pytest.fail(f"PySide6 {pyside_version} no longer leaks: remove exodesk.ui.refguard")
    assert "bool_dealloc" in result.stderr or "None" in result.stderr
