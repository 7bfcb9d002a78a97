"""Tools → Change the clinic's keys: when and why, what happens, and the admin's password."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from exodesk.errors import UserError
from exodesk.services.rekey import RekeyPlan
from exodesk.ui.common import error_label, grow_to_fit, named

WHEN = (
    "Change the keys when:<ul>"
    "<li>a recovery sheet was lost, or seen by someone who should not have it;</li>"
    "<li>a password was given away, or written down where others could read it;</li>"
    "<li>the records were first encrypted by an earlier ExoDesk, where any staff password "
    "can be used to work out the recovery key.</li></ul>"
)
FIRST_GENERATION = (
    "<b>This clinic's records were encrypted that way:</b> changing the keys ends it."
)


def what_happens(names: list[str]) -> str:
    """The steps, in plain words, naming who will need a temporary password."""
    if names:
        others = (
            f"Everyone else needs a temporary password from an admin before they can sign in "
            f"again (File → Staff): {', '.join(names)}. Their passwords cannot be carried "
            "over, because ExoDesk never knows them."
        )
    else:
        others = "Nobody else has a password to re-issue."
    return (
        "What happens:<ol>"
        "<li>You print or save the <b>new recovery sheet</b>; it replaces the one in the "
        "safe.</li>"
        "<li>ExoDesk closes, encrypts the records again with the new key and checks every "
        "record, then opens again (a minute or so).</li>"
        f"<li>Only your password and the new sheet open the records. {others}</li>"
        "<li>Backups made before today still open with the old sheet only: keep it with "
        "them, or destroy both.</li></ol>"
        "If anything goes wrong, nothing is changed and the old keys keep working."
    )


class RekeyDialog(QDialog):
    """Explains the re-key and takes the admin's password; ``plan`` is set on accept.

    Args:
        parent: The main window.
        prepare: Checks the password and makes the new keys (``prepare_rekey``); raises a
            ``UserError`` to say why not.
        names: Who will need a temporary password afterwards.
        first_generation: The clinic's recovery key is its data key (an earlier ExoDesk).
    """

    def __init__(
        self,
        parent: QWidget | None,
        prepare: Callable[[str], RekeyPlan],
        *,
        names: list[str],
        first_generation: bool,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("rekeyDialog")
        self.setWindowTitle("Change the clinic's keys")
        self._prepare = prepare
        self.plan: RekeyPlan | None = None
        intro = QLabel(
            "The clinic's records and backups are encrypted with one key; staff passwords "
            "and the recovery sheet in the safe open it. Changing the keys gives the records "
            "a new key and a new recovery sheet, and retires the old ones."
        )
        intro.setWordWrap(True)
        when = QLabel(WHEN + (FIRST_GENERATION if first_generation else ""))
        when.setObjectName("rekeyWhen")
        when.setWordWrap(True)
        steps = QLabel(what_happens(names))
        steps.setObjectName("rekeySteps")
        steps.setWordWrap(True)
        self.password = named(QLineEdit(), "rekeyPassword", "Your password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        label = QLabel("Your &password:")
        label.setBuddy(self.password)
        self.error = error_label("rekeyError")
        self.go_button = named(
            QPushButton("&Change the keys…"),
            "rekeyGo",
            "Change the keys",
            "Next: the new recovery sheet, to print or save",
        )
        self.cancel_button = named(QPushButton("Cancel"), "rekeyCancel", "Cancel")
        self.go_button.setEnabled(False)
        self.password.textChanged.connect(lambda text: self.go_button.setEnabled(bool(text)))
        self.password.textChanged.connect(lambda _text: self.error.hide())
        self.password.returnPressed.connect(self.go)
        self.go_button.clicked.connect(self.go)
        self.cancel_button.clicked.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(label)
        row.addWidget(self.password, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.go_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(when)
        layout.addWidget(steps)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        for label in (intro, when, steps):
            label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.setMinimumWidth(620)
        # Word-wrapped labels: as tall as the text needs at this width, no taller.
        self.resize(620, layout.totalHeightForWidth(620))
        self.password.setFocus()

    def go(self) -> None:
        """Check the password and make the new keys; on success the dialog is accepted."""
        if not self.password.text():
            return
        try:
            self.plan = self._prepare(self.password.text())
        except UserError as exc:
            self.error.setText(f"{exc.message} {exc.advice}".strip())
            self.error.setAccessibleName(self.error.text())
            self.error.show()
            self.password.selectAll()
            self.password.setFocus()
            grow_to_fit(self)
            return
        self.password.clear()
        self.accept()
