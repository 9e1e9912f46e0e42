"""iCalendar feeds: one query per feed, built by ``icalendar``, cached by their newest change.

Calendar apps poll a URL for months and cannot log in, so each feed is plain data: a
stable UID per event, SEQUENCE from the session, cancelled sessions kept as CANCELLED
for 30 days, times in Asia/Tokyo with its VTIMEZONE. Texts are always Japanese: the
calendar shows them to residents and volunteers whatever browser fetched the feed.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import icalendar
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from icalendar.parser import Contentline, Parameters
from werkzeug.routing import MapAdapter

from inclusion import clock
from inclusion.caching.store import Entry, pieces, store
from inclusion.extensions import db
from inclusion.forms import plain_text
from inclusion.sessions.models import (
    MAX_SESSION_HOURS,
    Session,
    SessionKind,
    SessionStatus,
    SessionTopic,
    Topic,
)
from inclusion.venues.models import Venue
from inclusion.volunteers.models import Shift, ShiftRole, ShiftStatus
from inclusion.wards.models import Ward
from inclusion.web import public_urls

#: Bump when the output changes shape, so cached feeds and ETags change with it.
FORMAT = 1
PRODID = "-//inclusion//Digital inclusion programme//JA"
REFRESH = timedelta(hours=1)
#: How long a cancelled session stays in feeds, so subscribed calendars learn of it.
CANCELLED_KEPT = timedelta(days=30)
PAST_DAYS = 30
FUTURE_DAYS = 365
#: The most a request may ask for: a little over a year.
MAX_SPAN_DAYS = 400


class BadFeedRequest(ValueError):
    """A feed URL asked for something we do not serve; the message says what (ja and en)."""


@dataclass(frozen=True)
class FeedRange:
    first: date
    last: date

    @property
    def start_dt(self) -> datetime:
        return clock.to_utc(self.first, time.min)

    @property
    def end_dt(self) -> datetime:
        return clock.to_utc(self.last + timedelta(days=1), time.min)


def default_range() -> FeedRange:
    today = clock.today()
    return FeedRange(today - timedelta(days=PAST_DAYS), today + timedelta(days=FUTURE_DAYS))


def requested_range(first: str | None, last: str | None) -> FeedRange:
    """``?from=2026-04-01&to=2027-03-31``, within limits; either may be left out."""
    default = default_range()
    try:
        start = date.fromisoformat(first) if first else default.first
        end = date.fromisoformat(last) if last else default.last
    except ValueError:
        raise BadFeedRequest(
            "from と to は 2026-04-01 のような日付で指定してください。"
            " / Give from and to as dates such as 2026-04-01."
        ) from None
    if end < start:
        raise BadFeedRequest(
            "to は from より後の日付にしてください。 / to must not be before from."
        )
    if (end - start).days > MAX_SPAN_DAYS:
        raise BadFeedRequest(
            f"一度に取得できるのは{MAX_SPAN_DAYS}日分までです。期間を分けてください。"
            f" / A feed covers at most {MAX_SPAN_DAYS} days; ask for a shorter range."
        )
    return FeedRange(start, end)


@dataclass(frozen=True)
class FeedFilter:
    """What a feed holds: the sessions of some wards, a venue or a volunteer's shifts."""

    ward_ids: tuple[int, ...] = ()
    venue_ids: tuple[int, ...] = ()
    kinds: tuple[SessionKind, ...] = ()
    topics: tuple[Topic, ...] = ()
    volunteer_id: int | None = None
    #: One session, or one shift: a file to download, whatever its date or status.
    session_id: int | None = None
    shift_id: int | None = None

    def key(self) -> str:
        return repr(self)


@dataclass(frozen=True)
class Feed:
    #: The calendar's own stable UID, e.g. ``ward-shibuya@inclusion.example.jp``.
    uid: str
    name: str
    filter: FeedFilter
    range: FeedRange
    alarm_minutes: int = 0

    @property
    def is_shifts(self) -> bool:
        return self.filter.volunteer_id is not None


def uid_domain() -> str:
    return current_app.config["CALENDAR_DOMAIN"]


_SESSION_COLUMNS = (
    Session.id,
    Session.kind,
    Session.title,
    Session.description,
    Session.room,
    Session.starts_dt,
    Session.ends_dt,
    Session.status,
    Session.sequence,
    Session.updated_dt,
    Session.cancel_reason,
    Session.has_device_loan,
    Venue.name.label("venue_name"),
    Venue.address,
    Venue.access_notes,
    Venue.has_step_free_access,
    Venue.has_lift,
    Venue.has_hearing_loop,
    Ward.slug.label("ward_slug"),
    Ward.name_ja.label("ward_name"),
    Ward.booking_phone,
)
_SHIFT_COLUMNS = (Shift.id.label("shift_id"), Shift.role, Shift.claimed_dt)


