"""The whole-clinic export: every data table as CSV and JSON, with a README in plain words.

The README's wording is data, not code: ``resources/export/readme.txt`` opens it and
``resources/export/tables.json`` says what each table and column holds.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from exodesk import __version__
from exodesk.domain.spreadsheet import SafeCsvWriter
from exodesk.errors import UserError
from exodesk.paths import RESOURCES
from exodesk.storage.backup import (
    PARTIAL_SUFFIX,
    copy_errors,
    data_tables,
    fsync_file,
    fsync_folder,
    read_snapshot,
    table_columns,
    table_rows,
)
from exodesk.storage.backup_files import STAMP_FORMAT, when_words
from exodesk.storage.data_file import DataFileRepository
from exodesk.storage.engine import connection_key
from exodesk.storage.migrations import schema_state
from exodesk.storage.photo_backup import PhotoFile, photo_files, write_photo_files
from exodesk.storage.photo_store import FolderPhotoStore, photos_folder

EXPORT_RESOURCES = RESOURCES / "export"


@dataclass(frozen=True)
class ExportResult:
    """Where an export went and how many rows each table had."""

    folder: Path
    tables: dict[str, int]
    photos: int = 0
    """Photos written (decrypted JPEGs) into the export's ``photos`` folder."""
    photos_unreadable: int = 0
    """Photos the records name whose file in the data folder is missing or damaged."""

    def sentence(self) -> str:
        rows = sum(self.tables.values())
        photos = f" and {self.photos:,} photos" if self.photos else ""
        text = f"Exported {len(self.tables)} tables ({rows:,} rows){photos} to {self.folder}."
        if self.photos_unreadable:
            text += (
                f" {self.photos_unreadable:,} photos could not be read (missing or damaged in "
                "the data folder), so they are not in it."
            )
        return text


def _csv_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return f"({len(value):,} bytes: see the JSON file)"
    return value


def _json_value(value: Any) -> Any:
    return base64.b64encode(value).decode("ascii") if isinstance(value, bytes) else value


def export_data(
    db: Database, to_dir: Path, *, now: datetime, source: Path | None = None
) -> ExportResult:
    """Write every data table as CSV and JSON, with a README, into a new folder in ``to_dir``.

    The files are written into a hidden ``.partial`` folder that is renamed only when all
    are complete; on failure it is removed, so no partial export is left behind.

    Raises:
        UserError: ``to_dir`` does not exist.
        StorageError: the files could not be written.
    """
    to_dir = Path(to_dir)
    if not to_dir.is_dir():
        raise UserError(
            f"The folder {to_dir} does not exist, so nothing was exported.",
            advice="Choose an existing folder (is the USB stick or network drive connected?).",
        )
    # Read before anything is written: a missing wording file is a broken install, not a
    # folder that went away (which is what copy_errors would call a missing file).
    export_guide()
    name = f"exodesk-export-{now.astimezone(UTC):{STAMP_FORMAT}}"
    final, n = to_dir / name, 2
    while final.exists():
        final, n = to_dir / f"{name}-{n}", n + 1
    work = to_dir / f".{final.name}{PARTIAL_SUFFIX}"
    conn = db.conn
    tables: dict[str, int] = {}
    columns: dict[str, list[tuple[str, str]]] = {}
    data_file = DataFileRepository(db).path()
    store = (
        FolderPhotoStore(photos_folder(data_file.parent), connection_key(conn))
        if data_file is not None
        else None
    )
    try:
        with copy_errors(to_dir, outcome="nothing was exported"):
            work.mkdir()
            with read_snapshot(conn):
                schema_version = schema_state(db).version
                for table in data_tables(conn):
                    everything = table_columns(conn, table)
                    tables[table] = _export_table(conn, table, everything, work)
                    columns[table] = _public(table, everything)
                photos = [_in_patient_folder(f) for f in photo_files(conn)] if store else []
            written, unreadable = write_photo_files(photos, store, work) if store else (0, [])
            readme = export_readme(
                tables,
                columns,
                now=now,
                source=source,
                schema_version=schema_version,
                photos=written,
            )
            (work / "README.txt").write_text(readme, encoding="utf-8-sig", newline="\r\n")
            for path in sorted(work.rglob("*"), reverse=True):
                if path.is_dir():
                    fsync_folder(path)
                else:
                    fsync_file(path)
            fsync_folder(work)
            os.replace(work, final)
            fsync_folder(to_dir)
    except BaseException:
        # Best effort on a failure path (the drive may be gone): the folder name starts with a
        # dot and ends in .partial, so a leftover is never taken for an export.
        shutil.rmtree(work, ignore_errors=True)
        raise
    return ExportResult(final, tables, written, len(unreadable))


