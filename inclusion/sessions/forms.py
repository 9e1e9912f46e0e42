from __future__ import annotations

import dataclasses

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from inclusion.auth.forms import REQUIRED
from inclusion.forms import (
    EditForm,
    FilterForm,
    LocalDateField,
    LocalTimeField,
    MultiCheckboxField,
    WholeNumberField,
    strip_whitespace,
)
from inclusion.sessions.models import (
    HOLIDAY_RULE_LABELS,
    LEVEL_LABELS,
    SESSION_KIND_LABELS,
    SESSION_STATUS_LABELS,
    TOPIC_LABELS,
    HolidayRule,
    Level,
    SessionKind,
    Topic,
)
from inclusion.sessions.services import SLOT_MINUTES, SessionDraft
from inclusion.venues.models import Venue

DATE_FORMAT_HINT = _l("Enter a date such as 2026-04-01.")
TIME_FORMAT_HINT = _l("Enter a time such as 10:00.")
NUMBER_HINT = _l("Enter a whole number, such as 20.")


class SessionForm(FlaskForm):
    venue = SelectField(_l("Venue"), coerce=int, validators=[InputRequired(REQUIRED)])
    room = StringField(
        _l("Room"),
        filters=[strip_whitespace],
        validators=[Length(max=100)],
        description=_l("Leave empty if the venue has one room."),
    )
    kind = RadioField(
        _l("Kind of session"),
        choices=[SelectChoice(kind.value, label) for kind, label in SESSION_KIND_LABELS.items()],
        default=SessionKind.CLASS.value,
        validators=[InputRequired(REQUIRED)],
    )
    title = StringField(
        _l("Title"),
        filters=[strip_whitespace],
        validators=[DataRequired(REQUIRED), Length(max=200)],
    )
    topics = MultiCheckboxField(
        _l("Topics"),
        choices=[SelectChoice(topic.value, label) for topic, label in TOPIC_LABELS.items()],
    )
    level = SelectField(
        _l("Level"),
        choices=[SelectChoice(level.value, label) for level, label in LEVEL_LABELS.items()],
        default=Level.BEGINNER.value,
    )
    description = TextAreaField(
        _l("Description"),
        filters=[strip_whitespace],
        validators=[Length(max=4000)],
        description=_l("What the session covers and what to bring, in plain words."),
    )
    day = LocalDateField(
        _l("Date"), bad_input=DATE_FORMAT_HINT, validators=[InputRequired(DATE_FORMAT_HINT)]
    )
    starts_time = LocalTimeField(
        _l("Start time"), bad_input=TIME_FORMAT_HINT, validators=[InputRequired(TIME_FORMAT_HINT)]
    )
    ends_time = LocalTimeField(
        _l("End time"), bad_input=TIME_FORMAT_HINT, validators=[InputRequired(TIME_FORMAT_HINT)]
    )
    capacity = WholeNumberField(
        _l("Capacity (people)"),
        bad_input=NUMBER_HINT,
        validators=[Optional(), NumberRange(1, 1000, _l("Enter a number from 1 to 1,000."))],
        description=_l(
            "Leave empty to use the venue's capacity. Consultations count their slots."
        ),
    )
    slot_minutes = SelectField(
        _l("Consultation slot length"),
        coerce=int,
        choices=[SelectChoice(0, _l("— not a consultation —"))]
        + [
            SelectChoice(minutes, _l("%(minutes)d minutes", minutes=minutes))
            for minutes in SLOT_MINUTES
        ],
        default=30,
    )
    lead_needed = WholeNumberField(
        _l("Lead volunteers needed"),
        bad_input=NUMBER_HINT,
        validators=[Optional(), NumberRange(0, 5, _l("Enter a number from 0 to 5."))],
    )
    assistants_needed = WholeNumberField(
        _l("Assistant volunteers needed"),
        bad_input=NUMBER_HINT,
        validators=[Optional(), NumberRange(0, 50, _l("Enter a number from 0 to 50."))],
        description=_l(
            "Leave both empty for the usual numbers: "
            "one lead for a class, one assistant for every four people."
        ),
    )
    has_device_loan = BooleanField(_l("Smartphones can be borrowed"))
    submit = SubmitField(_l("Save"))

    def __init__(self, venues: list[Venue], *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.venues = {venue.id: venue for venue in venues}
        self.venue.choices = [SelectChoice(venue.id, venue.name) for venue in venues]

    def draft(self) -> SessionDraft:
        """The validated form as a draft for the session services."""
        kind = SessionKind(self.kind.data)
        return SessionDraft(
            venue=self.venues[self.venue.data],
            kind=kind,
            title=self.title.data,
            day=self.day.data,
            starts_time=self.starts_time.data,
            ends_time=self.ends_time.data,
            topics=[Topic(value) for value in self.topics.data or []],
            level=Level(self.level.data),
            description=self.description.data or "",
            room=self.room.data or "",
            capacity=self.capacity.data,
            slot_minutes=self.slot_minutes.data or None,
            lead_needed=self.lead_needed.data,
            assistants_needed=self.assistants_needed.data,
            has_device_loan=self.has_device_loan.data,
        )


class SeriesForm(SessionForm):
    interval_weeks = RadioField(
        _l("How often"),
        coerce=int,
        choices=[SelectChoice(1, _l("Every week")), SelectChoice(2, _l("Every other week"))],
        default=1,
    )
    weeks = WholeNumberField(
        _l("For how many weeks"),
        bad_input=NUMBER_HINT,
        validators=[
            InputRequired(NUMBER_HINT),
            NumberRange(1, 52, _l("Enter a number from 1 to 52.")),
        ],
        default=12,
    )
    holiday_rule = RadioField(
        _l("A date on a public holiday"),
        coerce=HolidayRule,
        choices=[SelectChoice(rule, label) for rule, label in HOLIDAY_RULE_LABELS.items()],
        default=HolidayRule.SKIP,
        validators=[InputRequired(REQUIRED)],
    )
    skip_year_end = BooleanField(
        _l("Skip the year-end closure (29 December to 3 January)"), default=True
    )
    is_course = BooleanField(
        _l("A course: residents book every date together (全4回, 全8回…)"),
        description=_l("If one date is full, they wait for the whole course."),
    )
    preview = SubmitField(_l("Show the dates"))
    submit = SubmitField(_l("Create the series"))

    #: What the dates depend on: the preview beside the form is made from these alone.
    PLAN_FIELDS = (
        "day",
        "starts_time",
        "interval_weeks",
        "weeks",
        "holiday_rule",
        "skip_year_end",
    )

    def plan_valid(self) -> bool:
        """Whether the fields the dates depend on are filled in well (the start time may
        still be empty: it only tells whether today's date has passed)."""
        asked = [
            self[name]
            for name in self.PLAN_FIELDS
            if name != "starts_time" or any(self.starts_time.raw_data or ())
        ]
        return all([field.validate(self) for field in asked])


class EditSessionForm(EditForm, SessionForm):
    """``EditSessionForm.of(session, venues)``: the session's local date and times."""

    unstored = frozenset({"scope", "reason"})

    scope = RadioField(
        _l("Change"),
        choices=[
            SelectChoice("this", _l("This session only")),
            SelectChoice("future", _l("This and all later sessions of the series")),
        ],
        default="this",
    )
    reason = TextAreaField(
        _l("Reason for the change"),
        filters=[strip_whitespace],
        validators=[Length(max=1000)],
        description=_l("Needed when the time or place changes. Staff and the record see it."),
    )

    @classmethod
    def stored_values(cls, session):
        draft = SessionDraft.of(session)
        stored = {field.name: getattr(draft, field.name) for field in dataclasses.fields(draft)}
        return stored | {"slot_minutes": draft.slot_minutes or 0}


class CancelForm(FlaskForm):
    scope = RadioField(
        _l("Cancel"),
        choices=[
            SelectChoice("this", _l("This session only")),
            SelectChoice("future", _l("This and all later sessions of the series")),
        ],
        default="this",
    )
    reason = TextAreaField(
        _l("Reason for cancelling"),
        filters=[strip_whitespace],
        validators=[DataRequired(_l("Say why the session is cancelled.")), Length(max=1000)],
    )
    submit = SubmitField(_l("Cancel the session"))


class CourseForm(EditForm):
    """``CourseForm.of(series)``: whether a series is booked as one course."""

    is_course = BooleanField(_l("A course: residents book every date together (全4回, 全8回…)"))
    submit = SubmitField(_l("Save"))


class HeldForm(EditForm):
    """``HeldForm.of(session)``: the headcount recorded, if any."""

    headcount = WholeNumberField(
        _l("How many people came"),
        bad_input=NUMBER_HINT,
        validators=[
            InputRequired(NUMBER_HINT),
            NumberRange(0, 1000, _l("Enter a number from 0 to 1,000.")),
        ],
    )
    submit = SubmitField(_l("Record as held"))


class SessionListFilters(FilterForm):
    """Filters that lists of sessions share: where, what about, and when."""

    #: What "every ward" is called in the ward filter.
    all_wards_label = _l("All wards")

    ward = SelectField(_l("Ward"), coerce=int, validators=[Optional()])
    venue = SelectField(_l("Venue"), coerce=int, validators=[Optional()])
    topic = SelectField(
        _l("Topic"),
        choices=[SelectChoice("", _l("All topics"))]
        + [SelectChoice(topic.value, label) for topic, label in TOPIC_LABELS.items()],
        validators=[Optional()],
    )
    date_from = LocalDateField(_l("From"), bad_input=DATE_FORMAT_HINT, validators=[Optional()])
    date_to = LocalDateField(_l("Until"), bad_input=DATE_FORMAT_HINT, validators=[Optional()])

    def __init__(self, wards, venues, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.ward.choices = [SelectChoice(0, self.all_wards_label)] + [
            SelectChoice(ward.id, ward.name) for ward in wards
        ]
        self.venue.choices = [SelectChoice(0, _l("All venues"))] + [
            SelectChoice(venue.id, self.venue_label(venue)) for venue in venues
        ]

    def venue_label(self, venue) -> str:
        return venue.name


class SessionFilterForm(SessionListFilters):
    """The staff list's filters."""

    kind = SelectField(
        _l("Kind of session"),
        choices=[SelectChoice("", _l("All kinds"))]
        + [SelectChoice(kind.value, label) for kind, label in SESSION_KIND_LABELS.items()],
        validators=[Optional()],
    )
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("", _l("All statuses"))]
        + [SelectChoice(status.value, label) for status, label in SESSION_STATUS_LABELS.items()],
        validators=[Optional()],
    )
