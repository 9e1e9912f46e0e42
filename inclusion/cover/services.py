"""Cover and swaps: every change of who holds a shift when its volunteer cannot come.

A volunteer who cannot come asks for cover; the shift stays theirs until someone takes
it. Qualified volunteers are offered it through the outbox (mail, SMS or a call, as each
chose) in waves: first those who have helped at the venue, then everyone qualified. The
first to say yes takes it (the shift's row lock settles who); the offers still waiting
are cancelled by the outbox's own ``stale`` rule. Staff are alerted when nobody has
taken it some hours before the session.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from inclusion import clock
from inclusion.audit.services import record_event
from inclusion.auth.models import Role, User
from inclusion.cover.models import (
    PENDING_SWAP,
    CoverOffer,
    CoverRequest,
    CoverStatus,
    OfferAnswer,
    SwapRequest,
    SwapStatus,
)
from inclusion.db import lock_row
from inclusion.errors import Conflict, RuleViolation
from inclusion.extensions import db
from inclusion.mail import MailNotSent, send_mail
from inclusion.reminders.media import Medium
from inclusion.reminders.models import (
    COVER_DONE,
    COVER_OFFER,
    SWAP_ASKED,
    Recipient,
    Reminder,
    ReminderStatus,
)
from inclusion.reminders.planning import cancel_stale, insert_values
from inclusion.sessions.models import Session, SessionStatus, Topic
from inclusion.volunteers import pool
from inclusion.volunteers.models import (
    Shift,
    ShiftOrigin,
    ShiftRole,
    ShiftStatus,
    Skill,
    TrainingLevel,
    TrainingRecord,
    VolunteerProfile,
)
from inclusion.volunteers.services import hand_over, too_close, valid_training_on
from inclusion.wards.models import Ward
from inclusion.wards.services import staff_addresses
from inclusion.web import public_url

log = logging.getLogger(__name__)

#: Wave 1: volunteers who have helped at the venue; wave 2: everyone else qualified.
KNOW_THE_VENUE, EVERYONE = 1, 2
#: Volunteers one wave asks at most: a large ward's whole roster is not called at once.
WAVE_LIMIT = 100

#: The skills a session's subjects ask of whoever helps at it.
TOPIC_SKILLS = {
    Topic.LINE: Skill.LINE,
    Topic.MY_NUMBER_CARD: Skill.MY_NUMBER_CARD,
    Topic.MYNA_PORTAL: Skill.MY_NUMBER_CARD,
    Topic.ONLINE_APPLICATION: Skill.ONLINE_APPLICATION,
    Topic.E_TAX: Skill.ONLINE_APPLICATION,
    Topic.CASHLESS: Skill.CASHLESS,
    Topic.FRAUD_SECURITY: Skill.SECURITY,
}


def needed_skills(session: Session) -> list[Skill]:
    return sorted({TOPIC_SKILLS[topic] for topic in session.topics if topic in TOPIC_SKILLS})


# -- who may be asked ----------------------------------------------------------------------


def _qualified(session: Session, role: ShiftRole, excluding: set[int]) -> sa.Select:
    """Volunteers who could take a ``role`` place at ``session`` now, and whether each has
    helped at its venue: active, not paused, in its ward or the pool, trained on the day
    (as a lead for a lead place), with the skills its subjects ask, free at that time,
    and reachable the way they chose."""
    day = clock.to_local(session.starts_dt).date()
    trained = sa.exists().where(
        TrainingRecord.user_id == User.id,
        *valid_training_on(day),
        *([TrainingRecord.level == TrainingLevel.LEAD] if role == ShiftRole.LEAD else []),
    )
    # Any place too close in time, this session's own included.
    busy = too_close(session, User.id, itself=True).exists()
    at_venue = aliased(Session)
    knows_venue = (
        sa.select(Shift.id)
        .join(at_venue, at_venue.id == Shift.session_id)
        .where(
            Shift.user_id == User.id,
            Shift.status == ShiftStatus.ATTENDED,
            at_venue.venue_id == session.venue_id,
        )
        .exists()
    )
    reachable = sa.or_(
        sa.and_(VolunteerProfile.offers_by == Medium.EMAIL, User.email != ""),
        sa.and_(
            VolunteerProfile.offers_by != Medium.EMAIL, VolunteerProfile.mobile_e164.is_not(None)
        ),
    )
    # JSON lists differ between SQLite and PostgreSQL; the quoted value matches in both.
    skills = [
        sa.cast(VolunteerProfile.skills, sa.String).contains(f'"{skill.value}"')
        for skill in needed_skills(session)
    ]
    return (
        sa.select(User, VolunteerProfile, knows_venue.label("knows_venue"))
        .join(VolunteerProfile, VolunteerProfile.user_id == User.id)
        .where(
            User.role == Role.VOLUNTEER,
            User.is_active,
            sa.not_(VolunteerProfile.is_paused),
            pool.may_help_sql(session),
            trained,
            sa.not_(busy),
            reachable,
            *skills,
            *([User.id.not_in(excluding)] if excluding else []),
        )
        .order_by(knows_venue.desc(), User.id)
    )


def offer_key(request_id: int, user_id: int) -> str:
    return f"cover{request_id}:{user_id}"


_OFFER_KEY = re.compile(r"cover(\d+):(\d+)")


def _offer_of_key(key: str) -> CoverOffer | None:
    found = _OFFER_KEY.fullmatch(key)
    if found is None:
        return None
    request_id, user_id = map(int, found.groups())
    return db.session.scalar(
        sa.select(CoverOffer).where(
            CoverOffer.request_id == request_id, CoverOffer.user_id == user_id
        )
    )


def _message(
    key: str, kind: str, session: Session, user: User, profile: VolunteerProfile, shift_id
) -> dict:
    """One outbox row to a volunteer, by the way they chose (a mail names them: ``u42``)."""
    now = clock.now()
    medium = profile.offers_by
    return {
        "key": key,
        "ward_id": session.ward_id,
        "session_id": session.id,
        "shift_id": shift_id,
        "user_id": user.id,
        "recipient": Recipient.VOLUNTEER,
        "kind": kind,
        "channel": medium,
        "to_e164": f"u{user.id}" if medium == Medium.EMAIL else profile.mobile_e164,
        "body": "",
        "due_dt": now,
        "status": ReminderStatus.PENDING,
        "attempts": 0,
        "last_error": "",
        "created_dt": now,
        "updated_dt": now,
    }


def _may_reach(user: User, profile: VolunteerProfile | None) -> bool:
    if profile is None:
        return False
    if profile.offers_by == Medium.EMAIL:
        return bool(user.email)
    return profile.mobile_e164 is not None


def _notify(key: str, kind: str, session: Session, user: User, shift_id: int | None) -> None:
    """Tell one volunteer something about cover or a swap, if they can be reached."""
    profile = user.volunteer_profile
    if user.is_active and _may_reach(user, profile):
        insert_values([_message(key, kind, session, user, profile, shift_id)])


# -- asking for cover ----------------------------------------------------------------------


def request_cover(volunteer: User, shift: Shift, note: str = "") -> CoverRequest:
    """Ask others to take over ``shift``; it stays the volunteer's until someone does.
    Asking again while a request is open returns that request."""
    if shift.user_id != volunteer.id:
        raise RuleViolation(_l("This is not your shift."))
    lock_row(Shift, shift.id)
    db.session.refresh(shift)
    if shift.status != ShiftStatus.CLAIMED:
        raise RuleViolation(_l("Only a shift you signed up for can be handed over."))
    session = shift.session
    if session.status != SessionStatus.SCHEDULED or session.starts_dt <= clock.now():
        raise RuleViolation(_l("This session is cancelled, over or has already started."))
    open_request = _open_request(shift.id)
    if open_request is not None:
        return open_request
    request = CoverRequest(
        shift_id=shift.id,
        session_id=session.id,
        ward_id=session.ward_id,
        requested_by_id=volunteer.id,
        note=note.strip()[:200],
        status=CoverStatus.OPEN,
    )
    db.session.add(request)
    db.session.flush()
    record_event(volunteer, "cover.request", session, session.ward,
                 {"request": request.id, "shift": shift.id, "role": shift.role.value})  # fmt: skip
    _next_wave(request, clock.now())
    log.info("cover request %s for shift %s", request.id, shift.id)
    return request


def _open_request(shift_id: int) -> CoverRequest | None:
    return db.session.scalar(
        sa.select(CoverRequest).where(
            CoverRequest.shift_id == shift_id, CoverRequest.status == CoverStatus.OPEN
        )
    )


def _alert_at(request: CoverRequest) -> datetime:
    return request.session.starts_dt - timedelta(hours=request.ward.cover_alert_hours)


def _next_wave(request: CoverRequest, now: datetime) -> int:
    """Offer the shift to the next wave; return how many were asked. Wave 1 (those who
    know the venue) is skipped when there are none; after wave 2 none is left."""
    # Nobody is asked twice about one shift, whatever became of an earlier request for it.
    asked = set(
        db.session.scalars(
            sa.select(CoverOffer.user_id)
            .join(CoverRequest, CoverRequest.id == CoverOffer.request_id)
            .where(CoverRequest.shift_id == request.shift_id)
        )
    ) | {request.requested_by_id}
    query = _qualified(request.session, request.shift.role, asked).limit(WAVE_LIMIT)
    found = db.session.execute(query).all()
    wave = KNOW_THE_VENUE if request.wave == 0 else EVERYONE
    if wave == KNOW_THE_VENUE:
        knowing = [row for row in found if row.knows_venue]
        if knowing:
            found = knowing
        else:
            wave = EVERYONE
    request.wave = wave
    gap = timedelta(minutes=current_app.config["COVER_WAVE_MINUTES"])
    request.next_wave_dt = min(now + gap, _alert_at(request)) if wave == KNOW_THE_VENUE else None
    rows = []
    for user, profile, _knows in found:
        db.session.add(CoverOffer(request_id=request.id, user_id=user.id, wave=wave,
                                  medium=profile.offers_by, offered_dt=now))  # fmt: skip
        rows.append(_message(offer_key(request.id, user.id), COVER_OFFER, request.session,
                             user, profile, request.shift_id))  # fmt: skip
    db.session.flush()
    db.session.expire(request, ["offers"])  # read again with the wave just asked
    insert_values(rows)
    record_event(None, "cover.offer", request.session, request.ward,
                 {"request": request.id, "wave": wave, "asked": len(rows)})  # fmt: skip
    return len(rows)


@dataclass(frozen=True)
class Answer:
    """What came of a volunteer's answer to an offer: what they are told, as it is."""

    outcome: OfferAnswer | CoverStatus | None
    message: str
    shift: Shift | None = None

    @property
    def took_it(self) -> bool:
        return self.outcome == OfferAnswer.TAKEN


