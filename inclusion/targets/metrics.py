"""The programme's figures, each computed by the database: GROUP BY ward and month.

Every query returns rows of ``(ward_id, month, group, numerator, denominator, count)``;
``month`` is the local month ``YYYY-MM``, ``group`` a breakdown (a session kind, an age
band, a follow-up answer) or ``""``. Python only adds up those few rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Generic, TypeVar

import sqlalchemy as sa
from flask import current_app

from inclusion import clock
from inclusion.auth.models import Role, User
from inclusion.courses.models import Enrolment, EnrolmentStatus
from inclusion.extensions import db
from inclusion.reminders.media import Medium
from inclusion.reminders.models import Reminder, ReminderStatus
from inclusion.residents.models import Booking, BookingStatus, FollowUp, Resident
from inclusion.residents.services import AGE_BANDS
from inclusion.sessions.models import Series, Session, SessionKind, SessionStatus
from inclusion.sqltime import date_month, local_month, minutes_between
from inclusion.staff_training.models import EnrolmentStatus as StaffEnrolmentStatus
from inclusion.staff_training.models import StaffCourse, StaffEnrolment, StaffTraining
from inclusion.staff_training.services import completed
from inclusion.surveys.models import SurveyAsk, SurveyKind
from inclusion.targets.models import Metric, SurveyFigure, Unit
from inclusion.volunteers.models import Shift, ShiftStatus, TrainingRecord, volunteer_wards

#: Age bands by the age reached in the fiscal year's first calendar year.
NO_AGE = "?"
SALON_VISITORS = "salon"
#: Reminders whose fate is known: the base of "reach". Cancelled and skipped never left.
ATTEMPTED = (
    ReminderStatus.SENT,
    ReminderStatus.DELIVERED,
    ReminderStatus.FAILED,
    ReminderStatus.NO_ANSWER,
    ReminderStatus.UNKNOWN,
)


Row = TypeVar("Row")


class WardTable(Generic[Row]):  # noqa: UP046 - Python 3.11 has no ``class C[T]``
    """Figures counted apart from the metrics, one ``Row`` per ward and one for all wards
    (under None): the rows a grouped query returns, set field by field."""

    def __init__(self, make: Callable[[], Row]) -> None:
        self.make = make
        self.wards: dict[int | None, Row] = {}

    def of(self, ward_id: int | None) -> Row:
        """The ward's row to show (an empty one when nothing was counted)."""
        return self.wards.get(ward_id) or self.make()

    def row(self, ward_id: int | None) -> Row:
        """The ward's row to fill in, made on first use."""
        if ward_id not in self.wards:
            self.wards[ward_id] = self.make()
        return self.wards[ward_id]

    def set_each(self, name: str, rows: Iterable[tuple[int, object]]) -> None:
        """Set ``name`` of each ward from (ward, value) rows, and of all wards to their sum
        (for figures where no one counts in two wards)."""
        total = 0
        for ward_id, value in rows:
            setattr(self.row(ward_id), name, value or 0)
            total += value or 0
        setattr(self.row(None), name, total)


@dataclass(frozen=True)
class Scope:
    """Which figures: a fiscal year (or several, for multi-year targets) and some wards."""

    first_year: int
    last_year: int | None = None
    #: Empty: every ward.
    ward_ids: tuple[int, ...] = ()

    @property
    def years(self) -> tuple[int, int]:
        return self.first_year, self.last_year or self.first_year

    @property
    def first_day(self) -> date:
        return date(self.first_year, 4, 1)

    @property
    def last_day(self) -> date:
        return date(self.years[1] + 1, 3, 31)

    @property
    def start_dt(self) -> datetime:
        return clock.to_utc(self.first_day, time.min)

    @property
    def end_dt(self) -> datetime:
        return clock.to_utc(date(self.years[1] + 1, 4, 1), time.min)


