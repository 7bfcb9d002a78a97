"""The schema, as named append-only migrations. Never edit one that has landed: add another."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from exodesk.domain.allergies import MIGRATION, Allergen, split_alert
from exodesk.domain.audit import AuditEntry
from exodesk.errors import StorageError
from exodesk.storage.audit import AuditRepository, seal_existing_entries
from exodesk.storage.backup import backup_database
from exodesk.storage.database import RESTORE_ADVICE, DataFileDamaged, inserted_id, storage_errors

log = logging.getLogger(__name__)

MIGRATIONS = Migrations("exodesk")
MIGRATION_NAMES: list[str] = []


def _migration(name: str, *, transactional: bool = True) -> Callable:
    def register(fn: Callable[[Database], None]) -> Callable[[Database], None]:
        MIGRATION_NAMES.append(name)
        return MIGRATIONS(name=name, transactional=transactional)(fn)

    return register


def _run(db: Database, *statements: str) -> None:
    # One statement per execute: executescript() would COMMIT the migration's transaction.
    for statement in statements:
        db.execute(statement)


@_migration("0001_foundation")
def _foundation(db: Database) -> None:
    _run(
        db,
        """CREATE TABLE staff (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('reception', 'practitioner', 'admin')),
            active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )""",
        """CREATE TABLE patients (
            id INTEGER PRIMARY KEY,
            family_name TEXT NOT NULL,
            given_names TEXT NOT NULL,
            date_of_birth TEXT NOT NULL,
            sex TEXT NOT NULL,
            phone TEXT NOT NULL DEFAULT '',
            email TEXT NOT NULL DEFAULT '',
            address TEXT NOT NULL DEFAULT '',
            emergency_contact TEXT NOT NULL DEFAULT '',
            gp TEXT NOT NULL DEFAULT '',
            alerts TEXT NOT NULL DEFAULT '',
            notes TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'active'
                CHECK (status IN ('active', 'inactive', 'merged')),
            status_reason TEXT NOT NULL DEFAULT '',
            merged_into INTEGER REFERENCES patients(id),
            sort_key TEXT NOT NULL,
            search_names TEXT NOT NULL,
            search_phone TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            created_by INTEGER REFERENCES staff(id),
            updated_at TEXT NOT NULL,
            updated_by INTEGER REFERENCES staff(id)
        )""",
        "CREATE INDEX patients_by_status_sort ON patients(status, sort_key, id)",
        "CREATE INDEX patients_by_dob ON patients(date_of_birth, status)",
        """CREATE VIRTUAL TABLE patients_fts USING fts5(
            search_names, search_phone,
            content='patients', content_rowid='id',
            tokenize='unicode61 remove_diacritics 2', prefix='1 2 3'
        )""",
        """CREATE TRIGGER patients_fts_insert AFTER INSERT ON patients BEGIN
            INSERT INTO patients_fts(rowid, search_names, search_phone)
            VALUES (new.id, new.search_names, new.search_phone);
        END""",
        """CREATE TRIGGER patients_fts_delete AFTER DELETE ON patients BEGIN
            INSERT INTO patients_fts(patients_fts, rowid, search_names, search_phone)
            VALUES ('delete', old.id, old.search_names, old.search_phone);
        END""",
        """CREATE TRIGGER patients_fts_update AFTER UPDATE OF search_names, search_phone
        ON patients BEGIN
            INSERT INTO patients_fts(patients_fts, rowid, search_names, search_phone)
            VALUES ('delete', old.id, old.search_names, old.search_phone);
            INSERT INTO patients_fts(rowid, search_names, search_phone)
            VALUES (new.id, new.search_names, new.search_phone);
        END""",
        """CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor_id INTEGER REFERENCES staff(id),
            actor_name TEXT NOT NULL,
            action TEXT NOT NULL,
            table_name TEXT NOT NULL,
            record_id INTEGER,
            patient_id INTEGER REFERENCES patients(id),
            summary TEXT NOT NULL DEFAULT '',
            before TEXT,
            after TEXT
        )""",
        "CREATE INDEX audit_by_patient ON audit_log(patient_id, id)",
        "CREATE INDEX audit_by_actor ON audit_log(actor_id, id)",
        "CREATE INDEX audit_by_record ON audit_log(table_name, record_id, id)",
    )


@_migration("0002_intake_screening")
def _intake_screening(db: Database) -> None:
    _run(
        db,
        # series_id groups the versions of one screening (the first version's id); an amendment
        # is a new row pointing back at the one it replaces, which is kept as it was.
        """CREATE TABLE screenings (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER NOT NULL REFERENCES patients(id),
            series_id INTEGER REFERENCES screenings(id),
            version INTEGER NOT NULL,
            supersedes INTEGER REFERENCES screenings(id),
            superseded INTEGER NOT NULL DEFAULT 0 CHECK (superseded IN (0, 1)),
            amend_reason TEXT NOT NULL DEFAULT '',
            taken_on TEXT NOT NULL,
            taken_at TEXT NOT NULL,
            taken_by INTEGER NOT NULL REFERENCES staff(id),
            date_of_birth TEXT NOT NULL,
            rule_table_version TEXT NOT NULL,
            rule_overrides TEXT NOT NULL DEFAULT '',
            result TEXT NOT NULL
        )""",
        "CREATE INDEX screenings_by_patient ON screenings(patient_id, superseded, taken_at)",
        "CREATE INDEX screenings_by_series ON screenings(series_id, version)",
        """CREATE TABLE screening_answers (
            screening_id INTEGER NOT NULL REFERENCES screenings(id),
            item_id TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (screening_id, item_id)
        ) WITHOUT ROWID""",
        "CREATE INDEX screening_answers_by_item ON screening_answers(item_id, value)",
        """CREATE TABLE screening_verdicts (
            screening_id INTEGER NOT NULL REFERENCES screenings(id),
            treatment_id TEXT NOT NULL,
            verdict TEXT NOT NULL,
            until TEXT,
            PRIMARY KEY (screening_id, treatment_id)
        ) WITHOUT ROWID""",
        """CREATE TABLE screening_signoffs (
            id INTEGER PRIMARY KEY,
            screening_id INTEGER NOT NULL REFERENCES screenings(id),
            treatment_id TEXT NOT NULL,
            decision TEXT NOT NULL CHECK (decision IN ('cleared', 'not_cleared')),
            note TEXT NOT NULL DEFAULT '',
            signed_by INTEGER NOT NULL REFERENCES staff(id),
            signed_at TEXT NOT NULL
        )""",
        "CREATE INDEX signoffs_by_screening ON screening_signoffs(screening_id, id)",
        """CREATE TABLE screening_overrides (
            id INTEGER PRIMARY KEY,
            screening_id INTEGER NOT NULL REFERENCES screenings(id),
            treatment_id TEXT NOT NULL,
            verdict TEXT NOT NULL,
            reason TEXT NOT NULL,
            overridden_by INTEGER NOT NULL REFERENCES staff(id),
            overridden_at TEXT NOT NULL
        )""",
        "CREATE INDEX overrides_by_screening ON screening_overrides(screening_id, id)",
        """CREATE TABLE consent_texts (
            id INTEGER PRIMARY KEY,
            version INTEGER NOT NULL UNIQUE,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by INTEGER REFERENCES staff(id)
        )""",
        """CREATE TABLE consents (
            id INTEGER PRIMARY KEY,
            screening_id INTEGER NOT NULL REFERENCES screenings(id),
            consent_text_id INTEGER NOT NULL REFERENCES consent_texts(id),
            signed_name TEXT NOT NULL,
            signed_on TEXT NOT NULL,
            signature_png BLOB NOT NULL,
            recorded_by INTEGER NOT NULL REFERENCES staff(id),
            recorded_at TEXT NOT NULL
        )""",
        "CREATE INDEX consents_by_screening ON consents(screening_id, id)",
    )


@_migration("0003_sessions")
def _sessions(db: Database) -> None:
    _run(
        db,
        """CREATE TABLE products (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            manufacturer TEXT NOT NULL DEFAULT '',
            kind TEXT NOT NULL,
            source TEXT,
            intended_use TEXT NOT NULL,
            notes TEXT NOT NULL DEFAULT '',
            active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
            created_at TEXT NOT NULL
        )""",
        # lot_key is the lot number folded for search (case and spaces ignored), so a recall
        # typed as "ex 2207a" finds "EX-2207A" through an index.
        """CREATE TABLE lots (
            id INTEGER PRIMARY KEY,
            product_id INTEGER NOT NULL REFERENCES products(id),
            lot_number TEXT NOT NULL,
            lot_key TEXT NOT NULL,
            expiry TEXT NOT NULL,
            received_on TEXT,
            storage TEXT NOT NULL DEFAULT '',
            lab_reports TEXT NOT NULL DEFAULT '',
            notes TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            UNIQUE (product_id, lot_key)
        )""",
        "CREATE INDEX lots_by_key ON lots(lot_key)",
        """CREATE TABLE protocol_templates (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            label TEXT NOT NULL,
            indication TEXT NOT NULL,
            sessions_min INTEGER NOT NULL,
            sessions_max INTEGER NOT NULL,
            interval_min_days INTEGER NOT NULL,
            interval_max_days INTEGER NOT NULL,
            maintenance_min_months INTEGER NOT NULL,
            maintenance_max_months INTEGER NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        """CREATE TABLE courses (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER NOT NULL REFERENCES patients(id),
            treatment TEXT NOT NULL,
            indication TEXT NOT NULL,
            planned_sessions INTEGER NOT NULL,
            interval_min_days INTEGER NOT NULL,
            interval_max_days INTEGER NOT NULL,
            maintenance_min_months INTEGER NOT NULL,
            maintenance_max_months INTEGER NOT NULL,
            started_on TEXT NOT NULL,
            template_key TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'active'
                CHECK (status IN ('active', 'completed', 'stopped')),
            created_at TEXT NOT NULL,
            created_by INTEGER REFERENCES staff(id)
        )""",
        "CREATE INDEX courses_by_patient ON courses(patient_id, status)",
        """CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER NOT NULL REFERENCES patients(id),
            course_id INTEGER REFERENCES courses(id),
            series_id INTEGER REFERENCES sessions(id),
            version INTEGER NOT NULL DEFAULT 1,
            supersedes INTEGER REFERENCES sessions(id),
            status TEXT NOT NULL DEFAULT 'current'
                CHECK (status IN ('current', 'amended', 'entered_in_error')),
            status_reason TEXT NOT NULL DEFAULT '',
            performed_at TEXT NOT NULL,
            practitioner_id INTEGER NOT NULL REFERENCES staff(id),
            treatment TEXT NOT NULL,
            areas TEXT NOT NULL,
            indication TEXT NOT NULL,
            delivery TEXT NOT NULL,
            needle_depth_mm REAL,
            anaesthetic TEXT NOT NULL DEFAULT '',
            anaesthetic_minutes INTEGER,
            reactions TEXT NOT NULL DEFAULT '',
            aftercare_issued INTEGER NOT NULL DEFAULT 0,
            notes TEXT NOT NULL DEFAULT '',
            prp TEXT,
            screening_id INTEGER REFERENCES screenings(id),
            gate_override_reason TEXT NOT NULL DEFAULT '',
            spacing_reason TEXT NOT NULL DEFAULT '',
            regulatory_confirmations TEXT NOT NULL DEFAULT '[]',
            recorded_at TEXT NOT NULL,
            recorded_by INTEGER NOT NULL REFERENCES staff(id)
        )""",
        "CREATE INDEX sessions_by_patient ON sessions(patient_id, status, performed_at)",
        "CREATE INDEX sessions_by_course ON sessions(course_id, status, performed_at)",
        """CREATE TABLE session_products (
            session_id INTEGER NOT NULL REFERENCES sessions(id),
            position INTEGER NOT NULL,
            lot_id INTEGER NOT NULL REFERENCES lots(id),
            volume_ml REAL,
            PRIMARY KEY (session_id, position)
        ) WITHOUT ROWID""",
        "CREATE INDEX session_products_by_lot ON session_products(lot_id, session_id)",
        """CREATE TABLE adverse_events (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id),
            type TEXT NOT NULL,
            onset_date TEXT NOT NULL,
            severity TEXT NOT NULL,
            description TEXT NOT NULL,
            action_taken TEXT NOT NULL DEFAULT '',
            outcome TEXT NOT NULL,
            resolution_date TEXT,
            reported_to_supplier INTEGER NOT NULL DEFAULT 0,
            reported_to_regulator INTEGER NOT NULL DEFAULT 0,
            regulator_reference TEXT NOT NULL DEFAULT '',
            version INTEGER NOT NULL DEFAULT 1,
            recorded_at TEXT NOT NULL,
            recorded_by INTEGER NOT NULL REFERENCES staff(id)
        )""",
        "CREATE INDEX adverse_events_by_session ON adverse_events(session_id)",
        "CREATE INDEX adverse_events_by_outcome ON adverse_events(outcome, onset_date)",
    )


