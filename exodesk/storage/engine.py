"""The one place ExoDesk chooses its SQLite: SQLCipher (``sqlcipher3``), for sqlite-utils too.

Every module under ``exodesk/storage`` imports ``sqlite3`` from here, never the standard
library's: sqlcipher3 raises its own exception classes (``sqlcipher3.dbapi2.OperationalError``
is not ``sqlite3.OperationalError``), so an ``except`` written against the standard module
would quietly miss every failure of a real connection.

sqlite-utils picks its SQLite module once, at import, into module-level names of
``sqlite_utils.utils`` and ``sqlite_utils.db`` (``sqlite3``, ``dbapi2``, ``OperationalError``);
it uses them to connect and in its own ``except`` clauses (``transform()``'s and ``upsert``'s
fall-backs among them). Importing this module points those names at sqlcipher3, so sqlite-utils
catches the errors our connections raise. ExoDesk always hands sqlite-utils a connection it
made itself (``Database(conn)``), so the key is set before sqlite-utils runs anything.
"""

from __future__ import annotations

import ntpath
import os
import sys
from pathlib import Path, PurePath, PureWindowsPath
from urllib.parse import quote

import sqlcipher3.dbapi2 as sqlite3
import sqlite_utils.db
import sqlite_utils.utils

__all__ = ["KEY_BYTES", "Connection", "connect", "connection_key", "sqlite3", "sqlite_uri"]

KEY_BYTES = 32
"""A data key is 256 random bits, given to SQLCipher raw (no key derivation on each open)."""


def _use_sqlcipher_in_sqlite_utils() -> None:
    sqlite_utils.utils.sqlite3 = sqlite3
    sqlite_utils.utils.dbapi2 = sqlite3
    sqlite_utils.utils.OperationalError = sqlite3.OperationalError
    sqlite_utils.db.sqlite3 = sqlite3
    sqlite_utils.db.OperationalError = sqlite3.OperationalError
    cli = sys.modules.get("sqlite_utils.cli")  # only if something imported it (we do not)
    if cli is not None:
        cli.sqlite3 = sqlite3  # type: ignore[attr-defined]
        cli.OperationalError = sqlite3.OperationalError  # type: ignore[attr-defined]


def _quiet_sqlcipher_log() -> None:
    # SQLCipher writes its own ERROR lines to stderr (a wrong key prints "hmac check failed").
    # They hold no secrets, but ExoDesk says what went wrong in its own words and log file, and
    # the admin commands' output must not carry SQLCipher's. The setting is process-wide.
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
    finally:
        conn.close()


_use_sqlcipher_in_sqlite_utils()
_quiet_sqlcipher_log()


class Connection(sqlite3.Connection):
    """A connection that remembers the data key it was opened with (None: a plain file).

    Copies made from it (backups, the pre-migration copy) are keyed the same, so an encrypted
    file is never copied into a plain one; and a worker thread opening its own connection to
    the same file can be given the same key.
    """

    exodesk_key: bytes | None = None

    def __repr__(self) -> str:  # never the key
        state = "encrypted" if self.exodesk_key is not None else "plain"
        return f"<exodesk {state} connection at {id(self):#x}>"


def key_literal(key: bytes) -> str:
    """``x'<64 hex digits>'``: how SQLCipher is given a raw key (no KDF on each open).

    Also the value to bind to ``ATTACH DATABASE ? AS name KEY ?`` (a bound blob would be
    taken for a passphrase).
    """
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        # A bug, not something a person typed: passwords and recovery keys are turned into
        # data keys (exodesk.storage.keys) long before they get here.
        raise ValueError(f"a data key is {KEY_BYTES} bytes")
    return f"x'{key.hex()}'"


def key_pragma(key: bytes) -> str:
    """``PRAGMA key = "x'<64 hex digits>'"``: a raw key, so SQLCipher runs no KDF on open."""
    return f'PRAGMA key = "{key_literal(key)}"'


