"""The reminder jobs the scheduler process runs."""

from __future__ import annotations

from inclusion import clock
from inclusion.extensions import db
from inclusion.reminders import planning
from inclusion.scheduler.jobs import JobSpec


def plan_job() -> None:
    """Plan the coming days' reminders in one transaction."""
    try:
        planning.plan(clock.now())
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


#: Stable ids: APScheduler replaces a job of the same id rather than adding another.
REMINDER_JOBS = [
    JobSpec("reminders.plan", plan_job, seconds=60, options={"misfire_grace_time": 50})
]
