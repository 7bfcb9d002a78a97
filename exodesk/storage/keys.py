"""The data key, the keyring beside the data file that unlocks it, and the recovery key.

One random 32-byte data key encrypts the data file and its backups (SQLCipher, raw key). It
is never stored in the clear:

- Each person's password unlocks a copy of it, kept in a *slot* of the keyring file
  (``exodesk.keys`` beside ``exodesk.sqlite3``): Argon2id turns the password and a random salt
  into 64 bytes; the first 32 are XORed with the data key (the *wrapped* key), the last 32 are
  an HMAC-SHA256 key over the slot (format, slot id, KDF parameters, salt, wrapped key), so a
  wrong password, or a slot edited or moved to another person, is refused rather than
  unwrapped into a wrong key.
- The *recovery key*, printed once at setup for the clinic safe, is a random *root* secret
  written in base32 with a checksum. Everything derives from it (HKDF-SHA256): the data key,
  the *admin key* and from that the *practitioner key*. It alone opens the data file and every
  backup, even when the keyring is lost or every password forgotten; from it an admin sets new
  passwords. No password yields it: a slot holds only what its owner's role needs (every slot
  the data key; an admin's also the admin and practitioner keys; a practitioner's the
  practitioner key), and each person's own signing key for the audit trail.
- First-generation clinics (set up before the keys were separated) printed the data key itself
  as the recovery key; their checksum says so, and an admin re-keys them to separate.

Changing a password rewraps one slot; the data key (so every backup's key) never changes.
Nothing secret (passwords, keys, derived bytes) is ever logged or written unwrapped.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from argon2.exceptions import HashingError
from argon2.low_level import ARGON2_VERSION, Type, hash_secret_raw

from exodesk.domain.plurals import plural
from exodesk.errors import StorageError, UserError
from exodesk.storage.backup import PARTIAL_SUFFIX, discard, fsync_folder
from exodesk.storage.database import WrongKey, storage_errors
from exodesk.storage.engine import KEY_BYTES

log = logging.getLogger(__name__)

KEYRING_FORMAT = 2  # 2: separated keys (admin_key_id and slots with extras)
SALT_BYTES = 16
_DERIVED_BYTES = 2 * KEY_BYTES  # wrapping half + MAC half
_KEY_ID_LABEL = b"ExoDesk data key id"
_ADMIN_ID_LABEL = b"ExoDesk admin key id"
_PRACTITIONER_ID_LABEL = b"ExoDesk practitioner key id"
# What a slot can hold beside the data key, each wrapped under its own pad.
EXTRAS = ("admin", "practitioner", "signing")


class WrongPassword(UserError):
    """The password does not unlock this person's slot (nothing was changed)."""


class RecoveryKeyTypo(UserError):
    """The recovery key as typed is not a valid one (wrong length, letters or checksum)."""


