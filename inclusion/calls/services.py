"""The joint call centre: logging a call (booking the caller right from it), and a ward
taking care of the calls passed to it. Every call is audit-logged in its ward."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from inclusion import clock
from inclusion.audit.services import record_event
from inclusion.auth.models import User
from inclusion.calls.models import Call, CallOutcome, CallTopic
from inclusion.courses.models import Enrolment
from inclusion.courses.services import book_or_enrol, bookings_to_come
from inclusion.errors import Conflict, RuleViolation
from inclusion.extensions import db
from inclusion.phones import parse_phone
from inclusion.residents.models import Booking, BookingSource, Resident
from inclusion.sessions.models import Session
from inclusion.wards.models import Ward

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallDraft:
    """A call as the operator logs it: the caller (a resident, or nobody named) and, for an
    unnamed one, the ward they asked about."""

    resident: Resident | None
    ward: Ward | None
    topic: CallTopic
    outcome: CallOutcome
    is_resolved: bool
    note: str = ""
    caller_phone: str = ""
    #: The session (or a date of the course) to book the caller on.
    session: Session | None = None


def _ward_of(draft: CallDraft) -> Ward:
    if draft.resident is not None:
        if draft.resident.is_anonymised:
            raise RuleViolation(_l("This record was anonymised: log the call without a name."))
        return draft.resident.ward
    if draft.ward is None:
        raise RuleViolation(_l("Choose the ward the call is about."), "ward")
    return draft.ward


def log_call(operator: User, draft: CallDraft) -> Call:
    """Log one call; when it booked the caller, book them in the same transaction (a
    refused booking logs nothing, and says why)."""
    ward = _ward_of(draft)
    number = parse_phone(draft.caller_phone, "caller_phone")
    note = draft.note.strip()
    if draft.outcome == CallOutcome.PASSED and not note:
        raise RuleViolation(_l("Write what the ward should do."), "note")
    call = Call(ward_id=ward.id, resident_id=draft.resident.id if draft.resident else None,
                caller_e164=number[0] if number else None, topic=draft.topic,
                outcome=draft.outcome, note=note,
                # A call handed on was not settled by itself, whatever the box said.
                is_resolved=draft.is_resolved and draft.outcome != CallOutcome.PASSED,
                operator_id=operator.id, received_dt=clock.now())  # fmt: skip
    if draft.outcome == CallOutcome.BOOKED:
        booked = _book(operator, draft, ward)
        if isinstance(booked, Enrolment):
            call.enrolment_id = booked.id
            first = bookings_to_come(booked)
            call.booking_id = first[0].id if first else None
        else:
            call.booking_id = booked.id
    db.session.add(call)
    db.session.flush()
    details = {"topic": call.topic.value, "outcome": call.outcome.value,
               "resolved": call.is_resolved, "resident": call.resident_id}  # fmt: skip
    record_event(operator, "call.create", call, ward, details)
    log.info("call %s logged for ward %s: %s", call.id, ward.id, call.outcome.value)
    return call


def _book(operator: User, draft: CallDraft, ward: Ward) -> Booking | Enrolment:
    if draft.resident is None:
        raise RuleViolation(
            _l("Only a resident on record can be booked: find the caller first."), "outcome"
        )
    if draft.session is None or draft.session.ward_id != ward.id:
        raise RuleViolation(_l("Choose one of the ward's sessions to book."), "session")
    return book_or_enrol(operator, draft.resident, draft.session, BookingSource.PHONE)


def mark_handled(actor: User, call: Call) -> Call:
    """The ward took care of a call passed to it; done once (two staff at once: one)."""
    done = db.session.execute(
        sa.update(Call)
        .where(Call.id == call.id, Call.is_waiting)
        .values(handled_dt=clock.now(), handled_by_id=actor.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(call)
    if not done:
        raise Conflict(_l("This call was already taken care of."))
    record_event(actor, "call.handled", call, call.ward, {"resident": call.resident_id})
    return call
