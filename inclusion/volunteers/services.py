"""Volunteers: profiles, training, and the one place where shift rules are enforced."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from inclusion import clock
from inclusion.audit.services import record_event
from inclusion.auth.models import Role, User
from inclusion.db import lock_row
from inclusion.errors import Conflict, RuleViolation
from inclusion.extensions import db
from inclusion.phones import parse_phone
from inclusion.reminders.media import Medium
from inclusion.sessions.models import Session, SessionStatus
from inclusion.volunteers import pool
from inclusion.volunteers.models import (
    HOLDING,
    Shift,
    ShiftOrigin,
    ShiftRole,
    ShiftStatus,
    TrainingLevel,
    TrainingRecord,
    VolunteerProfile,
)
from inclusion.volunteers.signals import shift_claimed, shift_released
from inclusion.wards.models import Ward

log = logging.getLogger(__name__)

# -- profile ------------------------------------------------------------------------------


def parse_mobile(text: str) -> str | None:
    """A Japanese mobile number as E.164 (090-1234-5678 → +819012345678); empty → None."""
    parsed = parse_phone(text, "mobile")
    if parsed is None:
        return None
    e164, kind = parsed
    if not kind.takes_sms:
        raise RuleViolation(
            _l("Enter a mobile number (070, 080 or 090): SMS goes only to mobiles."), "mobile"
        )
    return e164


def shown_profile(user: User) -> VolunteerProfile:
    """The profile to show: the saved one, or a blank one that is not saved."""
    return user.volunteer_profile or VolunteerProfile(skills=[], wards=[])


def profile_of(user: User) -> VolunteerProfile:
    """The volunteer's profile, created empty the first time it is needed."""
    if user.volunteer_profile is None:
        profile = VolunteerProfile(user=user, skills=[])
        db.session.add(profile)
        db.session.flush()
    return user.volunteer_profile


def update_profile(actor: User, volunteer: User, data: dict[str, Any]) -> VolunteerProfile:
    """Change a volunteer's profile; a mobile number is required for SMS reminders."""
    if volunteer.role != Role.VOLUNTEER:
        raise RuleViolation(_l("This account is not a volunteer."))
    profile = profile_of(volunteer)
    mobile = parse_mobile(data.get("mobile", "") or "")
    if data.get("wants_sms") and mobile is None:
        raise RuleViolation(_l("Enter a mobile number to get reminders by SMS."), "mobile")
    if "wards" in data and not data["wards"]:
        raise RuleViolation(_l("Choose at least one ward."), "wards")
    before = _profile_facts(volunteer, profile)
    if "display_name" in data:
        volunteer.display_name = data["display_name"].strip()
    profile.name_kana = (data.get("name_kana") or "").strip()
    profile.mobile_e164 = mobile
    profile.wants_sms = bool(data.get("wants_sms"))
    profile.skills = sorted(set(data.get("skills") or []))
    profile.languages = (data.get("languages") or "").strip()
    profile.availability_notes = (data.get("availability_notes") or "").strip()
    profile.is_paused = bool(data.get("is_paused"))
    if "wards" in data:
        profile.wards = sorted(set(data["wards"]), key=lambda ward: ward.code)
    _update_pool_choices(profile, data, mobile)
    db.session.flush()
    after = _profile_facts(volunteer, profile)
    changed = sorted(name for name in after if after[name] != before[name])
    if changed:
        details = {"fields": changed, "paused": profile.is_paused}
        record_event(actor, "volunteer.update", volunteer, None, details)
    return profile


def _update_pool_choices(profile: VolunteerProfile, data: dict[str, Any], mobile) -> None:
    """How offers to cover reach them, and whether and where they help beyond their wards."""
    offers_by = Medium(data.get("offers_by") or profile.offers_by or Medium.EMAIL)
    if offers_by != Medium.EMAIL and mobile is None:
        raise RuleViolation(_l("Enter a mobile number to be asked by SMS or by a call."), "mobile")
    profile.offers_by = offers_by
    if "in_pool" not in data:
        return
    max_km = data.get("pool_max_km")
    if max_km is not None and not 1 <= max_km <= 50:
        raise RuleViolation(_l("Enter a number from 1 to 50."), "pool_max_km")
    profile.in_pool = bool(data["in_pool"])
    own = {ward.id for ward in profile.wards}
    chosen = [ward for ward in data.get("pool_wards") or [] if ward.id not in own]
    if profile.in_pool and not chosen and max_km is None:
        raise RuleViolation(
            _l("Choose the other wards you will help in, or how far you will travel."),
            "pool_wards",
        )
    profile.pool_wards = sorted(set(chosen), key=lambda ward: ward.code)
    profile.pool_max_km = max_km
    profile.pool_shares_skills = bool(data.get("pool_shares_skills"))
    profile.pool_shares_contact = bool(data.get("pool_shares_contact"))