def _offer_for(volunteer: User, request: CoverRequest) -> CoverOffer:
    offer = db.session.scalar(
        sa.select(CoverOffer).where(
            CoverOffer.request_id == request.id, CoverOffer.user_id == volunteer.id
        )
    )
    if offer is None:
        raise RuleViolation(_l("This shift was not offered to you."))
    return offer


def take_cover(volunteer: User, request: CoverRequest) -> Answer:
    """Take over the shift of an open request offered to ``volunteer``: the first to say
    yes gets it; later ones are told it is taken. Refused (RuleViolation) when a shift
    rule stops this volunteer, e.g. a clash that came since the offer."""
    lock_row(Shift, request.shift_id)  # one taker at a time for this shift
    db.session.refresh(request)
    offer = _offer_for(volunteer, request)
    now = clock.now()
    if request.status == CoverStatus.COVERED and request.covered_by_id == volunteer.id:
        # Said yes twice (a second click, a key pressed again): it is theirs already.
        return Answer(
            OfferAnswer.TAKEN,
            str(_l("Thank you: “%(title)s” is now your shift.", title=request.session.title)),
            db.session.get(Shift, request.new_shift_id),
        )
    if request.status == CoverStatus.COVERED:
        if offer.answer is None:
            offer.answer, offer.answered_dt = OfferAnswer.TOO_LATE, now
        return Answer(
            OfferAnswer.TOO_LATE,
            str(_l("Someone else has already taken this shift. Thank you all the same.")),
        )
    if not request.is_open:
        return Answer(
            request.status,
            str(_l("This shift no longer needs cover. Thank you all the same.")),
        )
    request.status, request.closed_dt = CoverStatus.COVERED, now
    request.covered_by_id, request.next_wave_dt = volunteer.id, None
    db.session.flush()
    session, holder = request.session, request.shift.volunteer
    (shift,) = hand_over([(request.shift, volunteer)], ShiftOrigin.COVER, told=volunteer)
    request.new_shift_id = shift.id
    offer.answer, offer.answered_dt = OfferAnswer.TAKEN, now
    record_event(volunteer, "cover.take", session, session.ward,
                 {"request": request.id, "from": holder.id, "shift": shift.id,
                  "from_pool": shift.from_pool})  # fmt: skip
    # About the place as it is now held: should the taker give it up, the news is no longer
    # true and is not sent.
    _notify(f"covered{request.id}", COVER_DONE, session, holder, shift.id)
    log.info("cover request %s taken by volunteer %s", request.id, volunteer.id)
    return Answer(
        OfferAnswer.TAKEN,
        str(_l("Thank you: “%(title)s” is now your shift.", title=session.title)),
        shift,
    )