# Bounds a genuine slot stays within (the default is t=3, 64 MiB, 4 lanes; raising the cost
# later stays far below these). Anything beyond is an edited or damaged password file.
MAX_TIME_COST = 64
MAX_PARALLELISM = 64
MAX_MEMORY_KIB = 4 * 1024 * 1024  # 4 GiB


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost parameters, stored in each slot so they can be raised later.

    The default is RFC 9106's second recommendation (t=3, 64 MiB, 4 lanes): about 0.1 s on an
    ordinary PC, once per sign-in. Tests pass tiny ones.
    """

    time_cost: int = 3
    memory_cost: int = 64 * 1024  # KiB
    parallelism: int = 4

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": "argon2id",
            "version": ARGON2_VERSION,
            "time_cost": self.time_cost,
            "memory_cost": self.memory_cost,
            "parallelism": self.parallelism,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KdfParams:
        if data.get("type") != "argon2id" or data.get("version") != ARGON2_VERSION:
            raise ValueError(f"unknown key derivation {data.get('type')!r}")
        params = cls(int(data["time_cost"]), int(data["memory_cost"]), int(data["parallelism"]))
        if (
            not 1 <= params.time_cost <= MAX_TIME_COST
            or not 1 <= params.parallelism <= MAX_PARALLELISM
            or not 8 * params.parallelism <= params.memory_cost <= MAX_MEMORY_KIB
        ):
            # An edited slot asking for terabytes would end in argon2's "Memory allocation
            # error"; it is a damaged password file, said as such.
            raise ValueError("key derivation parameters out of range")
        return params


DEFAULT_KDF = KdfParams()


@dataclass(frozen=True)
class Slot:
    """One person's wrapped copy of the data key. ``label`` is only shown, never trusted."""

    slot_id: str
    label: str
    kdf: KdfParams
    salt: bytes
    wrapped: bytes
    mac: bytes
    extras: Mapping[str, bytes] = field(default_factory=dict)
    """Wrapped admin, practitioner or signing keys (by name, see ``EXTRAS``); the MAC covers
    them, so none can be added to or taken from a slot without its password."""

    def as_dict(self) -> dict[str, Any]:
        data = {
            "label": self.label,
            "kdf": self.kdf.as_dict(),
            "salt": _b64(self.salt),
            "wrapped": _b64(self.wrapped),
            "mac": _b64(self.mac),
        }
        if self.extras:
            data["extras"] = {name: _b64(value) for name, value in sorted(self.extras.items())}
        return data

    @classmethod
    def from_dict(cls, slot_id: str, data: Mapping[str, Any]) -> Slot:
        slot = cls(
            slot_id=slot_id,
            label=str(data["label"]),
            kdf=KdfParams.from_dict(data["kdf"]),
            salt=_unb64(data["salt"]),
            wrapped=_unb64(data["wrapped"]),
            mac=_unb64(data["mac"]),
            extras={str(k): _unb64(v) for k, v in dict(data.get("extras") or {}).items()},
        )
        if len(slot.salt) != SALT_BYTES or len(slot.wrapped) != KEY_BYTES or len(slot.mac) != 32:
            raise ValueError("slot field of the wrong length")
        if any(k not in EXTRAS or len(v) != KEY_BYTES for k, v in slot.extras.items()):
            raise ValueError("unknown or damaged key in a slot")
        return slot


@dataclass(frozen=True)
class SlotKeys:
    """What one person's password unwrapped from their slot."""

    data: bytes = field(repr=False)
    admin: bytes | None = field(default=None, repr=False)
    practitioner: bytes | None = field(default=None, repr=False)
    signing: bytes | None = field(default=None, repr=False)


# ---- the data key ------------------------------------------------------------------------
def new_data_key() -> bytes:
    """A fresh random data key (32 bytes from ``secrets``)."""
    return secrets.token_bytes(KEY_BYTES)


def key_id(data_key: bytes) -> str:
    """A short public fingerprint of a data key: tells keys apart without revealing them."""
    return hmac.new(data_key, _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]


def admin_key_id(admin_key: bytes) -> str:
    """The admin key's public fingerprint (kept in the keyring, checked at every admin unlock)."""
    return hmac.new(admin_key, _ADMIN_ID_LABEL, hashlib.sha256).hexdigest()[:16]


def practitioner_key_id(practitioner_key: bytes) -> str:
    """The practitioner key's public fingerprint."""
    return hmac.new(practitioner_key, _PRACTITIONER_ID_LABEL, hashlib.sha256).hexdigest()[:16]


