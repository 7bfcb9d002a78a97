"""Photo rows for the store's tests, in the columns of the core's 0010_photos migration.

The backups, drills, restores and exports read ``photos.ref``/``thumb_ref`` and, for file
names, ``photo_sets`` (patient, area, day) and ``photo_errors``. Until the core's migration is
in the data file, these tables are created here with the same columns (``IF NOT EXISTS``: once
it is, the real tables are used and every NOT NULL column below is filled).
"""

from __future__ import annotations

from datetime import date

from sqlite_utils import Database

from exodesk.domain.patient import Patient
from exodesk.services.workspace import Services

_TABLES = """
CREATE TABLE IF NOT EXISTS photo_sets (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    area TEXT NOT NULL,
    session_id INTEGER,
    course_id INTEGER,
    taken_on TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by INTEGER
);
CREATE TABLE IF NOT EXISTS photos (
    id INTEGER PRIMARY KEY,
    set_id INTEGER NOT NULL REFERENCES photo_sets(id),
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    view TEXT NOT NULL,
    ref TEXT NOT NULL,
    thumb_ref TEXT NOT NULL,
    original_sha256 TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    taken_at TEXT NOT NULL,
    source TEXT NOT NULL,
    imported_by INTEGER,
    imported_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS photo_errors (
    photo_id INTEGER PRIMARY KEY REFERENCES photos(id),
    reason TEXT NOT NULL,
    marked_by INTEGER,
    marked_at TEXT NOT NULL
);
"""


def photo_tables(db: Database) -> None:
    """The photo tables, if the data file does not have them yet."""
    db.conn.executescript(_TABLES)


def some_patient(svc: Services) -> int:
    """The first patient, made if there is none."""
    row = svc.ctx.db.execute("SELECT id FROM patients ORDER BY id LIMIT 1").fetchone()
    if row:
        return int(row[0])
    result = svc.patients.create(Patient("Photo", "Pat", date(1980, 5, 1)))
    assert result.ok, result.problems
    return int(result.record.id)


def new_set(db: Database, patient_id: int, area: str = "face", taken_on: str = "2026-03-12") -> int:
    photo_tables(db)
    with db.conn:
        cursor = db.execute(
            "INSERT INTO photo_sets (patient_id, area, taken_on, created_at) VALUES (?, ?, ?, ?)",
            [patient_id, area, taken_on, f"{taken_on}T10:00:00+00:00"],
        )
    return int(cursor.lastrowid or 0)


def add_row(
    db: Database,
    set_id: int,
    ref: str,
    thumb_ref: str,
    *,
    view: str = "front",
    in_error: bool = False,
) -> int:
    """A photo row naming ``ref`` and ``thumb_ref`` in set ``set_id``; its id."""
    photo_tables(db)
    with db.conn:
        patient_id, taken_on = db.execute(
            "SELECT patient_id, taken_on FROM photo_sets WHERE id = ?", [set_id]
        ).fetchone()
        cursor = db.execute(
            "INSERT INTO photos (set_id, patient_id, view, ref, thumb_ref, original_sha256, "
            "width, height, taken_at, source, imported_at) "
            "VALUES (?, ?, ?, ?, ?, ?, 2048, 1536, ?, 'file', ?)",
            [set_id, patient_id, view, ref, thumb_ref, ref, taken_on, taken_on],
        )
        photo_id = int(cursor.lastrowid or 0)
        if in_error:
            db.execute(
                "INSERT INTO photo_errors (photo_id, reason, marked_at) VALUES (?, ?, ?)",
                [photo_id, "wrong patient", taken_on],
            )
    return photo_id


def name_refs(svc: Services, refs: list[str]) -> None:
    """Rows naming each of ``refs`` (as photo and thumbnail) for some patient: what a backup
    needs to carry them."""
    db = svc.ctx.db
    set_id = new_set(db, some_patient(svc))
    rows = [(set_id, ref) for ref in refs]
    photo_tables(db)
    patient_id = some_patient(svc)
    with db.conn:
        db.conn.executemany(
            "INSERT INTO photos (set_id, patient_id, view, ref, thumb_ref, original_sha256, "
            "width, height, taken_at, source, imported_at) "
            f"VALUES (?, {patient_id}, 'front', ?, ?, '', 1, 1, '2026-03-12', 'file', "
            "'2026-03-12')",
            [(s, r, r) for s, r in rows],
        )
