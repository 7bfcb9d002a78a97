"""The keyring beside the data file, password slots, and the recovery key."""

from __future__ import annotations

import hashlib
import json
import logging
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exodesk.errors import StorageError, UserError
from exodesk.paths import DataPaths
from exodesk.services import encryption as enc
from exodesk.storage.database import WrongKey
from exodesk.storage.keys import (
    RECOVERY_KEY_CHARS,
    KdfParams,
    Keyring,
    RecoveryKeyTypo,
    WrongPassword,
    key_id,
    needs_rewrap,
    new_data_key,
    parse_recovery_key,
    recovery_key_text,
    unwrap,
    wrap,
)

TINY = KdfParams(time_cost=1, memory_cost=8, parallelism=1)
KEY = bytes(range(32))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---- the recovery key --------------------------------------------------------------------
def test_the_recovery_key_is_14_groups_of_four_with_a_checksum_group() -> None:
    text = recovery_key_text(KEY)
    groups = text.split("-")
    assert len(groups) == 14 and all(len(g) == 4 for g in groups)
    assert set(text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567-")
    assert len(text.replace("-", "")) == RECOVERY_KEY_CHARS
    assert parse_recovery_key(text) == KEY


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=32, max_size=32))
def test_any_data_key_survives_the_recovery_key(data_key: bytes) -> None:
    assert parse_recovery_key(recovery_key_text(data_key)) == data_key


def test_spaces_dashes_case_and_lookalike_digits_do_not_matter() -> None:
    text = recovery_key_text(KEY)
    assert parse_recovery_key(text.lower()) == KEY
    assert parse_recovery_key(text.replace("-", " ")) == KEY
    assert parse_recovery_key(text.replace("-", "")) == KEY
    assert parse_recovery_key("  " + text.replace("-", " - ") + "\n") == KEY
    typed = text.replace("O", "0").replace("I", "1").replace("B", "8")
    assert parse_recovery_key(typed) == KEY


def test_every_single_mistyped_character_is_caught() -> None:
    text = recovery_key_text(KEY).replace("-", "")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    tried = 0
    for i, char in enumerate(text):
        for other in alphabet:
            if other == char:
                continue
            typo = text[:i] + other + text[i + 1 :]
            with pytest.raises(RecoveryKeyTypo, match="typing mistake"):
                parse_recovery_key(typo)
            tried += 1
    assert tried == RECOVERY_KEY_CHARS * 31


def test_swapped_groups_are_caught() -> None:
    groups = recovery_key_text(KEY).split("-")
    groups[2], groups[3] = groups[3], groups[2]
    with pytest.raises(RecoveryKeyTypo):
        parse_recovery_key("-".join(groups))


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "has 0"),
        ("ABCD-EFGH", "has 8"),
        ("X" * 60, "has 60"),
        ("9" * RECOVERY_KEY_CHARS, "cannot be in one"),
    ],
)
def test_something_that_is_not_a_recovery_key_is_refused_plainly(typed: str, message: str) -> None:
    with pytest.raises(RecoveryKeyTypo, match=message) as info:
        parse_recovery_key(typed)
    assert info.value.field == "recovery_key"
    assert isinstance(info.value, UserError)


# ---- wrapping ----------------------------------------------------------------------------
def test_a_slot_unwraps_with_its_password_only() -> None:
    slot = wrap("3", "Ada Admin", "correct horse", KEY, TINY)
    assert unwrap(slot, "correct horse") == KEY
    with pytest.raises(WrongPassword, match="not right for Ada Admin"):
        unwrap(slot, "Correct horse")
    assert slot.wrapped != KEY and len(slot.salt) == 16


def test_each_wrap_uses_a_fresh_salt() -> None:
    a, b = wrap("1", "A", "pw", KEY, TINY), wrap("1", "A", "pw", KEY, TINY)
    assert a.salt != b.salt and a.wrapped != b.wrapped


