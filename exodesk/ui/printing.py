"""The one print path: render a service's PrintJob off the UI thread, show it in the shared
preview, print or save it, and record that it was issued."""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QObject,
    QRectF,
    QSize,
    QStandardPaths,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QGuiApplication,
    QImage,
    QKeySequence,
    QPageSize,
    QPainter,
    QShortcut,
)
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QAbstractPrintDialog, QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from exodesk.domain.plurals import plural
from exodesk.errors import UserError
from exodesk.services.context import Changes
from exodesk.services.printing import PrintJob
from exodesk.ui.common import named
from exodesk.ui.errors import show_user_error
from exodesk.ui.workers import SHOW_PROGRESS_AFTER_MS, run_in_background

log = logging.getLogger(__name__)

PAGE_SIZES = {"A4": QPageSize.PageSizeId.A4, "Letter": QPageSize.PageSizeId.Letter}

# Where the system prints through CUPS (Linux, macOS), the PDF itself goes to the queue: CUPS
# prints PDF natively, as vector pages with real text (a sheet spools ~50 KB, not ~1.2 MB).
# Elsewhere (Windows) pages are printed as images, because QtPdf renders only to QImage. 300
# dpi is as sharp as text gets on office printers; a 1200 dpi A4 page would need over 500 MB
# of memory. A black-and-white printer gets 8-bit grey pictures: a third of the bytes through
# Qt's PDF and macOS engines (Qt's Windows engine redraws every picture as 32-bit tiles).
MAX_PRINT_DPI = 300
# How long the CUPS client may take to hand the job to the local scheduler.
SPOOL_TIMEOUT_SECONDS = 60

_UNSAFE_FILE_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


# Preview runs whose PDF is still rendering: each holds itself here until its worker is done.
_rendering: set[_PreviewRun] = set()


class PrintError(UserError):
    """The printer could not be used (not started, or stopped part way)."""


def safe_file_name(name: str, suffix: str = ".pdf") -> str:
    """Return ``name`` usable as a file name on Windows, macOS and Linux, ending in ``suffix``.

    Args:
        name: A suggested name, which may hold a patient's name with any characters.
        suffix: The extension to make sure of.
    """
    cleaned = _UNSAFE_FILE_CHARS.sub("-", name).strip().rstrip(".")
    cleaned = cleaned or "document"
    if not cleaned.lower().endswith(suffix):
        cleaned += suffix
    return cleaned


