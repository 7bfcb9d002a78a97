-- index audit_by_actor
CREATE INDEX audit_by_actor ON audit_log(actor_id, id);
-- index audit_by_patient
CREATE INDEX audit_by_patient ON audit_log(patient_id, id);
-- index audit_by_record
CREATE INDEX audit_by_record ON audit_log(table_name, record_id, id);
-- index idx__sqlite_migrations_migration_set_name
CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name" ON "_sqlite_migrations" ("migration_set", "name");
-- index patients_by_dob
CREATE INDEX patients_by_dob ON patients(date_of_birth, status);
-- index patients_by_status_sort
CREATE INDEX patients_by_status_sort ON patients(status, sort_key, id);
-- table _sqlite_migrations
CREATE TABLE "_sqlite_migrations" ( "id" INTEGER PRIMARY KEY, "migration_set" TEXT, "name" TEXT, "applied_at" TEXT );
-- table audit_log
CREATE TABLE audit_log ( id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor_id INTEGER REFERENCES staff(id), actor_name TEXT NOT NULL, action TEXT NOT NULL, table_name TEXT NOT NULL, record_id INTEGER, patient_id INTEGER REFERENCES patients(id), summary TEXT NOT NULL DEFAULT '', before TEXT, after TEXT );
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
-- table settings
CREATE TABLE settings ( key TEXT PRIMARY KEY, value TEXT NOT NULL );
-- table staff
CREATE TABLE staff ( id INTEGER PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL CHECK (role IN ('reception', 'practitioner', 'admin')), active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)), created_at TEXT NOT NULL );
-- trigger patients_fts_delete
CREATE TRIGGER patients_fts_delete AFTER DELETE ON patients BEGIN INSERT INTO patients_fts(patients_fts, rowid, search_names, search_phone) VALUES ('delete', old.id, old.search_names, old.search_phone); END;
-- trigger patients_fts_insert
CREATE TRIGGER patients_fts_insert AFTER INSERT ON patients BEGIN INSERT INTO patients_fts(rowid, search_names, search_phone) VALUES (new.id, new.search_names, new.search_phone); END;
-- trigger patients_fts_update
CREATE TRIGGER patients_fts_update AFTER UPDATE OF search_names, search_phone ON patients BEGIN INSERT INTO patients_fts(patients_fts, rowid, search_names, search_phone) VALUES ('delete', old.id, old.search_names, old.search_phone); INSERT INTO patients_fts(rowid, search_names, search_phone) VALUES (new.id, new.search_names, new.search_phone); END;
