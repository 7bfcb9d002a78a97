"""Intake screening: turns questionnaire answers into a verdict for each treatment, with reasons.

The rules are data (``resources/screening/rules.json``, read by ``services.bundled``); this module
parses that table and applies it. It is pure: it never reads a file, the clock (``today`` is
passed in), the database or Qt.

Public API (kept stable: the intake UI, services and reports use it)::

    evaluate(answers, *, today, date_of_birth=None, rules) -> ScreeningResult
    check_answers(answers, *, today, date_of_birth=None, rules) -> list[Problem]
    unanswered(table, answers) -> tuple[Item, ...]   # what the questionnaire still needs
    no_to_the_rest(table, answers) -> dict           # explicit no / never / none for the rest
    parse_rule_table(data) -> RuleTable              # from the decoded JSON of rules.json
    RuleTable.tightened(overrides) -> RuleTable      # a clinic's stricter variant
    RuleTable.item(id) / .items_in_section(id) / .treatment_label(id) / .verdict_label(id)
    RuleTable.section_label(id) / .severity(outcome) / .treatment_ids / .rule(id)
    RuleTable.asks(item, answers) / .effective_answers(answers)   # which answers count
    ScreeningResult.verdict_for(t) / .allows(t) / .for_treatment(t) / .to_dict()
    ScreeningInputError(ValueError)                  # .item, .label
    VERDICT_ORDER, ITEM_TYPES, CONDITION_KINDS, NEVER

``answers`` maps item ids to plain Python values: ``bool`` for yes/no items, an enum string, a
``datetime.date`` (never a ``datetime``) or ``NEVER`` for date items, a set/list/tuple of enum
strings (empty: none of them), or ``str`` for free text. To ``evaluate`` a missing item or
``None`` means "no" or "never" (a stable contract for programmatic callers). The questionnaire
is stricter: there a missing item is "not answered" (``unanswered``), so it stores ``False``,
``NEVER`` and an empty set for the explicit answers no, never and none of these.

``ScreeningResult.to_dict()`` gives, for every treatment::

    {treatment_id: {"verdict": str, "until": "YYYY-MM-DD" | None,
                    "reasons": [{"rule": str, "outcome": str, "until": "YYYY-MM-DD" | None,
                                 "text": str}]}}

Reasons are ordered most severe first, then in rule-table order. A treatment's verdict is its most
severe reason's outcome (``proceed`` when none fired). A deferral lifts on the latest date of all
its deferring rules; when any of them has no date (an infection must clear first) ``until`` is
``None`` and ``TreatmentResult.until_text`` says what must happen instead.

Date windows count calendar days or calendar months (clamped to the month's end, see
``dates.add_months``). A rule of N days fires while ``today < last date + N``: on exactly
``last date + N`` the treatment may go ahead, so a deferral's date is ``last date + N``.
"""

from __future__ import annotations

import enum
import hashlib
import json
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, NoReturn

from exodesk.domain.dates import add_days, add_months, format_long
from exodesk.domain.problems import Problem

# The engine gives these ids meaning (proceed is the default, defer carries a date, proceed and
# precautions allow a session), so the table must list exactly these, mildest first.
VERDICT_ORDER: tuple[str, ...] = ("proceed", "precautions", "review", "defer", "decline")
PROCEED, PRECAUTIONS, REVIEW, DEFER, DECLINE = VERDICT_ORDER

ITEM_TYPES: tuple[str, ...] = ("bool", "enum", "set", "date", "text")

# Each condition kind reads a fixed list of items, by type, in the order the rule names them.
CONDITION_KINDS: dict[str, tuple[str, ...]] = {
    "flag": ("bool",),  # fires when the item is true
    "equals": ("enum",),  # fires when the item equals "value"
    "any_of": ("set",),  # fires when the set holds any of "values" (all values if omitted)
    "within_days": ("date",),  # fires while today < date + "days"
    "within_months": ("date",),  # fires while date + "from_months" <= today < date + "months"
    "infection_area": ("bool", "enum"),  # fires when the flag is true; the area picks the case
}

# The case an infection_area rule gives when the flag is set but no area was answered.
UNSPECIFIED = "unspecified"

# Free text is optional; every other type of item needs an explicit answer in the questionnaire.
OPTIONAL_TYPES: frozenset[str] = frozenset({"text"})


class Never(enum.Enum):
    """The type of ``NEVER``: one member, so a type checker can tell it from a date."""

    NEVER = "never"

    def __repr__(self) -> str:
        return "NEVER"


# The explicit answer "never" to a date question. ``None`` cannot say it: in the questionnaire
# an empty date is "not answered", and the summary must not print a "Never" nobody said.
NEVER = Never.NEVER

_OVERRIDE_KEYS = frozenset({"outcome", "days", "months"})
# Windows longer than ten years are a typing slip, not a clinical setting.
_MAX_WINDOW = {"days": 3650, "months": 120, "from_months": 120}


class ScreeningInputError(ValueError):
    """An answer the engine cannot judge: unknown item, wrong type, unknown value, bad date.

    Attributes:
        item: The item id the problem is about.
        label: The item's plain label, or ``None`` for an id that is not a screening item.
    """

    def __init__(self, message: str, *, item: str, label: str | None) -> None:
        super().__init__(message)
        self.item = item
        self.label = label


