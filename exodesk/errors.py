"""The two kinds of expected failure; anything else is a bug and reaches the crash handler."""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix: said in one plain sentence, with what to do next.

    Args:
        message: What is wrong, in plain words.
        advice: What to do about it (optional).
        field: The form field the problem belongs to, so a dialog can show it beside it.
    """

    def __init__(self, message: str, *, advice: str = "", field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.advice = advice
        self.field = field

    def __str__(self) -> str:
        return f"{self.message} {self.advice}".strip()


class StorageError(UserError):
    """The data file cannot be used as asked: locked, read-only, corrupt, full, foreign, newer."""
