"""Every change to sessions: create, series, move, cancel, mark held."""

from __future__ import annotations

import enum
import hashlib
import json
import logging
import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

import holidays
import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from inclusion import clock
from inclusion.audit.services import record_event
from inclusion.auth.models import User
from inclusion.db import lock_row
from inclusion.errors import Conflict, RuleViolation
from inclusion.extensions import db
from inclusion.i18n import local_date
from inclusion.residents.bookings import check_session_change
from inclusion.sessions.models import (
    MAX_SESSION_HOURS,
    HolidayRule,
    Level,
    Series,
    Session,
    SessionKind,
    SessionStatus,
    Topic,
)
from inclusion.sessions.signals import session_cancelled, session_changed, session_created
from inclusion.venues.models import Venue

log = logging.getLogger(__name__)

SLOT_MINUTES = (15, 20, 30, 45, 60)
#: Changes a calendar subscriber sees; any of them bumps ``sequence``.
CALENDAR_FIELDS = frozenset(
    {"kind", "title", "description", "venue_id", "room", "starts_dt", "ends_dt", "status"}
)
MOVE_FIELDS = frozenset({"venue_id", "room", "starts_dt", "ends_dt"})


@dataclass
class SessionDraft:
    """A session as staff entered it, in local wall-clock time."""

    venue: Venue
    kind: SessionKind
    title: str
    day: date
    starts_time: time
    ends_time: time
    topics: list[Topic] = field(default_factory=list)
    level: Level = Level.BEGINNER
    description: str = ""
    room: str = ""
    #: None: the default for the kind (venue size for salons, slots for consultations).
    capacity: int | None = None
    slot_minutes: int | None = None
    #: None: worked out from the kind and the capacity.
    lead_needed: int | None = None
    assistants_needed: int | None = None
    has_device_loan: bool = False

    def on(self, day: date) -> SessionDraft:
        return replace(self, day=day)

    @classmethod
    def of(cls, session: Session) -> SessionDraft:
        """A session as it stands, to change some of it."""
        starts, ends = clock.to_local(session.starts_dt), clock.to_local(session.ends_dt)
        return cls(
            venue=session.venue,
            kind=session.kind,
            title=session.title,
            day=starts.date(),
            starts_time=starts.time().replace(tzinfo=None),
            ends_time=ends.time().replace(tzinfo=None),
            topics=list(session.topics),
            level=session.level,
            description=session.description,
            room=session.room,
            capacity=session.capacity,
            slot_minutes=session.slot_minutes,
            lead_needed=session.lead_needed,
            assistants_needed=session.assistants_needed,
            has_device_loan=session.has_device_loan,
        )


class PlanState(enum.StrEnum):
    HELD = "held"
    MOVED = "moved"
    SKIPPED = "skipped"
    PASSED = "passed"


@dataclass(frozen=True)
class PlannedDate:
    #: The date asked for: the first date plus whole weeks.
    asked: date
    state: PlanState
    #: Where the session takes place: the asked date, or the day a holiday moved it to.
    day: date
    #: Why it moved or was left out: a holiday's name or the year-end closure.
    reason: str = ""


@dataclass(frozen=True)
class SeriesPlan:
    rows: list[PlannedDate]

    @property
    def dates(self) -> list[date]:
        """The dates the series' sessions take place on."""
        return [row.day for row in self.rows if row.state in (PlanState.HELD, PlanState.MOVED)]

    @property
    def passed(self) -> bool:
        return any(row.state == PlanState.PASSED for row in self.rows)


# -- rules ---------------------------------------------------------------------------------


def default_needs(kind: SessionKind, capacity: int) -> tuple[int, int]:
    """Volunteers a session needs by default: (lead, assistants)."""
    per_assistant = current_app.config["PARTICIPANTS_PER_ASSISTANT"]
    if kind == SessionKind.CLASS:
        return 1, max(1, math.ceil(capacity / per_assistant))
    if kind == SessionKind.CONSULTATION:
        return 0, 1
    return 0, max(1, math.ceil(capacity / (per_assistant * 2)))


