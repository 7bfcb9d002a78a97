"""Allergies: the clinic's allergen list, a patient's allergies, what products contain, and the
check that stops a product or anaesthetic the patient is allergic to (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from exodesk.domain.dates import format_short
from exodesk.domain.patient import search_tokens
from exodesk.domain.problems import Problem, check_text

# ---- vocabularies (stable ids: stored in the data file) -------------------------------------

SEVERITIES: dict[str, str] = {
    "mild": "Mild",
    "moderate": "Moderate",
    "severe": "Severe",
    "anaphylaxis": "Anaphylaxis",
    "unknown": "Not known",
}
ALLERGEN_KINDS: dict[str, str] = {
    "local_anaesthetic": "Local anaesthetic",
    "material": "Material (gloves, dressings, metal)",
    "carrier": "Carrier or filler",
    "antiseptic": "Antiseptic",
    "animal": "Animal source",
    "plant": "Plant source",
    "food": "Food",
    "other": "Other",
}
ALLERGY_SOURCES: dict[str, str] = {
    "staff": "recorded by staff",
    "screening": "from the intake screening",
    "migration": "from the patient's alert (migration)",
}
ALLERGY_STATUSES = ("current", "amended", "entered_in_error")
# Who recorded an allergy that the upgrade to structured allergies made from an alert.
MIGRATION = "migration"

SUBSTANCE_MAX = 120
REACTION_MAX = 2000
NOTE_MAX = 2000
ALLERGEN_NAME_MAX = 80
ALSO_CALLED_MAX = 400
# A reaction is quoted in a sentence (the session's stop, the header) only this far.
REACTION_QUOTE = 80


# ---- records ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Allergen:
    """A substance on the clinic's allergen list (lidocaine, latex, hyaluronic acid…).

    ``also_called`` are other names the same substance goes by on a label or in a patient's
    words ("lignocaine", "EMLA"); the name and these are what a text is searched for. An
    allergen with ``covers_kind`` stands for every allergen of that kind ("local anaesthetics
    (any)", for a patient who does not know which one).
    """

    key: str
    name: str
    kind: str
    also_called: tuple[str, ...] = ()
    covers_kind: str = ""
    active: bool = True
    id: int | None = None

    @property
    def terms(self) -> tuple[str, ...]:
        return (self.name, *self.also_called)


@dataclass(frozen=True)
class Allergy:
    """One allergy of one patient. Amended (a new version) or entered in error, never deleted.

    ``allergen_id`` is the clinic's list entry, None for a substance typed as free text;
    ``substance`` is always the words (the entry's name when it was recorded).
    """

    patient_id: int
    substance: str
    severity: str = "unknown"
    reaction: str = ""
    allergen_id: int | None = None
    note: str = ""
    source: str = "staff"
    screening_id: int | None = None
    recorded_at: datetime | None = None
    recorded_by: str = ""  # the staff member's name; "migration" for one made from an alert
    status: str = "current"
    status_reason: str = ""  # why it was entered in error
    amend_reason: str = ""  # why this version corrects the one before
    version: int = 1
    series_id: int | None = None
    id: int | None = None


@dataclass(frozen=True)
class NoneKnown:
    """A statement that the patient has no known allergies: who said so, and when."""

    recorded_at: datetime
    recorded_by: str
    source: str = "staff"


LISTED, NONE_KNOWN, NOT_RECORDED = "listed", "none_known", "not_recorded"


@dataclass(frozen=True)
class PatientAllergies:
    """What is known of a patient's allergies: the current list, or that there are none.

    ``none_known`` is set only while it still stands (see ``none_known_stands``).
    """

    allergies: tuple[Allergy, ...] = ()
    none_known: NoneKnown | None = None

    @property
    def state(self) -> str:
        """``listed``, ``none_known`` (said explicitly) or ``not_recorded``."""
        if self.allergies:
            return LISTED
        return NONE_KNOWN if self.none_known is not None else NOT_RECORDED


def none_known_stands(declared_at: datetime | None, last_change: datetime | None) -> bool:
    """Whether "no known allergies" still holds: nothing was recorded about an allergy since.

    An allergy recorded, corrected or entered in error after the statement makes it stale
    (the list was worked on since, so the patient is asked again), even when no allergy is
    left current.
    """
    if declared_at is None:
        return False
    return last_change is None or last_change < declared_at


# ---- validation -------------------------------------------------------------------------------


def validate_allergy(allergy: Allergy, *, allergens: Mapping[int, Allergen]) -> list[Problem]:
    """Return every problem with an allergy as the form would save it, one per field.

    Args:
        allergy: The allergy.
        allergens: The clinic's list by id (a chosen entry must still be on it).

    Returns:
        Problems whose ``field`` is ``substance``, ``severity``, ``reaction`` or ``note``.
    """
    problems = check_text(
        "substance", allergy.substance, "The substance", required=True, max_len=SUBSTANCE_MAX
    )
    if not problems and allergy.allergen_id is not None and allergy.allergen_id not in allergens:
        problems.append(
            Problem("substance", "That substance is no longer on the clinic's list; choose again.")
        )
    if allergy.severity not in SEVERITIES:
        problems.append(
            Problem(
                "severity",
                f"“{allergy.severity}” is not a severity; choose one of: "
                f"{', '.join(SEVERITIES.values())}.",
            )
        )
    problems += check_text(
        "reaction", allergy.reaction, "The reaction", max_len=REACTION_MAX, multiline=True
    )
    problems += check_text("note", allergy.note, "The note", max_len=NOTE_MAX, multiline=True)
    return problems


def validate_allergen(allergen: Allergen, *, taken: Mapping[str, int]) -> list[Problem]:
    """Return every problem with an entry of the clinic's allergen list.

    Args:
        allergen: The entry as the form would save it.
        taken: Every term already on the list (folded, see ``term_key``) -> the entry's id,
            so two entries never claim the same name.
    """
    problems = check_text(
        "name", allergen.name, "The name", required=True, max_len=ALLERGEN_NAME_MAX
    )
    if not problems and not search_tokens(allergen.name):
        problems.append(Problem("name", "The name needs at least one letter or digit."))
    if allergen.kind not in ALLERGEN_KINDS:
        problems.append(Problem("kind", "Choose what kind of substance it is."))
    words = ", ".join(allergen.also_called)
    problems += check_text("also_called", words, "Other names", max_len=ALSO_CALLED_MAX)
    if not problems:
        for term in allergen.terms:
            owner = taken.get(term_key(term))
            if owner is not None and owner != allergen.id:
                field = "name" if term == allergen.name else "also_called"
                problems.append(Problem(field, f"“{term}” is already on the list."))
                break
    return problems


def split_names(text: str) -> tuple[str, ...]:
    """Other names as typed, comma separated: trimmed, empty ones and repeats left out."""
    seen: dict[str, str] = {}
    for part in text.split(","):
        name = " ".join(part.split())
        if name and term_key(name) not in seen:
            seen[term_key(name)] = name
    return tuple(seen.values())


# ---- finding substances in words --------------------------------------------------------------

# A substance named just before one of these is what the product is free of ("latex-free").
_FREE_OF_AFTER = frozenset({"free"})
_FREE_OF_BEFORE = frozenset({"no", "non", "not", "without", "zero"})


def term_key(text: str) -> str:
    """A name folded for comparison: case, accents, spaces and punctuation ignored."""
    return " ".join(search_tokens(text))


def _find(needle: Sequence[str], words: Sequence[str]) -> list[int]:
    n = len(needle)
    if not n:
        return []
    return [i for i in range(len(words) - n + 1) if list(words[i : i + n]) == list(needle)]


def _named(term: str, words: Sequence[str]) -> bool:
    """``term`` appears as whole words, and not as what something is free of."""
    needle = search_tokens(term)
    for start in _find(needle, words):
        end = start + len(needle)
        after = words[end] if end < len(words) else ""
        before = words[start - 1] if start > 0 else ""
        if after not in _FREE_OF_AFTER and before not in _FREE_OF_BEFORE:
            return True
    return False


def find_allergens(text: str, allergens: Iterable[Allergen]) -> tuple[Allergen, ...]:
    """Every allergen that ``text`` names, by its name or another name, as whole words.

    "Lidocaine 5% cream" names lidocaine; "EMLA" names lidocaine and prilocaine; "eggplant"
    names no egg and "latex-free" or "no latex" no latex. Case and accents are ignored.

    Returns:
        The allergens named, in the order of ``allergens``, each once.
    """
    words = search_tokens(text)
    if not words:
        return ()
    return tuple(a for a in allergens if any(_named(term, words) for term in a.terms))


def resolve_substance(text: str, allergens: Iterable[Allergen]) -> Allergen | None:
    """The list entry a typed substance *is* (its name or another name, folded), or None.

    "Lignocaine" is lidocaine; "lidocaine and latex" is no single entry.
    """
    key = term_key(text)
    if not key:
        return None
    return next((a for a in allergens if any(term_key(t) == key for t in a.terms)), None)


# ---- what is put on the patient ------------------------------------------------------------


@dataclass(frozen=True)
class Contents:
    """What one product or anaesthetic of a session contains, as the check sees it.

    Attributes:
        label: How the stop names it ("Lidocaine 5% cream").
        role: ``product`` (a lot used) or ``anaesthetic`` (the session's anaesthetic field).
        allergen_ids: The clinic's allergens it contains.
        ingredients: Its ingredients as on the label, where a free-text allergy is looked for.
        known: False when nobody has recorded what it contains (the check cannot vouch for it).
    """

    label: str
    role: str
    allergen_ids: frozenset[int] = frozenset()
    ingredients: str = ""
    known: bool = True


def contents_known(ingredients: str, allergen_ids: Iterable[int], allergens_recorded: bool) -> bool:
    """Whether a product's contents were recorded: ingredients typed, allergens ticked, or
    "none of the listed allergens" said."""
    return allergens_recorded or bool(ingredients.strip()) or any(True for _ in allergen_ids)


def anaesthetic_contents(
    text: str,
    catalogue: Iterable[tuple[str, frozenset[int], str, bool]],
    allergens: Iterable[Allergen],
) -> Contents | None:
    """What the anaesthetic typed on a session contains.

    Two ways, and both count: the catalogue's anaesthetic product of that name (case and
    spacing ignored) with its recorded allergens and ingredients, and every allergen the words
    themselves name ("lidocaine 5% cream", "EMLA"). Known when either says something.

    Args:
        text: The session's anaesthetic, as typed or chosen.
        catalogue: (name, allergen ids, ingredients, contents known) of each anaesthetic
            product in the catalogue.
        allergens: The clinic's allergen list.

    Returns:
        None when no anaesthetic was recorded.
    """
    if not text.strip():
        return None
    key = term_key(text)
    ids: set[int] = {a.id for a in find_allergens(text, allergens) if a.id is not None}
    named = bool(ids)
    ingredients: list[str] = []
    known = named
    for name, product_ids, product_ingredients, product_known in catalogue:
        if term_key(name) == key:
            ids |= set(product_ids)
            ingredients.append(product_ingredients)
            known = known or product_known
    return Contents(
        label=" ".join(text.split()),
        role="anaesthetic",
        allergen_ids=frozenset(ids),
        ingredients="; ".join(i for i in ingredients if i.strip()),
        known=known,
    )


# ---- the check ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AllergyConflict:
    """A product or anaesthetic that contains something the patient is allergic to."""

    allergy: Allergy
    contents: Contents
    allergen: str  # what it contains, in words ("lidocaine")

    @property
    def text(self) -> str:
        """One sentence: what contains what, and what the patient's allergy is."""
        what = "The anaesthetic " if self.contents.role == "anaesthetic" else ""
        return (
            f"{what}{self.contents.label} contains {self.allergen}: the patient is allergic to "
            f"{self.allergy.substance} ({allergy_detail(self.allergy)})."
        )


@dataclass(frozen=True)
class AllergyCheck:
    """The allergy part of "Before saving".

    Attributes:
        state: The patient's allergy record: ``listed``, ``none_known`` or ``not_recorded``.
        conflicts: What the patient must not have without a practitioner's reasoned override.
        unknown: Labels of products or anaesthetics whose contents nobody has recorded (said
            only when the patient has allergies: ExoDesk cannot vouch for them).
        unlisted: Allergies typed as free text that name nothing on the clinic's list: found
            only where a label's ingredients name them.
    """

    state: str
    conflicts: tuple[AllergyConflict, ...] = ()
    unknown: tuple[str, ...] = ()
    unlisted: tuple[str, ...] = ()

    @property
    def blocks(self) -> bool:
        return bool(self.conflicts)

    @property
    def sentences(self) -> tuple[str, ...]:
        return tuple(c.text for c in self.conflicts)


def _allergy_ids(
    allergy: Allergy, by_id: Mapping[int, Allergen], listed: Sequence[Allergen]
) -> set[int]:
    ids = {allergy.allergen_id} if allergy.allergen_id in by_id else set()
    # A free-text allergy that names entries of the list ("lidocaine 2% gel") counts as them.
    ids |= {a.id for a in find_allergens(allergy.substance, listed) if a.id is not None}
    return {i for i in ids if i is not None}


def _matches(mine: Allergen, theirs: Allergen) -> bool:
    """The patient's allergen and a product's allergen are the same, or one is a group (any
    local anaesthetic) that holds the other."""
    if mine.id == theirs.id:
        return True
    if mine.covers_kind and theirs.kind == mine.covers_kind:
        return True
    return bool(theirs.covers_kind) and mine.kind == theirs.covers_kind


def check_allergies(
    patient: PatientAllergies, contents: Sequence[Contents], allergens: Sequence[Allergen]
) -> AllergyCheck:
    """Match a patient's allergies against what a session puts on them.

    The rule (the same for the form and the service, which refuses to save around it):

    1. An allergy to an entry of the clinic's list stops every product or anaesthetic that
       lists that entry among its allergens. An entry that stands for a kind ("local
       anaesthetics (any)") stops every allergen of that kind, and the other way round.
    2. The anaesthetic field counts as containing what its catalogue product lists and what
       its words name (``anaesthetic_contents``).
    3. An allergy typed as free text counts as every entry its words name; if it names none,
       it stops a product whose name or ingredients contain its words.

    Returns:
        The conflicts in the order of ``contents`` then of the allergies, one per pair.
    """
    by_id = {a.id: a for a in allergens if a.id is not None}
    conflicts: list[AllergyConflict] = []
    unlisted: list[str] = []
    for allergy in patient.allergies:
        if not _allergy_ids(allergy, by_id, allergens):
            unlisted.append(allergy.substance)
    for item in contents:
        theirs = [by_id[i] for i in sorted(item.allergen_ids) if i in by_id]
        for allergy in patient.allergies:
            mine = [by_id[i] for i in sorted(_allergy_ids(allergy, by_id, allergens))]
            found = next(
                (t.name.lower() for t in theirs for m in mine if _matches(m, t)),
                None,
            )
            if found is None and not mine:
                words = search_tokens(f"{item.label} {item.ingredients}")
                if _named(allergy.substance, words):
                    found = allergy.substance
            if found is not None:
                conflicts.append(AllergyConflict(allergy, item, found))
    unknown: tuple[str, ...] = ()
    if patient.allergies:
        unknown = tuple(dict.fromkeys(c.label for c in contents if not c.known))
    return AllergyCheck(
        state=patient.state,
        conflicts=tuple(conflicts),
        unknown=unknown,
        unlisted=tuple(unlisted) if contents else (),
    )


# ---- words -----------------------------------------------------------------------------------


def _quote(text: str, most: int = REACTION_QUOTE) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= most else flat[: most - 1].rstrip() + "…"


def allergy_detail(allergy: Allergy) -> str:
    """Severity and reaction in a few words: ``anaphylaxis; throat swelling``."""
    severity = SEVERITIES.get(allergy.severity, allergy.severity)
    severity = "severity not known" if allergy.severity == "unknown" else severity.lower()
    reaction = _quote(allergy.reaction)
    return f"{severity}; {reaction}" if reaction else severity


def allergy_words(allergy: Allergy) -> str:
    """One allergy as the header and printouts name it: ``Lidocaine (anaphylaxis)``."""
    return f"{allergy.substance} ({allergy_detail(allergy)})"


def allergy_list_words(patient: PatientAllergies, *, short: bool = False) -> str:
    """The patient's allergies in one line, or what is known instead.

    ``short`` names each with its severity only (the header: the reactions are in its tip).
    """
    if patient.state == LISTED:
        if short:
            return " · ".join(
                f"{a.substance} ({allergy_detail(replace(a, reaction=''))})"
                for a in patient.allergies
            )
        return "; ".join(allergy_words(a) for a in patient.allergies)
    if patient.state == NONE_KNOWN and patient.none_known is not None:
        declared = patient.none_known
        return (
            f"No known allergies (recorded {format_short(declared.recorded_at.date())} "
            f"by {declared.recorded_by})"
        )
    return "Allergies not recorded"


def recorded_words(allergy: Allergy) -> str:
    """Who recorded it, when, and how: ``Priya Shah, 3 Dec 2026, from the intake screening``."""
    when = format_short(allergy.recorded_at.date()) if allergy.recorded_at else "date not known"
    how = ALLERGY_SOURCES.get(allergy.source, allergy.source)
    return f"{allergy.recorded_by or 'not known'}, {when}, {how}"


def allergy_override_line(conflicts: Sequence[str], reason: str) -> str:
    """What a session printout says when it went ahead despite an allergy (empty if not)."""
    if not conflicts and not reason.strip():
        return ""
    said = " ".join(conflicts) or "An allergy was flagged."
    return f"{said} Went ahead because: {reason.strip()}"


# ---- free-text alerts from before allergies were structured ---------------------------------

_ALLERGY_WORDS = re.compile(r"allerg|anaphyla|intoleran|sensitiv", re.IGNORECASE)
# An alert that says a patient is *not* allergic stays an alert for a person to read.
_NEGATIONS = frozenset({"no", "not", "non", "never", "negative", "nka", "nkda", "none"})


@dataclass(frozen=True)
class AlertSplit:
    """An old free-text alert, split into the allergies it names and the text kept as alert.

    ``found`` holds (the part of the alert, the allergens it names) for each allergy part.
    """

    found: tuple[tuple[str, tuple[Allergen, ...]], ...]
    kept: str


def split_alert(text: str, allergens: Sequence[Allergen]) -> AlertSplit:
    """Find the allergies an old alert names, line by line (and between semicolons).

    A part becomes allergies when it speaks of an allergy ("allergy", "allergic",
    "anaphylaxis", "intolerance", "sensitive") and names entries of the list, and does not
    say no ("No allergy to latex"). Everything else is kept, as typed, as the alert.
    """
    found: list[tuple[str, tuple[Allergen, ...]]] = []
    kept_lines: list[str] = []
    for line in text.splitlines():
        kept_parts: list[str] = []
        for part in line.split(";"):
            words = set(search_tokens(part))
            named = find_allergens(part, allergens) if _ALLERGY_WORDS.search(part) else ()
            if named and not words & _NEGATIONS:
                found.append((part.strip(), named))
            elif part.strip():
                kept_parts.append(part.strip())
        if kept_parts:
            kept_lines.append("; ".join(kept_parts))
    return AlertSplit(found=tuple(found), kept="\n".join(kept_lines) if found else text)