@dataclass
class Figures:
    """One metric's rows, and the sums the dashboard shows."""

    metric: Metric
    #: (ward_id or None for all wards counted at once, month, group) -> [num, den, count]
    cells: dict[tuple[int | None, str, str], list[float]] = field(default_factory=dict)
    #: When a stored snapshot was counted; None when counted just now.
    counted_dt: datetime | None = None

    #: Sums by (ward or None for all, month or None for all, group or None for all).
    _sums: dict[tuple, list[float]] | None = field(default=None, init=False, repr=False)

    def add(self, rows: Iterable[sa.Row]) -> Figures:
        for ward_id, month, group, numerator, denominator, count in rows:
            cell = self.cells.setdefault((ward_id, month, group or ""), [0.0, 0.0, 0.0])
            cell[0] += float(numerator or 0)
            cell[1] += float(denominator or 0)
            cell[2] += float(count or 0)
        self._sums = None
        return self

    def _sum(self, ward_id, month, group) -> list[float]:
        """[numerator, denominator, count] summed once over all cells, then looked up."""
        if self._sums is None:
            # A metric counted once across wards (people in several wards) has its own
            # rows for all wards; otherwise all wards are the sum of each.
            overall = any(key[0] is None for key in self.cells)
            sums: dict[tuple, list[float]] = {}
            for (ward, cell_month, cell_group), cell in self.cells.items():
                wards = (None,) if ward is None else (ward,) if overall else (ward, None)
                numerator, denominator, count = cell
                for key in itertools.product(wards, (cell_month, None), (cell_group, None)):
                    total = sums.setdefault(key, [0.0, 0.0, 0.0])
                    total[0] += numerator
                    total[1] += denominator
                    total[2] += count
            self._sums = sums
        return self._sums.get((ward_id, month, group), [0.0, 0.0, 0.0])

    def value(self, ward_id: int | None = None, month: str | None = None,
              group: str | None = None) -> float | None:  # fmt: skip
        """The figure for a ward (None: all) and month (None: the whole period)."""
        numerator, denominator, _count = self._sum(ward_id, month, group)
        if self.metric.unit == Unit.PERCENT:
            if not denominator:
                return None
            scale = 1 if self.metric.is_survey else 100
            return numerator / denominator * scale
        if self.metric.unit == Unit.HOURS:
            return numerator / 60
        return numerator

    def count(self, ward_id: int | None = None, group: str | None = None) -> int:
        return int(self._sum(ward_id, None, group)[2])

    def _asked(self, ward_id: int | None) -> list[float]:
        """A sampled metric's sums over the residents asked: the survey's own rows where a
        metric also holds figures entered from outside (the divide's), else all."""
        group = ASKED if self.metric == Metric.DIVIDE_RESOLUTION_RATE else None
        return self._sum(ward_id, None, group)

    def asked(self, ward_id: int | None = None) -> int:
        """A sampled metric's residents asked (its sample)."""
        return int(self._asked(ward_id)[2])

    def answered(self, ward_id: int | None = None) -> int:
        """A sampled metric's residents who answered (its denominator)."""
        return int(self._asked(ward_id)[1])

    def response_rate(self, ward_id: int | None = None) -> float | None:
        """A sampled metric's share of those asked who answered, as a percentage; None
        when nobody was asked."""
        _numerator, answered, asked = self._asked(ward_id)
        return answered / asked * 100 if asked else None

    def months(self) -> list[str]:
        return sorted({month for _ward, month, _group in self.cells})

    def groups(self) -> list[str]:
        return sorted({group for _ward, _month, group in self.cells})


def _zone():
    return sa.literal(current_app.config["INCLUSION_TIMEZONE"])


def _in_wards(column, scope: Scope):
    """``column`` among the scope's wards; no condition when the scope is every ward."""
    return column.in_(scope.ward_ids) if scope.ward_ids else sa.true()


def _sessions_in(scope: Scope):
    return [
        Session.starts_dt >= scope.start_dt,
        Session.starts_dt < scope.end_dt,
        _in_wards(Session.ward_id, scope),
    ]


def held(now: datetime):
    """Held: marked held, or over and not cancelled."""
    return sa.or_(
        Session.status == SessionStatus.HELD,
        sa.and_(Session.status != SessionStatus.CANCELLED, Session.ends_dt <= now),
    )


def _age_band(scope: Scope):
    age = scope.first_year - Resident.birth_year
    whens = [(Resident.birth_year.is_(None), NO_AGE)] + [
        (age <= oldest, label) for oldest, label in AGE_BANDS if oldest is not None
    ]
    return sa.case(*whens, else_=AGE_BANDS[-1][1])


