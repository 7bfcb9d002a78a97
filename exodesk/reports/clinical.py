"""Clinical reports: an adverse event report for a regulator, a lot recall list, a call list."""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Spacer, Table, TableStyle

from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.dates import format_short
from exodesk.domain.lists import DUE_ORDER, DueLine, RecallLine
from exodesk.domain.sessions import (
    AE_OUTCOMES,
    AE_SEVERITIES,
    AE_TYPES,
    AREAS,
    DELIVERY_METHODS,
    SOURCES,
    TREATMENTS,
)
from exodesk.reports.document import (
    INK,
    MUTED,
    RULE,
    SHADE,
    DocumentSetup,
    ReportStyles,
    TableCommand,
    content_width,
    make_styles,
    para,
    render_document,
)
from exodesk.reports.fonts import SANS

NOT_RECORDED = "Not recorded"

# ---- adverse event report for the regulator ---------------------------------------------------

ADVERSE_EVENT_TITLE = "Adverse event report"
ADVERSE_EVENT_NOTE = (
    "Prepared for a regulator report (e.g. MHRA Yellow Card, FDA MedWatch). "
    "Copy each field into the form."
)


@dataclass(frozen=True)
class ReportProduct:
    """One product used in the session, as the regulator's form asks for it.

    Attributes:
        name: The product's name as sold.
        manufacturer: Who makes it.
        source: Where it comes from (a ``SOURCES`` id or its words).
        lot_number: The lot or batch number on the vial.
        expiry: The lot's expiry date, None when not recorded.
        volume: The amount used, with its unit ("1.5 ml").
    """

    name: str
    manufacturer: str
    source: str
    lot_number: str
    expiry: date | None
    volume: str


@dataclass(frozen=True)
class AdverseEventReport:
    """Everything the adverse event report prints; never the patient's full name.

    Vocabulary fields (event type, severity, outcome, treatment, areas, delivery, product
    source) may hold the stored id or its words: ids print as their words.

    Attributes:
        clinic: Letterhead, reporter's phone and paper size.
        printed_on: The date printed in the footer (reports never read the clock).
        patient_initials: The patient's initials only (see ``patient_initials``).
        patient_age: Age in whole years at the onset, None when not known.
        patient_sex: As recorded ("Female", "Male"…); empty when not recorded.
        event_type: An ``AE_TYPES`` id or its words.
        severity: An ``AE_SEVERITIES`` id or its words.
        onset_date: The day the event began.
        description: What happened, as the practitioner wrote it.
        action_taken: What was done about it.
        outcome: An ``AE_OUTCOMES`` id or its words.
        resolution_date: When it resolved, None while it has not.
        reported_to_supplier: Whether the supplier has been told.
        reported_to_regulator: Whether the regulator has been told.
        regulator_reference: The regulator's reference for an earlier report, if any.
        session_date: The day of the procedure.
        treatment: A ``TREATMENTS`` id or its words.
        areas: The treated areas, comma separated (ids or words).
        delivery: A ``DELIVERY_METHODS`` id or its words.
        practitioner: Who did the procedure.
        products: The products used, in the order recorded.
        reporter_name: Who is making the report.
        patient_allergies: The patient's allergies in words (relevant history for the
            regulator); empty prints nothing.
        allergy_override: Why the session went ahead despite an allergy, with what it
            contained; empty when it did not.
    """

    clinic: ClinicSettings
    printed_on: date
    patient_initials: str
    patient_age: int | None
    patient_sex: str
    event_type: str
    severity: str
    onset_date: date
    description: str
    action_taken: str
    outcome: str
    resolution_date: date | None
    reported_to_supplier: bool
    reported_to_regulator: bool
    regulator_reference: str
    session_date: date
    treatment: str
    areas: str
    delivery: str
    practitioner: str
    products: tuple[ReportProduct, ...]
    reporter_name: str
    patient_allergies: str = ""
    allergy_override: str = ""


# Form boxes are laid out on a grid of six columns: a third of the width is 2, the whole is 6.
FORM_GRID = 6
FULL = FORM_GRID


