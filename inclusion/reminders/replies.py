"""What comes back from Twilio: delivery status, keypad presses and SMS replies.

Updates only move a row's status forward, so a late or repeated callback changes nothing.
"""

from __future__ import annotations

import logging
import unicodedata
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from inclusion import clock
from inclusion.extensions import db
from inclusion.phones import PhoneKind
from inclusion.reminders.models import Recipient, Reminder, ReminderStatus
from inclusion.residents import bookings
from inclusion.residents.models import BookingStatus, OptOutSource, ReminderChannel
from inclusion.residents.services import set_opt_out

log = logging.getLogger(__name__)

#: Twilio's message and call statuses, as ours; the rest (queued, ringing…) change nothing.
PROVIDER_STATUS = {
    "sent": ReminderStatus.SENT,
    "delivered": ReminderStatus.DELIVERED,
    "undelivered": ReminderStatus.FAILED,
    "failed": ReminderStatus.FAILED,
    "completed": ReminderStatus.DELIVERED,
    "busy": ReminderStatus.NO_ANSWER,
    "no-answer": ReminderStatus.NO_ANSWER,
    "canceled": ReminderStatus.FAILED,
}
#: Statuses a callback may still change: the final ones stay as they are.
OPEN = (ReminderStatus.SENDING, ReminderStatus.SENT, ReminderStatus.UNKNOWN)

CONFIRM, CANCEL, STOP = "confirmed", "cancelled", "opted_out"
#: An SMS reply in the words residents use; full-width and half-width alike.
SMS_WORDS = {
    "1": CONFIRM, "はい": CONFIRM, "ハイ": CONFIRM, "yes": CONFIRM,
    "2": CANCEL, "キャンセル": CANCEL, "いいえ": CANCEL, "cancel": CANCEL,
    "停止": STOP, "stop": STOP, "ストップ": STOP,
}  # fmt: skip


def record_status(
    reminder: Reminder, provider_status: str, answered_by: str = "", error_code: str = ""
) -> bool:
    """Apply a status callback; returns whether the row changed.

    A failure keeps Twilio's ``ErrorCode`` (30003 unreachable handset…) as the row's code.
    """
    status = PROVIDER_STATUS.get(provider_status)
    if status is None or reminder.status not in OPEN:
        return False
    if status == ReminderStatus.SENT and reminder.status == ReminderStatus.SENT:
        return False
    if answered_by.startswith("machine") and status == ReminderStatus.DELIVERED:
        reminder.last_error = "An answering machine took the call."
    now = clock.now()
    reminder.status = status
    if status == ReminderStatus.FAILED:
        reminder.failure_code = (error_code or provider_status)[:30]
    reminder.finished_dt = now if status != ReminderStatus.SENT else None
    db.session.flush()
    if status == ReminderStatus.NO_ANSWER:
        try_again_or_contact(reminder, now)
    return True


RETRY_SUFFIX, FALLBACK_SUFFIX = ":retry", ":contact"


def try_again_or_contact(reminder: Reminder, now: datetime) -> Reminder | None:
    """Nobody answered: call once more later; after that, the contact person (if any)."""
    if reminder.recipient != Recipient.RESIDENT or reminder.key.endswith(FALLBACK_SUFFIX):
        return None
    resident = reminder.resident
    if not reminder.key.endswith(RETRY_SUFFIX):
        wait = timedelta(minutes=current_app.config["REMINDER_NO_ANSWER_RETRY_MINUTES"])
        key, to, channel, recipient, due = (
            reminder.key + RETRY_SUFFIX, reminder.to_e164, reminder.channel, Recipient.RESIDENT,
            now + wait,
        )  # fmt: skip
    elif resident is not None and resident.proxy_phone_e164 and not resident.proxy_gets_reminders:
        mobile = resident.proxy_phone_kind == PhoneKind.MOBILE
        key, to, recipient, due = (
            reminder.key + FALLBACK_SUFFIX,
            resident.proxy_phone_e164,
            Recipient.PROXY,
            now,
        )
        channel = ReminderChannel.SMS if mobile else ReminderChannel.VOICE
    else:
        return None
    if db.session.scalar(sa.select(Reminder.id).where(Reminder.key == key)) is not None:
        return None
    follow = Reminder(
        key=key, ward_id=reminder.ward_id, session_id=reminder.session_id,
        booking_id=reminder.booking_id, resident_id=reminder.resident_id,
        step_id=reminder.step_id, recipient=recipient, kind=reminder.kind, channel=channel,
        to_e164=to, due_dt=due, status=ReminderStatus.PENDING,
    )  # fmt: skip
    db.session.add(follow)
    db.session.flush()
    return follow


def apply_reply(reminder: Reminder, answer: str) -> str:
    """Act on what the person answered; returns the answer as recorded.

    Confirm or cancel counts once per reminder; a request to stop is always honoured.
    """
    if reminder.reply is not None and answer != STOP:
        return reminder.reply
    reminder.reply, reminder.replied_dt = answer, clock.now()
    resident = reminder.resident
    if answer == CANCEL and reminder.booking_id is not None:
        booking = db.session.get(bookings.Booking, reminder.booking_id)
        if booking.status in (BookingStatus.BOOKED, BookingStatus.WAITLISTED):
            bookings.cancel_booking(None, booking, "cancelled on a reminder")
    elif answer == STOP and resident is not None and reminder.recipient == Recipient.RESIDENT:
        source = (
            OptOutSource.SMS if reminder.channel == ReminderChannel.SMS else OptOutSource.VOICE
        )
        set_opt_out(None, resident, True, source)
    db.session.flush()
    log.info("reminder %s answered %s", reminder.id, answer)
    return answer


def sms_answer(body: str) -> str | None:
    """1 / はい → confirmed, 2 / キャンセル → cancelled, 停止 / STOP → opted_out."""
    word = unicodedata.normalize("NFKC", body).strip().lower().rstrip("。.!！")
    return SMS_WORDS.get(word)


def replied_reminder(from_e164: str) -> Reminder | None:
    """The SMS a reply answers: the last one sent to that number."""
    return db.session.scalar(
        sa.select(Reminder)
        .where(
            Reminder.to_e164 == from_e164,
            Reminder.channel == ReminderChannel.SMS,
            Reminder.status.in_((ReminderStatus.SENT, ReminderStatus.DELIVERED)),
        )
        .order_by(Reminder.sent_dt.desc(), Reminder.id.desc())
        .limit(1)
    )