def _profile_facts(volunteer: User, profile: VolunteerProfile) -> dict[str, Any]:
    """What a profile says, to tell which fields a save changed."""
    return {
        "display_name": volunteer.display_name,
        "name_kana": profile.name_kana,
        "mobile": profile.mobile_e164,
        "wants_sms": profile.wants_sms,
        "skills": list(profile.skills or []),
        "languages": profile.languages,
        "availability_notes": profile.availability_notes,
        "is_paused": profile.is_paused,
        "wards": [ward.id for ward in profile.wards],
        "offers_by": profile.offers_by,
        "in_pool": profile.in_pool,
        "pool_wards": [ward.id for ward in profile.pool_wards],
        "pool_max_km": profile.pool_max_km,
        "pool_shares_skills": profile.pool_shares_skills,
        "pool_shares_contact": profile.pool_shares_contact,
    }


def add_training(
    actor: User,
    volunteer: User,
    *,
    course: str,
    level: TrainingLevel,
    completed_on: date,
    expires_on: date | None = None,
    certificate_ref: str = "",
) -> TrainingRecord:
    """Record a completed course; the volunteer counts as trained from ``completed_on``."""
    if volunteer.role != Role.VOLUNTEER:
        raise RuleViolation(_l("This account is not a volunteer."))
    if completed_on > clock.today():
        raise RuleViolation(_l("The completion date cannot be in the future."), "completed_on")
    if expires_on is not None and expires_on < completed_on:
        raise RuleViolation(_l("The expiry date must be after the completion date."), "expires_on")
    record = TrainingRecord(
        user_id=volunteer.id,
        course=course.strip(),
        level=level,
        completed_on=completed_on,
        expires_on=expires_on,
        certificate_ref=certificate_ref.strip(),
        entered_by_id=actor.id if actor else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(record)
            db.session.flush()
    except sa.exc.IntegrityError:
        raise RuleViolation(
            _l("This course on this date is already recorded."), "course"
        ) from None
    record_event(
        actor, "training.add", volunteer, None, {"course": record.course, "level": level.value}
    )
    return record


def training_records(volunteer: User) -> list[TrainingRecord]:
    return list(
        db.session.scalars(
            sa.select(TrainingRecord)
            .where(TrainingRecord.user_id == volunteer.id)
            .order_by(TrainingRecord.completed_on.desc())
        )
    )


def trained_levels(user_ids: list[int], day: date) -> dict[int, TrainingLevel]:
    """Each volunteer's highest training level valid on ``day``, in one query."""
    if not user_ids:
        return {}
    rows = db.session.execute(
        sa.select(TrainingRecord.user_id, TrainingRecord.level).where(
            TrainingRecord.user_id.in_(user_ids), *valid_training_on(day)
        )
    )
    levels: dict[int, TrainingLevel] = {}
    for user_id, level in rows:
        if levels.get(user_id) != TrainingLevel.LEAD:
            levels[user_id] = level
    return levels


def valid_training_on(day: date) -> list[sa.ColumnElement[bool]]:
    """A training record that counts on ``day``: completed by then, not yet expired."""
    return [
        TrainingRecord.completed_on <= day,
        sa.or_(TrainingRecord.expires_on.is_(None), TrainingRecord.expires_on >= day),
    ]


def volunteers_of_ward(ward: Ward) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(VolunteerProfile, VolunteerProfile.user_id == User.id)
            .where(
                User.role == Role.VOLUNTEER,
                VolunteerProfile.wards.any(Ward.id == ward.id),
            )
            .order_by(VolunteerProfile.name_kana, User.display_name)
        )
    )


# -- shifts -------------------------------------------------------------------------------


def needed(session: Session, role: ShiftRole) -> int:
    return session.lead_needed if role == ShiftRole.LEAD else session.assistants_needed


def _check_training(volunteer: User, role: ShiftRole, day: date) -> None:
    records = training_records(volunteer)
    if not records:
        raise RuleViolation(_l("Training must be recorded before taking shifts."))
    valid = [record for record in records if record.is_valid_on(day)]
    if not valid:
        if any(record.completed_on <= day for record in records):
            raise RuleViolation(
                _l("Your training has expired. Ask the ward office to record a refresher course.")
            )
        raise RuleViolation(_l("Your training is not yet completed on the session's date."))
    if role == ShiftRole.LEAD and not any(r.level == TrainingLevel.LEAD for r in valid):
        raise RuleViolation(_l("Only volunteers trained as leads can take a lead place."))


