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


class SchedulerLease(db.Model):
    """Which scheduler leads: it alone runs the jobs that must run once (counting the
    figures, planning, the daily mail). Every scheduler sends. The leader renews its
    lease with each heartbeat; a lease run out is taken by the next scheduler to ask."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    #: ``host:pid`` of the scheduler holding it ("" before anyone has).
    holder: Mapped[str] = mapped_column(sa.String(100))
    until_dt: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<SchedulerLease {self.name} {self.holder} until {self.until_dt:%H:%M:%S}>"
