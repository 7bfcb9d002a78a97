"""The clinical content report's data: every sentence of the content files, counted from the files
themselves, with its source, status and the version."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date

import pytest

from exodesk.domain import content as c
from exodesk.domain.aftercare import method_line
from exodesk.domain.comparison import apply_edits
from exodesk.domain.sessions import DELIVERY_METHODS
from exodesk.paths import RESOURCES
from tests.bundled import (
    bundled_aftercare,
    bundled_comparison,
    bundled_regulatory_facts,
    bundled_rules,
)


def _json(*path: str) -> dict:
    return json.loads((RESOURCES.joinpath(*path)).read_text(encoding="utf-8"))


RULES = _json("screening", "rules.json")
SHEETS = _json("aftercare", "sheets.json")
COMPARISON = _json("comparison", "treatments.json")
REGULATORY = _json("sessions", "regulatory.json")
CONSENT = (RESOURCES / "screening" / "consent.txt").read_text(encoding="utf-8")


def _sheet_sources() -> dict[str, dict[str, tuple[str, ...]]]:
    return {
        raw["treatment"]: {
            **{s["id"]: tuple(s["sources"]) for s in raw["sections"]},
            "timeline": tuple(raw["timeline"]["sources"]),
        }
        for raw in SHEETS["templates"]
    }


def _all_entries(
    *, edited_sheets: tuple[str, ...] = (), comparison=None, consent: str = CONSENT
) -> list[c.ContentEntry]:
    templates = bundled_aftercare()
    return [
        *c.screening_entries(bundled_rules()),
        *c.consent_entries(consent, version=1, edited=consent != CONSENT),
        *c.aftercare_entries(
            list(templates.values()), sources=_sheet_sources(), edited=edited_sheets
        ),
        *c.comparison_entries(comparison or bundled_comparison()),
        *c.regulatory_entries(bundled_regulatory_facts()),
    ]


def _texts(entries: list[c.ContentEntry], part: str, kind: str | None = None) -> list[str]:
    return [e.text for e in entries if e.part == part and (kind is None or e.kind == kind)]


# ---- every sentence, counted from the files --------------------------------------------------
def test_every_rule_reason_and_precaution_is_listed_with_its_rules_sources() -> None:
    entries = c.screening_entries(bundled_rules())
    reasons = [e["reason"] for r in RULES["rules"] for e in r["effects"]]
    precautions = [
        e["precaution"] for r in RULES["rules"] for e in r["effects"] if "precaution" in e
    ]
    assert _texts(entries, c.SCREENING, "reason") == _as_read(reasons)
    assert _texts(entries, c.SCREENING, "precaution") == _as_read(precautions)
    assert len(_texts(entries, c.SCREENING, "until")) == sum(
        1 for r in RULES["rules"] if "until_text" in r
    )
    by_text = {e.text: e for e in entries}
    for rule in RULES["rules"]:
        for effect in rule["effects"]:
            [as_read] = _as_read([effect["reason"]])
            entry = by_text[as_read]
            assert entry.sources == tuple(rule["sources"]) and entry.status == c.SOURCED
            assert rule["title"] in entry.where


def _as_read(texts: list[str]) -> list[str]:
    """Rule texts as a patient reads them: each "{months}" filled from its own rule's window."""
    windows: dict[str, dict[str, int]] = {}
    for rule in RULES["rules"]:
        when = rule["when"]
        numbers = {k: when[k] for k in ("days", "months", "from_months") if k in when}
        for effect in rule["effects"]:
            for key in ("reason", "precaution"):
                if key in effect:
                    windows[effect[key]] = numbers
    return [text.format(**windows.get(text, {})) for text in texts]


def test_every_aftercare_bullet_is_listed_under_its_sheet_and_heading() -> None:
    entries = _all_entries()
    expected = [
        (f"Aftercare: {t['title']} — {s['heading']}", bullet, tuple(s["sources"]))
        for t in SHEETS["templates"]
        for s in t["sections"]
        for bullet in s["bullets"]
    ]
    found = [(e.where, e.text, e.sources) for e in entries if e.kind == "bullet"]
    assert found == expected
    stages = [s["text"] for t in SHEETS["templates"] for s in t["timeline"]["stages"]]
    assert _texts(entries, c.AFTERCARE, "timeline") == stages


def test_every_comparison_cell_with_text_is_listed() -> None:
    entries = c.comparison_entries(bundled_comparison())
    cells = [
        fact["text"]
        for t in COMPARISON["treatments"]
        for row in COMPARISON["rows"]
        if row["id"] in t["facts"]
        for fact in (
            t["facts"][row["id"]]["by_country"].values()
            if "by_country" in t["facts"][row["id"]]
            else [t["facts"][row["id"]]]
        )
        if fact.get("text") and not fact.get("unknown")
    ]
    assert len(cells) > 40
    assert sorted(_texts(entries, c.COMPARISON, "cell")) == sorted(cells)
    words = [m["words"] for t in COMPARISON["treatments"] for m in t["visual"].values()]
    assert sorted(_texts(entries, c.COMPARISON, "measure")) == sorted(words)


def test_the_opening_line_for_each_delivery_method_is_listed_as_exodesks_own_words() -> None:
    entries = [e for e in _all_entries() if e.kind == "method"]
    for treatment in bundled_aftercare():
        lines = {
            method_line(treatment, delivery, scalp=scalp)
            for delivery in DELIVERY_METHODS
            for scalp in (False, True)
        }
        title = bundled_aftercare()[treatment].title
        assert {e.text for e in entries if title in e.where} == lines - {""}
    assert {e.status for e in entries} == {c.UNSOURCED}
    assert "PRP was put on your skin; no needles were used." in {e.text for e in entries}


