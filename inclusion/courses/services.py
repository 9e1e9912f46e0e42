"""Booking a course as one: every remaining date together or none, waiting as a whole.

Every change to a course's enrolments first takes the series' row lock, then its sessions'
in id order, so two staff booking the last seats at once cannot both get some dates: one
gets every date, the other joins the waiting list. Each date's seat is an ordinary booking
(attendance, reminders and the figures count dates as sessions), pointing at its enrolment.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased, contains_eager, joinedload

from inclusion import clock
from inclusion.audit.services import record_event
from inclusion.auth.models import User
from inclusion.courses.models import Enrolment, EnrolmentStatus
from inclusion.db import lock_row
from inclusion.errors import Conflict, RuleViolation
from inclusion.extensions import db
from inclusion.residents import bookings
from inclusion.residents.models import Booking, BookingSource, BookingStatus, Resident
from inclusion.residents.queries import booking_counts
from inclusion.residents.signals import booking_created, booking_promoted
from inclusion.sessions.models import Series, Session, SessionKind, SessionStatus

log = logging.getLogger(__name__)


def course_of(session: Session) -> Series | None:
    """The course a session is one date of, if it is."""
    series = session.series
    return series if series is not None and series.is_course else None


def course_dates(series: Series, upcoming: bool = True) -> list[Session]:
    """The course's dates that take place (cancelled ones left out), first first; with
    ``upcoming``, only those still to start — what a booking now holds."""
    query = sa.select(Session).where(
        Session.series_id == series.id, Session.status != SessionStatus.CANCELLED
    )
    if upcoming:
        query = query.where(
            Session.status == SessionStatus.SCHEDULED, Session.starts_dt > clock.now()
        )
    return list(db.session.scalars(query.order_by(Session.starts_dt, Session.id)))


def course_part(session: Session) -> str | None:
    """第3回/全8回: which date of its course a session is, as reminders say it."""
    series = course_of(session)
    if series is None or session.status == SessionStatus.CANCELLED:
        return None
    dates = [date.id for date in course_dates(series, upcoming=False)]
    return f"第{dates.index(session.id) + 1}回/全{len(dates)}回" if session.id in dates else None


def _lock_course(series: Series, resident: Resident | None = None) -> list[Session]:
    """Take the course's locks in one order (series, resident, dates by id); its dates."""
    lock_row(Series, series.id)
    if resident is not None:
        lock_row(Resident, resident.id)
    dates = course_dates(series)
    for date in sorted(dates, key=lambda session: session.id):
        lock_row(Session, date.id)
        db.session.refresh(date)
    return dates


def _seats(dates: list[Session]) -> dict[int, int] | None:
    """A free seat on every date (session id → seat), or None when one date is full."""
    seats = {}
    for date in dates:
        free = bookings.free_places(date)
        if not free:
            return None
        seats[date.id] = free[0]
    return seats


def _book_dates(
    actor: User | None, enrolment: Enrolment, dates: list[Session], seats: dict[int, int]
) -> list[Booking]:
    made = []
    for date in dates:
        booking = Booking(
            session_id=date.id, resident_id=enrolment.resident_id, ward_id=date.ward_id,
            status=BookingStatus.BOOKED, place=seats[date.id], source=enrolment.source,
            enrolment_id=enrolment.id, created_by_id=actor.id if actor else None,
        )  # fmt: skip
        bookings.insert_booking(booking)
        made.append(booking)
    return made


