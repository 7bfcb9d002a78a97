"""Who may do what, proved on every service method that changes or reveals data.

One table: each guarded method, the seats allowed to call it, and a call that succeeds for
them. Every other seat is refused with PermissionRefused and leaves exactly one 'refused' entry
in the audit trail. A meta-test walks every public method of every service class, so a new
method fails the suite until it is in the table or in a commented list of exceptions.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

import exodesk.services
from exodesk.domain import accounts as perms
from exodesk.domain.accounts import allowed
from exodesk.domain.allergies import Allergen, Allergy
from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.patient import Patient
from exodesk.domain.sessions import AdverseEvent, Lot, Product, SessionProduct
from exodesk.domain.staff import StaffMember
from exodesk.errors import UserError
from exodesk.paths import DataPaths
from exodesk.services.audit import AuditService
from exodesk.services.backups import BackupService
from exodesk.services.clinic import ClinicService
from exodesk.services.comparison import ClinicComparisonTexts
from exodesk.services.context import Desk, PermissionRefused, ServiceContext
from exodesk.services.subject_access import ExportResult, SubjectAccessService
from exodesk.services.workspace import Services, open_services
from exodesk.storage.database import open_database
from tests.answers import answered
from tests.conftest import FakeClock

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

SEATS = {
    "reception": StaffMember("Priya Shah", "reception"),
    "practitioner": StaffMember("Dr Amara Okafor", "practitioner"),
    "reception+admin": StaffMember("Tom Reyes", "reception", is_admin=True),
    "practitioner+admin": StaffMember("Ada Admin", "practitioner", is_admin=True),
}
EVERYONE = frozenset(SEATS)
CLINICAL = frozenset({"practitioner", "practitioner+admin"})
ADMINS = frozenset({"reception+admin", "practitioner+admin"})
CLINICAL_OR_ADMIN = CLINICAL | ADMINS


# ---- one clinic with something of everything, copied for each test ---------------------------
@dataclass
class World:
    """An open copy of the clinic, and the records and drafts the calls need."""

    s: Services
    backups: BackupService
    audit: AuditService
    tmp: Path
    ids: dict[str, int]
    made: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        ids, made = self.__dict__["ids"], self.__dict__["made"]
        return made[name] if name in made else ids[name]


def _mark_called(world: World) -> object:
    """A month after the template's session, Olivia Smith is due: note that she was called."""
    world.s.ctx.clock.advance(days=30)  # type: ignore[attr-defined]
    return world.s.recall.mark_due(world.course, "called")


def _build_template(folder: Path) -> dict[str, int]:
    svc = open_services(DataPaths(folder), create=True, clock=FakeClock())
    try:
        ada = svc.clinic.add_first_staff(SEATS["practitioner+admin"]).record
        ids = {"practitioner+admin": ada.id}
        svc.clinic.save_settings(ClinicSettings(name="Riverside Skin Clinic"))
        for seat in ("reception", "practitioner", "reception+admin"):
            ids[seat] = svc.clinic.save_staff(SEATS[seat]).record.id
        a = svc.patients.create(Patient("Smith", "Olivia", date(1985, 4, 3), "female")).record
        b = svc.patients.create(Patient("Jones", "Emma", date(1990, 6, 1), "female")).record
        ids |= {"patient_a": a.id, "patient_b": b.id}
        ids["allergy"] = svc.allergies.record(Allergy(a.id, "Nickel", "mild")).record.id
        screening_a = svc.screening.save(a.id, answered()).record
        svc.screening.record_consent(screening_a.id, "Olivia Smith", PNG)
        # Pregnancy: exosomes deferred (an override), PRP needs review (a sign-off).
        screening_b = svc.screening.save(b.id, answered({"pregnant": True})).record
        ids |= {"screening_a": screening_a.id, "screening_b": screening_b.id}
        product = svc.catalogue.save_product(
            Product("VerdeCell", "Botanica", "exosome", "plant", "topical")
        ).record
        lot = svc.catalogue.save_lot(
            Lot(product.id, "VC-2411", svc.ctx.today() + timedelta(days=100))
        ).record
        ids |= {"product": product.id, "lot": lot.id}
        course = svc.courses.start_course(a.id, "skin_rejuvenation", "exosome_face").record
        draft = replace(
            svc.sessions.prefill(a.id, course.id),
            needle_depth_mm=0.75,
            products=(SessionProduct(lot.id, 2.0),),
        )
        check = svc.sessions.check(draft)
        session = svc.sessions.record(draft, confirmed=[n.id for n in check.regulatory]).record
        event = svc.events.log_event(
            AdverseEvent(session.id, "bruising", svc.ctx.today(), "mild", "Pinpoint bruising")
        ).record
        sheet = svc.aftercare.sheet(treatment="exosome_face", session_id=session.id)
        document = svc.aftercare.record_issue(
            sheet, svc.aftercare.render(sheet), "printed", patient_id=a.id, session_id=session.id
        ).record
        ids |= {"course": course.id, "session": session.id, "event": event.id}
        ids |= {"document": document}
        BackupService(svc.ctx, svc.paths).backup_now()
    finally:
        svc.close()
    return ids


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    folder = tmp_path_factory.mktemp("roles") / "clinic"
    return folder, _build_template(folder)


