"""Every location ExoDesk uses: the data folder, the data file, logs, backups and resources."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from exodesk import APP_ID, APP_NAME

_HERE = Path(__file__).resolve().parent
# From source, an editable install and a PyInstaller one-folder build the resources sit beside
# the package; a wheel install carries them inside it (pyproject maps them to exodesk.resources).
RESOURCES = _HERE / "resources" if (_HERE / "resources").is_dir() else _HERE.parent / "resources"

DATA_FILE_NAME = "exodesk.sqlite3"
KEYRING_FILE_NAME = "exodesk.keys"
LOG_FILE_NAME = "exodesk.log"
ADMIN_LOG_FILE_NAME = "exodesk-admin.log"
ENV_DATA_DIR = "EXODESK_DATA_DIR"


def default_data_dir() -> Path:
    """The per-user data folder (on Windows under the user's local app data)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False, roaming=False))


def resolve_data_dir(cli_value: str | os.PathLike[str] | None) -> Path:
    """``--data-dir`` wins, then ``EXODESK_DATA_DIR``, then the platform default."""
    if cli_value:
        return Path(cli_value).expanduser().resolve()
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser().resolve()
    return default_data_dir()


@dataclass(frozen=True)
class DataPaths:
    """The files that live in one data folder."""

    folder: Path

    @property
    def data_file(self) -> Path:
        return self.folder / DATA_FILE_NAME

    @property
    def keyring(self) -> Path:
        """The password slots that unlock an encrypted data file (exodesk.storage.keys)."""
        return self.folder / KEYRING_FILE_NAME

    @property
    def log_file(self) -> Path:
        return self.folder / LOG_FILE_NAME

    @property
    def admin_log_file(self) -> Path:
        """The admin commands' log (``exodesk backup`` and the rest), apart from the GUI's."""
        return self.folder / ADMIN_LOG_FILE_NAME

    @property
    def backups(self) -> Path:
        return self.folder / "backups"

    @property
    def ui_settings(self) -> Path:
        return self.folder / f"{APP_ID}-window.ini"