def describe_write_error(exc: OSError, path: Path) -> UserError:
    """Turn a failed file write into one plain sentence and what to do next."""
    folder = path.parent
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        message = f"The disk holding “{folder}” is full, so the PDF was not saved."
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        message = f"ExoDesk may not write in “{folder}”, so the PDF was not saved."
    elif exc.errno == errno.ENOENT:
        message = f"The folder “{folder}” no longer exists, so the PDF was not saved."
    elif exc.errno == errno.EISDIR:
        message = f"“{path.name}” is a folder, so the PDF was not saved there."
    else:
        message = f"The PDF could not be saved to “{folder}” ({exc.strerror or exc})."
    return UserError(message, advice="Choose another folder and save again.")


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, so a failure leaves no half file.

    Raises:
        OSError: when the folder cannot be written or the disk fills; any earlier file at
            ``path`` is then left as it was.
    """
    handle, temp_name = tempfile.mkstemp(prefix=".exodesk-", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


class PdfPreviewDialog(QDialog):
    """Shows a PDF page by page, with Print…, Save as PDF… and Close.

    Signals:
        issued: "printed" or "saved:<path>", once the document has really been printed or
            saved, so the caller can record that it was handed out.
    """

    issued = Signal(str)

    def __init__(
        self,
        pdf_bytes: bytes,
        title: str,
        suggested_file_name: str,
        paper_size: str = "A4",
        parent: QWidget | None = None,
        *,
        save_folder: Path | None = None,
    ) -> None:
        """Build the dialog and load the PDF for preview.

        Args:
            pdf_bytes: The complete PDF to show, print and save.
            title: What the document is ("Screening summary — Zoë Ñúñez").
            suggested_file_name: Offered in the save dialog; unsafe characters are replaced.
            paper_size: "A4" or "Letter": the paper the print dialog starts with.
            parent: The window the dialog belongs to.
            save_folder: Where the save dialog opens (the user's Documents folder if None).
        """
        super().__init__(parent)
        self._pdf_bytes = bytes(pdf_bytes)
        self._title = title
        self._file_name = safe_file_name(suggested_file_name)
        self._paper_size = paper_size
        self._save_folder = save_folder
        self.setObjectName("pdfPreviewDialog")
        self.setWindowTitle(f"{title} — preview")
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)

        # QPdfDocument reads from the device for as long as it is loaded: keep both alive.
        self._data = QByteArray(self._pdf_bytes)
        self._buffer = QBuffer(self)
        self._buffer.setData(self._data)
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document = QPdfDocument(self)
        self.document.load(self._buffer)
        if self.document.status() == QPdfDocument.Status.Error:
            log.error("preview could not load the PDF: %s", self.document.error())

        self.view = QPdfView(self)
        named(self.view, "pdfPreview", f"Preview of {title}")
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setDocument(self.document)
        self.view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self.page_label = QLabel(self)
        self.page_label.setObjectName("pdfPageLabel")
        self.print_button = QPushButton("&Print…", self)
        named(self.print_button, "printButton", "Print", "Print on paper (Ctrl+P)")
        self.save_button = QPushButton("&Save as PDF…", self)
        named(self.save_button, "saveButton", "Save as PDF", "Save a copy as a PDF file (Ctrl+S)")
        self.close_button = QPushButton("Close", self)
        named(self.close_button, "closeButton", "Close", "Close the preview (Esc)")
        self.print_button.setDefault(True)
        # Where the last "Save as PDF" put the file, so it can be found again.
        self.saved_label = QLabel(self)
        self.saved_label.setObjectName("pdfSavedLabel")
        self.saved_label.setWordWrap(True)
        self.saved_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.saved_label.hide()

        buttons = QHBoxLayout()
        buttons.addWidget(self.page_label)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.saved_label)
        layout.addLayout(buttons)

        self.print_button.clicked.connect(self.on_print)
        self.save_button.clicked.connect(self.on_save)
        self.close_button.clicked.connect(self.reject)
        # Esc already rejects a QDialog; Ctrl+P and Ctrl+S work wherever the focus is.
        for keys, slot in (
            (QKeySequence.StandardKey.Print, self.on_print),
            (QKeySequence.StandardKey.Save, self.on_save),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)
        self.view.pageNavigator().currentPageChanged.connect(self._show_page_number)
        self._show_page_number(0)
        self._fit_to_screen()
        self.view.setFocus()

    # -- state -------------------------------------------------------------------------

    @property
    def pdf_bytes(self) -> bytes:
        """The PDF exactly as given."""
        return self._pdf_bytes

    @property
    def page_count(self) -> int:
        """Pages in the loaded document (0 if it could not be read)."""
        return self.document.pageCount()

    def _show_page_number(self, page: int) -> None:
        count = self.page_count
        if count == 0:
            text = "This document could not be shown."
        elif count == 1:
            text = "1 page"
        else:
            text = f"Page {page + 1} of {count}"
        self.page_label.setText(text)
        self.page_label.setAccessibleName(text)

    def _fit_to_screen(self) -> None:
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return
        area = screen.availableGeometry()
        height = int(area.height() * 0.9)
        # A page's shape (A4 is 1 : 1.41) plus room for the scroll bar and buttons.
        width = min(int(height / 1.3), area.width())
        self.resize(max(width, 480), max(height, 400))

    # -- the buttons --------------------------------------------------------------------

    def on_print(self) -> None:
        """Ask for a printer and print; a failure is shown as one plain sentence."""
        printer = self.choose_printer()
        if printer is None:
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.print_to(printer)
        except UserError as exc:
            failure: UserError | None = exc
        else:
            failure = None
        finally:
            QGuiApplication.restoreOverrideCursor()
        if failure is not None:
            show_user_error(self, failure, "Not printed")

    def choose_printer(self) -> QPrinter | None:
        """Show the print dialog, starting on the document's paper; None if cancelled."""
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(self._title)
        printer.setPageSize(QPageSize(PAGE_SIZES.get(self._paper_size, PAGE_SIZES["A4"])))
        dialog = QPrintDialog(printer, self)
        dialog.setObjectName("printDialog")
        dialog.setOption(QAbstractPrintDialog.PrintDialogOption.PrintPageRange, True)
        dialog.setOption(QAbstractPrintDialog.PrintDialogOption.PrintCurrentPage, True)
        dialog.setOption(QAbstractPrintDialog.PrintDialogOption.PrintSelection, False)
        dialog.setMinMax(1, max(self.page_count, 1))
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return printer

    def on_save(self) -> None:
        """Ask where to save and save; a failure is shown and the user can choose again."""
        folder = self._save_folder or Path(
            QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        )
        chosen, _ = QFileDialog.getSaveFileName(
            self, "Save as PDF", str(folder / self._file_name), "PDF files (*.pdf)"
        )
        if not chosen:
            return
        path = Path(chosen)
        if path.suffix.lower() != ".pdf":
            path = path.with_name(path.name + ".pdf")
        try:
            self.save_to(path)
        except OSError as exc:
            log.warning("saving the PDF to %s failed: %s", path, exc)
            show_user_error(self, describe_write_error(exc, path), "Not saved")
            return
        self._save_folder = path.parent

    # -- the work -----------------------------------------------------------------------

    def save_to(self, path: str | os.PathLike[str]) -> None:
        """Write the PDF's bytes, unchanged, to ``path`` and emit ``issued("saved:<path>")``.

        Raises:
            OSError: the file could not be written; nothing is emitted and any file already
                at ``path`` is left as it was.
        """
        target = Path(path)
        write_bytes_atomically(target, self._pdf_bytes)
        log.info("saved %s to %s", self._title, target)
        said = f"Saved as “{target.name}” in the folder {target.parent}"
        self.saved_label.setText(said + ".")
        self.saved_label.setToolTip(str(target))
        self.saved_label.setAccessibleName(said)
        self.saved_label.show()
        self.issued.emit(f"saved:{target}")

    def print_to(self, printer: QPrinter) -> None:
        """Print on ``printer`` (its page range and paper) and emit ``issued("printed")``.

        Each page is scaled to fit the printer's printable area, keeping its shape. When the
        printer writes a PDF file and every page is wanted, the file gets the original PDF's
        bytes: a perfect copy, with searchable text, rather than pictures of pages.

        Raises:
            PrintError: the document could not be read, or the printer could not be started.
        """
        if self.page_count == 0:
            raise PrintError("This document could not be read, so nothing was printed.")
        pages = self._pages_to_print(printer)
        if not pages:
            raise PrintError(
                "The pages chosen are not in this document, so nothing was printed.",
                advice=f"It has {plural(self.page_count, 'page')}.",
            )
        if (
            printer.outputFormat() == QPrinter.OutputFormat.PdfFormat
            and printer.outputFileName()
            and pages == list(range(self.page_count))
        ):
            try:
                write_bytes_atomically(Path(printer.outputFileName()), self._pdf_bytes)
            except OSError as exc:
                raise describe_write_error(exc, Path(printer.outputFileName())) from exc
        elif not self._spool_to_cups(printer, pages):
            self._paint_pages(printer, pages)
        log.info("printed %s (%s)", self._title, plural(len(pages), "page"))
        self.issued.emit("printed")

    def _spool_to_cups(self, printer: QPrinter, pages: list[int]) -> bool:
        """Send the PDF itself to a CUPS queue; False where there is none (then paint).

        The printer's choices in the print dialog travel as ``lp`` options: the pages, the
        copies, the paper, two-sided and black-and-white printing; ``fit-to-page`` keeps
        every page whole inside the printer's margins, as the painted path does.
        """
        lp = cups_command()
        name = printer.printerName()
        if lp is None or not name or printer.outputFormat() != QPrinter.OutputFormat.NativeFormat:
            return False
        command = [lp, *lp_options(printer, pages, self.page_count, self._title), "--", "-"]
        try:
            done = subprocess.run(
                command,
                input=self._pdf_bytes,
                capture_output=True,
                timeout=SPOOL_TIMEOUT_SECONDS,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("lp could not take the job, painting pages instead: %s", exc)
            return False
        if done.returncode != 0:
            said = done.stderr.decode("utf-8", "replace").strip()
            log.warning("lp refused the job (%s), painting pages: %s", done.returncode, said)
            return False
        log.info("sent %s to CUPS queue %s as PDF: %s", self._title, name, done.stdout.strip())
        return True

    def _pages_to_print(self, printer: QPrinter) -> list[int]:
        everything = list(range(self.page_count))
        match printer.printRange():
            case QPrinter.PrintRange.PageRange:
                ranges = printer.pageRanges()
                if ranges.isEmpty():
                    return everything
                return [page for page in everything if ranges.contains(page + 1)]
            case QPrinter.PrintRange.CurrentPage:
                return [self.view.pageNavigator().currentPage()]
            case _:
                return everything

    def _paint_pages(self, printer: QPrinter, pages: list[int]) -> None:
        # Drivers that cannot make copies themselves leave it to the application.
        copies = 1 if printer.supportsMultipleCopies() else max(printer.copyCount(), 1)
        painter = QPainter()
        if not painter.begin(printer):
            raise PrintError(
                "The printer could not start printing.",
                advice="Check that it is switched on and connected, then print again.",
            )
        try:
            first = True
            for _ in range(copies):
                for page in pages:
                    if not first and not printer.newPage():
                        raise PrintError(
                            "The printer stopped part way through.",
                            advice="Check the printer, then print again.",
                        )
                    first = False
                    self._paint_page(painter, printer, page)
        finally:
            painter.end()

    def _paint_page(self, painter: QPainter, printer: QPrinter, page: int) -> None:
        area = printer.pageRect(QPrinter.Unit.DevicePixel)
        points = self.document.pagePointSize(page)
        if points.isEmpty():
            return
        # Fit the whole page into the printable area, centred, keeping its shape: an A4
        # page on Letter paper shrinks a little rather than losing its footer.
        scale = min(area.width() / points.width(), area.height() / points.height())
        width, height = points.width() * scale, points.height() * scale
        target = QRectF((area.width() - width) / 2, (area.height() - height) / 2, width, height)
        # Render at the printer's resolution, but no finer than MAX_PRINT_DPI.
        factor = min(1.0, MAX_PRINT_DPI / max(printer.resolution(), 1))
        pixels = QSize(max(1, round(width * factor)), max(1, round(height * factor)))
        rendered = self.document.render(page, pixels)
        # Flatten onto white: the render is transparent where the page is blank, and an
        # opaque picture is quicker and safer for printer drivers than one with an alpha mask.
        flat = QImage(rendered.size(), QImage.Format.Format_RGB32)
        flat.fill(Qt.GlobalColor.white)
        flattener = QPainter(flat)
        flattener.drawImage(0, 0, rendered)
        flattener.end()
        painter.drawImage(target, print_picture(flat, printer))


def print_picture(page: QImage, printer: QPrinter) -> QImage:
    """The page's picture as sent to ``printer``: 8-bit grey for black-and-white printing.

    A colour picture spools three bytes a pixel even for a mono laser; grey is one, and
    looks the same on paper (an aftercare sheet painted to a PDF spool: 1.15 MB in colour,
    0.36 MB in grey).
    """
    if printer.colorMode() == QPrinter.ColorMode.GrayScale:
        return page.convertToFormat(QImage.Format.Format_Grayscale8)
    return page


def cups_command() -> str | None:
    """The CUPS ``lp`` command where the system prints through CUPS; None on Windows."""
    if sys.platform == "win32":
        return None
    return shutil.which("lp")


def page_ranges(pages: list[int]) -> str:
    """``[0, 1, 2, 4]`` (0-based) as CUPS's ``1-3,5``."""
    spans: list[list[int]] = []
    for page in sorted(set(pages)):
        if spans and page == spans[-1][1] + 1:
            spans[-1][1] = page
        else:
            spans.append([page, page])
    return ",".join(f"{a + 1}" if a == b else f"{a + 1}-{b + 1}" for a, b in spans)


def lp_options(printer: QPrinter, pages: list[int], page_count: int, title: str) -> list[str]:
    """``lp`` options for the print dialog's choices on ``printer`` (see ``_spool_to_cups``)."""
    copies = max(printer.copyCount(), 1)
    options = ["-d", printer.printerName(), "-t", title, "-n", str(copies)]
    if pages != list(range(page_count)):
        options += ["-P", page_ranges(pages)]
    if copies > 1:
        options += ["-o", f"collate={'true' if printer.collateCopies() else 'false'}"]
    size = printer.pageLayout().pageSize()
    if size.isValid() and size.key():
        options += ["-o", f"media={size.key()}"]
    sides = {
        QPrinter.DuplexMode.DuplexLongSide: "two-sided-long-edge",
        QPrinter.DuplexMode.DuplexShortSide: "two-sided-short-edge",
        QPrinter.DuplexMode.DuplexNone: "one-sided",
    }.get(printer.duplex())
    if sides:
        options += ["-o", f"sides={sides}"]
    if printer.colorMode() == QPrinter.ColorMode.GrayScale:
        options += ["-o", "print-color-mode=monochrome"]
    options += ["-o", "fit-to-page"]
    return options


def preview_job(
    parent: QWidget,
    job: PrintJob[object],
    on_recorded: Callable[[Changes], None] | None = None,
) -> None:
    """The one way a document is printed: render, preview, print or save, record.

    ``job.pdf`` runs on a worker thread, with a busy cursor (and, past ~0.5 s, a window
    saying what is being prepared). The preview then opens; each time it prints or saves,
    ``job.record`` runs here on the main thread, and ``on_recorded`` gets what changed, so
    the calling tab refreshes what it shows. A failure to render or to record is shown as
    one plain sentence; a document that failed to render is not recorded. Returns at once:
    the preview opens when the PDF is ready. A second call for the same ``parent`` while its
    first document is still rendering is ignored (a double click prints once).
    """
    if any(run.parent_widget is parent for run in _rendering):
        return
    _PreviewRun(parent, job, on_recorded).start()


class _PreviewRun(QObject):
    """One document on its way from the worker to the preview.

    It has no Qt parent, so it always lives to restore the cursor, even if the window that
    asked is closed meanwhile (the preview is then not opened).
    """

    def __init__(
        self,
        parent: QWidget,
        job: PrintJob[object],
        on_recorded: Callable[[Changes], None] | None,
    ) -> None:
        super().__init__()
        self.parent_widget = parent
        self._job = job
        self._on_recorded = on_recorded
        self._progress: QProgressDialog | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SHOW_PROGRESS_AFTER_MS)
        self._timer.timeout.connect(self._show_progress)

    def start(self) -> None:
        _rendering.add(self)
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        self._timer.start()
        run_in_background(self, self._job.pdf, self._rendered, self._failed)

    def _show_progress(self) -> None:
        if not isValid(self.parent_widget):
            return
        label = f"Preparing {self._job.title}…"
        progress = QProgressDialog(label, "", 0, 0, self.parent_widget)
        progress.setObjectName("printProgress")
        progress.setAccessibleName(label)
        progress.setWindowTitle("ExoDesk")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setCancelButton(None)  # rendering cannot be stopped part way; it is quick
        progress.setMinimumDuration(0)
        progress.show()
        self._progress = progress

    def _finish(self) -> None:
        self._timer.stop()
        if self._progress is not None:
            if isValid(self._progress):
                self._progress.close()
                self._progress.deleteLater()
            self._progress = None
        QGuiApplication.restoreOverrideCursor()
        _rendering.discard(self)

    def _failed(self, exc: BaseException) -> None:
        self._finish()
        if not isValid(self.parent_widget):
            return
        if not isinstance(exc, UserError):
            # The traceback is already in the log (ui.workers); the person needs one sentence.
            exc = UserError(
                f"“{self._job.title}” could not be made, so nothing was printed.",
                advice="The details are in the log file. Try again; if it fails again, "
                "copy the log for whoever supports you.",
            )
        show_user_error(self.parent_widget, exc, "Not printed")

    def _rendered(self, pdf: bytes) -> None:
        self._finish()
        parent = self.parent_widget
        if not isValid(parent):
            return
        caveat = self._job.caveat(pdf) if self._job.caveat else ""
        if caveat:
            QMessageBox.information(parent, self._job.title, caveat)
        job = self._job
        dialog = PdfPreviewDialog(pdf, job.title, job.file_name, job.paper_size, parent)
        dialog.issued.connect(lambda how: self._record(how, pdf))
        dialog.exec()
        dialog.deleteLater()

    def _record(self, how: str, pdf: bytes) -> None:
        try:
            changes = self._job.record(how, pdf)
        except UserError as exc:
            show_user_error(self.parent_widget, exc)
            return
        if self._on_recorded is not None:
            self._on_recorded(changes)
