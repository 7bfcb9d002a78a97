"""Regenerate the committed data-file fixtures and the schema snapshot.

    python tests/data/make_fixtures.py --schema     # after adding a migration (on purpose)
    python tests/data/make_fixtures.py --files      # only when creating new fixture files

Never regenerate ``schema-v1.sqlite3``: it stands for files written by the first release, and
the upgrade test opens it with today's code. Nor ``schema-v6-alerts.sqlite3`` (``--alerts``):
it stands for files from before structured allergies (0007), whose allergies were free-text
alerts, and was written by the code of that time.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from datetime import UTC, date, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from exodesk.domain.patient import Patient  # noqa: E402
from exodesk.domain.staff import StaffMember  # noqa: E402
from exodesk.paths import DataPaths  # noqa: E402
from exodesk.services.workspace import open_services  # noqa: E402
from exodesk.storage.database import open_database  # noqa: E402
from exodesk.storage.migrations import migrate  # noqa: E402


def schema_sql(conn: sqlite3.Connection) -> str:
    rows = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
        "AND name NOT LIKE 'sqlite_%' ORDER BY type, name"
    ).fetchall()
    return "\n".join(f"-- {t} {n}\n{' '.join(sql.split())};" for t, n, sql in rows) + "\n"


def write_schema(tmp: Path) -> None:
    db = open_database(tmp / "schema.sqlite3", create=True)
    migrate(db)
    (HERE / "schema.sql").write_text(schema_sql(db.conn), encoding="utf-8")
    db.close()


def _single_file(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()


def write_files(tmp: Path) -> None:
    clock = lambda: datetime(2026, 11, 1, 9, 30, tzinfo=UTC)  # noqa: E731
    for name in ("schema-v1", "newer-version"):
        folder = tmp / name
        svc = open_services(DataPaths(folder), create=True, clock=clock)
        svc.clinic.add_first_staff(StaffMember("Ada Admin", "reception", is_admin=True))
        for patient in (
            Patient("O'Brien-Łukasz", "Zoë", date(1985, 4, 3), "female", "07700 900001"),
            Patient("李", "小龍", date(1979, 11, 27), "male", "+44 7700 900002"),
            Patient("Smith", "Olivia", date(1990, 1, 15), "female", notes="x" * 10_000),
        ):
            assert svc.patients.create(patient).ok
        if name == "newer-version":
            db = svc.ctx.db
            db.execute("CREATE TABLE from_the_future (id INTEGER PRIMARY KEY)")
            db.execute(
                "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                "VALUES ('exodesk', '9999_from_the_future', '2030-01-01')"
            )
            db.execute("PRAGMA user_version = 99")
            db.conn.commit()
        svc.close()
        _single_file(folder / "exodesk.sqlite3")
        (HERE / f"{name}.sqlite3").write_bytes((folder / "exodesk.sqlite3").read_bytes())


# Alerts as clinics typed them before allergies were structured: some name a listed substance
# in an allergy ("Allergy: lidocaine"), some name one without being an allergy ("Latex-free
# gloves please", "No allergy to latex"), some are no allergy at all.
OLD_ALERTS = (
    ("Kelly", "Hannah", "Allergy: lidocaine"),
    ("Papadopoulos", "Oscar", "Latex allergy"),
    ("Evans", "Łucja", "Allergic to chlorhexidine and nickel (rash)\nPrefers female practitioner"),
    ("Walsh", "Fatima", "Lignocaine allergy; needle-phobic: allow extra time"),
    ("Hughes", "Grace", "Needle-phobic: allow extra time"),
    ("Rossi", "Aoife", "No allergy to latex (patch tested 2025)"),
    ("Nowak", "Agnieszka", "Latex-free gloves please"),
    ("Begum", "Björn", "Allergy: strawberries"),
    ("Smith", "Olivia", ""),
)


def write_alerts_file(tmp: Path) -> None:
    """A schema-6 file whose allergies are free-text alerts, with a lidocaine session."""
    from dataclasses import replace
    from datetime import timedelta

    from exodesk.domain.sessions import Lot, Product, SessionProduct

    clock = lambda: datetime(2026, 10, 1, 9, 30, tzinfo=UTC)  # noqa: E731
    folder = tmp / "alerts"
    svc = open_services(DataPaths(folder), create=True, clock=clock)
    svc.clinic.add_first_staff(StaffMember("Dr Amara Okafor", "practitioner", is_admin=True))
    ids = {}
    for n, (family, given, alerts) in enumerate(OLD_ALERTS):
        patient = Patient(family, given, date(1980 + n, 3, 4), "female", alerts=alerts)
        result = svc.patients.create(patient)
        assert result.ok, result.problems
        ids[family, given] = result.record.id
    lido = svc.catalogue.save_product(
        Product("Lidocaine 5% cream", "Fictional Pharma", "anaesthetic", None, "topical")
    ).record
    lot = svc.catalogue.save_lot(Lot(lido.id, "LD-77", date(2027, 6, 1))).record
    olivia = ids["Smith", "Olivia"]
    draft = svc.sessions.prefill(olivia, None)
    draft = replace(
        draft,
        performed_at=clock() - timedelta(days=3),
        needle_depth_mm=0.5,
        anaesthetic="Lidocaine 5% cream",
        anaesthetic_minutes=25,
        products=(SessionProduct(lot.id, 1.0),),
        gate_override_reason="Screened on paper before ExoDesk",
    )
    saved = svc.sessions.record(draft)
    assert saved.ok, saved.problems
    svc.close()
    _single_file(folder / "exodesk.sqlite3")
    (HERE / "schema-v6-alerts.sqlite3").write_bytes((folder / "exodesk.sqlite3").read_bytes())


if __name__ == "__main__":
    import tempfile

    parser = argparse.ArgumentParser()
    parser.add_argument("--schema", action="store_true")
    parser.add_argument("--files", action="store_true")
    parser.add_argument("--alerts", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.schema:
            write_schema(Path(tmp))
        if args.files:
            write_files(Path(tmp))
        if args.alerts:
            write_alerts_file(Path(tmp))
