"""The staff accounts dialog: add a person with a temporary password, make someone an admin,
reset a forgotten password."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog, QDialogButtonBox

from exodesk.errors import UserError
from exodesk.services.accounts import PasswordChangeRequired
from exodesk.services.workspace import Services
from exodesk.ui.dialogs.staff import ResetPasswordDialog, StaffListDialog, StaffMemberDialog
from tests.ui.dialogs import when_dialog_opens
from tests.ui.test_patients_tab import unnamed_widgets


@pytest.fixture
def dialog(qtbot, services: Services) -> StaffListDialog:
    dialog = StaffListDialog(None, services.clinic, services.accounts)
    qtbot.addWidget(dialog)
    return dialog


def save(dialog: QDialog) -> None:
    box = dialog.findChild(QDialogButtonBox)
    box.accepted.emit()


def add_rita(dialog: StaffListDialog, password: str = "first day 2026") -> list[QDialog]:
    def fill(member: StaffMemberDialog) -> None:
        member.name.setText("Rita Reception")
        member.role.setCurrentIndex(member.role.findData("reception"))
        member.password.setText(password)
        member.password_again.setText(password)
        save(member)

    seen = when_dialog_opens(StaffMemberDialog, fill)
    dialog._add()
    return seen


def test_add_a_person_who_then_chooses_their_own_password(
    qtbot, dialog: StaffListDialog, services: Services
) -> None:
    assert add_rita(dialog)
    texts = [dialog.list.item(i).text() for i in range(dialog.list.count())]
    assert "Rita Reception (Reception) — temporary password" in texts
    rita = next(m for m in services.clinic.staff() if m.name == "Rita Reception")
    services.desk.user = None
    with pytest.raises(PasswordChangeRequired):
        services.accounts.sign_in(int(rita.id), "first day 2026")
    assert services.accounts.sign_in(
        int(rita.id), "first day 2026", new_password="Rita's own words"
    ).name == ("Rita Reception")


def test_a_short_temporary_password_is_refused_inline(
    qtbot, dialog: StaffListDialog, services: Services
) -> None:
    def fill(member: StaffMemberDialog) -> None:
        member.name.setText("Rita Reception")
        member.password.setText("short")
        member.password_again.setText("short")
        save(member)
        assert member.isVisible() and member.errors["password"].text()
        assert not unnamed_widgets(member)
        member.reject()

    when_dialog_opens(StaffMemberDialog, fill)
    dialog._add()
    assert [m.name for m in services.clinic.staff()] == ["Ada Admin"]


def test_make_someone_an_admin(qtbot, dialog: StaffListDialog, services: Services) -> None:
    add_rita(dialog)
    dialog.list.setCurrentRow(
        next(i for i in range(dialog.list.count()) if "Rita" in dialog.list.item(i).text())
    )

    def promote(member: StaffMemberDialog) -> None:
        member.admin.setChecked(True)
        save(member)

    when_dialog_opens(StaffMemberDialog, promote)
    dialog._edit()
    rita = next(m for m in services.clinic.staff() if m.name == "Rita Reception")
    assert rita.is_admin and rita.role == "reception"


def test_reset_a_forgotten_password(qtbot, dialog: StaffListDialog, services: Services) -> None:
    add_rita(dialog)
    rita = next(m for m in services.clinic.staff() if m.name == "Rita Reception")
    services.desk.user, ada = None, services.desk.user
    services.accounts.sign_in(int(rita.id), "first day 2026", new_password="Rita's own words")
    services.desk.user = ada
    dialog._fill()
    dialog.list.setCurrentRow(
        next(i for i in range(dialog.list.count()) if "Rita" in dialog.list.item(i).text())
    )

    def reset(reset_dialog: ResetPasswordDialog) -> None:
        reset_dialog.password.setText("new start 2026")
        reset_dialog.password_again.setText("new start 2026")
        save(reset_dialog)

    when_dialog_opens(ResetPasswordDialog, reset)
    dialog._reset()
    services.desk.user = None
    with pytest.raises(UserError):
        services.accounts.sign_in(int(rita.id), "Rita's own words")
    with pytest.raises(PasswordChangeRequired):
        services.accounts.sign_in(int(rita.id), "new start 2026")


def test_change_my_own_password(qtbot, services: Services) -> None:
    from exodesk.ui.dialogs.staff import ChangePasswordDialog
    from tests.conftest import ADMIN_PASSWORD

    dialog = ChangePasswordDialog(None, services.accounts, "Ada Admin")
    qtbot.addWidget(dialog)
    dialog.old.setText("not my password")
    dialog.new.setText("a brand new phrase")
    dialog.again.setText("a brand new phrase")
    save(dialog)
    assert dialog.errors["old_password"].text() and dialog.result() != QDialog.DialogCode.Accepted
    dialog.old.setText(ADMIN_PASSWORD)
    save(dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted
    ada = services.desk.user
    services.desk.user = None
    assert services.accounts.sign_in(int(ada.id), "a brand new phrase").name == "Ada Admin"
