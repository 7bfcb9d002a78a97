"""The recovery key dialog: the key shown once; Continue only once it is kept somewhere."""

from __future__ import annotations

from datetime import date

from exodesk.domain.clinic import ClinicSettings
from exodesk.ui.dialogs.recovery_key import RecoveryKeyDialog
from exodesk.ui.printing import PdfPreviewDialog
from tests.ui.dialogs import when_dialog_opens
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
    seen = when_dialog_opens(PdfPreviewDialog, lambda preview: preview.reject())
    dialog.print_button.click()
    assert seen, "the sheet opens in the print preview"
    dialog.stored.setChecked(True)
    assert dialog.continue_button.isEnabled()
    dialog.continue_button.click()
    assert dialog.result() == dialog.DialogCode.Accepted
    assert not unnamed_widgets(dialog)
    assert dialog.sheet_pdf().startswith(b"%PDF")
