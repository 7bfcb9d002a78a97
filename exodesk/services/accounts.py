"""Accounts: one per person, Argon2id passwords, signing in and out, lockout and resets.

Nothing secret leaves this module: passwords are never logged, audited, stored or put in a
message, and hashes stay between here and ``StaffRepository``.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY

from exodesk.domain.accounts import (
    ACCOUNTS_MANAGE,
    MAX_FAILED_ATTEMPTS,
    attempts_left,
    check_password,
    is_locked,
    lockout_until,
    minutes_left,
    normalise_password,
)
from exodesk.domain.audit import AuditEntry
from exodesk.domain.plurals import plural
from exodesk.domain.problems import Problem
from exodesk.domain.staff import StaffMember
from exodesk.errors import UserError
from exodesk.services.context import STAFF, Changes, SaveResult, ServiceContext
from exodesk.services.encryption import RoleNotBacked, SignInKeys
from exodesk.services.sealing import key_seal, public_key_text, seal_row, staff_seal
from exodesk.storage.audit import AuditRepository
from exodesk.storage.database import DataFileDamaged, storage_errors
from exodesk.storage.seals import SealRepository
from exodesk.storage.staff import Credentials, StaffRepository

log = logging.getLogger(__name__)

UNLOCK_FAILURES_WINDOW = timedelta(days=1)
"""How far back a wrong password at the unlock prompt may be dated (the prompt can stay open
overnight; a failure older than that is not from the start that opened the file)."""

# The Argon2id cost: RFC 9106's second recommendation (64 MiB, 3 passes, 4 lanes), about 0.1 s
# on a reception PC. Read when an AccountService is built, so raising it here (or in a test)
# makes every older hash be redone at its owner's next sign-in.
PASSWORD_PARAMETERS = RFC_9106_LOW_MEMORY


def password_hasher() -> PasswordHasher:
    """A hasher with today's ``PASSWORD_PARAMETERS``."""
    return PasswordHasher.from_parameters(PASSWORD_PARAMETERS)


class PasswordChangeRequired(UserError):
    """The password was right but temporary: sign in again with ``new_password`` as well."""

    def __init__(self, member: StaffMember) -> None:
        super().__init__(
            f"{member.name}, the password you used was temporary: choose your own now.",
            advice="Type a new password of at least 10 characters, then sign in.",
            field="new_password",
        )
        self.member = member


@dataclass(frozen=True)
class Account:
    """One person's account as an admin (or the sign-in dialog) sees it; never the hash."""

    member: StaffMember
    has_password: bool
    must_change_password: bool
    failed_attempts: int
    locked_until: datetime | None
    password_changed_at: datetime | None
    may_set_password: bool
    """No account in the clinic has a password yet and this is an admin: the password typed at
    sign-in becomes theirs (the first sign-in after an upgrade or a new clinic)."""


class PasswordKeys(Protocol):
    """The encrypted clinic's keyring: each person's password unlocks a copy of the data key
    (and, in a second-generation clinic, the keys their role needs and their signing key).

    AccountService keeps it in step with the passwords it stores (see
    ``exodesk.services.encryption.ClinicKeys``); a plain clinic has none.
    """

    @property
    def generation(self) -> int: ...

    @property
    def admin_key(self) -> bytes | None: ...

    def issue(
        self, member: StaffMember, password: str, *, seed: bytes | None = None
    ) -> bytes | None: ...

    def sign_in(
        self, member: StaffMember, password: str, *, sealed: bool | None = None
    ) -> SignInKeys: ...

    def rewrap(
        self, member: StaffMember, old_password: str | None, new_password: str
    ) -> bytes | None: ...

    def matches_recovery_key(self, text: str) -> bool: ...

    def remove(self, staff_id: int) -> None: ...

    def rename(self, staff_id: int, name: str) -> None: ...


