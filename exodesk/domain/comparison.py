"""Treatment comparison: the cited facts per treatment, clinic edits, and the view a handout prints.

The facts are data (``resources/comparison/treatments.json``, from clinical-facts §5, §2 and §3,
read by ``services.bundled``); this module validates them and builds the ``ComparisonView`` that
both the Qt view and the PDF handout show. Pure: no clock, no storage, no Qt.

Public API::

    parse_comparison(data) -> ComparisonContent              # from decoded JSON
    validate_content(data) -> list[str]                      # problems, empty when valid
    treatments_for_concern(content, concern) -> tuple[str, ...]
    fact_for(content, treatment, row, *, country, clinic_prices=None) -> Fact
    apply_edits(content, edits, notes) -> ComparisonContent
    patient_mark(verdict, detail="") -> str                  # a value for patient_marks
    build_view(content, *, treatments, country, prices, patient_marks=None,
               concern=None) -> ComparisonView

A fact is either text with the sources it comes from, or an explicit unknown (printed as
``UNKNOWN_TEXT``). Where the sources say nothing the file says so; nothing is filled in.

Sources are of two sorts: the seed pages (``SEED_KINDS``: clinic and supplier pages, a health
article), named by id, title and kind; and public, authoritative documents
(``AUTHORITATIVE_KINDS``: a health service, regulator, professional body or peer-reviewed
review), which also carry their publisher, year, address and the exact sentences a fact rests
on, so a clinician can check each fact against its words.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from exodesk.domain.clinic import COUNTRIES

UNKNOWN_TEXT = "—"
# The pseudo-source of everything the clinic wrote itself: prices, notes and edited cells.
CLINIC_SOURCE = "clinic"
CLINIC_SOURCE_TITLE = "This clinic (its prices, notes and changes)"
EDITED_MARKER = "edited by the clinic"
ALL_COUNTRIES = "ALL"
# The row whose worldwide fact shows beside a country's own rather than instead of it.
REGULATORY_ROW = "regulatory"
PRICE_ROW = "price"
CLINIC_NOTE_ROW = "clinic_note"
CLINIC_NOTE_LABEL = "Note from this clinic"
TITLE = "Comparing treatments"

MIN_COLUMNS, MAX_COLUMNS = 2, 4
# The longest text a clinic may put in a cell (an edit or a note) and a price: a table row must
# fit on one printed page even in large print with four treatments.
MAX_CLINIC_TEXT = 300
MAX_PRICE_TEXT = 80
MIN_CONCERN_TREATMENTS, MAX_CONCERN_TREATMENTS = 2, 4

# Ranges the glance graphic can draw; anything outside is a typing slip in the file.
INVASIVENESS_RANGE = (1, 5)
DOWNTIME_DAYS_RANGE = (0, 30)
SESSIONS_RANGE = (1, 10)
VISUAL_KEYS: tuple[str, ...] = ("invasiveness", "downtime_days", "sessions")
_VISUAL_RANGES = {
    "invasiveness": INVASIVENESS_RANGE,
    "downtime_days": DOWNTIME_DAYS_RANGE,
    "sessions": SESSIONS_RANGE,
}

# Screening verdicts that put a mark on a column, and the heading each mark prints under. A
# proceed verdict needs no mark. The words, not a colour, carry the meaning.
MARK_HEADINGS: dict[str, str] = {
    "precautions": "Extra care for this patient",
    "review": "Needs a doctor's review",
    "defer": "Deferred for this patient",
    "decline": "Not suitable for this patient",
}

_TOP_KEYS = frozenset({"version", "about", "sources", "rows", "treatments", "concerns"})
# Seed pages are named by id, title and kind; an authoritative source also carries where it can
# be read and the sentences the facts rest on.
SEED_KINDS = frozenset({"clinic_page", "supplier_page", "health_article"})
AUTHORITATIVE_KINDS = frozenset(
    {"health_service", "regulator", "professional_body", "peer_reviewed_review"}
)
CITATION_KEYS: tuple[str, ...] = ("publisher", "year", "url", "quote")
# The year a web page without a date is cited with ("no date"), rather than a guessed one.
NO_DATE = "n.d."
_SOURCE_KEYS = frozenset({"id", "title", "kind", *CITATION_KEYS})
_ROW_KEYS = frozenset({"id", "label"})
_TREATMENT_KEYS = frozenset({"id", "label", "facts", "visual"})
_FACT_KEYS = frozenset({"text", "sources", "unknown", "note"})
_MEASURE_KEYS = frozenset({"value", "max", "words", "sources", "estimate", "basis"})
_CONCERN_KEYS = frozenset({"id", "label", "treatments", "note"})


# ---------------------------------------------------------------------------------------------
# The content


@dataclass(frozen=True)
class Source:
    """One document the facts come from.

    Attributes:
        id: The source's number ("000"… for the seeds, "100"… for authoritative sources).
        title: A short description that prints in the handout's source list.
        kind: What sort of document it is: one of ``SEED_KINDS`` or ``AUTHORITATIVE_KINDS``.
        publisher: Who published it ("NHS"); "" for a seed page.
        year: The year it was published, or ``NO_DATE``; "" for a seed page.
        url: Where it can be read; "" for a seed page.
        quote: The exact sentences the facts citing it rest on; "" for a seed page.
    """

    id: str
    title: str
    kind: str
    publisher: str = ""
    year: str = ""
    url: str = ""
    quote: str = ""

    @property
    def citation(self) -> str:
        """How the source is named in a source list: "NHS, n.d.: Chemical peels", or the title."""
        return citation(self.title, self.publisher, self.year)


def citation(title: str, publisher: str, year: str) -> str:
    """Return "Publisher, year: title" when there is a publisher, else the title alone."""
    if not publisher:
        return title
    return f"{publisher}, {year}: {title}" if year else f"{publisher}: {title}"


@dataclass(frozen=True)
class Row:
    """One comparison row, such as "Downtime"."""

    id: str
    label: str


@dataclass(frozen=True)
class Fact:
    """One cell's content for one treatment and row.

    Attributes:
        text: Plain sentences for patients; empty when ``unknown``.
        sources: The source ids the text (or note) comes from; ``CLINIC_SOURCE`` for the
            clinic's own words.
        unknown: True when the sources say nothing; prints as ``UNKNOWN_TEXT``.
        note: A short reference line printed under the cell (the UK price guide).
        edited: True when the clinic replaced the text.
    """

    text: str = ""
    sources: tuple[str, ...] = ()
    unknown: bool = False
    note: str = ""
    edited: bool = False

    @property
    def display_text(self) -> str:
        """The text as it prints: ``UNKNOWN_TEXT`` for an unknown."""
        return UNKNOWN_TEXT if self.unknown else self.text


@dataclass(frozen=True)
class Measure:
    """One number of the glance graphic, with the words printed beside it.

    Attributes:
        value: The typical number (invasiveness 1–5, days of downtime, sessions).
        words: What prints beside the shape ("Low", "About a week", "3–6 sessions").
        sources: The source ids the number comes from; empty for an estimate.
        estimate: True when no source gives the number and it is the content's estimate.
        basis: Why an estimate is what it is (for the clinic, not printed).
        max: For sessions, the upper end of the usual range (None when there is none).
    """

    value: int
    words: str
    sources: tuple[str, ...] = ()
    estimate: bool = False
    basis: str = ""
    max: int | None = None


@dataclass(frozen=True)
class Visual:
    """The glance graphic's numbers for one treatment."""

    invasiveness: Measure
    downtime_days: Measure
    sessions: Measure


