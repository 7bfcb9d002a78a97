"""Regulatory notes: which facts apply per country, product source and delivery method."""

from __future__ import annotations

import pytest

from exodesk.domain.clinic import COUNTRIES
from exodesk.domain.regulatory import parse_regulatory_facts, regulatory_notes
from exodesk.domain.sessions import DELIVERY_METHODS, SOURCES, Product
from exodesk.services.bundled import REGULATORY_FILE
from tests.bundled import bundled_data, bundled_regulatory_facts

FACTS = bundled_regulatory_facts()

US_ANY = "us_no_fda_approved_exosome"
US_INJECTED = "us_exosome_injection_not_approved"
GB_HUMAN = "gb_human_derived_exosome"
GB_UNKNOWN = "gb_exosome_source_unknown"
GB_PLANT_INJECTED = "gb_plant_exosome_injected"
WORLD = "all_no_approved_exosome_therapy"

INJECTED = ("microinjection", "combination")
HUMAN = ("umbilical_cord_msc", "placenta", "bone_marrow", "adipose", "platelet")


def exosome(source: str | None) -> Product:
    return Product(name="Exo", manufacturer="Lab", kind="exosome", source=source)


def ids(country: str, products: list[Product], delivery: str) -> list[str]:
    return [
        n.id
        for n in regulatory_notes(
            country=country, products=products, delivery=delivery, facts=FACTS
        )
    ]


@pytest.mark.parametrize(
    ("country", "source", "delivery", "expected"),
    [
        ("GB", "umbilical_cord_msc", "topical_only", [GB_HUMAN, WORLD]),
        ("GB", "placenta", "microinjection", [GB_HUMAN, WORLD]),
        ("GB", "platelet", "topical_microneedling", [GB_HUMAN, WORLD]),
        ("GB", "plant", "topical_only", [WORLD]),
        ("GB", "plant", "topical_microneedling", [WORLD]),
        ("GB", "plant", "microinjection", [GB_PLANT_INJECTED, WORLD]),
        ("GB", "plant", "combination", [GB_PLANT_INJECTED, WORLD]),
        ("GB", "other", "topical_only", [GB_UNKNOWN, WORLD]),
        ("GB", None, "microinjection", [GB_UNKNOWN, WORLD]),
        ("US", "plant", "topical_only", [US_ANY, WORLD]),
        ("US", "adipose", "topical_microneedling", [US_ANY, WORLD]),
        ("US", "plant", "microinjection", [US_ANY, US_INJECTED, WORLD]),
        ("US", "bone_marrow", "combination", [US_ANY, US_INJECTED, WORLD]),
        ("US", None, "topical_only", [US_ANY, WORLD]),
        ("IE", "placenta", "microinjection", [WORLD]),
        ("CA", "plant", "combination", [WORLD]),
        ("AU", "umbilical_cord_msc", "topical_only", [WORLD]),
        ("NZ", "plant", "microinjection", [WORLD]),
        ("OTHER", "adipose", "microinjection", [WORLD]),
        ("gb", "placenta", "topical_only", [GB_HUMAN, WORLD]),  # case of the code ignored
    ],
)
def test_notes_per_country_source_and_delivery(
    country: str, source: str | None, delivery: str, expected: list[str]
) -> None:
    assert ids(country, [exosome(source)], delivery) == expected


def _oracle(country: str, source: str | None, delivery: str) -> list[str]:
    """§2 written out once more, independently of the JSON conditions."""
    found = []
    if country == "US":
        found.append(US_ANY)
        if delivery in INJECTED:
            found.append(US_INJECTED)
    if country == "GB":
        if source in HUMAN:
            found.append(GB_HUMAN)
        elif source != "plant":
            found.append(GB_UNKNOWN)
        elif delivery in INJECTED:
            found.append(GB_PLANT_INJECTED)
    return [*found, WORLD]


@pytest.mark.parametrize("country", list(COUNTRIES))
def test_every_country_source_and_delivery(country: str) -> None:
    for source in [*SOURCES, None]:
        for delivery in DELIVERY_METHODS:
            assert ids(country, [exosome(source)], delivery) == _oracle(
                country, source, delivery
            ), (country, source, delivery)


@pytest.mark.parametrize("country", list(COUNTRIES))
@pytest.mark.parametrize("kind", ["prp_kit", "serum", "anaesthetic", "other"])
def test_non_exosome_products_get_no_notes(country: str, kind: str) -> None:
    product = Product(name="P", manufacturer="M", kind=kind, source="placenta")
    assert ids(country, [product], "microinjection") == []


def test_no_products_no_notes() -> None:
    assert ids("US", [], "microinjection") == []


