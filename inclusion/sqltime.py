"""Local wall-clock time in SQL, on PostgreSQL and SQLite alike.

Datetimes are stored in UTC; the programme thinks in Asia/Tokyo days and months.
PostgreSQL converts with ``AT TIME ZONE``; SQLite knows no zones, so it shifts by the
zone's offset (Asia/Tokyo keeps one offset all year).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Float, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from inclusion.db import UTCDateTime


def _offset_minutes(zone: str) -> int:
    return int(datetime.now(ZoneInfo(zone)).utcoffset().total_seconds() // 60)


class local_due(FunctionElement):  # noqa: N801 - an SQL function, named like one
    """``days_before`` local days before the session's local day, at ``at_minute`` (UTC)."""

    type = UTCDateTime()
    inherit_cache = True
    name = "local_due"


@compiles(local_due, "postgresql")
def _local_due_postgresql(element, compiler, **kw) -> str:
    starts, days, minute, zone = (compiler.process(clause, **kw) for clause in element.clauses)
    return (
        f"((date_trunc('day', {starts} AT TIME ZONE {zone}) - {days} * interval '1 day'"
        f" + {minute} * interval '1 minute') AT TIME ZONE {zone})"
    )


@compiles(local_due, "sqlite")
def _local_due_sqlite(element, compiler, **kw) -> str:
    # SQLite knows no time zones: the zone's offset now (Asia/Tokyo keeps one all year).
    starts, days, minute, zone = element.clauses
    offset = _offset_minutes(zone.value)
    starts, days, minute = (compiler.process(clause, **kw) for clause in (starts, days, minute))
    # Written as SQLAlchemy writes datetimes on SQLite, so comparisons stay textual-exact.
    return (
        f"(datetime({starts}, '{offset:+d} minutes', 'start of day', '-' || {days} || ' days',"
        f" '+' || {minute} || ' minutes', '{-offset:+d} minutes') || '.000000')"
    )


class local_month(FunctionElement):  # noqa: N801 - an SQL function, named like one
    """The local month of a UTC datetime column, as text ``YYYY-MM``."""

    type = String()
    inherit_cache = True
    name = "local_month"


class local_day(FunctionElement):  # noqa: N801 - an SQL function, named like one
    """The local date of a UTC datetime column, as text ``YYYY-MM-DD``."""

    type = String()
    inherit_cache = True
    name = "local_day"


#: Each function's format, as PostgreSQL's to_char and SQLite's strftime write it.
_FORMATS = {
    "local_month": ("YYYY-MM", "%Y-%m"),
    "local_day": ("YYYY-MM-DD", "%Y-%m-%d"),
    "date_month": ("YYYY-MM", "%Y-%m"),
    "date_text": ("YYYY-MM-DD", "%Y-%m-%d"),
}


@compiles(local_month, "postgresql")
@compiles(local_day, "postgresql")
def _local_text_postgresql(element, compiler, **kw) -> str:
    moment, zone = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"to_char({moment} AT TIME ZONE {zone}, '{_FORMATS[element.name][0]}')"


@compiles(local_month, "sqlite")
@compiles(local_day, "sqlite")
def _local_text_sqlite(element, compiler, **kw) -> str:
    moment, zone = element.clauses
    offset = _offset_minutes(zone.value)
    written = _FORMATS[element.name][1]
    return f"strftime('{written}', {compiler.process(moment, **kw)}, '{offset:+d} minutes')"


class date_month(FunctionElement):  # noqa: N801 - an SQL function, named like one
    """The month of a date column (no time zone: a date is already local), as ``YYYY-MM``."""

    type = String()
    inherit_cache = True
    name = "date_month"


class date_text(FunctionElement):  # noqa: N801 - an SQL function, named like one
    """A date column as ISO text ``YYYY-MM-DD``, whatever the server's DateStyle."""

    type = String()
    inherit_cache = True
    name = "date_text"


@compiles(date_month, "postgresql")
@compiles(date_text, "postgresql")
def _date_format_postgresql(element, compiler, **kw) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, '{_FORMATS[element.name][0]}')"


@compiles(date_month, "sqlite")
@compiles(date_text, "sqlite")
def _date_format_sqlite(element, compiler, **kw) -> str:
    return f"strftime('{_FORMATS[element.name][1]}', {compiler.process(element.clauses, **kw)})"


class minutes_between(FunctionElement):  # noqa: N801 - an SQL function, named like one
    """Minutes from one UTC datetime column to another."""

    type = Float()
    inherit_cache = True
    name = "minutes_between"


@compiles(minutes_between, "postgresql")
def _minutes_between_postgresql(element, compiler, **kw) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 60)"


@compiles(minutes_between, "sqlite")
def _minutes_between_sqlite(element, compiler, **kw) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 1440)"
