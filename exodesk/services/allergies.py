"""Allergy use cases: the clinic's allergen list, a patient's allergies, their corrections and
"no known allergies"; the screening's allergy answers saved with the screening. Every write is
audited in its transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from exodesk.domain.accounts import (
    ALLERGIES_RETRACT,
    PATIENTS_EDIT,
    PATIENTS_VIEW,
    SCREENING_TAKE,
)
from exodesk.domain.allergies import (
    LISTED,
    Allergen,
    Allergy,
    PatientAllergies,
    allergy_detail,
    resolve_substance,
    term_key,
    validate_allergy,
)
from exodesk.domain.intake import validate_reason
from exodesk.domain.problems import Problem
from exodesk.errors import UserError
from exodesk.services.context import Changes, SaveResult, ServiceContext
from exodesk.services.screening import ScreeningService
from exodesk.storage.allergies import AllergenRepository, AllergyRepository
from exodesk.storage.database import storage_errors
from exodesk.storage.patients import PatientRepository

ALLERGIES = "allergies"
# Where the screening's allergy answers go: the screening item that asks, and the field name
# each typed allergy's problems carry (``allergy0.substance``…).
SCREENING_ITEM = "known_product_allergy"
SCREENING_REASON = "Updated at the intake screening"


def entry_field(n: int, field: str) -> str:
    """The problem field of one allergy typed at the screening: ``allergy0.reaction``."""
    return f"allergy{n}.{field}"


class AllergyService:
    """A patient's allergies: recorded by anyone at the desk, retracted by a practitioner."""

    def __init__(self, ctx: ServiceContext, screening: ScreeningService) -> None:
        self._ctx = ctx
        self._screening = screening
        self._allergens = AllergenRepository(ctx.db)
        self._allergies = AllergyRepository(ctx.db)
        self._patients = PatientRepository(ctx.db)

    # ---- the clinic's list ---------------------------------------------------------------
    def allergens(self, *, include_inactive: bool = False) -> list[Allergen]:
        """The clinic's allergen list (reference data), by name; kept in the catalogue
        (``CatalogueService.save_allergen``)."""
        with storage_errors():
            return self._allergens.allergens(include_inactive=include_inactive)

    # ---- reading -------------------------------------------------------------------------
    def summary(self, patient_id: int) -> PatientAllergies:
        """The patient's current allergies, or that they have none known, or neither."""
        self._ctx.require(PATIENTS_VIEW)
        with storage_errors():
            return self._allergies.summary(patient_id)

    def history(self, patient_id: int) -> list[Allergy]:
        """Every version of every allergy of the patient: corrected and entered in error too."""
        self._ctx.require(PATIENTS_VIEW)
        with storage_errors():
            return self._allergies.for_patient(patient_id, include_all=True)

    # ---- writing -------------------------------------------------------------------------
    def record(self, allergy: Allergy) -> SaveResult:
        """Add an allergy to the patient's list, or return the problems to fix first."""
        self._ctx.require(PATIENTS_EDIT)
        prepared, problems = self._prepare(allergy)
        if not problems:
            problems = self._not_listed_twice(prepared)
        if problems:
            return SaveResult(problems=problems)
        with self._ctx.write():
            self._require_patient(prepared.patient_id)
            stored = self._insert(prepared)
        return self._saved(stored)

    def amend(self, allergy_id: int, allergy: Allergy, reason: str) -> SaveResult:
        """Save a correction as a new version; the earlier one is kept, marked amended."""
        self._ctx.require(PATIENTS_EDIT)
        reason = reason.strip()
        problems = [replace(p, field="amend_reason") for p in validate_reason(reason)]
        old = self._get(allergy_id)
        if old.status != "current":
            raise UserError("Only the current version of an allergy can be corrected.")
        prepared, found = self._prepare(replace(allergy, patient_id=old.patient_id))
        problems = found + problems
        if not problems:
            problems = self._not_listed_twice(prepared, other_than=old.series_id)
        if problems:
            return SaveResult(problems=problems)
        if _same(old, prepared):
            return SaveResult(record=old)
        with self._ctx.write():
            stored = self._insert(prepared, supersedes=old, reason=reason)
        return self._saved(stored)

    def mark_entered_in_error(self, allergy_id: int, reason: str) -> SaveResult:
        """Take an allergy recorded by mistake off the list; the row and its history stay."""
        self._ctx.require(ALLERGIES_RETRACT)
        reason = reason.strip()
        problems = validate_reason(reason, "reason it was entered in error")
        if problems:
            return SaveResult(problems=problems)
        allergy = self._get(allergy_id)
        if allergy.status != "current":
            raise UserError("Only the current version of an allergy can be marked.")
        now = self._ctx.now()
        with self._ctx.write():
            self._allergies.mark_error(
                allergy_id, reason, at=now.isoformat(), by=self._ctx.desk.require().id
            )
            self._ctx.audit(
                "entered_in_error",
                "patient_allergies",
                allergy_id,
                patient_id=allergy.patient_id,
                summary=f"Allergy to {allergy.substance} entered in error: {reason}",
                before={"status": "current"},
                after={"status": "entered_in_error", "reason": reason},
                at=now,
            )
            stored = self._allergies.get(allergy_id)
        return self._saved(stored)

    def record_none_known(self, patient_id: int) -> SaveResult:
        """Record that the patient was asked and has no known allergies."""
        self._ctx.require(PATIENTS_EDIT)
        with storage_errors():
            current = self._allergies.summary(patient_id)
        if current.state == LISTED:
            names = ", ".join(a.substance for a in current.allergies)
            return SaveResult(
                problems=[
                    Problem(
                        "none_known",
                        f"Allergies are on the list ({names}). If they were recorded by "
                        "mistake, mark each one entered in error first.",
                    )
                ]
            )
        now = self._ctx.now()
        with self._ctx.write():
            self._require_patient(patient_id)
            new_id = self._allergies.add_none_known(
                patient_id, at=now.isoformat(), by=self._ctx.desk.require().id, source="staff"
            )
            self._ctx.audit(
                "create",
                "no_known_allergies",
                new_id,
                patient_id=patient_id,
                summary="No known allergies",
                at=now,
            )
            stored = self._allergies.summary(patient_id)
        return SaveResult(record=stored, changes=Changes(frozenset({ALLERGIES}), patient_id))

    def save_screening(
        self,
        patient_id: int,
        answers: Mapping[str, Any],
        allergies: Sequence[Allergy] = (),
        *,
        amending: int | None = None,
        reason: str = "",
    ) -> SaveResult:
        """Save a screening (or its amendment) and the allergies it names, together.

        A "yes" to ``known_product_allergy`` needs the allergy named: typed here, or already
        on the patient's list. Each allergy typed is added to the list, or, when the list has
        that substance already, corrects it where the screening says more (a severity that
        was not known, a reaction); nothing is saved unless everything is.

        Returns:
            The screening's SaveResult (its record), or the problems: the allergies' as
            ``allergy<n>.<field>``, ``known_product_allergy`` when none was named, then the
            screening's own.
        """
        self._ctx.require(SCREENING_TAKE)
        if allergies:
            self._ctx.require(PATIENTS_EDIT)
        prepared: list[Allergy] = []
        problems: list[Problem] = []
        for n, typed in enumerate(allergies):
            ready, found = self._prepare(replace(typed, patient_id=patient_id))
            prepared.append(ready)
            problems += [replace(p, field=entry_field(n, p.field)) for p in found]
        if answers.get(SCREENING_ITEM) is True and not allergies:
            with storage_errors():
                listed = self._allergies.summary(patient_id).state == LISTED
            if not listed:
                problems.append(
                    Problem(
                        SCREENING_ITEM,
                        "Say what the patient is allergic to (the substance and what happens), "
                        "or answer no.",
                    )
                )
        if problems:
            return SaveResult(problems=problems)
        with self._ctx.write():
            if amending is not None:
                result = self._screening.amend(amending, dict(answers), reason)
            else:
                result = self._screening.save(patient_id, dict(answers))
            if not result.ok:
                return result  # the screening refused before writing anything
            for allergy in prepared:
                self._merge(replace(allergy, source="screening", screening_id=result.record.id))
        topics = result.changes.topics | ({ALLERGIES} if prepared else set())
        return replace(result, changes=Changes(frozenset(topics), patient_id))

    # ---- helpers -------------------------------------------------------------------------
    def _get(self, allergy_id: int) -> Allergy:
        with storage_errors():
            found = self._allergies.get(allergy_id)
        if found is None:
            raise UserError(f"There is no allergy number {allergy_id}.")
        return found

    def _require_patient(self, patient_id: int) -> None:
        if self._patients.get(patient_id) is None:
            raise UserError(f"There is no patient number {patient_id}.")

    def _prepare(self, allergy: Allergy) -> tuple[Allergy, list[Problem]]:
        """The allergy as stored: spaces tidied, tied to the list entry its words are (or its
        chosen entry's name), and its problems."""
        with storage_errors():
            allergens = self._allergens.allergens(include_inactive=True)
        by_id = {int(a.id or 0): a for a in allergens}
        substance = " ".join(allergy.substance.split())
        if allergy.allergen_id is not None:
            allergen = by_id.get(allergy.allergen_id)  # gone: validation says choose again
        else:
            # Typed words that *are* an entry ("Lignocaine") are tied to it.
            allergen = resolve_substance(substance, allergens)
        if allergen is not None:
            substance = allergen.name
        prepared = replace(
            allergy,
            substance=substance,
            allergen_id=allergen.id if allergen is not None else allergy.allergen_id,
            reaction=allergy.reaction.strip(),
            note=allergy.note.strip(),
            id=None,
            status="current",
        )
        return prepared, validate_allergy(prepared, allergens=by_id)

    def _same_substance(self, a: Allergy, b: Allergy) -> bool:
        if a.allergen_id is not None or b.allergen_id is not None:
            return a.allergen_id == b.allergen_id
        return term_key(a.substance) == term_key(b.substance)

    def _not_listed_twice(self, allergy: Allergy, other_than: int | None = None) -> list[Problem]:
        with storage_errors():
            current = self._allergies.for_patient(allergy.patient_id)
        for existing in current:
            if existing.series_id != other_than and self._same_substance(existing, allergy):
                return [
                    Problem(
                        "substance",
                        f"{existing.substance} is already on this patient's list; correct that "
                        "one instead.",
                    )
                ]
        return []

    def _insert(
        self, allergy: Allergy, *, supersedes: Allergy | None = None, reason: str = ""
    ) -> Allergy:
        """Write one allergy (or a new version) and its audit entry; inside ``write()``."""
        now = self._ctx.now()
        new_id = self._allergies.insert(
            allergy,
            at=now.isoformat(),
            by=self._ctx.desk.require().id,
            supersedes=supersedes,
            reason=reason,
        )
        stored = self._allergies.get(new_id)
        assert stored is not None
        words = f"{stored.substance} ({allergy_detail(stored)})"
        self._ctx.audit(
            "amend" if supersedes else "create",
            "patient_allergies",
            new_id,
            patient_id=stored.patient_id,
            summary=f"Corrected allergy: {reason} — {words}" if supersedes else f"Allergy: {words}",
            before=_fields(supersedes) if supersedes else None,
            after=_fields(stored),
            at=now,
        )
        return stored

    def _merge(self, allergy: Allergy) -> None:
        """Add a screening's allergy, or correct the listed one where the screening says more."""
        current = self._allergies.for_patient(allergy.patient_id)
        existing = next((a for a in current if self._same_substance(a, allergy)), None)
        if existing is None:
            self._insert(allergy)
            return
        merged = replace(
            existing,
            severity=existing.severity if allergy.severity == "unknown" else allergy.severity,
            reaction=allergy.reaction or existing.reaction,
        )
        if not _same(existing, merged):
            self._insert(
                replace(merged, source="screening", screening_id=allergy.screening_id),
                supersedes=existing,
                reason=SCREENING_REASON,
            )

    def _saved(self, stored: Allergy | None) -> SaveResult:
        assert stored is not None
        return SaveResult(record=stored, changes=Changes(frozenset({ALLERGIES}), stored.patient_id))


_COMPARED = ("allergen_id", "substance", "severity", "reaction", "note")


def _same(a: Allergy, b: Allergy) -> bool:
    return all(getattr(a, k) == getattr(b, k) for k in _COMPARED)


def _fields(allergy: Allergy | None) -> dict[str, Any] | None:
    """What the audit trail keeps of a version: its id and the facts a person typed."""
    if allergy is None:
        return None
    return {"allergy_id": allergy.id, **{k: getattr(allergy, k) for k in _COMPARED}}
