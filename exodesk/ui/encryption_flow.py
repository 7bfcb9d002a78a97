"""The encryption steps of starting ExoDesk: unlocking an encrypted clinic, showing a new
clinic's recovery key, and converting a plain clinic once (with a progress dialog)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QWidget,
)

from exodesk import APP_NAME
from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.plurals import plural
from exodesk.errors import UserError
from exodesk.paths import DataPaths
from exodesk.services import encryption
from exodesk.services.accounts import PasswordChangeRequired
from exodesk.services.context import utc_now
from exodesk.services.workspace import Services, open_services
from exodesk.ui.dialogs.recovery_key import RecoveryKeyDialog
from exodesk.ui.dialogs.unlock import UnlockDialog
from exodesk.ui.errors import show_user_error
from exodesk.ui.workers import wait_for_task

log = logging.getLogger(__name__)


def show_new_key(
    parent: QWidget | None, clinic: ClinicSettings, paths: DataPaths
) -> tuple[encryption.ClinicSecret, str] | None:
    """A new clinic secret, after its recovery key was shown and kept. None: they cancelled."""
    data_key, recovery = encryption.new_clinic_key()
    dialog = RecoveryKeyDialog(
        parent, recovery, clinic=clinic, printed_on=date.today(), data_file=paths.data_file
    )
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return data_key, recovery


def unlock_and_open(
    paths: DataPaths, *, before_open: Callable[[bytes], None] | None = None
) -> Services | None:
    """Ask for a password (or the recovery key), open the encrypted file, sign the person in.

    None: they cancelled. Wrong passwords typed before the file could be read are audited now.
    After the recovery key nobody is signed in yet: the sign-in dialog follows, and an admin
    who lost their password can be given a new one (``restore_access``).

    Args:
        before_open: Called with the data key once it is known and before the file is
            opened (restoring a backup in place of a missing data file, say).
    """
    dialog = UnlockDialog(None, paths, clock=utc_now)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.key is None:
        return None
    if before_open is not None:
        before_open(dialog.key)
    # The start-up check runs beside the window: signing in does not wait for it.
    services = open_services(paths, lock=True, key=dialog.key, background_check=True)
    try:
        for staff_id, at in dialog.failures:
            services.accounts.record_failed_unlock(staff_id, at)
        if dialog.staff_id is not None and dialog.password is not None:
            try:
                services.accounts.sign_in(dialog.staff_id, dialog.password)
            except PasswordChangeRequired:
                pass  # the sign-in dialog asks for their own password next
            except UserError as exc:
                log.warning("unlocked, but the sign-in was refused: %s", exc)
        elif dialog.recovery_key is not None:
            restore_access(services, dialog.recovery_key)
    except BaseException:
        services.close()
        raise
    finally:
        dialog.password = dialog.recovery_key = None
    return services


def restore_access(services: Services, recovery_key: str, parent: QWidget | None = None) -> bool:
    """After the recovery key: offer to give an admin a new password (every one was lost)."""
    admins = [m for m in services.clinic.staff() if m.is_admin]
    if not admins:
        return False
    box = QMessageBox(
        QMessageBox.Icon.Question,
        APP_NAME,
        "The recovery key opened the clinic's records. Has an admin lost their password?",
        parent=parent,
    )
    box.setObjectName("restoreAccessBox")
    box.setInformativeText(
        "Choose Set a new password to give an admin a new one now (recorded in the audit "
        "trail). Otherwise sign in as usual."
    )
    reset = box.addButton("Set a new password…", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Sign in as usual", QMessageBox.ButtonRole.RejectRole)
    box.exec()
    if box.clickedButton() is not reset:
        return False
    names = [m.name for m in admins]
    name, ok = QInputDialog.getItem(parent, APP_NAME, "Which admin?", names, 0, False)
    if not ok:
        return False
    member = admins[names.index(name)]
    while True:
        password = ask_password(
            parent, f"A new password for {member.name} (10 characters or more):"
        )
        if password is None:
            return False
        again = ask_password(parent, "The same password again:")
        if again is None:
            return False
        if again != password:
            QMessageBox.warning(parent, APP_NAME, "The two passwords are not the same.")
            continue
        try:
            result = services.accounts.restore_access(
                int(member.id or 0), password, recovery_key=recovery_key
            )
        except UserError as exc:
            show_user_error(parent, exc)
            continue
        if result.ok:
            return True
        QMessageBox.warning(parent, APP_NAME, result.problems[0].message)


def ask_password(parent: QWidget | None, prompt: str) -> str | None:
    text, ok = QInputDialog.getText(parent, APP_NAME, prompt, QLineEdit.EchoMode.Password)
    return text if ok else None


def offer_encryption(services: Services, *, ask: bool = True) -> Services:
    """An admin of a plain clinic is offered to encrypt it now; returns the services to use
    (reopened on the encrypted file, or the same ones if not converted).

    Steps: their password again (it becomes their way in), the recovery key shown and kept,
    then the file is converted on a worker with a progress dialog (a plain copy is kept in
    ``backups/`` first), reopened with the key, and they are signed in again.
    """
    user = services.desk.user
    if user is None or not user.is_admin or services.key is not None:
        return services
    if ask:
        box = QMessageBox(
            QMessageBox.Icon.Question,
            APP_NAME,
            "Encrypt the clinic's records on this PC now?",
        )
        box.setObjectName("offerEncryptionBox")
        box.setInformativeText(
            "Today anyone who copies the data file can read it. Encrypted, it opens only with "
            "a staff password or the clinic's recovery key, and so do its backups. It takes a "
            "minute or so; a plain copy is kept in the backups folder until you delete it."
        )
        now = box.addButton("Encrypt now…", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Not now", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        if box.clickedButton() is not now:
            return services
    password = ask_password(None, f"{user.name}, type your password to go on:")
    if password is None:
        return services
    try:
        services.accounts.verify_unlock(int(user.id or 0), password)
    except UserError as exc:
        show_user_error(None, exc)
        return services
    shown = show_new_key(None, services.clinic.settings(), services.paths)
    if shown is None:
        return services
    secret, _recovery = shown
    paths, clock = services.paths, services.ctx.clock
    encryption.set_password(paths, int(user.id or 0), user.name, password, secret, admin=True)
    services.close()
    try:
        conversion = _convert(paths, secret.data)
    except UserError as exc:
        show_user_error(None, exc, title=f"{APP_NAME} did not encrypt the records")
        conversion = None
    reopened = open_services(
        paths, lock=True, key=secret if conversion is not None else None, clock=clock
    )
    try:
        reopened.accounts.sign_in(int(user.id or 0), password)
        if conversion is not None:
            # The converting admin vouches for the staff list as it stands.
            reopened.accounts.seal_staff()
    except UserError as exc:
        log.warning("signed in again after converting: %s", exc)
    if conversion is not None:
        plain = encryption.unencrypted_backups(paths)
        QMessageBox.information(
            None,
            APP_NAME,
            "The clinic's records are encrypted. Other staff get their own way in the next "
            "time they sign in here while ExoDesk is open.\n\n"
            f"{plural(len(plain), 'older backup')} in {paths.backups} "
            f"{'is' if len(plain) == 1 else 'are'} not encrypted; once you have checked "
            "everything looks right, delete them (and any copies on USB sticks).",
        )
    return reopened


def _convert(paths: DataPaths, data_key: bytes) -> Any:
    """``encrypt_clinic`` on a worker, with a progress dialog (and Stop) past ~0.5 s.

    Waits in a local event loop (no window is open yet; the dialog still paints and Stop
    still answers) and returns the conversion, or raises the ``UserError`` it ended with.
    """
    return wait_for_task(
        "Encrypting the clinic's records…",
        lambda progress: encryption.encrypt_clinic(paths, data_key, progress=progress),
        object_name="encryptProgress",
        stop_tip="Stop encrypting; the records stay as they are",
        stopped="Encryption stopped; the records were left as they were.",
    )
