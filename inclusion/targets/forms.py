from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Regexp

from inclusion.auth.forms import REQUIRED
from inclusion.forms import WholeNumberField, strip_whitespace
from inclusion.sessions.forms import NUMBER_HINT
from inclusion.targets.models import SURVEY_METRICS, Metric
from inclusion.wards.models import Ward

#: The month of a survey, e.g. 2026-07.
MONTH_HINT = _l("Enter the month like 2026-07.")


class TargetForm(FlaskForm):
    metric = SelectField(
        _l("Metric"),
        choices=[SelectChoice(metric.value, metric.label) for metric in Metric],
        validators=[InputRequired(REQUIRED)],
    )
    ward = SelectField(_l("For"), coerce=int, validators=[InputRequired(REQUIRED)])
    first_year = WholeNumberField(
        _l("From fiscal year"), bad_input=NUMBER_HINT, validators=[InputRequired(REQUIRED)]
    )
    last_year = WholeNumberField(
        _l("To fiscal year"), bad_input=NUMBER_HINT, validators=[InputRequired(REQUIRED)]
    )
    value = StringField(
        _l("Target"),
        filters=[strip_whitespace],
        validators=[InputRequired(REQUIRED), Length(max=20)],
    )
    submit = SubmitField(_l("Set the target"))

    def __init__(self, wards: list[Ward], *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.wards = {ward.id: ward for ward in wards}
        self.ward.choices = [SelectChoice(0, _l("All wards"))] + [
            SelectChoice(ward.id, ward.name) for ward in wards
        ]


class SurveyForm(FlaskForm):
    metric = SelectField(
        _l("Survey figure"),
        choices=[SelectChoice(metric.value, metric.label) for metric in SURVEY_METRICS],
        validators=[InputRequired(REQUIRED)],
    )
    month = StringField(
        _l("Month"),
        filters=[strip_whitespace],
        validators=[InputRequired(MONTH_HINT), Regexp(r"^\d{4}-\d{2}$", message=MONTH_HINT)],
    )
    value = StringField(
        _l("Percentage"),
        filters=[strip_whitespace],
        validators=[InputRequired(REQUIRED), Length(max=10)],
    )
    respondents = WholeNumberField(
        _l("People who answered"), bad_input=NUMBER_HINT, validators=[InputRequired(REQUIRED)]
    )
    submit = SubmitField(_l("Save the figure"))
