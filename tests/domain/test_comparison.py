"""Treatment comparison: the content file, validation, concerns, countries, edits and the view."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from exodesk.domain.comparison import (
    AUTHORITATIVE_KINDS,
    CITATION_KEYS,
    CLINIC_NOTE_ROW,
    CLINIC_SOURCE,
    EDITED_MARKER,
    MAX_CLINIC_TEXT,
    NO_DATE,
    SEED_KINDS,
    UNKNOWN_TEXT,
    ComparisonContent,
    Fact,
    Source,
    apply_edits,
    build_view,
    citation,
    fact_for,
    parse_comparison,
    patient_mark,
    treatments_for_concern,
    validate_content,
)
from exodesk.services.bundled import COMPARISON_FILE, BundledContent
from tests.bundled import bundled_comparison, bundled_data, content_at

TREATMENTS = (
    "exosome_face",
    "exosome_scalp",
    "prp",
    "microneedling",
    "hair_transplant",
    "stem_cell",
    "chemical_peel",
    "laser_resurfacing",
)
ROWS = (
    "what_it_is",
    "common_side_effects",
    "serious_risks",
    "tolerability",
    "downtime",
    "sessions",
    "results",
    "invasiveness",
    "evidence",
    "regulatory",
    "price",
)
SEEDS = ("000", "001", "002", "003", "004")
# The public, authoritative sources read for the cells the seeds leave empty (issue 17).
AUTHORITATIVE = ("100", "101", "102", "103")


def raw() -> dict[str, Any]:
    """A fresh, mutable copy of the bundled file's JSON."""
    return bundled_data(COMPARISON_FILE)  # type: ignore[no-any-return]


def treatment(data: dict[str, Any], treatment_id: str) -> dict[str, Any]:
    return next(t for t in data["treatments"] if t["id"] == treatment_id)


def all_texts(content: ComparisonContent) -> list[tuple[str, str, str, Fact]]:
    """Every fact in the content as (treatment, row, country, fact)."""
    return [
        (t.id, row, country, fact)
        for t in content.treatments
        for row, by_country in t.facts.items()
        for country, fact in by_country.items()
    ]


@pytest.fixture(scope="module")
def content() -> ComparisonContent:
    return bundled_comparison()


# ---- the bundled content ----------------------------------------------------------------------


def test_bundled_file_validates_and_has_the_agreed_shape(content: ComparisonContent) -> None:
    assert validate_content(raw()) == []
    assert content.treatment_ids == TREATMENTS
    assert tuple(row.id for row in content.rows) == ROWS
    assert tuple(source.id for source in content.sources) == SEEDS + AUTHORITATIVE
    assert content.row("sessions").label == "Typical sessions and spacing"
    assert content.row("price").label == "Price at this clinic"
    assert content.treatment("exosome_face").label == "Exosomes (face)"
    assert content.treatment("hair_transplant").label == "Hair transplant surgery"
    assert set(content.concern_ids) == {
        "hair_thinning",
        "skin_rejuvenation",
        "acne_scarring",
        "pigmentation",
    }


def test_bundled_content_is_cached(content: ComparisonContent) -> None:
    assert bundled_comparison() is bundled_comparison()
    assert BundledContent().comparison is not bundled_comparison()


def test_no_price_is_shipped_except_the_cited_uk_range(content: ComparisonContent) -> None:
    with_money = [
        (t, row, country)
        for t, row, country, fact in all_texts(content)
        if re.search(r"[£$€]\s?\d", fact.text + fact.note)
    ]
    assert with_money == [("exosome_face", "price", "GB")]
    note = content.treatment("exosome_face").fact("price", "GB")
    assert note.unknown and "£400–£600" in note.note and note.sources == ("002",)


def test_exosomes_are_never_called_approved(content: ComparisonContent) -> None:
    # Seed 000 calls topical exosomes approved in the US; the cautious sources win.
    for treatment_id, row, country, fact in all_texts(content):
        for sentence in re.split(r"(?<=[.;])\s+", fact.text):
            if "approved" in sentence.lower():
                assert re.search(r"\b(no|not|unapproved)\b", sentence, re.I), (
                    treatment_id,
                    row,
                    country,
                    sentence,
                )


