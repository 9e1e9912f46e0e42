"""What a call to the phone line changes: the same booking services as every other way in,
each step in one transaction, so a call that drops leaves nothing half-done."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from inclusion import clock
from inclusion.audit.services import record_event
from inclusion.auth.models import User
from inclusion.calls.queries import bookable_sessions, upcoming_bookings
from inclusion.courses import services as courses
from inclusion.courses.models import Enrolment, EnrolmentStatus
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.phoneline.models import CallResult, PhoneLineCall, PhoneLineStep
from inclusion.phones import parse_phone
from inclusion.reminders import notices
from inclusion.reminders.media import Medium
from inclusion.reminders.models import Recipient, Reminder, Reply, ReplyOutcome
from inclusion.reminders.replies import Handled, log_reply
from inclusion.residents import bookings
from inclusion.residents.models import (
    ACTIVE,
    Booking,
    BookingSource,
    BookingStatus,
    ReminderChannel,
    Resident,
    ResidentPhone,
)
from inclusion.residents.services import consent_is_due, consents_of, contacts_of_number
from inclusion.sessions.models import Session
from inclusion.wards.models import Ward

log = logging.getLogger(__name__)

#: How far ahead the line reads classes.
DAYS_AHEAD = 14
#: A call longer than this many steps is ended politely: nothing a caller needs takes it.
MAX_STEPS = 120
#: The longest name or message kept from what a caller said.
SPOKEN_LIMIT = 300


def caller_number(text: str) -> str | None:
    """The caller's number in E.164, or None when it was withheld (Twilio sends
    ``anonymous`` or a made-up number) or is not a Japanese one we can call back."""
    try:
        parsed = parse_phone(text[:20]) if text.startswith("+81") else None
    except RuleViolation:
        return None
    return parsed[0] if parsed else None


def start_call(ward: Ward, sid: str, from_text: str) -> PhoneLineCall:
    """The call Twilio names ``sid``: made on its first step, found again on later ones."""
    call = db.session.scalar(sa.select(PhoneLineCall).where(PhoneLineCall.sid == sid))
    if call is not None:
        return call
    call = PhoneLineCall(sid=sid, ward_id=ward.id, from_e164=caller_number(from_text), path=[])
    try:
        with db.session.begin_nested():
            db.session.add(call)
            db.session.flush()
    except sa.exc.IntegrityError:
        # Twilio asked the first step twice at once: the other request made it.
        return db.session.scalar(sa.select(PhoneLineCall).where(PhoneLineCall.sid == sid))
    known = callers(call)
    if len(known) == 1:
        call.resident = known[0]
    record_event(None, "phone_line.call", call, ward, {"known": len(known)})
    return call


def callers(call: PhoneLineCall) -> list[Resident]:
    """The ward's residents a call may act for: those whose number it came from, and those
    whose contact person has that number. Nobody, for a withheld number."""
    if call.from_e164 is None:
        return []
    found = [resident for resident, _contact in contacts_of_number(call.from_e164)
             if resident.ward_id == call.ward_id]  # fmt: skip
    return list(dict.fromkeys(found))


def claim_step(call: PhoneLineCall, number: int, digits: str) -> PhoneLineStep | None:
    """Take step ``number`` of the call, or None when it was taken already (Twilio asked
    it again): then the answer stored with it is the answer. On PostgreSQL a second request
    for the same step waits here for the first to finish."""
    step = PhoneLineStep(call_id=call.id, number=number, digits=digits[:10])
    try:
        with db.session.begin_nested():
            db.session.add(step)
            db.session.flush()
    except sa.exc.IntegrityError:
        return None
    return step


def answered_before(ward: Ward, call_sid: str, number: int) -> str | None:
    """The answer already given to step ``number`` of the call Twilio names, if any."""
    return db.session.scalar(
        sa.select(PhoneLineStep.twiml)
        .join(PhoneLineCall, PhoneLineCall.id == PhoneLineStep.call_id)
        .where(PhoneLineCall.sid == call_sid, PhoneLineCall.ward_id == ward.id,
               PhoneLineStep.number == number)
    )  # fmt: skip


#: Twilio's call statuses that mean the call is over.
ENDED = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


def clean_speech(text: str) -> str:
    """What Twilio heard a caller say, without control characters, bounded."""
    return "".join(char for char in text if char.isprintable())[:SPOKEN_LIMIT].strip()


def desk_open(ward: Ward, now: datetime | None = None) -> bool:
    """Whether staff answer the phone now: an office day, within the ward's desk hours, and
    a number to put callers through to."""
    local = clock.to_local(now or clock.now())
    return (
        bool(ward.phone_line_forward_e164)
        and clock.is_office_day(local.date())
        and ward.desk_opens <= local.time() < ward.desk_closes
    )


#: Steps at which the line itself ends a call: nobody hung up.
ENDED_BY_LINE = frozenset({"silence", "too_long", "message_left", "withheld"})


def walk(call: PhoneLineCall, step: str) -> None:
    """Note the step the caller is at (the figures count where calls end)."""
    call.last_step = step
    if len(call.path) < MAX_STEPS:
        call.path = [*call.path, step]


def choose_resident(call: PhoneLineCall, resident: Resident) -> None:
    call.resident = resident


def is_contact_person(call: PhoneLineCall, resident: Resident) -> bool:
    """Whether the caller is the resident's contact person rather than the resident."""
    own = {phone.e164 for phone in resident.phones}
    return call.from_e164 not in own and call.from_e164 == resident.proxy_phone_e164


