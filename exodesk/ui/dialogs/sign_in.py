"""Signing in: pick yourself, type your password; a temporary or first password is replaced."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.staff import StaffMember
from exodesk.errors import UserError
from exodesk.services.accounts import AccountService, PasswordChangeRequired
from exodesk.services.workspace import DataFileDamaged
from exodesk.ui.common import error_style, grow_to_fit, named
from exodesk.ui.widgets import NoWheelComboBox


def _say(label: QLabel, text: str) -> None:
    """Show ``text``; an empty label takes no room."""
    label.setText(text)
    label.setVisible(bool(text))


def _password_box(name: str, accessible: str) -> QLineEdit:
    box = named(QLineEdit(), name, accessible)
    box.setEchoMode(QLineEdit.EchoMode.Password)
    return box


class SignInDialog(QDialog):
    """Sign in as one of the clinic's active staff. ``member`` holds who signed in on accept.

    The password box is all most people see. Two more boxes appear when a password must be
    chosen: the first sign-in of a new or upgraded clinic's admin, or after an admin set a
    temporary password. Wrong passwords count towards the five-minute wait (the service
    decides and audits; this dialog only shows what it says).

    Args:
        parent: The window it belongs to (None at start-up).
        accounts: The accounts service of the open data file.
        people: Who may sign in (the active staff list).
        clinic_name: For the heading.
        preselect: The staff id to choose first (the last person, or the person locked out).
    """

    def __init__(
        self,
        parent: QWidget | None,
        accounts: AccountService,
        people: list[StaffMember],
        *,
        clinic_name: str = "",
        preselect: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign in")
        self.setObjectName("signInDialog")
        self._accounts = accounts
        self.member: StaffMember | None = None
        self._must_choose = False
        self._first = False
        heading = QLabel(f"<b>{escape(clinic_name) or 'ExoDesk'}</b><br>Sign in to continue.")
        heading.setObjectName("signInHeading")
        self.person = named(NoWheelComboBox(), "signInPerson", "Who are you")
        for member in people:
            self.person.addItem(member.label, member.id)
        if preselect is not None and (index := self.person.findData(preselect)) >= 0:
            self.person.setCurrentIndex(index)
        self.password = _password_box("signInPassword", "Password")
        self.new_password = _password_box("signInNewPassword", "New password")
        self.confirm = _password_box("signInConfirm", "New password again")
        self.new_label = QLabel("New password:")
        self.confirm_label = QLabel("Again:")
        self.new_label.setBuddy(self.new_password)
        self.confirm_label.setBuddy(self.confirm)
        self.hint = QLabel("")
        self.hint.setObjectName("signInHint")
        self.hint.setWordWrap(True)
        self.error = QLabel("")
        self.error.setObjectName("signInError")
        self.error.setTextFormat(Qt.TextFormat.PlainText)  # the service's words, as written
        self.error.setStyleSheet(error_style())
        self.error.setWordWrap(True)
        form = QFormLayout()
        name_label = QLabel("&Name:")
        name_label.setBuddy(self.person)
        password_label = QLabel("&Password:")
        password_label.setBuddy(self.password)
        form.addRow(name_label, self.person)
        form.addRow(password_label, self.password)
        form.addRow(self.new_label, self.new_password)
        form.addRow(self.confirm_label, self.confirm)
        self._form = form
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = named(
            buttons.button(QDialogButtonBox.StandardButton.Ok), "signInOk", "Sign in"
        )
        self.ok_button.setText("Sign in")
        named(buttons.button(QDialogButtonBox.StandardButton.Cancel), "signInCancel", "Cancel")
        buttons.accepted.connect(self.sign_in)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addWidget(self.error)
        layout.addWidget(QLabel("Every change you make is recorded under your name."))
        layout.addWidget(buttons)
        self.ok_button.setDefault(True)  # now that it is in the dialog: Enter signs in
        self.person.currentIndexChanged.connect(self._person_changed)
        self._person_changed()
        self.setMinimumWidth(420)
        self.password.setFocus()

    # ---- what is asked -------------------------------------------------------------------
    def _staff_id(self) -> int | None:
        value = self.person.currentData()
        return int(value) if value is not None else None

    def _person_changed(self) -> None:
        _say(self.error, "")
        self.password.clear()
        staff_id = self._staff_id()
        first = False
        if staff_id is not None:
            first = self._accounts.may_set_first_password(staff_id)
        self._show_new_password(False)
        self._must_choose = False
        if first:
            _say(
                self.hint,
                "Nobody in this clinic has a password yet. Choose yours now (at least 10 "
                "characters) and type it twice; you will use it every time you sign in.",
            )
            self._show_new_password(True, confirm=False)
            self.new_label.setText("Again:")
            self.new_password.setAccessibleName("Password again")
        else:
            _say(self.hint, "")
            self.new_password.setAccessibleName("New password")
        self._first = first

    def _show_new_password(self, shown: bool, *, confirm: bool | None = None) -> None:
        # Hide whole form rows, so hidden boxes leave no gap.
        self._form.setRowVisible(self.new_password, shown)
        self._form.setRowVisible(self.confirm, shown if confirm is None else confirm)
        self.new_label.setText("New password:")

    # ---- signing in ----------------------------------------------------------------------
    def sign_in(self) -> None:
        staff_id = self._staff_id()
        if staff_id is None:
            _say(self.error, "There is nobody on the staff list to sign in as.")
            return
        password = self.password.text()
        new_password: str | None = None
        if self._first and password != self.new_password.text():
            self._fail("The two passwords are not the same; type them again.", self.password)
            return
        if self._must_choose:
            new_password = self.new_password.text()
            if new_password != self.confirm.text():
                self._fail("The two new passwords are not the same.", self.new_password)
                return
        try:
            self.member = self._accounts.sign_in(staff_id, password, new_password=new_password)
        except PasswordChangeRequired as exc:
            self._must_choose = True
            self._show_new_password(True)
            _say(self.hint, str(exc))
            _say(self.error, "")
            self.new_password.setFocus()
            return
        except DataFileDamaged:
            # Signing in writes to the file, and the start-up check found it damaged: whoever
            # opened this dialog says so and offers the newest good backup.
            self.reject()
            return
        except UserError as exc:
            box = self.new_password if exc.field == "new_password" else None
            self._fail(str(exc), box)
            return
        self.accept()

    def _fail(self, message: str, focus: QLineEdit | None) -> None:
        _say(self.error, message)
        grow_to_fit(self)  # a long refusal wraps onto lines the dialog must make room for
        if focus is None or focus is self.password:
            self.password.clear()
            if self._first:
                self.new_password.clear()
            self.password.setFocus()
        else:
            focus.clear()
            self.confirm.clear()
            focus.setFocus()
