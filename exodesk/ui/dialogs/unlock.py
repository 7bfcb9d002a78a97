"""Opening an encrypted clinic: your password (or the recovery key) unlocks the data file.

The data file cannot be read before this, so wrong passwords are counted in the password file
beside it (``encryption.unlock``), with the same rule as signing in (five in a row: wait five
minutes), and the wait survives a restart; the launcher writes them into
the audit trail as soon as the file is open.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from exodesk.errors import UserError
from exodesk.paths import DataPaths
from exodesk.services import encryption
from exodesk.ui.common import error_style, named
from exodesk.ui.widgets import NoWheelComboBox


class UnlockDialog(QDialog):
    """Choose yourself, type your password; or use the recovery key from the clinic's safe.

    After ``exec()`` returns Accepted: ``key`` opens the file; ``staff_id`` and ``password``
    say who unlocked it (None after the recovery key), for signing in straight away.
    ``failures`` lists (staff id, when) of every wrong password, to be audited once open.
    """

    def __init__(
        self,
        parent: QWidget | None,
        paths: DataPaths,
        *,
        clock: Callable[[], datetime],
        ask_recovery_key: Callable[[QWidget], str | None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("unlockDialog")
        self.setWindowTitle("Sign in")
        self._paths = paths
        self._clock = clock
        self._ask_recovery_key = ask_recovery_key or _ask_recovery_key
        self.key: bytes | None = None
        self.staff_id: int | None = None
        self.password: str | None = None
        self.recovery_key: str | None = None
        """The recovery key as typed, when it was used (to let an admin set a new password)."""
        self.failures: list[tuple[int, datetime]] = []
        heading = QLabel(
            "<b>ExoDesk</b><br>The clinic's records are encrypted: your password opens them."
        )
        self.person = named(NoWheelComboBox(), "unlockPerson", "Who are you")
        for staff_id, name in encryption.sign_in_choices(paths):
            self.person.addItem(name, staff_id)
        self.password_box = named(QLineEdit(), "unlockPassword", "Password")
        self.password_box.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel("")
        self.error.setObjectName("unlockError")
        self.error.setStyleSheet(error_style())
        self.error.setTextFormat(Qt.TextFormat.PlainText)  # a message is words, never markup
        self.error.setWordWrap(True)
        self.error.hide()
        form = QFormLayout()
        name_label = QLabel("&Name:")
        name_label.setBuddy(self.person)
        password_label = QLabel("&Password:")
        password_label.setBuddy(self.password_box)
        form.addRow(name_label, self.person)
        form.addRow(password_label, self.password_box)
        self.recovery_button = named(
            QPushButton("Use the &recovery key…"),
            "unlockRecovery",
            "Use the recovery key",
            "The key printed when the clinic was set up, kept in the safe: for when every "
            "admin's password is lost.",
        )
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = named(
            buttons.button(QDialogButtonBox.StandardButton.Ok), "unlockOk", "Sign in"
        )
        self.ok_button.setText("Sign in")
        named(buttons.button(QDialogButtonBox.StandardButton.Cancel), "unlockCancel", "Cancel")
        buttons.accepted.connect(self.unlock)
        buttons.rejected.connect(self.reject)
        self.recovery_button.clicked.connect(self.use_recovery_key)
        row = QHBoxLayout()
        row.addWidget(self.recovery_button)
        row.addStretch(1)
        row.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(self.error)
        if not self.person.count() and encryption.keyring_damaged(paths):
            self._say(
                f"The password file ({paths.keyring.name}) is damaged, so passwords cannot "
                "open the records. Use the recovery key from the clinic's safe: it opens them "
                "on its own, and each person's password works again once they sign in."
            )
        elif not self.person.count():
            self._say(
                "Nobody has a password that opens this file on this PC. Use the recovery key "
                "from the clinic's safe."
            )
        layout.addLayout(row)
        # Enter signs in. Made default once it is in the dialog (before, Qt made the first
        # auto-default button the default: Enter opened the recovery-key prompt, issue #18).
        self.recovery_button.setAutoDefault(False)
        self.ok_button.setDefault(True)
        self.setMinimumWidth(460)
        self.password_box.setFocus()

    def _say(self, text: str) -> None:
        self.error.setText(text)  # plain text: escaping showed "clinic&#x27;s records"
        self.error.setVisible(bool(text))

    def unlock(self) -> None:
        staff_id = self.person.currentData()
        if staff_id is None:
            return
        staff_id = int(staff_id)
        now = self._clock()
        password = self.password_box.text()
        try:
            key = encryption.unlock(self._paths, staff_id, password, now=now)
        except encryption.WrongPassword:
            self.failures.append((staff_id, now))
            self.password_box.clear()
            self.password_box.setFocus()
            self._say("That password does not open the clinic's records. Try again.")
            return
        except UserError as exc:
            self._say(str(exc))
            return
        self.key, self.staff_id, self.password = key, staff_id, password
        self.accept()

    def use_recovery_key(self) -> None:
        text = self._ask_recovery_key(self)
        if not text:
            return
        try:
            self.key = encryption.unlock_with_recovery_key(self._paths, text)
        except UserError as exc:
            self._say(str(exc))
            return
        self.staff_id = self.password = None
        self.recovery_key = text
        self.accept()


def _ask_recovery_key(parent: QWidget) -> str | None:
    from PySide6.QtWidgets import QInputDialog

    text, ok = QInputDialog.getText(
        parent,
        "Recovery key",
        "Type the recovery key from the sheet in the clinic's safe\n"
        "(dashes and spaces do not matter):",
    )
    return text if ok else None
