"""Demo volunteers: profiles, training records and shifts in the coming days."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from inclusion import clock
from inclusion.auth.services import find_user_by_email
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.sessions.models import Session, SessionStatus
from inclusion.volunteers import pool, services
from inclusion.volunteers.models import ShiftRole, TrainingLevel
from inclusion.wards.services import find_ward

#: email: (kana, wards, skills, training level, shifts to take: (role, how many))
DEMO_VOLUNTEERS = {
    "volunteer1@example.jp": ("しえん いちろう", ("shibuya",), ["iphone", "line", "teaching"],
                              TrainingLevel.LEAD, ((ShiftRole.LEAD, 3),)),
    "volunteer2@example.jp": ("しえん さくら", ("shinagawa",), ["android", "my_number_card"],
                              TrainingLevel.ASSISTANT, ((ShiftRole.ASSISTANT, 2),)),
    "volunteer3@example.jp": ("しえん けん", ("shibuya", "shinagawa"), ["iphone"],
                              TrainingLevel.ASSISTANT, ((ShiftRole.ASSISTANT, 2),)),
}  # fmt: skip


def add_demo_volunteers() -> int:
    """Give the demo volunteers a profile, training and shifts, once; return how many."""
    added = 0
    for email, (kana, ward_slugs, skills, level, wanted) in DEMO_VOLUNTEERS.items():
        volunteer = find_user_by_email(email)
        if volunteer is None or volunteer.volunteer_profile is not None:
            continue
        wards = [find_ward(slug) for slug in ward_slugs]
        services.update_profile(
            None,
            volunteer,
            {"name_kana": kana, "wards": wards, "skills": skills, "languages": "日本語"},
        )
        services.add_training(
            None,
            volunteer,
            course="デジタル活用支援員養成講座",
            level=level,
            completed_on=date(2026, 4, 20)
            if clock.today() >= date(2026, 4, 20)
            else clock.today(),
            certificate_ref=f"DEMO-{volunteer.id:04d}",
        )
        upcoming = db.session.scalars(
            sa.select(Session)
            .where(
                Session.ward_id.in_([ward.id for ward in wards]),
                Session.status == SessionStatus.SCHEDULED,
                Session.starts_dt > clock.now(),
            )
            .order_by(Session.starts_dt)
            .limit(12)
        ).all()
        for role, count in wanted:
            taken = 0
            for session in upcoming:
                if taken == count:
                    break
                try:
                    with db.session.begin_nested():
                        services.claim_shift(volunteer, session, role)
                    taken += 1
                except RuleViolation:
                    continue
        added += 1
    if added:
        _open_demo_pool()
    return added


def _open_demo_pool() -> None:
    """支援 さくら of Shinagawa also helps in Shibuya: the first of its coming classes she is
    free for is opened to the pool, and she takes a place there."""
    helper = find_user_by_email("volunteer2@example.jp")
    shibuya, shinagawa = find_ward("shibuya"), find_ward("shinagawa")
    services.update_profile(None, helper, {
        "wards": [shinagawa], "skills": helper.volunteer_profile.skills,
        "name_kana": helper.volunteer_profile.name_kana, "languages": "日本語",
        "in_pool": True, "pool_wards": [shibuya], "pool_shares_skills": True,
    })  # fmt: skip
    upcoming = db.session.scalars(
        sa.select(Session)
        .where(Session.ward_id == shibuya.id, Session.status == SessionStatus.SCHEDULED,
               Session.starts_dt > clock.now())
        .order_by(Session.starts_dt)
        .limit(6)
    ).all()  # fmt: skip
    for session in upcoming:
        try:
            with db.session.begin_nested():
                pool.open_to_pool(None, session, True)
                services.claim_shift(helper, session, ShiftRole.ASSISTANT)
            return
        except RuleViolation:
            continue  # full, or she is busy then: the next class
