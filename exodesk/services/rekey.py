"""Changing the clinic's keys (re-keying): a new data key and recovery key, for an admin.

When to do it: a recovery sheet was lost or seen by someone, a password was given away or
written down where others could read it, or the clinic was encrypted before the keys were
separated (first generation: every password there yields the recovery key).

What it does (``rekey_clinic``, or ``prepare_rekey`` on the main thread then
``carry_out_rekey`` on a worker once the services are closed):

- a new recovery root and the keys derived from it (``new_clinic_secret``); its recovery
  sheet is printed or saved *before* anything changes (the UI asks for that);
- the data file is re-encrypted under the new data key, verified, and swapped in; the
  keyring is replaced (``exodesk.storage.rekey``). The admin gets a new slot (data, admin and
  practitioner keys and their own signing key). Nobody else can: their passwords are not at
  hand, so their slots go and their accounts need a temporary password from an admin (the
  old passwords would otherwise still open the new key at their next sign-in);
- the re-key is in the audit trail (written into the new file with the changes above, in
  one transaction);
- the old keyring is kept as ``exodesk.keys.before-rekey-<stamp>``: backups made before
  the change still open with the old recovery key (and the old passwords), and are listed
  as such (``mark_old_keys``); restoring one asks for that key (``OldKeyNeeded``) and
  re-encrypts it under the current key on the way in.
"""

from __future__ import annotations

import hmac
import importlib.util
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlite_utils import Database

from exodesk.domain.accounts import ACCOUNTS_MANAGE
from exodesk.domain.audit import AuditEntry
from exodesk.domain.dates import format_long
from exodesk.domain.plurals import plural
from exodesk.domain.staff import StaffMember
from exodesk.errors import StorageError, UserError
from exodesk.paths import DataPaths
from exodesk.services.sealing import (
    Signer,
    check_seals,
    key_seal,
    new_signing_seed,
    public_key_text,
    staff_seal,
)
from exodesk.storage.audit import AuditRepository
from exodesk.storage.backup_files import BackupRecord, list_backups
from exodesk.storage.database import WrongKey, is_encrypted, storage_errors
from exodesk.storage.keys import (
    ClinicSecret,
    Keyring,
    KeyringDamaged,
    RecoveryKeyTypo,
    key_id,
    new_clinic_secret,
    parse_recovery_secret,
    recovery_key_text,
)
from exodesk.storage.photo_rekey import clear_note, write_note
from exodesk.storage.rekey import (
    BEFORE_REKEY,
    STEPS,
    Rekeyed,
    Step,
    kept_keyrings,
    rekey_data_file,
)
from exodesk.storage.rekey import finish_interrupted_rekey as _finish
from exodesk.storage.restore import DrillResult, drill_backups
from exodesk.storage.seals import SealRepository
from exodesk.storage.staff import StaffRepository

if TYPE_CHECKING:
    from exodesk.services.workspace import Services

__all__ = [
    "STEPS",
    "OldKeyNeeded",
    "RecoveryKeyTypo",
    "RekeyPlan",
    "RekeyResult",
    "RetiredKey",
    "carry_out_rekey",
    "drill_newest",
    "finish_interrupted_rekey",
    "key_generation",
    "key_history",
    "list_backups_with_keys",
    "mark_old_keys",
    "old_backup_amend",
    "old_backup_key",
    "prepare_rekey",
    "reencrypt_photos",
    "refuse_retired_recovery_key",
    "rekey_clinic",
    "require_current_key",
    "who_needs_a_new_password",
]

log = logging.getLogger(__name__)

FractionProgress = Callable[[float], None]


