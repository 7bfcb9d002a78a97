"""The recovery key sheet: printed once when a clinic's data is first encrypted, for the safe."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, Table, TableStyle

from exodesk.domain.clinic import ClinicSettings
from exodesk.reports.document import (
    CALLOUT_EDGE,
    CALLOUT_SHADE,
    DocumentSetup,
    bullets,
    content_width,
    heading,
    make_styles,
    para,
    render_document,
)
from exodesk.reports.fonts import SANS_BOLD


@dataclass(frozen=True)
class RecoverySheet:
    """What the sheet says: whose key it is and the key itself (groups of four)."""

    clinic: ClinicSettings
    recovery_key: str
    printed_on: date
    data_file: str = ""

    @property
    def key_lines(self) -> tuple[str, ...]:
        """The key in two or three lines of at most five groups, easy to read aloud and type."""
        groups = [g for g in self.recovery_key.replace(" ", "-").split("-") if g]
        return tuple("  ".join(groups[i : i + 5]) for i in range(0, len(groups), 5))


def render_recovery_sheet(sheet: RecoverySheet) -> bytes:
    """One page: the key, large, in a box, and what to do with it."""
    styles = make_styles()
    width = content_width(sheet.clinic.paper_size)
    key_style = ParagraphStyle(
        "recovery-key",
        parent=styles.body,
        fontName=SANS_BOLD,
        fontSize=17,
        leading=26,
        alignment=1,
    )
    key_rows = [[para(line, key_style)] for line in sheet.key_lines]
    box = Table(key_rows, colWidths=[width])
    box.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), CALLOUT_SHADE),
                ("BOX", (0, 0), (-1, -1), 1.2, CALLOUT_EDGE),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    story: list[Flowable] = [
        para(
            "This key opens the clinic's ExoDesk records and every backup of them, even when "
            "every password has been forgotten. It is shown once and ExoDesk does not keep a "
            "copy anyone can read.",
            styles.body,
        ),
        Spacer(1, 5 * mm),
        box,
        Spacer(1, 5 * mm),
        *heading("Keep it safe", styles),
        *bullets(
            [
                "Store this sheet in the clinic's safe or another locked place, away from the "
                "PC and away from the backups.",
                "Anyone holding it can read every patient's record: do not photograph it, "
                "email it or leave it at the desk.",
                "If it is lost or may have been seen, tell the clinic's admin at once; staff "
                "passwords still open the records.",
            ],
            styles.body,
        ),
        *heading("When you need it", styles),
        *bullets(
            [
                "Every admin has forgotten their password: on the sign-in screen choose "
                "“Use the recovery key”, type the key, and set a new password.",
                "Opening a backup on another PC after this one has failed.",
                "Letters are A–Z and digits 2–7; dashes and spaces do not matter.",
            ],
            styles.body,
        ),
        Spacer(1, 8 * mm),
        para("Stored by: ______________________________   on: ______________", styles.body),
    ]
    if sheet.data_file:
        story += [Spacer(1, 4 * mm), para(f"Data file: {sheet.data_file}", styles.small)]
    setup = DocumentSetup(
        clinic=sheet.clinic, title="ExoDesk recovery key", printed_on=sheet.printed_on
    )
    return render_document(setup, story, styles)
