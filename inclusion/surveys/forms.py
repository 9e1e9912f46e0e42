from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from inclusion.auth.forms import REQUIRED
from inclusion.forms import WholeNumberField, strip_whitespace
from inclusion.sessions.forms import NUMBER_HINT
from inclusion.surveys.models import LABELS, SurveyKind, SurveyOutcome
from inclusion.surveys.questions import QUESTIONS, RESOLVED, SATISFACTION, USED_ONLINE, Question
from inclusion.surveys.services import MAX_SAMPLE


def _choice_value(value: bool | int) -> str:
    """How an answer travels in a form: yes, no, or the score."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _field(question: Question) -> RadioField:
    return RadioField(
        question.label,
        choices=[SelectChoice(_choice_value(value), label) for value, label in question.choices],
        filters=[strip_whitespace],
        validators=[Optional()],
    )


class AnswerForm(FlaskForm):
    """A survey's questions; ``for_kind`` keeps those the survey asks."""

    used_online = _field(USED_ONLINE)
    resolved = _field(RESOLVED)
    satisfaction = _field(SATISFACTION)
    submit = SubmitField(_l("Send the answers"))

    def for_kind(self, kind: SurveyKind) -> AnswerForm:
        asked = {question.column for question in QUESTIONS[kind]}
        for question in (USED_ONLINE, RESOLVED, SATISFACTION):
            if question.column not in asked:
                delattr(self, question.column)
        return self

    def answers(self, kind: SurveyKind) -> dict[str, bool | int | None]:
        """Each question's answer as stored; None where none was chosen."""
        found = {}
        for question in QUESTIONS[kind]:
            chosen = self[question.column].data
            by_value = {_choice_value(value): value for value, _label in question.choices}
            found[question.column] = by_value.get(chosen)
        return found

    def show(self, ask) -> AnswerForm:
        """Filled with what ``ask`` holds (an answer recorded before)."""
        for question in QUESTIONS[ask.kind]:
            value = getattr(ask, question.column)
            if value is not None and not self.is_submitted():
                self[question.column].data = _choice_value(value)
        return self


class ResidentAnswerForm(AnswerForm):
    """The resident's own page: the first question must be answered."""

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.used_online.data not in ("yes", "no"):
            self.used_online.errors = [_l("Choose an answer.")]
            return False
        return True


class StaffAnswerForm(AnswerForm):
    outcome = RadioField(
        _l("What came of the call"),
        # The lazy labels: translated when shown, in the reader's language.
        choices=[SelectChoice(outcome.value, LABELS[outcome]) for outcome in SurveyOutcome],
        validators=[InputRequired(REQUIRED)],
        default=SurveyOutcome.ANSWERED.value,
    )
    note = TextAreaField(_l("Note"), filters=[strip_whitespace], validators=[Length(max=1000)])
    submit = SubmitField(_l("Save the answer"))


class DrawForm(FlaskForm):
    size = WholeNumberField(
        _l("How many residents"),
        bad_input=NUMBER_HINT,
        default=100,
        validators=[
            InputRequired(NUMBER_HINT),
            NumberRange(1, MAX_SAMPLE, _l("Draw from 1 to %(most)d residents.", most=MAX_SAMPLE)),
        ],
    )
    older_only = BooleanField(_l("Only residents aged 65 or over (birth year known)"))
    submit = SubmitField(_l("Draw the sample"))
