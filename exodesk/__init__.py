"""ExoDesk: offline records for regenerative aesthetic clinics."""

from __future__ import annotations

__version__ = "0.1.0"
APP_NAME = "ExoDesk"
APP_ID = "exodesk"
