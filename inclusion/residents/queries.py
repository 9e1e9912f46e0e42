"""Reads for pages: each a fixed number of queries, whatever the number of rows."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from inclusion import clock
from inclusion.extensions import db
from inclusion.residents.models import (
    ACTIVE,
    SEATED,
    Booking,
    BookingStatus,
    Consent,
    ConsentScope,
    FollowUp,
    Resident,
)
from inclusion.sessions.models import Session
from inclusion.sessions.queries import Cursor, keyset_page
from inclusion.surveys.queries import consented, follow_up_waiting
from inclusion.wards.models import Ward

#: Order on a roster: seated first by seat or slot, then the waiting list in order.
_ROSTER_ORDER = (
    sa.case((Booking.status == BookingStatus.WAITLISTED, 1), else_=0),
    Booking.place,
    Booking.queued_dt,
    Booking.id,
)


def session_bookings(session: Session) -> list[Booking]:
    """Live bookings of a session with their residents, in roster order."""
    return list(
        db.session.scalars(
            sa.select(Booking)
            .options(joinedload(Booking.resident))
            .where(Booking.session_id == session.id, Booking.status.in_(ACTIVE))
            .order_by(*_ROSTER_ORDER)
        )
    )


def booking_counts(session_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(seated, waiting) per session, in one query."""
    if not session_ids:
        return {}
    rows = db.session.execute(
        sa.select(
            Booking.session_id,
            sa.func.count().filter(Booking.status.in_(SEATED)),
            sa.func.count().filter(Booking.status == BookingStatus.WAITLISTED),
        )
        .where(Booking.session_id.in_(session_ids), Booking.status.in_(ACTIVE))
        .group_by(Booking.session_id)
    )
    return {session_id: (seated, waiting) for session_id, seated, waiting in rows}


def resident_bookings(resident: Resident, limit: int = 100) -> list[Booking]:
    """A resident's bookings, newest session first, with their sessions."""
    return list(
        db.session.scalars(
            sa.select(Booking)
            .join(Session, Session.id == Booking.session_id)
            .options(joinedload(Booking.session).joinedload(Session.venue))
            .where(Booking.resident_id == resident.id)
            .order_by(Session.starts_dt.desc(), Booking.id.desc())
            .limit(limit)
        )
    )


def page_of_session_bookings(
    session_id: int, status: BookingStatus | None, after: Cursor | None, size: int
) -> tuple[list[Booking], Cursor | None]:
    """A session's bookings in the order they were made, of one status or all."""
    query = sa.select(Booking).where(Booking.session_id == session_id)
    if status is not None:
        query = query.where(Booking.status == status)
    rows, next_cursor = keyset_page(query, after, size, key=(Booking.created_dt, Booking.id))
    return with_queue_positions([row[0] for row in rows]), next_cursor


def page_of_resident_bookings(
    resident_id: int,
    upcoming: bool,
    status: BookingStatus | None,
    after: Cursor | None,
    size: int,
) -> tuple[list[Booking], Cursor | None]:
    """A resident's bookings (of one status, or all) with their sessions: those to come
    soonest first, or those over most recent first."""
    now = clock.now()
    query = (
        sa.select(Booking)
        .join(Session, Session.id == Booking.session_id)
        .options(
            contains_eager(Booking.session).joinedload(Session.venue),
            contains_eager(Booking.session).joinedload(Session.series),
        )
        .where(Booking.resident_id == resident_id)
        .where(Session.ends_dt > now if upcoming else Session.ends_dt <= now)
    )
    if status is not None:
        query = query.where(Booking.status == status)
    rows, next_cursor = keyset_page(query, after, size, key=(Session.starts_dt, Booking.id),
                                    newest_first=not upcoming)  # fmt: skip
    return with_queue_positions([row[0] for row in rows]), next_cursor


def _unanswered_by(today: date) -> list[sa.ColumnElement[bool]]:
    """Follow-ups staff are to call: due, unanswered, not waiting for the automatic call
    or SMS link to be answered, of a resident who agreed to it and did not stop calls."""
    return [
        FollowUp.answer.is_(None),
        FollowUp.due_on <= today,
        Resident.anonymised_dt.is_(None),
        ~follow_up_waiting(clock.now()),
        Resident.opted_out_dt.is_(None),
        consented(ConsentScope.FOLLOW_UP),
    ]


