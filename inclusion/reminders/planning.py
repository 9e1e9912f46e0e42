"""Planning: turn bookings and shifts into outbox rows, set-based, safe to run any time.

Each policy step is one ``INSERT … SELECT … ON CONFLICT (key) DO NOTHING``: running the
plan again adds nothing, and two planners at once cannot add a row twice. Rows whose
booking, shift or session went away are cancelled; rows of a moved session are re-timed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from inclusion import clock
from inclusion.auth.models import User
from inclusion.cover.models import CoverOffer, CoverRequest, CoverStatus, SwapRequest, SwapStatus
from inclusion.db import UTCDateTime, insert_new
from inclusion.extensions import db
from inclusion.line.models import LineFriend, LineLink
from inclusion.loans.models import Loan
from inclusion.reminders.models import (
    COVER_KINDS,
    COVER_OFFER,
    LOAN_DUE,
    LOAN_OVERDUE,
    SWAP_ASKED,
    Audience,
    Recipient,
    Reminder,
    ReminderStatus,
    ReminderStep,
)
from inclusion.residents.models import SEATED, Booking, BookingStatus, Resident, ResidentPhone
from inclusion.sessions.models import Session, SessionStatus
from inclusion.sqltime import date_text, local_due
from inclusion.surveys.models import SurveyAsk
from inclusion.surveys.queries import agreed_to_survey
from inclusion.volunteers.models import Shift, ShiftStatus, VolunteerProfile, volunteer_wards
from inclusion.wards.models import Ward

log = logging.getLogger(__name__)

#: Keys of rows that try a resident's voice call again, or call their contact instead.
RETRY_SUFFIX, FALLBACK_SUFFIX = ":retry", ":contact"
#: Key of the row that reaches a resident by SMS or a call when LINE did not.
PHONE_SUFFIX = ":phone"

#: The kind of the notice sent when a session is cancelled (see ``notices``).
CANCELLED_NOTICE = "cancelled"
#: The kind of the notice that offers a freed seat to those waiting (see ``notices``).
OFFER_NOTICE = "offer"
#: The kinds of the notices that confirm, in writing, a place on a waiting list taken and a
#: booking cancelled on the phone line (see ``notices``): they go while that is still so.
WAITLISTED_NOTICE, WITHDRAWN_NOTICE = "waitlisted", "withdrawn"
#: What the phone line confirms in writing: the caller heard it read back, so it is never
#: phoned again, and only a booking made asks anything of its reader.
CONFIRMATION_NOTICES = ("booked", WAITLISTED_NOTICE, WITHDRAWN_NOTICE)
#: Notices that ask nothing: no buttons, and a reply is not an answer to them.
ASKING_NOTHING = (CANCELLED_NOTICE, WAITLISTED_NOTICE, WITHDRAWN_NOTICE)
#: Plan this many days beyond the earliest step, so a late plan still finds its rows.
EXTRA_DAYS = 2


def _due():
    zone = current_app.config["INCLUSION_TIMEZONE"]
    return local_due(
        Session.starts_dt, ReminderStep.days_before, ReminderStep.at_minute, sa.literal(zone)
    )


def _insert_new():
    """An INSERT into the outbox that leaves alone a row whose key is already there."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return insert(Reminder).on_conflict_do_nothing(index_elements=["key"])


def insert_rows(select: sa.Select, columns: list[str]) -> int:
    statement = _insert_new().from_select(columns, select)
    # SQLAlchemy keeps an INSERT's row count only when asked.
    return db.session.execute(statement.execution_options(preserve_rowcount=True)).rowcount


def insert_values(rows: list[dict]) -> int:
    """Queue rows made one by one (offers, a notice, survey calls); keys already there are
    kept."""
    return insert_new(Reminder, rows, ["key"])


def _text(value) -> sa.ColumnElement:
    return sa.cast(value, sa.String)


COLUMNS = [
    "key",
    "ward_id",
    "session_id",
    "booking_id",
    "shift_id",
    "resident_id",
    "user_id",
    "step_id",
    "recipient",
    "kind",
    "channel",
    "to_e164",
    "body",
    "due_dt",
    "status",
    "attempts",
    "last_error",
    "created_dt",
    "updated_dt",
]


