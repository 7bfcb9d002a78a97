"""Repositories for the clinic's allergen list and patients' allergies (every version kept)."""

from __future__ import annotations

import json
import re
from datetime import datetime

from sqlite_utils import Database

from exodesk.domain.allergies import (
    MIGRATION,
    Allergen,
    Allergy,
    NoneKnown,
    PatientAllergies,
    none_known_stands,
    term_key,
)
from exodesk.storage.database import inserted_id

_ALLERGEN = "id, key, name, kind, also_called, covers_kind, active"


def _allergen(row: tuple) -> Allergen:
    return Allergen(
        id=row[0],
        key=row[1],
        name=row[2],
        kind=row[3],
        also_called=tuple(json.loads(row[4])),
        covers_kind=row[5],
        active=bool(row[6]),
    )


class AllergenRepository:
    """The clinic's list of allergy substances (seeded by 0007; the clinic adds its own)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def allergens(self, *, include_inactive: bool = False) -> list[Allergen]:
        where = "" if include_inactive else "WHERE active = 1"
        rows = self._db.execute(
            f"SELECT {_ALLERGEN} FROM allergens {where} ORDER BY name COLLATE NOCASE, id"
        ).fetchall()
        return [_allergen(r) for r in rows]

    def allergen(self, allergen_id: int) -> Allergen | None:
        row = self._db.execute(
            f"SELECT {_ALLERGEN} FROM allergens WHERE id = ?", [allergen_id]
        ).fetchone()
        return _allergen(row) if row else None

    def terms(self) -> dict[str, int]:
        """Every name and other name on the list, folded (``term_key``) -> the entry's id."""
        every = self.allergens(include_inactive=True)
        return {term_key(t): int(a.id or 0) for a in every for t in a.terms}

    def save(self, allergen: Allergen, *, at: str, by: int | None) -> int:
        values = [
            allergen.name.strip(),
            allergen.kind,
            json.dumps(list(allergen.also_called), ensure_ascii=False),
            allergen.covers_kind,
            int(allergen.active),
        ]
        if allergen.id is not None:
            self._db.execute(
                "UPDATE allergens SET name = ?, kind = ?, also_called = ?, covers_kind = ?, "
                "active = ? WHERE id = ?",
                [*values, allergen.id],
            )
            return allergen.id
        cur = self._db.execute(
            "INSERT INTO allergens (key, name, kind, also_called, covers_kind, active, "
            "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [self._new_key(allergen.name), *values, at, by],
        )
        return inserted_id(cur.lastrowid)

    def _new_key(self, name: str) -> str:
        # A stable id for the clinic's own entry: its first name, folded, made unique.
        base = "clinic_" + (re.sub(r"\W+", "_", term_key(name)).strip("_") or "substance")
        key, n = base, 1
        while self._db.execute("SELECT 1 FROM allergens WHERE key = ?", [key]).fetchone():
            n += 1
            key = f"{base}_{n}"
        return key


_ALLERGY = (
    "a.id, a.patient_id, a.series_id, a.version, a.status, a.status_reason, a.amend_reason, "
    "a.allergen_id, a.substance, a.reaction, a.severity, a.note, a.source, a.screening_id, "
    "a.recorded_at, st.name"
)
_FROM = "FROM patient_allergies a LEFT JOIN staff st ON st.id = a.recorded_by"


def _allergy(row: tuple) -> Allergy:
    source = row[12]
    return Allergy(
        id=row[0],
        patient_id=row[1],
        series_id=row[2],
        version=row[3],
        status=row[4],
        status_reason=row[5],
        amend_reason=row[6],
        allergen_id=row[7],
        substance=row[8],
        reaction=row[9],
        severity=row[10],
        note=row[11],
        source=source,
        screening_id=row[13],
        recorded_at=datetime.fromisoformat(row[14]),
        recorded_by=row[15] or (MIGRATION if source == MIGRATION else ""),
    )


