"""Admin commands for the PC's caretaker: init, info, check, backup, restore, drill, export,
content-report."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from sqlite_utils import Database

from exodesk.domain.plurals import plural
from exodesk.errors import StorageError, UserError
from exodesk.paths import DataPaths
from exodesk.services import encryption, rekey
from exodesk.services.backups import BackupService, restore_file
from exodesk.services.clinic import ClinicService
from exodesk.services.context import Desk, ServiceContext
from exodesk.services.demo import seed_demo
from exodesk.services.encryption import ClinicSecret
from exodesk.services.sealing import SealReport, check_seals
from exodesk.services.workspace import open_services
from exodesk.storage.anchor_check import anchor_faults
from exodesk.storage.audit import check_chain
from exodesk.storage.database import (
    DataFileDamaged,
    cannot_write,
    integrity_report,
    is_encrypted,
    open_database,
    storage_errors,
)
from exodesk.storage.migrations import refuse_newer, refuse_newer_or_hollow
from exodesk.storage.seals import SealRepository


def _out(stream: TextIO | None) -> TextIO:
    # A windowed (GUI-script) build on Windows has no console: sys.stdout is None there.
    return stream or sys.stdout or open("nul" if sys.platform == "win32" else "/dev/null", "w")


def cmd_init(paths: DataPaths, *, demo: bool = False, out: TextIO | None = None) -> int:
    """Create the data file if it is missing and bring it up to date; optionally seed the demo."""
    out = _out(out)
    existed = paths.data_file.exists()
    services = open_services(paths, create=True, lock=True)
    try:
        if demo:
            if services.clinic.staff(include_inactive=True):
                raise StorageError(
                    f"{paths.data_file} already holds a clinic; the demo was not added.",
                    advice="Use an empty --data-dir for the demo clinic.",
                )
            seed_demo(services)
        info = services.clinic.info()
    finally:
        services.close()
    verb = "Updated" if existed else "Created"
    print(f"{verb} {paths.data_file} (schema {info.schema_version}).", file=out)
    if demo:
        print(f"Seeded the demo clinic: {info.counts.get('patients', 0)} patients.", file=out)
    return 0


def cmd_info(paths: DataPaths, *, out: TextIO | None = None) -> int:
    """Print the data file's path, versions and record counts without changing it."""
    out = _out(out)
    # `info` changes nothing, and works from a write-protected folder or drive too.
    read_only = cannot_write(paths.data_file)
    db = open_database(
        paths.data_file,
        read_only=read_only,
        before_write=refuse_newer_or_hollow(paths.data_file),
        key=_key(paths),
    )
    try:
        info = ClinicService(ServiceContext(db=db, desk=Desk()), data_file=paths.data_file).info()
    finally:
        db.close()
    print(f"Data file:      {info.path}", file=out)
    print(f"ExoDesk:        {info.app_version}", file=out)
    pending = info.latest_schema_version - info.schema_version
    note = (
        f" ({plural(pending, 'update')} pending; they run when ExoDesk opens it)"
        if pending > 0
        else ""
    )
    print(f"Schema version: {info.schema_version}{note}", file=out)
    for table, count in info.counts.items():
        print(f"{table + ':':<16}{count:,}", file=out)
    return 0


def cmd_check(paths: DataPaths, *, out: TextIO | None = None, backups: Sequence[Path] = ()) -> int:
    """Check the file (integrity, foreign keys) and the audit trail's hash chain.

    The chain is also compared with its anchors (``exodesk.storage.anchor_check``): those
    the data folder knows of, and the sidecars of the backups in each of ``backups`` (a USB
    stick kept elsewhere, which no one at the PC could have edited).

    Exit 1 and list the faults if there are any; the audit chain's first broken, changed or
    missing entry is named.
    """
    out = _out(out)
    key = _key(paths)
    # A write-protected folder can be checked too; a page too damaged to read is a fault like
    # any other (exit 1 with the list), not a failure of the command.
    try:
        db = open_database(
            paths.data_file,
            read_only=cannot_write(paths.data_file),
            before_write=refuse_newer_or_hollow(paths.data_file),
            key=key,
        )
    except DataFileDamaged as exc:
        return _report_faults(paths, [exc.message], out)
    try:
        with storage_errors(paths.data_file):
            faults = integrity_report(db) + anchor_faults(db, paths.folder, backups)
            chain = check_chain(db)
            seals = _check_seals(db, key)
    except DataFileDamaged as exc:
        return _report_faults(paths, [exc.message], out)
    finally:
        db.close()
    faults = faults + list(chain.faults) + list(seals.faults if seals else ())
    if faults:
        return _report_faults(paths, faults, out)
    print(
        f"{paths.data_file}: no faults found (integrity and foreign keys). {chain.message}"
        + (f" Staff and signatures: {seals.message}." if seals else ""),
        file=out,
    )
    if isinstance(key, ClinicSecret) and key.generation == 1:
        print(FIRST_GENERATION_NOTE, file=out)
    return 0