# ---------------------------------------------------------------------------------------------
# The rule table


@dataclass(frozen=True)
class Choice:
    """One allowed value of an enum or set item."""

    id: str
    label: str


@dataclass(frozen=True)
class Item:
    """One questionnaire item: what it is called, how it is asked and what it may hold."""

    id: str
    type: str
    label: str
    question: str
    section: str
    choices: tuple[Choice, ...] = ()
    # The id of a yes/no item this one depends on: the UI shows it, and the engine reads it,
    # only while that item is true (where an infection is matters only if there is one).
    only_if: str | None = None

    @property
    def values(self) -> tuple[str, ...]:
        """The allowed enum or set values, in display order."""
        return tuple(c.id for c in self.choices)

    def value_label(self, value: str) -> str:
        """Return the plain label of one allowed value.

        Raises:
            KeyError: when ``value`` is not one of this item's values.
        """
        for choice in self.choices:
            if choice.id == value:
                return choice.label
        raise KeyError(f"{value!r} is not a value of {self.id}")


@dataclass(frozen=True)
class Treatment:
    """A screened treatment."""

    id: str
    label: str


@dataclass(frozen=True)
class Verdict:
    """A verdict and its label; ``severity`` is its rank, 0 for proceed."""

    id: str
    label: str
    severity: int


@dataclass(frozen=True)
class Section:
    """A questionnaire section."""

    id: str
    label: str


@dataclass(frozen=True)
class Condition:
    """When a rule fires; ``kind`` is one of CONDITION_KINDS, the rest are its parameters."""

    kind: str
    value: str | None = None
    values: tuple[str, ...] = ()
    days: int | None = None
    months: int | None = None
    from_months: int | None = None

    def placeholders(self) -> dict[str, int]:
        """The numbers a reason text may quote, e.g. ``{days}``."""
        found = {"days": self.days, "months": self.months, "from_months": self.from_months}
        return {key: value for key, value in found.items() if value is not None}


@dataclass(frozen=True)
class Effect:
    """What a fired rule does to some treatments.

    ``case`` restricts the effect to one case of an ``infection_area`` condition (the area, or
    ``unspecified``); ``None`` means every time the rule fires.
    """

    treatments: tuple[str, ...]
    outcome: str
    reason: str
    case: str | None = None
    precaution: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Rule:
    """One screening rule: the items it reads, when it fires, and its effects per treatment."""

    id: str
    title: str
    items: tuple[str, ...]
    when: Condition
    effects: tuple[Effect, ...]
    sources: tuple[str, ...]
    source_note: str | None = None
    # What must happen before an undated deferral lifts ("until the infection has cleared");
    # the table's default_until_text when the rule gives none.
    until_text: str | None = None

    @property
    def scope(self) -> tuple[str, ...]:
        """Every treatment some effect of this rule can touch, in first-seen order."""
        seen: dict[str, None] = {}
        for effect in self.effects:
            for treatment in effect.treatments:
                seen.setdefault(treatment)
        return tuple(seen)

    @property
    def window(self) -> tuple[str, int] | None:
        """``("days", n)`` or ``("months", n)`` for a dated rule, else ``None``."""
        if self.when.days is not None:
            return ("days", self.when.days)
        if self.when.months is not None:
            return ("months", self.when.months)
        return None


