"""Shared test fixtures; forces Qt offscreen before anything imports it."""

from __future__ import annotations

import gc
import os

# Offscreen, unless a run asks for a real display: .ci/desk-check runs tests/ui/desk under Xvfb
# with EXODESK_TEST_QPA=xcb.
os.environ["QT_QPA_PLATFORM"] = os.environ.get("EXODESK_TEST_QPA") or "offscreen"

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import Parameters, Type

from exodesk.domain.staff import StaffMember
from exodesk.paths import DataPaths
from exodesk.services.workspace import Services, open_services
from exodesk.ui.collector import collect_if_due

TODAY = date(2026, 11, 22)
ADMIN_PASSWORD = "Ada's own password"
# Argon2id at its cheapest (1 pass, 8 KiB): the real cost makes every sign-in take 0.1 s.
FAST_PASSWORDS = Parameters(
    type=Type.ID,
    version=19,
    salt_len=16,
    hash_len=32,
    time_cost=1,
    memory_cost=8,
    parallelism=1,
)


class FakeClock:
    """A clock tests can read and move: 22 Nov 2026 at 10:00 UTC unless told otherwise."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 22, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture(scope="session", autouse=True)
def _collect_on_the_main_thread() -> Iterator[None]:
    """As in the app (exodesk/ui/collector.py): no automatic garbage collection, which could run
    on a worker thread and free a Qt widget there; the main thread collects between tests."""
    gc.disable()
    yield
    gc.enable()


@pytest.fixture(autouse=True)
def _collect_between_tests() -> Iterator[None]:
    yield
    collect_if_due()


@pytest.fixture(autouse=True)
def _fast_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    from exodesk.services import accounts

    monkeypatch.setattr(accounts, "PASSWORD_PARAMETERS", FAST_PASSWORDS)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def data_paths(tmp_path: Path) -> DataPaths:
    return DataPaths(tmp_path / "clinic")


@pytest.fixture
def services(data_paths: DataPaths, clock: FakeClock) -> Iterator[Services]:
    """A real data file on disk with a practitioner and admin (password ADMIN_PASSWORD) at the
    desk."""
    svc = open_services(data_paths, create=True, clock=clock)
    result = svc.accounts.first_account(
        StaffMember("Ada Admin", "practitioner", is_admin=True), ADMIN_PASSWORD
    )
    assert result.ok
    yield svc
    svc.close()


@pytest.fixture
def uk_locale() -> Iterator[None]:
    """Day-first dates, as a UK reception PC has."""
    from PySide6.QtCore import QLocale

    old = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
    yield
    QLocale.setDefault(old)
