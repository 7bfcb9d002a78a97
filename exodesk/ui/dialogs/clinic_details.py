"""ClinicDetailsForm: the clinic's name, contacts, country, paper size and logo, typed in one
form that the first-run dialog and the Settings window's clinic page both show."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.clinic import COUNTRIES, PAPER_SIZES, ClinicSettings
from exodesk.domain.problems import Problem
from exodesk.ui.common import clear_when_edited, error_label, named, show_problems
from exodesk.ui.look import FADED, NOTE, ink, ink_style
from exodesk.ui.widgets import NoWheelComboBox

LOGO_MAX_PX = 600
CLINIC_FIELDS = ("name", "address", "phone", "out_of_hours", "country", "paper_size", "logo")
"""The ClinicSettings fields this form edits, by the keys their problems carry."""
LETTER_COUNTRIES = frozenset({"US", "CA"})
"""Countries that print on US Letter; everyone else on the list uses A4."""

ExtraRow = tuple[str, QWidget, str]
"""(label text with its mnemonic, field, problem key): a field a page adds to the form."""


def image_to_png(image: QImage) -> bytes:
    """Scale an image to at most LOGO_MAX_PX and encode it as PNG."""
    if max(image.width(), image.height()) > LOGO_MAX_PX:
        image = image.scaled(
            LOGO_MAX_PX,
            LOGO_MAX_PX,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # The PySide6 stub types the format as bytes, but the binding takes only str here
    # (b"PNG" raises ValueError).
    image.save(buffer, "PNG")  # type: ignore[call-overload]
    buffer.close()
    return bytes(data.data())


class LogoPicker(QWidget):
    """The clinic logo: a preview, Choose logo… and Remove logo.

    Args:
        error: The label beside the logo where an unreadable file is said.
        prefix: Put before the widgets' object names.
    """

    def __init__(self, error: QLabel, *, prefix: str) -> None:
        super().__init__()
        self._error = error
        self._logo: bytes | None = None
        self.preview = QLabel()
        self.preview.setObjectName(f"{prefix}logoPreview")
        self.preview.setFixedSize(160, 60)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setStyleSheet(f"border: 1px dashed {ink(FADED, ratio=3.0)}; {ink_style(NOTE)}")
        self.preview.setToolTip("Printed at the top of sheets and reports.")
        self.choose = named(
            QPushButton("Choose &logo…"),
            f"{prefix}chooseLogo",
            "Choose logo",
            "A PNG or JPEG picture; large pictures are scaled down.",
        )
        self.remove = named(QPushButton("&Remove logo"), f"{prefix}removeLogo", "Remove logo")
        self.choose.clicked.connect(self._choose)
        self.remove.clicked.connect(self._remove)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.preview)
        row.addWidget(self.choose)
        row.addWidget(self.remove)
        row.addStretch(1)
        self.setFocusProxy(self.choose)
        self._show()

    @property
    def logo(self) -> bytes | None:
        """The logo as PNG bytes, or None."""
        return self._logo

    def set_logo(self, png: bytes | None) -> None:
        self._logo = png
        self._show()

    def set_logo_file(self, path: str) -> None:
        """Load a logo image from disk; an unreadable file is said beside the logo."""
        image = QImage(path)
        if image.isNull():
            self._error.setText("That file is not an image ExoDesk can read.")
            self._error.show()
            return
        self._error.hide()
        self.set_logo(image_to_png(image))

    def _show(self) -> None:
        if self._logo:
            pixmap = QPixmap()
            pixmap.loadFromData(self._logo)
            self.preview.setPixmap(
                pixmap.scaled(
                    self.preview.size(),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
        else:
            self.preview.setPixmap(QPixmap())
            self.preview.setText("No logo")
        self.remove.setEnabled(bool(self._logo))

    def _choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose the clinic logo", "", "Images (*.png *.jpg *.jpeg *.bmp *.gif)"
        )
        if path:
            self.set_logo_file(path)

    def _remove(self) -> None:
        self.set_logo(None)
        self.choose.setFocus()


class ClinicDetailsForm(QWidget):
    """The clinic's details as fields, each with its problem shown beneath it.

    The form reads and shows ClinicSettings; saving, and deciding when, is the page's.

    Args:
        prefix: Put before every objectName (``firstRun_``, ``settings_``), so each page's
            fields can be told apart.
        extra_rows: Fields a page adds below the paper size and above the logo, laid out and
            given problem lines like the form's own (the Settings page's screening and
            lock settings).
        paper_follows_country: Until someone picks a paper size, choosing the country sets it
            (Letter for the US and Canada). For a new clinic, which has not chosen one yet.
    """

    def __init__(
        self,
        *,
        prefix: str,
        extra_rows: Sequence[ExtraRow] = (),
        paper_follows_country: bool = False,
    ) -> None:
        super().__init__()
        self._paper_follows = paper_follows_country
        self._build_fields(prefix)
        keys = (*CLINIC_FIELDS, *(key for _, _, key in extra_rows))
        self.errors = {key: error_label(f"{prefix}error_{key}") for key in keys}
        """Each field's problem line, by the key its problems carry."""
        self.logo = LogoPicker(self.errors["logo"], prefix=prefix)
        self._build_grid(extra_rows)
        self.country.currentIndexChanged.connect(self._follow_country)
        self.paper.activated.connect(self._paper_picked)
        self._follow_country()
        self.setFocusProxy(self.name)

    # ---- building ------------------------------------------------------------------------
    def _build_fields(self, prefix: str) -> None:
        self.name = named(
            QLineEdit(), f"{prefix}name", "Clinic name", "Printed on every sheet and report."
        )
        self.name.setPlaceholderText("as it should appear on printed sheets")
        self.address = named(QPlainTextEdit(), f"{prefix}address", "Address")
        self.address.setTabChangesFocus(True)  # Tab moves on; Enter starts a new address line
        self.address.setFixedHeight(self.address.fontMetrics().lineSpacing() * 4 + 12)
        self.phone = named(
            QLineEdit(), f"{prefix}phone", "Phone", "The number patients call in opening hours."
        )
        self.out_of_hours = named(
            QLineEdit(),
            f"{prefix}out_of_hours",
            "Out-of-hours number",
            "Printed on aftercare sheets for problems when the clinic is closed.",
        )
        self.country = named(
            NoWheelComboBox(), f"{prefix}country", "Country", "Sets which regulatory notes apply."
        )
        for code, label in COUNTRIES.items():
            self.country.addItem(label, code)
        self.paper = named(
            NoWheelComboBox(),
            f"{prefix}paper_size",
            "Paper size",
            "The paper every sheet, summary and report is laid out for.",
        )
        for size in PAPER_SIZES:
            self.paper.addItem(size, size)

    def _build_grid(self, extra_rows: Sequence[ExtraRow]) -> None:
        # A grid, not a QFormLayout: once a wrapped problem shows, QFormLayout sizes rows by
        # height-for-width and gives the fixed-height address box less than it needs, so the
        # box ran over the phone field. A grid keeps every row at least its minimum.
        grid = QGridLayout(self)
        grid.setColumnStretch(1, 1)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(8)
        rows: list[tuple[QLabel, QWidget, str]] = [
            (_buddy(text, widget), widget, key)
            for text, widget, key in (
                ("Clinic &name", self.name, "name"),
                ("&Address", self.address, "address"),
                ("&Phone", self.phone, "phone"),
                ("&Out-of-hours number", self.out_of_hours, "out_of_hours"),
                ("&Country", self.country, "country"),
                ("Paper si&ze", self.paper, "paper_size"),
                *extra_rows,
            )
        ]
        rows.append((_buddy("Logo", self.logo.choose), self.logo, "logo"))
        for row, (label, widget, key) in enumerate(rows):
            grid.addWidget(label, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(self._with_error(widget, key), row, 1)

    def _with_error(self, field: QWidget, key: str) -> QWidget:
        # A widget, not a bare layout, so the grid sizes the field and its problem as one.
        holder = QWidget()
        box = QVBoxLayout(holder)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(field)
        box.addWidget(self.errors[key])
        if field is not self.logo:  # the logo's problem is the picker's own to clear
            clear_when_edited(self.errors[key], field)
        return holder

    # ---- reading and showing ---------------------------------------------------------------
    def show_settings(self, settings: ClinicSettings) -> None:
        """Show ``settings`` in the fields and clear every problem."""
        self.name.setText(settings.name)
        self.address.setPlainText(settings.address)
        self.phone.setText(settings.phone)
        self.out_of_hours.setText(settings.out_of_hours)
        self.country.setCurrentIndex(max(0, self.country.findData(settings.country)))
        self.paper.setCurrentIndex(max(0, self.paper.findData(settings.paper_size)))
        self.logo.set_logo(settings.logo_png)
        self.show_problems([])

    def apply_to(self, settings: ClinicSettings) -> ClinicSettings:
        """``settings`` with the clinic's details as typed, their text fields trimmed."""
        return replace(
            settings,
            name=self.name.text().strip(),
            address=self.address.toPlainText().strip(),
            phone=self.phone.text().strip(),
            out_of_hours=self.out_of_hours.text().strip(),
            country=self.country.currentData(),
            paper_size=self.paper.currentData(),
            logo_png=self.logo.logo,
        )

    def show_problems(self, problems: list[Problem]) -> None:
        """Each problem under its field (the extra rows' too); clear the rest."""
        show_problems(self.errors, problems)

    def focus_field(self, key: str) -> None:
        """Put the keyboard in the field a problem is about (the name if it is not here)."""
        widgets: dict[str, QWidget] = {
            "name": self.name,
            "address": self.address,
            "phone": self.phone,
            "out_of_hours": self.out_of_hours,
            "country": self.country,
            "paper_size": self.paper,
            "logo": self.logo.choose,
        }
        widgets.get(key, self.name).setFocus()

    def set_logo_file(self, path: str) -> None:
        """Load a logo image from disk; an unreadable file is said beside the logo."""
        self.logo.set_logo_file(path)

    # ---- paper follows the country -----------------------------------------------------------
    def _follow_country(self) -> None:
        if self._paper_follows:
            size = "Letter" if self.country.currentData() in LETTER_COUNTRIES else "A4"
            self.paper.setCurrentIndex(max(0, self.paper.findData(size)))

    def _paper_picked(self) -> None:
        self._paper_follows = False  # once someone picks a paper size, it stays theirs


def _buddy(text: str, widget: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(widget)
    # Line the label's text up with the field's text, not the field's top border.
    label.setContentsMargins(0, 4, 0, 0)
    return label
