"""Forms shared by every feature."""

from flask_wtf import FlaskForm


class ButtonForm(FlaskForm):
    """An empty form: a POST button that carries only the CSRF token."""


def strip_whitespace(value: str | None) -> str | None:
    """Drop the spaces people paste around what they type (full-width ones too)."""
    return value.strip() if isinstance(value, str) else value