def hkdf(key: bytes, info: bytes, length: int = KEY_BYTES) -> bytes:
    """HKDF-SHA256 (RFC 5869) with an all-zero salt: ``length`` bytes for ``info``."""
    prk = hmac.new(b"\0" * 32, key, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


class ClinicSecret(bytes):
    """What a recovery key opens. As bytes it *is* the data key (so it opens the file
    wherever a data key does); beside it, in the second generation, the admin and
    practitioner keys derived from the same root. ``root`` is the recovery key's own secret.
    Never shown: ``repr`` hides every byte."""

    root: bytes
    admin: bytes | None
    practitioner: bytes | None

    def __new__(
        cls,
        data: bytes,
        *,
        root: bytes,
        admin: bytes | None = None,
        practitioner: bytes | None = None,
    ) -> ClinicSecret:
        made = super().__new__(cls, data)
        made.root = bytes(root)
        made.admin = admin
        made.practitioner = practitioner
        return made

    def __repr__(self) -> str:
        return f"ClinicSecret(generation={self.generation})"

    __str__ = __repr__

    @property
    def data(self) -> bytes:
        """The data key, as plain bytes."""
        return bytes(self)

    @property
    def generation(self) -> int:
        return 1 if self.admin is None else 2

    @classmethod
    def from_root(cls, root: bytes) -> ClinicSecret:
        """Second generation: every key derived from ``root``; none of them yields it."""
        if len(root) != KEY_BYTES:
            raise ValueError(f"a recovery root is {KEY_BYTES} bytes")
        admin = hkdf(root, b"ExoDesk admin key v2")
        return cls(
            hkdf(root, b"ExoDesk data key v2"),
            root=root,
            admin=admin,
            practitioner=hkdf(admin, b"ExoDesk practitioner key v2"),
        )

    @classmethod
    def first_generation(cls, data_key: bytes) -> ClinicSecret:
        """A clinic set up before the keys were separated: the recovery key is the data key."""
        return cls(data_key, root=data_key)


def new_clinic_secret() -> ClinicSecret:
    """A fresh random root and the keys derived from it."""
    return ClinicSecret.from_root(secrets.token_bytes(KEY_BYTES))


# ---- the recovery key --------------------------------------------------------------------
# 32 bytes are 52 base32 characters (the last carries 4 zero bits): 13 groups of 4, then one
# group of checksum, 20 bits of SHA-256 over a label and the key. One mistyped character is
# caught (except with odds of one in a million), and base32 has no 0/1/8/9 to confuse with
# O/I/B, so those are read as the letters.
_RECOVERY_LABELS = {1: b"ExoDesk recovery key 1", 2: b"ExoDesk recovery key 2"}
_GROUP = 4
_KEY_CHARS = 52
_CHECK_CHARS = 4
RECOVERY_KEY_CHARS = _KEY_CHARS + _CHECK_CHARS
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})
_SEPARATORS = re.compile(r"[\s\-_.·]+")


def _checksum(secret: bytes, generation: int = 1) -> str:
    digest = hashlib.sha256(_RECOVERY_LABELS[generation] + secret).digest()
    return base64.b32encode(digest[:5]).decode("ascii")[:_CHECK_CHARS]  # 20 bits


def recovery_key_text(secret: bytes | ClinicSecret) -> str:
    """The recovery key to print: 14 groups of 4 (A–Z, 2–7) joined by dashes; the last is a
    checksum, which also says the key's generation. For example ``MFRG-GZDF-…-Q2XA``."""
    if isinstance(secret, ClinicSecret):
        root, generation = secret.root, secret.generation
    else:
        root, generation = secret, 1
    if len(root) != KEY_BYTES:
        raise ValueError(f"a data key is {KEY_BYTES} bytes")
    body = base64.b32encode(root).decode("ascii").rstrip("=")
    chars = body + _checksum(root, generation)
    return "-".join(chars[i : i + _GROUP] for i in range(0, len(chars), _GROUP))


def parse_recovery_key(text: str) -> ClinicSecret:
    """The data key a recovery key opens (with, second generation, the keys beside it), as
    typed: spaces, dashes and case do not matter.

    Raises:
        RecoveryKeyTypo: the text is not a recovery key, or has a typing mistake (checksum).
    """
    return parse_recovery_secret(text)


