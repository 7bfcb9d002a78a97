"""The recovery key dialog: the key shown once; Continue only once it is kept somewhere."""

from __future__ import annotations

from datetime import date

from exodesk.domain.clinic import ClinicSettings
from exodesk.ui.dialogs.recovery_key import RecoveryKeyDialog
from exodesk.ui.printing import PdfPreviewDialog
from tests.ui.previews import print_to, through_the_preview
from tests.ui.test_patients_tab import unnamed_widgets

KEY = "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567-ABCD-EFGH-IJKL-MNOP-QRST-UV23"


def test_continue_waits_until_the_key_is_kept(qtbot) -> None:
    dialog = RecoveryKeyDialog(
        None, KEY, clinic=ClinicSettings("Riverside"), printed_on=date(2026, 11, 22)
    )
    qtbot.addWidget(dialog)
    dialog.show()
    assert "ABCD  EFGH  IJKL  MNOP  QRST" in dialog.key_label.text()
    assert not dialog.continue_button.isEnabled()
    seen: list[PdfPreviewDialog] = []

    def look(preview: PdfPreviewDialog) -> None:
        seen.append(preview)
        assert preview.page_count == 1
        preview.reject()

    through_the_preview(qtbot, dialog.print_button.click, look)
    assert seen, "the sheet opens in the print preview"
    dialog.stored.setChecked(True)
    assert dialog.continue_button.isEnabled()
    dialog.continue_button.click()
    assert dialog.result() == dialog.DialogCode.Accepted
    assert not unnamed_widgets(dialog)
    assert dialog.sheet_pdf().startswith(b"%PDF")


def test_printing_the_sheet_off_the_ui_thread_counts_as_printed(qtbot, tmp_path) -> None:
    import threading

    from exodesk.ui.dialogs import recovery_key

    threads: list[str] = []
    real = recovery_key.recovery_sheet_pdf

    def watched(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    recovery_key.recovery_sheet_pdf = watched
    try:
        dialog = RecoveryKeyDialog(
            None, KEY, clinic=ClinicSettings("Riverside"), printed_on=date(2026, 11, 22)
        )
        qtbot.addWidget(dialog)
        dialog.show()
        out = tmp_path / "key.pdf"
        through_the_preview(qtbot, dialog.print_button.click, print_to(out))
    finally:
        recovery_key.recovery_sheet_pdf = real
    assert dialog.printed
    assert out.stat().st_size > 0
    assert threads and threads[0] != threading.main_thread().name
