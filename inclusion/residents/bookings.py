"""Bookings: the one place where seats, slots, the waiting list and attendance are decided.

Views, the API, reminders (a resident pressing 2) and the demo all come here. Races
are settled by the database: every change to a session's bookings first takes the
session's row lock (PostgreSQL) or the write lock (SQLite), and the unique indexes on
(session, place) and (session, resident) refuse anything that slips by.
"""

from __future__ import annotations

import enum
import logging
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from inclusion import clock
from inclusion.audit.services import record_event
from inclusion.auth.models import User
from inclusion.db import lock_row
from inclusion.errors import Conflict, RuleViolation
from inclusion.extensions import db
from inclusion.i18n import STORED_TEXTS
from inclusion.residents.models import (
    ACTIVE,
    SEATED,
    Booking,
    BookingSource,
    BookingStatus,
    FollowUp,
    FollowUpAnswer,
    Resident,
)
from inclusion.residents.queries import waitlist_positions
from inclusion.residents.signals import (
    booking_cancelled,
    booking_created,
    booking_promoted,
    session_attendance_recorded,
)
from inclusion.sessions.models import Session, SessionKind, SessionStatus
from inclusion.sessions.signals import session_cancelled, session_changed

log = logging.getLogger(__name__)

#: The reason a booking gives when its whole session was cancelled.
SESSION_CANCELLED = "session cancelled"
#: A resident's 2 (or キャンセル) answering a reminder.
REPLY_CANCELLED = "cancelled on a reminder"
#: A resident cancelling on the ward's phone line.
PHONE_LINE_CANCELLED = "cancelled on the phone line"
STORED_TEXTS.update({
    SESSION_CANCELLED: _l("The session was cancelled."),
    REPLY_CANCELLED: _l("The resident cancelled by answering a reminder."),
    PHONE_LINE_CANCELLED: _l("The resident cancelled on the phone line."),
})  # fmt: skip
#: A follow-up call becomes due this long after the first session a resident attended.
FOLLOW_UP_AFTER = relativedelta(months=3)


# -- times --------------------------------------------------------------------------------


def place_times(session: Session, place: int | None) -> tuple[datetime, datetime]:
    """When a booking's resident is at the venue: their slot, or the whole session."""
    if session.kind != SessionKind.CONSULTATION or place is None or not session.slot_minutes:
        return session.starts_dt, session.ends_dt
    start = session.starts_dt + timedelta(minutes=session.slot_minutes * (place - 1))
    return start, start + timedelta(minutes=session.slot_minutes)


def slot_label(session: Session, place: int) -> str:
    start, end = place_times(session, place)
    return f"{clock.to_local(start):%H:%M}–{clock.to_local(end):%H:%M}"


def _seated_places(session: Session) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(Booking.place).where(
                Booking.session_id == session.id, Booking.status.in_(SEATED)
            )
        )
    )


def free_places(session: Session) -> list[int]:
    """Seats or slots nobody holds, lowest first."""
    taken = _seated_places(session)
    return [place for place in range(1, session.capacity + 1) if place not in taken]


# -- rules --------------------------------------------------------------------------------


def check_bookable(session: Session, resident: Resident) -> None:
    if not session.kind.takes_bookings:
        raise RuleViolation(_l("A drop-in salon takes no bookings: record how many came."))
    if session.ward_id != resident.ward_id:
        raise RuleViolation(_l("This resident is registered in another ward."))
    if resident.is_anonymised:
        raise RuleViolation(_l("This record was anonymised and cannot be booked."))
    if session.status != SessionStatus.SCHEDULED:
        raise RuleViolation(_l("This session is cancelled or over."))


def live_booking(session: Session, resident: Resident) -> Booking | None:
    return db.session.scalar(
        sa.select(Booking).where(
            Booking.session_id == session.id,
            Booking.resident_id == resident.id,
            Booking.status.in_(ACTIVE),
        )
    )


def check_overlap(resident: Resident, session: Session, place: int | None) -> None:
    """A resident holds one booking at a time: waiting for a session counts as holding it."""
    start, end = place_times(session, place)
    candidates = db.session.execute(
        sa.select(Booking, Session)
        .join(Session, Session.id == Booking.session_id)
        .where(
            Booking.resident_id == resident.id,
            Booking.status.in_(ACTIVE),
            Booking.session_id != session.id,
            Session.status != SessionStatus.CANCELLED,
            Session.starts_dt < end,
            Session.ends_dt > start,
        )
    ).all()
    for booking, other in candidates:
        other_start, other_end = place_times(other, booking.place)
        if other_start < end and other_end > start:
            raise Conflict(
                _l(
                    "This resident is already booked for “%(title)s” at %(time)s.",
                    title=other.title,
                    time=clock.to_local(other_start).strftime("%m/%d %H:%M"),
                )
            )


