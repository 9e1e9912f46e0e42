"""Asking the surveys: who is asked, the automatic first ask (a call with keypad answers,
or an SMS with a link where the sender allows it), and what they answered, whichever way
it came. Only those the automatic ask did not reach are left for staff to call."""

from __future__ import annotations

import logging
import secrets
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from inclusion import clock
from inclusion.audit.services import record_event
from inclusion.auth.models import User
from inclusion.db import UTCDateTime, insert_new, lock_row
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.reminders.models import Recipient, Reminder, ReminderStatus
from inclusion.reminders.planning import insert_rows, may_message_residents, survey_reach
from inclusion.residents import bookings
from inclusion.residents.models import (
    ConsentScope,
    FollowUp,
    FollowUpAnswer,
    Resident,
    ResidentPhone,
)
from inclusion.surveys.models import SurveyAsk, SurveyKind, SurveyOutcome, SurveyVia
from inclusion.surveys.queries import agreed_to_survey, consented
from inclusion.surveys.questions import QUESTIONS, Question
from inclusion.wards.models import Ward

log = logging.getLogger(__name__)

#: When the automatic ask goes, local time: older residents are most often home then.
SURVEY_CALL_AT = time(14)
#: The most residents one draw of the yearly sample may take.
MAX_SAMPLE = 5000
#: The age the yearly survey's "older residents" start at.
OLDER_FROM = 65


def new_token() -> str:
    """An answer page's address: 11 characters, so that the SMS stays in one segment."""
    return secrets.token_urlsafe(8)


def _follow_up_ask(follow_up_id: int, ward_id: int, resident_id: int, due_on: date,
                   now: datetime) -> dict:  # fmt: skip
    """The row of a follow-up's ask: for the year and day it came due."""
    return {"kind": SurveyKind.FOLLOW_UP, "ward_id": ward_id, "resident_id": resident_id,
            "fiscal_year": clock.fiscal_year(due_on), "asked_on": due_on,
            "follow_up_id": follow_up_id, "link_token": new_token(), "note": "",
            "created_dt": now}  # fmt: skip


def open_follow_up_asks(now: datetime) -> int:
    """An ask for each follow-up that came due lately and has none: the automatic call
    asks those it can; the others are on the staff's call list at once."""
    today = clock.to_local(now).date()
    first = today - timedelta(days=current_app.config["SURVEY_FOLLOW_UP_WINDOW_DAYS"])
    due = db.session.execute(
        sa.select(FollowUp.id, FollowUp.ward_id, FollowUp.resident_id, FollowUp.due_on)
        .join(Resident, Resident.id == FollowUp.resident_id)
        .where(
            FollowUp.answer.is_(None),
            FollowUp.due_on.between(first, today),
            Resident.anonymised_dt.is_(None),
            ~sa.exists().where(SurveyAsk.follow_up_id == FollowUp.id),
        )
    )
    return insert_new(SurveyAsk, [_follow_up_ask(*row, now) for row in due])


def open_ask_of(follow_up: FollowUp) -> SurveyAsk:
    """The follow-up's ask, opened now when the automatic one never was."""
    insert_new(SurveyAsk, [_follow_up_ask(follow_up.id, follow_up.ward_id,
                                          follow_up.resident_id, follow_up.due_on,
                                          clock.now())])  # fmt: skip
    return db.session.scalar(sa.select(SurveyAsk).where(SurveyAsk.follow_up_id == follow_up.id))


#: What a survey's outbox row is made of, in ``plan_survey_messages``' order.
ROW_COLUMNS = ["key", "ward_id", "survey_ask_id", "resident_id", "recipient", "kind", "channel",
               "to_e164", "body", "due_dt", "deadline_dt", "status", "attempts", "last_error",
               "created_dt", "updated_dt"]  # fmt: skip


def plan_survey_messages(now: datetime) -> int:
    """An outbox row for each new ask whose resident may be asked automatically: they
    agreed to that survey and take messages (``survey_reach``), and the ward has a number
    to give them. One INSERT … SELECT: planning again adds nothing."""
    days = timedelta(days=current_app.config["SURVEY_AUTO_DAYS"])
    due = max(now, clock.to_utc(clock.to_local(now).date(), SURVEY_CALL_AT))
    channel, to, allowed = survey_reach()
    kind = sa.literal("survey_") + sa.cast(SurveyAsk.kind, sa.String)
    select = (
        sa.select(
            sa.literal("q") + sa.cast(SurveyAsk.id, sa.String) + ":" + kind,
            SurveyAsk.ward_id, SurveyAsk.id, SurveyAsk.resident_id,
            sa.literal(Recipient.RESIDENT.value), kind, channel, to, sa.literal(""),
            sa.literal(due, UTCDateTime()), sa.literal(due + days, UTCDateTime()),
            sa.literal(ReminderStatus.PENDING.value), sa.literal(0), sa.literal(""),
            sa.literal(now, UTCDateTime()), sa.literal(now, UTCDateTime()),
        )
        .join(Resident, Resident.id == SurveyAsk.resident_id)
        .join(Ward, Ward.id == SurveyAsk.ward_id)
        .where(
            SurveyAsk.outcome.is_(None),
            SurveyAsk.created_dt > now - days,
            *may_message_residents(),
            agreed_to_survey(),
            allowed,
            ~sa.exists().where(Reminder.survey_ask_id == SurveyAsk.id),
        )
    )  # fmt: skip
    return insert_rows(select, ROW_COLUMNS)


