"""pyinstaller.spec, read as text (no build here; .ci/build-bundle builds and runs the bundle)."""

from __future__ import annotations

import ast
import re
import struct
from pathlib import Path
from typing import Any

import pytest

import exodesk

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "pyinstaller.spec"


@pytest.fixture(scope="module")
def tree() -> ast.Module:
    return ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))


def _call(tree: ast.Module, name: str) -> ast.Call:
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name
    ]
    assert len(calls) == 1, f"one {name}(...) in the spec"
    return calls[0]


def _exes(tree: ast.Module) -> dict[str, ast.Call]:
    """The spec's EXE(...) calls by the variable they are assigned to."""
    exes = {
        ast.unparse(node.targets[0]): node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and ast.unparse(node.value.func) == "EXE"
    }
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and ast.unparse(n.func) == "EXE"]
    assert len(calls) == len(exes), "every EXE(...) is assigned at the top level"
    return exes


def _keyword(call: ast.Call, name: str) -> ast.expr:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    raise AssertionError(f"{ast.unparse(call.func)}(...) has no {name}=")


def _constant(tree: ast.Module, name: str) -> Any:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return node.value
        if isinstance(node, ast.AnnAssign) and ast.unparse(node.target) == name and node.value:
            return node.value
    raise AssertionError(f"the spec does not define {name}")


def _excludes(tree: ast.Module) -> set[str]:
    """Every module name the spec excludes."""
    unused_qt = _constant(tree, "UNUSED_QT")
    assert isinstance(unused_qt, ast.Call) and isinstance(unused_qt.func, ast.Attribute)
    qt = ast.literal_eval(unused_qt.func.value).split()
    assert ast.unparse(_constant(tree, "QT_EXCLUDES")) == (
        "[f'PySide6.{name}' for name in UNUSED_QT]"
    )
    return {f"PySide6.{name}" for name in qt} | _strings(_constant(tree, "EXCLUDES"))


