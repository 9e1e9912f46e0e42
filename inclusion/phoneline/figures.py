"""The phone line's figures of a fiscal year, per ward and in all, counted by the database:
calls, what callers did without staff, hand-overs, and where calls were dropped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from inclusion.calls.figures import DAYS_SHOWN, calls_by_day
from inclusion.extensions import db
from inclusion.phoneline.models import CallResult, PhoneLineCall
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
    return table


def drop_outs(scope: Scope) -> list[tuple[str, str, int]]:
    """Where callers hung up with nothing done, the most first: (step, its label, calls)."""
    rows = db.session.execute(
        sa.select(PhoneLineCall.last_step, sa.func.count())
        .where(*_in_scope(scope), PhoneLineCall.result == CallResult.DROPPED)
        .group_by(PhoneLineCall.last_step)
        .order_by(sa.func.count().desc(), PhoneLineCall.last_step)
    ).all()
    return [(step, str(STEP_LABELS.get(step, step)), count) for step, count in rows]


def line_calls_by_day(scope: Scope, days: int = DAYS_SHOWN) -> list[tuple[date, int]]:
    return calls_by_day(scope, days, PhoneLineCall.started_dt, PhoneLineCall.ward_id)
