"""Hostile input: every write either stores text, numbers and dates exactly or refuses plainly."""

from __future__ import annotations

import json
import math
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, note, settings
from hypothesis import strategies as st

from exodesk.domain.aftercare import (
    AftercareSection,
    AftercareTemplate,
    TimelineStage,
)
from exodesk.domain.clinic import COUNTRIES, PAPER_SIZES, ClinicSettings
from exodesk.domain.patient import SEXES, Patient
from exodesk.domain.screening import NEVER, VERDICT_ORDER, no_to_the_rest
from exodesk.domain.sessions import (
    AE_OUTCOMES,
    AE_SEVERITIES,
    AE_TYPES,
    AREAS,
    DELIVERY_METHODS,
    INDICATIONS,
    INTENDED_USES,
    LAB_REPORTS,
    PRODUCT_KINDS,
    PRP_SPINS,
    REACTIONS,
    SOURCES,
    TREATMENTS,
    AdverseEvent,
    Lot,
    Product,
    ProtocolTemplate,
    PrpPreparation,
    SessionProduct,
    TreatmentSession,
)
from exodesk.domain.staff import ROLES, StaffMember
from exodesk.errors import UserError
from exodesk.paths import DataPaths
from exodesk.services.comparison import ClinicComparisonTexts
from exodesk.services.context import PermissionRefused, SaveResult
from exodesk.services.demo import seat
from exodesk.services.workspace import Services, open_services
from tests.bundled import bundled_aftercare, bundled_comparison, bundled_protocols, bundled_rules
from tests.conftest import TODAY, FakeClock

# ---- what was run, for the summary line ------------------------------------------------------

EXAMPLES: Counter[str] = Counter()  # hypothesis examples run, by service
WRITES: dict[str, Counter[str]] = {}  # service call -> {"stored": n, "refused": n}


@pytest.fixture(scope="module", autouse=True)
def _report_examples(request: pytest.FixtureRequest) -> Iterator[None]:
    """Print how many examples ran, in total and per service, once the module is done."""
    yield
    if not EXAMPLES:
        return
    lines = [f"hostile input: {sum(EXAMPLES.values()):,} examples in total"]
    lines += [f"  {name}: {count:,}" for name, count in sorted(EXAMPLES.items())]
    lines.append("  writes stored / refused:")
    lines += [
        f"    {call}: {c['stored']:,} / {c['refused']:,}" for call, c in sorted(WRITES.items())
    ]
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():  # past the output capture, so -q shows it
        reporter.write_line("")
        for line in lines:
            reporter.write_line(line)


@pytest.fixture
def services(services: Services) -> Services:
    """The shared fixture's real data file, without an fsync per commit: thousands of small
    transactions run here, and surviving a power cut is not under test (atomicity, which is,
    does not depend on it)."""
    services.ctx.db.execute("PRAGMA synchronous = OFF")
    return services


def hostile(max_examples: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Hypothesis settings for one service: examples share one data file (the fixture's)."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
            HealthCheck.filter_too_much,
        ],
    )


# ---- strategies ------------------------------------------------------------------------------

# Characters that go wrong in practice: C0/C1 controls, zero-width and joiners, bidi marks and
# isolates, line and paragraph separators, BOM, tags, private use, the last code point.
NASTY = (
    "\x00", "\x01", "\x07", "\x08", "\t", "\n", "\x0b", "\x0c", "\r", "\x1b", "\x1f", "\x7f",
    "\x85", "\x9f", "\u00a0", "\u00ad", "\u034f", "\u061c", "\u180e", "\u200b", "\u200c",
    "\u200d", "\u200e", "\u200f", "\u2028", "\u2029", "\u202a", "\u202b", "\u202c", "\u202d",
    "\u202e", "\u2060", "\u2066", "\u2067", "\u2068", "\u2069", "\u3000", "\ufeff", "\ufff9",
    "\ufffc", "\ufffd", "\U000e0001", "\U000e007f", "\ue000", "\U0010ffff",
)  # fmt: skip
WORDS = (
    "Zoë", "Łukasz", "O'Brien-Łukasz", "李小龍", "محمد", "שָׁלוֹם", "Ñúñez", "straße", "İI",
    "ﬁ", "A\u030a", "😀", "👩🏽‍⚕️", "🏳️‍🌈", "🇬🇧", "👨‍👩‍👧‍👦", "𝔘𝔫𝔦", "'; DROP TABLE patients;--",
    '"*', "NEAR(", "%s%n", "{0}{days}", "<b>&amp;", "\\", "NaN", "null", "None", "-0", "1e309",
)  # fmt: skip
PHONES = ("0770 090 0123", "+44 (0)20 7946 0958", "+1 555.010.9999", "12", "٠١٢٣٤٥٦٧٨٩")
EMAILS = ("zoe@example.com", " z@ë.co ", "a@b", "@", "zoë@例え.jp")
WHITESPACE = " \t\n\r\u00a0\u2028\u2029\u3000"
# Every field limit in the domain, each side of it, and the longest paste tried.
LIMITS = (12, 28, 40, 60, 80, 100, 120, 200, 254, 300, 400, 500, 2000, 4000, 10_000, 20_000)
LENGTHS = tuple(sorted({n + d for n in LIMITS for d in (-1, 0, 1)} | {25_000}))

any_char = st.characters(exclude_categories=["Cs"])  # all of Unicode; str can't hold surrogates
piece = st.one_of(any_char, st.sampled_from(NASTY), st.sampled_from(WORDS))
wild_text = st.lists(piece, max_size=12).map("".join)
plain_text = st.one_of(
    st.text(st.characters(categories=["L", "M", "N", "P", "S", "Zs"]), min_size=1, max_size=30),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join),
)
padded_text = st.builds(
    lambda before, core, after: before + core + after,
    st.text(WHITESPACE, max_size=3),
    plain_text,
    st.text(WHITESPACE, max_size=3),
)


