from __future__ import annotations

from datetime import time

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from inclusion.auth.forms import REQUIRED
from inclusion.forms import EditForm, LocalTimeField, WholeNumberField
from inclusion.reminders.texts import KIND_LABELS
from inclusion.reminders.wording import MESSAGES
from inclusion.sessions.forms import NUMBER_HINT, TIME_FORMAT_HINT


class QuietHoursForm(EditForm):
    """``QuietHoursForm.of(ward)``: the ward's own hours; empty where it keeps the usual."""

    calls_from = LocalTimeField(
        _l("Calls from"), bad_input=TIME_FORMAT_HINT, validators=[Optional()]
    )
    calls_until = LocalTimeField(
        _l("Calls until"), bad_input=TIME_FORMAT_HINT, validators=[Optional()]
    )
    sms_from = LocalTimeField(_l("SMS from"), bad_input=TIME_FORMAT_HINT, validators=[Optional()])
    sms_until = LocalTimeField(
        _l("SMS until"), bad_input=TIME_FORMAT_HINT, validators=[Optional()]
    )
    submit = SubmitField(_l("Save the hours"))


class StepForm(EditForm):
    """``StepForm.of(step)``: one step of a ward's reminder policy."""

    days_before = WholeNumberField(
        _l("Days before the session"),
        bad_input=NUMBER_HINT,
        validators=[InputRequired(REQUIRED), NumberRange(0, 14, _l("Enter 0 to 14 days."))],
    )
    at_time = LocalTimeField(
        _l("At"), bad_input=TIME_FORMAT_HINT, validators=[InputRequired(TIME_FORMAT_HINT)]
    )
    is_active = BooleanField(_l("Send this reminder"))
    submit = SubmitField(_l("Save"))

    @classmethod
    def of(cls, step, *args, **kwargs):
        """Each step's form names its fields apart: the policy page shows them all."""
        return super().of(step, *args, prefix=f"step{step.id}", **kwargs)

    @classmethod
    def stored_values(cls, step):
        return {
            "days_before": step.days_before,
            "at_time": time(step.at_minute // 60, step.at_minute % 60),
            "is_active": step.is_active,
        }


class TextForm(EditForm):
    """``TEXT_FORMS[name].of(wording)``: one plain field per kind of the message."""

    preview = SubmitField(_l("Show how it reads"))
    submit = SubmitField(_l("Save the text"))

    @classmethod
    def stored_values(cls, wording: dict[str, str]):
        return dict(wording)

    def draft(self) -> dict[str, str]:
        """The wording as typed, by kind."""
        return {kind: self[kind].data or "" for kind in MESSAGES[self.name].kinds}


def _text_form(name: str) -> type[TextForm]:
    fields = {
        kind: TextAreaField(
            KIND_LABELS[kind],
            validators=[InputRequired(REQUIRED)],
            render_kw={"rows": 3, "lang": "ja"},
        )
        for kind in MESSAGES[name].kinds
    }
    return type("TextForm", (TextForm,), {"name": name, **fields})


TEXT_FORMS = {name: _text_form(name) for name in MESSAGES}
