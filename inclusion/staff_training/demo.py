"""Demo staff training: a literacy date last month that Shibuya's staff attended, and one
for every ward next week, and a DX leader training."""

from __future__ import annotations

from datetime import time, timedelta

import sqlalchemy as sa

from inclusion import clock
from inclusion.auth.models import Role, User
from inclusion.extensions import db
from inclusion.staff_training.models import (
    EnrolmentStatus,
    StaffCourse,
    StaffEnrolment,
    StaffTraining,
)
from inclusion.wards.services import find_ward


def _training(course: StaffCourse, title: str, days_from_today: int, ward=None):
    starts = clock.to_utc(clock.today() + timedelta(days=days_from_today), time(14))
    training = StaffTraining(course=course, title=title, ward_id=ward.id if ward else None,
                             place="区役所 第1研修室", starts_dt=starts,
                             ends_dt=starts + timedelta(hours=2), capacity=40)  # fmt: skip
    db.session.add(training)
    db.session.flush()
    return training


def add_demo_staff_training() -> int:
    """Add the demo's trainings once; returns how many."""
    if db.session.scalar(sa.select(sa.exists().where(StaffTraining.id > 0))):
        return 0
    shibuya = find_ward("shibuya")
    past = _training(StaffCourse.LITERACY, "デジタルリテラシー研修（基礎）", -30, shibuya)
    _training(StaffCourse.LITERACY, "デジタルリテラシー研修（全区合同）", 7)
    _training(StaffCourse.DX_LEADER, "DX推進リーダー研修 第1回", 14)
    staff = db.session.scalars(
        sa.select(User).where(User.role == Role.WARD_STAFF, User.ward_id == shibuya.id)
    ).all()
    for user in staff:
        db.session.add(StaffEnrolment(training_id=past.id, user_id=user.id,
                                      status=EnrolmentStatus.ATTENDED,
                                      completed_on=clock.to_local(past.starts_dt).date()))  # fmt: skip
    db.session.flush()
    return 3
