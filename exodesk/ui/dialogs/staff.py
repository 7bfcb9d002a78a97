"""Staff accounts (admins only): add people with a temporary password, change a role or the
admin flag, mark someone as left, and reset a forgotten password. Nobody can read a password."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from exodesk.domain.accounts import check_password
from exodesk.domain.problems import Problem
from exodesk.domain.staff import ROLES, StaffMember
from exodesk.errors import UserError
from exodesk.services.accounts import Account, AccountService
from exodesk.services.clinic import ClinicService
from exodesk.services.context import Changes
from exodesk.ui.common import clear_when_edited, error_label, named, show_problems
from exodesk.ui.errors import show_user_error
from exodesk.ui.widgets import NoWheelComboBox


def _password_pair(prefix: str) -> tuple[QLineEdit, QLineEdit]:
    boxes = (
        named(QLineEdit(), f"{prefix}_password", "Temporary password"),
        named(QLineEdit(), f"{prefix}_password_again", "Temporary password again"),
    )
    for box in boxes:
        box.setEchoMode(QLineEdit.EchoMode.Password)
    return boxes


def _add_row(form: QFormLayout, text: str, field: QWidget, error: QLabel) -> None:
    """A row whose label's Alt letter goes to ``field`` (a label beside a layout has no
    buddy, and then Qt shows its '&' as it is)."""
    label = QLabel(text)
    label.setBuddy(field)
    form.addRow(label, _with_error(field, error))


def _with_error(widget: QWidget, error: QLabel) -> QVBoxLayout:
    box = QVBoxLayout()
    box.addWidget(widget)
    box.addWidget(error)
    clear_when_edited(error, widget)
    return box


def _temporary_problems(password: str, again: str, name: str) -> list[Problem]:
    problems = check_password(password, name=name)
    if not problems and password != again:
        problems.append(Problem("password_again", "The two passwords are not the same."))
    return problems


class StaffMemberDialog(QDialog):
    """Add a person (with a temporary password they replace at first sign-in) or edit one."""

    def __init__(
        self,
        parent: QWidget | None,
        accounts: AccountService,
        clinic: ClinicService,
        member: StaffMember | None = None,
    ) -> None:
        super().__init__(parent)
        self._accounts = accounts
        self._clinic = clinic
        self._member = member
        self.saved: StaffMember | None = None
        self.changes = Changes()
        self.setObjectName("staffMemberDialog")
        self.setWindowTitle("Edit staff member" if member else "Add staff member")
        self.name = named(QLineEdit(member.name if member else ""), "staff_name", "Name")
        self.role = named(NoWheelComboBox(), "staff_role", "Role")
        for key, label in ROLES.items():
            self.role.addItem(label, key)
        self.role.setCurrentIndex(max(0, self.role.findData(member.role if member else "")))
        self.admin = named(
            QCheckBox("Admin: settings, staff accounts, backups and the audit log"),
            "staff_admin",
            "Admin",
            "Admin sits on either role; it adds running the clinic, not clinical work.",
        )
        self.admin.setChecked(bool(member and member.is_admin))
        self.active = named(QCheckBox("Works here now"), "staff_active", "Active")
        self.active.setChecked(member.active if member else True)
        self.active.setVisible(member is not None)
        self.errors = {
            key: error_label(f"staff_error_{key}")
            for key in ("name", "role", "is_admin", "password", "password_again")
        }
        form = QFormLayout()
        _add_row(form, "&Name", self.name, self.errors["name"])
        _add_row(form, "&Role", self.role, self.errors["role"])
        form.addRow("", _with_error(self.admin, self.errors["is_admin"]))
        form.addRow("", self.active)
        self.password: QLineEdit | None = None
        self.password_again: QLineEdit | None = None
        if member is None:
            self.password, self.password_again = _password_pair("staff")
            _add_row(form, "&Temporary password", self.password, self.errors["password"])
            _add_row(form, "A&gain", self.password_again, self.errors["password_again"])
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        named(
            buttons.button(QDialogButtonBox.StandardButton.Save), "staffSave", "Save staff member"
        )
        named(buttons.button(QDialogButtonBox.StandardButton.Cancel), "staffCancel", "Cancel")
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        if member is None:
            note = QLabel(
                "Tell them the temporary password in person; ExoDesk asks them to choose "
                "their own the first time they sign in."
            )
            note.setWordWrap(True)
            layout.addWidget(note)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)

    def _save(self) -> None:
        member = StaffMember(
            name=self.name.text(),
            role=str(self.role.currentData()),
            active=self.active.isChecked(),
            id=self._member.id if self._member else None,
            is_admin=self.admin.isChecked(),
        )
        try:
            if self._member is None:
                assert self.password is not None and self.password_again is not None
                problems = member.validate() + _temporary_problems(
                    self.password.text(), self.password_again.text(), member.name.strip()
                )
                if problems:
                    show_problems(self.errors, problems)
                    return
                result = self._accounts.create_account(member, self.password.text())
            else:
                result = self._clinic.save_staff(member)
        except UserError as exc:
            show_user_error(self, exc)
            return
        show_problems(self.errors, result.problems)
        if result.ok:
            self.saved = result.record
            self.changes = result.changes
            self.accept()


class ResetPasswordDialog(QDialog):
    """An admin gives someone a temporary password (they choose their own at sign-in)."""

    def __init__(self, parent: QWidget | None, accounts: AccountService, account: Account) -> None:
        super().__init__(parent)
        self._accounts = accounts
        self._member = account.member
        self.changes = Changes()
        self.setObjectName("resetPasswordDialog")
        self.setWindowTitle("Reset password")
        self.password, self.password_again = _password_pair("reset")
        self.errors = {
            "password": error_label("reset_error_password"),
            "password_again": error_label("reset_error_password_again"),
        }
        text = QLabel(
            f"Give <b>{escape(account.member.name)}</b> a temporary password. Nobody can read "
            "the old one; this replaces it, ends any wait after wrong passwords, and they "
            "choose their own the next time they sign in."
        )
        text.setWordWrap(True)
        form = QFormLayout()
        _add_row(form, "&Temporary password", self.password, self.errors["password"])
        _add_row(form, "A&gain", self.password_again, self.errors["password_again"])
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = named(buttons.button(QDialogButtonBox.StandardButton.Ok), "resetOk", "Reset")
        ok.setText("Reset password")
        named(buttons.button(QDialogButtonBox.StandardButton.Cancel), "resetCancel", "Cancel")
        buttons.accepted.connect(self._reset)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.setMinimumWidth(440)

    def _reset(self) -> None:
        problems = _temporary_problems(
            self.password.text(), self.password_again.text(), self._member.name
        )
        if problems:
            show_problems(self.errors, problems)
            return
        try:
            result = self._accounts.reset_password(int(self._member.id or 0), self.password.text())
        except UserError as exc:
            show_user_error(self, exc)
            return
        show_problems(self.errors, result.problems)
        if result.ok:
            self.changes = result.changes
            self.accept()


def _account_text(account: Account) -> str:
    member = account.member
    notes = []
    if not member.active:
        notes.append("left")
    elif account.locked_until is not None:
        notes.append("waiting after wrong passwords")
    elif not account.has_password:
        notes.append("no password yet")
    elif account.must_change_password:
        notes.append("temporary password")
    return member.label + (f" — {', '.join(notes)}" if notes else "")


class StaffListDialog(QDialog):
    """The staff accounts: add people, change a role or admin flag, reset a password."""

    def __init__(
        self, parent: QWidget | None, clinic: ClinicService, accounts: AccountService
    ) -> None:
        super().__init__(parent)
        self._clinic = clinic
        self._accounts = accounts
        self.changes = Changes()
        self.setWindowTitle("Staff accounts")
        self.setObjectName("staffListDialog")
        self.resize(520, 380)
        self.list = named(QListWidget(), "staffList", "Staff members")
        self.list.itemActivated.connect(lambda _i: self._edit())
        add = named(QPushButton("&Add…"), "staffAdd", "Add staff member")
        edit = named(QPushButton("&Edit…"), "staffEdit", "Edit staff member")
        reset = named(
            QPushButton("&Reset password…"),
            "staffResetPassword",
            "Reset password",
            "Give someone a temporary password; they choose their own at sign-in.",
        )
        close = named(QPushButton("Close"), "staffClose", "Close")
        add.clicked.connect(self._add)
        edit.clicked.connect(self._edit)
        reset.clicked.connect(self._reset)
        close.clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(edit)
        row.addWidget(reset)
        row.addStretch(1)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addLayout(row)
        self._fill()

    def _fill(self) -> None:
        self.list.clear()
        try:
            accounts = self._accounts.accounts()
        except UserError as exc:
            show_user_error(self, exc)
            return
        for account in accounts:
            item = QListWidgetItem(_account_text(account))
            item.setData(Qt.ItemDataRole.UserRole, account)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)

    def _chosen(self) -> Account | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _add(self) -> None:
        self._run(StaffMemberDialog(self, self._accounts, self._clinic))

    def _edit(self) -> None:
        account = self._chosen()
        if account is not None:
            self._run(StaffMemberDialog(self, self._accounts, self._clinic, account.member))

    def _reset(self) -> None:
        account = self._chosen()
        if account is not None:
            self._run(ResetPasswordDialog(self, self._accounts, account))

    def _run(self, dialog: StaffMemberDialog | ResetPasswordDialog) -> None:
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.changes = dialog.changes
            self._fill()


class ChangePasswordDialog(QDialog):
    """The person at the desk changes their own password (the old one is asked first)."""

    def __init__(self, parent: QWidget | None, accounts: AccountService, name: str) -> None:
        super().__init__(parent)
        self._accounts = accounts
        self._name = name
        self.setObjectName("changePasswordDialog")
        self.setWindowTitle("Change my password")
        self.old = named(QLineEdit(), "change_old_password", "Current password")
        self.new = named(QLineEdit(), "change_new_password", "New password")
        self.again = named(QLineEdit(), "change_new_password_again", "New password again")
        for box in (self.old, self.new, self.again):
            box.setEchoMode(QLineEdit.EchoMode.Password)
        self.errors = {
            key: error_label(f"change_error_{key}")
            for key in ("old_password", "new_password", "again")
        }
        form = QFormLayout()
        _add_row(form, "&Current password", self.old, self.errors["old_password"])
        _add_row(form, "&New password", self.new, self.errors["new_password"])
        _add_row(form, "A&gain", self.again, self.errors["again"])
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        named(buttons.button(QDialogButtonBox.StandardButton.Save), "changeSave", "Save password")
        named(buttons.button(QDialogButtonBox.StandardButton.Cancel), "changeCancel", "Cancel")
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Signed in as {name}. At least 10 characters; a few words do."))
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.setMinimumWidth(440)

    def _save(self) -> None:
        if self.new.text() != self.again.text():
            self.again.clear()  # emptied first, so the problem stays until it is retyped
            show_problems(
                self.errors, [Problem("again", "The two new passwords are not the same.")]
            )
            self.again.setFocus()
            return
        try:
            result = self._accounts.change_password(self.old.text(), self.new.text())
        except UserError as exc:
            # A wrong current password counts towards the wait, like a wrong sign-in.
            self.old.clear()
            show_problems(self.errors, [Problem(exc.field or "old_password", str(exc))])
            self.old.setFocus()
            return
        show_problems(self.errors, result.problems)
        if result.ok:
            self.accept()