@_migration("0004_documents")
def _documents(db: Database) -> None:
    _run(
        db,
        # Every edit of a clinic-editable text is a new row; the newest one is in use.
        """CREATE TABLE editable_texts (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            version INTEGER NOT NULL,
            body TEXT NOT NULL,
            is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
            created_at TEXT NOT NULL,
            created_by INTEGER REFERENCES staff(id),
            UNIQUE (kind, key, version)
        )""",
        """CREATE TABLE stored_images (
            sha256 TEXT PRIMARY KEY,
            png BLOB NOT NULL
        ) WITHOUT ROWID""",
        # payload holds everything the document was rendered from, so a reprint is the same
        # document byte for byte even after the wording or the clinic's details changed.
        """CREATE TABLE documents_issued (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER REFERENCES patients(id),
            session_id INTEGER REFERENCES sessions(id),
            kind TEXT NOT NULL CHECK (kind IN ('aftercare', 'comparison', 'screening')),
            template TEXT NOT NULL,
            template_version TEXT NOT NULL,
            payload TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            how TEXT NOT NULL,
            issued_at TEXT NOT NULL,
            issued_by INTEGER NOT NULL REFERENCES staff(id)
        )""",
        "CREATE INDEX documents_by_patient ON documents_issued(patient_id, issued_at)",
        "CREATE INDEX documents_by_session ON documents_issued(session_id)",
    )