@dataclass(frozen=True)
class TreatmentFacts:
    """Everything the comparison knows about one treatment.

    Attributes:
        id: The treatment id (``exosome_face``…).
        label: The name printed as a column heading.
        facts: Row id -> country code (or ``ALL_COUNTRIES``) -> fact. A fact that does not
            vary by country is stored under ``ALL_COUNTRIES`` alone.
        visual: The glance graphic's numbers.
        clinic_note: A note the clinic added for this treatment ("" when none).
    """

    id: str
    label: str
    facts: Mapping[str, Mapping[str, Fact]]
    visual: Visual
    clinic_note: str = ""

    def fact(self, row: str, country: str) -> Fact:
        """Return the fact for ``row`` in ``country``, falling back to the worldwide one.

        On the regulatory row the worldwide fact is never replaced by a country's: it prints
        after the country's own (clinical facts §2: "this line shows in every country").

        Raises:
            KeyError: when this treatment has no such row.
        """
        by_country = self.facts[row]
        code = country.strip().upper()
        world = by_country.get(ALL_COUNTRIES, Fact(unknown=True))
        own = by_country.get(code)
        if own is None:
            return world
        if row != REGULATORY_ROW or own.unknown or world.unknown:
            return own
        return Fact(
            text=f"{own.text} {world.text}",
            sources=tuple(dict.fromkeys((*own.sources, *world.sources))),
            note=own.note,
            edited=own.edited or world.edited,
        )


