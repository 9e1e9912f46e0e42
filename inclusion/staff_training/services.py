"""Staff training: organising a date, staff enrolling themselves, attendance (which is
completion), cancelling. Every change is audit-logged; places are counted under the
training's row lock, and one live place per person is the database's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from inclusion import clock
from inclusion.audit.services import record_event
from inclusion.auth.models import Role, User
from inclusion.db import lock_row
from inclusion.errors import Conflict, RuleViolation
from inclusion.extensions import db
from inclusion.staff_training.models import (
    EnrolmentStatus,
    StaffCourse,
    StaffEnrolment,
    StaffTraining,
)
from inclusion.wards.models import Ward

#: Statuses that hold a place.
HOLDING = (EnrolmentStatus.ENROLLED, EnrolmentStatus.ATTENDED, EnrolmentStatus.ABSENT)


def may_organise(user: User, training_ward: Ward | None) -> bool:
    """The 23 wards' office and administrators organise any training; a ward's staff
    their own ward's."""
    if user.role.sees_all_wards:
        return True
    return (
        user.role == Role.WARD_STAFF
        and training_ward is not None
        and (user.ward_id == training_ward.id)
    )


@dataclass(frozen=True)
class TrainingDraft:
    course: StaffCourse
    title: str
    ward: Ward | None
    place: str
    day: date
    starts: time
    ends: time
    capacity: int


def create_training(actor: User, draft: TrainingDraft) -> StaffTraining:
    """Add a training date, for one ward's staff or every ward's."""
    if not may_organise(actor, draft.ward):
        raise RuleViolation(_l("Ward staff organise training for their own ward only."), "ward")
    if not draft.title.strip():
        raise RuleViolation(_l("Enter a title."), "title")
    if not draft.place.strip():
        raise RuleViolation(_l("Enter where it takes place (a room, or online)."), "place")
    starts_dt, ends_dt = clock.to_utc(draft.day, draft.starts), clock.to_utc(draft.day, draft.ends)
    if ends_dt <= starts_dt:
        raise RuleViolation(_l("The end must be after the start."), "ends")
    if starts_dt <= clock.now():
        raise RuleViolation(_l("A new training date is in the future."), "day")
    if not 1 <= draft.capacity <= 1000:
        raise RuleViolation(_l("Enter 1 to 1,000 places."), "capacity")
    training = StaffTraining(course=draft.course, title=draft.title.strip(),
                             ward_id=draft.ward.id if draft.ward else None,
                             place=draft.place.strip(), starts_dt=starts_dt, ends_dt=ends_dt,
                             capacity=draft.capacity, created_by_id=actor.id)  # fmt: skip
    db.session.add(training)
    db.session.flush()
    record_event(actor, "staff_training.create", training, draft.ward,
                 {"course": draft.course.value})  # fmt: skip
    return training


def cancel_training(actor: User, training: StaffTraining) -> StaffTraining:
    if not may_organise(actor, training.ward):
        raise RuleViolation(_l("Only its organisers may cancel this training."))
    if training.is_cancelled:
        raise Conflict(_l("This training is already cancelled."))
    if training.starts_dt <= clock.now():
        raise RuleViolation(_l("This training has already started."))
    training.cancelled_dt = clock.now()
    db.session.execute(
        sa.update(StaffEnrolment)
        .where(StaffEnrolment.training_id == training.id,
               StaffEnrolment.status == EnrolmentStatus.ENROLLED)
        .values(status=EnrolmentStatus.CANCELLED, updated_dt=clock.now())
    )  # fmt: skip
    db.session.flush()
    record_event(actor, "staff_training.cancel", training, training.ward)
    return training


def enrol(user: User, training: StaffTraining) -> StaffEnrolment:
    """A staff member takes a place at a training open to their ward, before it starts."""
    lock_row(StaffTraining, training.id)
    db.session.refresh(training)
    if training.starts_dt <= clock.now():
        raise RuleViolation(_l("This training has already started."))
    return _take_place(user, user, training)