def parse_recovery_secret(text: str) -> ClinicSecret:
    """Everything a recovery key opens (see ``ClinicSecret``), as typed.

    Raises:
        RecoveryKeyTypo: the text is not a recovery key, or has a typing mistake (checksum).
    """
    chars = _SEPARATORS.sub("", text).upper().translate(_LOOKALIKES)
    advice = "Type it again exactly as printed on the recovery sheet (the groups of four)."
    if len(chars) != RECOVERY_KEY_CHARS:
        raise RecoveryKeyTypo(
            f"A recovery key has {RECOVERY_KEY_CHARS} letters and digits in 14 groups of four; "
            f"this one has {len(chars)}.",
            advice=advice,
            field="recovery_key",
        )
    body, check = chars[:_KEY_CHARS], chars[_KEY_CHARS:]
    try:
        data_key = base64.b32decode(body + "====")
    except (binascii.Error, ValueError):
        raise RecoveryKeyTypo(
            "That recovery key has a character that cannot be in one (only A–Z and 2–7).",
            advice=advice,
            field="recovery_key",
        ) from None
    if base64.b32encode(data_key).decode("ascii").rstrip("=") == body:
        if hmac.compare_digest(_checksum(data_key, 2), check):
            return ClinicSecret.from_root(data_key)
        if hmac.compare_digest(_checksum(data_key, 1), check):
            return ClinicSecret.first_generation(data_key)
    raise RecoveryKeyTypo(
        "That recovery key has a typing mistake: it does not add up.",
        advice="Check each group of four against the printed recovery sheet.",
        field="recovery_key",
    )


# ---- wrapping ----------------------------------------------------------------------------
def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not base64 text")
    return base64.b64decode(text.encode("ascii"), validate=True)


def _password_bytes(password: str) -> bytes:
    # NFC: the same password typed with a composed or a decomposed "é" is the same password.
    return unicodedata.normalize("NFC", password).encode("utf-8")


def _derive(password: str, salt: bytes, kdf: KdfParams) -> bytes:
    try:
        return _argon2(password, salt, kdf)
    except HashingError as exc:
        # Within the bounds above, a PC with too little free memory can still refuse.
        raise StorageError(
            "This PC could not give the password check the memory it asks for "
            f"({kdf.memory_cost // 1024:,} MiB), so the password could not be checked.",
            advice="Close other programs and try again. If it happens every time, the "
            "password file may have been edited: use the recovery key from the clinic's safe.",
        ) from exc


def _argon2(password: str, salt: bytes, kdf: KdfParams) -> bytes:
    return hash_secret_raw(
        _password_bytes(password),
        salt,
        time_cost=kdf.time_cost,
        memory_cost=kdf.memory_cost,
        parallelism=kdf.parallelism,
        hash_len=_DERIVED_BYTES,
        type=Type.ID,
        version=ARGON2_VERSION,
    )


def _mac_input(
    slot_id: str,
    kdf: KdfParams,
    salt: bytes,
    wrapped: bytes,
    extras: Mapping[str, bytes] | None = None,
) -> bytes:
    fields: list[Any] = [1, slot_id, kdf.as_dict(), _b64(salt), _b64(wrapped)]
    if extras:
        fields.append({name: _b64(value) for name, value in sorted(extras.items())})
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _pad(derived: bytes, name: str) -> bytes:
    return hkdf(derived[:KEY_BYTES], b"ExoDesk slot " + name.encode("ascii"))


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def wrap(
    slot_id: str,
    label: str,
    password: str,
    data_key: bytes,
    kdf: KdfParams = DEFAULT_KDF,
    *,
    extras: Mapping[str, bytes | None] | None = None,
) -> Slot:
    """A new slot holding ``data_key`` (and any ``extras``) wrapped under ``password``."""
    if len(data_key) != KEY_BYTES:
        raise ValueError(f"a data key is {KEY_BYTES} bytes")
    salt = secrets.token_bytes(SALT_BYTES)
    derived = _derive(password, salt, kdf)
    wrapped = _xor(derived[:KEY_BYTES], data_key)
    held = {name: value for name, value in (extras or {}).items() if value is not None}
    if any(name not in EXTRAS or len(value) != KEY_BYTES for name, value in held.items()):
        raise ValueError("a slot holds only 32-byte admin, practitioner or signing keys")
    sealed = {name: _xor(_pad(derived, name), value) for name, value in held.items()}
    mac = hmac.new(derived[KEY_BYTES:], _mac_input(slot_id, kdf, salt, wrapped, sealed), "sha256")
    return Slot(slot_id, label, kdf, salt, wrapped, mac.digest(), sealed)


