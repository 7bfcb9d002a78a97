"""Every location ExoDesk uses: the data folder, the data file, logs, backups and resources."""

from __future__ import annotations

import configparser
import logging
import ntpath
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from exodesk import APP_ID, APP_NAME

log = logging.getLogger(__name__)

_HERE = Path(__file__).resolve().parent
# From source, an editable install and a PyInstaller one-folder build the resources sit beside
# the package; a wheel install carries them inside it (pyproject maps them to exodesk.resources).
RESOURCES = _HERE / "resources" if (_HERE / "resources").is_dir() else _HERE.parent / "resources"

DATA_FILE_NAME = "exodesk.sqlite3"
KEYRING_FILE_NAME = "exodesk.keys"
LOG_FILE_NAME = "exodesk.log"
ADMIN_LOG_FILE_NAME = "exodesk-admin.log"
ENV_DATA_DIR = "EXODESK_DATA_DIR"


INSTALL_RECORD_NAME = "exodesk-install.ini"
"""Written by the installer beside the installed ``ExoDesk.exe``: ``[ExoDesk]`` ``DataFolder=``
the machine-wide data folder chosen at install time (``%VAR%`` references are expanded)."""
INSTALL_SECTION = "ExoDesk"
INSTALL_KEY = "DataFolder"


def installed_on_windows() -> bool:
    """True in the installed (frozen) app on Windows: one clinic per PC, not per login."""
    return bool(getattr(sys, "frozen", False)) and os.name == "nt"


def user_data_dir() -> Path:
    """The per-user data folder (on Windows ``%LOCALAPPDATA%\\ExoDesk``)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False, roaming=False))


def default_data_dir() -> Path:
    """Where the clinic lives when neither ``--data-dir`` nor ``EXODESK_DATA_DIR`` says.

    The installed app on Windows: the machine-wide folder (``machine_data_dir``), shared by
    every Windows login on the reception PC. Run from source (and on Linux or macOS): the
    per-user folder, as before, so a developer's clinic stays theirs.
    """
    if installed_on_windows():
        return Path(machine_data_dir())
    return user_data_dir()


def machine_data_dir(
    environ: Mapping[str, str] | None = None, executable: str | os.PathLike[str] | None = None
) -> str:
    """The machine-wide data folder of a Windows install, as a Windows path.

    The folder recorded by the installer (``exodesk-install.ini`` beside ``executable``) if it
    names an absolute folder, else ``%ProgramData%\\ExoDesk``. Pure apart from reading the
    record, so tests give it Windows inputs on any system.
    """
    env = os.environ if environ is None else environ
    exe = Path(sys.executable if executable is None else executable)
    recorded = read_install_record(exe.parent / INSTALL_RECORD_NAME, env)
    if recorded:
        return recorded
    program_data = _env(env, "ProgramData") or _env(env, "ALLUSERSPROFILE") or "C:\\ProgramData"
    return ntpath.join(program_data, APP_NAME)


def read_install_record(record: Path, environ: Mapping[str, str]) -> str | None:
    """The data folder the installer recorded in ``record``, or None (missing, unreadable,
    or not an absolute Windows folder; the last two are logged)."""
    if not record.is_file():
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(record, encoding="utf-8-sig")
        value = parser.get(INSTALL_SECTION, INSTALL_KEY, fallback="").strip().strip('"')
    except (OSError, UnicodeError, configparser.Error) as exc:
        log.warning("install record %s not read: %s", record, exc)
        return None
    value = re.sub(r"%([^%]+)%", lambda m: _env(environ, m.group(1)) or m.group(0), value)
    if not value or not ntpath.isabs(value) or "%" in value:
        log.warning("install record %s names no usable folder: %r", record, value)
        return None
    return ntpath.normpath(value)


def _env(environ: Mapping[str, str], name: str) -> str | None:
    """An environment variable by name, ignoring case as Windows does."""
    if name in environ:
        return environ[name] or None
    wanted = name.upper()
    return next((v for k, v in environ.items() if k.upper() == wanted and v), None)


def uses_default_data_dir(cli_value: str | os.PathLike[str] | None) -> bool:
    """True when neither ``--data-dir`` nor ``EXODESK_DATA_DIR`` chooses the folder."""
    return not cli_value and not os.environ.get(ENV_DATA_DIR)


def absolute(path: str | os.PathLike[str]) -> Path:
    """``path`` made absolute. On Windows without ``resolve()``, which would turn a mapped
    network drive ``Z:\\`` into its ``\\\\server\\share`` (the clinic's IT chose Z:)."""
    expanded = Path(path).expanduser()
    if os.name == "nt":
        return Path(os.path.abspath(expanded))
    return expanded.resolve()


def resolve_data_dir(cli_value: str | os.PathLike[str] | None) -> Path:
    """``--data-dir`` wins, then ``EXODESK_DATA_DIR``, then the default (``default_data_dir``)."""
    if cli_value:
        return absolute(cli_value)
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return absolute(env)
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
