"""Intake screening use cases: judge, save, amend, sign off, override, consent, and the gate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any

from exodesk.domain.accounts import (
    CLINICAL_TEXTS_EDIT,
    HANDOUTS_PRINT,
    SCREENING_OVERRIDE,
    SCREENING_SIGN_OFF,
    SCREENING_TAKE,
    SCREENING_VIEW,
)
from exodesk.domain.intake import (
    SIGNOFF_DECISIONS,
    Clearance,
    ScreeningRecord,
    check_text_answers,
    clearance,
    describe_answer,
    may_override,
    may_sign_off,
    validate_reason,
)
from exodesk.domain.problems import Problem, check_text
from exodesk.domain.screening import (
    Item,
    RuleTable,
    ScreeningResult,
    check_answers,
    evaluate,
    unanswered,
)
from exodesk.domain.screening_vocabulary import (
    not_recorded_text,
    override_words,
    reason_lines,
    signoff_words,
    unanswered_problems,
    verdict_when,
)
from exodesk.errors import UserError
from exodesk.services.context import SETTINGS, Changes, SaveResult, ServiceContext
from exodesk.services.printing import PrintJob
from exodesk.services.wording import SignedWording
from exodesk.storage.database import storage_errors
from exodesk.storage.patients import PatientRepository
from exodesk.storage.screenings import HistoryEntry, ScreeningRepository
from exodesk.storage.settings import SettingsRepository

if TYPE_CHECKING:
    from exodesk.reports.screening_summary import ScreeningSummary

SCREENINGS = "screenings"
RULE_OVERRIDES_KEY = "screening.rule_overrides"
MAX_SIGNATURE_BYTES = 500_000


@dataclass(frozen=True)
class Preview:
    """What the verdict panel shows while answers are typed: a result, or why there is none.

    ``problems`` are answers the rules refuse; ``unanswered`` the questions still to answer
    (``domain.screening.unanswered``). A result is given only when both are empty: no verdict
    says go ahead before every question has an explicit answer.
    """

    result: ScreeningResult | None
    problems: list[Problem]
    unanswered: tuple[Item, ...] = ()


class ScreeningService:
    """Everything reception and the practitioner do with intake screenings."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx
        self._repo = ScreeningRepository(ctx.db)
        self._patients = PatientRepository(ctx.db)
        self._settings = SettingsRepository(ctx.db)
        # The clinic's tightened table, built once: every judgement, read and print needs it,
        # and only set_rule_overrides changes it (one ExoDesk per data file: see storage.lock).
        self._rules: RuleTable | None = None

    def today(self) -> date:
        """Today's local date by the service's clock (tests give it a fake one)."""
        return self._ctx.today()

    # ---- the rule table ------------------------------------------------------------------
    def rules(self) -> RuleTable:
        """The bundled rule table, tightened by the clinic's settings (read once, then kept
        until the settings change)."""
        if self._rules is None:
            with storage_errors():
                overrides = self._settings.get_value(RULE_OVERRIDES_KEY, {}) or {}
            bundled = self.bundled_rules()
            self._rules = bundled.tightened(overrides) if overrides else bundled
        return self._rules

    def bundled_rules(self) -> RuleTable:
        """The bundled rule table, as shipped: the defaults a clinic may only tighten."""
        return self._ctx.bundled.rules

    def set_rule_overrides(self, overrides: dict[str, dict[str, Any]]) -> SaveResult:
        """Store the clinic's tightened rules (only stricter than the defaults is accepted)."""
        self._ctx.require(CLINICAL_TEXTS_EDIT)
        try:
            table = self.bundled_rules().tightened(overrides)
        except ValueError as exc:
            return SaveResult(problems=[Problem("rules", str(exc))])
        with self._ctx.write():
            before = self._settings.get_value(RULE_OVERRIDES_KEY, {})
            self._settings.set_value(RULE_OVERRIDES_KEY, table.overrides)
            self._ctx.audit(
                "update",
                "settings",
                None,
                summary=f"Screening rules now {table.version}",
                before={"rule_overrides": before},
                after={"rule_overrides": table.overrides},
            )
        # Stored: the next judgement reads the new table (a failed write above keeps the old).
        self._rules = None
        return SaveResult(record=table, changes=Changes(frozenset({SETTINGS})))

    def valid_days(self) -> int:
        with storage_errors():
            return self._settings.clinic().screening_valid_days

    # ---- judging and saving --------------------------------------------------------------
    def preview(self, answers: dict[str, Any], date_of_birth: date | None) -> Preview:
        """Judge answers without saving: the live verdict panel.

        No result while an answer is refused or a question is unanswered (the preview says
        which); ``evaluate`` itself still reads a missing answer as no / never.
        """
        table = self.rules()
        today = self._ctx.today()
        problems = check_answers(answers, today=today, date_of_birth=date_of_birth, rules=table)
        problems += check_text_answers(answers, table)
        missing = unanswered(table, answers)
        if problems or missing:
            return Preview(None, problems, missing)
        return Preview(evaluate(answers, today=today, date_of_birth=date_of_birth, rules=table), [])

    def save(self, patient_id: int, answers: dict[str, Any]) -> SaveResult:
        """Save a new screening for the patient, judged today by the clinic's rule table.

        Refused (``SaveResult.problems``) while any question has no explicit answer: one
        problem beside each, and the whole list under ``UNANSWERED_FIELD``.
        """
        self._ctx.require(SCREENING_TAKE)
        return self._store(patient_id, answers, supersedes=None, reason="")

    def amend(self, screening_id: int, answers: dict[str, Any], reason: str) -> SaveResult:
        """Save corrected answers as a new version; the earlier version is kept unchanged.

        Refused like ``save`` while a question is unanswered, so an amendment of a screening
        saved before every question needed an answer answers the rest.
        """
        self._ctx.require(SCREENING_TAKE)
        reason = reason.strip()
        problems = validate_reason(reason, "reason for the amendment")
        if problems:
            return SaveResult(problems=problems)
        old = self.get(screening_id)
        if old.superseded:
            raise UserError("That version was already amended; amend the newest version.")
        return self._store(old.patient_id, answers, supersedes=old, reason=reason)

    def _store(
        self,
        patient_id: int,
        answers: dict[str, Any],
        *,
        supersedes: ScreeningRecord | None,
        reason: str,
    ) -> SaveResult:
        with storage_errors():
            patient = self._patients.get(patient_id)
        if patient is None or patient.date_of_birth is None:
            raise UserError("Choose a patient before saving a screening.")
        table = self.rules()
        # Only what counts is stored: no blanks, and no follow-up whose question was not
        # answered yes (an infection's area without an infection means nothing).
        answers = table.effective_answers(answers)
        preview = self.preview(answers, patient.date_of_birth)
        problems = preview.problems + unanswered_problems(preview.unanswered)
        if problems:
            return SaveResult(problems=problems)
        assert preview.result is not None
        actor = self._ctx.desk.require()
        now = self._ctx.now()
        with self._ctx.write():
            new_id = self._repo.insert(
                patient_id=patient_id,
                answers=answers,
                result=preview.result,
                table=table,
                date_of_birth=patient.date_of_birth,
                taken_at=now,
                taken_by=int(actor.id or 0),
                supersedes=supersedes,
                amend_reason=reason,
            )
            verdicts = {t.treatment: t.verdict for t in preview.result.treatments}
            self._ctx.audit(
                "amend" if supersedes else "create",
                "screenings",
                new_id,
                patient_id=patient_id,
                summary=(
                    f"Amended screening (v{supersedes.version + 1}): {reason}"
                    if supersedes
                    else "Intake screening"
                )
                + " — "
                + ", ".join(f"{k} {v}" for k, v in verdicts.items()),
                before={"screening_id": supersedes.id} if supersedes else None,
                after={"verdicts": verdicts, "rule_table_version": table.version},
                at=now,
            )
            record = self._repo.get(new_id, table)
        return SaveResult(record=record, changes=Changes(frozenset({SCREENINGS}), patient_id))

    # ---- reading -------------------------------------------------------------------------
    def get(self, screening_id: int) -> ScreeningRecord:
        self._ctx.require(SCREENING_VIEW)
        with storage_errors():
            record = self._repo.get(screening_id, self.rules())
        if record is None:
            raise UserError(f"There is no screening number {screening_id}.")
        return record

    def current(self, patient_id: int) -> ScreeningRecord | None:
        """The newest version of the patient's newest screening (None if never screened)."""
        self._ctx.require(SCREENING_VIEW)
        with storage_errors():
            return self._repo.current_for(patient_id, self.rules())

    def history(self, patient_id: int) -> list[HistoryEntry]:
        self._ctx.require(SCREENING_VIEW)
        with storage_errors():
            return self._repo.history_for(patient_id)

    def clearance(self, patient_id: int, treatment: str) -> Clearance:
        """Whether a session of ``treatment`` may be recorded for the patient today."""
        self._ctx.require(SCREENING_VIEW)
        return clearance(
            self.current(patient_id),
            treatment,
            today=self._ctx.today(),
            valid_days=self.valid_days(),
            table=self.rules(),
        )

    # ---- the practitioner's decisions ----------------------------------------------------
    def _open_for_decision(self, screening_id: int, treatment: str) -> ScreeningRecord:
        record = self.get(screening_id)
        if record.superseded:
            raise UserError("This version was amended; decide on the newest version.")
        if treatment not in self.rules().treatment_ids:
            raise UserError(f"“{treatment}” is not a screened treatment.")
        return record

    def sign_off(self, screening_id: int, treatment: str, decision: str, note: str) -> SaveResult:
        """Record a practitioner's sign-off of a ``review`` verdict (cleared or not)."""
        self._ctx.require(SCREENING_SIGN_OFF)
        if decision not in SIGNOFF_DECISIONS:
            return SaveResult(problems=[Problem("decision", "Choose cleared or not cleared.")])
        problems = check_text("note", note, "The note", max_len=2000, multiline=True)
        if decision == "not_cleared" and not note.strip():
            problems.append(Problem("note", "Say why the patient is not cleared."))
        if problems:
            return SaveResult(problems=problems)
        record = self._open_for_decision(screening_id, treatment)
        if not may_sign_off(record, treatment):
            raise UserError("Only a treatment whose verdict is “review” needs a sign-off.")
        by = int(self._ctx.desk.require().id or 0)
        now = self._ctx.now()
        with self._ctx.write():
            new_id = self._repo.add_signoff(
                screening_id, treatment, decision, note.strip(), by, now
            )
            self._ctx.audit(
                "sign_off",
                "screening_signoffs",
                new_id,
                patient_id=record.patient_id,
                summary=f"{treatment}: {SIGNOFF_DECISIONS[decision]}",
                after={
                    "screening_id": screening_id,
                    "treatment": treatment,
                    "decision": decision,
                    "note": note.strip(),
                },
                at=now,
            )
        return SaveResult(
            record=self.get(screening_id),
            changes=Changes(frozenset({SCREENINGS}), record.patient_id),
        )

    def override(self, screening_id: int, treatment: str, reason: str) -> SaveResult:
        """Record a practitioner's reasoned override of a ``defer`` or ``decline`` (or a
        ``review`` signed off as not cleared). It shows in red on every later view and print."""
        self._ctx.require(SCREENING_OVERRIDE)
        reason = reason.strip()
        problems = validate_reason(reason, "reason for the override")
        if problems:
            return SaveResult(problems=problems)
        record = self._open_for_decision(screening_id, treatment)
        if not may_override(record, treatment):
            raise UserError("Only a deferred or declined treatment can be overridden.")
        verdict = record.result.verdict_for(treatment)
        by = int(self._ctx.desk.require().id or 0)
        now = self._ctx.now()
        with self._ctx.write():
            new_id = self._repo.add_override(screening_id, treatment, verdict, reason, by, now)
            self._ctx.audit(
                "override",
                "screening_overrides",
                new_id,
                patient_id=record.patient_id,
                summary=f"{treatment}: {verdict} overridden — {reason}",
                after={
                    "screening_id": screening_id,
                    "treatment": treatment,
                    "verdict": verdict,
                    "reason": reason,
                },
                at=now,
            )
        return SaveResult(
            record=self.get(screening_id),
            changes=Changes(frozenset({SCREENINGS}), record.patient_id),
        )

    # ---- consent -------------------------------------------------------------------------
    def consent_text(self) -> tuple[int, str]:
        """(version, text) of the clinic's current consent text (the bundled one until edited)."""
        return self._wording().current()

    def default_consent_text(self) -> str:
        """The bundled consent text ("Restore the default" in Settings shows it)."""
        return self._ctx.bundled.consent_text

    def save_consent_text(self, text: str) -> SaveResult:
        """Store an edited consent text as a new version; earlier signatures keep theirs."""
        self._ctx.require(CLINICAL_TEXTS_EDIT)
        return self._wording().save(text)

    def _wording(self) -> SignedWording:
        return SignedWording(
            self._ctx,
            "consent_texts",
            default=self.default_consent_text,
            name="The consent text",
            topic=SETTINGS,
        )

    def record_consent(
        self, screening_id: int, signed_name: str, signature_png: bytes
    ) -> SaveResult:
        """Attach the patient's typed name and drawn signature to a screening."""
        self._ctx.require(SCREENING_TAKE)
        problems = check_text(
            "signed_name", signed_name, "The patient's name", required=True, max_len=200
        )
        if not signature_png or not signature_png.startswith(b"\x89PNG"):
            problems.append(Problem("signature", "The patient needs to sign in the box."))
        elif len(signature_png) > MAX_SIGNATURE_BYTES:
            problems.append(
                Problem("signature", "The signature image is too large; clear and sign again.")
            )
        if problems:
            return SaveResult(problems=problems)
        record = self.get(screening_id)
        if record.superseded:
            raise UserError("This version was amended; take consent on the newest version.")
        actor = self._ctx.desk.require()
        now = self._ctx.now()
        with self._ctx.write():
            latest = self._repo.latest_consent_text()
            if latest is None:
                text_id, version = self._repo.add_consent_text(
                    self.default_consent_text(), at=now, by=None
                )
            else:
                text_id, version = latest[0], latest[1]
            new_id = self._repo.add_consent(
                screening_id,
                text_id,
                signed_name.strip(),
                self._ctx.today(),
                signature_png,
                int(actor.id or 0),
                now,
            )
            self._ctx.audit(
                "consent",
                "consents",
                new_id,
                patient_id=record.patient_id,
                summary=f"Consent signed by {signed_name.strip()} (text v{version})",
                after={
                    "screening_id": screening_id,
                    "consent_text_version": version,
                    "signed_name": signed_name.strip(),
                },
                at=now,
            )
        return SaveResult(
            record=self.get(screening_id),
            changes=Changes(frozenset({SCREENINGS}), record.patient_id),
        )

    # ---- printing ------------------------------------------------------------------------
    def summary(self, screening_id: int, *, large_print: bool = False) -> ScreeningSummary:
        """The printable summary of one screening version (pure data; see reports)."""
        # Imported here, not at the top: reportlab costs ~100 ms of start-up (issue #9).
        from exodesk.reports.screening_summary import AnswerLine, ScreeningSummary, VerdictLine

        self._ctx.require(SCREENING_VIEW)
        record = self.get(screening_id)
        table = self.rules()
        with storage_errors():
            patient = self._patients.get(record.patient_id)
            clinic = self._settings.clinic()
        assert patient is not None
        answers = tuple(
            AnswerLine(
                table.section_label(item.section),
                item.question,
                describe_answer(item, record.answers.get(item.id)),
            )
            for item in table.items
            if table.asks(item, record.answers)
        )
        # Saved before every question needed an answer: say so, and how those were judged.
        answers_note = not_recorded_text(unanswered(table, record.answers)) or None
        verdicts = tuple(
            VerdictLine(
                treatment_label=table.treatment_label(t.treatment),
                verdict=t.verdict,
                verdict_label=table.verdict_label(t.verdict),
                until_text=verdict_when(t),
                reasons=reason_lines(t),
                precautions=t.precautions,
            )
            for t in record.result.treatments
        )

        # The same words as the verdict cards, after the treatment they are about.
        signoffs = tuple(
            f"{table.treatment_label(s.treatment)}: {signoff_words(s).sentence}"
            for s in record.signoffs
        )
        overrides = tuple(
            f"{table.treatment_label(o.treatment)}: {override_words(o, table).sentence}"
            for o in record.overrides
        )
        consent = record.consent
        consent_words: str | None = None
        if consent is not None:
            with storage_errors():
                consent_words = self._repo.consent_text_of_version(consent.text_version)
            if consent_words is None and consent.text_version == 1:
                # Version 1 is the bundled text until the clinic first edits it.
                consent_words = self._ctx.bundled.consent_text
        return ScreeningSummary(
            clinic=clinic,
            patient_name=patient.full_name,
            date_of_birth=patient.date_of_birth,
            taken_on=record.taken_on,
            taken_by=record.taken_by,
            version=record.version,
            rule_table_version=record.rule_table_version,
            answers=answers,
            verdicts=verdicts,
            signoffs=signoffs,
            overrides=overrides,
            consent_version=str(consent.text_version) if consent else None,
            consent_signed_name=consent.signed_name if consent else None,
            consent_date=consent.signed_on if consent else None,
            signature_png=consent.signature_png if consent else None,
            printed_on=self._ctx.today(),
            large_print=large_print,
            answers_note=answers_note,
            consent_text=consent_words,
        )

    def summary_job(
        self, screening_id: int, *, large_print: bool = False
    ) -> PrintJob[ScreeningSummary]:
        """The screening summary ready to preview, print or save (``summary`` checks the
        permission); printing or saving it is noted in the audit trail."""
        summary = self.summary(screening_id, large_print=large_print)

        def record(how: str, _pdf: bytes) -> Changes:
            self.record_print(screening_id, how)
            return Changes()

        return PrintJob(
            title=f"Screening summary — {summary.patient_name}",
            file_name=f"Screening {summary.patient_name} v{summary.version}.pdf",
            paper_size=summary.clinic.paper_size,
            data=summary,
            render=partial(_render_summary, summary),
            record=record,
        )

    def record_print(self, screening_id: int, how: str) -> None:
        """Note in the audit trail that a screening summary left the building."""
        self._ctx.require(HANDOUTS_PRINT)
        record = self.get(screening_id)
        with self._ctx.write():
            self._ctx.audit(
                "print",
                "screenings",
                screening_id,
                patient_id=record.patient_id,
                summary=f"Screening summary {how}",
            )


def _render_summary(summary: ScreeningSummary) -> bytes:
    """Pure rendering, safe on a worker thread (reportlab is imported only when printing)."""
    from exodesk.reports.screening_summary import render_screening_summary

    return render_screening_summary(summary)
