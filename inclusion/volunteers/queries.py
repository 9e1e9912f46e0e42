"""Reading shifts: open places, fill counts, a volunteer's shifts and hours."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from inclusion import clock
from inclusion.auth.models import Role, User
from inclusion.cover.models import CoverOffer, CoverRequest
from inclusion.extensions import db
from inclusion.sessions.models import Session, SessionStatus, Topic
from inclusion.sessions.queries import Cursor, keyset_page, with_topic_and_dates
from inclusion.sqltime import minutes_between
from inclusion.volunteers.models import (
    HOLDING,
    Shift,
    ShiftRole,
    ShiftStatus,
    TrainingRecord,
    VolunteerProfile,
    volunteer_wards,
)


def _filled(role: ShiftRole):
    return (
        sa.select(sa.func.count())
        .where(Shift.session_id == Session.id, Shift.role == role, Shift.status.in_(HOLDING))
        .correlate(Session)
        .scalar_subquery()
    )


@dataclass
class OpenShift:
    session: Session
    lead_filled: int
    assistants_filled: int

    @property
    def lead_open(self) -> int:
        return max(0, self.session.lead_needed - self.lead_filled)

    @property
    def assistants_open(self) -> int:
        return max(0, self.session.assistants_needed - self.assistants_filled)


@dataclass
class ShiftFilter:
    ward_ids: list[int]
    #: Other wards whose sessions opened to the pool the volunteer may take.
    pool_ward_ids: list[int] = field(default_factory=list)
    #: Leave out sessions this volunteer already helps at.
    volunteer_id: int | None = None
    ward_id: int | None = None
    venue_id: int | None = None
    role: ShiftRole | None = None
    topic: Topic | None = None
    date_from: date | None = None
    date_to: date | None = None


def open_shifts(filters: ShiftFilter, after: Cursor | None, size: int = 50):
    """Upcoming scheduled sessions in the wards that still need volunteers."""
    lead_filled, assistants_filled = _filled(ShiftRole.LEAD), _filled(ShiftRole.ASSISTANT)
    lead_open = Session.lead_needed > lead_filled
    assistant_open = Session.assistants_needed > assistants_filled
    if filters.role == ShiftRole.LEAD:
        has_room = lead_open
    elif filters.role == ShiftRole.ASSISTANT:
        has_room = assistant_open
    else:
        has_room = sa.or_(lead_open, assistant_open)
    query = (
        sa.select(Session, lead_filled, assistants_filled)
        .options(joinedload(Session.venue), joinedload(Session.ward))
        .where(
            sa.or_(
                Session.ward_id.in_(filters.ward_ids),
                sa.and_(Session.pool_open, Session.ward_id.in_(filters.pool_ward_ids)),
            ),
            Session.status == SessionStatus.SCHEDULED,
            Session.starts_dt > clock.now(),
            has_room,
        )
    )
    if filters.volunteer_id is not None:
        query = query.where(
            ~sa.exists().where(
                Shift.session_id == Session.id,
                Shift.user_id == filters.volunteer_id,
                Shift.status.in_(HOLDING),
            )
        )
    if filters.ward_id is not None:
        query = query.where(Session.ward_id == filters.ward_id)
    if filters.venue_id is not None:
        query = query.where(Session.venue_id == filters.venue_id)
    query = with_topic_and_dates(query, filters.topic, filters.date_from, filters.date_to)
    rows, next_cursor = keyset_page(query, after, size)
    return [OpenShift(*row) for row in rows], next_cursor


def fill_counts(session_ids: list[int]) -> dict[int, dict[ShiftRole, int]]:
    """Filled places per session and role, in one query, for lists of sessions."""
    counts: dict[int, dict[ShiftRole, int]] = {
        session_id: {ShiftRole.LEAD: 0, ShiftRole.ASSISTANT: 0} for session_id in session_ids
    }
    if not session_ids:
        return counts
    rows = db.session.execute(
        sa.select(Shift.session_id, Shift.role, sa.func.count())
        .where(Shift.session_id.in_(session_ids), Shift.status.in_(HOLDING))
        .group_by(Shift.session_id, Shift.role)
    )
    for session_id, role, count in rows:
        counts[session_id][role] = count
    return counts


def roster(session: Session, with_released: bool = False) -> list[Shift]:
    """The volunteers holding a place at a session (and those who gave one up, if asked)."""
    query = (
        sa.select(Shift)
        .options(joinedload(Shift.volunteer))
        .where(Shift.session_id == session.id)
        .order_by(Shift.role.desc(), Shift.slot_number, Shift.id)
    )
    if not with_released:
        query = query.where(Shift.status.in_(HOLDING))
    return list(db.session.scalars(query))


def shifts_of(volunteer_id: int, upcoming: bool) -> list[Shift]:
    """A volunteer's places, upcoming (soonest first) or past (latest first)."""
    now = clock.now()
    query = (
        sa.select(Shift)
        .join(Shift.session)
        .options(joinedload(Shift.session).joinedload(Session.venue))
        .where(Shift.user_id == volunteer_id, Shift.status != ShiftStatus.RELEASED)
    )
    if upcoming:
        query = query.where(Session.ends_dt > now).order_by(Session.starts_dt)
    else:
        query = query.where(Session.ends_dt <= now).order_by(Session.starts_dt.desc())
    return list(db.session.scalars(query))