FIRST_GENERATION_NOTE = (
    "Note: this clinic's recovery key is also the key its records are encrypted with (it was "
    "set up before ExoDesk kept them apart), so anyone with a password could work it out. "
    "An admin can change the clinic's keys (Tools menu) to give it a recovery key of its own, "
    "a sealed staff list and signed audit entries."
)


def _check_seals(db: Database, key: bytes | None) -> SealReport | None:
    """Seals and signatures of a clinic with separated keys (None for any other)."""
    repo = SealRepository(db)
    if not isinstance(key, ClinicSecret) or key.generation != 2 or not repo.available():
        return None
    return check_seals(repo, key.admin)


def _report_faults(paths: DataPaths, faults: list[str], out: TextIO) -> int:
    """List the faults found (at most 50) and return the exit code for them, 1."""
    many = "fault" if len(faults) == 1 else "faults"
    print(f"{paths.data_file}: {len(faults)} {many} found.", file=out)
    for fault in faults[:50]:
        print(f"  - {fault}", file=out)
    print("Restore the newest backup, or ask whoever looks after this PC.", file=out)
    return 1


_CLI_ACTOR = "exodesk command line"

RECOVERY_KEY_VARIABLE = "EXODESK_RECOVERY_KEY"
OLD_RECOVERY_KEY_VARIABLE = "EXODESK_OLD_RECOVERY_KEY"


def _key(paths: DataPaths, *also: Path) -> bytes | None:
    """The data key when the clinic (or a backup named) is encrypted, else None.

    The admin commands have no staff passwords: they take the recovery key, from
    ``EXODESK_RECOVERY_KEY`` or typed at a prompt that does not echo it.

    Raises:
        UserError: the key is needed but there is no terminal to ask at, or it is mistyped.
    """
    # A re-key stopped part way is settled before the keyring is trusted.
    rekey.finish_interrupted_rekey(paths)
    files = [paths.data_file, *also]
    if not any(is_encrypted(f) for f in files if f.is_file()):
        return None
    text = os.environ.get(RECOVERY_KEY_VARIABLE, "")
    if not text:
        if sys.stdin is None or not sys.stdin.isatty():
            raise UserError(
                "This clinic's records are encrypted, so this command needs the recovery key.",
                advice=f"Run it in a Command Prompt, where it asks for the key, or set "
                f"{RECOVERY_KEY_VARIABLE}.",
            )
        text = getpass.getpass("Recovery key (from the clinic's safe; not shown as you type): ")
    return encryption.unlock_with_recovery_key(paths, text)


def _old_key(needed: rekey.OldKeyNeeded) -> bytes:
    """The older recovery key a backup made before a re-key needs, from
    ``EXODESK_OLD_RECOVERY_KEY`` or typed at a prompt that does not echo it.

    Raises:
        OldKeyNeeded: there is no terminal to ask at (the plain sentence says which key).
        UserError: the key typed is mistyped or not that backup's.
    """
    text = os.environ.get(OLD_RECOVERY_KEY_VARIABLE, "")
    if not text:
        if sys.stdin is None or not sys.stdin.isatty():
            raise rekey.OldKeyNeeded(
                needed.record,
                needed.old,
                advice=f"Run it in a Command Prompt, where it asks for that key, or set "
                f"{OLD_RECOVERY_KEY_VARIABLE} to it.",
            ) from needed
        print(needed.message, file=sys.stderr)
        text = getpass.getpass("Older recovery key (not shown as you type): ")
    return rekey.old_backup_key(needed.record, text)


