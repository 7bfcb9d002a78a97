"""Helpers for reading rendered PDFs back in report tests: text, fonts per run, page sizes."""

from __future__ import annotations

import io
from dataclasses import dataclass

from pypdf import PdfReader


@dataclass(frozen=True)
class DrawnText:
    """One text chunk as drawn: its text, font (BaseFont), size in points and RGB fill colour."""

    text: str
    font: str
    size: float
    colour: tuple[float, float, float] | None


def reader(pdf: bytes) -> PdfReader:
    """Open PDF bytes with pypdf."""
    return PdfReader(io.BytesIO(pdf))


def page_texts(pdf: bytes) -> list[str]:
    """Return each page's extracted text, whitespace collapsed to single spaces."""
    return [" ".join((page.extract_text() or "").split()) for page in reader(pdf).pages]


def pdf_text(pdf: bytes) -> str:
    """Return the whole document's text, whitespace collapsed to single spaces."""
    return " ".join(page_texts(pdf))


def drawn_text(pdf: bytes) -> list[DrawnText]:
    """Return every non-empty text chunk with the font and size it was drawn in."""
    chunks: list[DrawnText] = []
    # pypdf hands text over when a text object ends, so the last fill colour set before
    # then is the one the text was drawn in (reportlab sets it inside each q ... Q block).
    fill: list[tuple[float, float, float] | None] = [None]

    def operator(op: bytes, args: list, _cm, _tm) -> None:
        if op == b"rg":
            fill[0] = (float(args[0]), float(args[1]), float(args[2]))
        elif op == b"g":
            fill[0] = (float(args[0]),) * 3

    def visit(text, _cm, tm, font_dict, font_size) -> None:
        if text.strip() and font_dict is not None:
            scale = abs(tm[3]) if tm and tm[3] else 1.0
            font = str(font_dict["/BaseFont"])
            chunks.append(DrawnText(text, font, font_size * scale, fill[0]))

    for page in reader(pdf).pages:
        page.extract_text(visitor_text=visit, visitor_operand_before=operator)
    return chunks


def fonts_drawing(pdf: bytes, fragment: str) -> set[str]:
    """Return the BaseFont names of the chunks whose text contains ``fragment``."""
    return {chunk.font for chunk in drawn_text(pdf) if fragment in chunk.text}


def page_fonts(pdf: bytes) -> list[set[str]]:
    """Return, per page, the BaseFont names in the page's /Font resources."""
    result = []
    for page in reader(pdf).pages:
        fonts = page["/Resources"].get("/Font", {})
        result.append({str(ref.get_object()["/BaseFont"]) for ref in fonts.values()})
    return result


def base_name(font: str) -> str:
    """Strip the subset prefix: ``/AAAAAA+DejaVuSans`` becomes ``DejaVuSans``."""
    return font.lstrip("/").split("+", 1)[-1]
