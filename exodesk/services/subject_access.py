"""Subject access: every record about one patient, as a JSON file and a PDF they can read."""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from exodesk import APP_NAME, __version__
from exodesk.domain.accounts import EXPORT_PATIENT
from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.screening import RuleTable
from exodesk.domain.subject_access import PatientExport, decode_row, export_json, file_stem
from exodesk.errors import UserError
from exodesk.services.context import Changes, ServiceContext
from exodesk.services.vocabulary import vocabulary
from exodesk.storage.backup import PARTIAL_SUFFIX, copy_errors, discard, fsync_folder
from exodesk.storage.database import storage_errors
from exodesk.storage.photo_backup import PhotoFile, photo_files, write_photo_files
from exodesk.storage.photo_store import FolderPhotoStore
from exodesk.storage.settings import SettingsRepository
from exodesk.storage.subject_access import SubjectAccessRepository

if TYPE_CHECKING:
    from exodesk.reports.subject_access import SubjectAccessReport

log = logging.getLogger(__name__)

AUDIT = "audit"
GENERATOR = f"{APP_NAME} {__version__}"

__all__ = ["ExportResult", "PatientExport", "PreparedExport", "SubjectAccessService"]


@dataclass(frozen=True)
class PreparedExport:
    """Everything read from the data file for one export; writing it needs no connection.

    Attributes:
        export: The patient's records.
        clinic: The clinic's details, for the PDF's letterhead and paper size.
        rules: The screening rule table, to print questions in words (None if unreadable).
        regulatory: The regulatory facts' texts by id, for the sessions' confirmations.
        today: The local date: the PDF's print date and the files' date.
        photos: The patient's photos, named by date, area and view (entered-in-error ones
            too: they are kept records), read from ``photo_store`` when written.
        photo_store: The clinic's photo store (file work only: safe off the UI thread).
    """

    export: PatientExport
    clinic: ClinicSettings
    rules: RuleTable | None
    regulatory: dict[str, str]
    today: date
    photos: tuple[PhotoFile, ...] = ()
    photo_store: FolderPhotoStore | None = None

    def report(self, json_name: str) -> SubjectAccessReport:
        """The readable copy's data, naming the JSON file it goes with."""
        # Imported here, not at the top: reportlab costs ~100 ms of start-up (issue #9).
        from exodesk.reports.subject_access import build_report

        return build_report(
            self.export,
            clinic=self.clinic,
            printed_on=self.today,
            json_name=json_name,
            rules=self.rules,
            regulatory=self.regulatory,
            vocabulary=vocabulary(),
        )


@dataclass(frozen=True)
class ExportResult:
    """The two files of a finished export.

    Attributes:
        patient_id: Whose records they hold.
        json_path: The machine-readable file.
        pdf_path: The readable copy.
        counts: Rows per table in the JSON file.
    """

    patient_id: int
    json_path: Path
    pdf_path: Path
    counts: dict[str, int]
    photos_folder: Path | None = None
    """The folder of the patient's photos (JPEG files), beside the two files; None if none."""
    photos: int = 0
    photos_unreadable: int = 0
    """Photos whose file in the data folder is missing or damaged (not in the folder)."""

    @property
    def folder(self) -> Path:
        return self.json_path.parent

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    def sentence(self) -> str:
        """Where the files went, in one sentence."""
        text = (
            f"Saved in {self.folder}: {self.pdf_path.name} (to read) and "
            f"{self.json_path.name} (the same records for computers)"
        )
        if self.photos_folder is not None:
            text += f", with {self.photos:,} photos in {self.photos_folder.name}"
        text += "."
        if self.photos_unreadable:
            text += (
                f" {self.photos_unreadable:,} photos could not be read (missing or damaged in "
                "the data folder), so they are not in it."
            )
        return text


