"""Patient validation, date parsing and search folding (pure domain, no Qt, no SQL)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from exodesk.domain.dates import add_months, age_on, parse_user_date
from exodesk.domain.patient import (
    Patient,
    fold,
    name_search_text,
    parse_query,
    phone_search_text,
    search_tokens,
)

TODAY = date(2026, 11, 22)
GOOD = Patient(
    "O'Brien-Łukasz", "Zoë", date(1985, 4, 3), "female", "07700 900123", "zoe@example.com"
)


def fields_of(problems) -> set[str]:
    return {p.field for p in problems}


def test_a_good_patient_has_no_problems() -> None:
    assert GOOD.validate(TODAY) == []


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"family_name": "   "}, "family_name", "needed"),
        ({"given_names": ""}, "given_names", "needed"),
        ({"date_of_birth": None}, "date_of_birth", "needed"),
        ({"date_of_birth": date(2026, 11, 23)}, "date_of_birth", "future"),
        ({"date_of_birth": date(1899, 12, 31)}, "date_of_birth", "1900"),
        ({"email": "zoe.example.com"}, "email", "name@example.com"),
        ({"email": "zoe@"}, "email", "name@example.com"),
        ({"phone": "call me maybe"}, "phone", "digits"),
        ({"phone": "12"}, "phone", "too short"),
        ({"notes": "n" * 20_001}, "notes", "20,000"),
        ({"family_name": "x" * 101}, "family_name", "100"),
        ({"family_name": "Null\x00Byte"}, "family_name", "control"),
        ({"sex": "robot"}, "sex", "options"),
    ],
)
def test_bad_input_is_a_problem_beside_its_field(change: dict, field: str, words: str) -> None:
    problems = replace(GOOD, **change).validate(TODAY)
    assert fields_of(problems) == {field}
    assert words in problems[0].message


@pytest.mark.parametrize(
    "change",
    [
        {"notes": "n" * 10_000},
        {"family_name": "李", "given_names": "小龍"},
        {"family_name": "Öztürk", "given_names": "Şükrü"},
        {"given_names": "Zoë 🌸"},
        {"notes": "'; DROP TABLE patients; --"},
        {"date_of_birth": TODAY},
        {"date_of_birth": date(1900, 1, 1)},
        {"phone": "", "email": ""},
    ],
)
def test_unusual_but_real_input_is_accepted(change: dict) -> None:
    assert replace(GOOD, **change).validate(TODAY) == []


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        ("03/04/1985", True, date(1985, 4, 3)),
        ("03/04/1985", False, date(1985, 3, 4)),
        ("1985-04-03", True, date(1985, 4, 3)),
        ("1985-04-03", False, date(1985, 4, 3)),
        ("3.4.1985", True, date(1985, 4, 3)),
        ("3-4-85", True, date(1985, 4, 3)),
        ("03041985", True, date(1985, 4, 3)),
        ("29/02/2024", True, date(2024, 2, 29)),
        ("3 Apr 1985", False, date(1985, 4, 3)),
        ("Wed 3 April 1985", True, date(1985, 4, 3)),
        ("3 Sept 1985", True, date(1985, 9, 3)),
    ],
)
def test_dates_are_read_as_people_type_them(text: str, day_first: bool, expected: date) -> None:
    assert parse_user_date(text, day_first=day_first, pivot_today=TODAY) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("31/02/1985", "no day 31"),
        ("29/02/2023", "no day 29"),
        ("01/13/1985", "no month 13"),
        ("yesterday", "not a date"),
        ("3 Smarch 1985", "not a month"),
        ("", "not a date"),
    ],
)
def test_impossible_dates_are_explained(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_user_date(text, day_first=True)


def test_two_digit_years_of_birth_land_in_the_past() -> None:
    assert parse_user_date("01/01/30", day_first=True, pivot_today=TODAY).year == 1930
    assert parse_user_date("01/01/05", day_first=True, pivot_today=TODAY).year == 2005


def test_month_arithmetic_clamps_to_the_month_end() -> None:
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


def test_age_turns_on_the_birthday() -> None:
    assert age_on(date(1985, 11, 22), TODAY) == 41
    assert age_on(date(1985, 11, 23), TODAY) == 40
    assert age_on(date(2000, 2, 29), date(2026, 2, 28)) == 25
    assert age_on(date(2000, 2, 29), date(2026, 3, 1)) == 26


def test_folding_makes_accents_and_case_equal() -> None:
    assert fold("Zoë") == fold("ZOE") == "zoe"
    assert fold("Łukasz") == "lukasz"
    assert fold("Søren Nørgaard") == "soren norgaard"
    assert fold("Straße") == "strasse"


def test_name_tokens_close_up_apostrophes_and_split_ideographs() -> None:
    text = name_search_text("O'Brien-Łukasz", "Zoë")
    assert set(text.split()) >= {"o", "brien", "lukasz", "obrienlukasz", "zoe"}
    assert name_search_text("李", "小龍").split() == ["李", "小", "龍"]
    assert search_tokens("' OR 1=1 --") == ["or", "1", "1"]


def test_phone_index_holds_every_ending() -> None:
    endings = phone_search_text("+44 (0)7700 900-123").split()
    assert "4407700900123" in endings
    assert "900123" in endings
    assert "123" in endings
    assert all(len(e) >= 3 for e in endings)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("", "all"),
        ("   ", "all"),
        ("smith", "name"),
        ("Zoë O'Brien", "name"),
        ("03/04/1985", "dob"),
        ("1985-04-03", "dob"),
        ("31/02/1985", "invalid"),
        ("07700 900123", "phone"),
        ("1985", "phone"),
        ("' OR 1=1 --", "name"),
        ('"', "invalid"),
        ("%", "invalid"),
        ("*", "invalid"),
    ],
)
def test_the_search_box_is_understood(text: str, kind: str) -> None:
    assert parse_query(text, day_first=True, today=TODAY).kind == kind


def test_a_four_digit_number_may_be_a_birth_year() -> None:
    assert parse_query("1985", day_first=True, today=TODAY).birth_year == 1985
    assert parse_query("7700", day_first=True, today=TODAY).birth_year is None
