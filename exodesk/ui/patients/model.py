"""PatientTableModel: a passive, lazily filled list of search results."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from exodesk.domain.patient import Patient
from exodesk.ui import tips
from exodesk.ui.common import format_date

NAME, BORN, AGE, PHONE = range(4)
HEADERS = ("Name", "Date of birth", "Age", "Phone")

# (cursor) -> (rows, next cursor or None)
PageFetcher = Callable[[tuple[str, int]], tuple[list[Patient], tuple[str, int] | None]]
_Index = QModelIndex | QPersistentModelIndex

# data() is asked ~25,000 times before the first page is on screen (ResizeToContents sizes
# every cell, asking eight roles of each): the roles it never answers return at once (#9).
_ANSWERED = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.AccessibleTextRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.TextAlignmentRole,
        Qt.ItemDataRole.UserRole,
    }
)


class PatientTableModel(QAbstractTableModel):
    """Shows the rows it is given; asks ``fetch_more`` for the next page only when scrolled to."""

    def __init__(self, today: Callable[[], date]) -> None:
        super().__init__()
        self._today = today
        self._rows: list[Patient] = []
        self._cursor: tuple[str, int] | None = None
        self._fetch: PageFetcher | None = None

    # ---- feeding -------------------------------------------------------------------------
    def set_rows(
        self,
        rows: list[Patient],
        cursor: tuple[str, int] | None = None,
        fetch_more: PageFetcher | None = None,
    ) -> None:
        """Replace the rows; ``cursor`` and ``fetch_more`` say how to load the next page."""
        self.beginResetModel()
        self._rows = list(rows)
        self._cursor = cursor
        self._fetch = fetch_more
        self.endResetModel()

    def patient_at(self, row: int) -> Patient | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, patient_id: int) -> int:
        return next((i for i, p in enumerate(self._rows) if p.id == patient_id), -1)

    # ---- Qt model API --------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(HEADERS)
        ):
            return HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in _ANSWERED:
            return None
        patient = self.patient_at(index.row()) if index.isValid() else None
        if patient is None:
            return None
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
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
        if role == Qt.ItemDataRole.ToolTipRole and column == NAME:
            tip = []
            if patient.alerts.strip():
                tip.append(f"Alerts: {' '.join(patient.alerts.split())}")
            if patient.status != "active":
                tip.append(f"Inactive: {patient.status_reason}. {tips.PATIENT_INACTIVE}")
            return "\n".join(tip) or None
        if role == Qt.ItemDataRole.ForegroundRole and patient.status != "active":
            return QBrush(QColor("#777777"))
        if role == Qt.ItemDataRole.TextAlignmentRole and column == AGE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return patient.id
        return None

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._cursor is not None and self._fetch is not None

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        assert self._fetch is not None and self._cursor is not None
        rows, cursor = self._fetch(self._cursor)
        self._cursor = cursor
        if rows:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()
