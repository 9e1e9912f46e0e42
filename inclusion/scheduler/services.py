"""The heartbeat the scheduler writes and the web tier reads."""

from __future__ import annotations

import os
import socket
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from inclusion import clock
from inclusion.extensions import db
from inclusion.scheduler.models import SchedulerHeartbeat

#: This process's name in the heartbeat table.
PROCESS_NAME = f"{socket.gethostname()}:{os.getpid()}"[:100]


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
