"""A resident's place in a course: booked on every date together, or waiting as a whole."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion.db import string_enum, utcnow
from inclusion.extensions import db
from inclusion.residents.models import BookingSource, Resident
from inclusion.sessions.models import Series


class EnrolmentStatus(enum.StrEnum):
    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return str(ENROLMENT_LABELS[self])


ENROLMENT_LABELS = {
    EnrolmentStatus.ENROLLED: _l("Booked on every date"),
    EnrolmentStatus.WAITLISTED: _l("Waiting list for the whole course"),
    EnrolmentStatus.CANCELLED: _l("Cancelled"),
}


class Enrolment(db.Model):
    """One resident in one course; each date's seat is a booking that points here."""

    __tablename__ = "course_enrolments"
    __table_args__ = (
        # One live enrolment per resident and course, whatever two staff type at once.
        sa.Index(
            "uq_course_enrolments_series_resident",
            "series_id",
            "resident_id",
            unique=True,
            postgresql_where=sa.text("status != 'cancelled'"),
            sqlite_where=sa.text("status != 'cancelled'"),
        ),
        sa.Index("ix_course_enrolments_series_id_status_queued_dt", "series_id", "status",
                 "queued_dt"),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(sa.ForeignKey("series.id", ondelete="CASCADE"))
    series: Mapped[Series] = relationship()
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("residents.id", ondelete="CASCADE"))
    resident: Mapped[Resident] = relationship()
    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("wards.id"), index=True)
    status: Mapped[EnrolmentStatus] = mapped_column(
        string_enum(EnrolmentStatus, "enrolment_status")
    )
    source: Mapped[BookingSource] = mapped_column(string_enum(BookingSource, "booking_source"))
    #: When it joined the course's waiting list: the queue's order.
    queued_dt: Mapped[datetime | None]
    cancelled_dt: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Enrolment {self.id} {self.status.value}>"