def plan(now: datetime) -> int:
    """Open the follow-ups come due and plan every automatic ask: what the job runs."""
    opened = open_follow_up_asks(now)
    planned = plan_survey_messages(now)
    if opened or planned:
        log.info("surveys: %s follow-up(s) opened, %s ask(s) planned", opened, planned)
    return planned


# -- the yearly sample -------------------------------------------------------------------


def sample_candidates(ward: Ward, year: int, older_only: bool) -> sa.Select:
    """The ward's residents the yearly survey may draw: they agreed to it, did not stop
    calls, have a number, and were not drawn this year."""
    drawn = sa.exists().where(
        SurveyAsk.resident_id == Resident.id,
        SurveyAsk.kind == SurveyKind.YEARLY,
        SurveyAsk.fiscal_year == year,
    )
    candidates = sa.select(Resident.id).where(
        Resident.ward_id == ward.id,
        Resident.anonymised_dt.is_(None),
        Resident.opted_out_dt.is_(None),
        sa.exists().where(ResidentPhone.resident_id == Resident.id),
        consented(ConsentScope.SURVEY),
        ~drawn,
    )
    if older_only:
        candidates = candidates.where(Resident.birth_year <= year - OLDER_FROM)
    return candidates


def count_candidates(ward: Ward, year: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(sample_candidates(ward, year, False).subquery())
    )


def draw_sample(
    actor: User, ward: Ward, size: int, older_only: bool, today: date | None = None
) -> int:
    """Draw residents at random for this fiscal year's survey among ``sample_candidates``
    and plan their automatic asks at once (staff then see only whom it cannot reach).
    Returns how many were drawn (fewer when fewer are left)."""
    today = today or clock.today()
    if not 1 <= size <= MAX_SAMPLE:
        raise RuleViolation(_l("Draw from 1 to %(most)d residents.", most=MAX_SAMPLE), "size")
    year = clock.fiscal_year(today)
    candidates = sample_candidates(ward, year, older_only)
    chosen = db.session.scalars(candidates.order_by(sa.func.random()).limit(size)).all()
    now = clock.now()
    added = insert_new(SurveyAsk, [
        {"kind": SurveyKind.YEARLY, "ward_id": ward.id, "resident_id": resident_id,
         "fiscal_year": year, "asked_on": today, "link_token": new_token(), "note": "",
         "created_by_id": actor.id, "created_dt": now}
        for resident_id in chosen
    ])  # fmt: skip
    plan_survey_messages(now)
    record_event(actor, "survey.draw", None, ward,
                 {"fiscal_year": year, "asked_for": size, "drawn": added,
                  "older_only": older_only})  # fmt: skip
    return added


# -- answers ---------------------------------------------------------------------------


def _follow_up_heard(ask: SurveyAsk) -> None:
    """A follow-up the resident answered themselves gives the 80 % measure its answer,
    unless staff recorded one they heard (their "not known" gives way)."""
    follow_up = ask.follow_up
    if follow_up is None or ask.used_online is None:
        return
    by_staff = follow_up.answered_by_id is not None
    if by_staff and follow_up.answer not in (None, FollowUpAnswer.UNKNOWN):
        return
    answer = FollowUpAnswer.YES if ask.used_online else FollowUpAnswer.NO
    bookings.record_follow_up(None, follow_up, answer, note=follow_up.note)


def may_answer_itself(ask: SurveyAsk, via: SurveyVia) -> bool:
    """Whether the resident's own answer (a key, the page) may still be written: not once
    staff recorded one or the other way answered; "no answer" gives way to a late one;
    more keys on the call that answered its first question."""
    if ask.outcome is None or ask.outcome == SurveyOutcome.NO_ANSWER:
        return True
    return ask.outcome == SurveyOutcome.ANSWERED and ask.via == via == SurveyVia.CALL