@pytest.fixture
def world(template: tuple[Path, dict[str, int]], tmp_path: Path) -> Iterator[World]:
    folder, ids = template
    copy = tmp_path / "clinic"
    shutil.copytree(folder, copy)
    svc = open_services(DataPaths(copy), create=False, clock=FakeClock())
    w = World(svc, BackupService(svc.ctx, svc.paths), AuditService(svc.ctx), tmp_path, ids)
    # Everything a call is handed, gathered by the admin practitioner before the seat changes.
    svc.desk.user = svc.clinic.staff()[0]
    assert svc.desk.user.name == "Ada Admin"
    a = svc.patients.get(ids["patient_a"])
    draft = replace(
        svc.sessions.prefill(a.id, None),
        needle_depth_mm=0.5,
        products=(SessionProduct(ids["lot"], 1.0),),
        spacing_reason="Planned with the patient",
    )
    sheet = svc.aftercare.sheet(treatment="exosome_face", session_id=ids["session"])
    view = svc.comparison.view(["prp", "exosome_face"], patient_id=ids["patient_b"])
    w.made |= {
        "patient": a,
        "query": svc.patients.understand("smith", day_first=True),
        "draft": draft,
        "confirmed": [n.id for n in svc.sessions.check(draft).regulatory],
        "sheet": sheet,
        "handout": svc.comparison.handout(view, patient_id=ids["patient_b"]),
        "settings": svc.clinic.settings(),
        "protocol": svc.catalogue.protocols()[0],
        "wording": svc.aftercare.wording("exosome_face").template,
        "backup_file": w.backups.list_backups()[0].path,
        "recall": svc.recall.recall("VC"),
        "due": svc.recall.due_list(),
    }
    yield w
    svc.close()


# ---- the table -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    permission: str
    seats: frozenset[str]
    call: Callable[[World], object]
    closes: bool = False  # the call closes the data file (restore)


def _written_export(w: World) -> ExportResult:
    """Two export files on disk, as ``SubjectAccessService.write`` leaves them."""
    folder = w.tmp / "export-files"
    folder.mkdir(exist_ok=True)
    json_path, pdf_path = folder / "export.json", folder / "export.pdf"
    json_path.write_text("{}")
    pdf_path.write_bytes(b"%PDF-1.4")
    return ExportResult(w.patient_a, json_path, pdf_path, {"patients": 1})


def _ok(result: object) -> object:
    """A SaveResult must have saved: an allowed call that only returns problems proves little."""
    problems = getattr(result, "problems", None)
    assert not problems, problems
    return result


def _seal_staff(w: World) -> None:
    """Allowed for admins; this world is a plain clinic, which has no seals to make."""
    try:
        w.s.accounts.seal_staff()
    except PermissionRefused:
        raise
    except UserError as exc:
        assert "separated keys" in str(exc)


