from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from inclusion.auth.forms import REQUIRED
from inclusion.forms import LocalDateField, LocalTimeField, WholeNumberField, strip_whitespace
from inclusion.sessions.forms import DATE_FORMAT_HINT, NUMBER_HINT, TIME_FORMAT_HINT
from inclusion.staff_training.models import COURSE_LABELS

#: The "every ward" choice of the ward field.
EVERY_WARD = 0


class TrainingForm(FlaskForm):
    course = SelectField(
        _l("Kind of training"),
        choices=[SelectChoice(course.value, label) for course, label in COURSE_LABELS.items()],
    )
    title = StringField(
        _l("Title"),
        filters=[strip_whitespace],
        validators=[DataRequired(REQUIRED), Length(max=200)],
    )
    ward = SelectField(_l("For the staff of"), coerce=int, validate_choice=False)
    place = StringField(
        _l("Place"),
        filters=[strip_whitespace],
        validators=[DataRequired(REQUIRED), Length(max=200)],
        description=_l("A room, or オンライン with how to join."),
    )
    day = LocalDateField(
        _l("Date"), bad_input=DATE_FORMAT_HINT, validators=[InputRequired(DATE_FORMAT_HINT)]
    )
    starts = LocalTimeField(
        _l("Start time"), bad_input=TIME_FORMAT_HINT, validators=[InputRequired(TIME_FORMAT_HINT)]
    )
    ends = LocalTimeField(
        _l("End time"), bad_input=TIME_FORMAT_HINT, validators=[InputRequired(TIME_FORMAT_HINT)]
    )
    capacity = WholeNumberField(
        _l("Places"),
        bad_input=NUMBER_HINT,
        default=30,
        validators=[
            InputRequired(NUMBER_HINT),
            NumberRange(1, 1000, _l("Enter 1 to 1,000 places.")),
        ],
    )
    submit = SubmitField(_l("Add the training"))


class AddStaffForm(FlaskForm):
    email = StringField(
        _l("Staff member's e-mail address"),
        filters=[strip_whitespace],
        validators=[DataRequired(REQUIRED), Length(max=254)],
    )
    submit = SubmitField(_l("Add to the training"))