def insert_booking(booking: Booking) -> None:
    try:
        with db.session.begin_nested():
            db.session.add(booking)
            db.session.flush()
    except sa.exc.IntegrityError:
        raise Conflict(_l("That place was just taken. Please try again.")) from None


# -- booking ------------------------------------------------------------------------------


def book_resident(
    actor: User | None,
    resident: Resident,
    session: Session,
    source: BookingSource,
    place: int | None = None,
) -> Booking:
    """Give a resident a seat (class) or slot (consultation), or a place on the waiting list.

    ``place`` picks a consultation slot; without it the first free one is taken. When
    nothing is free the booking joins the waiting list, in order.
    """
    lock_row(Session, session.id)
    lock_row(Resident, resident.id)
    db.session.refresh(session)
    check_bookable(session, resident)
    if session.series is not None and session.series.is_course:
        raise RuleViolation(_l("This session is one date of a course: book the whole course."))
    if session.starts_dt <= clock.now():
        raise RuleViolation(_l("This session has already started."))
    live = live_booking(session, resident)
    if live is not None:
        if live.status == BookingStatus.WAITLISTED:
            raise Conflict(_l("This resident is already on the waiting list."))
        raise Conflict(_l("This resident is already booked for this session."))
    # Whoever waits goes first, even if a seat was freed some other way.
    promote_waitlist(actor, session)
    free = free_places(session)
    if session.kind == SessionKind.CONSULTATION and place is not None:
        if not 1 <= place <= session.capacity:
            raise RuleViolation(_l("Choose one of the session's slots."), "place")
        if place not in free and free:
            raise Conflict(_l("This slot is taken; choose another."), "place")
        chosen = place if place in free else None
    else:
        chosen = free[0] if free else None
    check_overlap(resident, session, chosen)
    now = clock.now()
    booking = Booking(
        session_id=session.id,
        resident_id=resident.id,
        ward_id=session.ward_id,
        status=BookingStatus.BOOKED if chosen else BookingStatus.WAITLISTED,
        place=chosen,
        source=source,
        queued_dt=None if chosen else now,
        created_by_id=actor.id if actor else None,
    )
    insert_booking(booking)
    record_event(
        actor,
        "booking.create" if chosen else "booking.waitlist",
        session,
        session.ward,
        {"booking": booking.id, "resident": resident.id, "source": source.value},
    )
    booking_created.send(booking, actor=actor)
    log.info(
        "booking %s: resident %s at session %s (%s)",
        booking.id,
        resident.id,
        session.id,
        booking.status.value,
    )
    return booking


def cancel_booking(actor: User | None, booking: Booking, reason: str = "") -> Booking | None:
    """Cancel a booking or leave the waiting list; a freed place goes to the first waiting.

    Returns the booking promoted into the freed place, if any.
    """
    lock_row(Session, booking.session_id)
    db.session.refresh(booking)
    if not booking.is_open:
        raise RuleViolation(_l("Only a booking or a place on the waiting list can be cancelled."))
    had_place = booking.status == BookingStatus.BOOKED
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_dt = clock.now()
    booking.cancel_reason = reason.strip()[:200]
    db.session.flush()
    session = booking.session
    offered = had_place and offers_instead(session, clock.now())
    promoted = promote_waitlist(actor, session) if had_place and not offered else []
    record_event(
        actor,
        "booking.cancel",
        session,
        session.ward,
        {"booking": booking.id, "resident": booking.resident_id, "reason": booking.cancel_reason},
    )
    first = promoted[0] if promoted else None
    booking_cancelled.send(
        booking, actor=actor, reason=booking.cancel_reason, promoted=first, offered=offered
    )
    return first


#: A seat offered to those waiting can be taken until this long before the session.
OFFER_CLOSES_BEFORE = timedelta(hours=1)