class AllergyRepository:
    """Patients' allergies: every version, and "no known allergies" statements."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def insert(
        self,
        allergy: Allergy,
        *,
        at: str,
        by: int | None,
        supersedes: Allergy | None = None,
        reason: str = "",
    ) -> int:
        """Add an allergy, or a new version of one (the earlier version is marked amended)."""
        cur = self._db.execute(
            "INSERT INTO patient_allergies (patient_id, series_id, version, supersedes, "
            "amend_reason, allergen_id, substance, reaction, severity, note, source, "
            "screening_id, recorded_at, recorded_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                allergy.patient_id,
                supersedes.series_id if supersedes else None,
                supersedes.version + 1 if supersedes else 1,
                supersedes.id if supersedes else None,
                reason,
                allergy.allergen_id,
                allergy.substance,
                allergy.reaction,
                allergy.severity,
                allergy.note,
                allergy.source,
                allergy.screening_id,
                at,
                by,
            ],
        )
        new_id = inserted_id(cur.lastrowid)
        if supersedes is None:
            self._db.execute("UPDATE patient_allergies SET series_id = id WHERE id = ?", [new_id])
        else:
            self._db.execute(
                "UPDATE patient_allergies SET status = 'amended', status_at = ?, status_by = ? "
                "WHERE id = ?",
                [at, by, supersedes.id],
            )
        return new_id

    def mark_error(self, allergy_id: int, reason: str, *, at: str, by: int | None) -> None:
        self._db.execute(
            "UPDATE patient_allergies SET status = 'entered_in_error', status_reason = ?, "
            "status_at = ?, status_by = ? WHERE id = ?",
            [reason, at, by, allergy_id],
        )

    def get(self, allergy_id: int) -> Allergy | None:
        row = self._db.execute(f"SELECT {_ALLERGY} {_FROM} WHERE a.id = ?", [allergy_id]).fetchone()
        return _allergy(row) if row else None

    def for_patient(self, patient_id: int, *, include_all: bool = False) -> list[Allergy]:
        """The patient's allergies in the order recorded (current ones unless ``include_all``,
        which gives every version: amended and entered in error too)."""
        status = "" if include_all else "AND a.status = 'current'"
        rows = self._db.execute(
            f"SELECT {_ALLERGY} {_FROM} WHERE a.patient_id = ? {status} "
            "ORDER BY a.series_id, a.version",
            [patient_id],
        ).fetchall()
        return [_allergy(r) for r in rows]

    def add_none_known(self, patient_id: int, *, at: str, by: int | None, source: str) -> int:
        cur = self._db.execute(
            "INSERT INTO no_known_allergies (patient_id, source, recorded_at, recorded_by) "
            "VALUES (?, ?, ?, ?)",
            [patient_id, source, at, by],
        )
        return inserted_id(cur.lastrowid)

    def summary(self, patient_id: int) -> PatientAllergies:
        """The current allergies, or the "no known allergies" statement if it still stands."""
        current = tuple(self.for_patient(patient_id))
        if current:
            return PatientAllergies(current)
        row = self._db.execute(
            "SELECT n.recorded_at, st.name, n.source FROM no_known_allergies n "
            "LEFT JOIN staff st ON st.id = n.recorded_by WHERE n.patient_id = ? "
            "ORDER BY n.id DESC LIMIT 1",
            [patient_id],
        ).fetchone()
        if row is None:
            return PatientAllergies()
        declared = datetime.fromisoformat(row[0])
        # Compared as moments, not as text: a moment's offset is the PC's at the time.
        changes = [
            datetime.fromisoformat(moment)
            for pair in self._db.execute(
                "SELECT recorded_at, status_at FROM patient_allergies WHERE patient_id = ?",
                [patient_id],
            ).fetchall()
            for moment in pair
            if moment
        ]
        last = max(changes) if changes else None
        if not none_known_stands(declared, last):
            return PatientAllergies()
        return PatientAllergies((), NoneKnown(declared, row[1] or "", row[2]))
