"""Each bundled content file is read once per run (issue #16): the demo clinic seeded, the main
window opened and every tab shown, the clinical content report built twice and the protocols
listed."""

from __future__ import annotations

import json
import subprocess
import sys

from exodesk.services.bundled import CONTENT_FILES

# Counts every open() of a file under resources/ by Python (an audit hook sees them all: Path
# methods, open(), reportlab's font files), in a fresh process so the counts start at nought.
CODE = """
import collections, json, os, sys, tempfile
from pathlib import Path
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from exodesk.paths import RESOURCES, DataPaths
root = str(RESOURCES.resolve())
opens = collections.Counter()
def hook(event, args):
    if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.path.realpath(os.fsdecode(args[0]))
        if path.startswith(root + os.sep):
            opens[Path(os.path.relpath(path, root)).as_posix()] += 1
sys.addaudithook(hook)
from exodesk.services.demo import seed_demo
from exodesk.services.workspace import open_services
from exodesk.ui.common import locale_day_first
from exodesk.ui.launcher import application, sign_in_demo
from exodesk.ui.main_window import MainWindow
app = application()
services = open_services(DataPaths(Path(tempfile.mkdtemp())), create=True)
seed_demo(services, patients=6, backup_history=False)
sign_in_demo(services)
window = MainWindow(services, day_first=locale_day_first())
window.show()
app.processEvents()
for index in range(window.tabs.count()):
    window.tabs.setCurrentIndex(index)
    app.processEvents()
services.content.report()
services.content.report()
services.catalogue.protocols()  # what the Start a course dialog lists
window.close()
services.close()
print(json.dumps(opens))
"""


def test_each_content_file_is_read_once_in_a_demo_run() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CODE], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    opens = json.loads(result.stdout.strip().splitlines()[-1])
    content = {name: opens.get(name, 0) for name in CONTENT_FILES}
    assert content == dict.fromkeys(CONTENT_FILES, 1), opens
