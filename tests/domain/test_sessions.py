"""Session records: product, lot, session and adverse-event validation, lot flags, warnings."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exodesk.domain.sessions import (
    LAB_REPORTS,
    LOT_FLAG_SEVERITY,
    AdverseEvent,
    Lot,
    LotFlag,
    LotFlagKind,
    Product,
    PrpPreparation,
    SessionProduct,
    Severity,
    TreatmentSession,
    anaesthetic_warnings,
    clean_lot_number,
    is_skin_breaking,
    lab_reports_expected,
    lot_check,
    lot_status,
    needle_depth_warnings,
    session_day,
    session_warnings,
    validate_adverse_event,
    validate_lot,
    validate_product,
    validate_session,
)
from tests.local_time import TWELVE_HOURS_EAST, local_time_zone

TODAY = date(2026, 11, 22)
ALL_REPORTS = frozenset(LAB_REPORTS)


def fields(problems: list) -> list[str]:
    return [p.field for p in problems]


# ---- products -------------------------------------------------------------------------------

PRODUCT = Product(name="ExoGlow", manufacturer="Lab Co", kind="exosome", source="plant")


def test_a_good_product_has_no_problems() -> None:
    assert validate_product(PRODUCT) == []


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"name": ""}, "name", "needed"),
        ({"name": "   "}, "name", "needed"),
        ({"name": "x" * 121}, "name", "121"),
        ({"manufacturer": "m" * 121}, "manufacturer", "120"),
        ({"kind": "filler"}, "kind", "filler"),
        ({"source": None}, "source", "comes from"),
        ({"source": "coral"}, "source", "coral"),
        ({"intended_use": "oral"}, "intended_use", "oral"),
        ({"notes": "n" * 4001}, "notes", "4,000"),
        ({"name": "Exo\x07Glow"}, "name", "control"),
        ({"notes": "tab\there\nnew line \x00"}, "notes", "control"),
    ],
)
def test_product_problems_name_the_field(change: dict, field: str, words: str) -> None:
    problems = validate_product(replace(PRODUCT, **change))
    assert fields(problems) == [field]
    assert words in problems[0].message


@pytest.mark.parametrize(
    "change",
    [
        {"name": "x" * 120, "manufacturer": "m" * 120, "notes": "n" * 4000},
        {"kind": "prp_kit", "source": None},  # only exosome products must say their source
        {"kind": "serum", "source": "other", "intended_use": "both"},
        {"notes": "line one\n\tline two"},
    ],
)
def test_product_edge_values_are_accepted(change: dict) -> None:
    assert validate_product(replace(PRODUCT, **change)) == []


# ---- lots -----------------------------------------------------------------------------------

LOT = Lot(
    product_id=1,
    lot_number="EX-2207A",
    expiry=date(2027, 6, 30),
    received_on=date(2026, 11, 1),
    lab_reports=ALL_REPORTS,
)


def test_a_good_lot_has_no_problems() -> None:
    assert validate_lot(LOT, today=TODAY) == []


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"lot_number": ""}, "lot_number", "needed"),
        ({"lot_number": "  "}, "lot_number", "needed"),
        ({"lot_number": "L" * 61}, "lot_number", "60"),
        ({"lot_number": "EX\u200b2207"}, "lot_number", "hidden character"),
        ({"lot_number": "EX\t2207"}, "lot_number", "control"),
        ({"expiry": None}, "expiry", "needed"),
        ({"received_on": TODAY + timedelta(days=1)}, "received_on", "after today"),
        (
            {"received_on": date(2026, 7, 1), "expiry": date(2026, 6, 30)},
            "received_on",
            "after its expiry",
        ),
        ({"lab_reports": frozenset({"purity", "colour"})}, "lab_reports", "colour"),
        ({"storage": "s" * 201}, "storage", "200"),
        ({"notes": "n" * 2001}, "notes", "2,000"),
    ],
)
def test_lot_problems_name_the_field(change: dict, field: str, words: str) -> None:
    problems = validate_lot(replace(LOT, **change), today=TODAY)
    assert fields(problems) == [field]
    assert words in problems[0].message


@pytest.mark.parametrize(
    "change",
    [
        {"lot_number": "  ex 2207/a  "},  # trimmed before checking; inner spaces kept
        {"lot_number": "L" * 60},
        {"received_on": TODAY},
        {"received_on": None},
        {"received_on": date(2026, 6, 30), "expiry": date(2026, 6, 30)},
        {"lab_reports": frozenset()},
        {"expiry": date(2020, 1, 1), "received_on": date(2019, 12, 1)},  # an old lot on record
    ],
)
def test_lot_edge_values_are_accepted(change: dict) -> None:
    assert validate_lot(replace(LOT, **change), today=TODAY) == []


def test_lot_numbers_are_stored_as_typed_but_trimmed() -> None:
    assert clean_lot_number("  ex 2207/A \n") == "ex 2207/A"


@pytest.mark.parametrize(
    ("days_left", "status"),
    [
        (-365, "expired"),
        (-1, "expired"),  # the day after the expiry date
        (0, "expiring"),  # usable through its expiry date
        (1, "expiring"),
        (29, "expiring"),
        (30, "ok"),  # the 30-day flag boundary
        (31, "ok"),
        (400, "ok"),
    ],
)
def test_lot_status_boundaries(days_left: int, status: str) -> None:
    lot = replace(LOT, expiry=TODAY + timedelta(days=days_left))
    assert lot_status(lot, TODAY) == status


@given(
    st.dates(min_value=date(2001, 1, 1), max_value=date(2040, 1, 1)),
    st.integers(min_value=-400, max_value=400),
)
def test_lot_status_matches_the_day_count(expiry: date, offset: int) -> None:
    today = expiry + timedelta(days=offset)
    left = (expiry - today).days
    expected = "expired" if left < 0 else "expiring" if left < 30 else "ok"
    assert lot_status(replace(LOT, expiry=expiry), today) == expected


@pytest.mark.parametrize(
    ("days_left", "kind"),
    [
        (-30, LotFlagKind.EXPIRED),
        (-1, LotFlagKind.EXPIRED),
        (0, LotFlagKind.EXPIRING),
        (1, LotFlagKind.EXPIRING),
        (29, LotFlagKind.EXPIRING),
        (30, None),
        (400, None),
    ],
)
def test_lot_check_flags_expiry_as_lot_status_judges_it(
    days_left: int, kind: LotFlagKind | None
) -> None:
    lot = replace(LOT, expiry=TODAY + timedelta(days=days_left))
    flags = lot_check(lot, TODAY)
    assert [f.kind for f in flags] == ([kind] if kind else [])
    if kind:
        (flag,) = flags
        assert (flag.lot_number, flag.expiry, flag.days_left) == ("EX-2207A", lot.expiry, days_left)
        assert flag.missing == ()


@pytest.mark.parametrize(
    ("on_file", "kind", "missing"),
    [
        (ALL_REPORTS, None, ()),
        (frozenset(), LotFlagKind.NO_LAB_REPORTS, tuple(LAB_REPORTS)),
        (
            frozenset({"purity", "viability"}),
            LotFlagKind.LAB_REPORTS_MISSING,
            ("sterility", "virus_pathogen"),
        ),
        (frozenset(LAB_REPORTS) - {"purity"}, LotFlagKind.LAB_REPORTS_MISSING, ("purity",)),
    ],
)
def test_lot_check_names_the_lab_reports_not_on_file(
    on_file: frozenset[str], kind: LotFlagKind | None, missing: tuple[str, ...]
) -> None:
    flags = lot_check(replace(LOT, lab_reports=on_file), TODAY)
    assert [(f.kind, f.missing) for f in flags] == ([(kind, missing)] if kind else [])
    # Products that come without lab reports are never flagged for them.
    assert lot_check(replace(LOT, lab_reports=on_file), TODAY, lab_reports_expected=False) == []


def test_lot_check_puts_the_expiry_first() -> None:
    lot = replace(LOT, expiry=TODAY - timedelta(days=1), lab_reports=frozenset())
    kinds = [f.kind for f in lot_check(lot, TODAY)]
    assert kinds == [LotFlagKind.EXPIRED, LotFlagKind.NO_LAB_REPORTS]
    assert lot_check(lot, TODAY, lab_reports_expected=False)[0].kind is LotFlagKind.EXPIRED


@pytest.mark.parametrize(
    ("kind", "severity"),
    [
        (LotFlagKind.EXPIRED, Severity.BLOCKS),
        (LotFlagKind.EXPIRING, Severity.INFORMS),
        (LotFlagKind.NO_LAB_REPORTS, Severity.INFORMS),
        (LotFlagKind.LAB_REPORTS_MISSING, Severity.INFORMS),
    ],
)
def test_only_an_expired_lot_blocks_a_session(kind: LotFlagKind, severity: Severity) -> None:
    flag = LotFlag(kind, "EX-1", TODAY, 0)
    assert flag.severity is severity
    assert flag.blocks == (severity is Severity.BLOCKS)
    assert set(LOT_FLAG_SEVERITY) == set(LotFlagKind), "every kind has a severity"


@given(
    st.dates(min_value=date(2001, 1, 1), max_value=date(2040, 1, 1)),
    st.integers(min_value=-60, max_value=60),
)
def test_validation_refuses_exactly_the_lots_whose_flags_block(expiry: date, offset: int) -> None:
    """The session check shows the flags that do not block and leaves the rest to validation:
    if the two ever judged a lot differently, a flag would be shown twice or not at all."""
    today = expiry + timedelta(days=offset)
    lot = replace(LOT, expiry=expiry)
    session = replace(
        SESSION,
        performed_at=datetime.combine(today, datetime.min.time(), tzinfo=UTC),
        products=(SessionProduct(lot_id=7),),
    )
    refused = "products" in fields(validate_session(session, today=today, lots={7: lot}))
    assert refused == any(f.blocks for f in lot_check(lot, today))


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("exosome", True),
        ("serum", True),
        ("other", True),
        ("prp_kit", False),
        ("anaesthetic", False),
    ],
)
def test_lab_reports_are_expected_for_biologics_not_kits(kind: str, expected: bool) -> None:
    product = Product("P", "M", kind, None if kind == "anaesthetic" else "plant")
    assert lab_reports_expected(product) is expected
    assert lab_reports_expected(None), "an unknown product is flagged rather than let through"


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(2026, 11, 21, 23, 30, tzinfo=UTC), date(2026, 11, 22)),
        (datetime(2026, 11, 22, 11, 59, tzinfo=UTC), date(2026, 11, 22)),
        (datetime(2026, 11, 22, 12, 0, tzinfo=UTC), date(2026, 11, 23)),
        (datetime(2026, 11, 22, 9, 0), date(2026, 11, 22)),  # naive: taken as local already
    ],
)
def test_session_day_is_the_local_date_not_the_stored_one(moment: datetime, day: date) -> None:
    with local_time_zone(TWELVE_HOURS_EAST):
        assert session_day(moment) == day


# ---- sessions -------------------------------------------------------------------------------

LOTS = {
    7: LOT,
    8: replace(LOT, lot_number="OLD-1", expiry=date(2026, 11, 19)),
}
SESSION = TreatmentSession(
    patient_id=1,
    performed_at=datetime(2026, 11, 20, 10, 30, tzinfo=UTC),
    practitioner_id=2,
    treatment="exosome_face",
    areas=frozenset({"face", "neck"}),
    indication="rejuvenation",
    delivery="topical_microneedling",
    needle_depth_mm=1.0,
    anaesthetic="EMLA",
    anaesthetic_minutes=25,
    products=(SessionProduct(lot_id=7, volume_ml=2.5),),
    reactions=frozenset({"redness"}),
)
PRP = PrpPreparation(
    kit="RegenKit", blood_drawn_ml=20.0, spin="double", spin_minutes=8, volume_obtained_ml=5.0
)


def check(session: TreatmentSession) -> list:
    return validate_session(session, today=TODAY, lots=LOTS)


def test_a_good_session_has_no_problems() -> None:
    assert check(SESSION) == []


def test_a_good_prp_session_has_no_problems() -> None:
    assert check(replace(SESSION, treatment="prp", delivery="microinjection", prp=PRP)) == []


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"treatment": "botox"}, "treatment", "botox"),
        ({"areas": frozenset()}, "areas", "at least one"),
        ({"areas": frozenset({"face", "knee"})}, "areas", "knee"),
        ({"indication": "wrinkles"}, "indication", "wrinkles"),
        ({"delivery": "spray"}, "delivery", "spray"),
        ({"performed_at": datetime(2026, 11, 23, 9, 0)}, "performed_at", "after today"),
        ({"performed_at": datetime(1999, 12, 31, 9, 0)}, "performed_at", "2000"),
        ({"needle_depth_mm": None}, "needle_depth_mm", "0.1 mm and 3.0 mm"),
        ({"needle_depth_mm": 0.05}, "needle_depth_mm", "0.1 mm and 3.0 mm"),
        ({"needle_depth_mm": 3.01}, "needle_depth_mm", "0.1 mm and 3.0 mm"),
        ({"needle_depth_mm": float("nan")}, "needle_depth_mm", "0.1 mm and 3.0 mm"),
        ({"anaesthetic_minutes": -1}, "anaesthetic_minutes", "0 to 120"),
        ({"anaesthetic_minutes": 121}, "anaesthetic_minutes", "0 to 120"),
        ({"anaesthetic": "a" * 121}, "anaesthetic", "120"),
        ({"products": (SessionProduct(lot_id=99, lot_number="GONE-9"),)}, "products", "GONE-9"),
        ({"products": (SessionProduct(lot_id=99),)}, "products", "#99"),
        (
            {"products": (SessionProduct(lot_id=8),)},
            "products",
            "Lot OLD-1 expired on Thu 19 Nov 2026; an expired lot cannot be used.",
        ),
        ({"products": (SessionProduct(lot_id=7, volume_ml=0),)}, "products", "more than 0 ml"),
        ({"products": (SessionProduct(lot_id=7, volume_ml=50.5),)}, "products", "50 ml"),
        ({"reactions": frozenset({"itching"})}, "reactions", "itching"),
        ({"notes": "n" * 10_001}, "notes", "10,000"),
        ({"spacing_reason": "r" * 2001}, "spacing_reason", "2,000"),
        ({"gate_override_reason": "r" * 2001}, "gate_override_reason", "2,000"),
        ({"treatment": "prp", "prp": None}, "prp", "PRP was prepared"),
    ],
)
def test_session_problems_name_the_field(change: dict, field: str, words: str) -> None:
    problems = check(replace(SESSION, **change))
    assert fields(problems) == [field]
    assert words in problems[0].message


@pytest.mark.parametrize(
    "change",
    [
        {"performed_at": datetime(2026, 11, 22, 23, 59)},  # today is not the future
        {"performed_at": datetime(2000, 1, 1, 9, 0)},
        {"needle_depth_mm": 0.1},
        {"needle_depth_mm": 3.0, "areas": frozenset({"scalp"})},
        {"delivery": "topical_only", "needle_depth_mm": None},
        {"anaesthetic_minutes": 0},
        {"anaesthetic_minutes": 120},
        {"anaesthetic_minutes": None, "anaesthetic": ""},
        {"products": ()},
        {"products": (SessionProduct(lot_id=7, volume_ml=50),)},
        {"products": (SessionProduct(lot_id=7, volume_ml=None),)},
        {"reactions": frozenset()},
        {"notes": "n" * 10_000, "spacing_reason": "r" * 2000},
    ],
)
def test_session_edge_values_are_accepted(change: dict) -> None:
    assert check(replace(SESSION, **change)) == []


def test_a_microneedling_session_needs_a_depth_even_with_topical_delivery() -> None:
    session = replace(
        SESSION, treatment="microneedling", delivery="topical_only", needle_depth_mm=None
    )
    assert fields(check(session)) == ["needle_depth_mm"]


@pytest.mark.parametrize(
    ("performed_at", "ok"),
    [
        (datetime(2026, 11, 19, 18, 0), True),  # on the expiry day the lot is still usable
        (datetime(2026, 11, 20, 8, 0), False),  # the day after, it is refused
    ],
)
def test_a_lot_is_usable_through_its_expiry_date(performed_at: datetime, ok: bool) -> None:
    session = replace(
        SESSION, performed_at=performed_at, products=(SessionProduct(lot_id=8, volume_ml=1),)
    )
    assert (check(session) == []) is ok


def test_every_problem_of_a_bad_session_is_listed_once() -> None:
    session = replace(
        SESSION,
        treatment="x",
        areas=frozenset(),
        indication="y",
        delivery="z",
        notes="\x00",
    )
    assert fields(check(session)) == ["treatment", "areas", "indication", "delivery", "notes"]


@pytest.mark.parametrize(
    ("prp", "field", "words"),
    [
        (replace(PRP, blood_drawn_ml=None), "prp.blood_drawn_ml", "1 and 100 ml"),
        (replace(PRP, blood_drawn_ml=0.5), "prp.blood_drawn_ml", "1 and 100 ml"),
        (
            replace(PRP, blood_drawn_ml=100.5, volume_obtained_ml=None),
            "prp.blood_drawn_ml",
            "1 and 100 ml",
        ),
        (replace(PRP, spin="triple"), "prp.spin", "single or a double"),
        (replace(PRP, spin_minutes=0), "prp.spin_minutes", "1 to 60"),
        (replace(PRP, spin_minutes=61), "prp.spin_minutes", "1 to 60"),
        (replace(PRP, volume_obtained_ml=20.5), "prp.volume_obtained_ml", "20 ml"),
        (replace(PRP, volume_obtained_ml=0), "prp.volume_obtained_ml", "more than 0"),
        (replace(PRP, kit="k" * 121), "prp.kit", "120"),
    ],
)
def test_prp_preparation_problems(prp: PrpPreparation, field: str, words: str) -> None:
    session = replace(SESSION, treatment="prp", delivery="microinjection", prp=prp)
    problems = check(session)
    assert fields(problems) == [field]
    assert words in problems[0].message


@pytest.mark.parametrize(
    "prp",
    [
        replace(PRP, blood_drawn_ml=1, volume_obtained_ml=1, spin_minutes=1, spin="single"),
        replace(PRP, blood_drawn_ml=100, volume_obtained_ml=100, spin_minutes=60),
        replace(PRP, spin_minutes=None, volume_obtained_ml=None),
    ],
)
def test_prp_preparation_edges_are_accepted(prp: PrpPreparation) -> None:
    session = replace(SESSION, treatment="prp", delivery="microinjection", prp=prp)
    assert check(session) == []


# ---- warnings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("depth", "areas", "expected"),
    [
        (1.5, {"face", "neck", "decolletage", "hands"}, []),
        (1.6, {"face"}, ["face (usually up to 1.5 mm)"]),
        (1.6, {"neck", "hands"}, ["neck and hands"]),
        (1.75, {"decolletage"}, ["décolletage"]),
        (2.0, {"scalp"}, []),
        (2.1, {"scalp"}, ["scalp (usually up to 2.0 mm)"]),
        (1.8, {"face", "scalp"}, ["face"]),
        (2.5, {"face", "scalp"}, ["face", "scalp"]),
        (None, {"face"}, []),
    ],
)
def test_needle_depth_warnings(depth: float | None, areas: set[str], expected: list[str]) -> None:
    warnings = needle_depth_warnings(depth, areas)
    assert len(warnings) == len(expected)
    for warning, words in zip(warnings, expected, strict=True):
        assert words in warning
        assert depth is not None and f"{depth}" in warning


@pytest.mark.parametrize(
    ("minutes", "words"),
    [
        (None, None),
        (0, "shorter"),
        (9, "shorter"),
        (10, None),
        (25, None),
        (60, None),
        (61, "longer"),
        (120, "longer"),
    ],
)
def test_anaesthetic_warnings(minutes: int | None, words: str | None) -> None:
    warnings = anaesthetic_warnings(minutes)
    if words is None:
        assert warnings == []
    else:
        (warning,) = warnings
        assert words in warning and "20–30 minutes" in warning


def test_session_warnings_gather_depth_then_anaesthetic() -> None:
    session = replace(SESSION, needle_depth_mm=2.0, anaesthetic_minutes=5)
    warnings = session_warnings(session)
    assert len(warnings) == 2
    assert "2.0 mm" in warnings[0] and "5 minutes" in warnings[1]
    assert session_warnings(SESSION) == []


@pytest.mark.parametrize(
    ("treatment", "delivery", "breaks"),
    [
        ("exosome_face", "topical_only", False),
        ("exosome_scalp", "topical_only", False),
        ("exosome_face", "topical_microneedling", True),
        ("exosome_face", "microinjection", True),
        ("exosome_scalp", "combination", True),
        ("prp", "topical_only", True),
        ("microneedling", "topical_only", True),
    ],
)
def test_is_skin_breaking(treatment: str, delivery: str, breaks: bool) -> None:
    assert is_skin_breaking(treatment, delivery) is breaks


# ---- adverse events -------------------------------------------------------------------------

SESSION_DAY = date(2026, 11, 1)
EVENT = AdverseEvent(
    session_id=5,
    type="granuloma_nodule",
    onset_date=date(2026, 11, 15),
    severity="moderate",
    description="Firm lump under the left cheek.",
)


def check_event(event: AdverseEvent) -> list:
    return validate_adverse_event(event, today=TODAY, session_date=SESSION_DAY)


def test_a_good_adverse_event_has_no_problems() -> None:
    assert check_event(EVENT) == []


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"type": "headache"}, "type", "headache"),
        ({"severity": "awful"}, "severity", "awful"),
        ({"outcome": "better"}, "outcome", "better"),
        ({"onset_date": date(2026, 10, 31)}, "onset_date", "before the session"),
        ({"onset_date": TODAY + timedelta(days=1)}, "onset_date", "after today"),
        ({"description": ""}, "description", "needed"),
        ({"description": "d" * 10_001}, "description", "10,000"),
        ({"outcome": "resolved"}, "resolution_date", "resolved"),
        ({"outcome": "resolved_with_sequelae"}, "resolution_date", "resolved"),
        (
            {"outcome": "resolved", "resolution_date": date(2026, 11, 14)},
            "resolution_date",
            "before the onset",
        ),
        (
            {"outcome": "resolved", "resolution_date": TODAY + timedelta(days=1)},
            "resolution_date",
            "after today",
        ),
        ({"resolution_date": date(2026, 11, 20)}, "resolution_date", "once the outcome"),
        (
            {"reported_to_regulator": True, "regulator_reference": "R" * 101},
            "regulator_reference",
            "100",
        ),
        ({"regulator_reference": "MHRA-123"}, "regulator_reference", "reported to the regulator"),
    ],
)
def test_adverse_event_problems_name_the_field(change: dict, field: str, words: str) -> None:
    problems = check_event(replace(EVENT, **change))
    assert fields(problems) == [field]
    assert words in problems[0].message


@pytest.mark.parametrize(
    "change",
    [
        {"onset_date": SESSION_DAY},  # the same day as the session
        {"onset_date": TODAY},
        {"outcome": "resolved", "resolution_date": date(2026, 11, 15)},  # same day as onset
        {"outcome": "resolved_with_sequelae", "resolution_date": TODAY},
        {"outcome": "unknown"},
        {"reported_to_regulator": True, "regulator_reference": "R" * 100},
        {"reported_to_regulator": True, "regulator_reference": ""},
        {"reported_to_supplier": True},
    ],
)
def test_adverse_event_edge_values_are_accepted(change: dict) -> None:
    assert check_event(replace(EVENT, **change)) == []


@given(
    st.builds(
        AdverseEvent,
        session_id=st.integers(1, 10),
        type=st.text(max_size=20),
        onset_date=st.dates(),
        severity=st.text(max_size=20),
        description=st.text(max_size=50),
        outcome=st.text(max_size=20),
        resolution_date=st.none() | st.dates(),
        reported_to_regulator=st.booleans(),
        regulator_reference=st.text(max_size=120),
    )
)
def test_adverse_event_validation_never_raises(event: AdverseEvent) -> None:
    for problem in validate_adverse_event(event, today=TODAY, session_date=SESSION_DAY):
        assert problem.field in AdverseEvent.__dataclass_fields__
        assert problem.message


@pytest.mark.parametrize(
    ("kind", "source", "expected"),
    [
        ("exosome", "plant", True),
        ("exosome", "umbilical_cord_msc", True),
        ("exosome", None, True),  # an exosome product is a biologic whatever is recorded
        ("serum", "umbilical_cord_msc", True),  # a human-derived serum
        ("other", "placenta", True),
        ("serum", None, False),  # a hyaluronic serum
        ("other", None, False),  # lidocaine entered as "Other"
        ("anaesthetic", None, False),  # lidocaine
        ("prp_kit", "platelet", False),  # the patient's own platelets
        ("prp_kit", None, False),
    ],
)
def test_lab_reports_are_asked_for_with_biologics_only(
    kind: str, source: str | None, expected: bool
) -> None:
    from exodesk.domain.sessions import is_biologic

    product = Product("P", "M", kind, source)
    assert is_biologic(product) is expected
    assert lab_reports_expected(product) is expected
    lot = Lot(1, "L-1", date(2030, 1, 1))
    flagged = [f.kind for f in lot_check(lot, TODAY, lab_reports_expected=expected)]
    assert (LotFlagKind.NO_LAB_REPORTS in flagged) is expected
