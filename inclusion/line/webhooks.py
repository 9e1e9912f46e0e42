"""LINE's webhook, one address per account (``/line/<account>``): refused (403) unless
``X-Line-Signature`` is the body's HMAC with that account's channel secret.

Each event is handled in a transaction of its own; what the resident is told goes back
as a reply (free of charge, unlike a push) once it is committed.
"""

from __future__ import annotations

import logging

import urllib3
from flask import Blueprint, Response, abort, current_app, request
from linebot.v3 import WebhookParser
from linebot.v3.messaging import ApiException, ReplyMessageRequest, TextMessage
from linebot.v3.webhook import SignatureValidator
from linebot.v3.webhooks import (
    Event,
    FollowEvent,
    MessageEvent,
    PostbackEvent,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
)

from inclusion.auth.access import signed_webhook
from inclusion.extensions import csrf, db
from inclusion.line import services
from inclusion.line.accounts import LineAccount, accounts, client

log = logging.getLogger(__name__)

bp = Blueprint("line", __name__, url_prefix="/line")
csrf.exempt(bp)

#: A webhook holds a few events; LINE's own are far smaller than this.
MAX_BODY = 256 * 1024
REPLY_TIMEOUT_SECONDS = 3.0


def _account() -> LineAccount | None:
    return accounts().get((request.view_args or {}).get("account", ""))


def valid_signature() -> bool:
    account = _account()
    signature = request.headers.get("X-Line-Signature", "")
    if account is None or not signature or (request.content_length or 0) > MAX_BODY:
        return False
    body = request.get_data(as_text=True)
    return SignatureValidator(account.secret).validate(body, signature)


@bp.route("/<account>", methods=["POST"])
@signed_webhook(valid_signature)
def webhook(account: str):
    found = _account()
    try:
        events = WebhookParser(found.secret, lambda: True).parse(
            request.get_data(as_text=True), ""
        )
    except (ValueError, KeyError, TypeError):
        abort(400)
    for event in events:
        try:
            told = _handle(found, event)
            db.session.commit()
        except Exception:
            # One event that could not be handled leaves the others to be handled.
            db.session.rollback()
            log.exception("LINE event on %s not handled", found.name)
            continue
        reply_token = getattr(event, "reply_token", None)
        if told and reply_token:
            _reply(found, reply_token, told)
    return Response(status=200)


def _handle(account: LineAccount, event: Event) -> str:
    """What one event does; returns what to tell the user ('' for nothing)."""
    source = event.source
    if not isinstance(source, UserSource) or not source.user_id:
        return ""  # a group or a room: the programme talks to people one by one
    user = source.user_id[:64]
    if isinstance(event, FollowEvent):
        return services.followed(account, user)
    if isinstance(event, UnfollowEvent):
        services.blocked(account, user)
        return ""
    if isinstance(event, PostbackEvent):
        return services.tapped(account, user, (event.postback.data or "")[:300])
    if isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
        return services.said(account, user, event.message.text or "")
    return ""


def _reply(account: LineAccount, reply_token: str, told: str) -> None:
    """Send what the user is told; already done is done, so a failure (refused, unreached,
    an answer of a shape the SDK does not read) is only logged."""
    request_body = ReplyMessageRequest(reply_token=reply_token, messages=[TextMessage(text=told)])
    try:
        # LINE waits only a few seconds for the webhook's answer.
        timeout = min(current_app.config["LINE_TIMEOUT_SECONDS"], REPLY_TIMEOUT_SECONDS)
        client(account, current_app.config).reply_message(request_body, _request_timeout=timeout)
    except (ApiException, urllib3.exceptions.HTTPError, ValueError) as error:
        log.warning("LINE reply on %s not sent: %s", account.name, type(error).__name__)