TABLE: dict[str, Row] = {
    # ---- patients: reception's work, and everyone's
    "PatientService.page": Row(perms.PATIENTS_VIEW, EVERYONE, lambda w: w.s.patients.page(w.query)),
    "PatientService.search": Row(
        perms.PATIENTS_VIEW, EVERYONE, lambda w: w.s.patients.search("smith")
    ),
    "PatientService.count_matches": Row(
        perms.PATIENTS_VIEW, EVERYONE, lambda w: w.s.patients.count_matches(w.query)
    ),
    "PatientService.get": Row(
        perms.PATIENTS_VIEW, EVERYONE, lambda w: w.s.patients.get(w.patient_a)
    ),
    "PatientService.history": Row(
        perms.PATIENTS_VIEW, EVERYONE, lambda w: w.s.patients.history(w.patient_a)
    ),
    "PatientService.create": Row(
        perms.PATIENTS_EDIT,
        EVERYONE,
        lambda w: _ok(w.s.patients.create(Patient("Nguyen", "Lan", date(1979, 2, 3), "female"))),
    ),
    "PatientService.update": Row(
        perms.PATIENTS_EDIT,
        EVERYONE,
        lambda w: _ok(w.s.patients.update(replace(w.patient, phone="07700 900999"))),
    ),
    "PatientService.set_status": Row(
        perms.PATIENTS_EDIT,
        EVERYONE,
        lambda w: _ok(w.s.patients.set_status(w.patient_b, "inactive", "Moved away")),
    ),
    # ---- allergies: anyone at the desk records them; only a practitioner takes one off
    "AllergyService.summary": Row(
        perms.PATIENTS_VIEW, EVERYONE, lambda w: w.s.allergies.summary(w.patient_a)
    ),
    "AllergyService.history": Row(
        perms.PATIENTS_VIEW, EVERYONE, lambda w: w.s.allergies.history(w.patient_a)
    ),
    "AllergyService.record": Row(
        perms.PATIENTS_EDIT,
        EVERYONE,
        lambda w: _ok(w.s.allergies.record(Allergy(w.patient_b, "Latex", "severe"))),
    ),
    "AllergyService.amend": Row(
        perms.PATIENTS_EDIT,
        EVERYONE,
        lambda w: _ok(
            w.s.allergies.amend(w.allergy, Allergy(w.patient_a, "Nickel", "severe"), "Clarified")
        ),
    ),
    "AllergyService.record_none_known": Row(
        perms.PATIENTS_EDIT, EVERYONE, lambda w: _ok(w.s.allergies.record_none_known(w.patient_b))
    ),
    "AllergyService.mark_entered_in_error": Row(
        perms.ALLERGIES_RETRACT,
        CLINICAL,
        lambda w: _ok(w.s.allergies.mark_entered_in_error(w.allergy, "Wrong patient")),
    ),
    "AllergyService.save_screening": Row(
        perms.SCREENING_TAKE,
        EVERYONE,
        lambda w: _ok(w.s.allergies.save_screening(w.patient_a, answered())),
    ),
    "CatalogueService.save_allergen": Row(
        perms.CATALOGUE_EDIT,
        CLINICAL,
        lambda w: _ok(w.s.catalogue.save_allergen(Allergen("", "Carbomer", "carrier"))),
    ),
    # ---- screenings: reception takes them; a practitioner decides
    "ScreeningService.save": Row(
        perms.SCREENING_TAKE, EVERYONE, lambda w: _ok(w.s.screening.save(w.patient_a, answered()))
    ),
    "ScreeningService.amend": Row(
        perms.SCREENING_TAKE,
        EVERYONE,
        lambda w: _ok(
            w.s.screening.amend(w.screening_a, answered(), "Patient corrected an answer")
        ),
    ),
    "ScreeningService.record_consent": Row(
        perms.SCREENING_TAKE,
        EVERYONE,
        lambda w: _ok(w.s.screening.record_consent(w.screening_b, "Emma Jones", PNG)),
    ),
    "ScreeningService.get": Row(
        perms.SCREENING_VIEW, EVERYONE, lambda w: w.s.screening.get(w.screening_a)
    ),
    "ScreeningService.current": Row(
        perms.SCREENING_VIEW, EVERYONE, lambda w: w.s.screening.current(w.patient_a)
    ),
    "ScreeningService.history": Row(
        perms.SCREENING_VIEW, EVERYONE, lambda w: w.s.screening.history(w.patient_a)
    ),
    "ScreeningService.clearance": Row(
        perms.SCREENING_VIEW,
        EVERYONE,
        lambda w: w.s.screening.clearance(w.patient_a, "exosome_face"),
    ),
    "ScreeningService.summary": Row(
        perms.SCREENING_VIEW, EVERYONE, lambda w: w.s.screening.summary(w.screening_a)
    ),
    "ScreeningService.summary_job": Row(
        perms.SCREENING_VIEW, EVERYONE, lambda w: w.s.screening.summary_job(w.screening_a)
    ),
    "ScreeningService.record_print": Row(
        perms.HANDOUTS_PRINT,
        EVERYONE,
        lambda w: w.s.screening.record_print(w.screening_a, "printed"),
    ),
    "ScreeningService.sign_off": Row(
        perms.SCREENING_SIGN_OFF,
        CLINICAL,
        lambda w: _ok(w.s.screening.sign_off(w.screening_b, "prp", "cleared", "")),
    ),
    "ScreeningService.override": Row(
        perms.SCREENING_OVERRIDE,
        CLINICAL,
        lambda w: _ok(
            w.s.screening.override(w.screening_b, "exosome_face", "Seen by her GP; cleared")
        ),
    ),
    "ScreeningService.set_rule_overrides": Row(
        perms.CLINICAL_TEXTS_EDIT, CLINICAL, lambda w: _ok(w.s.screening.set_rule_overrides({}))
    ),
    "ScreeningService.save_consent_text": Row(
        perms.CLINICAL_TEXTS_EDIT,
        CLINICAL,
        lambda w: _ok(w.s.screening.save_consent_text("I agree to the treatment.")),
    ),
    # ---- catalogue, courses, sessions, events, timeline, recall: clinical
    "CatalogueService.save_product": Row(
        perms.CATALOGUE_EDIT,
        CLINICAL,
        lambda w: _ok(w.s.catalogue.save_product(Product("Numbing cream", "Acme", "anaesthetic"))),
    ),
    "CatalogueService.save_lot": Row(
        perms.CATALOGUE_EDIT,
        CLINICAL,
        lambda w: _ok(
            w.s.catalogue.save_lot(Lot(w.product, "VC-9999", w.s.ctx.today() + timedelta(days=90)))
        ),
    ),
    "CatalogueService.save_protocol": Row(
        perms.CATALOGUE_EDIT, CLINICAL, lambda w: _ok(w.s.catalogue.save_protocol(w.protocol))
    ),
    "CourseService.courses": Row(
        perms.SESSIONS_VIEW, CLINICAL, lambda w: w.s.courses.courses(w.patient_a)
    ),
    "CourseService.start_course": Row(
        perms.SESSIONS_RECORD,
        CLINICAL,
        lambda w: _ok(w.s.courses.start_course(w.patient_b, "scalp_hair", "prp")),
    ),
    "CourseService.set_course_status": Row(
        perms.SESSIONS_RECORD,
        CLINICAL,
        lambda w: _ok(w.s.courses.set_course_status(w.course, "stopped", "Patient moved")),
    ),
    "SessionService.sessions": Row(
        perms.SESSIONS_VIEW, CLINICAL, lambda w: w.s.sessions.sessions(w.patient_a)
    ),
    "SessionService.get": Row(perms.SESSIONS_VIEW, CLINICAL, lambda w: w.s.sessions.get(w.session)),
    "SessionService.prefill": Row(
        perms.SESSIONS_RECORD, CLINICAL, lambda w: w.s.sessions.prefill(w.patient_a, None)
    ),
    "SessionService.check": Row(
        perms.SESSIONS_RECORD, CLINICAL, lambda w: w.s.sessions.check(w.draft)
    ),
    "SessionService.record": Row(
        perms.SESSIONS_RECORD,
        CLINICAL,
        lambda w: _ok(w.s.sessions.record(w.draft, confirmed=w.confirmed)),
    ),
    "SessionService.amend": Row(
        perms.SESSIONS_RECORD,
        CLINICAL,
        lambda w: _ok(
            w.s.sessions.amend(w.session, w.draft, "Depth was wrong", confirmed=w.confirmed)
        ),
    ),
    "SessionService.mark_entered_in_error": Row(
        perms.SESSIONS_RECORD,
        CLINICAL,
        lambda w: _ok(w.s.sessions.mark_entered_in_error(w.session, "Wrong patient chosen")),
    ),
    "EventService.log_event": Row(
        perms.EVENTS_LOG,
        CLINICAL,
        lambda w: _ok(
            w.s.events.log_event(
                AdverseEvent(w.session, "bruising", w.s.ctx.today(), "mild", "A second bruise")
            )
        ),
    ),
    "EventService.regulator_report": Row(
        perms.EVENTS_LOG, CLINICAL, lambda w: w.s.events.regulator_report(w.event)
    ),
    "EventService.regulator_report_job": Row(
        perms.EVENTS_LOG,
        CLINICAL,
        lambda w: w.s.events.regulator_report_job(w.event).record("printed", b"%PDF-1.4"),
    ),
    "EventService.events_for_patient": Row(
        perms.SESSIONS_VIEW, CLINICAL, lambda w: w.s.events.events_for_patient(w.patient_a)
    ),
    "EventService.open_events": Row(
        perms.SESSIONS_VIEW, CLINICAL, lambda w: w.s.events.open_events()
    ),
    "EventService.event": Row(perms.SESSIONS_VIEW, CLINICAL, lambda w: w.s.events.event(w.event)),
    "EventService.regulator_told_on": Row(
        perms.SESSIONS_VIEW, CLINICAL, lambda w: w.s.events.regulator_told_on(w.event)
    ),
    "EventService.session": Row(
        perms.SESSIONS_VIEW, CLINICAL, lambda w: w.s.events.session(w.session)
    ),
    "TimelineService.entries": Row(
        perms.SESSIONS_VIEW, CLINICAL, lambda w: w.s.timeline.entries(w.patient_a)
    ),
    "RecallService.recall": Row(perms.RECALL_VIEW, CLINICAL, lambda w: w.s.recall.recall("VC")),
    "RecallService.recall_job": Row(
        perms.RECALL_VIEW,
        CLINICAL,
        lambda w: w.s.recall.recall_job(w.recall, "VC").record("printed", b"%PDF-1.4"),
    ),
    "RecallService.due_list_job": Row(
        perms.DUE_LIST_VIEW,
        EVERYONE,
        lambda w: w.s.recall.due_list_job(w.due).record("printed", b"%PDF-1.4"),
    ),
    "EventService.record_regulator_report": Row(
        perms.EVENTS_LOG,
        CLINICAL,
        lambda w: w.s.events.record_regulator_report(w.event, "printed"),
    ),
    "RecallService.record_recall_output": Row(
        perms.RECALL_VIEW,
        CLINICAL,
        lambda w: w.s.recall.record_recall_output(w.recall, "VC", "saved as CSV", exported=True),
    ),
    "RecallService.record_due_list_output": Row(
        perms.DUE_LIST_VIEW,
        EVERYONE,
        lambda w: w.s.recall.record_due_list_output(w.due, "printed"),
    ),
    "AftercareService.record_reprint": Row(
        perms.HANDOUTS_PRINT,
        EVERYONE,
        lambda w: w.s.aftercare.record_reprint(w.document, "printed"),
    ),
    "RecallService.due_list": Row(perms.DUE_LIST_VIEW, EVERYONE, lambda w: w.s.recall.due_list()),
    "RecallService.mark_due": Row(perms.DUE_LIST_MARK, EVERYONE, lambda w: _mark_called(w)),
    # ---- handouts: reception prints them; their wording is clinical
    "AftercareService.sheet": Row(
        perms.HANDOUTS_PRINT,
        EVERYONE,
        lambda w: w.s.aftercare.sheet(treatment="exosome_face", session_id=w.session),
    ),
    "AftercareService.record_issue": Row(
        perms.HANDOUTS_PRINT,
        EVERYONE,
        lambda w: _ok(
            w.s.aftercare.record_issue(
                w.sheet, b"%PDF-1.4", "printed", patient_id=w.patient_a, session_id=w.session
            )
        ),
    ),
    "AftercareService.sheet_job": Row(
        perms.HANDOUTS_PRINT,
        EVERYONE,
        lambda w: w.s.aftercare.sheet_job(treatment="exosome_face", session_id=w.session).record(
            "printed", b"%PDF-1.4"
        ),
    ),
    "AftercareService.reprint_job": Row(
        perms.HANDOUTS_PRINT,
        EVERYONE,
        lambda w: w.s.aftercare.reprint_job(w.document).record("printed", b"%PDF-1.4"),
    ),
    "AftercareService.issued": Row(
        perms.HANDOUTS_PRINT, EVERYONE, lambda w: w.s.aftercare.issued(w.patient_a)
    ),
    "AftercareService.reprint": Row(
        perms.HANDOUTS_PRINT, EVERYONE, lambda w: w.s.aftercare.reprint(w.document)
    ),
    "AftercareService.save_wording": Row(
        perms.CLINICAL_TEXTS_EDIT,
        CLINICAL,
        lambda w: _ok(w.s.aftercare.save_wording(replace(w.wording, title="Your aftercare"))),
    ),
    "AftercareService.restore_default_wording": Row(
        perms.CLINICAL_TEXTS_EDIT,
        CLINICAL,
        lambda w: _ok(w.s.aftercare.restore_default_wording("exosome_face")),
    ),
    "ComparisonService.patient_marks": Row(
        perms.HANDOUTS_PRINT, EVERYONE, lambda w: w.s.comparison.patient_marks(w.patient_b)
    ),
    "ComparisonService.view": Row(
        perms.HANDOUTS_PRINT,
        EVERYONE,
        lambda w: w.s.comparison.view(["prp", "microneedling"], patient_id=w.patient_b),
    ),
    "ComparisonService.handout": Row(
        perms.HANDOUTS_PRINT,
        EVERYONE,
        lambda w: w.s.comparison.handout(w.handout.view, patient_id=w.patient_b),
    ),
    "ComparisonService.handout_job": Row(
        perms.HANDOUTS_PRINT,
        EVERYONE,
        lambda w: w.s.comparison.handout_job(w.handout.view, patient_id=w.patient_b).record(
            "saved:/tmp/comparison.pdf", b"%PDF-1.4"
        ),
    ),
    "ComparisonService.record_issue": Row(
        perms.HANDOUTS_PRINT,
        EVERYONE,
        lambda w: _ok(
            w.s.comparison.record_issue(w.handout, b"%PDF-1.4", "printed", patient_id=w.patient_b)
        ),
    ),
    "ComparisonService.save_clinic_texts": Row(
        perms.CLINICAL_TEXTS_EDIT,
        CLINICAL,
        lambda w: _ok(
            w.s.comparison.save_clinic_texts(ClinicComparisonTexts({}, {}, {"prp": "£300"}))
        ),
    ),
    "ComparisonService.restore_defaults": Row(
        perms.CLINICAL_TEXTS_EDIT, CLINICAL, lambda w: _ok(w.s.comparison.restore_defaults())
    ),
    # ---- running the clinic: admins, of either role
    "ClinicService.save_settings": Row(
        perms.SETTINGS_EDIT,
        ADMINS,
        lambda w: _ok(w.s.clinic.save_settings(replace(w.settings, phone="020 7946 0999"))),
    ),
    "ClinicService.save_staff": Row(
        perms.ACCOUNTS_MANAGE,
        ADMINS,
        lambda w: _ok(w.s.clinic.save_staff(StaffMember("Sam New", "reception"))),
    ),
    "AccountService.accounts": Row(
        perms.ACCOUNTS_MANAGE, ADMINS, lambda w: w.s.accounts.accounts()
    ),
    "AccountService.create_account": Row(
        perms.ACCOUNTS_MANAGE,
        ADMINS,
        lambda w: _ok(
            w.s.accounts.create_account(StaffMember("Sam New", "reception"), "temporary pass")
        ),
    ),
    "AccountService.seal_staff": Row(perms.ACCOUNTS_MANAGE, ADMINS, _seal_staff),
    "AccountService.reset_password": Row(
        perms.ACCOUNTS_MANAGE,
        ADMINS,
        lambda w: _ok(w.s.accounts.reset_password(w.ids["reception"], "temporary pass")),
    ),
    "AuditService.entries": Row(perms.AUDIT_VIEW, ADMINS, lambda w: w.audit.entries()),
    "AuditService.people": Row(perms.AUDIT_VIEW, ADMINS, lambda w: w.audit.people()),
    "AuditService.verify": Row(perms.AUDIT_VIEW, ADMINS, lambda w: w.audit.verify()),
    "AuditService.verify_job": Row(perms.AUDIT_VIEW, ADMINS, lambda w: w.audit.verify_job()()),
    "BackupService.backup_now": Row(perms.BACKUPS_RUN, ADMINS, lambda w: w.backups.backup_now()),
    "BackupService.drill": Row(perms.BACKUPS_RUN, ADMINS, lambda w: w.backups.drill()),
    "BackupService.rotate": Row(perms.BACKUPS_RUN, ADMINS, lambda w: w.backups.rotate()),
    "AccountService.account": Row(
        perms.ACCOUNTS_MANAGE, ADMINS, lambda w: w.s.accounts.account(w.ids["practitioner+admin"])
    ),
    "BackupService.restore": Row(
        perms.BACKUPS_RESTORE,
        ADMINS,
        lambda w: w.backups.restore(w.backup_file, lock=False),
        closes=True,
    ),
    "BackupService.export": Row(perms.EXPORT_CLINIC, ADMINS, lambda w: w.backups.export(w.tmp)),
    "ContentService.record_review": Row(
        perms.CONTENT_REVIEW,
        CLINICAL_OR_ADMIN,
        lambda w: _ok(w.s.content.record_review("Dr Amara Okafor", w.s.ctx.today())),
    ),
    "SubjectAccessService.collect": Row(
        perms.EXPORT_PATIENT, ADMINS, lambda w: SubjectAccessService(w.s.ctx).collect(w.patient_a)
    ),
    "SubjectAccessService.prepare": Row(
        perms.EXPORT_PATIENT, ADMINS, lambda w: SubjectAccessService(w.s.ctx).prepare(w.patient_a)
    ),
    "SubjectAccessService.record": Row(
        perms.EXPORT_PATIENT,
        ADMINS,
        lambda w: SubjectAccessService(w.s.ctx).record(_written_export(w)),
    ),
    "SubjectAccessService.export": Row(
        perms.EXPORT_PATIENT,
        ADMINS,
        lambda w: SubjectAccessService(w.s.ctx).export(w.patient_a, w.tmp),
    ),
}

