"""Seals on the staff list and per-person signatures on the audit trail.

In a second-generation (separated-key) clinic:

- every staff row carries an HMAC-SHA256 *seal* under the admin key, over who the person is,
  their role, whether they are an admin and whether they still work here. Only admins'
  password slots and the recovery key hold the admin key, so a row edited outside ExoDesk
  (``UPDATE staff SET is_admin = 1``) by someone who can decrypt the file no longer matches
  its seal: ``exodesk check`` names it, and the person's sign-in is refused because their
  password slot does not hold the key the claimed role needs (``ClinicKeys.sign_in``);
- each person has an Ed25519 signing key, wrapped in their own password slot only. Entries
  written in their name while they are signed in are signed with it; the public key is kept
  in ``signing_keys``, sealed with the admin key. An entry in someone's name that their
  session did not sign is named by ``exodesk check``.

What this does not stop (README: "What someone with a password can and cannot do"): anyone
who can decrypt the file can still change or delete records and entries; the chain, its
anchors in the backups, the seals and the signatures make that *visible* to an admin's check,
they do not make it impossible.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sqlite_utils import Database

from exodesk.domain.plurals import plural
from exodesk.errors import UserError
from exodesk.storage.seals import SealRepository, SigningKey, StaffRow

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

# ``cryptography`` is imported where a key is first used, not at start-up (tests/
# test_startup_imports.py): a plain clinic never needs it.

# Entries written in a person's name by someone who is not (yet) them: wrong passwords, waits
# after them, and what the command line or a restore notes at the next start. They carry no
# signature, and checking does not expect one.
UNSIGNED_ACTIONS = frozenset(
    {
        "sign_in_failed",
        "unlock_failed",
        "change_password_failed",
        "locked_out",
    }
)

SEED_BYTES = 32


def _canonical(fields: Iterable[object]) -> bytes:
    return json.dumps(list(fields), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def staff_seal(admin_key: bytes, row: StaffRow) -> str:
    """The seal a staff row must carry: HMAC-SHA256 under the admin key."""
    material = _canonical(
        ["staff", row.id, row.name.strip(), row.role, bool(row.is_admin), bool(row.active)]
    )
    return hmac.new(admin_key, material, hashlib.sha256).hexdigest()


def key_seal(admin_key: bytes, staff_id: int, public_key: str, from_audit_id: int) -> str:
    """The seal a signing key's row must carry."""
    material = _canonical(["signing key", staff_id, public_key, from_audit_id])
    return hmac.new(admin_key, material, hashlib.sha256).hexdigest()


def new_signing_seed() -> bytes:
    return secrets.token_bytes(SEED_BYTES)


