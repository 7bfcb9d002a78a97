"""The bundled clinical content for tests, read by the loader the app uses (services.bundled).

One ``BundledContent`` per test run (the one ``ServiceContext`` gives every service), so a test
judges by exactly the tables the app judges by, and each file is read once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from exodesk.domain.aftercare import AftercareTemplate
from exodesk.domain.comparison import ComparisonContent
from exodesk.domain.courses import ProtocolTable
from exodesk.domain.regulatory import RegulatoryFact
from exodesk.domain.screening import RuleTable
from exodesk.services.bundled import BundledContent, shared_content


def bundled() -> BundledContent:
    """The process's bundled content (``ServiceContext.bundled`` by default)."""
    return shared_content()


def bundled_data(name: str) -> Any:
    """A fresh, decoded copy of one bundled JSON file (``services.bundled.RULES_FILE``…), for a
    test to change and hand to a parser."""
    return json.loads((shared_content().root / name).read_text(encoding="utf-8"))


def content_at(folder: Path, name: str, text: str) -> BundledContent:
    """A ``BundledContent`` over ``folder``, with ``text`` written as its file ``name``."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return BundledContent(folder)


def bundled_rules() -> RuleTable:
    """The bundled screening rule table, as shipped."""
    return shared_content().rules


def bundled_aftercare() -> Mapping[str, AftercareTemplate]:
    """The bundled aftercare templates by treatment id."""
    return shared_content().aftercare


def bundled_comparison() -> ComparisonContent:
    """The bundled treatment comparison."""
    return shared_content().comparison


def bundled_protocols() -> ProtocolTable:
    """The bundled protocol templates and their details."""
    return shared_content().protocols


def bundled_regulatory_facts() -> tuple[RegulatoryFact, ...]:
    """The bundled regulatory facts."""
    return shared_content().regulatory_facts
