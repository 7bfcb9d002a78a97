"""Photos in backups, drills, restores and exports: incremental, verified, byte for byte.

A backup folder holds one ``photos`` folder shared by every backup in it, laid out like the data
folder's store (``exodesk.storage.photo_store``). A backup copies only the blobs its copy of the
data file needs that the folder does not hold yet, so a daily backup of a clinic with gigabytes
of photos copies only the day's new ones. Each copied blob is checked to open under the
clinic's key and to match its ref, then read back and compared. Blobs are never deleted from
it: rotation deletes old backup files only, and a blob some kept backup needs is then never at
risk (the cost: photos of records entered in error stay, which the app keeps anyway).

Each backup's sidecar records how many refs its copy of the data file needs and a SHA-256 of
their sorted list, so a drill can prove that the copy it restores names the same photos and
that every one of them comes back byte for byte (decrypted, SHA-256 equal to its ref).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from exodesk.domain.plurals import plural
from exodesk.errors import StorageError
from exodesk.storage.backup import quote
from exodesk.storage.engine import Connection, connect, sqlite3, sqlite_uri
from exodesk.storage.photo_store import (
    BLOB_SUFFIX,
    BlobProblem,
    FolderPhotoStore,
    backup_photos_folder,
    is_ref,
)

log = logging.getLogger(__name__)

PHOTO_REF_COLUMNS: tuple[tuple[str, str], ...] = (("photos", "ref"), ("photos", "thumb_ref"))
"""Where the data file names the blobs it needs: (table, column). The one place to point at
the photos table (``exodesk/storage/migrations.py``, 0010_photos)."""
REFS_DIGEST_METHOD = "sha256/sorted-refs-newline-1"
"""How ``refs_digest`` is made; recorded in each sidecar beside the digest."""

Progress = Callable[[int, int], None]


# ---- which photos a data file needs --------------------------------------------------------
def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {str(r[1]) for r in conn.execute(f"PRAGMA table_info({quote(table)})")}


def names_photos(conn: sqlite3.Connection) -> bool:
    """Whether the data file behind ``conn`` has a column that names photos (a file made
    before photos existed has none)."""
    return any(column in _columns(conn, table) for table, column in PHOTO_REF_COLUMNS)


def needed_photo_refs(
    conn: sqlite3.Connection, *, fallback: FolderPhotoStore | None = None
) -> list[str]:
    """The refs of every blob the data file behind ``conn`` needs, sorted, each once.

    Read from the columns ``PHOTO_REF_COLUMNS`` names (entered-in-error photos included: they
    are kept records). A file without any of them (made before photos existed) needs the
    blobs of ``fallback``, if given, else none.
    """
    selects: list[str] = []
    for table, column in PHOTO_REF_COLUMNS:
        if column in _columns(conn, table):
            selects.append(
                f"SELECT {quote(column)} AS ref FROM {quote(table)} "
                f"WHERE {quote(column)} IS NOT NULL AND {quote(column)} != ''"
            )
    if not selects:
        return sorted(fallback.refs()) if fallback is not None else []
    rows = conn.execute(" UNION ".join(selects) + " ORDER BY ref").fetchall()
    refs = [str(r[0]) for r in rows]
    strange = [r for r in refs if not is_ref(r)]
    if strange:
        log.warning("%d photo refs in the data file are not refs; ignored", len(strange))
        refs = [r for r in refs if is_ref(r)]
    return refs


def refs_digest(refs: Iterable[str]) -> str:
    """SHA-256 of the sorted refs, one per line (see ``REFS_DIGEST_METHOD``)."""
    digest = hashlib.sha256()
    for ref in sorted(refs):
        digest.update(ref.encode("ascii") + b"\n")
    return digest.hexdigest()


def refs_of_file(
    path: Path, key: bytes | None, *, fallback: FolderPhotoStore | None = None
) -> list[str]:
    """``needed_photo_refs`` of a closed database file (a backup, its partial copy, a drill's
    scratch copy), opened read-only with ``key`` (None: plain)."""
    return refs_and_source(path, key, fallback=fallback)[0]


def refs_and_source(
    path: Path, key: bytes | None, *, fallback: FolderPhotoStore | None = None
) -> tuple[list[str], bool]:
    """``refs_of_file``, and whether they came from the file (False: from ``fallback``)."""
    conn: Connection = connect(sqlite_uri(path, mode="ro"), key=key, uri=True)
    try:
        return needed_photo_refs(conn, fallback=fallback), names_photos(conn)
    finally:
        conn.close()


# ---- into a backup folder --------------------------------------------------------------------
@dataclass(frozen=True)
class PhotoCopy:
    """What a backup did with its photos."""

    needed: int
    digest: str
    copied: int = 0
    bytes_copied: int = 0
    already: int = 0
    missing: tuple[str, ...] = ()
    """Refs whose blob in the data folder is missing or damaged (not in the backup)."""
    folder: str = ""
    """Where in the backup folder they are (``photos/<key id>``), as the sidecar says."""

    def sidecar(self) -> dict[str, object]:
        """The sidecar's photo fields."""
        return {
            "photo_refs": self.needed,
            "photo_refs_sha256": self.digest,
            "photo_refs_method": REFS_DIGEST_METHOD,
            "photos_folder": self.folder,
            "photos_missing": len(self.missing),
        }

    def warning(self) -> str:
        """A sentence when some photos could not be backed up; empty otherwise."""
        if not self.missing:
            return ""
        return (
            f"{plural(len(self.missing), 'photo')} could not be backed up: "
            f"{'its file' if len(self.missing) == 1 else 'their files'} in the data folder "
            "are missing or damaged. Restore them from an older backup."
        )