def sessions_held(scope: Scope, now: datetime) -> Figures:
    """Held sessions by kind (SESSIONS_HELD; CONSULTATIONS_HELD is the consultation group)."""
    month = local_month(Session.starts_dt, _zone())
    rows = db.session.execute(
        sa.select(Session.ward_id, month, Session.kind, sa.func.count(), None, sa.func.count())
        .where(*_sessions_in(scope), held(now))
        .group_by(Session.ward_id, month, Session.kind)
    )
    return Figures(Metric.SESSIONS_HELD).add(rows)


def consultations_of(held: Figures) -> Figures:
    """The consultation group of the held sessions, as its own metric."""
    kept = {key: cell for key, cell in held.cells.items()
            if key[2] == SessionKind.CONSULTATION.value}  # fmt: skip
    return Figures(Metric.CONSULTATIONS_HELD, kept)


def consultations_held(scope: Scope, now: datetime) -> Figures:
    return consultations_of(sessions_held(scope, now))


def attendances(scope: Scope, now: datetime) -> Figures:
    """Attended bookings by age band, and the headcount of salons held."""
    month = local_month(Session.starts_dt, _zone())
    band = _age_band(scope)
    booked = (
        sa.select(Session.ward_id, month, band, sa.func.count(), None, sa.func.count())
        .join(Booking, Booking.session_id == Session.id)
        .join(Resident, Resident.id == Booking.resident_id)
        .where(*_sessions_in(scope), Booking.status == BookingStatus.ATTENDED)
        .group_by(Session.ward_id, month, band)
    )
    headcount = sa.func.coalesce(sa.func.sum(Session.headcount), 0)
    salons = (
        sa.select(
            Session.ward_id, month, sa.literal(SALON_VISITORS), headcount, None, headcount
        )  # fmt: skip
        .where(*_sessions_in(scope), Session.kind == SessionKind.SALON, held(now))
        .group_by(Session.ward_id, month)
    )
    return Figures(Metric.ATTENDANCES).add(db.session.execute(sa.union_all(booked, salons)))


def participants(scope: Scope) -> Figures:
    """Residents who attended, each once, in the month they first came, by age band."""
    first = (
        sa.select(Booking.resident_id, sa.func.min(Session.starts_dt).label("first_dt"))
        .join(Session, Session.id == Booking.session_id)
        .where(*_sessions_in(scope), Booking.status == BookingStatus.ATTENDED)
        .group_by(Booking.resident_id)
        .subquery()
    )
    month = local_month(first.c.first_dt, _zone())
    band = _age_band(scope)
    rows = db.session.execute(
        sa.select(Resident.ward_id, month, band, sa.func.count(), None, sa.func.count())
        .join(first, first.c.resident_id == Resident.id)
        .group_by(Resident.ward_id, month, band)
    )
    return Figures(Metric.PARTICIPANTS).add(rows)


def online_procedure_share(scope: Scope, now: datetime) -> Figures:
    """Follow-ups come due in the period (by now): yes / (yes + no); the rest counted by
    answer."""
    month = date_month(FollowUp.due_on)
    answer = sa.func.coalesce(sa.cast(FollowUp.answer, sa.String), "pending")
    count = sa.func.count()
    conditions = [
        FollowUp.due_on >= scope.first_day,
        FollowUp.due_on <= min(scope.last_day, clock.to_local(now).date()),
        _in_wards(FollowUp.ward_id, scope),
    ]
    rows = db.session.execute(
        sa.select(
            FollowUp.ward_id,
            month,
            answer,
            sa.case((answer == "yes", count), else_=0),
            sa.case((answer.in_(("yes", "no")), count), else_=0),
            count,
        )
        .where(*conditions)
        .group_by(FollowUp.ward_id, month, answer)
    )
    return Figures(Metric.ONLINE_PROCEDURE_SHARE).add(rows)


def volunteers_trained(scope: Scope) -> Figures:
    """People whose first course ever was completed in the period, in that month: per
    ward, and once across wards (a volunteer helping in two wards is one person)."""
    first_on = sa.func.min(TrainingRecord.completed_on)
    first = (
        sa.select(TrainingRecord.user_id, first_on.label("on"))
        .group_by(TrainingRecord.user_id)
        .having(first_on >= scope.first_day, first_on <= scope.last_day)
        .subquery()
    )
    month = date_month(first.c.on)
    ward = volunteer_wards.c.ward_id
    per_ward = (
        sa.select(ward, month, sa.literal(""), sa.func.count(), None, sa.func.count())
        .join(volunteer_wards, volunteer_wards.c.user_id == first.c.user_id)
        .where(_in_wards(ward, scope))
        .group_by(ward, month)
    )
    people = sa.func.count(sa.distinct(first.c.user_id))
    overall = (
        sa.select(sa.null(), month, sa.literal(""), people, None, people)
        .join(volunteer_wards, volunteer_wards.c.user_id == first.c.user_id)
        .where(_in_wards(ward, scope))
        .group_by(month)
    )
    return Figures(Metric.VOLUNTEERS_TRAINED).add(
        db.session.execute(sa.union_all(per_ward, overall))
    )


