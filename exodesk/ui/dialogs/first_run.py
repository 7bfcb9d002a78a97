"""FirstRunDialog: the clinic's details and its first admin, collected on the very first start."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from exodesk import APP_NAME
from exodesk.domain.accounts import check_password
from exodesk.domain.clinic import COUNTRIES, ClinicSettings
from exodesk.domain.problems import Problem
from exodesk.domain.staff import StaffMember
from exodesk.ui.common import clear_when_edited, error_label, grow_to_fit, named, show_problems
from exodesk.ui.dialogs.clinic_details import ClinicDetailsForm
from exodesk.ui.look import NOTE, ink_style
from exodesk.ui.widgets import NoWheelComboBox

DEMO: Literal["demo"] = "demo"


@dataclass(frozen=True)
class FirstRunSetup:
    """What the first-run dialog collected; nothing is saved until the caller saves it."""

    settings: ClinicSettings
    member: StaffMember
    password: str = field(default="", repr=False)


def locale_country(locale: QLocale | None = None) -> str:
    """The COUNTRIES code for the PC's locale; "GB" when the locale's country is not listed."""
    # By ISO code, not by a table of QLocale.Country members: the first use of that enum
    # builds all of its ~260 members, 17 ms on every start when this module was imported.
    code = QLocale.territoryToCode((locale or QLocale()).territory())
    return code if code in COUNTRIES else "GB"


def _heading(title: str, text: str = "") -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 8)
    layout.setSpacing(4)
    head = QLabel(title)
    font = head.font()
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * 1.25)
    head.setFont(font)
    layout.addWidget(head)
    if text:
        layout.addWidget(QLabel(text))
    return box


def _unwrapped_errors(keys: tuple[str, ...], prefix: str) -> dict[str, QLabel]:
    """Error labels for ``keys``. Every label on the admin page breaks its lines by hand: a
    word-wrapped label makes Qt underestimate the dialog's height, and a problem appearing
    under a field then squeezes the fields together. (The clinic page's problems wrap, and
    the dialog grows to fit them: ``grow_to_fit``.)"""
    labels = {key: error_label(f"{prefix}{key}") for key in keys}
    for label in labels.values():
        label.setWordWrap(False)
    return labels


def _buddy(text: str, widget: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(widget)
    return label


def _with_error(field: QWidget | QHBoxLayout, error: QLabel) -> QVBoxLayout:
    box = QVBoxLayout()
    box.setSpacing(2)
    if isinstance(field, QWidget):
        box.addWidget(field)
    else:
        box.addLayout(field)
    box.addWidget(error)
    clear_when_edited(error, field)
    return box


class ClinicPage(QWidget):
    """Page 1: the clinic's name, contacts, country, paper size and logo."""

    def __init__(self, country: str, data_file: Path | None) -> None:
        super().__init__()
        self.setObjectName("firstRunClinicPage")
        # A new clinic has not chosen a paper size yet: the country sets it until someone does.
        self.details = ClinicDetailsForm(prefix="firstRun_", paper_follows_country=True)
        self.details.country.setCurrentIndex(max(0, self.details.country.findData(country)))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(
            _heading(
                "Your clinic",
                "These details go on every printed sheet. Only the name is needed now;\n"
                "change any of it later under File → Settings.",
            )
        )
        layout.addWidget(self.details)
        if data_file is not None:
            where = QLabel(f"{APP_NAME} will keep the clinic's records in\n{data_file}")
            where.setObjectName("firstRun_dataFile")
            where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            where.setStyleSheet(ink_style(NOTE))
            layout.addSpacing(6)
            layout.addWidget(where)
        layout.addStretch(1)
        self.setFocusProxy(self.details)

    def settings(self) -> ClinicSettings:
        """The settings as typed (trimmed, as the Settings page reads them too)."""
        return self.details.apply_to(ClinicSettings())


class AdminPage(QWidget):
    """Page 2: the first staff member, who becomes the clinic's admin, and their password."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("firstRunAdminPage")
        self.name = named(QLineEdit(), "firstRun_staff_name", "Your name")
        self.name.setPlaceholderText("first name and surname")
        self.role = named(NoWheelComboBox(), "firstRun_staff_role", "Your work at the clinic")
        self.role.addItem("Practitioner (treatments, sessions, sign-offs)", "practitioner")
        self.role.addItem("Reception (patients, screenings, handouts)", "reception")
        self.password = named(QLineEdit(), "firstRun_password", "Choose a password")
        self.confirm = named(QLineEdit(), "firstRun_password_again", "Password again")
        for box in (self.password, self.confirm):
            box.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("at least 10 characters; a few words are fine")
        self.errors = _unwrapped_errors(("name", "password", "confirm"), "firstRun_error_staff_")
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow(_buddy("&Your name", self.name), _with_error(self.name, self.errors["name"]))
        form.addRow(_buddy("You &work as", self.role), self.role)
        form.addRow(
            _buddy("Pa&ssword", self.password),
            _with_error(self.password, self.errors["password"]),
        )
        form.addRow(
            _buddy("Password a&gain", self.confirm),
            _with_error(self.confirm, self.errors["confirm"]),
        )
        note = QLabel(
            "You become the clinic's first admin: you add reception and practitioners\n"
            "afterwards under File → Staff, each with a password of their own. Every\n"
            "change in ExoDesk is recorded under the name of whoever signed in."
        )
        note.setStyleSheet(ink_style(NOTE))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.summary = QLabel()
        self.summary.setObjectName("firstRun_summary")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setStyleSheet(ink_style(NOTE))
        layout.addWidget(_heading("Who is setting up ExoDesk?"))
        layout.addWidget(self.summary)
        layout.addSpacing(6)
        layout.addLayout(form)
        layout.addSpacing(8)
        layout.addWidget(note)
        layout.addStretch(1)
        self.setFocusProxy(self.name)

    def show_clinic(self, settings: ClinicSettings) -> None:
        """Recap page 1, so a typo in the clinic's name is caught before Start."""
        self.summary.setText(
            f"Clinic: {settings.name} · {settings.country_name} · {settings.paper_size} paper"
        )

    def member(self) -> StaffMember:
        # Admin is a flag that sits on either role; the clinic's owner says which they do.
        return StaffMember(
            name=self.name.text().strip(), role=str(self.role.currentData()), is_admin=True
        )

    def problems(self) -> list[Problem]:
        member = self.member()
        problems = member.validate()
        problems += check_password(self.password.text(), name=member.name)
        if not problems and self.password.text() != self.confirm.text():
            problems.append(Problem("confirm", "The two passwords are not the same."))
        # Broken by hand (see _unwrapped_errors): the password rules take two lines.
        return [Problem(p.field, textwrap.fill(p.message, 64)) for p in problems]

    def focus_field(self, key: str) -> None:
        box = {"password": self.password, "confirm": self.confirm}.get(key, self.name)
        if box is not self.name:
            box.clear()
            if key == "password":
                self.confirm.clear()
        box.setFocus()


