"""Audit entries: who changed what, when, with the values before and after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class AuditEntry:
    """One recorded change. ``before``/``after`` are the record's fields (None for new/removed).

    ``prev_hash`` and ``entry_hash`` are the entry's seal in the audit chain; they are set by
    storage when the entry is appended (None on an entry not yet written).
    """

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
    prev_hash: str | None = None
    entry_hash: str | None = None

    def changed_fields(self) -> list[str]:
        """The fields whose value differs between before and after."""
        before, after = self.before or {}, self.after or {}
        return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


@dataclass(frozen=True)
class ChainReport:
    """The outcome of walking the audit chain: how many entries were read and the first fault.

    ``faults`` holds plain sentences (at most the first fault found, since everything after a
    break is suspect anyway); empty means the trail is intact.
    """

    entries_checked: int
    faults: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.faults

    @property
    def message(self) -> str:
        """One sentence for the admin: the all-clear, or the first fault."""
        if self.ok:
            noun = "entry" if self.entries_checked == 1 else "entries"
            return (
                f"The audit trail is intact: {entry_number(self.entries_checked)} {noun} checked."
            )
        return self.faults[0]


def entry_number(number: int) -> str:
    """An entry number as people read it: ``1,204``."""
    return f"{number:,}"