def _row(key, *, booking_id, shift_id, resident_id, user_id, recipient, channel, to, now):
    """The SELECT list for one outbox row, in ``COLUMNS`` order."""
    return [
        key,
        Session.ward_id,
        Session.id,
        booking_id,
        shift_id,
        resident_id,
        user_id,
        ReminderStep.id,
        sa.literal(recipient.value),
        ReminderStep.code,
        channel,
        to,
        sa.literal(""),
        _due(),
        sa.literal(ReminderStatus.PENDING.value),
        sa.literal(0),
        sa.literal(""),
        sa.literal(now, UTCDateTime()),
        sa.literal(now, UTCDateTime()),
    ]


def _upcoming(now: datetime, audience: Audience, horizon: datetime) -> list:
    """Conditions every planned row shares: an active step of the session's ward, in time."""
    due = _due()
    return [
        ReminderStep.ward_id == Session.ward_id,
        ReminderStep.audience == audience,
        ReminderStep.is_active,
        Session.status == SessionStatus.SCHEDULED,
        Session.starts_dt > now,
        Session.starts_dt <= horizon,
        due < Session.starts_dt,
    ]


def _first_number(mobile: bool) -> sa.ScalarSelect:
    numbers = sa.select(ResidentPhone.e164).where(ResidentPhone.resident_id == Resident.id)
    if mobile:
        numbers = numbers.where(ResidentPhone.kind == "mobile")
    return numbers.order_by(ResidentPhone.position).limit(1).scalar_subquery()


def _line_link() -> sa.ScalarSelect | None:
    """The resident's LINE link in a query, on an account the settings still hold; None
    when there is no LINE account at all."""
    names = sorted(current_app.config["LINE_ACCOUNTS"])
    if not names:
        return None
    return (
        sa.select(LineLink.id)
        .join(LineFriend, LineFriend.id == LineLink.friend_id)
        .where(
            LineLink.resident_id == Resident.id,
            LineLink.unlinked_dt.is_(None),
            LineFriend.blocked_dt.is_(None),
            LineFriend.account.in_(names),
        )
        .limit(1)
        .scalar_subquery()
    )


def reach(
    recipient: Recipient, line: bool = True
) -> tuple[sa.ColumnElement, sa.ColumnElement, sa.ColumnElement]:
    """How one contact of the resident in a query is reached: (channel, number, allowed).

    The resident: by LINE when they linked it (and ``line``), else an SMS to their first
    mobile when they chose SMS, else a call to their first number (a landline cannot take
    an SMS). The contact person: an SMS to a mobile, else a call. ``allowed``: they may be
    messaged (not stopped, a LINE or a number to use).
    """
    if recipient == Recipient.PROXY:
        return (
            sa.case((Resident.proxy_phone_kind == "mobile", "sms"), else_="voice"),
            Resident.proxy_phone_e164,
            sa.and_(
                Resident.proxy_opted_out_dt.is_(None),
                Resident.proxy_gets_reminders,
                Resident.proxy_phone_e164.is_not(None),
            ),
        )
    mobile, first = _first_number(mobile=True), _first_number(mobile=False)
    by_sms = sa.and_(Resident.reminder_channel == "sms", mobile.is_not(None))
    channel = sa.case((by_sms, "sms"), else_="voice")
    to = sa.case((by_sms, mobile), else_=first)
    reachable = first.is_not(None)
    link = _line_link() if line else None
    if link is not None:
        channel = sa.case((link.is_not(None), "line"), else_=channel)
        to = sa.case((link.is_not(None), sa.literal("L") + _text(link)), else_=to)
        reachable = sa.or_(link.is_not(None), reachable)
    return (
        channel,
        to,
        sa.and_(
            Resident.opted_out_dt.is_(None),
            Resident.reminder_channel != "none",
            reachable,
        ),
    )


def survey_reach() -> tuple[sa.ColumnElement, sa.ColumnElement, sa.ColumnElement]:
    """How a survey's automatic ask reaches the resident in a query: as their reminders do
    where the SMS sender may carry links (``SURVEY_SMS_LINKS``), else by a call to their
    first number (a mobile takes calls too)."""
    channel, to, allowed = reach(Recipient.RESIDENT, line=False)
    if current_app.config["SURVEY_SMS_LINKS"]:
        return channel, to, allowed
    return sa.literal("voice"), _first_number(mobile=False), allowed


