"""What a call to the phone line changes: the same booking services as every other way in,
each step in one transaction, so a call that drops leaves nothing half-done."""

from __future__ import annotations

import logging
from datetime import datetime, time

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from inclusion import clock
from inclusion.audit.services import record_event
from inclusion.auth.models import User
from inclusion.courses import services as courses
from inclusion.courses.models import Enrolment
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.phoneline.models import CallResult, PhoneLineCall, PhoneLineStep
from inclusion.phones import parse_phone
from inclusion.reminders import notices
from inclusion.reminders.media import Medium
from inclusion.reminders.models import Reply, ReplyOutcome
from inclusion.reminders.replies import Handled, log_reply
from inclusion.residents import bookings
from inclusion.residents.models import (
    Booking,
    BookingSource,
    BookingStatus,
    ReminderChannel,
    Resident,
    ResidentPhone,
)
from inclusion.residents.services import contacts_of_number
from inclusion.sessions.models import Session
from inclusion.wards.models import Ward

log = logging.getLogger(__name__)

#: A call longer than this many steps is ended politely: nothing a caller needs takes it.
MAX_STEPS = 120
#: What a booking cancelled on the phone line gives as its reason.
LINE_CANCELLED = "cancelled on the phone line"
#: The longest name or message kept from what a caller said.
SPOKEN_LIMIT = 300


def caller_number(text: str) -> str | None:
    """The caller's number in E.164, or None when it was withheld (Twilio sends
    ``anonymous`` or a made-up number) or is not a Japanese one we can call back."""
    parsed = parse_phone(text[:20]) if text.startswith("+81") else None
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


def answered_before(call_sid: str, number: int) -> str | None:
    """The answer already given to step ``number`` of the call Twilio names, if any."""
    return db.session.scalar(
        sa.select(PhoneLineStep.twiml)
        .join(PhoneLineCall, PhoneLineCall.id == PhoneLineStep.call_id)
        .where(PhoneLineCall.sid == call_sid, PhoneLineStep.number == number)
    )


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


def walk(call: PhoneLineCall, step: str) -> None:
    """Note the step the caller is at (the figures count where calls end)."""
    call.last_step = step
    if len(call.path) < MAX_STEPS:
        call.path = [*call.path, step]


def choose_resident(call: PhoneLineCall, resident: Resident) -> None:
    call.resident = resident


def _confirm(booking: Booking, kind: str, call: PhoneLineCall) -> bool:
    """Queue the confirmation in writing, keyed by the call: whether one will go."""
    return notices.add_confirmation(booking, kind, f"{kind}{call.id}") > 0


def book(
    call: PhoneLineCall, resident: Resident | None, session: Session, spoken_name: str = ""
) -> tuple[Booking | Enrolment, bool]:
    """Book ``session`` (the whole course it belongs to) for the caller, or a place on its
    waiting list when it is full; a caller not on record becomes a provisional resident,
    whom staff confirm by calling back. Raises RuleViolation or Conflict as every way in.
    Returns the booking and whether it is confirmed in writing too."""
    provisional = resident is None
    if provisional:
        resident = _provisional_resident(call, spoken_name)
    booked = courses.book_or_enrol(None, resident, session, BookingSource.PHONE_LINE)
    call.resident = resident
    first = first_booking(booked)
    waiting = first is None or first.status == BookingStatus.WAITLISTED
    if waiting:
        call.waitlisted += 1
    else:
        call.booked += 1
    kind = notices.WAITLISTED if waiting else notices.BOOKED
    written = first is not None and _confirm(first, kind, call)
    log.info("phone line call %s: resident %s booked session %s", call.id, resident.id,
             session.id)  # fmt: skip
    return booked, written


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


def cancel(call: PhoneLineCall, booking: Booking | None, enrolment: Enrolment | None) -> None:
    """Cancel a booking (or a whole course) the caller chose, confirming it in writing."""
    if enrolment is not None:
        first = first_booking(enrolment)
        courses.cancel_enrolment(None, enrolment, LINE_CANCELLED)
    else:
        first = booking
        bookings.cancel_booking(None, booking, LINE_CANCELLED)
    call.cancelled += 1
    if first is not None:
        _confirm(first, notices.WITHDRAWN, call)


def take_offer(call: PhoneLineCall, booking: Booking) -> tuple[bookings.OfferAnswer, bool]:
    """The caller says yes to a seat offered to those waiting; whether it is confirmed in
    writing too."""
    answer = bookings.take_offer(None, booking)
    if answer != bookings.OfferAnswer.TAKEN:
        return answer, False
    call.booked += 1
    return answer, _confirm(booking, notices.BOOKED, call)


def leave_message(call: PhoneLineCall, said: str, told: str) -> None:
    """The caller's message, as Twilio heard it, in the ward's inbox with their number."""
    call.left_message = True
    handled = Handled(ReplyOutcome.MESSAGE, told)
    residents = [call.resident] if call.resident is not None else callers(call)
    log_reply(Medium.VOICE, call.from_e164 or "", said, handled, residents, ward_id=call.ward_id)


def handed_over(call: PhoneLineCall) -> None:
    call.handed_over = True


def end_call(call: PhoneLineCall, duration: int | None, ended: datetime | None = None) -> None:
    """Twilio reports the call over: how long it took and what came of it."""
    if call.result is not None:
        return
    call.ended_dt = ended or clock.now()
    call.duration_seconds = duration
    if call.booked or call.waitlisted or call.cancelled:
        call.result = CallResult.ACTED
    elif call.handed_over:
        call.result = CallResult.HANDED_OVER
    elif call.left_message:
        call.result = CallResult.MESSAGE
    else:
        call.result = CallResult.DROPPED


# -- staff ----------------------------------------------------------------------------------


def update_phone_line(
    actor: User, ward: Ward, forward_text: str, opens: time, closes: time
) -> Ward:
    """Where the ward's phone line puts callers through to staff, and in which hours (on
    office days); audited."""
    parsed = parse_phone(forward_text, "forward_phone") if forward_text else None
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
