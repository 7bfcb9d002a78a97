"""The shared print preview: loads pages, prints, saves byte for byte, and reports issuing."""

from __future__ import annotations

import errno
import io
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPageSize
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QPushButton
from reportlab.platypus import PageBreak, Paragraph

from exodesk.domain.clinic import ClinicSettings
from exodesk.errors import UserError
from exodesk.reports.document import DocumentSetup, make_styles, render_document
from exodesk.reports.markup import para_text
from exodesk.ui import printing
from exodesk.ui.printing import PdfPreviewDialog, safe_file_name


@pytest.fixture(scope="module")
def pdf_bytes() -> bytes:
    styles = make_styles()
    setup = DocumentSetup(
        ClinicSettings(name="Riverside Clinic", paper_size="A4"),
        "Aftercare sheet",
        date(2026, 12, 2),
        subject="Zoë Ñúñez",
    )
    story = [
        Paragraph(para_text("Keep the area clean and dry."), styles.body),
        PageBreak(),
        Paragraph(para_text("Call us if the redness spreads."), styles.body),
    ]
    return render_document(setup, story, styles)


@pytest.fixture
def dialog(qtbot, pdf_bytes: bytes) -> PdfPreviewDialog:
    dlg = PdfPreviewDialog(pdf_bytes, "Aftercare sheet — Zoë Ñúñez", "Aftercare: Zoë/Ñúñez", "A4")
    qtbot.addWidget(dlg)
    return dlg


@pytest.fixture
def shown_errors(monkeypatch) -> list[UserError]:
    errors: list[UserError] = []
    monkeypatch.setattr(
        printing, "show_user_error", lambda _parent, exc, _title: errors.append(exc)
    )
    return errors


def pdf_printer(path: Path) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    return printer


def show_active(dialog: PdfPreviewDialog, qtbot) -> None:
    # Shortcuts only reach the active window.
    with qtbot.waitActive(dialog):
        dialog.show()
        dialog.activateWindow()


def text_of(path: Path) -> str:
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)


def test_preview_loads_every_page(dialog: PdfPreviewDialog, qtbot) -> None:
    with qtbot.waitExposed(dialog):
        dialog.show()
    assert dialog.page_count == 2
    assert dialog.view.document() is dialog.document
    assert dialog.page_label.text() == "Page 1 of 2"
    assert dialog.windowTitle() == "Aftercare sheet — Zoë Ñúñez — preview"


def test_every_button_is_named_for_tests_and_screen_readers(dialog: PdfPreviewDialog) -> None:
    for name in ("printButton", "saveButton", "closeButton"):
        button = dialog.findChild(QPushButton, name)
        assert button is not None, name
        assert button.accessibleName()
    assert dialog.view.objectName() == "pdfPreview"
    assert dialog.view.accessibleName() == "Preview of Aftercare sheet — Zoë Ñúñez"


def test_save_to_writes_identical_bytes_and_reports_it(
    dialog: PdfPreviewDialog, qtbot, tmp_path: Path, pdf_bytes: bytes
) -> None:
    target = tmp_path / "copy.pdf"
    with qtbot.waitSignal(dialog.issued) as signal:
        dialog.save_to(target)
    assert target.read_bytes() == pdf_bytes
    assert signal.args == [f"saved:{target}"]
    assert not list(tmp_path.glob(".exodesk-*"))


def test_print_to_a_pdf_printer_keeps_the_text(
    dialog: PdfPreviewDialog, qtbot, tmp_path: Path
) -> None:
    target = tmp_path / "printed.pdf"
    with qtbot.waitSignal(dialog.issued) as signal:
        dialog.print_to(pdf_printer(target))
    assert signal.args == ["printed"]
    text = text_of(target)
    assert "Keep the area clean and dry." in text
    assert "Call us if the redness spreads." in text
    assert "Zoë Ñúñez" in text


