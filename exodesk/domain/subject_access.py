"""A patient's subject access export: what it holds, how each table is described, its JSON form."""

from __future__ import annotations

import base64
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

FORMAT_NAME = "exodesk-subject-access"
FORMAT_VERSION = 1

# Where a long name is cut in a file name; the patient number keeps the name unique anyway.
_FILE_NAME_CHARS = 60
_UNSAFE_FILE_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')


@dataclass(frozen=True)
class TableInfo:
    """What one exported table holds and how its rows are tied to the patient.

    Attributes:
        description: What the rows are, in plain words.
        linked_by: Why a row belongs in this patient's export.
    """

    description: str
    linked_by: str


# The tables of an export, in the order they are listed. A table the data file gains later
# (and that names the patient) is exported too, after these, with ``OTHER_TABLE``.
TABLES: dict[str, TableInfo] = {
    "patients": TableInfo(
        "Your details as registered: name, date of birth, contact details, GP, alerts, notes.",
        "your own record",
    ),
    "patient_allergies": TableInfo(
        "Your allergies, every version: a corrected allergy keeps the earlier version (status "
        "'amended'), and one entered in error is kept and marked so.",
        "patient_id is you",
    ),
    "no_known_allergies": TableInfo(
        "Each time it was recorded that you have no known allergies.",
        "patient_id is you",
    ),
    "allergens": TableInfo(
        "The substances on the clinic's allergy list that your allergies name.",
        "named by one of your allergies",
    ),
    "screenings": TableInfo(
        "Each health screening taken, every version: an amended screening keeps the earlier "
        "version, marked superseded. 'result' is the outcome for each treatment as judged then.",
        "patient_id is you",
    ),
    "screening_answers": TableInfo(
        "Your answer to each screening question, one row per question answered.",
        "screening_id is one of your screenings",
    ),
    "screening_verdicts": TableInfo(
        "The outcome of each screening for each treatment.",
        "screening_id is one of your screenings",
    ),
    "screening_signoffs": TableInfo(
        "A clinician's review of a screening outcome for one treatment, with their note.",
        "screening_id is one of your screenings",
    ),
    "screening_overrides": TableInfo(
        "A clinician's decision to go ahead despite a screening outcome, with the reason.",
        "screening_id is one of your screenings",
    ),
    "consents": TableInfo(
        "Your consent to treatment: the name you signed with, the day, and your drawn "
        "signature (a PNG image).",
        "screening_id is one of your screenings",
    ),
    "consent_texts": TableInfo(
        "The exact wording of each consent form you signed.",
        "named by one of your consents",
    ),
    "courses": TableInfo(
        "Treatment courses (a plan of several sessions) started for you.",
        "patient_id is you",
    ),
    "due_list_marks": TableInfo(
        "Notes on the clinic's call list that you were called about your next session, or "
        "that it was booked: when, and by whom.",
        "course_id is one of your courses",
    ),
    "sessions": TableInfo(
        "Each treatment session, every version: an amended session keeps the earlier version "
        "(status 'amended'), and one entered in error is kept and marked so.",
        "patient_id is you",
    ),
    "session_products": TableInfo(
        "Which product lot was used in each of your sessions, and how much.",
        "session_id is one of your sessions",
    ),
    "lots": TableInfo(
        "The lots (batches) of product used in your sessions: lot number, expiry, storage. "
        "Only the lot's own facts: nothing about anyone else treated from the same lot.",
        "used in one of your sessions",
    ),
    "products": TableInfo(
        "The products those lots belong to.",
        "the product of a lot used in one of your sessions",
    ),
    "adverse_events": TableInfo(
        "Reactions and complications recorded after your sessions.",
        "session_id is one of your sessions",
    ),
    "documents_issued": TableInfo(
        "Handouts and documents printed or saved for you; 'payload' is what they said.",
        "patient_id is you, or session_id is one of your sessions",
    ),
    "photo_sets": TableInfo(
        "Each set of clinical photos taken of you: the area, the day, and the session or "
        "course it belongs to.",
        "patient_id is you",
    ),
    "photos": TableInfo(
        "Each clinical photo: which view, when it was taken, and a fingerprint (SHA-256) of "
        "the original picture. The pictures themselves are in the photos folder of this "
        "export, named by 'ref'.",
        "patient_id is you",
    ),
    "photo_errors": TableInfo(
        "Photos marked as entered in error, with the reason: they are kept, never deleted.",
        "photo_id is one of your photos",
    ),
    "photo_ratings": TableInfo(
        "Ratings of your photo sets on a published scale (hair loss stage, or how much the "
        "treated area improved, as judged by the practitioner or by you).",
        "set_id is one of your photo sets",
    ),
    "photo_consents": TableInfo(
        "Your consent to clinical photos: the levels you agreed to, the name you signed "
        "with, the day, and your drawn signature (a PNG image).",
        "patient_id is you",
    ),
    "photo_consent_texts": TableInfo(
        "The exact wording of each photo consent form you signed.",
        "named by one of your photo consents",
    ),
    "photo_consent_revocations": TableInfo(
        "Each photo consent level you took back, and when.",
        "consent_id is one of your photo consents",
    ),
    "audit_log": TableInfo(
        "The clinic's audit trail entries about your record: who created, changed, printed or "
        "exported what, and when. 'before' and 'after' are the values before and after a change.",
        "patient_id is you",
    ),
}
OTHER_TABLE = TableInfo("Other records about you.", "names you or one of your records")

