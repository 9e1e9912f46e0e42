"""The error services raise when a business rule refuses a change."""

from __future__ import annotations


class RuleViolation(ValueError):
    """A rule refused the change; ``message`` is for the user, shown next to ``field``."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class Conflict(RuleViolation):
    """The change clashes with what is there: a place taken, a room in use, a double booking.

    Pages show it like any refusal; the API answers 409 rather than 422.
    """
