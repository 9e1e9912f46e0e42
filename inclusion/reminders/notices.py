"""Notices sent at once (within quiet hours): a seat came free, a session cancelled or moved."""

from __future__ import annotations

import sqlalchemy as sa

from inclusion import clock
from inclusion.db import UTCDateTime
from inclusion.extensions import db
from inclusion.reminders import planning
from inclusion.reminders.media import Medium
from inclusion.reminders.models import Recipient, Reminder, ReminderStatus
from inclusion.reminders.planning import CANCELLED_NOTICE
from inclusion.residents.bookings import OFFER_CLOSES_BEFORE
from inclusion.residents.models import Booking, BookingStatus, Resident
from inclusion.sessions.models import Session
from inclusion.wards.models import Ward

PROMOTED, CANCELLED, MOVED = "promoted", CANCELLED_NOTICE, "moved"
#: A seat freed near the session, offered to everyone waiting: the first to say yes takes it.
OFFER = planning.OFFER_NOTICE
#: What a resident did on the phone line, confirmed in writing.
BOOKED, WAITLISTED, WITHDRAWN = planning.CONFIRMATION_NOTICES
#: Every kind of notice, as the wording editor and the dispatcher know them.
KINDS = (PROMOTED, CANCELLED, MOVED, OFFER, BOOKED, WAITLISTED, WITHDRAWN)

NOTICE_COLUMNS = [
    "key", "ward_id", "session_id", "booking_id", "resident_id", "recipient", "kind",
    "channel", "to_e164", "body", "due_dt", "deadline_dt", "status", "attempts", "last_error",
    "created_dt", "updated_dt",
]  # fmt: skip


def _queue(
    bookings: sa.ColumnElement[bool], kind: str, key: str, deadline=None, written: bool = False
) -> int:
    """Queue a notice about each booking ``bookings`` picks to its resident (and their
    contact, if asked), each reached as the reminders reach them, unless they asked for
    none; ``written``: only those reached by SMS or LINE. Keyed
    ``b<booking>:<key>:<recipient>``, so none is queued twice."""
    about = (sa.literal("b") + sa.cast(Booking.id, sa.String), Booking.ward_id,
             Booking.session_id, Booking.id)  # fmt: skip
    rows = sa.select().select_from(Booking).join(Resident, Resident.id == Booking.resident_id)
    return _insert(about, rows.where(bookings), kind, key, deadline, written)


def _insert(about: tuple, rows: sa.Select, kind: str, key: str, deadline, written: bool) -> int:
    """Queue a notice for each resident ``rows`` (a query joining ``Resident``) finds, about
    what ``about`` names: (key prefix, ward, session, booking)."""
    now = sa.literal(clock.now(), UTCDateTime())
    prefix, ward_id, session_id, booking_id = about
    queued = 0
    for recipient in (Recipient.RESIDENT, Recipient.PROXY):
        channel, to, allowed = planning.reach(recipient)
        if written:
            allowed = sa.and_(allowed, channel != Medium.VOICE.value)
        picked = (
            rows.add_columns(
                prefix + f":{key}:{recipient.value}", ward_id, session_id, booking_id,
                Resident.id, sa.literal(recipient.value), sa.literal(kind), channel, to,
                sa.literal(""), now, sa.literal(deadline, UTCDateTime()),
                sa.literal(ReminderStatus.PENDING.value), sa.literal(0), sa.literal(""), now, now,
            )
            .join(Ward, Ward.id == ward_id)
            .where(allowed, *planning.may_message_residents())
        )  # fmt: skip
        queued += planning.insert_rows(picked, NOTICE_COLUMNS)
    return queued


def add_notice(booking: Booking, kind: str, key: str) -> int:
    """Queue a notice about one booking (see ``_queue``)."""
    return _queue(Booking.id == booking.id, kind, key)


def add_confirmation(booking: Booking, kind: str, key: str) -> int:
    """Confirm in writing what was just done on the phone line, to whoever reads the
    resident's messages (they heard it read back: nobody is called to hear it again)."""
    return _queue(Booking.id == booking.id, kind, key, written=True)


def add_course_confirmation(enrolment, first_date: Session, kind: str, key: str) -> int:
    """The same for a course's waiting list, which holds no booking yet: about its first
    date, keyed ``e<enrolment>:<key>:<recipient>``."""
    about = (sa.literal(f"e{enrolment.id}"), sa.literal(enrolment.ward_id),
             sa.literal(first_date.id), sa.null())  # fmt: skip
    rows = sa.select().select_from(Resident).where(Resident.id == enrolment.resident_id)
    return _insert(about, rows, kind, key, None, written=True)


def add_offers(freed: Booking) -> int:
    """Offer the seat ``freed`` left to everyone waiting for its session, each reached as
    their reminders are, until the offer closes. Someone whose offer of an earlier seat
    has not gone yet is not sent a second."""
    offer_waiting = sa.exists().where(
        Reminder.booking_id == Booking.id,
        Reminder.kind == OFFER,
        Reminder.status == ReminderStatus.PENDING,
    )
    waiting = sa.and_(
        Booking.session_id == freed.session_id,
        Booking.status == BookingStatus.WAITLISTED,
        sa.not_(offer_waiting),
    )
    closes = freed.session.starts_dt - OFFER_CLOSES_BEFORE
    return _queue(waiting, OFFER, f"{OFFER}{freed.id}", deadline=closes)


def seated_bookings(session_id: int) -> list[Booking]:
    return list(
        db.session.scalars(
            sa.select(Booking).where(Booking.session_id == session_id, Booking.status == "booked")
        )
    )
