"""The phone line's figures of a fiscal year, per ward and in all, counted by the database:
calls, what callers did without staff, hand-overs, and where calls were dropped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from inclusion.calls.figures import DAYS_SHOWN, calls_by_day
from inclusion.extensions import db
from inclusion.phoneline.models import CallResult, PhoneLineCall
from inclusion.sqltime import local_day
from inclusion.targets.metrics import Scope, WardTable

#: The steps of a call, as staff read where callers hung up.
STEP_LABELS = {
    "menu": _l("The menu"),
    "who": _l("Whom the call is for"),
    "class": _l("Hearing the classes"),
    "name": _l("Saying their name"),
    "booked": _l("After the booking was read back"),
    "mine": _l("Hearing their bookings"),
    "cancel": _l("Asked to confirm a cancellation"),
    "cancelled": _l("After a cancellation"),
    "person": _l("Being put through"),
    "message": _l("Leaving a message"),
    "message_left": _l("After leaving a message"),
    "silence": _l("Pressed nothing: the line ended the call"),
    "too_long": _l("Too long: the line ended the call"),
    "withheld": _l("Number withheld: the line ended the call"),
    "": _l("Before the menu"),
}


@dataclass
class LineFigures:
    calls: int = 0
    #: Bookings made by callers themselves (a course counts once), with no staff.
    booked: int = 0
    waitlisted: int = 0
    cancelled: int = 0
    handed_over: int = 0
    messages: int = 0
    #: Calls that ended with nothing done.
    dropped: int = 0
    #: Seconds on the line, over the calls whose length Twilio reported.
    seconds: int = 0
    timed: int = 0
    #: Calls on the day with the most (in the ward, or in all wards together).
    busiest_day: int = 0

    @property
    def average_minutes(self) -> float | None:
        return round(self.seconds / self.timed / 60, 1) if self.timed else None


LineTable = WardTable[LineFigures]


def _in_scope(scope: Scope) -> list[sa.ColumnElement[bool]]:
    wards = [PhoneLineCall.ward_id.in_(scope.ward_ids)] if scope.ward_ids else []
    return [PhoneLineCall.started_dt >= scope.start_dt, PhoneLineCall.started_dt < scope.end_dt,
            *wards]  # fmt: skip


def line_figures(scope: Scope) -> LineTable:
    """Calls to the wards' phone lines in the year, and what came of them."""
    table = LineTable(LineFigures)
    counted = {
        "calls": sa.func.count(),
        "booked": sa.func.coalesce(sa.func.sum(PhoneLineCall.booked), 0),
        "waitlisted": sa.func.coalesce(sa.func.sum(PhoneLineCall.waitlisted), 0),
        "cancelled": sa.func.coalesce(sa.func.sum(PhoneLineCall.cancelled), 0),
        "handed_over": sa.func.count().filter(PhoneLineCall.handed_over),
        "messages": sa.func.count().filter(PhoneLineCall.left_message),
        "dropped": sa.func.count().filter(PhoneLineCall.result == CallResult.DROPPED),
        "seconds": sa.func.coalesce(sa.func.sum(PhoneLineCall.duration_seconds), 0),
        "timed": sa.func.count(PhoneLineCall.duration_seconds),
    }
    rows = db.session.execute(
        sa.select(PhoneLineCall.ward_id, *counted.values())
        .where(*_in_scope(scope))
        .group_by(PhoneLineCall.ward_id)
    ).all()
    for index, name in enumerate(counted, start=1):
        table.set_each(name, [(row[0], int(row[index])) for row in rows])
    _busiest_days(scope, table)
    return table


def _busiest_days(scope: Scope, table: LineTable) -> None:
    """Calls on each ward's busiest day, and on the wards' busiest day together."""
    day = local_day(PhoneLineCall.started_dt, sa.literal(current_app.config["INCLUSION_TIMEZONE"]))
    per_ward = (
        sa.select(PhoneLineCall.ward_id, sa.func.count().label("calls"))
        .where(*_in_scope(scope))
        .group_by(PhoneLineCall.ward_id, day)
        .subquery()
    )
    for ward_id, busiest in db.session.execute(
        sa.select(per_ward.c.ward_id, sa.func.max(per_ward.c.calls)).group_by(per_ward.c.ward_id)
    ):
        table.row(ward_id).busiest_day = busiest
    together = sa.select(sa.func.count().label("calls")).where(*_in_scope(scope)).group_by(day)
    table.row(None).busiest_day = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(together.subquery().c.calls), 0))
    )


DropOuts = dict[int | None, list[tuple[str, str, int]]]


def drop_outs(scope: Scope) -> DropOuts:
    """Where callers hung up with nothing done, per ward and in all (under None), the most
    first: (step, its label, calls)."""
    rows = db.session.execute(
        sa.select(PhoneLineCall.ward_id, PhoneLineCall.last_step, sa.func.count())
        .where(*_in_scope(scope), PhoneLineCall.result == CallResult.DROPPED)
        .group_by(PhoneLineCall.ward_id, PhoneLineCall.last_step)
    ).all()
    counts: dict[int | None, dict[str, int]] = {None: {}}
    for ward_id, step, count in rows:
        counts.setdefault(ward_id, {})[step] = count
        counts[None][step] = counts[None].get(step, 0) + count
    return {
        ward_id: [(step, str(STEP_LABELS.get(step, step)), count)
                  for step, count in sorted(steps.items(), key=lambda item: (-item[1], item[0]))]
        for ward_id, steps in counts.items()
    }  # fmt: skip


def line_calls_by_day(scope: Scope, days: int = DAYS_SHOWN) -> list[tuple[date, int]]:
    return calls_by_day(scope, days, PhoneLineCall.started_dt, PhoneLineCall.ward_id)
