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
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload

from inclusion import clock
from inclusion.audit.services import record_event
from inclusion.auth.models import User
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.phones import PhoneKind
from inclusion.reminders.media import Medium
from inclusion.reminders.models import SURVEY_KINDS, Recipient, Reminder, ReminderStatus
from inclusion.reminders.planning import insert_values
from inclusion.residents import bookings
from inclusion.residents.models import (
    Consent,
    ConsentScope,
    FollowUp,
    FollowUpAnswer,
    ReminderChannel,
    Resident,
    ResidentPhone,
)
from inclusion.surveys.models import SurveyAsk, SurveyKind, SurveyOutcome, SurveyVia
from inclusion.surveys.questions import QUESTIONS, Question
from inclusion.wards.models import Ward

log = logging.getLogger(__name__)

#: When the automatic ask goes, local time: older residents are most often home then.
SURVEY_CALL_AT = time(14)
#: What each survey needs the resident to have agreed to.
CONSENT = {SurveyKind.FOLLOW_UP: ConsentScope.FOLLOW_UP, SurveyKind.YEARLY: ConsentScope.SURVEY}
#: The most residents one draw of the yearly sample may take.
MAX_SAMPLE = 5000
#: Asks added by one INSERT.
INSERT_PART = 500
#: The age the yearly survey's "older residents" start at.
OLDER_FROM = 65


def new_token() -> str:
    """An answer page's address: 11 characters, so that the SMS stays in one segment."""
    return secrets.token_urlsafe(8)


def _insert_asks(rows: list[dict]) -> int:
    """Add asks; one already there (the same survey, year and resident) is kept."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    added = 0
    # In parts: SQLite takes at most 32,766 values in one statement.
    for start in range(0, len(rows), INSERT_PART):
        statement = insert(SurveyAsk).values(rows[start : start + INSERT_PART])
        statement = statement.on_conflict_do_nothing()
        added += db.session.execute(statement.execution_options(preserve_rowcount=True)).rowcount
    return added


def consented(scope: ConsentScope) -> sa.ColumnElement[bool]:
    """The resident in the query agreed to ``scope`` in their latest consent (a later one
    without it withdraws it). Scopes are stored as a JSON list of names: its text holds
    the name in quotes on every database."""
    latest = (
        sa.select(Consent.scopes)
        .where(Consent.resident_id == Resident.id)
        .order_by(Consent.given_on.desc(), Consent.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return sa.cast(latest, sa.String).like(f'%"{scope.value}"%')


def open_follow_up_asks(now: datetime) -> int:
    """An ask for each follow-up that came due lately and has none: the automatic call
    asks those it can; the rest are on the staff's call list at once."""
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
    return _insert_asks([
        {"kind": SurveyKind.FOLLOW_UP, "ward_id": row.ward_id, "resident_id": row.resident_id,
         "fiscal_year": clock.fiscal_year(row.due_on), "asked_on": row.due_on,
         "follow_up_id": row.id, "link_token": new_token(), "note": "", "created_dt": now}
        for row in due
    ])  # fmt: skip


def automatic_reach(resident: Resident) -> tuple[Medium, str] | None:
    """How the automatic ask reaches a resident: an SMS link to the mobile of one who chose
    SMS (where the sender allows links), else a call to their first number; None when
    they take no messages."""
    if resident.is_opted_out or resident.reminder_channel == ReminderChannel.NONE:
        return None
    if not resident.phones:
        return None
    mobile = next((p.e164 for p in resident.phones if p.kind == PhoneKind.MOBILE), None)
    by_sms = resident.reminder_channel == ReminderChannel.SMS and mobile
    if by_sms and current_app.config["SURVEY_SMS_LINKS"]:
        return Medium.SMS, mobile
    return Medium.VOICE, resident.phones[0].e164


def plan_survey_messages(now: datetime) -> int:
    """An outbox row for each new ask the resident may be asked automatically: they agreed
    to that survey, take messages, and the ward has a number to give them."""
    days = current_app.config["SURVEY_AUTO_DAYS"]
    today = clock.to_local(now).date()
    due = max(now, clock.to_utc(today, SURVEY_CALL_AT))
    rows = []
    for kind in SurveyKind:
        asks = db.session.scalars(
            sa.select(SurveyAsk)
            .join(Resident, Resident.id == SurveyAsk.resident_id)
            .join(Ward, Ward.id == SurveyAsk.ward_id)
            .options(joinedload(SurveyAsk.resident))
            .where(
                SurveyAsk.kind == kind,
                SurveyAsk.outcome.is_(None),
                SurveyAsk.created_dt > now - timedelta(days=days),
                Resident.anonymised_dt.is_(None),
                Ward.booking_phone != "",
                consented(CONSENT[kind]),
                ~sa.exists().where(Reminder.survey_ask_id == SurveyAsk.id),
            )
        )
        for ask in asks:
            reach = automatic_reach(ask.resident)
            if reach is None:
                continue
            channel, to = reach
            rows.append({
                "key": f"q{ask.id}:{SURVEY_KINDS[kind]}", "ward_id": ask.ward_id,
                "survey_ask_id": ask.id, "resident_id": ask.resident_id,
                "recipient": Recipient.RESIDENT, "kind": SURVEY_KINDS[kind], "channel": channel,
                "to_e164": to, "body": "", "due_dt": due,
                "deadline_dt": due + timedelta(days=days), "status": ReminderStatus.PENDING,
                "attempts": 0, "last_error": "", "created_dt": now, "updated_dt": now,
            })  # fmt: skip
    return insert_values(rows)