def _backup_service(paths: DataPaths) -> tuple[BackupService, ServiceContext]:
    # Not open_services: a backup or export must not migrate the file first.
    # A backup of a hollow file would be "verified" and rotate the good ones away.
    db = open_database(
        paths.data_file, before_write=refuse_newer_or_hollow(paths.data_file), key=_key(paths)
    )
    ctx = ServiceContext(db=db, desk=Desk(command_line=True))
    return BackupService(ctx, paths, actor_name=_CLI_ACTOR), ctx


def cmd_backup(paths: DataPaths, *, to: Path | None = None, out: TextIO | None = None) -> int:
    """Make a verified backup (default: the data folder's backups folder) and rotate old ones."""
    out = _out(out)
    backups, ctx = _backup_service(paths)
    try:
        record = backups.backup_now(to)
        if to is None:
            backups.rotate()
    finally:
        ctx.db.close()
    print(record.sentence(), file=out)
    return 0


def cmd_restore(paths: DataPaths, backup_file: Path, *, out: TextIO | None = None) -> int:
    """Replace the data file with a backup; asks nothing, says what was saved aside."""
    out = _out(out)
    # Works on paths alone: the data file being restored over may be too damaged to open.
    key = _key(paths, backup_file)
    try:
        result = restore_file(paths, backup_file, actor_name=_CLI_ACTOR, key=key)
    except rekey.OldKeyNeeded as needed:
        result = restore_file(
            paths,
            backup_file,
            actor_name=_CLI_ACTOR,
            key=key,
            backup_key=_old_key(needed),
            # The recovery key of a clinic with separated keys holds its admin key: the
            # older backup's genuine seals are sealed again with it.
            admin_key=getattr(key, "admin", None),
        )
    print(result.message(), file=out)
    return 0


def cmd_drill(paths: DataPaths, *, out: TextIO | None = None) -> int:
    """Restore the newest backup to a scratch file and compare; exit 1 on any mismatch."""
    out = _out(out)
    newest = sorted(paths.backups.glob("exodesk-*.sqlite3")) if paths.backups.is_dir() else []
    key = _key(paths, *newest[-1:])
    try:
        result = rekey.drill_newest(paths.backups, paths, key)
    except rekey.OldKeyNeeded as needed:
        result = rekey.drill_newest(paths.backups, paths, key, backup_key=_old_key(needed))
    print(result.sentence(), file=out)
    for problem in result.problems[1:]:
        print(f"  - {problem}", file=out)
    if not result.ok:
        print("Make a new backup now, and keep this one for whoever supports you.", file=out)
        return 1
    return 0


def cmd_export(paths: DataPaths, to: Path, *, out: TextIO | None = None) -> int:
    """Write every table as CSV and JSON with a README into a new folder inside ``to``."""
    out = _out(out)
    backups, ctx = _backup_service(paths)
    try:
        result = backups.export(to)
    finally:
        ctx.db.close()
    print(result.sentence(), file=out)
    return 0


def cmd_content_report(
    paths: DataPaths, *, to: Path | None = None, out: TextIO | None = None
) -> int:
    """Write the clinical content report (every patient-facing sentence, its source, status,
    version and review) as a PDF: to ``to``, or ``clinical-content-<digest>.pdf`` here."""
    out = _out(out)
    from exodesk.services.aftercare import AftercareService
    from exodesk.services.comparison import ComparisonService
    from exodesk.services.content import ContentService
    from exodesk.services.screening import ScreeningService

    # Reads only: like info, it opens the file without migrating it.
    db = open_database(paths.data_file, before_write=refuse_newer, key=_key(paths))
    try:
        ctx = ServiceContext(db=db, desk=Desk(command_line=True))
        screening = ScreeningService(ctx)
        content = ContentService(
            ctx, screening, AftercareService(ctx), ComparisonService(ctx, screening)
        )
        report = content.report()
        pdf = content.pdf(report)
        target = to if to is not None else Path.cwd() / content.file_name(report)
        if target.is_dir():
            target = target / content.file_name(report)
    finally:
        db.close()
    try:
        target.write_bytes(pdf)
    except OSError as exc:
        raise UserError(
            f"The report could not be written to {target}: {exc.strerror or exc}.",
            advice="Choose a folder you can write to with --to.",
        ) from exc
    print(f"Wrote {target}: {len(report.entries)} sentences, version {report.version}.", file=out)
    print(report.review_status() + ".", file=out)
    return 0
