"""Encryption at rest: sqlite-utils on SQLCipher, keys that do not fit, backups, conversion."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils.db
import sqlite_utils.utils
from sqlite_utils import Database

from exodesk.errors import StorageError
from exodesk.paths import DataPaths
from exodesk.storage import encryption as conversion
from exodesk.storage import engine
from exodesk.storage.backup import (
    CopyNotVerified,
    backup_database,
    copy_file,
    inspect_copy,
    settle,
)
from exodesk.storage.database import (
    APPLICATION_ID,
    DataFileDamaged,
    NotEncrypted,
    WrongKey,
    is_encrypted,
    looks_encrypted,
    open_database,
)
from exodesk.storage.encryption import encrypt_data_file, plain_backups
from exodesk.storage.keys import new_data_key, parse_recovery_key, recovery_key_text
from exodesk.storage.migrations import (
    MIGRATION_NAMES,
    latest_schema_version,
    migrate,
    schema_state,
)

DATA = Path(__file__).resolve().parent.parent / "data"
CANARY = "Quennell Zyzzyva"
KEY = bytes(range(1, 33))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _holds(path: Path, text: str = "Zyzzyva") -> bool:
    data = path.read_bytes()
    return text.encode("utf-8") in data or text.encode("utf-16-le") in data


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def encrypted(tmp_path: Path) -> Iterator[Path]:
    """A migrated encrypted data file holding the canary in a table, closed."""
    path = tmp_path / "exodesk.sqlite3"
    db = open_database(path, create=True, key=KEY)
    migrate(db)
    db["canary"].insert({"id": 1, "name": CANARY}, pk="id")
    db.close()
    yield path


# ---- the engine --------------------------------------------------------------------------
def test_sqlite_utils_uses_sqlcipher_and_catches_its_errors() -> None:
    assert sqlite_utils.utils.sqlite3 is engine.sqlite3
    assert sqlite_utils.db.sqlite3 is engine.sqlite3
    assert sqlite_utils.db.OperationalError is engine.sqlite3.OperationalError
    assert sqlite_utils.utils.OperationalError is engine.sqlite3.OperationalError
    conn = engine.connect(":memory:")
    assert conn.execute("PRAGMA cipher_version").fetchone()[0].startswith("4.")
    assert "ENABLE_FTS5" in {r[0] for r in conn.execute("PRAGMA compile_options")}
    conn.close()


def test_a_connection_never_shows_its_key() -> None:
    conn = engine.connect(":memory:", key=KEY)
    assert KEY.hex() not in repr(conn) and "encrypted" in repr(conn)
    assert engine.connection_key(conn) == KEY
    conn.close()
    with pytest.raises(ValueError, match="32 bytes"):
        engine.connect(":memory:", key=b"short")


@pytest.mark.parametrize("key", [None, KEY], ids=["plain", "encrypted"])
def test_temp_files_stay_in_memory_on_every_connection(tmp_path: Path, key: bytes | None) -> None:
    db = open_database(tmp_path / "t.sqlite3", create=True, key=key)
    assert db.execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY
    db.close()


def test_the_operations_we_use_work_on_an_encrypted_file(tmp_path: Path) -> None:
    path = tmp_path / "ops.sqlite3"
    db = open_database(path, create=True, key=KEY)
    # create, insert, upsert
    db["people"].create({"id": int, "name": str, "town": str}, pk="id")
    db["people"].insert_all([{"id": 1, "name": CANARY, "town": "Ely"}, {"id": 2, "name": "Bo"}])
    db["people"].upsert({"id": 2, "name": "Bo Peep", "town": "Ware"}, pk="id")
    db["visits"].insert(
        {"id": 1, "person": 1, "note": "first"}, pk="id", foreign_keys=[("person", "people")]
    )
    # transform (the table rebuilt: sqlite-utils catches OperationalError on the way)
    db["people"].transform(types={"town": str}, rename={"town": "home_town"}, not_null={"name"})
    assert db["people"].columns_dict == {"id": int, "name": str, "home_town": str}
    assert db["people"].get(2) == {"id": 2, "name": "Bo Peep", "home_town": "Ware"}
    # FTS5 search
    db["people"].enable_fts(["name"], fts_version="FTS5", create_triggers=True)
    db["people"].insert({"id": 3, "name": "Zara Zyzzyva"})
    found = [r["id"] for r in db["people"].search("zyzzyva")]
    assert sorted(found) == [1, 3]
    # every ExoDesk migration
    state = migrate(db)
    assert state.applied == tuple(MIGRATION_NAMES) and not state.pending
    assert db.execute("PRAGMA user_version").fetchone()[0] == latest_schema_version()
    # sqlite-utils' own error handling sees sqlcipher's errors
    with pytest.raises(engine.sqlite3.OperationalError):
        db.execute("SELECT nope FROM people")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    assert is_encrypted(path) and not _holds(path, CANARY)
    again = open_database(path, key=KEY)
    assert again["people"].get(1)["name"] == CANARY
    assert again.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert again.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    again.close()


def test_the_wal_of_an_encrypted_file_holds_no_names(tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite3"
    db = open_database(path, create=True, key=KEY)
    db.execute("PRAGMA wal_autocheckpoint = 0")
    db["t"].insert({"name": CANARY})
    wal = path.with_name(path.name + "-wal")
    assert wal.stat().st_size > 0
    for file in (path, wal, path.with_name(path.name + "-shm")):
        assert not _holds(file), file
    db.close()


# ---- keys that do not fit ------------------------------------------------------------------
def test_a_wrong_key_is_refused_plainly_and_changes_nothing(encrypted: Path) -> None:
    before, names = _sha(encrypted), _names(encrypted.parent)
    for read_only in (False, True):
        with pytest.raises(WrongKey, match="does not open it") as info:
            open_database(encrypted, key=new_data_key(), read_only=read_only)
        assert "nothing was changed" in info.value.message
    assert _sha(encrypted) == before and _names(encrypted.parent) == names


def test_a_wrong_recovery_key_is_refused_and_changes_nothing(encrypted: Path) -> None:
    before = _sha(encrypted)
    wrong = parse_recovery_key(recovery_key_text(new_data_key()))  # valid, another clinic's
    with pytest.raises(WrongKey):
        open_database(encrypted, key=wrong)
    assert _sha(encrypted) == before


def test_an_encrypted_file_without_a_key_asks_for_one(encrypted: Path) -> None:
    before = _sha(encrypted)
    with pytest.raises(WrongKey, match="opens only with a password or the recovery key"):
        open_database(encrypted)
    assert _sha(encrypted) == before
    assert not isinstance(WrongKey("x"), DataFileDamaged)


def test_a_plain_file_with_a_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plain.sqlite3"
    open_database(path, create=True).close()
    before = _sha(path)
    with pytest.raises(NotEncrypted, match="not encrypted"):
        open_database(path, key=KEY)
    assert _sha(path) == before


@pytest.mark.parametrize("key", [None, KEY], ids=["no key", "key"])
def test_a_file_that_is_not_a_database_still_says_so(tmp_path: Path, key: bytes | None) -> None:
    path = tmp_path / "junk.sqlite3"
    path.write_text("not a database, just some text\n" * 200)
    with pytest.raises(DataFileDamaged, match="not a database at all"):
        open_database(path, key=key)
    path.write_bytes(bytes(8192))  # zeroed out
    with pytest.raises(DataFileDamaged, match="not a database at all"):
        open_database(path, key=key)


def test_is_encrypted_reads_only_the_start_of_the_file(encrypted: Path, tmp_path: Path) -> None:
    assert is_encrypted(encrypted)
    plain = tmp_path / "p.sqlite3"
    open_database(plain, create=True).close()
    assert not is_encrypted(plain)
    assert not is_encrypted(tmp_path / "missing.sqlite3")
    (tmp_path / "empty").write_bytes(b"")
    assert not is_encrypted(tmp_path / "empty")
    assert looks_encrypted(os.urandom(1024), 4096)
    assert not looks_encrypted(os.urandom(1024), 4000)  # not whole pages
    assert not looks_encrypted(b"SQLite format 3\x00" + os.urandom(1008), 4096)


# ---- backups -------------------------------------------------------------------------------
def test_a_backup_of_an_encrypted_file_is_encrypted_with_the_same_key(
    encrypted: Path, tmp_path: Path
) -> None:
    db = open_database(encrypted, key=KEY)
    target = backup_database(db, tmp_path / "backups" / "b.sqlite3")
    db.close()
    assert is_encrypted(target) and not _holds(target, CANARY)
    facts = inspect_copy(target, key=KEY)
    assert facts.tables["canary"].rows == 1
    before = _sha(target)
    with pytest.raises(WrongKey, match="backup is encrypted"):
        inspect_copy(target)
    with pytest.raises(WrongKey, match="does not open it"):
        inspect_copy(target, key=new_data_key())
    assert _sha(target) == before


def test_the_recovery_key_alone_opens_a_backup(encrypted: Path, tmp_path: Path) -> None:
    db = open_database(encrypted, key=KEY)
    target = backup_database(db, tmp_path / "elsewhere" / "b.sqlite3")
    db.close()
    printed = recovery_key_text(KEY)
    del db
    # Another PC: no keyring, no password, only the sheet from the safe.
    key = parse_recovery_key(printed.lower().replace("-", " "))
    copy = open_database(target, key=key, read_only=True)
    assert copy["canary"].get(1)["name"] == CANARY
    copy.close()
    copied = copy_file(target, tmp_path / "copy.sqlite3", key=key)
    assert copied.tables["canary"].rows == 1 and is_encrypted(copied.path)


def test_sqlcipher_refuses_to_copy_encrypted_pages_into_a_plain_file(
    encrypted: Path, tmp_path: Path
) -> None:
    source = engine.connect(str(encrypted), key=KEY)
    dest = engine.connect(str(tmp_path / "plain.sqlite3"))
    with pytest.raises(engine.sqlite3.Error):
        source.backup(dest)
    source.close()
    dest.close()
    assert not _holds(tmp_path / "plain.sqlite3", CANARY)


def test_settle_never_takes_a_wrong_key_for_damage(encrypted: Path) -> None:
    before = _sha(encrypted)
    with pytest.raises(WrongKey):
        settle(encrypted, key=new_data_key())
    with pytest.raises(WrongKey):
        settle(encrypted)
    assert _sha(encrypted) == before
    assert settle(encrypted, key=KEY)


# ---- converting a plain file -----------------------------------------------------------------
def _plain_clinic(folder: Path) -> DataPaths:
    paths = DataPaths(folder)
    folder.mkdir(parents=True, exist_ok=True)
    db = open_database(paths.data_file, create=True)
    migrate(db)
    db["canary"].insert({"id": 1, "name": CANARY}, pk="id")
    db.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER)")
    db.execute("INSERT INTO counter (n) VALUES (1), (2), (3)")
    db.execute("DELETE FROM counter WHERE n = 3")
    db.conn.commit()
    db.close()
    return paths


def test_a_plain_file_is_encrypted_once_backed_up_first(tmp_path: Path) -> None:
    paths = _plain_clinic(tmp_path / "clinic")
    plain_before = open_database(paths.data_file)
    expected_version = plain_before.execute("PRAGMA user_version").fetchone()[0]
    plain_before.close()
    assert _holds(paths.data_file, CANARY)
    seen: list[float] = []
    result = encrypt_data_file(
        paths.data_file, KEY, backups_dir=paths.backups, progress=seen.append
    )
    # progress: from 0 to 1, never backwards, at least once per stage
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen) and len(seen) >= 5
    assert is_encrypted(paths.data_file) and not _holds(paths.data_file, CANARY)
    assert _names(paths.folder) == ["backups", "exodesk.sqlite3", "exodesk.sqlite3.lock"]
    # the plain copy made first opens without a key and holds everything
    assert result.backup.name.startswith("before-encryption-")
    assert plain_backups(paths.backups) == [result.backup]
    assert inspect_copy(result.backup).tables["canary"].rows == 1
    db = open_database(paths.data_file, key=KEY)
    # user_version and application_id are not exported by sqlcipher_export: copied by hand
    assert db.execute("PRAGMA user_version").fetchone()[0] == expected_version
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert schema_state(db).pending == ()
    assert db.execute("SELECT seq FROM sqlite_sequence WHERE name='counter'").fetchone()[0] == 3
    assert db["canary"].get(1)["name"] == CANARY
    assert result.tables["canary"].rows == 1 and result.rows > 0
    db.close()


def test_a_converted_old_file_migrates_with_an_encrypted_backup(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path / "clinic")
    paths.folder.mkdir(parents=True)
    shutil.copyfile(DATA / "schema-v1.sqlite3", paths.data_file)
    encrypt_data_file(paths.data_file, KEY, backups_dir=paths.backups)
    db = open_database(paths.data_file, key=KEY)
    assert schema_state(db).version == 1
    migrate(db, backups_dir=paths.backups)
    db.close()
    [before_migration] = paths.backups.glob("before-migration-*.sqlite3")
    assert is_encrypted(before_migration)
    assert inspect_copy(before_migration, key=KEY).user_version == 1


def _fault(*_args: object, **_kwargs: object) -> None:
    raise CopyNotVerified("The encrypted copy did not verify (injected).")


@pytest.mark.parametrize("stage", ["export", "verify", "install"])
def test_a_failed_conversion_leaves_the_original_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    paths = _plain_clinic(tmp_path / "clinic")
    before = _sha(paths.data_file)
    if stage == "export":
        monkeypatch.setattr(conversion, "export_encrypted", _fault)
    elif stage == "verify":
        # A copy that is not what the file holds: one table's checksum differs.
        real = conversion.measure
        calls: list[int] = []

        def measure_differently(conn: engine.Connection, schema: str = "main"):  # type: ignore[no-untyped-def]
            measures = real(conn, schema)
            calls.append(1)
            if len(calls) == 2:
                measures.tables["canary"] = measures.tables["canary"].__class__(1, "0" * 64)
            return measures

        monkeypatch.setattr(conversion, "measure", measure_differently)
    else:
        monkeypatch.setattr(conversion, "install", _fault)
    with pytest.raises(CopyNotVerified):
        encrypt_data_file(paths.data_file, KEY, backups_dir=paths.backups)
    assert _sha(paths.data_file) == before and not is_encrypted(paths.data_file)
    assert _names(paths.folder) == ["backups", "exodesk.sqlite3", "exodesk.sqlite3.lock"]
    db = open_database(paths.data_file)
    assert db["canary"].get(1)["name"] == CANARY
    db.close()


def test_an_encrypted_file_is_not_converted_again(encrypted: Path, tmp_path: Path) -> None:
    before = _sha(encrypted)
    with pytest.raises(StorageError, match="already encrypted"):
        encrypt_data_file(encrypted, KEY, backups_dir=tmp_path / "b")
    assert _sha(encrypted) == before


def test_a_file_open_elsewhere_is_not_converted(tmp_path: Path) -> None:
    paths = _plain_clinic(tmp_path / "clinic")
    other = open_database(paths.data_file)
    try:
        other.execute("SELECT count(*) FROM canary").fetchone()
        with pytest.raises(StorageError, match="open in another ExoDesk"):
            encrypt_data_file(paths.data_file, KEY, backups_dir=paths.backups, lock=False)
    finally:
        other.close()
    assert not is_encrypted(paths.data_file)
    assert not list(paths.folder.glob("*.encrypting*"))


def test_database_wrapper_keeps_the_key_for_copies(encrypted: Path) -> None:
    db = open_database(encrypted, key=KEY)
    assert isinstance(db, Database) and engine.connection_key(db.conn) == KEY
    db.close()
