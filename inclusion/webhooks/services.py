"""Registering webhook endpoints, and queuing an event for each endpoint that asked for it
in the transaction of the change itself."""

from __future__ import annotations

import base64
import json
import logging
import secrets
import uuid
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from inclusion import clock
from inclusion.api.models import ApiScope
from inclusion.audit.services import record_event, record_resident_reads
from inclusion.auth.models import User
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.residents.models import Resident
from inclusion.wards.models import Ward
from inclusion.webhooks.models import (
    SUBSCRIBABLE,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

log = logging.getLogger(__name__)

#: The read scopes an endpoint may be given: a payload carries a person only with one.
READ_SCOPES = (ApiScope.RESIDENTS_READ, ApiScope.VOLUNTEERS_READ)
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
ENDPOINT_CHANGED = _l("Not sent: the endpoint's address, ward or permissions changed.")


def check_url(url: str) -> str:
    """An address deliveries may go to: HTTPS; plain HTTP only to this machine, and only
    when ``WEBHOOK_ALLOW_LOOPBACK`` is on (development and tests)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        host = None
    if not host or len(url) > 500 or parts.username or parts.password:
        raise RuleViolation(_l("Enter an address such as https://example.jp/hooks."), "url")
    loopback = current_app.config["WEBHOOK_ALLOW_LOOPBACK"] and host in LOOPBACK_HOSTS
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise RuleViolation(_l("The address must start with https://."), "url")
    return url


def _checked(events: Iterable[str], scopes: Iterable[str]) -> tuple[list[str], list[str]]:
    chosen = sorted(
        {WebhookEvent(event).value for event in events} & {e.value for e in SUBSCRIBABLE}
    )
    if not chosen:
        raise RuleViolation(_l("Choose at least one event."), "events")
    allowed = {scope.value for scope in READ_SCOPES}
    return chosen, sorted({ApiScope(scope).value for scope in scopes} & allowed)


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def register_endpoint(
    actor: User,
    ward: Ward | None,
    url: str,
    events: Iterable[str],
    scopes: Iterable[str],
    description: str = "",
) -> WebhookEndpoint:
    """Add an endpoint; its secret is shown to the administrator to give the receiver."""
    chosen, read_scopes = _checked(events, scopes)
    endpoint = WebhookEndpoint(ward=ward, url=check_url(url), events=chosen, scopes=read_scopes,
                               description=description.strip()[:200], secret=new_secret(),
                               created_by=actor)  # fmt: skip
    db.session.add(endpoint)
    db.session.flush()
    record_event(actor, "webhook.create", endpoint, ward,
                 {"url": endpoint.url, "events": chosen, "scopes": read_scopes})  # fmt: skip
    return endpoint


def update_endpoint(
    actor: User,
    endpoint: WebhookEndpoint,
    ward: Ward | None,
    url: str,
    events: Iterable[str],
    scopes: Iterable[str],
    description: str,
    is_active: bool,
) -> bool:
    """Change an endpoint; returns whether anything changed (audited with what)."""
    chosen, read_scopes = _checked(events, scopes)
    new = {"url": check_url(url), "events": chosen, "scopes": read_scopes, "ward": ward,
           "description": description.strip()[:200], "is_active": is_active}  # fmt: skip
    changed = {name: [getattr(endpoint, name), value] for name, value in new.items()
               if getattr(endpoint, name) != value}  # fmt: skip
    for name, (_old, value) in changed.items():
        setattr(endpoint, name, value)
    if changed.keys() & {"url", "ward", "scopes"}:
        # Waiting messages were written for the old receiver and its permissions: they
        # go nowhere now (an administrator may send one again, under the new ones).
        db.session.execute(
            sa.update(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id,
                   WebhookDelivery.status == DeliveryStatus.PENDING)
            .values(status=DeliveryStatus.FAILED, last_response=str(ENDPOINT_CHANGED))
        )  # fmt: skip
    if changed:
        db.session.flush()
        record_event(actor, "webhook.update", endpoint, endpoint.ward,
                     {"changed": sorted(changed)})  # fmt: skip
    return bool(changed)


def rotate_secret(actor: User, endpoint: WebhookEndpoint) -> str:
    """A new secret at once: deliveries from now on are signed with it."""
    endpoint.secret = new_secret()
    db.session.flush()
    record_event(actor, "webhook.rotate", endpoint, endpoint.ward, {})
    return endpoint.secret


def delete_endpoint(actor: User, endpoint: WebhookEndpoint) -> bool:
    record_event(actor, "webhook.delete", endpoint, endpoint.ward, {"url": endpoint.url})
    db.session.delete(endpoint)
    db.session.flush()
    return True


def list_endpoints() -> list[WebhookEndpoint]:
    return list(db.session.scalars(sa.select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def recent_deliveries(endpoint: WebhookEndpoint, limit: int = 50) -> list[WebhookDelivery]:
    return list(
        db.session.scalars(
            sa.select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


def residents_in(delivery: WebhookDelivery) -> set[int]:
    """The residents whose record or words a delivery's body carries."""
    data = json.loads(delivery.body).get("data", {})
    found = set()
    if isinstance(data.get("resident"), dict):
        found.add(data["resident"]["id"])
    reply = data.get("reply")
    if isinstance(reply, dict) and "body" in reply:
        found.update(reply.get("resident_ids", []))
    return found


def replay(actor: User, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again, as it was (same id and body), for a receiver that lost it.
    People's records in it go again only while the endpoint may still receive them, and
    are audit-logged again."""
    if delivery.status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING):
        raise RuleViolation(_l("This delivery is on its way already."))
    residents = residents_in(delivery)
    if residents and ApiScope.RESIDENTS_READ.value not in delivery.endpoint.scopes:
        raise RuleViolation(
            _l("This message holds residents' records, which the endpoint may no longer "
               "receive: it is not sent again.")
        )  # fmt: skip
    delivery.status, delivery.next_try_dt, delivery.attempts = (
        DeliveryStatus.PENDING, clock.now(), 0
    )  # fmt: skip
    db.session.flush()
    if residents:
        wards = dict(db.session.execute(
            sa.select(Resident.id, Resident.ward_id).where(Resident.id.in_(residents))
        ).all())  # fmt: skip
        record_resident_reads(actor.id, wards, {"via": f"webhook {delivery.endpoint_id} replay"})
    record_event(actor, "webhook.replay", delivery.endpoint, delivery.endpoint.ward,
                 {"delivery": delivery.id, "event": delivery.event.value})  # fmt: skip
    return delivery


def send_test(actor: User, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Queue a ``ping`` to the endpoint, to check the receiver and its secret."""
    delivery = _delivery(endpoint, WebhookEvent.PING, {"endpoint_id": endpoint.id}, None)
    db.session.add(delivery)
    db.session.flush()
    record_event(actor, "webhook.test", endpoint, endpoint.ward, {})
    return delivery


# -- queuing events ------------------------------------------------------------------------


def _delivery(
    endpoint: WebhookEndpoint, event: WebhookEvent, data: dict, key: str | None
) -> WebhookDelivery:
    # Standard Webhooks' envelope: the type, when it happened, and the data.
    moment = clock.to_local(clock.now()).isoformat()  # as the API writes times: +09:00
    body = json.dumps({"type": event.value, "timestamp": moment, "data": data},
                      ensure_ascii=False, separators=(",", ":"), default=str)  # fmt: skip
    message_id = f"msg_{key}" if key else f"msg_{uuid.uuid4().hex}"
    return WebhookDelivery(endpoint=endpoint, message_id=message_id, event=event, body=body,
                           next_try_dt=clock.now())  # fmt: skip


def endpoints_for(event: WebhookEvent, ward_id: int | None) -> list[WebhookEndpoint]:
    candidates = db.session.scalars(
        sa.select(WebhookEndpoint).where(
            WebhookEndpoint.is_active,
            sa.or_(WebhookEndpoint.ward_id.is_(None), WebhookEndpoint.ward_id == ward_id),
        )
    )
    return [endpoint for endpoint in candidates if endpoint.wants(event, ward_id)]


def enqueue(
    event: WebhookEvent,
    ward_id: int | None,
    build: Callable[[frozenset[str]], dict],
    residents: dict[int, int] | None = None,
    key: str | None = None,
) -> int:
    """Queue ``event`` for every endpoint that asked for it, in this transaction. ``build``
    makes the data from an endpoint's read scopes; the ``residents`` (id: ward id) whose
    records go out to an endpoint with residents:read are audit-logged. A ``key`` makes the
    message id, so an event found twice (by two scheduler runs) is queued once."""
    queued = 0
    for endpoint in endpoints_for(event, ward_id):
        scopes = frozenset(endpoint.scopes)
        delivery = _delivery(endpoint, event, build(scopes), key)
        try:
            with db.session.begin_nested():
                db.session.add(delivery)
                db.session.flush()
        except sa.exc.IntegrityError:  # this key was queued for the endpoint already
            continue
        queued += 1
        if residents and ApiScope.RESIDENTS_READ.value in scopes:
            record_resident_reads(None, residents,
                                  {"via": f"webhook {endpoint.id} {event.value}"})  # fmt: skip
    return queued
