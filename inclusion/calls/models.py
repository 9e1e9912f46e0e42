"""The joint call centre's log: one row per call, and the ward's to-do when it is passed on."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion.auth.models import User
from inclusion.courses.models import Enrolment
from inclusion.db import string_enum, utcnow
from inclusion.extensions import db
from inclusion.residents.models import Booking, Resident
from inclusion.wards.models import Ward


class CallTopic(enum.StrEnum):
    PHONE_USE = "phone_use"
    ONLINE_PROCEDURES = "online_procedures"
    BOOKING = "booking"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(TOPIC_LABELS[self])


TOPIC_LABELS = {
    CallTopic.PHONE_USE: _l("How to use the smartphone"),
    CallTopic.ONLINE_PROCEDURES: _l("My Number Card and online procedures"),
    CallTopic.BOOKING: _l("Booking a class"),
    CallTopic.OTHER: _l("Other"),
}


class CallOutcome(enum.StrEnum):
    ANSWERED = "answered"
    BOOKED = "booked"
    PASSED = "passed"

    @property
    def label(self) -> str:
        return str(OUTCOME_LABELS[self])


OUTCOME_LABELS = {
    CallOutcome.ANSWERED: _l("Answered on the phone"),
    CallOutcome.BOOKED: _l("Booked a session"),
    CallOutcome.PASSED: _l("Passed to the ward"),
}


class Call(db.Model):
    """One call to the joint call centre: who called (a resident, or someone unnamed), about
    what, what was done, and whether that settled it."""

    __tablename__ = "calls"
    __table_args__ = (
        sa.Index("ix_calls_ward_id_received_dt", "ward_id", "received_dt"),
        # The wards' to-do lists: only calls passed on and not yet done.
        sa.Index("ix_calls_passed_waiting", "ward_id",
                 postgresql_where=sa.text("outcome = 'passed' AND handled_dt IS NULL"),
                 sqlite_where=sa.text("outcome = 'passed' AND handled_dt IS NULL")),
        sa.CheckConstraint("outcome != 'booked' OR resident_id IS NOT NULL",
                           name="booked_has_resident"),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    received_dt: Mapped[datetime] = mapped_column(default=utcnow)
    #: The ward the call is about: the caller's, or the one they asked about.
    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("wards.id"))
    ward: Mapped[Ward] = relationship()
    #: Null for a caller who gave no name, or whom the records do not hold.
    resident_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    resident: Mapped[Resident | None] = relationship()
    #: A number to call back, when the caller gave one (E.164).
    caller_e164: Mapped[str | None] = mapped_column(sa.String(20))
    topic: Mapped[CallTopic] = mapped_column(string_enum(CallTopic, "call_topic"))
    outcome: Mapped[CallOutcome] = mapped_column(string_enum(CallOutcome, "call_outcome"))
    #: Whether the call settled what the caller wanted (resolution on first call).
    is_resolved: Mapped[bool]
    #: What the ward needs to know, or what was said.
    note: Mapped[str] = mapped_column(sa.Text, default="")
    #: The booking made during the call (a course's first date's), if any.
    booking_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("bookings.id", ondelete="SET NULL")
    )
    booking: Mapped[Booking | None] = relationship()
    enrolment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("course_enrolments.id", ondelete="SET NULL")
    )
    enrolment: Mapped[Enrolment | None] = relationship()
    operator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    operator: Mapped[User | None] = relationship(foreign_keys=[operator_id])
    #: When the ward's staff took care of a call passed to them.
    handled_dt: Mapped[datetime | None]
    handled_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    handled_by: Mapped[User | None] = relationship(foreign_keys=[handled_by_id])

    @hybrid_property
    def is_waiting(self) -> bool:
        """Passed to the ward and not yet taken care of."""
        return self.outcome == CallOutcome.PASSED and self.handled_dt is None

    @is_waiting.inplace.expression
    @classmethod
    def _is_waiting_expression(cls) -> sa.ColumnElement[bool]:
        return sa.and_(cls.outcome == CallOutcome.PASSED, cls.handled_dt.is_(None))

    def __repr__(self) -> str:
        return f"<Call {self.id} {self.outcome.value}>"
