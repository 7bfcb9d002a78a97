"""One clinic per PC: a clinic kept under one Windows login moves, once, to the machine folder.

Before issue #20 the installed app kept its data in ``%LOCALAPPDATA%\\ExoDesk``, which belongs
to one Windows login: a second login on the reception PC got the first-run setup and the
clinic's records split across two files. The installed app now uses a machine-wide folder
(``exodesk.paths.machine_data_dir``). At start-up, when that default is in use, a clinic found
in the old per-user folder is moved there:

1. the old data file is locked (refused if an ExoDesk has it open);
2. a backup is made first, into the old folder's ``backups`` (the verified backup of
   ``backup_data_file`` for a plain file; an encrypted one, whose key is not known before
   sign-in, is copied byte for byte);
3. every file of the old folder is copied into the machine folder, the data file last, under
   a temporary name renamed into place once its copy is checked (so a copy that fails half-way
   never leaves something that looks like a clinic);
4. only then are the old data file, its -wal/-shm and its password slots removed; the rest of
   the old folder (its backups and logs) stays, with a note saying where the clinic went.

Never when the machine folder already holds a data file: both stay as they are and a sentence
says so, once.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from exodesk import APP_NAME
from exodesk.paths import DataPaths
from exodesk.storage.backup import sha256_file
from exodesk.storage.backup_files import backup_data_file, backup_name, check_folder
from exodesk.storage.database import is_encrypted
from exodesk.storage.lock import acquire_lock, lock_path_for

log = logging.getLogger(__name__)

MOVED_NOTE = "ExoDesk has moved.txt"
NOT_MOVED_NOTE = "ExoDesk was not moved.txt"
BEFORE_MOVE = "moving"
"""The reason word in the backup's name: ``exodesk-<stamp>-moving.sqlite3``."""
_TEMPORARY_SUFFIX = ".moving"
_COMPANIONS = ("-wal", "-shm")


@dataclass(frozen=True)
class FolderMove:
    """What happened to a clinic found under one Windows login; ``message`` is for people."""

    moved: bool
    message: str
    backup: Path | None = None


def move_login_clinic(
    old: DataPaths, new: DataPaths, *, now: datetime | None = None
) -> FolderMove | None:
    """Move the clinic in ``old`` (a per-user folder) into ``new`` (the machine folder), once.

    Returns None when there is nothing to say: no clinic in ``old``, the same folder, or a
    refusal already said once. The message is logged here; the caller shows it.

    Raises:
        AlreadyOpenError: an ExoDesk has the old data file open (nothing was changed).
        UserError / OSError: the backup or the copy failed; the old clinic is untouched and
            whatever was copied into ``new`` has been removed again.
    """
    if _same_folder(old.folder, new.folder) or not old.data_file.is_file():
        return None
    if new.data_file.exists():
        return _refuse_once(old, new)
    when = now or datetime.now(UTC)
    lock = acquire_lock(old.data_file)
    try:
        backup = _backup_first(old, when)
        _copy_clinic(old, new)
        for path in (old.data_file, *_companions(old.data_file), old.keyring):
            path.unlink(missing_ok=True)
    finally:
        lock.release()
    message = (
        f"{APP_NAME} now keeps this PC's clinic in {new.folder}, for everyone who signs in to "
        f"Windows here. It was moved from {old.folder}, which belonged to one Windows login; "
        f"a backup was made there first: {backup}."
    )
    _note(old.folder / MOVED_NOTE, message)
    log.warning("moved the clinic from %s to %s (backup first: %s)", old.folder, new.folder, backup)
    return FolderMove(moved=True, message=message, backup=backup)


def _same_folder(a: Path, b: Path) -> bool:
    return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def _refuse_once(old: DataPaths, new: DataPaths) -> FolderMove | None:
    note = old.folder / NOT_MOVED_NOTE
    if note.exists():
        return None
    message = (
        f"A clinic kept under this Windows login was found in {old.folder} and left where it "
        f"is: {new.folder} already holds this PC's clinic, so nothing was moved or changed. "
        f"{APP_NAME} opens the one in {new.folder}. If the other one holds records you need, "
        "ask whoever supports you before anyone enters them again."
    )
    _note(note, message)
    log.warning("not moved: %s holds a clinic and so does %s", old.folder, new.folder)
    return FolderMove(moved=False, message=message)


def _note(path: Path, text: str) -> None:
    try:
        path.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:  # the sentence is still shown and logged
        log.warning("could not write %s: %s", path, exc)


def _companions(data_file: Path) -> list[Path]:
    return [data_file.with_name(data_file.name + suffix) for suffix in _COMPANIONS]


def _backup_first(old: DataPaths, now: datetime) -> Path:
    if not is_encrypted(old.data_file):
        record = backup_data_file(
            old.data_file, old.backups, reason=BEFORE_MOVE, now=now, create_folder=True
        )
        return record.path
    # Encrypted: the key comes with sign-in, after this. The file (and a write-ahead log left
    # beside it, if any) is copied as it is, with its password slots, and opens the same way.
    check_folder(old.backups, create=True)
    target = backup_name(old.backups, now, BEFORE_MOVE)
    shutil.copy2(old.data_file, target)
    for suffix in _COMPANIONS:
        companion = old.data_file.with_name(old.data_file.name + suffix)
        if companion.exists():
            shutil.copy2(companion, target.with_name(target.name + suffix))
    if old.keyring.exists():
        shutil.copy2(old.keyring, target.with_name(target.stem + ".keys"))
    return target


def _copy_clinic(old: DataPaths, new: DataPaths) -> None:
    """Copy everything of ``old`` into ``new``, the data file last; undo the copy on failure."""
    new.folder.mkdir(parents=True, exist_ok=True)
    skip = {old.data_file.name, lock_path_for(old.data_file).name, MOVED_NOTE, NOT_MOVED_NOTE}
    skip.update(c.name for c in _companions(old.data_file))
    made: list[Path] = []
    temporary = new.data_file.with_name(new.data_file.name + _TEMPORARY_SUFFIX)
    if old.keyring.exists() and new.keyring.exists():
        # Password slots with no data file beside them open nothing here; kept aside, not lost.
        new.keyring.replace(new.keyring.with_name(new.keyring.name + ".before-move"))
    try:
        for entry in sorted(old.folder.iterdir()):
            target = new.folder / entry.name
            if entry.name in skip or target.exists():
                continue  # a log the machine folder already has stays its own
            if entry.is_dir():
                shutil.copytree(entry, target)
            else:
                shutil.copy2(entry, target)
            made.append(target)
        for companion in _companions(old.data_file):
            if companion.exists():
                target = new.folder / companion.name
                shutil.copy2(companion, target)
                made.append(target)
        made.append(temporary)
        shutil.copy2(old.data_file, temporary)
        if sha256_file(temporary) != sha256_file(old.data_file):
            raise OSError(f"the copy of {old.data_file} in {new.folder} differs from it")
        os.replace(temporary, new.data_file)
    except BaseException:
        for path in reversed(made):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        raise