def test_a_note_is_given_once_for_several_matching_products() -> None:
    products = [
        exosome("placenta"),
        exosome("adipose"),
        Product(name="PRP", manufacturer="M", kind="prp_kit", source="platelet"),
    ]
    assert ids("GB", products, "topical_only") == [GB_HUMAN, WORLD]


def test_one_exosome_among_other_products_is_enough() -> None:
    products = [Product(name="Numb", manufacturer="M", kind="anaesthetic"), exosome("plant")]
    assert ids("GB", products, "microinjection") == [GB_PLANT_INJECTED, WORLD]


def test_a_human_and_a_plant_product_get_both_uk_notes() -> None:
    products = [exosome("placenta"), exosome("plant")]
    assert ids("GB", products, "combination") == [GB_HUMAN, GB_PLANT_INJECTED, WORLD]


@pytest.mark.parametrize(
    ("note_id", "words"),
    [
        (US_ANY, ["No exosome product is FDA-approved", "2019", "safety notice", "serious"]),
        (US_INJECTED, ["No exosome product is FDA-approved", "injection", "any other use"]),
        (GB_HUMAN, ["Human-derived", "reportedly not legal", "Plant-derived", "not injected"]),
        (GB_PLANT_INJECTED, ["plant-derived", "topically", "injecting"]),
        (GB_UNKNOWN, ["not recorded", "not legal", "supplier"]),
        (WORLD, ["2023 review", "no exosome therapy approved"]),
    ],
)
def test_note_texts_state_the_facts(note_id: str, words: list[str]) -> None:
    (fact,) = [f for f in bundled_regulatory_facts() if f.id == note_id]
    for word in words:
        assert word in fact.text, word


def test_no_note_claims_any_use_is_approved() -> None:
    # Seed 000 says topical use is "approved"; the other seeds say nothing is. Conservative.
    for fact in bundled_regulatory_facts():
        lowered = fact.text.lower()
        assert "approved for" not in lowered
        assert "is approved" not in lowered
        # "Not approved for cosmetic use" would imply approval for something else (facts §2).
        assert "cosmetic" not in lowered
        assert "miracle" not in lowered


@pytest.mark.parametrize(
    ("note_id", "sources"),
    [
        (US_ANY, ("002", "003")),
        (US_INJECTED, ("000", "002", "003")),
        (GB_HUMAN, ("002",)),
        (GB_PLANT_INJECTED, ("002",)),
        (WORLD, ("002",)),
    ],
)
def test_notes_carry_their_sources(note_id: str, sources: tuple[str, ...]) -> None:
    notes = regulatory_notes(
        country="GB" if note_id.startswith("gb") else "US",
        products=[exosome("plant" if note_id == GB_PLANT_INJECTED else "placenta")],
        delivery="microinjection",
        facts=FACTS,
    )
    (note,) = [n for n in notes if n.id == note_id]
    assert note.sources == sources


def test_the_bundled_facts_are_cached() -> None:
    assert bundled_regulatory_facts() is bundled_regulatory_facts()


def _raw() -> dict:
    return bundled_data(REGULATORY_FILE)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("jurisdiction", "FR", "jurisdiction"),
        ("sources", ["009"], "seed ids"),
        ("sources", [], "seed ids"),
        ("text", "", "text"),
        ("when", {"deliveries": ["microinjection"]}, "product_kinds"),
        ("when", {"product_kinds": ["filler"]}, "filler"),
        ("when", {"product_kinds": ["exosome"], "sources": ["coral"]}, "coral"),
        ("when", {"product_kinds": ["exosome"], "colour": ["red"]}, "only"),
        ("colour", "red", "unknown keys"),
    ],
)
def test_a_bad_facts_file_is_refused(key: str, value: object, words: str) -> None:
    data = _raw()
    data["notes"][0][key] = value
    with pytest.raises(ValueError, match=words):
        parse_regulatory_facts(data)


def test_duplicate_note_ids_are_refused() -> None:
    data = _raw()
    data["notes"].append(data["notes"][0])
    with pytest.raises(ValueError, match=r"regulatory\.json: note ids must be unique"):
        parse_regulatory_facts(data)


def test_facts_passed_in_are_used_instead_of_the_bundled_ones() -> None:
    only_world = [f for f in bundled_regulatory_facts() if f.jurisdiction == "ALL"]
    notes = regulatory_notes(
        country="US", products=[exosome("plant")], delivery="microinjection", facts=only_world
    )
    assert [n.id for n in notes] == [WORLD]


def test_every_uk_sentence_keeps_reportedly() -> None:
    """The UK facts rest on one clinic page (seed 002): each sentence says "reportedly"."""
    for fact in bundled_regulatory_facts():
        if fact.jurisdiction != "GB":
            continue
        for sentence in fact.text.split(". "):
            if "legal" in sentence or "only" in sentence:
                assert "reportedly" in sentence, sentence
