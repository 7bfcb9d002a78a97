"""Staff dialogs: who is at the desk, the first staff member, and the staff list."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
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

from exodesk.domain.staff import ROLES, StaffMember
from exodesk.errors import UserError
from exodesk.services.clinic import ClinicService
from exodesk.services.context import Changes
from exodesk.ui.common import error_label, named, show_problems
from exodesk.ui.errors import show_user_error


class DeskDialog(QDialog):
    """ "Who is at the desk?": pick yourself from the staff list; Enter confirms."""

    def __init__(self, parent: QWidget | None, clinic: ClinicService, clinic_name: str) -> None:
        super().__init__(parent)
        self.setWindowTitle("Who is at the desk?")
        self.setObjectName("deskDialog")
        self._clinic = clinic
        self.chosen: StaffMember | None = None
        heading = QLabel(f"<b>{_escape(clinic_name) or 'ExoDesk'}</b><br>Who is at the desk?")
        self.list = named(QListWidget(), "deskStaffList", "Staff members")
        for member in clinic.staff():
            item = QListWidgetItem(member.label)
            item.setData(Qt.ItemDataRole.UserRole, member.id)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        self.list.itemActivated.connect(lambda _item: self._accept())
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        named(buttons.button(QDialogButtonBox.StandardButton.Ok), "deskOk", "Start")
        named(buttons.button(QDialogButtonBox.StandardButton.Cancel), "deskCancel", "Cancel")
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Start")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.list)
        layout.addWidget(QLabel("Every change you make is recorded under your name."))
        layout.addWidget(buttons)
        self.list.setFocus()

    def _accept(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        try:
            self.chosen = self._clinic.sign_in(int(item.data(Qt.ItemDataRole.UserRole)))
        except UserError as exc:
            show_user_error(self, exc)
            return
        self.accept()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class StaffMemberDialog(QDialog):
    """Add or edit one staff member (also the first staff member of a new clinic)."""

    def __init__(
        self,
        parent: QWidget | None,
        clinic: ClinicService,
        member: StaffMember | None = None,
        *,
        first: bool = False,
    ) -> None:
        super().__init__(parent)
        self._clinic = clinic
        self._member = member
        self._first = first
        self.saved: StaffMember | None = None
        self.changes = Changes()
        self.setObjectName("staffMemberDialog")
        self.setWindowTitle(
            "First staff member"
            if first
            else ("Edit staff member" if member else "Add staff member")
        )
        self.name = named(QLineEdit(member.name if member else ""), "staff_name", "Name")
        self.role = named(QComboBox(), "staff_role", "Role")
        for key, label in ROLES.items():
            self.role.addItem(label, key)
        self.role.setCurrentIndex(
            max(
                0,
                self.role.findData(member.role if member else ("admin" if first else "reception")),
            )
        )
        self.active = named(QCheckBox("Works here now"), "staff_active", "Active")
        self.active.setChecked(member.active if member else True)
        self.active.setVisible(not first)
        self.errors = {
            "name": error_label("staff_error_name"),
            "role": error_label("staff_error_role"),
        }
        form = QFormLayout()
        name_box = QVBoxLayout()
        name_box.addWidget(self.name)
        name_box.addWidget(self.errors["name"])
        form.addRow("&Name", name_box)
        role_box = QVBoxLayout()
        role_box.addWidget(self.role)
        role_box.addWidget(self.errors["role"])
        form.addRow("&Role", role_box)
        form.addRow("", self.active)
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
        if first:
            layout.addWidget(
                QLabel("Who is setting up ExoDesk? This person becomes the first admin.")
            )
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _save(self) -> None:
        member = StaffMember(
            name=self.name.text(),
            role=self.role.currentData(),
            active=self.active.isChecked(),
            id=self._member.id if self._member else None,
        )
        try:
            if self._first:
                result = self._clinic.add_first_staff(member)
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


class StaffListDialog(QDialog):
    """The staff list: add people, change a role, mark someone as no longer working here."""

    def __init__(self, parent: QWidget | None, clinic: ClinicService) -> None:
        super().__init__(parent)
        self._clinic = clinic
        self.changes = Changes()
        self.setWindowTitle("Staff")
        self.setObjectName("staffListDialog")
        self.resize(420, 360)
        self.list = named(QListWidget(), "staffList", "Staff members")
        self.list.itemActivated.connect(lambda _i: self._edit())
        add = named(QPushButton("&Add…"), "staffAdd", "Add staff member")
        edit = named(QPushButton("&Edit…"), "staffEdit", "Edit staff member")
        close = named(QPushButton("Close"), "staffClose", "Close")
        add.clicked.connect(self._add)
        edit.clicked.connect(self._edit)
        close.clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(edit)
        row.addStretch(1)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addLayout(row)
        self._fill()

    def _fill(self) -> None:
        self.list.clear()
        for member in self._clinic.staff(include_inactive=True):
            text = member.label + ("" if member.active else " — left")
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, member)
            self.list.addItem(item)

    def _add(self) -> None:
        self._run(StaffMemberDialog(self, self._clinic))

    def _edit(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self._run(StaffMemberDialog(self, self._clinic, item.data(Qt.ItemDataRole.UserRole)))

    def _run(self, dialog: StaffMemberDialog) -> None:
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.changes = dialog.changes
            self._fill()
