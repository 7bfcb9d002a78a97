"""PatientTableModel: a passive, lazily filled list of search results."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from PySide6.QtCore import Qt

from exodesk.domain.patient import Patient
from exodesk.ui import tips
from exodesk.ui.common import format_date
from exodesk.ui.look import FADED, item_ink
from exodesk.ui.models import ALIGN_RIGHT, RowsTableModel

NAME, BORN, AGE, PHONE = range(4)
HEADERS = ("Name", "Date of birth", "Age", "Phone")

Cursor = tuple[str, int]
# (cursor) -> (rows, next cursor or None)
PageFetcher = Callable[[Cursor], tuple[list[Patient], Cursor | None]]


class PatientTableModel(RowsTableModel[Patient]):
    """Shows the rows it is given; asks ``fetch_more`` for the next page only when scrolled to.

    Args:
        today: The clock the ages are counted on.
    """

    HEADERS = HEADERS

    def __init__(self, today: Callable[[], date]) -> None:
        super().__init__()
        self._today = today

    # ---- feeding -------------------------------------------------------------------------
    def set_rows(
        self,
        rows: Iterable[Patient],
        cursor: Cursor | None = None,
        fetch_more: PageFetcher | None = None,
    ) -> None:
        """Replace the rows; ``cursor`` and ``fetch_more`` say how to load the next page."""
        after = cursor

        def next_page() -> tuple[list[Patient], bool]:
            nonlocal after
            if fetch_more is None or after is None:
                return [], False
            page, after = fetch_more(after)
            return page, after is not None

        more = cursor is not None and fetch_more is not None
        self._reset(rows, next_page if more else None)

    def patient_at(self, row: int) -> Patient | None:
        return self.row_at(row)

    # ---- cells ---------------------------------------------------------------------------
    def text(self, patient: Patient, column: int) -> str | None:
        if column == NAME:
            suffix = "  (inactive)" if patient.status != "active" else ""
            return patient.display_name + suffix
        if column == BORN:
            return format_date(patient.date_of_birth)
        if column == AGE:
            age = patient.age(self._today())
            return "" if age is None else str(age)
        if column == PHONE:
            return patient.phone
        return None

    def role_data(self, patient: Patient, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and column == NAME:
            tip = []
            if patient.alerts.strip():
                tip.append(f"Alerts: {' '.join(patient.alerts.split())}")
            if patient.status != "active":
                tip.append(f"Inactive: {patient.status_reason}. {tips.PATIENT_INACTIVE}")
            return "\n".join(tip) or None
        if role == Qt.ItemDataRole.ForegroundRole and patient.status != "active":
            return item_ink(FADED)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == AGE:
            return ALIGN_RIGHT
        if role == Qt.ItemDataRole.UserRole:
            return patient.id
        return None