def may_message_residents() -> list[sa.ColumnElement]:
    """What every message to a resident or their contact needs, whoever it goes to."""
    return [
        Resident.anonymised_dt.is_(None),
        # Every message tells the resident whom to call: none without the number.
        Ward.booking_phone != "",
    ]


def _plan_residents(now: datetime, horizon: datetime) -> int:
    booked_at = sa.func.coalesce(Booking.promoted_dt, Booking.created_dt)
    base = (
        sa.select()
        .select_from(Booking)
        .join(Session, Session.id == Booking.session_id)
        .join(Resident, Resident.id == Booking.resident_id)
        .join(ReminderStep, ReminderStep.ward_id == Session.ward_id)
        .join(Ward, Ward.id == Session.ward_id)
        .where(
            *_upcoming(now, Audience.RESIDENT, horizon),
            *may_message_residents(),
            Booking.status == BookingStatus.BOOKED,
            # A booking made after a step's time skips that step (the morning one, typically).
            _due() > booked_at,
        )
    )
    planned = 0
    for recipient in (Recipient.RESIDENT, Recipient.PROXY):
        channel, to, allowed = reach(recipient)
        key = sa.literal("b") + _text(Booking.id) + ":" + ReminderStep.code + f":{recipient.value}"
        rows = base.where(allowed).with_only_columns(
            *_row(key, booking_id=Booking.id, shift_id=sa.null(), resident_id=Resident.id,
                  user_id=sa.null(), recipient=recipient, channel=channel, to=to, now=now)
        )  # fmt: skip
        planned += insert_rows(rows, COLUMNS)
    return planned


def _plan_volunteers(now: datetime, horizon: datetime) -> int:
    select = (
        sa.select()
        .select_from(Shift)
        .join(Session, Session.id == Shift.session_id)
        .join(VolunteerProfile, VolunteerProfile.user_id == Shift.user_id)
        .join(User, User.id == Shift.user_id)
        .join(ReminderStep, ReminderStep.ward_id == Session.ward_id)
        .where(
            *_upcoming(now, Audience.VOLUNTEER, horizon),
            Shift.status == ShiftStatus.CLAIMED,
            _due() > Shift.claimed_dt,
            VolunteerProfile.wants_sms,
            VolunteerProfile.mobile_e164.is_not(None),
            User.is_active,
        )
        .with_only_columns(
            *_row(
                sa.literal("s") + _text(Shift.id) + ":" + ReminderStep.code,
                booking_id=sa.null(),
                shift_id=Shift.id,
                resident_id=sa.null(),
                user_id=Shift.user_id,
                recipient=Recipient.VOLUNTEER,
                channel=sa.literal("sms"),
                to=VolunteerProfile.mobile_e164,
                now=now,
            )
        )
    )
    return insert_rows(select, COLUMNS)


#: When a loan's messages go, local time; an overdue one is of use for this many days.
LOAN_MESSAGE_AT = time(10)
LOAN_OVERDUE_USEFUL_DAYS = 3


def loan_steps(due_on: date) -> list[tuple[str, date, date]]:
    """A loan's messages: (kind, the day it goes, the first day it is of no more use)."""
    config = current_app.config
    steps = []
    if before := config["LOAN_REMINDER_DAYS_BEFORE"]:
        steps.append((LOAN_DUE, due_on - timedelta(days=before), due_on + timedelta(days=1)))
    if after := config["LOAN_OVERDUE_DAYS_AFTER"]:
        day = due_on + timedelta(days=after)
        steps.append((LOAN_OVERDUE, day, day + timedelta(days=LOAN_OVERDUE_USEFUL_DAYS)))
    return steps


def loan_key(loan) -> str | sa.ColumnElement[str]:
    """How the keys of a loan's rows begin: its id and the due date they were planned for
    (``l12:2027-03-31:``). ``loan`` is a row, or the ``Loan`` class for the same in SQL."""
    if loan is Loan:
        return sa.literal("l") + _text(Loan.id) + ":" + date_text(Loan.due_on) + ":"
    return f"l{loan.id}:{loan.due_on.isoformat()}:"


