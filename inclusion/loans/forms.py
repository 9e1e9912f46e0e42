from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from inclusion.auth.forms import REQUIRED
from inclusion.forms import EditForm, LocalDateField, strip_whitespace
from inclusion.loans.models import (
    DEVICE_STATE_LABELS,
    RETURN_CONDITION_LABELS,
    SETTABLE_STATES,
    DeviceState,
)
from inclusion.phones import display_phone
from inclusion.sessions.forms import DATE_FORMAT_HINT


class DeviceForm(EditForm):
    """A device of the stock; ``DeviceForm.of(device)`` to change one."""

    model = StringField(
        _l("Model"),
        filters=[strip_whitespace],
        validators=[DataRequired(REQUIRED), Length(max=100)],
        description=_l("For example: らくらくスマートフォン F-52B"),
    )
    serial = StringField(
        _l("Serial number or IMEI"),
        filters=[strip_whitespace],
        validators=[DataRequired(REQUIRED), Length(max=50)],
    )
    sim_phone = StringField(
        _l("SIM's phone number"),
        filters=[strip_whitespace],
        validators=[Length(max=30)],
        description=_l("Leave empty for a SIM without a number."),
    )
    plan = StringField(_l("SIM plan"), filters=[strip_whitespace], validators=[Length(max=100)])
    state = SelectField(
        _l("State"),
        choices=[SelectChoice(state.value, label) for state, label in DEVICE_STATE_LABELS.items()],
        default=DeviceState.IN_STOCK.value,
    )
    notes = TextAreaField(_l("Notes"), filters=[strip_whitespace], validators=[Length(max=2000)])
    submit = SubmitField(_l("Save"))

    def offer_states(self, current: DeviceState) -> None:
        """The states staff may set by hand, and the one the device is in."""
        self.state.choices = [
            SelectChoice(state.value, label)
            for state, label in DEVICE_STATE_LABELS.items()
            if state in SETTABLE_STATES or state == current
        ]

    @classmethod
    def stored_values(cls, device):
        return {
            "model": device.model,
            "serial": device.serial,
            "sim_phone": display_phone(device.sim_e164),
            "plan": device.plan,
            "state": device.state,
            "notes": device.notes,
        }


class LendForm(FlaskForm):
    device = RadioField(
        _l("Device"), coerce=int, validators=[InputRequired(_l("Choose a device."))]
    )
    starts_on = LocalDateField(
        _l("Lent on"), bad_input=DATE_FORMAT_HINT, validators=[InputRequired(DATE_FORMAT_HINT)]
    )
    due_on = LocalDateField(
        _l("To be returned by"),
        bad_input=DATE_FORMAT_HINT,
        validators=[InputRequired(DATE_FORMAT_HINT)],
    )
    agreement_signed_on = LocalDateField(
        _l("Loan agreement signed on"),
        bad_input=DATE_FORMAT_HINT,
        validators=[InputRequired(_l("Record the day the resident signed the loan agreement."))],
    )
    submit = SubmitField(_l("Lend the device"))

    def __init__(self, choices: list[SelectChoice], *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.device.choices = choices


class ReturnForm(FlaskForm):
    returned_on = LocalDateField(
        _l("Returned on"), bad_input=DATE_FORMAT_HINT, validators=[InputRequired(DATE_FORMAT_HINT)]
    )
    condition = RadioField(
        _l("How it came back"),
        choices=[SelectChoice(c.value, label) for c, label in RETURN_CONDITION_LABELS.items()],
        validators=[InputRequired(_l("Choose how it came back."))],
    )
    notes = TextAreaField(_l("Notes"), filters=[strip_whitespace], validators=[Length(max=2000)])
    submit = SubmitField(_l("Record the return"))


class DueDateForm(FlaskForm):
    due_on = LocalDateField(
        _l("To be returned by"),
        bad_input=DATE_FORMAT_HINT,
        validators=[InputRequired(DATE_FORMAT_HINT)],
    )
    submit = SubmitField(_l("Change the due date"))