@_migration("0005_audit_chain")
def _audit_chain(db: Database) -> None:
    # Each entry is sealed to the one before it (see exodesk.storage.audit.seal), so a changed,
    # removed or reordered entry shows; the head names the newest entry, so removing the newest
    # rows shows too.
    _run(
        db,
        "ALTER TABLE audit_log ADD COLUMN prev_hash TEXT",
        "ALTER TABLE audit_log ADD COLUMN entry_hash TEXT",
        """CREATE TABLE audit_head (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            last_id INTEGER NOT NULL,
            last_hash TEXT NOT NULL
        )""",
        # The admin view filters by date; without it a date range scans the whole trail.
        "CREATE INDEX audit_by_at ON audit_log(at)",
    )
    seal_existing_entries(db)
    # Refuse casual edits made with any SQLite tool; the chain still catches whoever drops these.
    _run(
        db,
        """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
            SELECT RAISE(ABORT, 'Audit entries cannot be changed: the audit trail only grows.');
        END""",
        """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
            SELECT RAISE(ABORT, 'Audit entries cannot be removed: the audit trail only grows.');
        END""",
        """CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head BEGIN
            SELECT RAISE(ABORT, 'The end of the audit trail cannot be removed.');
        END""",
        """CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head
        WHEN new.id IS NOT old.id OR new.last_id <= old.last_id OR NOT EXISTS (
            SELECT 1 FROM audit_log WHERE id = new.last_id AND entry_hash = new.last_hash
        ) BEGIN
            SELECT RAISE(ABORT, 'The end of the audit trail only moves forward, to a new entry.');
        END""",
    )