def test_evidence_for_exosomes_carries_the_caution(content: ComparisonContent) -> None:
    for treatment_id in ("exosome_face", "exosome_scalp"):
        text = content.treatment(treatment_id).fact("evidence", "GB").text
        assert text.startswith("Early studies; no large trials.")


# ---- validation -------------------------------------------------------------------------------


def _drop_row(data: dict[str, Any]) -> None:
    del treatment(data, "prp")["facts"]["downtime"]


def _unknown_source(data: dict[str, Any]) -> None:
    treatment(data, "microneedling")["facts"]["serious_risks"]["sources"] = ["003", "099"]


def _concern_of_one(data: dict[str, Any]) -> None:
    data["concerns"][0]["treatments"] = ["prp"]


def _concern_of_five(data: dict[str, Any]) -> None:
    data["concerns"][1]["treatments"] = list(TREATMENTS[:5])


def _invasiveness_nine(data: dict[str, Any]) -> None:
    treatment(data, "stem_cell")["visual"]["invasiveness"]["value"] = 9


def _by_country_without_all(data: dict[str, Any]) -> None:
    del treatment(data, "exosome_face")["facts"]["regulatory"]["by_country"]["ALL"]


def _text_and_unknown(data: dict[str, Any]) -> None:
    treatment(data, "chemical_peel")["facts"]["evidence"] = {"unknown": True, "text": "Good."}


def _uncited_text(data: dict[str, Any]) -> None:
    treatment(data, "prp")["facts"]["serious_risks"]["sources"] = []


def _estimate_with_sources(data: dict[str, Any]) -> None:
    treatment(data, "prp")["visual"]["sessions"]["sources"] = ["001"]


def _unknown_concern_treatment(data: dict[str, Any]) -> None:
    data["concerns"][2]["treatments"] = ["exosome_face", "botox"]


def _unknown_country(data: dict[str, Any]) -> None:
    regulatory = treatment(data, "exosome_scalp")["facts"]["regulatory"]
    regulatory["by_country"]["FR"] = {"text": "Something.", "sources": ["002"]}


def _source(data: dict[str, Any], source_id: str) -> dict[str, Any]:
    return next(s for s in data["sources"] if s["id"] == source_id)


def _authoritative_without_quote(data: dict[str, Any]) -> None:
    del _source(data, "100")["quote"]


def _authoritative_with_blank_publisher(data: dict[str, Any]) -> None:
    _source(data, "102")["publisher"] = "  "


def _year_in_words(data: dict[str, Any]) -> None:
    _source(data, "101")["year"] = "June 2018"


def _url_without_scheme(data: dict[str, Any]) -> None:
    _source(data, "103")["url"] = "www.aad.org/public/diseases/hair-loss/treatment/transplant"


def _unknown_kind(data: dict[str, Any]) -> None:
    _source(data, "103")["kind"] = "journal"


def _seed_with_a_url(data: dict[str, Any]) -> None:
    _source(data, "003")["url"] = "https://example.com/"


BREAKAGES = [
    (_drop_row, 'Treatment prp has no "downtime" row'),
    (_unknown_source, "microneedling / serious_risks: source '099' is not in the source list"),
    (_concern_of_one, "Concern hair_thinning names 1 treatment; it must name 2 to 4."),
    (_concern_of_five, "Concern skin_rejuvenation names 5 treatments; it must name 2 to 4."),
    (_invasiveness_nine, "stem_cell / visual invasiveness: the value must be 1 to 5, not 9."),
    (_by_country_without_all, "exosome_face / regulatory: by_country needs an ALL fact"),
    (_text_and_unknown, "chemical_peel / evidence: a fact cannot have text and be unknown."),
    (_uncited_text, "prp / serious_risks: the text must cite at least one source."),
    (_estimate_with_sources, "prp / visual sessions: an estimate cites no sources"),
    (_unknown_concern_treatment, "Concern acne_scarring names unknown treatment 'botox'."),
    (_unknown_country, "exosome_scalp / regulatory: FR is not a country code"),
    (_authoritative_without_quote, "The source 100 needs a quote: a health service is cited"),
    (_authoritative_with_blank_publisher, "The source 102 needs a publisher"),
    (_year_in_words, "The source 101: the year must be four digits or 'n.d.', not 'June 2018'."),
    (_url_without_scheme, "The source 103: the url must start with https:// or http://."),
    (_unknown_kind, "The source 103 has an unknown kind 'journal'"),
    (_seed_with_a_url, "The source 003 is a seed page: it takes only id, title and kind, not url."),
]


