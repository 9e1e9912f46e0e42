"""The LINE job the scheduler process runs."""

from __future__ import annotations

from inclusion import clock
from inclusion.extensions import db
from inclusion.line import fallback
from inclusion.scheduler.jobs import JobSpec


def fallback_job() -> None:
    """Queue SMS or calls for LINE reminders not answered in time, in one transaction."""
    try:
        fallback.unanswered(clock.now())
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


LINE_JOBS = [
    JobSpec(
        "line.fallback",
        fallback_job,
        seconds=300,
        options={"misfire_grace_time": 240},
        leader_only=True,
    ),  # fmt: skip
]