def staff_literacy(scope: Scope) -> Figures:
    """Each ward's active staff, and those who completed digital literacy training by the
    year's end (or today): the state of the ward, counted in the month it is counted."""
    last = min(scope.last_day, clock.today())
    done = sa.case((completed(StaffCourse.LITERACY, last), 1), else_=0)
    as_of = sa.literal(f"{last:%Y-%m}")
    rows = db.session.execute(
        sa.select(User.ward_id, as_of, sa.literal(""), sa.func.sum(done), sa.func.count(),
                  sa.func.count())
        .where(User.role == Role.WARD_STAFF, User.is_active, _in_wards(User.ward_id, scope))
        .group_by(User.ward_id)
    )  # fmt: skip
    return Figures(Metric.STAFF_LITERACY).add(rows)


def dx_leaders(scope: Scope) -> Figures:
    """Ward staff whose first DX leader training was in the period, in that month and
    their ward (a staff member is in one ward: the wards add up to all)."""
    first_on = sa.func.min(StaffEnrolment.completed_on)
    first = (
        sa.select(StaffEnrolment.user_id, first_on.label("on"))
        .join(StaffTraining, StaffTraining.id == StaffEnrolment.training_id)
        .where(StaffTraining.course == StaffCourse.DX_LEADER,
               StaffEnrolment.status == StaffEnrolmentStatus.ATTENDED)
        .group_by(StaffEnrolment.user_id)
        .having(first_on >= scope.first_day, first_on <= scope.last_day)
        .subquery()
    )  # fmt: skip
    month = date_month(first.c.on)
    rows = db.session.execute(
        sa.select(User.ward_id, month, sa.literal(""), sa.func.count(), None, sa.func.count())
        .join(User, User.id == first.c.user_id)
        # Whoever took it did so as ward staff: still counted if their role changed since.
        .where(User.ward_id.is_not(None), _in_wards(User.ward_id, scope))
        .group_by(User.ward_id, month)
    )
    return Figures(Metric.DX_LEADERS).add(rows)


def volunteer_hours(scope: Scope) -> Figures:
    month = local_month(Session.starts_dt, _zone())
    planned = minutes_between(Session.starts_dt, Session.ends_dt)
    minutes = sa.func.sum(sa.func.coalesce(Shift.minutes_override, planned))
    rows = db.session.execute(
        sa.select(Session.ward_id, month, sa.literal(""), minutes, None, sa.func.count())
        .join(Shift, Shift.session_id == Session.id)
        .where(*_sessions_in(scope), Shift.status == ShiftStatus.ATTENDED)
        .group_by(Session.ward_id, month)
    )
    return Figures(Metric.VOLUNTEER_HOURS).add(rows)


def shift_fill_rate(scope: Scope, now: datetime) -> Figures:
    """Places taken / places needed, for sessions held."""
    taken = (
        sa.select(Shift.session_id, sa.func.count().label("taken"))
        .where(Shift.status != ShiftStatus.RELEASED)
        .group_by(Shift.session_id)
        .subquery()
    )
    month = local_month(Session.starts_dt, _zone())
    needed = Session.lead_needed + Session.assistants_needed
    rows = db.session.execute(
        sa.select(
            Session.ward_id,
            month,
            sa.literal(""),
            sa.func.sum(sa.func.coalesce(taken.c.taken, 0)),
            sa.func.sum(needed),
            sa.func.count(),
        )
        .outerjoin(taken, taken.c.session_id == Session.id)
        .where(*_sessions_in(scope), held(now), needed > 0)
        .group_by(Session.ward_id, month)
    )
    return Figures(Metric.SHIFT_FILL_RATE).add(rows)