def unwrap(slot: Slot, password: str) -> bytes:
    """The data key in ``slot``.

    Raises:
        WrongPassword: the password is not this slot's (or the slot was tampered with).
    """
    return unwrap_all(slot, password).data


def unwrap_all(slot: Slot, password: str) -> SlotKeys:
    """Everything in ``slot``: the data key and whatever else it holds.

    Raises:
        WrongPassword: the password is not this slot's (or the slot was tampered with).
    """
    derived = _derive(password, slot.salt, slot.kdf)
    expected = hmac.new(
        derived[KEY_BYTES:],
        _mac_input(slot.slot_id, slot.kdf, slot.salt, slot.wrapped, slot.extras),
        "sha256",
    ).digest()
    if not hmac.compare_digest(expected, slot.mac):
        raise WrongPassword(
            f"That password is not right for {slot.label}.",
            advice="Check Caps Lock and try again. An admin can set a new password, or use "
            "the recovery key from the clinic's safe.",
            field="password",
        )
    opened = {name: _xor(_pad(derived, name), value) for name, value in slot.extras.items()}
    return SlotKeys(
        data=_xor(derived[:KEY_BYTES], slot.wrapped),
        admin=opened.get("admin"),
        practitioner=opened.get("practitioner"),
        signing=opened.get("signing"),
    )


def needs_rewrap(slot: Slot, current: KdfParams = DEFAULT_KDF) -> bool:
    """True if ``slot`` was wrapped with other KDF parameters than ``current`` (rewrap it at
    the next successful unlock, while the password is at hand)."""
    return slot.kdf != current


# ---- the keyring file --------------------------------------------------------------------
class KeyringDamaged(StorageError):
    """The password file cannot be read as one (a flipped byte, a truncated copy)."""


def _damaged(path: Path) -> StorageError:
    return KeyringDamaged(
        f"The password file {path.name} is damaged, so passwords cannot unlock the data file.",
        advice="Use the recovery key from the clinic's safe; then an admin sets new passwords.",
    )


