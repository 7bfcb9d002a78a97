"""Allergies as rules: finding substances in words, the check against a session, old alerts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from exodesk.domain.allergies import (
    LISTED,
    NONE_KNOWN,
    NOT_RECORDED,
    Allergen,
    Allergy,
    AllergyConflict,
    Contents,
    NoneKnown,
    PatientAllergies,
    allergy_list_words,
    allergy_override_line,
    anaesthetic_contents,
    check_allergies,
    contents_known,
    find_allergens,
    none_known_stands,
    recorded_words,
    resolve_substance,
    split_alert,
    split_names,
    term_key,
    validate_allergen,
    validate_allergy,
)
from exodesk.domain.sessions import Product, session_contents
from exodesk.storage.migrations import ALLERGENS_0007

# The list a new clinic starts with, numbered as the migration numbers it.
SEEDED = tuple(
    Allergen(key, name, kind, also, covers, id=n)
    for n, (key, name, kind, also, covers) in enumerate(ALLERGENS_0007, start=1)
)
ID = {a.key: a.id for a in SEEDED}
WHEN = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def _allergy(key: str | None, substance: str = "", **kw: object) -> Allergy:
    name = next((a.name for a in SEEDED if a.key == key), substance)
    return Allergy(1, substance or name, allergen_id=ID.get(key or ""), **kw)  # type: ignore[arg-type]


def _contents(*keys: str, label: str = "Product", ingredients: str = "", known: bool = True):
    return Contents(label, "product", frozenset(ID[k] for k in keys), ingredients, known)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Lidocaine 5% cream", ["lidocaine"]),
        ("LIGNOCAINE hydrochloride", ["lidocaine"]),
        ("EMLA cream 5%", ["lidocaine", "prilocaine"]),
        ("Ametop gel", ["tetracaine"]),
        ("Water, sodium hyaluronate, glycerin", ["hyaluronic_acid"]),
        ("Povidone iodine 10% solution", ["povidone_iodine"]),
        ("Chlorhexidine gluconate 0.5%", ["chlorhexidine"]),
        ("Bovine collagen", ["bovine"]),
        ("Prunus amygdalus dulcis (sweet almond) oil", ["tree_nuts"]),
        ("Peanut 🥜 oil", ["peanut"]),
        # What a product is free of is not what it contains.
        ("Latex-free gloves", []),
        ("latex free", []),
        ("No latex", []),
        ("Nickel-free needles", []),
        ("Eggplant extract", []),  # whole words only
        ("", []),
        ("'; DROP TABLE allergens; --", []),
        ("x" * 10_000, []),
    ],
)
def test_find_allergens(text: str, expected: list[str]) -> None:
    assert [a.key for a in find_allergens(text, SEEDED)] == sorted(
        expected, key=lambda k: [a.key for a in SEEDED].index(k)
    )


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Lidocaine", "lidocaine"),
        ("  lignocaine ", "lidocaine"),
        ("Latex", "latex"),
        ("natural rubber", "latex"),
        ("povidone iodine", "povidone_iodine"),
        ("lidocaine and latex", None),  # two substances: no single entry
        ("strawberries", None),
        ("🍓", None),
        ("", None),
    ],
)
def test_resolve_substance(typed: str, key: str | None) -> None:
    found = resolve_substance(typed, SEEDED)
    assert (found.key if found else None) == key


@pytest.mark.parametrize(
    ("allergy", "contents", "expected"),
    [
        # 1. The same entry on both sides stops it.
        (_allergy("lidocaine"), _contents("lidocaine"), ["lidocaine"]),
        (_allergy("latex"), _contents("hyaluronic_acid", "latex"), ["latex"]),
        (_allergy("lidocaine"), _contents("hyaluronic_acid"), []),
        # No cross-reaction is assumed between two different anaesthetics...
        (_allergy("lidocaine"), _contents("prilocaine"), []),
        # ...but an allergy to "any local anaesthetic" stops every one, and a product that lists
        # "a local anaesthetic" stops a patient allergic to one.
        (_allergy("local_anaesthetics"), _contents("tetracaine"), ["tetracaine"]),
        (_allergy("benzocaine"), _contents("local_anaesthetics"), ["local anaesthetics (any)"]),
        (_allergy("latex"), _contents("local_anaesthetics"), []),
        # 3. Free text naming entries counts as them; naming none, it is looked for in the label.
        (_allergy(None, "lidocaine 2% gel"), _contents("lidocaine"), ["lidocaine"]),
        (
            _allergy(None, "Carbomer"),
            _contents(ingredients="Water, carbomer, glycerin"),
            ["Carbomer"],
        ),
        (_allergy(None, "Carbomer"), _contents(ingredients="Water, glycerin"), []),
        (_allergy(None, "'; DROP TABLE x; --"), _contents(ingredients="water"), []),
    ],
)
def test_the_matching_rule(allergy: Allergy, contents: Contents, expected: list[str]) -> None:
    check = check_allergies(PatientAllergies((allergy,)), [contents], SEEDED)
    assert [c.allergen for c in check.conflicts] == expected
    assert check.blocks == bool(expected)


def test_the_kelly_case_names_the_product_the_allergen_and_the_allergy() -> None:
    """Lidocaine cream as a product and as the anaesthetic: two stops, each in words."""
    lido = Product(
        "Lidocaine 5% cream",
        "Fictional Pharma",
        "anaesthetic",
        id=7,
        ingredients="Lidocaine 5%",
        allergen_ids=frozenset({ID["lidocaine"]}),
    )
    hannah = PatientAllergies(
        (_allergy("lidocaine", severity="anaphylaxis", reaction="Throat swelled"),)
    )
    contents = session_contents([lido], "Lidocaine 5% cream", [lido], SEEDED)
    check = check_allergies(hannah, contents, SEEDED)
    assert check.sentences == (
        "Lidocaine 5% cream contains lidocaine: the patient is allergic to Lidocaine "
        "(anaphylaxis; Throat swelled).",
        "The anaesthetic Lidocaine 5% cream contains lidocaine: the patient is allergic to "
        "Lidocaine (anaphylaxis; Throat swelled).",
    )


@pytest.mark.parametrize(
    ("typed", "catalogue", "ids", "known"),
    [
        ("Lidocaine 5% cream", [], {"lidocaine"}, True),  # the words name it
        ("Numbit", [("numbit ", frozenset({ID["tetracaine"]}), "", True)], {"tetracaine"}, True),
        ("Numbit", [("Numbit", frozenset(), "", False)], set(), False),  # nothing recorded
        ("Ice pack", [], set(), False),
        ("  ", [], None, None),
    ],
)
def test_what_the_anaesthetic_field_contains(typed, catalogue, ids, known) -> None:
    found = anaesthetic_contents(typed, catalogue, SEEDED)
    if ids is None:
        assert found is None
        return
    assert found is not None
    assert found.allergen_ids == {ID[k] for k in ids}
    assert found.known is known


def test_what_nobody_recorded_is_said_only_when_the_patient_has_allergies() -> None:
    unknown = _contents(label="Mystery serum", known=False)
    allergic = PatientAllergies((_allergy("latex"), _allergy(None, "Strawberries")))
    check = check_allergies(allergic, [unknown], SEEDED)
    assert (check.conflicts, check.unknown, check.unlisted) == (
        (),
        ("Mystery serum",),
        ("Strawberries",),
    )
    assert check_allergies(PatientAllergies(), [unknown], SEEDED).unknown == ()


@pytest.mark.parametrize(
    ("allergies", "none_known", "state", "words"),
    [
        ((), None, NOT_RECORDED, "Allergies not recorded"),
        ((), NoneKnown(WHEN, "Priya Shah"), NONE_KNOWN, "No known allergies (recorded 22 Nov "),
        ((_allergy("latex", severity="severe"),), None, LISTED, "Latex (severe)"),
        ((_allergy("egg"),), None, LISTED, "Egg (severity not known)"),
    ],
)
def test_what_is_known_of_a_patients_allergies(allergies, none_known, state, words) -> None:
    patient = PatientAllergies(allergies, none_known)
    assert patient.state == state
    assert allergy_list_words(patient).startswith(words)


@pytest.mark.parametrize(
    ("declared", "changed", "stands"),
    [
        (None, None, False),
        (WHEN, None, True),
        (WHEN, WHEN.replace(hour=9), True),  # the list was last touched before it was said
        (WHEN, WHEN, False),
        (WHEN, WHEN.replace(hour=11), False),  # an allergy recorded (or retracted) since
    ],
)
def test_no_known_allergies_stands_until_the_list_changes(declared, changed, stands) -> None:
    assert none_known_stands(declared, changed) is stands


@pytest.mark.parametrize(
    ("allergy", "field", "words"),
    [
        (Allergy(1, ""), "substance", "The substance is needed."),
        (Allergy(1, "x" * 121), "substance", "121 characters"),
        (Allergy(1, "Latex\x00"), "substance", "control characters"),
        (Allergy(1, "Latex", allergen_id=999), "substance", "no longer on the clinic's list"),
        (Allergy(1, "Latex", severity="deadly"), "severity", "not a severity"),
        (Allergy(1, "Latex", reaction="r" * 10_000), "reaction", "10,000 characters"),
        (Allergy(1, "Latex", note="n" * 2001), "note", "2,001 characters"),
    ],
)
def test_validate_allergy(allergy: Allergy, field: str, words: str) -> None:
    [problem] = validate_allergy(allergy, allergens={a.id: a for a in SEEDED if a.id})
    assert problem.field == field
    assert words in problem.message


def test_an_allergy_in_any_script_is_valid() -> None:
    by_id = {a.id: a for a in SEEDED if a.id}
    for allergy in (
        Allergy(1, "Erdnüsse 🥜", reaction="Nesselsucht, Atemnot", severity="anaphylaxis"),
        Allergy(1, "花生", severity="severe"),
        Allergy(1, "'; DROP TABLE patient_allergies; --", reaction="line one\nline two"),
    ):
        assert validate_allergy(allergy, allergens=by_id) == []


@pytest.mark.parametrize(
    ("allergen", "field"),
    [
        (Allergen("", "Carbomer", "carrier"), None),
        (Allergen("", "", "carrier"), "name"),
        (Allergen("", "🙂", "carrier"), "name"),
        (Allergen("", "Carbomer", "nonsense"), "kind"),
        (Allergen("", "Lignocaine", "local_anaesthetic"), "name"),  # lidocaine's other name
        (Allergen("", "Carbomer", "carrier", ("latex",)), "also_called"),
        (Allergen("lidocaine", "Lidocaine", "local_anaesthetic", id=ID["lidocaine"]), None),
    ],
)
def test_validate_allergen(allergen: Allergen, field: str | None) -> None:
    taken = {term_key(t): int(a.id or 0) for a in SEEDED for t in a.terms}
    problems = validate_allergen(allergen, taken=taken)
    assert [p.field for p in problems] == ([field] if field else [])


def test_split_names() -> None:
    assert split_names(" sodium  hyaluronate, ,HA,ha , hyaluronan") == (
        "sodium hyaluronate",
        "HA",
        "hyaluronan",
    )


@pytest.mark.parametrize(
    ("alert", "found", "kept"),
    [
        ("Allergy: lidocaine", [["lidocaine"]], ""),
        ("Latex allergy", [["latex"]], ""),
        (
            "Allergic to chlorhexidine and nickel (rash)\nPrefers female practitioner",
            [["nickel", "chlorhexidine"]],
            "Prefers female practitioner",
        ),
        (
            "Lignocaine allergy; needle-phobic: allow extra time",
            [["lidocaine"]],
            "needle-phobic: allow extra time",
        ),
        ("Anaphylaxis to EMLA", [["lidocaine", "prilocaine"]], ""),
        # Kept as typed: no allergy named, a "no", a listed substance without an allergy, an
        # allergy to something not on the list.
        ("Needle-phobic: allow extra time", [], "Needle-phobic: allow extra time"),
        ("No allergy to latex (patch tested 2025)", [], "No allergy to latex (patch tested 2025)"),
        ("Latex-free gloves please", [], "Latex-free gloves please"),
        ("Allergy: strawberries", [], "Allergy: strawberries"),
        ("", [], ""),
    ],
)
def test_old_alerts_split_into_allergies_and_text(alert: str, found, kept: str) -> None:
    split = split_alert(alert, SEEDED)
    assert [sorted(a.key for a in named) for _, named in split.found] == [sorted(f) for f in found]
    assert split.kept == kept


def test_a_conflict_quotes_a_long_reaction_short() -> None:
    allergy = _allergy("latex", severity="severe", reaction="hives " * 100)
    text = AllergyConflict(allergy, _contents("latex", label="Gloves"), "latex").text
    assert text.startswith("Gloves contains latex: the patient is allergic to Latex (severe; hives")
    assert len(text) < 200 and "…" in text


@pytest.mark.parametrize(
    ("conflicts", "reason", "line"),
    [
        ((), "", ""),
        (("A contains b.",), " Tested ", "A contains b. Went ahead because: Tested"),
        ((), "Tested", "An allergy was flagged. Went ahead because: Tested"),
    ],
)
def test_the_override_line_printed_with_a_session(conflicts, reason, line) -> None:
    assert allergy_override_line(conflicts, reason) == line


@pytest.mark.parametrize(
    ("allergy", "words"),
    [
        (
            Allergy(1, "Latex", recorded_at=WHEN, recorded_by="Priya Shah"),
            "Priya Shah, 22 Nov 2026",
        ),
        (
            Allergy(1, "Latex", recorded_at=WHEN, recorded_by="migration", source="migration"),
            "migration, 22 Nov 2026, from the patient's alert (migration)",
        ),
        (Allergy(1, "Latex", source="screening"), "not known, date not known, from the intake"),
    ],
)
def test_who_recorded_an_allergy_in_words(allergy: Allergy, words: str) -> None:
    assert recorded_words(allergy).startswith(words)


@pytest.mark.parametrize(
    ("ingredients", "ids", "said", "known"),
    [
        ("", (), False, False),
        ("  ", (), False, False),
        ("Water", (), False, True),
        ("", (3,), False, True),
        ("", (), True, True),  # "none of the listed allergens" was said
    ],
)
def test_when_a_products_contents_are_known(ingredients, ids, said, known) -> None:
    assert contents_known(ingredients, ids, said) is known


def test_two_lots_of_one_product_are_one_product_to_be_allergic_to() -> None:
    latex = Product("Gloves", "Maker", "other", id=4, allergen_ids=frozenset({ID["latex"]}))
    contents = session_contents([latex, latex], "", [latex], SEEDED)
    assert [c.label for c in contents] == ["Gloves"]
    check = check_allergies(PatientAllergies((_allergy("latex"),)), contents, SEEDED)
    assert len(check.conflicts) == 1
