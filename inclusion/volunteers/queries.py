"""Reading shifts: open places, fill counts, a volunteer's shifts and hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from inclusion import clock
from inclusion.extensions import db
from inclusion.sessions.models import Session, SessionStatus, Topic
from inclusion.sessions.queries import Cursor, keyset_page, with_topic_and_dates
from inclusion.volunteers.models import HOLDING, Shift, ShiftRole, ShiftStatus


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
            Session.ward_id.in_(filters.ward_ids),
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
