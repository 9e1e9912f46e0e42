from __future__ import annotations

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
from inclusion.phones import display_phone
from inclusion.residents.models import (
    BookingSource,
    ConsentMethod,
    ConsentScope,
    Contact,
    FollowUpAnswer,
    ReminderChannel,
)
from inclusion.residents.services import ResidentDraft
from inclusion.sessions.forms import DATE_FORMAT_HINT, NUMBER_HINT, TIME_FORMAT_HINT
from inclusion.surveys.questions import SATISFACTION


def _text(label, max_length: int, required: bool = False, **kwargs) -> StringField:
    validators = [DataRequired(REQUIRED)] if required else []
    return StringField(
        label,
        filters=[strip_whitespace],
        validators=[*validators, Length(max=max_length)],
        **kwargs,
    )


#: The channel choice that lets the first phone number decide.
BY_NUMBER = "by_number"
PHONE_HINT = _l("For example 03-1234-5678 or 090-1234-5678.")


class ResidentForm(EditForm):
    """``ResidentForm.of(resident)``: numbers as people write them."""

    family_name = _text(_l("Family name"), 50, required=True)
    given_name = _text(_l("Given name"), 50)
    family_kana = _text(_l("Family name in kana"), 50, required=True)
    given_kana = _text(_l("Given name in kana"), 50)
    birth_year = WholeNumberField(
        _l("Year of birth"),
        bad_input=NUMBER_HINT,
        validators=[
            Optional(),
            NumberRange(1900, 2100, _l("Enter a year of birth such as 1948.")),
        ],
        description=_l("Only the age band is shown."),
    )
    phone_1 = _text(_l("Phone number"), 30, description=PHONE_HINT)
    phone_2 = _text(_l("Second phone number"), 30)
    phone_3 = _text(_l("Third phone number"), 30)
    reminder_channel = RadioField(
        _l("Reminders by"),
        choices=[
            SelectChoice(BY_NUMBER, _l("By the number: SMS to a mobile, a call to a landline")),
            *ReminderChannel.choices(),
        ],
        default=BY_NUMBER,
        validators=[InputRequired(REQUIRED)],
    )
    call_from = LocalTimeField(
        _l("Call from"), bad_input=TIME_FORMAT_HINT, validators=[Optional()]
    )
    call_until = LocalTimeField(
        _l("Call until"), bad_input=TIME_FORMAT_HINT, validators=[Optional()]
    )
    needs = TextAreaField(
        _l("Needs (large print, hearing aid, wheelchair…)"),
        filters=[strip_whitespace],
        validators=[Length(max=2000)],
    )
    proxy_name = _text(_l("Contact person's name"), 100)
    proxy_relation = _text(
        _l("Relation"), 50, description=_l("For example 長女 or ケアマネジャー.")
    )
    proxy_phone = _text(_l("Contact person's phone"), 30)
    proxy_gets_reminders = BooleanField(_l("Remind the contact person too"))
    submit = SubmitField(_l("Save"))

    @classmethod
    def stored_values(cls, resident):
        draft = ResidentDraft.of(resident)
        numbers = [display_phone(e164) for e164 in draft.phones] + ["", "", ""]
        return {
            "family_name": draft.family_name,
            "given_name": draft.given_name,
            "family_kana": draft.family_kana,
            "given_kana": draft.given_kana,
            "birth_year": draft.birth_year,
            "phone_1": numbers[0],
            "phone_2": numbers[1],
            "phone_3": numbers[2],
            "reminder_channel": draft.reminder_channel or BY_NUMBER,
            "call_from": draft.call_from,
            "call_until": draft.call_until,
            "needs": draft.needs,
            "proxy_name": draft.proxy_name,
            "proxy_relation": draft.proxy_relation,
            "proxy_phone": display_phone(draft.proxy_phone),
            "proxy_gets_reminders": draft.proxy_gets_reminders,
        }

    def draft(self) -> ResidentDraft:
        return ResidentDraft(
            family_name=self.family_name.data or "",
            given_name=self.given_name.data or "",
            family_kana=self.family_kana.data or "",
            given_kana=self.given_kana.data or "",
            birth_year=self.birth_year.data,
            phones=[self.phone_1.data or "", self.phone_2.data or "", self.phone_3.data or ""],
            reminder_channel=None
            if self.reminder_channel.data == BY_NUMBER
            else ReminderChannel(self.reminder_channel.data),
            call_from=self.call_from.data,
            call_until=self.call_until.data,
            needs=self.needs.data or "",
            proxy_name=self.proxy_name.data or "",
            proxy_relation=self.proxy_relation.data or "",
            proxy_phone=self.proxy_phone.data or "",
            proxy_gets_reminders=bool(self.proxy_gets_reminders.data),
        )


class ConsentFields(FlaskForm):
    scopes = MultiCheckboxField(
        _l("The resident agreed to"),
        choices=ConsentScope.choices(),
        validators=[DataRequired(_l("Choose what the resident agreed to."))],
    )
    method = RadioField(
        _l("How they agreed"),
        choices=ConsentMethod.choices(),
        default=ConsentMethod.PHONE.value,
        validators=[InputRequired(REQUIRED)],
    )


class NewResidentForm(ResidentForm, ConsentFields):
    #: Ticked after staff saw the possible duplicates and this is someone else.
    confirmed_new = BooleanField(_l("This is a different person: add a new record"))


class ConsentForm(ConsentFields):
    given_on = LocalDateField(
        _l("Date agreed"), bad_input=DATE_FORMAT_HINT, validators=[InputRequired(DATE_FORMAT_HINT)]
    )
    submit = SubmitField(_l("Record consent"))