@dataclass(frozen=True)
class RuleTable:
    """The whole screening table: treatments, verdicts, questionnaire items and rules.

    Construct it with ``parse_rule_table``; any instance is validated on
    creation, so a table that exists can be evaluated.
    """

    version: str
    treatments: tuple[Treatment, ...]
    verdicts: tuple[Verdict, ...]
    sections: tuple[Section, ...]
    items: tuple[Item, ...]
    rules: tuple[Rule, ...]
    default_until_text: str
    # The version of the bundled table a clinic variant was tightened from, and the overrides
    # applied to it (canonical JSON, "" when none), so a saved screening can be re-judged exactly.
    base_version: str = ""
    overrides_json: str = ""
    _items: dict[str, Item] = field(init=False, repr=False, compare=False)
    _rules: dict[str, Rule] = field(init=False, repr=False, compare=False)
    _severity: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.base_version:
            object.__setattr__(self, "base_version", self.version)
        object.__setattr__(self, "_items", {item.id: item for item in self.items})
        object.__setattr__(self, "_rules", {rule.id: rule for rule in self.rules})
        object.__setattr__(self, "_severity", {v.id: v.severity for v in self.verdicts})
        _validate_table(self)

    # -- look-ups for the UI -----------------------------------------------------------------

    @property
    def treatment_ids(self) -> tuple[str, ...]:
        """The treatment ids, in display order."""
        return tuple(t.id for t in self.treatments)

    @property
    def overrides(self) -> dict[str, dict[str, Any]]:
        """The clinic overrides this table carries (empty for the bundled table)."""
        return json.loads(self.overrides_json) if self.overrides_json else {}

    def item(self, item_id: str) -> Item:
        """Return the item with this id (KeyError if there is none)."""
        return self._items[item_id]

    def rule(self, rule_id: str) -> Rule:
        """Return the rule with this id (KeyError if there is none)."""
        return self._rules[rule_id]

    def items_in_section(self, section_id: str) -> tuple[Item, ...]:
        """The items of one questionnaire section, in questionnaire order."""
        return tuple(item for item in self.items if item.section == section_id)

    def treatment_label(self, treatment_id: str) -> str:
        """The plain label of a treatment (KeyError if unknown)."""
        return _by_id(self.treatments, treatment_id).label

    def verdict_label(self, verdict_id: str) -> str:
        """The plain label of a verdict (KeyError if unknown)."""
        return _by_id(self.verdicts, verdict_id).label

    def section_label(self, section_id: str) -> str:
        """The plain label of a questionnaire section (KeyError if unknown)."""
        return _by_id(self.sections, section_id).label

    def severity(self, outcome: str) -> int:
        """The rank of a verdict: 0 for proceed up to 4 for decline (KeyError if unknown)."""
        return self._severity[outcome]

    # -- which answers count -----------------------------------------------------------------

    def asks(self, item: Item, answers: Mapping[str, Any]) -> bool:
        """Whether ``item`` is asked, given the other answers: a follow-up (``only_if``) only
        while its yes/no question is answered yes; every other item always.

        The questionnaire shows a follow-up, the engine reads it, the service stores it and the
        summary prints it by this one test.
        """
        return item.only_if is None or answers.get(item.only_if) is True

    def effective_answers(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The answers that count: ``None`` (no answer) dropped, and a follow-up dropped unless
        it is asked (an infection's area without an infection means nothing).

        Keys that are not items of this table are kept, so checking still names them.
        """
        values = {key: value for key, value in answers.items() if value is not None}
        for item in self.items:
            if item.id in values and not self.asks(item, values):
                del values[item.id]
        return values

    # -- clinic tightening -------------------------------------------------------------------

    def tightened(self, overrides: Mapping[str, Mapping[str, Any]]) -> RuleTable:
        """Return a stricter copy of this table, as a clinic may configure it.

        Args:
            overrides: rule id -> ``{"outcome": verdict}`` and/or ``{"days": n}`` /
                ``{"months": n}``. A new outcome replaces every outcome of that rule and may not
                be milder than any of them; a new window replaces the rule's window (the upper
                bound, for a rule with a lower bound too) and may not be shorter.

        Returns:
            A new table whose ``version`` is ``"<base>+clinic.<hash>"``, the hash taken over all
            overrides applied since the bundled table, so equal settings give equal versions.
            Settings that change nothing are not recorded; if none change anything, this table.

        Raises:
            ValueError: with a plain message when an override names an unknown rule or key,
                has the wrong type, or would make a rule less strict.
        """
        if not overrides:
            return self
        if not isinstance(overrides, Mapping):
            raise ValueError("Clinic rule changes must map rule ids to their new settings.")
        rules = dict(self._rules)
        merged = self.overrides
        for rule_id, change in overrides.items():
            if rule_id not in rules:
                raise ValueError(f"There is no screening rule called “{rule_id}”.")
            rule = rules[rule_id]
            if not isinstance(change, Mapping) or not change:
                raise ValueError(f"“{rule.title}”: say what to change (outcome, days or months).")
            unknown = set(change) - _OVERRIDE_KEYS
            if unknown:
                raise ValueError(
                    f"“{rule.title}”: only the outcome, days or months can be changed, "
                    f"not {', '.join(sorted(unknown))}."
                )
            rules[rule_id] = self._tighten_rule(rule, change)
            # Record only settings that change something (or were set before), so a settings
            # page that saves every default still judges by the plain bundled version.
            recorded = merged.get(rule_id, {})
            for key, value in change.items():
                if key in recorded or self._tighten_rule(rule, {key: value}) != rule:
                    merged.setdefault(rule_id, {})[key] = value
        if merged == self.overrides:
            return self
        canonical = json.dumps(merged, sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(canonical.encode()).hexdigest()[:8]
        return replace(
            self,
            rules=tuple(rules[r.id] for r in self.rules),
            version=f"{self.base_version}+clinic.{digest}",
            overrides_json=canonical,
        )

    def _tighten_rule(self, rule: Rule, change: Mapping[str, Any]) -> Rule:
        when = rule.when
        effects = rule.effects
        if "outcome" in change:
            outcome = change["outcome"]
            if not isinstance(outcome, str) or outcome not in self._severity:
                raise ValueError(
                    f"“{rule.title}”: {outcome!r} is not a verdict; "
                    f"use one of {', '.join(VERDICT_ORDER)}."
                )
            for effect in effects:
                if self.severity(outcome) < self.severity(effect.outcome):
                    treatment = self.treatment_label(effect.treatments[0])
                    raise ValueError(
                        f"“{rule.title}” can only be made stricter: it already gives "
                        f"“{self.verdict_label(effect.outcome)}” for {treatment}, and "
                        f"“{self.verdict_label(outcome)}” would loosen that."
                    )
            effects = tuple(replace(effect, outcome=outcome) for effect in effects)
        for unit in ("days", "months"):
            if unit not in change:
                continue
            new = change[unit]
            current = getattr(when, unit)
            if current is None:
                measured = f"measured in {rule.window[0]}" if rule.window else "not timed"
                raise ValueError(f"“{rule.title}” is {measured}, so its {unit} cannot be set.")
            if not isinstance(new, int) or isinstance(new, bool):
                raise ValueError(f"“{rule.title}”: the number of {unit} must be a whole number.")
            if new > _MAX_WINDOW[unit]:
                raise ValueError(
                    f"“{rule.title}”: {new} {unit} is more than ten years; check the number."
                )
            if new < current:
                raise ValueError(
                    f"“{rule.title}” can only be made stricter: its window is {current} {unit}, "
                    f"and {new} would shorten it."
                )
            when = replace(when, days=new) if unit == "days" else replace(when, months=new)
        return replace(rule, when=when, effects=effects)


def _by_id(entries: Iterable[Any], wanted: str) -> Any:
    for entry in entries:
        if entry.id == wanted:
            return entry
    raise KeyError(wanted)


def _validate_table(table: RuleTable) -> None:
    """Check that every reference in the table resolves; raise ValueError naming the fault."""

    def fail(message: str) -> NoReturn:
        raise ValueError(f"Screening rule table {table.version}: {message}")

    if tuple(v.id for v in table.verdicts) != VERDICT_ORDER:
        fail(f"verdicts must be exactly {', '.join(VERDICT_ORDER)}, mildest first.")
    if [v.severity for v in table.verdicts] != list(range(len(VERDICT_ORDER))):
        fail("verdict severities must run 0, 1, 2, … in order.")
    for name, entries in (
        ("treatment", table.treatments),
        ("section", table.sections),
        ("item", table.items),
        ("rule", table.rules),
    ):
        ids = [entry.id for entry in entries]
        if not ids:
            fail(f"there must be at least one {name}.")
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            fail(f"{name} ids appear twice: {', '.join(dupes)}.")
    treatments = set(table.treatment_ids)
    sections = {s.id for s in table.sections}
    for item in table.items:
        if item.type not in ITEM_TYPES:
            fail(f"item {item.id} has unknown type {item.type!r}.")
        if item.section not in sections:
            fail(f"item {item.id} is in unknown section {item.section!r}.")
        if not item.label.strip() or not item.question.strip():
            fail(f"item {item.id} needs a label and a question.")
        if (item.type in ("enum", "set")) != bool(item.choices):
            fail(f"item {item.id}: enum and set items, and only they, list values.")
        if len(set(item.values)) != len(item.values):
            fail(f"item {item.id} lists a value twice.")
        if item.type == "set" and "none" in item.values:
            # An empty set is the answer "none of these", stored as "none" (domain.intake).
            fail(f"item {item.id}: “none” is the answer “none of these”, not a value to tick.")
        if item.only_if is not None:
            parent = table._items.get(item.only_if)
            if parent is None or parent.type != "bool":
                fail(f"item {item.id} depends on {item.only_if!r}, which is not a yes/no item.")
    for rule in table.rules:
        where = f"rule {rule.id}"
        when = rule.when
        expected = CONDITION_KINDS.get(when.kind)
        if expected is None:
            fail(f"{where} has unknown condition kind {when.kind!r}.")
        if len(rule.items) != len(expected):
            fail(
                f"{where}: a {when.kind} condition reads {len(expected)} "
                f"{'item' if len(expected) == 1 else 'items'}."
            )
        read: list[Item] = []
        for item_id, wanted_type in zip(rule.items, expected, strict=True):
            read_item = table._items.get(item_id)
            if read_item is None:
                fail(f"{where} reads unknown item {item_id!r}.")
            if read_item.type != wanted_type:
                fail(
                    f"{where}: item {item_id} is {read_item.type}, "
                    f"a {when.kind} needs {wanted_type}."
                )
            read.append(read_item)
        _validate_condition(rule, read, fail)
        if not rule.sources:
            fail(f"{where} names no source.")
        if not rule.effects:
            fail(f"{where} has no effect.")
        cases = _cases(rule, read)
        placeholders = when.placeholders()
        for effect in rule.effects:
            if effect.case is not None and effect.case not in cases:
                fail(f"{where} has an effect for unknown case {effect.case!r}.")
            if not effect.treatments:
                fail(f"{where} has an effect on no treatment.")
            for treatment in effect.treatments:
                if treatment not in treatments:
                    fail(f"{where} names unknown treatment {treatment!r}.")
            if effect.outcome not in table._severity:
                fail(f"{where} has unknown outcome {effect.outcome!r}.")
            if effect.outcome == PROCEED:
                fail(f"{where}: a rule that fires must do more than proceed.")
            if effect.outcome == PRECAUTIONS and not effect.precaution:
                fail(f"{where}: a precautions outcome needs the precaution text.")
            if not effect.reason.strip():
                fail(f"{where} needs a reason for the patient.")
            for text in (effect.reason, effect.precaution, effect.note, rule.until_text):
                if text is None:
                    continue
                for _, field_name, _, _ in string.Formatter().parse(text):
                    if field_name is not None and field_name not in placeholders:
                        fail(f"{where}: text uses {{{field_name}}}, which this rule cannot fill.")
        for case in cases:
            touched: list[str] = []
            for effect in rule.effects:
                if effect.case is None or effect.case == case:
                    touched.extend(effect.treatments)
            if len(set(touched)) != len(touched):
                fail(f"{where} sets a treatment twice for the same case.")
            if cases != (None,) and not touched:
                fail(f"{where} does nothing when the case is {case}.")


def _validate_condition(rule: Rule, read: list[Item], fail: Callable[[str], NoReturn]) -> None:
    when = rule.when
    where = f"rule {rule.id}"
    allowed_numbers = {
        "within_days": {"days"},
        "within_months": {"months", "from_months"},
    }.get(when.kind, set())
    for name in ("days", "months", "from_months"):
        number = getattr(when, name)
        if number is None:
            continue
        if name not in allowed_numbers:
            fail(f"{where}: a {when.kind} condition takes no {name}.")
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            fail(f"{where}: {name} must be a whole number of at least 1.")
        if number > _MAX_WINDOW[name]:
            fail(f"{where}: {name} may be at most {_MAX_WINDOW[name]}.")
    if when.kind == "within_days" and when.days is None:
        fail(f"{where}: a within_days condition needs days.")
    if when.kind == "within_months":
        if when.months is None:
            fail(f"{where}: a within_months condition needs months.")
        elif when.from_months is not None and when.from_months >= when.months:
            fail(f"{where}: from_months must be below months.")
    if (when.value is not None) != (when.kind == "equals"):
        fail(f"{where}: value belongs to an equals condition, and it needs one.")
    if when.kind == "equals" and when.value not in read[0].values:
        fail(f"{where}: {when.value!r} is not a value of {read[0].id}.")
    if when.values and when.kind != "any_of":
        fail(f"{where}: values belong to an any_of condition.")
    for value in when.values:
        if value not in read[0].values:
            fail(f"{where}: {value!r} is not a value of {read[0].id}.")


def _cases(rule: Rule, read: list[Item]) -> tuple[str | None, ...]:
    """The cases a rule's effects may be keyed by (``(None,)`` for a rule without cases)."""
    if rule.when.kind == "infection_area":
        return (*read[1].values, UNSPECIFIED)
    return (None,)


# ---------------------------------------------------------------------------------------------
# Loading


def parse_rule_table(data: Mapping[str, Any]) -> RuleTable:
    """Build a validated RuleTable from the decoded JSON of a rule file.

    Args:
        data: The decoded JSON object (see ``resources/screening/rules.json``).

    Raises:
        ValueError: naming the first part of the table that is missing, mistyped or dangling.
    """
    if not isinstance(data, Mapping):
        raise ValueError("A screening rule table must be a JSON object.")
    _known_keys(data, _TABLE_KEYS, "the table")
    version = _text(data, "version", "table")
    treatments = tuple(
        Treatment(_text(t, "id", "treatment"), _text(t, "label", "treatment"))
        for t in _list(data, "treatments", "table")
    )
    verdicts = tuple(
        Verdict(_text(v, "id", "verdict"), _text(v, "label", "verdict"), severity)
        for severity, v in enumerate(_list(data, "verdicts", "table"))
    )
    sections = tuple(
        Section(_text(s, "id", "section"), _text(s, "label", "section"))
        for s in _list(data, "sections", "table")
    )
    items = tuple(_parse_item(raw) for raw in _list(data, "items", "table"))
    rules = tuple(_parse_rule(raw) for raw in _list(data, "rules", "table"))
    return RuleTable(
        version=version,
        treatments=treatments,
        verdicts=verdicts,
        sections=sections,
        items=items,
        rules=rules,
        default_until_text=_text(data, "default_until_text", "table"),
    )


def _parse_item(raw: Any) -> Item:
    item_id = _text(raw, "id", "item")
    where = f"item {item_id}"
    _known_keys(raw, _ITEM_KEYS, where)
    choices = tuple(
        Choice(_text(c, "id", f"{where} value"), _text(c, "label", f"{where} value"))
        for c in _list(raw, "values", where, required=False)
    )
    return Item(
        id=item_id,
        type=_text(raw, "type", where),
        label=_text(raw, "label", where),
        question=_text(raw, "question", where),
        section=_text(raw, "section", where),
        choices=choices,
        only_if=_text(raw, "only_if", where, required=False),
    )


def _parse_rule(raw: Any) -> Rule:
    rule_id = _text(raw, "id", "rule")
    where = f"rule {rule_id}"
    _known_keys(raw, _RULE_KEYS, where)
    when_raw = raw.get("when")
    if not isinstance(when_raw, Mapping):
        raise ValueError(f"Screening rules: {where} needs a “when” object.")
    _known_keys(when_raw, _WHEN_KEYS, f"{where} condition")
    when = Condition(
        kind=_text(when_raw, "kind", where),
        value=_text(when_raw, "value", where, required=False),
        values=tuple(_strings(when_raw, "values", where, required=False)),
        days=when_raw.get("days"),
        months=when_raw.get("months"),
        from_months=when_raw.get("from_months"),
    )
    for e in _list(raw, "effects", where):
        _known_keys(e, _EFFECT_KEYS, f"{where} effect")
    effects = tuple(
        Effect(
            treatments=tuple(_strings(e, "treatments", where)),
            outcome=_text(e, "outcome", where),
            reason=_text(e, "reason", where),
            case=_text(e, "case", where, required=False),
            precaution=_text(e, "precaution", where, required=False),
            note=_text(e, "note", where, required=False),
        )
        for e in _list(raw, "effects", where)
    )
    return Rule(
        id=rule_id,
        title=_text(raw, "title", where),
        items=tuple(_strings(raw, "items", where)),
        when=when,
        effects=effects,
        sources=tuple(_strings(raw, "sources", where)),
        source_note=_text(raw, "source_note", where, required=False),
        until_text=_text(raw, "until_text", where, required=False),
    )


# A misspelt key ("until_txt") would otherwise be dropped without a word.
_TABLE_KEYS = frozenset(
    {
        "version",
        "about",
        "treatments",
        "verdicts",
        "sections",
        "default_until_text",
        "items",
        "rules",
    }
)
_ITEM_KEYS = frozenset({"id", "type", "label", "question", "section", "values", "only_if"})
_RULE_KEYS = frozenset(
    {"id", "title", "sources", "source_note", "items", "when", "until_text", "effects"}
)
_WHEN_KEYS = frozenset({"kind", "value", "values", "days", "months", "from_months"})
_EFFECT_KEYS = frozenset({"case", "treatments", "outcome", "reason", "precaution", "note"})


def _known_keys(obj: Any, allowed: frozenset[str], where: str) -> None:
    if not isinstance(obj, Mapping):
        raise ValueError(f"Screening rules: {where} must be a JSON object.")
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise ValueError(f"Screening rules: {where} has unknown keys: {', '.join(unknown)}.")


def _text(obj: Any, key: str, where: str, *, required: bool = True) -> Any:
    if not isinstance(obj, Mapping):
        raise ValueError(f"Screening rules: each {where} must be a JSON object.")
    value = obj.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"Screening rules: {where} needs a text “{key}”.")
    return value