def attended_shifts(
    ward_id: int | None, volunteer_id: int | None, first: date | None, last: date | None
):
    """Shifts with hours, for the CSV export: by ward, by volunteer, in a date range."""
    query = (
        sa.select(Shift)
        .join(Shift.session)
        .options(
            joinedload(Shift.session).joinedload(Session.venue),
            joinedload(Shift.volunteer),
        )
        .where(Shift.status.in_(HOLDING))
        .order_by(Session.starts_dt, Shift.id)
    )
    if ward_id is not None:
        query = query.where(Session.ward_id == ward_id)
    if volunteer_id is not None:
        query = query.where(Shift.user_id == volunteer_id)
    if first is not None:
        query = query.where(Session.starts_dt >= clock.to_utc(first, time.min))
    if last is not None:
        query = query.where(Session.starts_dt < clock.local_day_bounds(last, last)[1])
    return list(db.session.scalars(query))


@dataclass
class VolunteerFacts:
    """What a list of volunteers says of each beyond their profile."""

    training: list[TrainingRecord] = field(default_factory=list)
    minutes_this_year: int = 0
    upcoming_shifts: int = 0


def page_of_volunteers(
    ward_ids: list[int] | None, skill: str | None, after: Cursor | None, size: int
) -> tuple[list[User], Cursor | None]:
    """Volunteers of some wards (None: all), with a skill if asked, in the order they
    joined."""
    query = (
        sa.select(User)
        .join(VolunteerProfile, VolunteerProfile.user_id == User.id)
        .options(contains_eager(User.volunteer_profile))
        .where(User.role == Role.VOLUNTEER)
    )
    if ward_ids is not None:
        query = query.where(
            sa.exists().where(volunteer_wards.c.user_id == User.id,
                              volunteer_wards.c.ward_id.in_(ward_ids))
        )  # fmt: skip
    if skill is not None:
        # JSON lists differ between SQLite and PostgreSQL; the quoted value matches in both.
        query = query.where(sa.cast(VolunteerProfile.skills, sa.String).contains(f'"{skill}"'))
    rows, next_cursor = keyset_page(query, after, size, key=(User.created_dt, User.id))
    return [row[0] for row in rows], next_cursor