def test_print_a_page_range_paints_that_page_on_the_printers_paper(
    dialog: PdfPreviewDialog, qtbot, tmp_path: Path
) -> None:
    target = tmp_path / "page2.pdf"
    printer = pdf_printer(target)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.Letter))
    printer.setPrintRange(QPrinter.PrintRange.PageRange)
    printer.setFromTo(2, 2)
    with qtbot.waitSignal(dialog.issued):
        dialog.print_to(printer)
    reader = PdfReader(io.BytesIO(target.read_bytes()))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    # Letter paper, and the page arrives as a rendered picture of page 2.
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (612, 792)
    assert len(page.images) == 1
    picture = page.images[0].image
    assert picture is not None
    # The rendered page is not blank: the text pixels are dark.
    assert picture.convert("L").getextrema()[0] < 100


def test_print_range_outside_the_document_prints_nothing(
    dialog: PdfPreviewDialog, qtbot, tmp_path: Path
) -> None:
    printer = pdf_printer(tmp_path / "none.pdf")
    printer.setPrintRange(QPrinter.PrintRange.PageRange)
    printer.setFromTo(5, 6)
    with (
        qtbot.assertNotEmitted(dialog.issued),
        pytest.raises(printing.PrintError, match="not in this document"),
    ):
        dialog.print_to(printer)