def record_answers(ask: SurveyAsk, answers: dict[str, bool | int | None], via: SurveyVia,
                   actor: User | None = None,
                   outcome: SurveyOutcome = SurveyOutcome.ANSWERED) -> SurveyAsk:  # fmt: skip
    """Write what came of an ask, however it came; audit-logged. A follow-up answered by
    the resident gives the 80 % measure its answer."""
    for column, value in answers.items():
        setattr(ask, column, value)
    ask.outcome, ask.via = outcome, via
    ask.answered_dt = clock.now()
    ask.answered_by_id = actor.id if actor else None
    db.session.flush()
    if via != SurveyVia.STAFF:
        _follow_up_heard(ask)
    record_event(actor, "survey.answer", ask.resident, ask.ward,
                 {"kind": ask.kind.value, "via": via.value, "outcome": outcome.value,
                  "answered": sorted(column for column, value in answers.items()
                                     if value is not None)})  # fmt: skip
    return ask


def record_key(ask: SurveyAsk, question: Question, value: bool | int, reminder: Reminder) -> bool:
    """A key pressed on the call for ``question``; pressed again, it changes nothing more.
    Returns whether it was taken."""
    lock_row(SurveyAsk, ask.id)
    db.session.refresh(ask)
    if not may_answer_itself(ask, SurveyVia.CALL):
        return False
    if ask.outcome == SurveyOutcome.ANSWERED and getattr(ask, question.column) == value:
        return True
    record_answers(ask, {question.column: value}, SurveyVia.CALL)
    if reminder.reply is None:
        reminder.reply, reminder.replied_dt = "answered", ask.answered_dt
    return True


def record_page(ask: SurveyAsk, answers: dict[str, bool | int | None]) -> bool:
    """The answers sent from the answer page, at once. Returns whether they were taken."""
    lock_row(SurveyAsk, ask.id)
    db.session.refresh(ask)
    if not may_answer_itself(ask, SurveyVia.LINK):
        return False
    record_answers(ask, answers, SurveyVia.LINK)
    return True


def record_by_staff(
    actor: User,
    ask: SurveyAsk,
    outcome: SurveyOutcome,
    answers: dict[str, bool | int | None],
    note: str = "",
) -> SurveyAsk:
    """What staff heard (or that nobody answered, or they would not): replaces what was
    recorded; answers go only with "answered", which needs one at least."""
    lock_row(SurveyAsk, ask.id)
    db.session.refresh(ask)
    first = QUESTIONS[ask.kind][0].column
    if outcome == SurveyOutcome.ANSWERED and all(value is None for value in answers.values()):
        raise RuleViolation(_l("Choose at least one of the resident's answers."), first)
    wanted = {
        question.column: answers.get(question.column)
        if outcome == SurveyOutcome.ANSWERED
        else None
        for question in QUESTIONS[ask.kind]
    }
    note = note.strip()[:1000]
    if (ask.outcome, ask.note) == (outcome, note) and all(
        getattr(ask, column) == value for column, value in wanted.items()
    ):
        return ask
    ask.note = note
    return record_answers(ask, wanted, SurveyVia.STAFF, actor, outcome)


#: What a staff's follow-up answer makes of the ask.
FOLLOW_UP_OUTCOMES = {
    FollowUpAnswer.YES: (SurveyOutcome.ANSWERED, True),
    FollowUpAnswer.NO: (SurveyOutcome.ANSWERED, False),
    FollowUpAnswer.UNKNOWN: (SurveyOutcome.NO_ANSWER, None),
}


def record_follow_up_by_staff(
    actor: User,
    follow_up: FollowUp,
    answer: FollowUpAnswer,
    procedure: str = "",
    note: str = "",
    satisfaction: int | None = None,
) -> FollowUp:
    """The follow-up call made by staff: the 80 % measure's answer and the satisfaction
    score, on the follow-up and its ask alike."""
    bookings.record_follow_up(actor, follow_up, answer, procedure, note)
    ask = open_ask_of(follow_up)
    outcome, used = FOLLOW_UP_OUTCOMES[answer]
    if satisfaction is not None:
        outcome = SurveyOutcome.ANSWERED
    if (ask.outcome, ask.used_online, ask.satisfaction) != (outcome, used, satisfaction):
        record_by_staff(actor, ask, outcome, {"used_online": used, "satisfaction": satisfaction},
                        note)  # fmt: skip
    return follow_up


def ask_by_token(token: str) -> SurveyAsk | None:
    if not token or len(token) > 20:
        return None
    return db.session.scalar(
        sa.select(SurveyAsk)
        .join(Resident, Resident.id == SurveyAsk.resident_id)
        .where(SurveyAsk.link_token == token, Resident.anonymised_dt.is_(None))
    )