# Public methods with no permission check, and why. Anything added here needs a reason a
# reviewer agrees with: it reveals nothing personal, or it is the app's own duty.
NOT_GUARDED: dict[str, str] = {
    # Dates and clocks.
    **{
        f"{c}.today": "today's date"
        for c in (
            "PatientService",
            "ScreeningService",
            "CatalogueService",
            "SessionService",
            "EventService",
            "AftercareService",
            "ComparisonService",
            "AuditService",
        )
    },
    "BackupService.now": "the service's clock",
    "BackupService.ready": "waits for the start-up check of the file; reads nothing",
    # Reference data: rules, protocols, vocabularies, the catalogue, clinic name and paper.
    "PatientService.understand": "parses search text; reads nothing",
    "ScreeningService.rules": "the screening rule table (reference data)",
    "ScreeningService.bundled_rules": "the bundled screening rule table (reference data)",
    "ScreeningService.valid_days": "a clinic setting: how long a screening stays valid",
    "ScreeningService.preview": "judges answers it is given; reads no record",
    "ScreeningService.consent_text": "the clinic's consent wording (reference text)",
    "ScreeningService.default_consent_text": "the bundled consent wording (reference text)",
    "CatalogueService.products": "the product catalogue (reference data)",
    "CatalogueService.product": "the product catalogue (reference data)",
    "CatalogueService.lots": "the lot catalogue (reference data)",
    "CatalogueService.lot": "the lot catalogue (reference data)",
    "AllergyService.allergens": "the clinic's allergen list (reference data)",
    "CatalogueService.allergens": "the clinic's allergen list (reference data)",
    "CatalogueService.protocols": "protocol templates (reference data)",
    "CatalogueService.protocol_details": "a bundled protocol's details (reference data)",
    "SessionService.practitioners": "staff names, for choosing who treated",
    "SessionService.regulatory_texts": "the regulatory notes' wording (reference text)",
    "AftercareService.wording": "the clinic's aftercare wording (reference text)",
    "AftercareService.default_wording": "the bundled aftercare wording (reference text)",
    "ComparisonService.clinic_texts": "the clinic's comparison texts and prices (reference)",
    "ComparisonService.content": "the comparison table (reference data)",
    "ComparisonService.standard_content": "the bundled comparison table (reference data)",
    "ContentService.report": "the clinical content and its review (reference text)",
    "ContentService.reviews": "who reviewed which content version (reference)",
    "ContentService.pdf": "the clinical content report (reference text, no patient data)",
    "ContentService.file_name": "a file name for the content report",
    "ClinicService.settings": "the clinic's name, address and paper size",
    "ClinicService.staff": "staff names: the sign-in dialog lists them before anyone signs in",
    "ClinicService.info": "schema version and record counts (Help → About, `exodesk info`)",
    "AuditService.data_file": "the data file's path",
    # Pure formatting of what the caller was already allowed to fetch.
    "RecallService.recall_csv": "formats a Recall that recall() (RECALL_VIEW) returned",
    "RecallService.recall_report": "formats a Recall that recall() (RECALL_VIEW) returned",
    "RecallService.due_report": "formats entries that due_list() (DUE_LIST_VIEW) returned",
    "AftercareService.render": "renders a sheet that sheet() (HANDOUTS_PRINT) built",
    "ComparisonService.render": "renders a handout that handout() (HANDOUTS_PRINT) built",
    # Backups: the app's own duty (automatic, at start and close; audited as such) or facts
    # about backup files that hold nothing personal in themselves.
    "BackupService.is_due": "automatic backups: is one due today",
    "BackupService.backup_if_due": "the automatic daily backup",
    "BackupService.changed_since_last_backup": "automatic backups: row counts only",
    "BackupService.backup_on_close": "the automatic backup on closing",
    "BackupService.after_background_backup": "audits and rotates an automatic backup",
    "BackupService.record_backup": "audits an automatic backup in the clinic's own folder; "
    "any other needs BACKUPS_RUN (tests/security/test_permissions.py)",
    "BackupService.list_backups": "backup file names, dates, sizes and row counts",
    "BackupService.verify": "checks a backup file can be restored; changes nothing",
    "SubjectAccessService.write": "writes what prepare() (EXPORT_CLINIC) returned; no data file",
    # Accounts: signing in is how a person gets permissions; these act for oneself only.
    "AccountService.has_passwords": "whether anyone has a password yet (sign-in dialog)",
    "AccountService.may_set_first_password": "whether this person chooses a first password "
    "at the sign-in dialog (nothing about lock-outs)",
    "AccountService.first_account": "a brand-new clinic only: refused once staff exist",
    "AccountService.sign_in": "checks the password; tested in test_accounts.py",
    "AccountService.verify_unlock": "checks the password; tested in test_accounts.py",
    "AccountService.sign_out": "the person at the desk leaves",
    "BackupService.key": "the open file's data key, for the app's own backup workers "
    "(never shown; whoever runs the app already opened the file with it)",
    "AccountService.record_failed_unlock": "audits wrong passwords typed before the file "
    "opened: only before anyone signs in, only recent (tests/security/test_permissions.py)",
    "AccountService.restore_access": "only with this file's recovery key (tested in "
    "tests/ui/test_encryption_flow.py)",
    "AccountService.change_password": "one's own password, after checking the old one",
    "ClinicService.add_first_staff": "a brand-new clinic only (wraps first_account)",
}