@dataclass(frozen=True)
class Concern:
    """A patient's concern and the treatments a comparison for it starts with."""

    id: str
    label: str
    treatments: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class ComparisonContent:
    """The whole comparison file, validated. Build it with ``parse_comparison``."""

    version: str
    sources: tuple[Source, ...]
    rows: tuple[Row, ...]
    treatments: tuple[TreatmentFacts, ...]
    concerns: tuple[Concern, ...]

    @property
    def treatment_ids(self) -> tuple[str, ...]:
        """The treatment ids, in file order."""
        return tuple(t.id for t in self.treatments)

    @property
    def concern_ids(self) -> tuple[str, ...]:
        """The concern ids, in file order."""
        return tuple(c.id for c in self.concerns)

    def treatment(self, treatment_id: str) -> TreatmentFacts:
        """Return one treatment's facts (KeyError if unknown)."""
        return _by_id(self.treatments, treatment_id, "treatment")

    def row(self, row_id: str) -> Row:
        """Return one row (KeyError if unknown)."""
        return _by_id(self.rows, row_id, "row")

    def source(self, source_id: str) -> Source:
        """Return one source; ``CLINIC_SOURCE`` gives the clinic's own (KeyError if unknown)."""
        if source_id == CLINIC_SOURCE:
            return Source(CLINIC_SOURCE, CLINIC_SOURCE_TITLE, CLINIC_SOURCE)
        return _by_id(self.sources, source_id, "source")

    def concern(self, concern_id: str) -> Concern:
        """Return one concern (KeyError if unknown)."""
        return _by_id(self.concerns, concern_id, "concern")


def _by_id(items: Iterable[Any], item_id: str, what: str) -> Any:
    for item in items:
        if item.id == item_id:
            return item
    raise KeyError(f"There is no comparison {what} {item_id!r}.")


# ---------------------------------------------------------------------------------------------
# Loading and validation


def parse_comparison(data: Any) -> ComparisonContent:
    """Build validated content from the decoded JSON of a comparison file.

    Raises:
        ValueError: listing every problem ``validate_content`` finds.
    """
    problems = validate_content(data)
    if problems:
        raise ValueError("The treatment comparison file has problems:\n" + "\n".join(problems))
    sources = tuple(
        Source(s["id"], s["title"], s["kind"], **{key: s.get(key, "") for key in CITATION_KEYS})
        for s in data["sources"]
    )
    rows = tuple(Row(r["id"], r["label"]) for r in data["rows"])
    treatments = tuple(
        TreatmentFacts(
            id=t["id"],
            label=t["label"],
            facts=MappingProxyType({row.id: _parse_cell(t["facts"][row.id]) for row in rows}),
            visual=Visual(**{key: _parse_measure(t["visual"][key]) for key in VISUAL_KEYS}),
        )
        for t in data["treatments"]
    )
    concerns = tuple(
        Concern(c["id"], c["label"], tuple(c["treatments"]), c.get("note", ""))
        for c in data["concerns"]
    )
    return ComparisonContent(str(data["version"]), sources, rows, treatments, concerns)


def _parse_cell(raw: Mapping[str, Any]) -> Mapping[str, Fact]:
    if "by_country" in raw:
        return MappingProxyType(
            {code: _parse_fact(fact) for code, fact in raw["by_country"].items()}
        )
    return MappingProxyType({ALL_COUNTRIES: _parse_fact(raw)})


def _parse_fact(raw: Mapping[str, Any]) -> Fact:
    return Fact(
        text=raw.get("text", ""),
        sources=tuple(raw.get("sources", ())),
        unknown=bool(raw.get("unknown", False)),
        note=raw.get("note", ""),
    )


def _parse_measure(raw: Mapping[str, Any]) -> Measure:
    return Measure(
        value=raw["value"],
        words=raw["words"],
        sources=tuple(raw.get("sources", ())),
        estimate=bool(raw.get("estimate", False)),
        basis=raw.get("basis", ""),
        max=raw.get("max"),
    )