def _recipient(call: PhoneLineCall, resident: Resident) -> Recipient:
    return Recipient.PROXY if is_contact_person(call, resident) else Recipient.RESIDENT


def _confirm(call: PhoneLineCall, booked: Booking | Enrolment, kind: str) -> bool:
    """Queue the confirmation in writing, keyed by the call: whether one goes to the caller
    (the resident, or the contact person who called)."""
    key = f"{kind}{call.id}"
    if isinstance(booked, Enrolment) and booked.status == EnrolmentStatus.WAITLISTED:
        dates = courses.course_dates(booked.series)
        if not dates:
            return False
        notices.add_course_confirmation(booked, dates[0], kind, key)
        prefix = f"e{booked.id}"
    else:
        first = first_booking(booked)
        if first is None:
            return False
        notices.add_confirmation(first, kind, key)
        prefix = f"b{first.id}"
    caller_key = f"{prefix}:{key}:{_recipient(call, booked.resident).value}"
    return db.session.scalar(sa.select(sa.exists().where(Reminder.key == caller_key)))


def book(
    call: PhoneLineCall, resident: Resident | None, session: Session, spoken_name: str = ""
) -> tuple[Booking | Enrolment, bool]:
    """Book ``session`` (the whole course it belongs to) for the caller, or a place on its
    waiting list when it is full; a caller not on record becomes a provisional resident,
    whom staff confirm by calling back. Raises RuleViolation or Conflict as every way in,
    and then nothing is kept. Returns the booking and whether the caller is sent it in
    writing too."""
    with db.session.begin_nested():
        if resident is None:
            resident = _provisional_resident(call, spoken_name)
        booked = courses.book_or_enrol(None, resident, session, BookingSource.PHONE_LINE)
    call.resident = resident
    waiting = is_waiting(booked)
    if waiting:
        call.waitlisted += 1
    else:
        call.booked += 1
    written = _confirm(call, booked, notices.WAITLISTED if waiting else notices.BOOKED)
    settle(call)
    log.info("phone line call %s: resident %s booked session %s", call.id, resident.id,
             session.id)  # fmt: skip
    return booked, written


def bookable_for(call: PhoneLineCall, full: bool) -> tuple[list[Session], dict[int, int]]:
    """The ward's bookable sessions of the coming two weeks that the resident the call is
    about does not hold yet, a course once (by its next date); ``full``: only those full
    now. With the places left of each."""
    sessions = bookable_sessions(call.ward, days=DAYS_AHEAD)
    left = courses.places_left(sessions)
    held_sessions, held_courses = _held_now(call.resident)
    shown, courses_seen = [], set()
    for session in sessions:
        if session.id in held_sessions:
            continue
        course = courses.course_of(session)
        if course is not None:
            if course.id in courses_seen or course.id in held_courses:
                continue
            courses_seen.add(course.id)
        if full == (left[session.id] <= 0):
            shown.append(session)
    return shown, left


def _held_now(resident: Resident | None) -> tuple[set[int], set[int]]:
    """The sessions and courses the resident holds a place (or waits) for."""
    if resident is None:
        return set(), set()
    sessions = db.session.scalars(
        sa.select(Booking.session_id).where(
            Booking.resident_id == resident.id, Booking.status.in_(ACTIVE)
        )
    )
    series = db.session.scalars(
        sa.select(Enrolment.series_id).where(
            Enrolment.resident_id == resident.id, Enrolment.status != EnrolmentStatus.CANCELLED
        )
    )
    return set(sessions), set(series)


def is_waiting(booked: Booking | Enrolment) -> bool:
    if isinstance(booked, Enrolment):
        return booked.status == EnrolmentStatus.WAITLISTED
    return booked.status == BookingStatus.WAITLISTED