def _base(feed: Feed, now: datetime) -> sa.Select:
    """The feed's rows, before choosing columns: every condition lives here once."""
    spec = feed.filter
    query = (
        sa.select(Session.id)
        .join(Venue, Venue.id == Session.venue_id)
        .join(Ward, Ward.id == Session.ward_id)
    )
    if spec.volunteer_id is not None:
        query = query.join(Shift, Shift.session_id == Session.id).where(
            Shift.user_id == spec.volunteer_id
        )
    if spec.session_id is not None:
        return query.where(Session.id == spec.session_id)
    if spec.shift_id is not None:
        return query.where(Shift.id == spec.shift_id)
    query = query.where(
        Session.starts_dt < feed.range.end_dt,
        Session.ends_dt > feed.range.start_dt,
        Session.starts_dt > feed.range.start_dt - timedelta(hours=MAX_SESSION_HOURS),
        sa.or_(
            Session.status != SessionStatus.CANCELLED,
            Session.cancelled_dt >= now - CANCELLED_KEPT,
        ),
    )
    if spec.ward_ids:
        query = query.where(Session.ward_id.in_(spec.ward_ids))
    if spec.venue_ids:
        query = query.where(Session.venue_id.in_(spec.venue_ids))
    if spec.kinds:
        query = query.where(Session.kind.in_(spec.kinds))
    if spec.topics:
        query = query.where(
            sa.exists().where(
                SessionTopic.session_id == Session.id, SessionTopic.topic.in_(spec.topics)
            )
        )
    return query


def fingerprint(feed: Feed, now: datetime) -> tuple[str, datetime | None]:
    """An ETag for the feed as it would be built now, and its newest change: one query.

    Counting catches rows that left the feed; the newest time catches edits. A released
    shift leaves its row behind with ``released_dt``, so releasing changes it too.
    """
    base = _base(feed, now)
    newest = [sa.func.max(Session.updated_dt), sa.func.max(Venue.updated_dt)]
    if feed.is_shifts:
        newest += [sa.func.max(Shift.claimed_dt), sa.func.max(Shift.released_dt)]
    live = (
        sa.func.sum(sa.case((Shift.status != ShiftStatus.RELEASED, 1), else_=0))
        if feed.is_shifts
        else sa.func.count()
    )
    count, *times = db.session.execute(base.with_only_columns(live, *newest)).one()
    changed = [_aware(moment) for moment in times if moment is not None]
    last_modified = max(changed) if changed else None
    parts = (identity(feed), clock.today(), count, last_modified)
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32], last_modified


def identity(feed: Feed) -> str:
    """The feed whatever its version: what it holds and the host its links name (a feed
    asked on another host differs)."""
    urls = public_urls()
    parts = (FORMAT, feed, (urls.url_scheme, urls.server_name, urls.script_name))
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


#: Rows fetched at a time: a worker building a 10,000-event feed holds a few hundred rows,
#: not all of them (20 MB at that size).
ROWS_AT_A_TIME = 500


def feed_rows(feed: Feed, now: datetime) -> sa.Result:
    """Every event's data in one query, in time order, read as it is used."""
    columns = _SESSION_COLUMNS + (_SHIFT_COLUMNS if feed.is_shifts else ())
    query = _base(feed, now).with_only_columns(*columns).order_by(Session.starts_dt, Session.id)
    if feed.is_shifts and feed.filter.shift_id is None:
        query = query.where(Shift.status != ShiftStatus.RELEASED)
    return db.session.execute(query.execution_options(yield_per=ROWS_AT_A_TIME))


CALENDAR_TYPE = "text/calendar; charset=utf-8"
_END = b"END:VCALENDAR\r\n"
#: Properties no two events share: not worth keeping while a feed is built.
_EVERY_EVENT_ITS_OWN = frozenset({"UID", "URL"})


def build(feed: Feed, rows: Iterable[sa.Row]) -> Iterator[bytes]:
    """The feed as iCalendar bytes in parts (the calendar's head, each event, its end),
    the very bytes ``Calendar.to_ical`` writes (CRLF, folded at 75 octets: the library's
    work), each distinct value's line written once.

    An event is made from its row alone, so one this process made before from the same
    row (in this feed before a change, or in another feed) is used again.
    """
    head = new_calendar(feed.uid, feed.name).to_ical()
    write = EventWriter(feed.alarm_minutes)
    lines = ContentLines()
    made = pieces()
    yield head[: -len(_END)]
    for row in rows:
        key = hashlib.blake2b(
            repr((FORMAT, write.origin, feed.alarm_minutes, tuple(row))).encode(),
            digest_size=16,
        ).digest()
        event = made.get(key)
        if event is None:
            event = lines.of(write(row))
            made.put(key, event)
        yield event
    yield _END