def validate_content(data: Any) -> list[str]:
    """Return every problem with decoded comparison content; empty when it is valid.

    Checks that every source beyond the seeds gives its publisher, year, address and quote,
    that every treatment has every row (a fact or an explicit unknown), that every
    fact cites sources from the source list, that each concern names 2 to 4 known treatments,
    and that the glance graphic's numbers are in range.

    Args:
        data: The decoded JSON object of a comparison file.

    Returns:
        One plain sentence per problem, naming where it is.
    """
    if not isinstance(data, Mapping):
        return ["The comparison file must be a JSON object."]
    problems: list[str] = []
    problems += _unknown_keys(data, _TOP_KEYS, "The file")
    if not isinstance(data.get("version"), str) or not data["version"].strip():
        problems.append("The file needs a version.")
    source_ids = _validate_entries(data, "sources", _SOURCE_KEYS, ("id", "title", "kind"), problems)
    problems += _validate_citations(data.get("sources"))
    row_ids = _validate_entries(data, "rows", _ROW_KEYS, ("id", "label"), problems)
    treatments = data.get("treatments")
    treatment_ids: list[str] = []
    if not isinstance(treatments, list) or not treatments:
        problems.append("The file needs a list of treatments.")
        treatments = []
    for raw in treatments:
        if not isinstance(raw, Mapping) or not _is_text(raw.get("id")):
            problems.append("Every treatment needs an id.")
            continue
        tid = raw["id"]
        if tid in treatment_ids:
            problems.append(f"Treatment {tid} appears twice.")
        treatment_ids.append(tid)
        problems += _unknown_keys(raw, _TREATMENT_KEYS, f"Treatment {tid}")
        if not _is_text(raw.get("label")):
            problems.append(f"Treatment {tid} needs a label.")
        problems += _validate_facts(tid, raw.get("facts"), row_ids, source_ids)
        problems += _validate_visual(tid, raw.get("visual"), source_ids)
    problems += _validate_concerns(data.get("concerns"), treatment_ids)
    return problems


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _unknown_keys(raw: Mapping[str, Any], allowed: frozenset[str], where: str) -> list[str]:
    unknown = sorted(set(raw) - allowed)
    return [f"{where} has unknown keys: {', '.join(unknown)}."] if unknown else []


def _validate_entries(
    data: Mapping[str, Any],
    key: str,
    allowed: frozenset[str],
    required: tuple[str, ...],
    problems: list[str],
) -> list[str]:
    """Check a list of simple entries (sources, rows); return their ids in order."""
    entries = data.get(key)
    if not isinstance(entries, list) or not entries:
        problems.append(f"The file needs a list of {key}.")
        return []
    ids: list[str] = []
    what = key[:-1]
    for raw in entries:
        if not isinstance(raw, Mapping) or not _is_text(raw.get("id")):
            problems.append(f"Every {what} needs an id.")
            continue
        entry_id = raw["id"]
        if entry_id in ids:
            problems.append(f"The {what} {entry_id} appears twice.")
        ids.append(entry_id)
        problems += _unknown_keys(raw, allowed, f"The {what} {entry_id}")
        problems += [
            f"The {what} {entry_id} needs a {name}."
            for name in required[1:]
            if not _is_text(raw.get(name))
        ]
    if key == "sources" and CLINIC_SOURCE in ids:
        problems.append(f"The source id {CLINIC_SOURCE!r} is reserved for the clinic's own words.")
    return ids


def _validate_citations(sources: Any) -> list[str]:
    """Check each source's kind, and that an authoritative one says where and what it says."""
    problems: list[str] = []
    for raw in sources if isinstance(sources, list) else []:
        if not isinstance(raw, Mapping) or not _is_text(raw.get("id")):
            continue  # reported by _validate_entries
        where = f"The source {raw['id']}"
        kind = raw.get("kind")
        if not _is_text(kind):
            continue  # reported by _validate_entries
        if kind in SEED_KINDS:
            extra = [key for key in CITATION_KEYS if key in raw]
            if extra:
                problems.append(
                    f"{where} is a seed page: it takes only id, title and kind, "
                    f"not {', '.join(extra)}."
                )
            continue
        if kind not in AUTHORITATIVE_KINDS:
            known = ", ".join(sorted(SEED_KINDS | AUTHORITATIVE_KINDS))
            problems.append(f"{where} has an unknown kind {kind!r}; use one of {known}.")
            continue
        problems += [
            f"{where} needs a {key}: a {kind.replace('_', ' ')} is cited with it."
            for key in CITATION_KEYS
            if not _is_text(raw.get(key))
        ]
        year = raw.get("year")
        if isinstance(year, str) and _is_text(year) and not _is_year(year):
            problems.append(f"{where}: the year must be four digits or {NO_DATE!r}, not {year!r}.")
        url = raw.get("url")
        if isinstance(url, str) and _is_text(url) and not url.startswith(("https://", "http://")):
            problems.append(f"{where}: the url must start with https:// or http://.")
    return problems


def _is_year(value: str) -> bool:
    return value == NO_DATE or (len(value) == 4 and value.isascii() and value.isdigit())


def _validate_facts(
    tid: str, facts: Any, row_ids: Sequence[str], source_ids: Sequence[str]
) -> list[str]:
    if not isinstance(facts, Mapping):
        return [f"Treatment {tid} needs its facts."]
    problems: list[str] = []
    for row in row_ids:
        if row not in facts:
            problems.append(
                f'Treatment {tid} has no "{row}" row: give a fact or {{"unknown": true}}.'
            )
    for row in facts:
        if row not in row_ids:
            problems.append(f'Treatment {tid} has a fact for unknown row "{row}".')
            continue
        cell = facts[row]
        where = f"{tid} / {row}"
        if isinstance(cell, Mapping) and "by_country" in cell:
            problems += _validate_by_country(where, cell, source_ids)
        else:
            problems += _validate_fact(where, cell, source_ids)
    return problems