@_migration("0006_accounts")
def _accounts(db: Database) -> None:
    # Passwords (Argon2id hashes only) and the lockout counter live on the staff row. "Admin"
    # stops being a role and becomes a flag on reception or practitioner; an admin from before
    # becomes reception + admin, the least clinical privilege (a practitioner can make them a
    # practitioner afterwards). Migrations run before anyone signs in, so this is not audited.
    _run(
        db,
        "ALTER TABLE staff ADD COLUMN password_hash TEXT",
        "ALTER TABLE staff ADD COLUMN is_admin INTEGER NOT NULL DEFAULT 0"
        " CHECK (is_admin IN (0, 1))",
        "ALTER TABLE staff ADD COLUMN failed_attempts INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE staff ADD COLUMN locked_until TEXT",
        "ALTER TABLE staff ADD COLUMN password_changed_at TEXT",
        "ALTER TABLE staff ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0"
        " CHECK (must_change_password IN (0, 1))",
        "UPDATE staff SET role = 'reception', is_admin = 1 WHERE role = 'admin'",
        # The 0001 CHECK still lists 'admin' (rebuilding a table the others point at is not
        # worth it); these keep it out from now on.
        """CREATE TRIGGER staff_role_insert BEFORE INSERT ON staff
        WHEN new.role NOT IN ('reception', 'practitioner') BEGIN
            SELECT RAISE(ABORT, 'A staff member is reception or practitioner.');
        END""",
        """CREATE TRIGGER staff_role_update BEFORE UPDATE OF role ON staff
        WHEN new.role NOT IN ('reception', 'practitioner') BEGIN
            SELECT RAISE(ABORT, 'A staff member is reception or practitioner.');
        END""",
    )


