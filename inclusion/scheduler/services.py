"""The heartbeat the scheduler writes and the web tier reads, and the leader's lease."""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from inclusion import clock
from inclusion.extensions import db
from inclusion.scheduler.models import SchedulerHeartbeat, SchedulerLease

log = logging.getLogger(__name__)

#: This process's name in the heartbeat table.
PROCESS_NAME = f"{socket.gethostname()}:{os.getpid()}"[:100]
#: How long a leader's lease lasts without renewal. Renewed with every heartbeat (15 s),
#: so a stopped leader's place is taken within this plus one heartbeat: under a minute.
LEADER_LEASE = timedelta(seconds=40)
LEADER = "leader"


def beat(now: datetime | None = None, name: str = PROCESS_NAME) -> None:
    """Note that this scheduler is alive; commits."""
    now = now or clock.now()
    updated = db.session.execute(
        sa.update(SchedulerHeartbeat).where(SchedulerHeartbeat.name == name).values(beat_dt=now)
    ).rowcount
    if not updated:
        try:
            with db.session.begin_nested():
                db.session.add(SchedulerHeartbeat(name=name, started_dt=now, beat_dt=now))
        except IntegrityError:  # a twin beat first: it is alive all the same
            pass
    db.session.commit()


def last_beat() -> datetime | None:
    """When any scheduler last beat (None: never)."""
    return db.session.scalar(sa.select(sa.func.max(SchedulerHeartbeat.beat_dt)))


def lead(now: datetime | None = None, name: str = PROCESS_NAME) -> bool:
    """Hold or renew the leader's lease if it is ours or has run out; commits. One
    statement decides, so two schedulers asking at once never both lead."""
    now = now or clock.now()
    held = db.session.execute(
        sa.update(SchedulerLease)
        .where(
            SchedulerLease.name == LEADER,
            sa.or_(SchedulerLease.holder == name, SchedulerLease.until_dt < now),
        )
        .values(holder=name, until_dt=now + LEADER_LEASE)
    ).rowcount
    db.session.commit()
    return bool(held)


def resign(name: str = PROCESS_NAME) -> None:
    """Give the lease up at once (a scheduler stopping), so another leads at its next beat."""
    db.session.execute(
        sa.update(SchedulerLease)
        .where(SchedulerLease.name == LEADER, SchedulerLease.holder == name)
        .values(until_dt=clock.now())
    )
    db.session.commit()


def leader() -> SchedulerLease | None:
    """Who leads now (None: nobody's lease is running)."""
    lease = db.session.get(SchedulerLease, LEADER)
    return lease if lease is not None and lease.until_dt > clock.now() else None
