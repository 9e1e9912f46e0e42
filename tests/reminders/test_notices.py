"""Notices at once: a seat came free, the session was cancelled or moved."""

from datetime import time, timedelta

import sqlalchemy as sa

from inclusion import clock
from inclusion.extensions import db
from inclusion.phones import PhoneKind
from inclusion.reminders import dispatch, messages
from inclusion.reminders.models import Recipient, Reminder, ReminderStatus
from inclusion.residents import bookings
from inclusion.residents.models import BookingSource, ReminderChannel
from inclusion.sessions import services as session_services
from tests import factories


def notices() -> list[tuple]:
    return list(
        db.session.execute(
            sa.select(Reminder.kind, Reminder.recipient, Reminder.channel, Reminder.status)
            .where(Reminder.step_id.is_(None))
            .order_by(Reminder.id)
        )
    )


def test_a_promoted_resident_is_told_and_their_contact_too(shibuya, users):
    session = factories.make_session(factories.make_venue(shibuya), capacity=1)
    first = bookings.book_resident(
        users["ward_staff"], factories.make_resident(shibuya), session, BookingSource.PHONE
    )
    waiting = factories.make_resident(
        shibuya,
        phones=("+819012345678",),
        channel=ReminderChannel.SMS,
        proxy_phone_e164="+81334631873",
        proxy_phone_kind=PhoneKind.LANDLINE,
        proxy_gets_reminders=True,
    )
    bookings.book_resident(users["ward_staff"], waiting, session, BookingSource.PHONE)
    bookings.cancel_booking(users["ward_staff"], first)
    assert notices() == [
        ("promoted", Recipient.RESIDENT, ReminderChannel.SMS, ReminderStatus.PENDING),
        ("promoted", Recipient.PROXY, ReminderChannel.VOICE, ReminderStatus.PENDING),
    ]


def test_a_cancelled_session_tells_those_booked_and_sends_no_reminder(shibuya, users):
    # Local times, not offsets from now: the test must hold at any hour it runs.
    session = factories.make_session(
        factories.make_venue(shibuya),
        starts_dt=clock.to_utc(clock.today() + timedelta(days=2), time(10)),
    )
    factories.make_booking(
        session, factories.make_resident(shibuya, channel=ReminderChannel.VOICE)
    )
    silent = factories.make_resident(shibuya, channel=ReminderChannel.NONE)
    factories.make_booking(session, silent, place=2)
    session_services.cancel_session(users["ward_staff"], session, "台風のため")
    assert notices() == [
        ("cancelled", Recipient.RESIDENT, ReminderChannel.VOICE, ReminderStatus.PENDING)
    ]
    db.session.commit()
    moment = clock.to_utc(clock.today() + timedelta(days=1), time(12))  # within calling hours
    result = dispatch.dispatch_once(moment)
    assert result.sent == 1
    said = db.session.scalar(sa.select(Reminder.body).where(Reminder.kind == "cancelled"))
    assert "中止になりました" in said


def test_notice_texts_fit_one_sms(shibuya):
    shibuya.booking_phone = "03-3463-1873"
    start = clock.now() + timedelta(days=2)
    for kind in ("promoted", "cancelled", "moved"):
        title, venue = "はじめてのスマホ教室（全8回）第3回", "区立中央図書館 第一会議室"
        text = messages.sms_text(shibuya, "sms_notice.txt", start, title, venue, kind=kind)
        assert len(text) <= messages.SMS_LIMIT and "03-3463-1873" in text, text
