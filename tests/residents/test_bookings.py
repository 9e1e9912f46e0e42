"""Bookings: seats, slots, the waiting list, overlaps, attendance and follow-up."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from inclusion import clock
from inclusion.audit.models import AuditLog
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.residents import bookings
from inclusion.residents.models import BookingSource, BookingStatus, FollowUp, FollowUpAnswer
from inclusion.residents.signals import (
    booking_cancelled,
    booking_created,
    booking_promoted,
    session_attendance_recorded,
)
from inclusion.sessions import services as session_services
from inclusion.sessions.models import SessionKind, SessionStatus
from tests import factories

PHONE = BookingSource.PHONE


@pytest.fixture
def venue(shibuya):
    return factories.make_venue(shibuya)


@pytest.fixture
def full_class(venue):
    return factories.make_session(venue, capacity=2)


def residents(ward, count: int):
    return [factories.make_resident(ward) for _ in range(count)]


def refused(*args, **kwargs) -> RuleViolation:
    with pytest.raises(RuleViolation) as refusal:
        bookings.book_resident(*args, **kwargs)
    return refusal.value


def test_seats_then_waiting_list_in_order(shibuya, users, full_class):
    people = residents(shibuya, 4)
    created = []
    with booking_created.connected_to(lambda booking, **kw: created.append(booking)):
        made = [bookings.book_resident(users["ward_staff"], r, full_class, PHONE) for r in people]
    assert [(b.status, b.place) for b in made] == [
        (BookingStatus.BOOKED, 1),
        (BookingStatus.BOOKED, 2),
        (BookingStatus.WAITLISTED, None),
        (BookingStatus.WAITLISTED, None),
    ]
    assert created == made
    assert [bookings.waitlist_position(b) for b in made] == [None, None, 1, 2]
    actions = db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["booking.create"] * 2 + ["booking.waitlist"] * 2


def test_cancelling_a_seat_promotes_the_first_waiting(shibuya, users, full_class):
    first, second, third, fourth = [
        bookings.book_resident(users["ward_staff"], r, full_class, PHONE)
        for r in residents(shibuya, 4)
    ]
    promoted, cancelled = [], []
    with (
        booking_promoted.connected_to(lambda booking, **kw: promoted.append(booking)),
        booking_cancelled.connected_to(lambda booking, **kw: cancelled.append(kw["promoted"])),
    ):
        moved_up = bookings.cancel_booking(None, second, "pressed 2 on the reminder call")
    assert moved_up is third and promoted == [third] and cancelled == [third]
    assert (third.status, third.place, third.promoted_dt is not None) == (
        BookingStatus.BOOKED,
        2,
        True,
    )
    assert bookings.waitlist_position(fourth) == 1
    # Leaving the waiting list frees no seat: nobody moves.
    assert bookings.cancel_booking(users["ward_staff"], fourth) is None
    assert second.cancel_reason == "pressed 2 on the reminder call"
    with pytest.raises(RuleViolation):
        bookings.cancel_booking(users["ward_staff"], second)
    assert first.status == BookingStatus.BOOKED


def test_consultation_slots(shibuya, users, venue):
    start = datetime.now(UTC).replace(microsecond=0, second=0) + timedelta(days=2)
    consultation = factories.make_session(
        venue,
        starts_dt=start,
        hours=1.5,
        kind=SessionKind.CONSULTATION,
        capacity=3,
        slot_minutes=30,
    )
    a, b, c, d = residents(shibuya, 4)
    second_slot = bookings.book_resident(users["ward_staff"], a, consultation, PHONE, place=2)
    assert second_slot.place == 2
    assert bookings.place_times(consultation, 2) == (
        start + timedelta(minutes=30),
        start + timedelta(minutes=60),
    )
    assert refused(users["ward_staff"], b, consultation, PHONE, place=2).field == "place"
    assert refused(users["ward_staff"], b, consultation, PHONE, place=4).field == "place"
    assert bookings.book_resident(users["ward_staff"], b, consultation, PHONE).place == 1
    assert bookings.book_resident(users["ward_staff"], c, consultation, PHONE, place=3).place == 3
    # Full: even a chosen slot goes on the waiting list.
    waiting = bookings.book_resident(users["ward_staff"], d, consultation, PHONE, place=1)
    assert waiting.status == BookingStatus.WAITLISTED
    assert bookings.free_places(consultation) == []


def test_salons_past_and_cancelled_sessions_take_no_booking(shibuya, shinagawa, users, venue):
    person = factories.make_resident(shibuya)
    salon = factories.make_session(venue, kind=SessionKind.SALON)
    started = factories.make_session(venue, starts_dt=clock.now() - timedelta(minutes=5))
    cancelled = factories.make_session(
        venue, starts_dt=clock.now() + timedelta(days=5), status=SessionStatus.CANCELLED
    )
    for session in (salon, started, cancelled):
        assert str(refused(users["ward_staff"], person, session, PHONE))
    elsewhere = factories.make_session(factories.make_venue(shinagawa))
    assert str(refused(users["admin"], person, elsewhere, PHONE))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(bookings.Booking)) == 0


def test_no_two_bookings_at_once_waiting_counts(shibuya, users, venue):
    person, other = residents(shibuya, 2)
    start = clock.now().replace(microsecond=0) + timedelta(days=3)
    morning = factories.make_session(venue, starts_dt=start, hours=2, capacity=1)
    venue2 = factories.make_venue(shibuya)
    overlapping = factories.make_session(venue2, starts_dt=start + timedelta(hours=1))
    later = factories.make_session(venue2, starts_dt=start + timedelta(hours=2))
    bookings.book_resident(users["ward_staff"], other, morning, PHONE)
    waiting = bookings.book_resident(users["ward_staff"], person, morning, PHONE)
    assert waiting.status == BookingStatus.WAITLISTED
    assert morning.title in str(refused(users["ward_staff"], person, overlapping, PHONE))
    assert bookings.book_resident(users["ward_staff"], person, later, PHONE).place == 1
    with force_locale("en"):
        assert str(refused(users["ward_staff"], person, morning, PHONE)) == (
            "This resident is already on the waiting list."
        )


def test_consultation_slots_of_one_session_do_not_overlap_other_slots(shibuya, users, venue):
    """Two consultations side by side: slot 1 of one and slot 2 of the other do not clash."""
    person = factories.make_resident(shibuya)
    start = clock.now().replace(microsecond=0, second=0) + timedelta(days=4)
    first = factories.make_session(
        venue, starts_dt=start, hours=1, kind=SessionKind.CONSULTATION, capacity=2, slot_minutes=30
    )
    other_room = factories.make_session(
        factories.make_venue(shibuya),
        starts_dt=start,
        hours=1,
        kind=SessionKind.CONSULTATION,
        capacity=2,
        slot_minutes=30,
    )
    bookings.book_resident(users["ward_staff"], person, first, PHONE, place=1)
    assert (
        bookings.book_resident(users["ward_staff"], person, other_room, PHONE, place=2).place == 2
    )
    assert refused(users["ward_staff"], factories.make_resident(shibuya), first, PHONE, place=1)


def test_cancelling_the_session_cancels_its_bookings(shibuya, users, full_class):
    made = [
        bookings.book_resident(users["ward_staff"], r, full_class, PHONE)
        for r in residents(shibuya, 3)
    ]
    told = []
    with booking_cancelled.connected_to(lambda booking, **kw: told.append(kw["reason"])):
        session_services.cancel_session(users["ward_staff"], full_class, "台風のため")
    assert {b.status for b in made} == {BookingStatus.CANCELLED}
    assert told == ["session cancelled"] * 3


def change_capacity(actor, session, capacity):
    start = clock.to_local(session.starts_dt)
    draft = session_services.SessionDraft(
        venue=session.venue,
        kind=session.kind,
        title=session.title,
        day=start.date(),
        starts_time=start.time(),
        ends_time=clock.to_local(session.ends_dt).time(),
        capacity=capacity,
        slot_minutes=session.slot_minutes,
        lead_needed=session.lead_needed,
        assistants_needed=session.assistants_needed,
    )
    return session_services.update_session(actor, session, draft)


def test_capacity_cannot_drop_below_bookings_and_growth_promotes(shibuya, users, venue):
    session = factories.make_session(venue, capacity=3)
    a, b, c, d = [
        bookings.book_resident(users["ward_staff"], r, session, PHONE)
        for r in residents(shibuya, 4)
    ]
    bookings.cancel_booking(users["ward_staff"], a)  # d moves up into seat 1
    assert (d.status, d.place) == (BookingStatus.BOOKED, 1)
    with pytest.raises(RuleViolation) as too_small:
        change_capacity(users["ward_staff"], session, 2)
    assert too_small.value.field == "capacity"
    db.session.rollback()


def test_capacity_growth_promotes_and_shrinking_renumbers(shibuya, users, venue):
    session = factories.make_session(venue, capacity=3)
    made = [
        bookings.book_resident(users["ward_staff"], r, session, PHONE)
        for r in residents(shibuya, 4)
    ]
    bookings.cancel_booking(users["ward_staff"], made[0])  # made[3] takes seat 1
    bookings.cancel_booking(users["ward_staff"], made[1])  # seat 2 free; seats 1, 3 taken
    change_capacity(users["ward_staff"], session, 2)
    db.session.expire_all()
    assert sorted(b.place for b in made if b.status == BookingStatus.BOOKED) == [1, 2]
    waiting = bookings.book_resident(
        users["ward_staff"], factories.make_resident(shibuya), session, PHONE
    )
    assert waiting.status == BookingStatus.WAITLISTED
    change_capacity(users["ward_staff"], session, 3)
    assert (waiting.status, waiting.place) == (BookingStatus.BOOKED, 3)


def test_a_booked_consultation_keeps_its_slot_length(shibuya, users, venue):
    session = factories.make_session(
        venue, hours=1, kind=SessionKind.CONSULTATION, capacity=2, slot_minutes=30
    )
    bookings.book_resident(users["ward_staff"], factories.make_resident(shibuya), session, PHONE)
    start = clock.to_local(session.starts_dt)
    draft = session_services.SessionDraft(
        venue=venue,
        kind=SessionKind.CONSULTATION,
        title=session.title,
        day=start.date(),
        starts_time=start.time(),
        ends_time=clock.to_local(session.ends_dt).time(),
        slot_minutes=20,
    )
    with pytest.raises(RuleViolation) as refusal:
        session_services.update_session(users["ward_staff"], session, draft)
    assert refusal.value.field == "slot_minutes"


def past_class(venue, days_ago: int = 0, **fields):
    starts = clock.now().replace(microsecond=0) - timedelta(days=days_ago, minutes=30)
    return factories.make_session(venue, starts_dt=starts, capacity=2, **fields)


def test_attendance_marks_the_session_held_and_starts_the_follow_up(shibuya, users, venue):
    session = past_class(venue)
    a, b = residents(shibuya, 2)
    came = factories.make_booking(session, a, place=1)
    absent = factories.make_booking(session, b, place=2)
    signals = []
    with session_attendance_recorded.connected_to(lambda s, **kw: signals.append(kw["attended"])):
        bookings.record_attendance(users["ward_staff"], came, True)
        bookings.record_attendance(users["ward_staff"], absent, False)
    assert (session.status, session.headcount) == (SessionStatus.HELD, 1)
    assert signals == [1, 1]
    follow_up = db.session.scalar(sa.select(FollowUp).where(FollowUp.resident_id == a.id))
    first_day = clock.to_local(session.starts_dt).date()
    assert follow_up.first_attended_on == first_day
    assert db.session.scalar(sa.select(FollowUp).where(FollowUp.resident_id == b.id)) is None
    # A correction takes the follow-up away again while it is unanswered.
    bookings.record_attendance(users["ward_staff"], came, False)
    assert db.session.scalar(sa.select(FollowUp).where(FollowUp.resident_id == a.id)) is None
    assert session.headcount == 0


def test_attendance_before_the_start_is_refused(shibuya, users, full_class):
    booking = factories.make_booking(full_class, factories.make_resident(shibuya))
    with pytest.raises(RuleViolation):
        bookings.record_attendance(users["ward_staff"], booking, True)


def test_walk_ins_count_beyond_the_seats(shibuya, users, venue):
    session = past_class(venue)
    a, b, c, waiting_person = residents(shibuya, 4)
    factories.make_booking(session, a, place=1)
    factories.make_booking(session, b, place=2)
    waiting = factories.make_booking(session, waiting_person, status=BookingStatus.WAITLISTED)
    walk_in = bookings.record_walk_in(users["ward_staff"], session, c)
    assert (walk_in.source, walk_in.status, walk_in.place) == (
        BookingSource.WALK_IN,
        BookingStatus.ATTENDED,
        3,
    )
    came_anyway = bookings.record_walk_in(users["ward_staff"], session, waiting_person)
    assert came_anyway is waiting and (waiting.status, waiting.place) == (
        BookingStatus.ATTENDED,
        4,
    )
    assert session.headcount == 2
    tomorrow = factories.make_session(venue, starts_dt=clock.now() + timedelta(days=1, hours=2))
    with pytest.raises(RuleViolation):
        bookings.record_walk_in(users["ward_staff"], tomorrow, a)


@pytest.mark.parametrize(
    ("first", "due"),
    [
        (date(2026, 5, 10), date(2026, 8, 10)),
        (date(2026, 12, 15), date(2027, 3, 15)),  # still in FY2026
        (date(2027, 1, 20), date(2027, 4, 20)),  # due in FY2027: across the boundary
        (date(2026, 11, 30), date(2027, 2, 28)),  # no 30 February: the month's last day
        (date(2027, 11, 30), date(2028, 2, 29)),  # leap year
        (date(2027, 3, 31), date(2027, 6, 30)),
    ],
)
def test_follow_up_due_three_months_later(app, first, due):
    assert bookings.follow_up_due_on(first) == due


def test_follow_up_is_due_from_the_first_attended_session(shibuya, users, venue):
    person = factories.make_resident(shibuya)
    later = past_class(venue, days_ago=10)
    earlier = past_class(venue, days_ago=40)
    bookings.record_attendance(users["ward_staff"], factories.make_booking(later, person), True)
    bookings.record_attendance(users["ward_staff"], factories.make_booking(earlier, person), True)
    follow_up = db.session.scalar(sa.select(FollowUp))
    assert follow_up.first_attended_on == clock.to_local(earlier.starts_dt).date()
    assert follow_up.due_on == bookings.follow_up_due_on(follow_up.first_attended_on)
    with pytest.raises(RuleViolation) as refusal:
        bookings.record_follow_up(users["ward_staff"], follow_up, FollowUpAnswer.YES)
    assert refusal.value.field == "procedure"
    bookings.record_follow_up(users["ward_staff"], follow_up, FollowUpAnswer.YES, "e-Tax")
    assert follow_up.answered_dt is not None
    # An answered follow-up is kept as it is.
    bookings.sync_follow_up(person.id, shibuya.id)
    assert follow_up.answer == FollowUpAnswer.YES


def test_a_newcomer_never_takes_a_seat_someone_waits_for(shibuya, users, venue):
    session = factories.make_session(venue, capacity=1)
    waiting = factories.make_booking(
        session, factories.make_resident(shibuya), status=BookingStatus.WAITLISTED
    )
    # A free seat with a queue: rows written around the services, as a crash might leave them.
    newcomer = bookings.book_resident(
        users["ward_staff"], factories.make_resident(shibuya), session, PHONE
    )
    assert (waiting.status, waiting.place) == (BookingStatus.BOOKED, 1)
    assert newcomer.status == BookingStatus.WAITLISTED
