"""Reading the call log: lists a fixed number of queries long, whatever their length."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from inclusion import clock
from inclusion.calls.models import Call
from inclusion.extensions import db
from inclusion.residents.models import SEATED, Booking, Resident
from inclusion.sessions.models import Session, SessionKind, SessionStatus
from inclusion.sessions.queries import Cursor, keyset_page
from inclusion.wards.models import Ward

#: Rows a list shows at most.
SHOWN = 200
#: How far ahead the call screen offers sessions to book.
BOOKABLE_DAYS = 42


def _with_people(query: sa.Select) -> sa.Select:
    return query.options(joinedload(Call.resident), joinedload(Call.ward),
                         joinedload(Call.operator))  # fmt: skip


def recent_calls(limit: int = SHOWN) -> list[Call]:
    """The newest calls of every ward, for the call centre's log."""
    query = sa.select(Call).order_by(Call.received_dt.desc(), Call.id.desc()).limit(limit)
    return list(db.session.scalars(_with_people(query)))


def waiting_calls(ward: Ward) -> list[Call]:
    """Calls passed to the ward and not yet taken care of, the oldest first."""
    query = (
        sa.select(Call)
        .where(Call.ward_id == ward.id, Call.is_waiting)
        .order_by(Call.received_dt, Call.id)
        .limit(SHOWN)
    )  # fmt: skip
    return list(db.session.scalars(_with_people(query)))


def count_waiting(ward: Ward) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(Call.ward_id == ward.id, Call.is_waiting)
    )


def handled_lately(ward: Ward, limit: int = 20) -> list[Call]:
    query = (
        sa.select(Call)
        .where(Call.ward_id == ward.id, Call.handled_dt.is_not(None))
        .order_by(Call.handled_dt.desc(), Call.id.desc())
        .limit(limit)
        .options(joinedload(Call.handled_by))
    )
    return list(db.session.scalars(_with_people(query)))


def upcoming_bookings(resident: Resident) -> list[Booking]:
    """What the caller has coming: their seats and places in line, soonest first."""
    return list(
        db.session.scalars(
            sa.select(Booking)
            .join(Session, Session.id == Booking.session_id)
            .options(joinedload(Booking.session).joinedload(Session.venue))
            .where(Booking.resident_id == resident.id, Session.starts_dt > clock.now(),
                   Session.status == SessionStatus.SCHEDULED,
                   Booking.status.in_((*SEATED, "waitlisted")))
            .order_by(Session.starts_dt, Booking.id)
            .limit(20)
        )
    )  # fmt: skip


def bookable_sessions(ward: Ward, days: int = BOOKABLE_DAYS) -> list[Session]:
    """The ward's sessions of the coming ``days`` that a caller may be booked on, with their
    venues and series (whether one is a course's date is asked of each)."""
    now = clock.now()
    return list(
        db.session.scalars(
            sa.select(Session)
            .options(joinedload(Session.venue), joinedload(Session.series))
            .where(Session.ward_id == ward.id, Session.status == SessionStatus.SCHEDULED,
                   Session.kind != SessionKind.SALON,
                   Session.starts_dt > now,
                   Session.starts_dt < now + timedelta(days=days))
            .order_by(Session.starts_dt, Session.id)
            .limit(SHOWN)
        )
    )  # fmt: skip


def page_of_calls(
    ward_ids: list[int] | None, waiting: bool, after: Cursor | None, size: int
) -> tuple[list[Call], Cursor | None]:
    """Calls about the wards (None: every ward), the newest first; ``waiting``: only those
    passed to a ward and not yet taken care of."""
    query = sa.select(Call).options(joinedload(Call.ward))
    if ward_ids is not None:
        query = query.where(Call.ward_id.in_(ward_ids))
    if waiting:
        query = query.where(Call.is_waiting)
    rows, next_cursor = keyset_page(query, after, size, key=(Call.received_dt, Call.id),
                                    newest_first=True)  # fmt: skip
    return [row[0] for row in rows], next_cursor
