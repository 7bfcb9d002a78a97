"""The bundled screening rule table: it matches the spec, validates, and clinics can tighten it."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from exodesk.domain.screening import (
    RuleTable,
    evaluate,
    parse_rule_table,
)
from exodesk.services.bundled import RULES_FILE
from tests.bundled import bundled_data, bundled_rules, content_at

RULES = bundled_rules()
TODAY = date(2026, 6, 15)
ALL = ("exosome_face", "exosome_scalp", "prp", "microneedling")
FACE = ("exosome_face", "prp", "microneedling")
SCALP = ("exosome_scalp", "prp", "microneedling")

# clinical-facts.md §1, "Answer items": id -> (type, enum values).
SPEC_ITEMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "pregnant": ("bool", ()),
    "breastfeeding": ("bool", ()),
    "active_infection": ("bool", ()),
    "active_infection_area": ("enum", ("face", "scalp", "other")),
    "isotretinoin_current": ("bool", ()),
    "isotretinoin_last_dose": ("date", ()),
    "cancer_history": ("bool", ()),
    "autoimmune": ("enum", ("none", "controlled", "uncontrolled")),
    "blood_disorder": ("bool", ()),
    "anticoagulants": ("bool", ()),
    "bleeding_supplements": ("set", ("omega3_high_dose", "ginkgo", "vitamin_e")),
    "keloid_history": ("bool", ()),
    "cold_sores_frequent": ("bool", ()),
    "sensitive_skin_or_allergies": ("bool", ()),
    "known_product_allergy": ("bool", ()),
    "chronic_skin_condition": ("set", ("eczema", "rosacea", "psoriasis", "acne", "other")),
    "retinoid_last_use": ("date", ()),
    "acid_exfoliant_last_use": ("date", ()),
    "peel_last": ("date", ()),
    "laser_last": ("date", ()),
    "sun_exposure_last": ("date", ()),
    "medications": ("text", ()),
    "supplements": ("text", ()),
    "allergies": ("text", ()),
    "recent_treatments": ("text", ()),
    "notes": ("text", ()),
}

# §1 "Rules": id -> (items read, scope, sources).
SPEC_RULES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "pregnancy": (("pregnant",), ALL, ("001", "003")),
    "breastfeeding": (("breastfeeding",), ALL, ("001", "003")),
    "active_infection": (("active_infection", "active_infection_area"), ALL, ("001", "003")),
    "isotretinoin_current": (("isotretinoin_current",), ALL, ("001",)),
    "isotretinoin_recent": (("isotretinoin_last_dose",), ALL, ("001",)),
    "isotretinoin_window": (("isotretinoin_last_dose",), ALL, ("001",)),
    "cancer_history": (("cancer_history",), ALL, ("003",)),
    "autoimmune_uncontrolled": (("autoimmune",), ALL, ("001", "003")),
    "autoimmune_controlled": (("autoimmune",), ALL, ("001",)),
    "blood_disorder": (("blood_disorder",), ALL, ("001",)),
    "anticoagulants": (("anticoagulants",), ALL, ("001",)),
    "bleeding_supplements": (("bleeding_supplements",), ALL, ("001",)),
    "keloid": (("keloid_history",), ALL, ("001",)),
    "cold_sores": (("cold_sores_frequent",), FACE, ("001",)),
    "sensitivity": (("sensitive_skin_or_allergies",), ALL, ("000", "004")),
    "product_allergy": (("known_product_allergy",), ALL, ("000", "003")),
    "chronic_skin_condition": (("chronic_skin_condition",), ALL, ("000",)),
    "retinoids": (("retinoid_last_use",), FACE, ("001",)),
    "strong_acids": (("acid_exfoliant_last_use",), FACE, ("001",)),
    "peel": (("peel_last",), FACE, ("001",)),
    "sun_exposure": (("sun_exposure_last",), ALL, ("001",)),
    "recent_laser": (("laser_last",), FACE, ("001",)),
}


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return bundled_data(RULES_FILE)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def table() -> RuleTable:
    return bundled_rules()


# -- the bundled table matches the spec ------------------------------------------------------


def test_every_spec_item_exists_with_its_type_and_values(table: RuleTable) -> None:
    found = {item.id: (item.type, item.values) for item in table.items}
    assert found == SPEC_ITEMS


def test_every_spec_rule_exists_reading_its_items_in_its_scope(table: RuleTable) -> None:
    found = {rule.id: (rule.items, rule.scope, rule.sources) for rule in table.rules}
    assert {k: (v[0], set(v[1]), v[2]) for k, v in found.items()} == {
        k: (v[0], set(v[1]), v[2]) for k, v in SPEC_RULES.items()
    }


def test_treatments_and_verdicts_are_labelled_in_order(table: RuleTable) -> None:
    assert table.treatment_ids == ALL
    assert table.treatment_label("exosome_face") == "Exosome facial"
    assert [v.id for v in table.verdicts] == [
        "proceed",
        "precautions",
        "review",
        "defer",
        "decline",
    ]
    assert [table.severity(v.id) for v in table.verdicts] == [0, 1, 2, 3, 4]
    assert all(v.label for v in table.verdicts)


def test_questionnaire_sections_hold_every_item_once(table: RuleTable) -> None:
    assert [s.label for s in table.sections] == [
        "Pregnancy",
        "Your skin now",
        "Medicines and supplements",
        "Medical history",
        "Recent treatments",
    ]
    grouped = [item.id for s in table.sections for item in table.items_in_section(s.id)]
    assert sorted(grouped) == sorted(SPEC_ITEMS)
    for item in table.items:
        assert item.question.endswith(("?", ".")), item.id
        for value in item.values:
            assert item.value_label(value)
    assert table.item("active_infection_area").only_if == "active_infection"
    assert table.item("autoimmune").value_label("controlled") == "Yes, and it is well controlled"


def test_raw_json_references_resolve(raw: dict[str, Any]) -> None:
    # Checked on the raw file, independently of the loader's own validation.
    items = {item["id"]: item for item in raw["items"]}
    treatments = {t["id"] for t in raw["treatments"]}
    outcomes = [v["id"] for v in raw["verdicts"]]
    assert raw["version"] == "2026.2"
    for rule in raw["rules"]:
        assert set(rule["items"]) <= set(items), rule["id"]
        for effect in rule["effects"]:
            assert set(effect["treatments"]) <= treatments, rule["id"]
            assert effect["outcome"] in outcomes, rule["id"]
            assert ("precaution" in effect) == (effect["outcome"] == "precautions"), rule["id"]
            assert all(re.fullmatch(r"\d{3}", s) for s in rule["sources"]), rule["id"]


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.?!])\s+", text) if s]


def test_patient_texts_are_short_plain_and_make_no_promises(table: RuleTable) -> None:
    for rule in table.rules:
        for effect in rule.effects:
            for sentence in _sentences(effect.reason):
                assert len(sentence.split()) <= 26, (rule.id, sentence)
            lowered = effect.reason.lower()
            for word in ("miracle", "guarantee", "contraindicat", "prophylaxis"):
                assert word not in lowered, (rule.id, word)
    for item in table.items:
        for sentence in _sentences(item.question):
            assert len(sentence.split()) <= 26, (item.id, sentence)


def test_the_bundled_table_is_cached(table: RuleTable) -> None:
    assert bundled_rules() is bundled_rules() is table


def test_a_table_can_be_loaded_from_a_path(tmp_path: Path, raw: dict[str, Any]) -> None:
    changed = copy.deepcopy(raw)
    changed["version"] = "test.1"
    loaded = content_at(tmp_path, RULES_FILE, json.dumps(changed)).rules
    assert loaded.version == "test.1"
    assert loaded.rules == bundled_rules().rules


def test_a_broken_file_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"rules\.json is not valid JSON"):
        content_at(tmp_path, RULES_FILE, "{not json").rules  # noqa: B018


# -- the validator refuses broken tables ----------------------------------------------------


def _rule(data: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(r for r in data["rules"] if r["id"] == rule_id)


def _item(data: dict[str, Any], item_id: str) -> dict[str, Any]:
    return next(i for i in data["items"] if i["id"] == item_id)


BREAKAGES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "unknown item": (lambda d: _rule(d, "keloid")["items"].__setitem__(0, "scars"), "scars"),
    "wrong item type": (
        lambda d: _rule(d, "keloid")["items"].__setitem__(0, "peel_last"),
        "needs bool",
    ),
    "unknown treatment": (
        lambda d: _rule(d, "keloid")["effects"][0]["treatments"].append("botox"),
        "botox",
    ),
    "unknown outcome": (
        lambda d: _rule(d, "keloid")["effects"][0].__setitem__("outcome", "maybe"),
        "maybe",
    ),
    "precautions without a precaution": (
        lambda d: _rule(d, "sensitivity")["effects"][0].pop("precaution"),
        "precaution text",
    ),
    "unknown condition": (
        lambda d: _rule(d, "keloid")["when"].__setitem__("kind", "often"),
        "often",
    ),
    "unknown placeholder": (
        lambda d: _rule(d, "retinoids")["effects"][0].__setitem__("reason", "In {weeks} weeks."),
        "weeks",
    ),
    "placeholder the rule cannot fill": (
        lambda d: _rule(d, "keloid")["effects"][0].__setitem__("reason", "For {days} days."),
        "days",
    ),
    "duplicate rule": (lambda d: d["rules"].append(_rule(d, "keloid")), "twice"),
    "verdicts reordered": (lambda d: d["verdicts"].reverse(), "mildest first"),
    "lower bound not below upper": (
        lambda d: _rule(d, "isotretinoin_window")["when"].__setitem__("from_months", 12),
        "from_months",
    ),
    "window of zero": (lambda d: _rule(d, "peel")["when"].__setitem__("days", 0), "at least 1"),
    "window too long": (
        lambda d: _rule(d, "peel")["when"].__setitem__("days", 99999),
        "at most 3650",
    ),
    "days as text": (lambda d: _rule(d, "peel")["when"].__setitem__("days", "7"), "whole number"),
    "unknown case": (
        lambda d: _rule(d, "active_infection")["effects"][0].__setitem__("case", "hand"),
        "hand",
    ),
    "a case with no effect": (
        lambda d: _rule(d, "active_infection")["effects"].pop(),
        "unspecified",
    ),
    "a treatment twice in a case": (
        lambda d: _rule(d, "pregnancy")["effects"][1]["treatments"].append("exosome_face"),
        "twice",
    ),
    "equals value unknown": (
        lambda d: _rule(d, "autoimmune_controlled")["when"].__setitem__("value", "mild"),
        "mild",
    ),
    "item in unknown section": (
        lambda d: _item(d, "pregnant").__setitem__("section", "lifestyle"),
        "lifestyle",
    ),
    "enum without values": (lambda d: _item(d, "autoimmune").pop("values"), "list values"),
    "missing reason": (lambda d: _rule(d, "keloid")["effects"][0].pop("reason"), "reason"),
    "no sources": (lambda d: _rule(d, "keloid").__setitem__("sources", []), "source"),
    "misspelt rule key": (
        lambda d: _rule(d, "pregnancy").__setitem__("until_txt", "x"),
        "until_txt",
    ),
    "misspelt effect key": (
        lambda d: _rule(d, "keloid")["effects"][0].__setitem__("precuation", "x"),
        "precuation",
    ),
    "a set value called none": (
        lambda d: _item(d, "bleeding_supplements")["values"].append(
            {"id": "none", "label": "None"}
        ),
        "none of these",
    ),
    "dependency on a non-flag": (
        lambda d: _item(d, "active_infection_area").__setitem__("only_if", "autoimmune"),
        "yes/no",
    ),
}


@pytest.mark.parametrize("name", list(BREAKAGES))
def test_the_validator_refuses_a_broken_table(raw: dict[str, Any], name: str) -> None:
    break_it, message = BREAKAGES[name]
    data = copy.deepcopy(raw)
    parse_rule_table(data)  # the copy is valid before it is broken
    break_it(data)
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_rule_table(data)


# -- clinic tightening ----------------------------------------------------------------------


def test_a_longer_window_defers_longer_and_says_so(table: RuleTable) -> None:
    strict = table.tightened({"retinoids": {"days": 10}})
    last = TODAY - timedelta(days=8)
    assert (
        evaluate({"retinoid_last_use": last}, today=TODAY, rules=RULES).verdict_for("prp")
        == "proceed"
    )
    result = evaluate({"retinoid_last_use": last}, today=TODAY, rules=strict)
    assert result.verdict_for("prp") == "defer"
    assert result.for_treatment("prp").until == last + timedelta(days=10)
    assert "10 days" in result.for_treatment("prp").reasons[0].text
    assert result.version == strict.version
    # The bundled table is untouched.
    assert table.rule("retinoids").when.days == 7


def test_a_tightened_version_names_base_and_overrides(table: RuleTable) -> None:
    strict = table.tightened({"sun_exposure": {"days": 21}})
    assert re.fullmatch(r"2026\.2\+clinic\.[0-9a-f]{8}", strict.version)
    assert strict.base_version == "2026.2"
    assert strict.overrides == {"sun_exposure": {"days": 21}}
    assert table.tightened({"sun_exposure": {"days": 21}}).version == strict.version
    assert table.tightened({"sun_exposure": {"days": 22}}).version != strict.version
    assert table.tightened({}) is table


def test_tightening_in_steps_equals_tightening_at_once(table: RuleTable) -> None:
    stepwise = table.tightened({"peel": {"days": 10}}).tightened({"keloid": {"outcome": "decline"}})
    at_once = table.tightened({"peel": {"days": 10}, "keloid": {"outcome": "decline"}})
    assert stepwise.version == at_once.version
    assert stepwise.rules == at_once.rules


def test_a_stricter_outcome_applies_to_the_rules_scope_only(table: RuleTable) -> None:
    strict = table.tightened({"cold_sores": {"outcome": "review"}})
    result = evaluate({"cold_sores_frequent": True}, today=TODAY, rules=strict)
    assert [result.verdict_for(t) for t in ALL] == ["review", "proceed", "review", "review"]


def test_pregnancy_can_defer_every_treatment(table: RuleTable) -> None:
    strict = table.tightened({"pregnancy": {"outcome": "defer"}})
    prp = evaluate({"pregnant": True}, today=TODAY, rules=strict).for_treatment("prp")
    assert prp.verdict == "defer"
    assert prp.until is None
    assert (
        prp.until_text
        == "until you are no longer pregnant, trying to get pregnant or breastfeeding"
    )


def test_an_undated_rule_made_to_defer_gets_the_default_condition(table: RuleTable) -> None:
    strict = table.tightened({"keloid": {"outcome": "defer"}})
    scalp = evaluate({"keloid_history": True}, today=TODAY, rules=strict).for_treatment(
        "exosome_scalp"
    )
    assert scalp.verdict == "defer"
    assert scalp.until is None
    assert scalp.until_text == table.default_until_text


def test_isotretinoin_windows_can_be_lengthened(table: RuleTable) -> None:
    strict = table.tightened(
        {"isotretinoin_recent": {"months": 9}, "isotretinoin_window": {"months": 18}}
    )
    seven_months = {"isotretinoin_last_dose": date(2025, 11, 15)}
    result = evaluate(seven_months, today=TODAY, rules=strict)
    assert result.verdict_for("prp") == "defer"
    assert result.for_treatment("prp").until == date(2026, 8, 15)
    thirteen_months = {"isotretinoin_last_dose": date(2025, 5, 15)}
    assert evaluate(thirteen_months, today=TODAY, rules=RULES).verdict_for("prp") == "proceed"
    assert evaluate(thirteen_months, today=TODAY, rules=strict).verdict_for("prp") == "review"


def test_settings_that_change_nothing_keep_the_bundled_version(table: RuleTable) -> None:
    assert table.tightened({"retinoids": {"days": 7, "outcome": "defer"}}) is table
    strict = table.tightened({"retinoids": {"days": 7}, "peel": {"days": 9}})
    assert strict.overrides == {"peel": {"days": 9}}
    assert strict.version == table.tightened({"peel": {"days": 9}}).version
    # Re-saving the same clinic settings on a clinic table changes nothing either.
    assert strict.tightened({"peel": {"days": 9}}) is strict


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"retinoids": {"days": 5}}, "shorten"),
        ({"isotretinoin_recent": {"months": 3}}, "shorten"),
        ({"cancer_history": {"outcome": "precautions"}}, "loosen"),
        ({"pregnancy": {"outcome": "review"}}, "loosen"),
        ({"active_infection": {"outcome": "review"}}, "loosen"),
        ({"retinoids": {"outcome": "proceed"}}, "loosen"),
        ({"retinoids": {"outcome": "never"}}, "not a verdict"),
        ({"botox": {"days": 10}}, "no screening rule"),
        ({"retinoids": {"treatments": ["exosome_scalp"]}}, "only the outcome"),
        ({"retinoids": {}}, "say what to change"),
        ({"retinoids": {"months": 1}}, "measured in days"),
        ({"isotretinoin_recent": {"days": 200}}, "measured in months"),
        ({"keloid": {"days": 10}}, "not timed"),
        ({"retinoids": {"days": "10"}}, "whole number"),
        ({"retinoids": {"days": True}}, "whole number"),
        ({"retinoids": {"days": 7.5}}, "whole number"),
        ({"retinoids": {"days": 10**9}}, "more than ten years"),
    ],
)
def test_tightening_refuses_anything_looser_or_unknown(
    table: RuleTable, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        table.tightened(overrides)
