from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from inclusion.auth.forms import REQUIRED
from inclusion.forms import EditForm, WholeNumberField, strip_whitespace
from inclusion.venues.models import VENUE_KIND_LABELS

WHOLE_NUMBER = _l("Enter a whole number, such as 20.")


class VenueForm(EditForm):
    name = StringField(
        _l("Venue name"),
        filters=[strip_whitespace],
        validators=[DataRequired(REQUIRED), Length(max=100)],
    )
    kind = SelectField(
        _l("Kind of place"),
        choices=[SelectChoice(kind.value, label) for kind, label in VENUE_KIND_LABELS.items()],
        validators=[InputRequired(REQUIRED)],
    )
    address = StringField(
        _l("Address"),
        filters=[strip_whitespace],
        validators=[DataRequired(REQUIRED), Length(max=200)],
    )
    default_capacity = WholeNumberField(
        _l("Capacity (people)"),
        bad_input=WHOLE_NUMBER,
        validators=[
            InputRequired(WHOLE_NUMBER),
            NumberRange(1, 1000, _l("Enter a number from 1 to 1,000.")),
        ],
    )
    has_step_free_access = BooleanField(_l("Step-free entrance"))
    has_lift = BooleanField(_l("Lift"))
    has_hearing_loop = BooleanField(_l("Hearing loop"))
    access_notes = TextAreaField(
        _l("Access notes"),
        filters=[strip_whitespace],
        validators=[Length(max=2000)],
        description=_l("For example: nearest station, entrance, where to wait."),
    )
    is_active = BooleanField(_l("In use"), default=True)
    submit = SubmitField(_l("Save"))

    def venue_data(self) -> dict[str, object]:
        return {
            name: field.data
            for name, field in self._fields.items()
            if name not in ("submit", "csrf_token")
        }
