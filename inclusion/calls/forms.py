from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length

from inclusion.calls.models import OUTCOME_LABELS, TOPIC_LABELS, CallOutcome
from inclusion.forms import strip_whitespace


class CallForm(FlaskForm):
    """One call, quick to fill in: the caller is chosen above it (or nobody named)."""

    resident = HiddenField()
    ward = SelectField(_l("Ward the call is about"), coerce=int, validate_choice=False)
    topic = RadioField(
        _l("Topic"),
        choices=[SelectChoice(topic.value, label) for topic, label in TOPIC_LABELS.items()],
        validators=[InputRequired(_l("Choose what the call was about."))],
    )
    outcome = RadioField(
        _l("What was done"),
        choices=[SelectChoice(done.value, label) for done, label in OUTCOME_LABELS.items()],
        default=CallOutcome.ANSWERED.value,
        validators=[InputRequired(_l("Choose what was done."))],
    )
    session = SelectField(_l("Session to book"), coerce=int, validate_choice=False, default=0)
    note = TextAreaField(
        _l("Note"),
        filters=[strip_whitespace],
        validators=[Length(max=2000)],
        description=_l("What the ward should do, when the call is passed to it."),
    )
    caller_phone = StringField(
        _l("Number to call back"),
        filters=[strip_whitespace],
        validators=[Length(max=30)],
        description=_l("When the caller gave one."),
    )
    is_resolved = BooleanField(_l("Resolved on this call"), default=True)
    submit = SubmitField(_l("Log the call"))