def _list(obj: Any, key: str, where: str, *, required: bool = True) -> list[Any]:
    value = obj.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise ValueError(f"Screening rules: {where} needs a list “{key}”.")
    return value


def _strings(obj: Any, key: str, where: str, *, required: bool = True) -> list[str]:
    values = _list(obj, key, where, required=required)
    if not all(isinstance(v, str) and v for v in values):
        raise ValueError(f"Screening rules: {where}: “{key}” must list texts.")
    return values


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Reason:
    """One fired rule as it affects one treatment.

    ``until`` is set only for a dated deferral; ``until_text`` only for an undated one.
    ``precaution`` and ``note`` are for the practitioner, ``text`` is for the patient.
    """

    rule: str
    title: str
    outcome: str
    text: str
    until: date | None = None
    until_text: str | None = None
    precaution: str | None = None
    note: str | None = None
    sources: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The stored form: ``{"rule", "outcome", "until", "text"}``."""
        return {
            "rule": self.rule,
            "outcome": self.outcome,
            "until": _iso(self.until),
            "text": self.text,
        }


@dataclass(frozen=True)
class TreatmentResult:
    """The verdict for one treatment, with every reason behind it, most severe first."""

    treatment: str
    verdict: str
    reasons: tuple[Reason, ...] = ()
    until: date | None = None
    # For an undated deferral: what must happen first, e.g. "until the infection has cleared".
    until_text: str | None = None

    @property
    def allows(self) -> bool:
        """True when a session may be recorded without a sign-off (proceed or precautions)."""
        return self.verdict in (PROCEED, PRECAUTIONS)

    @property
    def precautions(self) -> tuple[str, ...]:
        """The practitioner's precautions from reasons whose outcome is precautions."""
        return tuple(
            r.precaution for r in self.reasons if r.outcome == PRECAUTIONS and r.precaution
        )

    def until_long(self) -> str | None:
        """When the deferral lifts, for people: ``"Tue 2 Dec 2026"`` or the condition text."""
        if self.until is not None:
            return format_long(self.until)
        return self.until_text

    def to_dict(self) -> dict[str, Any]:
        """The stored form: ``{"verdict", "until", "reasons"}``."""
        return {
            "verdict": self.verdict,
            "until": _iso(self.until),
            "reasons": [reason.to_dict() for reason in self.reasons],
        }


