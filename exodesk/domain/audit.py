"""Audit entries: who changed what, when, with the values before and after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class AuditEntry:
    """One recorded change. ``before``/``after`` are the record's fields (None for new/removed)."""

    at: datetime
    actor_id: int | None
    actor_name: str
    action: str
    table_name: str
    record_id: int | None
    patient_id: int | None
    summary: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    id: int | None = None

    def changed_fields(self) -> list[str]:
        """The fields whose value differs between before and after."""
        before, after = self.before or {}, self.after or {}
        return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