def volunteer_facts(
    user_ids: list[int], today: date, ward_ids: list[int] | None = None
) -> dict[int, VolunteerFacts]:
    """Training, minutes attended this fiscal year and shifts to come (in some wards, or
    all), per volunteer, in three queries whatever their number."""
    facts: dict[int, VolunteerFacts] = defaultdict(VolunteerFacts)
    if not user_ids:
        return facts
    for record in db.session.scalars(
        sa.select(TrainingRecord)
        .where(TrainingRecord.user_id.in_(user_ids))
        .order_by(TrainingRecord.completed_on.desc(), TrainingRecord.id.desc())
    ):
        facts[record.user_id].training.append(record)
    year_start = clock.to_utc(date(clock.fiscal_year(today), 4, 1), time.min)
    minutes = sa.func.sum(sa.func.coalesce(
        Shift.minutes_override, minutes_between(Session.starts_dt, Session.ends_dt)
    ))  # fmt: skip
    for user_id, total in db.session.execute(
        sa.select(Shift.user_id, minutes)
        .join(Session, Session.id == Shift.session_id)
        .where(Shift.user_id.in_(user_ids), Shift.status == ShiftStatus.ATTENDED,
               Session.starts_dt >= year_start, *_in_wards(ward_ids))
        .group_by(Shift.user_id)
    ):  # fmt: skip
        facts[user_id].minutes_this_year = int(total or 0)
    for user_id, count in db.session.execute(
        sa.select(Shift.user_id, sa.func.count())
        .join(Session, Session.id == Shift.session_id)
        .where(Shift.user_id.in_(user_ids), Shift.status.in_(HOLDING),
               Session.status == SessionStatus.SCHEDULED, Session.starts_dt > clock.now(),
               *_in_wards(ward_ids))
        .group_by(Shift.user_id)
    ):  # fmt: skip
        facts[user_id].upcoming_shifts = count
    return facts


def _in_wards(ward_ids: list[int] | None) -> list[sa.ColumnElement[bool]]:
    return [] if ward_ids is None else [Session.ward_id.in_(ward_ids)]


def page_of_shifts(
    volunteer_id: int,
    ward_ids: list[int] | None,
    upcoming: bool,
    after: Cursor | None,
    size: int,
) -> tuple[list[Shift], Cursor | None]:
    """A volunteer's places (given-up ones left out) in some wards: those to come soonest
    first, or those over most recent first."""
    now = clock.now()
    query = (
        sa.select(Shift)
        .join(Session, Session.id == Shift.session_id)
        .options(
            contains_eager(Shift.session).joinedload(Session.venue),
            contains_eager(Shift.session).joinedload(Session.series),
        )
        .where(Shift.user_id == volunteer_id, Shift.status != ShiftStatus.RELEASED)
        .where(Session.ends_dt > now if upcoming else Session.ends_dt <= now)
    )
    query = query.where(*_in_wards(ward_ids))
    rows, next_cursor = keyset_page(query, after, size, key=(Session.starts_dt, Shift.id),
                                    newest_first=not upcoming)  # fmt: skip
    return [row[0] for row in rows], next_cursor


def pool_shifts_in(ward_id: int, volunteer_id: int) -> list[Shift]:
    """A volunteer's places taken from the pool at a ward's sessions, latest first."""
    return list(
        db.session.scalars(
            sa.select(Shift)
            .join(Session, Session.id == Shift.session_id)
            .options(contains_eager(Shift.session).joinedload(Session.venue))
            .where(Shift.user_id == volunteer_id, Shift.from_pool, Session.ward_id == ward_id)
            .order_by(Session.starts_dt.desc())
        )
    )


def offered_in(ward_id: int, volunteer_id: int) -> bool:
    """Whether a volunteer was asked to take over a shift in the ward."""
    return db.session.scalar(
        sa.select(
            sa.exists().where(
                CoverOffer.user_id == volunteer_id,
                CoverOffer.request_id == CoverRequest.id,
                CoverRequest.ward_id == ward_id,
            )
        )
    )


def shifts_elsewhere(home_ward_id: int, months: int = 12) -> list[Shift]:
    """Places held by a ward's own volunteers at other wards' sessions (the pool), from
    ``months`` ago on, soonest last."""
    since = clock.now() - timedelta(days=31 * months)
    own = sa.select(volunteer_wards.c.user_id).where(volunteer_wards.c.ward_id == home_ward_id)
    return list(
        db.session.scalars(
            sa.select(Shift)
            .join(Session, Session.id == Shift.session_id)
            .options(
                contains_eager(Shift.session).joinedload(Session.venue),
                contains_eager(Shift.session).joinedload(Session.ward),
                joinedload(Shift.volunteer),
            )
            .where(
                Shift.user_id.in_(own),
                Shift.status.in_(HOLDING),
                Session.ward_id != home_ward_id,
                Session.starts_dt >= since,
            )
            .order_by(Session.starts_dt.desc(), Shift.id)
        )
    )
