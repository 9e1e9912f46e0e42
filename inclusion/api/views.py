"""The JSON API under /api/v1: thin views over the same services the pages use."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template
from flask_limiter.util import get_remote_address

from inclusion import clock
from inclusion.api import disclosure, schemas
from inclusion.api.access import (
    ApiProblem,
    api_public,
    bearer_token,
)
from inclusion.api.lookups import cursor_arg, page, ward_named, with_counts
from inclusion.api.metrics_api import metrics_bp
from inclusion.api.models import ApiScope
from inclusion.api.openapi import Blueprint, init_app, operations, spec
from inclusion.api.problems import PROBLEMS, problem
from inclusion.api.residents_api import residents_bp
from inclusion.api.sessions_api import sessions_bp
from inclusion.errors import Conflict, RuleViolation
from inclusion.extensions import csrf, db, limiter
from inclusion.sessions.models import SessionStatus
from inclusion.sessions.queries import SessionFilter, page_of_sessions
from inclusion.tokens import digest
from inclusion.venues.services import list_venues
from inclusion.wards.services import list_wards
from inclusion.web import public_url

PREFIX = "/api/v1"

wards_bp = Blueprint(
    "api_wards", __name__, url_prefix=PREFIX, description="Wards and venues; public."
)
docs_bp = Blueprint("api_docs", __name__, url_prefix=PREFIX)
BLUEPRINTS = [wards_bp, sessions_bp, residents_bp, metrics_bp]


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
    disclosure.init_app(app)