# ---- the re-key ----------------------------------------------------------------------------
@dataclass(frozen=True)
class RekeyPlan:
    """A re-key checked and ready (``prepare_rekey``): show ``recovery_text`` (print the
    sheet), close the services, then ``carry_out_rekey``."""

    paths: DataPaths
    admin: StaffMember
    retire: tuple[StaffMember, ...]
    """Everyone else with a password or a slot: they lose both."""
    secret: ClinicSecret = field(repr=False)
    old_key: bytes = field(repr=False)
    password: str = field(repr=False)
    signing: bytes = field(repr=False)
    """The admin's signing seed: theirs from before, or a new one (first generation)."""
    old_admin: bytes | None = field(repr=False)
    """The admin key before the re-key (None: first generation), to tell genuine seals."""
    old_keyring: Keyring = field(repr=False)
    generation_before: int
    at: datetime

    @property
    def recovery_text(self) -> str:
        """The new recovery key, for the sheet (shown and printed before carrying out)."""
        return recovery_key_text(self.secret)

    @property
    def needs_password(self) -> list[str]:
        """Who will need a temporary password from an admin afterwards (active staff)."""
        return [m.name for m in self.retire if m.active]


@dataclass(frozen=True)
class RekeyResult:
    """What a re-key did."""

    recovery_text: str = field(repr=False)
    data_key: bytes = field(repr=False)
    """The new data key: reopen the services with it."""
    needs_password: list[str]
    """Who needs a temporary password from an admin (Staff → Reset password)."""
    rekeyed: Rekeyed
    generation_before: int
    photos_problem: str = ""
    """Why some photos are not yet under the new key (the records are): run it again."""

    def message(self) -> str:
        text = (
            "The clinic's keys are changed: the data file is encrypted with a new key, and "
            "only the new recovery sheet opens it now. Destroy the old sheet once the new "
            "one is in the safe; keep it only if you may need backups made before today."
        )
        if self.needs_password:
            names = ", ".join(self.needs_password)
            text += (
                f"\n\n{plural(len(self.needs_password), 'person', 'people')} need a temporary "
                f"password from an admin before they can sign in again (File → Staff → Reset "
                f"password): {names}. Their old passwords no longer open anything new."
            )
        if self.photos_problem:
            text += f"\n\nSome photos are not yet under the new key: {self.photos_problem}"
        return text


def _refuse(message: str, advice: str = "") -> UserError:
    return UserError(message + " Nothing was changed.", advice=advice)


def who_needs_a_new_password(services: Services) -> list[str]:
    """The active staff, besides the admin at the desk, who will need a temporary password
    after a re-key (everyone with a password or a way into the file today).

    Raises:
        PermissionRefused: the person at the desk may not manage accounts.
    """
    services.ctx.require(ACCOUNTS_MANAGE)
    me = services.desk.require()
    ring = Keyring.load(services.paths.keyring)
    return [
        a.member.name
        for a in services.accounts.accounts()
        if a.member.id != me.id
        and a.member.active
        and (a.has_password or (a.member.id or 0) in ring)
    ]


def key_generation(paths: DataPaths) -> int:
    """1: the clinic's recovery key is its data key (any password yields it); 2: separated."""
    try:
        return Keyring.load(paths.keyring).generation
    except StorageError:
        return 1