def _validate_by_country(
    where: str, cell: Mapping[str, Any], source_ids: Sequence[str]
) -> list[str]:
    problems: list[str] = []
    if set(cell) != {"by_country"}:
        problems.append(f"{where}: by_country cannot be mixed with other keys.")
    by_country = cell["by_country"]
    if not isinstance(by_country, Mapping) or not by_country:
        return [*problems, f"{where}: by_country must map country codes to facts."]
    for code, fact in by_country.items():
        if code != ALL_COUNTRIES and code not in COUNTRIES:
            problems.append(f"{where}: {code} is not a country code of the clinic settings.")
        problems += _validate_fact(f"{where} ({code})", fact, source_ids)
    if ALL_COUNTRIES not in by_country:
        # Without a worldwide fact a clinic in another country would get nothing at all.
        problems.append(f"{where}: by_country needs an {ALL_COUNTRIES} fact for other countries.")
    return problems


def _validate_fact(where: str, fact: Any, source_ids: Sequence[str]) -> list[str]:
    if not isinstance(fact, Mapping):
        return [f'{where}: a fact must be {{"text", "sources"}} or {{"unknown": true}}.']
    problems = _unknown_keys(fact, _FACT_KEYS, where)
    unknown = fact.get("unknown", False)
    if unknown not in (True, False):
        problems.append(f"{where}: unknown must be true or false.")
    has_text = "text" in fact
    if unknown is True and has_text:
        problems.append(f"{where}: a fact cannot have text and be unknown.")
    if unknown is not True:
        if not has_text or not _is_text(fact.get("text")):
            problems.append(f'{where}: give the text, or mark it {{"unknown": true}}.')
        if not fact.get("sources"):
            problems.append(f"{where}: the text must cite at least one source.")
    if "note" in fact:
        if not _is_text(fact["note"]):
            problems.append(f"{where}: the note is empty.")
        elif not fact.get("sources"):
            problems.append(f"{where}: the note must cite at least one source.")
    sources = fact.get("sources", [])
    if not isinstance(sources, list):
        return [*problems, f"{where}: sources must be a list of source ids."]
    for source in sources:
        if source not in source_ids:
            problems.append(f"{where}: source {source!r} is not in the source list.")
    return problems


def _validate_visual(tid: str, visual: Any, source_ids: Sequence[str]) -> list[str]:
    if not isinstance(visual, Mapping):
        return [f"Treatment {tid} needs visual values: {', '.join(VISUAL_KEYS)}."]
    problems = _unknown_keys(visual, frozenset(VISUAL_KEYS), f"Treatment {tid} visual")
    for key in VISUAL_KEYS:
        where = f"{tid} / visual {key}"
        measure = visual.get(key)
        if not isinstance(measure, Mapping):
            problems.append(f"{where} is missing.")
            continue
        problems += _unknown_keys(measure, _MEASURE_KEYS, where)
        low, high = _VISUAL_RANGES[key]
        value = measure.get("value")
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{where}: the value must be a whole number.")
        elif not low <= value <= high:
            problems.append(f"{where}: the value must be {low} to {high}, not {value}.")
        top = measure.get("max")
        if top is not None:
            if key != "sessions":
                problems.append(f"{where}: only sessions may give a max.")
            elif not isinstance(top, int) or isinstance(top, bool) or not high >= top:
                problems.append(f"{where}: max must be a whole number up to {high}.")
            elif isinstance(value, int) and top < value:
                problems.append(f"{where}: max must not be below the value.")
        if not _is_text(measure.get("words")):
            problems.append(f"{where} needs the words printed beside it.")
        estimate = measure.get("estimate", False)
        sources = measure.get("sources", [])
        if estimate is True:
            if sources:
                problems.append(f"{where}: an estimate cites no sources; give its basis instead.")
            if not _is_text(measure.get("basis")):
                problems.append(f"{where}: an estimate needs its basis.")
        elif not sources:
            problems.append(f'{where}: cite a source or mark it "estimate": true.')
        for source in sources if isinstance(sources, list) else []:
            if source not in source_ids:
                problems.append(f"{where}: source {source!r} is not in the source list.")
    return problems


