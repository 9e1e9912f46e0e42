"""The survey job the scheduler process runs."""

from __future__ import annotations

from inclusion import clock
from inclusion.extensions import db
from inclusion.scheduler.jobs import JobSpec
from inclusion.surveys import services


def plan_job() -> None:
    """Open the follow-ups come due and plan their automatic asks, in one transaction."""
    try:
        services.plan(clock.now())
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


SURVEY_JOBS = [
    JobSpec(
        "surveys.plan",
        plan_job,
        seconds=300,
        options={"misfire_grace_time": 240},
        leader_only=True,
    ),  # fmt: skip
]
