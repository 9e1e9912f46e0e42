"""Delivering queued webhooks: claimed under a lease (SKIP LOCKED, so several dispatchers
share the queue), signed by the Standard Webhooks scheme, retried with growing waits, and
kept with the receiver's last answer.

Delivery is at least once: a dispatcher that dies mid-send leaves the row ``sending``, and
when its lease runs out it is sent again with the same ``webhook-id``, by which receivers
tell a retry from a new event.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import requests
import sqlalchemy as sa
from flask import current_app
from standardwebhooks import Webhook

from inclusion import clock
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.forms import plain_text
from inclusion.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from inclusion.webhooks.services import check_url

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
#: The wait before each try after a failed one: about a day in all, then ``failed``.
RETRY_WAITS = [timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10),
               timedelta(minutes=30), timedelta(hours=1), timedelta(hours=3),
               timedelta(hours=6), timedelta(hours=12)]  # fmt: skip
SENDERS = 4
USER_AGENT = "inclusion-webhooks/1"


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    #: The try this claim is: its outcome is written only while the row is still this try.
    attempt: int
    url: str
    secret: str
    message_id: str
    body: str


@dataclass
class Outcome:
    status_code: int | None = None
    response: str = ""


@dataclass
class DeliveryResult:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    expired: list[int] = field(default_factory=list)


def sign(claimed: Claimed, moment: datetime) -> dict[str, str]:
    """The Standard Webhooks headers: the message id, when it was sent, and the HMAC."""
    return {
        "webhook-id": claimed.message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(claimed.secret).sign(
            claimed.message_id, moment, claimed.body
        ),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def expire_leases(now: datetime) -> list[int]:
    """Rows left ``sending`` past their lease (a dispatcher died) are sent again."""
    return list(
        db.session.scalars(
            sa.update(WebhookDelivery)
            .where(WebhookDelivery.status == DeliveryStatus.SENDING,
                   WebhookDelivery.lease_until < now)
            .values(status=DeliveryStatus.PENDING, lease_until=None, next_try_dt=now)
            .returning(WebhookDelivery.id)
        )
    )  # fmt: skip


def claim(now: datetime, limit: int) -> list[Claimed]:
    """Due rows of endpoints still sending, oldest first, marked ``sending`` and committed;
    the lease runs from the moment of the claim, not of the job."""
    rows = db.session.execute(
        sa.select(WebhookDelivery, WebhookEndpoint.url, WebhookEndpoint.secret)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.status == DeliveryStatus.PENDING,
               WebhookDelivery.next_try_dt <= now, WebhookEndpoint.is_active)
        .order_by(WebhookDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=WebhookDelivery)
    ).all()  # fmt: skip
    claimed = []
    lease_until = max(now, clock.now()) + LEASE
    for delivery, url, secret in rows:
        delivery.status, delivery.lease_until = DeliveryStatus.SENDING, lease_until
        delivery.attempts += 1
        claimed.append(Claimed(delivery.id, delivery.attempts, url, secret,
                               delivery.message_id, delivery.body))  # fmt: skip
    db.session.commit()
    return claimed


def post(claimed: Claimed) -> Outcome:
    """Send one delivery, signed as of this moment (a retry gets a fresh timestamp, as
    receivers refuse old ones); never raises: what went wrong is the outcome's response."""
    try:
        url = check_url(claimed.url)  # the setting may have changed since it was registered
    except RuleViolation as refused:
        return Outcome(None, str(refused.message))
    try:
        with requests.post(
            url,
            data=claimed.body.encode(),
            headers=sign(claimed, clock.now()),
            timeout=current_app.config["WEBHOOK_TIMEOUT_SECONDS"],
            allow_redirects=False,
            stream=True,  # only the start of the answer is read, however long it is
        ) as answer:
            start = answer.raw.read(1000, decode_content=True)
    except requests.RequestException as error:
        return Outcome(None, type(error).__name__)
    # Read as UTF-8 whatever it claims: a guess from a few bytes of an error page is worse.
    return Outcome(answer.status_code, plain_text(start.decode("utf-8", "replace")))


def record(claimed: Claimed, outcome: Outcome, now: datetime, result: DeliveryResult) -> None:
    """Write one try's outcome, only if the row is still at that try (a dispatcher whose
    lease ran out and whose row another has claimed since writes nothing)."""
    attempts = claimed.attempt
    values: dict = {"last_status_code": outcome.status_code, "last_try_dt": now,
                    "last_response": outcome.response, "lease_until": None}  # fmt: skip
    if outcome.status_code is not None and 200 <= outcome.status_code < 300:
        values |= {"status": DeliveryStatus.DELIVERED, "delivered_dt": now}
        result.delivered += 1
    elif attempts <= len(RETRY_WAITS):
        values |= {
            "status": DeliveryStatus.PENDING,
            "next_try_dt": now + RETRY_WAITS[attempts - 1],
        }
        result.retried += 1
    else:
        values |= {"status": DeliveryStatus.FAILED}
        result.failed += 1
    db.session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.id == claimed.delivery_id,
               WebhookDelivery.status == DeliveryStatus.SENDING,
               WebhookDelivery.attempts == claimed.attempt)
        .values(**values)
    )  # fmt: skip


def deliver_due(now: datetime, batch: int = 50) -> DeliveryResult:
    """Send everything due at ``now``, a batch at a time, several at once."""
    result = DeliveryResult(expired=expire_leases(now))
    db.session.commit()
    app = current_app._get_current_object()

    def send(claimed: Claimed) -> Outcome:
        with app.app_context():
            return post(claimed)

    with ThreadPoolExecutor(SENDERS) as pool:
        while claimed := claim(now, batch):
            for one, outcome in zip(claimed, pool.map(send, claimed), strict=True):
                record(one, outcome, now, result)
            db.session.commit()
    if result.delivered or result.retried or result.failed:
        log.info("webhooks delivered: %s", result)
    return result