@pytest.mark.parametrize(
    ("breakage", "message"),
    [pytest.param(breakage, message, id=breakage.__name__[1:]) for breakage, message in BREAKAGES],
)
def test_broken_content_is_reported(breakage, message: str) -> None:
    data = raw()
    breakage(data)
    problems = validate_content(data)
    assert any(message in problem for problem in problems), problems
    # Only the one thing broken is reported: the messages point at it, not at everything.
    assert len(problems) == 1, problems
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_comparison(data)


def test_a_broken_file_does_not_load(tmp_path) -> None:
    data = raw()
    _invasiveness_nine(data)
    with pytest.raises(ValueError, match="must be 1 to 5"):
        content_at(tmp_path, COMPARISON_FILE, json.dumps(data)).comparison  # noqa: B018
    with pytest.raises(ValueError, match=r"treatments\.json is not valid JSON"):
        content_at(tmp_path, COMPARISON_FILE, "{not json").comparison  # noqa: B018


def test_validation_does_not_change_its_input() -> None:
    data = raw()
    before = copy.deepcopy(data)
    validate_content(data)
    parse_comparison(data)
    assert data == before


# ---- concerns and countries -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("concern", "expected"),
    [
        ("hair_thinning", ("exosome_scalp", "prp", "microneedling", "hair_transplant")),
        ("skin_rejuvenation", ("exosome_face", "prp", "microneedling")),
        ("acne_scarring", ("exosome_face", "microneedling", "laser_resurfacing")),
        ("pigmentation", ("exosome_face", "chemical_peel", "laser_resurfacing")),
    ],
)
def test_concern_preselects_its_treatments(
    content: ComparisonContent, concern: str, expected: tuple[str, ...]
) -> None:
    assert treatments_for_concern(content, concern) == expected
    assert content.concern(concern).note  # every choice is justified in the file


def test_unknown_concern_raises(content: ComparisonContent) -> None:
    with pytest.raises(KeyError):
        treatments_for_concern(content, "wrinkles")


WORLDWIDE = "A 2023 review found no exosome therapy approved anywhere"


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("GB", "human-derived reportedly not legal"),
        ("gb", "human-derived reportedly not legal"),
        ("US", "No exosome product is FDA-approved"),
        ("IE", WORLDWIDE),
        ("OTHER", WORLDWIDE),
    ],
)
@pytest.mark.parametrize("treatment", ["exosome_face", "exosome_scalp"])
def test_regulatory_status_follows_the_country_and_always_says_the_worldwide_fact(
    content: ComparisonContent, treatment: str, country: str, expected: str
) -> None:
    fact = fact_for(content, treatment, "regulatory", country=country)
    assert expected in fact.text
    # Clinical facts §2: the worldwide line shows in every country, beside the country's own.
    assert fact.text.endswith(WORLDWIDE + ".")
    assert not fact.unknown and fact.sources
    # The 2023 review is cited to seed 002 only.
    assert "001" not in fact.sources


@pytest.mark.parametrize("country", ["GB", "US", "IE"])
def test_no_regulatory_cell_implies_approval_for_some_use(
    content: ComparisonContent, country: str
) -> None:
    for treatment in ("exosome_face", "exosome_scalp"):
        text = fact_for(content, treatment, "regulatory", country=country).text.lower()
        assert "cosmetic" not in text and "approved for" not in text
        if country == "GB":
            assert text.count("reportedly") == 2, "both UK facts rest on one clinic page"


def test_a_fact_without_countries_is_the_same_everywhere(content: ComparisonContent) -> None:
    facts = {fact_for(content, "prp", "serious_risks", country=c) for c in ("GB", "US", "NZ")}
    assert len(facts) == 1


