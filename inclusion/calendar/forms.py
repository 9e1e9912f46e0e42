from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectChoice, SelectField, SubmitField
from wtforms.validators import InputRequired

from inclusion.auth.forms import REQUIRED
from inclusion.venues.models import Venue


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
