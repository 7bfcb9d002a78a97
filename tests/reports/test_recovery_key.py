"""The recovery key sheet: one page, the key in readable groups, the clinic's name."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from exodesk.domain.clinic import ClinicSettings
from exodesk.reports.recovery_key import RecoverySheet, render_recovery_sheet

KEY = "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567-ABCD-EFGH-IJKL-MNOP-QRST-UV23"


def test_one_page_with_the_whole_key_in_groups() -> None:
    sheet = RecoverySheet(
        ClinicSettings("Clínica Zoë", paper_size="Letter"), KEY, date(2026, 11, 22)
    )
    assert sheet.key_lines == (
        "ABCD  EFGH  IJKL  MNOP  QRST",
        "UVWX  YZ23  4567  ABCD  EFGH",
        "IJKL  MNOP  QRST  UV23",
    )
    reader = PdfReader(io.BytesIO(render_recovery_sheet(sheet)))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Clínica Zoë" in text
    assert "ExoDesk recovery key" in text
    squeezed = "".join(text.split())
    assert KEY.replace("-", "") in squeezed, "every group, in order"
    assert "safe" in text
