"""Bundled content is read in one place (services.bundled): the domain does no file I/O at all,
and the UI asks services for content instead of reading resources or building tables itself."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "exodesk"

# Modules whose import alone means touching files (or finding where they are).
FILE_MODULES = {"os", "io", "pathlib", "shutil", "glob", "tempfile", "importlib.resources"}
# Calls that read, write or look for files, whatever they are called on.
FILE_METHODS = {
    "open",
    "read_text",
    "read_bytes",
    "write_text",
    "write_bytes",
    "iterdir",
    "glob",
    "rglob",
    "exists",
    "is_file",
    "is_dir",
    "stat",
}
# json.load / json.dump take a file; json.loads / json.dumps of text are pure.
JSON_FILE_FUNCTIONS = {"load", "dump"}


def file_io_found(source: str) -> list[str]:
    """Each place in ``source`` that touches a file or the resources folder, as ``line: what``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in FILE_MODULES or alias.name == "exodesk.paths":
                    found.append(f"{node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if module in FILE_MODULES or module == "exodesk.paths":
                found.append(f"{node.lineno}: from {module} import ...")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "open":
                found.append(f"{node.lineno}: open(...)")
            elif isinstance(func, ast.Attribute):
                if func.attr in FILE_METHODS:
                    found.append(f"{node.lineno}: .{func.attr}(...)")
                elif (
                    func.attr in JSON_FILE_FUNCTIONS
                    and isinstance(func.value, ast.Name)
                    and func.value.id == "json"
                ):
                    found.append(f"{node.lineno}: json.{func.attr}(...)")
        elif isinstance(node, ast.Name) and node.id in {"RESOURCES", "Path"}:
            found.append(f"{node.lineno}: {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr == "RESOURCES":
            found.append(f"{node.lineno}: .RESOURCES")
    return found


def _modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


@pytest.mark.parametrize("path", _modules("domain"), ids=lambda p: p.name)
def test_the_domain_touches_no_file(path: Path) -> None:
    found = file_io_found(path.read_text(encoding="utf-8"))
    assert not found, (
        f"{path.name} reads files or names the resources folder: {found}. The domain parses "
        "tables it is given (parse_*); services.bundled reads the files."
    )


@pytest.mark.parametrize(
    "source",
    [
        # The shape of the old loaders, each way they read a file.
        """
        from exodesk.paths import RESOURCES
        DEFAULT_RULES_PATH = RESOURCES / "screening" / "rules.json"
        """,
        "data = json.loads(path.read_text(encoding='utf-8'))",
        "with open(name) as fh: pass",
        "data = json.load(fh)",
        "from pathlib import Path",
        "import importlib.resources",
        "raw = DEFAULT_PATH.read_bytes()",
        "from exodesk import paths\nfolder = paths.RESOURCES",
    ],
)
def test_the_scan_finds_file_reading(source: str) -> None:
    assert file_io_found(textwrap.dedent(source))


def test_the_scan_leaves_pure_parsing_alone() -> None:
    source = """
    import json
    from collections.abc import Mapping
    def parse_table(data: Mapping) -> dict:
        return {"version": data["version"], "copy": json.loads(json.dumps(data))}
    """
    assert file_io_found(textwrap.dedent(source)) == []


# ---- the UI asks services ------------------------------------------------------------------

# What builds or reads bundled content: only services may use these.
CONTENT_NAMES = {
    "RESOURCES",
    "BundledContent",
    "shared_content",
    "bundled",
    "parse_rule_table",
    "parse_sheets",
    "parse_comparison",
    "parse_protocols",
    "parse_regulatory_facts",
}
# The loaders the domain once had (each read its file behind a default argument); imported
# under these names into the UI they would read files again.
OLD_LOADERS = {
    "load_rule_table",
    "load_default_templates",
    "load_comparison",
    "load_protocols",
    "protocol_details",
    "load_regulatory_facts",
    "default_consent_text",
}
CONTENT_FILES = (
    "rules.json",
    "consent.txt",
    "sheets.json",
    "treatments.json",
    "protocols.json",
    "regulatory.json",
)
# The Help window shows its own pages (help/guide.html and its pictures), and the window's icon
# is a picture: neither is clinical content.
UI_MAY_NAME_RESOURCES = {"guide.py", "icon.py"}


def content_reach(source: str, *, may_name_resources: bool = False) -> list[str]:
    """Each place in UI ``source`` that reads or builds bundled content, as ``line: what``."""
    found: list[str] = []
    allowed = {"RESOURCES"} if may_name_resources else set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.module == "exodesk.services.bundled":
                found.append(f"{node.lineno}: from exodesk.services.bundled import ...")
            for alias in node.names:
                if alias.name in (CONTENT_NAMES | OLD_LOADERS) - allowed:
                    found.append(f"{node.lineno}: imports {alias.name}")
        elif isinstance(node, ast.Import):
            if any(alias.name == "exodesk.services.bundled" for alias in node.names):
                found.append(f"{node.lineno}: import exodesk.services.bundled")
        elif isinstance(node, ast.Name) and node.id in (CONTENT_NAMES | OLD_LOADERS) - allowed:
            found.append(f"{node.lineno}: {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in CONTENT_NAMES - allowed:
            found.append(f"{node.lineno}: .{node.attr}")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and any(name in node.value for name in CONTENT_FILES)
        ):
            found.append(f"{node.lineno}: names a content file ({node.value!r})")
    return found


@pytest.mark.parametrize("path", _modules("ui"), ids=lambda p: p.name)
def test_the_ui_asks_services_for_content(path: Path) -> None:
    found = content_reach(
        path.read_text(encoding="utf-8"), may_name_resources=path.name in UI_MAY_NAME_RESOURCES
    )
    assert not found, (
        f"{path.name} reads or builds bundled content itself: {found}. Ask a service "
        "(ScreeningService.bundled_rules, AftercareService.default_wording, "
        "ComparisonService.standard_content, CatalogueService.protocol_details, "
        "SessionService.regulatory_texts…)."
    )


@pytest.mark.parametrize(
    "source",
    [
        "from exodesk.domain.screening import VERDICT_ORDER, parse_rule_table",
        "from exodesk.domain.screening import VERDICT_ORDER, load_rule_table",
        "from exodesk.domain.courses import CourseProgress, protocol_details",
        "from exodesk.services.screening import ScreeningService, default_consent_text",
        "from exodesk.paths import RESOURCES",
        "from exodesk.services.bundled import shared_content",
        "count = services.ctx.bundled.check()",
        "path = folder / 'sessions' / 'regulatory.json'",
    ],
)
def test_the_ui_scan_finds_content_reads(source: str) -> None:
    assert content_reach(source)


def test_the_old_loaders_are_gone() -> None:
    """No module keeps a loader that reads a bundled file behind a default argument."""
    import exodesk.domain.aftercare as aftercare
    import exodesk.domain.comparison as comparison
    import exodesk.domain.courses as courses
    import exodesk.domain.regulatory as regulatory
    import exodesk.domain.screening as screening

    for module, name in [
        (screening, "load_rule_table"),
        (aftercare, "load_default_templates"),
        (comparison, "load_comparison"),
        (courses, "load_protocols"),
        (courses, "protocol_details"),
        (regulatory, "load_regulatory_facts"),
    ]:
        assert not hasattr(module, name), f"{module.__name__}.{name}"