def _strings(node: ast.AST) -> set[str]:
    return {
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


def test_windowed_one_folder_executable(tree: ast.Module) -> None:
    exe = _exes(tree)["exe"]
    console = _keyword(exe, "console")
    assert isinstance(console, ast.Constant) and console.value is False
    assert ast.unparse(_keyword(exe, "name")) == "APP_ID"
    # One folder: the binaries go to COLLECT, not into the executable.
    assert ast.literal_eval(_keyword(exe, "exclude_binaries")) is True
    assert ast.literal_eval(_keyword(exe, "upx")) is False
    collect = _call(tree, "COLLECT")
    assert ast.unparse(_keyword(collect, "name")) == "APP_ID"
    assert ast.literal_eval(_constant(tree, "APP_ID")) == exodesk.APP_ID


def test_admin_console_program_shares_the_bundle(tree: ast.Module) -> None:
    """exodesk-admin: the same analysis and entry as a console program, in the same folder."""
    exes = _exes(tree)
    assert set(exes) == {"exe", "admin_exe"}
    admin, gui = exes["admin_exe"], exes["exe"]
    console = _keyword(admin, "console")
    assert isinstance(console, ast.Constant) and console.value is True
    assert ast.unparse(_keyword(admin, "name")) == "ADMIN_ID"
    assert ast.unparse(_constant(tree, "ADMIN_ID")) == "f'{APP_ID}-admin'"
    # The same PYZ and entry scripts as the windowed program: one analysis, two programs.
    assert [ast.unparse(a) for a in admin.args] == [ast.unparse(a) for a in gui.args]
    assert [ast.unparse(a) for a in admin.args[:2]] == ["pyz", "a.scripts"]
    for flag, value in (("exclude_binaries", True), ("upx", False), ("debug", False)):
        assert ast.literal_eval(_keyword(admin, flag)) is value, flag
    assert ast.unparse(_keyword(admin, "strip")) == "STRIP"
    assert ast.unparse(_keyword(admin, "icon")) == "str(ICON)"
    assert ast.unparse(_keyword(admin, "version")) == (
        "str(ADMIN_VERSION_FILE) if IS_WIN else None"
    )
    # Both programs in the one folder COLLECT makes, with the analysis' libraries once.
    collect = _call(tree, "COLLECT")
    assert [ast.unparse(a) for a in collect.args[:4]] == [
        "exe",
        "admin_exe",
        "a.binaries",
        "a.datas",
    ]
    assert ast.unparse(_constant(tree, "ADMIN_VERSION_FILE")) == (
        "write_version_file(VERSION, ADMIN_ID, 'ExoDesk admin commands')"
    )


def test_icon_is_the_bundled_multi_size_ico(tree: ast.Module) -> None:
    for exe in _exes(tree).values():
        assert ast.unparse(_keyword(exe, "icon")) == "str(ICON)"
    assert ast.unparse(_constant(tree, "ICON")) == "ROOT / 'resources' / 'exodesk.ico'"
    data = (ROOT / "resources" / "exodesk.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind) == (0, 1)
    sizes = {data[6 + 16 * i] or 256 for i in range(count)}  # 0 means 256 in an ICO
    assert {16, 24, 32, 48, 256} <= sizes
    assert (ROOT / "resources" / "exodesk.png").read_bytes().startswith(b"\x89PNG")


def test_resources_land_beside_the_package(tree: ast.Module) -> None:
    datas = _keyword(_call(tree, "Analysis"), "datas")
    assert ast.unparse(datas) == "[(str(ROOT / 'resources'), 'resources')]"


def test_version_resource_comes_from_the_package(tree: ast.Module) -> None:
    assert ast.unparse(_keyword(_exes(tree)["exe"], "version")) == (
        "str(VERSION_FILE) if IS_WIN else None"
    )
    assert "exodesk" in ast.unparse(
        next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "read_version")
    )


def test_version_file_is_written_from_the_version(tree: ast.Module, tmp_path: Path) -> None:
    # Run only the spec's two version helpers (the rest needs PyInstaller and a build).
    helpers = [
        n
        for n in tree.body
        if isinstance(n, ast.FunctionDef) and n.name in {"read_version", "write_version_file"}
    ]
    namespace: dict[str, Any] = {
        "ROOT": ROOT,
        "BUILD": tmp_path,
        "APP_ID": "exodesk",
        "IS_WIN": False,
    }
    exec("import ast, re\nfrom pathlib import Path", namespace)
    exec(compile(ast.Module(body=helpers, type_ignores=[]), str(SPEC), "exec"), namespace)
    version = namespace["read_version"]()
    assert version == exodesk.__version__
    path = namespace["write_version_file"](version)
    assert path.parent == tmp_path
    text = path.read_text(encoding="utf-8")
    numbers = tuple(int(n) for n in re.findall(r"\d+", version)[:4])
    numbers += (0,) * (4 - len(numbers))
    assert f"filevers={numbers}" in text
    assert f"StringStruct('FileVersion', '{version}')" in text
    assert "StringStruct('OriginalFilename', 'exodesk.exe')" in text
    admin = namespace["write_version_file"](version, "exodesk-admin", "ExoDesk admin commands")
    assert admin != path and admin.parent == tmp_path
    admin_text = admin.read_text(encoding="utf-8")
    assert "StringStruct('OriginalFilename', 'exodesk-admin.exe')" in admin_text
    assert "StringStruct('FileDescription', 'ExoDesk admin commands')" in admin_text
    assert f"filevers={numbers}" in admin_text


def test_unused_qt_is_left_out(tree: ast.Module) -> None:
    excludes = _excludes(tree)
    for module in ("QtNetwork", "QtQml", "QtQuick", "QtSvg", "QtOpenGL", "QtSql", "QtDBus"):
        assert f"PySide6.{module}" in excludes, module
    assert "tkinter" in excludes
    assert ast.unparse(_keyword(_call(tree, "Analysis"), "excludes")) == "EXCLUDES"
    keep = ast.literal_eval(_constant(tree, "KEEP_PLUGINS"))
    assert {"qoffscreen", "qwindows", "qxcb"} <= set(keep["platforms"])
    assert {"qjpeg", "qico"} <= set(keep["imageformats"])
    assert "printsupport" in keep
    assert "opengl32sw.dll" in ast.literal_eval(_constant(tree, "DROP_LIBRARIES"))
    spec = SPEC.read_text(encoding="utf-8")
    assert "a.binaries = prune_binaries(a.binaries)" in spec
    assert "a.datas = prune_datas(a.datas, a.binaries)" in spec
    assert '"translations" in parts' in spec


def _imported_modules() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "exodesk").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
    return names


def test_nothing_the_app_imports_is_excluded(tree: ast.Module) -> None:
    excludes = _excludes(tree)
    imported = _imported_modules()
    assert {"PySide6.QtPdf", "PySide6.QtPdfWidgets", "PySide6.QtPrintSupport"} <= imported
    for module in imported:
        parents = {".".join(module.split(".")[: i + 1]) for i in range(module.count(".") + 1)}
        assert not parents & excludes, module


def test_ci_builds_the_bundle_after_the_tests() -> None:
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert run[-2:] == ["bash .ci/build-bundle", "bash .ci/build-msi"]
    assert any('bash -c "$test_command"' in line for line in run[:-2])
    build = (ROOT / ".ci" / "build-bundle").read_text(encoding="utf-8")
    assert '"$venv/bin/pyinstaller" --noconfirm pyinstaller.spec' in build
    assert 'PIP_CONSTRAINT="$PWD/.ci/build-constraints.txt"' in build, "pinned versions"
    # Both programs' smoke tests, and an admin command printing its report from the frozen build.
    assert "for program in exodesk exodesk-admin; do" in build
    assert 'frozen "$program" --smoke-test' in build
    assert 'frozen exodesk-admin info --data-dir "$demo/clinic"' in build
    assert "du -sh" in build