def _validate_concerns(concerns: Any, treatment_ids: Sequence[str]) -> list[str]:
    if not isinstance(concerns, list):
        return ["The file needs a list of concerns."]
    problems: list[str] = []
    seen: set[str] = set()
    for raw in concerns:
        if not isinstance(raw, Mapping) or not _is_text(raw.get("id")):
            problems.append("Every concern needs an id.")
            continue
        cid = raw["id"]
        if cid in seen:
            problems.append(f"Concern {cid} appears twice.")
        seen.add(cid)
        problems += _unknown_keys(raw, _CONCERN_KEYS, f"Concern {cid}")
        if not _is_text(raw.get("label")):
            problems.append(f"Concern {cid} needs a label.")
        chosen = raw.get("treatments")
        if not isinstance(chosen, list):
            problems.append(f"Concern {cid} needs a list of treatments.")
            continue
        count = len(chosen)
        if not MIN_CONCERN_TREATMENTS <= count <= MAX_CONCERN_TREATMENTS:
            problems.append(
                f"Concern {cid} names {count} treatment{'s' if count != 1 else ''}; "
                f"it must name {MIN_CONCERN_TREATMENTS} to {MAX_CONCERN_TREATMENTS}."
            )
        if len(set(chosen)) != count:
            problems.append(f"Concern {cid} names a treatment twice.")
        for treatment in chosen:
            if treatment not in treatment_ids:
                problems.append(f"Concern {cid} names unknown treatment {treatment!r}.")
    return problems


# ---------------------------------------------------------------------------------------------
# Look-ups and clinic changes


def treatments_for_concern(content: ComparisonContent, concern: str) -> tuple[str, ...]:
    """Return the treatments a comparison for ``concern`` starts with, in display order.

    Raises:
        KeyError: when the concern is unknown.
    """
    return content.concern(concern).treatments


def fact_for(
    content: ComparisonContent,
    treatment: str,
    row: str,
    *,
    country: str,
    clinic_prices: Mapping[str, str] | None = None,
) -> Fact:
    """Return the fact one cell shows for a clinic in ``country``.

    A country-specific fact wins; otherwise the worldwide (``ALL``) one. The price row shows
    the clinic's own price when ``clinic_prices`` has one for the treatment; otherwise it is
    unknown, with the cited UK guide as a note for a UK clinic.

    Args:
        content: The comparison content (with any clinic edits applied).
        treatment: A treatment id.
        row: A row id.
        country: The clinic's country code (GB, IE, US, CA, AU, NZ, OTHER).
        clinic_prices: Treatment id -> the clinic's price as it should print.

    Raises:
        KeyError: when the treatment or row is unknown.
    """
    facts = content.treatment(treatment)
    content.row(row)
    if row == PRICE_ROW and clinic_prices:
        price = clinic_prices.get(treatment, "").strip()
        if price:
            return Fact(text=price, sources=(CLINIC_SOURCE,))
    return facts.fact(row, country)


def apply_edits(
    content: ComparisonContent,
    edits: Mapping[str, Mapping[str, str]],
    notes: Mapping[str, str],
) -> ComparisonContent:
    """Return the content with the clinic's own wording in place of some cells.

    An edited cell holds the clinic's text for every country, cites the clinic instead of
    the seeds and is marked ``edited``. A blank edit or note is ignored, so a form that saves
    every field leaves untouched cells as they were.

    Args:
        content: The content to change (not modified).
        edits: Treatment id -> row id -> replacement text.
        notes: Treatment id -> a note from the clinic, shown in its own row.

    Raises:
        ValueError: when an edit or note names an unknown treatment or row, is longer than
            ``MAX_CLINIC_TEXT``, or holds control characters.
    """
    known = set(content.treatment_ids)
    row_ids = {row.id for row in content.rows}
    for treatment in (*edits, *notes):
        if treatment not in known:
            raise ValueError(f"There is no treatment {treatment!r} to change.")
    for treatment, rows in edits.items():
        for row, text in rows.items():
            if row not in row_ids:
                raise ValueError(f"There is no row {row!r} to change for {treatment}.")
            _check_text(text, MAX_CLINIC_TEXT, f"The text for {treatment} / {row}")
    for treatment, note in notes.items():
        _check_text(note, MAX_CLINIC_TEXT, f"The note for {treatment}")
    changed: list[TreatmentFacts] = []
    for facts in content.treatments:
        new_facts = dict(facts.facts)
        for row, text in edits.get(facts.id, {}).items():
            if text.strip():
                edited = Fact(text=text.strip(), sources=(CLINIC_SOURCE,), edited=True)
                new_facts[row] = MappingProxyType({ALL_COUNTRIES: edited})
        note = notes.get(facts.id, "").strip() or facts.clinic_note
        changed.append(replace(facts, facts=MappingProxyType(new_facts), clinic_note=note))
    return replace(content, treatments=tuple(changed))


