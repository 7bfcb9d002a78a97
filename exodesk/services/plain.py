"""Records as JSON-friendly values, for the audit trail's before and after."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


def plain(record: DataclassInstance | None) -> dict | None:
    """A record as JSON-friendly values for the audit log (nested records included)."""
    if record is None:
        return None

    def convert(value: object) -> object:
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        if isinstance(value, (set, frozenset)):
            return sorted(value)
        if isinstance(value, bytes):
            return f"<{len(value)} bytes>"
        raise TypeError(type(value).__name__)

    return json.loads(json.dumps(asdict(record), default=convert))
