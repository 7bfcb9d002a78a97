"""Repositories for products and lots, courses, sessions and adverse events, and lot recall."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import date, datetime

from sqlite_utils import Database

from exodesk.domain.lists import OpenEvent, RecallRow
from exodesk.domain.patient import fold
from exodesk.domain.sessions import (
    AdverseEvent,
    Course,
    Lot,
    Product,
    ProtocolTemplate,
    PrpPreparation,
    SessionProduct,
    TreatmentSession,
)
from exodesk.storage.database import inserted_id


def lot_key(lot_number: str) -> str:
    """A lot number folded for search: case, accents, spaces and dashes ignored."""
    return re.sub(r"[\W_]+", "", fold(lot_number))


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _set(text: str) -> frozenset[str]:
    return frozenset(v for v in text.split(",") if v)


def _join(values: frozenset[str]) -> str:
    return ",".join(sorted(values))


# ---- products and lots --------------------------------------------------------------------------

_PRODUCT = (
    "id, name, manufacturer, kind, source, intended_use, notes, active, ingredients, "
    "allergens_recorded"
)
_LOT = "id, product_id, lot_number, expiry, received_on, storage, lab_reports, notes"


def _product(row: tuple, allergen_ids: frozenset[int] = frozenset()) -> Product:
    return Product(
        id=row[0],
        name=row[1],
        manufacturer=row[2],
        kind=row[3],
        source=row[4],
        intended_use=row[5],
        notes=row[6],
        active=bool(row[7]),
        ingredients=row[8],
        allergens_recorded=bool(row[9]),
        allergen_ids=allergen_ids,
    )


def _lot(row: tuple) -> Lot:
    return Lot(
        id=row[0],
        product_id=row[1],
        lot_number=row[2],
        expiry=date.fromisoformat(row[3]),
        received_on=_day(row[4]),
        storage=row[5],
        lab_reports=_set(row[6]),
        notes=row[7],
    )


class ProductRepository:
    """The product catalogue and its lots."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def save_product(self, product: Product, *, at: str) -> int:
        values = [
            product.name.strip(),
            product.manufacturer.strip(),
            product.kind,
            product.source,
            product.intended_use,
            product.notes,
            int(product.active),
            product.ingredients,
            int(product.allergens_recorded),
        ]
        if product.id is None:
            cur = self._db.execute(
                "INSERT INTO products (name, manufacturer, kind, source, intended_use, notes, "
                "active, ingredients, allergens_recorded, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [*values, at],
            )
            product_id = inserted_id(cur.lastrowid)
        else:
            product_id = product.id
            self._db.execute(
                "UPDATE products SET name=?, manufacturer=?, kind=?, source=?, intended_use=?, "
                "notes=?, active=?, ingredients=?, allergens_recorded=? WHERE id=?",
                [*values, product_id],
            )
            self._db.execute("DELETE FROM product_allergens WHERE product_id=?", [product_id])
        for allergen_id in sorted(product.allergen_ids):
            self._db.execute(
                "INSERT INTO product_allergens (product_id, allergen_id) VALUES (?, ?)",
                [product_id, allergen_id],
            )
        return product_id

    def _allergen_ids(self, product_id: int | None = None) -> dict[int, frozenset[int]]:
        """Each product's listed allergens (one product's, or every product's in one query)."""
        where, params = ("WHERE product_id=?", [product_id]) if product_id else ("", [])
        found: dict[int, set[int]] = {}
        for pid, allergen_id in self._db.execute(
            f"SELECT product_id, allergen_id FROM product_allergens {where}", params
        ).fetchall():
            found.setdefault(pid, set()).add(allergen_id)
        return {pid: frozenset(ids) for pid, ids in found.items()}

    def product(self, product_id: int) -> Product | None:
        row = self._db.execute(
            f"SELECT {_PRODUCT} FROM products WHERE id=?", [product_id]
        ).fetchone()
        if not row:
            return None
        return _product(row, self._allergen_ids(product_id).get(product_id, frozenset()))

    def products(self, *, include_inactive: bool = False) -> list[Product]:
        where = "" if include_inactive else "WHERE active = 1"
        rows = self._db.execute(
            f"SELECT {_PRODUCT} FROM products {where} ORDER BY name COLLATE NOCASE, id"
        ).fetchall()
        allergens = self._allergen_ids()
        return [_product(r, allergens.get(r[0], frozenset())) for r in rows]

    def save_lot(self, lot: Lot, *, at: str) -> int:
        values = [
            lot.product_id,
            lot.lot_number.strip(),
            lot_key(lot.lot_number),
            lot.expiry.isoformat(),
            lot.received_on.isoformat() if lot.received_on else None,
            lot.storage,
            _join(lot.lab_reports),
            lot.notes,
        ]
        if lot.id is None:
            cur = self._db.execute(
                "INSERT INTO lots (product_id, lot_number, lot_key, expiry, received_on, storage, "
                "lab_reports, notes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [*values, at],
            )
            return inserted_id(cur.lastrowid)
        self._db.execute(
            "UPDATE lots SET product_id=?, lot_number=?, lot_key=?, expiry=?, received_on=?, "
            "storage=?, lab_reports=?, notes=? WHERE id=?",
            [*values, lot.id],
        )
        return lot.id

    def lot(self, lot_id: int) -> Lot | None:
        row = self._db.execute(f"SELECT {_LOT} FROM lots WHERE id=?", [lot_id]).fetchone()
        return _lot(row) if row else None

    def lots(self, product_id: int | None = None) -> list[Lot]:
        where, params = ("WHERE product_id = ?", [product_id]) if product_id else ("", [])
        rows = self._db.execute(
            f"SELECT {_LOT} FROM lots {where} ORDER BY expiry DESC, id", params
        ).fetchall()
        return [_lot(r) for r in rows]

    def lot_exists(self, product_id: int, number: str, *, other_than: int | None) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM lots WHERE product_id=? AND lot_key=? AND id IS NOT ?",
            [product_id, lot_key(number), other_than],
        ).fetchone()
        return row is not None

    def find_lots(self, text: str) -> list[Lot]:
        """Lots whose number starts with the typed text (case, spaces and dashes ignored)."""
        key = lot_key(text)
        if not key:
            return []
        rows = self._db.execute(
            f"SELECT {_LOT} FROM lots WHERE lot_key >= ? AND lot_key < ? ORDER BY lot_key, id",
            [key, key + "\U0010ffff"],
        ).fetchall()
        return [_lot(r) for r in rows]