def test_print_button_prints_on_the_chosen_printer(
    dialog: PdfPreviewDialog, qtbot, tmp_path: Path, monkeypatch
) -> None:
    target = tmp_path / "button.pdf"
    monkeypatch.setattr(dialog, "choose_printer", lambda: pdf_printer(target))
    with qtbot.waitSignal(dialog.issued) as signal:
        qtbot.mouseClick(dialog.print_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["printed"]
    assert target.exists()


def test_cancelled_print_dialog_issues_nothing(
    dialog: PdfPreviewDialog, qtbot, monkeypatch
) -> None:
    monkeypatch.setattr(dialog, "choose_printer", lambda: None)
    with qtbot.assertNotEmitted(dialog.issued):
        dialog.on_print()


def test_ctrl_s_saves_through_the_file_dialog(
    dialog: PdfPreviewDialog, qtbot, tmp_path: Path, monkeypatch, pdf_bytes: bytes
) -> None:
    offered: list[str] = []

    def fake_dialog(_parent, _caption, start, _filter):
        offered.append(start)
        return str(tmp_path / "chosen"), "PDF files (*.pdf)"

    monkeypatch.setattr(printing.QFileDialog, "getSaveFileName", fake_dialog)
    show_active(dialog, qtbot)
    with qtbot.waitSignal(dialog.issued) as signal:
        qtbot.keyClick(dialog.view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    # The suggested name lost the characters no file system allows, and gained .pdf.
    assert Path(offered[0]).name == "Aftercare- Zoë-Ñúñez.pdf"
    assert signal.args == [f"saved:{tmp_path / 'chosen.pdf'}"]
    assert (tmp_path / "chosen.pdf").read_bytes() == pdf_bytes


def test_ctrl_p_opens_the_printer_choice(dialog: PdfPreviewDialog, qtbot, monkeypatch) -> None:
    asked: list[bool] = []
    monkeypatch.setattr(dialog, "choose_printer", lambda: asked.append(True))
    show_active(dialog, qtbot)
    qtbot.keyClick(dialog.view, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert asked == [True]


def test_escape_closes(dialog: PdfPreviewDialog, qtbot) -> None:
    with qtbot.waitExposed(dialog):
        dialog.show()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_save_into_a_missing_folder_says_so_and_loses_nothing(
    dialog: PdfPreviewDialog, qtbot, tmp_path: Path, monkeypatch, shown_errors, pdf_bytes: bytes
) -> None:
    bad = tmp_path / "gone" / "x.pdf"
    monkeypatch.setattr(
        printing.QFileDialog, "getSaveFileName", lambda *a: (str(bad), "PDF files (*.pdf)")
    )
    with qtbot.assertNotEmitted(dialog.issued):
        dialog.on_save()
    assert len(shown_errors) == 1
    assert shown_errors[0].message == (
        f"The folder “{bad.parent}” no longer exists, so the PDF was not saved."
    )
    # The document is still there to save elsewhere.
    good = tmp_path / "good.pdf"
    dialog.save_to(good)
    assert good.read_bytes() == pdf_bytes


def test_full_disk_keeps_the_earlier_file(
    dialog: PdfPreviewDialog, qtbot, tmp_path: Path, monkeypatch, shown_errors
) -> None:
    target = tmp_path / "existing.pdf"
    target.write_bytes(b"earlier copy")

    def disk_full(_src, _dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(printing.os, "replace", disk_full)
    monkeypatch.setattr(
        printing.QFileDialog, "getSaveFileName", lambda *a: (str(target), "PDF files (*.pdf)")
    )
    with qtbot.assertNotEmitted(dialog.issued):
        dialog.on_save()
    assert [e.message for e in shown_errors] == [
        f"The disk holding “{tmp_path}” is full, so the PDF was not saved."
    ]
    assert target.read_bytes() == b"earlier copy"
    assert not list(tmp_path.glob(".exodesk-*"))


def test_read_only_folder_message() -> None:
    error = printing.describe_write_error(
        PermissionError(errno.EACCES, "Permission denied"), Path("/srv/ro/x.pdf")
    )
    assert error.message == "ExoDesk may not write in “/srv/ro”, so the PDF was not saved."
    assert error.advice == "Choose another folder and save again."


def test_unreadable_pdf_shows_a_message_not_a_crash(qtbot, tmp_path: Path) -> None:
    dlg = PdfPreviewDialog(b"not a pdf", "Broken", "broken.pdf")
    qtbot.addWidget(dlg)
    assert dlg.page_count == 0
    assert dlg.page_label.text() == "This document could not be shown."
    with pytest.raises(printing.PrintError):
        dlg.print_to(pdf_printer(tmp_path / "x.pdf"))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Screening summary", "Screening summary.pdf"),
        ("a/b\\c:d*e?.pdf", "a-b-c-d-e-.pdf"),
        ("   ", "document.pdf"),
        ("李小龍 aftercare", "李小龍 aftercare.pdf"),
    ],
)
def test_safe_file_name(name: str, expected: str) -> None:
    assert safe_file_name(name) == expected


# ---- printing to a real printer: vector pages through CUPS, small pictures elsewhere ------------


class CupsPrinter(QPrinter):
    """A printer as Qt reports a CUPS queue (this test machine may have no CUPS at all).

    Its real engine writes a PDF file, so a fallback to painted pages can be read back.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(QPrinter.PrinterMode.HighResolution)
        self.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        self.setOutputFileName(str(path))

    def outputFormat(self) -> QPrinter.OutputFormat:
        return QPrinter.OutputFormat.NativeFormat

    def printerName(self) -> str:
        return "Reception_Laser"


def fake_lp(folder: Path, status: int = 0) -> Path:
    """An ``lp`` that keeps its arguments and the job it was given, then exits ``status``."""
    script = folder / "lp"
    script.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" > "{folder}/args"\n'
        f'cat > "{folder}/job"\n'
        f'echo "request id is Reception_Laser-7 (1 file(s))"\nexit {status}\n'
    )
    script.chmod(0o755)
    return script


def test_a_cups_printer_is_sent_the_pdf_itself(
    dialog: PdfPreviewDialog, pdf_bytes: bytes, qtbot, tmp_path: Path, monkeypatch
) -> None:
    # Through a real CUPS queue a page used to arrive as one 2396×3388 RGB picture (1.15 MB
    # for an aftercare sheet, no text); CUPS prints PDF itself, as vector pages.
    lp = fake_lp(tmp_path)
    monkeypatch.setattr(printing, "cups_command", lambda: str(lp))
    printer = CupsPrinter(tmp_path / "painted.pdf")
    printer.setColorMode(QPrinter.ColorMode.GrayScale)
    printer.setCopyCount(2)
    with qtbot.waitSignal(dialog.issued) as signal:
        dialog.print_to(printer)
    assert signal.args == ["printed"]
    assert (tmp_path / "job").read_bytes() == pdf_bytes  # every page, text and all
    args = (tmp_path / "args").read_text().splitlines()
    assert args[:2] == ["-d", "Reception_Laser"]
    assert "print-color-mode=monochrome" in args and "fit-to-page" in args
    assert args[args.index("-n") + 1] == "2"
    assert "-P" not in args  # the whole document
    assert args[-2:] == ["--", "-"]
    assert not (tmp_path / "painted.pdf").exists()  # nothing painted as well


def test_a_page_range_goes_to_cups_as_its_page_numbers(
    dialog: PdfPreviewDialog, qtbot, tmp_path: Path, monkeypatch
) -> None:
    lp = fake_lp(tmp_path)
    monkeypatch.setattr(printing, "cups_command", lambda: str(lp))
    printer = CupsPrinter(tmp_path / "painted.pdf")
    printer.setPrintRange(QPrinter.PrintRange.PageRange)
    printer.setFromTo(2, 2)
    with qtbot.waitSignal(dialog.issued):
        dialog.print_to(printer)
    args = (tmp_path / "args").read_text().splitlines()
    assert args[args.index("-P") + 1] == "2"
    assert "print-color-mode=monochrome" not in args
    assert printing.page_ranges([0, 1, 2, 4, 6, 7]) == "1-3,5,7-8"


def test_a_refusing_cups_queue_falls_back_to_painted_pages(
    dialog: PdfPreviewDialog, qtbot, tmp_path: Path, monkeypatch
) -> None:
    lp = fake_lp(tmp_path, status=1)
    monkeypatch.setattr(printing, "cups_command", lambda: str(lp))
    painted = tmp_path / "painted.pdf"
    with qtbot.waitSignal(dialog.issued):
        dialog.print_to(CupsPrinter(painted))
    assert len(PdfReader(io.BytesIO(painted.read_bytes())).pages) == 2


def test_a_black_and_white_printer_gets_small_grey_pictures_of_whole_pages(
    dialog: PdfPreviewDialog, qtbot, tmp_path: Path, monkeypatch
) -> None:
    # Where pages are painted (Windows; QtPdf only renders pictures), a mono printer gets
    # one byte a pixel instead of four, and each page's picture is the whole page.
    monkeypatch.setattr(printing, "cups_command", lambda: None)
    sizes = {}
    for mode in (QPrinter.ColorMode.Color, QPrinter.ColorMode.GrayScale):
        target = tmp_path / f"{mode.name}.pdf"
        printer = pdf_printer(target)
        printer.setColorMode(mode)
        printer.setPrintRange(QPrinter.PrintRange.PageRange)
        printer.setFromTo(2, 2)  # not the whole document: painted, not copied
        with qtbot.waitSignal(dialog.issued):
            dialog.print_to(printer)
        pages = PdfReader(io.BytesIO(target.read_bytes())).pages
        assert len(pages) == 1
        [picture] = pages[0].images
        assert picture.image is not None
        width, height = picture.image.size
        # Nothing cut: the picture has the A4 page's shape (297 / 210).
        assert abs(height / width - 297 / 210) < 0.01
        sizes[mode.name] = target.stat().st_size
        sent = printing.print_picture(QImage(40, 40, QImage.Format.Format_RGB32), printer)
        grey = mode == QPrinter.ColorMode.GrayScale
        assert (sent.format() == QImage.Format.Format_Grayscale8) == grey
        assert picture.image.mode == ("L" if grey else "RGB")
    assert sizes["GrayScale"] < sizes["Color"] / 2


def test_save_as_pdf_says_where_it_saved(
    dialog: PdfPreviewDialog, qtbot, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(
        printing.QFileDialog,
        "getSaveFileName",
        lambda *_args: (str(tmp_path / "Aftercare Zoë.pdf"), "PDF files (*.pdf)"),
    )
    with qtbot.waitExposed(dialog):
        dialog.show()
    assert not dialog.saved_label.isVisible()
    dialog.on_save()
    assert dialog.saved_label.isVisible()
    assert dialog.saved_label.text() == f"Saved as “Aftercare Zoë.pdf” in the folder {tmp_path}."
    assert dialog.saved_label.toolTip() == str(tmp_path / "Aftercare Zoë.pdf")
