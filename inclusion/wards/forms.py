from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import Length

from inclusion.forms import EditForm, strip_whitespace


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
