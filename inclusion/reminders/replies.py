"""What comes back from Twilio: delivery status, keypad presses and SMS replies.

Updates only move a row's status forward, so a late or repeated callback changes nothing.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from inclusion import clock
from inclusion.extensions import db
from inclusion.phones import PhoneKind
from inclusion.reminders import messages, notices
from inclusion.reminders.media import Medium
from inclusion.reminders.models import (
    ANSWERING_MACHINE,
    Recipient,
    Reminder,
    ReminderStatus,
    Reply,
    ReplyOutcome,
)
from inclusion.reminders.planning import (
    FALLBACK_SUFFIX,
    RETRY_SUFFIX,
    WAITLISTED_NOTICE,
    WITHDRAWN_NOTICE,
)
from inclusion.reminders.signals import reminder_failed, reply_received
from inclusion.residents import bookings
from inclusion.residents.models import (
    Booking,
    BookingStatus,
    Contact,
    OptOutSource,
    ReminderChannel,
    Resident,
)
from inclusion.residents.services import contacts_of_number, stop_number
from inclusion.sessions.models import Session
from inclusion.wards.models import Ward

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
#: An SMS reply in the words residents use; full-width and half-width alike. いいえ is
#: not here: the reminder asks no question, so it does not clearly mean "cancel".
SMS_WORDS = {
    "1": CONFIRM, "はい": CONFIRM, "ハイ": CONFIRM, "yes": CONFIRM, "参加": CONFIRM,
    "参加します": CONFIRM,
    "2": CANCEL, "キャンセル": CANCEL, "キャンセルします": CANCEL, "cancel": CANCEL,
    "取り消し": CANCEL, "取消": CANCEL, "取り消す": CANCEL, "取り消します": CANCEL,
    "停止": STOP, "stop": STOP, "ストップ": STOP, "ていし": STOP, "すとっぷ": STOP,
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
        reminder.last_error = ANSWERING_MACHINE
    now = clock.now()
    reminder.status = status
    if status == ReminderStatus.FAILED:
        reminder.failure_code = (error_code or provider_status)[:30]
    reminder.finished_dt = now if status != ReminderStatus.SENT else None
    db.session.flush()
    if status == ReminderStatus.FAILED:
        reminder_failed.send(reminder.id)
    if status == ReminderStatus.NO_ANSWER:
        try_again_or_contact(reminder, now)
    return True


def try_again_or_contact(reminder: Reminder, now: datetime) -> Reminder | None:
    """Nobody answered: call once more later; after that, the contact person (if any)."""
    if reminder.recipient != Recipient.RESIDENT or reminder.key.endswith(FALLBACK_SUFFIX):
        return None
    resident = reminder.resident
    if resident is None or resident.is_opted_out:
        return None
    if not reminder.key.endswith(RETRY_SUFFIX):
        wait = timedelta(minutes=current_app.config["REMINDER_NO_ANSWER_RETRY_MINUTES"])
        key, to, channel, recipient, due = (
            reminder.key + RETRY_SUFFIX, reminder.to_e164, reminder.channel, Recipient.RESIDENT,
            now + wait,
        )  # fmt: skip
    elif reminder.survey_ask_id is not None:
        # A survey asks the resident alone: one try more, then staff call.
        return None
    elif (
        resident.proxy_phone_e164
        and not resident.proxy_gets_reminders
        and resident.proxy_opted_out_dt is None
    ):
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
    follow = reminder.again(key, recipient=recipient, channel=channel, to_e164=to, due_dt=due)
    db.session.add(follow)
    db.session.flush()
    return follow


@dataclass(frozen=True)
class Handled:
    """What came of a reply, and what the person is told: only what really happened."""

    outcome: ReplyOutcome
    #: Empty when nothing is sent back.
    told: str


def sms_answer(body: str) -> str | None:
    """1 / はい → confirmed, 2 / キャンセル → cancelled, 停止 / STOP → opted_out."""
    word = unicodedata.normalize("NFKC", body).strip().lower().strip("「」\"' ").rstrip("。.!！")
    return SMS_WORDS.get(word)


def _when(reminder: Reminder) -> str:
    starts = messages.arrival(
        reminder.session, reminder.booking.place if reminder.booking else None
    )
    return f"{messages.short_day(starts)} {clock.to_local(starts):%H:%M}"


#: What someone is asked when the ward must change a setting for them.
CONTACT_US = "ご連絡ください"


def call_the_ward(wards: list[Ward], ask: str = "お電話ください") -> str:
    """Whom to phone: the ward and its number when there is one ward, else the ward office;
    ``ask`` is what they are asked to do (ご連絡ください where the ward will change a setting)."""
    if len(wards) != 1:
        return f"お住まいの区へ{ask}。"
    ward = wards[0]
    phone = f"（{ward.booking_phone}）" if ward.booking_phone else ""
    return f"{ward.name_ja}{phone}へ{ask}。"


def named(contacts: list[tuple[Resident, Contact]]) -> str:
    """山田様、佐藤様 — at most two names, then how many more."""
    names = list(dict.fromkeys(f"{resident.family_name}様" for resident, _contact in contacts))
    shown = "、".join(names[:2])
    return shown if len(names) <= 2 else f"{shown}ほか{len(names) - 2}名"


def log_reply(
    channel: Medium,
    from_e164: str,
    body: str,
    handled: Handled,
    residents: list[Resident],
    reminder: Reminder | None = None,
    candidates: list[Reminder] | None = None,
    ward_id: int | None = None,
) -> list[Reply]:
    """Put the reply in each concerned ward's inbox, with what the person was told back;
    only that ward's people and bookings are named. ``ward_id``: whose inbox gets it when
    it names nobody (else the coordinators')."""
    now = clock.now()
    by_ward: dict[int | None, tuple[list[int], list[int]]] = {}
    for resident in residents:
        by_ward.setdefault(resident.ward_id, ([], []))[0].append(resident.id)
    for candidate in candidates or []:
        by_ward.setdefault(candidate.ward_id, ([], []))[1].append(candidate.booking_id)
    replies = []
    for inbox, (resident_ids, booking_ids) in (by_ward or {ward_id: ([], [])}).items():
        replies.append(
            Reply(
                received_dt=now,
                ward_id=inbox,
                channel=channel,
                from_e164=from_e164,
                body=body[:320],
                outcome=handled.outcome,
                told=handled.told[:320],
                reminder_id=reminder.id if reminder else None,
                resident_ids=sorted(set(resident_ids)),
                booking_ids=sorted(set(booking_ids)),
                handled_dt=None if handled.outcome.needs_staff else now,
            )
        )
    db.session.add_all(replies)
    db.session.flush()
    for reply in replies:
        reply_received.send(reply)
    log.info("reply %s (reminder %s)", handled.outcome.value, reminder.id if reminder else None)
    return replies


def _answer_offer(reminder: Reminder, booking: Booking, spoken: bool) -> Handled:
    """A yes to a seat offered to those waiting: theirs if it is still free."""
    taken = bookings.take_offer(None, booking)
    when = "" if spoken else _when(reminder)
    if taken == bookings.OfferAnswer.TAKEN:
        reminder.reply, reminder.replied_dt = CONFIRM, clock.now()
        told = (
            SAID[ReplyOutcome.CONFIRMED]
            if spoken
            else f"{when}の席を予約しました。お待ちしています。"
        )
        return Handled(ReplyOutcome.CONFIRMED, "ご予約しました。" + told if spoken else told)
    if taken == bookings.OfferAnswer.NOT_WAITING and booking.status == BookingStatus.BOOKED:
        told = "ご予約済みです。お待ちしております。" if spoken else (
            f"{when}は、ご予約済みです。お待ちしています。"
        )  # fmt: skip
        return Handled(ReplyOutcome.CONFIRMED, told)
    if taken == bookings.OfferAnswer.NOT_WAITING:
        return _answer_booking(reminder, CONFIRM, spoken, offer=False)
    told = (
        "申し訳ありません。空いた席は、ほかの方が先にご予約されました。キャンセル待ちは、そのままです。"
        if taken == bookings.OfferAnswer.GONE
        else "申し訳ありません。この空きの受け付けは終わりました。キャンセル待ちは、そのままです。"
    )
    return Handled(ReplyOutcome.SEAT_GONE, told)


def _answer_booking(reminder: Reminder, answer: str, spoken: bool, offer: bool = True) -> Handled:
    """Confirm or cancel the booking a reminder was about, saying exactly what happened; a
    yes to a seat offered takes it if it is still free."""
    booking = db.session.get(Booking, reminder.booking_id)
    if offer and reminder.kind == notices.OFFER and answer == CONFIRM:
        return _answer_offer(reminder, booking, spoken)
    if reminder.kind == notices.OFFER and booking.status == BookingStatus.WAITLISTED:
        # A no to the seat is not a wish to leave the queue.
        told = "わかりました。キャンセル待ちは、そのままです。"
        return Handled(ReplyOutcome.SEAT_DECLINED, told)
    when = "" if spoken else _when(reminder)
    if booking.status not in (BookingStatus.BOOKED, BookingStatus.WAITLISTED):
        if answer == CANCEL:
            told = SAID[ReplyOutcome.ALREADY_CANCELLED] if spoken else (
                f"{when}のご予約は、すでに取り消しています。"
            )  # fmt: skip
            return Handled(ReplyOutcome.ALREADY_CANCELLED, told)
        # Confirming a place that is no longer theirs: tell them, and let staff call.
        ward = [reminder.session.ward]
        told = SAID[ReplyOutcome.NO_BOOKING] if spoken else (
            f"{when}のご予約は取り消されています。" + call_the_ward(ward)
        )  # fmt: skip
        return Handled(ReplyOutcome.NO_BOOKING, told)
    # The latest answer that took effect: a 2 after a 1 shows as a cancel in the log.
    reminder.reply, reminder.replied_dt = answer, clock.now()
    if answer == CANCEL:
        bookings.cancel_booking(None, booking, bookings.REPLY_CANCELLED)
        told = SAID[ReplyOutcome.CANCELLED] if spoken else f"{when}のご予約を取り消しました。"
        return Handled(ReplyOutcome.CANCELLED, told)
    told = SAID[ReplyOutcome.CONFIRMED] if spoken else (
        f"お返事ありがとうございます。{when}にお待ちしています。"
    )  # fmt: skip
    return Handled(ReplyOutcome.CONFIRMED, told)


#: What a reminder call says after a key, by outcome.
SAID = {
    ReplyOutcome.CONFIRMED: "ありがとうございます。お待ちしております。",
    ReplyOutcome.CANCELLED: "ご予約を取り消しました。またのご参加をお待ちしております。",
    ReplyOutcome.ALREADY_CANCELLED: "このご予約は、すでに取り消されています。",
    ReplyOutcome.NO_BOOKING: (
        "このご予約は取り消されています。ご参加をご希望の場合は、区にお電話ください。"
    ),
}


def answer_keypad(reminder: Reminder, answer: str, digits: str) -> Handled:
    """A key pressed on a reminder call: the call is about one booking, so no guessing."""
    handled = _answer_booking(reminder, answer, spoken=True)
    log_reply(Medium.VOICE, reminder.to_e164, digits, handled, [reminder.resident], reminder)
    return handled


def answer_button(reminder: Reminder, answer: str, label: str) -> Handled:
    """A button tapped on a LINE message: it names its message, so no guessing either."""
    handled = _answer_booking(reminder, answer, spoken=False)
    log_reply(Medium.LINE, reminder.to_e164, label, handled, [reminder.resident], reminder)
    return handled


def _last_sms_was_a_survey(from_e164: str) -> bool:
    """Whether the last SMS that went to the number asked a survey (by its link)."""
    last = db.session.execute(
        sa.select(Reminder.survey_ask_id)
        .where(
            Reminder.to_e164 == from_e164,
            Reminder.channel == Medium.SMS,
            Reminder.status.in_((ReminderStatus.SENT, ReminderStatus.DELIVERED)),
        )
        .order_by(Reminder.sent_dt.desc(), Reminder.id.desc())
        .limit(1)
    ).first()
    return last is not None and last.survey_ask_id is not None


def _candidates(channel: Medium, addresses: list[str]) -> list[Reminder]:
    """The latest message by ``channel`` to ``addresses`` (a number, or a LINE user's
    links) for each booking whose session is still to come."""
    sent = db.session.scalars(
        sa.select(Reminder)
        .join(Session, Session.id == Reminder.session_id)
        .where(
            Reminder.to_e164.in_(addresses),
            Reminder.channel == channel,
            Reminder.status.in_((ReminderStatus.SENT, ReminderStatus.DELIVERED)),
            Reminder.booking_id.is_not(None),
            # A word that a place on a waiting list was taken, or a booking cancelled, on
            # the phone line asks nothing: a reply is not about it.
            Reminder.kind.not_in((WAITLISTED_NOTICE, WITHDRAWN_NOTICE)),
            Session.starts_dt > clock.now(),
        )
        .order_by(Reminder.sent_dt.desc(), Reminder.id.desc())
    )
    latest: dict[int, Reminder] = {}
    for reminder in sent:
        latest.setdefault(reminder.booking_id, reminder)
    if not latest:
        return []
    # A booking cancelled before the newest message went out is not what a reply to that
    # message means; one cancelled since may be (a second 2 says it is already done).
    newest = max((r.sent_dt for r in latest.values() if r.sent_dt), default=None)
    if newest is None:
        return list(latest.values())
    closed = set(
        db.session.scalars(
            sa.select(Booking.id).where(
                Booking.id.in_(latest),
                Booking.status.not_in((BookingStatus.BOOKED, BookingStatus.WAITLISTED)),
                Booking.cancelled_dt < newest,
            )
        )
    )
    return [reminder for booking_id, reminder in latest.items() if booking_id not in closed]


#: What the answers are, told to someone whose words were not understood.
ANSWERS_TAKEN = {
    Medium.SMS: "1（参加します）、2（取り消し）、停止 のどれかで、お返事ください。",
    Medium.LINE: "ボタンか、「参加します」「取り消す」「停止」のどれかで、お返事ください。",
}
#: Where a message that is not an answer was sent.
ANSWERED_BY_MACHINE = {Medium.SMS: "このSMS", Medium.LINE: "このLINE"}


def _not_understood(
    channel: Medium,
    contacts: list[tuple[Resident, Contact]],
    asked_about: int,
    wards: list[Ward],
) -> Handled:
    """Words we cannot act on. Only someone a reminder asked about one booking is told the
    answers it takes (with two, a 1 or 2 could not be placed either); someone who said
    停止 is sent nothing. Staff see the message either way."""
    if contacts and all(resident.stopped_dt(contact) for resident, contact in contacts):
        if channel != Medium.LINE:
            return Handled(ReplyOutcome.NOT_UNDERSTOOD, "")
        # In a chat they are still talking to us, and an answer costs nothing.
        told = "お知らせは止めています。また受け取るときは、" + call_the_ward(wards, CONTACT_US)
        return Handled(ReplyOutcome.NOT_UNDERSTOOD, told)
    if asked_about == 1:
        told = ANSWERS_TAKEN[channel]
    else:
        told = f"{ANSWERED_BY_MACHINE[channel]}には自動でお答えしています。ご用件は"
        told += call_the_ward(wards)
    return Handled(ReplyOutcome.NOT_UNDERSTOOD, told)


def answer_sms(from_e164: str, body: str) -> Handled:
    """An SMS back to us: act only when it is certain what it means, and say what was done.

    A number may belong to several people (a couple, a care home, a daughter who is the
    contact of both parents): a confirm or cancel that could mean more than one booking
    changes nothing and asks the person to call, and a stop names whom it stopped.
    """
    answer = sms_answer(body)
    if answer == STOP:
        contacts = contacts_of_number(from_e164)
        stop_number(from_e164, OptOutSource.SMS)
        residents = [resident for resident, _contact in contacts]
        if not contacts:
            # Nobody to stop, and nothing to follow up: the number is not on record.
            told = "この電話番号あてのお知らせは、登録されていません。"
            handled = Handled(ReplyOutcome.STOPPED, told)
        else:
            told = f"今後、{named(contacts)}へのお知らせは送りません。"
            handled = Handled(ReplyOutcome.STOPPED, told)
        log_reply(Medium.SMS, from_e164, body, handled, residents)
        return handled
    if answer is not None and _last_sms_was_a_survey(from_e164):
        # A 1 or 2 after a survey's link may mean an answer to it, not to a booking.
        contacts = contacts_of_number(from_e164)
        known = [resident for resident, _contact in contacts]
        wards = list({resident.ward_id: resident.ward for resident in known}.values())
        told = "アンケートはリンク先でお答えください。何も変えていません。"
        handled = Handled(ReplyOutcome.NOT_UNDERSTOOD, told + call_the_ward(wards))
        log_reply(Medium.SMS, from_e164, body, handled, known)
        return handled
    return answer_words(Medium.SMS, [from_e164], body, lambda: contacts_of_number(from_e164))


def answer_words(
    channel: Medium,
    addresses: list[str],
    body: str,
    contacts: Callable[[], list[tuple[Resident, Contact]]],
) -> Handled:
    """Words sent back by SMS or typed on LINE, about the messages sent to ``addresses``:
    a confirm or cancel is acted on only when one booking can be meant. ``contacts``
    finds whom the words came from when no booking is found."""
    answer = sms_answer(body)
    candidates = _candidates(channel, addresses)
    residents = [reminder.resident for reminder in candidates]
    if answer is None or not candidates:
        found = contacts()
        known = [resident for resident, _contact in found]
        wards = list({resident.ward_id: resident.ward for resident in known}.values())
        if answer is None:
            handled = _not_understood(channel, found, len(candidates), wards)
        else:
            told = "ご予約が見つかりません。" + call_the_ward(wards)
            handled = Handled(ReplyOutcome.NO_BOOKING, told)
        log_reply(channel, addresses[0], body, handled, known)
        return handled
    if len(candidates) > 1:
        wards = list({r.ward_id: r.session.ward for r in candidates}.values())
        told = f"ご予約が{len(candidates)}件あり、どれか分からないため何も変えていません。"
        handled = Handled(ReplyOutcome.AMBIGUOUS, told + call_the_ward(wards))
        log_reply(channel, addresses[0], body, handled, residents, candidates=candidates)
        return handled
    [reminder] = candidates
    handled = _answer_booking(reminder, answer, spoken=False)
    log_reply(channel, addresses[0], body, handled, residents, reminder)
    return handled
