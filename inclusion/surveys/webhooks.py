"""Keys pressed on a survey call (Twilio's callbacks, signed like every other)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, request

from inclusion.auth.access import signed_webhook
from inclusion.extensions import csrf, db
from inclusion.reminders.webhooks import _reminder, _xml, valid_signature
from inclusion.surveys import services
from inclusion.surveys.questions import QUESTIONS
from inclusion.surveys.voice import CLOSED, key_url, question_twiml, thanks_twiml

bp = Blueprint("survey_calls", __name__, url_prefix="/twilio/survey")
csrf.exempt(bp)


@bp.route("/<int:reminder_id>/<int:step>", methods=["POST"])
@signed_webhook(valid_signature)
def keypad(reminder_id: int, step: int):
    """A key for question ``step``: recorded, then the next question (or thanks); 9, or a
    key that answers nothing, hears the question again."""
    reminder = _reminder(reminder_id)
    ask = reminder.survey_ask
    if ask is None or step >= len(QUESTIONS[ask.kind]):
        abort(404)
    voice = current_app.config["REMINDER_VOICE"]
    question = QUESTIONS[ask.kind][step]
    digits = request.form.get("Digits", "")
    if digits not in question.keys:
        return _xml(question_twiml(ask.kind, step, voice, key_url(reminder.id, step)))
    taken = services.record_key(ask, question, question.keys[digits], reminder)
    db.session.commit()
    if not taken:
        return _xml(thanks_twiml(voice, CLOSED))
    if step + 1 == len(QUESTIONS[ask.kind]):
        return _xml(thanks_twiml(voice))
    return _xml(question_twiml(ask.kind, step + 1, voice, key_url(reminder.id, step + 1)))