def plan(now: datetime) -> int:
    """Open the follow-ups come due and plan every automatic ask: what the job runs."""
    opened = open_follow_up_asks(now)
    planned = plan_survey_messages(now)
    if opened or planned:
        log.info("surveys: %s follow-up(s) opened, %s ask(s) planned", opened, planned)
    return planned


# -- the yearly sample -------------------------------------------------------------------


def sample_candidates(ward: Ward, year: int, older_only: bool) -> sa.Select:
    """The ward's residents the yearly survey may draw: they agreed to it, take messages,
    have a number, and were not drawn this year."""
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
    """Draw residents at random for this fiscal year's survey among ``sample_candidates``.
    Returns how many were drawn (fewer when fewer are left)."""
    today = today or clock.today()
    if not 1 <= size <= MAX_SAMPLE:
        raise RuleViolation(_l("Draw from 1 to %(most)d residents.", most=MAX_SAMPLE), "size")
    year = clock.fiscal_year(today)
    candidates = sample_candidates(ward, year, older_only)
    chosen = db.session.scalars(candidates.order_by(sa.func.random()).limit(size)).all()
    now = clock.now()
    added = _insert_asks([
        {"kind": SurveyKind.YEARLY, "ward_id": ward.id, "resident_id": resident_id,
         "fiscal_year": year, "asked_on": today, "link_token": new_token(), "note": "",
         "created_by_id": actor.id, "created_dt": now}
        for resident_id in chosen
    ])  # fmt: skip
    record_event(actor, "survey.draw", None, ward,
                 {"fiscal_year": year, "asked_for": size, "drawn": added,
                  "older_only": older_only})  # fmt: skip
    return added


# -- answers ---------------------------------------------------------------------------


def _answered(ask: SurveyAsk, via: SurveyVia, actor: User | None, outcome: SurveyOutcome) -> None:
    ask.outcome, ask.via = outcome, via
    ask.answered_dt = clock.now()
    ask.answered_by_id = actor.id if actor else None


def _follow_up_heard(ask: SurveyAsk) -> None:
    """A follow-up answered by the resident themselves gives the 80 % measure its answer,
    unless staff recorded one."""
    follow_up = ask.follow_up
    if follow_up is None or ask.used_online is None:
        return
    if follow_up.answer is not None and follow_up.answered_by_id is not None:
        return
    answer = FollowUpAnswer.YES if ask.used_online else FollowUpAnswer.NO
    bookings.record_follow_up(None, follow_up, answer, note=follow_up.note)


def may_answer_itself(ask: SurveyAsk, via: SurveyVia) -> bool:
    """Whether the resident's own answer (a key, the page) may still be written: not once
    staff recorded one or the other way answered; "no answer" gives way to a late one."""
    if ask.outcome is None or ask.outcome == SurveyOutcome.NO_ANSWER:
        return True
    return ask.outcome == SurveyOutcome.ANSWERED and ask.via == via and via == SurveyVia.CALL


def record_key(ask: SurveyAsk, question: Question, value: bool | int, reminder: Reminder) -> bool:
    """A key pressed on the call for ``question``; pressed again, it changes nothing more.
    The first question answered makes the ask answered. Returns whether it was taken."""
    if not may_answer_itself(ask, SurveyVia.CALL):
        return False
    if ask.outcome == SurveyOutcome.ANSWERED and getattr(ask, question.column) == value:
        return True
    setattr(ask, question.column, value)
    if ask.outcome != SurveyOutcome.ANSWERED:
        _answered(ask, SurveyVia.CALL, None, SurveyOutcome.ANSWERED)
        reminder.reply, reminder.replied_dt = "answered", ask.answered_dt
    db.session.flush()
    _follow_up_heard(ask)
    record_event(None, "survey.answer", ask.resident, ask.ward,
                 {"kind": ask.kind.value, "via": SurveyVia.CALL.value,
                  "question": question.column})  # fmt: skip
    return True


def record_page(ask: SurveyAsk, answers: dict[str, bool | int | None]) -> bool:
    """The answers sent from the answer page, at once. Returns whether they were taken."""
    if not may_answer_itself(ask, SurveyVia.LINK):
        return False
    for column, value in answers.items():
        setattr(ask, column, value)
    _answered(ask, SurveyVia.LINK, None, SurveyOutcome.ANSWERED)
    db.session.flush()
    _follow_up_heard(ask)
    record_event(None, "survey.answer", ask.resident, ask.ward,
                 {"kind": ask.kind.value, "via": SurveyVia.LINK.value})  # fmt: skip
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
    for column, value in wanted.items():
        setattr(ask, column, value)
    ask.note = note
    _answered(ask, SurveyVia.STAFF, actor, outcome)
    db.session.flush()
    record_event(actor, "survey.answer", ask.resident, ask.ward,
                 {"kind": ask.kind.value, "via": SurveyVia.STAFF.value,
                  "outcome": outcome.value})  # fmt: skip
    return ask


def ask_of_follow_up(follow_up: FollowUp) -> SurveyAsk:
    """The follow-up's ask, opened now when the automatic one never was."""
    _insert_asks([{
        "kind": SurveyKind.FOLLOW_UP, "ward_id": follow_up.ward_id,
        "resident_id": follow_up.resident_id, "fiscal_year": clock.fiscal_year(follow_up.due_on),
        "asked_on": follow_up.due_on, "follow_up_id": follow_up.id, "link_token": new_token(),
        "note": "", "created_dt": clock.now(),
    }])  # fmt: skip
    return db.session.scalar(sa.select(SurveyAsk).where(SurveyAsk.follow_up_id == follow_up.id))


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
    ask = ask_of_follow_up(follow_up)
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
