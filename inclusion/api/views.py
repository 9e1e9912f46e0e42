"""The JSON API under /api/v1: thin views over the same services the pages use."""

from __future__ import annotations

from dataclasses import replace

from flask import Flask, abort, current_app, jsonify, render_template
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address

from inclusion import clock
from inclusion.api import schemas
from inclusion.api.access import (
    ApiProblem,
    api_key,
    api_public,
    bearer_token,
    check_ward,
    current_key,
)
from inclusion.api.models import ApiScope
from inclusion.api.openapi import Blueprint, init_app, operations, spec
from inclusion.api.problems import PROBLEMS, problem
from inclusion.errors import Conflict, RuleViolation
from inclusion.extensions import csrf, db, limiter
from inclusion.residents.queries import booking_counts
from inclusion.sessions import services as session_services
from inclusion.sessions.models import Session, SessionStatus
from inclusion.sessions.queries import Cursor, SessionFilter, page_of_sessions
from inclusion.tokens import digest
from inclusion.venues.models import Venue
from inclusion.venues.services import list_venues
from inclusion.wards.models import Ward
from inclusion.wards.services import find_ward, list_wards
from inclusion.web import public_url

PREFIX = "/api/v1"

wards_bp = Blueprint(
    "api_wards", __name__, url_prefix=PREFIX, description="Wards and venues; public."
)
sessions_bp = Blueprint(
    "api_sessions", __name__, url_prefix=PREFIX, description="Classes, consultations and salons."
)
docs_bp = Blueprint("api_docs", __name__, url_prefix=PREFIX)
BLUEPRINTS = [wards_bp, sessions_bp]


# -- helpers ---------------------------------------------------------------------------------


def ward_named(key: str) -> Ward:
    ward = find_ward(key)
    if ward is None:
        raise ApiProblem(404, _l("There is no ward %(ward)s.", ward=key[:40]), "ward")
    return ward


def reachable(model, object_id: int):
    """A row the key may see: missing, or in another ward than the key's, is a 404."""
    found = db.session.get(model, object_id)
    if found is None or not current_key().reaches(found.ward):
        abort(404)
    return found


def cursor_arg(raw: str | None) -> Cursor | None:
    if raw is None:
        return None
    cursor = Cursor.parse(raw)
    if cursor is None:
        raise ApiProblem(400, _l("This cursor is not one the API gave out."), "cursor")
    return cursor


def with_counts(sessions: list[Session]) -> list[Session]:
    """Attach booked and waiting counts (one query for the page)."""
    counts = booking_counts([session.id for session in sessions])
    for session in sessions:
        session.booked, session.waiting = counts.get(session.id, (0, 0))
    return sessions


def page(items, next_cursor: Cursor | None) -> dict:
    return {"items": items, "next_cursor": str(next_cursor) if next_cursor else None}


# -- wards and venues ------------------------------------------------------------------------


@wards_bp.route("/wards")
@api_public
@wards_bp.response(200, schemas.Ward(many=True))
def wards():
    """The 23 wards, with where residents book."""
    return list_wards()


@wards_bp.route("/wards/<ward>/venues")
@api_public
@wards_bp.response(200, schemas.Venue(many=True))
def venues(ward: str):
    """A ward's venues in use."""
    return list_venues(ward_named(ward), active_only=True)


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


# -- sessions --------------------------------------------------------------------------------


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


# -- the description and errors --------------------------------------------------------------


@docs_bp.route("/openapi.json")
@api_public
def openapi_json():
    """This API's OpenAPI 3 description, generated from the code."""
    return jsonify(spec())


@docs_bp.route("/docs")
@api_public
def docs():
    """The description as a page to read: served by us, no script, no CDN."""
    description = spec()
    return render_template(
        "api/docs.html",
        spec=description,
        operations=operations(description),
        scopes=list(ApiScope),
        problems=sorted(PROBLEMS.items()),
        schemas=sorted(description.get("components", {}).get("schemas", {}).items()),
    )


def _rule_violation(violation: RuleViolation):
    db.session.rollback()
    status = 409 if isinstance(violation, Conflict) else 422
    return problem(status, violation.message, violation.field)


def _api_problem(error: ApiProblem):
    db.session.rollback()
    return problem(error.status, **error.details)


def rate_key() -> str:
    """Each key has its own budget; requests without one share their address's."""
    token = bearer_token()
    return f"key:{digest(token)[:16]}" if token else f"ip:{get_remote_address()}"


# Set up once, when the blueprints are made: CSRF off (cookies never authenticate the
# API), problems for refused rules, and a rate limit per key.
for _blueprint in (*BLUEPRINTS, docs_bp):
    _blueprint.register_error_handler(RuleViolation, _rule_violation)
    _blueprint.register_error_handler(ApiProblem, _api_problem)
    csrf.exempt(_blueprint)
    limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=rate_key)(_blueprint)


def register(app: Flask) -> None:
    """Mount the API on an app, with its OpenAPI description."""
    init_app(app, BLUEPRINTS)
    app.register_blueprint(docs_bp)
