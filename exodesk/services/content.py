"""ContentService: the clinical content report (every patient-facing sentence) and its reviews.

The report is built from the same loaders and clinic edits the app prints from (the rule table
as the clinic tightened it, the aftercare wording in use, the comparison with the clinic's
texts, the regulatory notes, the consent text in use), so it lists what patients are given.
A review ("reviewed by <name> on <date>") is stored against one content version in the
settings table and counts only while that exact wording is in use.
"""

from __future__ import annotations

from datetime import date

from exodesk.domain.accounts import CONTENT_REVIEW
from exodesk.domain.content import (
    ContentReport,
    ContentReview,
    aftercare_entries,
    comparison_entries,
    consent_entries,
    content_version,
    digest,
    regulatory_entries,
    review_from_dict,
    screening_entries,
    with_reviews,
)
from exodesk.domain.problems import Problem, check_text
from exodesk.domain.sessions import TREATMENTS
from exodesk.services.aftercare import AftercareService
from exodesk.services.comparison import ComparisonService
from exodesk.services.context import SETTINGS, Changes, SaveResult, ServiceContext
from exodesk.services.screening import ScreeningService
from exodesk.storage.database import storage_errors
from exodesk.storage.settings import SettingsRepository

REVIEWS_KEY = "content.reviews"
MAX_REVIEWER = 120


class ContentService:
    """Builds the clinical content report and records who reviewed which version."""

    def __init__(
        self,
        ctx: ServiceContext,
        screening: ScreeningService,
        aftercare: AftercareService,
        comparison: ComparisonService,
    ) -> None:
        self._ctx = ctx
        self._screening = screening
        self._aftercare = aftercare
        self._comparison = comparison
        self._settings = SettingsRepository(ctx.db)

    # ---- the report ----------------------------------------------------------------------
    def report(self) -> ContentReport:
        """Every patient-facing sentence in use, with its source, status and the version."""
        bundled = self._ctx.bundled
        table = self._screening.rules()
        clinic_rules = tuple(table.overrides)
        wordings = {t: self._aftercare.wording(t) for t in TREATMENTS}
        edited_sheets = tuple(t for t, w in wordings.items() if w.edited)
        texts = self._comparison.clinic_texts()
        comparison = self._comparison.content()
        consent_version, consent_text = self._screening.consent_text()
        consent_edited = consent_text.strip() != self._screening.default_consent_text().strip()
        entries = [
            *screening_entries(table, clinic_rules=clinic_rules),
            *consent_entries(consent_text, version=consent_version, edited=consent_edited),
            *aftercare_entries(
                [w.template for w in wordings.values()],
                sources=bundled.aftercare_sources,
                edited=edited_sheets,
            ),
            *comparison_entries(comparison),
            *regulatory_entries(bundled.regulatory_facts),
        ]
        bundled_sheets = sorted({t.version for t in bundled.aftercare.values()})
        aftercare = f"aftercare {', '.join(bundled_sheets)}"
        if edited_sheets:
            aftercare += (
                " + clinic wording ("
                + ", ".join(f"{t} {wordings[t].version}" for t in edited_sheets)
                + ")"
            )
        rules = f"rules {table.base_version}" + (" + clinic settings" if clinic_rules else "")
        comparison_part = f"comparison {bundled.comparison.version}"
        if texts.edits or texts.notes:
            comparison_part += f" + clinic texts v{texts.version}"
        parts = [
            rules,
            aftercare,
            comparison_part,
            f"regulatory {bundled.regulatory_version}",
            f"consent v{consent_version}" + (" (clinic's own)" if consent_edited else ""),
        ]
        report = ContentReport(
            version=content_version(parts, entries),
            clinic_edits=bool(
                clinic_rules or edited_sheets or texts.edits or texts.notes or consent_edited
            ),
            entries=tuple(entries),
            # Sources beyond the seeds name their publisher, year and address too.
            source_titles={s.id: f"{s.citation} {s.url}".strip() for s in comparison.sources},
        )
        return with_reviews(report, self.reviews())

    def file_name(self, report: ContentReport) -> str:
        """ "clinical-content-<digest>.pdf": the digest names the wording the file lists."""
        return f"clinical-content-{digest(report.entries)}.pdf"

    def pdf(self, report: ContentReport | None = None) -> bytes:
        """The report as a PDF on the clinic's letterhead and paper, dated today."""
        # Imported here, as the other services do: reportlab is not needed until a print.
        from exodesk.reports.content_report import render_content_report

        report = report or self.report()
        with storage_errors():
            clinic = self._settings.clinic()
        return render_content_report(report, clinic=clinic, printed_on=self._ctx.today())

    # ---- reviews -------------------------------------------------------------------------
    def reviews(self) -> list[ContentReview]:
        """Every recorded review, oldest first (each names the version it covers)."""
        with storage_errors():
            stored = self._settings.get_value(REVIEWS_KEY, []) or []
        return [review_from_dict(r) for r in stored]

    def record_review(self, reviewer: str, reviewed_on: date) -> SaveResult:
        """Record "reviewed by <reviewer> on <reviewed_on>" against the version in use now.

        Returns:
            The stored ``ContentReview``, or the problems to show beside the fields.
        """
        self._ctx.require(CONTENT_REVIEW)
        reviewer = " ".join(reviewer.split())
        problems = check_text(
            "reviewer", reviewer, "The reviewer's name", required=True, max_len=MAX_REVIEWER
        )
        if reviewed_on > self._ctx.today():
            problems.append(Problem("reviewed_on", "The review date cannot be in the future."))
        if problems:
            return SaveResult(problems=problems)
        actor = self._ctx.desk.require()
        version = self.report().version
        review = ContentReview(version, reviewer, reviewed_on, recorded_by=actor.name)
        with self._ctx.write():
            stored = list(self._settings.get_value(REVIEWS_KEY, []) or [])
            stored.append(review.to_dict())
            self._settings.set_value(REVIEWS_KEY, stored)
            self._ctx.audit(
                "update",
                "settings",
                None,
                summary=f"Clinical content: {review.sentence()} (version {version})",
                after={"content_review": review.to_dict()},
            )
        return SaveResult(record=review, changes=Changes(frozenset({SETTINGS})))
