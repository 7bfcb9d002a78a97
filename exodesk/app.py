"""Composition root: arguments, paths, logging, open and migrate the data file, build the window."""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import logging
import logging.handlers
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from exodesk import APP_NAME, __version__
from exodesk.errors import UserError
from exodesk.paths import (
    DataPaths,
    installed_on_windows,
    resolve_data_dir,
    user_data_dir,
    uses_default_data_dir,
)

log = logging.getLogger("exodesk")

EXIT_OK = 0
EXIT_FAULT = 1
EXIT_USER_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help=(
            "the data folder (default: EXODESK_DATA_DIR, else the installed Windows app's "
            "machine-wide folder, or from source the user's app-data folder)"
        ),
    )
    parser = argparse.ArgumentParser(
        prog="exodesk",
        description=f"{APP_NAME} {__version__}: clinic records for regenerative aesthetics.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.add_argument(
        "--demo", action="store_true", help="open a demo clinic in a throwaway data folder"
    )
    parser.add_argument(
        "--keep", action="store_true", help="with --demo: keep the demo folder on exit"
    )
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="build the window offscreen on a temporary folder, render a PDF, exit",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    init = sub.add_parser(
        "init", parents=[common], help="create the data file if missing and migrate it"
    )
    init.add_argument("--demo", action="store_true", help="seed the demo clinic into it")
    sub.add_parser("info", parents=[common], help="data file path, versions and record counts")
    check = sub.add_parser(
        "check", parents=[common], help="integrity, foreign-key and audit-chain check"
    )
    check.add_argument(
        "--backups",
        metavar="DIR",
        type=Path,
        action="append",
        default=[],
        help="also compare the audit trail with the backups in DIR (a USB stick); repeatable",
    )
    backup = sub.add_parser(
        "backup", parents=[common], help="make a verified backup (default: DATA_DIR/backups)"
    )
    backup.add_argument("--to", metavar="DIR", type=Path, help="an existing folder to write it to")
    restore = sub.add_parser(
        "restore", parents=[common], help="replace the data file with a backup (kept aside first)"
    )
    restore.add_argument("file", metavar="FILE", type=Path, help="the backup file")
    sub.add_parser(
        "drill", parents=[common], help="test-restore the newest backup; exit 1 on a mismatch"
    )
    export = sub.add_parser(
        "export", parents=[common], help="every table as CSV and JSON, with a README"
    )
    export.add_argument("--to", metavar="DIR", type=Path, required=True, help="an existing folder")
    content = sub.add_parser(
        "content-report",
        parents=[common],
        help="every patient-facing sentence with its source, status and version, as a PDF",
    )
    content.add_argument(
        "--to",
        metavar="FILE",
        type=Path,
        help="the PDF to write (default: clinical-content-<version>.pdf in this folder)",
    )
    return parser