# The allergen list a new clinic starts with (0007): (key, name, kind, other names, covers).
# Frozen with the migration: a clinic's own list grows from here through the Products dialog.
ALLERGENS_0007: tuple[tuple[str, str, str, tuple[str, ...], str], ...] = (
    ("lidocaine", "Lidocaine", "local_anaesthetic", ("lignocaine", "xylocaine", "EMLA"), ""),
    ("prilocaine", "Prilocaine", "local_anaesthetic", ("EMLA",), ""),
    ("benzocaine", "Benzocaine", "local_anaesthetic", (), ""),
    ("tetracaine", "Tetracaine", "local_anaesthetic", ("amethocaine", "Ametop"), ""),
    (
        "local_anaesthetics",
        "Local anaesthetics (any)",
        "local_anaesthetic",
        ("local anaesthetic", "local anesthetic", "numbing cream"),
        "local_anaesthetic",
    ),
    ("latex", "Latex", "material", ("natural rubber",), ""),
    ("nickel", "Nickel", "material", (), ""),
    ("adhesive", "Adhesive tape", "material", ("adhesive dressings", "sticking plasters"), ""),
    ("hyaluronic_acid", "Hyaluronic acid", "carrier", ("sodium hyaluronate", "hyaluronan"), ""),
    ("chlorhexidine", "Chlorhexidine", "antiseptic", (), ""),
    ("povidone_iodine", "Povidone-iodine", "antiseptic", ("iodine", "Betadine"), ""),
    ("egg", "Egg", "food", ("ovalbumin",), ""),
    ("bovine", "Bovine", "animal", ("cow", "beef"), ""),
    ("porcine", "Porcine", "animal", ("pig", "pork"), ""),
    ("soy", "Soy", "plant", ("soya", "soybean", "glycine soja"), ""),
    ("peanut", "Peanut", "plant", ("arachis oil", "groundnut"), ""),
    ("tree_nuts", "Tree nuts", "plant", ("almond", "walnut", "hazelnut", "macadamia"), ""),
    ("fragrance", "Fragrance", "other", ("perfume", "parfum"), ""),
    ("lanolin", "Lanolin", "other", ("wool fat", "wool wax"), ""),
)


