from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from inclusion.auth.forms import REQUIRED
from inclusion.forms import LocalTimeField, WholeNumberField
from inclusion.sessions.forms import NUMBER_HINT, TIME_FORMAT_HINT


class QuietHoursForm(FlaskForm):
    calls_from = LocalTimeField(
        _l("Calls from"), bad_input=TIME_FORMAT_HINT, validators=[Optional()]
    )
    calls_until = LocalTimeField(
        _l("Calls until"), bad_input=TIME_FORMAT_HINT, validators=[Optional()]
    )
    sms_from = LocalTimeField(_l("SMS from"), bad_input=TIME_FORMAT_HINT, validators=[Optional()])
    sms_until = LocalTimeField(
        _l("SMS until"), bad_input=TIME_FORMAT_HINT, validators=[Optional()]
    )
    submit = SubmitField(_l("Save the hours"))


class StepForm(FlaskForm):
    days_before = WholeNumberField(
        _l("Days before the session"),
        bad_input=NUMBER_HINT,
        validators=[InputRequired(REQUIRED), NumberRange(0, 14, _l("Enter 0 to 14 days."))],
    )
    at_time = LocalTimeField(
        _l("At"), bad_input=TIME_FORMAT_HINT, validators=[InputRequired(TIME_FORMAT_HINT)]
    )
    is_active = BooleanField(_l("Send this reminder"))
    submit = SubmitField(_l("Save"))


class TextForm(FlaskForm):
    body = TextAreaField(
        _l("Text"), validators=[InputRequired(REQUIRED)], render_kw={"rows": 8, "lang": "ja"}
    )
    submit = SubmitField(_l("Save the text"))
