"""The bundled clinical content: the one place that reads ExoDesk's own content files.

``resources/`` carries the screening rule table and consent text, the aftercare sheets, the
treatment comparison, the protocol templates and the regulatory notes. ``BundledContent`` reads
each file once, decodes it, builds its table through the domain's pure parser and keeps it: the
domain never touches a file, and services (never the UI) hand the tables on. The tables are
immutable (frozen dataclasses, tuples, read-only mappings), so one copy serves every caller.

Public API::

    BundledContent(root=RESOURCES)     # .rules .consent_text .aftercare .aftercare_sources
                                       # .comparison .protocols .regulatory_facts
                                       # .regulatory_version .photo_views
                                       # .photo_consent_text; .check() for the smoke test
    shared_content() -> BundledContent  # the process's one instance (ServiceContext's default)

Reports read their fonts (rendering assets, not content) through ``reports.fonts``; the export
reads its read-me through ``storage.export``; the Help window reads ``help/``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from exodesk.paths import RESOURCES

if TYPE_CHECKING:
    # The parsers are imported when a table is first asked for: the comparison and aftercare
    # modules are not needed at start-up (tests/test_startup_imports.py).
    from exodesk.domain.aftercare import AftercareTemplate
    from exodesk.domain.comparison import ComparisonContent
    from exodesk.domain.courses import ProtocolTable
    from exodesk.domain.photos import ViewTable
    from exodesk.domain.regulatory import RegulatoryFact
    from exodesk.domain.screening import RuleTable

T = TypeVar("T")

RULES_FILE = "screening/rules.json"
CONSENT_FILE = "screening/consent.txt"
SHEETS_FILE = "aftercare/sheets.json"
COMPARISON_FILE = "comparison/treatments.json"
PROTOCOLS_FILE = "sessions/protocols.json"
REGULATORY_FILE = "sessions/regulatory.json"
PHOTO_VIEWS_FILE = "photos/views.toml"
PHOTO_CONSENT_FILE = "photos/consent.txt"
CONTENT_FILES: tuple[str, ...] = (
    RULES_FILE,
    CONSENT_FILE,
    SHEETS_FILE,
    COMPARISON_FILE,
    PROTOCOLS_FILE,
    REGULATORY_FILE,
    PHOTO_VIEWS_FILE,
    PHOTO_CONSENT_FILE,
)


TABLES = (
    "rules",
    "consent_text",
    "aftercare",
    "aftercare_sources",
    "comparison",
    "protocols",
    "regulatory_facts",
    "regulatory_version",
    "photo_views",
    "photo_consent_text",
)
"""The tables ``BundledContent`` serves, by property name."""


class BundledContent:
    """Reads each bundled content file once and keeps what the domain parsed from it.

    Args:
        root: The resources folder (another one only in tests).

    Every property raises ``OSError`` when its file cannot be read and ``ValueError`` when the
    file is not valid JSON or not a valid table (the message names the file); a failure is not
    kept, so the next ask reads the file again.
    """

    def __init__(self, root: Path = RESOURCES) -> None:
        self.root = root
        self._lock = threading.RLock()
        self._kept: dict[str, Any] = {}

    def _once(self, key: str, build: Callable[[], T]) -> T:
        with self._lock:
            if key not in self._kept:
                self._kept[key] = build()
            kept: T = self._kept[key]
            return kept

    def _text(self, name: str) -> str:
        return self._once(f"text:{name}", lambda: (self.root / name).read_text(encoding="utf-8"))

    def _data(self, name: str) -> Any:
        def decode() -> Any:
            try:
                return json.loads((self.root / name).read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{Path(name).name} is not valid JSON: {exc}") from exc

        return self._once(f"data:{name}", decode)

    # ---- the tables ----------------------------------------------------------------------
    @property
    def rules(self) -> RuleTable:
        """The bundled screening rule table (``ScreeningService.rules`` tightens it)."""
        from exodesk.domain.screening import parse_rule_table

        return self._once("rules", lambda: parse_rule_table(self._data(RULES_FILE)))

    @property
    def consent_text(self) -> str:
        """The bundled consent text (a clinic may store its own)."""
        return self._text(CONSENT_FILE)

    @property
    def aftercare(self) -> Mapping[str, AftercareTemplate]:
        """The bundled aftercare templates by treatment id (read-only)."""
        from exodesk.domain.aftercare import parse_sheets

        return self._once(
            "aftercare",
            lambda: MappingProxyType(parse_sheets(self._data(SHEETS_FILE))),
        )

    @property
    def aftercare_sources(self) -> Mapping[str, Mapping[str, tuple[str, ...]]]:
        """Treatment -> section id (and "timeline") -> seed ids, as the sheets file cites."""

        def build() -> Mapping[str, Mapping[str, tuple[str, ...]]]:
            self.aftercare  # noqa: B018 - the file is valid before its citations are read
            found: dict[str, Mapping[str, tuple[str, ...]]] = {}
            for raw in self._data(SHEETS_FILE).get("templates", []):
                cited = {s["id"]: tuple(s.get("sources", ())) for s in raw.get("sections", [])}
                cited["timeline"] = tuple(raw.get("timeline", {}).get("sources", ()))
                found[raw["treatment"]] = MappingProxyType(cited)
            return MappingProxyType(found)

        return self._once("aftercare_sources", build)

    @property
    def comparison(self) -> ComparisonContent:
        """The bundled treatment comparison (``ComparisonService.content`` adds clinic texts)."""
        from exodesk.domain.comparison import parse_comparison

        return self._once("comparison", lambda: parse_comparison(self._data(COMPARISON_FILE)))

    @property
    def protocols(self) -> ProtocolTable:
        """The bundled protocol templates and their details."""
        from exodesk.domain.courses import parse_protocols

        return self._once("protocols", lambda: parse_protocols(self._data(PROTOCOLS_FILE)))

    @property
    def regulatory_facts(self) -> tuple[RegulatoryFact, ...]:
        """The bundled regulatory facts, in file order."""
        from exodesk.domain.regulatory import parse_regulatory_facts

        return self._once("regulatory", lambda: parse_regulatory_facts(self._data(REGULATORY_FILE)))

    @property
    def regulatory_version(self) -> str:
        """The regulatory notes file's version ("?" when it names none)."""
        self.regulatory_facts  # noqa: B018 - a version of an invalid file means nothing
        return str(self._data(REGULATORY_FILE).get("version", "?"))

    @property
    def photo_views(self) -> ViewTable:
        """The standard photo views of each area (``resources/photos/views.toml``)."""
        from exodesk.domain.photos import parse_views

        def build() -> ViewTable:
            import tomllib

            try:
                data = tomllib.loads(self._text(PHOTO_VIEWS_FILE))
            except tomllib.TOMLDecodeError as exc:
                raise ValueError(f"views.toml is not valid TOML: {exc}") from exc
            return parse_views(data)

        return self._once("photo_views", build)

    @property
    def photo_consent_text(self) -> str:
        """The bundled photo consent text (a clinic may store its own)."""
        return self._text(PHOTO_CONSENT_FILE)

    # ---- the smoke test ------------------------------------------------------------------
    def check(self) -> int:
        """Build every content table, and read every other bundled file once (fonts, icons,
        help, export read-me: present and not empty; JSON decodes). Returns the files checked.

        Raises:
            RuntimeError: a file is empty.
            OSError, ValueError: a file is missing, cannot be read or is not valid.
        """
        for table in TABLES:
            getattr(self, table)
        count = len(CONTENT_FILES)
        for path in sorted(self.root.rglob("*")):
            name = path.relative_to(self.root).as_posix()
            if not path.is_file() or name in CONTENT_FILES:
                continue
            data = path.read_bytes()
            if path.suffix == ".json":
                json.loads(data.decode("utf-8"))
            elif not data:
                raise RuntimeError(f"empty resource {path}")
            count += 1
        return count


_shared: BundledContent | None = None
_shared_lock = threading.Lock()


def shared_content() -> BundledContent:
    """The process's one ``BundledContent`` over ``RESOURCES`` (each file read once per run)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = BundledContent()
        return _shared
