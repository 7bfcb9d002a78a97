"""SettingsRepository: clinic preferences as JSON values in a table, so they travel with backups."""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, fields
from typing import Any

from sqlite_utils import Database

from exodesk.domain.clinic import ClinicSettings

_PREFIX = "clinic."


class SettingsRepository:
    """Reads and writes the ``settings`` key/value table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get_value(self, key: str, default: Any = None) -> Any:
        row = self._db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return json.loads(row[0]) if row else default

    def set_value(self, key: str, value: Any) -> None:
        self._db.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, json.dumps(value, ensure_ascii=False)],
        )

    def clinic(self) -> ClinicSettings:
        """The stored clinic settings; anything never set keeps its default."""
        values: dict[str, Any] = {}
        for f in fields(ClinicSettings):
            stored = self.get_value(_PREFIX + f.name)
            if stored is None:
                continue
            if f.name == "logo_png":
                stored = base64.b64decode(stored)
            values[f.name] = stored
        return ClinicSettings(**values)

    def save_clinic(self, settings: ClinicSettings) -> None:
        for key, value in asdict(settings).items():
            if key == "logo_png":
                if value is None:
                    self._db.execute("DELETE FROM settings WHERE key = ?", [_PREFIX + key])
                    continue
                value = base64.b64encode(value).decode("ascii")
            self.set_value(_PREFIX + key, value)
