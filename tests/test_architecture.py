"""Dependencies point one way: ui → services → domain, storage; reports → domain; nothing → ui."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "exodesk"

# layer -> the exodesk layers it may import (besides itself and the top-level helpers)
ALLOWED = {
    "domain": set(),
    "storage": {"domain"},
    "services": {"domain", "storage", "reports"},
    "reports": {"domain"},
    "ui": {"domain", "services", "reports"},
}
TOP_LEVEL = {"exodesk", "exodesk.errors", "exodesk.paths"}
# The SQLite module (sqlcipher3, encrypted) is chosen in one place, exodesk.storage.engine.
THIRD_PARTY = {
    "domain": {"PySide6", "sqlite_utils", "sqlite3", "sqlcipher3", "reportlab"},
    "storage": {"PySide6", "reportlab"},
    "services": {"PySide6", "sqlite3", "sqlcipher3", "reportlab"},
    "reports": {"PySide6", "sqlite_utils", "sqlite3", "sqlcipher3"},
    "ui": {"sqlite_utils", "sqlite3", "sqlcipher3"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules() -> list[tuple[str, Path]]:
    return [
        (path.relative_to(PACKAGE).parts[0], path)
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).parts[0] in ALLOWED
    ]


@pytest.mark.parametrize(("layer", "path"), _modules(), ids=lambda v: str(v).split("exodesk/")[-1])
def test_layer_imports_point_one_way(layer: str, path: Path) -> None:
    for name in _imports(path):
        root = name.split(".")[0]
        if root == "exodesk":
            if name in TOP_LEVEL:
                continue
            target = name.split(".")[1]
            assert target == layer or target in ALLOWED[layer], f"{path.name} imports {name}"
        else:
            assert root not in THIRD_PARTY.get(layer, set()), f"{path.name} imports {name}"


def test_only_the_engine_imports_a_sqlite_module() -> None:
    """Every other storage module takes ``sqlite3`` from exodesk.storage.engine (sqlcipher3):
    the standard library's exception classes would miss every failure of our connections."""
    for path in (PACKAGE / "storage").rglob("*.py"):
        if path.name == "engine.py":
            continue
        roots = {name.split(".")[0] for name in _imports(path)}
        assert not roots & {"sqlite3", "sqlcipher3", "pysqlite3"}, path.name


def test_nothing_outside_ui_imports_ui() -> None:
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "ui" or rel.name in {"app.py"}:
            continue
        assert not any(n.startswith("exodesk.ui") for n in _imports(path)), rel


def test_every_module_opens_with_a_docstring() -> None:
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{path.relative_to(PACKAGE)} has no module docstring"


@pytest.mark.parametrize("layer", ["domain", "storage", "services", "reports"])
def test_every_module_below_the_ui_runs_without_qt(layer: str) -> None:
    """napari's test: the model layers import with Qt uninstalled (PySide6 blocked here), every
    module of them, not a sample; and a whole visit's services run (the demo clinic)."""
    import subprocess
    import sys

    modules = sorted(
        ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        for path in (PACKAGE / layer).rglob("*.py")
        if path.name != "__init__.py"
    )
    assert modules, layer
    code = (
        "import importlib, sys\n"
        "sys.modules['PySide6'] = None\n"
        "sys.modules['shiboken6'] = None\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "assert not any(m.startswith(('PySide6.', 'shiboken6.')) for m in sys.modules)\n"
        "print('ok')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr


def test_the_demo_clinic_is_built_without_qt(tmp_path) -> None:
    """Not only imports: the services seed a whole clinic (patients, screenings, sessions,
    lots, events, aftercare) with Qt blocked."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "sys.modules['PySide6'] = None\n"
        "from pathlib import Path\n"
        "from exodesk.paths import DataPaths\n"
        "from exodesk.services.workspace import open_services\n"
        "from exodesk.services.demo import seed_demo\n"
        f"services = open_services(DataPaths(Path({str(tmp_path / 'demo')!r})), create=True)\n"
        "seed_demo(services)\n"
        "assert services.patients.search('').rows\n"
        "services.close()\n"
        "print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.stdout.strip() == "ok", result.stderr
