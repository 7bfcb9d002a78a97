"""ScreeningRepository: screenings with one row per answer and per verdict, and what followed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlite_utils import Database

from exodesk.domain.intake import (
    Consent,
    Override,
    ScreeningRecord,
    SignOff,
    decode_answer,
    encode_answer,
    result_from_json,
    result_to_json,
)
from exodesk.domain.screening import RuleTable, ScreeningResult
from exodesk.storage.database import inserted_id
from exodesk.storage.wording import VersionedWording

_SCREENING_COLUMNS = (
    "s.id, s.patient_id, s.version, s.series_id, s.taken_on, s.taken_at, st.name, "
    "s.rule_table_version, s.result, s.superseded, s.amend_reason"
)


@dataclass(frozen=True)
class HistoryEntry:
    """One version of a screening in the history list."""

    id: int
    series_id: int
    version: int
    taken_at: str
    taken_by: str
    superseded: bool
    amend_reason: str


class ScreeningRepository:
    """Reads and writes screenings and their answers, verdicts, sign-offs, overrides, consent."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def insert(
        self,
        *,
        patient_id: int,
        answers: dict,
        result: ScreeningResult,
        table: RuleTable,
        date_of_birth: date,
        taken_at: datetime,
        taken_by: int,
        supersedes: ScreeningRecord | None = None,
        amend_reason: str = "",
    ) -> int:
        """Store a screening; an amendment marks the version it replaces as superseded."""
        version = supersedes.version + 1 if supersedes else 1
        cur = self._db.execute(
            "INSERT INTO screenings (patient_id, series_id, version, supersedes, amend_reason, "
            "taken_on, taken_at, taken_by, date_of_birth, rule_table_version, rule_overrides, "
            "result) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                patient_id,
                supersedes.series_id if supersedes else None,
                version,
                supersedes.id if supersedes else None,
                amend_reason,
                result.today.isoformat(),
                taken_at.isoformat(),
                taken_by,
                date_of_birth.isoformat(),
                table.version,
                table.overrides_json,
                json.dumps(result_to_json(result), ensure_ascii=False, sort_keys=True),
            ],
        )
        new_id = inserted_id(cur.lastrowid)
        if supersedes is None:
            self._db.execute("UPDATE screenings SET series_id = ? WHERE id = ?", [new_id, new_id])
        else:
            self._db.execute("UPDATE screenings SET superseded = 1 WHERE id = ?", [supersedes.id])
        for item in table.items:
            text = encode_answer(item, answers.get(item.id))
            if text is not None:
                self._db.execute(
                    "INSERT INTO screening_answers (screening_id, item_id, value) VALUES (?, ?, ?)",
                    [new_id, item.id, text],
                )
        for t in result.treatments:
            self._db.execute(
                "INSERT INTO screening_verdicts (screening_id, treatment_id, verdict, until) "
                "VALUES (?, ?, ?, ?)",
                [new_id, t.treatment, t.verdict, t.until.isoformat() if t.until else None],
            )
        return new_id

    def add_signoff(
        self, screening_id: int, treatment: str, decision: str, note: str, by: int, at: datetime
    ) -> int:
        cur = self._db.execute(
            "INSERT INTO screening_signoffs (screening_id, treatment_id, decision, note, "
            "signed_by, signed_at) VALUES (?, ?, ?, ?, ?, ?)",
            [screening_id, treatment, decision, note, by, at.isoformat()],
        )
        return inserted_id(cur.lastrowid)

    def add_override(
        self, screening_id: int, treatment: str, verdict: str, reason: str, by: int, at: datetime
    ) -> int:
        cur = self._db.execute(
            "INSERT INTO screening_overrides (screening_id, treatment_id, verdict, reason, "
            "overridden_by, overridden_at) VALUES (?, ?, ?, ?, ?, ?)",
            [screening_id, treatment, verdict, reason, by, at.isoformat()],
        )
        return inserted_id(cur.lastrowid)

    def add_consent(
        self,
        screening_id: int,
        consent_text_id: int,
        signed_name: str,
        signed_on: date,
        signature_png: bytes,
        by: int,
        at: datetime,
    ) -> int:
        cur = self._db.execute(
            "INSERT INTO consents (screening_id, consent_text_id, signed_name, signed_on, "
            "signature_png, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                screening_id,
                consent_text_id,
                signed_name,
                signed_on.isoformat(),
                signature_png,
                by,
                at.isoformat(),
            ],
        )
        return inserted_id(cur.lastrowid)

    # ---- consent texts -------------------------------------------------------------------
    def latest_consent_text(self) -> tuple[int, int, str] | None:
        """(id, version, text) of the newest consent text, or None if none was ever saved."""
        return VersionedWording(self._db, "consent_texts").latest()

    def consent_text_of_version(self, version: int) -> str | None:
        """The words of one consent text version, or None if that version was never saved."""
        return VersionedWording(self._db, "consent_texts").of_version(version)

    def add_consent_text(self, text: str, *, at: datetime, by: int | None) -> tuple[int, int]:
        return VersionedWording(self._db, "consent_texts").add(text, at=at, by=by)

    # ---- reading -------------------------------------------------------------------------
    def get(self, screening_id: int, table: RuleTable) -> ScreeningRecord | None:
        row = self._db.execute(
            f"SELECT {_SCREENING_COLUMNS} FROM screenings s JOIN staff st ON st.id = s.taken_by "
            "WHERE s.id = ?",
            [screening_id],
        ).fetchone()
        return self._record(row, table) if row else None

    def current_for(self, patient_id: int, table: RuleTable) -> ScreeningRecord | None:
        """The newest version of the patient's newest screening."""
        row = self._db.execute(
            f"SELECT {_SCREENING_COLUMNS} FROM screenings s JOIN staff st ON st.id = s.taken_by "
            "WHERE s.patient_id = ? AND s.superseded = 0 ORDER BY s.taken_at DESC, s.id DESC "
            "LIMIT 1",
            [patient_id],
        ).fetchone()
        return self._record(row, table) if row else None

    def history_for(self, patient_id: int) -> list[HistoryEntry]:
        """Every version of the patient's screenings, newest first."""
        rows = self._db.execute(
            "SELECT s.id, s.series_id, s.version, s.taken_at, st.name, s.superseded, "
            "s.amend_reason FROM screenings s JOIN staff st ON st.id = s.taken_by "
            "WHERE s.patient_id = ? ORDER BY s.taken_at DESC, s.id DESC",
            [patient_id],
        ).fetchall()
        return [HistoryEntry(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6]) for r in rows]

    def _record(self, row: tuple, table: RuleTable) -> ScreeningRecord:
        screening_id = int(row[0])
        answers = {}
        for item_id, value in self._db.execute(
            "SELECT item_id, value FROM screening_answers WHERE screening_id = ?", [screening_id]
        ).fetchall():
            try:
                item = table.item(item_id)
            except KeyError:
                continue  # an item a later table dropped: the stored row stays, unused here
            answers[item_id] = decode_answer(item, value)
        signoffs = tuple(
            SignOff(r[1], r[2], r[3], r[4], datetime.fromisoformat(r[5]), id=r[0])
            for r in self._db.execute(
                "SELECT o.id, o.treatment_id, o.decision, o.note, st.name, o.signed_at "
                "FROM screening_signoffs o JOIN staff st ON st.id = o.signed_by "
                "WHERE o.screening_id = ? ORDER BY o.id",
                [screening_id],
            ).fetchall()
        )
        overrides = tuple(
            Override(r[1], r[2], r[3], r[4], datetime.fromisoformat(r[5]), id=r[0])
            for r in self._db.execute(
                "SELECT o.id, o.treatment_id, o.verdict, o.reason, st.name, o.overridden_at "
                "FROM screening_overrides o JOIN staff st ON st.id = o.overridden_by "
                "WHERE o.screening_id = ? ORDER BY o.id",
                [screening_id],
            ).fetchall()
        )
        consent_row = self._db.execute(
            "SELECT c.id, t.version, c.signed_name, c.signed_on, c.signature_png, st.name "
            "FROM consents c JOIN consent_texts t ON t.id = c.consent_text_id "
            "JOIN staff st ON st.id = c.recorded_by WHERE c.screening_id = ? "
            "ORDER BY c.id DESC LIMIT 1",
            [screening_id],
        ).fetchone()
        consent = (
            Consent(
                text_version=consent_row[1],
                signed_name=consent_row[2],
                signed_on=date.fromisoformat(consent_row[3]),
                signature_png=bytes(consent_row[4]),
                recorded_by=consent_row[5],
                id=consent_row[0],
            )
            if consent_row
            else None
        )
        return ScreeningRecord(
            id=screening_id,
            patient_id=int(row[1]),
            version=int(row[2]),
            series_id=int(row[3]),
            taken_on=result_from_json(json.loads(row[8])).today,
            taken_at=datetime.fromisoformat(row[5]),
            taken_by=row[6],
            rule_table_version=row[7],
            answers=answers,
            result=result_from_json(json.loads(row[8])),
            superseded=bool(row[9]),
            amend_reason=row[10],
            signoffs=signoffs,
            overrides=overrides,
            consent=consent,
        )