def connect(
    target: str, *, key: bytes | None = None, uri: bool = False, timeout: float = 5.0
) -> Connection:
    """Open a connection with sqlcipher3; with ``key``, ``PRAGMA key`` is its first statement.

    ``temp_store = MEMORY`` is set on every connection: sorts, temporary indexes and
    materialised views then never reach a temp file, where SQLCipher would not encrypt them.

    Nothing is read from the file here, so a wrong key is only noticed by the first statement
    that reads it (``exodesk.storage.database.check_key``).
    """
    conn = sqlite3.connect(target, uri=uri, timeout=timeout, factory=Connection)
    try:
        if key is not None:
            conn.execute(key_pragma(key))
        conn.exodesk_key = key
        conn.execute("PRAGMA temp_store = MEMORY")
    except BaseException:
        conn.close()
        raise
    return conn


def sqlite_uri(
    path: str | os.PathLike[str], *, windows: bool | None = None, **params: str | int
) -> str:
    """The ``file:`` URI SQLite accepts for ``path``, with ``params`` as its query string.

    Every open of a file by URI builds it here (``connect(sqlite_uri(p, mode="ro"), uri=True)``).
    SQLite's rules (sqlite.org/uri.html): the authority must be empty or ``localhost``, anything
    else is "invalid uri authority"; the path is percent-decoded as UTF-8; on Windows a leading
    ``/`` before a drive letter is dropped. So:

    - ``C:\\Clinic\\x.db`` -> ``file:///C:/Clinic/x.db``;
    - a UNC path ``\\\\server\\share\\x.db`` -> ``file:////server/share/x.db`` (empty
      authority, the path ``//server/share/x.db`` which Windows opens as the share);
      ``pathlib``'s ``as_uri()`` gives ``file://server/share/x.db``, which SQLite refuses;
    - POSIX ``/home/a b/x.db`` -> ``file:///home/a%20b/x.db``.

    Every character outside ``A-Z a-z 0-9 - . _ ~`` in a path segment is percent-encoded (UTF-8
    for non-ASCII), so a folder named ``#1 50% off?`` or ``Łucja`` survives. On Windows the path
    is made absolute with ``ntpath.abspath`` and never ``resolve()``d: resolving turns a mapped
    drive ``Z:\\`` into its ``\\\\server\\share``. ``windows`` defaults to this system's
    kind; tests pass ``True`` with ``PureWindowsPath`` inputs.
    """
    if windows is None:
        windows = os.name == "nt"
    if windows:
        text = ntpath.abspath(os.fspath(path))
        upper = text.upper()
        if upper.startswith(("\\\\?\\UNC\\", "//?/UNC/")):
            text = "\\\\" + text[8:]  # long-path form of a UNC path: \\?\UNC\server\share
        elif text.startswith(("\\\\?\\", "//?/")):
            text = text[4:]  # long-path form of a drive path: \\?\C:\...
        win = PureWindowsPath(text)
        drive = win.drive
        rest = [quote(part, safe="") for part in win.parts[1:]]
        if drive.startswith(("\\\\", "//")):
            server, _, share = drive.replace("\\", "/").strip("/").partition("/")
            head = f"//{quote(server, safe='')}/{quote(share, safe='')}"
        else:
            head = f"/{drive}"  # "C:" stays as it is: SQLite looks for "/C:" to drop the slash
        uri_path = "/".join([head, *rest])
    else:
        absolute: PurePath = Path(path).resolve()
        uri_path = quote(absolute.as_posix(), safe="/")
    query = "&".join(
        f"{quote(name, safe='')}={quote(str(value), safe='')}" for name, value in params.items()
    )
    return f"file://{uri_path}" + (f"?{query}" if query else "")


def connection_key(conn: object) -> bytes | None:
    """The data key ``conn`` was opened with, or None (plain file, or not opened by us)."""
    return getattr(conn, "exodesk_key", None)
