"""An insider with a reception password: what the services refuse them (issue #19, access)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from exodesk.domain.patient import Patient
from exodesk.domain.staff import StaffMember
from exodesk.errors import UserError
from exodesk.services.backups import BackupService
from exodesk.services.clinic import ClinicService
from exodesk.services.context import PermissionRefused
from exodesk.services.demo import seat
from exodesk.services.subject_access import ExportResult, SubjectAccessService
from exodesk.services.workspace import Services


@pytest.fixture
def reception(services: Services) -> Services:
    """The clinic of the ``services`` fixture with Rita from reception at the desk."""
    rita = services.clinic.save_staff(StaffMember("Rita Reception", "reception")).record
    services.patients.create(Patient("Smith", "Olivia", date(1985, 4, 3)))
    seat(services, rita.id)
    return services


def _backups(svc: Services) -> BackupService:
    return BackupService(svc.ctx, svc.paths)


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


@pytest.mark.parametrize("reason", ["daily", "close", "manual"])
def test_reception_cannot_copy_the_clinic_to_a_folder_of_their_choosing(
    reception: Services, tmp_path: Path, reason: str
) -> None:
    stick = tmp_path / "my-usb-stick"
    stick.mkdir()
    with pytest.raises(PermissionRefused):
        _backups(reception).backup_now(stick, reason=reason)
    assert _files(stick) == set()


def test_the_automatic_backups_still_run_for_reception_into_the_clinic_folder(
    reception: Services,
) -> None:
    backups = _backups(reception)
    record = backups.backup_if_due()
    assert record is not None and record.path.parent == reception.paths.backups
    closing = backups.backup_now(reason="close")
    assert closing.path.parent == reception.paths.backups


def test_reception_cannot_record_a_backup_that_was_not_automatic_or_does_not_exist(
    reception: Services, tmp_path: Path
) -> None:
    backups = _backups(reception)
    made = backups.backup_now(reason="daily")
    elsewhere = tmp_path / "elsewhere.sqlite3"
    elsewhere.write_bytes(made.path.read_bytes())
    with pytest.raises(PermissionRefused):
        backups.record_backup(
            type(made)(path=elsewhere, created_at=made.created_at, reason="daily", size=made.size)
        )
    ghost = type(made)(
        path=reception.paths.backups / "exodesk-20261121-100000-daily.sqlite3",
        created_at=made.created_at,
        reason="daily",
        size=1,
    )
    with pytest.raises(UserError, match="no backup"):
        backups.record_backup(ghost)


def test_reception_cannot_delete_backups_by_rotating_them(reception: Services) -> None:
    backups = _backups(reception)
    backups.backup_now(reason="daily")
    before = _files(reception.paths.backups)
    with pytest.raises(PermissionRefused):
        backups.rotate(reception.ctx.now() + timedelta(days=4000))
    assert _files(reception.paths.backups) == before


def test_failed_unlocks_cannot_be_backdated_in_someone_elses_name(
    services: Services,
) -> None:
    admin = services.ctx.desk.user
    assert admin is not None and admin.id is not None
    # Someone has been at this desk since the file opened: too late to add "unlock" failures.
    with pytest.raises(UserError, match="as it opens"):
        services.accounts.record_failed_unlock(admin.id, services.ctx.now())


def test_failed_unlocks_are_recorded_only_as_the_file_opens_and_only_if_recent(
    data_paths, clock, services: Services
) -> None:
    from exodesk.services.workspace import open_services

    admin_id = services.clinic.staff()[0].id
    services.close()
    opened = open_services(data_paths, clock=clock)
    try:
        now = opened.ctx.now()
        with pytest.raises(UserError, match="not from the prompt"):
            opened.accounts.record_failed_unlock(admin_id, now - timedelta(days=30))
        with pytest.raises(UserError, match="not from the prompt"):
            opened.accounts.record_failed_unlock(admin_id, now + timedelta(hours=2))
        opened.accounts.record_failed_unlock(admin_id, now - timedelta(minutes=3))
    finally:
        opened.close()


def test_reception_cannot_log_a_subject_access_export_that_never_happened(
    reception: Services, tmp_path: Path
) -> None:
    pdf, js = tmp_path / "export.pdf", tmp_path / "export.json"
    pdf.write_bytes(b"%PDF-1.4")
    js.write_text("{}")
    patient_id = reception.patients.search("smith").rows[0].id
    with pytest.raises(PermissionRefused):
        SubjectAccessService(reception.ctx).record(ExportResult(patient_id, js, pdf, {}))


def test_an_admin_cannot_log_an_export_whose_files_are_not_there(
    services: Services, tmp_path: Path
) -> None:
    patient = services.patients.create(Patient("Smith", "Olivia", date(1985, 4, 3))).record
    missing = ExportResult(patient.id, tmp_path / "a.json", tmp_path / "a.pdf", {})
    with pytest.raises(UserError, match="not there"):
        SubjectAccessService(services.ctx).record(missing)


def test_reception_cannot_ask_who_is_locked_out(reception: Services) -> None:
    admin_id = next(m.id for m in reception.clinic.staff() if m.is_admin)
    with pytest.raises(PermissionRefused):
        reception.accounts.account(admin_id)
    me = reception.ctx.desk.user
    assert me is not None and reception.accounts.account(me.id).member.id == me.id
    # The sign-in dialog learns only whether a first password may be chosen.
    assert reception.accounts.may_set_first_password(admin_id) is False


def test_no_service_puts_someone_at_the_desk_without_a_password() -> None:
    assert not hasattr(ClinicService, "sign_in")