@dataclass(frozen=True)
class FormField:
    """One labelled value, printed as a box of a form.

    Attributes:
        label: The field's name, as the regulator's form words it.
        value: The text to copy into the form.
        span: The box's width in sixths of the page's width (``FULL`` for free text);
            the last box of a row stretches to the edge.
    """

    label: str
    value: str
    span: int = 2


@dataclass(frozen=True)
class FormSection:
    """A titled group of fields; ``note`` prints instead when there are no fields."""

    title: str
    fields: tuple[FormField, ...]
    note: str = ""


# Particles that are not initials in most naming conventions ("de la Fuente" gives F).
_PARTICLES = frozenset(
    {"de", "la", "le", "del", "della", "der", "den", "van", "von", "da", "di", "du", "dos", "bin"}
)


def patient_initials(full_name: str) -> str:
    """Return a name's initials for a regulator report: ``"Zoë O'Brien-Łukasz"`` gives ``Z.O.Ł.``.

    One letter per given name and surname part (hyphenated parts count separately);
    lower-case particles such as "de" or "van" are left out. A name written without spaces
    in a script that has no letter case (Chinese, Japanese, Korean) gives its first
    character only, the family name, rather than the whole name.

    Args:
        full_name: The name as recorded.

    Returns:
        The initials, each followed by a full stop; empty for an empty name.
    """
    name = unicodedata.normalize("NFC", full_name)
    parts = [p for word in name.split() for p in word.split("-") if p]
    letters: list[str] = []
    for part in parts:
        if part.casefold() in _PARTICLES and len(parts) > 2:
            continue
        first = next((c for c in part if c.isalpha()), "")
        if first:
            letters.append(first.upper())
    return "".join(f"{letter}." for letter in letters)


def _word(vocabulary: dict[str, str], value: str) -> str:
    """Return the words for a stored id; anything else (already words) as it is."""
    value = value.strip()
    return vocabulary.get(value, value)


def _wrapping(style: ParagraphStyle) -> ParagraphStyle:
    """Return ``style`` that may break a long hyphenated name at its hyphens.

    Without it a narrow column splits "Fitzgerald-Montgomery" mid-letter; the hyphen stays
    on the first line, so the text reads back unchanged.
    """
    # 2: also move the whole name to the next line when that is where a hyphen split fits.
    return ParagraphStyle(f"{style.name}_wrapping", parent=style, embeddedHyphenation=2)


def _or_not_recorded(value: str) -> str:
    return value.strip() or NOT_RECORDED


def _date_or(day: date | None, missing: str = NOT_RECORDED) -> str:
    return format_short(day) if day is not None else missing


def _yes_no(flag: bool) -> str:
    return "Yes" if flag else "No"


