"""Printing from a test: start a print, let the PDF render off the UI thread, act on the preview."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtPrintSupport import QPrinter

from exodesk.ui.printing import PdfPreviewDialog
from tests.ui.dialogs import when_dialog_opens

RENDER_TIMEOUT_MS = 30_000  # two cores shared by the whole suite: rendering can be slow


def print_to(path: Path) -> Callable[[PdfPreviewDialog], None]:
    """An action for ``through_the_preview``: print to a PDF file, then close the preview."""

    def act(dialog: PdfPreviewDialog) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(path))
        dialog.print_to(printer)
        dialog.reject()

    return act


def save_to(path: Path) -> Callable[[PdfPreviewDialog], None]:
    """An action for ``through_the_preview``: Save as PDF to ``path``, then close the preview."""

    def act(dialog: PdfPreviewDialog) -> None:
        dialog.save_to(path)
        dialog.reject()

    return act


def through_the_preview(
    qtbot, start: Callable[[], None], action: Callable[[PdfPreviewDialog], None]
) -> None:
    """Call ``start`` (click a Print button), wait for the preview to open, run ``action`` on
    it; returns once ``action`` has run and the preview has closed."""
    done: list[bool] = []

    def act(dialog: PdfPreviewDialog) -> None:
        action(dialog)
        done.append(True)

    when_dialog_opens(PdfPreviewDialog, act, attempts=RENDER_TIMEOUT_MS // 10)
    start()
    qtbot.waitUntil(lambda: bool(done), timeout=RENDER_TIMEOUT_MS)