class FirstRunDialog(QDialog):
    """Two pages: the clinic, then its first admin; or "Open the demo clinic instead".

    Keyboard only: Tab between fields, Enter goes on (Next, then Start), Esc cancels. The
    dialog saves nothing; read ``outcome()`` after ``exec()`` returns Accepted.
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        country: str | None = None,
        data_file: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunDialog")
        self.setWindowTitle(f"Set up {APP_NAME}")
        self._outcome: FirstRunSetup | Literal["demo"] | None = None
        self._page = 0
        self.clinic_page = ClinicPage(country or locale_country(), data_file)
        self.admin_page = AdminPage()
        # Both pages sit in the dialog's layout, one shown at a time: the dialog's size then
        # follows the page shown (a QStackedWidget sizes every page like the largest).
        self.pages = (self.clinic_page, self.admin_page)
        self.step = QLabel()
        self.step.setObjectName("firstRun_step")
        self.step.setStyleSheet(ink_style(NOTE))

        self.demo_button = named(
            QPushButton("Open the &demo clinic instead"),
            "firstRun_demo",
            "Open the demo clinic instead",
            "Look around a made-up clinic first; nothing is kept when you close it.",
        )
        self.back_button = named(QPushButton("< &Back"), "firstRun_back", "Back")
        self.cancel_button = named(QPushButton("Cancel"), "firstRun_cancel", "Cancel")
        self.next_button = named(QPushButton("Next >"), "firstRun_next", "Next")
        self.demo_button.clicked.connect(self._demo)
        self.back_button.clicked.connect(self._back)
        self.cancel_button.clicked.connect(self.reject)
        self.next_button.clicked.connect(self._next)
        buttons = QHBoxLayout()
        buttons.addWidget(self.demo_button)
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.step)
        buttons.addSpacing(12)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.next_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        for page in self.pages:
            layout.addWidget(page, 1)
        layout.addSpacing(6)
        layout.addLayout(buttons)
        self.setMinimumWidth(600)
        self._show_page(0)

    # ---- navigation ----------------------------------------------------------------------
    def _show_page(self, index: int) -> None:
        self._page = index
        for number, page in enumerate(self.pages):
            page.setVisible(number == index)
        first = index == 0
        self.demo_button.setVisible(first)
        self.back_button.setVisible(not first)
        # No mnemonic: Enter is the key for going on, and Alt+N is the name field's.
        self.next_button.setText("Next >" if first else "Start using ExoDesk")
        self.next_button.setAccessibleName("Next" if first else "Start using ExoDesk")
        self.step.setText(f"Step {index + 1} of 2")
        self.next_button.setDefault(True)  # Enter in a field goes on
        self.pages[index].setFocus()

    def _next(self) -> None:
        if self._page == 0:
            settings = self.clinic_page.settings()
            problems = settings.validate()
            self.clinic_page.details.show_problems(problems)
            grow_to_fit(self)
            if problems:
                self.clinic_page.details.focus_field(problems[0].field)
                return
            self.admin_page.show_clinic(settings)
            self._show_page(1)
            return
        problems = self.admin_page.problems()
        if problems:
            # The password boxes are emptied first, so the problem stays until retyped.
            self.admin_page.focus_field(problems[0].field)
        show_problems(self.admin_page.errors, problems)
        if problems:
            return
        self._outcome = FirstRunSetup(
            settings=self.clinic_page.settings(),
            member=self.admin_page.member(),
            password=self.admin_page.password.text(),
        )
        self.accept()

    def _back(self) -> None:
        self._show_page(0)

    def _demo(self) -> None:
        self._outcome = DEMO
        self.accept()

    # ---- result --------------------------------------------------------------------------
    def outcome(self) -> FirstRunSetup | Literal["demo"] | None:
        """FirstRunSetup when completed, DEMO for the demo clinic, None when cancelled."""
        return self._outcome if self.result() == QDialog.DialogCode.Accepted else None
