-- index adverse_events_by_outcome
CREATE INDEX adverse_events_by_outcome ON adverse_events(outcome, onset_date);
-- index adverse_events_by_session
CREATE INDEX adverse_events_by_session ON adverse_events(session_id);
-- index audit_by_actor
CREATE INDEX audit_by_actor ON audit_log(actor_id, id);
-- index audit_by_at
CREATE INDEX audit_by_at ON audit_log(at);
-- index audit_by_patient
CREATE INDEX audit_by_patient ON audit_log(patient_id, id);
-- index audit_by_record
CREATE INDEX audit_by_record ON audit_log(table_name, record_id, id);
-- index consents_by_screening
CREATE INDEX consents_by_screening ON consents(screening_id, id);
-- index courses_by_patient
CREATE INDEX courses_by_patient ON courses(patient_id, status);
-- index documents_by_patient
CREATE INDEX documents_by_patient ON documents_issued(patient_id, issued_at);
-- index documents_by_session
CREATE INDEX documents_by_session ON documents_issued(session_id);
-- index due_list_marks_course
CREATE INDEX due_list_marks_course ON due_list_marks (course_id, due_from);
-- index idx__sqlite_migrations_migration_set_name
CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name" ON "_sqlite_migrations" ("migration_set", "name");
-- index lots_by_key
CREATE INDEX lots_by_key ON lots(lot_key);
-- index no_known_allergies_by_patient
CREATE INDEX no_known_allergies_by_patient ON no_known_allergies(patient_id, id);
-- index overrides_by_screening
CREATE INDEX overrides_by_screening ON screening_overrides(screening_id, id);
-- index patient_allergies_by_patient
CREATE INDEX patient_allergies_by_patient ON patient_allergies(patient_id, status);
-- index patient_allergies_by_series
CREATE INDEX patient_allergies_by_series ON patient_allergies(series_id, version);
-- index patients_by_dob
CREATE INDEX patients_by_dob ON patients(date_of_birth, status);
-- index patients_by_status_sort
CREATE INDEX patients_by_status_sort ON patients(status, sort_key, id);
-- index screening_answers_by_item
CREATE INDEX screening_answers_by_item ON screening_answers(item_id, value);
-- index screenings_by_patient
CREATE INDEX screenings_by_patient ON screenings(patient_id, superseded, taken_at);
-- index screenings_by_series
CREATE INDEX screenings_by_series ON screenings(series_id, version);
-- index session_products_by_lot
CREATE INDEX session_products_by_lot ON session_products(lot_id, session_id);
-- index sessions_by_course
CREATE INDEX sessions_by_course ON sessions(course_id, status, performed_at);
-- index sessions_by_patient
CREATE INDEX sessions_by_patient ON sessions(patient_id, status, performed_at);
-- index signing_keys_staff
CREATE INDEX signing_keys_staff ON signing_keys (staff_id, id);
-- index signoffs_by_screening
CREATE INDEX signoffs_by_screening ON screening_signoffs(screening_id, id);
-- table _sqlite_migrations
CREATE TABLE "_sqlite_migrations" ( "id" INTEGER PRIMARY KEY, "migration_set" TEXT, "name" TEXT, "applied_at" TEXT );
-- table adverse_events
CREATE TABLE adverse_events ( id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id), type TEXT NOT NULL, onset_date TEXT NOT NULL, severity TEXT NOT NULL, description TEXT NOT NULL, action_taken TEXT NOT NULL DEFAULT '', outcome TEXT NOT NULL, resolution_date TEXT, reported_to_supplier INTEGER NOT NULL DEFAULT 0, reported_to_regulator INTEGER NOT NULL DEFAULT 0, regulator_reference TEXT NOT NULL DEFAULT '', version INTEGER NOT NULL DEFAULT 1, recorded_at TEXT NOT NULL, recorded_by INTEGER NOT NULL REFERENCES staff(id) );
-- table allergens
CREATE TABLE allergens ( id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, name TEXT NOT NULL, kind TEXT NOT NULL, also_called TEXT NOT NULL DEFAULT '[]', covers_kind TEXT NOT NULL DEFAULT '', active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)), created_at TEXT NOT NULL, created_by INTEGER REFERENCES staff(id) );
-- table audit_head
CREATE TABLE audit_head ( id INTEGER PRIMARY KEY CHECK (id = 1), last_id INTEGER NOT NULL, last_hash TEXT NOT NULL );
-- table audit_log
CREATE TABLE audit_log ( id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor_id INTEGER REFERENCES staff(id), actor_name TEXT NOT NULL, action TEXT NOT NULL, table_name TEXT NOT NULL, record_id INTEGER, patient_id INTEGER REFERENCES patients(id), summary TEXT NOT NULL DEFAULT '', before TEXT, after TEXT , prev_hash TEXT, entry_hash TEXT);
-- table audit_signatures
CREATE TABLE audit_signatures ( audit_id INTEGER PRIMARY KEY REFERENCES audit_log(id), signing_key_id INTEGER NOT NULL REFERENCES signing_keys(id), signature TEXT NOT NULL );
-- table consent_texts
CREATE TABLE consent_texts ( id INTEGER PRIMARY KEY, version INTEGER NOT NULL UNIQUE, text TEXT NOT NULL, created_at TEXT NOT NULL, created_by INTEGER REFERENCES staff(id) );
-- table consents
CREATE TABLE consents ( id INTEGER PRIMARY KEY, screening_id INTEGER NOT NULL REFERENCES screenings(id), consent_text_id INTEGER NOT NULL REFERENCES consent_texts(id), signed_name TEXT NOT NULL, signed_on TEXT NOT NULL, signature_png BLOB NOT NULL, recorded_by INTEGER NOT NULL REFERENCES staff(id), recorded_at TEXT NOT NULL );
-- table courses
CREATE TABLE courses ( id INTEGER PRIMARY KEY, patient_id INTEGER NOT NULL REFERENCES patients(id), treatment TEXT NOT NULL, indication TEXT NOT NULL, planned_sessions INTEGER NOT NULL, interval_min_days INTEGER NOT NULL, interval_max_days INTEGER NOT NULL, maintenance_min_months INTEGER NOT NULL, maintenance_max_months INTEGER NOT NULL, started_on TEXT NOT NULL, template_key TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed', 'stopped')), created_at TEXT NOT NULL, created_by INTEGER REFERENCES staff(id) );
-- table documents_issued
CREATE TABLE documents_issued ( id INTEGER PRIMARY KEY, patient_id INTEGER REFERENCES patients(id), session_id INTEGER REFERENCES sessions(id), kind TEXT NOT NULL CHECK (kind IN ('aftercare', 'comparison', 'screening')), template TEXT NOT NULL, template_version TEXT NOT NULL, payload TEXT NOT NULL, sha256 TEXT NOT NULL, how TEXT NOT NULL, issued_at TEXT NOT NULL, issued_by INTEGER NOT NULL REFERENCES staff(id) );
-- table due_list_marks
CREATE TABLE due_list_marks ( id INTEGER PRIMARY KEY, course_id INTEGER NOT NULL REFERENCES courses(id), due_from TEXT NOT NULL DEFAULT '', outcome TEXT NOT NULL CHECK (outcome IN ('called', 'booked')), marked_at TEXT NOT NULL, marked_by INTEGER REFERENCES staff(id) );
-- table editable_texts
CREATE TABLE editable_texts ( id INTEGER PRIMARY KEY, kind TEXT NOT NULL, key TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL, is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)), created_at TEXT NOT NULL, created_by INTEGER REFERENCES staff(id), UNIQUE (kind, key, version) );
-- table lots
CREATE TABLE lots ( id INTEGER PRIMARY KEY, product_id INTEGER NOT NULL REFERENCES products(id), lot_number TEXT NOT NULL, lot_key TEXT NOT NULL, expiry TEXT NOT NULL, received_on TEXT, storage TEXT NOT NULL DEFAULT '', lab_reports TEXT NOT NULL DEFAULT '', notes TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, UNIQUE (product_id, lot_key) );
-- table no_known_allergies
CREATE TABLE no_known_allergies ( id INTEGER PRIMARY KEY, patient_id INTEGER NOT NULL REFERENCES patients(id), source TEXT NOT NULL DEFAULT 'staff', recorded_at TEXT NOT NULL, recorded_by INTEGER REFERENCES staff(id) );
-- table patient_allergies
CREATE TABLE patient_allergies ( id INTEGER PRIMARY KEY, patient_id INTEGER NOT NULL REFERENCES patients(id), series_id INTEGER REFERENCES patient_allergies(id), version INTEGER NOT NULL DEFAULT 1, supersedes INTEGER REFERENCES patient_allergies(id), status TEXT NOT NULL DEFAULT 'current' CHECK (status IN ('current', 'amended', 'entered_in_error')), status_reason TEXT NOT NULL DEFAULT '', status_at TEXT, status_by INTEGER REFERENCES staff(id), amend_reason TEXT NOT NULL DEFAULT '', allergen_id INTEGER REFERENCES allergens(id), substance TEXT NOT NULL, reaction TEXT NOT NULL DEFAULT '', severity TEXT NOT NULL CHECK (severity IN ('mild', 'moderate', 'severe', 'anaphylaxis', 'unknown')), note TEXT NOT NULL DEFAULT '', source TEXT NOT NULL DEFAULT 'staff' CHECK (source IN ('staff', 'screening', 'migration')), screening_id INTEGER REFERENCES screenings(id), recorded_at TEXT NOT NULL, recorded_by INTEGER REFERENCES staff(id) );
-- table patients
CREATE TABLE patients ( id INTEGER PRIMARY KEY, family_name TEXT NOT NULL, given_names TEXT NOT NULL, date_of_birth TEXT NOT NULL, sex TEXT NOT NULL, phone TEXT NOT NULL DEFAULT '', email TEXT NOT NULL DEFAULT '', address TEXT NOT NULL DEFAULT '', emergency_contact TEXT NOT NULL DEFAULT '', gp TEXT NOT NULL DEFAULT '', alerts TEXT NOT NULL DEFAULT '', notes TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'merged')), status_reason TEXT NOT NULL DEFAULT '', merged_into INTEGER REFERENCES patients(id), sort_key TEXT NOT NULL, search_names TEXT NOT NULL, search_phone TEXT NOT NULL, version INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL, created_by INTEGER REFERENCES staff(id), updated_at TEXT NOT NULL, updated_by INTEGER REFERENCES staff(id) );
-- table patients_fts
CREATE VIRTUAL TABLE patients_fts USING fts5( search_names, search_phone, content='patients', content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='1 2 3' );
-- table patients_fts_config
CREATE TABLE 'patients_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID;
-- table patients_fts_data
CREATE TABLE 'patients_fts_data'(id INTEGER PRIMARY KEY, block BLOB);
-- table patients_fts_docsize
CREATE TABLE 'patients_fts_docsize'(id INTEGER PRIMARY KEY, sz BLOB);
-- table patients_fts_idx
CREATE TABLE 'patients_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;
-- table product_allergens
CREATE TABLE product_allergens ( product_id INTEGER NOT NULL REFERENCES products(id), allergen_id INTEGER NOT NULL REFERENCES allergens(id), PRIMARY KEY (product_id, allergen_id) ) WITHOUT ROWID;
-- table products
CREATE TABLE products ( id INTEGER PRIMARY KEY, name TEXT NOT NULL, manufacturer TEXT NOT NULL DEFAULT '', kind TEXT NOT NULL, source TEXT, intended_use TEXT NOT NULL, notes TEXT NOT NULL DEFAULT '', active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)), created_at TEXT NOT NULL , ingredients TEXT NOT NULL DEFAULT '', allergens_recorded INTEGER NOT NULL DEFAULT 0 CHECK (allergens_recorded IN (0, 1)));
-- table protocol_templates
CREATE TABLE protocol_templates ( id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, label TEXT NOT NULL, indication TEXT NOT NULL, sessions_min INTEGER NOT NULL, sessions_max INTEGER NOT NULL, interval_min_days INTEGER NOT NULL, interval_max_days INTEGER NOT NULL, maintenance_min_months INTEGER NOT NULL, maintenance_max_months INTEGER NOT NULL, updated_at TEXT NOT NULL );
-- table screening_answers
CREATE TABLE screening_answers ( screening_id INTEGER NOT NULL REFERENCES screenings(id), item_id TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (screening_id, item_id) ) WITHOUT ROWID;
-- table screening_overrides
CREATE TABLE screening_overrides ( id INTEGER PRIMARY KEY, screening_id INTEGER NOT NULL REFERENCES screenings(id), treatment_id TEXT NOT NULL, verdict TEXT NOT NULL, reason TEXT NOT NULL, overridden_by INTEGER NOT NULL REFERENCES staff(id), overridden_at TEXT NOT NULL );
-- table screening_signoffs
CREATE TABLE screening_signoffs ( id INTEGER PRIMARY KEY, screening_id INTEGER NOT NULL REFERENCES screenings(id), treatment_id TEXT NOT NULL, decision TEXT NOT NULL CHECK (decision IN ('cleared', 'not_cleared')), note TEXT NOT NULL DEFAULT '', signed_by INTEGER NOT NULL REFERENCES staff(id), signed_at TEXT NOT NULL );
-- table screening_verdicts
CREATE TABLE screening_verdicts ( screening_id INTEGER NOT NULL REFERENCES screenings(id), treatment_id TEXT NOT NULL, verdict TEXT NOT NULL, until TEXT, PRIMARY KEY (screening_id, treatment_id) ) WITHOUT ROWID;
-- table screenings
CREATE TABLE screenings ( id INTEGER PRIMARY KEY, patient_id INTEGER NOT NULL REFERENCES patients(id), series_id INTEGER REFERENCES screenings(id), version INTEGER NOT NULL, supersedes INTEGER REFERENCES screenings(id), superseded INTEGER NOT NULL DEFAULT 0 CHECK (superseded IN (0, 1)), amend_reason TEXT NOT NULL DEFAULT '', taken_on TEXT NOT NULL, taken_at TEXT NOT NULL, taken_by INTEGER NOT NULL REFERENCES staff(id), date_of_birth TEXT NOT NULL, rule_table_version TEXT NOT NULL, rule_overrides TEXT NOT NULL DEFAULT '', result TEXT NOT NULL );
-- table session_products
CREATE TABLE session_products ( session_id INTEGER NOT NULL REFERENCES sessions(id), position INTEGER NOT NULL, lot_id INTEGER NOT NULL REFERENCES lots(id), volume_ml REAL, PRIMARY KEY (session_id, position) ) WITHOUT ROWID;
-- table sessions
CREATE TABLE sessions ( id INTEGER PRIMARY KEY, patient_id INTEGER NOT NULL REFERENCES patients(id), course_id INTEGER REFERENCES courses(id), series_id INTEGER REFERENCES sessions(id), version INTEGER NOT NULL DEFAULT 1, supersedes INTEGER REFERENCES sessions(id), status TEXT NOT NULL DEFAULT 'current' CHECK (status IN ('current', 'amended', 'entered_in_error')), status_reason TEXT NOT NULL DEFAULT '', performed_at TEXT NOT NULL, practitioner_id INTEGER NOT NULL REFERENCES staff(id), treatment TEXT NOT NULL, areas TEXT NOT NULL, indication TEXT NOT NULL, delivery TEXT NOT NULL, needle_depth_mm REAL, anaesthetic TEXT NOT NULL DEFAULT '', anaesthetic_minutes INTEGER, reactions TEXT NOT NULL DEFAULT '', aftercare_issued INTEGER NOT NULL DEFAULT 0, notes TEXT NOT NULL DEFAULT '', prp TEXT, screening_id INTEGER REFERENCES screenings(id), gate_override_reason TEXT NOT NULL DEFAULT '', spacing_reason TEXT NOT NULL DEFAULT '', regulatory_confirmations TEXT NOT NULL DEFAULT '[]', recorded_at TEXT NOT NULL, recorded_by INTEGER NOT NULL REFERENCES staff(id) , allergy_override_reason TEXT NOT NULL DEFAULT '', allergy_conflicts TEXT NOT NULL DEFAULT '[]');
-- table settings
CREATE TABLE settings ( key TEXT PRIMARY KEY, value TEXT NOT NULL );
-- table signing_keys
CREATE TABLE signing_keys ( id INTEGER PRIMARY KEY, staff_id INTEGER NOT NULL REFERENCES staff(id), public_key TEXT NOT NULL, from_audit_id INTEGER NOT NULL, created_at TEXT NOT NULL, seal TEXT NOT NULL );
-- table staff
CREATE TABLE staff ( id INTEGER PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL CHECK (role IN ('reception', 'practitioner', 'admin')), active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)), created_at TEXT NOT NULL , password_hash TEXT, is_admin INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)), failed_attempts INTEGER NOT NULL DEFAULT 0, locked_until TEXT, password_changed_at TEXT, must_change_password INTEGER NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1)), seal TEXT);
-- table stored_images
CREATE TABLE stored_images ( sha256 TEXT PRIMARY KEY, png BLOB NOT NULL ) WITHOUT ROWID;
-- trigger audit_head_forward_only
CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head WHEN new.id IS NOT old.id OR new.last_id <= old.last_id OR NOT EXISTS ( SELECT 1 FROM audit_log WHERE id = new.last_id AND entry_hash = new.last_hash ) BEGIN SELECT RAISE(ABORT, 'The end of the audit trail only moves forward, to a new entry.'); END;
-- trigger audit_head_no_delete
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head BEGIN SELECT RAISE(ABORT, 'The end of the audit trail cannot be removed.'); END;
-- trigger audit_log_no_delete
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'Audit entries cannot be removed: the audit trail only grows.'); END;
-- trigger audit_log_no_update
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'Audit entries cannot be changed: the audit trail only grows.'); END;
-- trigger patients_fts_delete
CREATE TRIGGER patients_fts_delete AFTER DELETE ON patients BEGIN INSERT INTO patients_fts(patients_fts, rowid, search_names, search_phone) VALUES ('delete', old.id, old.search_names, old.search_phone); END;
-- trigger patients_fts_insert
CREATE TRIGGER patients_fts_insert AFTER INSERT ON patients BEGIN INSERT INTO patients_fts(rowid, search_names, search_phone) VALUES (new.id, new.search_names, new.search_phone); END;
-- trigger patients_fts_update
CREATE TRIGGER patients_fts_update AFTER UPDATE OF search_names, search_phone ON patients BEGIN INSERT INTO patients_fts(patients_fts, rowid, search_names, search_phone) VALUES ('delete', old.id, old.search_names, old.search_phone); INSERT INTO patients_fts(rowid, search_names, search_phone) VALUES (new.id, new.search_names, new.search_phone); END;
-- trigger staff_role_insert
CREATE TRIGGER staff_role_insert BEFORE INSERT ON staff WHEN new.role NOT IN ('reception', 'practitioner') BEGIN SELECT RAISE(ABORT, 'A staff member is reception or practitioner.'); END;
-- trigger staff_role_update
CREATE TRIGGER staff_role_update BEFORE UPDATE OF role ON staff WHEN new.role NOT IN ('reception', 'practitioner') BEGIN SELECT RAISE(ABORT, 'A staff member is reception or practitioner.'); END;