@pytest.mark.parametrize("field", ["slot_id", "kdf", "salt", "wrapped", "mac"])
def test_an_edited_or_moved_slot_is_refused_not_unwrapped_into_a_wrong_key(field: str) -> None:
    slot = wrap("3", "Ada Admin", "pw", KEY, TINY)
    changed = {
        "slot_id": "4",  # copied onto another person
        "kdf": replace(TINY, time_cost=2),
        "salt": bytes(16),
        "wrapped": bytes(a ^ 1 for a in slot.wrapped),
        "mac": bytes(32),
    }[field]
    with pytest.raises(WrongPassword):
        unwrap(replace(slot, **{field: changed}), "pw")


def test_the_label_is_only_shown_so_it_is_not_sealed() -> None:
    slot = wrap("3", "Ada Admin", "pw", KEY, TINY)
    assert unwrap(replace(slot, label="Ada Smith"), "pw") == KEY


def test_composed_and_decomposed_accents_are_the_same_password() -> None:
    slot = wrap("1", "Zoë", unicodedata.normalize("NFC", "café"), KEY, TINY)
    assert unwrap(slot, unicodedata.normalize("NFD", "café")) == KEY


def test_slots_made_with_other_parameters_need_rewrapping() -> None:
    slot = wrap("1", "A", "pw", KEY, TINY)
    assert not needs_rewrap(slot, TINY)
    assert needs_rewrap(slot, replace(TINY, memory_cost=16))


# ---- the keyring file --------------------------------------------------------------------
def test_the_keyring_round_trips_and_holds_nothing_secret(tmp_path: Path) -> None:
    path = tmp_path / "exodesk.keys"
    ring = Keyring(path, kdf=TINY)
    ring.add_or_replace_slot(1, "Ada Admin", "ada's secret", KEY)
    ring.add_or_replace_slot("2", "Ben Whitaker", "ben's secret", KEY)
    ring.save()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exodesk.keys"]  # no .partial left
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["format"] == 1 and set(data["slots"]) == {"1", "2"}
    assert set(data["slots"]["1"]) == {"label", "kdf", "salt", "wrapped", "mac"}
    assert data["slots"]["1"]["kdf"]["type"] == "argon2id"
    for secret in ("ada's secret", "ben's secret", KEY.hex(), recovery_key_text(KEY)):
        assert secret not in text
    loaded = Keyring.load(path, kdf=TINY)
    assert loaded.slots() == [("1", "Ada Admin"), ("2", "Ben Whitaker")]
    assert loaded.unlock(2, "ben's secret") == KEY
    with pytest.raises(WrongPassword):
        loaded.unlock(1, "ben's secret")
    with pytest.raises(UserError, match="No password has been set"):
        loaded.unlock(9, "x")


def test_a_missing_keyring_is_empty(tmp_path: Path) -> None:
    ring = Keyring.load(tmp_path / "none.keys")
    assert ring.slots() == [] and len(ring) == 0


def test_removing_a_slot_stops_that_password(tmp_path: Path) -> None:
    ring = Keyring(tmp_path / "k", kdf=TINY)
    ring.add_or_replace_slot(1, "A", "a", KEY)
    ring.add_or_replace_slot(2, "B", "b", KEY)
    assert ring.remove_slot(2) and not ring.remove_slot(2)
    ring.save()
    loaded = Keyring.load(tmp_path / "k", kdf=TINY)
    assert 2 not in loaded and 1 in loaded
    with pytest.raises(UserError):
        loaded.unlock(2, "b")


def test_a_slot_for_another_data_key_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    path = tmp_path / "k"
    ring = Keyring(path, kdf=TINY)
    ring.add_or_replace_slot(1, "A", "a", KEY)
    ring.save()
    before = _sha(path)
    loaded = Keyring.load(path, kdf=TINY)
    with pytest.raises(WrongKey, match="another ExoDesk data file"):
        loaded.add_or_replace_slot(2, "B", "b", new_data_key())
    assert 2 not in loaded and _sha(path) == before
    assert loaded.key_id == key_id(KEY)