def offers_instead(session: Session, now: datetime) -> bool:
    """Whether a seat freed now is offered to everyone waiting (the first to say yes takes
    it) rather than given to the first in line: when the session is near
    (``WAITLIST_OFFER_HOURS``), the first in line may not be able to come at short notice."""
    hours = current_app.config["WAITLIST_OFFER_HOURS"]
    # A course's dates are booked as a whole: its waiting list moves up as a whole.
    in_course = session.series is not None and session.series.is_course
    return (
        bool(hours)
        and not in_course
        and session.status == SessionStatus.SCHEDULED
        and now < session.starts_dt - OFFER_CLOSES_BEFORE
        and session.starts_dt - now <= timedelta(hours=hours)
    )


def offered_now(session: Session, now: datetime) -> bool:
    """Whether a seat of the session is out to everyone waiting now: one is free, and the
    session is near enough that a freed seat is offered rather than given."""
    return offers_instead(session, now) and bool(free_places(session))


class OfferAnswer(enum.StrEnum):
    TAKEN = "taken"
    #: Someone else said yes first: no seat is free.
    GONE = "gone"
    #: Too near the session, or it was cancelled.
    CLOSED = "closed"
    #: Not waiting any more (cancelled, or booked meanwhile).
    NOT_WAITING = "not_waiting"


def take_offer(actor: User | None, booking: Booking) -> OfferAnswer:
    """A waiting resident says yes to a seat offered: theirs if one is still free. Under the
    session's lock, so of two at once the first takes it and the second hears it is gone."""
    lock_row(Session, booking.session_id)
    db.session.refresh(booking)
    session = booking.session
    db.session.refresh(session)
    if booking.status != BookingStatus.WAITLISTED:
        return OfferAnswer.NOT_WAITING
    now = clock.now()
    if session.status != SessionStatus.SCHEDULED or now >= session.starts_dt - OFFER_CLOSES_BEFORE:
        return OfferAnswer.CLOSED
    free = free_places(session)
    if not free:
        return OfferAnswer.GONE
    booking.status, booking.place, booking.promoted_dt = BookingStatus.BOOKED, free[0], now
    db.session.flush()
    details = {"booking": booking.id, "resident": booking.resident_id, "offer": True}
    record_event(actor, "booking.promote", session, session.ward, details)
    booking_promoted.send(booking, actor=actor, offered=True)
    return OfferAnswer.TAKEN


def first_waiting(session: Session) -> Booking | None:
    """Who would move up if a place were freed now (None if nobody would)."""
    if session.status != SessionStatus.SCHEDULED or session.starts_dt <= clock.now():
        return None
    return db.session.scalar(
        sa.select(Booking)
        .options(joinedload(Booking.resident))
        .where(Booking.session_id == session.id, Booking.status == BookingStatus.WAITLISTED)
        .order_by(Booking.queued_dt, Booking.id)
        .limit(1)
    )


def promote_waitlist(actor: User | None, session: Session) -> list[Booking]:
    """Move the first waiting residents into free places; the caller holds the session's lock."""
    if session.status != SessionStatus.SCHEDULED or session.starts_dt <= clock.now():
        return []
    free = free_places(session)
    if not free:
        return []
    waiting = db.session.scalars(
        sa.select(Booking)
        .where(Booking.session_id == session.id, Booking.status == BookingStatus.WAITLISTED)
        .order_by(Booking.queued_dt, Booking.id)
        .limit(len(free))
    ).all()
    now = clock.now()
    for booking, place in zip(waiting, free, strict=False):
        booking.status = BookingStatus.BOOKED
        booking.place = place
        booking.promoted_dt = now
    db.session.flush()
    for booking in waiting:
        record_event(
            actor,
            "booking.promote",
            session,
            session.ward,
            {"booking": booking.id, "resident": booking.resident_id},
        )
        booking_promoted.send(booking, actor=actor)
    return list(waiting)


def waitlist_position(booking: Booking) -> int | None:
    """1 for the first waiting resident; None if the booking is not waiting. A list's
    positions are noted on its bookings beforehand (``queries.with_queue_positions``)."""
    if booking.status != BookingStatus.WAITLISTED:
        return None
    if "queue_position" in vars(booking):
        return booking.queue_position
    return waitlist_positions([booking])[booking.id]


# -- on the day ---------------------------------------------------------------------------


