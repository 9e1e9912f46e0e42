"""Queue a webhook for each change other features signal, in the change's transaction.

Payloads are written in the API's own schemas, so an integration reads the same fields in
a webhook as in the API. A person's record goes out only to an endpoint registered with
its read scope (residents:read); ids always do.
"""

from __future__ import annotations

from inclusion.api import schemas
from inclusion.api.disclosure import whole_record
from inclusion.api.lookups import with_counts
from inclusion.api.models import ApiScope
from inclusion.api.problems import api_name
from inclusion.courses.models import Enrolment
from inclusion.courses.services import enrolment_booking_ids
from inclusion.extensions import db
from inclusion.reminders.models import Reminder
from inclusion.reminders.signals import reminder_failed, reply_received
from inclusion.residents.models import Booking
from inclusion.residents.signals import booking_cancelled, booking_created, booking_promoted
from inclusion.sessions.signals import session_cancelled, session_changed, session_created
from inclusion.webhooks.models import WebhookEvent
from inclusion.webhooks.services import enqueue

READS_RESIDENTS = ApiScope.RESIDENTS_READ.value


def dump(schema: type, record) -> dict:
    """A record as the API writes it whole: what goes out is chosen here, by scope."""
    with whole_record():
        return schema().dump(record)


def _booking_data(booking: Booking, scopes: frozenset[str], **extra) -> dict:
    data = {"booking": dump(schemas.Booking, booking),
            "session": dump(schemas.SessionRef, booking.session), **extra}  # fmt: skip
    if READS_RESIDENTS in scopes:
        data["resident"] = dump(schemas.Resident, booking.resident)
    return data


def _booking_event(event: WebhookEvent, booking: Booking, **extra) -> None:
    enqueue(event, booking.ward_id, lambda scopes: _booking_data(booking, scopes, **extra),
            residents={booking.resident_id: booking.ward_id})  # fmt: skip


@booking_created.connect
def _booking_created(booking, **_extra) -> None:
    _booking_event(WebhookEvent.BOOKING_CREATED, booking)


@booking_promoted.connect
def _booking_promoted(booking, **_extra) -> None:
    # A course's place is taken whole and signalled once: name every date's booking.
    extra = {}
    if booking.enrolment_id is not None:
        enrolment = db.session.get(Enrolment, booking.enrolment_id)
        extra["course_booking_ids"] = enrolment_booking_ids(enrolment)
    _booking_event(WebhookEvent.BOOKING_PROMOTED, booking, **extra)


@booking_cancelled.connect
def _booking_cancelled(booking, promoted=None, **_extra) -> None:
    promoted_to = dump(schemas.Booking, promoted) if promoted is not None else None
    _booking_event(WebhookEvent.BOOKING_CANCELLED, booking, promoted=promoted_to)


def _session_event(event: WebhookEvent, session, **extra) -> None:
    shown = dump(schemas.Session, with_counts([session])[0])
    enqueue(event, session.ward_id, lambda _scopes: {"session": shown, **extra})


@session_created.connect
def _session_created(session, **_extra) -> None:
    _session_event(WebhookEvent.SESSION_CREATED, session)


@session_changed.connect
def _session_changed(session, changes=None, moved: bool = False, reason: str = "", **_extra):
    changed = sorted({api_name(name) for name in changes or {}})
    _session_event(WebhookEvent.SESSION_CHANGED, session, changed=changed, moved=moved,
                   reason=reason)  # fmt: skip


@session_cancelled.connect
def _session_cancelled(session, reason: str = "", **_extra) -> None:
    _session_event(WebhookEvent.SESSION_CANCELLED, session, reason=reason)


@reminder_failed.connect
def _reminder_failed(reminder_id: int, **_extra) -> None:
    reminder = db.session.get(Reminder, reminder_id)
    shown = dump(schemas.Reminder, reminder)
    # Keyed by the reminder: two status callbacks telling the same failure queue it once.
    enqueue(WebhookEvent.REMINDER_FAILED, reminder.ward_id, lambda _scopes: {"reminder": shown},
            key=f"reminder-failed-{reminder.id}")  # fmt: skip


@reply_received.connect
def _reply_received(reply, **_extra) -> None:
    whole = dump(schemas.Reply, reply)
    without_words = {name: whole[name] for name in schemas.Reply.NOT_PERSONAL if name in whole}

    def data(scopes: frozenset[str]) -> dict:
        return {"reply": whole if READS_RESIDENTS in scopes else without_words}

    enqueue(WebhookEvent.REPLY_RECEIVED, reply.ward_id, data,
            residents=dict.fromkeys(reply.resident_ids, reply.ward_id))  # fmt: skip
