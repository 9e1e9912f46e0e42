from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectChoice, SelectField, SubmitField
from wtforms.validators import InputRequired, ValidationError

from inclusion.auth.forms import REQUIRED
from inclusion.forms import MultiCheckboxField
from inclusion.sessions.models import SESSION_KIND_LABELS, TOPIC_LABELS
from inclusion.venues.models import Venue
from inclusion.wards.models import Ward


class ImportForm(FlaskForm):
    calendar_file = FileField(
        _l("Calendar file (.ics)"), validators=[FileRequired(_l("Choose an .ics file."))]
    )
    venue = SelectField(
        _l("Venue when the event's place is not one of ours"),
        coerce=int,
        validators=[InputRequired(REQUIRED)],
    )
    submit = SubmitField(_l("Check the file"))

    def __init__(self, venues: list[Venue], *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.venues = {venue.id: venue for venue in venues}
        self.venue.choices = [SelectChoice(venue.id, venue.name) for venue in venues]


class FeedChoiceForm(FlaskForm):
    """What a coordinator's calendar shows: none ticked in a group means all of it."""

    ward = MultiCheckboxField(_l("Wards"))
    venue = MultiCheckboxField(_l("Venues"))
    kind = MultiCheckboxField(
        _l("Kinds of session"),
        choices=[SelectChoice(kind.value, label) for kind, label in SESSION_KIND_LABELS.items()],
    )
    topic = MultiCheckboxField(
        _l("Topics"),
        choices=[SelectChoice(topic.value, label) for topic, label in TOPIC_LABELS.items()],
    )
    submit = SubmitField(_l("Save what the calendar shows"))

    def __init__(self, wards: list[Ward], venues: list[Venue], *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.ward.choices = [SelectChoice(ward.slug, ward.name) for ward in wards]
        self.venue.choices = [SelectChoice(str(venue.id), venue.name) for venue in venues]
        self.venues_by_ward = {
            ward: [venue for venue in venues if venue.ward_id == ward.id] for ward in wards
        }

    def validate_venue(self, field) -> None:
        """A venue outside the wards chosen would show nothing: say so rather than save."""
        chosen = set(self.ward.data or [])
        if not chosen:
            return
        outside = [
            venue.name
            for ward, venues in self.venues_by_ward.items()
            if ward.slug not in chosen
            for venue in venues
            if str(venue.id) in (field.data or [])
        ]
        if outside:
            raise ValidationError(
                _l(
                    "%(venues)s is not in the wards chosen: choose its ward too, or leave the "
                    "wards empty.",
                    venues="、".join(outside),
                )
            )

    def filters(self) -> dict[str, list[str]]:
        """The choice as the feed address's query would say it; groups left open dropped."""
        chosen = {name: self[name].data or [] for name in ("ward", "venue", "kind", "topic")}
        return {name: values for name, values in chosen.items() if values}