def decline_cover(volunteer: User, request: CoverRequest) -> Answer:
    """Say no to an offer; when everyone of the first wave has, the next goes at once."""
    lock_row(Shift, request.shift_id)
    db.session.refresh(request)
    offer = _offer_for(volunteer, request)
    if offer.answer is None:
        offer.answer, offer.answered_dt = OfferAnswer.DECLINED, clock.now()
        db.session.flush()
        record_event(volunteer, "cover.decline", request.session, request.ward,
                     {"request": request.id})  # fmt: skip
    if (
        request.is_open
        and request.wave == KNOW_THE_VENUE
        and all(other.answer == OfferAnswer.DECLINED for other in request.offers)
    ):
        _next_wave(request, clock.now())
    return Answer(OfferAnswer.DECLINED, str(_l("Thank you for letting us know.")))


def withdraw_cover(actor: User, request: CoverRequest) -> CoverRequest:
    """The volunteer can come after all (or staff settled it): no more offers go out."""
    if actor.role == Role.VOLUNTEER and actor.id != request.requested_by_id:
        raise RuleViolation(_l("This is not your request."))
    lock_row(Shift, request.shift_id)
    db.session.refresh(request)
    if not request.is_open:
        raise RuleViolation(_l("This request is no longer open."))
    request.status, request.closed_dt, request.next_wave_dt = (
        CoverStatus.WITHDRAWN, clock.now(), None,
    )  # fmt: skip
    db.session.flush()
    cancel_stale(clock.now(), [request.session_id])  # the offers still waiting
    record_event(actor, "cover.withdraw", request.session, request.ward, {"request": request.id})
    return request


