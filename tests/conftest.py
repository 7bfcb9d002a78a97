"""Shared test fixtures; forces Qt offscreen before anything imports it."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("EXODESK_NO_USER_SETTINGS", "1")
