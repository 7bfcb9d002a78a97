"""Internal names in plain words (issue #18): ids, audit actions, tables, fields, values."""

from __future__ import annotations

import re

import pytest

from exodesk.domain import vocabulary as v
from exodesk.services.vocabulary import vocabulary

# Built from the bundled rule table and comparison, as every screen gets it.
WORDS = vocabulary()
SNAKE = re.compile(r"[a-z]+_[a-z_]+")


def test_without_the_resources_ids_are_still_said_in_words() -> None:
    bare = v.Vocabulary()
    assert bare.treatment("exosome_face") == "Exosome facial"  # the sessions' own names
    assert bare.verdict("defer") == "Defer"
    assert bare.words("Intake screening — exosome_face defer") == (
        "Intake screening — Exosome facial: Defer"
    )


@pytest.mark.parametrize(
    ("items", "said"),
    [([], ""), (["a"], "a"), (["a", "b"], "a and b"), (["a", "b", "c"], "a, b and c")],
)
def test_a_list_is_said_as_a_sentence_says_it(items: list[str], said: str) -> None:
    assert v.join_words(items) == said


def test_treatments_and_verdicts_take_the_resources_names() -> None:
    assert WORDS.treatment("exosome_face") == "Exosome facial"
    assert WORDS.treatment("hair_transplant") == "Hair transplant surgery"  # the comparison's
    assert WORDS.treatment("some_new_thing") == "Some new thing"
    assert WORDS.verdict("defer") == "Not yet"
    assert WORDS.treatment_list("exosome_scalp,prp,microneedling,hair_transplant") == (
        "Exosome scalp treatment, PRP (platelet-rich plasma), Microneedling and "
        "Hair transplant surgery"
    )
    assert WORDS.document("comparison", "exosome_face,prp") == (
        "Treatment comparison: Exosome facial and PRP (platelet-rich plasma)"
    )
    assert WORDS.document("aftercare", "microneedling") == "Aftercare sheet: Microneedling"


@pytest.mark.parametrize(
    ("stored", "said", "patient_copy"),
    [
        (
            "Intake screening — exosome_face defer, exosome_scalp proceed, prp review",
            "Intake screening — Exosome facial: Not yet; Exosome scalp treatment: Go ahead; "
            "PRP (platelet-rich plasma): Needs a doctor's review first",
            None,
        ),
        (
            "exosome_face: defer overridden — Patch test clear",
            "Exosome facial: “Not yet” overridden — Patch test clear",
            None,
        ),
        ("prp: Cleared", "PRP (platelet-rich plasma): Cleared", None),
        (
            "Aftercare sheet (exosome_face) reprinted: saved:/tmp/x_y/Aftercare Zoë.pdf",
            "Aftercare sheet (Exosome facial) saved again as “Aftercare Zoë.pdf”",
            "Aftercare sheet (Exosome facial) saved again to a file",
        ),
        (
            "Recall list for “VC-2411” saved:C:\\Users\\desk\\Recall VC-2411.pdf: 3 patients",
            "Recall list for “VC-2411” saved as “Recall VC-2411.pdf”: 3 patients",
            "Recall list for “VC-2411” saved to a file: 3 patients",
        ),
        (
            "Treatment comparison saved: exosome_scalp, prp, hair_transplant",
            "Treatment comparison saved: Exosome scalp treatment, PRP (platelet-rich plasma) "
            "and Hair transplant surgery",
            None,
        ),
        ("Changed family_name, gp, phone", "Changed family name, GP and phone", None),
        (
            "Clinic settings: address, out_of_hours",
            "Clinic settings: address and out-of-hours phone",
            None,
        ),
        ("Changed Tom Reyes (Reception): role, admin", None, None),
        ("Registered O'BRIEN, Zoë", None, None),
        # A file the user named after a treatment id is their file name, kept as named.
        (
            "Screening summary saved:/home/desk/prp.pdf",
            "Screening summary saved as “prp.pdf”",
            "Screening summary saved to a file",
        ),
    ],
)
def test_a_stored_sentence_is_said_in_words(
    stored: str, said: str | None, patient_copy: str | None
) -> None:
    said = said or stored.replace("role, admin", "role and admin")
    assert WORDS.words(stored) == said
    assert WORDS.words(stored, file_names=False) == (patient_copy or said)


def test_every_action_and_table_the_services_write_has_words() -> None:
    for action in v.AUDIT_ACTIONS:
        assert not SNAKE.search(v.audit_action(action))
    assert v.audit_action("print", "Aftercare sheet (prp) printed") == "Printed"
    assert v.audit_action("print", "Screening summary saved:/x.pdf") == "Saved to a file"
    assert v.audit_what("documents_issued", 2) == "Handout no. 2"
    assert v.audit_what("settings", None) == "Clinic settings"
    assert v.audit_what("a_future_table", 3) == "A future table no. 3"
    assert v.audit_action("a_future_action") == "A future action"


def test_fields_and_values_as_people_read_them() -> None:
    assert v.field_label("date_of_birth") == "date of birth"
    assert v.field_label("gp") == "GP"
    assert v.field_label("some_new_field") == "some new field"
    assert v.value_words(["a.pdf", "a.json"]) == "a.pdf and a.json"
    assert v.value_words("1985-04-03") == "3 Apr 1985"
    assert v.value_words(None) == "—"
    assert v.value_words(True) == "yes"
    assert v.value_words({"out_of_hours": "07700"}) == "out-of-hours phone: 07700"
    assert v.file_name("C:\\Users\\desk\\a b.pdf") == "a b.pdf"
    assert v.file_name("/tmp/x/a.pdf") == "a.pdf"