def enrol_resident(
    actor: User | None, resident: Resident, series: Series, source: BookingSource
) -> Enrolment:
    """Book a resident on every remaining date of a course, or put them on its waiting list
    as a whole when any date is full (or others already wait): all or nothing."""
    if not series.is_course:
        raise RuleViolation(_l("This series is not a course: book its dates one by one."))
    dates = _lock_course(series, resident)
    if not dates:
        raise RuleViolation(_l("This course has no dates left to book."))
    live = db.session.scalar(
        sa.select(Enrolment).where(
            Enrolment.series_id == series.id,
            Enrolment.resident_id == resident.id,
            Enrolment.status != EnrolmentStatus.CANCELLED,
        )
    )
    if live is not None:
        raise Conflict(_l("This resident is already booked for this course or waiting for it."))
    for date in dates:
        bookings.check_bookable(date, resident)
        if bookings.live_booking(date, resident) is not None:
            raise Conflict(_l("This resident is already booked for one date of this course."))
    waiting = db.session.scalar(
        sa.select(sa.exists().where(
            Enrolment.series_id == series.id, Enrolment.status == EnrolmentStatus.WAITLISTED
        ))
    )  # fmt: skip
    # Whoever waits goes first: a newcomer queues behind them even if seats came free.
    seats = None if waiting else _seats(dates)
    for date in dates:
        bookings.check_overlap(resident, date, seats[date.id] if seats else None)
    enrolment = Enrolment(
        series_id=series.id, resident_id=resident.id, ward_id=series.ward_id,
        status=EnrolmentStatus.ENROLLED if seats else EnrolmentStatus.WAITLISTED,
        source=source, queued_dt=None if seats else clock.now(),
        created_by_id=actor.id if actor else None,
    )  # fmt: skip
    try:
        with db.session.begin_nested():
            db.session.add(enrolment)
            db.session.flush()
    except sa.exc.IntegrityError:
        raise Conflict(
            _l("This resident is already booked for this course or waiting for it.")
        ) from None
    made = _book_dates(actor, enrolment, dates, seats) if seats else []
    record_event(
        actor,
        "course.enrol" if seats else "course.waitlist",
        series,
        series.ward,
        {"enrolment": enrolment.id, "resident": resident.id, "dates": len(made)},
    )
    for booking in made:
        booking_created.send(booking, actor=actor)
    log.info("enrolment %s: resident %s in course %s (%s)", enrolment.id, resident.id,
             series.id, enrolment.status.value)  # fmt: skip
    return enrolment


def bookings_to_come(enrolment: Enrolment) -> list[Booking]:
    """The enrolment's open bookings on dates still to come, first date first."""
    return list(
        db.session.scalars(
            sa.select(Booking)
            .join(Session, Session.id == Booking.session_id)
            .options(contains_eager(Booking.session))
            .where(
                Booking.enrolment_id == enrolment.id,
                Booking.status.in_((BookingStatus.BOOKED, BookingStatus.WAITLISTED)),
                Session.starts_dt > clock.now(),
            )
            .order_by(Session.starts_dt)
        )
    )


def cancel_enrolment(
    actor: User | None, enrolment: Enrolment, reason: str = ""
) -> list[Enrolment]:
    """Cancel the whole course for a resident: every date still to come, or their place on
    the course's waiting list; freed seats go to whoever waits for the whole course.

    Returns those who moved up into the freed seats."""
    series = enrolment.series
    _lock_course(series)
    db.session.refresh(enrolment)
    if enrolment.status == EnrolmentStatus.CANCELLED:
        raise RuleViolation(_l("This course booking is already cancelled."))
    upcoming = bookings_to_come(enrolment)
    enrolment.status, enrolment.cancelled_dt = EnrolmentStatus.CANCELLED, clock.now()
    db.session.flush()
    for booking in upcoming:
        bookings.cancel_booking(actor, booking, reason)
    record_event(
        actor, "course.cancel", series, series.ward,
        {"enrolment": enrolment.id, "resident": enrolment.resident_id, "dates": len(upcoming)},
    )  # fmt: skip
    return promote_course_waitlist(actor, series)


def promote_course_waitlist(actor: User | None, series: Series) -> list[Enrolment]:
    """Give every remaining date to those waiting for the whole course, in order, while
    every date has a seat; a resident whose other bookings clash is passed over."""
    dates = _lock_course(series)
    waiting = db.session.scalars(
        sa.select(Enrolment)
        .where(Enrolment.series_id == series.id, Enrolment.status == EnrolmentStatus.WAITLISTED)
        .order_by(Enrolment.queued_dt, Enrolment.id)
    ).all()
    promoted = []
    for enrolment in waiting:
        seats = _seats(dates) if dates else None
        if seats is None:
            break
        try:
            for date in dates:
                bookings.check_overlap(enrolment.resident, date, seats[date.id])
        except Conflict:
            continue
        enrolment.status = EnrolmentStatus.ENROLLED
        made = _book_dates(actor, enrolment, dates, seats)
        record_event(
            actor, "course.promote", series, series.ward,
            {"enrolment": enrolment.id, "resident": enrolment.resident_id, "dates": len(made)},
        )  # fmt: skip
        # One notice for the course, not one per date: the first date's.
        booking_promoted.send(made[0], actor=actor)
        promoted.append(enrolment)
    return promoted


