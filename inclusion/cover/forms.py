from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import InputRequired, Length

from inclusion.forms import strip_whitespace


class CoverForm(FlaskForm):
    """Ask for cover: a short note for whoever is asked (optional)."""

    note = TextAreaField(
        _l("A note for the volunteers asked (optional)"),
        filters=[strip_whitespace],
        validators=[Length(max=200)],
        description=_l("For example: my grandchild's school event. Up to 200 characters."),
    )


class SwapForm(FlaskForm):
    """Choose the other volunteer's shift to exchange for one's own."""

    wanted = RadioField(
        _l("Swap with"), coerce=int, validators=[InputRequired(_l("Choose a shift."))]
    )
    note = TextAreaField(
        _l("A note for the other volunteer (optional)"),
        filters=[strip_whitespace],
        validators=[Length(max=200)],
    )

    def __init__(self, choices: list[SelectChoice], *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.wanted.choices = choices