def prepare_rekey(
    services: Services, admin_password: str, *, secret: ClinicSecret | None = None
) -> RekeyPlan:
    """Check that the re-key may go ahead and make the new keys (on the main thread: it
    reads the open data file). Nothing is changed.

    Raises:
        PermissionRefused: the person at the desk may not manage accounts.
        UserError: nobody is signed in, the clinic is not encrypted, or the password is not
            the admin's (``WrongPassword``).
        StorageError: the keyring cannot be read.
    """
    services.ctx.require(ACCOUNTS_MANAGE)
    admin = services.desk.require()
    if services.key is None:
        raise _refuse(
            "The clinic's records are not encrypted, so there are no keys to change.",
            "Encrypt them first (Tools → Encrypt the clinic's records).",
        )
    if not admin.is_admin or admin.id is None:
        raise _refuse("Only an admin can change the clinic's keys.")
    ring = Keyring.load(services.paths.keyring)
    if admin.id not in ring:
        raise _refuse(
            f"{admin.name} has no password for the encrypted file on this PC, so the keys "
            "cannot be changed from this account.",
            "Sign out and in again with your password, then try again.",
        )
    keys = ring.open_slot(admin.id, admin_password)  # WrongPassword (a UserError)
    if keys.data != services.key:
        raise _refuse(
            "Your password opens another data key than the one this file is open with.",
            "Close ExoDesk, open it again with your password, then try again.",
        )
    if ring.generation == 2 and keys.admin is None:
        raise _refuse(
            f"{admin.name}'s password does not hold the clinic's admin key, so the keys "
            "cannot be changed from this account.",
            "Sign in with the recovery key and set your password again, then try again.",
        )
    if keys.admin is not None:
        # Re-sealing under the new admin key must not make an edit made outside ExoDesk look
        # genuine: the staff list must hold under the old key first.
        with storage_errors(services.paths.data_file):
            repo = SealRepository(services.ctx.db)
            faults = check_seals(repo, keys.admin).faults if repo.available() else ()
        staff_faults = [f for f in faults if f.startswith("staff member")]
        if staff_faults:
            raise _refuse(
                "The staff list was changed outside ExoDesk ("
                + "; ".join(staff_faults[:3])
                + "), so the keys were not changed: a new key would seal that change as "
                "genuine.",
                "Check the staff list and the audit trail (`exodesk check`), save each "
                "person's role again in Staff, then try again.",
            )
    accounts = services.accounts.accounts()  # everyone, former staff included
    retire = tuple(
        a.member
        for a in accounts
        if a.member.id != admin.id and (a.has_password or (a.member.id or 0) in ring)
    )
    return RekeyPlan(
        paths=services.paths,
        admin=admin,
        retire=retire,
        secret=secret or new_clinic_secret(),
        old_key=services.key,
        password=admin_password,
        signing=keys.signing or new_signing_seed(),
        old_admin=keys.admin,
        old_keyring=ring,
        generation_before=ring.generation,
        at=services.ctx.now(),
    )


def _new_keyring(plan: RekeyPlan) -> Keyring:
    old_slot = plan.old_keyring.slot(int(plan.admin.id or 0))
    ring = Keyring(plan.paths.keyring, kdf=old_slot.kdf if old_slot else plan.old_keyring.kdf)
    ring.adopt(plan.secret)
    ring.add_or_replace_slot(
        int(plan.admin.id or 0),
        plan.admin.name,
        plan.password,
        plan.secret.data,
        extras={
            "admin": plan.secret.admin,
            "practitioner": plan.secret.practitioner,
            "signing": plan.signing,
        },
    )
    return ring


def _entry(plan: RekeyPlan) -> AuditEntry:
    names = plan.needs_password
    summary = f"{plan.admin.label} changed the clinic's keys: new data key and recovery key" + (
        f"; temporary passwords needed for {', '.join(names)}" if names else ""
    )
    return AuditEntry(
        at=plan.at,
        actor_id=plan.admin.id,
        actor_name=plan.admin.name,
        action="rekey",
        table_name="data_file",
        record_id=None,
        patient_id=None,
        summary=summary,
        before={"key_id": key_id(plan.old_key), "generation": plan.generation_before},
        after={
            "key_id": key_id(plan.secret.data),
            "generation": plan.secret.generation,
            "passwords_retired": [int(m.id or 0) for m in plan.retire],
        },
    )


def _amend(plan: RekeyPlan) -> Callable[[Database], None]:
    """The changes the new copy gets, in one transaction with nothing else."""

    def amend(db: Database) -> None:
        staff = StaffRepository(db)
        for member in plan.retire:
            staff.retire_password(int(member.id or 0))
        repo = SealRepository(db)
        signer = Signer()
        if repo.available() and plan.secret.admin is not None:
            _seal_again(repo, plan, signer)
        AuditRepository(db, signer=signer).append(_entry(plan))

    return amend


