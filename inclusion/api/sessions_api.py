"""Sessions and their volunteers' shifts through the API."""

from __future__ import annotations

from dataclasses import replace

from flask import abort
from flask_babel import lazy_gettext as _l

from inclusion.api import schemas
from inclusion.api.access import ApiProblem, api_key, current_key
from inclusion.api.lookups import (
    check_unchanged,
    cursor_arg,
    page,
    reachable,
    ward_asked,
    with_counts,
)
from inclusion.api.models import ApiScope
from inclusion.api.openapi import Blueprint
from inclusion.auth.models import User
from inclusion.extensions import db
from inclusion.sessions import services as session_services
from inclusion.sessions.models import Session
from inclusion.sessions.queries import SessionFilter, page_of_sessions
from inclusion.venues.models import Venue
from inclusion.volunteers import queries as volunteer_queries
from inclusion.volunteers import services as volunteer_services
from inclusion.volunteers.models import Shift

sessions_bp = Blueprint(
    "api_sessions",
    __name__,
    url_prefix="/api/v1",
    description="Classes, consultations and salons.",
)


@sessions_bp.route("/sessions")
@api_key(ApiScope.SESSIONS_READ)
@sessions_bp.arguments(schemas.SessionArgs, location="query", as_kwargs=True)
@sessions_bp.response(200, schemas.SessionPage)
def list_sessions(limit: int, cursor: str | None = None, ward: str | None = None, **filters):
    """Sessions in start order, filtered; keyset pages stay stable while rows are added."""
    ward_row = ward_asked(ward)
    sessions, next_cursor = page_of_sessions(
        SessionFilter(ward_id=ward_row.id if ward_row else None, **filters),
        cursor_arg(cursor),
        limit,
    )
    return page(with_counts(sessions), next_cursor)


@sessions_bp.route("/sessions/<int:session_id>")
@api_key(ApiScope.SESSIONS_READ)
@sessions_bp.etag
@sessions_bp.response(200, schemas.Session)
def get_session(session_id: int):
    """One session; its ETag goes back in If-Match to change or cancel it."""
    return with_counts([reachable(Session, session_id)])[0]


def _venue(venue_id: int) -> Venue:
    venue = db.session.get(Venue, venue_id)
    if venue is None or not current_key().reaches(venue.ward_id):
        raise ApiProblem(422, _l("Choose a venue of the session's own ward."), "venue_id")
    return venue


def session_draft(values: dict) -> session_services.SessionDraft:
    values = dict(values)
    venue = _venue(values.pop("venue_id"))
    return session_services.SessionDraft(venue=venue, day=values.pop("date"), **values)


@sessions_bp.route("/sessions", methods=["POST"])
@api_key(ApiScope.SESSIONS_WRITE)
@sessions_bp.arguments(schemas.SessionInput)
@sessions_bp.response(201, schemas.Session)
def create_session(values: dict):
    """Add a session, checked by the same rules as the staff form."""
    session = session_services.create_session(current_key().user, session_draft(values))
    db.session.commit()
    return with_counts([session])[0]


def _unchanged(session_id: int) -> Session:
    """The session as the client read it (If-Match), under its row lock."""
    return check_unchanged(sessions_bp, reachable(Session, session_id), schemas.Session,
                           lambda session: with_counts([session])[0])  # fmt: skip


@sessions_bp.route("/sessions/<int:session_id>", methods=["PATCH"])
@api_key(ApiScope.SESSIONS_WRITE)
@sessions_bp.etag
@sessions_bp.arguments(schemas.SessionChange(partial=True))
@sessions_bp.response(200, schemas.Session)
def update_session(values: dict, session_id: int):
    """Change what is given; moving it needs a reason and tells the people booked."""
    session = _unchanged(session_id)
    reason = values.pop("reason", "")
    current = session_services.SessionDraft.of(session)
    if "venue_id" in values:
        current = replace(current, venue=_venue(values.pop("venue_id")))
    if "date" in values:
        values["day"] = values.pop("date")
    session_services.update_session(current_key().user, session, replace(current, **values),
                                    reason=reason)  # fmt: skip
    db.session.commit()
    return with_counts([session])[0]


@sessions_bp.route("/sessions/<int:session_id>/cancel", methods=["POST"])
@api_key(ApiScope.SESSIONS_WRITE)
@sessions_bp.etag
@sessions_bp.arguments(schemas.Cancellation)
@sessions_bp.response(200, schemas.Session)
def cancel_session(values: dict, session_id: int):
    """Cancel a session: its bookings are cancelled and the people booked are told."""
    session = _unchanged(session_id)
    session_services.cancel_session(current_key().user, session, values["reason"])
    db.session.commit()
    return with_counts([session])[0]


# -- shifts ----------------------------------------------------------------------------------


@sessions_bp.route("/sessions/<int:session_id>/shifts")
@api_key(ApiScope.SESSIONS_READ)
@sessions_bp.response(200, schemas.Shift(many=True))
def session_shifts(session_id: int):
    """The volunteers' places at a session, released ones included."""
    return volunteer_queries.roster(reachable(Session, session_id), with_released=True)


@sessions_bp.route("/sessions/<int:session_id>/shifts", methods=["POST"])
@api_key(ApiScope.SESSIONS_WRITE)
@sessions_bp.arguments(schemas.ShiftClaim)
@sessions_bp.response(201, schemas.Shift)
def claim_shift(values: dict, session_id: int):
    """Put a volunteer on a session, by every rule of claiming (training, clashes, places)."""
    session = reachable(Session, session_id)
    volunteer = db.session.get(User, values["volunteer_id"])
    if volunteer is None:  # who may take a shift at all is claim_shift's rule
        raise ApiProblem(422, _l("There is no such volunteer."), "volunteer_id")
    shift = volunteer_services.claim_shift(
        volunteer, session, values["role"], actor=current_key().user
    )
    db.session.commit()
    return shift


@sessions_bp.route("/shifts/<int:shift_id>/release", methods=["POST"])
@api_key(ApiScope.SESSIONS_WRITE)
@sessions_bp.response(200, schemas.Released)
def release_shift(shift_id: int):
    """Take a volunteer off a shift (as staff: no cut-off); says if the session is now short."""
    shift = db.session.get(Shift, shift_id)
    if shift is None or not current_key().reaches(shift.session.ward_id):
        abort(404)
    short = volunteer_services.release_shift(current_key().user, shift)
    db.session.commit()
    return {"shift": shift, "session_short": short}
