"""The scheduler's heartbeat: the web tier can tell that reminders are being sent."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inclusion.extensions import db


class SchedulerHeartbeat(db.Model):
    """When a scheduler process last ran its jobs; one row per host and process."""

    __tablename__ = "scheduler_heartbeats"

    #: ``host:pid`` of the scheduler process.
    name: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    started_dt: Mapped[datetime]
    beat_dt: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<SchedulerHeartbeat {self.name} {self.beat_dt:%H:%M:%S}>"
