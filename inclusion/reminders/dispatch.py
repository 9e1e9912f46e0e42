"""Dispatch: claim due rows, mark them ``sending``, send, record. Never the same row twice.

A row is marked ``sending`` (with a lease) and committed before the provider is called:
a crash then leaves it ``sending``, and when the lease runs out it becomes ``unknown`` —
visible to staff and resendable by hand, but never sent again by itself. Claims take
row locks with SKIP LOCKED on PostgreSQL and the write lock on SQLite, so any number of
dispatchers may run at once.
"""

from __future__ import annotations

import logging
import random
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased, joinedload, lazyload

from inclusion import clock
from inclusion.audit.services import record_event
from inclusion.auth.models import User
from inclusion.courses.services import course_part
from inclusion.db import among, likely, texts_by_id
from inclusion.extensions import db
from inclusion.line import messages as line_messages
from inclusion.line.queries import line_users
from inclusion.loans.models import Loan
from inclusion.reminders import messages, notices, planning, quiet
from inclusion.reminders.channels import (
    Channel,
    MaybeSent,
    NotSent,
    Outgoing,
    Refused,
    SendError,
    configured_channel,
)
from inclusion.reminders.media import Medium
from inclusion.reminders.models import (
    COVER_KINDS,
    COVER_MESSAGES,
    NOT_WANTED,
    OUTSIDE_HOURS,
    SENDER_STOPPED,
    TOO_LATE,
    Recipient,
    Reminder,
    ReminderStatus,
)
from inclusion.reminders.signals import reminder_failed
from inclusion.residents.models import (
    Booking,
    OptOutSource,
    ReminderChannel,
    Resident,
)
from inclusion.residents.services import stop_number
from inclusion.sessions.models import Session
from inclusion.surveys.models import SurveyAsk
from inclusion.volunteers.models import Shift, ShiftRole
from inclusion.wards.models import Ward

log = logging.getLogger(__name__)

#: How long a dispatcher may take between claiming a row and recording the send.
LEASE = timedelta(minutes=5)
#: Twilio's codes for "replied STOP" and "not a mobile number".
OPTED_OUT, NOT_MOBILE = "21610", "21614"
#: Tries for a message that was certainly not sent, with growing waits between them.
MAX_ATTEMPTS = 5
BACKOFF = timedelta(seconds=30)
#: Sends side by side when a channel is unpaced (the provider's limits are then the pace).
SENDERS = 4


@dataclass
class DispatchResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    unknown: int = 0
    deferred: int = 0
    skipped: int = 0
    #: Claimed, then found no longer wanted just before sending.
    cancelled: int = 0
    #: Claimed, then found written for a session time that has since changed.
    rewritten: int = 0
    #: Due, but left for later: an earlier message to the same number is on its way, or
    #: waits to be tried again.
    held: int = 0
    expired: list[int] = field(default_factory=list)


def expire_leases(now: datetime) -> list[int]:
    """Rows left ``sending`` past their lease (a dispatcher died): ``unknown``, not resent."""
    ids = list(
        db.session.scalars(
            sa.select(Reminder.id).where(
                Reminder.status == ReminderStatus.SENDING, Reminder.lease_until < now
            )
        )
    )
    if ids:
        db.session.execute(
            sa.update(Reminder)
            .where(among(Reminder.id, ids), Reminder.status == ReminderStatus.SENDING)
            .values(
                status=ReminderStatus.UNKNOWN,
                last_error=SENDER_STOPPED,
                failure_code="lease-expired",
                lease_until=None,
                finished_dt=now,
                updated_dt=now,
            )
        )
    return ids


@dataclass
class BatchTexts:
    """What a batch's messages say, each worked out once: a session's 第N回/全M回 (one query a
    session, not one a message) and each text (a class's residents are told the same)."""

    course_parts: dict[int, str | None] = field(default_factory=dict)
    texts: dict[tuple, str] = field(default_factory=dict)