def too_close(session: Session, user_id: sa.ColumnElement | int, *, itself: bool) -> sa.Select:
    """The sessions too close in time to ``session`` (travel buffer included; ``session``
    itself too if asked) at which the volunteer ``user_id`` (a value, or a column of an
    outer query) holds a place."""
    buffer = timedelta(minutes=current_app.config["SHIFT_TRAVEL_BUFFER_MINUTES"])
    other = aliased(Session)
    return (
        sa.select(other)
        .join(Shift, Shift.session_id == other.id)
        .where(
            Shift.user_id == user_id,
            Shift.status.in_(HOLDING),
            *([] if itself else [other.id != session.id]),
            other.status != SessionStatus.CANCELLED,
            other.starts_dt < session.ends_dt + buffer,
            other.ends_dt > session.starts_dt - buffer,
        )
    )


def _check_free_time(volunteer: User, session: Session) -> None:
    clash = db.session.scalar(too_close(session, volunteer.id, itself=False).limit(1))
    if clash is not None:
        raise Conflict(
            _l(
                "You already help at “%(title)s” at %(time)s, too close to this one.",
                title=clash.title,
                time=clock.to_local(clash.starts_dt).strftime("%m/%d %H:%M"),
            )
        )


def claim_shift(
    volunteer: User,
    session: Session,
    role: ShiftRole,
    actor: User | None = None,
    origin: ShiftOrigin | None = None,
) -> Shift:
    """Give a volunteer a place of ``role`` at a session, if every rule allows it.

    The one place shift rules live: views, staff assignment, import, API, cover, swaps
    and demo all come here. Races are settled by the database: the session's row lock
    (PostgreSQL) or the write lock (SQLite) serialises claims, and the unique indexes on
    (session, role, place) and (session, volunteer) refuse anything that slips by.
    """
    actor = actor or volunteer
    by_staff = actor.id != volunteer.id
    origin = origin or (ShiftOrigin.ASSIGN if by_staff else ShiftOrigin.CLAIM)
    lock_row(Session, session.id)
    lock_row(User, volunteer.id)
    db.session.refresh(session)
    if volunteer.role != Role.VOLUNTEER or not volunteer.is_active:
        raise RuleViolation(_l("Only active volunteers can take shifts."))
    profile = profile_of(volunteer)
    if profile.is_paused:
        raise RuleViolation(_l("This volunteer is paused and takes no new shifts."))
    if not pool.may_help(profile, session):
        raise RuleViolation(_l("This session is in a ward the volunteer does not help in."))
    if session.status != SessionStatus.SCHEDULED:
        raise RuleViolation(_l("This session is cancelled or over."))
    if session.starts_dt <= clock.now():
        raise RuleViolation(_l("This session has already started."))
    _check_training(volunteer, role, clock.to_local(session.starts_dt).date())
    already = db.session.scalar(
        sa.select(Shift.id).where(
            Shift.session_id == session.id,
            Shift.user_id == volunteer.id,
            Shift.status.in_(HOLDING),
        )
    )
    if already is not None:
        raise Conflict(_l("You already have a place at this session."))
    _check_free_time(volunteer, session)
    taken = set(
        db.session.scalars(
            sa.select(Shift.slot_number).where(
                Shift.session_id == session.id, Shift.role == role, Shift.status.in_(HOLDING)
            )
        )
    )
    free = [number for number in range(1, needed(session, role) + 1) if number not in taken]
    if not free:
        raise Conflict(_l("All %(role)s places are taken.", role=role.label))
    shift = Shift(
        session_id=session.id,
        user_id=volunteer.id,
        role=role,
        slot_number=free[0],
        status=ShiftStatus.CLAIMED,
        origin=origin,
        from_pool=pool.is_pool_help(profile, session),
        assigned_by_id=actor.id if by_staff else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(shift)
            db.session.flush()
    except sa.exc.IntegrityError:
        raise Conflict(_l("All %(role)s places are taken.", role=role.label)) from None
    action = "shift.assign" if by_staff else "shift.claim"
    details = {"volunteer": volunteer.id, "role": role.value, "origin": origin.value}
    if shift.from_pool:
        details["from_pool"] = True
    record_event(actor, action, session, session.ward, details)
    shift_claimed.send(shift, actor=actor)
    log.info(
        "shift %s: volunteer %s at session %s as %s",
        shift.id,
        volunteer.id,
        session.id,
        role.value,
    )
    return shift


def release_cutoff(session: Session):
    return session.starts_dt - timedelta(hours=current_app.config["SHIFT_RELEASE_CUTOFF_HOURS"])


def filled(session: Session, role: ShiftRole) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            Shift.session_id == session.id, Shift.role == role, Shift.status.in_(HOLDING)
        )
    )