def _service_classes() -> list[type]:
    found = []
    for info in pkgutil.iter_modules(exodesk.services.__path__):
        module = importlib.import_module(f"exodesk.services.{info.name}")
        for name, cls in vars(module).items():
            if (
                inspect.isclass(cls)
                and name.endswith("Service")
                and cls.__module__ == module.__name__
            ):
                found.append(cls)
    return sorted(found, key=lambda c: c.__name__)


def _public_methods(cls: type) -> list[str]:
    """Public methods, static and class methods and properties defined by the class itself
    (or a service base class it inherits from)."""
    names = set()
    for klass in cls.__mro__:
        if klass is object:
            continue
        for name, value in vars(klass).items():
            callable_ = inspect.isfunction(value) or isinstance(
                value, (staticmethod, classmethod, property)
            )
            if callable_ and not name.startswith("_"):
                names.add(name)
    return sorted(names)


def test_every_public_service_method_is_guarded_or_says_why_not() -> None:
    classes = _service_classes()
    assert {c.__name__ for c in classes} >= {
        "PatientService",
        "ScreeningService",
        "CatalogueService",
        "CourseService",
        "SessionService",
        "EventService",
        "RecallService",
        "TimelineService",
        "AftercareService",
        "ComparisonService",
        "ClinicService",
        "AuditService",
        "BackupService",
        "AccountService",
    }
    methods = {f"{c.__name__}.{m}" for c in classes for m in _public_methods(c)}
    missing = sorted(methods - TABLE.keys() - NOT_GUARDED.keys())
    assert not missing, (
        "These service methods are in neither the role table nor NOT_GUARDED: add a "
        f"ctx.require(...) check and a row to TABLE (or a reason to NOT_GUARDED): {missing}"
    )
    assert not TABLE.keys() & NOT_GUARDED.keys()
    assert sorted((TABLE.keys() | NOT_GUARDED.keys()) - methods) == [], "stale entries"


