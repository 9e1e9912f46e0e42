"""The phone line's webhooks: Twilio asks what to say when a call comes in to a ward's
programme number, after each key, and tells us when the call ends. Refused (403) unless
signed by Twilio for our public address."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, Response, request

from inclusion.auth.access import signed_webhook
from inclusion.extensions import csrf, db
from inclusion.phoneline import flow, services
from inclusion.phoneline.models import PhoneLineCall
from inclusion.reminders.webhooks import valid_signature
from inclusion.web import as_id, ward_or_404

log = logging.getLogger(__name__)
#: The keys of a phone.
KEYS = frozenset("0123456789*#")

bp = Blueprint("phoneline", __name__, url_prefix="/twilio/phone")
csrf.exempt(bp)


def _xml(twiml: str) -> Response:
    return Response(twiml, mimetype="text/xml")


def _sid() -> str:
    return request.form.get("CallSid", "")[:64]


@bp.route("/<ward>", methods=["POST"])
@signed_webhook(valid_signature)
def incoming(ward: str):
    """A call came in: greet the caller."""
    return _step(ward, 0)


@bp.route("/<ward>/<int:number>", methods=["POST"])
@signed_webhook(valid_signature)
def step(ward: str, number: int):
    """The caller pressed a key (or spoke) at step ``number``."""
    return _step(ward, number)


def _step(ward_key: str, number: int) -> Response:
    ward = ward_or_404(ward_key)
    sid = _sid()
    if not sid:
        return Response(status=400)
    before = services.answered_before(ward, sid, number)
    if before is not None:
        return _xml(before)
    digits = "".join(char for char in request.form.get("Digits", "")[:10] if char in KEYS)
    try:
        call = services.start_call(ward, sid, request.form.get("From", ""))
        claimed = services.claim_step(call, number, digits)
        if claimed is None:
            # The same step, asked again while we answered it: the first answer stands.
            db.session.rollback()
            return _xml(services.answered_before(ward, sid, number) or flow.apology(ward))
        if number == 0:
            twiml = flow.greet(call)
        else:
            said = services.clean_speech(request.form.get("SpeechResult", ""))
            at = flow.At.read(request.args)
            twiml = flow.answer(call, number, at, digits, said, request.form)
        claimed.twiml = twiml
        db.session.commit()
    except Exception:
        # A caller hears an apology and the ward's number, never Twilio's error in English;
        # nothing of the step is kept, so Twilio asking it again tries it anew.
        log.exception("phone line: call %s step %s failed", sid, number)
        db.session.rollback()
        return _xml(flow.apology(ward))
    return _xml(twiml)


@bp.route("/<ward>/status", methods=["POST"])
@signed_webhook(valid_signature)
def status(ward: str):
    """Twilio reports the call's end: its length, and so what came of it."""
    found = ward_or_404(ward)
    call = db.session.scalar(
        sa.select(PhoneLineCall).where(
            PhoneLineCall.sid == _sid(), PhoneLineCall.ward_id == found.id
        )
    )
    if call is not None and request.form.get("CallStatus") in services.ENDED:
        duration = as_id(request.form.get("CallDuration", "")[:7])
        services.end_call(call, duration)
        db.session.commit()
    return Response(status=204)