# Columns stored as JSON text, given in the export as the structures they hold.
JSON_COLUMNS: dict[str, frozenset[str]] = {
    "screenings": frozenset({"result", "rule_overrides"}),
    "sessions": frozenset({"prp", "regulatory_confirmations", "allergy_conflicts"}),
    "allergens": frozenset({"also_called"}),
    "documents_issued": frozenset({"payload"}),
    "photo_consents": frozenset({"levels"}),
    "audit_log": frozenset({"before", "after"}),
}
# Columns stored as comma-separated ids, given as lists.
LIST_COLUMNS: dict[str, frozenset[str]] = {
    "sessions": frozenset({"areas", "reactions"}),
    "lots": frozenset({"lab_reports"}),
}

CONVENTIONS: tuple[str, ...] = (
    "Each table is a list of rows; each row is an object of column names and values.",
    "Days are written YYYY-MM-DD; moments in time in ISO 8601 with their offset from UTC.",
    "Numbers such as id, screening_id and session_id are ExoDesk's own record numbers: they "
    "match rows across tables.",
    "Staff appear by name only: a column that pointed to a member of staff holds their name.",
    "Columns stored as structured data (result, rule_overrides, prp, regulatory_confirmations, "
    "payload, before, after) are given as JSON structures; an empty one is null.",
    "Columns stored as comma-separated words (areas, reactions, lab_reports) are given as lists.",
    "Images are given as an object with media_type and the image's bytes in base64.",
    "This export is itself noted in the audit trail once its files are written, so that entry "
    "is not in this file.",
)


@dataclass(frozen=True)
class PatientExport:
    """Every record linked to one patient, ready to write as JSON (pure data).

    Attributes:
        patient_id: The patient's record number.
        patient_name: Given names then family name, as recorded.
        generated_at: When the records were read.
        clinic_name: The clinic the records come from.
        tables: Table name to rows, in ``TABLES`` order (then any other table); each row a
            mapping of column to a JSON-ready value (see ``decode_row``).
    """

    patient_id: int
    patient_name: str
    generated_at: datetime
    clinic_name: str
    tables: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def patient_number(self) -> str:
        """The number the clinic knows the patient by ("Patient no. 17")."""
        return str(self.patient_id)

    @property
    def counts(self) -> dict[str, int]:
        """Rows per table, in export order."""
        return {table: len(rows) for table, rows in self.tables.items()}

    def rows(self, table: str) -> list[dict[str, Any]]:
        """The rows of one table (empty if the export has none)."""
        return list(self.tables.get(table, ()))


def table_info(table: str) -> TableInfo:
    """The description of an exported table (``OTHER_TABLE`` for one not listed)."""
    return TABLES.get(table, OTHER_TABLE)


def decode_value(table: str, column: str, value: Any) -> Any:
    """Return a stored value in the form the export gives it.

    JSON text becomes the structure it holds (text that is not valid JSON stays text: a
    hand-edited file must still export), comma-separated ids become lists, bytes become a
    base64 object.
    """
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        media = "image/png" if data.startswith(b"\x89PNG") else "application/octet-stream"
        return {"media_type": media, "base64": base64.b64encode(data).decode("ascii")}
    if isinstance(value, str) and column in JSON_COLUMNS.get(table, ()):
        if not value.strip():
            return None
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(value, str) and column in LIST_COLUMNS.get(table, ()):
        return [part for part in value.split(",") if part]
    return value


def decode_row(table: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """Return one stored row with every value in its export form (see ``decode_value``)."""
    return {column: decode_value(table, column, value) for column, value in row.items()}


def file_stem(patient_id: int, patient_name: str, day: date) -> str:
    """Return ``<number>-<name>-<date>`` usable as a file name on Windows, macOS and Linux.

    Accents and other scripts are kept (``17-Zoë-Ñúñez-2026-11-22``); characters no file
    system accepts, and spaces, become hyphens.
    """
    name = unicodedata.normalize("NFC", patient_name)
    name = _UNSAFE_FILE_CHARS.sub("-", name)
    name = re.sub(r"[\s\-]+", "-", name).strip("-. ")[:_FILE_NAME_CHARS].strip("-. ")
    parts = [str(patient_id), name or "patient", day.isoformat()]
    return "-".join(parts)


def export_document(
    export: PatientExport, *, generator: str, pdf_name: str | None = None
) -> dict[str, Any]:
    """Return the whole JSON document: a "what this file contains" block, then the tables.

    Args:
        export: The patient's records.
        generator: The program and version that wrote the file ("ExoDesk 0.1.0").
        pdf_name: The readable PDF written beside it, if any.
    """
    about: dict[str, Any] = {
        "what": (
            "Every record this clinic's ExoDesk holds about one patient, exported at their "
            "request (a subject access request)."
        ),
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "generator": generator,
        "generated_at": export.generated_at.isoformat(),
        "clinic": export.clinic_name,
        "patient": {"number": export.patient_id, "name": export.patient_name},
        "readable_copy": pdf_name,
        "conventions": list(CONVENTIONS),
        "tables": {
            table: {
                "description": table_info(table).description,
                "linked_by": table_info(table).linked_by,
                "rows": len(rows),
            }
            for table, rows in export.tables.items()
        },
    }
    return {"about_this_file": about, "tables": {t: list(r) for t, r in export.tables.items()}}


def export_json(export: PatientExport, *, generator: str, pdf_name: str | None = None) -> str:
    """Return the export as JSON text (UTF-8 as is, indented, columns in stored order)."""
    document = export_document(export, generator=generator, pdf_name=pdf_name)
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
