"""The call centre's figures of a fiscal year, per ward and in all, counted by the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app

from inclusion import clock
from inclusion.calls.models import Call, CallOutcome, CallTopic
from inclusion.extensions import db
from inclusion.sqltime import local_day
from inclusion.targets.metrics import Scope, WardTable

#: Days the dashboard shows call by call, up to today (or the year's end).
DAYS_SHOWN = 14


@dataclass
class CallFigures:
    calls: int = 0
    #: Calls that settled what the caller wanted (resolution on first call).
    resolved: int = 0
    #: Calls that booked the caller on a session or course.
    booked: int = 0
    phone_use: int = 0
    online_procedures: int = 0
    booking: int = 0
    other: int = 0

    @property
    def resolved_percent(self) -> int | None:
        return round(100 * self.resolved / self.calls) if self.calls else None


CallTable = WardTable[CallFigures]


def _in_scope(scope: Scope) -> list[sa.ColumnElement[bool]]:
    wards = [Call.ward_id.in_(scope.ward_ids)] if scope.ward_ids else []
    return [Call.received_dt >= scope.start_dt, Call.received_dt < scope.end_dt, *wards]


def call_figures(scope: Scope) -> CallTable:
    """Calls per ward in the year: resolved on the call, bookings made, and by topic."""
    table = CallTable(CallFigures)
    counted = {
        "calls": sa.func.count(),
        "resolved": sa.func.count().filter(Call.is_resolved),
        "booked": sa.func.count().filter(Call.outcome == CallOutcome.BOOKED),
        **{topic.value: sa.func.count().filter(Call.topic == topic) for topic in CallTopic},
    }
    rows = db.session.execute(
        sa.select(Call.ward_id, *counted.values()).where(*_in_scope(scope)).group_by(Call.ward_id)
    ).all()
    # A call is about one ward: the wards' calls add up to all.
    for index, name in enumerate(counted, start=1):
        table.set_each(name, [(row[0], row[index]) for row in rows])
    return table


def calls_by_day(
    scope: Scope,
    days: int = DAYS_SHOWN,
    received: sa.ColumnElement = Call.received_dt,
    ward: sa.ColumnElement = Call.ward_id,
) -> list[tuple[date, int]]:
    """Calls a day in the scope's wards, for the last ``days`` days of the year up to today:
    those logged by the call centre, or the rows of another table of calls (``received``
    and ``ward`` its columns)."""
    last = min(clock.today(), scope.last_day)
    first = max(last - timedelta(days=days - 1), scope.first_day)
    since, until = clock.local_day_bounds(first, last)
    on_day = local_day(received, sa.literal(current_app.config["INCLUSION_TIMEZONE"]))
    wards = [ward.in_(scope.ward_ids)] if scope.ward_ids else []
    counts = dict(
        db.session.execute(
            sa.select(on_day, sa.func.count())
            .where(received >= since, received < until, *wards)
            .group_by(on_day)
        ).all()
    )
    each_day = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    return [(day, counts.get(day.isoformat(), 0)) for day in each_day]