def message_text(
    session: Session,
    channel: Medium,
    recipient: Recipient,
    kind: str,
    *,
    role: ShiftRole | None = None,
    place: int | None = None,
    batch: BatchTexts | None = None,
) -> str:
    """What a message of ``kind`` about ``session`` says, from the ward's templates, in
    ``channel``: a volunteer's names their ``role``, a consultation's the booked ``place``.
    ``batch`` keeps what the messages of one batch have in common."""
    batch = BatchTexts() if batch is None else batch
    starts = messages.arrival(session, place)
    says = (session.id, channel, recipient, kind, role, starts)
    if says in batch.texts:
        return batch.texts[says]
    if session.id not in batch.course_parts:
        batch.course_parts[session.id] = course_part(session)
    voice = channel == Medium.VOICE
    extra: dict[str, object] = {"kind": kind, "course": batch.course_parts[session.id]}
    if recipient == Recipient.VOLUNTEER:
        name = COVER_MESSAGES[channel] if kind in COVER_KINDS else "sms_volunteer.txt"
        extra["role"] = role.label if role else ""
    elif kind in notices.KINDS:
        name = "voice_notice.txt" if voice else "sms_notice.txt"
    else:
        name = "voice_resident.txt" if voice else "sms_resident.txt"
    text = messages.text(session.ward, name, starts, session.title, session.venue.name,
                         line=channel == Medium.LINE, **extra)  # fmt: skip
    batch.texts[says] = text
    return text


#: Due rows put in order at once, for this many batches: ordering every due row by its
#: session's start for each batch was the dispatcher's longest query at scale.
LOOKAHEAD_BATCHES = 10


def _due_in_order(now: datetime, count: int) -> list[int]:
    """The ids of the first ``count`` due rows, the one of use for the shortest time first
    (a session's until it starts, a loan's until its own deadline)."""
    return list(
        db.session.scalars(
            sa.select(Reminder.id)
            .outerjoin(Session, Session.id == Reminder.session_id)
            .where(Reminder.status == ReminderStatus.PENDING, Reminder.due_dt <= now)
            .order_by(sa.func.coalesce(Session.starts_dt, Reminder.deadline_dt), Reminder.due_dt,
                      Reminder.id)
            .limit(count)
        )
    )  # fmt: skip


def _lock_batch(now: datetime, limit: int, ahead: list[int]) -> list[int]:
    """The next ``limit`` ids of ``ahead`` (filled again once when empty) that are still
    due and that no other dispatcher holds, locked and in their order."""
    filled = False
    while ahead or not filled:
        if not ahead:
            ahead.extend(_due_in_order(now, limit * LOOKAHEAD_BATCHES))
            filled = True
            continue
        taking = ahead[:limit]
        del ahead[:limit]
        order = {reminder_id: index for index, reminder_id in enumerate(taking)}
        locked = db.session.scalars(
            sa.select(Reminder.id)
            .where(
                among(Reminder.id, taking),
                Reminder.status == ReminderStatus.PENDING,
                Reminder.due_dt <= now,
            )
            .with_for_update(skip_locked=True)
        )
        chosen = sorted(locked, key=order.__getitem__)
        if chosen:
            return chosen
    return []


@dataclass
class Subjects:
    """What a batch's messages are about, each loaded once: sessions (with their venue,
    ward and series), loans (with their device), the answer pages of surveys, and the
    wards of messages about no session."""

    sessions: dict[int, Session]
    loans: dict[int, Loan]
    survey_tokens: dict[int, str]
    wards: dict[int, Ward]
    #: The LINE user and account of each link a row names (``L12``), while it lasts.
    line_users: dict[str, tuple[str, str]]


def _subjects(rows: list) -> Subjects:
    session_ids = {row.session_id for row in rows if row.session_id is not None}
    loan_ids = {row.loan_id for row in rows if row.loan_id is not None}
    ward_ids = {row.ward_id for row in rows if row.session_id is None}
    sessions = (
        db.session.scalars(
            sa.select(Session)
            .where(among(Session.id, session_ids))
            .options(
                joinedload(Session.venue),
                joinedload(Session.ward),
                joinedload(Session.series),
                # A message needs no topics: not a query more per batch for them.
                lazyload(Session.topic_rows),
            )
        )
        if session_ids
        else []
    )
    loans = (
        db.session.scalars(
            sa.select(Loan).where(among(Loan.id, loan_ids)).options(joinedload(Loan.device))
        )
        if loan_ids
        else []
    )
    ask_ids = {row.survey_ask_id for row in rows if row.survey_ask_id is not None}
    tokens = (
        db.session.execute(
            sa.select(SurveyAsk.id, SurveyAsk.link_token).where(among(SurveyAsk.id, ask_ids))
        ).all()
        if ask_ids
        else []
    )
    wards = db.session.scalars(sa.select(Ward).where(among(Ward.id, ward_ids))) if ward_ids else []
    return Subjects(
        {session.id: session for session in sessions},
        {loan.id: loan for loan in loans},
        dict(tokens),
        {ward.id: ward for ward in wards},
        line_users({row.to_e164 for row in rows if row.channel == Medium.LINE}),
    )


