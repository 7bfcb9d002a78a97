"""DateField: "yesterday" and "2 weeks ago" where a past date is asked; year-first dates."""

from __future__ import annotations

from datetime import date

from exodesk.ui.widgets import DateField

TODAY = date(2026, 12, 6)


def _field(qtbot, *, past: bool = True, day_first: bool = False) -> DateField:
    field = DateField("testDate", "Test date", day_first=day_first, today=lambda: TODAY, past=past)
    qtbot.addWidget(field)
    return field


def test_relative_words_are_read_where_a_past_date_is_asked(qtbot) -> None:
    field = _field(qtbot)
    qtbot.keyClicks(field.edit, "2 weeks ago")
    assert field.value() == (date(2026, 11, 22), None)
    assert field.reading.text() == "= Sun 22 Nov 2026"
    field.edit.setText("yesterday")
    assert field.value() == (date(2026, 12, 5), None)


def test_a_future_date_field_does_not_take_them(qtbot) -> None:
    field = _field(qtbot, past=False)
    field.edit.setText("yesterday")
    day, problem = field.value()
    assert day is None and problem is not None and "not a date" in problem


def test_year_first_dates_are_read_year_first(qtbot) -> None:
    for day_first in (True, False):
        field = _field(qtbot, day_first=day_first)
        field.edit.setText("2026/04/03")
        assert field.value() == (date(2026, 4, 3), None)
