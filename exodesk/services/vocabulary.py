"""The vocabulary of the bundled rule table and comparison, for every screen and paper that
names an id (see ``exodesk.domain.vocabulary``)."""

from __future__ import annotations

import functools
import logging

from exodesk.domain.comparison import ComparisonContent, load_comparison
from exodesk.domain.screening import RuleTable, load_rule_table
from exodesk.domain.vocabulary import Vocabulary

log = logging.getLogger(__name__)


@functools.cache
def vocabulary() -> Vocabulary:
    """The names of treatments and verdicts, read once from the bundled resources.

    The clinic's own screening settings change windows and verdicts, never names, so the
    bundled files are enough. If one cannot be read, its ids are said in words instead
    (a screen that names ids must still open; the start-up check reports the file).
    """
    rules: RuleTable | None = None
    comparison: ComparisonContent | None = None
    try:
        rules = load_rule_table()
    except (OSError, ValueError):
        log.exception("bundled rules unreadable; their ids are shown in words")
    try:
        comparison = load_comparison()
    except (OSError, ValueError):
        log.exception("bundled comparison unreadable; its ids are shown in words")
    return Vocabulary.build(rules=rules, comparison=comparison)
