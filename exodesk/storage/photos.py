"""PhotoRepository: photo sets, photo rows, entered-in-error marks, photo consent and ratings.

The images are blobs in the photo store (``storage.photo_store``); these rows hold their refs.
Nothing here deletes: a photo entered in error gets a ``photo_errors`` row, a revoked consent
level a ``photo_consent_revocations`` row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlite_utils import Database

from exodesk.domain.photos import Photo, PhotoConsent, Rating, SetFacts
from exodesk.storage.database import inserted_id
from exodesk.storage.wording import VersionedWording

_PHOTO = (
    "p.id, p.set_id, p.patient_id, p.view, p.ref, p.thumb_ref, p.original_sha256, p.width, "
    "p.height, p.taken_at, p.imported_at, p.imported_by, p.source, e.photo_id, e.reason"
)
_FROM = "FROM photos p LEFT JOIN photo_errors e ON e.photo_id = p.id"


def _photo(row: tuple) -> Photo:
    return Photo(
        id=row[0],
        set_id=row[1],
        patient_id=row[2],
        view=row[3],
        ref=row[4],
        thumb_ref=row[5],
        original_sha256=row[6],
        width=row[7],
        height=row[8],
        taken_at=datetime.fromisoformat(row[9]),
        imported_at=datetime.fromisoformat(row[10]),
        imported_by=int(row[11] or 0),
        source=row[12],
        entered_in_error=row[13] is not None,
        error_reason=row[14],
    )


@dataclass(frozen=True)
class NewPhoto:
    """A photo row to insert (the blobs are already in the store)."""

    set_id: int
    patient_id: int
    view: str
    ref: str
    thumb_ref: str
    original_sha256: str
    width: int
    height: int
    taken_at: datetime
    source: str


@dataclass(frozen=True)
class ThumbRow:
    """What a gallery cell needs: the photo id, its set, view, date and thumbnail ref."""

    id: int
    set_id: int
    view: str
    taken_at: datetime
    thumb_ref: str


class PhotoRepository:
    """Reads and writes the photo tables of one data file."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # ---- sets ----------------------------------------------------------------------------
    def add_set(
        self,
        patient_id: int,
        area: str,
        *,
        session_id: int | None,
        course_id: int | None,
        taken_on: date,
        at: datetime,
        by: int | None,
    ) -> int:
        cur = self._db.execute(
            "INSERT INTO photo_sets (patient_id, area, session_id, course_id, taken_on, "
            "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [patient_id, area, session_id, course_id, taken_on.isoformat(), at.isoformat(), by],
        )
        return inserted_id(cur.lastrowid)

    def set_facts(self, patient_id: int) -> list[SetFacts]:
        """Every set of the patient, oldest first."""
        rows = self._db.execute(
            "SELECT id, area, course_id, session_id, taken_on FROM photo_sets "
            "WHERE patient_id = ? ORDER BY taken_on, id",
            [patient_id],
        ).fetchall()
        return [SetFacts(r[0], r[1], r[2], r[3], date.fromisoformat(r[4])) for r in rows]

    def set_owner(self, set_id: int) -> tuple[int, str] | None:
        """(patient id, area) of a set, or None when there is no such set."""
        row = self._db.execute(
            "SELECT patient_id, area FROM photo_sets WHERE id = ?", [set_id]
        ).fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def sets_with_photos(self, patient_id: int) -> set[int]:
        rows = self._db.execute(
            "SELECT DISTINCT p.set_id FROM photos p LEFT JOIN photo_errors e "
            "ON e.photo_id = p.id WHERE p.patient_id = ? AND e.photo_id IS NULL",
            [patient_id],
        ).fetchall()
        return {int(r[0]) for r in rows}

    def course_has_set(self, course_id: int, area: str) -> bool:
        """Whether a set of ``area`` with at least one photo (not in error) exists for the
        course."""
        row = self._db.execute(
            "SELECT 1 FROM photo_sets s JOIN photos p ON p.set_id = s.id "
            "LEFT JOIN photo_errors e ON e.photo_id = p.id "
            "WHERE s.course_id = ? AND s.area = ? AND e.photo_id IS NULL LIMIT 1",
            [course_id, area],
        ).fetchone()
        return row is not None

    def loose_set_between(self, patient_id: int, area: str, first: date, last: date) -> bool:
        """Whether a set of ``area`` outside any course, with a photo (not in error), was
        taken between ``first`` and ``last`` (both included)."""
        row = self._db.execute(
            "SELECT 1 FROM photo_sets s JOIN photos p ON p.set_id = s.id "
            "LEFT JOIN photo_errors e ON e.photo_id = p.id "
            "WHERE s.patient_id = ? AND s.course_id IS NULL AND s.area = ? "
            "AND s.taken_on BETWEEN ? AND ? AND e.photo_id IS NULL LIMIT 1",
            [patient_id, area, first.isoformat(), last.isoformat()],
        ).fetchone()
        return row is not None

    # ---- photos --------------------------------------------------------------------------
    def add_photo(self, photo: NewPhoto, *, at: datetime, by: int | None) -> int:
        cur = self._db.execute(
            "INSERT INTO photos (set_id, patient_id, view, ref, thumb_ref, original_sha256, "
            "width, height, taken_at, source, imported_by, imported_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                photo.set_id,
                photo.patient_id,
                photo.view,
                photo.ref,
                photo.thumb_ref,
                photo.original_sha256,
                photo.width,
                photo.height,
                photo.taken_at.isoformat(),
                photo.source,
                by,
                at.isoformat(),
            ],
        )
        return inserted_id(cur.lastrowid)

    def photo(self, photo_id: int) -> Photo | None:
        row = self._db.execute(f"SELECT {_PHOTO} {_FROM} WHERE p.id = ?", [photo_id]).fetchone()
        return _photo(row) if row else None

    def photos_of_set(self, set_id: int, *, include_errors: bool = False) -> list[Photo]:
        hide = "" if include_errors else "AND e.photo_id IS NULL"
        rows = self._db.execute(
            f"SELECT {_PHOTO} {_FROM} WHERE p.set_id = ? {hide} ORDER BY p.id", [set_id]
        ).fetchall()
        return [_photo(r) for r in rows]

    def photos_of_patient(
        self,
        patient_id: int,
        *,
        area: str | None = None,
        view: str | None = None,
        include_errors: bool = False,
    ) -> list[Photo]:
        """The patient's photos, newest first (by the set's day, then when taken)."""
        where = ["p.patient_id = ?"]
        params: list[object] = [patient_id]
        if not include_errors:
            where.append("e.photo_id IS NULL")
        if area is not None:
            where.append("s.area = ?")
            params.append(area)
        if view is not None:
            where.append("p.view = ?")
            params.append(view)
        rows = self._db.execute(
            f"SELECT {_PHOTO} {_FROM} JOIN photo_sets s ON s.id = p.set_id "
            f"WHERE {' AND '.join(where)} ORDER BY s.taken_on DESC, p.taken_at DESC, p.id DESC",
            params,
        ).fetchall()
        return [_photo(r) for r in rows]

    def thumbs(self, patient_id: int, *, limit: int, offset: int = 0) -> list[ThumbRow]:
        """One page of the gallery's thumbnails, newest first (entered in error left out)."""
        rows = self._db.execute(
            "SELECT p.id, p.set_id, p.view, p.taken_at, p.thumb_ref FROM photos p "
            "JOIN photo_sets s ON s.id = p.set_id "
            "LEFT JOIN photo_errors e ON e.photo_id = p.id "
            "WHERE p.patient_id = ? AND e.photo_id IS NULL "
            "ORDER BY s.taken_on DESC, p.taken_at DESC, p.id DESC LIMIT ? OFFSET ?",
            [patient_id, limit, offset],
        ).fetchall()
        return [ThumbRow(r[0], r[1], r[2], datetime.fromisoformat(r[3]), r[4]) for r in rows]

    def mark_error(self, photo_id: int, reason: str, *, at: datetime, by: int | None) -> None:
        self._db.execute(
            "INSERT INTO photo_errors (photo_id, reason, marked_by, marked_at) VALUES (?, ?, ?, ?)",
            [photo_id, reason, by, at.isoformat()],
        )

    def refs(self) -> set[str]:
        """Every blob ref the data file names (photos and thumbnails, in error or not)."""
        rows = self._db.execute("SELECT ref, thumb_ref FROM photos").fetchall()
        return {r for row in rows for r in row}

    # ---- consent -------------------------------------------------------------------------
    def latest_consent_text(self) -> tuple[int, int, str] | None:
        """(id, version, text) of the newest consent text, or None if none was ever saved."""
        return VersionedWording(self._db, "photo_consent_texts").latest()

    def consent_text_of_version(self, version: int) -> str | None:
        """The words of one consent text version, or None if that version was never saved."""
        return VersionedWording(self._db, "photo_consent_texts").of_version(version)

    def add_consent_text(self, text: str, *, at: datetime, by: int | None) -> tuple[int, int]:
        return VersionedWording(self._db, "photo_consent_texts").add(text, at=at, by=by)

    def add_consent(
        self,
        patient_id: int,
        text_id: int,
        levels: frozenset[str],
        signed_name: str,
        signed_on: date,
        signature_png: bytes,
        *,
        at: datetime,
        by: int | None,
    ) -> int:
        cur = self._db.execute(
            "INSERT INTO photo_consents (patient_id, consent_text_id, levels, signed_name, "
            "signed_on, signature_png, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                patient_id,
                text_id,
                json.dumps(sorted(levels)),
                signed_name,
                signed_on.isoformat(),
                signature_png,
                by,
                at.isoformat(),
            ],
        )
        return inserted_id(cur.lastrowid)

    def consent(self, patient_id: int) -> PhotoConsent | None:
        """The patient's newest signed photo consent, less the levels revoked since."""
        row = self._db.execute(
            "SELECT c.id, c.levels, t.version, c.signed_name, c.signed_on, c.signature_png, "
            "st.name, c.recorded_at FROM photo_consents c "
            "JOIN photo_consent_texts t ON t.id = c.consent_text_id "
            "LEFT JOIN staff st ON st.id = c.recorded_by "
            "WHERE c.patient_id = ? ORDER BY c.id DESC LIMIT 1",
            [patient_id],
        ).fetchone()
        if row is None:
            return None
        revoked = tuple(
            (str(r[0]), str(r[1] or ""), datetime.fromisoformat(r[2]))
            for r in self._db.execute(
                "SELECT v.level, st.name, v.revoked_at FROM photo_consent_revocations v "
                "LEFT JOIN staff st ON st.id = v.revoked_by WHERE v.consent_id = ? ORDER BY v.id",
                [row[0]],
            ).fetchall()
        )
        signed = frozenset(json.loads(row[1]))
        gone = {level for level, _, _ in revoked}
        # Without the record level nothing else stands (teaching needs photos to exist).
        levels = frozenset() if "record" in gone else signed - gone
        return PhotoConsent(
            id=int(row[0]),
            patient_id=patient_id,
            levels=levels,
            signed_levels=signed,
            text_version=int(row[2]),
            signed_name=row[3],
            signed_on=date.fromisoformat(row[4]),
            signature_png=bytes(row[5]),
            recorded_by=str(row[6] or ""),
            recorded_at=datetime.fromisoformat(row[7]),
            revoked=revoked,
        )

    def revoke(self, consent_id: int, level: str, *, at: datetime, by: int | None) -> int:
        cur = self._db.execute(
            "INSERT INTO photo_consent_revocations (consent_id, level, revoked_by, revoked_at) "
            "VALUES (?, ?, ?, ?)",
            [consent_id, level, by, at.isoformat()],
        )
        return inserted_id(cur.lastrowid)

    # ---- ratings -------------------------------------------------------------------------
    def add_rating(
        self, set_id: int, scale: str, value: str, *, at: datetime, by: int | None
    ) -> int:
        cur = self._db.execute(
            "INSERT INTO photo_ratings (set_id, scale, value, rated_by, rated_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [set_id, scale, value, by, at.isoformat()],
        )
        return inserted_id(cur.lastrowid)

    def ratings(self, patient_id: int) -> list[Rating]:
        """Every rating of the patient's sets, oldest first."""
        rows = self._db.execute(
            "SELECT r.set_id, r.scale, r.value, st.name, r.rated_at, s.taken_on "
            "FROM photo_ratings r JOIN photo_sets s ON s.id = r.set_id "
            "LEFT JOIN staff st ON st.id = r.rated_by "
            "WHERE s.patient_id = ? ORDER BY r.rated_at, r.id",
            [patient_id],
        ).fetchall()
        return [
            Rating(
                set_id=r[0],
                scale=r[1],
                value=r[2],
                rated_by=str(r[3] or ""),
                rated_at=datetime.fromisoformat(r[4]),
                taken_on=date.fromisoformat(r[5]),
            )
            for r in rows
        ]
