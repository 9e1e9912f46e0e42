"""Twilio's callbacks: refused (403) unless ``X-Twilio-Signature`` matches the public URL."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request, url_for
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from inclusion.auth.access import signed_webhook
from inclusion.cover import services as cover
from inclusion.extensions import csrf, db
from inclusion.reminders import messages, notices, replies
from inclusion.reminders.channels import (
    ABOUT_BOOKING,
    GOODBYE,
    PROMPT,
    call_twiml,
    machine_twiml,
)
from inclusion.reminders.models import COVER_OFFER, Recipient, Reminder
from inclusion.surveys.voice import ABOUT_SURVEY, key_url, question_twiml
from inclusion.web import twilio_url

bp = Blueprint("twilio", __name__, url_prefix="/twilio")
csrf.exempt(bp)

KEYS = {"1": replies.CONFIRM, "2": replies.CANCEL}


def valid_signature() -> bool:
    """Signed by Twilio for our configured address. Never for a URL built from the
    request's Host header, which whoever sends the request chooses: without
    PUBLIC_BASE_URL every webhook is refused."""
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    base = current_app.config["PUBLIC_BASE_URL"]
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature or not base:
        return False
    return RequestValidator(token).validate(
        twilio_url(request.url), request.form.to_dict(), signature
    )


def _reminder(reminder_id: int) -> Reminder:
    reminder = db.session.get(Reminder, reminder_id)
    if reminder is None:
        abort(404)
    return reminder


def _xml(twiml: object) -> Response:
    return Response(str(twiml), mimetype="text/xml")


@bp.route("/status/<int:reminder_id>", methods=["POST"])
@signed_webhook(valid_signature)
def status(reminder_id: int):
    reminder = _reminder(reminder_id)
    provider_status = request.form.get("MessageStatus") or request.form.get("CallStatus", "")
    replies.record_status(
        reminder,
        provider_status,
        request.form.get("AnsweredBy", ""),
        request.form.get("ErrorCode", ""),
    )
    db.session.commit()
    return Response(status=204)


@bp.route("/voice/<int:reminder_id>/answered", methods=["POST"])
@signed_webhook(valid_signature)
def answered(reminder_id: int):
    """The call was answered: the reminder with its choices, or a short message for a machine."""
    reminder = _reminder(reminder_id)
    voice = current_app.config["REMINDER_VOICE"]
    if request.form.get("AnsweredBy", "").startswith(("machine", "fax")):
        ward = reminder.ward
        return _xml(
            machine_twiml(
                messages.spoken_number(ward.booking_phone), ward.name_ja, voice, _about(reminder)
            )
        )
    if reminder.survey_ask is not None:
        return _xml(question_twiml(reminder.survey_ask.kind, 0, voice, key_url(reminder.id, 0),
                                   opening=reminder.body))  # fmt: skip
    keypad = url_for("twilio.keypad", reminder_id=reminder.id, _external=True)
    return _xml(call_twiml(reminder.body, voice, twilio_url(keypad), _prompt(reminder)))


#: What a volunteer's call, or one about a loan smartphone, is about, as an answering
#: machine is told.
ABOUT_HELP = "支援員のお手伝いについて"
ABOUT_LOAN = "お貸ししているスマートフォンについて"


def _about(reminder: Reminder) -> str:
    if reminder.loan_id is not None:
        return ABOUT_LOAN
    if reminder.survey_ask_id is not None:
        return ABOUT_SURVEY
    return ABOUT_HELP if reminder.recipient == Recipient.VOLUNTEER else ABOUT_BOOKING


#: What a call offering a seat to those waiting asks: only a yes, the first to say it.
OFFER_PROMPT = "ご参加の方は1を、もう一度お聞きになる方は9を押してください。"


def _keys(reminder: Reminder) -> tuple[str, ...]:
    """The keys that answer a resident's call: 1 and 2; an offer of a seat, 1 alone."""
    return ("1",) if reminder.kind == notices.OFFER else tuple(KEYS)


def _prompt(reminder: Reminder) -> str | None:
    """The keys a call offers: a resident's reminder 1 and 2, an offer to cover 1 and 2;
    a volunteer's other news and word about a loan smartphone none."""
    if reminder.kind == COVER_OFFER:
        return cover.PROMPT
    if reminder.recipient == Recipient.VOLUNTEER or reminder.booking_id is None:
        return None
    return OFFER_PROMPT if reminder.kind == notices.OFFER else PROMPT


@bp.route("/voice/<int:reminder_id>", methods=["POST"])
@signed_webhook(valid_signature)
def keypad(reminder_id: int):
    """A key pressed during a call: on a reminder 1 confirm, 2 cancel; on an offer to cover
    1 take it, 2 decline; 9 (or any other key) hears it again."""
    reminder = _reminder(reminder_id)
    voice = current_app.config["REMINDER_VOICE"]
    digits = request.form.get("Digits", "")
    if reminder.kind == COVER_OFFER and digits in (cover.TAKE, cover.DECLINE):
        told = cover.answer_by_key(reminder, digits)
    elif reminder.booking_id is not None and digits in _keys(reminder):
        told = replies.answer_keypad(reminder, KEYS[digits], digits).told
    else:
        return _xml(call_twiml(reminder.body, voice, twilio_url(request.url), _prompt(reminder)))
    db.session.commit()
    response = VoiceResponse()
    response.say(told, language="ja-JP", voice=voice)
    response.say(GOODBYE, language="ja-JP", voice=voice)
    return _xml(response)


@bp.route("/sms", methods=["POST"])
@signed_webhook(valid_signature)
def inbound_sms():
    """An SMS back to us: acted on only when it is certain what it means; staff see it all."""
    handled = replies.answer_sms(request.form.get("From", "")[:20], request.form.get("Body", ""))
    db.session.commit()
    response = MessagingResponse()
    if handled.told:
        response.message(handled.told)
    return _xml(response)