class ContentLines:
    """A component as ``icalendar`` writes it, its lines made by the library's own
    ``Contentline`` — but each property value only once per feed: the place, times and
    labels many events share are escaped and folded once, not once per event (a third of
    a 10,000-event feed's time)."""

    def __init__(self) -> None:
        # Keyed by the value object, which is kept here so that its id is never reused.
        self._made: dict[tuple[str, int], tuple[object, bytes]] = {}

    def line(self, name: str, value: object) -> bytes:
        if name in _EVERY_EVENT_ITS_OWN:
            return Contentline.from_parts(name, value.params, value, sorted=True).to_ical()
        key = (name, id(value))
        made = self._made.get(key)
        if made is None:
            params = value.params if hasattr(value, "params") else Parameters()
            made = self._made[key] = (
                value,
                Contentline.from_parts(name, params, value, sorted=True).to_ical(),
            )
        return made[1]

    def of(self, component: icalendar.cal.component.Component) -> bytes:
        name = component.name.encode()
        out = [b"BEGIN:" + name]
        for key in component.sorted_keys():
            values = component[key]
            for value in values if isinstance(values, list) else (values,):
                out.append(self.line(key, value))
        out.append(b"\r\n".join(self.of(sub)[:-2] for sub in component.subcomponents))
        out.append(b"END:" + name)
        return b"\r\n".join(part for part in out if part) + b"\r\n"


def cached_build(feed: Feed, etag: str, now: datetime) -> Entry:
    """The feed as it is at ``etag``: from the cache, or built once while others wait,
    in the place of the version before."""
    return store().get_or_build(
        f"feed:{identity(feed)}",
        lambda: _build_from_rows(feed, now),
        CALENDAR_TYPE,
        current_app.config["CACHE_DEFAULT_TIMEOUT"],
        version=etag,
    )


def _build_from_rows(feed: Feed, now: datetime) -> Iterator[bytes]:
    with feed_rows(feed, now) as rows:  # closed, even when the build fails half-way
        yield from build(feed, rows)


