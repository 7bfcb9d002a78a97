"""One plural helper: "1 page", "2 pages"; no "(s)" anywhere a person reads it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from exodesk.domain.plurals import plural

ROOT = Path(__file__).resolve().parents[2]
BRACKETED = re.compile(r"\w\(s\)")


@pytest.mark.parametrize(
    ("count", "one", "many", "expected"),
    [
        (0, "page", None, "0 pages"),
        (1, "page", None, "1 page"),
        (2, "page", None, "2 pages"),
        (1250, "page", None, "1,250 pages"),
        (1, "older backup", None, "1 older backup"),
        (3, "older backup", None, "3 older backups"),
        (1, "entry", "entries", "1 entry"),
        (2, "entry", "entries", "2 entries"),
        (-1, "day", None, "-1 days"),
    ],
)
def test_plural(count: int, one: str, many: str | None, expected: str) -> None:
    assert plural(count, one, many) == expected


def _strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_no_bracketed_plural_in_the_code_s_words() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text!r}"
        for path in sorted((ROOT / "exodesk").rglob("*.py"))
        for line, text in _strings(path)
        if BRACKETED.search(text)
    ]
    assert found == []


def test_no_bracketed_plural_in_resources() -> None:
    found = []
    for path in sorted((ROOT / "resources").rglob("*")):
        if not path.is_file() or path.name.upper().startswith("LICENSE"):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # fonts, icons
        found += [
            f"{path.relative_to(ROOT)}:{n}"
            for n, line in enumerate(text.splitlines(), 1)
            if BRACKETED.search(line)
        ]
    assert found == []