#: Whether this contact agrees to reminders; whether any go also depends on the record
#: (how they are reminded, whether the contact person gets them).
SEND_OR_STOP = [
    SelectChoice("no", _l("Reminders allowed")),
    SelectChoice("yes", _l("Stop reminders")),
]


class OptOutForm(EditForm):
    """``OptOutForm.of(resident)``: for each contact, whether messages go to them now."""

    opted_out = RadioField(
        _l("Reminders to the resident"), choices=SEND_OR_STOP, validators=[InputRequired(REQUIRED)]
    )
    proxy_opted_out = RadioField(
        _l("Reminders to the contact person"),
        choices=SEND_OR_STOP,
        validators=[InputRequired(REQUIRED)],
    )
    reason = _text(
        _l("Why it changes"),
        200,
        description=_l("For example: the resident asked by phone. Kept in the record."),
    )
    submit = SubmitField(_l("Save"))

    unstored = frozenset({"reason"})

    def __init__(self, *args, has_proxy: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not has_proxy:
            del self.proxy_opted_out

    @classmethod
    def of(cls, resident, *args, **kwargs):
        """Only a resident with a contact person's number has a choice for them."""
        has_proxy = resident.proxy_phone_e164 is not None
        return super().of(resident, *args, has_proxy=has_proxy, **kwargs)

    @classmethod
    def stored_values(cls, resident):
        return {
            "opted_out": "yes" if resident.is_opted_out else "no",
            "proxy_opted_out": "yes" if resident.proxy_opted_out_dt else "no",
        }

    def chosen(self) -> dict[Contact, bool]:
        """Whether each contact is to be stopped, as chosen."""
        stops = {Contact.RESIDENT: self.opted_out.data == "yes"}
        if "proxy_opted_out" in self:
            stops[Contact.PROXY] = self.proxy_opted_out.data == "yes"
        return stops


class MergeForm(FlaskForm):
    duplicate = WholeNumberField(
        _l("Record number of the duplicate"),
        bad_input=NUMBER_HINT,
        validators=[InputRequired(NUMBER_HINT), NumberRange(1, 2**31 - 1, NUMBER_HINT)],
    )
    submit = SubmitField(_l("Merge into this record"))


class ResidentSearchForm(FilterForm):
    q = StringField(
        _l("Kana, name or phone number"), filters=[strip_whitespace], validators=[Length(max=50)]
    )


class BookingForm(FlaskForm):
    resident = WholeNumberField(
        _l("Resident"), bad_input=NUMBER_HINT, validators=[InputRequired(REQUIRED)]
    )
    source = SelectField(
        _l("Booked by"),
        choices=[c for c in BookingSource.choices() if c.value in BookingSource.staff_given()],
        default=BookingSource.PHONE.value,
    )
    place = SelectField(_l("Slot"), coerce=int, validate_choice=True)
    submit = SubmitField(_l("Book"))

    def __init__(self, slots: list[SelectChoice] | None, *args, **kwargs) -> None:
        """``slots``: the free slots of a consultation; None for a class (seats are numbered)."""
        super().__init__(*args, **kwargs)
        if slots is None:
            del self.place
        else:
            self.place.choices = [SelectChoice(0, _l("First free slot")), *slots]

    def chosen_place(self) -> int | None:
        return self.place.data or None if "place" in self else None


class CancelBookingForm(FlaskForm):
    reason = _text(_l("Reason (optional)"), 200)
    submit = SubmitField(_l("Cancel the booking"))


class CancelCourseForm(FlaskForm):
    reason = _text(_l("Reason (optional)"), 200)
    submit = SubmitField(_l("Cancel the whole course"))


class BookingAttendanceForm(FlaskForm):
    attended = RadioField(
        _l("Attendance"),
        choices=[SelectChoice("yes", _l("Attended")), SelectChoice("no", _l("Did not come"))],
        validators=[InputRequired(REQUIRED)],
    )


class WalkInForm(FlaskForm):
    resident = WholeNumberField(
        _l("Resident"), bad_input=NUMBER_HINT, validators=[InputRequired(REQUIRED)]
    )


class FollowUpForm(EditForm):
    """``FollowUpForm.of((follow_up, ask))``: the answer recorded so far."""

    answer = RadioField(
        _l("Used an online procedure since the class?"),
        choices=FollowUpAnswer.choices(),
        validators=[InputRequired(REQUIRED)],
    )
    procedure = _text(
        _l("Which procedure"), 200, description=_l("For example マイナポータルで転出届.")
    )
    satisfaction = RadioField(
        SATISFACTION.label,
        choices=[SelectChoice(str(score), label) for score, label in SATISFACTION.choices],
        filters=[strip_whitespace],
        validators=[Optional()],
    )
    note = TextAreaField(_l("Note"), filters=[strip_whitespace], validators=[Length(max=1000)])
    submit = SubmitField(_l("Save the answer"))

    @classmethod
    def stored_values(cls, record):
        """``record`` is the follow-up and its survey ask (None before any), which keeps
        the satisfaction score."""
        follow_up, ask = record
        return {
            "answer": follow_up.answer,
            "procedure": follow_up.procedure,
            "note": follow_up.note,
            "satisfaction": ask.satisfaction if ask else None,
        }


class ExportForm(FlaskForm):
    reason = _text(
        _l("Why do you need this list?"),
        200,
        required=True,
        description=_l("Kept in the audit log with your name."),
    )
    submit = SubmitField(_l("Download CSV"))