def _seal_again(repo: SealRepository, plan: RekeyPlan, signer: Signer) -> None:
    """Every staff row sealed under the new admin key (the admin vouches for the list, as
    at encrypting; prepare_rekey checked it held under the old key); every signing key
    whose seal held under the old admin key sealed again (one that did not stays suspect);
    the admin's signing key registered if new, and held to sign the re-key's entry."""
    admin_key = plan.secret.admin
    assert admin_key is not None
    for row in repo.staff_rows():
        repo.set_staff_seal(row.id, staff_seal(admin_key, row))
    for key in repo.signing_keys():
        genuine = plan.old_admin is not None and hmac.compare_digest(
            key.seal, key_seal(plan.old_admin, key.staff_id, key.public_key, key.from_audit_id)
        )
        if genuine:
            repo.set_key_seal(
                key.id, key_seal(admin_key, key.staff_id, key.public_key, key.from_audit_id)
            )
    admin_id = int(plan.admin.id or 0)
    public = public_key_text(plan.signing)
    known = repo.signing_key_for(admin_id, public)
    if known is not None and hmac.compare_digest(
        known.seal, key_seal(admin_key, admin_id, public, known.from_audit_id)
    ):
        signing_key_id = known.id
    else:
        first = repo.audit_head_id()
        signing_key_id = repo.add_signing_key(
            admin_id,
            public,
            from_audit_id=first,
            at=plan.at.isoformat(),
            seal=key_seal(admin_key, admin_id, public, first),
        )
    signer.hold(admin_id, signing_key_id, plan.signing)


def old_backup_amend(
    paths: DataPaths, backup_key: bytes, admin_key: bytes | None
) -> Callable[[Database], None]:
    """What a backup made before a re-key gets as it is restored (in one transaction with
    its re-encryption under the current key):

    - the passwords it holds of people with no slot under the current key were retired by
      the re-key, and stay so (they would otherwise be given the current key at their next
      sign-in);
    - with the current ``admin_key`` in hand, its staff rows and signing keys whose seals
      hold under the backup's own admin key (``backup_key`` as a second-generation
      ``ClinicSecret``) are sealed again under the current one; a backup from before seals
      (first generation) is vouched for as a whole, as at encrypting. A seal that did not
      hold stays as it was: ``exodesk check`` still names the row.
    """
    holders = {sid for sid, _label in Keyring.load(paths.keyring).slots()}
    old_admin = backup_key.admin if isinstance(backup_key, ClinicSecret) else None

    def amend(db: Database) -> None:
        staff = StaffRepository(db)
        for member in staff.list(include_inactive=True):
            if str(member.id) not in holders:
                staff.retire_password(int(member.id or 0))
        repo = SealRepository(db)
        if admin_key is None or not repo.available():
            return
        rows = repo.staff_rows()
        before_seals = not any(r.seal for r in rows)
        for row in rows:
            genuine = before_seals or (
                old_admin is not None
                and row.seal is not None
                and hmac.compare_digest(row.seal, staff_seal(old_admin, row))
            )
            if genuine:
                repo.set_staff_seal(row.id, staff_seal(admin_key, row))
        for key in repo.signing_keys():
            if old_admin is not None and hmac.compare_digest(
                key.seal, key_seal(old_admin, key.staff_id, key.public_key, key.from_audit_id)
            ):
                repo.set_key_seal(
                    key.id, key_seal(admin_key, key.staff_id, key.public_key, key.from_audit_id)
                )

    return amend


def carry_out_rekey(
    plan: RekeyPlan, *, progress: FractionProgress | None = None, step: Step | None = None
) -> RekeyResult:
    """Re-encrypt the (closed) data file and replace the keyring (any thread).

    On any failure the data file and the keyring are as they were: the old passwords and
    the old recovery key open everything, and the new sheet can be destroyed.

    Raises:
        StorageError: the file is open elsewhere, damaged, the disk fails, or the new copy
            did not verify. Nothing was changed.
    """
    rekeyed = rekey_data_file(
        plan.paths.data_file,
        plan.old_key,
        plan.secret.data,
        _new_keyring(plan),
        amend=_amend(plan),
        progress=progress,
        now=plan.at,
        step=step,
        # The old key, sealed under the new one, waits beside the data file until every photo
        # is under the new key: a stop during the photos is finished at the next open.
        before_swap=lambda: write_note(plan.paths, plan.old_key, plan.secret.data),
    )
    photos_problem = ""
    try:
        reencrypt_photos(plan.paths, plan.old_key, plan.secret.data)
        clear_note(plan.paths)
    except UserError as exc:
        # The records and the keyring are under the new key already: the re-key is done,
        # and what is left of the photos is said, not taken for a failed re-key.
        log.warning("photos not all re-keyed: %s", exc)
        photos_problem = f"{exc.message} {exc.advice}".strip()
    log.warning(
        "clinic re-keyed by staff member %s (%s retired)",
        plan.admin.id,
        plural(len(plan.retire), "password"),
    )
    return RekeyResult(
        recovery_text=plan.recovery_text,
        data_key=plan.secret.data,
        needs_password=plan.needs_password,
        rekeyed=rekeyed,
        generation_before=plan.generation_before,
        photos_problem=photos_problem,
    )