class SubjectAccessService:
    """Exports everything linked to one patient, and notes the export in the audit trail."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx
        self._repo = SubjectAccessRepository(ctx.db)
        self._settings = SettingsRepository(ctx.db)

    def collect(self, patient_id: int) -> PatientExport:
        """Every record linked to the patient, decoded into JSON-ready values.

        Raises:
            UserError: there is no such patient.
            StorageError: the data file cannot be read.
            PermissionRefused: the person at the desk is not an admin (the refusal is audited).
        """
        self._ctx.require(EXPORT_PATIENT)
        with storage_errors():
            if not self._repo.patient_exists(patient_id):
                raise UserError("That patient no longer exists, so there is nothing to export.")
            records = self._repo.records(patient_id)
            clinic = self._settings.clinic()
        tables = {
            table: [decode_row(table, row) for row in rows]
            for table, rows in records.tables.items()
        }
        [patient] = tables["patients"]
        name = f"{patient['given_names'].strip()} {patient['family_name'].strip()}".strip()
        return PatientExport(
            patient_id=patient_id,
            patient_name=name,
            generated_at=self._ctx.now(),
            clinic_name=clinic.name,
            tables=tables,
        )

    def prepare(self, patient_id: int) -> PreparedExport:
        """Read what an export needs (on the thread that owns the data file).

        Raises:
            UserError: nobody is at the desk (the export must be audited), or no such patient.
            PermissionRefused: the person at the desk is not an admin (the refusal is audited).
        """
        self._ctx.desk.require()
        # The export holds the audit trail and every clinical record and leaves the building:
        # the admins' export permission, as for the whole clinic's data.
        self._ctx.require(EXPORT_PATIENT)
        export = self.collect(patient_id)
        with storage_errors():
            clinic = self._settings.clinic()
        rules: RuleTable | None = None
        regulatory: dict[str, str] = {}
        try:
            rules = self._ctx.bundled.rules
            regulatory = {fact.id: fact.text for fact in self._ctx.bundled.regulatory_facts}
        except (OSError, ValueError):
            # Questions and facts then print by their ids; the export must still be possible.
            log.exception("bundled rules unreadable; the export prints ids instead")
        with storage_errors():
            photos = tuple(photo_files(self._ctx.db.conn, patient_id=patient_id))
        store = self._ctx.photos_store if photos else None
        return PreparedExport(export, clinic, rules, regulatory, self._ctx.today(), photos, store)

    @staticmethod
    def write(prepared: PreparedExport, folder: Path) -> ExportResult:
        """Render and write the two files; safe off the UI thread (no data file is touched).

        Each file is written under a temporary name, flushed to disk, then renamed; if
        anything fails (a full disk, a read-only folder) neither file is left behind.
        Names already in the folder are never overwritten: a second export the same day
        gets ``-2``.

        Raises:
            UserError: the folder does not exist.
            StorageError: the folder cannot be written (full, read-only, gone).
        """
        folder = Path(folder)
        if not folder.is_dir():
            raise UserError(
                f"The folder {folder} does not exist, so nothing was exported.",
                advice="Choose an existing folder (is the USB stick or network drive connected?).",
            )
        export = prepared.export
        json_path, pdf_path = _free_names(
            folder, file_stem(export.patient_id, export.patient_name, prepared.today)
        )
        from exodesk.reports.subject_access import render_subject_access  # see report()

        pdf = render_subject_access(prepared.report(json_path.name))
        text = export_json(export, generator=GENERATOR, pdf_name=pdf_path.name)
        if not prepared.photos or prepared.photo_store is None:
            _write_together(folder, [(json_path, text.encode("utf-8")), (pdf_path, pdf)])
            return ExportResult(export.patient_id, json_path, pdf_path, export.counts)
        photos_dir = _photos_folder(json_path)
        work = folder / f".{photos_dir.name}{PARTIAL_SUFFIX}"
        try:
            with copy_errors(folder, outcome="nothing was exported"):
                work.mkdir()
                written, unreadable = write_photo_files(prepared.photos, prepared.photo_store, work)
                for path in work.iterdir():
                    with path.open("rb+") as fh:
                        os.fsync(fh.fileno())
                fsync_folder(work)
            _write_together(folder, [(json_path, text.encode("utf-8")), (pdf_path, pdf)])
            with copy_errors(folder, json_path, pdf_path, outcome="nothing was exported"):
                os.replace(work, photos_dir)
                fsync_folder(folder)
        except BaseException:
            # Best effort on a failure path: the name starts with a dot and ends in .partial.
            shutil.rmtree(work, ignore_errors=True)
            raise
        return ExportResult(
            export.patient_id,
            json_path,
            pdf_path,
            export.counts,
            photos_folder=photos_dir,
            photos=written,
            photos_unreadable=len(unreadable),
        )

    def record(self, result: ExportResult) -> Changes:
        """Note the export in the audit trail; if that fails, the files are removed.

        A subject access export that the trail does not show must not exist, so an audit
        failure (a full or locked data file) takes the two files back out.

        Only an export that was written is recorded, and only by someone who may export a
        patient's records (the trail must not show exports that never happened).

        Raises:
            UserError: nobody is at the desk, or the export's files are not there.
            PermissionRefused: the person at the desk may not export a patient's records.
            StorageError: the entry could not be saved (the files are gone too).
        """
        self._ctx.require(EXPORT_PATIENT)
        missing = [p.name for p in (result.pdf_path, result.json_path) if not p.is_file()]
        if missing:
            raise UserError(
                f"The export's {' and '.join(missing)} are not there, so it was not recorded.",
                advice="Export the patient's records again.",
            )
        try:
            with self._ctx.write():
                self._ctx.audit(
                    "export",
                    "patients",
                    result.patient_id,
                    patient_id=result.patient_id,
                    # File names and counts only: no clinical content in the trail.
                    summary=(
                        f"Subject access export saved as {result.pdf_path.name} and "
                        f"{result.json_path.name}"
                    ),
                    after={
                        "folder": str(result.folder),
                        "files": [result.pdf_path.name, result.json_path.name],
                        "rows": result.rows,
                    }
                    | (
                        {"photos_folder": result.photos_folder.name, "photos": result.photos}
                        if result.photos_folder is not None
                        else {}
                    ),
                )
        except BaseException:
            discard(result.json_path)
            discard(result.pdf_path)
            if result.photos_folder is not None:
                shutil.rmtree(result.photos_folder, ignore_errors=True)
            raise
        return Changes(frozenset({AUDIT}), result.patient_id)

    def export(self, patient_id: int, folder: Path) -> ExportResult:
        """Collect, write and audit in one call (for the command line and tests).

        Raises:
            UserError: nobody at the desk, no such patient, or no such folder.
            StorageError: the files or the audit entry could not be written; no file is left.
        """
        result = self.write(self.prepare(patient_id), Path(folder))
        self.record(result)
        return result


def _free_names(folder: Path, stem: str) -> tuple[Path, Path]:
    """The first ``stem``, ``stem-2``, … for which neither file (nor its photos folder)
    exists yet."""
    name, n = stem, 2
    while (
        (folder / f"{name}.json").exists()
        or (folder / f"{name}.pdf").exists()
        or _photos_folder(folder / f"{name}.json").exists()
    ):
        name, n = f"{stem}-{n}", n + 1
    return folder / f"{name}.json", folder / f"{name}.pdf"


def _photos_folder(json_path: Path) -> Path:
    """``<stem>-photos`` beside the export's JSON file."""
    return json_path.with_name(f"{json_path.stem}-photos")


def _write_together(folder: Path, files: list[tuple[Path, bytes]]) -> None:
    """Write every file, or none: temporary names, flushed, then renamed into place."""
    partials = [folder / f".{path.name}{PARTIAL_SUFFIX}" for path, _ in files]
    finals = [path for path, _ in files]
    # The final names are new (see _free_names), so removing them on failure loses nothing.
    with copy_errors(folder, *partials, *finals, outcome="nothing was exported"):
        for (_, data), partial in zip(files, partials, strict=True):
            with partial.open("xb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
        for path, partial in zip(finals, partials, strict=True):
            os.replace(partial, path)
        fsync_folder(folder)