def _line_position() -> sa.ScalarSelect[int]:
    """An enrolment's place in its course's waiting line, 1 first, as SQL."""
    ahead = aliased(Enrolment)
    return (
        sa.select(sa.func.count())
        .where(
            ahead.series_id == Enrolment.series_id,
            ahead.status == EnrolmentStatus.WAITLISTED,
            sa.or_(
                ahead.queued_dt < Enrolment.queued_dt,
                sa.and_(ahead.queued_dt == Enrolment.queued_dt, ahead.id <= Enrolment.id),
            ),
        )
        .scalar_subquery()
    )


def places_left(sessions: list[Session]) -> dict[int, int]:
    """Places a new caller could still get, per session. A course is booked whole, so for
    its dates: the fewest left on any date to come, and none while others wait for it."""
    counts = booking_counts([session.id for session in sessions])
    left = {session.id: session.capacity - counts.get(session.id, (0, 0))[0]
            for session in sessions}  # fmt: skip
    series_ids = {session.series_id for session in sessions if session.series_id}
    courses = set(
        db.session.scalars(
            sa.select(Series.id).where(Series.id.in_(series_ids), Series.is_course)
        )
    ) if series_ids else set()  # fmt: skip
    if not courses:
        return left
    dates = db.session.execute(
        sa.select(Session.id, Session.series_id, Session.capacity).where(
            Session.series_id.in_(courses),
            Session.status == SessionStatus.SCHEDULED,
            Session.starts_dt > clock.now(),
        )
    ).all()
    seated = booking_counts([date.id for date in dates])
    fewest: dict[int, int] = {}
    for date in dates:
        free = date.capacity - seated.get(date.id, (0, 0))[0]
        fewest[date.series_id] = min(free, fewest.get(date.series_id, free))
    waited_for = set(
        db.session.scalars(
            sa.select(Enrolment.series_id).where(
                Enrolment.series_id.in_(courses), Enrolment.status == EnrolmentStatus.WAITLISTED
            )
        )
    )
    for session in sessions:
        if session.series_id in courses:
            full = session.series_id in waited_for
            left[session.id] = 0 if full else fewest.get(session.series_id, 0)
    return left


def course_waitlist_position(enrolment: Enrolment) -> int | None:
    """1 is next in line for the whole course; None when not waiting. A list's positions
    are noted on its enrolments beforehand (``course_waitlist``)."""
    if enrolment.status != EnrolmentStatus.WAITLISTED:
        return None
    if "queue_position" in vars(enrolment):
        return enrolment.queue_position
    return db.session.scalar(sa.select(_line_position()).where(Enrolment.id == enrolment.id))


def waiting_courses(resident: Resident) -> list[tuple[Enrolment, int]]:
    """The courses a resident waits for as a whole, with their place in each line."""
    rows = db.session.execute(
        sa.select(Enrolment, _line_position())
        .options(joinedload(Enrolment.series))
        .where(
            Enrolment.resident_id == resident.id, Enrolment.status == EnrolmentStatus.WAITLISTED
        )
        .order_by(Enrolment.queued_dt, Enrolment.id)
    )
    return [(enrolment, position) for enrolment, position in rows]


def enrolment_booking_ids(enrolment: Enrolment) -> list[int]:
    """The bookings an enrolment holds (its dates' seats, cancelled ones included); a
    list's are noted on its enrolments beforehand (``course_waitlist``)."""
    if "booking_ids" in vars(enrolment):
        return enrolment.booking_ids
    return list(
        db.session.scalars(
            sa.select(Booking.id).where(Booking.enrolment_id == enrolment.id).order_by(Booking.id)
        )
    )


