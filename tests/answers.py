"""Complete screening answers for tests: what the patient declares, and no to the rest.

The questionnaire and ``ScreeningService.save`` need an explicit answer to every question
(``domain.screening.unanswered``); a test that is about one answer says that one and lets
``no_to_the_rest`` give the explicit no, never and none of these to everything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from exodesk.domain.screening import no_to_the_rest
from tests.bundled import bundled_rules


def answered(answers: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``answers``, and an explicit no / never / none of these to every other question."""
    return no_to_the_rest(bundled_rules(), answers or {})