class AccountService:
    """Accounts and the desk: who may sign in, with which password, and who runs the accounts.

    Args:
        ctx: The open data file's context.
        hasher: The Argon2id hasher (default: ``PASSWORD_PARAMETERS``); tests pass a cheap one.
    """

    def __init__(
        self,
        ctx: ServiceContext,
        hasher: PasswordHasher | None = None,
        *,
        keys: PasswordKeys | None = None,
    ) -> None:
        self._ctx = ctx
        self._staff = StaffRepository(ctx.db)
        self._hasher = hasher or password_hasher()
        self._keys = keys

    # ---- keys and seals (second-generation encrypted clinics) ----------------------------
    def _sealed(self, member: StaffMember) -> bool | None:
        """Whether ``member``'s staff row carries a valid seal (None: cannot tell — a plain
        or first-generation clinic, or no admin key in hand)."""
        if self._keys is None or self._keys.generation != 2 or member.id is None:
            return None
        admin_key = self._keys.admin_key
        if admin_key is None:
            return None
        with storage_errors():
            repo = SealRepository(self._ctx.db)
            if not repo.any_sealed():
                return None  # not sealed yet (just encrypted): the slot alone must back the role
            row = repo.staff_row(int(member.id))
        return (
            row is not None
            and row.seal is not None
            and hmac.compare_digest(row.seal, staff_seal(admin_key, row))
        )

    def _open_keys(self, member: StaffMember, password: str) -> None:
        """At sign-in, before the person is seated: their slot must back their role."""
        if self._keys is None:
            return
        try:
            got = self._keys.sign_in(member, password, sealed=self._sealed(member))
        except RoleNotBacked as exc:
            with self._ctx.write():
                self._audit_as(member, "sign_in_failed", f"Refused: {exc}")
            raise
        self._hold(member, got.seed)

    def _issue(self, member: StaffMember, password: str, *, hold: bool) -> None:
        """After a password is stored: let it unlock the encrypted file too (if encrypted),
        with a new signing key in a second-generation clinic."""
        if self._keys is None or member.id is None:
            return
        seed = self._keys.issue(member, password)
        if hold:
            self._hold(member, seed)
        else:
            self._register(member, seed)

    def _register(self, member: StaffMember, seed: bytes | None) -> int | None:
        """The id of ``seed``'s public key in ``signing_keys``, registering (and sealing) it
        if new; None when it cannot be sealed (no admin key in hand: entries stay unsigned)."""
        if seed is None or member.id is None or self._keys is None:
            return None
        public = public_key_text(seed)
        repo = SealRepository(self._ctx.db)
        with storage_errors():
            known = repo.signing_key_for(int(member.id), public)
        if known is not None:
            return known.id
        admin_key = self._keys.admin_key
        if admin_key is None:
            log.warning("signing key of staff member %s not registered: no admin key", member.id)
            return None
        with self._ctx.write():
            first = repo.audit_head_id()
            return repo.add_signing_key(
                int(member.id),
                public,
                from_audit_id=first,
                at=self._ctx.now().isoformat(),
                seal=key_seal(admin_key, int(member.id), public, first),
            )

    def _hold(self, member: StaffMember, seed: bytes | None) -> None:
        key_id = self._register(member, seed)
        if key_id is not None and seed is not None and member.id is not None:
            self._ctx.signer.hold(int(member.id), key_id, seed)

    def _seal_row(self, staff_id: int) -> None:
        """Seal a staff row just written (call inside write()). Second generation only."""
        seal_row(self._ctx.db, self._keys, staff_id)

    def seal_staff(self) -> int:
        """Seal every staff row as it stands (an admin vouches for the list): once, when a
        clinic's keys are separated (encrypting it, re-keying it). Returns how many rows.

        Raises:
            UserError: the clinic has no separated keys, or no admin key is in hand.
        """
        self._ctx.require(ACCOUNTS_MANAGE)
        if self._keys is None or self._keys.generation != 2 or self._keys.admin_key is None:
            raise UserError("Only an encrypted clinic with separated keys seals its staff list.")
        with self._ctx.write():
            members = self._staff.list(include_inactive=True)
            for member in members:
                self._seal_row(int(member.id or 0))
            self._ctx.audit(
                "seal",
                "staff",
                None,
                summary=f"Staff list sealed ({plural(len(members), 'person', 'people')})",
            )
        return len(members)

    # ---- reading -------------------------------------------------------------------------
    def has_passwords(self) -> bool:
        """True once anyone in the clinic has a password (until then admins choose theirs)."""
        with storage_errors():
            return self._staff.any_password()

    def may_set_first_password(self, staff_id: int) -> bool:
        """Whether this person may choose their first password at the sign-in dialog (a
        brand-new clinic, or an account an admin set up without one). All the sign-in
        dialog learns before anyone signs in: not whether anyone is locked out."""
        try:
            return self._account(staff_id).may_set_password
        except UserError:
            return False

    def account(self, staff_id: int) -> Account:
        """One person's sign-in state (no secrets): one's own, or anyone's for an admin.

        Raises:
            UserError: there is no such staff member, or nobody is signed in.
            PermissionRefused: someone else's account, asked by a non-admin.
        """
        me = self._ctx.desk.user
        if me is None or me.id != staff_id:
            self._ctx.require(ACCOUNTS_MANAGE)
        return self._account(staff_id)

    def _account(self, staff_id: int) -> Account:
        with storage_errors():
            member = self._staff.get(staff_id)
            creds = self._staff.credentials(staff_id)
            bootstrap = not self._staff.any_password()
        if member is None or creds is None:
            raise UserError("That staff member is not on the staff list.")
        return _account(member, creds, bootstrap=bootstrap)

    def accounts(self) -> list[Account]:
        """Everyone's account, former staff included, by name (admins only)."""
        self._ctx.require(ACCOUNTS_MANAGE)
        with storage_errors():
            bootstrap = not self._staff.any_password()
            out = []
            for member in self._staff.list(include_inactive=True):
                creds = self._staff.credentials(int(member.id or 0))
                assert creds is not None
                out.append(_account(member, creds, bootstrap=bootstrap))
        return out

    # ---- creating accounts ---------------------------------------------------------------
    def first_account(self, member: StaffMember, password: str | None) -> SaveResult:
        """Create a brand-new clinic's first account, make it an admin, and sign it in.

        Only while the clinic has no staff at all. With ``password`` None the account has no
        password yet: its owner chooses one at their first sign-in (see ``sign_in``).
        """
        member = replace(member, name=member.name.strip(), is_admin=True, active=True, id=None)
        problems = member.validate()
        if password is not None:
            problems += check_password(password, name=member.name)
        if problems:
            return SaveResult(problems=problems)
        with storage_errors():
            if self._staff.list(include_inactive=True):
                raise UserError(
                    "This clinic already has staff.",
                    advice="Ask an admin to add you (Staff → Add).",
                )
        hashed = self._hash(password) if password is not None else None
        now = self._ctx.now()
        with self._ctx.write():
            new_id = self._staff.insert(member, at=now.isoformat())
            self._seal_row(new_id)
            if hashed is not None:
                self._staff.set_password(new_id, hashed, at=now, must_change=False)
            stored = self._staff.get(new_id)
            assert stored is not None
            self._audit_as(
                stored,
                "create",
                f"First staff member {member.label}" + ("" if hashed else " (no password yet)"),
                after=staff_values(member),
                at=now,
            )
        self._ctx.desk.user = stored
        if password is not None:
            self._issue(stored, password, hold=True)
        return SaveResult(record=stored, changes=Changes(frozenset({STAFF})))

    def create_account(
        self, member: StaffMember, password: str, *, temporary: bool = True
    ) -> SaveResult:
        """Add a person with a temporary password they must change at their first sign-in.

        ``temporary=False`` is for the demo seed only, whose password everyone knows.
        """
        self._ctx.require(ACCOUNTS_MANAGE)
        member = replace(member, name=member.name.strip(), id=None)
        problems = member.validate() + check_password(password, name=member.name)
        if problems:
            return SaveResult(problems=problems)
        hashed = self._hash(password)
        now = self._ctx.now()
        with self._ctx.write():
            new_id = self._staff.insert(member, at=now.isoformat())
            self._seal_row(new_id)
            self._staff.set_password(new_id, hashed, at=now, must_change=temporary)
            self._ctx.audit(
                "create",
                "staff",
                new_id,
                summary=f"Added {member.label} with a "
                + ("temporary password" if temporary else "password"),
                after=staff_values(member),
                at=now,
            )
            stored = self._staff.get(new_id)
        if stored is not None:
            self._issue(stored, password, hold=False)
        return SaveResult(record=stored, changes=Changes(frozenset({STAFF})))

    # ---- signing in and out --------------------------------------------------------------
    def sign_in(
        self, staff_id: int, password: str, *, new_password: str | None = None
    ) -> StaffMember:
        """Check the password and put this person at the desk.

        A wrong password counts; the fifth in a row makes the account wait five minutes (no
        password is even checked meanwhile). A right one clears the count, and a hash made
        with weaker parameters than today's is redone. Every attempt is audited.

        Args:
            staff_id: Who is signing in.
            password: What they typed. For an admin with no password while nobody in the
                clinic has one yet, this becomes their password.
            new_password: Their own password, replacing a temporary one an admin set.

        Raises:
            PasswordChangeRequired: the password was right but temporary: ask for a new one
                and call again with ``new_password`` (nobody is signed in meanwhile).
            UserError: a wrong password, a locked or password-less account, someone who has
                left, or a new password that breaks the rules (``field`` says which box).
        """
        member, creds = self._account_for_sign_in(staff_id)
        if creds.password_hash is None:
            return self._first_password(member, password)
        self._check(member, creds, password, action="sign_in")
        # Before anyone is seated: the slot must back the role the staff list claims.
        self._open_keys(member, password)
        if creds.must_change_password:
            if new_password is None:
                raise PasswordChangeRequired(member)
            problems = check_password(new_password, name=member.name, field="new_password")
            if not problems and self._verify(creds.password_hash, new_password):
                problems = [
                    Problem("new_password", "Choose a password different from the temporary one.")
                ]
            if problems:
                raise UserError(problems[0].message, field=problems[0].field)
            hashed = self._hash(new_password)
            now = self._ctx.now()
            with self._ctx.write():
                self._staff.set_password(member.id or 0, hashed, at=now, must_change=False)
                self._audit_as(member, "password_changed", "Chose their own password at sign-in")
        # Held back (with its time) while the start-up check runs: nobody waits for it to sign in.
        self._ctx.audit_soon(self._entry_as(member, "sign_in", f"{member.label} signed in"))
        self._ctx.desk.user = member
        if new_password is not None and creds.must_change_password and self._keys is not None:
            self._hold(member, self._keys.rewrap(member, password, new_password))
        return member

    def verify_unlock(self, staff_id: int, password: str) -> StaffMember:
        """Unlock the idle lock: the person at the desk types their password again.

        Counts wrong passwords and locks exactly like ``sign_in``.

        Raises:
            UserError: a wrong password, a locked account, or someone other than the person
                at the desk (they sign in instead).
        """
        member, creds = self._account_for_sign_in(staff_id)
        at_desk = self._ctx.desk.user
        if at_desk is not None and at_desk.id != member.id:
            raise UserError(
                f"The desk is locked for {at_desk.name}.",
                advice="Sign in as yourself instead (Switch user).",
            )
        if creds.password_hash is None:
            raise UserError(
                f"{member.name} has no password yet, so the desk cannot be unlocked.",
                advice="Sign in again.",
            )
        self._check(member, creds, password, action="unlock")
        self._open_keys(member, password)
        try:
            with self._ctx.write():
                self._audit_as(member, "unlock", f"{member.label} unlocked the desk")
        except DataFileDamaged:
            # The password was right. The start-up check found the file damaged, so nothing
            # is written to it, this entry included; the records it still holds stay readable
            # to the person who was at the desk rather than locked away behind the idle lock.
            log.warning("unlock by staff member %s not audited: the data file is damaged", staff_id)
        self._ctx.desk.user = member
        return member

    def sign_out(self) -> None:
        """Nobody at the desk any more (audited; nothing happens if nobody was)."""
        member = self._ctx.desk.user
        if member is None:
            return
        with self._ctx.write():
            self._ctx.audit("sign_out", "staff", member.id, summary=f"{member.label} signed out")
        self._ctx.desk.user = None

    # ---- passwords -----------------------------------------------------------------------
    def change_password(self, old: str, new: str) -> SaveResult:
        """The person at the desk changes their own password.

        Raises:
            UserError: nobody is signed in, or ``old`` is not their password (it counts as a
                wrong password, and can lock the account).
        """
        member = self._ctx.desk.require()
        member, creds = self._account_for_sign_in(int(member.id or 0))
        problems = check_password(new, name=member.name, field="new_password")
        if problems:
            return SaveResult(problems=problems)
        if creds.password_hash is not None:
            self._check(member, creds, old, action="change_password", field="old_password")
        hashed = self._hash(new)
        now = self._ctx.now()
        with self._ctx.write():
            self._staff.set_password(int(member.id or 0), hashed, at=now, must_change=False)
            self._ctx.audit(
                "password_changed",
                "staff",
                member.id,
                summary=f"{member.label} changed their password",
                at=now,
            )
        if self._keys is not None:
            self._hold(member, self._keys.rewrap(member, old, new))
        return SaveResult(record=member, changes=Changes(frozenset({STAFF})))

    def reset_password(self, staff_id: int, temporary: str) -> SaveResult:
        """An admin gives someone a temporary password, to be changed at their next sign-in.

        Also ends any wait after wrong passwords. Nobody can read a password, only reset it.

        Raises:
            UserError: there is no such person, or it is the admin's own account.
        """
        self._ctx.require(ACCOUNTS_MANAGE)
        admin = self._ctx.desk.require()
        if admin.id == staff_id:
            raise UserError(
                "To change your own password, use Change password.",
                advice="It asks for your current password first.",
            )
        with storage_errors():
            member = self._staff.get(staff_id)
        if member is None:
            raise UserError("That staff member is not on the staff list.")
        problems = check_password(temporary, name=member.name)
        if problems:
            return SaveResult(problems=problems)
        hashed = self._hash(temporary)
        now = self._ctx.now()
        with self._ctx.write():
            self._staff.set_password(staff_id, hashed, at=now, must_change=True)
            self._ctx.audit(
                "password_reset",
                "staff",
                staff_id,
                summary=f"Temporary password set for {member.label}; "
                "to be changed at their next sign-in",
                at=now,
            )
        self._issue(member, temporary, hold=False)
        return SaveResult(record=member, changes=Changes(frozenset({STAFF})))

    # ---- before and after the recovery key -------------------------------------------------
    def record_failed_unlock(self, staff_id: int, at: datetime) -> None:
        """Audit a wrong password typed before an encrypted file could be opened (it could
        not be written then; the unlock prompt counted it and made the person wait).

        Only as the file opens, before anyone has signed in, and only for a time in the last
        day: nobody at the desk can add backdated failed sign-ins in someone else's name.

        Raises:
            UserError: someone has signed in since the file opened, or ``at`` is not recent.
        """
        if self._ctx.desk.anyone_signed_in:
            raise UserError(
                "Wrong passwords typed before the data file opened are recorded as it opens, "
                "not afterwards."
            )
        now = self._ctx.now()
        if not now - UNLOCK_FAILURES_WINDOW <= at <= now + timedelta(minutes=1):
            raise UserError("That failed sign-in is not from the prompt that opened this file.")
        with storage_errors():
            member = self._staff.get(staff_id)
        if member is None:
            return
        with self._ctx.write():
            self._audit_as(
                member,
                "sign_in_failed",
                f"Wrong password for {member.label} before the data file was unlocked",
                at=at,
            )

    def restore_access(self, staff_id: int, password: str, *, recovery_key: str) -> SaveResult:
        """Give an admin a new password with the recovery key (every admin's was lost).

        Only with the recovery key of this very file: it proves the person holds the key from
        the clinic's safe, which opens everything anyway. Audited, and the admin is signed in.

        Raises:
            UserError: the file is not encrypted, the key is not this file's, or the person
                is not an active admin.
        """
        if self._keys is None or not self._keys.matches_recovery_key(recovery_key):
            raise UserError(
                "Only this clinic's recovery key can restore access.",
                advice="Type the key from the sheet in the clinic's safe.",
            )
        with storage_errors():
            member = self._staff.get(staff_id)
        if member is None or not member.active or not member.is_admin:
            raise UserError("Choose an admin who still works here.")
        problems = check_password(password, name=member.name)
        if problems:
            return SaveResult(problems=problems)
        hashed = self._hash(password)
        # The new slot (and signing key) first, so the entries below are signed with it.
        self._issue(member, password, hold=True)
        now = self._ctx.now()
        with self._ctx.write():
            self._staff.set_password(staff_id, hashed, at=now, must_change=False)
            self._audit_as(
                member,
                "password_reset",
                f"New password for {member.label}, set with the recovery key",
                at=now,
            )
            self._audit_as(member, "sign_in", f"{member.label} signed in", at=now)
        self._ctx.desk.user = member
        return SaveResult(record=member, changes=Changes(frozenset({STAFF})))

    # ---- the parts -----------------------------------------------------------------------
    def _hash(self, password: str) -> str:
        return self._hasher.hash(normalise_password(password))

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, normalise_password(password))
        except VerificationError:
            return False
        except InvalidHashError:
            # A damaged hash cannot match anything; an admin resets the password.
            log.warning("a stored password hash cannot be read")
            return False

    def _account_for_sign_in(self, staff_id: int) -> tuple[StaffMember, Credentials]:
        with storage_errors():
            member = self._staff.get(staff_id)
            creds = self._staff.credentials(staff_id)
        if member is None or creds is None or not member.active:
            raise UserError("That staff member is not on the active staff list.")
        return member, creds

    def _check(
        self,
        member: StaffMember,
        creds: Credentials,
        password: str,
        *,
        action: str,
        field: str = "password",
    ) -> None:
        """Refuse a locked account or a wrong password (counted, audited); rehash a right one."""
        staff_id = int(member.id or 0)
        now = self._ctx.now()
        if is_locked(creds.locked_until, now):
            assert creds.locked_until is not None
            minutes = minutes_left(creds.locked_until, now)
            with self._ctx.write():
                self._audit_as(
                    member,
                    f"{action}_failed",
                    f"Refused while waiting after {MAX_FAILED_ATTEMPTS} wrong passwords",
                    at=now,
                )
            raise UserError(_wait_message(member, minutes), field=field)
        # A wait that has ended starts a fresh run of tries.
        failures = 0 if creds.locked_until is not None else creds.failed_attempts
        assert creds.password_hash is not None
        if not self._verify(creds.password_hash, password):
            failures += 1
            until = lockout_until(failures, now)
            with self._ctx.write():
                self._staff.record_failure(staff_id, failures, until)
                self._audit_as(
                    member,
                    f"{action}_failed",
                    f"Wrong password ({failures} of {MAX_FAILED_ATTEMPTS})",
                    at=now,
                )
                if until is not None:
                    self._audit_as(
                        member,
                        "locked_out",
                        f"{member.name} must wait {minutes_left(until, now)} minutes after "
                        f"{MAX_FAILED_ATTEMPTS} wrong passwords",
                        at=now,
                    )
            if until is not None:
                raise UserError(_wait_message(member, minutes_left(until, now)), field=field)
            left = attempts_left(failures)
            raise UserError(
                "That password is not right.",
                advice=f"{left} more {'try' if left == 1 else 'tries'} before a five-minute "
                "wait. Capital letters count.",
                field=field,
            )
        stale = creds.failed_attempts or creds.locked_until is not None
        rehash = self._hasher.check_needs_rehash(creds.password_hash)
        if not (stale or rehash):
            return  # nothing to write (a damaged file, read-only since start, unlocks too)
        with self._ctx.write():
            if stale:
                self._staff.clear_failures(staff_id)
            if rehash:
                # The password is at hand only now: hash it again with today's parameters.
                self._staff.replace_hash(staff_id, self._hash(password))
                log.info("password hash of staff member %s redone with new parameters", staff_id)

    def _first_password(self, member: StaffMember, password: str) -> StaffMember:
        """Sign in an account that has no password: only an admin, only while nobody has one."""
        with storage_errors():
            bootstrap = not self._staff.any_password()
        if not (bootstrap and member.is_admin):
            with self._ctx.write():
                self._audit_as(member, "sign_in_failed", "No password set yet")
            raise UserError(
                f"{member.name} has no password yet.",
                advice="Ask an admin to set a temporary one (Staff → Reset password).",
            )
        problems = check_password(password, name=member.name)
        if problems:
            raise UserError(problems[0].message, field="password")
        hashed = self._hash(password)
        self._issue(member, password, hold=True)
        now = self._ctx.now()
        with self._ctx.write():
            self._staff.set_password(int(member.id or 0), hashed, at=now, must_change=False)
            self._audit_as(
                member, "password_set", f"{member.label} chose the clinic's first password", at=now
            )
            self._audit_as(member, "sign_in", f"{member.label} signed in", at=now)
        self._ctx.desk.user = member
        return member

    def _audit_as(self, member: StaffMember, action: str, summary: str, **fields: Any) -> None:
        """Append ``_entry_as(...)`` now (call inside write())."""
        AuditRepository(self._ctx.db, signer=self._ctx.signer).append(
            self._entry_as(member, action, summary, **fields)
        )

    def _entry_as(
        self,
        member: StaffMember,
        action: str,
        summary: str,
        *,
        at: datetime | None = None,
        after: dict[str, object] | None = None,
    ) -> AuditEntry:
        """An entry about ``member``'s own account; before anyone is at the desk it names the
        account itself as who did it."""
        return AuditEntry(
            at=at or self._ctx.now(),
            actor_id=member.id,
            actor_name=member.name,
            action=action,
            table_name="staff",
            record_id=member.id,
            patient_id=None,
            summary=summary,
            before=None,
            after=after,
        )


def _wait_message(member: StaffMember, minutes: int) -> str:
    unit = "minute" if minutes == 1 else "minutes"
    return (
        f"Too many wrong passwords: {member.name} can try again in {minutes} {unit}, "
        "or an admin can reset the password."
    )


def _account(member: StaffMember, creds: Credentials, *, bootstrap: bool) -> Account:
    return Account(
        member=member,
        has_password=creds.password_hash is not None,
        must_change_password=creds.must_change_password,
        failed_attempts=creds.failed_attempts,
        locked_until=creds.locked_until,
        password_changed_at=creds.password_changed_at,
        may_set_password=bootstrap and member.is_admin and creds.password_hash is None,
    )


def staff_values(member: StaffMember) -> dict[str, object]:
    """A staff member as the audit trail records them (never anything about a password)."""
    return {
        "name": member.name,
        "role": member.role,
        "admin": member.is_admin,
        "active": member.active,
    }
