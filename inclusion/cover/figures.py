"""How well volunteers cover for each other, per ward and in total, for a fiscal year.

Each figure is counted by the database, grouped by ward, in a fixed number of queries.
Places unfilled at a moment are read from the shifts' history: a shift held a place from
``claimed_dt`` until ``released_dt``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from inclusion import clock
from inclusion.cover.models import CoverRequest, CoverStatus
from inclusion.extensions import db
from inclusion.sessions.models import Session, SessionStatus
from inclusion.sqltime import minutes_between
from inclusion.targets.metrics import Scope, WardTable
from inclusion.volunteers.models import Shift, ShiftOrigin, ShiftStatus, volunteer_wards

#: The moment before a session at which its unfilled places are counted, besides its start.
ALERT_MOMENT = timedelta(hours=48)


@dataclass
class CoverFigures:
    """One ward's figures (or all wards', under the key None)."""

    by_cover: int = 0
    by_swap: int = 0
    from_pool: int = 0
    unfilled_48h: int = 0
    unfilled_at_start: int = 0
    #: Median hours from a request for cover to someone taking it; None without any.
    median_hours: float | None = None
    #: Hours this ward's own volunteers helped in other wards (counted for their home).
    pool_hours_away: float = 0.0

    @property
    def covered(self) -> int:
        return self.by_cover + self.by_swap


CoverTable = WardTable[CoverFigures]


def cover_figures(scope: Scope, now: datetime | None = None) -> CoverTable:
    """The year's figures of sessions held in ``scope`` (scheduled or held, not cancelled)."""
    now = now or clock.now()
    table = CoverTable(CoverFigures)
    in_scope = [
        Session.starts_dt >= scope.start_dt,
        Session.starts_dt < scope.end_dt,
        Session.status != SessionStatus.CANCELLED,
    ]
    if scope.ward_ids:
        in_scope.append(Session.ward_id.in_(scope.ward_ids))
    held = [Shift.status != ShiftStatus.RELEASED]
    for origin, name in ((ShiftOrigin.COVER, "by_cover"), (ShiftOrigin.SWAP, "by_swap")):
        table.set_each(name, db.session.execute(
            sa.select(Session.ward_id, sa.func.count())
            .join(Shift, Shift.session_id == Session.id)
            .where(*in_scope, *held, Shift.origin == origin)
            .group_by(Session.ward_id)
        ).all())  # fmt: skip
    table.set_each("from_pool", db.session.execute(
        sa.select(Session.ward_id, sa.func.count())
        .join(Shift, Shift.session_id == Session.id)
        .where(*in_scope, *held, Shift.from_pool)
        .group_by(Session.ward_id)
    ).all())  # fmt: skip
    _unfilled(table, in_scope, now)
    _median(table, scope)
    _pool_hours_away(table, scope)
    return table


def _unfilled(table: CoverTable, in_scope: list, now: datetime) -> None:
    """Places unfilled 48 hours before each session that has reached that moment, and at
    the start of each session that has begun."""
    needed = Session.lead_needed + Session.assistants_needed
    ahead = ALERT_MOMENT.total_seconds() / 60
    # Held 48 hours before: taken by then, and not given up by then.
    held_48h = sa.and_(
        minutes_between(Shift.claimed_dt, Session.starts_dt) >= ahead,
        sa.or_(
            Shift.released_dt.is_(None),
            minutes_between(Shift.released_dt, Session.starts_dt) < ahead,
        ),
    )
    held_start = sa.and_(
        Shift.claimed_dt <= Session.starts_dt,
        sa.or_(Shift.released_dt.is_(None), Shift.released_dt > Session.starts_dt),
    )
    for held, reached, name in (
        (held_48h, Session.starts_dt <= now + ALERT_MOMENT, "unfilled_48h"),
        (held_start, Session.starts_dt <= now, "unfilled_at_start"),
    ):
        # Places held at that moment, per session: grouped once, then joined (a count per
        # session asked of each session would read the shifts' index a session at a time).
        held_by_session = (
            sa.select(Shift.session_id, sa.func.count().label("held"))
            .join(Session, Session.id == Shift.session_id)
            .where(*in_scope, reached, held)
            .group_by(Shift.session_id)
            .subquery()
        )
        filled = sa.func.coalesce(held_by_session.c.held, 0)
        short = sa.case((needed > filled, needed - filled), else_=0)
        table.set_each(name, db.session.execute(
            sa.select(Session.ward_id, sa.func.sum(short))
            .outerjoin(held_by_session, held_by_session.c.session_id == Session.id)
            .where(*in_scope, reached, needed > 0)
            .group_by(Session.ward_id)
        ).all())  # fmt: skip