def adverse_event_sections(report: AdverseEventReport) -> tuple[FormSection, ...]:
    """Return the report's sections and fields in the order the regulators' forms ask for them.

    Patient, reaction, products, procedure, reporter (as the MHRA Yellow Card and FDA
    MedWatch 3500 order them), then what has already been reported.

    Args:
        report: The event's data.

    Returns:
        The sections, each field's value already in the words that print.
    """
    age = f"{report.patient_age} years" if report.patient_age is not None else NOT_RECORDED
    outcome = _word(AE_OUTCOMES, report.outcome)
    if report.resolution_date is not None:
        resolved = format_short(report.resolution_date)
    elif outcome == AE_OUTCOMES["ongoing"]:
        resolved = "Not yet resolved"
    else:
        resolved = NOT_RECORDED
    patient = [
        FormField("Initials", _or_not_recorded(report.patient_initials)),
        FormField("Age", age),
        FormField("Sex", _or_not_recorded(report.patient_sex)),
    ]
    if report.patient_allergies.strip():
        patient.append(FormField("Known allergies", report.patient_allergies.strip(), FULL))
    sections = [
        FormSection("Patient", tuple(patient)),
        FormSection(
            "Reaction",
            (
                FormField("Event type", _or_not_recorded(_word(AE_TYPES, report.event_type))),
                FormField("Onset date", format_short(report.onset_date)),
                FormField("Severity", _or_not_recorded(_word(AE_SEVERITIES, report.severity))),
                FormField("Description", _or_not_recorded(report.description), FULL),
                FormField("Action taken", report.action_taken.strip() or "None", FULL),
                FormField("Outcome", _or_not_recorded(outcome)),
                FormField("Resolution date", resolved),
            ),
        ),
    ]
    count = len(report.products)
    if not count:
        sections.append(
            FormSection("Product", (), note="No product was recorded for this session.")
        )
    for number, product in enumerate(report.products, start=1):
        title = "Product" if count == 1 else f"Product {number} of {count}"
        sections.append(
            FormSection(
                title,
                (
                    FormField("Product name", _or_not_recorded(product.name), 3),
                    FormField("Manufacturer", _or_not_recorded(product.manufacturer), 3),
                    FormField("Source", _or_not_recorded(_word(SOURCES, product.source))),
                    FormField("Lot / batch number", _or_not_recorded(product.lot_number)),
                    FormField("Expiry date", _date_or(product.expiry), 1),
                    FormField("Amount used", _or_not_recorded(product.volume), 1),
                ),
            )
        )
    areas = ", ".join(_word(AREAS, a) for a in report.areas.split(",") if a.strip())
    clinic = report.clinic
    address = ", ".join(line.strip() for line in clinic.address.splitlines() if line.strip())
    sections += [
        FormSection(
            "Procedure",
            (
                FormField("Procedure date", format_short(report.session_date)),
                FormField("Treatment", _or_not_recorded(_word(TREATMENTS, report.treatment))),
                FormField("Areas treated", _or_not_recorded(areas)),
                FormField("Delivery", _or_not_recorded(_word(DELIVERY_METHODS, report.delivery))),
                FormField("Practitioner", _or_not_recorded(report.practitioner)),
            )
            + (
                (FormField("Allergy override", report.allergy_override.strip(), FULL),)
                if report.allergy_override.strip()
                else ()
            ),
        ),
        FormSection(
            "Reporter",
            (
                FormField("Reporter", _or_not_recorded(report.reporter_name)),
                FormField("Clinic", _or_not_recorded(clinic.name), 4),
                FormField("Phone", _or_not_recorded(clinic.phone)),
                FormField("Address", _or_not_recorded(address), 4),
            ),
        ),
        FormSection(
            "Already reported",
            (
                FormField("To the supplier", _yes_no(report.reported_to_supplier)),
                FormField("To the regulator", _yes_no(report.reported_to_regulator)),
                FormField("Regulator reference", report.regulator_reference.strip() or "None"),
            ),
        ),
    ]
    return tuple(sections)


def render_adverse_event_report(report: AdverseEventReport) -> bytes:
    """Render the adverse event report to PDF bytes (the same data gives the same bytes).

    Args:
        report: The event's data.

    Returns:
        A complete PDF file, one page in normal cases.
    """
    styles = make_styles()
    width = content_width(report.clinic.paper_size)
    initials = report.patient_initials.strip()
    setup = DocumentSetup(
        clinic=report.clinic,
        title=ADVERSE_EVENT_TITLE,
        printed_on=report.printed_on,
        # Initials, never the name: a loose page still matches its other pages.
        subject=f"Patient {initials}" if initials else "",
        subtitle=ADVERSE_EVENT_NOTE,
    )
    blocks: list[list[Flowable]] = []
    for section in adverse_event_sections(report):
        heading = _section_heading(section.title, styles)[-1]  # without its page break
        if section.fields:
            rows = _form_grid(section.fields, styles, width)
        else:
            rows = [para(section.note, styles.body)]
        blocks.append([heading, *rows])
    # The last section (one row: what was already reported) goes with the one before it,
    # so a second page never holds that one box alone.
    if len(blocks) >= 2:
        blocks[-2:] = [blocks[-2] + blocks[-1]]
    # A section moves to the next page whole, so a page never starts with a box split from
    # its section; one taller than a page (a long description) flows on across pages.
    story: list[Flowable] = [KeepTogether(block) for block in blocks]
    return render_document(setup, story, styles)