@_migration("0007_allergies")
def _allergies(db: Database) -> None:
    # Structured allergies, checked against what a session puts on the patient. A patient's
    # allergy is amended like a session (a new version; the earlier one kept, marked amended)
    # or entered in error (kept, hidden), never deleted.
    _run(
        db,
        """CREATE TABLE allergens (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            also_called TEXT NOT NULL DEFAULT '[]',
            covers_kind TEXT NOT NULL DEFAULT '',
            active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
            created_at TEXT NOT NULL,
            created_by INTEGER REFERENCES staff(id)
        )""",
        """CREATE TABLE patient_allergies (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER NOT NULL REFERENCES patients(id),
            series_id INTEGER REFERENCES patient_allergies(id),
            version INTEGER NOT NULL DEFAULT 1,
            supersedes INTEGER REFERENCES patient_allergies(id),
            status TEXT NOT NULL DEFAULT 'current'
                CHECK (status IN ('current', 'amended', 'entered_in_error')),
            status_reason TEXT NOT NULL DEFAULT '',
            status_at TEXT,
            status_by INTEGER REFERENCES staff(id),
            amend_reason TEXT NOT NULL DEFAULT '',
            allergen_id INTEGER REFERENCES allergens(id),
            substance TEXT NOT NULL,
            reaction TEXT NOT NULL DEFAULT '',
            severity TEXT NOT NULL
                CHECK (severity IN ('mild', 'moderate', 'severe', 'anaphylaxis', 'unknown')),
            note TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT 'staff'
                CHECK (source IN ('staff', 'screening', 'migration')),
            screening_id INTEGER REFERENCES screenings(id),
            recorded_at TEXT NOT NULL,
            recorded_by INTEGER REFERENCES staff(id)
        )""",
        "CREATE INDEX patient_allergies_by_patient ON patient_allergies(patient_id, status)",
        "CREATE INDEX patient_allergies_by_series ON patient_allergies(series_id, version)",
        # "No known allergies", said explicitly; it stands until an allergy is recorded after.
        """CREATE TABLE no_known_allergies (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER NOT NULL REFERENCES patients(id),
            source TEXT NOT NULL DEFAULT 'staff',
            recorded_at TEXT NOT NULL,
            recorded_by INTEGER REFERENCES staff(id)
        )""",
        "CREATE INDEX no_known_allergies_by_patient ON no_known_allergies(patient_id, id)",
        # What each product contains: its ingredients as on the label, and the listed
        # allergens among them. allergens_recorded = 1 once someone has said, even "none".
        "ALTER TABLE products ADD COLUMN ingredients TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE products ADD COLUMN allergens_recorded INTEGER NOT NULL DEFAULT 0"
        " CHECK (allergens_recorded IN (0, 1))",
        """CREATE TABLE product_allergens (
            product_id INTEGER NOT NULL REFERENCES products(id),
            allergen_id INTEGER NOT NULL REFERENCES allergens(id),
            PRIMARY KEY (product_id, allergen_id)
        ) WITHOUT ROWID""",
        # A session that went ahead despite an allergy: why, and the conflicts as then worded.
        "ALTER TABLE sessions ADD COLUMN allergy_override_reason TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE sessions ADD COLUMN allergy_conflicts TEXT NOT NULL DEFAULT '[]'",
    )
    now = datetime.now(UTC)
    allergens = []
    for key, name, kind, also, covers in ALLERGENS_0007:
        cur = db.execute(
            "INSERT INTO allergens (key, name, kind, also_called, covers_kind, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [key, name, kind, json.dumps(list(also), ensure_ascii=False), covers, now.isoformat()],
        )
        allergens.append(Allergen(key, name, kind, also, covers, id=inserted_id(cur.lastrowid)))
    # The alerts are read with the domain's split_alert as it was when this migration landed;
    # a later change there must keep reading "Allergy: lidocaine" the same (its tests do).
    _allergies_from_alerts(db, allergens, now)