def first_booking(booked: Booking | Enrolment) -> Booking | None:
    """The booking a course's enrolment holds on its first date (none while it waits)."""
    if isinstance(booked, Booking):
        return booked
    made = courses.bookings_to_come(booked)
    return made[0] if made else None


def note_provisional(
    call: PhoneLineCall, resident: Resident, booked: Booking | Enrolment, told: str
) -> None:
    """Put a booking by a caller nobody on record in the inbox: staff call back to confirm
    who they are. What they said as their name is what the inbox shows they sent."""
    handled = Handled(ReplyOutcome.PROVISIONAL, told)
    (reply,) = log_reply(Medium.VOICE, call.from_e164 or "", resident.family_name, handled,
                         [resident])  # fmt: skip
    first = first_booking(booked)
    reply.booking_ids = [first.id] if first is not None else []


def _provisional_resident(call: PhoneLineCall, spoken_name: str) -> Resident:
    """A record for a caller the ward does not know: their number, and their name as they
    said it (if they did); nothing is sent to them until staff confirm who they are."""
    e164, kind = parse_phone(call.from_e164)
    resident = Resident(
        ward_id=call.ward_id, family_name=spoken_name[:50], given_name="", family_kana="",
        given_kana="", kana_key="", reminder_channel=ReminderChannel.NONE,
        provisional_dt=clock.now(), phones=[ResidentPhone(e164=e164, kind=kind, position=0)],
    )  # fmt: skip
    db.session.add(resident)
    db.session.flush()
    record_event(None, "resident.create", resident, call.ward, {"phone_line": call.id})
    return resident


@dataclass(frozen=True)
class Held:
    """One of the caller's bookings as the line reads it out: a single session's, or a
    whole course's (by its next date)."""

    session: Session
    booking: Booking | None
    enrolment: Enrolment | None
    #: Place on the waiting list, when waiting.
    position: int | None
    #: A seat is offered to those waiting, and one is free: the caller may take it.
    offered: bool

    @property
    def order(self) -> tuple:
        return (self.session.starts_dt, self.session.id)


def held_by(call: PhoneLineCall) -> list[Held]:
    """What the resident the call is about holds from now on, soonest first: only theirs,
    whoever else shares the number."""
    resident = call.resident
    if resident is None:
        return []
    held, seen = [], set()
    now = clock.now()
    for booking in upcoming_bookings(resident):
        if booking.enrolment_id is not None:
            if booking.enrolment_id not in seen:
                seen.add(booking.enrolment_id)
                enrolment = db.session.get(Enrolment, booking.enrolment_id)
                held.append(Held(booking.session, None, enrolment, None, False))
            continue
        waiting = booking.status == BookingStatus.WAITLISTED
        offered = waiting and bookings.offered_now(booking.session, now)
        position = bookings.waitlist_position(booking) if waiting else None
        held.append(Held(booking.session, booking, None, position, offered))
    for enrolment, position in courses.waiting_courses(resident):
        dates = courses.course_dates(enrolment.series)
        if dates:
            held.append(Held(dates[0], None, enrolment, position, False))
    return sorted(held, key=lambda one: one.order)


def hear_bookings(call: PhoneLineCall) -> list[Held]:
    """The caller asks to hear their bookings: a read of the resident's record, audited."""
    held = held_by(call)
    details = {"call": call.id, "count": len(held),
               "contact_person": is_contact_person(call, call.resident)}  # fmt: skip
    record_event(None, "phone_line.bookings_heard", call.resident, call.ward, details)
    return held


def chosen(
    call: PhoneLineCall, booking_id: int, enrolment_id: int
) -> tuple[Booking | None, Enrolment | None]:
    """The booking or course the caller chose, if it is held by the resident the call is
    about and still open; a course's date only as the whole course."""
    resident = call.resident
    if resident is None:
        return None, None
    if enrolment_id:
        enrolment = db.session.get(Enrolment, enrolment_id)
        if (enrolment is not None and enrolment.resident_id == resident.id
                and enrolment.status != EnrolmentStatus.CANCELLED):  # fmt: skip
            return None, enrolment
        return None, None
    booking = db.session.get(Booking, booking_id) if booking_id else None
    if (booking is not None and booking.resident_id == resident.id and booking.is_open
            and booking.enrolment_id is None):  # fmt: skip
        return booking, None
    return None, None