#: Spoken on a call, by what came of the key pressed.
SPOKEN = {
    OfferAnswer.TAKEN: "ありがとうございます。このお手伝いを、お引き受けいただきました。"
    "支援員のページの、自分の活動に、のせました。",
    OfferAnswer.TOO_LATE: "ありがとうございます。ですが、すでにほかの方が、"
    "お引き受けくださいました。今回のお手伝いは、いりません。",
    OfferAnswer.DECLINED: "承知しました。お返事、ありがとうございました。",
    "closed": "この代わりの募集は、終わりました。今回のお手伝いは、いりません。",
    "refused": "申し訳ありません。お引き受けできませんでした。",
}
TAKE, DECLINE = "1", "2"
PROMPT = (
    "お引き受けいただける方は1を、お断りされる方は2を、もう一度お聞きになる方は9を押してください。"
)


def answer_by_key(reminder: Reminder, digits: str) -> str:
    """A key pressed on an offer call: 1 takes the shift, 2 declines; what to say back."""
    offer = _offer_of_key(reminder.key)
    if offer is None:
        return SPOKEN["closed"]
    volunteer, request = offer.volunteer, offer.request
    if digits == TAKE:
        try:
            # A refusal undoes only this answer's changes; the call's own record stays.
            with db.session.begin_nested():
                answer = take_cover(volunteer, request)
        except RuleViolation as violation:
            with force_locale("ja"):
                return f"{SPOKEN['refused']}{violation}"
    else:
        answer = decline_cover(volunteer, request)
    reminder.reply, reminder.replied_dt = str(answer.outcome), clock.now()
    return SPOKEN.get(answer.outcome, SPOKEN["closed"])