def backup_photos(
    refs: list[str],
    source: FolderPhotoStore,
    backup_folder: Path,
    *,
    progress: Progress | None = None,
) -> PhotoCopy:
    """Copy the blobs of ``refs`` that ``backup_folder/photos`` lacks from ``source``.

    A blob already there with the same size is taken as present (a stat, not a read: 20,000
    photos cost milliseconds); any other is copied as it is stored (sealed bytes, no
    re-encryption): checked to open under the clinic's key and to match its ref, written
    atomically, read back and compared; the folders are flushed once at the end.

    Raises:
        StorageError: the backup folder cannot be written (full, read-only, gone).
    """
    target = FolderPhotoStore(backup_photos_folder(backup_folder, source.key), source.key)
    copied = bytes_copied = already = 0
    missing: list[str] = []
    folders: set[Path] = set()
    if not refs:
        progress = None
    here_root, there_root = os.fspath(source.folder), os.fspath(target.folder)
    for done, ref in enumerate(refs):
        if progress is not None:
            progress(done, len(refs))
        # Plain strings and os.stat: pathlib's overhead was 80% of a 20,000-photo daily backup.
        tail = f"{os.sep}{ref[:2]}{os.sep}{ref}{BLOB_SUFFIX}"
        try:
            size = os.stat(here_root + tail).st_size
        except OSError:
            size = -1
        try:
            present = size >= 0 and os.stat(there_root + tail).st_size == size
        except OSError:
            present = False
        if present:
            already += 1
        else:
            here, there = source.path_of(ref), target.path_of(ref)
            try:
                blob = source.read_blob(ref)
                target.put_blob(ref, blob, sync_folder=False)
            except BlobProblem as exc:
                # The data folder's own blob is damaged: the backup cannot hold the photo.
                log.warning("photo %s not backed up: %s", ref, exc)
                missing.append(ref)
                continue
            except StorageError as exc:
                if here.is_file():
                    raise  # the backup folder failed (full, read-only, gone)
                log.warning("photo %s not backed up: %s", ref, exc)
                missing.append(ref)
                continue
            copied += 1
            bytes_copied += len(blob)
            folders.add(there.parent)
    if progress is not None:
        progress(len(refs), len(refs))
    if copied:
        target.sync(folders)
    log.info(
        "backup photos: %d needed, %d copied (%d bytes), %d already there, %d missing",
        len(refs),
        copied,
        bytes_copied,
        already,
        len(missing),
    )
    where = target.folder.relative_to(backup_folder).as_posix()
    return PhotoCopy(
        len(refs), refs_digest(refs), copied, bytes_copied, already, tuple(missing), where
    )


# ---- drills and restores ---------------------------------------------------------------------
@dataclass(frozen=True)
class PhotoCheck:
    """Whether a backup's photos come back byte for byte."""

    needed: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_backup_photos(
    refs: list[str],
    backup_folder: Path,
    key: bytes | None,
    *,
    recorded: int | None = None,
    recorded_digest: str = "",
) -> PhotoCheck:
    """Prove every blob of ``refs`` in ``backup_folder/photos`` restores byte for byte (read,
    decrypted with ``key``, SHA-256 equal to its ref), and that ``refs`` are the photos the
    sidecar recorded (``recorded`` count and digest; None: an older sidecar, not compared).
    """
    problems: list[str] = []
    if recorded is not None:
        if recorded != len(refs):
            problems.append(
                f"it names {len(refs):,} photos where {recorded:,} were recorded when it was made"
            )
        elif recorded_digest and recorded_digest != refs_digest(refs):
            problems.append("the photos it names differ from those recorded when it was made")
    store = FolderPhotoStore(backup_photos_folder(backup_folder, key), key)
    bad = [(ref, why) for ref in refs if (why := store.problem(ref)) is not None]
    if bad:
        ref, why = bad[0]
        problems.append(
            f"{bad_count(len(bad), len(refs))} in {store.folder} "
            f"(the first, photo {ref[:12]}: {why})"
        )
    return PhotoCheck(len(refs), problems)