def release_shift(actor: User, shift: Shift) -> bool:
    """Give up a place. Volunteers may until the cut-off; staff at any time.

    Returns whether the session is now short of volunteers.
    """
    by_staff = actor.role != Role.VOLUNTEER
    if not by_staff and actor.id != shift.user_id:
        raise RuleViolation(_l("This is not your shift."))
    if shift.status != ShiftStatus.CLAIMED:
        raise RuleViolation(_l("Only a shift you signed up for can be released."))
    session = shift.session
    if not by_staff and clock.now() >= release_cutoff(session):
        raise RuleViolation(
            _l(
                "It is less than %(hours)d hours before the session: please call the ward office.",
                hours=current_app.config["SHIFT_RELEASE_CUTOFF_HOURS"],
            )
        )
    shift.status = ShiftStatus.RELEASED
    shift.released_dt = clock.now()
    shift.released_by_id = actor.id
    db.session.flush()
    short = filled(session, shift.role) < needed(session, shift.role)
    action = "shift.unassign" if by_staff else "shift.release"
    record_event(
        actor,
        action,
        session,
        session.ward,
        {"volunteer": shift.user_id, "role": shift.role.value},
    )
    shift_released.send(shift, actor=actor, by_staff=by_staff, session_short=short)
    return short


def record_attendance(
    actor: User, shift: Shift, attended: bool, minutes: int | None = None
) -> Shift:
    """Staff mark a volunteer as attended (with corrected minutes if any) or not."""
    if shift.status == ShiftStatus.RELEASED:
        raise RuleViolation(_l("This shift was released."))
    if shift.session.starts_dt > clock.now():
        raise RuleViolation(_l("Attendance can be recorded once the session has started."))
    if minutes is not None and not 0 <= minutes <= 24 * 60:
        raise RuleViolation(_l("Enter minutes from 0 to 1,440."), "minutes")
    status = ShiftStatus.ATTENDED if attended else ShiftStatus.NO_SHOW
    minutes = minutes if attended else None
    if (shift.status, shift.minutes_override) == (status, minutes):
        return shift
    shift.status, shift.minutes_override = status, minutes
    db.session.flush()
    record_event(
        actor,
        "shift.attendance",
        shift.session,
        shift.session.ward,
        {"volunteer": shift.user_id, "status": shift.status.value, "minutes": minutes},
    )
    return shift


def hand_over(moves: list[tuple[Shift, User]], origin: ShiftOrigin, told: User) -> list[Shift]:
    """Give each shift's place to its new volunteer (cover: one move; a swap: two), under
    every rule of ``claim_shift``; all or nothing, as the caller's transaction is. A
    refusal about a volunteer other than ``told`` (who reads it) names them.

    Every place is let go before any is taken, so that two volunteers exchanging shifts
    do not clash with the very shift each gives away. Rows are locked in id order, so two
    swaps between the same sessions in opposite directions wait rather than deadlock.
    """
    for shift_id in sorted(shift.id for shift, _taker in moves):
        lock_row(Shift, shift_id)
    for session_id in sorted({shift.session_id for shift, _taker in moves}):
        lock_row(Session, session_id)
    for user_id in sorted({taker.id for _shift, taker in moves}):
        lock_row(User, user_id)
    for shift, _taker in moves:
        db.session.refresh(shift)
        if shift.status != ShiftStatus.CLAIMED:
            raise Conflict(_l("This shift has changed in the meantime: it is no longer held."))
    now = clock.now()
    for shift, _taker in moves:
        shift.status, shift.released_dt, shift.released_by_id = (
            ShiftStatus.RELEASED, now, shift.user_id,
        )  # fmt: skip
    db.session.flush()
    taken = []
    for shift, taker in moves:
        try:
            taken.append(claim_shift(taker, shift.session, shift.role, actor=taker,
                                     origin=origin))  # fmt: skip
        except RuleViolation as violation:
            if taker.id == told.id:
                raise
            raise type(violation)(
                _l("%(name)s cannot take “%(title)s”: %(reason)s", name=taker.display_name,
                   title=shift.session.title, reason=violation.message)
            ) from None  # fmt: skip
    for shift, _taker in moves:
        shift_released.send(shift, actor=shift.volunteer, by_staff=False, session_short=False)
    return taken
