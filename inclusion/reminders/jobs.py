"""The reminder jobs the scheduler process runs."""

from __future__ import annotations

from inclusion import clock
from inclusion.extensions import db
from inclusion.reminders import digests, dispatch, planning
from inclusion.scheduler.jobs import JobSpec


def plan_job() -> None:
    """Plan the coming days' reminders in one transaction."""
    try:
        planning.plan(clock.now())
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def dispatch_job() -> None:
    """Send what is due; every claim and every send is its own transaction."""
    try:
        dispatch.dispatch_once(clock.now())
    except Exception:
        db.session.rollback()
        raise


def follow_up_digest_job() -> None:
    """Mail each ward's staff the follow-up calls due, once a day; it commits as it goes."""
    try:
        digests.send_follow_up_digests(clock.now())
    except Exception:
        db.session.rollback()
        raise


#: Stable ids: APScheduler replaces a job of the same id rather than adding another.
REMINDER_JOBS = [
    JobSpec(
        "reminders.plan",
        plan_job,
        seconds=60,
        options={"misfire_grace_time": 50},
        leader_only=True,
    ),  # fmt: skip
    JobSpec("reminders.dispatch", dispatch_job, seconds=5, options={"misfire_grace_time": 4}),
    JobSpec(
        "reminders.follow_up_digest",
        follow_up_digest_job,
        seconds=300,
        options={"misfire_grace_time": 240},
        leader_only=True,
    ),
]