def _section_heading(title: str, styles: ReportStyles) -> list[Flowable]:
    # The shared heading's space above is sized for prose; a form reads better tighter, so
    # the whole report fits one page with an ordinary description.
    style = ParagraphStyle(
        "form_heading",
        parent=styles.heading,
        fontSize=styles.size * 1.15,
        leading=styles.size * 1.4,
        spaceBefore=styles.size * 1.0,
        spaceAfter=styles.size * 0.35,
    )
    return [CondPageBreak(styles.size * 9), para(title, style)]


def _form_grid(fields: Sequence[FormField], styles: ReportStyles, width: float) -> list[Flowable]:
    """Fields as boxes, label above value, left to right; a row's last box fills the row.

    Each row is its own table, stacked edge to edge into one boxed grid. One table with
    spanned cells would be simpler, but reportlab splits a spanned cell across pages as if
    it were one column wide: a long description would print a few lines per page.
    """
    value_style = _wrapping(ParagraphStyle("form_value", parent=styles.body, spaceBefore=1))
    lines: list[list[FormField]] = []
    for field in fields:
        span = max(1, min(field.span, FORM_GRID))
        if not lines or sum(f.span for f in lines[-1]) + span > FORM_GRID:
            lines.append([])
        lines[-1].append(dataclasses.replace(field, span=span))
    pad = styles.size * 0.5
    tables: list[Flowable] = []
    for number, line in enumerate(lines):
        widths = [width * field.span / FORM_GRID for field in line]
        # The last box of a short row stretches to the edge: no empty box to puzzle over.
        widths[-1] = width - sum(widths[:-1])
        first, last = number == 0, number == len(lines) - 1
        table = Table(
            [[[para(f.label, styles.label), para(f.value, value_style)] for f in line]],
            colWidths=widths,
            splitInRow=1,
            hAlign="LEFT",
        )
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("FONTNAME", (0, 0), (-1, -1), SANS),
                    ("LEFTPADDING", (0, 0), (-1, -1), pad),
                    ("RIGHTPADDING", (0, 0), (-1, -1), pad),
                    ("TOPPADDING", (0, 0), (-1, -1), pad * 0.6),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), pad),
                    # Boxed like a paper form (a dark frame, light lines between boxes), so
                    # each value can be found and copied on its own.
                    ("LINEBEFORE", (0, 0), (0, -1), 0.8, INK),
                    ("LINEAFTER", (-1, 0), (-1, -1), 0.8, INK),
                    ("LINEAFTER", (0, 0), (-2, -1), 0.4, RULE),
                    ("LINEABOVE", (0, 0), (-1, 0), 0.8 if first else 0.4, INK if first else RULE),
                    ("LINEBELOW", (0, -1), (-1, -1), 0.8 if last else 0.4, INK if last else RULE),
                ]
            )
        )
        tables.append(table)
    return tables


# ---- lot recall list ----------------------------------------------------------------------------


_TITLE_PRODUCT_CHARS = 48


