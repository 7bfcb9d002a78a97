"""DocumentRepository: clinic-editable texts (versioned), stored images, documents issued."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from exodesk.storage.database import inserted_id


@dataclass(frozen=True)
class TextVersion:
    """One saved version of a clinic-editable text."""

    kind: str
    key: str
    version: int
    body: str
    is_default: bool
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class IssuedDocument:
    """A document that was printed or saved for a patient (or for the rack)."""

    id: int
    patient_id: int | None
    session_id: int | None
    kind: str
    template: str
    template_version: str
    payload: str
    sha256: str
    how: str
    issued_at: datetime
    issued_by: str


class DocumentRepository:
    """Reads and writes editable texts, images and the issue log."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # ---- editable texts ------------------------------------------------------------------
    def latest_text(self, kind: str, key: str) -> TextVersion | None:
        row = self._db.execute(
            "SELECT t.kind, t.key, t.version, t.body, t.is_default, t.created_at, "
            "coalesce(s.name, '') FROM editable_texts t LEFT JOIN staff s ON s.id = t.created_by "
            "WHERE t.kind = ? AND t.key = ? ORDER BY t.version DESC LIMIT 1",
            [kind, key],
        ).fetchone()
        return _text(row) if row else None

    def add_text(
        self, kind: str, key: str, body: str, *, is_default: bool, at: str, by: int | None
    ) -> int:
        latest = self.latest_text(kind, key)
        version = latest.version + 1 if latest else 1
        self._db.execute(
            "INSERT INTO editable_texts (kind, key, version, body, is_default, created_at, "
            "created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [kind, key, version, body, int(is_default), at, by],
        )
        return version

    # ---- images --------------------------------------------------------------------------
    def store_image(self, png: bytes) -> str:
        digest = hashlib.sha256(png).hexdigest()
        self._db.execute(
            "INSERT OR IGNORE INTO stored_images (sha256, png) VALUES (?, ?)", [digest, png]
        )
        return digest

    def image(self, digest: str) -> bytes | None:
        row = self._db.execute(
            "SELECT png FROM stored_images WHERE sha256 = ?", [digest]
        ).fetchone()
        return bytes(row[0]) if row else None

    # ---- the issue log -------------------------------------------------------------------
    def add_issue(
        self,
        *,
        patient_id: int | None,
        session_id: int | None,
        kind: str,
        template: str,
        template_version: str,
        payload: str,
        sha256: str,
        how: str,
        at: str,
        by: int,
    ) -> int:
        cur = self._db.execute(
            "INSERT INTO documents_issued (patient_id, session_id, kind, template, "
            "template_version, payload, sha256, how, issued_at, issued_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                patient_id,
                session_id,
                kind,
                template,
                template_version,
                payload,
                sha256,
                how,
                at,
                by,
            ],
        )
        return inserted_id(cur.lastrowid)

    def issued_for(self, patient_id: int) -> list[IssuedDocument]:
        rows = self._db.execute(
            f"{_ISSUED} WHERE d.patient_id = ? ORDER BY d.issued_at DESC, d.id DESC",
            [patient_id],
        ).fetchall()
        return [_issued(r) for r in rows]

    def issue(self, document_id: int) -> IssuedDocument | None:
        row = self._db.execute(f"{_ISSUED} WHERE d.id = ?", [document_id]).fetchone()
        return _issued(row) if row else None


_ISSUED = (
    "SELECT d.id, d.patient_id, d.session_id, d.kind, d.template, d.template_version, "
    "d.payload, d.sha256, d.how, d.issued_at, s.name FROM documents_issued d "
    "JOIN staff s ON s.id = d.issued_by"
)


def _text(row: tuple) -> TextVersion:
    return TextVersion(
        row[0], row[1], int(row[2]), row[3], bool(row[4]), datetime.fromisoformat(row[5]), row[6]
    )


def _issued(row: tuple) -> IssuedDocument:
    return IssuedDocument(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        row[6],
        row[7],
        row[8],
        datetime.fromisoformat(row[9]),
        row[10],
    )
