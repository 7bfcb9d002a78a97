"""The demo clinic comes with a backup history, so Tools → Restore has something to show."""

from __future__ import annotations

from pathlib import Path

from exodesk.paths import DataPaths
from exodesk.services.backups import drill_backups, list_backups
from exodesk.services.demo import DEMO_BACKUP_DAYS, seed_demo
from exodesk.services.workspace import open_services


def test_the_demo_lists_verified_backups_and_the_newest_restores_cleanly(tmp_path: Path) -> None:
    demo = open_services(DataPaths(tmp_path / "demo"), create=True)
    try:
        seed_demo(demo, patients=12)
        records = list_backups(demo.paths.backups)
        assert len(records) == len(DEMO_BACKUP_DAYS)
        assert all(r.verified for r in records)
        days = {r.created_at.date() for r in records}
        assert len(days) == len(records), "one a day, over several weeks"
        assert records[0].counts["patients"] == 12
        assert drill_backups(demo.paths.backups).ok
    finally:
        demo.close()


def test_the_demo_can_be_seeded_without_backups(tmp_path: Path) -> None:
    demo = open_services(DataPaths(tmp_path / "demo"), create=True)
    try:
        seed_demo(demo, patients=3, backup_history=False)
        assert not demo.paths.backups.exists() or not list_backups(demo.paths.backups)
    finally:
        demo.close()
