from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    ValidationError,
)

from inclusion.auth.models import PERSON_ROLES, ROLE_LABELS, Role
from inclusion.auth.services import MIN_PASSWORD_LENGTH
from inclusion.forms import EditForm, strip_whitespace
from inclusion.wards.services import list_wards

REQUIRED = _l("Please fill in this field.")


class LoginForm(FlaskForm):
    email = StringField(
        _l("E-mail address"),
        filters=[strip_whitespace],
        validators=[DataRequired(REQUIRED), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(REQUIRED), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Log in"))


def new_password_field(label: str) -> PasswordField:
    too_short = _l("Use at least %(count)d characters.", count=MIN_PASSWORD_LENGTH)
    return PasswordField(
        label,
        validators=[
            DataRequired(REQUIRED),
            Length(min=MIN_PASSWORD_LENGTH, max=200, message=too_short),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(REQUIRED)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = new_password_field(_l("New password"))
    confirm_password = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(REQUIRED),
            EqualTo("new_password", message=_l("The two new passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Change password"))


class UserEditForm(EditForm):
    """What an admin may change about an account."""

    display_name = StringField(
        _l("Name"),
        filters=[strip_whitespace],
        validators=[DataRequired(REQUIRED), Length(max=100)],
    )
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(role.value, ROLE_LABELS[role]) for role in PERSON_ROLES],
        validators=[InputRequired(REQUIRED)],
    )
    ward = SelectField(_l("Ward"), coerce=int)
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.ward.choices = [SelectChoice(0, _l("— none —"))] + [
            SelectChoice(ward.id, ward.name) for ward in list_wards()
        ]

    @classmethod
    def stored_values(cls, user):
        return {"display_name": user.display_name, "role": user.role, "ward": user.ward_id or 0}

    def validate_ward(self, field: SelectField) -> None:
        if self.role.data == Role.WARD_STAFF.value and not field.data:
            raise ValidationError(_l("Choose the ward this staff member works for."))


class UserCreateForm(UserEditForm):
    email = EmailField(
        _l("E-mail address"),
        filters=[strip_whitespace],
        validators=[
            DataRequired(REQUIRED),
            Length(max=254),
            Email(
                _l("Enter an e-mail address such as name@example.jp."), check_deliverability=False
            ),
        ],
    )
    password = new_password_field(_l("First password"))
    submit = SubmitField(_l("Create account"))


class PasswordResetForm(FlaskForm):
    new_password = new_password_field(_l("New password"))
    submit = SubmitField(_l("Set new password"))
