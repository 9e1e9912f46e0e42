from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, SubmitField
from wtforms.validators import InputRequired, Length

from inclusion.forms import EditForm, LocalTimeField, strip_whitespace
from inclusion.phones import display_phone
from inclusion.sessions.forms import TIME_FORMAT_HINT


class PhoneLineForm(EditForm):
    """``PhoneLineForm.of(ward)``: where callers are put through, and when."""

    forward_phone = StringField(
        _l("Put callers through to"),
        filters=[strip_whitespace],
        validators=[Length(max=30)],
        description=_l(
            "The number of the staff who answer residents, for example 03-1234-5678. "
            "Leave it empty and callers leave a message instead."
        ),
    )
    desk_opens = LocalTimeField(
        _l("Staff answer from"), bad_input=TIME_FORMAT_HINT,
        validators=[InputRequired(TIME_FORMAT_HINT)],
    )  # fmt: skip
    desk_closes = LocalTimeField(
        _l("Staff answer until"), bad_input=TIME_FORMAT_HINT,
        validators=[InputRequired(TIME_FORMAT_HINT)],
    )  # fmt: skip
    submit = SubmitField(_l("Save"))

    @classmethod
    def stored_values(cls, ward):
        return {
            "forward_phone": display_phone(ward.phone_line_forward_e164),
            "desk_opens": ward.desk_opens,
            "desk_closes": ward.desk_closes,
        }