def _in_patient_folder(item: PhotoFile) -> PhotoFile:
    """``photos/patient-<id>/<name>`` (``photos/<name>`` for a photo tied to no patient)."""
    folder = (
        f"{PHOTOS_EXPORT_FOLDER}/patient-{item.patient_id}"
        if item.patient_id
        else (PHOTOS_EXPORT_FOLDER)
    )
    return PhotoFile(f"{folder}/{item.name}", item.ref, item.patient_id)


PHOTOS_EXPORT_FOLDER = "photos"


SECRET_COLUMNS = frozenset({("staff", "password_hash")})
"""Never exported: a password hash is a secret even though nobody can read the password."""


def _public(table: str, cols: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [c for c in cols if (table, c[0]) not in SECRET_COLUMNS]


def _export_table(conn: Any, table: str, cols: list[tuple[str, str]], work: Path) -> int:
    names = [c for c, _ in cols]
    public = [i for i, (name, _) in enumerate(cols) if (table, name) not in SECRET_COLUMNS]
    in_csv = [i for i in public if "BLOB" not in cols[i][1].upper()]
    rows = 0
    with (
        (work / f"{table}.csv").open("w", encoding="utf-8-sig", newline="") as csv_file,
        (work / f"{table}.json").open("w", encoding="utf-8") as json_file,
    ):
        writer = SafeCsvWriter(csv_file)
        writer.writerow([names[i] for i in in_csv])
        json_file.write("[")
        for row in table_rows(conn, table):
            writer.writerow([_csv_value(row[i]) for i in in_csv])
            item = {names[i]: _json_value(row[i]) for i in public}
            json_file.write(("," if rows else "") + "\n  " + json.dumps(item, ensure_ascii=False))
            rows += 1
        json_file.write("\n]\n" if rows else "]\n")
    return rows


# ---- the README --------------------------------------------------------------------------
@dataclass(frozen=True)
class ExportGuide:
    """The README's wording (``resources/export``): its opening and each table in words."""

    opening: string.Template
    """Filled in with ``$made``, ``$version``, ``$source`` and ``$schema_version``."""
    tables: dict[str, tuple[str, dict[str, str]]]
    """table -> (what a row is, {column: plain words}); other columns: ``common_columns``."""
    common_columns: dict[str, str]
    column_types: dict[str, str]
    """Words for a column described nowhere else: integer, real, blob, text or other."""
    undescribed_table: str
    photos: str = ""
    """The README's paragraph on the ``photos`` folder (``$count`` photos)."""


@cache
def export_guide() -> ExportGuide:
    """The README's wording, read once from ``resources/export``."""
    opening = (EXPORT_RESOURCES / "readme.txt").read_text(encoding="utf-8")
    data = json.loads((EXPORT_RESOURCES / "tables.json").read_text(encoding="utf-8"))
    return ExportGuide(
        opening=string.Template(opening),
        tables={
            str(name): (str(table["about"]), {str(k): str(v) for k, v in table["columns"].items()})
            for name, table in data["tables"].items()
        },
        common_columns={str(k): str(v) for k, v in data["common_columns"].items()},
        column_types={str(k): str(v) for k, v in data["column_types"].items()},
        undescribed_table=str(data["undescribed_table"]),
        photos=str(data.get("photos_folder", "")),
    )


def _type_words(declared: str, words: Mapping[str, str]) -> str:
    kind = declared.upper()
    if "INT" in kind:
        return words["integer"]
    if "REAL" in kind or "FLOA" in kind or "DOUB" in kind:
        return words["real"]
    if "BLOB" in kind:
        return words["blob"]
    return words["text"] if "CHAR" in kind or "TEXT" in kind else words["other"]


def export_readme(
    tables: Mapping[str, int],
    columns: Mapping[str, Iterable[tuple[str, str]]],
    *,
    now: datetime,
    source: Path | None,
    schema_version: int,
    photos: int = 0,
) -> str:
    """The README.txt of an export: how the files work, the photos folder (if it has any),
    then each table's columns in words."""
    guide = export_guide()
    opening = guide.opening.substitute(
        made=when_words(now),
        version=__version__,
        source=source or "the data file",
        schema_version=schema_version,
    )
    lines = opening.splitlines()
    if photos and guide.photos:
        paragraph = string.Template(guide.photos).substitute(count=f"{photos:,}")
        at = lines.index("Tables") if "Tables" in lines else len(lines)
        lines[at:at] = [*paragraph.splitlines(), ""]
    for table in sorted(tables):
        what, words = guide.tables.get(table, (guide.undescribed_table, {}))
        lines += ["", f"{table} ({tables[table]:,} rows): {what}"]
        for name, declared in columns.get(table, ()):
            plain = (
                words.get(name)
                or guide.common_columns.get(name)
                or _type_words(declared, guide.column_types)
            )
            lines.append(f"  {name}: {plain}")
    return "\n".join(lines) + "\n"
