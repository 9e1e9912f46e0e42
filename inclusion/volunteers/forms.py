from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
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
    LocalDateField,
    MultiCheckboxField,
    WholeNumberField,
    strip_whitespace,
)
from inclusion.phones import display_phone
from inclusion.reminders.media import MEDIUM_LABELS, Medium
from inclusion.sessions.forms import DATE_FORMAT_HINT, NUMBER_HINT, SessionListFilters
from inclusion.volunteers.models import (
    KNOWN_COURSES,
    ROLE_LABELS,
    SKILL_LABELS,
    TRAINING_LEVEL_LABELS,
    ShiftStatus,
)
from inclusion.volunteers.pool import distance_from_home
from inclusion.volunteers.services import shown_profile


class ProfileForm(EditForm):
    """A volunteer's own profile; ``ProfileForm.of(user)``."""

    display_name = StringField(
        _l("Name"),
        filters=[strip_whitespace],
        validators=[DataRequired(REQUIRED), Length(max=100)],
    )
    name_kana = StringField(
        _l("Name in kana"), filters=[strip_whitespace], validators=[Length(max=100)]
    )
    wards = MultiCheckboxField(_l("Wards you help in"), coerce=int)
    mobile = StringField(
        _l("Mobile number"),
        filters=[strip_whitespace],
        validators=[Length(max=30)],
        description=_l("For example 090-1234-5678. Only staff see it."),
    )
    wants_sms = BooleanField(_l("Send me shift reminders by SMS"))
    skills = MultiCheckboxField(
        _l("What you can help with"),
        choices=[SelectChoice(skill.value, label) for skill, label in SKILL_LABELS.items()],
    )
    languages = StringField(
        _l("Languages"),
        filters=[strip_whitespace],
        validators=[Length(max=200)],
        description=_l("For example: 日本語, English, 中文"),
    )
    availability_notes = TextAreaField(
        _l("When you can help"), filters=[strip_whitespace], validators=[Length(max=2000)]
    )
    is_paused = BooleanField(_l("Pause: take no new shifts for now"))
    offers_by = RadioField(
        _l("When another volunteer needs someone to take over, tell me by"),
        # LINE reaches residents only: volunteers are not linked to an account.
        choices=[
            SelectChoice(medium.value, label)
            for medium, label in MEDIUM_LABELS.items()
            if medium != Medium.LINE
        ],  # fmt: skip
        default=Medium.EMAIL.value,
        # Left out (a form saved before this choice existed): the choice stays as it was.
        validators=[Optional()],
        description=_l("SMS and calls go to your mobile number; on a call, press 1 to take it."),
    )
    in_pool = BooleanField(_l("Join the 23 wards' pool: I will also help in other wards"))
    pool_wards = MultiCheckboxField(_l("Other wards I will help in"), coerce=int)
    pool_max_km = WholeNumberField(
        _l("Also any ward within this distance (km)"),
        bad_input=NUMBER_HINT,
        validators=[Optional(), NumberRange(1, 50, _l("Enter a number from 1 to 50."))],
        description=_l(
            "Straight-line distance between ward offices, from the nearest of your own "
            "wards. Leave empty to help only in the wards ticked above."
        ),
    )
    pool_shares_skills = BooleanField(_l("Staff of other wards may see what I can help with"))
    pool_shares_contact = BooleanField(
        _l("Staff of other wards may see my mobile number and email address")
    )
    submit = SubmitField(_l("Save"))

    def __init__(self, wards, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.ward_rows = {ward.id: ward for ward in wards}
        self.wards.choices = [SelectChoice(ward.id, ward.name) for ward in wards]
        self.pool_wards.choices = self.wards.choices

    def show_distances(self, profile) -> None:
        """Label each ward of the pool with how far it is from the volunteer's own."""
        labelled = []
        own = {ward.id for ward in profile.wards}
        for ward in self.ward_rows.values():
            if ward.id in own:
                continue
            km = distance_from_home(profile, ward) if profile.wards else None
            label = ward.name if km is None else _l("%(ward)s (about %(km)s km)", ward=ward.name,
                                                   km=f"{km:.0f}")  # fmt: skip
            labelled.append(SelectChoice(ward.id, label))
        self.pool_wards.choices = labelled

    @classmethod
    def stored_values(cls, user):
        profile = shown_profile(user)
        return {
            "display_name": user.display_name,
            "name_kana": profile.name_kana or "",
            "wards": profile.wards,
            "mobile": display_phone(profile.mobile_e164),
            "wants_sms": bool(profile.wants_sms),
            "skills": profile.skills,
            "languages": profile.languages or "",
            "availability_notes": profile.availability_notes or "",
            "is_paused": bool(profile.is_paused),
            "offers_by": profile.offers_by or Medium.EMAIL,
            "in_pool": bool(profile.in_pool),
            "pool_wards": profile.pool_wards,
            "pool_max_km": profile.pool_max_km,
            "pool_shares_skills": bool(profile.pool_shares_skills),
            "pool_shares_contact": bool(profile.pool_shares_contact),
        }

    def profile_data(self) -> dict:
        """What was submitted, as ``update_profile`` takes it."""
        data = {name: field.data for name, field in self._fields.items()}
        data["wards"] = [self.ward_rows[ward_id] for ward_id in self.wards.data]
        data["pool_wards"] = [self.ward_rows[ward_id] for ward_id in self.pool_wards.data]
        return data


class TrainingForm(FlaskForm):
    course = StringField(
        _l("Course"),
        filters=[strip_whitespace],
        validators=[DataRequired(REQUIRED), Length(max=100)],
        description=_l("For example: %(courses)s", courses="、".join(KNOWN_COURSES)),
        render_kw={"list": "known-courses"},
    )
    level = RadioField(
        _l("Level"),
        choices=[
            SelectChoice(level.value, label) for level, label in TRAINING_LEVEL_LABELS.items()
        ],
        default="assistant",
        validators=[InputRequired(REQUIRED)],
    )
    completed_on = LocalDateField(
        _l("Completed on"),
        bad_input=DATE_FORMAT_HINT,
        validators=[InputRequired(DATE_FORMAT_HINT)],
    )
    expires_on = LocalDateField(
        _l("Expires on"),
        bad_input=DATE_FORMAT_HINT,
        validators=[Optional()],
        description=_l("Leave empty if it does not expire."),
    )
    certificate_ref = StringField(
        _l("Certificate number"), filters=[strip_whitespace], validators=[Length(max=100)]
    )
    submit = SubmitField(_l("Add training record"))


class AssignForm(FlaskForm):
    volunteer = SelectField(_l("Volunteer"), coerce=int, validators=[InputRequired(REQUIRED)])
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()],
        default="assistant",
    )
    submit = SubmitField(_l("Assign"))

    def __init__(self, volunteers, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.volunteers = {volunteer.id: volunteer for volunteer in volunteers}
        self.volunteer.choices = [SelectChoice(v.id, v.display_name) for v in volunteers]


class AttendanceForm(EditForm):
    """``AttendanceForm.of(shift)``: what staff recorded of a volunteer's shift."""

    attended = RadioField(
        _l("Attendance"),
        choices=[SelectChoice("yes", _l("Attended")), SelectChoice("no", _l("Did not come"))],
        validators=[InputRequired(REQUIRED)],
    )
    minutes = WholeNumberField(
        _l("Minutes, if different from the session"),
        bad_input=NUMBER_HINT,
        validators=[Optional(), NumberRange(0, 1440, _l("Enter minutes from 0 to 1,440."))],
    )
    submit = SubmitField(_l("Record"))

    @classmethod
    def stored_values(cls, shift):
        answers = {ShiftStatus.ATTENDED: "yes", ShiftStatus.NO_SHOW: "no"}
        return {"attended": answers.get(shift.status), "minutes": shift.minutes_override}


class ImportForm(FlaskForm):
    roster = FileField(
        _l("Roster file (CSV)"), validators=[FileRequired(_l("Choose a CSV file."))]
    )
    skip_bad = BooleanField(_l("Import the good rows even if some rows are wrong"))
    submit = SubmitField(_l("Import"))


class ShiftFilterForm(SessionListFilters):
    """The open shifts' filters."""

    all_wards_label = _l("All my wards")

    role = SelectField(
        _l("Role"),
        choices=[SelectChoice("", _l("Any role"))]
        + [SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()],
        validators=[Optional()],
    )

    def venue_label(self, venue) -> str:
        return f"{venue.name}（{venue.ward.name}）"