def record_attendance(actor: User | None, booking: Booking, attended: bool) -> Booking:
    """Mark a booked resident as attended or not; the session counts as held with the total."""
    session = booking.session
    lock_row(Session, session.id)
    db.session.refresh(booking)
    if session.is_cancelled:
        raise RuleViolation(_l("This session was cancelled."))
    if session.starts_dt > clock.now():
        raise RuleViolation(_l("Attendance can be recorded once the session has started."))
    if not booking.is_seated:
        raise RuleViolation(
            _l("Only a booked resident can be marked; add someone waiting as a walk-in.")
        )
    status = BookingStatus.ATTENDED if attended else BookingStatus.NO_SHOW
    if booking.status == status:
        return booking
    booking.status = status
    booking.attendance_dt = clock.now()
    db.session.flush()
    _after_attendance(actor, session, booking)
    return booking


def record_walk_in(actor: User | None, session: Session, resident: Resident) -> Booking:
    """Someone came without a seat: they are counted as attended, beyond the seats if need be."""
    lock_row(Session, session.id)
    lock_row(Resident, resident.id)
    db.session.refresh(session)
    if session.status == SessionStatus.CANCELLED:
        raise RuleViolation(_l("This session was cancelled."))
    if not session.kind.takes_bookings:
        raise RuleViolation(_l("A drop-in salon takes no bookings: record how many came."))
    if session.ward_id != resident.ward_id:
        raise RuleViolation(_l("This resident is registered in another ward."))
    if resident.is_anonymised:
        raise RuleViolation(_l("This record was anonymised and cannot be booked."))
    if clock.to_local(session.starts_dt).date() > clock.today():
        raise RuleViolation(_l("Walk-ins are recorded on the day of the session."))
    booking = live_booking(session, resident)
    place = _walk_in_place(session)
    if booking is None:
        booking = Booking(
            session_id=session.id,
            resident_id=resident.id,
            ward_id=session.ward_id,
            status=BookingStatus.ATTENDED,
            place=place,
            source=BookingSource.WALK_IN,
            attendance_dt=clock.now(),
            created_by_id=actor.id if actor else None,
        )
        insert_booking(booking)
    else:
        if booking.status == BookingStatus.WAITLISTED:
            booking.place = place
        booking.status = BookingStatus.ATTENDED
        booking.attendance_dt = clock.now()
        db.session.flush()
    _after_attendance(actor, session, booking)
    return booking


def _walk_in_place(session: Session) -> int:
    """A free seat if there is one, else the next number past every seat."""
    taken = _seated_places(session)
    free = [place for place in range(1, session.capacity + 1) if place not in taken]
    return free[0] if free else max(taken | {session.capacity}) + 1


def _after_attendance(actor: User | None, session: Session, booking: Booking) -> None:
    attended = db.session.scalar(
        sa.select(sa.func.count()).where(
            Booking.session_id == session.id, Booking.status == BookingStatus.ATTENDED
        )
    )
    session.status = SessionStatus.HELD
    session.headcount = attended
    db.session.flush()
    sync_follow_up(booking.resident_id, session.ward_id)
    record_event(
        actor,
        "booking.attendance",
        session,
        session.ward,
        {"booking": booking.id, "resident": booking.resident_id, "status": booking.status.value},
    )
    session_attendance_recorded.send(session, actor=actor, booking=booking, attended=attended)


# -- follow-up ----------------------------------------------------------------------------


def follow_up_due_on(first_attended_on: date) -> date:
    return first_attended_on + FOLLOW_UP_AFTER


def sync_follow_up(resident_id: int, ward_id: int) -> FollowUp | None:
    """Keep the resident's follow-up due three months after their first attended session."""
    first_dt = db.session.scalar(
        sa.select(sa.func.min(Session.starts_dt))
        .join(Booking, Booking.session_id == Session.id)
        .where(Booking.resident_id == resident_id, Booking.status == BookingStatus.ATTENDED)
    )
    follow_up = db.session.scalar(sa.select(FollowUp).where(FollowUp.resident_id == resident_id))
    if follow_up is not None and follow_up.answer is not None:
        return follow_up
    if first_dt is None:
        if follow_up is not None:
            db.session.delete(follow_up)
            db.session.flush()
        return None
    first_day = clock.to_local(first_dt).date()
    if follow_up is None:
        follow_up = FollowUp(resident_id=resident_id, ward_id=ward_id)
        db.session.add(follow_up)
    follow_up.first_attended_on = first_day
    follow_up.due_on = follow_up_due_on(first_day)
    db.session.flush()
    return follow_up


