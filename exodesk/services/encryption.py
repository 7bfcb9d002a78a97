"""Encryption at rest, for the launcher and dialogs: ask, unlock, set passwords, convert.

The data file and its backups are encrypted (SQLCipher) with one random data key. Each
person's password unlocks a copy of it from the keyring beside the data file; the recovery
key, printed once, is the data key itself. The ui layer calls these functions (it never
imports storage); the key they return is passed to ``open_services(paths, key=...)``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from exodesk.domain.accounts import is_locked, lockout_until, minutes_left
from exodesk.domain.staff import StaffMember
from exodesk.errors import StorageError, UserError
from exodesk.paths import DataPaths
from exodesk.services.rekey import refuse_retired_recovery_key
from exodesk.services.sealing import new_signing_seed
from exodesk.storage.anchors import record_new_start
from exodesk.storage.database import NotEncrypted, WrongKey, open_database, storage_errors
from exodesk.storage.database import is_encrypted as _file_is_encrypted
from exodesk.storage.encryption import (
    BEFORE_ENCRYPTION,
    Conversion,
    FractionProgress,
    encrypt_data_file,
    plain_backups,
)
from exodesk.storage.keys import (
    DEFAULT_KDF,
    ClinicSecret,
    KdfParams,
    Keyring,
    KeyringDamaged,
    RecoveryKeyTypo,
    SlotKeys,
    WrongPassword,
    key_id,
    new_clinic_secret,
    parse_recovery_key,
    parse_recovery_secret,
    recovery_key_text,
)
from exodesk.storage.photo_rekey import clear_note, write_note
from exodesk.storage.photo_store import open_photo_store

__all__ = [
    "BEFORE_ENCRYPTION",
    "ClinicKeys",
    "ClinicSecret",
    "Conversion",
    "KdfParams",
    "NotEncrypted",
    "RecoveryKeyTypo",
    "RoleNotBacked",
    "WrongKey",
    "WrongPassword",
    "encrypt_clinic",
    "is_encrypted",
    "new_clinic_key",
    "remove_password",
    "rename_password_owner",
    "set_password",
    "sign_in_choices",
    "unencrypted_backups",
    "unlock",
    "unlock_with_recovery_key",
]

log = logging.getLogger(__name__)


def is_encrypted(paths: DataPaths) -> bool:
    """True if the clinic's data file is encrypted: ask for a password before opening it.

    False when there is no data file yet or it is a plain one (the demo clinic, or a clinic
    not yet converted: offer ``encrypt_clinic``).
    """
    return _file_is_encrypted(paths.data_file)


def new_clinic_key() -> tuple[ClinicSecret, str]:
    """A new clinic secret (second generation: the data key and the admin and practitioner
    keys derived from a root of its own) and its recovery key text (``ABCD-EFGH-…``).

    Show and print the recovery key *before* creating or converting the file with the key
    (``secret.data``): until a password slot is saved it is the only way in.
    """
    secret = new_clinic_secret()
    return secret, recovery_key_text(secret)


def data_key_of(key: bytes | ClinicSecret) -> bytes:
    """The data key, whether given alone or with the rest of a clinic secret."""
    return key.data if isinstance(key, ClinicSecret) else key


def sign_in_choices(paths: DataPaths) -> list[tuple[int, str]]:
    """(staff id, name) of everyone with a password on this PC, for the unlock prompt.

    The names come from the keyring (the data file cannot be read before unlocking). A
    damaged keyring lists nobody: the prompt then says so and the recovery key still works.
    """
    try:
        ring = Keyring.load(paths.keyring)
    except KeyringDamaged:
        log.warning("password file %s is damaged; only the recovery key opens", paths.keyring)
        return []
    return [(int(sid), label) for sid, label in ring.slots()]


def keyring_damaged(paths: DataPaths) -> bool:
    """Whether the password file is there but cannot be read as one."""
    try:
        Keyring.load(paths.keyring)
    except KeyringDamaged:
        return True
    return False


def unlock(
    paths: DataPaths,
    staff_id: int,
    password: str,
    *,
    kdf: KdfParams = DEFAULT_KDF,
    now: datetime | None = None,
) -> bytes:
    """The data key, from ``staff_id``'s password.

    Five wrong passwords in a row make the person wait five minutes, as at the sign-in; the
    run is kept in the password file, so closing and reopening ExoDesk does not reset it. A
    slot wrapped with older (weaker) KDF parameters is rewrapped with ``kdf`` while the
    password is at hand.

    Raises:
        WrongPassword: the password is wrong (the run of wrong ones is counted).
        UserError: nobody with that id has a password on this PC, or they must wait.
        StorageError: the keyring cannot be read or is damaged.
    """
    now = now or datetime.now(UTC)
    ring = Keyring.load(paths.keyring, kdf=kdf)
    count, last = ring.failures(staff_id)
    until = lockout_until(count, last) if last is not None else None
    if until is not None and is_locked(until, now):
        minutes = minutes_left(until, now)
        raise UserError(
            f"Too many wrong passwords: wait {minutes} minute{'s' if minutes != 1 else ''}, "
            "or use the recovery key.",
            field="password",
        )
    if until is not None:
        count = 0  # the wait is over: a new run of tries
    try:
        data_key = ring.unlock(staff_id, password)
    except WrongPassword:
        ring.set_failures(staff_id, count + 1, now)
        _save_counts(ring)
        raise
    changed = count > 0 or last is not None
    ring.set_failures(staff_id, 0, None)
    slot = ring.slot(staff_id)
    if slot is not None and ring.needs_rewrap(staff_id):
        ring.add_or_replace_slot(staff_id, slot.label, password, data_key)
        changed = True
    if changed:
        ring.save()
    return data_key


def _save_counts(ring: Keyring) -> None:
    """Keep a run of wrong passwords; a password file that cannot be written (a read-only
    folder) still lets the person try, so only the log hears of it."""
    try:
        ring.save()
    except StorageError as exc:
        log.warning("could not keep the count of wrong passwords: %s", exc)


def unlock_with_recovery_key(paths: DataPaths, text: str) -> bytes:
    """The data key in a typed recovery key (spaces, dashes and case do not matter).

    Whether it opens the data file is only known when it is opened (``WrongKey`` then); a
    keyring that has passwords already tells another clinic's key apart here.

    Raises:
        RecoveryKeyTypo: it is not a recovery key, or has a typing mistake (checksum).
        WrongKey: it is another data file's recovery key (per the keyring).
    """
    data_key = parse_recovery_key(text)
    if not paths.keyring.exists():
        return data_key
    try:
        ring = Keyring.load(paths.keyring)
    except KeyringDamaged:
        # The recovery key opens the data file on its own, whatever became of the password
        # file: once it is proved to open it, the damaged file goes aside and passwords get
        # their slots again as people sign in (or an admin sets new ones).
        _check_opens(paths, data_key)
        moved = _aside(paths.keyring, "damaged", datetime.now(UTC))
        log.warning("damaged password file moved aside to %s after the recovery key", moved)
        return data_key
    refuse_retired_recovery_key(paths, data_key)
    ring.check_data_key(data_key)
    return data_key


def _check_opens(paths: DataPaths, data_key: bytes) -> None:
    """Raise ``WrongKey`` unless ``data_key`` opens the data file (read only; nothing written)."""
    db = open_database(paths.data_file, read_only=True, key=data_key)
    db.close()


def _aside(path: Path, why: str, now: datetime) -> Path:
    """Rename ``path`` to ``<name>.<why>-<stamp>`` beside it (never overwriting); the new path."""
    stamp = now.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.{why}-{stamp}")
    n = 2
    while target.exists():
        target = path.with_name(f"{path.name}.{why}-{stamp}-{n}")
        n += 1
    with storage_errors(path):
        path.rename(target)
    return target


def set_password(
    paths: DataPaths,
    staff_id: int,
    name: str,
    password: str,
    data_key: bytes | ClinicSecret,
    *,
    admin: bool = False,
    kdf: KdfParams = DEFAULT_KDF,
) -> None:
    """Let ``password`` unlock the data file for ``staff_id`` (replacing their old one).

    Call it when an admin account is made at setup, when someone changes their password,
    when an admin sets a temporary one, and after access was restored with the recovery key;
    ``data_key`` is ``Services.key`` of the open clinic.

    Raises:
        UserError: the password is empty.
        WrongKey: ``data_key`` is not the key the keyring's other passwords unlock.
        StorageError: the keyring cannot be written.
    """
    ring = Keyring.load(paths.keyring, kdf=kdf)
    extras: dict[str, bytes | None] = {}
    if isinstance(data_key, ClinicSecret) and data_key.generation == 2:
        if not len(ring):
            ring.adopt(data_key)
        if admin:
            # The admin's signing key is registered (and sealed) at their first sign-in.
            extras = {
                "admin": data_key.admin,
                "practitioner": data_key.practitioner,
                "signing": new_signing_seed(),
            }
    ring.add_or_replace_slot(staff_id, name, password, data_key_of(data_key), extras=extras)
    ring.save()


def rename_password_owner(paths: DataPaths, staff_id: int, name: str) -> None:
    """Show ``name`` for ``staff_id`` in the unlock prompt (after a rename; no password)."""
    ring = Keyring.load(paths.keyring)
    if staff_id in ring:
        ring.relabel(staff_id, name)
        ring.save()


def remove_password(paths: DataPaths, staff_id: int) -> bool:
    """Stop ``staff_id``'s password opening the data file (someone left); True if they had one.

    Backups made meanwhile still open with the other passwords and the recovery key (the data
    key does not change).
    """
    ring = Keyring.load(paths.keyring)
    removed = ring.remove_slot(staff_id)
    if removed:
        ring.save()
    return removed


def encrypt_clinic(
    paths: DataPaths, data_key: bytes | ClinicSecret, *, progress: FractionProgress | None = None
) -> Conversion:
    """Encrypt a plain clinic's data file once (close its services first).

    A plain copy is made first in ``paths.backups`` (``before-encryption-….sqlite3``); then
    the file is exported encrypted, verified and swapped in. On any failure the data file is
    left exactly as it was. Run it on a worker thread with a progress dialog.

    Raises:
        UserError: no password in the keyring unlocks ``data_key`` yet (call
            ``set_password`` first, so the person converting can get back in).
        StorageError: the file is already encrypted, open elsewhere, damaged, the disk
            fails, or the encrypted copy did not verify; nothing was changed.
    """
    data_key = data_key_of(data_key)
    ring = Keyring.load(paths.keyring)
    if not len(ring) or ring.key_id != key_id(data_key):
        raise UserError(
            "Set your password for the encrypted file before encrypting it; nothing was changed.",
            advice="Choose a password, then try again.",
        )
    conversion = encrypt_data_file(
        paths.data_file,
        data_key,
        backups_dir=paths.backups,
        progress=progress,
        before_swap=lambda: write_note(paths, None, data_key),
    )
    # Then the photos, each replaced atomically by its encrypted form. A run cut off here
    # leaves some plain: they still open (each is checked against its SHA-256), and the note
    # written before the swap has the next open finish the job (services.photo_rekey).
    open_photo_store(paths, None).reencrypt(None, data_key)
    clear_note(paths)
    return conversion


def unencrypted_backups(paths: DataPaths) -> list[Path]:
    """Backups in ``paths.backups`` still in the clear (made before the clinic was encrypted).

    Tell the admin after converting: once the encrypted clinic has opened and made its first
    backup, these can be deleted (copies on USB sticks are plain too).
    """
    return plain_backups(paths.backups)


def _not_backed(member: StaffMember) -> RoleNotBacked:
    return RoleNotBacked(
        f"{member.name} cannot sign in as {member.role_label.lower()} on this PC yet: an "
        "admin has not given that role its key here.",
        advice=f"An admin signs in on this PC first, or sets {member.name} a temporary "
        "password. If nobody changed their role, ask an admin to check the audit log.",
    )


class RoleNotBacked(UserError):
    """The staff list gives this person a role their password slot holds no key for: the row
    was changed outside ExoDesk (or an admin has not yet given them their key)."""


@dataclass(frozen=True)
class SignInKeys:
    """What a sign-in unwrapped for the audit trail: the person's signing seed (None in a
    first-generation clinic), and whether it is new (to be registered and sealed)."""

    seed: bytes | None = field(default=None, repr=False)
    new: bool = False


class ClinicKeys:
    """The open encrypted clinic's keyring, kept in step with the staff's passwords.

    It also holds the keys unwrapped since the file opened: the data key always; the admin
    and practitioner keys once someone whose slot holds them (or the recovery key) has
    unlocked. Issuing a slot for a role needs that role's key in hand: only an admin (or the
    recovery key) can give someone admin rights or a practitioner's key.

    ``AccountService`` calls it after a password is stored (``issue``), at sign-in
    (``sign_in``: the slot must back the role the staff list claims), and ``ClinicService``
    after someone leaves (``remove``) or is renamed (``rename``).
    """

    def __init__(
        self, paths: DataPaths, key: bytes | ClinicSecret, *, kdf: KdfParams = DEFAULT_KDF
    ) -> None:
        self._paths = paths
        self._kdf = kdf
        self._secret = key if isinstance(key, ClinicSecret) else None
        self._data_key = data_key_of(key)
        self._admin = self._secret.admin if self._secret else None
        self._practitioner = self._secret.practitioner if self._secret else None

    def _ring(self) -> Keyring:
        return Keyring.load(self._paths.keyring, kdf=self._kdf)

    @property
    def generation(self) -> int:
        ring = self._ring()
        if ring.generation == 2:
            return 2
        return (
            2 if self._secret is not None and self._secret.generation == 2 and not len(ring) else 1
        )

    @property
    def admin_key(self) -> bytes | None:
        """The admin key, when an admin (or the recovery key) unlocked since the file opened."""
        return self._admin

    def _learn(self, keys: SlotKeys | ClinicSecret) -> None:
        if keys.admin is not None:
            self._admin = keys.admin
        if keys.practitioner is not None:
            self._practitioner = keys.practitioner

    def _extras(self, member: StaffMember, seed: bytes | None) -> dict[str, bytes | None]:
        needs_admin = member.is_admin
        needs_practitioner = member.is_admin or member.role == "practitioner"
        if (needs_admin and self._admin is None) or (
            needs_practitioner and self._practitioner is None
        ):
            raise UserError(
                f"{member.name}'s key to the records can only be given by an admin who signed "
                "in with their own password (or with the recovery key).",
                advice="Ask an admin to set a temporary password for them (Staff → Reset "
                "password).",
            )
        return {
            "admin": self._admin if needs_admin else None,
            "practitioner": self._practitioner if needs_practitioner else None,
            "signing": seed,
        }

    def issue(
        self, member: StaffMember, password: str, *, seed: bytes | None = None
    ) -> bytes | None:
        """Give ``member`` a slot that ``password`` unlocks, holding what their role needs
        (replacing any they had). Second generation: with ``seed`` as their signing key, or a
        new one. Returns the signing seed (None in a first-generation clinic).

        Raises:
            UserError: the role needs a key nobody has unlocked since the file opened.
        """
        assert member.id is not None
        ring = self._ring()
        if self.generation == 1:
            ring.add_or_replace_slot(member.id, member.name, password, self._data_key)
            ring.save()
            return None
        if not len(ring) and self._secret is not None:
            ring.adopt(self._secret)
        seed = seed or new_signing_seed()
        extras = self._extras(member, seed)
        ring.add_or_replace_slot(member.id, member.name, password, self._data_key, extras=extras)
        ring.save()
        return seed

    def set(self, staff_id: int, name: str, password: str) -> None:
        """A data-key-only slot (first generation; kept for the older callers)."""
        set_password(self._paths, staff_id, name, password, self._data_key, kdf=self._kdf)

    def sign_in(
        self, member: StaffMember, password: str, *, sealed: bool | None = None
    ) -> SignInKeys:
        """Open ``member``'s slot with the password they just signed in with.

        First generation: a person without a slot gets one (their first sign-in since the
        clinic was encrypted). Second generation: the slot must back the role the staff list
        claims (admin → the admin key; practitioner → the practitioner key). ``sealed`` says
        whether the staff row's seal was checked and holds (None: no admin key in hand to
        check it). A role an admin changed in ExoDesk (sealed) is brought into the slot here,
        with the keys in hand; a claim without a valid seal is refused.

        Raises:
            RoleNotBacked: the staff list claims more than the slot holds and no valid seal
                says an admin gave it, or the row's seal does not hold.
            UserError: no slot and nobody to issue one; or the slot does not open with the
                password the account accepted.
        """
        assert member.id is not None
        ring = self._ring()
        if ring.generation == 1 and self.generation == 1:
            if member.id not in ring:
                self.set(member.id, member.name, password)
            return SignInKeys()
        if sealed is False:
            raise RoleNotBacked(
                f"{member.name} cannot sign in: their entry in the staff list was changed "
                "outside ExoDesk.",
                advice="Ask an admin to check the audit log (Verify chain) and set their role "
                "again.",
            )
        if member.id not in ring:
            if sealed is None and (member.is_admin or member.role == "practitioner"):
                raise _not_backed(member)
            return SignInKeys(self.issue(member, password), new=True)
        try:
            keys = ring.open_slot(member.id, password)
        except WrongPassword:
            raise UserError(
                f"{member.name}'s password opens their account but not their key to the "
                "records on this PC.",
                advice="Ask an admin to set a temporary password for them (Staff → Reset "
                "password).",
            ) from None
        self._learn(keys)
        wants_admin = member.is_admin
        wants_practitioner = member.is_admin or member.role == "practitioner"
        backed = (keys.admin is not None or not wants_admin) and (
            keys.practitioner is not None or not wants_practitioner
        )
        if not backed and not sealed:
            raise _not_backed(member)
        holds_more = (keys.admin is not None and not wants_admin) or (
            keys.practitioner is not None and not wants_practitioner
        )
        if sealed and (not backed or holds_more):
            # An admin changed the role in ExoDesk: the slot follows it now.
            return SignInKeys(self.issue(member, password, seed=keys.signing), new=False)
        return SignInKeys(keys.signing)

    def rewrap(
        self, member: StaffMember, old_password: str | None, new_password: str
    ) -> bytes | None:
        """After ``member`` changed their own password: the same keys under the new one.
        Returns their signing seed (new if the old slot could not be opened)."""
        assert member.id is not None
        ring = self._ring()
        if self.generation == 1:
            self.set(member.id, member.name, new_password)
            return None
        seed = None
        if old_password is not None and member.id in ring:
            try:
                keys = ring.open_slot(member.id, old_password)
            except WrongPassword:
                keys = None
            if keys is not None:
                self._learn(keys)
                seed = keys.signing
        return self.issue(member, new_password, seed=seed)

    def ensure(self, staff_id: int, name: str, password: str) -> None:
        if staff_id not in self._ring():
            self.set(staff_id, name, password)

    def remove(self, staff_id: int) -> None:
        remove_password(self._paths, staff_id)

    def rename(self, staff_id: int, name: str) -> None:
        rename_password_owner(self._paths, staff_id, name)

    def matches_recovery_key(self, text: str) -> bool:
        """Whether ``text`` is this clinic's recovery key; if so, its keys are in hand."""
        try:
            secret = parse_recovery_secret(text)
        except RecoveryKeyTypo:
            return False
        if secret.data != self._data_key:
            return False
        if self.generation == 2 and secret.generation != 2:
            # The data key written out as a first-generation recovery key: anyone whose
            # password unwraps the data key could write that, so it proves nothing here.
            return False
        self._learn(secret)
        return True


def keys_without_data_file(paths: DataPaths) -> bool:
    """The data file is missing but its password file is still here: a first run would make
    a new clinic that this password file cannot open (and then refuse to start)."""
    return not paths.data_file.exists() and paths.keyring.exists()


def move_keys_aside(paths: DataPaths, now: datetime) -> Path:
    """Move the password file of a missing data file out of the way of a new clinic.

    It is kept (renamed beside it, never deleted): it still opens the missing clinic's
    backups, should they turn up.

    Returns:
        Where it now is.
    """
    target = _aside(paths.keyring, "before-new-clinic", now)
    log.warning("password file of a missing data file moved aside to %s", target)
    # The old clinic's backups stay for a restore, but no longer vouch for this data file.
    record_new_start(paths.data_file, now)
    return target
