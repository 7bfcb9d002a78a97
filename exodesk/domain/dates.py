"""Calendar-date maths and parsing of dates as people type them. Pure: no clock is read here."""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta

EARLIEST_BIRTH_YEAR = 1900


def add_days(day: date, days: int) -> date:
    """Return ``day`` moved by ``days`` calendar days."""
    return day + timedelta(days=days)


def add_months(day: date, months: int) -> date:
    """Return ``day`` moved by calendar months, clamped to the end of the target month.

    31 Aug + 6 months is 28 Feb (29 Feb in a leap year).
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def age_on(date_of_birth: date, today: date) -> int:
    """Return the age in whole years on ``today`` (a 29 Feb birthday counts on 1 Mar)."""
    years = today.year - date_of_birth.year
    if (today.month, today.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


_SEP = r"[./\-\s]"
# Year first, as ISO and the year-first locales write it: 2026-04-03 (ISO, en-CA, sv-SE),
# 2026/04/03 and 2026/4/3 (ja, zh), 2026. 4. 3. and 2026.04.03 (ko), and 2026年4月3日 (ja, zh)
# or 2026년 4월 3일 (ko). Nobody writes year, day, month, so these never depend on the locale.
_ISO = re.compile(r"^\s*(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*\.?\s*$")
_CJK = re.compile(r"^\s*(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]?\s*$")
# Where a past date is asked: "today", "yesterday", "3 days ago", "2 weeks ago", "a month ago".
_RELATIVE = re.compile(r"^\s*(\d{1,4}|an?|one)\s+(day|week|month|year)s?\s+ago\s*$", re.I)
_NUMERIC = re.compile(rf"^\s*(\d{{1,2}}){_SEP}(\d{{1,2}}){_SEP}(\d{{4}}|\d{{2}})\s*$")
_COMPACT = re.compile(r"^\s*(\d{2})(\d{2})(\d{4})\s*$")
_WORDY = re.compile(r"^\s*(?:[A-Za-z]{3,9},?\s+)?(\d{1,2})\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})\s*$")
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}


def parse_user_date(
    text: str,
    *,
    day_first: bool = True,
    pivot_today: date | None = None,
    relative_to: date | None = None,
) -> date:
    """Parse a date as a person types it.

    Accepts year-first dates (ISO ``1985-04-03``, ``1985/04/03``, ``1985. 4. 3.``,
    ``1985年4月3日``) and written-out ``3 Apr 1985`` (as ExoDesk shows dates) always,
    and ``03/04/1985``, ``3.4.1985``, ``03-04-85`` or
    ``03041985`` read in the locale's order (``day_first``). Two-digit years are placed in the
    century that keeps the date on or before ``pivot_today`` when given (a date of birth is in
    the past), else in 1900–1999 for 50 and over and 2000–2049 below. With ``relative_to``
    (the day it is typed, where a past date is asked) "today", "yesterday" and "N days, weeks,
    months or years ago" count back from it (months as calendar months).

    Raises:
        ValueError: with a plain message when the text is not a real calendar date.
    """
    text = text.strip()
    if relative_to is not None:
        counted = _relative(text, relative_to)
        if counted is not None:
            return counted
    m = _ISO.match(text) or _CJK.match(text)
    if m:
        year, month, day = (int(g) for g in m.groups())
        return _make(year, month, day, text)
    m = _WORDY.match(text)
    if m:
        named_month = _MONTHS.get(m.group(2).lower())
        if named_month is None:
            raise ValueError(f"“{text}”: “{m.group(2)}” is not a month.")
        return _make(int(m.group(3)), named_month, int(m.group(1)), text)
    m = _NUMERIC.match(text) or _COMPACT.match(text)
    if not m:
        raise ValueError(f"“{text}” is not a date. Type it like 03/04/1985 or 1985-04-03.")
    first, second, year_text = m.groups()
    a, b = int(first), int(second)
    day, month = (a, b) if day_first else (b, a)
    year = int(year_text)
    if len(year_text) == 2:
        year = _expand_two_digit_year(year, month, day, pivot_today)
    return _make(year, month, day, text)


def _relative(text: str, today: date) -> date | None:
    words = " ".join(text.lower().split())
    if words == "today":
        return today
    if words == "yesterday":
        return add_days(today, -1)
    m = _RELATIVE.match(words)
    if m is None:
        return None
    count = 1 if m.group(1) in ("a", "an", "one") else int(m.group(1))
    unit = m.group(2).lower()
    if unit == "day":
        return add_days(today, -count)
    if unit == "week":
        return add_days(today, -7 * count)
    months = count if unit == "month" else 12 * count
    if today.year * 12 + today.month - months < 12:  # before year 1: no such day
        raise ValueError(f"“{text}” is further back than any date.")
    return add_months(today, -months)


def _expand_two_digit_year(yy: int, month: int, day: int, pivot: date | None) -> int:
    if pivot is None:
        return 1900 + yy if yy >= 50 else 2000 + yy
    year = 2000 + yy
    try:
        candidate = date(year, month, day)
    except ValueError:
        return year  # let _make report the impossible date
    return year if candidate <= pivot else year - 100


def _make(year: int, month: int, day: int, text: str) -> date:
    if not 1 <= month <= 12:
        raise ValueError(f"“{text}” has no month {month}. Months run from 1 to 12.")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"“{text}” is not a real date: that month has no day {day}.") from None


_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_short(day: date) -> str:
    """``3 Apr 1985``: unambiguous in any locale (strftime's %b follows the desktop's language,
    which Qt switches on, so the names are spelled out here)."""
    return f"{day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


def format_long(day: date) -> str:
    """Return a date written out for people: ``Tue 2 Dec 2026`` (English, locale-free)."""
    return f"{_DAY_NAMES[day.weekday()]} {format_short(day)}"


def format_stamp(moment: datetime) -> str:
    """A recorded moment in the PC's local time: ``3 Apr 2026 14:05``."""
    local = moment.astimezone()
    return f"{format_short(local.date())} {local:%H:%M}"
