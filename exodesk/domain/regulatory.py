"""Regulatory notes: which facts about exosome products apply to a session in a given country.

The facts are data (``resources/sessions/regulatory.json``, from clinical-facts §2, read by
``services.bundled``); this module parses them and picks the ones that apply. Pure: no file, no
clock, no storage, no Qt.

Public API::

    regulatory_notes(*, country, products, delivery, facts) -> tuple[RegulatoryNote, ...]
    parse_regulatory_facts(data) -> tuple[RegulatoryFact, ...]   # decoded regulatory.json
    JURISDICTIONS, UNRECORDED_SOURCE

A fact applies when the clinic's country is its jurisdiction (or the jurisdiction is ``ALL``)
and at least one product of the session matches its condition: the product's kind, its source
(``UNRECORDED_SOURCE`` stands for none recorded) and the session's delivery method. Countries
without facts of their own (IE, CA, AU, NZ, OTHER) get only the worldwide ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from exodesk.domain.sessions import (
    DELIVERY_METHODS,
    PRODUCT_KINDS,
    SOURCES,
    Product,
    RegulatoryNote,
)

ALL_JURISDICTIONS = "ALL"
JURISDICTIONS: tuple[str, ...] = ("US", "GB", ALL_JURISDICTIONS)
# Stands for a product whose source was never recorded, in a fact's list of sources.
UNRECORDED_SOURCE = "unrecorded"
SOURCE_IDS = ("000", "001", "002", "003", "004")
_FACT_KEYS = frozenset({"id", "jurisdiction", "when", "text", "sources", "source_note"})
_WHEN_KEYS = frozenset({"product_kinds", "sources", "deliveries"})


@dataclass(frozen=True)
class RegulatoryFact:
    """One regulatory fact and when it applies.

    ``sources`` and ``deliveries`` are None when the fact applies whatever they are.
    """

    id: str
    jurisdiction: str
    product_kinds: frozenset[str]
    product_sources: frozenset[str] | None
    deliveries: frozenset[str] | None
    text: str
    sources: tuple[str, ...]
    source_note: str = ""

    def applies(self, country: str, products: Sequence[Product], delivery: str) -> bool:
        """Whether this fact applies to a session with these products and delivery."""
        if self.jurisdiction not in (ALL_JURISDICTIONS, country):
            return False
        if self.deliveries is not None and delivery not in self.deliveries:
            return False
        return any(self._matches(product) for product in products)

    def _matches(self, product: Product) -> bool:
        if product.kind not in self.product_kinds:
            return False
        if self.product_sources is None:
            return True
        source = product.source if product.source is not None else UNRECORDED_SOURCE
        return source in self.product_sources

    def note(self) -> RegulatoryNote:
        """The note shown to the practitioner."""
        return RegulatoryNote(id=self.id, text=self.text, sources=self.sources)


def regulatory_notes(
    *,
    country: str,
    products: Sequence[Product],
    delivery: str,
    facts: Sequence[RegulatoryFact],
) -> tuple[RegulatoryNote, ...]:
    """The regulatory notes the practitioner must confirm before recording a session.

    Args:
        country: The clinic's country code (clinic settings: GB, US, IE, CA, AU, NZ, OTHER).
        products: The catalogue products used in the session.
        delivery: The session's DELIVERY_METHODS id.
        facts: The facts to judge by (``parse_regulatory_facts``).

    Returns:
        The notes that apply, each once, in the order of the facts file (country facts before
        worldwide ones). Empty when no product is an exosome product.
    """
    code = country.strip().upper()
    return tuple(fact.note() for fact in facts if fact.applies(code, products, delivery))


def parse_regulatory_facts(
    data: Any, *, name: str = "regulatory.json"
) -> tuple[RegulatoryFact, ...]:
    """Build the regulatory facts from the decoded JSON of a facts file.

    Args:
        data: The decoded JSON object (see ``resources/sessions/regulatory.json``).
        name: The file's name, for the messages.

    Raises:
        ValueError: when a fact in it is malformed, or two share an id.
    """
    if not isinstance(data, Mapping) or not isinstance(data.get("notes"), list):
        raise ValueError(f"{name} must be a JSON object with a list of notes.")
    facts = tuple(_parse_fact(raw) for raw in data["notes"])
    ids = [fact.id for fact in facts]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{name}: note ids must be unique.")
    return facts


def _parse_fact(raw: Any) -> RegulatoryFact:
    if not isinstance(raw, Mapping):
        raise ValueError("Each regulatory note must be a JSON object.")
    where = f"Regulatory note {raw.get('id', '(no id)')}"
    unknown = set(raw) - _FACT_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown keys {', '.join(sorted(unknown))}.")
    when = raw.get("when")
    if not isinstance(when, Mapping) or set(when) - _WHEN_KEYS:
        raise ValueError(f"{where}: 'when' must hold only {', '.join(sorted(_WHEN_KEYS))}.")
    fact_id, text = raw.get("id"), raw.get("text")
    if not isinstance(fact_id, str) or not fact_id or not isinstance(text, str) or not text:
        raise ValueError(f"{where}: needs an id and a text.")
    if raw.get("jurisdiction") not in JURISDICTIONS:
        raise ValueError(f"{where}: jurisdiction must be one of {', '.join(JURISDICTIONS)}.")
    kinds = _id_set(when.get("product_kinds"), PRODUCT_KINDS, where, "product_kinds")
    if kinds is None:
        raise ValueError(f"{where}: 'when' must name the product_kinds it is about.")
    sources = raw.get("sources")
    if not isinstance(sources, list) or not sources or set(sources) - set(SOURCE_IDS):
        raise ValueError(f"{where}: sources must be seed ids ({', '.join(SOURCE_IDS)}).")
    return RegulatoryFact(
        id=fact_id,
        jurisdiction=raw["jurisdiction"],
        product_kinds=kinds,
        product_sources=_id_set(
            when.get("sources"), {**SOURCES, UNRECORDED_SOURCE: ""}, where, "sources"
        ),
        deliveries=_id_set(when.get("deliveries"), DELIVERY_METHODS, where, "deliveries"),
        text=text,
        sources=tuple(sources),
        source_note=str(raw.get("source_note", "")),
    )


def _id_set(value: Any, allowed: Mapping[str, str], where: str, name: str) -> frozenset[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        raise ValueError(f"{where}: {name} must be a non-empty list (or left out for any).")
    unknown = sorted(str(v) for v in value if v not in allowed)
    if unknown:
        raise ValueError(f"{where}: {name} has unknown ids {', '.join(unknown)}.")
    return frozenset(value)
