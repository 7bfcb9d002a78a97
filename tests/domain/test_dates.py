"""Dates as people type them: year-first regional formats, and "yesterday" where a past date
is asked."""

from __future__ import annotations

from datetime import date

import pytest

from exodesk.domain.dates import parse_user_date
from exodesk.domain.patient import parse_birth_date

TODAY = date(2026, 12, 6)


@pytest.mark.parametrize("day_first", [True, False])
@pytest.mark.parametrize(
    "text",
    [
        "2026-04-03",  # ISO; Windows en-CA and sv-SE short dates
        "2026/04/03",  # ja-JP, zh-TW
        "2026/4/3",  # zh-CN
        "2026.04.03",
        "2026. 4. 3.",  # ko-KR
        "2026. 04. 03",
        "2026年4月3日",  # ja, zh
        "2026 年 04 月 03 日",
        "2026년 4월 3일",  # ko
        " 2026/04/03 ",
    ],
)
def test_year_first_dates_are_read_year_first_in_any_locale(text: str, day_first: bool) -> None:
    assert parse_user_date(text, day_first=day_first) == date(2026, 4, 3)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2026/13/03", "no month 13"),
        ("2026/02/30", "no day 30"),
        ("2026年2月30日", "no day 30"),
    ],
)
def test_impossible_year_first_dates_are_explained(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_user_date(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", TODAY),
        ("Today", TODAY),
        ("yesterday", date(2026, 12, 5)),
        (" YESTERDAY ", date(2026, 12, 5)),
        ("1 day ago", date(2026, 12, 5)),
        ("3 days ago", date(2026, 12, 3)),
        ("10 days ago", date(2026, 11, 26)),
        ("a week ago", date(2026, 11, 29)),
        ("1 week ago", date(2026, 11, 29)),
        ("2 weeks ago", date(2026, 11, 22)),
        ("2  weeks   ago", date(2026, 11, 22)),
        ("a month ago", date(2026, 11, 6)),
        ("6 months ago", date(2026, 6, 6)),
        ("one year ago", date(2025, 12, 6)),
        ("2 years ago", date(2024, 12, 6)),
        ("0 days ago", TODAY),
    ],
)
def test_relative_words_count_back_from_today(text: str, expected: date) -> None:
    assert parse_user_date(text, relative_to=TODAY) == expected


def test_months_ago_clamp_to_the_month_s_end() -> None:
    assert parse_user_date("1 month ago", relative_to=date(2026, 3, 31)) == date(2026, 2, 28)


@pytest.mark.parametrize("text", ["yesterday", "3 days ago", "today"])
def test_relative_words_need_today(text: str) -> None:
    # Only where a past date is asked (the caller gives today): an expiry date is not.
    with pytest.raises(ValueError, match="not a date"):
        parse_user_date(text)


@pytest.mark.parametrize("text", ["in 3 days", "3 days", "days ago", "-3 days ago", "tomorrow"])
def test_other_words_are_not_dates(text: str) -> None:
    with pytest.raises(ValueError, match="not a date"):
        parse_user_date(text, relative_to=TODAY)


def test_far_too_long_ago_is_explained() -> None:
    with pytest.raises(ValueError, match="further back"):
        parse_user_date("9999 years ago", relative_to=TODAY)


def test_a_birth_date_takes_year_first_and_relative_words() -> None:
    assert parse_birth_date("1985/04/03", day_first=False, today=TODAY) == date(1985, 4, 3)
    assert parse_birth_date("40 years ago", day_first=True, today=TODAY) == date(1986, 12, 6)
