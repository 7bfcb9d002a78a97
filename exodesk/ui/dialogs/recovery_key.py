"""Showing the recovery key once, with a printable sheet, before the clinic's data is encrypted."""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.clinic import ClinicSettings
from exodesk.services.context import Changes
from exodesk.ui.common import named


def recovery_sheet_pdf(
    clinic: ClinicSettings, recovery_key: str, printed_on: date, data_file: Path | None
) -> bytes:
    """The one-page sheet for the safe (reportlab is loaded only now: it is slow to import)."""
    from exodesk.reports.recovery_key import RecoverySheet, render_recovery_sheet

    return render_recovery_sheet(
        RecoverySheet(clinic, recovery_key, printed_on, str(data_file) if data_file else "")
    )


class RecoveryKeyDialog(QDialog):
    """The recovery key, shown once: print it (or write it down) before going on.

    Continue stays disabled until the box "I have printed it or written it down" is ticked;
    Cancel means the data is not encrypted with this key (the caller creates nothing).
    """

    def __init__(
        self,
        parent: QWidget | None,
        recovery_key: str,
        *,
        clinic: ClinicSettings,
        printed_on: date,
        data_file: Path | None = None,
        intro: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("recoveryKeyDialog")
        self.setWindowTitle("The clinic's recovery key")
        self._key = recovery_key
        self._clinic = clinic
        self._printed_on = printed_on
        self._data_file = data_file
        self.printed = False
        words = QLabel(
            intro
            or "ExoDesk encrypts the clinic's records. Staff passwords open them day to day; "
            "this <b>recovery key</b> opens them, and every backup, if every password is lost. "
            "It is shown only now. Print it and keep the sheet in the clinic's safe."
        )
        words.setWordWrap(True)
        groups = [g for g in recovery_key.split("-") if g]
        lines = ["  ".join(groups[i : i + 5]) for i in range(0, len(groups), 5)]
        self.key_label = QLabel("\n".join(lines))
        self.key_label.setObjectName("recoveryKeyText")
        self.key_label.setAccessibleName("Recovery key")
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSize(font.pointSize() + 4)
        font.setBold(True)
        self.key_label.setFont(font)
        self.key_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.print_button = named(
            QPushButton("&Print the recovery sheet…"),
            "recoveryPrint",
            "Print the recovery sheet",
            "Opens the sheet: print it, or save it as a PDF to print elsewhere.",
        )
        self.stored = named(
            QCheckBox("I have printed the sheet or written the &key down, to keep in the safe"),
            "recoveryStored",
            "The recovery key is printed or written down",
        )
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.continue_button = named(
            buttons.button(QDialogButtonBox.StandardButton.Ok), "recoveryContinue", "Continue"
        )
        self.continue_button.setText("Continue")
        self.continue_button.setEnabled(False)
        named(buttons.button(QDialogButtonBox.StandardButton.Cancel), "recoveryCancel", "Cancel")
        self.print_button.clicked.connect(self.print_sheet)
        self.stored.toggled.connect(self.continue_button.setEnabled)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.key_label)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(words)
        layout.addSpacing(8)
        layout.addLayout(row)
        layout.addSpacing(8)
        layout.addWidget(self.print_button)
        layout.addWidget(self.stored)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)
        self.print_button.setFocus()

    def sheet_pdf(self) -> bytes:
        return recovery_sheet_pdf(self._clinic, self._key, self._printed_on, self._data_file)

    def print_sheet(self) -> None:
        """The sheet through the one print path: rendered off the UI thread, previewed, and
        printed or saved. Nothing is recorded anywhere (the key must not be): printing only
        counts as a way the key was kept."""
        # Qt's PDF module loads only when the sheet is shown (it slows every start otherwise).
        from exodesk.services.printing import PrintJob
        from exodesk.ui.printing import preview_job

        def printed(_how: str, _pdf: bytes) -> Changes:
            self.printed = True
            return Changes()

        job: PrintJob[None] = PrintJob(
            title="ExoDesk recovery key",
            file_name="exodesk-recovery-key.pdf",
            paper_size=self._clinic.paper_size,
            data=None,
            # A plain function of plain values: the worker thread never touches this dialog.
            render=functools.partial(
                recovery_sheet_pdf, self._clinic, self._key, self._printed_on, self._data_file
            ),
            record=printed,
        )
        preview_job(self, job)
