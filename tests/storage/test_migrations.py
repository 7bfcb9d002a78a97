"""Migrations: a fresh file, the schema snapshot, upgrading an old file, refusing a newer one."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from exodesk.errors import StorageError
from exodesk.paths import DataPaths
from exodesk.services.audit import AuditService
from exodesk.services.workspace import open_services
from exodesk.storage.database import open_database
from exodesk.storage.migrations import (
    ALLERGENS_0007,
    MIGRATION_NAMES,
    latest_schema_version,
    migrate,
    schema_state,
)

DATA = Path(__file__).resolve().parent.parent / "data"


def _copy_fixture(name: str, folder: Path) -> DataPaths:
    paths = DataPaths(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(DATA / name, paths.data_file)
    return paths


def test_a_fresh_file_gets_every_migration(tmp_path: Path) -> None:
    db = open_database(tmp_path / "new.sqlite3", create=True)
    state = migrate(db)
    assert state.applied == tuple(MIGRATION_NAMES)
    assert state.pending == ()
    assert db.execute("PRAGMA user_version").fetchone()[0] == latest_schema_version()
    db.close()


def test_migration_names_are_frozen_and_ordered() -> None:
    # Append-only: a landed name never changes, and numbering shows the order.
    assert MIGRATION_NAMES[0] == "0001_foundation"
    assert len(set(MIGRATION_NAMES)) == len(MIGRATION_NAMES)
    assert sorted(MIGRATION_NAMES) == MIGRATION_NAMES


def test_schema_matches_the_committed_snapshot(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(DATA))
    from make_fixtures import schema_sql  # type: ignore[import-not-found]

    db = open_database(tmp_path / "s.sqlite3", create=True)
    migrate(db)
    expected = (DATA / "schema.sql").read_text(encoding="utf-8")
    assert schema_sql(db.conn) == expected, (
        "The schema changed. Add a migration (never edit a landed one), then run "
        "`python tests/data/make_fixtures.py --schema` and commit tests/data/schema.sql."
    )
    db.close()


def test_an_old_file_upgrades_and_keeps_its_data(tmp_path: Path) -> None:
    paths = _copy_fixture("schema-v1.sqlite3", tmp_path / "clinic")
    svc = open_services(paths)
    try:
        assert schema_state(svc.ctx.db).version == latest_schema_version()
        # The first release's admin role became reception with the admin flag (0006_accounts),
        # with no password yet: as the only admin, they choose the clinic's first one.
        [admin] = svc.clinic.staff()
        assert (admin.name, admin.role, admin.is_admin) == ("Ada Admin", "reception", True)
        assert not svc.accounts.has_passwords()
        assert svc.accounts.may_set_first_password(admin.id)
        svc.accounts.sign_in(admin.id, "Ada's first password")
        names = {p.family_name for p in svc.patients.search("").rows}
        assert names == {"O'Brien-Łukasz", "李", "Smith"}
        smith = svc.patients.search("smith").rows[0]
        assert smith.notes == "x" * 10_000
        assert svc.check() == []
    finally:
        svc.close()
    if latest_schema_version() > 1:
        backups = list(paths.backups.glob("before-migration-schema1-*.sqlite3"))
        assert len(backups) == 1, "an existing file is backed up before it is migrated"
        conn = sqlite3.connect(backups[0])
        assert conn.execute("SELECT count(*) FROM patients").fetchone()[0] == 3
        conn.close()


def test_a_file_from_a_newer_version_is_refused_and_never_touched(tmp_path: Path) -> None:
    paths = _copy_fixture("newer-version.sqlite3", tmp_path / "clinic")
    before = hashlib.sha256(paths.data_file.read_bytes()).hexdigest()
    with pytest.raises(StorageError, match="newer version of ExoDesk") as info:
        open_services(paths)
    assert "Install the newer ExoDesk" in info.value.advice
    assert hashlib.sha256(paths.data_file.read_bytes()).hexdigest() == before
    assert not paths.backups.exists()
    assert sorted(p.name for p in paths.folder.iterdir()) == ["exodesk.sqlite3"]


def test_a_failed_migration_leaves_the_file_as_it_was(tmp_path: Path, monkeypatch) -> None:
    from exodesk.storage import migrations

    db = open_database(tmp_path / "m.sqlite3", create=True)
    migrate(db)

    def broken(database) -> None:
        database.execute("CREATE TABLE half_done (id INTEGER)")
        raise RuntimeError("boom")

    monkeypatch.setattr(migrations, "MIGRATION_NAMES", [*MIGRATION_NAMES, "9000_broken"])
    migrations.MIGRATIONS(name="9000_broken")(broken)
    try:
        with pytest.raises(RuntimeError, match="boom"):
            migrate(db)
        assert not db["half_done"].exists()
        assert "9000_broken" not in schema_state(db).applied
    finally:
        migrations.MIGRATIONS._migrations.pop()
        db.close()


def test_admin_is_a_flag_not_a_role_from_0006(tmp_path: Path) -> None:
    db = open_database(tmp_path / "s.sqlite3", create=True)
    try:
        migrate(db)
        db.execute(
            "INSERT INTO staff (name, role, is_admin, created_at) "
            "VALUES ('Ada', 'reception', 1, 'x')"
        )
        for sql in (
            "INSERT INTO staff (name, role, created_at) VALUES ('Old', 'admin', 'x')",
            "UPDATE staff SET role = 'admin' WHERE name = 'Ada'",
        ):
            with pytest.raises(db.conn.IntegrityError, match="reception or practitioner"):
                db.execute(sql)
    finally:
        db.close()


def test_old_free_text_alerts_become_structured_allergies(tmp_path: Path) -> None:
    """0007 on a file from before structured allergies: an alert that names a listed substance
    in an allergy becomes an allergy recorded by "migration" (audited); the rest stays text."""
    paths = _copy_fixture("schema-v6-alerts.sqlite3", tmp_path / "clinic")
    svc = open_services(paths)
    try:
        [dr] = svc.clinic.staff()
        svc.accounts.sign_in(dr.id, "Dr Okafor's first password")
        by_name = {p.family_name: p for p in svc.patients.search("").rows}

        def allergies(family: str) -> list[tuple[str, str, str, str]]:
            return [
                (a.substance, a.severity, a.recorded_by, a.source)
                for a in svc.allergies.summary(by_name[family].id).allergies
            ]

        migrated = [("Lidocaine", "unknown", "migration", "migration")]
        assert allergies("Kelly") == migrated
        assert by_name["Kelly"].alerts == ""
        assert allergies("Walsh") == migrated  # "Lignocaine allergy" is lidocaine
        assert by_name["Walsh"].alerts == "needle-phobic: allow extra time"
        assert [a[0] for a in allergies("Evans")] == ["Nickel", "Chlorhexidine"]
        assert by_name["Evans"].alerts == "Prefers female practitioner"
        assert allergies("Papadopoulos") == [("Latex", "unknown", "migration", "migration")]
        # Kept as typed, and no allergy made up: the alert is read by a person as before.
        for family, alert in (
            ("Hughes", "Needle-phobic: allow extra time"),
            ("Rossi", "No allergy to latex (patch tested 2025)"),
            ("Nowak", "Latex-free gloves please"),
            ("Begum", "Allergy: strawberries"),
        ):
            assert allergies(family) == [], family
            assert by_name[family].alerts == alert
            assert svc.allergies.summary(by_name[family].id).state == "not_recorded"
        [kelly] = svc.allergies.summary(by_name["Kelly"].id).allergies
        assert kelly.note == "From the alert “Allergy: lidocaine”."
        assert kelly.recorded_at is not None
        assert abs((kelly.recorded_at - datetime.now(UTC)).total_seconds()) < 120
        # Every change is in the audit trail, by "migration", and the chain is whole.
        entries = svc.ctx.db.execute(
            "SELECT actor_name, action, table_name, summary FROM audit_log "
            "WHERE actor_name = 'migration' ORDER BY id"
        ).fetchall()
        assert ("migration", "create", "patient_allergies") in {e[:3] for e in entries}
        assert (
            "migration",
            "update",
            "patients",
            "Alerts: allergies moved to the allergy list",
        ) in entries
        assert len(entries) == 5 + 4  # five allergies, four patients' alerts
        assert AuditService(svc.ctx).verify().ok
        assert svc.check() == []
        # The old session and product read as before, with nothing allergic recorded.
        [olivia_session] = svc.sessions.sessions(by_name["Smith"].id)
        assert olivia_session.anaesthetic == "Lidocaine 5% cream"
        assert olivia_session.allergy_override_reason == ""
        assert olivia_session.allergy_conflicts == ()
        [lido] = svc.catalogue.products()
        assert (lido.ingredients, lido.allergen_ids, lido.allergens_recorded) == (
            "",
            frozenset(),
            False,
        )
        assert len(svc.allergies.allergens()) == len(ALLERGENS_0007)
    finally:
        svc.close()
    [backup] = paths.backups.glob("before-migration-schema6-*.sqlite3")
    conn = sqlite3.connect(backup)
    assert conn.execute("SELECT alerts FROM patients WHERE family_name = 'Kelly'").fetchone() == (
        "Allergy: lidocaine",
    )
    conn.close()


def test_0011_lets_the_issue_log_take_photo_sheets_and_keeps_every_row(tmp_path: Path) -> None:
    from exodesk.storage.migrations import MIGRATIONS

    db = open_database(tmp_path / "d.sqlite3", create=True)
    try:
        MIGRATIONS.apply(db, stop_before="0011_photo_sheets_issued")
        db.execute("INSERT INTO staff (name, role, created_at) VALUES ('Ada', 'practitioner', 'x')")
        row = (None, None, "aftercare", "prp", "2026.1", "{}", "ab", "printed", "t", 1)
        insert = (
            "INSERT INTO documents_issued (patient_id, session_id, kind, template, "
            "template_version, payload, sha256, how, issued_at, issued_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        )
        db.execute(insert, row)
        with pytest.raises(db.conn.IntegrityError, match="CHECK"):
            db.execute(insert, (*row[:2], "photo_progress", *row[3:]))
        migrate(db)
        db.execute(insert, (*row[:2], "photo_progress", *row[3:]))
        kept = db.execute("SELECT id, kind, template FROM documents_issued ORDER BY id").fetchall()
        assert kept == [(1, "aftercare", "prp"), (2, "photo_progress", "prp")]
        with pytest.raises(db.conn.IntegrityError, match="CHECK"):
            db.execute(insert, (*row[:2], "leaflet", *row[3:]))
        indexes = {r[1] for r in db.execute("PRAGMA index_list(documents_issued)")}
        assert {"documents_by_patient", "documents_by_session"} <= indexes
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        db.close()
