"""The readable half of a subject access export: every record about a patient, in plain words."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import CondPageBreak, Flowable, HRFlowable, Spacer, Table, TableStyle

from exodesk.domain.allergies import ALLERGY_SOURCES, SEVERITIES
from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.dates import format_short, format_stamp
from exodesk.domain.intake import decode_answer, describe_answer
from exodesk.domain.patient import SEXES
from exodesk.domain.plurals import plural
from exodesk.domain.screening import RuleTable
from exodesk.domain.sessions import (
    AE_OUTCOMES,
    AE_SEVERITIES,
    AE_TYPES,
    AREAS,
    DELIVERY_METHODS,
    INDICATIONS,
    INTENDED_USES,
    LAB_REPORTS,
    PRODUCT_KINDS,
    REACTIONS,
    SOURCES,
    TREATMENTS,
)
from exodesk.domain.subject_access import TABLES, PatientExport
from exodesk.domain.vocabulary import Vocabulary, field_label, humanise, join_words
from exodesk.reports.document import (
    INK,
    MUTED,
    RULE,
    SHADE,
    DocumentSetup,
    ReportStyles,
    TableCommand,
    content_width,
    heading,
    make_styles,
    para,
    png_image,
    render_document,
)
from exodesk.reports.fonts import SANS, missing_glyphs

TITLE = "Everything we hold about you"
NOTHING = "Nothing recorded."
SIGNATURE_MAX_HEIGHT = 60.0


# ---- the report's data -------------------------------------------------------------------
@dataclass(frozen=True)
class Item:
    """One labelled value of a record ("Date of birth" — "3 Apr 1985")."""

    label: str
    value: str


@dataclass(frozen=True)
class Card:
    """One record, printed as its title over a two-column table of labelled values.

    Attributes:
        title: What the record is ("Session on 3 Nov 2026: Exosome facial").
        items: Its labelled values, in reading order.
        image: A PNG printed under the values (a consent's drawn signature), if any.
        image_label: The label printed beside the image.
    """

    title: str
    items: tuple[Item, ...]
    image: bytes | None = field(default=None, repr=False)
    image_label: str = ""


@dataclass(frozen=True)
class ListTable:
    """Many short records as the rows of one table (the audit trail, the handouts)."""

    columns: tuple[str, ...]
    shares: tuple[float, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Section:
    """One kind of record under a plain heading.

    Attributes:
        title: The heading ("Treatment sessions").
        intro: One or two sentences on what the section holds.
        count: How many records it lists (for the contents on the first page).
        cards: The records, one card each; or
        table: the records as rows of one table.
    """

    title: str
    intro: str
    count: int
    cards: tuple[Card, ...] = ()
    table: ListTable | None = None


@dataclass(frozen=True)
class SubjectAccessReport:
    """Everything the readable copy prints; built from a ``PatientExport`` by ``build_report``.

    Attributes:
        clinic: Letterhead and paper size.
        printed_on: The date printed in the footer (reports never read the clock).
        patient_name: As recorded.
        patient_number: The clinic's number for the patient.
        date_of_birth: As printed ("3 Apr 1985"), empty when not recorded.
        generated_at: When the records were read, as printed.
        json_name: The machine-readable file given with this one.
        sections: The kinds of record, in the order they print.
    """

    clinic: ClinicSettings
    printed_on: date
    patient_name: str
    patient_number: str
    date_of_birth: str
    generated_at: str
    json_name: str
    sections: tuple[Section, ...]

    @property
    def headings(self) -> tuple[str, ...]:
        return tuple(section.title for section in self.sections)

    def intro(self) -> tuple[str, ...]:
        """The cover's paragraphs: what this document is, and what the JSON file is."""
        clinic = self.clinic.name.strip() or "the clinic"
        return (
            f"This document lists every record {clinic} holds about you in ExoDesk, its "
            f"records system, as it stood on {self.generated_at}. It was prepared because you "
            "asked for a copy of your information (a subject access request).",
            f"The file “{self.json_name}”, given to you with this document, holds the same "
            "records in machine-readable form (JSON), so that they can be checked by computer "
            "or moved to another system.",
            "Records that were corrected are shown in every version: the earlier version is "
            "kept and marked as replaced. Staff are named where they made or changed a record.",
            "If anything here is wrong or missing, please tell the clinic: you may ask for it "
            "to be corrected.",
        )


# ---- from the export to the report -------------------------------------------------------
def build_report(
    export: PatientExport,
    *,
    clinic: ClinicSettings,
    printed_on: date,
    json_name: str,
    rules: RuleTable | None = None,
    regulatory: Mapping[str, str] | None = None,
    vocabulary: Vocabulary | None = None,
) -> SubjectAccessReport:
    """Turn the exported rows into readable sections (pure: no clock, no data file).

    Args:
        export: The patient's records, as the JSON file holds them.
        clinic: Letterhead and paper size.
        printed_on: The date to print in the footer.
        json_name: The name of the JSON file given with the PDF.
        rules: The screening rule table, to print questions rather than their ids.
        regulatory: Regulatory facts by id, to print what a session's confirmations said.
        vocabulary: The names of treatments and verdicts, for ids and the audit trail's
            sentences (built from ``rules`` if not given).
    """
    [patient] = export.rows("patients") or [{}]
    vocabulary = vocabulary or Vocabulary.build(rules=rules)
    words = _Words(export, rules, regulatory or {}, vocabulary)
    sections = [
        _your_details(patient),
        _allergies(export),
        _screenings(export, words),
        _consents(export),
        _courses(export),
        _sessions(export, words),
        _lots(export),
        _events(export, words),
        _handouts(export, vocabulary),
        _audit(export, vocabulary),
    ]
    for table, rows in export.tables.items():
        if table not in TABLES and rows:
            sections.append(_other(table, rows))
    born = _day(patient.get("date_of_birth"))
    return SubjectAccessReport(
        clinic=clinic,
        printed_on=printed_on,
        patient_name=export.patient_name,
        patient_number=export.patient_number,
        date_of_birth=born if born != "—" else "",
        generated_at=format_stamp(export.generated_at),
        json_name=json_name,
        sections=tuple(sections),
    )


class _Words:
    """Ids in words: treatments, answers, and the products and sessions rows point to."""

    def __init__(
        self,
        export: PatientExport,
        rules: RuleTable | None,
        regulatory: Mapping[str, str],
        vocabulary: Vocabulary,
    ) -> None:
        self.rules = rules
        self.vocabulary = vocabulary
        self.regulatory = regulatory
        self.lots = {row.get("id"): row for row in export.rows("lots")}
        self.products = {row.get("id"): row for row in export.rows("products")}
        self.sessions = {row.get("id"): row for row in export.rows("sessions")}

    def treatment(self, treatment_id: Any) -> str:
        text = str(treatment_id or "")
        return self.vocabulary.treatment(text) if text else ""

    def verdict(self, verdict_id: Any) -> str:
        text = str(verdict_id or "")
        return self.vocabulary.verdict(text) if text else ""

    def answer(self, item_id: str, value: Any) -> Item:
        text = "" if value is None else str(value)
        if self.rules is None:
            return Item(item_id, text)
        try:
            item = self.rules.item(item_id)
            return Item(item.question, describe_answer(item, decode_answer(item, text)))
        except (KeyError, ValueError):
            # An answer to a question the bundled rules no longer ask prints as stored.
            return Item(item_id, text)

    def facts(self, fact_ids: Any) -> str:
        """Confirmed regulatory facts, each in its own words (its id if no longer known)."""
        if not isinstance(fact_ids, list):
            return _structured(fact_ids)
        return "\n".join(f"• {self.regulatory.get(str(f), str(f))}" for f in fact_ids)

    def lot(self, lot_id: Any) -> str:
        lot = self.lots.get(lot_id)
        if lot is None:
            return f"Lot no. {lot_id}"
        product = self.products.get(lot.get("product_id"), {})
        return f"{product.get('name') or 'Product'}, lot {lot.get('lot_number', '')}".strip()

    def session(self, session_id: Any) -> str:
        session = self.sessions.get(session_id)
        if session is None:
            return "—"
        return f"{_moment(session.get('performed_at'))}: {self.treatment(session.get('treatment'))}"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _day(value: Any) -> str:
    """A stored day (``2026-11-03``) as people read it; anything else as stored."""
    text = _text(value).strip()
    if not text:
        return "—"
    try:
        return format_short(date.fromisoformat(text[:10]))
    except ValueError:
        return text


def _moment(value: Any) -> str:
    """A stored moment in local time (``3 Nov 2026 14:05``); a bare day as a day."""
    text = _text(value).strip()
    if not text:
        return "—"
    if len(text) == 10:
        return _day(text)
    try:
        return format_stamp(datetime.fromisoformat(text))
    except ValueError:
        return text


def _word(vocabulary: Mapping[str, str], value: Any) -> str:
    text = _text(value).strip()
    # Nothing recorded gives nothing: the row is then left out rather than printed empty.
    return vocabulary.get(text, text)


def _words(vocabulary: Mapping[str, str], values: Any) -> str:
    if isinstance(values, str):
        values = [v for v in values.split(",") if v]
    return ", ".join(vocabulary.get(str(v), str(v)) for v in values or ()) or "None"


def _yes_no(value: Any) -> str:
    return "Yes" if value else "No"


def _by(who: Any, when: Any) -> str:
    name = _text(who).strip()
    return f"{_moment(when)}, by {name}" if name else _moment(when)


def _items(*pairs: tuple[str, Any]) -> tuple[Item, ...]:
    """Labelled values, leaving out the ones with nothing to say (None or empty text)."""
    return tuple(Item(label, _text(v)) for label, v in pairs if _text(v).strip())


def _your_details(patient: Mapping[str, Any]) -> Section:
    status = _text(patient.get("status"))
    status_words = {"active": "Active", "inactive": "Inactive", "merged": "Merged"}
    if patient.get("status_reason"):
        status_text = f"{status_words.get(status, status)}: {patient['status_reason']}"
    else:
        status_text = status_words.get(status, status)
    items = _items(
        ("Family name", patient.get("family_name")),
        ("Given names", patient.get("given_names")),
        ("Date of birth", _day(patient.get("date_of_birth"))),
        ("Sex", _word(SEXES, patient.get("sex"))),
        ("Phone", patient.get("phone")),
        ("Email", patient.get("email")),
        ("Address", patient.get("address")),
        ("Emergency contact", patient.get("emergency_contact")),
        ("GP / physician", patient.get("gp")),
        ("Alerts", patient.get("alerts")),
        ("Notes", patient.get("notes")),
        ("Record status", status_text),
        ("Record created", _by(patient.get("created_by"), patient.get("created_at"))),
        ("Last changed", _by(patient.get("updated_by"), patient.get("updated_at"))),
        ("Version", patient.get("version")),
    )
    cards = (Card("Your registration", items),) if patient else ()
    return Section(
        "Your details",
        "Your details as the clinic registered them.",
        len(cards),
        cards=cards,
    )


_ALLERGY_STATUS = {
    "current": "Current",
    "amended": "Replaced by a corrected version",
    "entered_in_error": "Entered in error (kept, but no longer on your list)",
}


def _allergies(export: PatientExport) -> Section:
    cards = []
    for row in export.rows("patient_allergies"):
        status = _word(_ALLERGY_STATUS, row.get("status"))
        if row.get("status") == "entered_in_error" and row.get("status_reason"):
            status = f"{status}: {row['status_reason']}"
        items = _items(
            ("Severity", _word(SEVERITIES, row.get("severity"))),
            ("Reaction", row.get("reaction")),
            ("Status", status),
            ("Corrects the earlier version", row.get("amend_reason")),
            ("Version", row.get("version")),
            ("Note", row.get("note")),
            ("How it was recorded", _word(ALLERGY_SOURCES, row.get("source")).capitalize()),
            ("Recorded", _by(row.get("recorded_by"), row.get("recorded_at"))),
        )
        cards.append(Card(f"Allergy: {_text(row.get('substance'))}", items))
    for row in export.rows("no_known_allergies"):
        recorded = _by(row.get("recorded_by"), row.get("recorded_at"))
        cards.append(Card("No known allergies", _items(("Recorded", recorded))))
    return Section(
        "Your allergies",
        "Your allergies as the clinic recorded them, every version, and each time it was "
        "recorded that you have none known.",
        len(cards),
        cards=tuple(cards),
    )


def _screenings(export: PatientExport, words: _Words) -> Section:
    def by_screening(table: str) -> dict[Any, list[dict[str, Any]]]:
        grouped: dict[Any, list[dict[str, Any]]] = {}
        for row in export.rows(table):
            grouped.setdefault(row.get("screening_id"), []).append(row)
        return grouped

    answers = by_screening("screening_answers")
    verdicts = by_screening("screening_verdicts")
    signoffs = by_screening("screening_signoffs")
    overrides = by_screening("screening_overrides")
    cards = []
    for row in export.rows("screenings"):
        sid = row.get("id")
        status = "Replaced by a later version" if row.get("superseded") else "Current version"
        items = list(
            _items(
                ("Taken", _by(row.get("taken_by"), row.get("taken_at"))),
                ("Version", f"{row.get('version')} ({status.lower()})"),
                ("Reason for the change", row.get("amend_reason")),
                ("Rules used", row.get("rule_table_version")),
            )
        )
        if rows := answers.get(sid):
            items.append(Item("Your answers", f"{plural(len(rows), 'question')} answered:"))
            items += [words.answer(str(a.get("item_id")), a.get("value")) for a in rows]
        else:
            items.append(Item("Your answers", "No question was answered “yes” or filled in."))
        for v in verdicts.get(sid, ()):
            until = f" until {_day(v['until'])}" if v.get("until") else ""
            items.append(
                Item(
                    f"Outcome: {words.treatment(v.get('treatment_id'))}",
                    f"{words.verdict(v.get('verdict'))}{until}",
                )
            )
        for s in signoffs.get(sid, ()):
            decision = "Cleared" if s.get("decision") == "cleared" else "Not cleared"
            note = f" — {s['note']}" if s.get("note") else ""
            items.append(
                Item(
                    f"Clinician review: {words.treatment(s.get('treatment_id'))}",
                    f"{decision}, {_by(s.get('signed_by'), s.get('signed_at'))}{note}",
                )
            )
        for o in overrides.get(sid, ()):
            items.append(
                Item(
                    f"Go-ahead despite the outcome: {words.treatment(o.get('treatment_id'))}",
                    f"Outcome “{words.verdict(o.get('verdict'))}” set aside, "
                    f"{_by(o.get('overridden_by'), o.get('overridden_at'))}: "
                    f"{_text(o.get('reason'))}",
                )
            )
        cards.append(Card(f"Screening on {_day(row.get('taken_on'))}", tuple(items)))
    return Section(
        "Screenings",
        "The health questions you answered before treatment, the outcome for each treatment, "
        "and any clinician's review of it.",
        len(cards),
        cards=tuple(cards),
    )


def _signature(value: Any) -> bytes | None:
    if isinstance(value, dict) and isinstance(value.get("base64"), str):
        try:
            return base64.b64decode(value["base64"], validate=True)
        except (binascii.Error, ValueError):
            return None
    return None


_LIST_MARK = re.compile(r"^\s*(?:[-•*–]|\d+[.)])\s")


def reflow(text: str) -> str:
    """Undo the hard line wrapping of a text file: lines join into paragraphs.

    Blank lines still separate paragraphs, and a line starting like a list item ("- ", "• ",
    "2. ") still starts a new line, so the clinic's lists survive.
    """
    paragraphs = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    out = []
    for paragraph in paragraphs:
        lines: list[str] = []
        for line in paragraph.split("\n"):
            if lines and line.strip() and not _LIST_MARK.match(line):
                lines[-1] = f"{lines[-1].rstrip()} {line.strip()}"
            else:
                lines.append(line.rstrip())
        out.append("\n".join(lines))
    return "\n\n".join(out)


def _consents(export: PatientExport) -> Section:
    texts = {row.get("id"): row for row in export.rows("consent_texts")}
    cards = []
    for row in export.rows("consents"):
        text = texts.get(row.get("consent_text_id"), {})
        form = f"Version {text['version']} (its wording is printed below)" if text else "—"
        items = _items(
            ("Signed as", row.get("signed_name")),
            ("Signed on", _day(row.get("signed_on"))),
            ("Recorded", _by(row.get("recorded_by"), row.get("recorded_at"))),
            ("Consent form", form),
        )
        cards.append(
            Card(
                f"Consent signed on {_day(row.get('signed_on'))}",
                items,
                image=_signature(row.get("signature_png")),
                image_label="Your signature",
            )
        )
    # Each form's wording once, however many times it was signed.
    for text in export.rows("consent_texts"):
        cards.append(
            Card(
                f"Wording of consent form version {_text(text.get('version'))}",
                _items(("What you agreed to", reflow(_text(text.get("text"))))),
            )
        )
    return Section(
        "Consents you signed",
        "Each consent to treatment you signed, then the exact wording of the form.",
        len(export.rows("consents")),
        cards=tuple(cards),
    )


def _courses(export: PatientExport) -> Section:
    cards = []
    for row in export.rows("courses"):
        items = _items(
            ("Treatment", _word(TREATMENTS, row.get("treatment"))),
            ("For", _word(INDICATIONS, row.get("indication"))),
            ("Sessions planned", row.get("planned_sessions")),
            (
                "Time between sessions",
                f"{row.get('interval_min_days')} to {row.get('interval_max_days')} days",
            ),
            (
                "Maintenance",
                f"every {row.get('maintenance_min_months')} to "
                f"{row.get('maintenance_max_months')} months",
            ),
            ("Started on", _day(row.get("started_on"))),
            ("Status", _text(row.get("status")).capitalize()),
            ("Recorded", _by(row.get("created_by"), row.get("created_at"))),
        )
        cards.append(Card(f"Course: {_word(TREATMENTS, row.get('treatment'))}", items))
    return Section(
        "Treatment courses",
        "Plans of several sessions started for you.",
        len(cards),
        cards=tuple(cards),
    )


_SESSION_STATUS = {
    "current": "Current",
    "amended": "Replaced by a corrected version",
    "entered_in_error": "Entered in error (kept, but not counted as a treatment)",
}


def _sentences(value: Any) -> str:
    """A list of sentences (decoded JSON, or the JSON text itself) on one line."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, list | tuple):
        return " ".join(_text(v) for v in value)
    return _text(value)


def _structured(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')}: {_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value)
    return _text(value)


def _sessions(export: PatientExport, words: _Words) -> Section:
    products: dict[Any, list[str]] = {}
    for row in export.rows("session_products"):
        volume = row.get("volume_ml")
        amount = f", {volume:g} ml" if isinstance(volume, int | float) else ""
        products.setdefault(row.get("session_id"), []).append(
            f"{words.lot(row.get('lot_id'))}{amount}"
        )
    cards = []
    for row in export.rows("sessions"):
        status = _word(_SESSION_STATUS, row.get("status"))
        reason = _text(row.get("status_reason")).strip()
        if reason and row.get("status") == "current":
            # A current version with a reason is the correction of an earlier one.
            status = f"Current; corrects the earlier version: {reason}"
        elif reason:
            status = f"{status}: {reason}"
        depth = row.get("needle_depth_mm")
        minutes = row.get("anaesthetic_minutes")
        anaesthetic = _text(row.get("anaesthetic"))
        if minutes:
            anaesthetic = f"{anaesthetic}, {minutes} minutes".lstrip(", ")
        items = _items(
            ("Status", status),
            ("Version", row.get("version")),
            ("Practitioner", row.get("practitioner")),
            ("Treatment", _word(TREATMENTS, row.get("treatment"))),
            ("Areas", _words(AREAS, row.get("areas"))),
            ("For", _word(INDICATIONS, row.get("indication"))),
            ("How it was given", _word(DELIVERY_METHODS, row.get("delivery"))),
            ("Needle depth", f"{depth:g} mm" if isinstance(depth, int | float) else ""),
            ("Numbing cream", anaesthetic),
            ("Reactions seen", _words(REACTIONS, row.get("reactions"))),
            ("Aftercare sheet given", _yes_no(row.get("aftercare_issued"))),
            ("Products used", "; ".join(products.get(row.get("id"), ())) or "None recorded"),
            ("PRP preparation", _structured(row.get("prp"))),
            ("Regulatory facts confirmed", words.facts(row.get("regulatory_confirmations"))),
            ("Why it went ahead despite screening", row.get("gate_override_reason")),
            ("Allergy it went ahead despite", _sentences(row.get("allergy_conflicts"))),
            ("Why it went ahead despite the allergy", row.get("allergy_override_reason")),
            ("Why sooner than planned", row.get("spacing_reason")),
            ("Notes", row.get("notes")),
            ("Recorded", _by(row.get("recorded_by"), row.get("recorded_at"))),
        )
        title = (
            f"Session on {_day(row.get('performed_at'))}: {_word(TREATMENTS, row.get('treatment'))}"
        )
        cards.append(Card(title, items))
    return Section(
        "Treatment sessions",
        "Each treatment you had. A corrected session is shown in every version.",
        len(cards),
        cards=tuple(cards),
    )


def _lots(export: PatientExport) -> Section:
    products = {row.get("id"): row for row in export.rows("products")}
    cards = []
    for row in export.rows("lots"):
        product = products.get(row.get("product_id"), {})
        items = _items(
            ("Product", product.get("name")),
            ("Manufacturer", product.get("manufacturer")),
            ("Kind", _word(PRODUCT_KINDS, product.get("kind"))),
            ("Source", _word(SOURCES, product.get("source"))),
            ("Use", _word(INTENDED_USES, product.get("intended_use"))),
            ("Lot number", row.get("lot_number")),
            ("Expiry", _day(row.get("expiry"))),
            ("Received", _day(row.get("received_on")) if row.get("received_on") else ""),
            ("Storage", row.get("storage")),
            ("Lab reports held", _words(LAB_REPORTS, row.get("lab_reports"))),
            ("Notes on the lot", row.get("notes")),
            ("Notes on the product", product.get("notes")),
        )
        name = product.get("name") or "Product"
        cards.append(Card(f"{name}, lot {_text(row.get('lot_number'))}", items))
    return Section(
        "Products and lots used",
        "The products used in your treatments and the lot (batch) each came from.",
        len(cards),
        cards=tuple(cards),
    )


def _events(export: PatientExport, words: _Words) -> Section:
    cards = []
    for row in export.rows("adverse_events"):
        resolved = _day(row.get("resolution_date")) if row.get("resolution_date") else ""
        items = _items(
            ("After the session of", words.session(row.get("session_id"))),
            ("What happened", _word(AE_TYPES, row.get("type"))),
            ("Began", _day(row.get("onset_date"))),
            ("Severity", _word(AE_SEVERITIES, row.get("severity"))),
            ("Description", row.get("description")),
            ("What was done", row.get("action_taken")),
            ("Outcome", _word(AE_OUTCOMES, row.get("outcome"))),
            ("Resolved on", resolved),
            ("Reported to the supplier", _yes_no(row.get("reported_to_supplier"))),
            ("Reported to the regulator", _yes_no(row.get("reported_to_regulator"))),
            ("Regulator's reference", row.get("regulator_reference")),
            ("Recorded", _by(row.get("recorded_by"), row.get("recorded_at"))),
        )
        title = f"{_word(AE_TYPES, row.get('type'))}, from {_day(row.get('onset_date'))}"
        cards.append(Card(title, items))
    return Section(
        "Reactions and complications",
        "Reactions or complications recorded after a treatment.",
        len(cards),
        cards=tuple(cards),
    )


def _how(value: Any) -> str:
    text = _text(value)
    if text.startswith("saved"):
        return "Saved as a file"
    if text.startswith("print"):
        return "Printed"
    return text.capitalize()


def _handouts(export: PatientExport, vocabulary: Vocabulary) -> Section:
    rows = []
    for row in export.rows("documents_issued"):
        rows.append(
            (
                _moment(row.get("issued_at")),
                vocabulary.document(_text(row.get("kind")), _text(row.get("template"))),
                _how(row.get("how")),
                _text(row.get("issued_by")),
            )
        )
    table = ListTable(("When", "What", "How", "By"), (0.22, 0.4, 0.18, 0.2), tuple(rows))
    return Section(
        "Handouts given to you",
        "Sheets printed or saved for you. The JSON file holds exactly what each one said.",
        len(rows),
        table=table if rows else None,
    )


_ACTIONS = {
    "create": "Created",
    "update": "Changed",
    "amend": "Corrected",
    "print": "Printed or saved",
    "export": "Exported",
    "consent": "Recorded",
    "sign_off": "Clinician review",
    "override": "Go-ahead despite screening",
    "entered_in_error": "Marked entered in error",
    "deactivate": "Marked inactive",
    "reactivate": "Made active again",
    "allergy_override": "Went ahead despite an allergy",
    "view": "Looked at",
}
_RECORDS = {
    "patients": "your details",
    "patient_allergies": "an allergy",
    "no_known_allergies": "no known allergies",
    "screenings": "a screening",
    "screening_signoffs": "a screening review",
    "screening_overrides": "a screening outcome",
    "consents": "a consent",
    "courses": "a treatment course",
    "sessions": "a treatment session",
    "adverse_events": "a reaction or complication",
    "documents_issued": "a handout",
}


# Bookkeeping that changes with every save; listing it would bury what was really changed.
_BOOKKEEPING = frozenset({"id", "version", "series_id", "supersedes", "updated_at", "updated_by"})


def _changed(before: Any, after: Any) -> list[str]:
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    keys = sorted((before.keys() | after.keys()) - _BOOKKEEPING)
    return [field_label(k) for k in keys if before.get(k) != after.get(k)]


def _audit(export: PatientExport, vocabulary: Vocabulary) -> Section:
    rows = []
    for row in export.rows("audit_log"):
        action = _text(row.get("action"))
        table_name = _text(row.get("table_name"))
        what = f"{_ACTIONS.get(action) or humanise(action).capitalize()}: "
        what += _RECORDS.get(table_name) or humanise(table_name)
        # The trail's sentence in words; a file the clinic saved is only "a file": the
        # patient's copy says nothing of the clinic PC's folders or file names.
        details = vocabulary.words(_text(row.get("summary")), file_names=False)
        # A correction (amend) is a new version beside the old one: every field "differs".
        changed = _changed(row.get("before"), row.get("after")) if action == "update" else []
        # Said once: a patient's own change already names its fields ("Changed GP and phone").
        if changed and not all(label in details for label in changed):
            details = f"{details} (changed: {join_words(changed)})".strip()
        rows.append((_moment(row.get("at")), _text(row.get("actor_name")), what, details))
    table = ListTable(("When", "Who", "What", "Details"), (0.18, 0.18, 0.24, 0.4), tuple(rows))
    return Section(
        "Who looked at or changed your record",
        "The clinic's audit trail: every time your record was created, changed, printed or "
        "exported, by whom and when. The JSON file holds the values before and after each "
        "change.",
        len(rows),
        table=table if rows else None,
    )


def _other(table: str, rows: Sequence[Mapping[str, Any]]) -> Section:
    cards = tuple(
        Card(
            f"{table.replace('_', ' ').capitalize()} no. {row.get('id', n)}",
            _items(*((k.replace("_", " ").capitalize(), _structured(v)) for k, v in row.items())),
        )
        for n, row in enumerate(rows, start=1)
    )
    return Section(
        f"Other records: {table.replace('_', ' ')}",
        "More records about you, as stored.",
        len(cards),
        cards=cards,
    )


def report_texts(report: SubjectAccessReport) -> Iterator[str]:
    """Every piece of text the report prints (for glyph checks and tests)."""
    clinic = report.clinic
    yield from (clinic.name, clinic.address, clinic.phone, clinic.out_of_hours)
    yield from (report.patient_name, report.patient_number, report.json_name)
    yield from report.intro()
    for section in report.sections:
        yield from (section.title, section.intro)
        for card in section.cards:
            yield card.title
            for item in card.items:
                yield from (item.label, item.value)
        if section.table is not None:
            yield from section.table.columns
            for row in section.table.rows:
                yield from row


def report_missing_glyphs(report: SubjectAccessReport) -> tuple[str, ...]:
    """The characters that will print as a placeholder (an emoji in a note, say)."""
    return missing_glyphs(report_texts(report))


# ---- rendering ---------------------------------------------------------------------------
def render_subject_access(report: SubjectAccessReport) -> bytes:
    """Render the readable copy to PDF bytes (the same report gives the same bytes).

    Args:
        report: What to print.

    Returns:
        A complete PDF: a cover (who, when, what the files are, the contents), then one
        section per kind of record; long notes wrap and flow across pages.
    """
    styles = make_styles()
    width = content_width(report.clinic.paper_size)
    setup = DocumentSetup(
        clinic=report.clinic,
        title=TITLE,
        printed_on=report.printed_on,
        subject=report.patient_name,
        subtitle="A copy of your records (subject access request)",
    )
    story: list[Flowable] = [_patient_band(report, styles, width), Spacer(0, styles.size)]
    story += [para(text, _spaced(styles.body)) for text in report.intro()]
    story += heading("What is in this document", styles)
    story.append(_contents(report, styles, width))
    for section in report.sections:
        story += heading(section.title, styles)
        story.append(para(section.intro, _spaced(_muted(styles))))
        if section.cards:
            for card in section.cards:
                story += _card(card, styles, width)
        elif section.table is not None:
            story.append(_list_table(section.table, styles, width))
        else:
            story.append(para(NOTHING, styles.body))
    return render_document(setup, story, styles)


def _spaced(style: ParagraphStyle) -> ParagraphStyle:
    return ParagraphStyle(f"{style.name}_spaced", parent=style, spaceAfter=style.fontSize * 0.6)


def _muted(styles: ReportStyles) -> ParagraphStyle:
    return ParagraphStyle("section_intro", parent=styles.body, textColor=MUTED)


def _wrapping(style: ParagraphStyle) -> ParagraphStyle:
    # Break a long hyphenated name at its hyphens rather than mid-letter in a narrow column.
    return ParagraphStyle(f"{style.name}_wrapping", parent=style, embeddedHyphenation=2)


# A run without spaces longer than this (a pasted web address) is cut where the line ends:
# breaking it only at its hyphens or slashes would leave a piece wider than the column.
_LONG_WORD = 30


def _cell(text: str, style: ParagraphStyle) -> Flowable:
    """A paragraph of user text that wraps inside its column whatever it holds."""
    if any(len(word) > _LONG_WORD for word in text.split()):
        return para(text, style)
    return para(text, _wrapping(style))


def _cell_commands(styles: ReportStyles) -> list[TableCommand]:
    pad = styles.size * 0.45
    return [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), SANS),
        ("LEFTPADDING", (0, 0), (-1, -1), pad),
        ("RIGHTPADDING", (0, 0), (-1, -1), pad),
        ("TOPPADDING", (0, 0), (-1, -1), pad * 0.7),
        ("BOTTOMPADDING", (0, 0), (-1, -1), pad * 0.9),
    ]


def _patient_band(report: SubjectAccessReport, styles: ReportStyles, width: float) -> Table:
    cells = [
        ("Patient", report.patient_name),
        ("Patient no.", report.patient_number),
        ("Date of birth", report.date_of_birth or "Not recorded"),
        ("Records as of", report.generated_at),
    ]
    shares = (0.38, 0.16, 0.21, 0.25)
    band = Table(
        [
            [para(label, styles.label) for label, _ in cells],
            [_cell(value, styles.body_bold) for _, value in cells],
        ],
        colWidths=[width * share for share in shares],
        hAlign="LEFT",
    )
    pad = styles.size * 0.6
    band.setStyle(
        TableStyle(
            [
                *_cell_commands(styles),
                ("BACKGROUND", (0, 0), (-1, -1), SHADE),
                ("LEFTPADDING", (0, 0), (-1, -1), pad),
                ("TOPPADDING", (0, 0), (-1, 0), pad),
                ("BOTTOMPADDING", (0, 0), (-1, 0), 0),
                ("TOPPADDING", (0, 1), (-1, 1), 1),
                ("BOTTOMPADDING", (0, 1), (-1, 1), pad * 1.2),
            ]
        )
    )
    return band


def _contents(report: SubjectAccessReport, styles: ReportStyles, width: float) -> Table:
    rows: list[list[object]] = [[para("Section", styles.label), para("Records", styles.label)]]
    for section in report.sections:
        rows.append([para(section.title, styles.body), para(str(section.count), styles.body)])
    table = Table(rows, colWidths=[width * 0.7, width * 0.3], hAlign="LEFT", repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                *_cell_commands(styles),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
            ]
        )
    )
    return table


# A table row never splits across pages (reportlab's in-row split can leave an empty sliver of
# a row on the next page); text longer than this is spread over several rows instead, so a
# 10,000-character note flows on from page to page.
CHUNK_CHARS = 900


def chunks(text: str, limit: int = CHUNK_CHARS) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` characters, in reading order.

    Pieces end at a line end where possible, else after a space, else (a run with no space
    at all) at the limit. Joined back in order, the pieces give the text again, less the
    line breaks they were split at.
    """
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            cut = cut + 1 if cut >= limit // 2 else limit
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:cut])
            line = line[cut:]
        joined = f"{current}\n{line}" if current else line
        if len(joined) <= limit:
            current = joined
        else:
            # A blank line at the split moves to the next piece, so the gap still shows.
            kept = current.rstrip("\n")
            pieces.append(kept)
            current = current[len(kept) :] + line
    if current or not pieces:
        pieces.append(current)
    return pieces


