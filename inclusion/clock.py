"""Time as the programme sees it: stored in UTC, entered and shown in the ward's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
from flask import current_app

#: 年末年始: ward offices and their halls are closed from 29 December to 3 January.
YEAR_END_CLOSURE = ((12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3))


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["INCLUSION_TIMEZONE"])


def now() -> datetime:
    return datetime.now(UTC)


def local_now() -> datetime:
    return now().astimezone(local_zone())


def today() -> date:
    """Today's date where the programme runs (Asia/Tokyo by default)."""
    return local_now().date()


def to_utc(day: date, at: time) -> datetime:
    """A wall-clock date and time in the programme's zone, as a UTC datetime."""
    return datetime.combine(day, at, tzinfo=local_zone()).astimezone(UTC)


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(local_zone())


def local_day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """UTC instants from the start of ``first`` to the end of ``last``, local time."""
    return to_utc(first, time.min), to_utc(last + timedelta(days=1), time.min)


def fiscal_year(day: date) -> int:
    """The 年度 a day belongs to: 1 April to 31 March, named by its first year."""
    return day.year if day.month >= 4 else day.year - 1


def is_office_day(day: date) -> bool:
    """Whether ward offices are open: not a weekend, a national holiday or the year end."""
    return (
        day.weekday() < 5
        and (day.month, day.day) not in YEAR_END_CLOSURE
        and day not in holidays.country_holidays("JP", years=day.year)
    )
