"""The clinic's name, contacts, country, paper and logo: the Settings page, and the logo picker
the first-run page shares."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.clinic import COUNTRIES, PAPER_SIZES, ClinicSettings
from exodesk.errors import UserError
from exodesk.services.clinic import ClinicService
from exodesk.services.context import Changes
from exodesk.ui.common import error_label, named, show_problems
from exodesk.ui.dialogs.settings_page import SettingsPage
from exodesk.ui.errors import show_user_error

LOGO_MAX_PX = 600


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
    """The clinic logo: a preview, Choose logo… and Remove (first run and Settings).

    Args:
        error: The label beside the logo where an unreadable file is said.
        prefix: Put before the widgets' object names (``firstRun_`` on the first-run page).
        remove_text: The Remove button's text (its mnemonic must not clash on the page).
    """

    def __init__(self, error: QLabel, *, prefix: str = "", remove_text: str = "&Remove logo"):
        super().__init__()
        self._error = error
        self._logo: bytes | None = None
        self.preview = QLabel()
        self.preview.setObjectName(f"{prefix}logoPreview")
        self.preview.setFixedSize(160, 60)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setStyleSheet("border: 1px dashed #aaa; color: #666;")
        self.preview.setToolTip("Printed at the top of sheets and reports.")
        self.choose = named(
            QPushButton("Choose &logo…"),
            f"{prefix}chooseLogo",
            "Choose logo",
            "A PNG or JPEG picture; large pictures are scaled down.",
        )
        self.remove = named(QPushButton(remove_text), f"{prefix}removeLogo", "Remove logo")
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


class ClinicSettingsPage(SettingsPage):
    """Edits ClinicSettings; problems appear beside their fields."""

    page_title = "Clinic details"

    def __init__(self, clinic: ClinicService) -> None:
        super().__init__()
        self.setObjectName("clinicSettingsPage")
        self._clinic = clinic
        self._settings = ClinicSettings()
        self._logo: bytes | None = None

        self.name = named(
            QLineEdit(), "settings_name", "Clinic name", "Printed on every sheet and report."
        )
        self.address = named(QPlainTextEdit(), "settings_address", "Address")
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(self.address.fontMetrics().lineSpacing() * 4 + 12)
        self.phone = named(
            QLineEdit(), "settings_phone", "Phone", "The number patients call in opening hours."
        )
        self.out_of_hours = named(
            QLineEdit(),
            "settings_out_of_hours",
            "Out-of-hours number",
            "Printed on aftercare sheets for problems when the clinic is closed.",
        )
        self.country = named(
            QComboBox(), "settings_country", "Country", "Sets which regulatory notes apply."
        )
        for code, label in COUNTRIES.items():
            self.country.addItem(label, code)
        self.paper = named(
            QComboBox(),
            "settings_paper_size",
            "Paper size",
            "The paper every sheet, summary and report is laid out for.",
        )
        for size in PAPER_SIZES:
            self.paper.addItem(size, size)
        self.valid_days = named(
            QSpinBox(),
            "settings_screening_valid_days",
            "Screening valid for days",
            "How long an intake screening stays current.",
        )
        self.valid_days.setRange(1, 365)
        self.valid_days.setSuffix(" days")
        self.idle_minutes = named(
            QSpinBox(),
            "settings_idle_lock_minutes",
            "Lock the screen after idle minutes",
            "After this many minutes without a key press or click, patient details are hidden "
            "until the person at the desk types their password.",
        )
        self.idle_minutes.setRange(2, 30)
        self.idle_minutes.setSuffix(" minutes idle")
        self.errors = {
            key: error_label(f"settings_error_{key}")
            for key in (
                "name",
                "address",
                "phone",
                "out_of_hours",
                "country",
                "paper_size",
                "logo",
                "screening_valid_days",
                "idle_lock_minutes",
            )
        }
        self.logo = LogoPicker(self.errors["logo"])
        self.choose_logo, self.remove_logo = self.logo.choose, self.logo.remove
        # A grid, not a QFormLayout: once a wrapped problem shows, QFormLayout sizes rows by
        # height-for-width and gives the fixed-height address box less than it needs, so the
        # box ran over the phone field. A grid keeps every row at least its minimum.
        form = QGridLayout()
        form.setColumnStretch(1, 1)
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(8)
        rows = (
            ("Clinic &name", self.name, "name"),
            ("&Address", self.address, "address"),
            ("&Phone", self.phone, "phone"),
            ("&Out-of-hours number", self.out_of_hours, "out_of_hours"),
            ("&Country", self.country, "country"),
            ("Paper si&ze", self.paper, "paper_size"),
            ("Screening &valid for", self.valid_days, "screening_valid_days"),
            ("Loc&k the screen after", self.idle_minutes, "idle_lock_minutes"),
        )
        for row, (text, widget, key) in enumerate(rows):
            form.addWidget(self._labelled(text, widget), row, 0, Qt.AlignmentFlag.AlignTop)
            form.addWidget(self._with_error(widget, key), row, 1)
        logo_label = self._labelled("Logo", self.choose_logo)
        form.addWidget(logo_label, len(rows), 0, Qt.AlignmentFlag.AlignTop)
        form.addWidget(self._with_error(self.logo, "logo"), len(rows), 1)
        # Short fields read better than ones stretched across a wide window.
        fields = QWidget()
        fields.setLayout(form)
        fields.setMaximumWidth(720)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(fields)
        layout.addStretch(1)
        self.discard()

    @staticmethod
    def _labelled(text: str, widget: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(widget)
        # Line the label's text up with the field's text, not the field's top border.
        label.setContentsMargins(0, 4, 0, 0)
        return label

    def _with_error(self, field: QWidget, key: str) -> QWidget:
        # A widget, not a bare layout, so the form sizes the field and its problem as one.
        holder = QWidget()
        box = QVBoxLayout(holder)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(field)
        box.addWidget(self.errors[key])
        return holder

    def first_field(self) -> QWidget:
        return self.name

    def discard(self) -> None:
        """Show the stored settings again."""
        settings = self._clinic.settings()
        self._settings = settings
        self.name.setText(settings.name)
        self.address.setPlainText(settings.address)
        self.phone.setText(settings.phone)
        self.out_of_hours.setText(settings.out_of_hours)
        self.country.setCurrentIndex(max(0, self.country.findData(settings.country)))
        self.paper.setCurrentIndex(max(0, self.paper.findData(settings.paper_size)))
        self.valid_days.setValue(settings.screening_valid_days)
        self.idle_minutes.setValue(settings.idle_lock_minutes)
        self.logo.set_logo(settings.logo_png)
        show_problems(self.errors, [])
        self.mark_clean()

    def set_logo_file(self, path: str) -> None:
        """Load a logo image from disk; an unreadable file is said beside the logo."""
        show_problems(self.errors, [])
        self.logo.set_logo_file(path)

    def settings(self) -> ClinicSettings:
        return replace(
            self._settings,
            name=self.name.text(),
            address=self.address.toPlainText(),
            phone=self.phone.text(),
            out_of_hours=self.out_of_hours.text(),
            country=self.country.currentData(),
            paper_size=self.paper.currentData(),
            logo_png=self.logo.logo,
            screening_valid_days=self.valid_days.value(),
            idle_lock_minutes=self.idle_minutes.value(),
        )

    def snapshot(self) -> ClinicSettings:
        return self.settings()

    def _store(self) -> Changes | None:
        try:
            result = self._clinic.save_settings(self.settings())
        except UserError as exc:
            show_user_error(self, exc)
            return None
        show_problems(self.errors, result.problems)
        if not result.ok:
            return None
        self._settings = self._clinic.settings()
        return result.changes