def setup_logging(log_file: Path | None) -> None:
    """Log to a file beside the data (the frozen app has no console), creating its folder.

    A native crash (a segmentation fault in Qt or SQLite) never reaches Python's logging, so
    ``faulthandler`` writes every thread's Python stack into the same file when one happens:
    a clinic's crash then leaves a trace to send. Without a file it writes to stderr, if any.
    """
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for handler in list(root.handlers):
        if isinstance(handler, _ExoDeskLogHandler):
            root.removeHandler(handler)
            handler.close()
    faulthandler.disable()
    if log_file is None:
        _faults_to(sys.stderr)
        return
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = _ExoDeskLogHandler(log_file, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    except OSError:
        return  # no log is better than no app; the error dialogs still speak
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    _faults_to(handler.stream)


ROLLOVER_RETRY_SECONDS = 60.0


class _ExoDeskLogHandler(logging.handlers.RotatingFileHandler):
    """The log file; on rollover, ``faulthandler`` follows it to the new file.

    Several processes may hold the same log (the GUI and a refused second copy; two admin
    commands at once). On Windows renaming a file another process has open fails
    (PermissionError): the rollover is then skipped, the line is written to the current file
    and the rollover is tried again a minute later, so no line is lost and nothing is printed
    on a console the windowed app does not have.
    """

    _retry_after: float = 0.0

    def shouldRollover(self, record: logging.LogRecord) -> int:
        if time.monotonic() < self._retry_after:
            return False
        return super().shouldRollover(record)

    def doRollover(self) -> None:
        faulthandler.disable()
        try:
            super().doRollover()
        except OSError:
            # Another process has the file open (Windows) or the folder refused the rename:
            # keep appending to the current file rather than lose this line.
            self._retry_after = time.monotonic() + ROLLOVER_RETRY_SECONDS
            if self.stream is None:
                self.stream = self._open()
        finally:
            _faults_to(self.stream)


def _faults_to(stream: TextIO | None) -> None:
    """Point ``faulthandler`` at ``stream`` (a file or stderr); not at all if it has no file."""
    if stream is None:
        return  # the windowed app on Windows has no stderr
    try:
        faulthandler.enable(stream, all_threads=True)
    except (OSError, ValueError, AttributeError):  # a stream with no file descriptor
        log.warning("native crashes will not be logged: %r has no file", stream)


def _say(text: str, *, error: bool = False) -> None:
    stream = sys.stderr if error else sys.stdout
    if stream is not None:
        print(text, file=stream)


def utf8_console() -> None:
    """Write the admin commands' output in UTF-8, whatever the console's code page.

    A Windows console program whose output goes to a file or a pipe (a scheduled backup's
    redirect, a support script) writes in the ANSI code page, cp1252 in much of Europe: a
    data folder under ``C:\\Users\\Łucja`` then ended a finished backup with a traceback
    and exit 1. UTF-8 holds every path; a character the stream still cannot take is replaced,
    never fatal. Streams without ``reconfigure`` (none, or a test's StringIO) are left alone.
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None:
            continue
        with contextlib.suppress(ValueError, OSError):  # a closed or detached stream
            stream.flush()
            reconfigure(encoding="utf-8", errors="replace")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``exodesk`` and ``python -m exodesk``."""
    args = build_parser().parse_args(argv)
    data_dir = getattr(args, "data_dir", None)
    if args.smoke_test:
        return smoke_test()
    if args.command:
        utf8_console()
        paths = DataPaths(resolve_data_dir(data_dir))
        # The admin commands have a log of their own: a Windows GUI holding exodesk.log open
        # would make this process's rollover fail (and a scheduled backup's lines interleave).
        setup_logging(paths.admin_log_file if paths.folder.is_dir() else None)
        paths, notice = one_clinic_per_pc(paths, data_dir)
        if notice:
            _say(notice)
        from exodesk import cli

        try:
            if args.command == "init":
                return cli.cmd_init(paths, demo=args.demo)
            if args.command == "info":
                return cli.cmd_info(paths)
            if args.command == "backup":
                return cli.cmd_backup(paths, to=args.to)
            if args.command == "restore":
                return cli.cmd_restore(paths, args.file)
            if args.command == "drill":
                return cli.cmd_drill(paths)
            if args.command == "export":
                return cli.cmd_export(paths, args.to)
            if args.command == "content-report":
                return cli.cmd_content_report(paths, to=args.to)
            return cli.cmd_check(paths, backups=args.backups)
        except UserError as exc:
            _say(str(exc), error=True)
            return EXIT_USER_ERROR
    return run_gui(data_dir=data_dir, demo=args.demo, keep=args.keep)


def one_clinic_per_pc(paths: DataPaths, data_dir: str | None) -> tuple[DataPaths, str | None]:
    """The installed Windows app moves a clinic kept under one Windows login into the
    machine-wide folder, once (``exodesk.services.data_folder``).

    Only when the default folder is in use (no ``--data-dir``, no ``EXODESK_DATA_DIR``) in the
    installed app on Windows; from source the default stays per-user and nothing moves.
    Returns the folder to open and a sentence to show once (None: nothing to say). If the
    move fails, the clinic is opened where it is this time, and the sentence says why.
    """
    if not (installed_on_windows() and uses_default_data_dir(data_dir)):
        return paths, None
    from exodesk.services.data_folder import move_login_clinic

    old = DataPaths(user_data_dir())
    try:
        moved = move_login_clinic(old, paths)
    except (UserError, OSError) as exc:
        log.warning("could not move %s to %s: %s", old.folder, paths.folder, exc)
        return old, (
            f"{APP_NAME} could not move this Windows login's clinic from {old.folder} to "
            f"{paths.folder} ({exc}), so it opens it where it is this time. Nothing was lost; "
            "it will try again next time."
        )
    return paths, moved.message if moved else None


def run_gui(*, data_dir: str | None, demo: bool, keep: bool) -> int:
    """Open the main window on the clinic's data file (or a throwaway demo clinic)."""
    demo_dir: Path | None = None
    if demo:
        demo_dir = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="exodesk-demo-"))
        paths = DataPaths(demo_dir)
    else:
        paths = DataPaths(resolve_data_dir(data_dir))
    # The folder is made now, on a first run too, so the first start leaves a log.
    setup_logging(paths.log_file)
    notice = None
    if not demo:
        paths, notice = one_clinic_per_pc(paths, data_dir)
    log.info("ExoDesk %s starting on %s", __version__, paths.data_file)
    from exodesk.ui.launcher import launch

    try:
        return launch(paths, demo=demo, notice=notice)
    finally:
        if demo_dir is not None and not keep and not data_dir:
            logging.shutdown()
            shutil.rmtree(demo_dir, ignore_errors=True)
        elif demo_dir is not None:
            _say(f"Demo data kept in {demo_dir}")


def smoke_test() -> int:
    """Build the whole app offscreen on a fresh temporary folder, render a PDF, and exit 0."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="exodesk-smoke-") as tmp:
        paths = DataPaths(Path(tmp))
        setup_logging(paths.log_file)
        from exodesk.ui.launcher import smoke

        try:
            report = smoke(paths)
        finally:
            logging.shutdown()
            setup_logging(None)
    _say(f"smoke test passed in {time.perf_counter() - started:.2f} s: {report}")
    return EXIT_OK
