"""The vocabulary of the bundled rule table and comparison, for every screen and paper that
names an id (see ``exodesk.domain.vocabulary``)."""

from __future__ import annotations

import functools
import logging

from exodesk.domain.comparison import ComparisonContent
from exodesk.domain.screening import RuleTable
from exodesk.domain.vocabulary import Vocabulary
from exodesk.services.bundled import shared_content

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
        rules = shared_content().rules
    except (OSError, ValueError):
        log.exception("bundled rules unreadable; their ids are shown in words")
    try:
        comparison = shared_content().comparison
    except (OSError, ValueError):
        log.exception("bundled comparison unreadable; its ids are shown in words")
    return Vocabulary.build(rules=rules, comparison=comparison)
