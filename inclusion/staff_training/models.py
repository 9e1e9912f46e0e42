"""Digital training for ward staff themselves: the literacy course every staff member must
take, DX leader training, and specialist courses. Staff are not residents: their
enrolments are kept apart from residents' bookings."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion.auth.models import User
from inclusion.db import string_enum, utcnow
from inclusion.extensions import db
from inclusion.wards.models import Ward


class StaffCourse(enum.StrEnum):
    LITERACY = "literacy"
    DX_LEADER = "dx_leader"
    SPECIALIST = "specialist"

    @property
    def label(self) -> str:
        return str(COURSE_LABELS[self])


COURSE_LABELS = {
    StaffCourse.LITERACY: _l("Digital literacy (every staff member)"),
    StaffCourse.DX_LEADER: _l("DX leader training"),
    StaffCourse.SPECIALIST: _l("Specialist course"),
}


class StaffTraining(db.Model):
    """One training date for staff, run by a ward for its staff or by the 23 wards' office
    for every ward's."""

    __tablename__ = "staff_trainings"
    __table_args__ = (
        sa.Index("ix_staff_trainings_starts_dt", "starts_dt"),
        sa.CheckConstraint("ends_dt > starts_dt", name="ends_after_start"),
        sa.CheckConstraint("capacity BETWEEN 1 AND 1000", name="capacity_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course: Mapped[StaffCourse] = mapped_column(string_enum(StaffCourse, "staff_course"))
    title: Mapped[str] = mapped_column(sa.String(200))
    #: The ward whose staff it is for; null: every ward's (run by the 23 wards' office).
    ward_id: Mapped[int | None] = mapped_column(sa.ForeignKey("wards.id"), index=True)
    ward: Mapped[Ward | None] = relationship()
    #: Where: a room, or オンライン with how to join.
    place: Mapped[str] = mapped_column(sa.String(200))
    starts_dt: Mapped[datetime]
    ends_dt: Mapped[datetime]
    capacity: Mapped[int]
    cancelled_dt: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_dt is not None

    def __repr__(self) -> str:
        return f"<StaffTraining {self.id} {self.course.value}>"


class EnrolmentStatus(enum.StrEnum):
    ENROLLED = "enrolled"
    ATTENDED = "attended"
    ABSENT = "absent"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    EnrolmentStatus.ENROLLED: _l("Enrolled"),
    EnrolmentStatus.ATTENDED: _l("Attended: completed"),
    EnrolmentStatus.ABSENT: _l("Did not attend"),
    EnrolmentStatus.CANCELLED: _l("Place given up"),
}


class StaffEnrolment(db.Model):
    """A staff member's place at a training, and whether they completed it."""

    __tablename__ = "staff_enrolments"
    __table_args__ = (
        # One live place per person per training (two clicks at once: one place).
        sa.Index("uq_staff_enrolments_training_user", "training_id", "user_id", unique=True,
                 postgresql_where=sa.text("status != 'cancelled'"),
                 sqlite_where=sa.text("status != 'cancelled'")),
        sa.Index("ix_staff_enrolments_user_id_status", "user_id", "status"),
        sa.CheckConstraint("(status = 'attended') = (completed_on IS NOT NULL)",
                           name="completed_when_attended"),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    training_id: Mapped[int] = mapped_column(
        sa.ForeignKey("staff_trainings.id", ondelete="CASCADE")
    )
    training: Mapped[StaffTraining] = relationship()
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    status: Mapped[EnrolmentStatus] = mapped_column(
        string_enum(EnrolmentStatus, "staff_enrolment_status"), default=EnrolmentStatus.ENROLLED
    )
    #: The training's local day, once attended: the course is completed then.
    completed_on: Mapped[date | None]
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<StaffEnrolment {self.id} {self.status.value}>"
