"""The JSON API under /api/v1: thin views over the same services the pages use."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template
from flask_limiter.util import get_remote_address

from inclusion.api import disclosure
from inclusion.api.access import (
    ApiProblem,
    api_public,
    bearer_token,
)
from inclusion.api.bookings_api import bookings_bp
from inclusion.api.metrics_api import metrics_bp
from inclusion.api.models import ApiScope
from inclusion.api.openapi import Blueprint, init_app, operations, spec
from inclusion.api.problems import PROBLEMS, SPECIFIC_CODES, api_name, problem
from inclusion.api.programme_api import programme_bp
from inclusion.api.reminders_api import reminders_bp
from inclusion.api.residents_api import residents_bp
from inclusion.api.sessions_api import sessions_bp
from inclusion.api.volunteers_api import volunteers_bp
from inclusion.api.wards_api import wards_bp
from inclusion.caching import pages
from inclusion.errors import Conflict, RuleViolation
from inclusion.extensions import csrf, db, limiter
from inclusion.tokens import digest
from inclusion.webhooks.models import SUBSCRIBABLE

PREFIX = "/api/v1"

docs_bp = Blueprint("api_docs", __name__, url_prefix=PREFIX)
BLUEPRINTS = [wards_bp, sessions_bp, residents_bp, bookings_bp, reminders_bp, volunteers_bp,
              metrics_bp, programme_bp]  # fmt: skip


# -- the description and errors --------------------------------------------------------------


@docs_bp.route("/openapi.json")
@api_public
def openapi_json():
    """This API's OpenAPI 3 description, generated from the code."""
    return jsonify(spec())


@docs_bp.route("/docs")
@api_public
def docs():
    """The description as a page to read: served by us, no script, no CDN; kept (it
    changes only with the code), not made again for every reader."""
    return pages.serve([], _render_docs, reads_query=False)


def _render_docs():
    description = spec()
    return render_template(
        "api/docs.html",
        spec=description,
        operations=operations(description),
        scopes=list(ApiScope),
        webhook_events=SUBSCRIBABLE,
        problems=sorted(
            [(status, code, message) for status, (code, _title, message) in PROBLEMS.items()]
            + [(status, code, message) for code, (status, message) in SPECIFIC_CODES.items()]
        ),
        schemas=sorted(description.get("components", {}).get("schemas", {}).items()),
    )


def _rule_violation(violation: RuleViolation):
    db.session.rollback()
    status = 409 if isinstance(violation, Conflict) else 422
    return problem(status, violation.message, api_name(violation.field))


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