@dataclass(frozen=True)
class ScreeningResult:
    """Verdicts for every treatment of the table, judged on ``today`` by table ``version``."""

    today: date
    version: str
    treatments: tuple[TreatmentResult, ...]

    def for_treatment(self, treatment: str) -> TreatmentResult:
        """The full result for one treatment (KeyError if the table has no such treatment)."""
        for result in self.treatments:
            if result.treatment == treatment:
                return result
        raise KeyError(f"{treatment!r} is not a screened treatment")

    def verdict_for(self, treatment: str) -> str:
        """The verdict id for one treatment."""
        return self.for_treatment(treatment).verdict

    def allows(self, treatment: str) -> bool:
        """True when the treatment may go ahead (proceed or precautions)."""
        return self.for_treatment(treatment).allows

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """The stored form, keyed by treatment id (see the module docstring)."""
        return {result.treatment: result.to_dict() for result in self.treatments}


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


# ---------------------------------------------------------------------------------------------
# Checking answers


def check_answers(
    answers: Mapping[str, Any],
    *,
    today: date,
    date_of_birth: date | None = None,
    rules: RuleTable,
) -> list[Problem]:
    """Return every problem with a set of answers, one per item, for a form to show inline.

    Args:
        answers: item id -> value, as for ``evaluate``.
        today: The day of the screening; no answered date may be after it.
        date_of_birth: When given, no answered date may be before it.
        rules: The table to check against (the clinic's, from ``ScreeningService.rules``).

    Returns:
        Problems whose ``field`` is the item id (empty when ``evaluate`` would accept them).
    """
    table = rules
    _check_day(today, "today")
    if date_of_birth is not None:
        _check_day(date_of_birth, "date_of_birth")
    return [
        Problem(item_id, message)
        for item_id, _, message in _problems(answers, today, date_of_birth, table)
    ]