# -- the scheduler's part ------------------------------------------------------------------


@dataclass
class Advanced:
    closed: int = 0
    waves: int = 0
    alerted: list[int] = field(default_factory=list)


def advance(now: datetime) -> Advanced:
    """Close requests whose session began or went away, send second waves that are due,
    and alert staff of shifts nobody has taken close to their session. Commits."""
    result = Advanced(closed=close_finished(now))
    db.session.commit()
    due = db.session.scalars(
        sa.select(CoverRequest.id).where(
            CoverRequest.status == CoverStatus.OPEN, CoverRequest.next_wave_dt <= now
        )
    ).all()
    for request_id in due:
        lock_row(Shift, db.session.get(CoverRequest, request_id).shift_id)
        request = db.session.get(CoverRequest, request_id)
        db.session.refresh(request)
        if request.is_open and request.next_wave_dt is not None and request.next_wave_dt <= now:
            _next_wave(request, now)
            result.waves += 1
        db.session.commit()
    result.alerted = alert_staff(now)
    return result


def close_finished(now: datetime, session_ids: list[int] | None = None) -> int:
    """Open requests (of some sessions, or all) whose session has begun (nobody found),
    was cancelled, or whose shift staff took away: closed, set-based."""
    started = sa.select(Session.id).where(
        Session.id == CoverRequest.session_id,
        Session.status == SessionStatus.SCHEDULED,
        Session.starts_dt <= now,
    )
    gone = sa.or_(
        sa.exists().where(
            Session.id == CoverRequest.session_id, Session.status != SessionStatus.SCHEDULED
        ),
        sa.exists().where(Shift.id == CoverRequest.shift_id, Shift.status != ShiftStatus.CLAIMED),
    )
    of_sessions = [] if session_ids is None else [CoverRequest.session_id.in_(session_ids)]
    closed = 0
    for status, condition in ((CoverStatus.CLOSED, gone),
                              (CoverStatus.UNFILLED, sa.exists(started))):  # fmt: skip
        closed += db.session.execute(
            sa.update(CoverRequest)
            .where(
                CoverRequest.status == CoverStatus.OPEN,
                condition,
                *of_sessions,
            )
            .values(status=status, closed_dt=now, next_wave_dt=None)
            .execution_options(synchronize_session="fetch")
        ).rowcount
    return closed + lapse_swaps(now, session_ids)


def lapse_swaps(now: datetime, session_ids: list[int] | None = None) -> int:
    """Swaps on their way (of shifts at some sessions, or all) that can no longer be made: a
    shift given up or taken over, a session cancelled or begun. Set-based."""
    no_longer = (
        sa.select(Shift.id)
        .join(Session, Session.id == Shift.session_id)
        .where(
            Shift.id.in_([SwapRequest.offered_shift_id, SwapRequest.wanted_shift_id]),
            sa.or_(
                Shift.status != ShiftStatus.CLAIMED,
                Session.status != SessionStatus.SCHEDULED,
                Session.starts_dt <= now,
            ),
        )
        .exists()
    )
    touching = []
    if session_ids is not None:
        shifts = sa.select(Shift.id).where(Shift.session_id.in_(session_ids))
        touching = [sa.or_(SwapRequest.offered_shift_id.in_(shifts),
                           SwapRequest.wanted_shift_id.in_(shifts))]  # fmt: skip
    return db.session.execute(
        sa.update(SwapRequest)
        .where(SwapRequest.status.in_(PENDING_SWAP), no_longer, *touching)
        .values(status=SwapStatus.LAPSED, closed_dt=now)
        .execution_options(synchronize_session="fetch")
    ).rowcount


def _alert_due(now: datetime) -> sa.ColumnElement[bool]:
    """Open, not yet alerted, and within its ward's alert hours of the session, or with
    every wave gone and nobody it could be offered to."""
    hours = set(db.session.scalars(sa.select(Ward.cover_alert_hours).distinct()))
    near = [
        sa.and_(Ward.cover_alert_hours == hour, Session.starts_dt <= now + timedelta(hours=hour))
        for hour in hours
    ]
    nobody_asked = sa.and_(
        CoverRequest.wave == EVERYONE,
        sa.not_(sa.exists().where(CoverOffer.request_id == CoverRequest.id)),
    )
    return sa.and_(
        CoverRequest.status == CoverStatus.OPEN,
        CoverRequest.alerted_dt.is_(None),
        sa.or_(nobody_asked, *near),
    )