def public_key_text(seed: bytes) -> str:
    """The public half of a signing key, as kept in ``signing_keys``."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    public = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    return base64.b64encode(public).decode("ascii")


class Signer:
    """The signing keys of the people signed in on this PC since the file opened.

    ``ServiceContext.signer``: every audit entry in the name of someone held here is signed
    with their key (nothing secret leaves this object; it is never logged or written).
    """

    def __init__(self) -> None:
        self._keys: dict[int, tuple[int, Ed25519PrivateKey]] = {}

    def hold(self, staff_id: int, signing_key_id: int, seed: bytes) -> None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        self._keys[staff_id] = (signing_key_id, Ed25519PrivateKey.from_private_bytes(seed))

    def forget(self, staff_id: int) -> None:
        self._keys.pop(staff_id, None)

    def holds(self, staff_id: int) -> bool:
        return staff_id in self._keys

    def __call__(self, actor_id: int | None, entry_hash: str) -> tuple[int, str] | None:
        held = None if actor_id is None else self._keys.get(int(actor_id))
        if held is None:
            return None
        key_id, private = held
        signature = private.sign(entry_hash.encode("ascii"))
        return key_id, base64.b64encode(signature).decode("ascii")


@dataclass(frozen=True)
class SealReport:
    """What checking the seals and signatures found."""

    faults: tuple[str, ...]
    staff_checked: int
    entries_signed: int
    seals_checked: bool
    """False when no admin key was at hand (seals then cannot be checked, only signatures)."""

    @property
    def ok(self) -> bool:
        return not self.faults

    @property
    def message(self) -> str:
        if self.faults:
            return "; ".join(self.faults)
        seals = (
            f"{plural(self.staff_checked, 'staff row')} sealed"
            if self.seals_checked
            else "staff seals not checked (no admin key at hand)"
        )
        return f"{seals}; {plural(self.entries_signed, 'signed entry', 'signed entries')} verified"


def _verify(key: SigningKey, entry_hash: str, signature: str) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key.public_key))
        public.verify(base64.b64decode(signature), entry_hash.encode("ascii"))
    except (InvalidSignature, ValueError):
        return False
    return True


def check_seals(repo: SealRepository, admin_key: bytes | None) -> SealReport:
    """Check every staff row's seal and signing key (with the admin key), and every audit
    entry's signature against its actor's keys. Faults are plain sentences naming the row or
    entry."""
    faults: list[str] = []
    rows = repo.staff_rows()
    names = {r.id: r.name for r in rows}
    keys = repo.signing_keys()
    trusted: dict[int, SigningKey] = {}
    if admin_key is not None:
        for row in rows:
            if row.seal is None or not hmac.compare_digest(row.seal, staff_seal(admin_key, row)):
                faults.append(
                    f"staff member {row.name} (#{row.id}) was added or changed outside ExoDesk "
                    f"(role now {row.role}{', admin' if row.is_admin else ''})"
                )
    for key in keys:
        if admin_key is not None and not hmac.compare_digest(
            key.seal, key_seal(admin_key, key.staff_id, key.public_key, key.from_audit_id)
        ):
            who = names.get(key.staff_id, f"#{key.staff_id}")
            faults.append(f"a signing key for {who} was added outside ExoDesk")
            continue
        trusted[key.id] = key
    by_person: dict[int, list[SigningKey]] = {}
    for key in trusted.values():
        by_person.setdefault(key.staff_id, []).append(key)
    first_key = {sid: min(k.from_audit_id for k in ks) for sid, ks in by_person.items()}
    signed = 0
    unsigned: dict[int, list[int]] = {}
    for entry in repo.signed_entries(after=min(first_key.values(), default=0)):
        if entry.signature is not None and entry.signing_key_id is not None:
            used = trusted.get(entry.signing_key_id)
            if (
                used is not None
                and used.staff_id == entry.actor_id
                and used.from_audit_id < entry.id
                and _verify(used, entry.entry_hash, entry.signature)
            ):
                signed += 1
                continue
            faults.append(
                f"audit entry {entry.id} in {entry.actor_name}'s name carries a signature "
                "that is not theirs"
            )
            continue
        if (
            entry.actor_id is not None
            and entry.actor_id in first_key
            and first_key[entry.actor_id] < entry.id
            and entry.action not in UNSIGNED_ACTIONS
        ):
            unsigned.setdefault(entry.actor_id, []).append(entry.id)
    for actor_id, ids in sorted(unsigned.items()):
        shown = ", ".join(str(i) for i in ids[:5]) + (" …" if len(ids) > 5 else "")
        faults.append(
            f"{plural(len(ids), 'audit entry', 'audit entries')} in "
            f"{names.get(actor_id, f'#{actor_id}')}'s name that their own session did not "
            f"sign (entry {shown})"
        )
    return SealReport(tuple(faults), len(rows), signed, admin_key is not None)


class AdminKeyHolder(Protocol):
    @property
    def generation(self) -> int: ...

    @property
    def admin_key(self) -> bytes | None: ...


def seal_row(db: Database, keys: AdminKeyHolder | None, staff_id: int) -> None:
    """Seal a staff row just written (inside the same transaction). Nothing to do in a plain
    or first-generation clinic.

    Raises:
        UserError: the admin key is not in hand (nobody can seal the change).
    """
    if keys is None or keys.generation != 2:
        return
    admin_key = keys.admin_key
    if admin_key is None:
        raise UserError(
            "The staff list can only be changed here after an admin has signed in with their "
            "own password on this PC.",
            advice="Sign out, and sign in as an admin.",
        )
    repo = SealRepository(db)
    row = repo.staff_row(staff_id)
    if row is not None:
        repo.set_staff_seal(staff_id, staff_seal(admin_key, row))