def test_price_comes_from_the_clinic(content: ComparisonContent) -> None:
    prices = {"prp": "£350 a session"}
    mine = fact_for(content, "prp", "price", country="GB", clinic_prices=prices)
    assert mine == Fact(text="£350 a session", sources=(CLINIC_SOURCE,))
    uk = fact_for(content, "exosome_face", "price", country="GB", clinic_prices=prices)
    assert uk.unknown and "£400–£600" in uk.note
    us = fact_for(content, "exosome_face", "price", country="US")
    assert us.unknown and us.note == "" and us.sources == ()
    blank = fact_for(content, "prp", "price", country="GB", clinic_prices={"prp": "  "})
    assert blank.unknown


# ---- clinic edits -----------------------------------------------------------------------------


def test_edits_replace_the_text_and_mark_it(content: ComparisonContent) -> None:
    edited = apply_edits(
        content,
        {"microneedling": {"results": "Smoother texture after the second session."}},
        {"prp": "We use a closed kit."},
    )
    fact = fact_for(edited, "microneedling", "results", country="US")
    assert fact.text == "Smoother texture after the second session."
    assert fact.edited and fact.sources == (CLINIC_SOURCE,)
    # Untouched cells and the original content stay as they were.
    assert fact_for(edited, "microneedling", "downtime", country="GB") == fact_for(
        content, "microneedling", "downtime", country="GB"
    )
    original = fact_for(content, "microneedling", "results", country="GB")
    assert not original.edited and original.sources == ("102",)

    view = build_view(
        edited, treatments=["prp", "microneedling"], country="GB", prices={}, patient_marks=None
    )
    cell = view.row("results").cells[1]
    assert cell.marker == EDITED_MARKER
    (number,) = cell.footnotes
    assert view.footnotes[number - 1].source == CLINIC_SOURCE
    note_row = view.row(CLINIC_NOTE_ROW)
    assert [c.text for c in note_row.cells] == ["We use a closed kit.", ""]


def test_an_edit_replaces_every_country(content: ComparisonContent) -> None:
    edited = apply_edits(content, {"exosome_face": {"regulatory": "Ask us."}}, {})
    texts = {
        fact_for(edited, "exosome_face", "regulatory", country=country).text
        for country in ("GB", "US", "IE")
    }
    assert texts == {"Ask us."}


def test_blank_edits_change_nothing(content: ComparisonContent) -> None:
    edited = apply_edits(content, {"prp": {"downtime": "  "}}, {"prp": ""})
    assert fact_for(edited, "prp", "downtime", country="GB") == fact_for(
        content, "prp", "downtime", country="GB"
    )
    assert edited.treatment("prp").clinic_note == ""


