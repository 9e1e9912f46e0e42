"""Data at the programme's real scale, for benchmarks and load tests.

``national``: 23 wards, 500,000 sessions over two fiscal years, about 5,000,000 bookings,
500,000 residents, 20,000 volunteers; ``ward``: one ward's worth (Shibuya). Rows are
written in bulk (executemany in chunks, explicit ids), never through the services: the
figures are made up, only their shape is real. Safe to run once per database.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, time, timedelta

import sqlalchemy as sa

from inclusion import clock
from inclusion.auth.models import Role, User
from inclusion.extensions import db
from inclusion.residents.bookings import follow_up_due_on
from inclusion.residents.models import (
    Booking,
    BookingSource,
    BookingStatus,
    FollowUp,
    FollowUpAnswer,
    ReminderChannel,
    Resident,
)
from inclusion.sessions.models import Session, SessionKind, SessionStatus
from inclusion.venues.models import Venue, VenueKind
from inclusion.volunteers.models import (
    Shift,
    ShiftRole,
    ShiftStatus,
    TrainingLevel,
    TrainingRecord,
    VolunteerProfile,
    volunteer_wards,
)
from inclusion.wards.models import Ward

CHUNK = 10_000
VENUES_PER_WARD = 40
#: Start times of the day's sessions, local.
HOURS = (10, 13, 15)
CLASS_SEATS = 13
CONSULTATION_SLOTS = 6
#: Marks the venues this module made, so it runs once.
VENUE_PREFIX = "規模検証会館"
#: Not a password anyone can use: scale accounts never log in.
NO_LOGIN = "!scale-data"


@dataclass(frozen=True)
class Scale:
    wards: int
    sessions: int
    residents: int
    volunteers: int


SCALES = {
    "ward": Scale(wards=1, sessions=5_000, residents=5_000, volunteers=200),
    "national": Scale(wards=23, sessions=500_000, residents=500_000, volunteers=20_000),
}


CAPACITY = {
    SessionKind.CLASS: CLASS_SEATS,
    SessionKind.CONSULTATION: CONSULTATION_SLOTS,
    SessionKind.SALON: 30,
}


def _kind(number: int) -> SessionKind:
    """One in ten a salon, two in ten consultations, the rest classes."""
    if number % 10 == 0:
        return SessionKind.SALON
    return SessionKind.CONSULTATION if number % 5 == 1 else SessionKind.CLASS


def _status(number: int, over: bool) -> SessionStatus:
    """Past sessions were held, one in twenty cancelled; the rest are still to come."""
    if not over:
        return SessionStatus.SCHEDULED
    return SessionStatus.CANCELLED if number % 20 == 7 else SessionStatus.HELD


class AlreadyFilled(Exception):
    """This database already holds scale data."""


def _chunks(rows: Iterator[dict], size: int = CHUNK) -> Iterator[list[dict]]:
    chunk: list[dict] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _next_id(model) -> int:
    return (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1


def _write(table, rows: Iterator[dict], advance: Callable[[int], None]) -> int:
    written = 0
    for chunk in _chunks(rows):
        db.session.execute(sa.insert(table), chunk)
        written += len(chunk)
        advance(len(chunk))
    return written


def _reset_sequences(*models) -> None:
    """Explicit ids leave PostgreSQL's sequences behind; move them past the rows."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        table = model.__table__.name
        db.session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )


