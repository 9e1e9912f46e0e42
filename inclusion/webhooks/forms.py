from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from inclusion.api.models import SCOPE_LABELS
from inclusion.auth.forms import REQUIRED
from inclusion.forms import EditForm, MultiCheckboxField, strip_whitespace
from inclusion.wards.services import list_wards
from inclusion.webhooks.models import EVENT_LABELS, SUBSCRIBABLE
from inclusion.webhooks.services import READ_SCOPES


class EndpointForm(EditForm):
    """Where a ward's changes are sent, which ones, and whether people's records go too."""

    url = StringField(
        _l("Address to send to"),
        filters=[strip_whitespace],
        validators=[DataRequired(REQUIRED), Length(max=500)],
        description=_l("The receiving system's address, starting https://."),
    )
    description = StringField(
        _l("Which system"), filters=[strip_whitespace], validators=[Length(max=200)],
        description=_l("For example: the joint call centre's booking system."),
    )  # fmt: skip
    events = MultiCheckboxField(
        _l("Events to send"),
        choices=[SelectChoice(event.value, EVENT_LABELS[event]) for event in SUBSCRIBABLE],
    )
    scopes = MultiCheckboxField(
        _l("Personal data it may receive"),
        choices=[SelectChoice(scope.value, SCOPE_LABELS[scope]) for scope in READ_SCOPES],
        description=_l("Without these, a message names people by number only."),
    )
    ward = SelectField(_l("Ward"), coerce=int)
    is_active = BooleanField(_l("Sending"), default=True)
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.wards = {ward.id: ward for ward in list_wards()}
        self.ward.choices = [SelectChoice(0, _l("All wards"))] + [
            SelectChoice(ward.id, ward.name) for ward in self.wards.values()
        ]

    @classmethod
    def stored_values(cls, record: Any) -> dict[str, Any]:
        return {"url": record.url, "description": record.description, "events": record.events,
                "scopes": record.scopes, "ward": record.ward_id or 0,
                "is_active": record.is_active}  # fmt: skip