def _times(draft: SessionDraft) -> tuple[datetime, datetime]:
    starts_dt = clock.to_utc(draft.day, draft.starts_time)
    ends_dt = clock.to_utc(draft.day, draft.ends_time)
    if ends_dt <= starts_dt:
        raise RuleViolation(_l("The end time must be after the start time."), "ends_time")
    if ends_dt - starts_dt > timedelta(hours=MAX_SESSION_HOURS):
        raise RuleViolation(
            _l("A session can last at most %(hours)d hours.", hours=MAX_SESSION_HOURS),
            "ends_time",
        )
    return starts_dt, ends_dt


def _not_past(starts_dt: datetime) -> None:
    if starts_dt <= clock.now():
        raise RuleViolation(_l("This date and time has already passed."), "day")


def _capacity(draft: SessionDraft, starts_dt: datetime, ends_dt: datetime) -> int:
    """Seats for the session, checked against the venue."""
    venue = draft.venue
    if draft.kind == SessionKind.CONSULTATION:
        slot = draft.slot_minutes
        if slot not in SLOT_MINUTES:
            raise RuleViolation(_l("Choose how long one consultation slot lasts."), "slot_minutes")
        minutes = int((ends_dt - starts_dt).total_seconds() // 60)
        if minutes % slot:
            raise RuleViolation(
                _l("The session must divide into whole %(minutes)d-minute slots.", minutes=slot),
                "slot_minutes",
            )
        return minutes // slot
    capacity = draft.capacity if draft.capacity is not None else venue.default_capacity
    if capacity < 1:
        raise RuleViolation(_l("Enter at least 1."), "capacity")
    if capacity > venue.default_capacity:
        raise RuleViolation(
            _l(
                "%(venue)s holds at most %(count)d people.",
                venue=venue.name,
                count=venue.default_capacity,
            ),
            "capacity",
        )
    return capacity


def _overlapping(
    venue: Venue, room: str, starts_dt: datetime, ends_dt: datetime, ignore: set[int]
) -> Session | None:
    query = (
        sa.select(Session)
        .where(
            Session.venue_id == venue.id,
            Session.room == room,
            Session.status != SessionStatus.CANCELLED,
            Session.starts_dt < ends_dt,
            Session.ends_dt > starts_dt,
        )
        .order_by(Session.starts_dt)
        .limit(1)
    )
    if ignore:
        query = query.where(Session.id.not_in(ignore))
    return db.session.scalar(query)


def _check_free(
    venue: Venue, room: str, starts_dt: datetime, ends_dt: datetime, ignore: set[int]
) -> None:
    other = _overlapping(venue, room, starts_dt, ends_dt, ignore)
    if other is not None:
        raise Conflict(
            _l(
                "The room is already used by “%(title)s” from %(start)s to %(end)s.",
                title=other.title,
                start=clock.to_local(other.starts_dt).strftime("%H:%M"),
                end=clock.to_local(other.ends_dt).strftime("%H:%M"),
            ),
            "starts_time",
        )


def _fill(session: Session, draft: SessionDraft) -> dict[str, list[object]]:
    """Copy a checked draft onto a session; return what changed as {field: [old, new]}."""
    starts_dt, ends_dt = _times(draft)
    capacity = _capacity(draft, starts_dt, ends_dt)
    lead, assistants = default_needs(draft.kind, capacity)
    values = {
        "ward_id": draft.venue.ward_id,
        "venue_id": draft.venue.id,
        "kind": draft.kind,
        "title": draft.title.strip(),
        "level": draft.level,
        "description": draft.description.strip(),
        "room": draft.room.strip(),
        "starts_dt": starts_dt,
        "ends_dt": ends_dt,
        "capacity": capacity,
        "slot_minutes": draft.slot_minutes if draft.kind == SessionKind.CONSULTATION else None,
        "lead_needed": lead if draft.lead_needed is None else draft.lead_needed,
        "assistants_needed": assistants
        if draft.assistants_needed is None
        else draft.assistants_needed,
        "has_device_loan": draft.has_device_loan,
    }
    changes: dict[str, list[object]] = {}
    for name, value in values.items():
        old = getattr(session, name, None)
        if old != value:
            changes[name] = [_plain(old), _plain(value)]
            setattr(session, name, value)
    if sorted(session.topics) != sorted(draft.topics):
        changes["topics"] = [sorted(session.topics), sorted(draft.topics)]
        session.topics = draft.topics
    return changes


def _english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


def _plain(value: object) -> object:
    """A value as it can be written into the audit log's JSON."""
    if isinstance(value, datetime):
        return value.isoformat()
    return value


# -- creating -----------------------------------------------------------------------------


def _venue_in_use(venue: Venue) -> None:
    if not venue.is_active:
        raise RuleViolation(_l("This venue is not in use; choose another."), "venue")


def create_session(actor: User, draft: SessionDraft) -> Session:
    """Add one session after checking the venue, time, capacity and the room."""
    _venue_in_use(draft.venue)
    session = Session(status=SessionStatus.SCHEDULED, sequence=0, created_by=actor)
    _fill(session, draft)
    _not_past(session.starts_dt)
    lock_row(Venue, draft.venue.id)
    _check_free(draft.venue, session.room, session.starts_dt, session.ends_dt, set())
    db.session.add(session)
    db.session.flush()
    record_event(actor, "session.create", session, draft.venue.ward, {"title": session.title})
    session_created.send(session, actor=actor)
    log.info("session %s created at venue %s", session.id, draft.venue.id)
    return session


def _holidays(years: range) -> holidays.HolidayBase:
    return holidays.country_holidays("JP", years=years, language="en_US" if _english() else "ja")


def closed_days(first: date, last: date) -> dict[date, str]:
    """Public holidays (祝日) and the year-end closure between two dates, each with its
    name in the UI's language: days ward offices and most halls are closed."""
    found = {
        day: name
        for day, name in _holidays(range(first.year, last.year + 1)).items()
        if first <= day <= last
    }
    day = first
    while day <= last:
        if (day.month, day.day) in clock.YEAR_END_CLOSURE:
            found.setdefault(day, str(_l("Year-end closure")))
        day += timedelta(days=1)
    return dict(sorted(found.items()))


#: How far a holiday's date may move: to a weekday within the same week or the next.
MOVE_DAYS = 7


def plan_series(
    first_date: date,
    interval_weeks: int,
    weeks: int,
    holiday_rule: HolidayRule,
    skip_year_end: bool,
    starts_time: time | None = None,
    now: datetime | None = None,
) -> SeriesPlan:
    """The dates of a series over ``weeks`` weeks: each held, moved off a holiday, left out
    (a holiday or the year-end closure), or already passed (before ``now``)."""
    asked = [first_date + timedelta(weeks=offset) for offset in range(0, weeks, interval_weeks)]
    if not asked:
        return SeriesPlan([])
    holiday_names = _holidays(range(first_date.year, asked[-1].year + 2))
    taken = set(asked)

    def year_end(day: date) -> bool:
        return skip_year_end and (day.month, day.day) in clock.YEAR_END_CLOSURE

    def open_weekday_after(day: date) -> date | None:
        for later in (day + timedelta(days=n) for n in range(1, MOVE_DAYS + 1)):
            if later.weekday() < 5 and later not in holiday_names and not year_end(later):
                return None if later in taken else later
        return None

    now = now or clock.now()
    rows = []
    for day in asked:
        holiday = holiday_names.get(day)
        if clock.to_utc(day, starts_time or time.max) <= now:
            rows.append(PlannedDate(day, PlanState.PASSED, day))
        elif year_end(day):
            rows.append(PlannedDate(day, PlanState.SKIPPED, day, str(_l("Year-end closure"))))
        elif holiday is None or holiday_rule == HolidayRule.HOLD:
            rows.append(PlannedDate(day, PlanState.HELD, day, holiday or ""))
        elif holiday_rule == HolidayRule.MOVE and (moved := open_weekday_after(day)):
            taken.add(moved)
            rows.append(PlannedDate(day, PlanState.MOVED, moved, holiday))
        else:
            rows.append(PlannedDate(day, PlanState.SKIPPED, day, holiday))
    return SeriesPlan(rows)


def _fingerprint(draft: SessionDraft, interval_weeks: int, weeks: int, skips: tuple) -> str:
    asked = [
        draft.venue.id,
        draft.room.strip(),
        draft.kind.value,
        draft.title.strip(),
        draft.day.isoformat(),
        draft.starts_time.isoformat(),
        draft.ends_time.isoformat(),
        interval_weeks,
        weeks,
        *skips,
    ]
    return hashlib.sha256(json.dumps(asked, ensure_ascii=False).encode()).hexdigest()


def create_series(
    actor: User,
    draft: SessionDraft,
    *,
    interval_weeks: int,
    weeks: int,
    holiday_rule: HolidayRule,
    skip_year_end: bool,
    is_course: bool = False,
) -> tuple[Series, bool]:
    """Create every session of a series; asking again returns the first series.

    Returns the series and whether it was created now.
    """
    _venue_in_use(draft.venue)
    if interval_weeks not in (1, 2):
        raise RuleViolation(_l("Choose every week or every other week."), "interval_weeks")
    if is_course and draft.kind != SessionKind.CLASS:
        raise RuleViolation(
            _l("Only classes can be a course, not consultations or salons."), "is_course"
        )
    plan = plan_series(
        draft.day, interval_weeks, weeks, holiday_rule, skip_year_end, draft.starts_time
    )
    if plan.passed:
        raise RuleViolation(_l("This date and time has already passed."), "day")
    if not plan.dates:
        raise RuleViolation(_l("Every date of this series falls on a closed day."), "day")
    series = Series(
        ward_id=draft.venue.ward_id,
        fingerprint=_fingerprint(
            draft, interval_weeks, weeks, (holiday_rule.value, skip_year_end)
        ),
        title=draft.title.strip(),
        first_date=draft.day,
        starts_time=draft.starts_time,
        ends_time=draft.ends_time,
        interval_weeks=interval_weeks,
        weeks=weeks,
        holiday_rule=holiday_rule,
        skips_year_end=skip_year_end,
        is_course=is_course,
        created_by_id=actor.id if actor else None,
    )
    try:
        # First the fingerprint: a second identical request waits here, then finds ours.
        with db.session.begin_nested():
            db.session.add(series)
            db.session.flush()
    except sa.exc.IntegrityError:
        existing = db.session.scalar(
            sa.select(Series).where(Series.fingerprint == series.fingerprint)
        )
        if existing.is_course != is_course:
            raise Conflict(
                _l("The same dates exist already as a series booked date by date.")
                if is_course
                else _l("The same dates exist already as a course."),
                "is_course",
            ) from None
        return existing, False
    lock_row(Venue, draft.venue.id)
    made: list[Session] = []
    for day in plan.dates:
        session = Session(
            status=SessionStatus.SCHEDULED, sequence=0, created_by=actor, series=series
        )
        try:
            _fill(session, draft.on(day))
            _not_past(session.starts_dt)
            _check_free(draft.venue, session.room, session.starts_dt, session.ends_dt, set())
        except RuleViolation as violation:
            raise RuleViolation(f"{local_date(day)}: {violation}", violation.field) from None
        db.session.add(session)
        made.append(session)
    db.session.flush()
    for session in made:
        session_created.send(session, actor=actor)
    record_event(
        actor,
        "series.create",
        series,
        draft.venue.ward,
        {"title": series.title, "sessions": len(plan.dates)},
    )
    return series, True


# -- changing ------------------------------------------------------------------------------


def series_siblings_from(session: Session) -> list[Session]:
    """This session and the scheduled ones after it in its series."""
    if session.series_id is None:
        return [session]
    later = db.session.scalars(
        sa.select(Session)
        .where(
            Session.series_id == session.series_id,
            Session.starts_dt > session.starts_dt,
            Session.status == SessionStatus.SCHEDULED,
        )
        .order_by(Session.starts_dt)
    ).all()
    return [session, *later]


def update_session(
    actor: User, session: Session, draft: SessionDraft, reason: str = "", scope: str = "this"
) -> list[Session]:
    """Change one session, or it and the later ones of its series (same time of day).

    Moving a session (time, venue or room) needs a reason; it is audited and the
    ``session_changed`` signal tells reminders and calendars.
    """
    if session.is_cancelled:
        raise RuleViolation(_l("A cancelled session cannot be changed."))
    if draft.venue.ward_id != session.ward_id:
        raise RuleViolation(_l("Choose a venue of the session's own ward."), "venue")
    targets = [session] if scope == "this" else series_siblings_from(session)
    local_start = clock.to_local(session.starts_dt)
    if scope != "this" and draft.day != local_start.date():
        raise RuleViolation(
            _l("Change the date of one session at a time, not of the whole series."), "day"
        )
    lock_row(Venue, draft.venue.id)
    changed_sessions = []
    # The checks read other sessions: the changes wait until they pass (a flush before
    # would meet the room's unique index first, as an error instead of a message).
    with db.session.no_autoflush:
        for target in targets:
            # A series keeps each session's own date; one session may move to another day.
            target_draft = (
                draft if scope == "this" else draft.on(clock.to_local(target.starts_dt).date())
            )
            changes = _fill(target, target_draft)
            if not changes:
                continue
            check_session_change(target, set(changes))
            moved = bool(MOVE_FIELDS & changes.keys())
            if moved:
                if "starts_dt" in changes or "ends_dt" in changes:
                    _not_past(target.starts_dt)
                if not reason.strip():
                    raise RuleViolation(
                        _l("Say why the time or place changes; it is kept in the record."),
                        "reason",
                    )
                _check_free(
                    target_draft.venue, target.room, target.starts_dt, target.ends_dt, {target.id}
                )
            if CALENDAR_FIELDS & changes.keys():
                target.sequence += 1
            changed_sessions.append((target, changes, moved))
    db.session.flush()
    for target, changes, moved in changed_sessions:
        record_event(
            actor,
            "session.move" if moved else "session.update",
            target,
            target.ward,
            {"changes": changes, "reason": reason.strip()},
        )
        session_changed.send(target, actor=actor, changes=changes, reason=reason, moved=moved)
    return [target for target, _changes, _moved in changed_sessions]


def cancel_session(
    actor: User, session: Session, reason: str, scope: str = "this"
) -> list[Session]:
    """Cancel a session (or it and the rest of its series), keeping it for calendars."""
    if not reason.strip():
        raise RuleViolation(_l("Say why the session is cancelled."), "reason")
    if session.status != SessionStatus.SCHEDULED:
        raise RuleViolation(_l("Only a scheduled session can be cancelled."))
    targets = [session] if scope == "this" else series_siblings_from(session)
    for target in targets:
        target.status = SessionStatus.CANCELLED
        target.cancel_reason = reason.strip()
        target.cancelled_dt = clock.now()
        target.sequence += 1
    db.session.flush()
    for target in targets:
        record_event(actor, "session.cancel", target, target.ward, {"reason": reason.strip()})
        session_cancelled.send(target, actor=actor, reason=reason)
    return targets


def mark_held(actor: User, session: Session, headcount: int) -> Session:
    """Record that a past session took place and how many came."""
    if session.is_cancelled:
        raise RuleViolation(_l("A cancelled session cannot be marked as held."))
    if session.starts_dt > clock.now():
        raise RuleViolation(_l("A session can be marked as held once it has started."))
    if headcount < 0 or headcount > 1000:
        raise RuleViolation(_l("Enter a number from 0 to 1,000."), "headcount")
    if session.status == SessionStatus.HELD and session.headcount == headcount:
        return session
    session.status = SessionStatus.HELD
    session.headcount = headcount
    db.session.flush()
    record_event(actor, "session.held", session, session.ward, {"headcount": headcount})
    return session
