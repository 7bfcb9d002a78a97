"""RowsTableModel: the shared base of the table models, and every model through qtmodeltester."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView

from exodesk.domain.patient import Patient
from exodesk.ui.models import ALIGN_RIGHT, RowsTableModel, rows_view
from exodesk.ui.patients.model import PatientTableModel

TODAY = date(2026, 11, 22)
Role = Qt.ItemDataRole


@dataclass(frozen=True)
class Fruit:
    name: str
    count: int
    id: int


NAME, COUNT = range(2)


class FruitModel(RowsTableModel[Fruit]):
    HEADERS = ("Name", "Count")

    def text(self, row: Fruit, column: int) -> str | None:
        return row.name if column == NAME else str(row.count)

    def role_data(self, row: Fruit, column: int, role: int) -> Any:
        if role == Role.TextAlignmentRole and column == COUNT:
            return ALIGN_RIGHT
        if role == Role.UserRole:
            return row.id
        return None


def fruits(*names: str, start: int = 1) -> list[Fruit]:
    return [Fruit(name, len(name), start + i) for i, name in enumerate(names)]


def pager(pages: list[list[Fruit]]) -> Callable[[], tuple[list[Fruit], bool]]:
    """Hands out ``pages`` one per call; says no more follow with the last."""
    queue = list(pages)

    def next_page() -> tuple[list[Fruit], bool]:
        page = queue.pop(0)
        return page, bool(queue)

    return next_page


def cells(model: RowsTableModel[Any], role: int = Role.DisplayRole) -> list[list[Any]]:
    return [
        [model.index(r, c).data(role) for c in range(model.columnCount())]
        for r in range(model.rowCount())
    ]


def test_shows_the_rows_it_is_given_in_order() -> None:
    model = FruitModel()
    model.set_rows(fruits("pear", "fig"))
    assert cells(model) == [["pear", "4"], ["fig", "3"]]
    assert cells(model, Role.AccessibleTextRole) == cells(model), "screen readers read the same"
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(2)] == ["Name", "Count"]
    assert model.headerData(0, Qt.Orientation.Vertical) is None
    assert model.index(0, COUNT).data(Role.TextAlignmentRole) == ALIGN_RIGHT
    assert model.index(1, NAME).data(Role.UserRole) == 2
    model.set_rows(fruits("kiwi"))
    assert cells(model) == [["kiwi", "4"]], "set_rows replaces, never appends"


def test_rows_are_found_by_position_and_by_id() -> None:
    model = FruitModel()
    model.set_rows(fruits("pear", "fig", start=7))
    assert model.row_at(1) == Fruit("fig", 3, 8)
    assert model.row_at(2) is None and model.row_at(-1) is None
    assert model.row_of(8) == 1
    assert model.row_of(99) == -1
    assert model.rows == (Fruit("pear", 4, 7), Fruit("fig", 3, 8))


@pytest.mark.parametrize(
    ("row", "column", "role"),
    [
        (5, 0, Role.DisplayRole),  # past the last row
        (0, 2, Role.DisplayRole),  # past the last column
        (-1, 0, Role.DisplayRole),
        (0, 0, Role.DecorationRole),  # a role no model answers
        (0, 0, Role.BackgroundRole),
    ],
)
def test_data_answers_none_instead_of_raising(row: int, column: int, role: int) -> None:
    model = FruitModel()
    model.set_rows(fruits("pear"))
    assert model.data(model.createIndex(row, column), role) is None
    assert model.data(QModelIndex(), Role.DisplayRole) is None


def test_pages_load_only_when_the_view_asks_and_stop_when_told() -> None:
    model = FruitModel()
    later = pager([fruits("fig", start=2), fruits("kiwi", "lime", start=3)])
    model._reset(fruits("pear"), later)
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    assert model.rowCount() == 1 and model.canFetchMore()
    model.fetchMore()
    assert [f.name for f in model.rows] == ["pear", "fig"]
    assert model.canFetchMore()
    model.fetchMore()
    assert [f.name for f in model.rows] == ["pear", "fig", "kiwi", "lime"]
    assert inserted == [(1, 1), (2, 3)]
    assert not model.canFetchMore(), "the last page said no more follow"
    model.fetchMore()  # asks nobody
    assert model.rowCount() == 4
    model.set_rows(fruits("plum"))
    assert not model.canFetchMore(), "new rows drop the old pages"


def test_the_base_passes_the_model_tester_while_paging(qtmodeltester) -> None:
    model = FruitModel()
    model._reset(fruits("pear", "fig"), pager([fruits("kiwi", start=3), []]))
    qtmodeltester.check(model, force_py=True)
    empty = FruitModel()
    qtmodeltester.check(empty, force_py=True)


# ---- the lazy models of the app (each model's own test file runs qtmodeltester on it too) ----
def test_the_patient_list_pages_through_the_model_tester(qtmodeltester) -> None:
    people = [
        Patient("Smith", "Olivia", date(1990, 1, 15), id=1),
        Patient("Jones", "Noah", None, status="inactive", status_reason="moved", id=2),
    ]
    later = {("jones", 2): ([Patient("Brown", "Ava", date(1970, 3, 3), id=3)], None)}
    asked: list[tuple[str, int]] = []

    def fetch(cursor: tuple[str, int]) -> tuple[list[Patient], tuple[str, int] | None]:
        asked.append(cursor)
        return later[cursor]

    model = PatientTableModel(lambda: TODAY)
    model.set_rows(people, ("jones", 2), fetch)
    assert not asked, "nothing is fetched before the view scrolls"
    qtmodeltester.check(model, force_py=True)
    while model.canFetchMore():
        model.fetchMore()
    assert [p.id for p in model.rows] == [1, 2, 3]
    assert asked == [("jones", 2)], "the cursor said no more after the second page"
    assert model.index(1, 0).data() == "JONES, Noah  (inactive)"
    assert model.index(0, 2).data(Role.TextAlignmentRole) == ALIGN_RIGHT


@pytest.mark.parametrize(
    ("single", "mode"), [(True, "SingleSelection"), (False, "ExtendedSelection")]
)
def test_rows_view_shows_whole_rows_read_only(qtbot, single: bool, mode: str) -> None:
    model = FruitModel()
    model.set_rows(fruits("pear", "fig"))
    view = rows_view(model, "fruitTable", "Fruit", single=single)
    qtbot.addWidget(view)
    assert (view.objectName(), view.accessibleName()) == ("fruitTable", "Fruit")
    assert view.model() is model
    assert view.selectionBehavior() == QAbstractItemView.SelectionBehavior.SelectRows
    assert view.selectionMode() == getattr(QAbstractItemView.SelectionMode, mode)
    assert view.editTriggers() == QAbstractItemView.EditTrigger.NoEditTriggers
    assert view.verticalHeader().isHidden()
