"""Wards, their booking contact and their venues: read by anyone; a ward's contact changed
only by an administrator's key, venues by a key that may keep them."""

from __future__ import annotations

from flask import abort

from inclusion import clock
from inclusion.api import schemas
from inclusion.api.access import api_key, api_public, current_key
from inclusion.api.lookups import (
    check_unchanged,
    cursor_arg,
    page,
    reachable,
    version_header,
    ward_named,
    with_counts,
)
from inclusion.api.models import ApiScope
from inclusion.api.openapi import Blueprint
from inclusion.extensions import db
from inclusion.sessions.models import SessionStatus
from inclusion.sessions.queries import SessionFilter, page_of_sessions
from inclusion.venues import services as venue_services
from inclusion.venues.models import Venue
from inclusion.wards.services import list_wards, update_ward_contact
from inclusion.web import public_url

wards_bp = Blueprint(
    "api_wards", __name__, url_prefix="/api/v1",
    description="Wards, how residents book with them, and their venues.",
)  # fmt: skip


@wards_bp.route("/wards")
@api_public
@wards_bp.response(200, schemas.Ward(many=True))
def wards():
    """The 23 wards, with where residents book."""
    return list_wards()


@wards_bp.route("/wards/<ward>")
@api_public
@wards_bp.etag
@wards_bp.response(200, schemas.Ward)
def get_ward(ward: str):
    """One ward: its booking phone, when it is answered, and its counter. Its ETag goes
    back in If-Match to change them."""
    return ward_named(ward)


@wards_bp.route("/wards/<ward>", methods=["PATCH"])
@api_key(ApiScope.WARDS_WRITE)
@wards_bp.etag
@wards_bp.arguments(schemas.WardChange(partial=True))
@wards_bp.response(200, schemas.Ward)
def update_ward(values: dict, ward: str):
    """Change how residents book: every reminder from then on gives the new phone number."""
    ward_row = ward_named(ward)
    check_unchanged(wards_bp, ward_row, schemas.Ward)
    update_ward_contact(
        current_key().user,
        ward_row,
        values.get("booking_phone", ward_row.booking_phone),
        values.get("booking_hours", ward_row.booking_hours),
        values.get("booking_counter", ward_row.booking_counter),
    )
    db.session.commit()
    return ward_row


@wards_bp.route("/wards/<ward>/venues")
@api_public
@wards_bp.response(200, schemas.Venue(many=True))
def venues(ward: str):
    """A ward's venues in use."""
    return venue_services.list_venues(ward_named(ward), active_only=True)


@wards_bp.route("/venues/<int:venue_id>")
@api_public
@wards_bp.etag
@wards_bp.response(200, schemas.Venue)
def get_venue(venue_id: int):
    """One venue, archived or in use; its ETag goes back in If-Match to change it."""
    venue = db.session.get(Venue, venue_id)
    if venue is None:
        abort(404)
    return venue


@wards_bp.route("/wards/<ward>/venues", methods=["POST"])
@api_key(ApiScope.VENUES_WRITE)
@wards_bp.arguments(schemas.VenueInput)
@wards_bp.response(201, schemas.Venue)
def create_venue(values: dict, ward: str):
    """Add a venue, with what a resident needs to know to get in."""
    ward_row = ward_named(ward)
    venue = venue_services.create_venue(current_key().user, ward_row, values)
    db.session.commit()
    return venue, 201, version_header(wards_bp, venue, schemas.Venue)


def _changed_venue(venue_id: int, values: dict) -> Venue:
    venue = check_unchanged(wards_bp, reachable(Venue, venue_id), schemas.Venue)
    venue_services.update_venue(current_key().user, venue, values)
    db.session.commit()
    return venue


@wards_bp.route("/venues/<int:venue_id>", methods=["PATCH"])
@api_key(ApiScope.VENUES_WRITE)
@wards_bp.etag
@wards_bp.arguments(schemas.VenueChange(partial=True))
@wards_bp.response(200, schemas.Venue)
def update_venue(values: dict, venue_id: int):
    """Change what is given; is_active true brings an archived venue back into use."""
    return _changed_venue(venue_id, values)


@wards_bp.route("/venues/<int:venue_id>/archive", methods=["POST"])
@api_key(ApiScope.VENUES_WRITE)
@wards_bp.etag
@wards_bp.response(200, schemas.Venue)
def archive_venue(venue_id: int):
    """Stop offering a venue for new sessions; its sessions so far keep it."""
    return _changed_venue(venue_id, {"is_active": False})


@wards_bp.route("/wards/<ward>/sessions")
@api_public
@wards_bp.arguments(schemas.PublicSessionArgs, location="query", as_kwargs=True)
@wards_bp.response(200, schemas.PublicSessionPage)
def public_sessions(ward: str, limit: int, cursor: str | None = None, kind=None, topic=None):
    """A ward's upcoming sessions for its website, soonest first; no key needed."""
    ward_row = ward_named(ward)
    filters = SessionFilter(ward_id=ward_row.id, status=SessionStatus.SCHEDULED, kind=kind,
                            topic=topic, date_from=clock.today())  # fmt: skip
    sessions, next_cursor = page_of_sessions(filters, cursor_arg(cursor), limit)
    for session in with_counts(sessions):
        session.seats_left = (
            max(session.capacity - session.booked, 0) if session.kind.takes_bookings else None
        )
        session.url = public_url("public.session_page", ward=ward_row.slug, session_id=session.id)
    return page(sessions, next_cursor)