def _plan_loans(now: datetime) -> int:
    """Messages about loan smartphones still out whose due date is near or just passed.

    Few loans fall in the window at once, so each row is worked out here and inserted with
    the rest (a key already there is kept); a step whose time came before the loan was
    made is skipped, as a booking's is."""
    config = current_app.config
    today = clock.to_local(now).date()
    lowest = today - timedelta(days=config["LOAN_OVERDUE_DAYS_AFTER"] + LOAN_OVERDUE_USEFUL_DAYS)
    highest = today + timedelta(days=config["LOAN_REMINDER_DAYS_BEFORE"] + EXTRA_DAYS)
    base = (
        sa.select(Loan.id, Loan.ward_id, Loan.resident_id, Loan.due_on, Loan.created_dt)
        .join(Resident, Resident.id == Loan.resident_id)
        .join(Ward, Ward.id == Loan.ward_id)
        .where(Loan.returned_on.is_(None), Loan.due_on.between(lowest, highest),
               *may_message_residents())
    )  # fmt: skip
    rows = []
    for recipient in (Recipient.RESIDENT, Recipient.PROXY):
        channel, to, allowed = reach(recipient)
        found = base.where(allowed).add_columns(channel.label("channel"), to.label("to"))
        for loan in db.session.execute(found):
            for kind, day, useless_from in loan_steps(loan.due_on):
                due, deadline = (
                    clock.to_utc(day, LOAN_MESSAGE_AT),
                    clock.to_utc(useless_from, time()),
                )
                if due <= loan.created_dt or deadline <= now:
                    continue
                rows.append({
                    "key": f"{loan_key(loan)}{kind}:{recipient.value}",
                    "ward_id": loan.ward_id, "loan_id": loan.id, "resident_id": loan.resident_id,
                    "recipient": recipient, "kind": kind, "channel": loan.channel,
                    "to_e164": loan.to, "body": "", "due_dt": due, "deadline_dt": deadline,
                    "status": ReminderStatus.PENDING, "attempts": 0, "last_error": "",
                    "created_dt": now, "updated_dt": now,
                })  # fmt: skip
    return insert_values(rows)