def rekey_clinic(
    services: Services,
    admin_password: str,
    *,
    progress: FractionProgress | None = None,
    step: Step | None = None,
) -> RekeyResult:
    """Change the clinic's keys in one go (the command line and tests; the GUI splits it to
    show the sheet first). ``services`` are closed afterwards whatever happens: reopen them
    with ``result.data_key`` (or the old key, after a failure).
    """
    plan = prepare_rekey(services, admin_password)
    services.close()
    return carry_out_rekey(plan, progress=progress, step=step)


def reencrypt_photos(
    paths: DataPaths,
    old_key: bytes,
    new_key: bytes,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """The photo store follows the data file's key (a hook: the photo store, branch
    p21-store, lands separately; until it does there are no photos to re-key).

    Called after the data file and keyring are swapped. A store stopped part way is finished
    by running it again with the same keys (its blobs under either key are recognised).
    """
    if importlib.util.find_spec("exodesk.storage.photo_store") is None:
        return
    from exodesk.storage import photo_store  # type: ignore[attr-defined,unused-ignore]

    if not photo_store.photos_folder(paths.folder).is_dir():
        return
    store = photo_store.open_photo_store(paths, old_key)
    store.reencrypt(old_key, new_key, progress)


def finish_interrupted_rekey(paths: DataPaths) -> str | None:
    """Call before the keyring is read at start: a re-key stopped part way is rolled back
    (the swap had not happened) or finished (it had). See ``exodesk.storage.rekey``."""
    outcome = _finish(paths.data_file, paths.keyring)
    if outcome is not None:
        log.warning("interrupted re-key %s", outcome)
    return outcome


# ---- backups under an older key ----------------------------------------------------------------
@dataclass(frozen=True)
class RetiredKey:
    """A data key the clinic used until a re-key (from the keyring kept then)."""

    key_id: str
    retired_at: datetime

    @property
    def words(self) -> str:
        return f"opens with the old recovery key (before {_day(self.retired_at)})"


def _day(moment: datetime) -> str:
    return format_long(moment.astimezone().date())


def key_history(paths: DataPaths) -> list[RetiredKey]:
    """Every data key retired by a re-key on this PC, oldest first (never the key in use:
    a keyring kept by a re-key that was then stopped names the key still in use)."""
    try:
        current = Keyring.load(paths.keyring).key_id
    except StorageError:
        current = None
    found: list[RetiredKey] = []
    for path in kept_keyrings(paths.keyring):
        stamp = path.name.split(f".{BEFORE_REKEY}-", 1)[1][:15]
        try:
            retired_at = datetime.strptime(stamp, "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
            ring = Keyring.load(path)
        except (ValueError, StorageError, KeyringDamaged):
            log.warning("kept keyring %s unreadable; not used to name old keys", path)
            continue
        if ring.key_id is not None and ring.key_id != current:
            found.append(RetiredKey(ring.key_id, retired_at))
    return sorted(found, key=lambda k: k.retired_at)


def _old_key_of(
    record: BackupRecord, current_id: str, history: Sequence[RetiredKey]
) -> RetiredKey | None:
    if record.key_id is not None:
        if record.key_id == current_id:
            return None
        # A key this clinic never retired (another clinic's, a wrong one) is not "old": the
        # backup is then refused as not opening with the key given.
        return next((k for k in history if k.key_id == record.key_id), None)
    # A sidecar from before sidecars named their key: an encrypted copy made before a
    # re-key is under the key retired then.
    later = [k for k in history if k.retired_at > record.created_at]
    if not later:
        return None
    try:
        if not is_encrypted(record.path):
            return None
    except StorageError:
        return None
    return later[0]


def mark_old_keys(
    records: Sequence[BackupRecord], paths: DataPaths, key: bytes | None
) -> list[BackupRecord]:
    """``records`` with ``old_key`` said for each backup made under a key since retired."""
    if key is None:
        return list(records)
    history = key_history(paths)
    current = key_id(key)
    out = []
    for record in records:
        old = _old_key_of(record, current, history)
        out.append(replace(record, old_key=old.words) if old is not None else record)
    return out


def list_backups_with_keys(folder: Path, paths: DataPaths, key: bytes | None) -> list[BackupRecord]:
    """``list_backups(folder)`` with backups under an old key marked (for worker threads)."""
    return mark_old_keys(list_backups(folder), paths, key)


def refuse_retired_recovery_key(paths: DataPaths, data_key: bytes) -> None:
    """Say plainly when a recovery key typed to open the clinic is one a re-key retired.

    Raises:
        WrongKey: it is the recovery key from before the clinic's keys were changed.
    """
    mine = key_id(data_key)
    old = next((k for k in key_history(paths) if k.key_id == mine), None)
    if old is not None:
        raise WrongKey(
            "That is the clinic's recovery key from before its keys were changed on "
            f"{_day(old.retired_at)}: it opens backups made before then, not the records now; "
            "nothing was changed.",
            advice="Use the newer recovery sheet (printed that day).",
        )


class OldKeyNeeded(UserError):
    """The backup was made under a key the clinic has since retired: it opens only with the
    recovery key of then."""

    def __init__(self, record: BackupRecord, old: RetiredKey, *, advice: str = "") -> None:
        when = record.when
        super().__init__(
            f"The backup of {when} was made before the clinic's keys were changed on "
            f"{_day(old.retired_at)}: it opens only with the recovery key from before then "
            "(the older recovery sheet), not the current one.",
            advice=advice
            or "Type that older recovery key to use this backup; restored records are then "
            "encrypted with the clinic's current key.",
            field="recovery_key",
        )
        self.record = record
        self.old = old


def require_current_key(record: BackupRecord, paths: DataPaths, key: bytes | None) -> None:
    """Raise ``OldKeyNeeded`` if ``record`` was made under a retired key (no file changed)."""
    if key is None:
        return
    old = _old_key_of(record, key_id(key), key_history(paths))
    if old is not None:
        raise OldKeyNeeded(record, old)


def old_backup_key(record: BackupRecord, text: str) -> ClinicSecret:
    """The data key of an older backup, from the recovery key typed for it (with, second
    generation, the admin key of then: its seals are checked with it as it is restored).

    Raises:
        RecoveryKeyTypo: it is not a recovery key as typed.
        UserError: it is a recovery key, but not the one this backup was made with.
    """
    data_key = parse_recovery_secret(text)
    if record.key_id is not None and key_id(data_key) != record.key_id:
        raise UserError(
            f"That recovery key is not the one the backup of {record.when} was made with; "
            "nothing was changed.",
            advice="Look for the recovery sheet that was in the safe when it was made.",
            field="recovery_key",
        )
    return data_key


def drill_newest(
    folder: Path, paths: DataPaths, key: bytes | None, *, backup_key: bytes | None = None
) -> DrillResult:
    """``drill_backups(folder)``, saying plainly when the newest backup needs an older
    recovery key (``OldKeyNeeded``) instead of failing to open it.

    Raises:
        OldKeyNeeded: the newest backup was made under a retired key and no ``backup_key``.
        UserError: there is no backup to test.
    """
    if backup_key is None:
        newest = next((r for r in list_backups(folder, check=False) if r.table_sha256), None)
        if newest is not None:
            require_current_key(newest, paths, key)
    return drill_backups(folder, key=backup_key if backup_key is not None else key)
