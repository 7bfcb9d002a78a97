"""CSV that a spreadsheet opens as text: one guarded writer for every CSV ExoDesk writes."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

# Excel, LibreOffice and Google Sheets run a cell that starts with one of these as a formula
# (CSV injection: `=HYPERLINK("http://…","Click")` in a family name; OWASP's list). A leading
# apostrophe keeps it text. Phone numbers such as "+44 7700 900123" are quoted too: a
# spreadsheet would otherwise read them as a sum (or an error), not as the number written.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: Any) -> Any:
    """``value`` as a cell no spreadsheet will run as a formula; text is otherwise unchanged."""
    if not isinstance(value, str) or not value:
        return value
    return "'" + value if value.startswith(_FORMULA_START) else value


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


class SafeCsvWriter:
    """``csv.writer`` whose every text cell goes through :func:`safe_cell`."""

    def __init__(self, out: _Writable) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)
