"""Lists of bookings: a session's (its waiting list in order) and a resident's."""

from __future__ import annotations

from inclusion.api import schemas
from inclusion.api.access import api_key
from inclusion.api.lookups import (
    course_reachable,
    cursor_arg,
    page,
    reachable,
    resident_reachable,
)
from inclusion.api.models import ApiScope
from inclusion.api.openapi import Blueprint
from inclusion.courses import services as courses
from inclusion.residents import queries
from inclusion.sessions.models import Session

bookings_bp = Blueprint(
    "api_bookings", __name__, url_prefix="/api/v1",
    description="Who is booked and waiting: lists that name residents by id only.",
)  # fmt: skip


@bookings_bp.route("/sessions/<int:session_id>/bookings")
@api_key(ApiScope.BOOKINGS_READ)
@bookings_bp.arguments(schemas.SessionBookingArgs, location="query", as_kwargs=True)
@bookings_bp.response(200, schemas.BookingPage)
def session_bookings(session_id: int, limit: int, cursor: str | None = None, status=None):
    """A session's bookings in the order they were made, cancelled ones included unless a
    status is asked; ?status=waitlisted gives the waiting list in its order."""
    session = reachable(Session, session_id)
    bookings, next_cursor = queries.page_of_session_bookings(
        session.id, status, cursor_arg(cursor), limit
    )
    return page(bookings, next_cursor)


@bookings_bp.route("/residents/<int:resident_id>/bookings")
@api_key(ApiScope.BOOKINGS_READ)
@bookings_bp.arguments(schemas.ResidentBookingArgs, location="query", as_kwargs=True)
@bookings_bp.response(200, schemas.ResidentBookingPage)
def resident_bookings(
    resident_id: int, limit: int, when: str, cursor: str | None = None, status=None
):
    """A resident's bookings with what and when each session is: those to come soonest
    first, or (?when=past) those over most recent first."""
    resident = resident_reachable(resident_id)
    bookings, next_cursor = queries.page_of_resident_bookings(
        resident.id, when == "upcoming", status, cursor_arg(cursor), limit
    )
    return page(bookings, next_cursor)


@bookings_bp.route("/courses/<int:series_id>/waitlist")
@api_key(ApiScope.BOOKINGS_READ)
@bookings_bp.response(200, schemas.Enrolment(many=True))
def course_waitlist(series_id: int):
    """Who waits for a whole course, first in line first (a full course's waiting list,
    which no one date's list shows)."""
    return courses.course_waitlist(course_reachable(series_id))
