"""Who is to be asked, by what, and where each survey stands: the rules the planner, the
outbox, the staff's lists and the figures share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from inclusion.extensions import db
from inclusion.reminders.media import Medium
from inclusion.reminders.models import Reminder, ReminderStatus
from inclusion.residents.models import Consent, ConsentScope, FollowUp, Resident
from inclusion.surveys.models import SurveyAsk, SurveyKind, SurveyOutcome, SurveyVia
from inclusion.wards.models import Ward

#: What each survey needs the resident to have agreed to.
CONSENT = {SurveyKind.FOLLOW_UP: ConsentScope.FOLLOW_UP, SurveyKind.YEARLY: ConsentScope.SURVEY}


def consented(scope: ConsentScope) -> sa.ColumnElement[bool]:
    """The resident in the query agreed to ``scope`` in their latest consent (a later one
    without it withdraws it). Scopes are stored as a JSON list of names: its text holds
    the name in quotes on every database."""
    latest = (
        sa.select(Consent.scopes)
        .where(Consent.resident_id == Resident.id)
        .order_by(Consent.given_on.desc(), Consent.id.desc())
        .limit(1)
        .correlate_except(Consent)
        .scalar_subquery()
    )
    return sa.cast(latest, sa.String).like(f'%"{scope.value}"%')


def agreed_to_survey() -> sa.ColumnElement[bool]:
    """The resident in the query agreed to the survey the ask in the query is of."""
    return sa.case(
        (SurveyAsk.kind == SurveyKind.FOLLOW_UP, consented(CONSENT[SurveyKind.FOLLOW_UP])),
        else_=consented(CONSENT[SurveyKind.YEARLY]),
    )


def waiting(now: datetime) -> sa.ColumnElement[bool]:
    """The ask in the query waits for its automatic ask: a call not yet made or still
    going on, or an SMS link sent, while its days last. Else staff call."""
    live = sa.or_(
        Reminder.status.in_((ReminderStatus.PENDING, ReminderStatus.SENDING,
                             ReminderStatus.SENT)),
        sa.and_(Reminder.channel == Medium.SMS, Reminder.status == ReminderStatus.DELIVERED),
    )  # fmt: skip
    return sa.exists().where(
        Reminder.survey_ask_id == SurveyAsk.id, Reminder.deadline_dt > now, live
    )


def follow_up_waiting(now: datetime) -> sa.ColumnElement[bool]:
    """The follow-up in the query waits for its automatic ask."""
    return sa.exists().where(SurveyAsk.follow_up_id == FollowUp.id, waiting(now))


def staff_may_call() -> sa.ColumnElement[bool]:
    """Staff may ask the resident in the query the survey of the ask in the query: they
    did not stop calls and still agree to it."""
    return sa.and_(Resident.opted_out_dt.is_(None), agreed_to_survey())


def to_call(ward: Ward, year: int, now: datetime) -> sa.Select:
    """The ward's yearly-survey residents whom staff are to call: not answered, not
    waiting for the automatic ask, and ``staff_may_call``."""
    return (
        sa.select(SurveyAsk)
        .join(Resident, Resident.id == SurveyAsk.resident_id)
        .where(
            SurveyAsk.ward_id == ward.id,
            SurveyAsk.kind == SurveyKind.YEARLY,
            SurveyAsk.fiscal_year == year,
            SurveyAsk.outcome.is_(None),
            Resident.anonymised_dt.is_(None),
            ~waiting(now),
            staff_may_call(),
        )
    )


def ask_of_follow_up(follow_up: FollowUp) -> SurveyAsk | None:
    return db.session.scalar(sa.select(SurveyAsk).where(SurveyAsk.follow_up_id == follow_up.id))


def calls_to_make(ward: Ward, year: int, now: datetime, limit: int = 100) -> list[SurveyAsk]:
    """The first ``limit`` residents staff are to call, in the order they were drawn."""
    return list(
        db.session.scalars(
            to_call(ward, year, now)
            .options(joinedload(SurveyAsk.resident))
            .order_by(SurveyAsk.asked_on, SurveyAsk.id)
            .limit(limit)
        )
    )


def count_calls_to_make(ward: Ward, year: int, now: datetime) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(to_call(ward, year, now).subquery())
    )


@dataclass
class Summary:
    """Where one survey stands in a ward and year: everyone asked, by what came of it."""

    kind: SurveyKind
    asked: int = 0
    waiting: int = 0
    to_call: int = 0
    #: Not answered, and no longer to be asked: they stopped calls or withdrew consent.
    stopped: int = 0
    by_outcome: dict[SurveyOutcome, int] = field(default_factory=dict)
    by_via: dict[SurveyVia, int] = field(default_factory=dict)

    @property
    def answered(self) -> int:
        return self.by_outcome.get(SurveyOutcome.ANSWERED, 0)

    @property
    def no_answer(self) -> int:
        return self.by_outcome.get(SurveyOutcome.NO_ANSWER, 0)

    @property
    def declined(self) -> int:
        return self.by_outcome.get(SurveyOutcome.DECLINED, 0)

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.asked * 100 if self.asked else None


def empty_summaries() -> dict[SurveyKind, Summary]:
    return {kind: Summary(kind) for kind in SurveyKind}


#: What an unanswered ask is, as the summaries count it: the staff's list's own rules.
WAITING, TO_CALL, STOPPED = "waiting", "to_call", "stopped"


def summaries_by_ward(
    ward_ids: list[int] | None, year: int, now: datetime
) -> dict[int, dict[SurveyKind, Summary]]:
    """Each survey's summary for each ward (None: every ward) and year, in one query."""
    state = sa.case((waiting(now), WAITING), (staff_may_call(), TO_CALL), else_=STOPPED)
    asks = (
        sa.select(SurveyAsk.ward_id, SurveyAsk.kind, SurveyAsk.outcome, SurveyAsk.via,
                  state.label("state"))
        .join(Resident, Resident.id == SurveyAsk.resident_id)
        .where(SurveyAsk.fiscal_year == year, Resident.anonymised_dt.is_(None))
    )  # fmt: skip
    if ward_ids is not None:
        asks = asks.where(SurveyAsk.ward_id.in_(ward_ids))
    asks = asks.subquery()
    columns = (asks.c.ward_id, asks.c.kind, asks.c.outcome, asks.c.via, asks.c.state)
    rows = db.session.execute(sa.select(*columns, sa.func.count()).group_by(*columns))
    found: dict[int, dict[SurveyKind, Summary]] = {}
    for ward_id, kind, outcome, via, unanswered, count in rows:
        summary = found.setdefault(ward_id, empty_summaries())[SurveyKind(kind)]
        summary.asked += count
        if outcome is None:  # the state is named as the summary's count of it
            setattr(summary, unanswered, getattr(summary, unanswered) + count)
            continue
        outcome = SurveyOutcome(outcome)
        summary.by_outcome[outcome] = summary.by_outcome.get(outcome, 0) + count
        if outcome == SurveyOutcome.ANSWERED and via is not None:
            summary.by_via[SurveyVia(via)] = summary.by_via.get(SurveyVia(via), 0) + count
    return found


def summaries(ward: Ward, year: int, now: datetime) -> dict[SurveyKind, Summary]:
    """Each survey's summary for one ward and year."""
    return summaries_by_ward([ward.id], year, now).get(ward.id) or empty_summaries()
