"""The webhook jobs the scheduler process runs: delivering the queue, and telling of
sessions that still lack volunteers two days before."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from inclusion import clock
from inclusion.api import schemas
from inclusion.extensions import db
from inclusion.scheduler.jobs import JobSpec
from inclusion.sessions.models import Session, SessionStatus
from inclusion.volunteers.models import ShiftRole
from inclusion.volunteers.queries import fill_counts
from inclusion.webhooks import delivery
from inclusion.webhooks.listeners import dump
from inclusion.webhooks.models import WebhookEvent
from inclusion.webhooks.services import enqueue

#: How long before a session its missing volunteers are told of.
UNFILLED_NOTICE = timedelta(hours=48)


def queue_unfilled_shifts(now: datetime) -> int:
    """Queue ``shift.unfilled`` once per session that starts within 48 hours and still
    lacks a lead or assistants; the message id is the session's, so later runs add none."""
    sessions = list(
        db.session.scalars(
            sa.select(Session).where(
                Session.status == SessionStatus.SCHEDULED,
                Session.starts_dt > now,
                Session.starts_dt <= now + UNFILLED_NOTICE,
                (Session.lead_needed + Session.assistants_needed) > 0,
            )
        )
    )
    counts = fill_counts([session.id for session in sessions])
    queued = 0
    for session in sessions:
        filled = counts[session.id]
        lead, assistants = filled[ShiftRole.LEAD], filled[ShiftRole.ASSISTANT]
        if lead >= session.lead_needed and assistants >= session.assistants_needed:
            continue
        data = {
            "session": dump(schemas.SessionRef, session),
            "lead_needed": session.lead_needed,
            "lead_filled": lead,
            "assistants_needed": session.assistants_needed,
            "assistants_filled": assistants,
        }
        queued += enqueue(
            WebhookEvent.SHIFT_UNFILLED,
            session.ward_id,
            lambda _scopes, data=data: data,
            key=f"shift-unfilled-{session.id}",
        )
    return queued


def unfilled_job() -> None:
    try:
        queue_unfilled_shifts(clock.now())
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def deliver_job() -> None:
    """Send what is due; every claim and every batch's outcomes are their own transaction."""
    try:
        delivery.deliver_due(clock.now())
    except Exception:
        db.session.rollback()
        raise


#: Stable ids: APScheduler replaces a job of the same id rather than adding another.
WEBHOOK_JOBS = [
    JobSpec("webhooks.deliver", deliver_job, seconds=10, options={"misfire_grace_time": 9}),
    JobSpec(
        "webhooks.unfilled_shifts",
        unfilled_job,
        seconds=600,
        options={"misfire_grace_time": 500},
        leader_only=True,
    ),  # fmt: skip
]
