"""What load balancers, monitors and Prometheus ask: is it up, is it ready, how is it doing."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from inclusion import clock
from inclusion.api.access import bearer_token
from inclusion.auth.access import public
from inclusion.extensions import db, limiter
from inclusion.ops.metrics import scrape
from inclusion.scheduler.services import last_beat
from inclusion.tokens import digest, same_digest

bp = Blueprint("ops", __name__)
#: A developer's Prometheus asks from these when no METRICS_TOKEN is set.
LOCAL_ADDRESSES = frozenset({"127.0.0.1", "::1"})


@bp.route("/healthz")
@public
@limiter.exempt
def healthz():
    """The process is up and answering (no database work: restart it if not)."""
    return jsonify(status="ok")


@bp.route("/readyz")
@public
@limiter.exempt
def readyz():
    """Ready to serve: the database answers, and a scheduler beat recently (503 if not)."""
    checks = {}
    try:
        db.session.execute(sa.text("SELECT 1"))
        checks["database"] = "ok"
        beat = last_beat()
        limit = timedelta(seconds=current_app.config["SCHEDULER_HEARTBEAT_MAX_AGE_SECONDS"])
        if beat is None:
            checks["scheduler"] = "no heartbeat yet"
        elif clock.now() - beat > limit:
            checks["scheduler"] = (
                f"last heartbeat {int((clock.now() - beat).total_seconds())} s ago"
            )
        else:
            checks["scheduler"] = "ok"
        db.session.rollback()
    except SQLAlchemyError:
        db.session.rollback()
        checks["database"] = "unreachable"
    ready = all(value == "ok" for value in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503


@bp.route("/metrics")
@public
@limiter.exempt
def metrics():
    """Prometheus text, with METRICS_TOKEN as a bearer token. Without one it answers only a
    developer's own machine (debug or test runs, from this host): in production a proxy
    on the same host would make every visitor look local."""
    token = current_app.config["METRICS_TOKEN"]
    if token:
        given = bearer_token()
        if given is None or not same_digest(digest(token), given):
            abort(404)
    elif not (current_app.debug or current_app.testing):
        abort(404)
    elif request.remote_addr not in LOCAL_ADDRESSES:
        abort(404)
    return scrape(), 200, {"Content-Type": "text/plain; version=0.0.4; charset=utf-8"}