@dataclass(frozen=True)
class RecallReport:
    """Everything the lot recall list prints.

    Attributes:
        clinic: Letterhead and paper size.
        printed_on: The date printed in the footer (reports never read the clock).
        query: What was searched for, as typed.
        product_name: The recalled product.
        manufacturer: Its manufacturer.
        lot_number: The recalled lot or batch.
        expiry: The lot's expiry, None when not recorded.
        rows: One per session that used the lot, as ``recall_line`` shows it.
    """

    clinic: ClinicSettings
    printed_on: date
    query: str
    product_name: str
    manufacturer: str
    lot_number: str
    expiry: date | None
    rows: tuple[RecallLine, ...]

    @property
    def title(self) -> str:
        """``Lot recall: <product> lot <lot>``, a very long product name shortened."""
        product = " ".join(self.product_name.split())
        if len(product) > _TITLE_PRODUCT_CHARS:
            # The title repeats in every page's header and footer, which have one line; the
            # full name prints in the facts under the title.
            product = product[:_TITLE_PRODUCT_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"
        return f"Lot recall: {product} lot {self.lot_number.strip()}"

    @property
    def session_count(self) -> int:
        """How many sessions used the lot."""
        return len(self.rows)

    @property
    def patient_count(self) -> int:
        """How many different patients (by name and date of birth) those sessions treated."""
        return len({_patient_key(row) for row in self.rows})

    @property
    def count_text(self) -> str:
        """``14 patients, 17 sessions``."""
        return f"{_count(self.patient_count, 'patient')}, {_count(self.session_count, 'session')}"


EMPTY_RECALL = "No session used this lot."


def _patient_key(row: RecallLine) -> tuple[str, date | None]:
    return (" ".join(row.patient_name.split()).casefold(), row.date_of_birth)


def _collation_key(name: str) -> str:
    """Sort "Şükrü" among the S names, not after Z: accents dropped, case folded."""
    decomposed = unicodedata.normalize("NFKD", " ".join(name.split()).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def recall_order(rows: Iterable[RecallLine]) -> tuple[RecallLine, ...]:
    """Return the rows by patient, then session date, so one patient's sessions sit together.

    Args:
        rows: The sessions, in any order.

    Returns:
        The rows as the list prints them.
    """
    return tuple(
        sorted(
            rows,
            key=lambda r: (
                _collation_key(r.patient_name),
                r.patient_name,
                # A missing date of birth sorts first rather than failing to compare.
                r.date_of_birth or date.min,
                r.session_date,
            ),
        )
    )


# Column shares of the recall table; portrait, so long names and emails wrap inside them.
RECALL_COLUMNS = (
    ("Patient", 0.27),
    ("Contact", 0.27),
    ("Session", 0.21),
    ("Adverse events", 0.25),
)


def render_recall_report(report: RecallReport) -> bytes:
    """Render the lot recall list to PDF bytes (the same data gives the same bytes).

    Args:
        report: The lot and the sessions that used it.

    Returns:
        A complete PDF file; the table's header row repeats on every page.
    """
    styles = make_styles()
    width = content_width(report.clinic.paper_size)
    query = report.query.strip()
    setup = DocumentSetup(
        clinic=report.clinic,
        title=report.title,
        printed_on=report.printed_on,
        subtitle=f"Searched for “{query}”" if query else "",
    )
    story: list[Flowable] = [
        _facts_band(
            [
                ("Product", _or_not_recorded(report.product_name)),
                ("Manufacturer", _or_not_recorded(report.manufacturer)),
                ("Lot / batch", _or_not_recorded(report.lot_number)),
                ("Expiry", _date_or(report.expiry)),
            ],
            # The product's name is the longest; the expiry date must not wrap.
            (0.34, 0.25, 0.23, 0.18),
            styles,
            width,
        ),
        Spacer(0, styles.size * 1.2),
    ]
    if not report.rows:
        story.append(para(EMPTY_RECALL, styles.body_bold))
        return render_document(setup, story, styles)
    story.append(para(report.count_text, _count_style(styles)))
    story.append(_recall_table(recall_order(report.rows), styles, width))
    return render_document(setup, story, styles)


def _count_style(styles: ReportStyles) -> ParagraphStyle:
    return ParagraphStyle(
        "count",
        parent=styles.body_bold,
        fontSize=styles.size * 1.15,
        leading=styles.size * 1.45,
        spaceAfter=styles.size * 0.5,
    )


@dataclass(frozen=True)
class _CellStyles:
    """The styles of a list's cells: names in bold, details smaller, who-did-it muted."""

    name: ParagraphStyle
    text: ParagraphStyle
    small: ParagraphStyle
    muted: ParagraphStyle
    header: ParagraphStyle


def _cell_styles(styles: ReportStyles) -> _CellStyles:
    return _CellStyles(
        name=_wrapping(styles.body_bold),
        text=_wrapping(styles.body),
        small=_wrapping(styles.small),
        muted=_wrapping(ParagraphStyle("muted_small", parent=styles.small, textColor=MUTED)),
        header=styles.label,
    )


def _recall_table(rows: Sequence[RecallLine], styles: ReportStyles, width: float) -> Table:
    cell = _cell_styles(styles)
    data: list[list[object]] = [[para(title, cell.header) for title, _ in RECALL_COLUMNS]]
    for row in rows:
        born = (
            f"Born {format_short(row.date_of_birth)}" if row.date_of_birth else "Born: not recorded"
        )
        contact = [para(row.phone.strip() or "No phone recorded", cell.text)]
        if row.email.strip():
            contact.append(para(row.email.strip(), cell.small))
        session = [
            para(format_short(row.session_date), cell.text),
            para(_word(TREATMENTS, row.treatment), cell.small),
        ]
        if row.practitioner.strip():
            session.append(para(row.practitioner.strip(), cell.muted))
        data.append(
            [
                [para(row.patient_name, cell.name), para(born, cell.muted)],
                contact,
                session,
                para(row.adverse_events.strip() or "None recorded", cell.text),
            ]
        )
    return _list_table(data, [width * share for _, share in RECALL_COLUMNS], styles)


def _list_table(
    data: list[list[object]],
    widths: list[float],
    styles: ReportStyles,
    extra: Sequence[TableCommand] = (),
) -> Table:
    """A list with a header row that repeats on every page and a rule under each row."""
    pad = styles.size * 0.45
    table = Table(data, colWidths=widths, repeatRows=1, splitInRow=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONTNAME", (0, 0), (-1, -1), SANS),
                ("LEFTPADDING", (0, 0), (-1, -1), pad),
                ("RIGHTPADDING", (0, 0), (-1, -1), pad),
                ("TOPPADDING", (0, 0), (-1, -1), pad * 0.9),
                ("BOTTOMPADDING", (0, 0), (-1, -1), pad * 1.1),
                # Rules, not colour, separate rows: they survive a black-and-white copier.
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
                *extra,
            ]
        )
    )
    return table