def bad_count(bad: int, total: int) -> str:
    """``3 of its 1,204 photos do not restore``."""
    verb = "does" if bad == 1 else "do"
    return f"{bad:,} of its {total:,} photos {verb} not restore"


@dataclass(frozen=True)
class PhotoRestore:
    """What a restore did with the photos."""

    needed: int
    restored: int
    problems: tuple[str, ...] = ()
    """Refs that neither the data folder nor the backup folder could give back."""


def restore_photos(
    refs: list[str],
    backup_folder: Path,
    store: FolderPhotoStore,
    *,
    backup_key: bytes | None,
) -> PhotoRestore:
    """Bring the blobs of ``refs`` that ``store`` lacks back from ``backup_folder/photos``.

    Each is decrypted and checked against its ref, then put into the data folder's store
    (encrypted with the store's key: a plain backup's photos restored into an encrypted
    clinic are encrypted on the way in). Blobs already in the store are left alone.

    Raises:
        StorageError: the data folder cannot be written.
    """
    source = FolderPhotoStore(backup_photos_folder(backup_folder, backup_key), backup_key)
    restored = 0
    problems: list[str] = []
    for ref in refs:
        if store.exists(ref):
            continue
        try:
            data = source.open_blob(source.read_blob(ref), ref)
        except (BlobProblem, StorageError) as exc:
            log.warning("photo %s not restored: %s", ref, exc)
            problems.append(ref)
            continue
        store.put(data)
        restored += 1
    log.info("restore photos: %d needed, %d restored, %d not", len(refs), restored, len(problems))
    return PhotoRestore(len(refs), restored, tuple(problems))


# ---- exports -------------------------------------------------------------------------------
@dataclass(frozen=True)
class PhotoFile:
    """One photo of an export: where it goes (a relative path) and which blob it is."""

    name: str
    ref: str
    patient_id: int | None = None


_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def _part(value: object) -> str:
    return _UNSAFE.sub("-", str(value or "")).strip("-")[:40] or "unknown"


def photo_files(conn: sqlite3.Connection, *, patient_id: int | None = None) -> list[PhotoFile]:
    """The photos to write into an export, named by date, area and view.

    ``<taken on>_<area>_<view>_photo-<id>.jpg`` (``..._entered-in-error.jpg`` for one entered
    in error, by ``photo_errors``), from the ``photos`` table and its ``photo_sets``; with
    ``patient_id`` only that patient's. A data file without those tables (or with other
    columns) names each needed blob by its ref instead (``<ref>.jpg``).
    """
    photos, sets = _columns(conn, "photos"), _columns(conn, "photo_sets")
    wanted_photos = {"id", "set_id", "view", "ref"}
    wanted_sets = {"id", "patient_id", "area", "taken_on"}
    if not (wanted_photos <= photos and wanted_sets <= sets):
        if patient_id is not None:
            return []  # nothing ties a blob to a patient
        return [PhotoFile(f"{ref}.jpg", ref) for ref in needed_photo_refs(conn)]
    # Entered in error: a row in photo_errors (the core's schema), or a column of photos.
    if "photo_id" in _columns(conn, "photo_errors"):
        error = "EXISTS (SELECT 1 FROM photo_errors e WHERE e.photo_id = p.id)"
    elif "entered_in_error" in photos:
        error = "p.entered_in_error"
    else:
        error = "0"
    sql = (
        f"SELECT p.id, p.ref, p.view, s.area, s.taken_on, s.patient_id, {error} "
        "FROM photos p JOIN photo_sets s ON s.id = p.set_id"
    )
    params: list[object] = []
    if patient_id is not None:
        sql += " WHERE s.patient_id = ?"
        params.append(patient_id)
    sql += " ORDER BY s.patient_id, s.taken_on, p.id"
    files = []
    for photo_id, ref, view, area, taken_on, owner, in_error in conn.execute(sql, params):
        if not ref or not is_ref(str(ref)):
            continue
        name = f"{_part(taken_on)}_{_part(area)}_{_part(view)}_photo-{photo_id}"
        if in_error:
            name += "_entered-in-error"
        files.append(PhotoFile(f"{name}.jpg", str(ref), int(owner)))
    return files


def write_photo_files(
    files: Iterable[PhotoFile], store: FolderPhotoStore, folder: Path
) -> tuple[int, list[str]]:
    """Write each photo's decrypted bytes to ``folder/<name>`` (folders made as needed).

    Returns:
        How many were written, and the names of those whose blob is missing or damaged
        (written as nothing; the export says so).

    Raises:
        OSError: the folder cannot be written (callers wrap it in ``copy_errors``).
    """
    written = 0
    unreadable: list[str] = []
    for item in files:
        try:
            data = store.get(item.ref)
        except StorageError as exc:
            log.warning("photo %s not exported: %s", item.ref, exc)
            unreadable.append(item.name)
            continue
        path = folder / item.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written += 1
    return written, unreadable