def _allergies_from_alerts(db: Database, allergens: list[Allergen], now: datetime) -> None:
    """Turn old free-text alerts that name a listed substance into structured allergies.

    "Allergy: lidocaine" becomes an allergy to lidocaine (severity not known), recorded by
    "migration" now, its note quoting the alert; the rest of the alert stays as typed. Each
    change is audited, by "migration" (nobody is signed in while a file is migrated).
    """
    audit = AuditRepository(db)
    rows = db.execute("SELECT id, alerts FROM patients WHERE alerts != '' ORDER BY id").fetchall()
    for patient_id, alerts in rows:
        split = split_alert(alerts, allergens)
        if not split.found:
            continue
        for part, named in split.found:
            for allergen in named:
                note = f"From the alert “{part}”."
                cur = db.execute(
                    "INSERT INTO patient_allergies (patient_id, allergen_id, substance, severity, "
                    "note, source, recorded_at) VALUES (?, ?, ?, 'unknown', ?, 'migration', ?)",
                    [patient_id, allergen.id, allergen.name, note, now.isoformat()],
                )
                allergy_id = inserted_id(cur.lastrowid)
                db.execute("UPDATE patient_allergies SET series_id = id WHERE id = ?", [allergy_id])
                audit.append(
                    AuditEntry(
                        at=now,
                        actor_id=None,
                        actor_name=MIGRATION,
                        action="create",
                        table_name="patient_allergies",
                        record_id=allergy_id,
                        patient_id=patient_id,
                        summary=f"Allergy to {allergen.name} from the alert “{part}”",
                        before=None,
                        after={"substance": allergen.name, "severity": "unknown", "note": note},
                    )
                )
        db.execute("UPDATE patients SET alerts = ? WHERE id = ?", [split.kept, patient_id])
        audit.append(
            AuditEntry(
                at=now,
                actor_id=None,
                actor_name=MIGRATION,
                action="update",
                table_name="patients",
                record_id=patient_id,
                patient_id=patient_id,
                summary="Alerts: allergies moved to the allergy list",
                before={"alerts": alerts},
                after={"alerts": split.kept},
            )
        )


@_migration("0008_due_list_marks")
def _due_list_marks(db: Database) -> None:
    # Reception notes on the call list that a patient was called, or their next session booked.
    # A mark holds for one due window of one course (``due_from``: the window's first day, ''
    # for "any time"); a new session moves the window, so the patient is on the list afresh.
    # Kept, never edited: the newest mark for the window is the one shown.
    _run(
        db,
        """CREATE TABLE due_list_marks (
            id INTEGER PRIMARY KEY,
            course_id INTEGER NOT NULL REFERENCES courses(id),
            due_from TEXT NOT NULL DEFAULT '',
            outcome TEXT NOT NULL CHECK (outcome IN ('called', 'booked')),
            marked_at TEXT NOT NULL,
            marked_by INTEGER REFERENCES staff(id)
        )""",
        "CREATE INDEX due_list_marks_course ON due_list_marks (course_id, due_from)",
    )


@_migration("0009_sealed_staff")
def _sealed_staff(db: Database) -> None:
    # Second-generation (separated-key) clinics seal each staff row with an HMAC under the
    # admin key, which only admins' password slots and the recovery key hold; each person's
    # audit entries are signed (Ed25519) with a key only their own password unwraps. The
    # public keys are kept here, each sealed too, from the audit entry on which it counts.
    # Empty in plain and first-generation clinics.
    _run(
        db,
        "ALTER TABLE staff ADD COLUMN seal TEXT",
        """CREATE TABLE signing_keys (
            id INTEGER PRIMARY KEY,
            staff_id INTEGER NOT NULL REFERENCES staff(id),
            public_key TEXT NOT NULL,
            from_audit_id INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            seal TEXT NOT NULL
        )""",
        "CREATE INDEX signing_keys_staff ON signing_keys (staff_id, id)",
        """CREATE TABLE audit_signatures (
            audit_id INTEGER PRIMARY KEY REFERENCES audit_log(id),
            signing_key_id INTEGER NOT NULL REFERENCES signing_keys(id),
            signature TEXT NOT NULL
        )""",
    )


def latest_schema_version() -> int:
    """The schema version this build of ExoDesk writes."""
    return len(MIGRATION_NAMES)