def test_the_table_agrees_with_the_domain_rules() -> None:
    for name, row in TABLE.items():
        for seat, member in SEATS.items():
            assert allowed(member, row.permission) == (seat in row.seats), (name, seat)


def _refusals(w: World) -> list[tuple[int, str]]:
    return [
        (actor, json.loads(after)["permission"])
        for actor, after in w.s.ctx.db.execute(
            "SELECT actor_id, after FROM audit_log WHERE action = 'refused' ORDER BY id"
        )
    ]


def _audit_count(w: World) -> int:
    return int(w.s.ctx.db.execute("SELECT count(*) FROM audit_log").fetchone()[0])


@pytest.mark.parametrize("seat", list(SEATS))
@pytest.mark.parametrize("method", list(TABLE))
def test_each_seat_is_allowed_or_refused_and_audited(world: World, method: str, seat: str) -> None:
    row = TABLE[method]
    member = next(m for m in world.s.clinic.staff() if m.name == SEATS[seat].name)
    world.s.desk.user = member
    before, entries = _refusals(world), _audit_count(world)
    if seat in row.seats:
        row.call(world)
        if not row.closes:
            assert _refusals(world) == before
        return
    with pytest.raises(PermissionRefused) as refused:
        row.call(world)
    assert refused.value.permission == row.permission
    assert refused.value.message.startswith(f"{member.name} may not ")
    assert _refusals(world) == [*before, (member.id, row.permission)]
    assert _audit_count(world) == entries + 1, "the refusal is the only entry, and it stays"
    assert not world.s.ctx.db.conn.in_transaction