def _due(ward: Ward, today: date):
    return (
        sa.select(FollowUp)
        .join(Resident, Resident.id == FollowUp.resident_id)
        .where(FollowUp.ward_id == ward.id, *_unanswered_by(today))
    )


def due_follow_up_counts(today: date) -> dict[int, tuple[int, date]]:
    """Per ward id: how many follow-up calls are due by ``today``, and the oldest due date."""
    rows = db.session.execute(
        sa.select(FollowUp.ward_id, sa.func.count(), sa.func.min(FollowUp.due_on))
        .join(Resident, Resident.id == FollowUp.resident_id)
        .where(*_unanswered_by(today))
        .group_by(FollowUp.ward_id)
    )
    return {ward_id: (count, oldest) for ward_id, count, oldest in rows}


def due_follow_ups(ward: Ward, today: date, limit: int = 100) -> list[FollowUp]:
    """Follow-up calls due by ``today`` and not yet answered, oldest first."""
    return list(
        db.session.scalars(
            _due(ward, today)
            .options(joinedload(FollowUp.resident))
            .order_by(FollowUp.due_on, FollowUp.id)
            .limit(limit)
        )
    )


def count_due_follow_ups(ward: Ward, today: date) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(_due(ward, today).subquery()))


def follow_up_of(resident: Resident) -> FollowUp | None:
    return db.session.scalar(sa.select(FollowUp).where(FollowUp.resident_id == resident.id))


def ward_residents(ward: Ward):
    """Every resident of a ward with their numbers, for an export; streamed in kana order."""
    return db.session.scalars(
        sa.select(Resident)
        .where(Resident.ward_id == ward.id, Resident.anonymised_dt.is_(None))
        .order_by(Resident.kana_key, Resident.id)
        .execution_options(yield_per=500)
    )


class LeadListEntry(NamedTuple):
    place: int
    family_name: str
    resident_id: int


def family_names_by_session(session_ids: list[int]) -> dict[int, list[LeadListEntry]]:
    """(place, family name) of each seated resident per session: a lead's list for the day."""
    names: dict[int, list[LeadListEntry]] = {session_id: [] for session_id in session_ids}
    if not session_ids:
        return names
    rows = db.session.execute(
        sa.select(Booking.session_id, Booking.place, Resident.family_name, Resident.id)
        .join(Resident, Resident.id == Booking.resident_id)
        .where(Booking.session_id.in_(session_ids), Booking.status.in_(SEATED))
        .order_by(Booking.session_id, Booking.place)
    )
    for session_id, *entry in rows:
        names[session_id].append(LeadListEntry(*entry))
    return names


def consent_years(resident_ids: list[int]) -> dict[int, int]:
    """The latest fiscal year each resident gave consent in, in one query."""
    if not resident_ids:
        return {}
    rows = db.session.execute(
        sa.select(Consent.resident_id, sa.func.max(Consent.fiscal_year))
        .where(Consent.resident_id.in_(resident_ids))
        .group_by(Consent.resident_id)
    )
    return dict(rows.all())


def with_queue_positions(bookings: list[Booking]) -> list[Booking]:
    """Note each waiting booking's place in its queue on it (``queue_position``), in one
    query for the lot, so writing a list out asks nothing more."""
    positions = waitlist_positions(
        [booking for booking in bookings if booking.status == BookingStatus.WAITLISTED]
    )
    for booking in bookings:
        booking.queue_position = positions.get(booking.id)
    return bookings


def waitlist_positions(waiting: list[Booking]) -> dict[int, int]:
    """Each waiting booking's place in its session's queue (1 = next), in one query."""
    if not waiting:
        return {}
    ranked = (
        sa.select(
            Booking.id,
            sa.func.row_number()
            .over(partition_by=Booking.session_id, order_by=(Booking.queued_dt, Booking.id))
            .label("position"),
        )
        .where(
            Booking.session_id.in_({booking.session_id for booking in waiting}),
            Booking.status == BookingStatus.WAITLISTED,
        )
        .subquery()
    )
    rows = db.session.execute(
        sa.select(ranked.c.id, ranked.c.position).where(
            ranked.c.id.in_([booking.id for booking in waiting])
        )
    )
    return dict(rows.all())