def _check_text(text: str, limit: int, what: str) -> None:
    text = text.strip()
    if len(text) > limit:
        raise ValueError(f"{what} is too long to print: at most {limit} characters.")
    # Each is typed on one line and printed in a table cell: a newline, tab or other control
    # character would print as a box or break the layout, and is almost always a paste accident.
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise ValueError(f"{what} contains invisible control characters; retype it.")


def patient_mark(verdict: str, detail: str = "") -> str:
    """Return a ``patient_marks`` value: the verdict id, then ": detail" when there is one.

    Args:
        verdict: A screening verdict id with a heading in ``MARK_HEADINGS``.
        detail: What the patient and clinician should know ("until 1 Mar 2027").

    Raises:
        ValueError: when the verdict has no mark.
    """
    if verdict not in MARK_HEADINGS:
        raise ValueError(f"A {verdict!r} verdict puts no mark on a comparison column.")
    detail = detail.strip()
    return f"{verdict}: {detail}" if detail else verdict


# ---------------------------------------------------------------------------------------------
# The view


@dataclass(frozen=True)
class PatientMark:
    """A screening result shown on one column, boxed, so it cannot be missed.

    Attributes:
        verdict: The screening verdict id (``review``, ``defer``…).
        heading: The words that start the mark ("Deferred for this patient").
        detail: The rest ("until 1 Mar 2027"), "" when none.
    """

    verdict: str
    heading: str
    detail: str = ""

    @property
    def text(self) -> str:
        """The whole mark on one line: "Deferred for this patient: until 1 Mar 2027"."""
        return f"{self.heading}: {self.detail}" if self.detail else self.heading


@dataclass(frozen=True)
class Cell:
    """One cell as shown.

    Attributes:
        text: The fact's text, ``UNKNOWN_TEXT`` for an unknown, "" for an empty note cell.
        footnotes: The numbers of the sources it cites, in ``ComparisonView.footnotes``.
        unknown: True when the sources say nothing.
        note: A reference line under the text ("" when none).
        edited: True when the clinic rewrote it.
    """

    text: str
    footnotes: tuple[int, ...] = ()
    unknown: bool = False
    note: str = ""
    edited: bool = False

    @property
    def marker(self) -> str:
        """``EDITED_MARKER`` for an edited cell, else ""."""
        return EDITED_MARKER if self.edited else ""


@dataclass(frozen=True)
class ViewRow:
    """One row of the comparison: its label and one cell per column."""

    id: str
    label: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Column:
    """One compared treatment.

    Attributes:
        treatment: The treatment id.
        label: Its printed name.
        visual: The glance graphic's numbers.
        mark: The patient's screening mark, None when there is none.
    """

    treatment: str
    label: str
    visual: Visual
    mark: PatientMark | None = None


@dataclass(frozen=True)
class Footnote:
    """A numbered source in the list under the table.

    Attributes:
        number: Its number, as the cells cite it.
        source: The source id.
        title: The source's title.
        kind: The source's kind (``Source.kind``).
        publisher: Who published it ("" for a seed page or the clinic).
        year: Its year or ``NO_DATE`` ("" for a seed page or the clinic).
    """

    number: int
    source: str
    title: str
    kind: str
    publisher: str = ""
    year: str = ""

    @property
    def citation(self) -> str:
        """The source as the list under the table names it: "NHS, n.d.: Chemical peels"."""
        return citation(self.title, self.publisher, self.year)


@dataclass(frozen=True)
class ComparisonView:
    """What a comparison shows: the Qt view and the PDF handout both draw this.

    Attributes:
        title: "Comparing treatments", plus "for <concern>" when one was chosen.
        subtitle: The compared treatments' names.
        country: The country code the facts were chosen for.
        concern: The concern id, None when the treatments were picked by hand.
        columns: The compared treatments, left to right.
        rows: The rows, top to bottom, each with one cell per column.
        footnotes: The sources cited, numbered in order of first use (row by row).
    """

    title: str
    subtitle: str
    country: str
    concern: str | None
    columns: tuple[Column, ...]
    rows: tuple[ViewRow, ...]
    footnotes: tuple[Footnote, ...]

    def row(self, row_id: str) -> ViewRow:
        """Return one row (KeyError if it is not shown)."""
        for row in self.rows:
            if row.id == row_id:
                return row
        raise KeyError(f"The comparison shows no row {row_id!r}.")

    def column_index(self, treatment: str) -> int:
        """Return the position of a treatment's column (ValueError if it is not shown)."""
        return [c.treatment for c in self.columns].index(treatment)

    @property
    def has_estimates(self) -> bool:
        """Whether any glance value is an estimate (the legend then explains them)."""
        return any(
            getattr(column.visual, key).estimate for column in self.columns for key in VISUAL_KEYS
        )


