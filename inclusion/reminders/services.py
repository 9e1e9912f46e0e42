"""What staff do with reminders: read the log, resend one by hand, set the policy and texts."""

from __future__ import annotations

from datetime import time

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from inclusion import clock
from inclusion.audit.services import record_event
from inclusion.auth.models import User
from inclusion.db import lock_row
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.forms import unix_lines
from inclusion.reminders import messages, planning, texts, wording
from inclusion.reminders.models import (
    Reminder,
    ReminderStatus,
    ReminderStep,
    ReminderText,
    Reply,
)
from inclusion.reminders.quiet import checked_window
from inclusion.reminders.wording import MESSAGES
from inclusion.residents.models import Booking, BookingStatus, Resident
from inclusion.sessions.models import Session, SessionStatus
from inclusion.sessions.queries import Cursor, keyset_page
from inclusion.wards.models import Ward

#: Rows whose outcome is settled; staff may send such a message again.
RESENDABLE = (
    ReminderStatus.FAILED,
    ReminderStatus.UNKNOWN,
    ReminderStatus.NO_ANSWER,
    ReminderStatus.SKIPPED,
    ReminderStatus.DELIVERED,
    ReminderStatus.SENT,
)


def reminders_of_session(session: Session) -> list[Reminder]:
    return list(
        db.session.scalars(
            sa.select(Reminder)
            .options(joinedload(Reminder.resident), joinedload(Reminder.user))
            .where(Reminder.session_id == session.id)
            .order_by(Reminder.due_dt, Reminder.id)
        )
    )


def reminders_of_resident(resident_id: int, limit: int = 50) -> list[Reminder]:
    return list(
        db.session.scalars(
            sa.select(Reminder)
            .options(joinedload(Reminder.session))
            .where(Reminder.resident_id == resident_id)
            .order_by(Reminder.due_dt.desc(), Reminder.id.desc())
            .limit(limit)
        )
    )


def page_of_reminders(
    after: Cursor | None,
    size: int,
    session_id: int | None = None,
    resident_id: int | None = None,
) -> tuple[list[Reminder], Cursor | None]:
    """A session's reminders in the order they fall due, or a resident's newest first."""
    query = sa.select(Reminder)
    if session_id is not None:
        query = query.where(Reminder.session_id == session_id)
    if resident_id is not None:
        query = query.where(Reminder.resident_id == resident_id)
    rows, next_cursor = keyset_page(query, after, size, key=(Reminder.due_dt, Reminder.id),
                                    newest_first=session_id is None)  # fmt: skip
    return [row[0] for row in rows], next_cursor


def page_of_replies(
    ward_ids: list[int] | None, waiting: bool, after: Cursor | None, size: int
) -> tuple[list[Reply], Cursor | None]:
    """Replies of some wards (None: every ward's and those no ward could be told) as the
    inbox orders them: waiting ones oldest first, else newest first."""
    query = sa.select(Reply).options(joinedload(Reply.ward))
    if ward_ids is not None:
        query = query.where(Reply.ward_id.in_(ward_ids))
    if waiting:
        query = query.where(Reply.handled_dt.is_(None))
    rows, next_cursor = keyset_page(query, after, size, key=(Reply.received_dt, Reply.id),
                                    newest_first=not waiting)  # fmt: skip
    return [row[0] for row in rows], next_cursor


def reminders_of_booking(booking_id: int) -> list[Reminder]:
    """Every reminder a booking caused, to the resident or their contact, in order."""
    return list(
        db.session.scalars(
            sa.select(Reminder)
            .where(Reminder.booking_id == booking_id)
            .order_by(Reminder.due_dt, Reminder.id)
        )
    )


def latest_by_booking(session: Session) -> dict[int, Reminder]:
    """Each booking's most recent reminder to the resident, for the day's list."""
    latest: dict[int, Reminder] = {}
    for reminder in reminders_of_session(session):
        if reminder.booking_id is not None and reminder.recipient.value == "resident":
            latest[reminder.booking_id] = reminder
    return latest


def no_longer_wanted(reminder_ids: list[int]) -> set[int]:
    """Which of these rows dispatch would refuse now (``planning.stale``), in one query."""
    if not reminder_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(Reminder.id).where(Reminder.id.in_(reminder_ids), planning.stale())
        )
    )


def resend(actor: User, reminder: Reminder) -> Reminder:
    """Queue the same message again, now (quiet hours still apply); the original row stays."""
    if reminder.status not in RESENDABLE:
        raise RuleViolation(_l("This reminder is still waiting or being sent."))
    now = clock.now()
    if reminder.is_over(now):
        raise RuleViolation(
            _l("The session is over or cancelled.") if reminder.session
            else _l("It is too late for this message to be of use.")
        )  # fmt: skip
    if reminder.id in no_longer_wanted([reminder.id]):
        raise RuleViolation(
            _l("This person no longer gets this message (they stopped messages, the booking "
               "was cancelled or the number changed), so it cannot be sent again.")
        )  # fmt: skip
    copies = db.session.scalar(
        sa.select(sa.func.count()).where(Reminder.key.startswith(f"{reminder.key}:again"))
    )
    again = reminder.again(f"{reminder.key}:again{copies + 1}", due_dt=now)
    db.session.add(again)
    db.session.flush()
    record_event(
        actor,
        "reminder.resend",
        reminder.session or reminder.loan,
        reminder.ward,
        {"reminder": reminder.id, "copy": again.id},
    )
    return again