# ---- protocols and courses ----------------------------------------------------------------------

_COURSE = (
    "id, patient_id, treatment, indication, planned_sessions, interval_min_days, "
    "interval_max_days, maintenance_min_months, maintenance_max_months, started_on, "
    "template_key, status"
)
_PROTOCOL = (
    "id, key, label, indication, sessions_min, sessions_max, interval_min_days, "
    "interval_max_days, maintenance_min_months, maintenance_max_months"
)


class CourseRepository:
    """The clinic's protocol templates and patients' courses."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def protocols(self) -> list[ProtocolTemplate]:
        rows = self._db.execute(
            f"SELECT {_PROTOCOL} FROM protocol_templates ORDER BY id"
        ).fetchall()
        return [
            ProtocolTemplate(
                id=r[0],
                key=r[1],
                label=r[2],
                indication=r[3],
                sessions_min=r[4],
                sessions_max=r[5],
                interval_min_days=r[6],
                interval_max_days=r[7],
                maintenance_min_months=r[8],
                maintenance_max_months=r[9],
            )
            for r in rows
        ]

    def save_protocol(self, t: ProtocolTemplate, *, at: str) -> None:
        self._db.execute(
            "INSERT INTO protocol_templates (key, label, indication, sessions_min, sessions_max, "
            "interval_min_days, interval_max_days, maintenance_min_months, maintenance_max_months, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
            "label=excluded.label, indication=excluded.indication, "
            "sessions_min=excluded.sessions_min, sessions_max=excluded.sessions_max, "
            "interval_min_days=excluded.interval_min_days, "
            "interval_max_days=excluded.interval_max_days, "
            "maintenance_min_months=excluded.maintenance_min_months, "
            "maintenance_max_months=excluded.maintenance_max_months, "
            "updated_at=excluded.updated_at",
            [
                t.key,
                t.label,
                t.indication,
                t.sessions_min,
                t.sessions_max,
                t.interval_min_days,
                t.interval_max_days,
                t.maintenance_min_months,
                t.maintenance_max_months,
                at,
            ],
        )

    def insert_course(self, c: Course, *, at: str, by: int) -> int:
        cur = self._db.execute(
            "INSERT INTO courses (patient_id, treatment, indication, planned_sessions, "
            "interval_min_days, interval_max_days, maintenance_min_months, maintenance_max_months, "
            "started_on, template_key, status, created_at, created_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                c.patient_id,
                c.treatment,
                c.indication,
                c.planned_sessions,
                c.interval_min_days,
                c.interval_max_days,
                c.maintenance_min_months,
                c.maintenance_max_months,
                c.started_on.isoformat(),
                c.template_key,
                c.status,
                at,
                by,
            ],
        )
        return inserted_id(cur.lastrowid)

    def set_course_status(self, course_id: int, status: str) -> None:
        self._db.execute("UPDATE courses SET status=? WHERE id=?", [status, course_id])

    def course(self, course_id: int) -> Course | None:
        row = self._db.execute(f"SELECT {_COURSE} FROM courses WHERE id=?", [course_id]).fetchone()
        return _course(row) if row else None

    def courses_for(self, patient_id: int) -> list[Course]:
        rows = self._db.execute(
            f"SELECT {_COURSE} FROM courses WHERE patient_id=? ORDER BY started_on DESC, id DESC",
            [patient_id],
        ).fetchall()
        return [_course(r) for r in rows]

    def active_courses(self) -> list[Course]:
        rows = self._db.execute(
            f"SELECT {_COURSE} FROM courses WHERE status IN ('active', 'completed') ORDER BY id"
        ).fetchall()
        return [_course(r) for r in rows]


def _course(r: tuple) -> Course:
    return Course(
        id=r[0],
        patient_id=r[1],
        treatment=r[2],
        indication=r[3],
        planned_sessions=r[4],
        interval_min_days=r[5],
        interval_max_days=r[6],
        maintenance_min_months=r[7],
        maintenance_max_months=r[8],
        started_on=date.fromisoformat(r[9]),
        template_key=r[10],
        status=r[11],
    )


# ---- sessions -----------------------------------------------------------------------------------

_SESSION = (
    "s.id, s.patient_id, s.course_id, s.series_id, s.version, s.status, s.status_reason, "
    "s.performed_at, s.practitioner_id, st.name, s.treatment, s.areas, s.indication, s.delivery, "
    "s.needle_depth_mm, s.anaesthetic, s.anaesthetic_minutes, s.reactions, s.aftercare_issued, "
    "s.notes, s.prp, s.gate_override_reason, s.spacing_reason, s.regulatory_confirmations, "
    "s.allergy_override_reason, s.allergy_conflicts"
)
_PRODUCT_COLUMNS = "sp.lot_id, sp.volume_ml, pr.name, l.lot_number, l.expiry"
_PRODUCT_JOINS = (
    "FROM session_products sp JOIN lots l ON l.id = sp.lot_id "
    "JOIN products pr ON pr.id = l.product_id"
)
_AE = (
    "id, session_id, type, onset_date, severity, description, action_taken, outcome, "
    "resolution_date, reported_to_supplier, reported_to_regulator, regulator_reference"
)


class SessionRepository:
    """Sessions (with their products), adverse events, and the queries over them."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def insert(
        self,
        s: TreatmentSession,
        *,
        at: str,
        by: int,
        screening_id: int | None,
        supersedes: TreatmentSession | None = None,
        reason: str = "",
    ) -> int:
        cur = self._db.execute(
            "INSERT INTO sessions (patient_id, course_id, series_id, version, supersedes, "
            "status_reason, performed_at, practitioner_id, treatment, areas, indication, "
            "delivery, needle_depth_mm, anaesthetic, anaesthetic_minutes, reactions, "
            "aftercare_issued, notes, "
            "prp, screening_id, gate_override_reason, spacing_reason, regulatory_confirmations, "
            "allergy_override_reason, allergy_conflicts, recorded_at, recorded_by) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                s.patient_id,
                s.course_id,
                supersedes.series_id if supersedes else None,
                supersedes.version + 1 if supersedes else 1,
                supersedes.id if supersedes else None,
                reason,
                s.performed_at.isoformat(),
                s.practitioner_id,
                s.treatment,
                _join(s.areas),
                s.indication,
                s.delivery,
                s.needle_depth_mm,
                s.anaesthetic,
                s.anaesthetic_minutes,
                _join(s.reactions),
                int(s.aftercare_issued),
                s.notes,
                json.dumps(asdict(s.prp)) if s.prp else None,
                screening_id,
                s.gate_override_reason,
                s.spacing_reason,
                json.dumps(list(s.regulatory_confirmations), ensure_ascii=False),
                s.allergy_override_reason,
                json.dumps(list(s.allergy_conflicts), ensure_ascii=False),
                at,
                by,
            ],
        )
        new_id = inserted_id(cur.lastrowid)
        if supersedes is None:
            self._db.execute("UPDATE sessions SET series_id=? WHERE id=?", [new_id, new_id])
        else:
            self._db.execute("UPDATE sessions SET status='amended' WHERE id=?", [supersedes.id])
        for position, product in enumerate(s.products):
            self._db.execute(
                "INSERT INTO session_products (session_id, position, lot_id, volume_ml) "
                "VALUES (?, ?, ?, ?)",
                [new_id, position, product.lot_id, product.volume_ml],
            )
        return new_id

    def mark_error(self, session_id: int, reason: str) -> None:
        self._db.execute(
            "UPDATE sessions SET status='entered_in_error', status_reason=? WHERE id=?",
            [reason, session_id],
        )

    def get(self, session_id: int) -> TreatmentSession | None:
        row = self._db.execute(
            f"SELECT {_SESSION} FROM sessions s JOIN staff st ON st.id = s.practitioner_id "
            "WHERE s.id=?",
            [session_id],
        ).fetchone()
        return self._session(row) if row else None

    def for_patient(self, patient_id: int, *, include_all: bool = False) -> list[TreatmentSession]:
        """The patient's sessions, newest first (current ones only unless ``include_all``)."""
        status = "" if include_all else "AND s.status = 'current'"
        rows = self._db.execute(
            f"SELECT {_SESSION} FROM sessions s JOIN staff st ON st.id = s.practitioner_id "
            f"WHERE s.patient_id=? {status} ORDER BY s.performed_at DESC, s.id DESC",
            [patient_id],
        ).fetchall()
        # Every session's products in one query, not one query per session: a patient with
        # 200 sessions opens in one round trip instead of 201.
        products: dict[int, list[SessionProduct]] = {}
        for p in self._db.execute(
            f"SELECT sp.session_id, {_PRODUCT_COLUMNS} {_PRODUCT_JOINS} "
            f"WHERE sp.session_id IN (SELECT s.id FROM sessions s WHERE s.patient_id=? {status}) "
            "ORDER BY sp.session_id, sp.position",
            [patient_id],
        ).fetchall():
            products.setdefault(p[0], []).append(_session_product(p[1:]))
        return [self._session(r, tuple(products.get(r[0], ()))) for r in rows]

    def course_dates(self, course_id: int) -> list[date]:
        rows = self._db.execute(
            "SELECT performed_at FROM sessions WHERE course_id=? AND status='current' "
            "ORDER BY performed_at",
            [course_id],
        ).fetchall()
        return [datetime.fromisoformat(r[0]).date() for r in rows]

    def _session(
        self, r: tuple, products: tuple[SessionProduct, ...] | None = None
    ) -> TreatmentSession:
        if products is None:
            products = tuple(
                _session_product(p)
                for p in self._db.execute(
                    f"SELECT {_PRODUCT_COLUMNS} {_PRODUCT_JOINS} WHERE sp.session_id=? "
                    "ORDER BY sp.position",
                    [r[0]],
                ).fetchall()
            )
        prp = PrpPreparation(**json.loads(r[20])) if r[20] else None
        return TreatmentSession(
            id=r[0],
            patient_id=r[1],
            course_id=r[2],
            series_id=r[3],
            version=r[4],
            status=r[5],
            error_reason=r[6],
            performed_at=datetime.fromisoformat(r[7]),
            practitioner_id=r[8],
            practitioner_name=r[9],
            treatment=r[10],
            areas=_set(r[11]),
            indication=r[12],
            delivery=r[13],
            needle_depth_mm=r[14],
            anaesthetic=r[15],
            anaesthetic_minutes=r[16],
            reactions=_set(r[17]),
            aftercare_issued=bool(r[18]),
            notes=r[19],
            prp=prp,
            gate_override_reason=r[21],
            spacing_reason=r[22],
            regulatory_confirmations=tuple(json.loads(r[23])),
            allergy_override_reason=r[24],
            allergy_conflicts=tuple(json.loads(r[25])),
            products=products,
        )

    # ---- adverse events ------------------------------------------------------------------
    def save_event(self, e: AdverseEvent, *, at: str, by: int) -> int:
        values = [
            e.session_id,
            e.type,
            e.onset_date.isoformat(),
            e.severity,
            e.description,
            e.action_taken,
            e.outcome,
            e.resolution_date.isoformat() if e.resolution_date else None,
            int(e.reported_to_supplier),
            int(e.reported_to_regulator),
            e.regulator_reference,
        ]
        if e.id is None:
            cur = self._db.execute(
                "INSERT INTO adverse_events (session_id, type, onset_date, severity, description, "
                "action_taken, outcome, resolution_date, reported_to_supplier, "
                "reported_to_regulator, regulator_reference, recorded_at, recorded_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [*values, at, by],
            )
            return inserted_id(cur.lastrowid)
        self._db.execute(
            "UPDATE adverse_events SET session_id=?, type=?, onset_date=?, severity=?, "
            "description=?, action_taken=?, outcome=?, resolution_date=?, reported_to_supplier=?, "
            "reported_to_regulator=?, regulator_reference=?, version=version+1 WHERE id=?",
            [*values, e.id],
        )
        return e.id

    def event(self, event_id: int) -> AdverseEvent | None:
        row = self._db.execute(
            f"SELECT {_AE} FROM adverse_events WHERE id=?", [event_id]
        ).fetchone()
        return _event(row) if row else None

    def events_for_patient(self, patient_id: int) -> list[AdverseEvent]:
        rows = self._db.execute(
            f"SELECT {', '.join('a.' + c.strip() for c in _AE.split(','))} FROM adverse_events a "
            "JOIN sessions s ON s.id = a.session_id WHERE s.patient_id=? "
            "ORDER BY a.onset_date DESC, a.id DESC",
            [patient_id],
        ).fetchall()
        return [_event(r) for r in rows]

    def open_events(self) -> list[OpenEvent]:
        """Events not yet resolved, oldest onset first, with their patient's id."""
        rows = self._db.execute(
            f"SELECT {', '.join('a.' + c.strip() for c in _AE.split(','))}, s.patient_id "
            "FROM adverse_events a JOIN sessions s ON s.id = a.session_id "
            "WHERE a.outcome IN ('ongoing', 'unknown') ORDER BY a.onset_date, a.id"
        ).fetchall()
        return [OpenEvent(_event(r[:-1]), r[-1]) for r in rows]

    # ---- lot recall ----------------------------------------------------------------------
    def recall_rows(self, lot_ids: list[int]) -> list[RecallRow]:
        """Every current session that used any of these lots, with the patient's contacts."""
        if not lot_ids:
            return []
        marks = ",".join("?" for _ in lot_ids)
        rows = self._db.execute(
            "SELECT s.id, s.performed_at, s.treatment, st.name, p.id, p.family_name, "
            "p.given_names, p.date_of_birth, p.phone, p.email, l.id, l.lot_number, "
            "(SELECT group_concat(a.type || ' (' || a.onset_date || ')', '; ') "
            " FROM adverse_events a WHERE a.session_id = s.id) "
            f"FROM session_products sp JOIN lots l ON l.id = sp.lot_id "
            "JOIN sessions s ON s.id = sp.session_id AND s.status = 'current' "
            "JOIN patients p ON p.id = s.patient_id JOIN staff st ON st.id = s.practitioner_id "
            f"WHERE sp.lot_id IN ({marks}) ORDER BY s.performed_at, s.id",
            lot_ids,
        ).fetchall()
        return [
            RecallRow(
                session_id=r[0],
                performed_at=datetime.fromisoformat(r[1]),
                treatment=r[2],
                practitioner=r[3],
                patient_id=r[4],
                family_name=r[5],
                given_names=r[6],
                date_of_birth=_day(r[7]),
                phone=r[8] or "",
                email=r[9] or "",
                lot_id=r[10],
                lot_number=r[11],
                adverse_events=r[12] or "",
            )
            for r in rows
        ]


def _session_product(p: tuple) -> SessionProduct:
    return SessionProduct(
        lot_id=p[0], volume_ml=p[1], product_name=p[2], lot_number=p[3], expiry=_day(p[4])
    )


def _event(r: tuple) -> AdverseEvent:
    return AdverseEvent(
        id=r[0],
        session_id=r[1],
        type=r[2],
        onset_date=date.fromisoformat(r[3]),
        severity=r[4],
        description=r[5],
        action_taken=r[6],
        outcome=r[7],
        resolution_date=_day(r[8]),
        reported_to_supplier=bool(r[9]),
        reported_to_regulator=bool(r[10]),
        regulator_reference=r[11],
    )
