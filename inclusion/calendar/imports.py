"""Sessions planned elsewhere, imported from an .ics file: preview first, then create.

Every event is checked by the same ``create_session`` that staff use, inside a savepoint
that is rolled back: the preview shows exactly what confirming will do. An event comes
in once per ward, known by its UID (and start, for each occurrence of a repeating one).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import icalendar
import sqlalchemy as sa
from dateutil.rrule import rrulestr
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from inclusion import clock
from inclusion.audit.services import record_event
from inclusion.auth.models import User
from inclusion.calendar.models import CalendarImport
from inclusion.db import lock_row, utcnow
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.sessions.models import SESSION_KIND_LABELS, Session, SessionKind
from inclusion.sessions.services import SessionDraft, create_session
from inclusion.venues.models import Venue
from inclusion.wards.models import Ward

MAX_EVENTS = 500
#: A consultation from another calendar has no slots of its own: half an hour each.
IMPORTED_SLOT_MINUTES = 30
#: Repeating events are expanded this far ahead.
HORIZON_DAYS = 365


@dataclass
class ImportRow:
    uid: str
    title: str
    starts: datetime | None = None
    ends: datetime | None = None
    venue: Venue | None = None
    draft: SessionDraft | None = None
    #: Why it will not be created; empty when it will be.
    problem: str = ""
    duplicate: bool = False

    @property
    def ok(self) -> bool:
        return not self.problem and not self.duplicate


@dataclass
class ImportPlan:
    rows: list[ImportRow] = field(default_factory=list)

    @property
    def new(self) -> list[ImportRow]:
        return [row for row in self.rows if row.ok]

    @property
    def duplicates(self) -> list[ImportRow]:
        return [row for row in self.rows if row.duplicate]

    @property
    def problems(self) -> list[ImportRow]:
        return [row for row in self.rows if row.problem]


def read_calendar(content: bytes) -> str:
    """The file as text, or a RuleViolation saying why it is not an iCalendar file."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RuleViolation(_l("The file is not UTF-8 text, as .ics files are."), "file") from None
    if not _occurrences(_parse(text)):
        raise RuleViolation(_l("The file holds no events within a year of today."), "file")
    return text


def _parse(text: str) -> icalendar.Calendar:
    if not text.lstrip().startswith("BEGIN:VCALENDAR"):
        raise RuleViolation(_l("The file is not an iCalendar (.ics) file."), "file")
    try:
        return icalendar.Calendar.from_ical(text)
    except ValueError as error:
        raise _unreadable(error) from None


def _unreadable(error: Exception) -> RuleViolation:
    return RuleViolation(
        _l("The file could not be read as iCalendar: %(reason)s", reason=str(error)[:200]), "file"
    )


def _occurrences(calendar: icalendar.Calendar) -> list[icalendar.Event]:
    """Every event, repeating ones expanded, or a RuleViolation saying what is wrong."""
    today = clock.today()
    # Past occurrences too: the session rules then say why they cannot be created.
    earliest = today - timedelta(days=HORIZON_DAYS)
    latest = today + timedelta(days=HORIZON_DAYS)
    too_many = RuleViolation(
        _l("A file may hold at most %(count)d events.", count=MAX_EVENTS), "file"
    )
    try:
        if _repeats_within(calendar, earliest, latest) > MAX_EVENTS:
            raise too_many
        # Imported here: a few MiB that only an import needs, not every web worker.
        import recurring_ical_events

        occurrences = recurring_ical_events.of(calendar).between(earliest, latest)
    except RuleViolation:
        raise
    except KeyError as missing:  # the library needs DTSTART on every event
        raise RuleViolation(
            _l("An event in the file has no %(field)s.", field=str(missing).strip("'")), "file"
        ) from None
    except ValueError as error:  # e.g. a repeat rule it cannot read
        raise _unreadable(error) from None
    if len(occurrences) > MAX_EVENTS:
        raise too_many
    return occurrences


def _repeats_within(calendar: icalendar.Calendar, earliest: date, latest: date) -> int:
    """How many times the file's repeat rules fall in the window, counted one by one and
    only up to the cap: a rule repeating every second is refused in a moment, before any
    library expands it (which took minutes and gigabytes)."""
    counted = 0
    for event in calendar.walk("VEVENT"):
        if "RRULE" not in event or "DTSTART" not in event:
            continue
        start = event["DTSTART"].dt
        if not isinstance(start, datetime):
            start = datetime.combine(start, time.min)
        window = [datetime.combine(day, time.min, tzinfo=start.tzinfo)
                  for day in (earliest, latest)]  # fmt: skip
        for rule in event.get("RRULE") if isinstance(event["RRULE"], list) else [event["RRULE"]]:
            text = rule.to_ical().decode()
            repeat = rrulestr(text, dtstart=start, ignoretz=start.tzinfo is None)
            for moment in repeat.xafter(window[0], inc=True):
                if moment >= window[1] or counted > MAX_EVENTS:
                    break
                counted += 1
    return counted