@pytest.mark.parametrize(
    ("edits", "notes", "message"),
    [
        ({"botox": {"downtime": "x"}}, {}, "no treatment 'botox'"),
        ({"prp": {"colour": "x"}}, {}, "no row 'colour'"),
        ({}, {"botox": "x"}, "no treatment 'botox'"),
        ({"prp": {"downtime": "x" * (MAX_CLINIC_TEXT + 1)}}, {}, "too long to print"),
    ],
)
def test_bad_edits_raise(content: ComparisonContent, edits, notes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        apply_edits(content, edits, notes)


# ---- the view ---------------------------------------------------------------------------------


def test_patient_mark_is_on_its_column(content: ComparisonContent) -> None:
    view = build_view(
        content,
        treatments=["exosome_face", "prp", "microneedling"],
        country="GB",
        prices={},
        patient_marks={
            "prp": patient_mark("defer", "until 1 Mar 2027"),
            "microneedling": patient_mark("review"),
            "exosome_face": "proceed",
            "hair_transplant": patient_mark("decline"),  # not compared: left out
        },
    )
    marks = [column.mark for column in view.columns]
    assert marks[0] is None
    assert marks[1] is not None and marks[1].text == "Deferred for this patient: until 1 Mar 2027"
    assert marks[2] is not None and marks[2].text == "Needs a doctor's review"


def test_a_mark_must_name_a_verdict(content: ComparisonContent) -> None:
    with pytest.raises(ValueError, match="patient mark"):
        build_view(
            content,
            treatments=["prp", "microneedling"],
            country="GB",
            prices={},
            patient_marks={"prp": "later"},
        )
    with pytest.raises(ValueError):
        patient_mark("proceed")


@pytest.mark.parametrize(
    "treatments",
    [
        ["prp"],
        ["exosome_face", "exosome_scalp", "prp", "microneedling", "stem_cell"],
        ["prp", "prp"],
        ["prp", "botox"],
    ],
    ids=["one", "five", "repeated", "unknown"],
)
def test_view_needs_two_to_four_known_treatments(
    content: ComparisonContent, treatments: list[str]
) -> None:
    with pytest.raises(ValueError):
        build_view(content, treatments=treatments, country="GB", prices={})


def test_view_rows_cells_and_footnotes(content: ComparisonContent) -> None:
    chosen = ["exosome_face", "chemical_peel", "laser_resurfacing"]
    view = build_view(
        content,
        treatments=chosen,
        country="GB",
        prices={"exosome_face": "£480"},
        concern="pigmentation",
    )
    assert view.title == "Comparing treatments for uneven pigmentation"
    assert [c.treatment for c in view.columns] == chosen
    assert [r.id for r in view.rows] == list(ROWS)
    assert all(len(r.cells) == 3 for r in view.rows)
    unknown = view.row("invasiveness").cells[1]
    assert unknown.text == UNKNOWN_TEXT and unknown.unknown and unknown.footnotes == ()
    # Numbered 1..n in order of first use, reading row by row, left to right.
    used = [n for row in view.rows for cell in row.cells for n in cell.footnotes]
    assert [f.number for f in view.footnotes] == list(range(1, len(view.footnotes) + 1))
    assert list(dict.fromkeys(used)) == sorted(set(used)) == [f.number for f in view.footnotes]
    first = view.row("what_it_is").cells[0]
    assert {view.footnotes[n - 1].source for n in first.footnotes} == {"000", "001", "002"}
    price = view.row("price").cells[0]
    assert price.text == "£480" and view.footnotes[price.footnotes[0] - 1].source == CLINIC_SOURCE


def test_footnotes_list_only_sources_used(content: ComparisonContent) -> None:
    view = build_view(
        content, treatments=["chemical_peel", "laser_resurfacing"], country="US", prices={}
    )
    assert [f.source for f in view.footnotes] == ["000", "100"]


def test_visual_values_come_through(content: ComparisonContent) -> None:
    view = build_view(content, treatments=["hair_transplant", "prp"], country="GB", prices={})
    surgery, prp = (column.visual for column in view.columns)
    assert surgery.invasiveness.value == 5 and surgery.invasiveness.sources == ("003",)
    assert surgery.downtime_days.estimate and surgery.downtime_days.value >= 10
    assert prp.sessions.estimate and (prp.sessions.value, prp.sessions.max) == (3, 6)
    assert view.has_estimates


def test_scalp_exosome_serious_risks_name_granulomas_and_necrosis(
    content: ComparisonContent,
) -> None:
    text = fact_for(content, "exosome_scalp", "serious_risks", country="GB").text.lower()
    assert "granuloma" in text and "necrosis" in text


@pytest.mark.parametrize("treatment", ["exosome_face", "exosome_scalp"])
def test_result_rows_say_may(treatment: str, content: ComparisonContent) -> None:
    """No promise of results (facts, preamble): every time in the result row is a "may"."""
    text = fact_for(content, treatment, "results", country="GB").text
    assert "often" not in text.lower()
    for clause in text.split(";"):
        assert re.search(r"\bmay\b", clause, re.IGNORECASE), clause


@pytest.mark.parametrize("treatment", ["prp", "microneedling"])
def test_prp_and_microneedling_downtime_is_an_estimate_not_a_sourced_figure(
    treatment: str, content: ComparisonContent
) -> None:
    """Seed 003 only calls their side effects comparable: no number is quoted as sourced."""
    measure = content.treatment(treatment).visual.downtime_days
    assert measure.estimate and measure.basis and not measure.sources
    text = fact_for(content, treatment, "downtime", country="GB").text
    assert not re.search(r"\d", text), text


# ---- sources beyond the seeds -----------------------------------------------------------------


def test_seeds_keep_three_fields_and_every_other_source_says_where_and_what(
    content: ComparisonContent,
) -> None:
    for entry in raw()["sources"]:
        if entry["id"] in SEEDS:
            assert set(entry) == {"id", "title", "kind"} and entry["kind"] in SEED_KINDS
        else:
            assert entry["kind"] in AUTHORITATIVE_KINDS
            for key in CITATION_KEYS:
                assert entry[key].strip(), (entry["id"], key)
            assert re.fullmatch(r"\d{4}", entry["year"]) or entry["year"] == NO_DATE
            assert entry["url"].startswith(("https://", "http://"))
    # The parsed sources carry the same fields.
    nhs = content.source("100")
    assert (nhs.publisher, nhs.year, nhs.kind) == ("NHS", NO_DATE, "health_service")
    assert "Deeper peels are more risky." in nhs.quote
    assert content.source("000").publisher == "" and content.source("000").quote == ""


def test_every_cited_source_exists(content: ComparisonContent) -> None:
    known = {source.id for source in content.sources}
    for treatment_id, row, country, fact in all_texts(content):
        assert set(fact.sources) <= known, (treatment_id, row, country)
    for facts in content.treatments:
        for key in ("invasiveness", "downtime_days", "sessions"):
            assert set(getattr(facts.visual, key).sources) <= known


# (treatment, row, source ids): the cells filled from sources beyond the seeds.
FILLED = [
    ("prp", "sessions", ("101",)),
    ("prp", "results", ("101",)),
    ("prp", "evidence", ("101",)),
    ("microneedling", "results", ("102",)),
    ("microneedling", "evidence", ("102",)),
    ("hair_transplant", "results", ("103",)),
    ("chemical_peel", "serious_risks", ("100",)),
    ("chemical_peel", "tolerability", ("100",)),
    ("chemical_peel", "sessions", ("100",)),
    ("chemical_peel", "results", ("100",)),
]


@pytest.mark.parametrize(("treatment_id", "row", "sources"), FILLED)
def test_cells_beyond_the_seeds_cite_an_authoritative_source(
    treatment_id: str, row: str, sources: tuple[str, ...], content: ComparisonContent
) -> None:
    fact = fact_for(content, treatment_id, row, country="GB")
    assert not fact.unknown and fact.sources == sources
    assert all(content.source(s).kind in AUTHORITATIVE_KINDS for s in fact.sources)
    # Short enough for the one-page handout, and no promises (preamble: "may", not "will").
    assert len(fact.text) <= 120
    assert not re.search(r"\b(will|guarantee|cure)", fact.text, re.IGNORECASE)


@pytest.mark.parametrize("treatment_id", ["prp", "microneedling", "hair_transplant"])
def test_new_result_rows_say_may(treatment_id: str, content: ComparisonContent) -> None:
    assert re.search(r"\bmay\b", fact_for(content, treatment_id, "results", country="GB").text)


@pytest.mark.parametrize(
    ("title", "publisher", "year", "expected"),
    [
        ("Chemical peels", "NHS", "n.d.", "NHS, n.d.: Chemical peels"),
        ("A review", "Thieme", "2018", "Thieme, 2018: A review"),
        ("A page", "AAD", "", "AAD: A page"),
        ("Clinic page: recovery", "", "", "Clinic page: recovery"),
    ],
)
def test_citation_names_publisher_and_year(
    title: str, publisher: str, year: str, expected: str
) -> None:
    assert citation(title, publisher, year) == expected
    assert Source("1", title, "x", publisher, year).citation == expected


def test_footnotes_carry_the_publisher_and_year(content: ComparisonContent) -> None:
    view = build_view(
        content, treatments=("chemical_peel", "laser_resurfacing"), country="GB", prices={}
    )
    by_source = {footnote.source: footnote for footnote in view.footnotes}
    assert by_source["100"].citation == "NHS, n.d.: Chemical peels"
    # A seed page is named by its title alone, as before.
    assert by_source["000"].citation == content.source("000").title
