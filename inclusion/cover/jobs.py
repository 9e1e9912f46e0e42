"""The cover job the scheduler process runs."""

from __future__ import annotations

from inclusion import clock
from inclusion.cover import services
from inclusion.extensions import db
from inclusion.scheduler.jobs import JobSpec


def advance_job() -> None:
    """Close finished requests, send second waves, alert staff; it commits as it goes."""
    try:
        services.advance(clock.now())
    except Exception:
        db.session.rollback()
        raise


COVER_JOBS = [
    JobSpec(
        "cover.advance",
        advance_job,
        seconds=60,
        options={"misfire_grace_time": 50},
        leader_only=True,
    ),
]
