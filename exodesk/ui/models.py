"""RowsTableModel: the one base for ExoDesk's passive, read-only table models.

A table in ExoDesk shows a list of rows the screen was given (patients, lots, audit entries,
backups, ...), one column per fact. The screen asks a service for the rows and hands them
over with ``set_rows``; the model never asks a service itself, never edits, never sorts, and
``data()`` answers ``None`` for anything it does not know instead of raising.

A subclass says three things::

    NAME, BORN = range(2)                       # column constants, in HEADERS order

    class PatientTableModel(RowsTableModel[Patient]):
        HEADERS = ("Name", "Date of birth")     # one header per column

        def text(self, row: Patient, column: int) -> str | None:
            # DisplayRole and AccessibleTextRole: what the cell says.
            return row.display_name if column == NAME else format_date(row.date_of_birth)

        def role_data(self, row: Patient, column: int, role: int) -> Any:
            # Optional: tooltips, colours, alignment, UserRole. None = Qt's default.
            if role == Qt.ItemDataRole.TextAlignmentRole and column == BORN:
                return ALIGN_RIGHT
            return None

Then ``model.set_rows(rows)``, ``model.row_at(i)`` (None when out of range) and
``model.row_of(key)`` (the row whose ``key_of`` equals ``key``; -1 if none). Rows can be any
object: a dataclass, a ``(record, patient name)`` pair, or a tuple of words already formatted
(``text`` then returns ``row[column]``). ``rows_view(model, objectName, accessibleName)``
gives the read-only QTableView every table in ExoDesk uses (whole rows selected, one at a
time, no editing, no row numbers); the screen adds its column widths.

Long lists load lazily: a subclass whose rows come a page at a time calls
``self._reset(first_page, next_page)`` from its own ``set_rows``, where ``next_page()``
returns ``(rows, more_may_follow)``. The view asks for the next page only when it is scrolled
to the end (``canFetchMore``/``fetchMore``), and stops asking once a page says no more follow.

Check every subclass with pytest-qt's ``qtmodeltester`` (``tests/ui/test_models.py`` shows
how, lazy paging included).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QTableView

from exodesk.ui.common import named

Index = QModelIndex | QPersistentModelIndex

ALIGN_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
"""TextAlignmentRole for numbers (ages, counts, days), so their digits line up."""

TEXT_ROLES = frozenset({Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole})
"""The roles ``text()`` answers: what a cell says, to the eye and to a screen reader alike."""

ANSWERED_ROLES = TEXT_ROLES | {
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.TextAlignmentRole,
    Qt.ItemDataRole.UserRole,
}
"""The roles ``data()`` passes on to a subclass; every other role is answered None at once.

A view asks eight roles of every cell it sizes (the patient list asked ~25,000 times before its
first page showed, issue #9), so the roles no model answers return before any row is looked
at. A subclass that answers another role (BackgroundRole, FontRole, ...) adds it to its own
``ROLES``.
"""


class RowsTableModel[R](QAbstractTableModel):
    """A read-only table of the rows it is given, one column per entry of ``HEADERS``.

    Subclasses set ``HEADERS`` and implement ``text``; ``role_data``, ``key_of`` and
    ``ROLES`` are optional. See the module docstring for an example.
    """

    HEADERS: ClassVar[tuple[str, ...]] = ()
    """The column headers, in column order (the column constants index into it)."""
    ROLES: ClassVar[frozenset[int]] = ANSWERED_ROLES
    """The roles ``data()`` answers; others are None without looking at a row."""

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[R] = []
        self._next_page: Callable[[], tuple[Sequence[R], bool]] | None = None

    # ---- what a subclass says --------------------------------------------------------------
    def text(self, row: R, column: int) -> str | None:
        """What the cell says (DisplayRole and AccessibleTextRole)."""
        raise NotImplementedError

    def role_data(self, row: R, column: int, role: int) -> Any:
        """Any other role of ``ROLES`` for the cell (tooltip, colour, alignment, UserRole)."""
        return None

    def key_of(self, row: R) -> object:
        """What ``row_of`` finds a row by: its ``id`` unless a subclass says otherwise."""
        return getattr(row, "id", None)

    # ---- feeding -------------------------------------------------------------------------
    def set_rows(self, rows: Iterable[R]) -> None:
        """Replace every row with ``rows``, in the order given (the model never sorts)."""
        self._reset(rows, None)

    def _reset(
        self, rows: Iterable[R], next_page: Callable[[], tuple[Sequence[R], bool]] | None
    ) -> None:
        """Replace every row; ``next_page``, if given, loads the rows after them on demand.

        ``next_page()`` returns ``(rows, more_may_follow)``; once it says no more may follow
        (or when it is None) the view stops asking.
        """
        self.beginResetModel()
        self._rows = list(rows)
        self._next_page = next_page
        self.endResetModel()

    def append_rows(self, rows: Sequence[R]) -> None:
        """Add ``rows`` after the last row (what ``fetchMore`` does with a page)."""
        if not rows:
            return
        start = len(self._rows)
        self.beginInsertRows(QModelIndex(), start, start + len(rows) - 1)
        self._rows.extend(rows)
        self.endInsertRows()

    # ---- reading -------------------------------------------------------------------------
    @property
    def rows(self) -> Sequence[R]:
        """The rows shown, in order (read-only: feed the model through ``set_rows``)."""
        return tuple(self._rows)

    def row_at(self, row: int) -> R | None:
        """The row at ``row``, or None when there is none."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, key: object) -> int:
        """The index of the first row whose ``key_of`` is ``key``; -1 when none is."""
        return next((i for i, row in enumerate(self._rows) if self.key_of(row) == key), -1)

    # ---- Qt model API --------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.HEADERS)
        ):
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in self.ROLES or not index.isValid():
            return None
        row = self.row_at(index.row())
        column = index.column()
        if row is None or not 0 <= column < len(self.HEADERS):
            return None
        if role in TEXT_ROLES:
            return self.text(row, column)
        return self.role_data(row, column, role)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._next_page is not None

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        assert self._next_page is not None  # canFetchMore says so
        rows, more = self._next_page()
        if not more:
            self._next_page = None
        self.append_rows(rows)


def rows_view[M: QAbstractTableModel](
    model: M, object_name: str, accessible_name: str, *, single: bool = True
) -> QTableView:
    """A read-only table showing ``model``: whole rows selected, nothing edited in place,
    no row numbers. ``single`` selects one row at a time (the audit log allows several)."""
    view = named(QTableView(), object_name, accessible_name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    if single:
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().hide()
    return view
