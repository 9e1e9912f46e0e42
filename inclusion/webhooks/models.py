"""Outgoing webhooks: endpoints an administrator registers, and a durable queue of signed
deliveries to them (the transactional outbox: a delivery is written in the same
transaction as the change it tells of)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion.auth.models import User
from inclusion.db import string_enum, utcnow
from inclusion.extensions import db
from inclusion.wards.models import Ward


class WebhookEvent(enum.StrEnum):
    BOOKING_CREATED = "booking.created"
    BOOKING_CANCELLED = "booking.cancelled"
    BOOKING_PROMOTED = "booking.promoted"
    SESSION_CREATED = "session.created"
    SESSION_CHANGED = "session.changed"
    SESSION_CANCELLED = "session.cancelled"
    REMINDER_FAILED = "reminder.failed"
    REPLY_RECEIVED = "reply.received"
    SHIFT_UNFILLED = "shift.unfilled"
    #: Sent only by an administrator's "send a test", to every endpoint asked.
    PING = "ping"

    @property
    def label(self) -> str:
        return str(EVENT_LABELS[self])


EVENT_LABELS = {
    WebhookEvent.BOOKING_CREATED: _l("A booking is made (seat or waiting list)"),
    WebhookEvent.BOOKING_CANCELLED: _l("A booking is cancelled"),
    WebhookEvent.BOOKING_PROMOTED: _l("Someone on the waiting list gets a place"),
    WebhookEvent.SESSION_CREATED: _l("A session is added"),
    WebhookEvent.SESSION_CHANGED: _l("A session is changed"),
    WebhookEvent.SESSION_CANCELLED: _l("A session is cancelled"),
    WebhookEvent.REMINDER_FAILED: _l("A reminder could not be delivered"),
    WebhookEvent.REPLY_RECEIVED: _l("A resident replies to a reminder"),
    WebhookEvent.SHIFT_UNFILLED: _l("A session still lacks volunteers 48 hours before"),
    WebhookEvent.PING: _l("Test"),
}
#: What an endpoint can ask for; a test is sent on request only.
SUBSCRIBABLE = [event for event in WebhookEvent if event != WebhookEvent.PING]


class WebhookEndpoint(db.Model):
    """An HTTPS address that is told of events in one ward (or every ward)."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: None: every ward.
    ward_id: Mapped[int | None] = mapped_column(sa.ForeignKey("wards.id"), index=True)
    ward: Mapped[Ward | None] = relationship(lazy="joined")
    url: Mapped[str] = mapped_column(sa.String(500))
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    #: ``WebhookEvent`` values.
    events: Mapped[list[str]] = mapped_column(sa.JSON)
    #: Read scopes (residents:read, volunteers:read): a payload carries a person's record
    #: only when the endpoint was registered with its read scope.
    scopes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: Standard Webhooks secret, ``whsec_`` and base64; the receiver checks signatures with it.
    secret: Mapped[str] = mapped_column(sa.String(100))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_by: Mapped[User | None] = relationship()
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    def wants(self, event: WebhookEvent, ward_id: int | None) -> bool:
        return (
            self.is_active
            and event.value in self.events
            and (self.ward_id is None or self.ward_id == ward_id)
        )

    def __repr__(self) -> str:
        return f"<WebhookEndpoint {self.id}>"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    #: Every try failed; an administrator may send it again.
    FAILED = "failed"

    @property
    def label(self) -> str:
        return str(DELIVERY_LABELS[self])


DELIVERY_LABELS = {
    DeliveryStatus.PENDING: _l("Waiting to be sent"),
    DeliveryStatus.SENDING: _l("Sending"),
    DeliveryStatus.DELIVERED: _l("Delivered"),
    DeliveryStatus.FAILED: _l("Failed"),
}


class WebhookDelivery(db.Model):
    """One event for one endpoint: its exact body (signed as sent, sent again as it was),
    and what became of each try."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # A message id is sent to an endpoint once, however many dispatchers run; the
        # receiver uses it to tell a retry from a new event.
        sa.UniqueConstraint("endpoint_id", "message_id"),
        sa.Index("ix_webhook_deliveries_status_next_try_dt", "status", "next_try_dt"),
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    endpoint_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    endpoint: Mapped[WebhookEndpoint] = relationship()
    #: ``msg_`` and a random or derived key: the ``webhook-id`` header.
    message_id: Mapped[str] = mapped_column(sa.String(100))
    event: Mapped[WebhookEvent] = mapped_column(string_enum(WebhookEvent, "webhook_event"))
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[DeliveryStatus] = mapped_column(
        string_enum(DeliveryStatus, "webhook_delivery_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_try_dt: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    #: The start of the receiver's last answer, or why nothing was answered.
    last_response: Mapped[str] = mapped_column(sa.String(1000), default="")
    last_try_dt: Mapped[datetime | None]
    delivered_dt: Mapped[datetime | None]
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<WebhookDelivery {self.id} {self.event.value} {self.status.value}>"