@dataclass(frozen=True)
class SchemaState:
    """Where a data file stands against this build's migrations."""

    applied: tuple[str, ...]
    pending: tuple[str, ...]
    unknown: tuple[str, ...]
    user_version: int

    @property
    def version(self) -> int:
        return len(self.applied)

    @property
    def is_newer(self) -> bool:
        return bool(self.unknown) or self.user_version > latest_schema_version()


def schema_state(db: Database) -> SchemaState:
    """Read which migrations a file has, without writing to it."""
    applied = tuple(m.name for m in MIGRATIONS.applied(db))
    known = set(MIGRATION_NAMES)
    user_version = int(db.execute("PRAGMA user_version").fetchone()[0])
    return SchemaState(
        applied=applied,
        pending=tuple(n for n in MIGRATION_NAMES if n not in set(applied)),
        unknown=tuple(n for n in applied if n not in known),
        user_version=user_version,
    )


def newer_version_error(state: SchemaState) -> StorageError:
    return StorageError(
        "This data file was written by a newer version of ExoDesk "
        f"(schema {max(state.version, state.user_version)}; this version knows "
        f"{latest_schema_version()}). It has not been changed.",
        advice="Install the newer ExoDesk to open it.",
    )


def refuse_newer(db: Database) -> None:
    """Raise if the file comes from a newer ExoDesk (pass to open_database's before_write)."""
    with storage_errors():
        state = schema_state(db)
    if state.is_newer:
        raise newer_version_error(state)


# Tables whose rows are a clinic's records: a file holding any of them must have staff too.
_CLINICAL_TABLES = ("patients", "screenings", "sessions", "adverse_events")


def refuse_newer_or_hollow(path: Path) -> Callable[[Database], None]:
    """For ``open_database(before_write=…)`` on an existing file: refuse one from a newer
    ExoDesk or a hollow one (see ``refuse_hollow``) before anything is written to it."""

    def check(db: Database) -> None:
        refuse_newer(db)
        refuse_hollow(db, path)

    return check


def refuse_hollow(db: Database, path: Path) -> None:
    """Refuse an existing data file that cannot be a clinic's, before anything is written.

    What a failed copy, a sync tool or a damaged disk leaves can be a valid SQLite file that
    holds nothing of ExoDesk's (no schema at all), or a clinic whose staff list was emptied
    while its records remain. Migrating either would turn it into an empty new clinic and
    the next backups would rotate the good ones away. (A zero-length file is refused by
    ``open_database``; a file fresh from ``exodesk init``, with a schema and no records yet,
    is not hollow: its first start sets up the staff.)

    Raises:
        DataFileDamaged: the file holds no ExoDesk schema, or records but no staff.
    """
    with storage_errors(path):
        state = schema_state(db)
        if not state.applied:
            raise DataFileDamaged(
                f"{path} holds no ExoDesk records: it is an empty database, not a clinic's "
                "data file. It has been left untouched.",
                advice=RESTORE_ADVICE,
            )
        if not db["staff"].exists() or db.execute("SELECT count(*) FROM staff").fetchone()[0]:
            return
        records = sum(
            int(db.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0])
            for table in _CLINICAL_TABLES
            if db[table].exists()
        )
    if records:
        raise DataFileDamaged(
            f"{path} has lost its staff list but still holds {records:,} records, so nobody "
            "could sign in to it. It has been left untouched.",
            advice=RESTORE_ADVICE,
        )


def migrate(db: Database, *, backups_dir: Path | None = None) -> SchemaState:
    """Bring a data file up to this build's schema.

    A file that already holds data is backed up (SQLite backup API) before any migration runs.
    A file from a newer ExoDesk is refused and left untouched.

    Raises:
        StorageError: the file is newer than this build, or cannot be written.
    """
    with storage_errors():
        state = schema_state(db)
        if state.is_newer:
            raise newer_version_error(state)
        if not state.pending:
            return state
        if state.applied and backups_dir is not None:
            stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
            target = backups_dir / f"before-migration-schema{state.version}-{stamp}.sqlite3"
            log.info("backing up before migrating: %s", target)
            backup_database(db, target)
        MIGRATIONS.apply(db)
        db.execute(f"PRAGMA user_version = {latest_schema_version()}")
        return schema_state(db)
