"""ClinicSettingsDialog: the clinic's name, contacts, country, paper and logo."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
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
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


class ClinicSettingsDialog(QDialog):
    """Edits ClinicSettings; problems appear beside their fields; Enter saves, Esc cancels."""

    def __init__(self, parent: QWidget | None, clinic: ClinicService) -> None:
        super().__init__(parent)
        self.setWindowTitle("Clinic settings")
        self.setObjectName("clinicSettingsDialog")
        self._clinic = clinic
        self.changes = Changes()
        settings = clinic.settings()
        self._logo = settings.logo_png
        self._settings = settings

        self.name = named(QLineEdit(settings.name), "settings_name", "Clinic name")
        self.address = named(QPlainTextEdit(settings.address), "settings_address", "Address")
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(self.address.fontMetrics().lineSpacing() * 4 + 12)
        self.phone = named(QLineEdit(settings.phone), "settings_phone", "Phone")
        self.out_of_hours = named(
            QLineEdit(settings.out_of_hours),
            "settings_out_of_hours",
            "Out-of-hours number",
            "Printed on aftercare sheets for problems when the clinic is closed.",
        )
        self.country = named(
            QComboBox(), "settings_country", "Country", "Sets which regulatory notes apply."
        )
        for code, label in COUNTRIES.items():
            self.country.addItem(label, code)
        self.country.setCurrentIndex(max(0, self.country.findData(settings.country)))
        self.paper = named(QComboBox(), "settings_paper_size", "Paper size")
        for size in PAPER_SIZES:
            self.paper.addItem(size, size)
        self.paper.setCurrentIndex(max(0, self.paper.findData(settings.paper_size)))
        self.valid_days = named(
            QSpinBox(),
            "settings_screening_valid_days",
            "Screening valid for days",
            "How long an intake screening stays current.",
        )
        self.valid_days.setRange(1, 365)
        self.valid_days.setSuffix(" days")
        self.valid_days.setValue(settings.screening_valid_days)
        self.logo_preview = QLabel()
        self.logo_preview.setObjectName("logoPreview")
        self.logo_preview.setFixedSize(160, 60)
        self.logo_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.logo_preview.setStyleSheet("border: 1px dashed #aaa;")
        self.choose_logo = named(QPushButton("Choose logo…"), "chooseLogo", "Choose logo")
        self.remove_logo = named(QPushButton("Remove"), "removeLogo", "Remove logo")
        self.choose_logo.clicked.connect(self._choose_logo)
        self.remove_logo.clicked.connect(self._remove_logo)
        logo_row = QHBoxLayout()
        logo_row.addWidget(self.logo_preview)
        logo_row.addWidget(self.choose_logo)
        logo_row.addWidget(self.remove_logo)
        logo_row.addStretch(1)
        self._show_logo()

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
            )
        }
        form = QFormLayout()
        rows = (
            ("Clinic &name", self.name, "name"),
            ("&Address", self.address, "address"),
            ("&Phone", self.phone, "phone"),
            ("&Out-of-hours number", self.out_of_hours, "out_of_hours"),
            ("&Country", self.country, "country"),
            ("Paper si&ze", self.paper, "paper_size"),
            ("Screening &valid for", self.valid_days, "screening_valid_days"),
        )
        for text, widget, key in rows:
            form.addRow(self._labelled(text, widget), self._with_error(widget, key))
        form.addRow(QLabel("Logo"), self._with_error(logo_row, "logo"))

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        named(buttons.button(QDialogButtonBox.StandardButton.Save), "settingsSave", "Save settings")
        named(buttons.button(QDialogButtonBox.StandardButton.Cancel), "settingsCancel", "Cancel")
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(520, self.sizeHint().height())

    @staticmethod
    def _labelled(text: str, widget: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(widget)
        return label

    def _with_error(self, field: QWidget | QHBoxLayout, key: str) -> QVBoxLayout:
        box = QVBoxLayout()
        box.setSpacing(2)
        if isinstance(field, QWidget):
            box.addWidget(field)
        else:
            box.addLayout(field)
        box.addWidget(self.errors[key])
        return box

    def _show_logo(self) -> None:
        if self._logo:
            pixmap = QPixmap()
            pixmap.loadFromData(self._logo)
            self.logo_preview.setPixmap(
                pixmap.scaled(
                    self.logo_preview.size(),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
        else:
            self.logo_preview.setPixmap(QPixmap())
            self.logo_preview.setText("No logo")
        self.remove_logo.setEnabled(bool(self._logo))

    def _choose_logo(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose the clinic logo", "", "Images (*.png *.jpg *.jpeg *.bmp *.gif)"
        )
        if path:
            self.set_logo_file(path)

    def set_logo_file(self, path: str) -> None:
        """Load a logo image from disk; an unreadable file is said beside the logo."""
        image = QImage(path)
        if image.isNull():
            show_problems(self.errors, [])
            self.errors["logo"].setText("That file is not an image ExoDesk can read.")
            self.errors["logo"].show()
            return
        self._logo = image_to_png(image)
        self._show_logo()

    def _remove_logo(self) -> None:
        self._logo = None
        self._show_logo()

    def settings(self) -> ClinicSettings:
        return replace(
            self._settings,
            name=self.name.text(),
            address=self.address.toPlainText(),
            phone=self.phone.text(),
            out_of_hours=self.out_of_hours.text(),
            country=self.country.currentData(),
            paper_size=self.paper.currentData(),
            logo_png=self._logo,
            screening_valid_days=self.valid_days.value(),
        )

    def _save(self) -> None:
        try:
            result = self._clinic.save_settings(self.settings())
        except UserError as exc:
            show_user_error(self, exc)
            return
        show_problems(self.errors, result.problems)
        if result.ok:
            self.changes = result.changes
            self.accept()
