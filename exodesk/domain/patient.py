"""Patients: the record, its validation, and how names and phones are folded for search."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date

from exodesk.domain.dates import EARLIEST_BIRTH_YEAR, age_on, parse_user_date
from exodesk.domain.problems import Problem, check_text

SEXES: dict[str, str] = {
    "female": "Female",
    "male": "Male",
    "other": "Other / self-described",
    "not_stated": "Not stated",
}
STATUSES = ("active", "inactive", "merged")

# Field limits. Notes are generous (a 10,000-character note is stored whole); the rest are
# sized for what a form and a printed header can show.
LIMITS: dict[str, int] = {
    "family_name": 100,
    "given_names": 100,
    "phone": 40,
    "email": 254,
    "address": 400,
    "emergency_contact": 200,
    "gp": 200,
    "alerts": 500,
    "notes": 20_000,
}
LABELS: dict[str, str] = {
    "family_name": "Family name",
    "given_names": "Given names",
    "date_of_birth": "Date of birth",
    "sex": "Sex",
    "phone": "Phone",
    "email": "Email",
    "address": "Address",
    "emergency_contact": "Emergency contact",
    "gp": "GP / physician",
    "alerts": "Alerts",
    "notes": "Notes",
}
_MULTILINE = {"address", "notes", "emergency_contact", "gp", "alerts"}
_PHONE = re.compile(r"^[0-9+()\-\s./]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def list_name(family_name: str, given_names: str) -> str:
    """A patient's name as every list shows it, family name first: ``O'BRIEN-ŁUKASZ, Zoë``."""
    return f"{family_name.strip().upper()}, {given_names.strip()}"


@dataclass(frozen=True)
class Patient:
    """A patient as reception registers them. ``id`` is None until saved."""

    family_name: str
    given_names: str
    date_of_birth: date | None
    sex: str = "not_stated"
    phone: str = ""
    email: str = ""
    address: str = ""
    emergency_contact: str = ""
    gp: str = ""
    alerts: str = ""
    notes: str = ""
    id: int | None = None
    status: str = "active"
    status_reason: str = ""
    version: int = field(default=1, compare=False)

    @property
    def display_name(self) -> str:
        """Family name first, as a clinic list reads: ``O'BRIEN-ŁUKASZ, Zoë``."""
        return list_name(self.family_name, self.given_names)

    @property
    def full_name(self) -> str:
        """Given names then family name, as printed on a patient's handout."""
        return f"{self.given_names.strip()} {self.family_name.strip()}".strip()

    def age(self, today: date) -> int | None:
        return age_on(self.date_of_birth, today) if self.date_of_birth else None

    def normalised(self) -> Patient:
        """Trim surrounding spaces from the one-line fields; free text stays exactly as typed."""
        return replace(
            self,
            family_name=self.family_name.strip(),
            given_names=self.given_names.strip(),
            phone=self.phone.strip(),
            email=self.email.strip(),
        )

    def validate(self, today: date) -> list[Problem]:
        """Return every problem with this record (empty when it can be saved)."""
        problems: list[Problem] = []
        for key in ("family_name", "given_names"):
            problems += check_text(
                key, getattr(self, key), LABELS[key], required=True, max_len=LIMITS[key]
            )
        problems += _check_birth(self.date_of_birth, today)
        if self.sex not in SEXES:
            problems.append(Problem("sex", "Choose one of the listed options for sex."))
        for key in ("phone", "email", "address", "emergency_contact", "gp", "alerts", "notes"):
            problems += check_text(
                key,
                getattr(self, key),
                LABELS[key],
                max_len=LIMITS[key],
                multiline=key in _MULTILINE,
            )
        if self.phone.strip():
            if not _PHONE.match(self.phone):
                problems.append(
                    Problem("phone", "Phone may hold only digits, spaces, +, - and ( ).")
                )
            elif sum(c.isdigit() for c in self.phone) < 5:
                problems.append(Problem("phone", "Phone looks too short to dial."))
        if self.email.strip() and not _EMAIL.match(self.email.strip()):
            problems.append(Problem("email", "Email needs the form name@example.com."))
        if self.status not in STATUSES:
            problems.append(Problem("status", f"Unknown status {self.status!r}."))
        return _first_per_field(problems)


def _check_birth(dob: date | None, today: date) -> list[Problem]:
    if dob is None:
        return [Problem("date_of_birth", "Date of birth is needed.")]
    if dob > today:
        return [Problem("date_of_birth", "Date of birth cannot be in the future.")]
    if dob.year < EARLIEST_BIRTH_YEAR:
        return [
            Problem("date_of_birth", f"Date of birth before {EARLIEST_BIRTH_YEAR} is not possible.")
        ]
    return []


def _first_per_field(problems: list[Problem]) -> list[Problem]:
    seen: set[str] = set()
    out = []
    for p in problems:
        if p.field not in seen:
            seen.add(p.field)
            out.append(p)
    return out