def enrol_staff(actor: User, training: StaffTraining, email: str) -> StaffEnrolment:
    """An organiser gives a staff member a place, also once it has begun (someone who came
    without one, so their attendance can be recorded)."""
    if not may_organise(actor, training.ward):
        raise RuleViolation(_l("Only its organisers may add staff to this training."))
    lock_row(StaffTraining, training.id)
    db.session.refresh(training)
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise RuleViolation(_l("No account has this e-mail address."), "email")
    return _take_place(actor, user, training)


def _take_place(actor: User, user: User, training: StaffTraining) -> StaffEnrolment:
    """A place for ``user``, the training's row locked: the rules every way in shares."""
    if user.role != Role.WARD_STAFF or not user.is_active:
        raise RuleViolation(_l("Staff training is for ward staff accounts."))
    if training.ward_id is not None and training.ward_id != user.ward_id:
        raise RuleViolation(_l("This training is for another ward's staff."))
    if training.is_cancelled:
        raise RuleViolation(_l("This training is cancelled."))
    taken = db.session.scalar(
        sa.select(sa.func.count()).where(StaffEnrolment.training_id == training.id,
                                         StaffEnrolment.status.in_(HOLDING))
    )  # fmt: skip
    if taken >= training.capacity:
        raise Conflict(_l("This training is full."))
    enrolment = StaffEnrolment(training_id=training.id, user_id=user.id)
    try:
        with db.session.begin_nested():
            db.session.add(enrolment)
            db.session.flush()
    except sa.exc.IntegrityError:
        raise Conflict(_l("This staff member already has a place at this training.")) from None
    record_event(actor, "staff_training.enrol", training, user.ward,
                 {"enrolment": enrolment.id, "user": user.id})  # fmt: skip
    return enrolment


def leave(user: User, enrolment: StaffEnrolment) -> StaffEnrolment:
    """Give up one's place before the training starts."""
    if enrolment.user_id != user.id:
        raise RuleViolation(_l("This is not your place."))
    if enrolment.status == EnrolmentStatus.CANCELLED:
        raise Conflict(_l("This place is no longer held."))
    if enrolment.status != EnrolmentStatus.ENROLLED:
        raise Conflict(_l("Your attendance is recorded: the place can no longer be given up."))
    if enrolment.training.starts_dt <= clock.now():
        raise RuleViolation(_l("This training has already started."))
    enrolment.status = EnrolmentStatus.CANCELLED
    db.session.flush()
    record_event(user, "staff_training.leave", enrolment.training, user.ward,
                 {"enrolment": enrolment.id})  # fmt: skip
    return enrolment


def record_attendance(actor: User, enrolment: StaffEnrolment, attended: bool) -> StaffEnrolment:
    """Attended is completed (on the training's day); absent is not. May be corrected."""
    training = enrolment.training
    if not may_organise(actor, training.ward):
        raise RuleViolation(_l("Only its organisers may record attendance."))
    if actor.id == enrolment.user_id:
        raise RuleViolation(_l("Another organiser records your own attendance."))
    if training.starts_dt > clock.now():
        raise RuleViolation(_l("Attendance is recorded once the training has started."))
    if enrolment.status == EnrolmentStatus.CANCELLED:
        raise Conflict(_l("This place was given up."))
    enrolment.status = EnrolmentStatus.ATTENDED if attended else EnrolmentStatus.ABSENT
    enrolment.completed_on = clock.to_local(training.starts_dt).date() if attended else None
    db.session.flush()
    record_event(actor, "staff_training.attendance", training, enrolment.user.ward,
                 {"enrolment": enrolment.id, "attended": attended})  # fmt: skip
    return enrolment


def completed(course: StaffCourse, until: date | None = None) -> sa.Exists:
    """Whether the user in the query completed ``course`` (by ``until``)."""
    query = (
        sa.select(StaffEnrolment.id)
        .join(StaffTraining, StaffTraining.id == StaffEnrolment.training_id)
        .where(StaffEnrolment.user_id == User.id, StaffTraining.course == course,
               StaffEnrolment.status == EnrolmentStatus.ATTENDED)
    )  # fmt: skip
    if until is not None:
        query = query.where(StaffEnrolment.completed_on <= until)
    return sa.exists(query)