def update_quiet_hours(actor: User, ward: Ward, calls: tuple, sms: tuple) -> Ward:
    """Set a ward's own calling and SMS hours (inside the programme's); empty: the usual ones."""
    config = current_app.config
    before = (ward.calls_from, ward.calls_until, ward.sms_from, ward.sms_until)
    ward.calls_from, ward.calls_until = checked_window(
        *calls, config["REMINDER_CALL_HOURS"], "calls_until"
    )
    ward.sms_from, ward.sms_until = checked_window(*sms, config["REMINDER_SMS_HOURS"], "sms_until")
    if (ward.calls_from, ward.calls_until, ward.sms_from, ward.sms_until) == before:
        return ward
    db.session.flush()
    record_event(actor, "reminder.hours", ward, ward, {"calls": _plain(calls), "sms": _plain(sms)})
    return ward


def _plain(window: tuple) -> list:
    return [moment.strftime("%H:%M") if moment else None for moment in window]


def update_step(actor: User, step: ReminderStep, days_before: int, at: time, active: bool):
    """Change one step of the ward's policy; planned rows follow at the next plan."""
    if not 0 <= days_before <= 14:
        raise RuleViolation(_l("Enter 0 to 14 days."), "days_before")
    wanted = (days_before, at.hour * 60 + at.minute, active)
    if (step.days_before, step.at_minute, step.is_active) == wanted:
        return step
    step.days_before, step.at_minute, step.is_active = wanted
    db.session.flush()
    details = {"step": step.code, "days": days_before, "at": step.at_time_label, "on": active}
    record_event(actor, "reminder.policy", step.ward, step.ward, details)
    return step


def steps_of(ward: Ward) -> list[ReminderStep]:
    return list(
        db.session.scalars(
            sa.select(ReminderStep)
            .where(ReminderStep.ward_id == ward.id)
            .order_by(ReminderStep.audience, ReminderStep.days_before.desc(), ReminderStep.id)
        )
    )


TEXT_MAX_LENGTH = 2000
#: Words that ask for an SMS answer, which a one-way sender cannot receive.
ONE_WAY_WORDS = ("返信", "reply", "返事")


def ward_texts(ward: Ward) -> dict[str, ReminderText]:
    """The messages the ward has rewritten, by name: the latest change of each."""
    rows = db.session.scalars(
        sa.select(ReminderText)
        .where(ReminderText.ward_id == ward.id)
        .options(joinedload(ReminderText.updated_by))
        .order_by(ReminderText.updated_dt)
    )
    return {row.name: row for row in rows}


def check_text(
    ward: Ward, name: str, draft: dict[str, str], sample: texts.SampleSession | None = None
) -> list[texts.Sample]:
    """Try the draft wording of every kind of ``name``: how it reads for ``sample`` (the
    ward's next session unless given), or a plain reason why it cannot be sent (shown at
    the kind's field)."""
    message = MESSAGES[name]
    draft = {kind: wording.typed(words) for kind, words in draft.items()}
    one_way = message.is_sms and not current_app.config["REMINDER_SMS_TWO_WAY"]
    for kind, words in draft.items():
        if not words.strip():
            raise RuleViolation(_l("Write the text, or go back to the standard one."), kind)
        if len(words) > TEXT_MAX_LENGTH:
            raise RuleViolation(_l("Keep the text under 2,000 characters."), kind)
        wording.check(name, kind, words)
        # The words themselves, not a session's name that happens to say 返信.
        asked = words.replace("{返信}", "").lower()
        if one_way and any(word in asked for word in ONE_WAY_WORDS):
            raise RuleViolation(
                _l(
                    "Residents cannot answer these SMS (they come from a sender name, not a "
                    "number): do not ask them to reply; give the ward's number to call."
                ),
                kind,
            )
    if message.is_sms:
        for longest in texts.samples(ward, name, draft, texts.longest_sample()):
            if longest.too_long:
                raise RuleViolation(
                    _l(
                        "Even without the session's name and venue, this SMS has %(length)s "
                        "characters; one SMS holds %(limit)s.",
                        length=longest.length,
                        limit=messages.SMS_LIMIT,
                    ),
                    longest.kind,
                )
    return texts.samples(ward, name, draft, sample)