def stale() -> sa.ColumnElement[bool]:
    """A row that must no longer go: its session, booking or shift is gone, its loan
    smartphone is back, its survey answered, or whoever it is for asked for no more
    messages (the resident, their contact person, a volunteer).

    The one rule: planning cancels waiting rows by it, dispatch claimed ones just before
    sending."""
    session = sa.select(Session.id).where(
        Session.id == Reminder.session_id, Session.status != SessionStatus.SCHEDULED
    )
    # A booking's messages go while it holds its seat; an offer, while its resident waits
    # and a seat is still free; a word that it was cancelled, while it is.
    booking = sa.select(Booking.id).where(
        Booking.id == Reminder.booking_id,
        Booking.status
        != sa.case(
            (
                Reminder.kind.in_((OFFER_NOTICE, WAITLISTED_NOTICE)),
                BookingStatus.WAITLISTED.value,
            ),
            (Reminder.kind == WITHDRAWN_NOTICE, BookingStatus.CANCELLED.value),
            else_=BookingStatus.BOOKED.value,
        ),
    )
    # Correlated to the row asked about, two levels up (as ``own_number`` below).
    seated = (
        sa.select(sa.func.count())
        .select_from(Booking)
        .where(Booking.session_id == Reminder.session_id, Booking.status.in_(SEATED))
        .correlate_except(Booking)
        .scalar_subquery()
    )
    seat_gone = sa.select(Session.id).where(
        Session.id == Reminder.session_id, Session.capacity <= seated
    )
    shift = sa.select(Shift.id).where(
        Shift.id == Reminder.shift_id, Shift.status != ShiftStatus.CLAIMED
    )
    # A loan back, or due on another day than the row was planned for (its key says which).
    loan = sa.select(Loan.id).where(
        Loan.id == Reminder.loan_id,
        sa.or_(Loan.returned_on.is_not(None), sa.not_(Reminder.key.startswith(loan_key(Loan)))),
    )
    # A survey answered meanwhile (by staff, on the page), or no longer agreed to.
    survey = (
        sa.select(SurveyAsk.id)
        .join(Resident, Resident.id == SurveyAsk.resident_id)
        .where(
            SurveyAsk.id == Reminder.survey_ask_id,
            sa.or_(SurveyAsk.outcome.is_not(None), sa.not_(agreed_to_survey())),
        )
    )
    # Correlated to the row asked about, two levels up (left to itself, SQLAlchemy read
    # ``reminders`` anew here: any message to one of her numbers made the old one "hers").
    own_number = (
        sa.select(ResidentPhone.id)
        .where(ResidentPhone.resident_id == Resident.id, ResidentPhone.e164 == Reminder.to_e164)
        .correlate_except(ResidentPhone)
    )
    stopped = sa.select(Resident.id).where(
        Resident.id == Reminder.resident_id,
        sa.or_(
            Resident.anonymised_dt.is_not(None),
            sa.and_(
                Reminder.recipient == Recipient.RESIDENT,
                sa.or_(
                    Resident.opted_out_dt.is_not(None),
                    Resident.reminder_channel == "none",
                    # Their number changed: the old one may be someone else's now. (A
                    # LINE link that ended is met when sent: SMS or a call goes instead.)
                    sa.and_(Reminder.channel != "line", sa.not_(sa.exists(own_number))),
                ),
            ),
            sa.and_(
                Reminder.recipient == Recipient.PROXY,
                sa.or_(
                    Resident.proxy_opted_out_dt.is_not(None),
                    Resident.proxy_phone_e164.is_(None),
                    Resident.proxy_phone_e164 != Reminder.to_e164,
                    # No longer sent reminders, but still called when the resident is not
                    # reached (that row's key says so).
                    sa.and_(
                        sa.not_(Resident.proxy_gets_reminders),
                        sa.not_(Reminder.key.endswith(FALLBACK_SUFFIX)),
                    ),
                ),
            ),
        ),
    )
    # Shift reminders, which a volunteer may stop; cover and swaps go as they chose.
    no_sms = sa.select(VolunteerProfile.user_id).where(
        VolunteerProfile.user_id == Reminder.user_id,
        Reminder.recipient == Recipient.VOLUNTEER,
        Reminder.kind.not_in(COVER_KINDS),
        sa.not_(VolunteerProfile.wants_sms),
    )
    # An offer to take over a shift goes only while someone is still wanted and this
    # volunteer has not answered yet...
    offered = (
        sa.select(CoverOffer.id)
        .join(CoverRequest, CoverRequest.id == CoverOffer.request_id)
        .where(
            CoverRequest.shift_id == Reminder.shift_id,
            CoverRequest.status == CoverStatus.OPEN,
            CoverOffer.user_id == Reminder.user_id,
            CoverOffer.answer.is_(None),
        )
    )
    # ...and while they may help there: a volunteer of another ward, while it is open to
    # the pool.
    closed_to_pool = sa.and_(
        sa.exists().where(Session.id == Reminder.session_id, sa.not_(Session.pool_open)),
        sa.not_(
            sa.exists().where(
                volunteer_wards.c.user_id == Reminder.user_id,
                volunteer_wards.c.ward_id == Reminder.ward_id,
            )
        ),
    )
    # A swap asked goes only while it waits for that volunteer's answer.
    swap_asked = sa.select(SwapRequest.id).where(
        SwapRequest.wanted_shift_id == Reminder.shift_id,
        SwapRequest.partner_id == Reminder.user_id,
        SwapRequest.status == SwapStatus.PROPOSED,
    )
    return sa.or_(
        # The notice that a session was cancelled is what its cancellation must send.
        sa.and_(
            Reminder.kind != CANCELLED_NOTICE,
            sa.or_(
                sa.exists(session),
                sa.exists(booking),
                sa.exists(shift),
                sa.exists(loan),
                sa.exists(survey),
            ),
        ),
        # Nobody who said stop hears from us again, not even of a cancellation.
        sa.exists(stopped),
        sa.exists(no_sms),
        sa.and_(Reminder.kind == COVER_OFFER, sa.or_(sa.not_(sa.exists(offered)), closed_to_pool)),
        sa.and_(Reminder.kind == OFFER_NOTICE, sa.exists(seat_gone)),
        sa.and_(Reminder.kind == SWAP_ASKED, sa.not_(sa.exists(swap_asked))),
    )


