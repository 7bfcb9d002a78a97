"""Changing the clinic's keys from Tools: ask (``ask_to_change_keys``, the window still open),
then, the window and the data file closed, re-key on a worker and reopen
(``change_keys_and_reopen``, called by the launcher)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime

from PySide6.QtWidgets import QDialog, QInputDialog, QLineEdit, QMessageBox, QWidget

from exodesk import APP_NAME
from exodesk.errors import UserError
from exodesk.services import rekey
from exodesk.services.rekey import OldKeyNeeded, RekeyPlan, RekeyResult
from exodesk.services.workspace import Services, open_services
from exodesk.ui.dialogs.recovery_key import RecoveryKeyDialog
from exodesk.ui.dialogs.rekey import RekeyDialog
from exodesk.ui.errors import show_user_error
from exodesk.ui.workers import wait_for_task

log = logging.getLogger(__name__)

NEW_SHEET = (
    "This is the clinic's <b>new recovery key</b>. Once the keys are changed it is the only "
    "sheet that opens the records (and every backup made from now on); the old sheet opens "
    "only backups made before today. It is shown only now: print it or save it, and put it "
    "in the safe in place of the old one."
)


def ask_to_change_keys(parent: QWidget, services: Services) -> RekeyPlan | None:
    """Explain, take the admin's password, then show the new recovery sheet, which must be
    printed or saved. None: they stopped (nothing was changed)."""
    try:
        names = rekey.who_needs_a_new_password(services)
    except UserError as exc:
        show_user_error(parent, exc)
        return None
    dialog = RekeyDialog(
        parent,
        lambda password: rekey.prepare_rekey(services, password),
        names=names,
        first_generation=rekey.key_generation(services.paths) == 1,
    )
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.plan is None:
        return None
    plan = dialog.plan
    sheet = RecoveryKeyDialog(
        parent,
        plan.recovery_text,
        clinic=services.clinic.settings(),
        printed_on=date.today(),
        data_file=services.paths.data_file,
        intro=NEW_SHEET,
    )
    sheet.setWindowTitle("The clinic's new recovery key")
    if sheet.exec() != QDialog.DialogCode.Accepted:
        return None
    return plan


def change_keys_and_reopen(plan: RekeyPlan, *, clock: Callable[[], datetime]) -> Services:
    """Re-key the closed data file on a worker (a progress dialog past ~0.5 s), reopen it
    with the new key (the old one if it failed: nothing was changed then), sign the admin in
    again, and say what was done and who needs a temporary password."""
    result: RekeyResult | None = None
    try:
        result = _run(plan)
    except UserError as exc:
        log.warning("re-key failed: %s", exc)
        show_user_error(
            None,
            UserError(
                f"{exc.message} The old keys and the old recovery sheet keep working; the new "
                "sheet just printed is not needed: destroy it.",
                advice=exc.advice,
            ),
            title=f"{APP_NAME} did not change the keys",
        )
    key = result.data_key if result is not None else plan.old_key
    services = open_services(plan.paths, lock=True, key=key, clock=clock)
    try:
        services.accounts.sign_in(int(plan.admin.id or 0), plan.password)
    except UserError as exc:
        log.warning("signed in again after the re-key: %s", exc)
    if result is not None:
        box = QMessageBox(QMessageBox.Icon.Information, APP_NAME, result.message())
        box.setObjectName("rekeyDoneBox")
        box.exec()
    return services


def _run(plan: RekeyPlan) -> RekeyResult:
    """``carry_out_rekey`` on a worker; waits in a local event loop (no window is open)."""
    result: RekeyResult = wait_for_task(
        "Changing the clinic's keys: encrypting the records again and checking them…",
        lambda progress: rekey.carry_out_rekey(plan, progress=progress),
        object_name="rekeyProgress",
        stop_tip="Stop; the records and keys stay as they are",
        stopped="Stopped before the keys were changed; nothing was changed.",
    )
    return result


def ask_old_recovery_key(parent: QWidget | None, needed: OldKeyNeeded) -> bytes | None:
    """Ask for the older recovery key a backup made before a re-key needs; its data key, or
    None if they cancelled. A mistyped or wrong key is said and asked again."""
    prompt = f"{needed.message}\n\nThe older recovery key:"
    while True:
        text, ok = QInputDialog.getText(
            parent, "The older recovery key", prompt, QLineEdit.EchoMode.Normal
        )
        if not ok or not text.strip():
            return None
        try:
            return rekey.old_backup_key(needed.record, text)
        except UserError as exc:
            prompt = f"{exc.message} {exc.advice}\n\nThe older recovery key:".strip()
