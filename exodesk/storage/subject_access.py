"""SubjectAccessRepository: every row linked to one patient, found by walking the schema."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from exodesk.storage.backup import data_tables, quote, read_snapshot

log = logging.getLogger(__name__)

# How each table's rows are reached from the patient (":pid"), in the order the export lists
# them. Every condition ends at the patient's own id, so no other patient's row can match.
_SCREENINGS = "SELECT id FROM screenings WHERE patient_id = :pid"
_SESSIONS = "SELECT id FROM sessions WHERE patient_id = :pid"
_LOTS = f"SELECT lot_id FROM session_products WHERE session_id IN ({_SESSIONS})"
LINKS: dict[str, str] = {
    "patients": "id = :pid",
    "patient_allergies": "patient_id = :pid",
    "no_known_allergies": "patient_id = :pid",
    "allergens": "id IN (SELECT allergen_id FROM patient_allergies WHERE patient_id = :pid)",
    "screenings": "patient_id = :pid",
    "screening_answers": f"screening_id IN ({_SCREENINGS})",
    "screening_verdicts": f"screening_id IN ({_SCREENINGS})",
    "screening_signoffs": f"screening_id IN ({_SCREENINGS})",
    "screening_overrides": f"screening_id IN ({_SCREENINGS})",
    "consents": f"screening_id IN ({_SCREENINGS})",
    "consent_texts": (
        f"id IN (SELECT consent_text_id FROM consents WHERE screening_id IN ({_SCREENINGS}))"
    ),
    "courses": "patient_id = :pid",
    "due_list_marks": "course_id IN (SELECT id FROM courses WHERE patient_id = :pid)",
    "sessions": "patient_id = :pid",
    "session_products": f"session_id IN ({_SESSIONS})",
    "lots": f"id IN ({_LOTS})",
    "products": f"id IN (SELECT product_id FROM lots WHERE id IN ({_LOTS}))",
    "adverse_events": f"session_id IN ({_SESSIONS})",
    "documents_issued": f"patient_id = :pid OR session_id IN ({_SESSIONS})",
    # Only entries about this patient: entries about a shared lot or product name no patient.
    "audit_log": "patient_id = :pid",
}

# Shared facts reached through the patient's records (a lot treats many patients): they are
# exported for what they are, but never followed further to other records.
SHARED_TABLES = frozenset({"consent_texts", "lots", "products", "allergens"})

# Tables that hold nothing about any one patient, and why they are left out.
NOT_EXPORTED: dict[str, str] = {
    "staff": "the clinic's staff; they appear by name on the records they made",
    "settings": "the clinic's own preferences",
    "audit_head": "a pointer to the newest audit entry, kept to show the trail is whole",
    "signing_keys": "staff's public keys that prove who wrote each audit entry",
    "audit_signatures": "proof of who wrote each audit entry (the entries about the patient "
    "are exported)",
    "editable_texts": "the clinic's wording; each handout issued keeps what it said",
    "stored_images": "the clinic's logo",
    "protocol_templates": "the clinic's standard treatment plans",
    "product_allergens": "the catalogue's allergen list per product; exported products carry "
    "their ingredients",
    "_sqlite_migrations": "which schema changes the data file has had",
}


@dataclass(frozen=True)
class PatientRecords:
    """The stored rows linked to one patient, as read (values as SQLite holds them).

    Attributes:
        tables: Table name to rows (column → value), in ``LINKS`` order, then any table the
            schema walk found that names the patient; staff columns hold staff names.
        unlinked: Tables neither listed nor reachable from the patient (logged, not read).
    """

    tables: dict[str, list[dict[str, Any]]]
    unlinked: tuple[str, ...] = ()


class SubjectAccessRepository:
    """Reads everything linked to one patient, in one consistent snapshot of the file."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def patient_exists(self, patient_id: int) -> bool:
        return (
            self._db.execute("SELECT 1 FROM patients WHERE id = ?", [patient_id]).fetchone()
            is not None
        )

    def links(self) -> tuple[dict[str, str], tuple[str, ...]]:
        """Return how each table is reached from the patient, and the tables that cannot be.

        The listed ``LINKS`` first; then the schema is walked for tables added since: one
        with a ``patient_id`` column is reached through it, one with a foreign key to a table
        of the patient's own records through that key. Shared tables are never followed.
        """
        links = {table: where for table, where in LINKS.items() if self._has(table)}
        unlinked: list[str] = []
        for table in data_tables(self._db.conn):
            if table in links or table in NOT_EXPORTED:
                continue
            where = self._walk(table, links)
            if where is None:
                unlinked.append(table)
            else:
                links[table] = where
        return links, tuple(unlinked)

    def records(self, patient_id: int) -> PatientRecords:
        """Every row linked to the patient, each table in its key order."""
        conn = self._db.conn
        with read_snapshot(conn):
            links, unlinked = self.links()
            if unlinked:
                log.warning("tables not linked to patients, left out of exports: %s", unlinked)
            staff = dict(conn.execute("SELECT id, name FROM staff").fetchall())
            tables: dict[str, list[dict[str, Any]]] = {}
            for table, where in links.items():
                columns = [r[1] for r in conn.execute(f"PRAGMA table_info({quote(table)})")]
                renames = self._staff_columns(table, columns)
                cursor = conn.execute(
                    f"SELECT * FROM {quote(table)} WHERE {where} ORDER BY {self._order_by(table)}",
                    {"pid": patient_id},
                )
                rows = []
                for values in cursor.fetchall():
                    row: dict[str, Any] = {}
                    for column, value in zip(columns, values, strict=True):
                        if column not in renames:
                            row[column] = value
                        elif renames[column] is not None:
                            row[str(renames[column])] = staff.get(value) if value else None
                    rows.append(row)
                tables[table] = rows
        return PatientRecords(tables, unlinked)

    # ---- the schema --------------------------------------------------------------------
    def _has(self, table: str) -> bool:
        return bool(self._db.execute(f"PRAGMA table_info({quote(table)})").fetchall())

    def _walk(self, table: str, links: dict[str, str]) -> str | None:
        columns = {r[1] for r in self._db.execute(f"PRAGMA table_info({quote(table)})")}
        if "patient_id" in columns:
            return "patient_id = :pid"
        for fk in self._db.execute(f"PRAGMA foreign_key_list({quote(table)})").fetchall():
            target, source, target_column = fk[2], fk[3], fk[4] or "id"
            if target in links and target not in SHARED_TABLES:
                return (
                    f"{quote(source)} IN (SELECT {quote(target_column)} FROM {quote(target)} "
                    f"WHERE {links[target]})"
                )
        return None

    def _staff_columns(self, table: str, columns: list[str]) -> dict[str, str | None]:
        """Columns pointing to staff, renamed to hold a name (``None``: left out).

        ``practitioner_id`` becomes ``practitioner``, ``recorded_by`` stays; an id beside a
        ``<who>_name`` column (the audit trail's actor) is left out, the name kept.
        """
        renames: dict[str, str | None] = {}
        for fk in self._db.execute(f"PRAGMA foreign_key_list({quote(table)})").fetchall():
            if fk[2] != "staff":
                continue
            column = fk[3]
            base = column.removesuffix("_id")
            if base != column and f"{base}_name" in columns:
                renames[column] = None
            else:
                renames[column] = base
        return renames

    def _order_by(self, table: str) -> str:
        info = self._db.execute(f"PRAGMA table_info({quote(table)})").fetchall()
        keys = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]]
        return ", ".join(quote(k) for k in keys) or "rowid"