def _check_day(day: Any, name: str) -> None:
    # Programming errors, not answers: the caller passes these, the patient does not type them.
    if type(day) is not date:
        raise TypeError(f"{name} must be a datetime.date, not {type(day).__name__}")


def _problems(
    answers: Mapping[str, Any], today: date, date_of_birth: date | None, table: RuleTable
) -> list[tuple[str, str | None, str]]:
    """(item id, label or None, plain message) for each bad answer, in questionnaire order."""
    if not isinstance(answers, Mapping):
        raise TypeError(f"answers must be a mapping, not {type(answers).__name__}")
    found: list[tuple[str, str | None, str]] = []
    if date_of_birth is not None and date_of_birth > today:
        found.append(
            ("date_of_birth", "Date of birth", f"{format_long(date_of_birth)} is after today.")
        )
    unknown = [key for key in answers if not isinstance(key, str) or key not in table._items]
    for key in sorted(unknown, key=repr):
        found.append((str(key), None, "This is not a question of the screening."))
    for item in table.items:
        value = answers.get(item.id)
        if value is None:
            continue
        message = _value_problem(item, value, today, date_of_birth)
        if message:
            found.append((item.id, item.label, message))
    return found


def _value_problem(item: Item, value: Any, today: date, date_of_birth: date | None) -> str | None:
    kind = item.type
    if kind == "bool":
        # bool only: 1, "yes" or "False" would each be a guess at what the form meant.
        if not isinstance(value, bool):
            return f"The answer must be yes or no, not {_describe(value)}."
    elif kind == "text":
        if not isinstance(value, str):
            return f"The answer must be text, not {_describe(value)}."
    elif kind == "enum":
        if not isinstance(value, str):
            return f"The answer must be one of the choices, not {_describe(value)}."
        if value not in item.values:
            return f"“{value}” is not one of the choices ({', '.join(item.values)})."
    elif kind == "set":
        # A plain string is iterable but is one answer, not a set of them.
        if not isinstance(value, set | frozenset | list | tuple):
            return f"The answer must be a list of choices, not {_describe(value)}."
        for element in value:
            if not isinstance(element, str) or element not in item.values:
                return f"{_describe(element)} is not one of the choices ({', '.join(item.values)})."
    elif kind == "date":
        if value is NEVER:
            return None
        # datetime is a subclass of date: a time of day would shift calendar-day counting.
        if type(value) is not date:
            return f"The answer must be a calendar date, not {_describe(value)}."
        if value > today:
            return f"{format_long(value)} is after today; enter the date it happened."
        if date_of_birth is not None and value < date_of_birth:
            return (
                f"{format_long(value)} is before the date of birth "
                f"({format_long(date_of_birth)}); check the year."
            )
    return None


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "yes/no"
    if isinstance(value, datetime):
        return "a date with a time"
    if isinstance(value, date):
        return "a date"
    if isinstance(value, str):
        return f"the text “{value}”"
    if isinstance(value, int | float):
        return f"the number {value}"
    return f"a {type(value).__name__}"


