"""Sessions and their volunteer shifts through the API."""

from __future__ import annotations

from dataclasses import replace

from flask_babel import lazy_gettext as _l

from inclusion.api import schemas
from inclusion.api.access import ApiProblem, api_key, check_ward, current_key
from inclusion.api.lookups import cursor_arg, page, reachable, ward_named, with_counts
from inclusion.api.models import ApiScope
from inclusion.api.openapi import Blueprint
from inclusion.extensions import db
from inclusion.sessions import services as session_services
from inclusion.sessions.models import Session
from inclusion.sessions.queries import SessionFilter, page_of_sessions
from inclusion.venues.models import Venue

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
    key = current_key()
    ward_id = None
    if ward is not None:
        ward_row = ward_named(ward)
        check_ward(ward_row)
        ward_id = ward_row.id
    elif key.ward_id is not None:
        ward_id = key.ward_id
    sessions, next_cursor = page_of_sessions(
        SessionFilter(ward_id=ward_id, **filters), cursor_arg(cursor), limit
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
    if venue is None or not current_key().reaches(venue.ward):
        raise ApiProblem(422, _l("Choose a venue of the session's own ward."), "venue_id")
    return venue


def _draft(values: dict) -> session_services.SessionDraft:
    values = dict(values)
    venue = _venue(values.pop("venue_id"))
    return session_services.SessionDraft(venue=venue, day=values.pop("date"), **values)


@sessions_bp.route("/sessions", methods=["POST"])
@api_key(ApiScope.SESSIONS_WRITE)
@sessions_bp.arguments(schemas.SessionInput)
@sessions_bp.response(201, schemas.Session)
def create_session(values: dict):
    """Add a session, checked by the same rules as the staff form."""
    session = session_services.create_session(current_key().user, _draft(values))
    db.session.commit()
    return with_counts([session])[0]


def _locked(session_id: int) -> Session:
    """The session under its row lock, read afresh, so If-Match compares what is there."""
    session = reachable(Session, session_id)
    db.session.refresh(session, with_for_update=True)
    return with_counts([session])[0]


@sessions_bp.route("/sessions/<int:session_id>", methods=["PATCH"])
@api_key(ApiScope.SESSIONS_WRITE)
@sessions_bp.etag
@sessions_bp.arguments(schemas.SessionChange(partial=True))
@sessions_bp.response(200, schemas.Session)
def update_session(values: dict, session_id: int):
    """Change what is given; moving it needs a reason and tells the people booked."""
    session = _locked(session_id)
    sessions_bp.check_etag(session, schemas.Session)
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
    session = _locked(session_id)
    sessions_bp.check_etag(session, schemas.Session)
    session_services.cancel_session(current_key().user, session, values["reason"])
    db.session.commit()
    return with_counts([session])[0]