def test_an_empty_password_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="cannot be empty"):
        Keyring(tmp_path / "k", kdf=TINY).add_or_replace_slot(1, "A", "", KEY)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{not json",
        b'{"format": 1}',
        b'{"format": 1, "slots": {"1": {"label": "A"}}}',
        b'{"format": 1, "slots": {"1": {"label": "A", "kdf": {"type": "scrypt"}}}}',
        "\u00ff".encode("latin-1"),
    ],
)
def test_a_damaged_keyring_points_to_the_recovery_key(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "exodesk.keys"
    path.write_bytes(content)
    with pytest.raises(StorageError, match="damaged") as info:
        Keyring.load(path)
    assert "recovery key" in info.value.advice


def test_a_keyring_from_a_newer_exodesk_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "exodesk.keys"
    path.write_text('{"format": 99, "slots": {}}', encoding="utf-8")
    with pytest.raises(StorageError, match="newer ExoDesk"):
        Keyring.load(path)


def test_the_keyring_lives_beside_the_data_file(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path)
    assert paths.keyring == paths.data_file.with_name("exodesk.keys")


# ---- the service-level calls the launcher makes --------------------------------------------
def test_unlock_set_and_remove_through_the_service_calls(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path)
    data_key, recovery = enc.new_clinic_key()
    assert enc.unlock_with_recovery_key(paths, recovery) == data_key  # no keyring yet
    enc.set_password(paths, 1, "Ada Admin", "ada pw", data_key, kdf=TINY)
    enc.set_password(paths, 2, "Ben", "ben pw", data_key, kdf=TINY)
    assert enc.sign_in_choices(paths) == [(1, "Ada Admin"), (2, "Ben")]
    assert enc.unlock(paths, 1, "ada pw", kdf=TINY) == data_key
    with pytest.raises(WrongPassword):
        enc.unlock(paths, 1, "ben pw", kdf=TINY)
    assert enc.unlock_with_recovery_key(paths, recovery.lower().replace("-", " ")) == data_key
    other = recovery_key_text(new_data_key())
    before = _sha(paths.keyring)
    with pytest.raises(WrongKey, match="another ExoDesk data file"):
        enc.unlock_with_recovery_key(paths, other)
    assert _sha(paths.keyring) == before
    assert enc.remove_password(paths, 2) and enc.sign_in_choices(paths) == [(1, "Ada Admin")]


def test_a_slot_with_old_parameters_is_rewrapped_at_unlock(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path)
    enc.set_password(paths, 1, "Ada", "pw", KEY, kdf=TINY)
    stronger = replace(TINY, time_cost=2)
    assert enc.unlock(paths, 1, "pw", kdf=stronger) == KEY
    slot = Keyring.load(paths.keyring).slot(1)
    assert slot is not None and slot.kdf == stronger
    assert enc.unlock(paths, 1, "pw", kdf=stronger) == KEY


def test_the_default_parameters_are_rfc_9106s_second_recommendation() -> None:
    assert KdfParams() == KdfParams(time_cost=3, memory_cost=65536, parallelism=4)


def test_nothing_secret_is_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    paths = DataPaths(tmp_path)
    data_key, recovery = enc.new_clinic_key()
    enc.set_password(paths, 1, "Ada", "hunter2-secret", data_key, kdf=TINY)
    enc.unlock(paths, 1, "hunter2-secret", kdf=TINY)
    with pytest.raises(WrongPassword):
        enc.unlock(paths, 1, "wrong-secret", kdf=TINY)
    enc.unlock_with_recovery_key(paths, recovery)
    logged = caplog.text
    for secret in ("hunter2-secret", "wrong-secret", data_key.hex(), recovery):
        assert secret not in logged


def test_a_renamed_person_keeps_their_password(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path)
    enc.set_password(paths, 1, "Ada Admin", "pw", KEY, kdf=TINY)
    enc.rename_password_owner(paths, 1, "Ada Smith")
    enc.rename_password_owner(paths, 7, "Nobody")  # no slot: nothing to do
    assert enc.sign_in_choices(paths) == [(1, "Ada Smith")]
    assert enc.unlock(paths, 1, "pw", kdf=TINY) == KEY