def _median(table: CoverTable, scope: Scope) -> None:
    """The median of hours from request to cover, per ward and over all wards: the middle
    row (or the mean of the two middle rows) of each ward's sorted times."""
    minutes = minutes_between(CoverRequest.created_dt, CoverRequest.closed_dt)
    conditions = [
        CoverRequest.status == CoverStatus.COVERED,
        CoverRequest.created_dt >= scope.start_dt,
        CoverRequest.created_dt < scope.end_dt,
    ]
    if scope.ward_ids:
        conditions.append(CoverRequest.ward_id.in_(scope.ward_ids))
    for partition in (CoverRequest.ward_id, sa.literal(0)):
        ranked = (
            sa.select(
                CoverRequest.ward_id.label("ward_id"),
                minutes.label("minutes"),
                sa.func.row_number().over(partition_by=partition, order_by=minutes).label("rank"),
                sa.func.count().over(partition_by=partition).label("size"),
            )
            .where(*conditions)
            .subquery()
        )
        middle_rows = sa.select(sa.func.avg(ranked.c.minutes)).where(
            ranked.c.rank.in_([(ranked.c.size + 1) / 2, (ranked.c.size + 2) / 2])
        )
        if partition is CoverRequest.ward_id:
            middle_rows = middle_rows.add_columns(ranked.c.ward_id).group_by(ranked.c.ward_id)
        else:
            middle_rows = middle_rows.add_columns(sa.null())
        rows = [(ward_id, middle) for middle, ward_id in db.session.execute(middle_rows)]
        for ward_id, middle in rows:
            figures = table.row(ward_id)
            figures.median_hours = float(middle) / 60 if middle is not None else None


def _pool_hours_away(table: CoverTable, scope: Scope) -> None:
    """Hours of attended pool shifts, counted for each home ward of the volunteer."""
    planned = minutes_between(Session.starts_dt, Session.ends_dt)
    minutes = sa.func.sum(sa.func.coalesce(Shift.minutes_override, planned))
    home = volunteer_wards.c.ward_id
    conditions = [
        Session.starts_dt >= scope.start_dt,
        Session.starts_dt < scope.end_dt,
        Shift.status == ShiftStatus.ATTENDED,
        Shift.from_pool,
    ]
    if scope.ward_ids:
        conditions.append(home.in_(scope.ward_ids))
    away = (
        sa.select(home, minutes)
        .select_from(Shift)
        .join(Session, Session.id == Shift.session_id)
        .join(volunteer_wards, volunteer_wards.c.user_id == Shift.user_id)
        .where(*conditions, home != Session.ward_id)
    )
    for ward_id, total in db.session.execute(away.group_by(home)):
        table.row(ward_id).pool_hours_away = float(total or 0) / 60
    # In all, each shift once (a volunteer may have two home wards).
    total = db.session.scalar(
        sa.select(minutes)
        .select_from(Shift)
        .join(Session, Session.id == Shift.session_id)
        .where(Shift.id.in_(away.with_only_columns(Shift.id)))
    )
    table.row(None).pool_hours_away = float(total or 0) / 60