def cancel_stale(
    now: datetime, session_ids: list[int] | None = None, resident_id: int | None = None
) -> int:
    """Cancel waiting rows that must no longer go (``stale``)."""
    statement = (
        sa.update(Reminder)
        .where(Reminder.status == ReminderStatus.PENDING, stale())
        .values(status=ReminderStatus.CANCELLED, finished_dt=now, updated_dt=now)
        .execution_options(synchronize_session="fetch")
    )
    if session_ids is not None:
        statement = statement.where(Reminder.session_id.in_(session_ids))
    if resident_id is not None:
        statement = statement.where(Reminder.resident_id == resident_id)
    return db.session.execute(statement).rowcount


def _row_resident(value: sa.ColumnElement) -> sa.ScalarSelect:
    """``value`` of the resident a reminder row is for, as SQL."""
    return sa.select(value).where(Resident.id == Reminder.resident_id).scalar_subquery()


def readdress(now: datetime, resident_id: int) -> int:
    """A resident's numbers or choices changed: their waiting rows go where a plan would now
    send them (the new number, a call for a landline). Rows no contact should get any more
    are left to ``cancel_stale``."""
    moved = 0
    is_survey = Reminder.survey_ask_id.is_not(None)
    by_phone = Reminder.key.endswith(PHONE_SUFFIX)
    # A survey's ask has a way of its own (a call unless links may go by SMS); a message
    # sent by phone because LINE did not reach them stays on the phone.
    ways = ((Recipient.RESIDENT, reach(Recipient.RESIDENT), sa.not_(sa.or_(is_survey, by_phone))),
            (Recipient.PROXY, reach(Recipient.PROXY), sa.true()),
            (Recipient.RESIDENT, survey_reach(), is_survey),
            (Recipient.RESIDENT, reach(Recipient.RESIDENT, line=False),
             sa.and_(by_phone, sa.not_(is_survey))))  # fmt: skip
    for recipient, (channel, to, allowed), of_kind in ways:
        if recipient == Recipient.PROXY:
            # A contact called because the resident was not reached is reached all the same.
            allowed = Resident.proxy_phone_e164.is_not(None)
        reachable = sa.select(Resident.id).where(Resident.id == Reminder.resident_id, allowed)
        moved += db.session.execute(
            sa.update(Reminder)
            .where(
                Reminder.status == ReminderStatus.PENDING,
                Reminder.resident_id == resident_id,
                Reminder.recipient == recipient,
                of_kind,
                sa.exists(reachable),
                sa.or_(
                    Reminder.to_e164 != _row_resident(to),
                    Reminder.channel != _row_resident(channel),
                ),
            )
            .values(
                to_e164=_row_resident(to), channel=_row_resident(channel), body="", updated_dt=now
            )  # fmt: skip
            .execution_options(synchronize_session="fetch")
        ).rowcount
    return moved


def retime(now: datetime, session_ids: list[int] | None = None) -> int:
    """Move pending rows with their session: the due time follows the session's new day."""
    due = (
        sa.select(_due())
        .where(Session.id == Reminder.session_id, ReminderStep.id == Reminder.step_id)
        .scalar_subquery()
    )
    statement = (
        sa.update(Reminder)
        .where(
            Reminder.status == ReminderStatus.PENDING,
            Reminder.step_id.is_not(None),
            Reminder.due_dt != due,
        )
        .values(due_dt=due, updated_dt=now)
        .execution_options(synchronize_session="fetch")
    )
    if session_ids is not None:
        statement = statement.where(Reminder.session_id.in_(session_ids))
    else:
        changed = sa.select(Session.id).where(
            Session.id == Reminder.session_id, Session.updated_dt > Reminder.updated_dt
        )
        statement = statement.where(sa.exists(changed))
    return db.session.execute(statement).rowcount


@dataclass(frozen=True)
class PlanResult:
    planned: int
    retimed: int
    cancelled: int


def plan(now: datetime) -> PlanResult:
    """Create missing rows for the coming days, re-time moved ones, cancel stale ones."""
    furthest = db.session.scalar(
        sa.select(sa.func.max(ReminderStep.days_before)).where(ReminderStep.is_active)
    )
    horizon = now + timedelta(days=(furthest or 0) + EXTRA_DAYS)
    cancelled = cancel_stale(now)
    retimed = retime(now)
    planned = _plan_residents(now, horizon) + _plan_volunteers(now, horizon) + _plan_loans(now)
    if planned or retimed or cancelled:
        log.info("reminders planned %s, re-timed %s, cancelled %s", planned, retimed, cancelled)
    return PlanResult(planned, retimed, cancelled)
