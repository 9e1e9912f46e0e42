"""Twilio's callbacks: refused (403) unless ``X-Twilio-Signature`` matches the public URL."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from inclusion.auth.access import signed_webhook
from inclusion.extensions import csrf, db
from inclusion.reminders import replies
from inclusion.reminders.channels import GOODBYE, call_twiml
from inclusion.reminders.models import Reminder

bp = Blueprint("twilio", __name__, url_prefix="/twilio")
csrf.exempt(bp)

KEYS = {"1": replies.CONFIRM, "2": replies.CANCEL}
SAID_AFTER = {
    replies.CONFIRM: "ありがとうございます。当日お待ちしております。",
    replies.CANCEL: "ご予約を取り消しました。またのご参加をお待ちしております。",
}
SMS_AFTER = {
    replies.CONFIRM: "ありがとうございます。当日お待ちしております。",
    replies.CANCEL: "ご予約を取り消しました。",
    replies.STOP: "今後、お知らせは送りません。",
}


def _public_url() -> str:
    """The URL Twilio signed: the configured public address, or this request's (ProxyFix)."""
    base = current_app.config["PUBLIC_BASE_URL"]
    path = request.full_path.rstrip("?")
    return f"{base}{path}" if base else request.url


def valid_signature() -> bool:
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    return RequestValidator(token).validate(_public_url(), request.form.to_dict(), signature)


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
    replies.record_status(reminder, provider_status, request.form.get("AnsweredBy", ""))
    db.session.commit()
    return Response(status=204)


@bp.route("/voice/<int:reminder_id>", methods=["POST"])
@signed_webhook(valid_signature)
def keypad(reminder_id: int):
    """A key pressed during a reminder call: 1 confirm, 2 cancel, 9 hear it again."""
    reminder = _reminder(reminder_id)
    voice = current_app.config["REMINDER_VOICE"]
    answer = KEYS.get(request.form.get("Digits", ""))
    if answer is None:
        return _xml(call_twiml(reminder.body, voice, request.url))
    replies.apply_reply(reminder, answer)
    db.session.commit()
    response = VoiceResponse()
    response.say(SAID_AFTER[answer], language="ja-JP", voice=voice)
    response.say(GOODBYE, language="ja-JP", voice=voice)
    return _xml(response)


@bp.route("/sms", methods=["POST"])
@signed_webhook(valid_signature)
def inbound_sms():
    """A reply to a reminder SMS, matched to the last reminder sent to that number."""
    answer = replies.sms_answer(request.form.get("Body", ""))
    reminder = replies.replied_reminder(request.form.get("From", ""))
    response = MessagingResponse()
    if answer is not None and reminder is not None:
        replies.apply_reply(reminder, answer)
        db.session.commit()
        response.message(SMS_AFTER[answer])
    return _xml(response)