def new_calendar(uid: str, name: str) -> icalendar.Calendar:
    """An empty calendar with its name, refresh hints and the programme's VTIMEZONE.

    Every event is in that one zone (DTSTAMP in UTC), so its VTIMEZONE is added up front
    rather than found by ``add_missing_timezones``, which reads every event again.
    """
    # The name is a header-like line (X-WR-CALNAME): one line, whatever a title held.
    one_line = " ".join(plain_text(name).split())
    calendar = icalendar.Calendar.new(prodid=PRODID, name=one_line, uid=uid)
    calendar.add_component(_timezone(current_app.config["INCLUSION_TIMEZONE"]))
    # Calendar.new(refresh_interval=…) writes REFRESH-INTERVAL without VALUE=DURATION.
    calendar.add("REFRESH-INTERVAL", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", icalendar.vDuration(REFRESH))
    return calendar


@functools.lru_cache(maxsize=4)
def _timezone(tzid: str) -> icalendar.Timezone:
    """The zone's VTIMEZONE, made once per process: serialising leaves it unchanged."""
    return icalendar.Timezone.from_tzid(tzid)


class EventWriter:
    """Turns feed rows into VEVENTs, in Japanese.

    Values many events share (a venue's place, a start time, a label) are made once per
    feed: icalendar's property values are plain data that serialising leaves unchanged.
    Properties are set directly, already typed, which is what ``Event.new`` ends up doing.
    """

    def __init__(self, alarm_minutes: int = 0) -> None:
        self.zone = clock.local_zone()
        self.domain = uid_domain()
        self.urls: MapAdapter = public_urls()  # bound once, not once per event
        #: Where the events' links point (the request's host without PUBLIC_BASE_URL).
        self.origin = (self.urls.url_scheme, self.urls.server_name, self.urls.script_name)
        self.alarm_minutes = alarm_minutes
        with force_locale("ja"):
            self.kinds = {kind: (str(kind.label), str(kind.public_label)) for kind in SessionKind}
            self.roles = {role: str(role.label) for role in ShiftRole}
        self.categories = {
            kind: icalendar.vCategory([label]) for kind, (label, _l) in self.kinds.items()
        }
        self.status = {True: icalendar.vText("CANCELLED"), False: icalendar.vText("CONFIRMED")}
        self._texts: dict[str, icalendar.vText] = {}
        self._moments: dict[datetime, icalendar.vDDDTypes] = {}
        self._stamps: dict[datetime, icalendar.vDDDTypes] = {}
        self._numbers: dict[int, icalendar.vInt] = {}
        self._alarms: dict[str, icalendar.Alarm] = {}

    def text(self, value: str) -> icalendar.vText:
        found = self._texts.get(value)
        if found is None:
            found = self._texts[value] = icalendar.vText(plain_text(value))
        return found

    def local(self, value: datetime) -> icalendar.vDDDTypes:
        """A time in the programme's zone, written with its TZID."""
        found = self._moments.get(value)
        if found is None:
            found = self._moments[value] = icalendar.vDDDTypes(_aware(value).astimezone(self.zone))
        return found

    def stamp(self, value: datetime) -> icalendar.vDDDTypes:
        """A time in UTC, as DTSTAMP wants it."""
        found = self._stamps.get(value)
        if found is None:
            found = self._stamps[value] = icalendar.vDDDTypes(_aware(value))
        return found

    def __call__(self, row: sa.Row) -> icalendar.Event:
        """One session (or one shift at it) as a VEVENT."""
        cancelled = row.status == SessionStatus.CANCELLED
        shift_id = getattr(row, "shift_id", None)
        role = self.roles[ShiftRole(row.role)] if shift_id is not None else ""
        kind = SessionKind(row.kind)
        summary = row.title + (f"（{role}）" if role else "")
        uid = f"shift-{shift_id}" if shift_id is not None else f"session-{row.id}"
        vevent = icalendar.Event()
        vevent["SUMMARY"] = self.text(("【中止】" if cancelled else "") + summary)
        vevent["DTSTART"] = self.local(row.starts_dt)
        vevent["DTEND"] = self.local(row.ends_dt)
        vevent["DTSTAMP"] = self.stamp(row.updated_dt)
        vevent["UID"] = icalendar.vText(f"{uid}@{self.domain}")
        number = self._numbers.get(row.sequence)
        if number is None:
            number = self._numbers[row.sequence] = icalendar.vInt(row.sequence)
        vevent["SEQUENCE"] = number
        vevent["CATEGORIES"] = self.categories[kind]
        vevent["DESCRIPTION"] = self.text(_description(row, role, self.kinds[kind][1]))
        vevent["LOCATION"] = self.text(_location(row))
        vevent["STATUS"] = self.status[cancelled]
        vevent["URL"] = icalendar.vUri(
            self.urls.build(
                "public.session_page",
                {"ward": row.ward_slug, "session_id": row.id},
                force_external=True,
            )
        )
        if self.alarm_minutes and not cancelled:
            vevent.add_component(self.alarm(summary))
        return vevent

    def alarm(self, summary: str) -> icalendar.Alarm:
        """The reminder before an event, one per summary: events sharing it share it."""
        found = self._alarms.get(summary)
        if found is None:
            found = self._alarms[summary] = icalendar.Alarm()
            found.add("ACTION", "DISPLAY")
            found.add("DESCRIPTION", summary)
            found.add("TRIGGER", timedelta(minutes=-self.alarm_minutes))
        return found


def _location(row: sa.Row) -> str:
    place = f"{row.venue_name} {row.room}".strip()
    return f"{place}（{row.address}）" if row.address else place


def _description(row: sa.Row, role: str, what: str) -> str:
    """Plain Japanese: what it is, what to bring, how to get in, whom to call."""
    lines = []
    if row.status == SessionStatus.CANCELLED:
        lines.append(f"この回は中止になりました。{row.cancel_reason}".strip())
    if role:
        lines.append(f"担当: {role}")
    lines.append(what)
    if row.description:
        lines.append(row.description)
    if row.has_device_loan:
        lines.append("持ち物: スマートフォン（お持ちでない方には貸し出し用があります）")
    else:
        lines.append("持ち物: ふだんお使いのスマートフォン")
    access = [
        label
        for present, label in (
            (row.has_step_free_access, "段差なし"),
            (row.has_lift, "エレベーターあり"),
            (row.has_hearing_loop, "ヒアリングループあり"),
        )
        if present
    ]
    if row.access_notes:
        access.append(row.access_notes)
    if access:
        lines.append("会場: " + "、".join(access))
    if row.booking_phone:
        lines.append(f"問い合わせ: {row.ward_name} {row.booking_phone}")
    return "\n".join(lines)
