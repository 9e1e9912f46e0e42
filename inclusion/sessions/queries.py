"""Reading sessions: filtered, keyset-paged lists and calendar ranges."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from inclusion import clock
from inclusion.extensions import db
from inclusion.sessions.models import Session, SessionKind, SessionStatus, SessionTopic, Topic


@dataclass
class SessionFilter:
    ward_id: int | None = None
    venue_id: int | None = None
    kind: SessionKind | None = None
    topic: Topic | None = None
    status: SessionStatus | None = None
    date_from: date | None = None
    date_to: date | None = None
    series_id: int | None = None


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the next page starts after this (moment, id), e.g. a session's
    start and id, or a booking's session start and the booking's id."""

    moment: datetime
    row_id: int

    def __str__(self) -> str:
        micros = int(self.moment.timestamp() * 1_000_000)
        return f"{micros}-{self.row_id}"

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        """Read a cursor from a URL; anything malformed means the first page."""
        micros, _, row_id = (text or "").partition("-")
        if not (micros.isdigit() and row_id.isdigit()) or len(micros) > 18 or len(row_id) > 18:
            return None
        try:
            moment = datetime.fromtimestamp(int(micros) / 1_000_000, UTC)
        except (OverflowError, OSError, ValueError):  # digits, but no date a session can have
            return None
        return cls(moment, int(row_id))


def _filtered(filters: SessionFilter) -> sa.Select:
    query = sa.select(Session).options(
        joinedload(Session.venue), joinedload(Session.ward), joinedload(Session.series)
    )
    if filters.ward_id is not None:
        query = query.where(Session.ward_id == filters.ward_id)
    if filters.venue_id is not None:
        query = query.where(Session.venue_id == filters.venue_id)
    if filters.series_id is not None:
        query = query.where(Session.series_id == filters.series_id)
    if filters.kind is not None:
        query = query.where(Session.kind == filters.kind)
    if filters.status is not None:
        query = query.where(Session.status == filters.status)
    return with_topic_and_dates(query, filters.topic, filters.date_from, filters.date_to)


def with_topic_and_dates(
    query: sa.Select, topic: Topic | None, date_from: date | None, date_to: date | None
) -> sa.Select:
    """Keep sessions of a topic, starting between two local dates (each optional)."""
    if topic is not None:
        query = query.where(
            sa.exists().where(SessionTopic.session_id == Session.id, SessionTopic.topic == topic)
        )
    if date_from is not None:
        query = query.where(Session.starts_dt >= clock.to_utc(date_from, time.min))
    if date_to is not None:
        query = query.where(Session.starts_dt < clock.local_day_bounds(date_to, date_to)[1])
    return query


def keyset_page(
    query: sa.Select,
    after: Cursor | None,
    size: int,
    key: tuple[sa.ColumnElement, sa.ColumnElement] = (Session.starts_dt, Session.id),
    newest_first: bool = False,
):
    """Run ``query`` for one page in ``key`` (moment, id) order, earliest first unless
    ``newest_first``.

    Returns the rows and the cursor of the next page, if there is one.
    """
    moment, row_id = key
    order = (moment.desc(), row_id.desc()) if newest_first else (moment, row_id)
    query = query.add_columns(moment, row_id).order_by(*order).limit(size + 1)
    if after is not None:
        mark = sa.tuple_(after.moment, after.row_id)
        query = query.where(sa.tuple_(moment, row_id) < mark if newest_first
                            else sa.tuple_(moment, row_id) > mark)  # fmt: skip
    rows = list(db.session.execute(query).unique())
    next_cursor = Cursor(*rows[size - 1][-2:]) if len(rows) > size else None
    return [row[:-2] for row in rows[:size]], next_cursor


def page_of_sessions(
    filters: SessionFilter, after: Cursor | None, size: int = 50
) -> tuple[list[Session], Cursor | None]:
    """One page in start order, and the cursor of the next page if there is one."""
    rows, next_cursor = keyset_page(_filtered(filters), after, size)
    return [row[0] for row in rows], next_cursor


def sessions_between(ward_id: int, first: date, last: date) -> list[Session]:
    """Every session of a ward starting between two local dates, for calendar views."""
    starts, ends = clock.local_day_bounds(first, last)
    query = (
        _filtered(SessionFilter(ward_id=ward_id))
        .where(Session.starts_dt >= starts, Session.starts_dt < ends)
        .order_by(Session.starts_dt, Session.id)
    )
    return list(db.session.scalars(query).unique())


def upcoming_public_sessions(ward_id: int, days: int = 90, limit: int = 200) -> list[Session]:
    """What the public page lists: scheduled sessions from now on, soonest first."""
    now = clock.now()
    query = (
        _filtered(SessionFilter(ward_id=ward_id, status=SessionStatus.SCHEDULED))
        .where(Session.ends_dt > now, Session.starts_dt < now + timedelta(days=days))
        .order_by(Session.starts_dt, Session.id)
        .limit(limit)
    )
    return list(db.session.scalars(query).unique())
