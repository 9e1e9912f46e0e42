from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional

from inclusion.audit.models import ACTION_LABELS
from inclusion.forms import FilterForm, LocalDateField
from inclusion.sessions.forms import DATE_FORMAT_HINT


class AuditFilterForm(FilterForm):
    """Who did what, where and when: the audit log's filters, read from the URL."""

    ward = SelectField(_l("Ward"), coerce=int, validators=[Optional()])
    person = StringField(
        _l("Person"),
        validators=[Optional(), Length(max=100)],
        description=_l("Part of a name or e-mail address."),
    )
    action = SelectField(
        _l("What"),
        choices=[SelectChoice("", _l("Everything"))]
        + [SelectChoice(action, label) for action, label in ACTION_LABELS.items()],
        validators=[Optional()],
    )
    date_from = LocalDateField(_l("From"), bad_input=DATE_FORMAT_HINT, validators=[Optional()])
    date_to = LocalDateField(_l("Until"), bad_input=DATE_FORMAT_HINT, validators=[Optional()])

    def __init__(self, wards, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.ward.choices = [SelectChoice(0, _l("All wards"))] + [
            SelectChoice(ward.id, ward.name) for ward in wards
        ]