def cancel(call: PhoneLineCall, booking: Booking | None, enrolment: Enrolment | None) -> bool:
    """Cancel a booking (or a whole course) the caller chose, confirming it in writing;
    whether the caller is sent it. Raises RuleViolation (someone cancelled it meanwhile),
    and then nothing is changed."""
    with db.session.begin_nested():
        if enrolment is not None:
            first = first_booking(enrolment)
            courses.cancel_enrolment(None, enrolment, bookings.PHONE_LINE_CANCELLED)
        else:
            first = booking
            bookings.cancel_booking(None, booking, bookings.PHONE_LINE_CANCELLED)
    call.cancelled += 1
    settle(call)
    return first is not None and _confirm(call, first, notices.WITHDRAWN)


def take_offer(call: PhoneLineCall, booking: Booking) -> tuple[bookings.OfferAnswer, bool]:
    """The caller says yes to a seat offered to those waiting; whether it is sent to the
    caller in writing too."""
    answer = bookings.take_offer(None, booking)
    if answer != bookings.OfferAnswer.TAKEN:
        return answer, False
    call.booked += 1
    settle(call)
    return answer, _confirm(call, booking, notices.BOOKED)


def leave_message(call: PhoneLineCall, said: str, told: str) -> None:
    """The caller's message, as Twilio heard it, in the ward's inbox with their number."""
    call.left_message = True
    handled = Handled(ReplyOutcome.MESSAGE, told)
    residents = [call.resident] if call.resident is not None else callers(call)
    log_reply(Medium.VOICE, call.from_e164 or "", said, handled, residents, ward_id=call.ward_id)
    settle(call)


def handed_over(call: PhoneLineCall) -> None:
    call.handed_over = True
    settle(call)


def end_call(call: PhoneLineCall, duration: int | None, ended: datetime | None = None) -> None:
    """Twilio reports the call over: how long it took, and so what came of it."""
    if call.ended_dt is None:
        call.ended_dt = ended or clock.now()
        call.duration_seconds = duration
    settle(call)


def settle(call: PhoneLineCall) -> None:
    """What came of an ended call, from what was done on it: worked out again whenever
    Twilio's reports come (the end may be reported before the desk's answer)."""
    if call.ended_dt is None:
        return
    if call.booked or call.waitlisted or call.cancelled:
        call.result = CallResult.ACTED
    elif call.handed_over:
        call.result = CallResult.HANDED_OVER
    elif call.left_message:
        call.result = CallResult.MESSAGE
    elif call.last_step in ENDED_BY_LINE:
        call.result = CallResult.ENDED
    elif "mine" in call.path:
        call.result = CallResult.HEARD
    else:
        call.result = CallResult.DROPPED


# -- staff ----------------------------------------------------------------------------------


def update_phone_line(
    actor: User, ward: Ward, forward_text: str, opens: time, closes: time
) -> Ward:
    """Where the ward's phone line puts callers through to staff, and in which hours (on
    office days); audited."""
    try:
        parsed = parse_phone(forward_text, "forward_phone") if forward_text else None
    except RuleViolation:
        raise RuleViolation(
            _l("Enter a Japanese phone number staff answer, such as 03-1234-5678."),
            "forward_phone",
        ) from None
    if opens >= closes:
        raise RuleViolation(_l("The end must come after the start."), "desk_closes")
    wanted = (parsed[0] if parsed else None, opens, closes)
    before = (ward.phone_line_forward_e164, ward.desk_opens, ward.desk_closes)
    if wanted == before:
        return ward
    ward.phone_line_forward_e164, ward.desk_opens, ward.desk_closes = wanted
    details = {"forward": bool(wanted[0]), "hours": [opens.strftime("%H:%M"),
                                                     closes.strftime("%H:%M")]}  # fmt: skip
    record_event(actor, "ward.phone_line", ward, ward, details)
    return ward


def confirm_provisional(actor: User, resident: Resident) -> Resident:
    """Staff called back a caller who booked on the phone line and wrote down who they
    are: the record is an ordinary one now, and its calls in the inbox are followed up."""
    if not resident.is_provisional:
        raise RuleViolation(_l("This record is already confirmed."))
    if not (resident.family_name and resident.kana_key):
        raise RuleViolation(_l("Enter the resident's name and kana first (Change)."))
    if consent_is_due(consents_of(resident)):
        raise RuleViolation(_l("Record the resident's consent first."))
    resident.provisional_dt = None
    waiting = db.session.scalars(
        sa.select(Reply).where(
            Reply.ward_id == resident.ward_id,
            Reply.outcome == ReplyOutcome.PROVISIONAL,
            Reply.handled_dt.is_(None),
        )
    )
    now = clock.now()
    for reply in waiting:
        if resident.id in reply.resident_ids:
            reply.handled_dt, reply.handled_by_id = now, actor.id
    db.session.flush()
    record_event(actor, "resident.confirm", resident, resident.ward)
    return resident