def _no_show_rate(metric: Metric, scope: Scope, model, came, missed) -> Figures:
    """Of the ``model`` rows (bookings or shifts) whose attendance was recorded, those missed."""
    month = local_month(Session.starts_dt, _zone())
    no_show = sa.func.sum(sa.case((model.status == missed, 1), else_=0))
    rows = db.session.execute(
        sa.select(
            Session.ward_id, month, sa.literal(""), no_show, sa.func.count(), sa.func.count()
        )  # fmt: skip
        .join(model, model.session_id == Session.id)
        .where(*_sessions_in(scope), model.status.in_((came, missed)))
        .group_by(Session.ward_id, month)
    )
    return Figures(metric).add(rows)


def resident_no_show_rate(scope: Scope) -> Figures:
    return _no_show_rate(Metric.RESIDENT_NO_SHOW_RATE, scope, Booking, BookingStatus.ATTENDED,
                         BookingStatus.NO_SHOW)  # fmt: skip


def volunteer_no_show_rate(scope: Scope) -> Figures:
    return _no_show_rate(Metric.VOLUNTEER_NO_SHOW_RATE, scope, Shift, ShiftStatus.ATTENDED,
                         ShiftStatus.NO_SHOW)  # fmt: skip


def reminder_reach(scope: Scope) -> Figures:
    """Delivered or answered, of the reminders that were sent (or tried). LINE reports no
    delivery: a push it took for a friend of the account is in their LINE."""
    month = local_month(Reminder.due_dt, _zone())
    delivered = sa.or_(
        Reminder.status == ReminderStatus.DELIVERED,
        sa.and_(Reminder.channel == Medium.LINE, Reminder.status == ReminderStatus.SENT),
    )
    reached = sa.func.sum(sa.case((sa.or_(delivered, Reminder.reply.is_not(None)), 1), else_=0))
    conditions = [
        Reminder.due_dt >= scope.start_dt,
        Reminder.due_dt < scope.end_dt,
        Reminder.status.in_(ATTEMPTED),
        _in_wards(Reminder.ward_id, scope),
        # A survey's ask is no reminder: its reach is the survey's response rate.
        Reminder.survey_ask_id.is_(None),
    ]
    rows = db.session.execute(
        sa.select(
            Reminder.ward_id, month, sa.literal(""), reached, sa.func.count(), sa.func.count()
        )  # fmt: skip
        .where(*conditions)
        .group_by(Reminder.ward_id, month)
    )
    return Figures(Metric.REMINDER_REACH).add(rows)


def course_completion(scope: Scope, now: datetime) -> Figures:
    """Of the residents booked on courses whose last date is past, those who came to at least
    ``COURSE_COMPLETION_PERCENT`` of the dates held; counted in the month the course ended."""
    dates = (
        sa.select(
            Session.series_id,
            sa.func.count().label("held"),
            sa.func.max(Session.starts_dt).label("last_dt"),
        )
        .join(Series, Series.id == Session.series_id)
        .where(Series.is_course, Session.status != SessionStatus.CANCELLED)
        .group_by(Session.series_id)
        .having(sa.func.max(Session.ends_dt) <= now)
        .subquery()
    )
    came = (
        sa.select(Booking.enrolment_id, sa.func.count().label("came"))
        .where(Booking.enrolment_id.is_not(None), Booking.status == BookingStatus.ATTENDED)
        .group_by(Booking.enrolment_id)
        .subquery()
    )
    share = current_app.config["COURSE_COMPLETION_PERCENT"]
    completed = sa.func.sum(
        sa.case((sa.func.coalesce(came.c.came, 0) * 100 >= dates.c.held * share, 1), else_=0)
    )
    month = local_month(dates.c.last_dt, _zone())
    rows = db.session.execute(
        sa.select(Enrolment.ward_id, month, sa.literal(""), completed, sa.func.count(),
                  sa.func.count())
        .join(dates, dates.c.series_id == Enrolment.series_id)
        .outerjoin(came, came.c.enrolment_id == Enrolment.id)
        .where(
            Enrolment.status == EnrolmentStatus.ENROLLED,
            dates.c.last_dt >= scope.start_dt,
            dates.c.last_dt < scope.end_dt,
            _in_wards(Enrolment.ward_id, scope),
        )
        .group_by(Enrolment.ward_id, month)
    )  # fmt: skip
    return Figures(Metric.COURSE_COMPLETION).add(rows)


def _asked_in(scope: Scope, *conditions) -> list:
    return [
        SurveyAsk.asked_on >= scope.first_day,
        SurveyAsk.asked_on <= scope.last_day,
        _in_wards(SurveyAsk.ward_id, scope),
        *conditions,
    ]