def update_text(actor: User, ward: Ward, name: str, draft: dict[str, str]) -> bool:
    """Use the ward's own wording of ``name`` (by kind) from the next message on; whether
    anything changed. Wording equal to the standard is kept as the standard."""
    draft = {kind: wording.typed(unix_lines(words)) for kind, words in draft.items()}
    check_text(ward, name, draft)
    lock_row(Ward, ward.id)  # one writer per ward: no two rows for one kind
    stored = sa.select(ReminderText).where(
        ReminderText.ward_id == ward.id, ReminderText.name == name
    )
    rows = {row.kind: row for row in db.session.scalars(stored)}
    changed = []
    for kind, words in draft.items():
        row = rows.get(kind)
        standard = MESSAGES[name].standard[kind]
        if words == (row.body if row else standard):
            continue
        changed.append(kind)
        if words == standard:
            db.session.delete(row)
        elif row is None:
            db.session.add(ReminderText(ward_id=ward.id, name=name, kind=kind, body=words,
                                        updated_by_id=actor.id))  # fmt: skip
        else:
            row.body, row.updated_by_id = words, actor.id
    if changed:
        db.session.flush()
        messages.forget_ward_texts()
        record_event(actor, "reminder.text", ward, ward, {"name": name, "kinds": changed})
    return bool(changed)


def reset_text(actor: User, ward: Ward, name: str) -> None:
    """Go back to the standard wording for ``name``."""
    deleted = db.session.execute(
        sa.delete(ReminderText).where(ReminderText.ward_id == ward.id, ReminderText.name == name)
    ).rowcount
    messages.forget_ward_texts()
    if deleted:
        record_event(actor, "reminder.text.reset", ward, ward, {"name": name})


#: How many replies the inbox shows at once: the oldest waiting ones first.
INBOX_SIZE = 100


def replies_of(ward: Ward | None, waiting: bool) -> list[Reply]:
    """A ward's inbox (``None``: replies no ward could be told), waiting ones or all, newest
    first among the handled, oldest first among those waiting for a call back."""
    query = (
        sa.select(Reply)
        .options(joinedload(Reply.handled_by), joinedload(Reply.reminder))
        .where(Reply.ward_id == ward.id if ward else Reply.ward_id.is_(None))
        .limit(INBOX_SIZE)
    )
    if waiting:
        query = query.where(Reply.handled_dt.is_(None)).order_by(Reply.received_dt, Reply.id)
    else:
        query = query.order_by(Reply.received_dt.desc(), Reply.id.desc())
    return list(db.session.scalars(query))


def _by_id(query: sa.Select, model, ids: set[int]) -> dict:
    """The rows with these ids, in one query (none for no ids)."""
    if not ids:
        return {}
    return {row.id: row for row in db.session.scalars(query.where(model.id.in_(ids)))}


def residents_named(replies: list[Reply]) -> dict[int, Resident]:
    """The residents the replies name, in one query."""
    ids = {resident_id for reply in replies for resident_id in reply.resident_ids}
    return _by_id(sa.select(Resident), Resident, ids)


def bookings_named(replies: list[Reply]) -> dict[int, Booking]:
    """The bookings unclear replies could have meant, with their sessions, in one query."""
    ids = {booking_id for reply in replies for booking_id in reply.booking_ids}
    return _by_id(sa.select(Booking).options(joinedload(Booking.session)), Booking, ids)


def count_waiting_replies(ward: Ward) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Reply)
        .where(Reply.ward_id == ward.id, Reply.handled_dt.is_(None))
    )


def mark_handled(actor: User, reply: Reply) -> Reply:
    """Staff followed a reply up (called back, changed the booking by hand). Two people
    marking it at once: the first one counts, the second is told."""
    marked = db.session.execute(
        sa.update(Reply)
        .where(Reply.id == reply.id, Reply.handled_dt.is_(None))
        .values(handled_dt=clock.now(), handled_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(reply)
    if marked.rowcount != 1:
        raise RuleViolation(
            _l("This reply was already marked as followed up by %(name)s.",
               name=reply.handled_by.display_name if reply.handled_by else "—")
        )  # fmt: skip
    record_event(
        actor, "reply.handle", reply, reply.ward_id and db.session.get(Ward, reply.ward_id)
    )
    return reply


def wards_missing_phone(ward: Ward | None = None) -> list[Ward]:
    """Wards with residents booked ahead but no booking phone: every message to a resident
    tells them whom to call, so none is planned until the number is set."""
    booked_ahead = (
        sa.select(Session.ward_id)
        .join(Booking, Booking.session_id == Session.id)
        .where(
            Session.status == SessionStatus.SCHEDULED,
            Session.starts_dt > clock.now(),
            Booking.status == BookingStatus.BOOKED,
        )
    )
    query = sa.select(Ward).where(Ward.booking_phone == "", Ward.id.in_(booked_ahead))
    if ward is not None:
        query = query.where(Ward.id == ward.id)
    return list(db.session.scalars(query.order_by(Ward.code)))
