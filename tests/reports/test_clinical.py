"""Clinical reports: the regulator's adverse event report, the lot recall list, the due list."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from pypdf.generic import ContentStream
from reportlab.pdfbase import pdfmetrics

from exodesk.domain.clinic import ClinicSettings
from exodesk.domain.lists import DUE_ORDER, DueLine, RecallLine
from exodesk.reports.clinical import (
    ADVERSE_EVENT_NOTE,
    DUE_COLUMNS,
    DUE_STATES,
    EMPTY_DUE_LIST,
    EMPTY_RECALL,
    RECALL_COLUMNS,
    AdverseEventReport,
    DueListReport,
    RecallReport,
    ReportProduct,
    adverse_event_sections,
    due_call_order,
    patient_initials,
    recall_order,
    render_adverse_event_report,
    render_due_list,
    render_recall_report,
)
from exodesk.reports.document import SIDE_MARGIN, content_width
from exodesk.reports.fonts import CJK, PLACEHOLDER, SANS, SANS_BOLD, register_fonts
from tests.reports.pdftools import base_name, fonts_drawing, page_texts, pdf_text, reader

# The patient's full name is known to the service, never to the regulator's report.
PATIENT_NAME = "Zoë O'Brien-Kowalczyk"
DESCRIPTION = (
    "Two firm, tender nodules about 4 mm across on the left cheek along the microneedling "
    "track, six weeks after treatment. No fever."
)
LONG_NAME = "Margaret Anne Fitzgerald-Montgomery-Wellesley"
LONG_EMAIL = "margaret.fitzgerald.montgomery.wellesley@example-longdomain.co.uk"
HOSTILE = "<b>x</b> & Co &amp; <font name=Courier>y</font>"
SCRIPT_NAMES = ["李小龍", "Zoë O'Brien-Łukasz", "Şükrü Öztürk", "Γιώργος Παπαδόπουλος"]

A4_SIZE = (595.28, 841.89)
LETTER_SIZE = (612.0, 792.0)

CLINIC = ClinicSettings(
    name="Riverside Skin & Regenerative Clinic",
    address="14 Mill Lane\nHebden Bridge HX7 8AB",
    phone="01422 845 210",
    paper_size="A4",
)
PRINTED_ON = date(2026, 12, 2)


def squash(text: str) -> str:
    """Text without whitespace: a wrapped value reads back with line breaks inside it."""
    return "".join(text.split())


def product(**changes: Any) -> ReportProduct:
    base = ReportProduct(
        name="ExoGlow Regenerative Serum 5 ml",
        manufacturer="Lumina Biotech Ltd",
        source="plant",
        lot_number="EX-2311-0457",
        expiry=date(2027, 3, 31),
        volume="1.5 ml",
    )
    return dataclasses.replace(base, **changes)


def event(**changes: Any) -> AdverseEventReport:
    base = AdverseEventReport(
        clinic=CLINIC,
        printed_on=PRINTED_ON,
        patient_initials=patient_initials(PATIENT_NAME),
        patient_age=41,
        patient_sex="Female",
        event_type="granuloma_nodule",
        severity="moderate",
        onset_date=date(2026, 11, 20),
        description=DESCRIPTION,
        action_taken="Photographed; referred to dermatologist.",
        outcome="ongoing",
        resolution_date=None,
        reported_to_supplier=True,
        reported_to_regulator=False,
        regulator_reference="",
        session_date=date(2026, 10, 8),
        treatment="exosome_face",
        areas="face, neck",
        delivery="topical_microneedling",
        practitioner="Dr Şükrü Öztürk",
        products=(product(),),
        reporter_name="Dr Łukasz Wąsowski",
    )
    return dataclasses.replace(base, **changes)


def recall_row(number: int, **changes: Any) -> RecallLine:
    base = RecallLine(
        patient_name=f"Patient {number:03d}",
        date_of_birth=date(1960 + number % 40, 1 + number % 12, 1 + number % 28),
        phone=f"07700 900{number:03d}",
        email=f"patient{number:03d}@example.com",
        session_date=date(2026, 1, 5) + timedelta(days=number),
        treatment="exosome_face",
        practitioner="Dr Şükrü Öztürk",
        adverse_events="",
    )
    return dataclasses.replace(base, **changes)


def recall(rows: tuple[RecallLine, ...] | None = None, **changes: Any) -> RecallReport:
    base = RecallReport(
        clinic=CLINIC,
        printed_on=PRINTED_ON,
        query="EX-2311",
        product_name="ExoGlow Regenerative Serum 5 ml",
        manufacturer="Lumina Biotech Ltd",
        lot_number="EX-2311-0457",
        expiry=date(2027, 3, 31),
        rows=rows if rows is not None else (recall_row(1), recall_row(2)),
    )
    return dataclasses.replace(base, **changes)


def due_row(name: str, state: str, **changes: Any) -> DueLine:
    base = DueLine(
        patient_name=name,
        phone="07700 900123",
        treatment="exosome_scalp",
        course_label="maintenance" if state.startswith("maintenance") else "session 3 of 4",
        window_text="1 Dec – 15 Dec 2026",
        state=state,
    )
    return dataclasses.replace(base, **changes)


# Due first in the input, so printing overdue first is the report's doing.
DUE_ROWS = (
    due_row("Amélie Dubois", "due"),
    due_row("Rahul Mehta", "maintenance_due"),
    due_row("Tomasz Nowak", "overdue"),
    due_row("Grace Okafor", "maintenance_overdue"),
)


def due_list(rows: tuple[DueLine, ...] = DUE_ROWS, **changes: Any) -> DueListReport:
    return dataclasses.replace(DueListReport(CLINIC, PRINTED_ON, rows), **changes)


@dataclass(frozen=True)
class Chunk:
    """One drawn text chunk (a line, or one font's run of a line) and where it lies."""

    page: int
    text: str
    left: float
    right: float


_FACES = {"DejaVuSans": SANS, "DejaVuSans-Bold": SANS_BOLD, "DroidSansFallback": CJK}


def chunks(pdf: bytes) -> list[Chunk]:
    """Every text chunk with its left and right edges in points from the page's left."""
    register_fonts()
    found: list[Chunk] = []
    for number, page in enumerate(reader(pdf).pages):

        def visit(text, cm, tm, font_dict, font_size, number=number) -> None:
            if not text.strip() or font_dict is None:
                return
            face = _FACES[base_name(str(font_dict["/BaseFont"]))]
            left = cm[4] + tm[4] * cm[0]
            size = font_size * tm[0] * cm[0]
            width = pdfmetrics.stringWidth(text.rstrip("\n"), face, size)
            found.append(Chunk(number, text.strip(), left, left + width))

        page.extract_text(visitor_text=visit)
    return found


def column_edges(shares: tuple[tuple[str, float], ...], paper: str) -> list[float]:
    """The left edge of each column and the table's right edge, in points."""
    edges = [SIDE_MARGIN]
    for _, share in shares:
        edges.append(edges[-1] + share * content_width(paper))
    return edges


def assert_within_column(pdf: bytes, value: str, left: float, right: float) -> None:
    """Every piece of ``value`` as printed lies between ``left`` and ``right``."""
    pieces = [c for c in chunks(pdf) if c.text and c.text in value and len(c.text) > 3]
    assert squash("".join(dict.fromkeys(c.text for c in pieces))) == squash(value)
    for piece in pieces:
        assert left <= piece.left and piece.right <= right + 0.01, piece


RENDERERS: dict[str, tuple[Callable[..., Any], Callable[[Any], bytes]]] = {
    "adverse_event": (event, render_adverse_event_report),
    "recall": (recall, render_recall_report),
    "due": (due_list, render_due_list),
}


# ---- adverse event report for the regulator ---------------------------------------------------


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_adverse_event_report_is_one_page_with_the_note(paper: str) -> None:
    clinic = dataclasses.replace(CLINIC, paper_size=paper)
    pages = page_texts(render_adverse_event_report(event(clinic=clinic)))
    assert len(pages) == 1
    assert "Adverse event report" in pages[0]
    assert ADVERSE_EVENT_NOTE in pages[0]
    assert "Page 1 of 1" in pages[0]


def test_adverse_event_report_prints_each_label_beside_its_value() -> None:
    text = pdf_text(render_adverse_event_report(event()))
    expected = [
        ("Initials", "Z.O.K."),
        ("Age", "41 years"),
        ("Sex", "Female"),
        ("Event type", "Granuloma / nodule"),
        ("Onset date", "20 Nov 2026"),
        ("Severity", "Moderate"),
        ("Description", DESCRIPTION),
        ("Action taken", "Photographed; referred to dermatologist."),
        ("Outcome", "Not yet resolved"),
        ("Resolution date", "Not yet resolved"),
        ("Product name", "ExoGlow Regenerative Serum 5 ml"),
        ("Manufacturer", "Lumina Biotech Ltd"),
        ("Source", "Plant-derived"),
        ("Lot / batch number", "EX-2311-0457"),
        ("Expiry date", "31 Mar 2027"),
        ("Amount used", "1.5 ml"),
        ("Procedure date", "8 Oct 2026"),
        ("Treatment", "Exosome facial"),
        ("Areas treated", "Face, Neck"),
        ("Delivery", "Topical after microneedling"),
        ("Practitioner", "Dr Şükrü Öztürk"),
        ("Reporter", "Dr Łukasz Wąsowski"),
        ("Clinic", "Riverside Skin & Regenerative Clinic"),
        ("Phone", "01422 845 210"),
        ("Address", "14 Mill Lane, Hebden Bridge HX7 8AB"),
        ("To the supplier", "Yes"),
        ("To the regulator", "No"),
        ("Regulator reference", "None"),
    ]
    for label, value in expected:
        # Label then value, with nothing between: each box can be copied on its own.
        assert f"{label} {value}" in text, label
    printed = [(f.label, f.value) for s in adverse_event_sections(event()) for f in s.fields]
    assert printed == expected


def test_adverse_event_sections_follow_the_regulators_forms() -> None:
    report = event()
    titles = [section.title for section in adverse_event_sections(report)]
    assert titles == ["Patient", "Reaction", "Product", "Procedure", "Reporter", "Already reported"]
    text = pdf_text(render_adverse_event_report(report))
    positions = [text.index(label) for label in ("Initials", "Event type", "Product name")]
    positions += [text.index(label) for label in ("Procedure date", "Reporter", "To the supplier")]
    assert positions == sorted(positions)


def test_adverse_event_report_never_prints_the_patients_name() -> None:
    pdf = render_adverse_event_report(event())
    text = pdf_text(pdf)
    metadata = " ".join(str(value) for value in (reader(pdf).metadata or {}).values())
    assert "Z.O.K." in text
    assert "Patient Z.O.K." in metadata
    for part in ("Zoë", "O'Brien", "Kowalczyk"):
        assert part not in text
        assert part not in metadata


@pytest.mark.parametrize(
    ("name", "initials"),
    [
        ("Zoë O'Brien-Łukasz", "Z.O.Ł."),
        ("şükrü öztürk", "Ş.Ö."),
        ("Zoë Ñúñez-Wąsowska de la Fuente", "Z.Ñ.W.F."),
        ("Vincent van Gogh", "V.G."),
        ("  Amélie   Dubois ", "A.D."),
        ("李小龍", "李."),
        ("", ""),
    ],
)
def test_patient_initials(name: str, initials: str) -> None:
    assert patient_initials(name) == initials


def test_adverse_event_report_with_nothing_optional() -> None:
    report = event(
        patient_age=None,
        patient_sex="",
        action_taken="",
        outcome="resolved",
        products=(),
        clinic=ClinicSettings(paper_size="A4"),
        reporter_name="",
    )
    text = pdf_text(render_adverse_event_report(report))
    for expected in (
        "Age Not recorded",
        "Sex Not recorded",
        "Action taken None",
        "Outcome Resolved",
        "Resolution date Not recorded",
        "No product was recorded for this session.",
        "Reporter Not recorded",
        "Clinic Not recorded",
        "Phone Not recorded",
    ):
        assert expected in text, expected
    resolved = event(outcome="resolved", resolution_date=date(2026, 12, 1))
    assert "Resolution date 1 Dec 2026" in pdf_text(render_adverse_event_report(resolved))


def test_adverse_event_report_numbers_several_products() -> None:
    second = product(name="Lidocaine 5% cream", manufacturer="Acme", lot_number="LC-9", expiry=None)
    text = pdf_text(render_adverse_event_report(event(products=(product(), second))))
    assert "Product 1 of 2" in text
    assert "Product 2 of 2" in text
    assert text.index("EX-2311-0457") < text.index("Lot / batch number LC-9")
    assert "Expiry date Not recorded" in text


def test_stored_ids_print_as_words_and_words_stay_as_typed() -> None:
    def values(report: AdverseEventReport) -> dict[str, str]:
        return {f.label: f.value for s in adverse_event_sections(report) for f in s.fields}

    from_ids = values(event(severity="life_threatening", delivery="microinjection"))
    assert from_ids["Severity"] == "Life-threatening"
    assert from_ids["Delivery"] == "Microinjection"
    from_words = values(event(event_type="Vasovagal faint", areas="Face, under-eye"))
    assert from_words["Event type"] == "Vasovagal faint"
    assert from_words["Areas treated"] == "Face, under-eye"


def test_hostile_and_very_long_text_prints_as_typed() -> None:
    description = f"{HOSTILE} " + " ".join(f"word{n}" for n in range(700))  # 5,000+ characters
    assert len(description) > 5_000
    pdf = render_adverse_event_report(event(description=description, action_taken=HOSTILE))
    text = pdf_text(pdf)
    pages = page_texts(pdf)
    # Split at the page's full width: a box split as if one column wide prints a few lines
    # a page and would take a dozen.
    assert 2 <= len(pages) <= 3
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
    assert f"Action taken {HOSTILE}" in text
    # Counted word by word: a page break puts the footer inside the description.
    assert all(f"word{n} " in text for n in range(699))
    assert text.count(HOSTILE) == 2


# ---- lot recall list --------------------------------------------------------------------------


def test_recall_list_prints_title_count_and_every_row() -> None:
    rows = (
        recall_row(1, adverse_events="Prolonged swelling or redness (mild)"),
        recall_row(2, patient_name="Şükrü Öztürk", email=""),
        recall_row(3, phone="", treatment="Microneedling"),
        # The same patient again, at a later session.
        recall_row(1, session_date=date(2026, 3, 2)),
    )
    report = recall(rows)
    assert report.count_text == "3 patients, 4 sessions"
    text = pdf_text(render_recall_report(report))
    for expected in (
        "Lot recall: ExoGlow Regenerative Serum 5 ml lot EX-2311-0457",
        "Searched for “EX-2311”",
        "Lumina Biotech Ltd",
        "31 Mar 2027",
        "3 patients, 4 sessions",
        "Patient Contact Session Adverse events",
        "Prolonged swelling or redness (mild)",
        "No phone recorded",
        "Microneedling",
        "2 Mar 2026",
    ):
        assert expected in text, expected
    for row in rows:
        for value in (row.patient_name, row.phone, row.email, row.practitioner):
            assert value in text
        assert f"Born {row.date_of_birth.day} " in text
    assert text.count("Exosome facial") == 3
    assert text.count("None recorded") == 3


def test_recall_list_of_120_rows_repeats_its_header_on_every_page() -> None:
    rows = tuple(recall_row(n) for n in range(120))
    pdf = render_recall_report(recall(rows))
    pages = page_texts(pdf)
    assert len(pages) >= 3
    text = " ".join(pages)
    assert text.count("120 patients, 120 sessions") == 1
    for number, page in enumerate(pages, start=1):
        assert "Patient Contact Session Adverse events" in page, number
        assert f"Page {number} of {len(pages)}" in page
    for row in rows:
        assert text.count(f"{row.patient_name} ") == 1, row.patient_name
        assert text.count(row.email) == 1


def test_recall_list_without_sessions_says_so() -> None:
    report = recall(())
    assert report.count_text == "0 patients, 0 sessions"
    text = pdf_text(render_recall_report(report))
    assert EMPTY_RECALL in text
    assert "EX-2311-0457" in text
    assert "Adverse events" not in text
    assert "0 patients" not in text


def test_recall_title_shortens_a_very_long_product_name() -> None:
    name = "ExoGlow Regenerative Serum with Plant-Derived Exosomes and Peptides, 5 ml vial"
    report = recall(product_name=name)
    assert report.title == (
        "Lot recall: ExoGlow Regenerative Serum with Plant-Derived… lot EX-2311-0457"
    )
    pages = page_texts(render_recall_report(report))
    assert squash(name) in squash(pages[0])
    assert recall().title == "Lot recall: ExoGlow Regenerative Serum 5 ml lot EX-2311-0457"


def test_recall_counts_speak_in_the_singular() -> None:
    assert recall((recall_row(7),)).count_text == "1 patient, 1 session"
    two_sessions = (recall_row(7), recall_row(7, session_date=date(2026, 6, 1)))
    assert recall(two_sessions).count_text == "1 patient, 2 sessions"
    # Same name, different dates of birth: two people.
    namesakes = (recall_row(7), recall_row(8, patient_name="Patient 007"))
    assert recall(namesakes).count_text == "2 patients, 2 sessions"


def test_recall_order_keeps_each_patients_sessions_together() -> None:
    rows = (
        recall_row(1, patient_name="Tomasz Nowak", session_date=date(2026, 2, 1)),
        recall_row(2, patient_name="Şükrü Öztürk"),
        recall_row(3, patient_name="Amélie Dubois"),
        recall_row(1, patient_name="Tomasz Nowak", session_date=date(2026, 1, 1)),
        recall_row(4, patient_name="Rahul Mehta", date_of_birth=None),
    )
    ordered = recall_order(rows)
    assert [r.patient_name for r in ordered] == [
        "Amélie Dubois",
        "Rahul Mehta",
        "Şükrü Öztürk",  # among the S names, not after Z
        "Tomasz Nowak",
        "Tomasz Nowak",
    ]
    assert ordered[3].session_date < ordered[4].session_date
    text = pdf_text(render_recall_report(recall(rows)))
    positions = [text.index(f"{row.patient_name} Born") for row in ordered]
    assert positions == sorted(positions)


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_recall_long_names_and_emails_wrap_inside_their_columns(paper: str) -> None:
    row = recall_row(1, patient_name=LONG_NAME, email=LONG_EMAIL)
    clinic = dataclasses.replace(CLINIC, paper_size=paper)
    pdf = render_recall_report(recall((row,), clinic=clinic))
    edges = column_edges(RECALL_COLUMNS, paper)
    assert_within_column(pdf, LONG_NAME, edges[0], edges[1])
    assert_within_column(pdf, LONG_EMAIL, edges[1], edges[2])
    # The name breaks at spaces and after its hyphens, never inside a word.
    words = re.compile(r"[^\s-]+-?")
    name_lines = [c.text for c in chunks(pdf) if c.text in LONG_NAME and len(c.text) > 3]
    assert len(name_lines) >= 2
    for line in name_lines:
        assert set(words.findall(line)) <= set(words.findall(LONG_NAME)), line
    assert any(line.endswith("-") for line in name_lines)


# ---- due list ---------------------------------------------------------------------------------


def test_due_list_prints_overdue_first_with_the_state_in_words() -> None:
    report = due_list()
    assert report.count_text == "4 to call: 2 overdue, 2 due"
    text = pdf_text(render_due_list(report))
    assert "4 to call: 2 overdue, 2 due" in text
    assert text.index("Overdue (2)") < text.index("Tomasz Nowak") < text.index("Grace Okafor")
    assert text.index("Grace Okafor") < text.index("Due (2)") < text.index("Amélie Dubois")
    assert text.index("Amélie Dubois") < text.index("Rahul Mehta")
    for row in DUE_ROWS:
        # Each row carries its state as a word, not only by the group it sits in.
        line = f"{row.window_text} {DUE_STATES[row.state]}"
        assert text.count(line) >= 1, line
    assert text.count("Maintenance overdue") == 1
    assert text.count("Maintenance due") == 1
    for expected in ("Called Patient Phone Treatment Window State", "session 3 of 4"):
        assert expected in text
    assert "Exosome scalp treatment" in text


def test_due_call_order_is_stable_within_a_state() -> None:
    rows = (
        due_row("A", "maintenance_due"),
        due_row("B", "due"),
        due_row("C", "maintenance_overdue"),
        due_row("D", "overdue"),
        due_row("E", "due"),
        due_row("F", "overdue"),
    )
    assert [r.patient_name for r in due_call_order(rows)] == ["D", "F", "C", "B", "E", "A"]


def test_due_list_has_one_tick_box_per_row() -> None:
    rows = tuple(due_row(f"Patient {n}", state) for n, state in enumerate(DUE_STATES))
    pdf = render_due_list(due_list(rows * 10))
    squares = 0
    for page in reader(pdf).pages:
        for operands, operator in ContentStream(page.get_contents(), reader(pdf)).operations:
            if operator == b"re":
                _, _, w, h = (float(v) for v in operands)
                squares += abs(w - h) < 0.01 and 8 < w < 12
    assert squares == 40


def test_the_printed_words_follow_the_call_order() -> None:
    assert tuple(DUE_STATES) == DUE_ORDER


def test_due_row_refuses_an_unknown_state() -> None:
    with pytest.raises(ValueError, match="Unknown due state"):
        due_row("Ann", "late")


def test_due_list_without_rows_says_so() -> None:
    text = pdf_text(render_due_list(due_list(())))
    assert EMPTY_DUE_LIST in text
    assert "Called" not in text


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_due_list_keeps_long_names_and_windows_in_their_columns(paper: str) -> None:
    clinic = dataclasses.replace(CLINIC, paper_size=paper)
    pdf = render_due_list(due_list((due_row(LONG_NAME, "overdue"),), clinic=clinic))
    edges = column_edges(DUE_COLUMNS, paper)
    assert_within_column(pdf, LONG_NAME, edges[1], edges[2])
    # The window fits on one line; "Maintenance overdue" wraps only between its words.
    assert "1 Dec – 15 Dec 2026" in {c.text for c in chunks(pdf)}
    maintenance = render_due_list(due_list((due_row("Ann", "maintenance_overdue"),)))
    assert {"Maintenance", "overdue"} <= {c.text for c in chunks(maintenance)}


# ---- all three --------------------------------------------------------------------------------


def script_name_report(kind: str, name: str) -> bytes:
    if kind == "adverse_event":
        return render_adverse_event_report(event(practitioner=name, reporter_name=name))
    if kind == "recall":
        return render_recall_report(recall((recall_row(1, patient_name=name),)))
    return render_due_list(due_list((due_row(name, "overdue"), due_row(name, "due"))))


@pytest.mark.parametrize("kind", RENDERERS)
@pytest.mark.parametrize("name", SCRIPT_NAMES)
def test_names_in_several_scripts_print_with_real_glyphs(kind: str, name: str) -> None:
    pdf = script_name_report(kind, name)
    text = pdf_text(pdf)
    assert name in text
    assert PLACEHOLDER not in text
    wanted = {"DroidSansFallback"} if name == "李小龍" else {"DejaVuSans", "DejaVuSans-Bold"}
    for word in re.split(r"[\s-]+", name):
        fonts = {base_name(font) for font in fonts_drawing(pdf, word)}
        assert fonts, word
        assert fonts <= wanted, (word, fonts)


@pytest.mark.parametrize("kind", RENDERERS)
def test_hostile_text_in_names_prints_as_typed(kind: str) -> None:
    name = f"Ann {HOSTILE}"
    text = pdf_text(script_name_report(kind, name))
    # A narrow column may wrap the markup-like word; every character prints, none is parsed.
    assert squash(name) in squash(text)
    assert "Ann <b>x</b> & Co &amp;" in text


@pytest.mark.parametrize("kind", RENDERERS)
def test_same_data_gives_identical_bytes(kind: str) -> None:
    make, render = RENDERERS[kind]
    first = render(make())
    assert render(make()) == first
    assert render(make(printed_on=date(2026, 12, 3))) != first


@pytest.mark.parametrize("kind", RENDERERS)
@pytest.mark.parametrize(("paper", "size"), [("A4", A4_SIZE), ("Letter", LETTER_SIZE)])
def test_paper_size_comes_from_the_clinic(kind: str, paper: str, size: tuple[float, float]) -> None:
    make, render = RENDERERS[kind]
    pdf = render(make(clinic=dataclasses.replace(CLINIC, paper_size=paper)))
    for page in reader(pdf).pages:
        box = page.mediabox
        assert (round(float(box.width), 2), round(float(box.height), 2)) == size


def test_the_regulator_report_names_allergies_and_an_allergy_override() -> None:
    """Relevant history and an override are printed only when there is something to say."""
    override = (
        "Lidocaine 5% cream contains lidocaine: the patient is allergic to Lidocaine "
        "(anaphylaxis). Went ahead because: allergist's letter seen"
    )
    report = event(
        event_type="allergic_reaction",
        patient_allergies="Lidocaine (anaphylaxis; throat swelled)",
        allergy_override=override,
    )
    fields = {(s.title, f.label): f.value for s in adverse_event_sections(report) for f in s.fields}
    assert fields["Patient", "Known allergies"] == "Lidocaine (anaphylaxis; throat swelled)"
    assert fields["Procedure", "Allergy override"] == override
    text = pdf_text(render_adverse_event_report(report))
    assert "Known allergies Lidocaine (anaphylaxis; throat swelled)" in text
    assert "Allergy override Lidocaine 5% cream contains lidocaine" in text
    plain = {f.label for s in adverse_event_sections(event()) for f in s.fields}
    assert not plain & {"Known allergies", "Allergy override"}


SECOND_PRODUCT = dict(name="Lidocaine 5% cream", manufacturer="Acme", lot_number="LC-9")


@pytest.mark.parametrize(
    "changes",
    [
        {"products": (product(), product(**SECOND_PRODUCT))},
        {"products": (product(), product(**SECOND_PRODUCT)), "patient_allergies": "Latex"},
        {"products": (product(), product(**SECOND_PRODUCT), product(**SECOND_PRODUCT))},
        {"patient_allergies": "Lidocaine", "allergy_override": "Plain serum only; Dr agreed."},
    ],
    ids=["two-products", "two-and-allergies", "three-products", "override"],
)
@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_a_second_page_never_holds_one_box_alone(changes: dict[str, Any], paper: str) -> None:
    # Two products pushed "Already reported" (one row of boxes) alone onto page 2.
    clinic = dataclasses.replace(CLINIC, paper_size=paper)
    report = event(clinic=clinic, **changes)
    pages = page_texts(render_adverse_event_report(report))
    titles = [section.title for section in adverse_event_sections(report)]
    for number, page in enumerate(pages[1:], start=2):
        # The running header and the footer (which names the patient) read back last.
        body = page.rsplit(f"{CLINIC.name} Adverse event report Page", 1)[0]
        # Each later page starts with a whole section and holds at least two.
        assert any(body.startswith(f"{t} ") for t in titles), (number, body[:80])
        assert sum(f"{t} " in body for t in titles) >= 2, (number, body)
