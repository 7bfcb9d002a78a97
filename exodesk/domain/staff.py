"""Staff members and their roles; the person at the desk is recorded on every change."""

from __future__ import annotations

from dataclasses import dataclass

from exodesk.domain.problems import Problem, check_text

ROLES: dict[str, str] = {
    "reception": "Reception",
    "practitioner": "Practitioner",
}


@dataclass(frozen=True)
class StaffMember:
    """A person who works at the clinic. ``id`` is None until saved.

    ``role`` is reception or practitioner; ``is_admin`` adds the running of the clinic
    (settings, accounts, backups, the audit trail, export) to either role.
    """

    name: str
    role: str
    active: bool = True
    id: int | None = None
    is_admin: bool = False

    @property
    def role_label(self) -> str:
        label = ROLES.get(self.role, self.role)
        return f"{label}, admin" if self.is_admin else label

    @property
    def label(self) -> str:
        return f"{self.name} ({self.role_label})"

    def validate(self) -> list[Problem]:
        problems = check_text("name", self.name, "Name", required=True, max_len=100)
        if self.role not in ROLES:
            problems.append(Problem("role", "Choose reception or practitioner."))
        return problems