def alert_staff(now: datetime) -> list[int]:
    """Mark each request due an alert, then mail its ward's staff; one mark, one mail,
    whatever the number of schedulers (the mark is a conditional UPDATE)."""
    due = (
        db.session.execute(
            sa.select(CoverRequest.id)
            .join(Session, Session.id == CoverRequest.session_id)
            .join(Ward, Ward.id == CoverRequest.ward_id)
            .where(_alert_due(now))
        )
        .scalars()
        .all()
    )
    alerted = []
    for request_id in due:
        marked = db.session.execute(
            sa.update(CoverRequest)
            .where(CoverRequest.id == request_id, CoverRequest.alerted_dt.is_(None),
                   CoverRequest.status == CoverStatus.OPEN)
            .values(alerted_dt=now)
        ).rowcount  # fmt: skip
        if not marked:
            continue
        request = db.session.get(CoverRequest, request_id)
        record_event(None, "cover.alert", request.session, request.ward,
                     {"request": request.id, "asked": len(request.offers)})  # fmt: skip
        db.session.commit()
        alerted.append(request_id)
        _mail_alert(request)
    return alerted


def _mail_alert(request: CoverRequest) -> None:
    """The alert's mail; the home page shows the alert whether or not it went."""
    recipients = staff_addresses(request.ward)
    if not recipients:
        return
    subject, _newline, body = (
        render_template(
            "cover/mail_alert.txt",
            request=request,
            shift=request.shift,
            session=request.session,
            offers=request.offers,
            url=public_url("cover.ward_list", ward=request.ward.slug),
        )
        .strip()
        .partition("\n")
    )
    try:
        send_mail(recipients, subject, body.strip() + "\n")
    except MailNotSent as error:
        log.warning("cover alert %s not mailed: %s", request.id, error)


# -- swaps -------------------------------------------------------------------------------------


def _check_swappable(offered: Shift, wanted: Shift) -> None:
    for shift in (offered, wanted):
        session = shift.session
        if shift.status != ShiftStatus.CLAIMED:
            raise Conflict(_l("One of the shifts is no longer held."))
        if session.status != SessionStatus.SCHEDULED or session.starts_dt <= clock.now():
            raise RuleViolation(_l("One of the sessions is cancelled, over or has started."))


def propose_swap(proposer: User, offered: Shift, wanted: Shift, note: str = "") -> SwapRequest:
    """Ask the volunteer of ``wanted`` to exchange it for ``offered``, the proposer's."""
    if offered.user_id != proposer.id:
        raise RuleViolation(_l("This is not your shift."))
    if wanted.user_id == proposer.id:
        raise RuleViolation(_l("Choose a shift of another volunteer."))
    _check_swappable(offered, wanted)
    partner = wanted.volunteer
    for volunteer, shift in ((partner, offered), (proposer, wanted)):
        profile = volunteer.volunteer_profile
        if profile is None or not pool.may_help(profile, shift.session):
            raise RuleViolation(
                _l("%(name)s cannot help at “%(title)s”.", name=volunteer.display_name,
                   title=shift.session.title)
            )  # fmt: skip
    swap = SwapRequest(offered_shift_id=offered.id, wanted_shift_id=wanted.id,
                       proposer_id=proposer.id, partner_id=partner.id,
                       note=note.strip()[:200], status=SwapStatus.PROPOSED)  # fmt: skip
    try:
        with db.session.begin_nested():
            db.session.add(swap)
            db.session.flush()
    except sa.exc.IntegrityError:
        raise Conflict(_l("You have already offered this shift in a swap.")) from None
    record_event(proposer, "swap.propose", offered.session, offered.session.ward,
                 {"swap": swap.id, "partner": partner.id,
                  "wanted_session": wanted.session_id})  # fmt: skip
    _notify(f"swap{swap.id}", SWAP_ASKED, wanted.session, partner, wanted.id)
    return swap


