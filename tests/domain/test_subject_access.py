"""The export's pure parts: file names, decoded values, the JSON document."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime

import pytest

from exodesk.domain.subject_access import (
    TABLES,
    PatientExport,
    decode_row,
    decode_value,
    export_json,
    file_stem,
)

DAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("Zoë Ñúñez", "17-Zoë-Ñúñez-2026-11-22"),
        ("王 小明", "17-王-小明-2026-11-22"),
        ('Ann "Nan" O\'Brien / Smith?', "17-Ann-Nan-O'Brien-Smith-2026-11-22"),
        ("  ..  ", "17-patient-2026-11-22"),
        ("A" * 200, f"17-{'A' * 60}-2026-11-22"),
    ],
)
def test_file_stem_is_safe_everywhere(name: str, stem: str) -> None:
    assert file_stem(17, name, DAY) == stem


def test_values_are_decoded_only_where_the_schema_stores_structures() -> None:
    assert decode_value("screenings", "result", '{"a": [1]}') == {"a": [1]}
    assert decode_value("screenings", "rule_overrides", "") is None
    assert decode_value("audit_log", "after", "not json") == "not json"
    assert decode_value("sessions", "areas", "face,neck") == ["face", "neck"]
    assert decode_value("sessions", "areas", "") == []
    # A note that looks like JSON stays the text it is.
    assert decode_value("patients", "notes", '["a"]') == '["a"]'
    png = b"\x89PNG\r\n\x1a\nxyz"
    assert decode_value("consents", "signature_png", png) == {
        "media_type": "image/png",
        "base64": base64.b64encode(png).decode("ascii"),
    }


def test_the_json_starts_with_what_it_contains() -> None:
    export = PatientExport(
        patient_id=3,
        patient_name="Zoë Ñúñez",
        generated_at=datetime(2026, 11, 22, 10, tzinfo=UTC),
        clinic_name="Riverside",
        tables={"patients": [decode_row("patients", {"id": 3, "notes": "n"})], "sessions": []},
    )
    text = export_json(export, generator="ExoDesk 0.1.0", pdf_name="3-Zoë-Ñúñez-2026-11-22.pdf")
    assert "Zoë" in text, "UTF-8 as is, not escaped"
    document = json.loads(text)
    assert list(document) == ["about_this_file", "tables"]
    about = document["about_this_file"]
    assert about["tables"]["patients"] == {
        "description": TABLES["patients"].description,
        "linked_by": TABLES["patients"].linked_by,
        "rows": 1,
    }
    assert about["readable_copy"] == "3-Zoë-Ñúñez-2026-11-22.pdf"
    assert document["tables"] == {"patients": [{"id": 3, "notes": "n"}], "sessions": []}
    assert export.counts == {"patients": 1, "sessions": 0}
