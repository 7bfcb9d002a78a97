"""The backups folder's own rules: which backups rotation keeps, and file sizes in words."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from exodesk.storage.backup_files import format_size, select_kept


def day(text: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(text).replace(hour=hour, tzinfo=UTC)


def daily_from(first: str, last: str) -> dict[str, datetime]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return {d.isoformat(): day(d.isoformat()) for d in days}


NOW = datetime(2026, 11, 22, 13, 0, tzinfo=UTC)  # a Sunday, end of ISO week 47

ROTATION_CASES = [
    pytest.param(
        daily_from("2025-06-01", "2026-11-22"),
        # 7 days; the newest of ISO weeks 46, 45, 44 (week 47's is already a day); the newest
        # of the 12 most recent months (Nov 2026's is already a day).
        [
            *("2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20"),
            *("2026-11-21", "2026-11-22", "2026-11-15", "2026-11-08", "2026-11-01"),
            *("2026-10-31", "2026-09-30", "2026-08-31", "2026-07-31", "2026-06-30"),
            *("2026-05-31", "2026-04-30", "2026-03-31", "2026-02-28", "2026-01-31"),
            "2025-12-31",
        ],
        id="a backup every day for 18 months: 7 daily, 4 weekly, 12 monthly",
    ),
    pytest.param(
        {
            "09:00": day("2026-11-22", 9),
            "12:00": day("2026-11-22", 12),
            "18:00": day("2026-11-22", 18),
        },
        ["18:00"],
        id="several in a day: only the newest",
    ),
    pytest.param(
        {**daily_from("2026-09-01", "2026-09-10"), **daily_from("2026-11-20", "2026-11-22")},
        # Days with backups, not calendar days: the PC was off for two months, and the seven
        # newest days reach back to 7 Sep. Weeks: 47 (22 Nov), 37 (10 Sep), 36 (6 Sep).
        [
            *("2026-11-20", "2026-11-21", "2026-11-22"),
            *("2026-09-07", "2026-09-08", "2026-09-09", "2026-09-10", "2026-09-06"),
        ],
        id="a gap of two months deletes nothing recent",
    ),
    pytest.param(
        {"2026-11-22": day("2026-11-22"), "tomorrow": day("2026-11-23"), "old": day("2020-01-01")},
        ["2026-11-22", "tomorrow", "old"],
        id="a backup dated in the future is kept; a lone old month too",
    ),
]


@pytest.mark.parametrize(("backups_made", "kept"), ROTATION_CASES)
def test_rotation_keeps_7_daily_4_weekly_12_monthly(
    backups_made: dict[str, datetime], kept: list[str]
) -> None:
    now = NOW.replace(hour=19) if "18:00" in backups_made else NOW
    assert select_kept(backups_made, now, tz=UTC) == set(kept)


def test_rotation_counts_days_in_the_given_timezone() -> None:
    late = {"late": datetime(2026, 11, 21, 23, 30, tzinfo=UTC), "early": day("2026-11-21", 1)}
    # In UTC both are 21 Nov: only the later one is that day's newest.
    assert select_kept(late, NOW, daily=1, weekly=0, monthly=0, tz=UTC) == {"late"}
    # At UTC+2 the late one is already 22 Nov: one backup per day, both kept.
    plus2 = timezone(timedelta(hours=2))
    assert select_kept(late, NOW, daily=2, weekly=0, monthly=0, tz=plus2) == {"late", "early"}


def test_sizes_read_as_people_say_them() -> None:
    assert [format_size(n) for n in (512, 812_000, 12_345_678, 3_200_000_000)] == [
        "512 bytes",
        "812 KB",
        "12.3 MB",
        "3.2 GB",
    ]