def course_waitlist(series: Series) -> list[Enrolment]:
    """Who waits for the whole course, first in line first, each with its place noted."""
    waiting = list(
        db.session.scalars(
            sa.select(Enrolment)
            .options(joinedload(Enrolment.resident))
            .where(
                Enrolment.series_id == series.id, Enrolment.status == EnrolmentStatus.WAITLISTED
            )
            .order_by(Enrolment.queued_dt, Enrolment.id)
        )
    )
    held: dict[int, list[int]] = {enrolment.id: [] for enrolment in waiting}
    for enrolment_id, booking_id in db.session.execute(
        sa.select(Booking.enrolment_id, Booking.id)
        .where(Booking.enrolment_id.in_(held))
        .order_by(Booking.id)
    ):
        held[enrolment_id].append(booking_id)
    for position, enrolment in enumerate(waiting, start=1):
        enrolment.queue_position, enrolment.booking_ids = position, held[enrolment.id]
    return waiting


def _check_can_be_course(series: Series) -> None:
    """A course is classes booked as one: not consultation slots or drop-in salons, and not
    dates residents already booked one by one (they would hold a date, not the course)."""
    dates = sa.select(Session.id).where(Session.series_id == series.id)
    kinds = set(db.session.scalars(sa.select(Session.kind).where(Session.series_id == series.id)))
    if kinds - {SessionKind.CLASS}:
        raise RuleViolation(_l("Only classes can be a course, not consultations or salons."))
    if db.session.scalar(
        sa.select(sa.exists().where(
            Booking.session_id.in_(dates),
            Booking.enrolment_id.is_(None),
            Booking.status.in_((BookingStatus.BOOKED, BookingStatus.WAITLISTED)),
        ))
    ):  # fmt: skip
        raise RuleViolation(
            _l("Residents booked single dates of this series: it cannot become a course while"
               " they hold them.")
        )  # fmt: skip


def mark_course(actor: User, series: Series, is_course: bool) -> bool:
    """Staff say whether a series is a course (booked as one) or separate dates; returns
    whether that changed anything."""
    if series.is_course == is_course:
        return False
    if is_course:
        _check_can_be_course(series)
    if not is_course and db.session.scalar(
        sa.select(sa.exists().where(
            Enrolment.series_id == series.id, Enrolment.status != EnrolmentStatus.CANCELLED
        ))
    ):  # fmt: skip
        raise RuleViolation(
            _l("Residents are booked for this course: cancel their bookings first.")
        )
    series.is_course = is_course
    db.session.flush()
    record_event(actor, "series.course", series, series.ward, {"is_course": is_course})
    return True


def book_or_enrol(
    actor: User | None,
    resident: Resident,
    session: Session,
    source: BookingSource,
    place: int | None = None,
) -> Booking | Enrolment:
    """Book a session, or the whole course it is one date of (every way in books alike)."""
    course = course_of(session)
    if course is not None:
        return enrol_resident(actor, resident, course, source)
    return bookings.book_resident(actor, resident, session, source, place=place)


def what_was_booked(resident: Resident, booked: Booking | Enrolment) -> tuple[str, str]:
    """What to tell staff of a booking just made, and how (success, or info when waiting)."""
    if isinstance(booked, Enrolment):
        position = course_waitlist_position(booked)
        if position is None:
            count = len(course_dates(booked.series))
            return str(_l("%(name)s is booked on all %(count)d dates of the course.",
                          name=resident.name, count=count)), "success"  # fmt: skip
        return str(_l("A date of the course is full: %(name)s is number %(position)d on the "
                      "course's waiting list, for every date together.", name=resident.name,
                      position=position)), "info"  # fmt: skip
    if booked.place is None:
        position = bookings.waitlist_position(booked)
        return str(_l("The session is full: %(name)s is number %(position)d on the waiting"
                      " list.", name=resident.name, position=position)), "info"  # fmt: skip
    return str(_l("%(name)s is booked.", name=resident.name)), "success"
