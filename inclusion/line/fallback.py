"""SMS or a call when LINE did not reach a resident: at once when LINE refused a message
(they blocked the account, their link ended, the token was wrong), and, where the ward
asks for it (``LINE_FALLBACK_UNANSWERED_HOURS``), when a reminder was not answered with
a button by that many hours before the session. LINE tells a sender nothing more: it
has no read receipts for an account's messages.

The phone's row is keyed by the LINE row's key, so it is made once whoever asks.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased

from inclusion.db import UTCDateTime
from inclusion.reminders import planning
from inclusion.reminders.media import Medium
from inclusion.reminders.models import Recipient, Reminder, ReminderStatus
from inclusion.reminders.planning import CANCELLED_NOTICE
from inclusion.residents.models import Resident
from inclusion.sessions.models import Session
from inclusion.sqltime import minutes_between
from inclusion.wards.models import Ward

COLUMNS = ["key", "ward_id", "session_id", "loan_id", "booking_id", "resident_id", "step_id",
           "recipient", "kind", "channel", "to_e164", "body", "due_dt", "deadline_dt",
           "status", "attempts", "last_error", "created_dt", "updated_dt"]  # fmt: skip


def by_phone(now: datetime, which) -> int:
    """Queue, for each LINE row ``which(row)`` picks, the same message by SMS or a call,
    as the resident's reminders went before LINE; returns how many were queued."""
    line_row = aliased(Reminder)
    channel, to, allowed = planning.reach(Recipient.RESIDENT, line=False)
    stamp = sa.literal(now, UTCDateTime())
    rows = (
        sa.select(
            line_row.key + planning.PHONE_SUFFIX, line_row.ward_id, line_row.session_id,
            line_row.loan_id, line_row.booking_id, line_row.resident_id, line_row.step_id,
            line_row.recipient, line_row.kind, channel, to, sa.literal(""), stamp,
            line_row.deadline_dt, sa.literal(ReminderStatus.PENDING.value), sa.literal(0),
            sa.literal(""), stamp, stamp,
        )
        .select_from(line_row)
        .join(Resident, Resident.id == line_row.resident_id)
        .join(Ward, Ward.id == line_row.ward_id)
        .where(line_row.channel == Medium.LINE, which(line_row), allowed,
               # What the phone line confirms was heard on the call: not phoned again.
               line_row.kind.not_in(planning.CONFIRMATION_NOTICES),
               *planning.may_message_residents())
    )  # fmt: skip
    return planning.insert_rows(rows, COLUMNS)


def refused(reminder_id: int, now: datetime) -> int:
    """LINE did not take this message: the phone takes over at once."""
    return by_phone(now, lambda row: sa.and_(row.id == reminder_id,
                                             row.status == ReminderStatus.FAILED))  # fmt: skip


def unanswered(now: datetime) -> int:
    """Reminders sent by LINE in time to be answered before the ward's hour, and not
    answered by then: the phone asks as well."""
    hours = current_app.config["LINE_FALLBACK_UNANSWERED_HOURS"]
    if not hours or not current_app.config["LINE_ACCOUNTS"]:
        return 0
    due = sa.select(Session.id).where(
        Session.starts_dt > now, Session.starts_dt <= now + timedelta(hours=hours)
    )

    answered = aliased(Reminder)

    def which(row):
        return sa.and_(
            row.session_id.in_(due),
            row.booking_id.is_not(None),
            # Only a message with buttons can be answered (a cancelled session's notice
            # has none).
            row.kind != CANCELLED_NOTICE,
            row.status.in_((ReminderStatus.SENT, ReminderStatus.DELIVERED)),
            # Any answer about the booking, to this message or another, is an answer.
            sa.not_(sa.exists().where(answered.booking_id == row.booking_id,
                                      answered.reply.is_not(None))),
            minutes_between(row.sent_dt, sa.select(Session.starts_dt).where(
                Session.id == row.session_id).scalar_subquery()) > hours * 60,
        )  # fmt: skip

    return by_phone(now, which)