def _facts_band(
    cells: list[tuple[str, str]], shares: Sequence[float], styles: ReportStyles, width: float
) -> Table:
    """A shaded band of label-over-value facts, side by side."""
    value_style = _wrapping(styles.body_bold)
    band = Table(
        [
            [para(label, styles.label) for label, _ in cells],
            [para(value, value_style) for _, value in cells],
        ],
        colWidths=[width * share for share in shares],
        hAlign="LEFT",
    )
    pad = styles.size * 0.6
    band.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONTNAME", (0, 0), (-1, -1), SANS),
                ("BACKGROUND", (0, 0), (-1, -1), SHADE),
                ("LEFTPADDING", (0, 0), (-1, -1), pad),
                ("RIGHTPADDING", (0, 0), (-1, -1), pad),
                ("TOPPADDING", (0, 0), (-1, 0), pad),
                ("BOTTOMPADDING", (0, 0), (-1, 0), 0),
                ("TOPPADDING", (0, 1), (-1, 1), 1),
                ("BOTTOMPADDING", (0, 1), (-1, 1), pad * 1.2),
            ]
        )
    )
    return band


# ---- patients due or overdue ------------------------------------------------------------------

DUE_LIST_TITLE = "Patients due for their next session"

# The printed word for each state, in call order (DUE_ORDER): overdue first, courses before
# maintenance.
DUE_STATES: dict[str, str] = {
    "overdue": "Overdue",
    "maintenance_overdue": "Maintenance overdue",
    "due": "Due",
    "maintenance_due": "Maintenance due",
}

EMPTY_DUE_LIST = "No patient is due or overdue."