def loan_text(loan: Loan, ward: Ward, channel: Medium, kind: str) -> str:
    """What a message of ``kind`` about a loan smartphone says, in ``channel``."""
    name = "voice_loan.txt" if channel == Medium.VOICE else "sms_loan.txt"
    due = clock.local_day_bounds(loan.due_on, loan.due_on)[0]
    return messages.text(ward, name, due, "", "", line=channel == Medium.LINE, kind=kind,
                         device=loan.device.model)  # fmt: skip


def survey_text(token: str, ward: Ward, channel: Medium, kind: str) -> str:
    """What a survey's first ask says: an SMS with its answer page, or a call's opening
    (the questions follow on the call)."""
    name = "voice_survey.txt" if channel == Medium.VOICE else "sms_survey.txt"
    return messages.text(ward, name, clock.now(), "", "", kind=kind, survey_token=token)


def claim(
    now: datetime, limit: int, ahead: list[int] | None = None
) -> tuple[list[Outgoing], DispatchResult]:
    """Take due rows for this dispatcher, earliest session first, and mark them ``sending``.

    ``ahead`` holds the ids a run put in order before, taken from its front."""
    result = DispatchResult()
    chosen = _lock_batch(now, limit, [] if ahead is None else ahead)
    if not chosen:
        db.session.commit()
        return [], result
    # Plain rows with only what a message needs, and each session once (a batch holds a
    # few classes' residents): loaded as records, they were most of the dispatcher's time.
    rows = db.session.execute(
        sa.select(Reminder.id, Reminder.session_id, Reminder.loan_id, Reminder.survey_ask_id,
                  Reminder.ward_id, Reminder.deadline_dt, Reminder.recipient, Reminder.channel,
                  Reminder.kind, Reminder.to_e164, Reminder.booking_id, Booking.place,
                  Shift.role, Resident.call_from, Resident.call_until, User.email)
        .outerjoin(Booking, Booking.id == Reminder.booking_id)
        .outerjoin(Shift, Shift.id == Reminder.shift_id)
        .outerjoin(Resident, Resident.id == Reminder.resident_id)
        .outerjoin(User, User.id == Reminder.user_id)
        .where(among(Reminder.id, chosen))
    ).all()  # fmt: skip
    position = {reminder_id: index for index, reminder_id in enumerate(chosen)}
    rows.sort(key=lambda row: position[row.id])
    subjects = _subjects(rows)
    numbers = {row.to_e164 for row in rows}
    # One message at a time per number, in order: a later one waits while one is on its way,
    busy = set(
        db.session.scalars(
            sa.select(Reminder.to_e164).where(
                Reminder.status == ReminderStatus.SENDING, among(Reminder.to_e164, numbers)
            )
        )
    )
    # and while an earlier one waits to be tried again (Twilio said slow down, say).
    first_retry = dict(
        db.session.execute(
            sa.select(Reminder.to_e164, sa.func.min(Reminder.id))
            .where(
                Reminder.status == ReminderStatus.PENDING,
                Reminder.attempts > 0,
                among(Reminder.to_e164, numbers),
            )
            .group_by(Reminder.to_e164)
        ).all()
    )
    claimed: list[Outgoing] = []
    skipped: dict[str, list[int]] = {}
    deferred: dict[datetime, list[int]] = {}
    batch = BatchTexts()
    for row in rows:
        if row.to_e164 in busy or first_retry.get(row.to_e164, row.id) < row.id:
            result.held += 1
            continue
        session = subjects.sessions.get(row.session_id)
        ward = session.ward if session else subjects.wards[row.ward_id]
        own_hours = row.recipient == Recipient.RESIDENT
        window = quiet.window_for(
            ward, row.channel, (row.call_from, row.call_until) if own_hours else None
        )
        allowed = quiet.next_allowed(now, window)
        # Of use until its session starts, or its own deadline if that comes first (a
        # seat offered closes before the session).
        ends = min(moment for moment in (session.starts_dt if session else None,
                                         row.deadline_dt) if moment)  # fmt: skip
        if allowed >= ends:
            why = OUTSIDE_HOURS if session and ends == session.starts_dt else TOO_LATE
            skipped.setdefault(why, []).append(row.id)
        elif allowed > now:
            deferred.setdefault(allowed, []).append(row.id)
        else:
            busy.add(row.to_e164)
            if session:
                text = message_text(session, row.channel, row.recipient, row.kind,
                                    role=row.role, place=row.place, batch=batch)  # fmt: skip
            elif row.loan_id is not None:
                text = loan_text(subjects.loans[row.loan_id], ward, row.channel, row.kind)
            else:
                token = subjects.survey_tokens[row.survey_ask_id]
                text = survey_text(token, ward, row.channel, row.kind)
            sequence = session.sequence if session else None
            claimed.append(_outgoing(row, text, sequence, ward, subjects))
    for why, ids in skipped.items():
        db.session.execute(
            sa.update(Reminder)
            .where(among(Reminder.id, ids))
            .values(status=ReminderStatus.SKIPPED, last_error=why, finished_dt=now,
                    updated_dt=now)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
        result.skipped += len(ids)
    for allowed, ids in deferred.items():
        db.session.execute(
            sa.update(Reminder)
            .where(among(Reminder.id, ids))
            .values(due_dt=allowed, updated_dt=now)
            .execution_options(synchronize_session=False)
        )
        result.deferred += len(ids)
    _mark_sending(claimed, now)
    db.session.commit()
    return claimed, result


def _outgoing(row, text: str, sequence: int | None, ward: Ward, subjects: Subjects) -> Outgoing:
    """The message as its channel takes it. A mail goes to the address the volunteer has
    now, a LINE message to the user of the link the row names (none if it ended); a
    booking's reminder or notice offers its answers as buttons where there are some."""
    if row.channel == Medium.EMAIL:
        return Outgoing(row.id, row.channel, row.email, text, sequence)
    if row.channel != Medium.LINE:
        return Outgoing(row.id, row.channel, row.to_e164, text, sequence)
    user, account = subjects.line_users.get(row.to_e164, ("", ""))
    if row.booking_id is None or row.kind in planning.ASKING_NOTHING:
        answers = ()
    elif row.kind == notices.OFFER:
        answers = (line_messages.CONFIRM,)
    else:
        answers = (line_messages.CONFIRM, line_messages.CANCEL)
    return Outgoing(row.id, row.channel, user, text, sequence, sender=account, answers=answers,
                    phone=ward.booking_phone)  # fmt: skip


def _mark_sending(claimed: list[Outgoing], now: datetime) -> None:
    """Mark the claimed rows ``sending`` with their text."""
    if not claimed:
        return
    texts = texts_by_id({message.reminder_id: message.body for message in claimed})
    db.session.execute(
        sa.update(Reminder)
        .where(Reminder.id == texts.c.id)
        .values(
            status=ReminderStatus.SENDING,
            body=texts.c.text,
            lease_until=now + LEASE,
            attempts=Reminder.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )


def wanted(claimed: list[Outgoing], now: datetime, result: DispatchResult) -> list[Outgoing]:
    """The claimed rows that may still go; the others are settled and committed at once.

    A row that became ``stale`` (its contact said stop, its booking, shift or session went
    away) is cancelled; a row whose session moved after its text was written waits again,
    to be written anew with the new time. A row no longer ``sending`` was settled elsewhere.
    """
    if not claimed:
        return []
    written_for = {message.reminder_id: message.session_sequence for message in claimed}
    # One read tells which rows are still ours, stale, or written for an older time (the
    # session under another name: stale() asks about ``sessions`` of its own).
    session = aliased(Session)
    still = db.session.execute(
        sa.select(Reminder.id, session.sequence, planning.stale().label("stale"))
        .outerjoin(session, session.id == Reminder.session_id)
        .where(among(Reminder.id, written_for), Reminder.status == ReminderStatus.SENDING)
    ).all()
    stale = [row.id for row in still if row.stale]
    if stale:
        result.cancelled += db.session.execute(
            sa.update(Reminder)
            .where(among(Reminder.id, stale), Reminder.status == ReminderStatus.SENDING)
            .values(status=ReminderStatus.CANCELLED, lease_until=None, finished_dt=now,
                    updated_dt=now, last_error=NOT_WANTED)
            .execution_options(synchronize_session=False)
        ).rowcount  # fmt: skip
    moved = [row.id for row in still if not row.stale and row.sequence != written_for[row.id]]
    if moved:
        db.session.execute(
            sa.update(Reminder)
            .where(among(Reminder.id, moved), Reminder.status == ReminderStatus.SENDING)
            .values(status=ReminderStatus.PENDING, lease_until=None, body="",
                    attempts=Reminder.attempts - 1, updated_dt=now)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
        result.rewritten += len(moved)
    db.session.commit()
    go = {row.id for row in still} - set(stale) - set(moved)
    return [message for message in claimed if message.reminder_id in go]


def _record(reminder_id: int, now: datetime, **values) -> bool:
    """Write what became of a send; only a row still ``sending`` changes (returns whether
    it did).

    Committed once per batch: a crash before that leaves the batch ``sending``, which
    becomes ``unknown`` after the lease — never sent twice.
    """
    return bool(
        db.session.execute(
            sa.update(Reminder)
            .where(Reminder.id == reminder_id, Reminder.status == ReminderStatus.SENDING)
            .values(lease_until=None, updated_dt=now, **values)
        ).rowcount
    )


def _record_sent(sent: list[tuple[int, str | None]], now: datetime) -> None:
    """Mark a batch's successful sends, each with its provider's id."""
    if not sent:
        return
    sids = texts_by_id(dict(sent))
    db.session.execute(
        sa.update(Reminder)
        # Found by id from the values, not among every row ``sending`` by the status index
        # (on SQLite each of those then looked through all the values: 28 ms a batch).
        .where(Reminder.id == sids.c.id, likely(Reminder.status == ReminderStatus.SENDING))
        .values(
            status=ReminderStatus.SENT,
            provider_sid=sids.c.text,
            sent_dt=now,
            failure_code=None,
            lease_until=None,
            updated_dt=now,
        )
        .execution_options(synchronize_session=False)
    )


def _learn_from_refusal(reminder_id: int, code: str) -> None:
    """The provider knows better: an opted-out or non-mobile number changes the record."""
    reminder = db.session.get(Reminder, reminder_id)
    resident = reminder.resident
    if resident is None:
        return
    if code == OPTED_OUT:
        # The number told Twilio STOP: nobody on that number hears from us again.
        stop_number(reminder.to_e164, OptOutSource.SMS)
    elif (
        code == NOT_MOBILE
        and reminder.recipient == Recipient.RESIDENT
        and resident.reminder_channel == ReminderChannel.SMS
    ):
        resident.reminder_channel = ReminderChannel.VOICE
        record_event(
            None, "resident.update", resident, resident.ward,
            {"fields": ["reminder_channel"], "reason": "not a mobile (Twilio 21614)"},
        )  # fmt: skip
    db.session.commit()


def _deliver(channel: Channel, message: Outgoing) -> tuple[str | None, SendError | None]:
    """Call the provider; no database work here, so sends may run side by side."""
    try:
        return channel.send(message), None
    except SendError as error:
        return None, error


def _record_outcome(
    message: Outgoing,
    sid: str | None,
    error: SendError | None,
    now: datetime,
    result: DispatchResult,
    sent: list[tuple[int, str | None]],
) -> None:
    """Write what became of one send; successes are gathered in ``sent`` for the batch."""
    if error is None:
        sent.append((message.reminder_id, sid))
        result.sent += 1
        return
    failure = {"last_error": str(error)[:300], "failure_code": error.code[:30]}
    if isinstance(error, NotSent):
        attempts = db.session.scalar(
            sa.select(Reminder.attempts).where(Reminder.id == message.reminder_id)
        )
        if attempts < MAX_ATTEMPTS:
            wait = BACKOFF * 2 ** (attempts - 1) * random.uniform(1, 1.5)
            _record(message.reminder_id, now, status=ReminderStatus.PENDING, due_dt=now + wait,
                    **failure)  # fmt: skip
            result.retried += 1
            return
    if isinstance(error, MaybeSent):
        _record(message.reminder_id, now, status=ReminderStatus.UNKNOWN, finished_dt=now,
                **failure)  # fmt: skip
        result.unknown += 1
        return
    if _record(message.reminder_id, now, status=ReminderStatus.FAILED, finished_dt=now,
               **failure):  # fmt: skip
        reminder_failed.send(message.reminder_id)
    if isinstance(error, Refused):
        _learn_from_refusal(message.reminder_id, error.code)
    result.failed += 1


#: The setting that paces each channel.
PACED = {Medium.SMS: "REMINDER_SMS_PER_SECOND", Medium.VOICE: "REMINDER_CALLS_PER_SECOND",
         Medium.LINE: "REMINDER_LINE_PER_SECOND"}  # fmt: skip


def _pace(channel: Medium) -> float:
    """Seconds between two sends on a channel; 0 means as fast as possible (mail: the
    relay sets its own pace)."""
    rate = current_app.config[PACED[channel]] if channel in PACED else 0
    return 1 / rate if rate else 0.0


class Sender:
    """Sends claimed rows: unpaced ones side by side in a pool, paced ones one by one.

    Right before a row goes to the provider it is checked once more: its contact may have
    said stop, its booking been cancelled or its session moved since it was claimed.
    """

    def __init__(self, channel: Channel, now: datetime, result: DispatchResult) -> None:
        self.channel, self.now, self.result = channel, now, result
        self.pool = ThreadPoolExecutor(SENDERS, thread_name_prefix="sender")
        self.in_flight: list[tuple[Outgoing, Future]] = []
        self.last_sent: dict[Medium, float] = {}

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.send([])
        self.pool.shutdown()

    def send(self, claimed: list[Outgoing]) -> None:
        """Send a claimed batch; record the batch before it, still on its way, meanwhile."""
        unpaced = wanted([m for m in claimed if not _pace(m.channel)], self.now, self.result)
        sending = [(message, self.pool.submit(_deliver, self.channel, message))
                   for message in unpaced]  # fmt: skip
        sent: list[tuple[int, str | None]] = []
        for message, future in self.in_flight:
            _record_outcome(message, *future.result(), self.now, self.result, sent)
        self.in_flight = sending
        for message in claimed:
            gap = _pace(message.channel)
            if not gap:
                continue
            if message.channel in self.last_sent:
                wait = self.last_sent[message.channel] + gap - time.monotonic()
                time.sleep(max(0.0, wait))
            if wanted([message], self.now, self.result):
                outcome = _deliver(self.channel, message)
                _record_outcome(message, *outcome, self.now, self.result, sent)
                self.last_sent[message.channel] = time.monotonic()
        _record_sent(sent, self.now)
        db.session.commit()


def dispatch_once(
    now: datetime, channel: Channel | None = None, batch: int = 100
) -> DispatchResult:
    """Send everything due at ``now``, in batches, and return what happened.

    While one batch is on its way, the next is claimed, so the database and the provider
    work side by side.
    """
    total = DispatchResult(expired=expire_leases(now))
    db.session.commit()
    ahead: list[int] = []
    with Sender(channel or configured_channel(), now, total) as sender:
        while True:
            claimed, result = claim(now, batch, ahead)
            total.deferred += result.deferred
            total.skipped += result.skipped
            total.held += result.held
            # Held rows wait for our own sends on their way; those of others, for a later run.
            freed_soon = result.held and sender.in_flight
            sender.send(claimed)
            if not claimed and not (result.deferred or result.skipped or freed_soon):
                break
    if total.sent or total.failed or total.unknown or total.expired:
        log.info("reminders dispatched: %s", total)
    return total