def record_follow_up(
    actor: User | None,
    follow_up: FollowUp,
    answer: FollowUpAnswer,
    procedure: str = "",
    note: str = "",
) -> FollowUp:
    """Record what the resident said on the follow-up call (``actor`` None: by keypad or
    the answer page, which cannot ask which procedure)."""
    procedure = procedure.strip()
    if actor is not None and answer == FollowUpAnswer.YES and not procedure:
        raise RuleViolation(_l("Say which online procedure they used."), "procedure")
    wanted = (answer, procedure[:200] if answer == FollowUpAnswer.YES else "", note.strip())
    if (follow_up.answer, follow_up.procedure, follow_up.note) == wanted:
        return follow_up
    follow_up.answer, follow_up.procedure, follow_up.note = wanted
    follow_up.answered_dt = clock.now()
    follow_up.answered_by_id = actor.id if actor else None
    db.session.flush()
    record_event(
        actor,
        "follow_up.record",
        follow_up.resident,
        follow_up.resident.ward,
        {"answer": answer.value},
    )
    return follow_up


# -- when a session changes ---------------------------------------------------------------


def check_session_change(session: Session, changed: set[str]) -> None:
    """Refuse a change that would take away a booked seat or slot (before it is saved).

    A class may shrink to the seats booked (seat numbers are tidied); a booked
    consultation keeps its slot length and every booked slot.
    """
    if changed & {"starts_dt", "ends_dt"}:
        _check_moved_overlaps(session)
    if not changed & {"kind", "capacity", "slot_minutes"}:
        return
    rows = db.session.execute(
        sa.select(Booking.id, Booking.place).where(
            Booking.session_id == session.id, Booking.status.in_(ACTIVE)
        )
    ).all()
    if not rows:
        return
    if "kind" in changed:
        raise RuleViolation(
            _l("Residents have booked this session: its kind cannot change."), "kind"
        )
    seated = {booking_id: place for booking_id, place in rows if place is not None}
    if session.kind == SessionKind.CONSULTATION:
        if "slot_minutes" in changed:
            raise RuleViolation(
                _l("Residents have booked slots: the slot length cannot change."), "slot_minutes"
            )
        if seated and max(seated.values()) > session.capacity:
            raise RuleViolation(
                _l("A booked slot would be lost: the session cannot be shorter."), "ends_time"
            )
        return
    if len(seated) > session.capacity:
        raise RuleViolation(
            _l("%(count)d seats are booked: the capacity cannot be lower.", count=len(seated)),
            "capacity",
        )
    free = iter(sorted(set(range(1, session.capacity + 1)) - set(seated.values())))
    for booking_id, place in seated.items():
        if place > session.capacity:
            db.session.execute(
                sa.update(Booking).where(Booking.id == booking_id).values(place=next(free))
            )


def _check_moved_overlaps(session: Session) -> None:
    """Refuse a new time at which someone booked would be at two sessions at once."""
    seated = db.session.scalars(
        sa.select(Booking).where(Booking.session_id == session.id, Booking.status.in_(ACTIVE))
    ).all()
    clashing = []
    for booking in seated:
        try:
            check_overlap(booking.resident, session, booking.place)
        except Conflict:
            clashing.append(booking.resident.name)
    if clashing:
        raise RuleViolation(
            _l(
                "At the new time, %(count)d booked residents would have two sessions at once "
                "(%(names)s): change their bookings first.",
                count=len(clashing),
                names="、".join(clashing[:3]),
            ),
            "day",
        )


@session_cancelled.connect
def _cancel_bookings(session: Session, actor: User | None = None, **_extra) -> None:
    """A cancelled session cancels its bookings and its waiting list."""
    open_bookings = db.session.scalars(
        sa.select(Booking).where(
            Booking.session_id == session.id,
            Booking.status.in_((BookingStatus.BOOKED, BookingStatus.WAITLISTED)),
        )
    ).all()
    now = clock.now()
    for booking in open_bookings:
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_dt = now
        booking.cancel_reason = SESSION_CANCELLED
    db.session.flush()
    for booking in open_bookings:
        booking_cancelled.send(booking, actor=actor, reason=SESSION_CANCELLED, promoted=None)


@session_changed.connect
def _fill_new_seats(session: Session, actor: User | None = None, changes=None, **_extra) -> None:
    """More seats or slots: the waiting list moves up at once."""
    if changes and "capacity" in changes:
        promote_waitlist(actor, session)
