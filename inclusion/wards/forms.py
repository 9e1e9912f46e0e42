from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from inclusion.auth.forms import REQUIRED
from inclusion.forms import EditForm, WholeNumberField, strip_whitespace
from inclusion.sessions.forms import NUMBER_HINT


class WardContactForm(EditForm):
    """How residents book: printed on the public page and flyers."""

    booking_phone = StringField(
        _l("Phone number for bookings"),
        filters=[strip_whitespace],
        validators=[Length(max=30)],
        description=_l("For example 03-1234-5678."),
    )
    booking_hours = StringField(
        _l("When the phone is answered"),
        filters=[strip_whitespace],
        validators=[Length(max=100)],
        description=_l("For example: weekdays 9:00 to 17:00."),
    )
    booking_counter = TextAreaField(
        _l("Counter where people can book in person"),
        filters=[strip_whitespace],
        validators=[Length(max=200)],
    )
    submit = SubmitField(_l("Save"))


class CoverRulesForm(EditForm):
    """How the ward's volunteers cover for each other."""

    swaps_need_approval = BooleanField(_l("Staff approve swaps of shifts before they take effect"))
    cover_alert_hours = WholeNumberField(
        _l("Alert us when nobody has taken over a shift this many hours before the session"),
        bad_input=NUMBER_HINT,
        validators=[
            InputRequired(REQUIRED),
            NumberRange(1, 336, _l("Enter a number from 1 to 336 (two weeks).")),
        ],
    )
    submit = SubmitField(_l("Save"))

    @classmethod
    def stored_values(cls, ward):
        return {
            "swaps_need_approval": ward.swaps_need_approval,
            "cover_alert_hours": ward.cover_alert_hours,
        }
