"""Opening the data file: recognise it, set the pragmas on every connection, translate failures."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path, PurePath, PureWindowsPath

from sqlite_utils import Database

from exodesk.domain.plurals import plural
from exodesk.errors import StorageError
from exodesk.storage.engine import connect, sqlite3, sqlite_uri

log = logging.getLogger(__name__)

# "EXOD": written into the SQLite header so ExoDesk knows its own files and refuses others.
APPLICATION_ID = 0x45584F44
SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000

# Primary SQLite result codes (the low byte of an extended code).
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_NOTADB = 26

RESTORE_ADVICE = "Restore the newest backup, or ask whoever looks after this PC."
_RESTORE_ADVICE = RESTORE_ADVICE

# Filesystem types (as /proc/mounts names them) that put the file on another computer.
NETWORK_FILESYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "sshfs", "fuse.sshfs", "9p", "afs", "ncpfs"}
)
PROC_MOUNTS = Path("/proc/mounts")
NETWORK_WARNING = (
    "This data file is on a network drive. SQLite files on shared drives can be damaged; keep it "
    "on this PC's own disk and use backups to share."
)
_DRIVE_REMOTE = 4  # GetDriveTypeW's answer for a mapped network drive
# Less free space than this, and an I/O error is taken to mean a full disk (a WAL file's -shm
# alone needs 32 KiB).
_NEARLY_FULL_BYTES = 1 << 20


class DataFileDamaged(StorageError):
    """The data file is damaged (or no longer a database): restoring a backup is the way out."""


class DiskFull(StorageError):
    """The disk (or SQLite's page limit) is full: nothing was written."""


CACHE_SIZE = -2000
"""SQLite's page cache per connection, in KiB when negative (SQLite's own default)."""


class WrongKey(StorageError):
    """The file is encrypted and no key, or a key that does not open it, was given.

    The file has not been changed. (Damage to an encrypted file's first page looks the same
    to SQLCipher; a key unlocked from the keyring is known to be right, so then it is damage.)
    """


class NotEncrypted(StorageError):
    """A key was given for a plain (unencrypted) file: refused, so a plain file is never
    taken for an encrypted one (say, a plain backup restored by hand)."""


def wrong_key(path: Path, *, given: bool, what: str = "data file") -> WrongKey:
    if not given:
        return WrongKey(
            f"This {what} is encrypted; it opens only with a password or the recovery key "
            f"({path.name}).",
            advice="Sign in with your password, or type the recovery key from the clinic's safe.",
        )
    return WrongKey(
        f"This {what} is encrypted and the password or recovery key given does not open it "
        f"({path.name}); nothing was changed.",
        advice="Check the password (Caps Lock?) or type the recovery key again.",
    )


def locked_error() -> StorageError:
    return StorageError(
        "The data file is busy: another ExoDesk or program is writing to it.",
        advice="Wait a moment and try again; if it keeps happening, close the other ExoDesk.",
    )


def translate(exc: BaseException, path: Path | None = None) -> StorageError | None:
    """Return the plain-words StorageError for a low-level failure, or None if it is a bug."""
    where = f" ({path})" if path else ""
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        primary = code & 0xFF if isinstance(code, int) else None
        text = str(exc).lower()
        if primary in (_SQLITE_BUSY, _SQLITE_LOCKED) or "locked" in text:
            return locked_error()
        if primary == _SQLITE_READONLY or "readonly" in text or "read-only" in text:
            return StorageError(
                f"The data file is read-only{where}; nothing can be saved.",
                advice="Check that the file and its folder are not write-protected, then reopen.",
            )
        if primary == _SQLITE_FULL or "disk is full" in text:
            return DiskFull(
                "The disk is full, so nothing was saved; what you typed is still on screen.",
                advice="Free some space on the disk, then save again.",
            )
        if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or "malformed" in text:
            return DataFileDamaged(
                f"The data file is damaged or is not a database{where}.",
                advice=_RESTORE_ADVICE,
            )
        if primary == _SQLITE_CANTOPEN or "unable to open" in text:
            return StorageError(
                f"The data file cannot be opened{where}.",
                advice="Check that the folder exists and that you may write to it.",
            )
        if primary == _SQLITE_IOERR or "disk i/o" in text:
            if path is not None and _disk_nearly_full(path):
                # SQLite says "disk I/O error" when it cannot grow the -shm file of a WAL
                # database; on a full disk "the drive may have gone" would send people astray.
                return DiskFull(
                    f"The disk holding the data file is full{where}, so ExoDesk cannot use it.",
                    advice="Free some space on the disk, then try again.",
                )
            return StorageError(
                f"The disk reported an error while using the data file{where}.",
                advice="Check the drive (a USB or network drive may have gone), then try again.",
            )
        return None
    if isinstance(exc, OSError):
        import errno

        if exc.errno == errno.ENOSPC:
            return DiskFull(
                "The disk is full, so nothing was saved.",
                advice="Free some space on the disk, then try again.",
            )
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return StorageError(
                f"ExoDesk may not write here{where}.",
                advice="Choose a folder you may write to, or ask whoever looks after this PC.",
            )
    return None


def _disk_nearly_full(path: Path) -> bool:
    try:
        return shutil.disk_usage(Path(path).parent).free < _NEARLY_FULL_BYTES
    except OSError:
        return False


@contextlib.contextmanager
def storage_errors(path: Path | None = None) -> Iterator[None]:
    """Turn expected SQLite and disk failures into StorageError; let bugs through untouched."""
    try:
        yield
    except StorageError:
        raise
    except (sqlite3.Error, OSError) as exc:
        plain = translate(exc, path)
        if plain is None:
            raise
        log.warning("storage failure: %s (%s)", plain.message, exc)
        raise plain from exc


# An SQLCipher file has no plain header: its first 16 bytes are a random salt and the rest of
# each page is ciphertext, so the first KiB looks random. Anything else without SQLite's magic
# (text, zeros, a truncated copy) is "not a database at all". The pages are whole (4096 bytes
# in SQLCipher 4; never below 512 in SQLite), and 1024 random bytes show ~251 of the 256 byte
# values (a standard deviation of about 2): text or zero-filled damage shows far fewer.
_CIPHER_SAMPLE = 1024
_MIN_PAGE = 512
_RANDOM_BYTE_VALUES = 192


def looks_encrypted(first: bytes, size: int) -> bool:
    """Whether a file whose first bytes are ``first`` and length is ``size`` is SQLCipher's.

    A heuristic by necessity (an encrypted file is indistinguishable from random bytes): a
    file of random bytes would pass, and then fails later with ``WrongKey``.
    """
    return (
        size >= _CIPHER_SAMPLE
        and size % _MIN_PAGE == 0
        and not first.startswith(SQLITE_MAGIC)
        and len(set(first[:_CIPHER_SAMPLE])) >= _RANDOM_BYTE_VALUES
    )


def is_encrypted(path: Path) -> bool:
    """True if ``path`` is an encrypted (SQLCipher) file: ask for a password before opening.

    False for a plain SQLite file, an empty or missing file, and one that is not a database.

    Raises:
        StorageError: the file exists but cannot be read.
    """
    path = Path(path)
    with storage_errors(path):
        if not path.is_file():
            return False
        with path.open("rb") as fh:
            first = fh.read(_CIPHER_SAMPLE)
        return looks_encrypted(first, path.stat().st_size)


def file_key(path: Path, key: bytes | None, *, what: str = "data file") -> bytes | None:
    """The key to open the existing file ``path`` with: ``key`` if it is encrypted, None if plain.

    For files that may be either (backups made before and after a clinic was encrypted).

    Raises:
        WrongKey: the file is encrypted and no key was given.
    """
    if not is_encrypted(path):
        return None
    if key is None:
        raise wrong_key(path, given=False, what=what)
    return key


def check_key(conn: sqlite3.Connection, path: Path, *, what: str = "data file") -> None:
    """Read the schema once, so a wrong key is said plainly before anything else runs.

    Raises:
        WrongKey: SQLCipher cannot decrypt the first page (``SQLITE_NOTADB``).
    """
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        if _primary_code(exc) != _SQLITE_NOTADB:
            raise
        log.warning("%s %s did not open with the key given", what, path)
        raise wrong_key(path, given=True, what=what) from None


def _primary_code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def read_header(path: Path) -> bytes:
    """Return the first 100 bytes of the file (fewer if it is shorter)."""
    with path.open("rb") as fh:
        return fh.read(100)


def header_application_id(header: bytes) -> int:
    return int.from_bytes(header[68:72], "big") if len(header) >= 72 else 0


def open_database(
    path: Path,
    *,
    create: bool = False,
    read_only: bool = False,
    before_write: Callable[[Database], None] | None = None,
    busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    key: bytes | None = None,
) -> Database:
    """Open an ExoDesk data file with the pragmas every connection needs.

    Sets ``foreign_keys=ON``, ``busy_timeout``, WAL journal and ``synchronous=FULL`` (a saved
    record must survive a power cut), ``temp_store=MEMORY``, and stamps a new file with
    ExoDesk's ``application_id``. With ``key`` the file is SQLCipher-encrypted: ``PRAGMA key``
    is the connection's first statement, and a new file is created encrypted.

    Args:
        path: The data file.
        create: Create the file if it is missing (its folder must exist).
        read_only: Open with SQLite's ``mode=ro``; nothing can be written.
        before_write: Called with the database before anything is written to the file (WAL
            switch, application_id), so a file from a newer ExoDesk is refused untouched.
        busy_timeout_ms: How long to wait for another writer before saying the file is busy.
        key: The 32-byte data key of an encrypted file (see ``exodesk.storage.keys``); None
            for a plain file.

    Raises:
        StorageError: in plain words when the folder or file is missing, the file is not an
            ExoDesk data file, or it is locked, read-only (file or folder, unless
            ``read_only``) or damaged (``DataFileDamaged``). The file is not changed.
        WrongKey: the file is encrypted and ``key`` is missing or does not open it.
        NotEncrypted: ``key`` was given for a plain file.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise StorageError(
            f"The folder {path.parent} does not exist.",
            advice="Check the data folder setting (--data-dir or EXODESK_DATA_DIR).",
        )
    exists = path.exists()
    if not exists and not create:
        raise StorageError(
            f"There is no ExoDesk data file at {path}.",
            advice="Run `exodesk init` to create one, or check the data folder setting.",
        )
    if path.is_dir():
        raise StorageError(f"{path} is a folder, not a data file.")
    if exists:
        with storage_errors(path):
            header = read_header(path)
        if not header:
            # SQLite would take a zero-length file for a new, empty database and the first
            # start would build an empty clinic in it: what a failed copy, a sync tool or a
            # damaged disk leaves behind is a damaged data file.
            raise DataFileDamaged(
                f"{path} is empty (0 bytes): the clinic's records are not in it. It has been "
                "left untouched.",
                advice=_RESTORE_ADVICE,
            )
        if is_encrypted(path):
            if key is None:
                raise wrong_key(path, given=False)
        elif header and not header.startswith(SQLITE_MAGIC):
            raise DataFileDamaged(
                f"{path} is not an ExoDesk data file (it is not a database at all).",
                advice=_RESTORE_ADVICE,
            )
        elif key is not None and header:
            raise NotEncrypted(
                f"{path} is not encrypted, so it cannot be opened with a password or recovery "
                "key; it has been left untouched.",
                advice="Open it without one; ExoDesk offers to encrypt it when it starts.",
            )
        app_id = header_application_id(header)
        if app_id not in (0, APPLICATION_ID) and key is None:
            raise StorageError(
                f"{path} belongs to another program, not ExoDesk; it has been left untouched.",
                advice="Choose another data folder.",
            )
    if not read_only:
        refuse_read_only(path, exists=exists)
    mode = "ro" if read_only else ("rwc" if create else "rw")
    uri = sqlite_uri(path, mode=mode)
    if read_only and cannot_write(path) and not Path(f"{path}-wal").exists():
        # A write-protected folder, drive or file, closed cleanly: SQLite could not create the
        # -shm file a WAL database needs even to be read, and nothing can change the file
        # while it is read here, so it is read as immutable (no locks, no files beside it).
        uri = sqlite_uri(path, mode=mode, immutable=1)
    conn: sqlite3.Connection | None = None
    try:
        with storage_errors(path):
            conn = connect(uri, key=key, uri=True, timeout=busy_timeout_ms / 1000)
            if key is not None:
                check_key(conn, path)
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            conn.execute("PRAGMA foreign_keys = ON")
            # 2 MB of page cache, SQLite's usual default: the bundled SQLCipher build defaults
            # to 8 MB, which the start-up quick_check fills (6 MB more at start, issue #9).
            conn.execute(f"PRAGMA cache_size = {CACHE_SIZE}")
            _check_ownership(conn, path)
            # No sqlite-utils plugins: nothing installed beside ExoDesk gets a hook into a
            # clinic's connection, and finding them scanned every installed package's
            # metadata (10 ms at each start; issue #9).
            db = Database(conn, execute_plugins=False)
            if before_write is not None:
                before_write(db)
            if not read_only:
                mode_now = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode_now).lower() != "wal":
                    log.warning("journal_mode is %s, not WAL, for %s", mode_now, path)
            conn.execute("PRAGMA synchronous = FULL")
            if not read_only and _application_id(conn) == 0:
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        return db
    except BaseException:
        if conn is not None:
            conn.close()
        raise


def cannot_write(path: Path) -> bool:
    """True when the data file ``path`` or its folder cannot be written (a write-protected
    folder, drive or file); reading it then needs ``open_database(read_only=True)``."""
    return not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK))


def refuse_read_only(path: Path, *, exists: bool) -> None:
    """Refuse, before SQLite touches anything, a data file or folder that cannot be written.

    SQLite would quietly open such a file read-only and fail at the first save, after someone
    had typed a whole record; WAL mode also needs to create files beside the data file.

    Raises:
        StorageError: the folder or the file is read-only (for root, only a read-only or
            immutable mount or file counts: permission bits do not stop root).
    """
    # On Windows os.access ignores a folder's read-only attribute, which Explorer sets on
    # ordinary folders too, so it never refuses a folder there by mistake.
    if not os.access(path.parent, os.W_OK):
        raise StorageError(
            f"The data folder {path.parent} is read-only, so nothing could be saved there; "
            "the data file has been left untouched.",
            advice="Check that the folder and its drive are not write-protected, or copy the "
            "folder to this PC's own disk, then reopen.",
        )
    if exists and not os.access(path, os.W_OK):
        raise StorageError(
            f"The data file {path} is read-only, so nothing could be saved to it; "
            "it has been left untouched.",
            advice="Check that the file is not write-protected, then reopen.",
        )


def quick_check(db: Database, path: Path | None = None) -> float:
    """Run SQLite's quick_check and refuse a damaged file before anyone types into it.

    A damaged page does not always raise: quick_check then answers with rows describing the
    faults instead of the single row "ok", so anything but exactly ``["ok"]`` is damage.

    Returns:
        How long the check took, in seconds.

    Raises:
        DataFileDamaged: the file is damaged; nothing has been written to it.
    """
    started = time.perf_counter()
    with storage_errors(path):
        rows = [r[0] for r in db.execute("PRAGMA quick_check").fetchall()]
    elapsed = time.perf_counter() - started
    if rows != ["ok"]:
        log.error("quick_check of %s found %s: %s", path, plural(len(rows), "fault"), rows[:5])
        where = f" ({path})" if path else ""
        raise DataFileDamaged(
            f"The data file is damaged{where}; ExoDesk has not changed it and will not write "
            "to it.",
            advice=_RESTORE_ADVICE,
        )
    log.info("quick_check ok in %.3f s", elapsed)
    return elapsed


def network_filesystem(path: Path, *, mounts: Path | None = None) -> str | None:
    """What kind of network drive ``path`` is on, or None for this PC's own disk.

    Windows: a UNC path (``\\\\server\\share``) or a mapped drive (GetDriveTypeW says
    DRIVE_REMOTE). Linux: the filesystem type in ``mounts`` (default ``/proc/mounts``) of the
    mount holding the path. Elsewhere (macOS) it cannot tell and answers None.
    """
    if sys.platform == "win32":
        return windows_network_drive(os.path.abspath(path), _windows_drive_type)
    return linux_network_filesystem(Path(path), PROC_MOUNTS if mounts is None else mounts)


def windows_network_drive(text: str, drive_type: Callable[[str], int]) -> str | None:
    """The network kind of a Windows path (pure: the drive-type query is passed in)."""
    if text.upper().startswith(("\\\\?\\UNC\\", "//?/UNC/")):
        return "UNC path"
    if text.startswith(("\\\\?\\", "\\\\.\\", "//?/", "//./")):
        text = text[4:]  # a long-path or device prefix in front of an ordinary drive path
    if text.startswith(("\\\\", "//")):
        return "UNC path"
    drive = PureWindowsPath(text).drive
    if drive and drive_type(drive + "\\") == _DRIVE_REMOTE:
        return "mapped network drive"
    return None


def _windows_drive_type(root: str) -> int:
    import ctypes

    return int(ctypes.windll.kernel32.GetDriveTypeW(root))  # type: ignore[attr-defined]


def _unescape_mount_field(field: str) -> str:
    # /proc/mounts writes space, tab, newline and backslash in paths as octal escapes.
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def linux_network_filesystem(path: Path, mounts: Path) -> str | None:
    """The network filesystem type of the mount holding ``path`` per ``mounts``, else None."""
    try:
        lines = mounts.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    target = PurePath(os.path.abspath(path))
    with contextlib.suppress(OSError, RuntimeError):
        target = PurePath(Path(path).resolve())
    best: tuple[int, str] | None = None
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        mount_point, fs_type = PurePath(_unescape_mount_field(fields[1])), fields[2]
        if target == mount_point or target.is_relative_to(mount_point):
            depth = len(mount_point.parts)
            # Later lines win at equal depth: a mount stacked on top hides the one below.
            if best is None or depth >= best[0]:
                best = (depth, fs_type)
    if best is None:
        return None
    fs_type = best[1].lower()
    plain = fs_type.removeprefix("fuse.")
    return fs_type if fs_type in NETWORK_FILESYSTEMS or plain in NETWORK_FILESYSTEMS else None


def _application_id(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA application_id").fetchone()[0])


def _check_ownership(conn: sqlite3.Connection, path: Path) -> None:
    """A file with tables but no ExoDesk stamp is someone else's database: refuse it."""
    if _application_id(conn) == APPLICATION_ID:
        return
    tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    if tables:
        raise StorageError(
            f"{path} is a database from another program, not ExoDesk; it has been left untouched.",
            advice="Choose another data folder.",
        )


def integrity_report(db: Database) -> list[str]:
    """Run SQLite's integrity_check and foreign_key_check; return the faults (empty = healthy)."""
    faults: list[str] = []
    rows = [r[0] for r in db.execute("PRAGMA integrity_check").fetchall()]
    if rows != ["ok"]:
        faults += [f"integrity: {r}" for r in rows]
    for table, rowid, parent, _fk in db.execute("PRAGMA foreign_key_check").fetchall():
        faults.append(f"foreign key: {table} row {rowid} points to a missing {parent} record")
    return faults


def inserted_id(lastrowid: int | None) -> int:
    """The id SQLite gave the row an INSERT just added, from ``cursor.lastrowid``.

    The cursor types it as optional because it is None until the connection has inserted
    anything; straight after a successful INSERT it is always set, so None is a bug here.
    """
    if lastrowid is None:
        raise RuntimeError("The INSERT reported no row id.")
    return lastrowid