# A value longer than this prints under its label across the full width, as ordinary text
# that flows from page to page (a 10,000-character note), rather than in the table.
LONG_TEXT_CHARS = 600


def _card(card: Card, styles: ReportStyles, width: float) -> list[Flowable]:
    """A record: its title, then label and value side by side; a long value flows on."""
    title = ParagraphStyle(
        "card_title",
        parent=styles.subheading,
        spaceBefore=styles.size * 1.1,
        spaceAfter=styles.size * 0.35,
        # Not glued to the table: a long record would then move whole to the next page,
        # leaving a gap; the page break above keeps the title with a few rows instead.
        keepWithNext=0,
    )
    pad = styles.size * 0.45
    long_label = ParagraphStyle(
        "long_label",
        parent=styles.label,
        backColor=SHADE,
        # The padding around the shading reaches exactly the margins, like the tables' cells.
        # reportlab takes a number or (top, right, bottom, left) (normalizeTRBL); the stubs
        # say float only.
        borderPadding=(pad * 0.7, pad, pad * 0.7, pad),  # type: ignore[arg-type]
        leftIndent=pad,
        rightIndent=pad,
        spaceBefore=pad * 1.7,
        spaceAfter=pad * 1.7,
    )
    long_text = ParagraphStyle("long_text", parent=styles.body, leftIndent=pad, rightIndent=pad)
    flow: list[Flowable] = [CondPageBreak(styles.size * 6), para(card.title, title)]
    rows: list[list[object]] = []
    tables = 0

    def end_table() -> None:
        nonlocal rows, tables
        if not rows:
            return
        commands: list[TableCommand] = [
            *_cell_commands(styles),
            ("BACKGROUND", (0, 0), (0, -1), SHADE),
            ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
        ]
        if tables == 0 and len(flow) == 2:
            commands.append(("LINEABOVE", (0, 0), (-1, 0), 0.8, INK))
        table = Table(rows, colWidths=[width * 0.3, width * 0.7], hAlign="LEFT")
        table.setStyle(TableStyle(commands))
        flow.append(table)
        rows, tables = [], tables + 1

    if card.items and len(card.items[0].value) > LONG_TEXT_CHARS:
        flow.append(HRFlowable(width="100%", thickness=0.8, color=INK, spaceAfter=0))
    for item in card.items:
        if len(item.value) > LONG_TEXT_CHARS:
            end_table()
            # A page break only if the label would end a page alone (gluing it to the text
            # would move the whole note to the next page).
            flow.append(CondPageBreak(styles.size * 5))
            flow.append(para(item.label, long_label))
            flow.append(para(item.value, long_text))
            flow.append(HRFlowable(width="100%", thickness=0.4, color=RULE, spaceBefore=pad))
        else:
            rows.append([_cell(item.label, styles.label), _cell(item.value, styles.body)])
    if card.image:
        image = png_image(card.image, width * 0.5, SIGNATURE_MAX_HEIGHT)
        if image is not None:
            image.hAlign = "LEFT"
            rows.append([_cell(card.image_label, styles.label), image])
    end_table()
    if len(flow) == 2:
        flow.append(para(NOTHING, styles.body))
    return flow


def _join_rows(commands: list[TableCommand], first: int, last: int) -> None:
    """Rows ``first``..``last`` read as one: no padding between them, one rule under all."""
    if last > first:
        commands.append(("BOTTOMPADDING", (0, first), (-1, last - 1), 0))
        commands.append(("TOPPADDING", (0, first + 1), (-1, last), 0))
    commands.append(("LINEBELOW", (0, last), (-1, last), 0.4, RULE))


def _list_table(data: ListTable, styles: ReportStyles, width: float) -> Table:
    rows: list[list[object]] = [[para(title, styles.label) for title in data.columns]]
    commands: list[TableCommand] = [
        *_cell_commands(styles),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
    ]
    for values in data.rows:
        split = [chunks(value) for value in values]
        first = len(rows)
        for n in range(max(len(pieces) for pieces in split)):
            rows.append([_cell(p[n], styles.small) if n < len(p) else "" for p in split])
        _join_rows(commands, first, len(rows) - 1)
    table = Table(
        rows,
        colWidths=[width * share for share in data.shares],
        hAlign="LEFT",
        repeatRows=1,
    )
    table.setStyle(TableStyle(commands))
    return table