def fill(name: str, advance: Callable[[int], None] = lambda _count: None) -> dict[str, int]:
    """Write a scale's rows; ``advance`` is told how many rows each chunk held."""
    scale = SCALES[name]
    if db.session.scalar(sa.select(Venue.id).where(Venue.name.startswith(VENUE_PREFIX)).limit(1)):
        raise AlreadyFilled(name)
    wards = db.session.scalars(sa.select(Ward).order_by(Ward.code)).all()
    wards = [ward for ward in wards if ward.slug == "shibuya"] if scale.wards == 1 else wards
    for ward in wards:  # made up, as every name here; reminders need a number to call
        ward.booking_phone = ward.booking_phone or f"03-5550-{ward.code[:4]}"
    now = clock.now()
    this_year = clock.fiscal_year(clock.today())
    first_day = date(this_year - 1, 4, 1)
    span_days = (date(this_year + 1, 3, 31) - first_day).days + 1
    counts: dict[str, int] = {}

    venue_id = _next_id(Venue)
    venues = {ward.id: list(range(venue_id + index * VENUES_PER_WARD,
                                  venue_id + (index + 1) * VENUES_PER_WARD))
              for index, ward in enumerate(wards)}  # fmt: skip
    counts["venues"] = _write(Venue.__table__, (
        {"id": vid, "ward_id": ward.id, "name": f"{VENUE_PREFIX}{number + 1}",
         "kind": VenueKind.COMMUNITY_CENTRE.value, "address": f"{ward.name_ja}1-{number + 1}",
         "has_step_free_access": True, "has_lift": number % 2 == 0, "has_hearing_loop": False,
         "access_notes": "", "default_capacity": CLASS_SEATS, "is_active": True,
         "created_dt": now, "updated_dt": now}
        for ward in wards for number, vid in enumerate(venues[ward.id])
    ), advance)  # fmt: skip

    per_ward = math.ceil(scale.sessions / len(wards))
    slots_per_day = VENUES_PER_WARD * len(HOURS)
    step = max(1, span_days // math.ceil(per_ward / slots_per_day))
    session_id = _next_id(Session)

    def session_rows() -> Iterator[dict]:
        for index, ward in enumerate(wards):
            for number in range(per_ward):
                day = first_day + timedelta(days=(number // slots_per_day) * step)
                hour = HOURS[(number // VENUES_PER_WARD) % len(HOURS)]
                starts = clock.to_utc(day, time(hour))
                kind = _kind(number)
                status = _status(number, starts + timedelta(minutes=90) <= now)
                cancelled = status == SessionStatus.CANCELLED
                yield {
                    "id": session_id + index * per_ward + number,
                    "ward_id": ward.id,
                    "venue_id": venues[ward.id][number % VENUES_PER_WARD],
                    "kind": kind.value,
                    "title": f"{kind.label} {number % 50 + 1}",
                    "level": "beginner",
                    "description": "",
                    "room": "",
                    "starts_dt": starts,
                    "ends_dt": starts + timedelta(minutes=90),
                    "capacity": CAPACITY[kind],
                    "slot_minutes": 15 if kind == SessionKind.CONSULTATION else None,
                    "lead_needed": 1,
                    "assistants_needed": 2,
                    "has_device_loan": number % 3 == 0,
                    "status": status.value,
                    "cancel_reason": "規模検証" if cancelled else "",
                    "cancelled_dt": now if cancelled else None,
                    "headcount": 15
                    if kind == SessionKind.SALON and status == SessionStatus.HELD
                    else None,
                    "sequence": 0,
                    "created_dt": now,
                    "updated_dt": now,
                }

    sessions = list(session_rows())
    counts["sessions"] = _write(Session.__table__, iter(sessions), advance)

    residents_per_ward = scale.residents // len(wards)
    resident_id = _next_id(Resident)
    counts["residents"] = _write(Resident.__table__, (
        {"id": resident_id + index * residents_per_ward + number, "ward_id": ward.id,
         "family_name": "検証", "given_name": f"{number}", "family_kana": "ケンショウ",
         "given_kana": "イチロウ", "kana_key": f"ケンショウ{number}",
         "birth_year": 1935 + number % 45, "reminder_channel": ReminderChannel.VOICE.value,
         "needs": "", "proxy_name": "", "proxy_relation": "", "proxy_gets_reminders": False,
         "created_dt": now, "updated_dt": now}
        for index, ward in enumerate(wards) for number in range(residents_per_ward)
    ), advance)  # fmt: skip

    ward_index = {ward.id: index for index, ward in enumerate(wards)}
    first_seen: dict[int, date] = {}

    def booking_rows() -> Iterator[dict]:
        booking_id = _next_id(Booking)
        for number, session in enumerate(sessions):
            kind = session["kind"]
            if kind == SessionKind.SALON.value or session["status"] == SessionStatus.CANCELLED:
                continue
            seats = CONSULTATION_SLOTS if kind == SessionKind.CONSULTATION.value else CLASS_SEATS
            base = resident_id + ward_index[session["ward_id"]] * residents_per_ward
            past = session["status"] == SessionStatus.HELD.value
            for place in range(1, seats + 1):
                person = base + (number * 7 + place * 131) % residents_per_ward
                came = past and (number + place) % 10 != 0
                status = (BookingStatus.ATTENDED if came else BookingStatus.NO_SHOW if past
                          else BookingStatus.BOOKED)  # fmt: skip
                if came:
                    day = clock.to_local(session["starts_dt"]).date()
                    first_seen[person] = min(first_seen.get(person, day), day)
                yield {"id": booking_id, "session_id": session["id"], "resident_id": person,
                       "ward_id": session["ward_id"], "status": status.value, "place": place,
                       "source": BookingSource.PHONE.value, "cancel_reason": "",
                       "created_dt": now, "updated_dt": now}  # fmt: skip
                booking_id += 1

    counts["bookings"] = _write(Booking.__table__, booking_rows(), advance)

    answers = (FollowUpAnswer.YES, FollowUpAnswer.YES, FollowUpAnswer.YES, FollowUpAnswer.NO,
               FollowUpAnswer.UNKNOWN, None)  # fmt: skip
    ward_of = {resident_id + index * residents_per_ward + n: ward.id
               for index, ward in enumerate(wards) for n in range(residents_per_ward)}  # fmt: skip
    counts["follow_ups"] = _write(FollowUp.__table__, (
        {"resident_id": person, "ward_id": ward_of[person], "first_attended_on": day,
         "due_on": follow_up_due_on(day), "procedure": "", "note": "",
         "answer": (answer.value if (answer := answers[person % len(answers)])
                    and follow_up_due_on(day) <= clock.today() else None)}
        for person, day in first_seen.items()
    ), advance)  # fmt: skip

    user_id = _next_id(User)
    volunteers = list(range(user_id, user_id + scale.volunteers))
    counts["volunteers"] = _write(User.__table__, (
        {"id": uid, "email": f"scale{uid}@volunteers.example.jp", "password_hash": NO_LOGIN,
         "display_name": f"検証 支援員{uid}", "role": Role.VOLUNTEER.value, "is_active": True,
         "created_dt": now, "updated_dt": now}
        for uid in volunteers
    ), advance)  # fmt: skip
    _write(VolunteerProfile.__table__, (
        {"user_id": uid, "name_kana": "ケンショウ", "wants_sms": False, "skills": [],
         "languages": "", "availability_notes": "", "is_paused": False,
         "created_dt": now, "updated_dt": now}
        for uid in volunteers
    ), advance)  # fmt: skip
    _write(volunteer_wards, (
        {"user_id": uid, "ward_id": wards[number % len(wards)].id}
        for number, uid in enumerate(volunteers)
    ), advance)  # fmt: skip
    window = (date(this_year + 2, 3, 31) - date(this_year, 4, 1)).days
    _write(TrainingRecord.__table__, (
        {"user_id": uid, "course": "デジタル活用支援員養成講座",
         "level": TrainingLevel.ASSISTANT.value,
         "completed_on": date(this_year - 1, 4, 1) + timedelta(days=number * 7 % (window + 365)),
         "certificate_ref": "", "created_dt": now}
        for number, uid in enumerate(volunteers)
    ), advance)  # fmt: skip

    by_ward = {ward.id: [uid for n, uid in enumerate(volunteers) if n % len(wards) == index]
               for index, ward in enumerate(wards)}  # fmt: skip
    counts["shifts"] = _write(Shift.__table__, (
        {"session_id": session["id"], "user_id": helpers[number % len(helpers)],
         "role": ShiftRole.LEAD.value, "slot_number": 1,
         "status": (ShiftStatus.ATTENDED if session["status"] == SessionStatus.HELD.value
                    else ShiftStatus.CLAIMED).value, "claimed_dt": now}
        for number, session in enumerate(sessions)
        if session["status"] != SessionStatus.CANCELLED.value
        and (helpers := by_ward[session["ward_id"]])
    ), advance)  # fmt: skip
    _reset_sequences(Venue, Session, Resident, Booking, FollowUp, User, TrainingRecord, Shift)
    db.session.commit()
    # Millions of rows at once: the planner's statistics are counted now (SQLite keeps
    # none by itself; PostgreSQL's autovacuum would get there later).
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    return counts


def expected_rows(name: str) -> int:
    """Roughly how many rows ``fill`` writes, for a progress bar."""
    scale = SCALES[name]
    return (scale.sessions * 12 + scale.residents + scale.volunteers * 4
            + VENUES_PER_WARD * scale.wards)  # fmt: skip