def _footnote(number: int, source: Source) -> Footnote:
    return Footnote(number, source.id, source.title, source.kind, source.publisher, source.year)


def _parse_mark(value: str) -> PatientMark:
    verdict, _, detail = value.partition(":")
    verdict = verdict.strip()
    if verdict not in MARK_HEADINGS:
        raise ValueError(
            f"A patient mark must start with one of {', '.join(MARK_HEADINGS)}, not {value!r}."
        )
    return PatientMark(verdict, MARK_HEADINGS[verdict], detail.strip())


def _join_names(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def build_view(
    content: ComparisonContent,
    *,
    treatments: Sequence[str],
    country: str,
    prices: Mapping[str, str],
    patient_marks: Mapping[str, str] | None = None,
    concern: str | None = None,
) -> ComparisonView:
    """Build what a comparison of 2 to 4 treatments shows for a clinic in ``country``.

    Args:
        content: The comparison content (with any clinic edits applied).
        treatments: The treatment ids, left to right.
        country: The clinic's country code.
        prices: Treatment id -> the clinic's price as it should print.
        patient_marks: Treatment id -> ``patient_mark(verdict, detail)`` for this patient.
            Marks for treatments not compared are left out; a proceed verdict has no mark.
        concern: The concern the treatments were chosen for, named in the title.

    Returns:
        The view: columns, rows with footnoted cells, and the numbered sources.

    Raises:
        ValueError: for fewer than 2 or more than 4 treatments, a repeated or unknown
            treatment, an unknown concern, a malformed patient mark, or a price or mark
            too long to print or holding control characters.
    """
    chosen = tuple(treatments)
    if not MIN_COLUMNS <= len(chosen) <= MAX_COLUMNS:
        raise ValueError(
            f"Compare {MIN_COLUMNS} to {MAX_COLUMNS} treatments at a time, not {len(chosen)}."
        )
    if len(set(chosen)) != len(chosen):
        raise ValueError("Each treatment can be compared only once.")
    for treatment in chosen:
        if treatment not in content.treatment_ids:
            raise ValueError(f"There is no treatment {treatment!r} to compare.")
    concern_label = ""
    if concern is not None:
        if concern not in content.concern_ids:
            raise ValueError(f"There is no concern {concern!r}.")
        concern_label = content.concern(concern).label
    for treatment, price in prices.items():
        _check_text(price, MAX_PRICE_TEXT, f"The price for {treatment}")
    for treatment, value in (patient_marks or {}).items():
        _check_text(value, MAX_CLINIC_TEXT, f"The mark for {treatment}")
    marks = {
        treatment: _parse_mark(value)
        for treatment, value in (patient_marks or {}).items()
        if value.strip() and value.strip() != "proceed"
    }
    code = country.strip().upper()

    numbers: dict[str, int] = {}

    def cite(sources: Iterable[str]) -> tuple[int, ...]:
        cited = []
        for source in sources:
            numbers.setdefault(source, len(numbers) + 1)
            cited.append(numbers[source])
        return tuple(sorted(set(cited)))

    rows: list[ViewRow] = []
    for row in content.rows:
        cells = []
        for treatment in chosen:
            fact = fact_for(content, treatment, row.id, country=code, clinic_prices=prices)
            cells.append(
                Cell(
                    text=fact.display_text,
                    footnotes=cite(fact.sources),
                    unknown=fact.unknown,
                    note=fact.note,
                    edited=fact.edited,
                )
            )
        rows.append(ViewRow(row.id, row.label, tuple(cells)))
    notes = [content.treatment(t).clinic_note for t in chosen]
    if any(notes):
        rows.append(
            ViewRow(
                CLINIC_NOTE_ROW,
                CLINIC_NOTE_LABEL,
                tuple(Cell(note, cite([CLINIC_SOURCE]) if note else ()) for note in notes),
            )
        )
    columns = tuple(
        Column(t, content.treatment(t).label, content.treatment(t).visual, marks.get(t))
        for t in chosen
    )
    footnotes = tuple(
        _footnote(number, content.source(source)) for source, number in numbers.items()
    )
    title = f"{TITLE} for {concern_label.lower()}" if concern_label else TITLE
    return ComparisonView(
        title=title,
        subtitle=_join_names([c.label for c in columns]),
        country=code,
        concern=concern,
        columns=columns,
        rows=tuple(rows),
        footnotes=footnotes,
    )