#: The group of a survey metric's rows counted from the residents asked (the divide's
#: entered figures are rows of their own, beside them).
ASKED = "asked"


def _share_of_answers(
    answered: sa.ColumnElement, yes: sa.ColumnElement, conditions: list, per_yes: int = 1
) -> sa.Select:
    """Rows of the residents asked: ``per_yes`` for each ``yes``, out of those
    ``answered``; the count is everyone asked (the sample), so the response rate can stand
    beside the share."""
    count = sa.func.count()
    return (
        sa.select(
            SurveyAsk.ward_id,
            date_month(SurveyAsk.asked_on),
            sa.literal(ASKED),
            per_yes * sa.func.sum(sa.case((yes, 1), else_=0)),
            sa.func.sum(sa.case((answered, 1), else_=0)),
            count,
        )
        .where(*conditions)
        .group_by(SurveyAsk.ward_id, date_month(SurveyAsk.asked_on))
    )


def satisfaction(scope: Scope) -> Figures:
    """Of the satisfaction scores given in either survey, the share of 4 and 5."""
    rows = db.session.execute(
        _share_of_answers(
            SurveyAsk.satisfaction.is_not(None), SurveyAsk.satisfaction >= 4, _asked_in(scope)
        )
    )
    return Figures(Metric.SATISFACTION).add(rows)


def survey(metric: Metric, scope: Scope) -> Figures:
    """Entered percentages, weighted by respondents (a month with none weighs one); the
    divide's share adds the yearly survey's answers."""
    weight = sa.case((SurveyFigure.respondents > 0, SurveyFigure.respondents), else_=1)
    month = date_month(SurveyFigure.month)
    conditions = [
        SurveyFigure.metric == metric,
        SurveyFigure.month >= scope.first_day,
        SurveyFigure.month <= scope.last_day,
        _in_wards(SurveyFigure.ward_id, scope),
    ]
    rows = db.session.execute(
        sa.select(
            SurveyFigure.ward_id,
            month,
            sa.literal(""),
            sa.func.sum(SurveyFigure.value * weight),
            sa.func.sum(weight),
            sa.func.sum(SurveyFigure.respondents),
        )
        .where(*conditions)
        .group_by(SurveyFigure.ward_id, month)
    )
    figures = Figures(metric).add(rows)
    if metric == Metric.DIVIDE_RESOLUTION_RATE:
        asked = _asked_in(scope, SurveyAsk.kind == SurveyKind.YEARLY)
        # Entered shares are percentages already: each yes is worth 100 of them.
        answered, yes = SurveyAsk.resolved.is_not(None), SurveyAsk.resolved.is_(True)
        figures.add(db.session.execute(_share_of_answers(answered, yes, asked, 100)))
    return figures


def figures(metric: Metric, scope: Scope, now: datetime | None = None) -> Figures:
    """Any metric's figures for a scope."""
    now = now or clock.now()
    if metric.is_survey:
        return survey(metric, scope)
    compute = {
        Metric.SESSIONS_HELD: lambda: sessions_held(scope, now),
        Metric.CONSULTATIONS_HELD: lambda: consultations_held(scope, now),
        Metric.VOLUNTEERS_TRAINED: lambda: volunteers_trained(scope),
        Metric.ATTENDANCES: lambda: attendances(scope, now),
        Metric.PARTICIPANTS: lambda: participants(scope),
        Metric.ONLINE_PROCEDURE_SHARE: lambda: online_procedure_share(scope, now),
        Metric.VOLUNTEER_HOURS: lambda: volunteer_hours(scope),
        Metric.SHIFT_FILL_RATE: lambda: shift_fill_rate(scope, now),
        Metric.RESIDENT_NO_SHOW_RATE: lambda: resident_no_show_rate(scope),
        Metric.VOLUNTEER_NO_SHOW_RATE: lambda: volunteer_no_show_rate(scope),
        Metric.REMINDER_REACH: lambda: reminder_reach(scope),
        Metric.COURSE_COMPLETION: lambda: course_completion(scope, now),
        Metric.STAFF_LITERACY: lambda: staff_literacy(scope),
        Metric.DX_LEADERS: lambda: dx_leaders(scope),
        Metric.SATISFACTION: lambda: satisfaction(scope),
    }
    return compute[metric]()
