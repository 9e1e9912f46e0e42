"""A ward's day, as its staff start it: what is on, what is short, what needs a call.

Each part is a fixed number of queries, whatever the number of sessions or reminders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from inclusion import clock
from inclusion.calls.queries import count_waiting
from inclusion.cover.queries import alerts
from inclusion.extensions import db
from inclusion.reminders.models import NOT_REACHED, Reminder, ReminderStatus
from inclusion.reminders.planning import PHONE_SUFFIX, stale
from inclusion.reminders.services import count_waiting_replies, wards_missing_phone
from inclusion.residents.queries import booking_counts, count_due_follow_ups
from inclusion.sessions.models import Session, SessionStatus
from inclusion.sessions.queries import sessions_between
from inclusion.surveys.queries import count_calls_to_make
from inclusion.targets.services import MetricRow, dashboard
from inclusion.volunteers.models import ShiftRole
from inclusion.volunteers.queries import fill_counts
from inclusion.wards.models import Ward

#: How far ahead the home page looks for sessions still short of volunteers.
SHORT_DAYS = 14
#: Reminders a resident may still need a call about, listed at most.
UNREACHED_SHOWN = 20


@dataclass
class DaySession:
    """A session with what staff look at first: seats, waiting list, volunteers missing."""

    session: Session
    booked: int
    waiting: int
    missing: dict[ShiftRole, int]

    @property
    def seats_free(self) -> int:
        return max(self.session.capacity - self.booked, 0)

    @property
    def missing_count(self) -> int:
        return sum(self.missing.values())


@dataclass
class WardDay:
    today: date
    on_today: list[DaySession]
    on_tomorrow: list[DaySession]
    short: list[DaySession]
    unreached: list[Reminder]
    unreached_count: int
    waiting_replies: int
    due_calls: int
    missing_phone: bool
    #: Shifts nobody has taken over, close to their session (staff were alerted).
    cover_alerts: list = field(default_factory=list)
    #: Swaps both volunteers agreed to, waiting for this ward's approval.
    swaps_waiting: int = 0
    #: Calls the call centre passed to the ward, not yet taken care of.
    calls_waiting: int = 0
    #: Residents of this year's survey whom the automatic call did not reach.
    survey_calls: int = 0
    figures: list[MetricRow] = field(default_factory=list)


def _day_sessions(ward: Ward, first: date, last: date) -> list[DaySession]:
    sessions = sessions_between(ward.id, first, last)
    ids = [session.id for session in sessions]
    counts, filled = booking_counts(ids), fill_counts(ids)
    found = []
    for session in sessions:
        booked, waiting = counts.get(session.id, (0, 0))
        wanted = {ShiftRole.LEAD: session.lead_needed,
                  ShiftRole.ASSISTANT: session.assistants_needed}  # fmt: skip
        missing = {role: max(wanted[role] - filled[session.id][role], 0) for role in wanted}
        found.append(DaySession(session, booked, waiting, missing))
    return found


def _unreached(ward: Ward) -> tuple[list[Reminder], int]:
    """Residents' bookings, for sessions still to come, whose reminder may not have reached
    them and that no later message (a resend, the next reminder) did reach: one row per
    booking, its latest such reminder, and how many bookings in all. Messages that must
    no longer go (cancelled, stopped) are not among them."""
    later = sa.orm.aliased(Reminder)
    told_since = sa.or_(
        sa.exists().where(
            later.booking_id == Reminder.booking_id,
            later.recipient == Reminder.recipient,
            later.status.in_([ReminderStatus.SENT, ReminderStatus.DELIVERED]),
            later.due_dt >= Reminder.due_dt,
            later.id != Reminder.id,
        ),
        # The same message on its way by phone, as LINE did not take it.
        sa.exists().where(
            later.key == Reminder.key + PHONE_SUFFIX, later.status == ReminderStatus.PENDING
        ),
    )
    to_come = sa.select(Session.id).where(
        Session.ward_id == ward.id, Session.starts_dt > clock.now()
    )
    untold = (
        sa.select(Reminder.id, Reminder.booking_id).where(
            Reminder.ward_id == ward.id,
            Reminder.booking_id.is_not(None),
            Reminder.status.in_(NOT_REACHED),
            Reminder.session_id.in_(to_come),
            sa.not_(stale()),
            sa.not_(told_since),
        )
    ).subquery()
    count = db.session.scalar(sa.select(sa.func.count(sa.distinct(untold.c.booking_id))))
    latest = sa.select(sa.func.max(untold.c.id)).group_by(untold.c.booking_id)
    shown = db.session.scalars(
        sa.select(Reminder)
        .options(joinedload(Reminder.resident), joinedload(Reminder.session))
        .join(Session, Session.id == Reminder.session_id)
        .where(Reminder.id.in_(latest))
        .order_by(Session.starts_dt, Reminder.id)
        .limit(UNREACHED_SHOWN)
    ).all()
    return list(shown), count


def ward_day(ward: Ward) -> WardDay:
    """Everything the ward's home page shows, for today in the programme's time zone."""
    today = clock.today()
    ahead = _day_sessions(ward, today, today + timedelta(days=SHORT_DAYS - 1))
    tomorrow = today + timedelta(days=1)

    def on(day: date) -> list[DaySession]:
        return [item for item in ahead if clock.to_local(item.session.starts_dt).date() == day]

    unreached, unreached_count = _unreached(ward)
    figures = [row for row in dashboard(clock.fiscal_year(today), ward) if row.target]
    cover_alerts, swaps_waiting = alerts(ward)
    return WardDay(
        today=today,
        on_today=on(today),
        on_tomorrow=on(tomorrow),
        short=[item for item in ahead
               if item.missing_count and item.session.status == SessionStatus.SCHEDULED
               and item.session.ends_dt > clock.now()],
        unreached=unreached,
        unreached_count=unreached_count,
        waiting_replies=count_waiting_replies(ward),
        due_calls=count_due_follow_ups(ward, today),
        missing_phone=bool(wards_missing_phone(ward)),
        cover_alerts=cover_alerts,
        swaps_waiting=swaps_waiting,
        calls_waiting=count_waiting(ward),
        survey_calls=count_calls_to_make(ward, clock.fiscal_year(today), clock.now()),
        figures=figures,
    )  # fmt: skip