def test_no_placeholder_reaches_the_report() -> None:
    """The isotretinoin rule's "between {from_months} and {months} months ago" printed as
    written in the file; the report gives the words a patient reads: "between 6 and 12"."""
    texts = [e.text for e in _all_entries()]
    assert not [t for t in texts if re.search(r"\{[a-z_]+\}", t)]
    assert any("between 6 and 12 months ago" in t for t in texts)


def test_every_regulatory_note_and_consent_paragraph_is_listed() -> None:
    entries = _all_entries()
    assert _texts(entries, c.REGULATORY) == [n["text"] for n in REGULATORY["notes"]]
    # Where each applies, in words: never the note's id ("all_no_approved_exosome_therapy").
    wheres = [e.where for e in entries if e.part == c.REGULATORY]
    assert wheres[0] == "Before saving a session: regulatory note 1 (United States)"
    assert "Before saving a session: regulatory note 6 (every country)" in wheres
    assert not [w for w in wheres if "_" in w]
    paragraphs = [" ".join(p.split()) for p in CONSENT.split("\n\n") if p.strip()]
    assert _texts(entries, c.CONSENT) == paragraphs
    assert len(paragraphs) >= 6
    # consent.txt names no seed: it says so rather than calling itself sourced.
    assert {e.status for e in entries if e.part == c.CONSENT} == {c.UNSOURCED}


# ---- status ----------------------------------------------------------------------------------
def test_an_estimate_is_marked_as_such_with_its_basis() -> None:
    entries = c.comparison_entries(bundled_comparison())
    estimates = [
        (t["label"], m)
        for t in COMPARISON["treatments"]
        for m in t["visual"].values()
        if m.get("estimate")
    ]
    assert estimates
    marked = [e for e in entries if e.status == c.ESTIMATE]
    assert len(marked) == len(estimates)
    for label, measure in estimates:
        entry = next(e for e in marked if label in e.where and e.text == measure["words"])
        assert entry.basis == measure.get("basis", "")


def test_a_clinic_edited_sheet_and_comparison_cell_are_the_clinics_own_wording() -> None:
    entries = _all_entries(edited_sheets=("exosome_face",))
    # The sheet's own words; the method line is ExoDesk's, whichever wording follows it.
    face = [
        e
        for e in entries
        if e.part == c.AFTERCARE and "exosome facial" in e.where and e.kind != "method"
    ]
    assert face and {e.status for e in face} == {c.CLINIC}
    assert {e.sources for e in face} == {("clinic",)}
    others = [e for e in entries if e.part == c.AFTERCARE and e not in face]
    assert {e.status for e in others if e.kind == "method"} == {c.UNSOURCED}
    assert c.CLINIC not in {e.status for e in others}
    edited = apply_edits(bundled_comparison(), {"prp": {"downtime": "A day or two."}}, {})
    cell = next(e for e in c.comparison_entries(edited) if e.text == "A day or two.")
    assert cell.status == c.CLINIC and "PRP" in cell.where


def test_a_rule_the_clinic_tightened_is_its_own_wording() -> None:
    table = bundled_rules().tightened({"pregnancy": {"outcome": "decline"}})
    entries = c.screening_entries(table, clinic_rules=table.overrides)
    assert {e.status for e in entries if "Pregnancy" in e.where} == {c.CLINIC}
    assert {e.status for e in entries if "Breastfeeding" in e.where} == {c.SOURCED}


# ---- version and reviews ---------------------------------------------------------------------
PARTS = ["rules 2026.2", "aftercare 2026.2", "comparison 2026.3", "regulatory 2026.2", "consent v1"]


def test_the_version_names_the_files_and_ends_with_a_digest_of_the_wording() -> None:
    entries = _all_entries()
    version = c.content_version(PARTS, entries)
    assert version.startswith("rules 2026.2 · aftercare 2026.2 · comparison 2026.3 · ")
    assert version == c.content_version(PARTS, list(entries)), "stable"
    assert len(version.rsplit(" · ", 1)[1]) == c.DIGEST_LENGTH


@pytest.mark.parametrize(
    "change",
    [
        lambda es: [replace(es[0], text=es[0].text + " ")],
        lambda es: [replace(es[0], status=c.CLINIC)],
        lambda es: [replace(es[0], sources=())],
        lambda es: [replace(es[0], where="elsewhere")],
    ],
    ids=["text", "status", "sources", "where"],
)
def test_any_change_to_a_sentence_changes_the_version(change) -> None:
    entries = _all_entries()
    changed = change(entries) + entries[1:]
    assert c.content_version(PARTS, changed) != c.content_version(PARTS, entries)


def test_a_review_counts_only_for_its_own_version() -> None:
    report = c.ContentReport(version="v-new", clinic_edits=False, entries=())
    old = c.ContentReview("v-old", "Dr Old", date(2026, 1, 5))
    new = c.ContentReview("v-new", "Dr X", date(2026, 12, 6))
    assert c.with_reviews(report, [old]).review is None
    assert c.with_reviews(report, [old]).review_status() == (
        "Not reviewed: the wording in use (version v-new) has no review yet"
    )
    reviewed = c.with_reviews(report, [old, new])
    assert reviewed.review == new and reviewed.earlier_reviews == (old,)
    assert reviewed.review_status() == "Reviewed by Dr X on 6 Dec 2026"
    assert c.review_from_dict(new.to_dict()) == new
