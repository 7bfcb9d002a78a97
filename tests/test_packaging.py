"""What `pip install` puts on a clinic's PC: every package, and resources/ inside exodesk."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_package_directory_is_listed_for_the_wheel() -> None:
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "exodesk").rglob("__init__.py")
    }
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    assert found | {"exodesk.resources"} == listed


def test_resources_are_installed_inside_the_package_with_every_file() -> None:
    setuptools = PYPROJECT["tool"]["setuptools"]
    assert setuptools["package-dir"] == {"exodesk.resources": "resources"}
    assert setuptools["package-data"] == {"exodesk.resources": ["**/*"]}
    assert not (ROOT / "resources" / "__init__.py").exists(), "data, never code"


def test_python_312_or_newer_is_required() -> None:
    assert PYPROJECT["project"]["requires-python"] == ">=3.12"