# ---- the check itself ------------------------------------------------------------------------
def test_a_refusal_stands_when_the_file_cannot_take_its_note(
    template: tuple[Path, dict[str, int]], caplog: pytest.LogCaptureFixture
) -> None:
    folder, ids = template
    db = open_database(DataPaths(folder).data_file, read_only=True)
    try:
        desk = Desk()
        desk.user = replace(SEATS["reception"], id=ids["reception"])
        with pytest.raises(PermissionRefused, match="may not see the audit trail"):
            AuditService(ServiceContext(db=db, desk=desk)).entries()
    finally:
        db.close()
    assert "refusal not recorded in the audit trail" in caplog.text


def test_nobody_at_the_desk_is_refused_before_any_permission(world: World) -> None:
    world.s.desk.user = None
    with pytest.raises(UserError, match="Nobody is signed in"):
        world.s.patients.search("smith")


def test_the_command_line_acts_without_a_person_and_says_so(
    template: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    folder, _ids = template
    copy = tmp_path / "clinic"
    shutil.copytree(folder, copy)
    paths = DataPaths(copy)
    db = open_database(paths.data_file)
    try:
        ctx = ServiceContext(db=db, desk=Desk(command_line=True), clock=FakeClock())
        BackupService(ctx, paths, actor_name="exodesk command line").backup_now()
        actor = db.execute("SELECT actor_id, actor_name FROM audit_log ORDER BY id DESC").fetchone()
        assert actor == (None, "exodesk command line")
        # A person at a command-line desk is held to their role like anywhere else.
        ctx.desk.user = next(m for m in ClinicService(ctx).staff() if m.role == "reception")
        with pytest.raises(PermissionRefused):
            BackupService(ctx, paths).backup_now()
    finally:
        db.close()


def test_lists_and_reports_that_leave_the_building_are_audited_without_names(
    world: World,
) -> None:
    s = world.s
    s.recall.record_recall_output(world.recall, "VC", "saved as CSV", exported=True)
    s.recall.record_due_list_output(world.due, "printed")
    s.events.record_regulator_report(world.event, "saved as PDF")
    s.aftercare.record_reprint(world.document, "printed")
    rows = s.ctx.db.execute(
        "SELECT action, summary, coalesce(after, '') FROM audit_log ORDER BY id DESC LIMIT 4"
    ).fetchall()
    assert [r[0] for r in reversed(rows)] == ["export", "print", "print", "print"]
    assert rows[-1][1] == "Recall list for “VC” saved as CSV: 1 patients"
    assert rows[0][1] == "Aftercare sheet (exosome_face) reprinted: printed"
    for _action, summary, after in rows:
        assert "Smith" not in summary + after and "Olivia" not in summary + after
