"""Reading staff training: lists a fixed number of queries long, whatever their length."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from inclusion import clock
from inclusion.auth.models import Role, User
from inclusion.extensions import db
from inclusion.sessions.queries import Cursor, keyset_page
from inclusion.staff_training.models import (
    EnrolmentStatus,
    StaffCourse,
    StaffEnrolment,
    StaffTraining,
)
from inclusion.staff_training.services import HOLDING, completed
from inclusion.wards.models import Ward

SHOWN = 200


def places_taken(training_ids: list[int]) -> dict[int, int]:
    if not training_ids:
        return {}
    rows = db.session.execute(
        sa.select(StaffEnrolment.training_id, sa.func.count())
        .where(StaffEnrolment.training_id.in_(training_ids), StaffEnrolment.status.in_(HOLDING))
        .group_by(StaffEnrolment.training_id)
    )
    return dict(rows.all())


def upcoming(user: User) -> list[StaffTraining]:
    """Trainings to come that the user may take or organise: a ward's staff see their
    ward's and every ward's; the 23 wards' office all."""
    query = (
        sa.select(StaffTraining)
        .options(joinedload(StaffTraining.ward))
        .where(StaffTraining.ends_dt > clock.now())
        .order_by(StaffTraining.starts_dt, StaffTraining.id)
        .limit(SHOWN)
    )
    if not user.role.sees_all_wards:
        query = query.where(sa.or_(StaffTraining.ward_id.is_(None),
                                   StaffTraining.ward_id == user.ward_id))  # fmt: skip
    return list(db.session.scalars(query))


#: How far back organisers find trainings held, to record attendance.
HELD_DAYS = 60


def recently_held(user: User) -> list[StaffTraining]:
    """Trainings of the last weeks that the user organises: attendance to record."""
    query = (
        sa.select(StaffTraining)
        .options(joinedload(StaffTraining.ward))
        .where(StaffTraining.ends_dt <= clock.now(),
               StaffTraining.starts_dt > clock.now() - timedelta(days=HELD_DAYS),
               StaffTraining.cancelled_dt.is_(None))
        .order_by(StaffTraining.starts_dt.desc(), StaffTraining.id.desc())
        .limit(SHOWN)
    )  # fmt: skip
    if not user.role.sees_all_wards:
        query = query.where(StaffTraining.ward_id == user.ward_id)
    return list(db.session.scalars(query))


def places_of(user: User) -> dict[int, StaffEnrolment]:
    """The user's live places, by training."""
    rows = db.session.scalars(
        sa.select(StaffEnrolment)
        .options(joinedload(StaffEnrolment.training))
        .where(StaffEnrolment.user_id == user.id,
               StaffEnrolment.status != EnrolmentStatus.CANCELLED)
        .order_by(StaffEnrolment.id)
    )  # fmt: skip
    return {enrolment.training_id: enrolment for enrolment in rows}


def enrolments_of(training: StaffTraining) -> list[StaffEnrolment]:
    return list(
        db.session.scalars(
            sa.select(StaffEnrolment)
            .join(User, User.id == StaffEnrolment.user_id)
            .options(joinedload(StaffEnrolment.user))
            .where(StaffEnrolment.training_id == training.id,
                   StaffEnrolment.status != EnrolmentStatus.CANCELLED)
            .order_by(User.display_name, StaffEnrolment.id)
        )
    )  # fmt: skip


@dataclass(frozen=True)
class StaffProgress:
    user: User
    literacy: bool
    dx_leader: bool


@dataclass(frozen=True)
class WardCounts:
    staff: int
    literacy: int
    leaders: int


def ward_counts(ward: Ward) -> WardCounts:
    """The ward's active staff, and how many completed each course: counted, not listed."""
    staff, literacy, leaders = db.session.execute(
        sa.select(sa.func.count(),
                  sa.func.count().filter(completed(StaffCourse.LITERACY)),
                  sa.func.count().filter(completed(StaffCourse.DX_LEADER)))
        .where(User.ward_id == ward.id, User.role == Role.WARD_STAFF, User.is_active)
    ).one()  # fmt: skip
    return WardCounts(staff, literacy, leaders)


def ward_progress(ward: Ward) -> list[StaffProgress]:
    """Each active staff member of the ward, with the courses they have completed: those
    yet to take the mandatory one first."""
    literacy = completed(StaffCourse.LITERACY).label("literacy")
    leader = completed(StaffCourse.DX_LEADER).label("leader")
    rows = db.session.execute(
        sa.select(User, literacy, leader)
        .where(User.ward_id == ward.id, User.role == Role.WARD_STAFF, User.is_active)
        .order_by(literacy, User.display_name, User.id)
        .limit(SHOWN * 5)
    )
    return [StaffProgress(user, bool(done), bool(lead)) for user, done, lead in rows]


def page_of_trainings(
    ward_id: int | None, upcoming_only: bool, after: Cursor | None, size: int
) -> tuple[list[StaffTraining], Cursor | None]:
    """Trainings for a ward's staff (theirs and every ward's; None: all), those to come
    soonest first, or those over most recent first; each with its places taken."""
    now = clock.now()
    query = sa.select(StaffTraining).options(joinedload(StaffTraining.ward))
    if ward_id is not None:
        query = query.where(sa.or_(StaffTraining.ward_id.is_(None),
                                   StaffTraining.ward_id == ward_id))  # fmt: skip
    query = query.where(StaffTraining.ends_dt > now if upcoming_only
                        else StaffTraining.ends_dt <= now)  # fmt: skip
    rows, next_cursor = keyset_page(query, after, size,
                                    key=(StaffTraining.starts_dt, StaffTraining.id),
                                    newest_first=not upcoming_only)  # fmt: skip
    trainings = [row[0] for row in rows]
    taken = places_taken([training.id for training in trainings])
    for training in trainings:
        training.places_taken = taken.get(training.id, 0)
    return trainings, next_cursor