def store(actor: User, ward: Ward, venue: Venue, filename: str, text: str) -> CalendarImport:
    upload = CalendarImport(
        ward_id=ward.id, venue_id=venue.id, user_id=actor.id, filename=filename[:200], content=text
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def plan(actor: User, upload: CalendarImport) -> ImportPlan:
    """What confirming would create, checked by the real rules and then rolled back."""
    result = _rows(upload)
    _check(actor, upload, result)
    return result


def confirm(actor: User, upload: CalendarImport) -> ImportPlan:
    """Create the new sessions (once per file); rows refused now are reported, not created."""
    lock_row(CalendarImport, upload.id)
    db.session.refresh(upload)
    if upload.imported_dt is not None:
        raise RuleViolation(_l("This file has already been imported."))
    result = _rows(upload)
    _check(actor, upload, result, keep=True)
    upload.imported_dt = utcnow()
    upload.created_count = len(result.new)
    record_event(
        actor,
        "calendar.import",
        upload,
        upload.ward,
        {"file": upload.filename, "created": len(result.new)},
    )
    return result


def _rows(upload: CalendarImport) -> ImportPlan:
    calendar = _parse(upload.content)
    venues = db.session.scalars(
        sa.select(Venue).where(Venue.ward_id == upload.ward_id, Venue.is_active)
    ).all()
    default_venue = db.session.get(Venue, upload.venue_id)
    occurrences = _occurrences(calendar)
    per_uid = Counter(str(component.get("UID", "")) for component in occurrences)
    rows = [
        _row(component, venues, default_venue, per_uid[str(component.get("UID", ""))] > 1)
        for component in occurrences
    ]
    result = ImportPlan(rows=sorted(rows, key=lambda row: (row.starts is None, row.starts)))
    known = set(
        db.session.scalars(
            sa.select(Session.import_uid).where(
                Session.ward_id == upload.ward_id,
                Session.import_uid.in_([row.uid for row in result.rows]),
            )
        )
    )
    for row in result.rows:
        row.duplicate = row.uid in known
    return result


def _row(
    component: icalendar.Event, venues: list[Venue], default_venue: Venue, repeats: bool
) -> ImportRow:
    """One event (or one occurrence of a repeating one) as a session to create, or why not."""
    uid = str(component.get("UID", "")).strip()
    title = str(component.get("SUMMARY", "")).strip()
    row = ImportRow(uid=uid, title=title)
    if not uid:
        row.problem = str(_l("The event has no UID, so it could be imported twice."))
        return row
    try:
        start, end = component.start, component.end
    except ValueError:  # icalendar's IncompleteComponent and InvalidCalendar
        row.problem = str(_l("The event has no start time."))
        return row
    if not isinstance(start, datetime):
        row.problem = str(_l("All-day events cannot become sessions: give a start time."))
        return row
    row.starts, row.ends = _local(start), _local(end)
    if repeats:  # each occurrence of a repeating event comes in once
        row.uid = f"{uid}#{row.starts:%Y%m%dT%H%M}"
    if str(component.get("STATUS", "")).upper() == "CANCELLED":
        row.problem = str(_l("Cancelled in the file."))
        return row
    if row.starts.date() != row.ends.date():
        row.problem = str(_l("The event runs over more than one day."))
        return row
    if not title:
        row.problem = str(_l("The event has no title (SUMMARY)."))
        return row
    row.venue = _venue(str(component.get("LOCATION", "")), venues) or default_venue
    kind = _kind(component)
    row.draft = SessionDraft(
        venue=row.venue,
        kind=kind,
        slot_minutes=IMPORTED_SLOT_MINUTES if kind == SessionKind.CONSULTATION else None,
        title=title[:200],
        day=row.starts.date(),
        starts_time=row.starts.time().replace(second=0, microsecond=0),
        ends_time=row.ends.time().replace(second=0, microsecond=0),
        description=str(component.get("DESCRIPTION", ""))[:2000],
    )
    return row


def _local(moment: datetime) -> datetime:
    """A time in the file as local wall-clock time; a floating time is taken as local."""
    if moment.tzinfo is None:
        return moment
    return clock.to_local(moment).replace(tzinfo=None)


def _venue(location: str, venues: list[Venue]) -> Venue | None:
    """The ward's venue whose name the LOCATION starts with (the longest name wins)."""
    matches = [venue for venue in venues if location.startswith(venue.name)]
    return max(matches, key=lambda venue: len(venue.name)) if matches else None


def _kind(component: icalendar.Event) -> SessionKind:
    """Our own kinds come back from our feeds as CATEGORIES (in Japanese); otherwise a class."""
    names = {str(name) for name in component.categories}
    with force_locale("ja"):
        for kind, label in SESSION_KIND_LABELS.items():
            if kind.value in names or str(label) in names:
                return kind
    return SessionKind.CLASS


def _check(actor: User, upload: CalendarImport, result: ImportPlan, keep: bool = False) -> None:
    """Run each new row through ``create_session`` in a savepoint; keep it only if asked."""
    for row in result.new:
        savepoint = db.session.begin_nested()
        try:
            session = create_session(actor, row.draft)
            session.import_uid = row.uid
            db.session.flush()
        except RuleViolation as violation:
            savepoint.rollback()
            row.problem = str(violation)
            continue
        except IntegrityError:
            savepoint.rollback()
            row.duplicate = True
            continue
        if keep:
            savepoint.commit()
        else:
            savepoint.rollback()
