"""SQLite file: URIs for every open, proved with Windows inputs on Linux (issue #20).

SQLite refuses any URI authority other than empty or ``localhost`` ("invalid uri authority"),
which is what ``resolve().as_uri()`` produced for a mapped drive (``Z:\\`` resolves to its
``\\\\server\\share``) and for a UNC path. ``sqlite_uri`` keeps the authority empty.
"""

from __future__ import annotations

import secrets
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import unquote

import pytest

from exodesk.paths import DataPaths
from exodesk.services.backups import BackupService
from exodesk.services.workspace import Services
from exodesk.storage.database import open_database
from exodesk.storage.encryption import encrypt_data_file
from exodesk.storage.engine import KEY_BYTES, connect, sqlite3, sqlite_uri

WINDOWS_CASES = [
    (r"C:\ExoDesk\exodesk.sqlite3", "file:///C:/ExoDesk/exodesk.sqlite3"),
    (r"Z:\Clinic\exodesk.sqlite3", "file:///Z:/Clinic/exodesk.sqlite3"),
    (r"\\server\share\ExoDesk\exodesk.sqlite3", "file:////server/share/ExoDesk/exodesk.sqlite3"),
    (r"\\?\C:\ExoDesk\exodesk.sqlite3", "file:///C:/ExoDesk/exodesk.sqlite3"),
    (r"\\?\UNC\nas\clinic\x.db", "file:////nas/clinic/x.db"),
    (r"C:\Clinic Data\x.db", "file:///C:/Clinic%20Data/x.db"),
    (r"C:\Room #2\x.db", "file:///C:/Room%20%232/x.db"),
    (r"C:\50% off\x.db", "file:///C:/50%25%20off/x.db"),
    (r"C:\why?\x.db", "file:///C:/why%3F/x.db"),
    (r"C:\Users\Łucja\x.db", "file:///C:/Users/%C5%81ucja/x.db"),
    (r"\\nas\Łucja's share\a b#%?.db", "file:////nas/%C5%81ucja%27s%20share/a%20b%23%25%3F.db"),
]


@pytest.mark.parametrize(("path", "expected"), WINDOWS_CASES)
def test_windows_paths_give_uris_sqlite_accepts(path: str, expected: str) -> None:
    uri = sqlite_uri(PureWindowsPath(path), windows=True)
    assert uri == expected
    # The authority (between "file://" and the next "/") is empty: SQLite takes nothing else.
    assert uri.startswith("file:///")
    assert "\\" not in uri and "#" not in uri and "?" not in uri and " " not in uri


def test_a_mapped_drive_is_not_turned_into_its_network_share() -> None:
    # resolve() on Windows follows Z: to \\server\share and pathlib then writes the server as
    # the URI's authority (what SQLite refuses). The builder keeps the drive letter.
    assert PureWindowsPath(r"\\server\share\x.db").as_uri() == "file://server/share/x.db"
    assert sqlite_uri(PureWindowsPath(r"Z:\x.db"), windows=True, mode="ro") == (
        "file:///Z:/x.db?mode=ro"
    )


def test_query_parameters_are_appended_and_encoded() -> None:
    uri = sqlite_uri(PureWindowsPath(r"C:\a\x.db"), windows=True, mode="ro", immutable=1)
    assert uri == "file:///C:/a/x.db?mode=ro&immutable=1"
    assert sqlite_uri(PurePosixPath("/a/x.db"), windows=False) == "file:///a/x.db"


def test_posix_paths_as_before(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    assert sqlite_uri(path, mode="rw") == f"{path.resolve().as_uri()}?mode=rw"
    odd = tmp_path / "a b#%?Łucja" / "x.db"
    uri = sqlite_uri(odd)
    assert uri == odd.resolve().as_uri()
    assert unquote(uri.removeprefix("file://")) == str(odd.resolve())


def test_sqlite_itself_takes_the_empty_authority_and_refuses_a_server_one(tmp_path: Path) -> None:
    # The UNC form keeps "//" at the start of the path; on POSIX "//tmp/..." is "/tmp/...", so
    # SQLite here really opens a four-slash URI, the shape a UNC path gets on Windows.
    path = tmp_path / "x.db"
    conn = connect("file://" + "/" + sqlite_uri(path).removeprefix("file://"), uri=True)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    assert path.exists()
    # What as_uri() gave for a UNC path: the server as the authority, refused by SQLite.
    with pytest.raises(sqlite3.OperationalError, match="invalid uri authority"):
        connect(f"file://server/{path}", uri=True).execute("SELECT 1")


ODD_NAME = "Clinic #2 - 50% off? Łucja"


@pytest.fixture
def data_paths(tmp_path: Path) -> DataPaths:
    """The shared ``services`` fixture opens its clinic in this folder."""
    return DataPaths(tmp_path / ODD_NAME)


def test_a_real_clinic_in_an_oddly_named_folder_opens_backs_up_verifies_and_encrypts(
    services: Services, data_paths: DataPaths
) -> None:
    backups = BackupService(services.ctx, services.paths)
    record = backups.backup_now()
    assert record.path.parent == data_paths.backups
    assert backups.verify(record.path).path == record.path
    services.close()
    db = open_database(data_paths.data_file, read_only=True)
    assert db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    db.close()
    key = secrets.token_bytes(KEY_BYTES)
    encrypt_data_file(data_paths.data_file, key, backups_dir=data_paths.backups)
    db = open_database(data_paths.data_file, key=key)
    assert db.execute("SELECT count(*) FROM staff").fetchone()[0] == 1
    db.close()