def _checksum_of(data: Mapping[str, Any]) -> str:
    # Counts of wrong passwords are left out: no key, and unreadable ones just start over.
    body = {k: v for k, v in data.items() if k not in ("checksum", "failed")}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class Keyring:
    """The slots in one keyring file. Changes stay in memory until ``save()``.

    Args:
        path: The keyring file (``DataPaths.keyring``).
        kdf: Parameters for new slots (tests pass tiny ones).
    """

    def __init__(self, path: Path, *, kdf: KdfParams = DEFAULT_KDF) -> None:
        self.path = Path(path)
        self.kdf = kdf
        self.key_id: str | None = None
        # Second generation: the fingerprints of the admin and practitioner keys. A slot's
        # admin or practitioner key counts only if it matches.
        self.admin_key_id: str | None = None
        self.practitioner_key_id: str | None = None
        self._slots: dict[str, Slot] = {}
        # Wrong passwords in a row per slot, and when the last was typed: kept in the file, so
        # the wait after five survives closing and reopening ExoDesk.
        self._failed: dict[str, tuple[int, datetime]] = {}

    @classmethod
    def load(cls, path: Path, *, kdf: KdfParams = DEFAULT_KDF) -> Keyring:
        """Read the keyring at ``path``; a missing file is an empty keyring.

        Raises:
            StorageError: the file cannot be read, is damaged, or is from a newer ExoDesk.
        """
        ring = cls(path, kdf=kdf)
        with storage_errors(ring.path):
            if not ring.path.exists():
                return ring
            raw = ring.path.read_bytes()
        try:
            data = json.loads(raw.decode("utf-8"))
            version = int(data["format"])
        except (ValueError, KeyError, TypeError):
            raise _damaged(ring.path) from None
        if version > KEYRING_FORMAT:
            raise StorageError(
                f"The password file {ring.path.name} was written by a newer ExoDesk.",
                advice="Install the newer ExoDesk on this PC.",
            )
        # A flipped byte or a cut-off copy is damage, not a wrong password: a format-2 file
        # carries a checksum over everything else in it.
        if version >= 2 and data.get("checksum") != _checksum_of(data):
            raise _damaged(ring.path)
        try:
            ring.key_id = None if data.get("key_id") is None else str(data["key_id"])
            for name in ("admin_key_id", "practitioner_key_id"):
                value = data.get(name)
                setattr(ring, name, None if value is None else str(value))
            ring._slots = {
                str(sid): Slot.from_dict(str(sid), slot) for sid, slot in data["slots"].items()
            }
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
            raise _damaged(ring.path) from None
        try:
            ring._failed = {
                str(sid): (int(run["count"]), datetime.fromisoformat(str(run["last"])))
                for sid, run in dict(data.get("failed") or {}).items()
            }
        except (ValueError, KeyError, TypeError, AttributeError):
            # Counts of wrong passwords are no secret and no key: unreadable ones start over.
            log.warning("wrong-password counts in %s unreadable; starting over", ring.path)
            ring._failed = {}
        return ring

    def save(self) -> None:
        """Write the keyring atomically (temporary name, fsync, rename, folder fsync)."""
        data: dict[str, Any] = {
            # A first-generation keyring stays readable by the ExoDesk that wrote it.
            "format": KEYRING_FORMAT if self.generation == 2 else 1,
            "what": "ExoDesk password slots: each unlocks the data file's key. Not secret on "
            "its own, but do not edit.",
            "key_id": self.key_id,
        }
        if self.generation == 2:
            data["admin_key_id"] = self.admin_key_id
            data["practitioner_key_id"] = self.practitioner_key_id
        data["slots"] = {sid: slot.as_dict() for sid, slot in sorted(self._slots.items())}
        if self._failed:
            data["failed"] = {
                sid: {"count": count, "last": last.isoformat()}
                for sid, (count, last) in sorted(self._failed.items())
            }
        if data["format"] >= 2:
            data["checksum"] = _checksum_of(data)
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        partial = self.path.with_name(self.path.name + PARTIAL_SUFFIX)
        try:
            with storage_errors(self.path):
                with partial.open("wb") as fh:
                    fh.write(text.encode("utf-8"))
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(partial, self.path)
                fsync_folder(self.path.parent)
        except BaseException:
            discard(partial)
            raise
        log.info("keyring saved with %s", plural(len(self._slots), "slot"))

    @property
    def generation(self) -> int:
        """2 once the clinic's keys are separated (its recovery key is no password's)."""
        return 2 if self.admin_key_id is not None else 1

    def adopt(self, secret: ClinicSecret) -> None:
        """Take a second-generation secret's fingerprints (a new clinic, or a re-key; the
        slots of the old key must be gone or replaced)."""
        self.key_id = key_id(secret.data)
        if secret.admin is not None and secret.practitioner is not None:
            self.admin_key_id = admin_key_id(secret.admin)
            self.practitioner_key_id = practitioner_key_id(secret.practitioner)

    def genuine(self, keys: SlotKeys) -> SlotKeys:
        """``keys`` less any admin or practitioner key that is not this clinic's (a slot
        forged by someone who knows only the data key and their own password)."""
        admin = keys.admin
        if (
            admin is None
            or self.admin_key_id is None
            or not hmac.compare_digest(admin_key_id(admin), self.admin_key_id)
        ):
            admin = None
        practitioner = keys.practitioner
        if (
            practitioner is None
            or self.practitioner_key_id is None
            or not hmac.compare_digest(practitioner_key_id(practitioner), self.practitioner_key_id)
        ):
            practitioner = None
        return replace(keys, admin=admin, practitioner=practitioner)

    def slots(self) -> list[tuple[str, str]]:
        """(slot id, label) of every slot, for choosing who signs in: nothing secret."""
        return [(sid, slot.label) for sid, slot in sorted(self._slots.items())]

    def slot(self, staff_id: int | str) -> Slot | None:
        return self._slots.get(str(staff_id))

    def __contains__(self, staff_id: object) -> bool:
        return str(staff_id) in self._slots

    def __len__(self) -> int:
        return len(self._slots)

    def check_data_key(self, data_key: bytes) -> None:
        """Refuse a data key that is not this keyring's (say, another clinic's recovery key).

        Raises:
            WrongKey: the keyring belongs to another data key.
        """
        if self.key_id is not None and not hmac.compare_digest(self.key_id, key_id(data_key)):
            raise WrongKey(
                "That recovery key belongs to another ExoDesk data file, not this one; "
                "nothing was changed.",
                advice="Find the recovery sheet printed when this clinic was set up.",
            )

    def add_or_replace_slot(
        self,
        staff_id: int | str,
        label: str,
        password: str,
        data_key: bytes,
        *,
        extras: Mapping[str, bytes | None] | None = None,
    ) -> None:
        """Give ``staff_id`` a slot that ``password`` unlocks (replacing any they had).

        Raises:
            UserError: the password is empty.
            WrongKey: ``data_key`` is not the key the other slots hold.
        """
        if not password:
            raise UserError("A password cannot be empty.", field="password")
        self.check_data_key(data_key)
        self.key_id = key_id(data_key)
        sid = str(staff_id)
        self._slots[sid] = wrap(sid, label, password, data_key, self.kdf, extras=extras)

    def relabel(self, staff_id: int | str, label: str) -> None:
        """Change the name shown for a slot (no password needed: the label is not trusted)."""
        slot = self._slots.get(str(staff_id))
        if slot is not None:
            self._slots[slot.slot_id] = replace(slot, label=label)

    def remove_slot(self, staff_id: int | str) -> bool:
        """Remove a person's slot (their password no longer opens the file); True if it was
        there. Backups keep opening with the other passwords and the recovery key."""
        return self._slots.pop(str(staff_id), None) is not None

    def unlock(self, staff_id: int | str, password: str) -> bytes:
        """The data key, from ``staff_id``'s slot and ``password``.

        Raises:
            UserError: there is no slot for ``staff_id``.
            WrongPassword: the password is wrong.
        """
        return unwrap(self._slot_for(staff_id), password)

    def _slot_for(self, staff_id: int | str) -> Slot:
        slot = self._slots.get(str(staff_id))
        if slot is None:
            raise UserError(
                "No password has been set on this PC for that person.",
                advice="Ask an admin to set one, or use the recovery key.",
            )
        return slot

    def open_slot(self, staff_id: int | str, password: str) -> SlotKeys:
        """Everything ``staff_id``'s slot holds, admin and practitioner keys only if genuine.

        Raises:
            UserError: there is no slot for ``staff_id``.
            WrongPassword: the password is wrong.
        """
        return self.genuine(unwrap_all(self._slot_for(staff_id), password))

    def failures(self, staff_id: int | str) -> tuple[int, datetime | None]:
        """(wrong passwords in a row, when the last was typed) for this slot."""
        count, last = self._failed.get(str(staff_id), (0, None))
        return count, last

    def set_failures(self, staff_id: int | str, count: int, last: datetime | None) -> None:
        """Remember a run of wrong passwords (``count`` 0 forgets it); ``save()`` keeps it."""
        if count and last is not None:
            self._failed[str(staff_id)] = (count, last)
        else:
            self._failed.pop(str(staff_id), None)

    def needs_rewrap(self, staff_id: int | str) -> bool:
        slot = self._slots.get(str(staff_id))
        return slot is not None and needs_rewrap(slot, self.kdf)
