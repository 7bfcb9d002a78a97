"""Run a test in another local time zone, where a session's local day differs from UTC's."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

# POSIX spelling: "EXO-12" is twelve hours EAST of UTC all year (no daylight saving), so an
# evening in UTC is already the next morning here.
TWELVE_HOURS_EAST = "EXO-12"


@contextmanager
def local_time_zone(spec: str) -> Iterator[None]:
    """Make ``spec`` the process's local time zone for the block (``astimezone()`` follows)."""
    if not hasattr(time, "tzset"):
        pytest.skip("changing the local time zone needs time.tzset (not on Windows)")
    before = os.environ.get("TZ")
    os.environ["TZ"] = spec
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()