@dataclass(frozen=True)
class DueListReport:
    """Everything reception's call list prints.

    Attributes:
        clinic: Letterhead and paper size.
        printed_on: The date printed in the footer (reports never read the clock).
        rows: The courses due or overdue, in any order (the list prints overdue first).
    """

    clinic: ClinicSettings
    printed_on: date
    rows: tuple[DueLine, ...]

    @property
    def overdue_count(self) -> int:
        """How many rows are overdue (course or maintenance)."""
        return sum(row.overdue for row in self.rows)

    @property
    def count_text(self) -> str:
        """``12 to call: 5 overdue, 7 due``."""
        overdue = self.overdue_count
        return f"{len(self.rows)} to call: {overdue} overdue, {len(self.rows) - overdue} due"


def due_call_order(rows: Iterable[DueLine]) -> tuple[DueLine, ...]:
    """Return the rows in the order reception calls them: overdue first, by ``DUE_ORDER``.

    The sort is stable, so within a state the service's order (say, by window) is kept.

    Args:
        rows: The rows, in any order.

    Returns:
        The rows as the list prints them.
    """
    rank = {state: index for index, state in enumerate(DUE_ORDER)}
    return tuple(sorted(rows, key=lambda row: rank[row.state]))


# Shares of the width, portrait: a window ("1 Dec – 15 Dec 2026") and a UK phone number stay on
# one line; "Maintenance overdue" wraps between its words, never inside one.
DUE_COLUMNS = (
    ("Called", 0.07),
    ("Patient", 0.21),
    ("Phone", 0.16),
    ("Treatment", 0.18),
    ("Window", 0.22),
    ("State", 0.16),
)


class TickBox(Flowable):
    """An empty square for a pen tick, drawn rather than typed so it prints crisply.

    Args:
        side: The square's side in points.
        drop: How far below the top of its cell it starts, to line up with the text
            beside it (whose first line has space above its capitals).
    """

    def __init__(self, side: float, drop: float = 0.0) -> None:
        super().__init__()
        self.side = side
        self.width = side
        self.height = side + drop

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        self.canv.setStrokeColor(INK)
        self.canv.setLineWidth(0.8)
        self.canv.rect(0, 0, self.side, self.side, stroke=1, fill=0)


def render_due_list(report: DueListReport) -> bytes:
    """Render reception's call list to PDF bytes (the same data gives the same bytes).

    Args:
        report: The courses due or overdue.

    Returns:
        A complete PDF file: overdue patients first, then those due, with a tick box each.
    """
    styles = make_styles()
    width = content_width(report.clinic.paper_size)
    setup = DocumentSetup(
        clinic=report.clinic,
        title=DUE_LIST_TITLE,
        printed_on=report.printed_on,
        subtitle=report.count_text if report.rows else "",
    )
    story: list[Flowable] = []
    if not report.rows:
        story.append(para(EMPTY_DUE_LIST, styles.body_bold))
        return render_document(setup, story, styles)
    ordered = due_call_order(report.rows)
    overdue = [row for row in ordered if row.overdue]
    due = [row for row in ordered if not row.overdue]
    for title, group in (("Overdue", overdue), ("Due", due)):
        if not group:
            continue
        story.extend(_section_heading(f"{title} ({len(group)})", styles))
        story.append(_due_table(group, styles, width))
    return render_document(setup, story, styles)


def _due_table(rows: Sequence[DueLine], styles: ReportStyles, width: float) -> Table:
    cell = _cell_styles(styles)
    data: list[list[object]] = [[para(title, cell.header) for title, _ in DUE_COLUMNS]]
    for row in rows:
        data.append(
            [
                TickBox(styles.size * 1.05, drop=styles.size * 0.15),
                para(row.patient_name, cell.name),
                para(row.phone.strip() or "No phone recorded", cell.text),
                [
                    para(_word(TREATMENTS, row.treatment), cell.text),
                    para(row.course_label, cell.muted),
                ],
                para(row.window_text, cell.text),
                # The word carries the state; bold only helps overdue rows stand out.
                para(DUE_STATES[row.state], cell.name if row.overdue else cell.text),
            ]
        )
    return _list_table(
        data,
        [width * share for _, share in DUE_COLUMNS],
        styles,
        extra=[("ALIGN", (0, 0), (0, -1), "CENTER")],
    )
