"""Notices sent at once (within quiet hours): a seat came free, a session cancelled or moved."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from inclusion import clock
from inclusion.extensions import db
from inclusion.phones import PhoneKind
from inclusion.reminders.models import Recipient, Reminder, ReminderStatus
from inclusion.reminders.planning import CANCELLED_NOTICE
from inclusion.residents.models import Booking, ReminderChannel, Resident

PROMOTED, CANCELLED, MOVED = "promoted", CANCELLED_NOTICE, "moved"


def _number(resident: Resident) -> str | None:
    wanted = resident.reminder_channel
    for phone in resident.phones:
        if wanted == ReminderChannel.VOICE or phone.kind == PhoneKind.MOBILE:
            return phone.e164
    return None


def add_notice(booking: Booking, kind: str, key: str) -> int:
    """Queue a notice to the resident (and their contact, if asked) unless they want none."""
    resident = booking.resident
    if resident.is_anonymised:
        return 0
    rows = []
    number = _number(resident)
    if not resident.is_opted_out and resident.reminder_channel != ReminderChannel.NONE and number:
        rows.append((Recipient.RESIDENT, resident.reminder_channel, number))
    if (
        resident.proxy_opted_out_dt is None
        and resident.proxy_gets_reminders
        and resident.proxy_phone_e164
    ):
        mobile = resident.proxy_phone_kind == PhoneKind.MOBILE
        channel = ReminderChannel.SMS if mobile else ReminderChannel.VOICE
        rows.append((Recipient.PROXY, channel, resident.proxy_phone_e164))
    if not rows:
        return 0
    now = clock.now()
    values = [
        {
            "key": f"b{booking.id}:{key}:{recipient.value}",
            "ward_id": booking.ward_id,
            "session_id": booking.session_id,
            "booking_id": booking.id,
            "resident_id": resident.id,
            "recipient": recipient,
            "kind": kind,
            "channel": channel,
            "to_e164": to,
            "body": "",
            "due_dt": now,
            "status": ReminderStatus.PENDING,
            "attempts": 0,
            "last_error": "",
            "created_dt": now,
            "updated_dt": now,
        }
        for recipient, channel, to in rows
    ]
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(Reminder).values(values).on_conflict_do_nothing(index_elements=["key"])
    return db.session.execute(statement.execution_options(preserve_rowcount=True)).rowcount


def seated_bookings(session_id: int) -> list[Booking]:
    return list(
        db.session.scalars(
            sa.select(Booking).where(Booking.session_id == session_id, Booking.status == "booked")
        )
    )