def _repeat(chunk: str, length: int) -> str:
    return (chunk * (length // max(len(chunk), 1) + 1))[:length]


long_text = st.builds(
    _repeat,
    st.one_of(plain_text, st.lists(piece, min_size=1, max_size=4).map("".join)),
    st.one_of(st.sampled_from(LENGTHS), st.integers(0, 25_000)),
)
hostile_text = st.one_of(wild_text, plain_text, padded_text, long_text, st.just(""))

SPECIAL_NUMBERS = (
    math.nan, math.inf, -math.inf, -0.0, 0, -1, 0.5, 1.5, 30.0, True, 5e-324,
    1.7976931348623157e308, 2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63) - 1, 10**19, 10**400,
    -(10**400),
)  # fmt: skip


def hostile_number(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Valid values, NaN, infinities, negatives, huge ints, floats (whole or not), True."""
    return st.one_of(valid, st.sampled_from(SPECIAL_NUMBERS), st.floats(), st.integers())


SPECIAL_DATES = (
    date.min, date(1, 1, 2), date(1899, 12, 31), date(1900, 1, 1), date(1900, 2, 28),
    date(2000, 2, 29), date(2024, 2, 29), date(2028, 2, 29), date(9999, 12, 31), date.max,
    TODAY, TODAY - timedelta(days=1), TODAY + timedelta(days=1),
)  # fmt: skip
hostile_date = st.one_of(
    st.dates(),
    st.sampled_from(SPECIAL_DATES),
    st.integers(-800, 400).map(lambda d: TODAY + timedelta(days=d)),
)
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
offsets = st.one_of(
    st.just(UTC),
    st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m))),
)
# Moments with an offset stay a day inside datetime's range: one that converts past year 1
# or 9999 is tested on its own at the end of this file.
hostile_moment = st.one_of(
    st.datetimes(),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=offsets),
    st.builds(
        lambda d, tz: (NOW + d).astimezone(tz),
        st.timedeltas(min_value=timedelta(days=-700), max_value=timedelta(days=3)),
        offsets,
    ),
    st.sampled_from(
        (
            datetime(2024, 2, 29, 23, 59, 59, 999_999, tzinfo=UTC),
            datetime(2000, 1, 1, tzinfo=timezone(timedelta(hours=14))),
            datetime(1999, 12, 31, 23, 59),
            datetime(2026, 11, 22, 23, 59, tzinfo=timezone(timedelta(hours=-12))),
            datetime.min,
            datetime.max,
        )
    ),
)
png_bytes = st.one_of(
    st.binary(max_size=64).map(lambda b: b"\x89PNG\r\n\x1a\n" + b),
    st.binary(max_size=64),
    st.just(b""),
    st.just(b"\x89PNG" + b"\x00" * 500_001),
)


def choice_or_text(choices: Any) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(sorted(choices)), hostile_text)


def tweaked(base: Any, hostile_fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy:
    """``base`` (a record or a dict) with one to three of its fields given hostile values, so
    each field gets attention and whole records still get stored."""
    names = st.lists(st.sampled_from(sorted(hostile_fields)), min_size=1, max_size=3, unique=True)

    def apply(values: dict[str, Any]) -> Any:
        return {**base, **values} if isinstance(base, dict) else replace(base, **values)

    return names.flatmap(
        lambda chosen: st.fixed_dictionaries({n: hostile_fields[n] for n in chosen}).map(apply)
    )


def tweaked_or_wild(base: Any, hostile_fields: dict[str, st.SearchStrategy[Any]]) -> Any:
    """Mostly ``tweaked``; now and then every field hostile at once."""
    every = st.fixed_dictionaries(hostile_fields).map(lambda values: replace(base, **values))
    return st.one_of(tweaked(base, hostile_fields), every)


# ---- the contract ----------------------------------------------------------------------------


def table_counts(services: Services) -> dict[str, int]:
    """Row counts of every table (audit_log included), by direct SELECT count(*)."""
    db = services.ctx.db
    names = [
        r[0]
        for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' "
            "AND name NOT LIKE '\\_%' ESCAPE '\\' AND name NOT LIKE '%\\_fts\\_%' ESCAPE '\\'"
        ).fetchall()
    ]
    return {n: int(db.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]) for n in names}


def texts_in(value: Any, *, keys: bool = True) -> list[str]:
    """Every string inside an input (records, mappings, sequences), as sent and trimmed."""
    if isinstance(value, str):
        return [value, value.strip()]
    if isinstance(value, dict):
        return [
            t
            for k, v in value.items()
            for t in (*(texts_in(k) if keys else []), *texts_in(v, keys=keys))
        ]
    if isinstance(value, list | tuple | set | frozenset):
        return [t for v in value for t in texts_in(v, keys=keys)]
    if hasattr(value, "__dataclass_fields__"):
        return [t for f in fields(value) for t in texts_in(getattr(value, f.name), keys=keys)]
    return []


def has_controls(text: str) -> bool:
    """Control characters other than the tab and line breaks multi-line fields may hold."""
    return any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in text)


def assert_plain(message: object, inputs: tuple[object, ...]) -> None:
    """A refusal's message is non-empty plain words, whatever of the input it quotes aside."""
    assert isinstance(message, str), message
    assert "Traceback" not in message
    own = message
    for text in sorted(set(texts_in(inputs)), key=len, reverse=True):
        if text:
            own = own.replace(text, "")
    assert own.strip(), f"empty message: {message!r}"
    assert not any(unicodedata.category(c) == "Cc" for c in own), message


def attempt(
    services: Services,
    call: str,
    write: Callable[[], SaveResult],
    *inputs: object,
    typed: bool = True,
) -> SaveResult | None:
    """Run one write. Return its result if it stored; None if it was refused, once the
    refusal is checked to be plain and to have left every table (audit_log too) as it was.

    ``typed`` inputs are text people type: like every such field, they may not be stored
    holding invisible control characters (what ``check_text`` refuses), beyond what trimming
    removes. Mapping keys are ids picked from lists, not typed, so they are not held to it."""
    tally = WRITES.setdefault(call, Counter())
    before = table_counts(services)
    try:
        result = write()
    except UserError as exc:
        note(f"{call} refused: {exc}")
        assert_plain(exc.message, inputs)
        assert_plain(str(exc), inputs)  # with its advice
        if isinstance(exc, PermissionRefused):
            # Refused for lack of permission: the one row left is the 'refused' audit entry.
            before = {**before, "audit_log": before["audit_log"] + 1}
        assert table_counts(services) == before, f"{call} left rows behind after refusing"
        tally["refused"] += 1
        return None
    assert isinstance(result, SaveResult)
    if result.problems:
        note(f"{call} refused: {result.problems}")
        for problem in result.problems:
            assert isinstance(problem.field, str)
            assert_plain(problem.message, inputs)
        assert table_counts(services) == before, f"{call} left rows behind after refusing"
        tally["refused"] += 1
        return None
    after = table_counts(services)
    if after != before:
        assert after["audit_log"] > before["audit_log"], f"{call} stored without an audit entry"
    if typed:
        kept = [t for t in texts_in(inputs, keys=False)[1::2] if has_controls(t)]
        assert not kept, f"{call} stored invisible control characters: {kept[0]!r}"
    tally["stored"] += 1
    return result


def effective_answers(answers: dict) -> dict:
    """The answers a save can store: an infection area without an infection is dropped, by
    design (the engine ignores it), so it is not "stored" whatever it holds."""
    if answers.get("active_infection"):  # the same test the service makes
        return dict(answers)
    return {k: v for k, v in answers.items() if k != "active_infection_area"}


def values_of(record: Any, *, skip: tuple[str, ...] = ("id",)) -> dict[str, Any]:
    return {f.name: getattr(record, f.name) for f in fields(record) if f.name not in skip}


def same(stored: dict[str, Any], expected: dict[str, Any]) -> None:
    """Field by field and type for type, so a failure names the field that came back altered."""
    for key, want in expected.items():
        got = stored[key]
        kinds = {type(got), type(want)}
        assert got == want and (len(kinds) == 1 or kinds == {int, float}), (
            f"{key}: stored {got!r}, sent {want!r}"
        )


# ---- patients --------------------------------------------------------------------------------

PATIENT_FIELDS = {
    "family_name": hostile_text,
    "given_names": hostile_text,
    "date_of_birth": st.one_of(st.none(), hostile_date),
    "sex": choice_or_text(SEXES),
    "phone": st.one_of(hostile_text, st.sampled_from(PHONES)),
    "email": st.one_of(hostile_text, st.sampled_from(EMAILS)),
    "address": hostile_text,
    "emergency_contact": hostile_text,
    "gp": hostile_text,
    "alerts": hostile_text,
    "notes": hostile_text,
}
patients = tweaked_or_wild(Patient("O'Brien-Łukasz", "Zoë", date(1985, 4, 3)), PATIENT_FIELDS)


def as_stored(p: Patient) -> dict[str, Any]:
    """What a saved patient reads back as: one-line fields trimmed, free text as typed."""
    return values_of(p.normalised(), skip=("id", "version"))


@pytest.fixture
def base_patient(services: Services) -> Patient:
    return services.patients.create(Patient("Smith", "Olivia", date(1985, 4, 3))).record


@hostile(400)
@given(new=patients, correction=patients, inactive=st.booleans(), reason=hostile_text)
def test_patients(
    services: Services,
    base_patient: Patient,
    new: Patient,
    correction: Patient,
    inactive: bool,
    reason: str,
) -> None:
    EXAMPLES["patients"] += 1
    created = attempt(services, "patients.create", lambda: services.patients.create(new), new)
    if created:
        same(values_of(services.patients.get(created.record.id)), as_stored(new))

    current = services.patients.get(base_patient.id)
    draft = replace(correction, id=current.id, version=current.version)
    updated = attempt(services, "patients.update", lambda: services.patients.update(draft), draft)
    stored = services.patients.get(current.id)
    if updated:
        # The status is set_status()'s to change, with its reason; update() keeps it.
        kept = replace(draft, status=current.status, status_reason=current.status_reason)
        same(values_of(stored), as_stored(kept))
    else:
        assert stored == current and stored.version == current.version

    status = "inactive" if inactive else "active"
    marked = attempt(
        services,
        "patients.set_status",
        lambda: services.patients.set_status(current.id, status, reason),
        reason,
        typed=False,  # known gap: test_status_reasons_refuse_control_characters
    )
    after = services.patients.get(current.id)
    if marked:
        assert (after.status, after.status_reason) == (status, reason.strip())
    else:
        assert after == stored and after.version == stored.version


# ---- screening -------------------------------------------------------------------------------

RULES = bundled_rules()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def answer_values(item_type: str, values: tuple[str, ...]) -> st.SearchStrategy[Any]:
    """Answers of the item's own type (hostile where it is text) and of every wrong type."""
    wrong = st.one_of(hostile_number(st.none()), hostile_text, st.lists(hostile_text, max_size=2))
    if item_type == "bool":
        return st.one_of(st.booleans(), wrong)
    if item_type == "text":
        return st.one_of(hostile_text, wrong)
    if item_type == "enum":
        return st.one_of(st.sampled_from(values), wrong)
    if item_type == "set":
        return st.one_of(
            st.frozensets(st.sampled_from(values)), st.lists(st.sampled_from(values)), wrong
        )
    return st.one_of(hostile_date, hostile_moment, st.just(NEVER), wrong)


ANSWERS = {i.id: answer_values(i.type, i.values) for i in RULES.items}
# Every question answered no / never / none: the base a save can store (an answer set with a
# question unanswered is refused, so a hostile value is tried on a complete set too).
COMPLETE = no_to_the_rest(RULES, {})
answers = st.one_of(
    tweaked(COMPLETE, ANSWERS),
    tweaked({}, ANSWERS),
    st.fixed_dictionaries({}, optional=ANSWERS),
    st.builds(
        lambda known, unknown: {**known, **unknown},
        tweaked(COMPLETE, ANSWERS),
        st.dictionaries(hostile_text, st.booleans(), min_size=1, max_size=2),
    ),
)


def as_read_back(sent: dict[str, Any]) -> dict[str, Any]:
    """What a saved screening's answers read back as: every answer as sent, the explicit
    no, never and none of these too (a choice list as a frozenset). A blank text is no answer,
    and the infection area needs an infection (both as the screening service documents)."""
    out: dict[str, Any] = {}
    for item in RULES.items:
        value = sent.get(item.id)
        if value is None or (item.only_if and sent.get(item.only_if) is not True):
            continue
        if item.type == "set":
            out[item.id] = frozenset(value)
        elif item.type != "text" or value.strip():
            out[item.id] = value
    return out


@pytest.fixture
def practitioner(services: Services) -> StaffMember:
    member = services.clinic.save_staff(StaffMember("Dr Amara Okafor", "practitioner")).record
    seat(services, member.id)
    return member


@hostile(300)
@given(sent=answers, correction=answers, reason=hostile_text)
def test_screening_save_and_amend(
    services: Services, base_patient: Patient, sent: dict, correction: dict, reason: str
) -> None:
    EXAMPLES["screening.save/amend"] += 1
    pid = base_patient.id
    saved = attempt(
        services,
        "screening.save",
        lambda: services.screening.save(pid, dict(sent)),
        effective_answers(sent),
    )
    if saved:
        record = services.screening.get(saved.record.id)
        assert record.answers == as_read_back(sent)
        assert (record.patient_id, record.superseded) == (pid, False)

    current = services.screening.current(pid)
    if current is None:
        return
    amended = attempt(
        services,
        "screening.amend",
        lambda: services.screening.amend(current.id, dict(correction), reason),
        effective_answers(correction),
        reason,
    )
    if amended:
        record = services.screening.get(amended.record.id)
        assert record.answers == as_read_back(correction)
        assert (record.amend_reason, record.version) == (reason.strip(), current.version + 1)
        assert services.screening.get(current.id).superseded
    else:
        assert services.screening.get(current.id) == current


@pytest.fixture
def receptionist(services: Services, practitioner: StaffMember) -> StaffMember:
    services.desk.user = services.clinic.staff()[0]  # Ada, the admin, adds her
    member = services.clinic.save_staff(StaffMember("Priya Shah", "reception")).record
    services.desk.user = practitioner
    return member


@pytest.fixture
def pregnant_screening(services: Services, base_patient: Patient, practitioner: StaffMember) -> int:
    """Pregnancy: the exosome treatments are deferred, PRP and microneedling need review."""
    answers = no_to_the_rest(RULES, {"pregnant": True})
    return services.screening.save(base_patient.id, answers).record.id


decisions = tweaked(
    {
        "treatment": "prp",
        "decision": "cleared",
        "overridden": "exosome_face",
        "signature": PNG,
        "as_reception": False,
    },
    {
        "treatment": choice_or_text({"prp", "microneedling", "exosome_face"}),
        "decision": choice_or_text({"cleared", "not_cleared"}),
        "overridden": choice_or_text({"exosome_face", "exosome_scalp", "prp"}),
        "signature": png_bytes,
        "as_reception": st.just(True),
    },
)


@hostile(300)
@given(choice=decisions, note_text=hostile_text, reason=hostile_text, signed_name=hostile_text)
def test_screening_decisions_and_consent(
    services: Services,
    practitioner: StaffMember,
    receptionist: StaffMember,
    pregnant_screening: int,
    choice: dict[str, Any],
    note_text: str,
    reason: str,
    signed_name: str,
) -> None:
    EXAMPLES["screening.sign_off/override/record_consent"] += 1
    sid = pregnant_screening
    services.desk.user = receptionist if choice["as_reception"] else practitioner
    treatment, decision = choice["treatment"], choice["decision"]
    signed = attempt(
        services,
        "screening.sign_off",
        lambda: services.screening.sign_off(sid, treatment, decision, note_text),
        treatment,
        decision,
        note_text,
    )
    if signed:
        last = services.screening.get(sid).signoffs[-1]
        assert (last.treatment, last.decision, last.note, last.by_name) == (
            treatment,
            decision,
            note_text.strip(),
            practitioner.name,
        )

    overridden = choice["overridden"]
    done = attempt(
        services,
        "screening.override",
        lambda: services.screening.override(sid, overridden, reason),
        overridden,
        reason,
    )
    if done:
        last = services.screening.get(sid).overrides[-1]
        assert (last.treatment, last.reason) == (overridden, reason.strip())

    signature = choice["signature"]
    consented = attempt(
        services,
        "screening.record_consent",
        lambda: services.screening.record_consent(sid, signed_name, signature),
        signed_name,
    )
    if consented:
        consent = services.screening.get(sid).consent
        assert consent is not None
        assert (consent.signed_name, consent.signature_png) == (signed_name.strip(), signature)


rule_changes = st.dictionaries(
    choice_or_text({r.id for r in RULES.rules}),
    st.dictionaries(
        choice_or_text({"outcome", "days", "months"}),
        st.one_of(
            choice_or_text(VERDICT_ORDER),
            hostile_number(st.integers(1, 200)),
            st.booleans(),
            st.none(),
        ),
        max_size=2,
    ),
    max_size=3,
)


@hostile(250)
@given(text=hostile_text, overrides=rule_changes)
def test_consent_text_and_rule_overrides(
    services: Services, text: str, overrides: dict[str, dict[str, Any]]
) -> None:
    EXAMPLES["screening.save_consent_text/set_rule_overrides"] += 1
    saved = attempt(
        services,
        "screening.save_consent_text",
        lambda: services.screening.save_consent_text(text),
        text,
    )
    if saved:
        assert services.screening.consent_text() == (saved.record, text)

    before = services.screening.rules()
    tightened = attempt(
        services,
        "screening.set_rule_overrides",
        lambda: services.screening.set_rule_overrides(overrides),
        overrides,
    )
    now = services.screening.rules()
    if tightened:
        assert (now.version, now.overrides) == (
            tightened.record.version,
            tightened.record.overrides,
        )
        for rule_id, change in overrides.items():
            rule = now.rule(rule_id)
            for key, value in change.items():
                if key == "outcome":
                    assert {e.outcome for e in rule.effects} == {value}
                else:
                    assert getattr(rule.when, key) == value
    else:
        assert (now.version, now.overrides) == (before.version, before.overrides)


# ---- catalogue: products, lots, protocols ----------------------------------------------------

products = tweaked_or_wild(
    Product("VerdeCell", "Botanica", "exosome", "plant", "topical"),
    {
        "name": hostile_text,
        "manufacturer": hostile_text,
        "kind": choice_or_text(PRODUCT_KINDS),
        "source": st.one_of(st.none(), choice_or_text(SOURCES)),
        "intended_use": choice_or_text(INTENDED_USES),
        "notes": hostile_text,
        "active": st.booleans(),
    },
)


def product_as_stored(p: Product) -> dict[str, Any]:
    return values_of(replace(p, name=p.name.strip(), manufacturer=p.manufacturer.strip()))


@pytest.fixture
def base_product(services: Services) -> Product:
    return services.catalogue.save_product(
        Product("VerdeCell", "Botanica", "exosome", "plant", "topical")
    ).record


@hostile(300)
@given(new=products, correction=products)
def test_products(
    services: Services, base_product: Product, new: Product, correction: Product
) -> None:
    EXAMPLES["catalogue.save_product"] += 1
    saved = attempt(
        services, "catalogue.save_product", lambda: services.catalogue.save_product(new), new
    )
    if saved:
        same(values_of(services.catalogue.product(saved.record.id)), product_as_stored(new))

    current = services.catalogue.product(base_product.id)
    draft = replace(correction, id=current.id)
    updated = attempt(
        services, "catalogue.save_product", lambda: services.catalogue.save_product(draft), draft
    )
    stored = services.catalogue.product(current.id)
    if updated:
        same(values_of(stored), product_as_stored(draft))
    else:
        assert stored == current


lots = st.builds(
    lambda number, lot: replace(lot, lot_number=number),
    hostile_text,  # always drawn: a product's lot numbers must differ
    tweaked(
        Lot(0, "", date(2099, 1, 1)),
        {
            "expiry": hostile_date,
            "received_on": st.one_of(st.none(), hostile_date),
            "storage": hostile_text,
            "lab_reports": st.one_of(
                st.frozensets(st.sampled_from(sorted(LAB_REPORTS))), st.frozensets(hostile_text)
            ),
            "notes": hostile_text,
        },
    ),
)


@hostile(300)
@given(new=lots, update=st.booleans())
def test_lots(services: Services, base_product: Product, new: Lot, update: bool) -> None:
    EXAMPLES["catalogue.save_lot"] += 1
    existing = services.catalogue.lots(base_product.id)
    target = existing[0] if update and existing else None
    draft = replace(new, product_id=base_product.id, id=target.id if target else None)
    saved = attempt(
        services, "catalogue.save_lot", lambda: services.catalogue.save_lot(draft), draft
    )
    if saved:
        stored = services.catalogue.lot(saved.record.id)
        same(values_of(stored), values_of(replace(draft, lot_number=draft.lot_number.strip())))
    elif target is not None:
        assert services.catalogue.lot(target.id) == target


BUNDLED_PROTOCOLS = bundled_protocols().templates
PROTOCOL_NUMBERS = [f.name for f in fields(ProtocolTemplate) if f.type == "int"]
protocols = st.sampled_from(BUNDLED_PROTOCOLS).flatmap(
    lambda base: tweaked(
        base,
        {
            "key": hostile_text,
            "label": hostile_text,
            "indication": choice_or_text(INDICATIONS),
            **{name: hostile_number(st.integers(0, 400)) for name in PROTOCOL_NUMBERS},
        },
    )
)


@hostile(250)
@given(template=protocols)
def test_protocols(services: Services, template: ProtocolTemplate) -> None:
    EXAMPLES["catalogue.save_protocol"] += 1
    before = {t.key: t for t in services.catalogue.protocols()}
    saved = attempt(
        services,
        "catalogue.save_protocol",
        lambda: services.catalogue.save_protocol(template),
        template,
    )
    after = {t.key: t for t in services.catalogue.protocols()}
    if saved and template.key in before:
        same(values_of(after[template.key]), values_of(template))
    elif saved:
        # A key the bundled file does not have is listed after the bundled ones
        # (test_a_clinics_own_protocol_is_listed); read the stored row itself.
        columns = values_of(template)
        row = services.ctx.db.execute(
            f"SELECT {', '.join(columns)} FROM protocol_templates WHERE key = ?", [template.key]
        ).fetchone()
        assert row == tuple(columns.values())
    else:
        assert after == before


# ---- sessions, courses and adverse events ----------------------------------------------------


@dataclass(frozen=True)
class Floor:
    """What a session needs in place: a practitioner, a lot, patients with and without a
    screening, and a session weeks ago to log events against and to copy."""

    practitioner: StaffMember
    lot: Lot
    cleared: int
    unscreened: int
    past_session: int


@pytest.fixture
def floor(services: Services, practitioner: StaffMember, base_product: Product) -> Floor:
    lot = services.catalogue.save_lot(Lot(base_product.id, "VC-2411", date(2099, 1, 1))).record
    cleared = services.patients.create(Patient("Smith", "Olivia", date(1985, 4, 3))).record.id
    screening = services.screening.save(cleared, dict(COMPLETE)).record
    services.screening.record_consent(screening.id, "Olivia Smith", PNG)
    unscreened = services.patients.create(Patient("Jones", "Ava", date(1990, 1, 1))).record.id
    past = TreatmentSession(
        patient_id=unscreened,
        performed_at=NOW - timedelta(days=60),
        practitioner_id=practitioner.id,
        treatment="exosome_face",
        areas=frozenset({"face"}),
        indication="rejuvenation",
        delivery="topical_microneedling",
        needle_depth_mm=0.5,
        gate_override_reason="Screening done on paper",
    )
    confirmed = [n.id for n in services.sessions.check(past).regulatory]
    session = services.sessions.record(past, confirmed=confirmed).record
    return Floor(practitioner, lot, cleared, unscreened, session.id)


prp_preparations = tweaked(
    PrpPreparation("Regen", 20.0, "single", "3,500 rpm", 10, 4.0, ""),
    {
        "kit": hostile_text,
        "blood_drawn_ml": st.one_of(st.none(), hostile_number(st.floats(1, 100))),
        "spin": choice_or_text(PRP_SPINS),
        "speed": hostile_text,
        "spin_minutes": st.one_of(st.none(), hostile_number(st.integers(1, 60))),
        "volume_obtained_ml": st.one_of(st.none(), hostile_number(st.floats(0, 100))),
        "activator": hostile_text,
    },
)
DRAFT = {
    "performed_at": NOW,
    "treatment": "exosome_face",
    "areas": frozenset({"face"}),
    "indication": "rejuvenation",
    "delivery": "topical_microneedling",
    "needle_depth_mm": 0.5,
    "anaesthetic": "",
    "anaesthetic_minutes": None,
    "products": [("lot", 2.0)],
    "reactions": frozenset(),
    "notes": "",
    "prp": None,
    "gate_override_reason": "Screened on paper",
    "spacing_reason": "Travelling",
}
DRAFT_FIELDS = {
    "performed_at": hostile_moment,
    "treatment": choice_or_text(TREATMENTS),
    "areas": st.one_of(
        st.frozensets(st.sampled_from(sorted(AREAS))), st.frozensets(hostile_text, max_size=2)
    ),
    "indication": choice_or_text(INDICATIONS),
    "delivery": choice_or_text(DELIVERY_METHODS),
    "needle_depth_mm": st.one_of(st.none(), hostile_number(st.floats(0.1, 3.0))),
    "anaesthetic": hostile_text,
    "anaesthetic_minutes": st.one_of(st.none(), hostile_number(st.integers(0, 120))),
    "products": st.lists(
        st.tuples(
            st.sampled_from(["lot", "missing"]),
            st.one_of(st.none(), hostile_number(st.floats(0.01, 50))),
        ),
        max_size=2,
    ),
    "reactions": st.one_of(
        st.frozensets(st.sampled_from(sorted(REACTIONS))), st.frozensets(hostile_text, max_size=2)
    ),
    "notes": hostile_text,
    "prp": st.one_of(st.none(), prp_preparations),
    "gate_override_reason": hostile_text,
    "spacing_reason": hostile_text,
}
drafts = st.builds(
    lambda spec, screened, aftercare: {**spec, "screened": screened, "aftercare_issued": aftercare},
    tweaked(DRAFT, DRAFT_FIELDS),
    st.booleans(),
    st.booleans(),
)


def build_draft(spec: dict[str, Any], floor: Floor) -> TreatmentSession:
    spec = dict(spec)
    used = tuple(
        SessionProduct(floor.lot.id if which == "lot" else 987_654, volume)
        for which, volume in spec.pop("products")
    )
    patient = floor.cleared if spec.pop("screened") else floor.unscreened
    return TreatmentSession(
        patient_id=patient, practitioner_id=floor.practitioner.id, products=used, **spec
    )


def session_values(s: TreatmentSession) -> dict[str, Any]:
    values = values_of(
        s, skip=("id", "series_id", "version", "status", "practitioner_name", "products", "prp")
    )
    # The moment as written (its offset and microseconds), not merely the same instant.
    values["performed_at"] = s.performed_at.isoformat()
    values["products"] = [(p.lot_id, p.volume_ml) for p in s.products]
    values["prp"] = asdict(s.prp) if s.prp else None
    return values


@hostile(400)
@given(spec=drafts)
@example(spec={**DRAFT, "screened": True, "aftercare_issued": False, "needle_depth_mm": 10**400})
@example(spec={**DRAFT, "screened": True, "aftercare_issued": False, "treatment": ""})
def test_session_record(services: Services, floor: Floor, spec: dict[str, Any]) -> None:
    EXAMPLES["sessions.record"] += 1
    draft = build_draft(spec, floor)
    check = services.sessions.check(draft)
    confirmed = [n.id for n in check.regulatory]
    saved = attempt(
        services,
        "sessions.record",
        lambda: services.sessions.record(draft, confirmed=confirmed),
        draft,
    )
    if saved:
        # A reason is kept only where the checks asked for one (as SessionService._store says).
        want = replace(
            draft,
            gate_override_reason="" if check.gate.allowed else draft.gate_override_reason.strip(),
            spacing_reason=draft.spacing_reason.strip() if check.spacing else "",
            regulatory_confirmations=tuple(confirmed),
        )
        stored = services.sessions.get(saved.record.id)
        same(session_values(stored), session_values(want))
        assert (stored.status, stored.version) == ("current", 1)


@hostile(200)
@given(reason=hostile_text, error_reason=hostile_text, depth=hostile_number(st.floats(0.1, 3)))
def test_session_amend_and_entered_in_error(
    services: Services, floor: Floor, reason: str, error_reason: str, depth: Any
) -> None:
    EXAMPLES["sessions.amend/mark_entered_in_error"] += 1
    past = services.sessions.get(floor.past_session)
    current = services.sessions.record(
        replace(past, id=None, spacing_reason="Planned"),
        confirmed=list(past.regulatory_confirmations),
    ).record
    draft = replace(current, needle_depth_mm=depth)
    amended = attempt(
        services,
        "sessions.amend",
        lambda: services.sessions.amend(current.id, draft, reason),
        reason,
        typed=False,  # known gap: test_session_reasons_are_checked_like_other_reasons
    )
    if amended:
        stored = services.sessions.get(amended.record.id)
        assert (stored.error_reason, stored.needle_depth_mm, stored.version) == (
            reason.strip(),
            depth,
            2,
        )
        assert services.sessions.get(current.id).status == "amended"
        current = stored
    else:
        assert services.sessions.get(current.id) == current

    marked = attempt(
        services,
        "sessions.mark_entered_in_error",
        lambda: services.sessions.mark_entered_in_error(current.id, error_reason),
        error_reason,
        typed=False,  # known gap: test_session_reasons_are_checked_like_other_reasons
    )
    stored = services.sessions.get(current.id)
    if marked:
        assert (stored.status, stored.error_reason) == ("entered_in_error", error_reason.strip())
    else:
        assert stored == current


events = tweaked(
    AdverseEvent(0, "infection", TODAY - timedelta(days=30), "moderate", "Redness, warm to touch"),
    {
        "type": choice_or_text(AE_TYPES),
        "onset_date": hostile_date,
        "severity": choice_or_text(AE_SEVERITIES),
        "description": hostile_text,
        "action_taken": hostile_text,
        "outcome": choice_or_text(AE_OUTCOMES),
        "resolution_date": st.one_of(st.none(), hostile_date),
        "reported_to_supplier": st.booleans(),
        "reported_to_regulator": st.booleans(),
        "regulator_reference": hostile_text,
    },
)


@hostile(300)
@given(event=events, update=st.booleans())
def test_adverse_events(
    services: Services, floor: Floor, event: AdverseEvent, update: bool
) -> None:
    EXAMPLES["events.log_event"] += 1
    existing = services.events.events_for_patient(floor.unscreened)
    target = existing[-1] if update and existing else None
    draft = replace(event, session_id=floor.past_session, id=target.id if target else None)
    logged = attempt(services, "events.log_event", lambda: services.events.log_event(draft), draft)
    if logged:
        same(values_of(services.events.event(logged.record.id)), values_of(draft))
    elif target is not None:
        assert services.events.event(target.id) == target


courses = tweaked(
    {"template": "skin_rejuvenation", "treatment": "exosome_face", "planned": None},
    {
        "template": choice_or_text({t.key for t in BUNDLED_PROTOCOLS}),
        "treatment": choice_or_text(TREATMENTS),
        "planned": st.one_of(st.integers(1, 8), hostile_number(st.none())),
    },
)


@hostile(150)
@given(course=courses)
@example(course={"template": "", "treatment": "exosome_face", "planned": None})
def test_start_course(services: Services, floor: Floor, course: dict[str, Any]) -> None:
    template, treatment, planned = course["template"], course["treatment"], course["planned"]
    # A planned number that is not whole is a known gap (test_planned_sessions_are_whole).
    assume(planned is None or (isinstance(planned, int) and not isinstance(planned, bool)))
    EXAMPLES["courses.start_course"] += 1
    started = attempt(
        services,
        "courses.start_course",
        lambda: services.courses.start_course(floor.cleared, template, treatment, planned),
        template,
        treatment,
    )
    if started:
        course_id = started.record.id
        stored = next(c for c, _ in services.courses.courses(floor.cleared) if c.id == course_id)
        assert (stored.template_key, stored.treatment) == (template, treatment)
        assert planned is None or stored.planned_sessions == planned


# ---- clinic: settings and staff --------------------------------------------------------------

clinic_settings = tweaked_or_wild(
    ClinicSettings("Clinica Zoë", "1 High Street\nLondon", "020 7946 0958"),
    {
        "name": hostile_text,
        "address": hostile_text,
        "phone": st.one_of(hostile_text, st.sampled_from(PHONES)),
        "out_of_hours": st.one_of(hostile_text, st.sampled_from(PHONES)),
        "country": choice_or_text(COUNTRIES),
        "paper_size": choice_or_text(PAPER_SIZES),
        "logo_png": st.one_of(st.none(), png_bytes),
        "screening_valid_days": hostile_number(st.integers(1, 365)),
        "idle_lock_minutes": hostile_number(st.integers(2, 30)),
    },
)


@hostile(300)
@given(new=clinic_settings)
@example(new=ClinicSettings("Clinica Zoë", screening_valid_days=1.5))
@example(new=ClinicSettings("Clinica Zoë", screening_valid_days=True))
@example(new=ClinicSettings("Clinica Zoë", idle_lock_minutes=1))
@example(new=ClinicSettings("Clinica Zoë", idle_lock_minutes=31))
def test_clinic_settings(services: Services, new: ClinicSettings) -> None:
    EXAMPLES["clinic.save_settings"] += 1
    before = services.clinic.settings()
    saved = attempt(
        services, "clinic.save_settings", lambda: services.clinic.save_settings(new), new
    )
    stored = services.clinic.settings()
    if saved:
        trimmed = (new.name.strip(), new.phone.strip(), new.out_of_hours.strip())
        want = replace(new, name=trimmed[0], phone=trimmed[1], out_of_hours=trimmed[2])
        same(values_of(stored, skip=()), values_of(want, skip=()))
        # A screening stays valid for whole days: 30.5, 1e3/4 or True is not a setting.
        assert type(stored.screening_valid_days) is int
        assert type(stored.idle_lock_minutes) is int and 2 <= stored.idle_lock_minutes <= 30
    else:
        assert stored == before


@hostile(250)
@given(name=hostile_text, role=choice_or_text(ROLES), active=st.booleans(), update=st.booleans())
def test_staff(services: Services, name: str, role: str, active: bool, update: bool) -> None:
    EXAMPLES["clinic.save_staff"] += 1
    others = [m for m in services.clinic.staff(include_inactive=True) if m.id != 1]
    target = others[-1] if update and others else None
    member = StaffMember(name, role, active, id=target.id if target else None)
    saved = attempt(
        services, "clinic.save_staff", lambda: services.clinic.save_staff(member), member
    )
    everyone = {m.id: m for m in services.clinic.staff(include_inactive=True)}
    if saved:
        stored = everyone[saved.record.id]
        assert (stored.name, stored.role, stored.active) == (name.strip(), role, active)
    elif target is not None:
        assert everyone[target.id] == target


@hostile(25)
@given(
    member=tweaked(
        {"name": "Ada Admin", "role": "reception"},
        {"name": hostile_text, "role": choice_or_text(ROLES)},
    )
)
def test_first_staff(tmp_path_factory: pytest.TempPathFactory, member: dict[str, str]) -> None:
    EXAMPLES["clinic.add_first_staff"] += 1
    name, role = member["name"], member["role"]
    folder = tmp_path_factory.mktemp("first")
    services = open_services(DataPaths(folder / "clinic"), create=True, clock=FakeClock())
    services.ctx.db.execute("PRAGMA synchronous = OFF")
    try:
        first = StaffMember(name, role)
        saved = attempt(
            services,
            "clinic.add_first_staff",
            lambda: services.clinic.add_first_staff(first),
            first,
        )
        staff = services.clinic.staff(include_inactive=True)
        if saved:
            assert [(m.name, m.role, m.active) for m in staff] == [(name.strip(), role, True)]
            assert services.desk.user == staff[0]
        else:
            assert staff == [] and services.desk.user is None
    finally:
        services.close()


# ---- aftercare and comparison texts ----------------------------------------------------------

DEFAULT_SHEETS = bundled_aftercare()


@st.composite
def wordings(draw: st.DrawFn) -> AftercareTemplate:
    """A bundled wording with one to three parts made hostile (not its version: the app
    sets that, the clinic does not type it)."""
    base = DEFAULT_SHEETS[draw(st.sampled_from(sorted(DEFAULT_SHEETS)))]
    parts = draw(
        st.lists(
            st.sampled_from(["treatment", "title", "intro", "section", "bullet", "stage"]),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    template = base
    for part in parts:
        if part in ("treatment", "title", "intro"):
            value = draw(choice_or_text(TREATMENTS) if part == "treatment" else hostile_text)
            template = replace(template, **{part: value})
            continue
        sections, stages = list(template.sections), list(template.timeline)
        i = draw(st.integers(0, len(sections) - 1))
        if part == "section":
            sections[i] = replace(
                sections[i],
                id=draw(st.one_of(st.just(sections[i].id), hostile_text)),
                heading=draw(hostile_text),
            )
        elif part == "bullet":
            bullets = list(sections[i].bullets)
            j = draw(st.integers(0, len(bullets)))
            bullets[j : j + draw(st.integers(0, 1))] = [draw(hostile_text)]
            sections[i] = AftercareSection(sections[i].id, sections[i].heading, tuple(bullets))
        else:
            k = draw(st.integers(0, len(stages) - 1))
            stages[k] = TimelineStage(
                draw(st.one_of(st.just(stages[k].key), hostile_text)),
                draw(st.one_of(st.just(stages[k].label), hostile_text)),
                draw(hostile_text),
            )
        template = replace(template, sections=tuple(sections), timeline=tuple(stages))
    return template


@hostile(300)
@given(template=wordings())
def test_aftercare_wording(services: Services, template: AftercareTemplate) -> None:
    EXAMPLES["aftercare.save_wording"] += 1
    treatment = template.treatment
    before = services.aftercare.wording(treatment) if treatment in TREATMENTS else None
    saved = attempt(
        services,
        "aftercare.save_wording",
        lambda: services.aftercare.save_wording(template),
        template,
    )
    if saved:
        wording = services.aftercare.wording(treatment)
        assert wording.edited and wording.template == template
    elif before is not None:
        assert services.aftercare.wording(treatment) == before


@hostile(20)
@given(
    patient=patients,
    clinic=clinic_settings,
    how=hostile_text,
    treatment=st.sampled_from(sorted(TREATMENTS)),
)
def test_aftercare_issue_log(
    services: Services, patient: Patient, clinic: ClinicSettings, how: str, treatment: str
) -> None:
    """Whatever patient name and clinic details were accepted print, go in the issue log and
    reprint byte for byte; how the sheet was issued is logged as given."""
    EXAMPLES["aftercare.record_issue"] += 1
    services.clinic.save_settings(clinic)
    created = services.patients.create(patient)
    pid = created.record.id if created.ok else None
    sheet = services.aftercare.sheet(treatment=treatment, patient_id=pid)
    pdf = services.aftercare.render(sheet)
    logged = attempt(
        services,
        "aftercare.record_issue",
        lambda: services.aftercare.record_issue(sheet, pdf, how, patient_id=pid, session_id=None),
        how,
        typed=False,  # how a sheet left is the app's word ("printed"), never typed
    )
    assert logged is not None, "the issue log refuses nothing"
    reprint = services.aftercare.reprint(logged.record)
    assert reprint.identical and reprint.original.how == how
    assert json.loads(reprint.original.payload)["patient_name"] == sheet.patient_name


COMPARISON = bundled_comparison()
compared = choice_or_text(COMPARISON.treatment_ids)
comparison_texts = st.builds(
    ClinicComparisonTexts,
    edits=st.dictionaries(
        compared,
        st.dictionaries(choice_or_text({r.id for r in COMPARISON.rows}), hostile_text, max_size=3),
        max_size=3,
    ),
    notes=st.dictionaries(compared, hostile_text, max_size=3),
    prices=st.dictionaries(
        compared,
        st.one_of(hostile_text, st.sampled_from(("£350", "€1,200 / 3", "from $99"))),
        max_size=3,
    ),
)


@hostile(300)
@given(texts=comparison_texts)
@example(texts=ClinicComparisonTexts({"prp": {"downtime": "A day\x1bor two"}}, {}, {}))
@example(texts=ClinicComparisonTexts({}, {}, {"prp": "£350\tper session"}))
def test_comparison_texts(services: Services, texts: ClinicComparisonTexts) -> None:
    EXAMPLES["comparison.save_clinic_texts"] += 1
    before = services.comparison.clinic_texts()
    saved = attempt(
        services,
        "comparison.save_clinic_texts",
        lambda: services.comparison.save_clinic_texts(texts),
        texts,
    )
    stored = services.comparison.clinic_texts()
    if saved:
        # Surrounding spaces are trimmed and blank entries dropped (as the service documents).
        def kept(values: dict[str, str]) -> dict[str, str]:
            return {k: v.strip() for k, v in values.items() if v.strip()}

        edits = {t: kept(rows) for t, rows in texts.edits.items()}
        assert stored.edits == {t: rows for t, rows in edits.items() if rows}
        assert (stored.notes, stored.prices) == (kept(texts.notes), kept(texts.prices))
    else:
        assert stored == before


# ---- refusals the services themselves make (found by the properties above) -----------------


def test_status_reasons_refuse_control_characters(
    services: Services, base_patient: Patient
) -> None:
    assert not services.patients.set_status(base_patient.id, "inactive", "Moved\x00away").ok


@pytest.mark.parametrize(
    ("write", "reason"),
    [("amend", "Depth\x1b[31m typed wrongly"), ("mark", "Wrong patient " * 2_000)],
)
def test_session_reasons_are_checked_like_other_reasons(
    services: Services, floor: Floor, write: str, reason: str
) -> None:
    past = services.sessions.get(floor.past_session)
    if write == "amend":
        assert not services.sessions.amend(past.id, past, reason).ok
    else:
        assert not services.sessions.mark_entered_in_error(past.id, reason).ok


def test_planned_sessions_are_whole(services: Services, floor: Floor) -> None:
    result = services.courses.start_course(floor.cleared, "acne_scarring", "exosome_face", 4.5)
    assert not result.ok


@pytest.mark.parametrize(
    "moment",
    [
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=23, minutes=59))),
        datetime(9999, 12, 31, 23, 59, tzinfo=timezone(-timedelta(hours=23, minutes=59))),
    ],
)
def test_a_session_at_the_edge_of_the_calendar_is_refused(
    services: Services, floor: Floor, moment: datetime
) -> None:
    past = services.sessions.get(floor.past_session)
    draft = replace(past, id=None, performed_at=moment, spacing_reason="Planned")
    assert not services.sessions.record(draft).ok


def test_a_clinics_own_protocol_is_listed(services: Services) -> None:
    own = replace(BUNDLED_PROTOCOLS[0], key="clinic_own", label="Our own protocol")
    assert services.catalogue.save_protocol(own).ok
    assert "clinic_own" in {t.key for t in services.catalogue.protocols()}