def approving_wards(swap: SwapRequest) -> set[int]:
    """The wards whose staff must approve the swap (either may, for both)."""
    return {shift.session.ward_id for shift in (swap.offered_shift, swap.wanted_shift)
            if shift.session.ward.swaps_need_approval}  # fmt: skip


def _needs_approval(swap: SwapRequest) -> bool:
    return bool(approving_wards(swap))


def agree_swap(partner: User, swap: SwapRequest) -> SwapRequest:
    """The other volunteer agrees: done at once, or waiting for staff where a ward asks."""
    if partner.id != swap.partner_id:
        raise RuleViolation(_l("This swap was not asked of you."))
    _lock_swap(swap)
    if swap.status != SwapStatus.PROPOSED:
        raise RuleViolation(_l("This swap is no longer waiting for your answer."))
    _check_swappable(swap.offered_shift, swap.wanted_shift)
    swap.agreed_dt = clock.now()
    if _needs_approval(swap):
        swap.status = SwapStatus.AGREED
        db.session.flush()
        record_event(partner, "swap.agree", swap.offered_shift.session,
                     swap.offered_shift.session.ward, {"swap": swap.id})  # fmt: skip
        return swap
    return _carry_out(swap, partner)


def _lock_swap(swap: SwapRequest) -> None:
    for shift_id in sorted((swap.offered_shift_id, swap.wanted_shift_id)):
        lock_row(Shift, shift_id)
    db.session.refresh(swap)


def _carry_out(swap: SwapRequest, actor: User) -> SwapRequest:
    # Done before its shifts change hands: the swaps those shifts were in lapse, not this.
    swap.status, swap.closed_dt = SwapStatus.DONE, clock.now()
    if actor.role != Role.VOLUNTEER:
        swap.decided_by_id = actor.id
    db.session.flush()
    hand_over([(swap.offered_shift, swap.partner), (swap.wanted_shift, swap.proposer)],
              ShiftOrigin.SWAP, told=actor)  # fmt: skip
    for shift in (swap.offered_shift, swap.wanted_shift):
        record_event(actor, "swap.done", shift.session, shift.session.ward,
                     {"swap": swap.id, "proposer": swap.proposer_id,
                      "partner": swap.partner_id})  # fmt: skip
    return swap


def close_swap(actor: User, swap: SwapRequest, status: SwapStatus) -> SwapRequest:
    """Decline (the partner), withdraw (the proposer), or refuse (staff) a swap on its way."""
    allowed = {
        SwapStatus.DECLINED: actor.id == swap.partner_id,
        SwapStatus.WITHDRAWN: actor.id == swap.proposer_id,
        SwapStatus.REFUSED: actor.role != Role.VOLUNTEER
        and (actor.role != Role.WARD_STAFF or actor.ward_id in approving_wards(swap)),
    }
    if not allowed.get(status):
        raise RuleViolation(_l("You cannot do this to this swap."))
    _lock_swap(swap)
    if not swap.is_pending or (status == SwapStatus.REFUSED and swap.status != SwapStatus.AGREED):
        raise RuleViolation(_l("This swap is no longer waiting."))
    swap.status, swap.closed_dt = status, clock.now()
    if status == SwapStatus.REFUSED:
        swap.decided_by_id = actor.id
    db.session.flush()
    record_event(actor, f"swap.{status.value}", swap.offered_shift.session,
                 swap.offered_shift.session.ward, {"swap": swap.id})  # fmt: skip
    return swap


def approve_swap(staff: User, swap: SwapRequest) -> SwapRequest:
    """Staff approve a swap both volunteers agreed to; it takes effect at once, or lapses
    when one of its shifts changed since (the swap's status says which)."""
    if staff.role == Role.WARD_STAFF and staff.ward_id not in approving_wards(swap):
        raise RuleViolation(_l("This swap waits for the approval of another ward's staff."))
    _lock_swap(swap)
    if swap.status != SwapStatus.AGREED:
        raise RuleViolation(_l("This swap is not waiting for approval."))
    try:
        _check_swappable(swap.offered_shift, swap.wanted_shift)
    except RuleViolation:
        # Kept as it is: a shift was given up or its session changed since they agreed.
        swap.status, swap.closed_dt, swap.decided_by_id = SwapStatus.LAPSED, clock.now(), staff.id
        db.session.flush()
        return swap
    return _carry_out(swap, staff)