# ---------------------------------------------------------------------------------------------
# Explicit answers


def unanswered(table: RuleTable, answers: Mapping[str, Any]) -> tuple[Item, ...]:
    """The questions that still need an answer before a screening may be judged and saved.

    Every item but free text needs one (yes or no; a date or ``NEVER``; a choice; at least one
    ticked or an empty set for "none of these"), and a follow-up only while it is asked
    (``RuleTable.asks``). ``None`` or a missing key is "not answered". The verdict cards, the
    screening tab and the service all ask this one function.

    Args:
        table: The rule table whose questions are asked.
        answers: item id -> value, as for ``evaluate``.

    Returns:
        The unanswered items, in questionnaire order (empty when the answers are complete).
    """
    return tuple(
        item
        for item in table.items
        if item.type not in OPTIONAL_TYPES
        and answers.get(item.id) is None
        and table.asks(item, answers)
    )


def no_to_the_rest(table: RuleTable, answers: Mapping[str, Any]) -> dict[str, Any]:
    """These answers, and an explicit no, never or none of these to every other question.

    For the demo clinic and tests, which script patients with nothing else to declare; the
    questionnaire never fills answers in. An enum item is answered only when it has a ``none``
    choice, so a follow-up such as where an infection is stays unanswered unless it is given.
    """
    filled = dict(answers)
    for item in unanswered(table, filled):
        if item.type == "bool":
            filled[item.id] = False
        elif item.type == "date":
            filled[item.id] = NEVER
        elif item.type == "set":
            filled[item.id] = frozenset()
        elif item.type == "enum" and "none" in item.values:
            filled[item.id] = "none"
    return filled