def parse_birth_date(text: str, *, day_first: bool, today: date) -> date:
    """Parse a typed date of birth; two-digit years land in the past.

    Raises:
        ValueError: with a plain message for text that is not a real date.
    """
    return parse_user_date(text, day_first=day_first, pivot_today=today, relative_to=today)


# ---- search folding -------------------------------------------------------------------------

# Letters that Unicode does not decompose into a base letter plus an accent.
_FOLD_EXTRA = str.maketrans(
    {
        "ł": "l",
        "Ł": "l",
        "ø": "o",
        "Ø": "o",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "Ð": "d",
        "ß": "ss",
        "ẞ": "ss",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ı": "i",
        "þ": "th",
        "Þ": "th",
        "ħ": "h",
        "Ħ": "h",
    }
)
_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Lower-case and strip accents so "Zoë", "ZOE" and "zoe" compare equal."""
    text = unicodedata.normalize("NFKD", text.translate(_FOLD_EXTRA))
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


def _is_ideograph(ch: str) -> bool:
    # Han, Hiragana, Katakana and Hangul syllables: no spaces between words, so each
    # character is a search token of its own ("小龍" finds 李小龍).
    cp = ord(ch)
    return (
        0x3040 <= cp <= 0x30FF
        or 0x3400 <= cp <= 0x4DBF
        or 0x4E00 <= cp <= 0x9FFF
        or 0xAC00 <= cp <= 0xD7AF
        or 0xF900 <= cp <= 0xFAFF
        or 0x20000 <= cp <= 0x2FA1F
    )


def search_tokens(text: str) -> list[str]:
    """Split text into folded search tokens (ideographs one by one, underscores dropped)."""
    tokens: list[str] = []
    for word in _WORD.findall(fold(text).replace("_", " ")):
        run = ""
        for ch in word:
            if _is_ideograph(ch):
                if run:
                    tokens.append(run)
                    run = ""
                tokens.append(ch)
            else:
                run += ch
        if run:
            tokens.append(run)
    return tokens


def name_search_text(family_name: str, given_names: str) -> str:
    """The text indexed for a patient's names.

    Every token, plus each word with its apostrophes and hyphens closed up, so "obrien" and
    "o'brien" both find O'Brien-Łukasz.
    """
    tokens: list[str] = []
    for part in f"{family_name} {given_names}".split():
        pieces = search_tokens(part)
        tokens += pieces
        joined = "".join(pieces)
        if len(pieces) > 1 and not any(_is_ideograph(c) for c in joined):
            tokens.append(joined)
    return " ".join(dict.fromkeys(tokens))


def phone_digits(phone: str) -> str:
    return "".join(c for c in phone if c.isdigit())


def phone_search_text(phone: str) -> str:
    """Every ending of the phone's digits, three digits or longer.

    A prefix search over these finds any run of digits the receptionist remembers, with or
    without spaces, "0770 090" or "900123".
    """
    digits = phone_digits(phone)
    return " ".join(digits[i:] for i in range(0, max(len(digits) - 2, 0)))


def sort_key(family_name: str, given_names: str) -> str:
    return f"{fold(family_name.strip())}\x1f{fold(given_names.strip())}"


# ---- what the search box means ----------------------------------------------------------------

_DATE_LIKE = re.compile(r"^\s*\d{1,4}[./\-\s]\d{1,2}[./\-\s]\d{2,4}\s*$")
_PHONE_LIKE = re.compile(r"^[\d\s+()\-./]+$")


@dataclass(frozen=True)
class PatientQuery:
    """A search box's text, understood.

    ``kind`` is ``all`` (empty box), ``dob`` (a date of birth), ``phone`` (digits; a four-digit
    number that could be a year also matches birth years), ``name`` (tokens, each a prefix of
    some name word), or ``invalid`` (looked like a date but is not one: ``message`` says why).
    """

    kind: str
    tokens: tuple[str, ...] = ()
    dob: date | None = None
    digits: str = ""
    birth_year: int | None = None
    message: str = ""


def parse_query(text: str, *, day_first: bool, today: date) -> PatientQuery:
    """Work out what the receptionist typed: a date of birth, a phone number or names."""
    stripped = text.strip()
    if not stripped:
        return PatientQuery("all")
    if _DATE_LIKE.match(stripped):
        try:
            return PatientQuery(
                "dob", dob=parse_birth_date(stripped, day_first=day_first, today=today)
            )
        except ValueError as exc:
            return PatientQuery("invalid", message=str(exc))
    if _PHONE_LIKE.match(stripped):
        digits = phone_digits(stripped)
        if len(digits) >= 3:
            year = int(digits) if len(digits) == 4 else None
            if year is not None and not EARLIEST_BIRTH_YEAR <= year <= today.year:
                year = None
            return PatientQuery("phone", digits=digits, birth_year=year)
    tokens = tuple(dict.fromkeys(search_tokens(stripped)))
    if not tokens:
        return PatientQuery(
            "invalid", message="Type part of a name, a phone number or a date of birth."
        )
    return PatientQuery("name", tokens=tokens)
