from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from inclusion.api.models import SCOPE_LABELS
from inclusion.auth.forms import REQUIRED
from inclusion.forms import MultiCheckboxField, strip_whitespace
from inclusion.wards.services import list_wards


class ApiKeyForm(FlaskForm):
    name = StringField(
        _l("Integration"),
        filters=[strip_whitespace],
        validators=[DataRequired(REQUIRED), Length(max=100)],
        description=_l("Who uses the key, e.g. 23-ward call centre."),
    )
    scopes = MultiCheckboxField(
        _l("Permissions"),
        choices=[SelectChoice(scope.value, label) for scope, label in SCOPE_LABELS.items()],
    )
    ward = SelectField(_l("Ward"), coerce=int)
    submit = SubmitField(_l("Make the key"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.wards = {ward.id: ward for ward in list_wards()}
        self.ward.choices = [SelectChoice(0, _l("All wards"))] + [
            SelectChoice(ward.id, ward.name) for ward in self.wards.values()
        ]
