"""Clinic settings: who the clinic is, where, and how it prints. Validation returns problems."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from exodesk.domain.problems import Problem, check_text

PAPER_SIZES = ("A4", "Letter")

# Jurisdictions the regulatory notes know about; "OTHER" gets only the worldwide facts.
COUNTRIES: dict[str, str] = {
    "GB": "United Kingdom",
    "IE": "Ireland",
    "US": "United States",
    "CA": "Canada",
    "AU": "Australia",
    "NZ": "New Zealand",
    "OTHER": "Another country",
}

MAX_LOGO_BYTES = 1_000_000
_PHONE_CHARS = re.compile(r"^[0-9+()\-\s./]*$")


@dataclass(frozen=True)
class ClinicSettings:
    """The clinic's own details, stored in the data file so they travel with backups."""

    name: str = ""
    address: str = ""
    phone: str = ""
    out_of_hours: str = ""
    country: str = "GB"
    paper_size: str = "A4"
    logo_png: bytes | None = field(default=None, repr=False)
    screening_valid_days: int = 30
    idle_lock_minutes: int = 10
    """After this many minutes without a key press or click, the window hides patient data
    behind the lock screen (2 to 30)."""
    require_baseline_photos: bool = False
    """Refuse to save the first session of a course until a baseline photo set of the treated
    area (at least one photo) is stored for the course."""

    @property
    def country_name(self) -> str:
        return COUNTRIES.get(self.country, self.country)

    def validate(self) -> list[Problem]:
        """Return every problem with these settings (empty when they can be saved)."""
        problems: list[Problem] = []
        problems += check_text("name", self.name, "Clinic name", required=True, max_len=120)
        problems += check_text("address", self.address, "Address", max_len=400, multiline=True)
        for key, value, label in (
            ("phone", self.phone, "Phone"),
            ("out_of_hours", self.out_of_hours, "Out-of-hours number"),
        ):
            problems += check_text(key, value, label, max_len=40)
            if value.strip() and not _PHONE_CHARS.match(value):
                problems.append(
                    Problem(key, f"{label} may hold only digits, spaces, +, -, ( and ).")
                )
            elif value.strip() and sum(c.isdigit() for c in value) < 5:
                problems.append(Problem(key, f"{label} looks too short to dial."))
        if self.country not in COUNTRIES:
            problems.append(Problem("country", "Choose the clinic's country from the list."))
        if self.paper_size not in PAPER_SIZES:
            problems.append(Problem("paper_size", "Paper size must be A4 or Letter."))
        if self.logo_png is not None:
            if len(self.logo_png) > MAX_LOGO_BYTES:
                problems.append(
                    Problem("logo", "The logo is larger than 1 MB; use a smaller image.")
                )
            elif not self.logo_png.startswith(b"\x89PNG\r\n\x1a\n"):
                problems.append(Problem("logo", "The logo must be stored as a PNG image."))
        days = self.screening_valid_days
        # Whole days only: 1.5 or True would be stored as given and counted as some other day.
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
            problems.append(
                Problem("screening_valid_days", "A screening can stay valid for 1 to 365 days.")
            )
        idle = self.idle_lock_minutes
        if isinstance(idle, bool) or not isinstance(idle, int) or not 2 <= idle <= 30:
            problems.append(
                Problem("idle_lock_minutes", "The screen can lock after 2 to 30 idle minutes.")
            )
        if not isinstance(self.require_baseline_photos, bool):
            problems.append(
                Problem("require_baseline_photos", "Say yes or no to requiring baseline photos.")
            )
        return problems