# ---------------------------------------------------------------------------------------------
# Evaluating


def evaluate(
    answers: Mapping[str, Any],
    *,
    today: date,
    date_of_birth: date | None = None,
    rules: RuleTable,
) -> ScreeningResult:
    """Judge a questionnaire against the rule table, for every treatment.

    Args:
        answers: item id -> value (``bool``, enum ``str``, ``date`` or ``NEVER``, a
            set/list/tuple of enum strings, or ``str`` for free text); missing or ``None``
            means no / never. An item that depends on another (``active_infection_area``) is
            ignored unless that is true.
        today: The day of the screening (passed in: the domain never reads the clock).
        date_of_birth: Optional; answered dates before it are refused.
        rules: The rule table (e.g. a clinic's ``tightened`` one).

    Returns:
        The verdict and reasons for every treatment of the table.

    Raises:
        ScreeningInputError: for the first bad answer (unknown item, wrong type, unknown value,
            a date after ``today`` or before ``date_of_birth``); the message names the item.
        TypeError: when ``today`` or ``date_of_birth`` is not a ``datetime.date``.
    """
    table = rules
    _check_day(today, "today")
    if date_of_birth is not None:
        _check_day(date_of_birth, "date_of_birth")
    problems = _problems(answers, today, date_of_birth, table)
    if problems:
        item_id, label, message = problems[0]
        named = f"{label} ({item_id})" if label else f"“{item_id}”"
        raise ScreeningInputError(f"{named}: {message}", item=item_id, label=label)

    # An explicit never judges as an absent date does: no window can be open.
    values = {k: v for k, v in table.effective_answers(answers).items() if v is not NEVER}
    fired: dict[str, list[Reason]] = {t: [] for t in table.treatment_ids}
    # Rules run in table order and sorting below is stable, so ties keep table order.
    for rule in table.rules:
        hit = _fire(rule, values, today)
        if hit is None:
            continue
        case, end = hit
        numbers = rule.when.placeholders()
        for effect in rule.effects:
            if effect.case is not None and effect.case != case:
                continue
            deferred = effect.outcome == DEFER
            reason = Reason(
                rule=rule.id,
                title=rule.title,
                outcome=effect.outcome,
                text=effect.reason.format(**numbers),
                until=end if deferred else None,
                until_text=(
                    _fill(rule.until_text, numbers) or table.default_until_text
                    if deferred and end is None
                    else None
                ),
                precaution=_fill(effect.precaution, numbers),
                note=_fill(effect.note, numbers),
                sources=rule.sources,
            )
            for treatment in effect.treatments:
                fired[treatment].append(reason)

    results = []
    for treatment in table.treatment_ids:
        reasons = sorted(fired[treatment], key=lambda r: -table.severity(r.outcome))
        verdict = reasons[0].outcome if reasons else PROCEED
        until: date | None = None
        until_text: str | None = None
        if verdict == DEFER:
            deferrals = [r for r in reasons if r.outcome == DEFER]
            undated = [r.until_text for r in deferrals if r.until is None]
            if undated:
                until_text = _join_conditions(undated)
            else:
                until = max(r.until for r in deferrals if r.until is not None)
        results.append(TreatmentResult(treatment, verdict, tuple(reasons), until, until_text))
    return ScreeningResult(today=today, version=table.version, treatments=tuple(results))


def _fill(text: str | None, numbers: Mapping[str, int]) -> str | None:
    return text.format(**numbers) if text is not None else None


def _join_conditions(texts: Iterable[str | None]) -> str:
    """Join undated conditions: ``until A, and until B``, each said once."""
    unique = list(dict.fromkeys(t for t in texts if t))
    return ", and ".join(unique)


def _fire(
    rule: Rule, values: Mapping[str, Any], today: date
) -> tuple[str | None, date | None] | None:
    """Whether a rule fires: ``None``, or (case, end of its window or None)."""
    when = rule.when
    first = values.get(rule.items[0])
    if first is None:
        return None
    kind = when.kind
    if kind == "flag":
        return (None, None) if first is True else None
    if kind == "equals":
        return (None, None) if first == when.value else None
    if kind == "any_of":
        wanted = set(when.values) if when.values else None
        chosen = set(first)
        hit = chosen & wanted if wanted is not None else chosen
        return (None, None) if hit else None
    if kind == "within_days":
        assert when.days is not None  # guaranteed by table validation
        end = add_days(first, when.days)
        return (None, end) if today < end else None
    if kind == "within_months":
        assert when.months is not None  # guaranteed by table validation
        start = add_months(first, when.from_months) if when.from_months else first
        end = add_months(first, when.months)
        return (None, end) if start <= today < end else None
    if kind == "infection_area":
        if first is not True:
            return None
        area = values.get(rule.items[1])
        return (area if area is not None else UNSPECIFIED, None)
    raise AssertionError(f"unhandled condition kind {kind}")  # table validation forbids it
