"""The phone line: calls to a ward's programme number that the app answers, each step of
them, kept so that a step Twilio asks again is answered as it was the first time.

No audio is kept: what a caller said (a name, a message) is kept only as Twilio's text of
it, in the resident's record or the staff inbox.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion.db import string_enum, utcnow
from inclusion.extensions import db
from inclusion.residents.models import Resident
from inclusion.wards.models import Ward


class CallResult(enum.StrEnum):
    """What came of a call, as the figures count it."""

    #: A booking made, cancelled, a place on a waiting list or a seat offered taken.
    ACTED = "acted"
    HANDED_OVER = "handed_over"
    MESSAGE = "message"
    #: Heard their bookings, and did nothing more.
    HEARD = "heard"
    #: The line ended the call: nothing pressed, too long, a withheld number that could
    #: do nothing more.
    ENDED = "ended"
    #: Hung up with nothing done: the step they left at is kept.
    DROPPED = "dropped"

    @property
    def label(self) -> str:
        return str(RESULT_LABELS[self])


RESULT_LABELS = {
    CallResult.ACTED: _l("Booked or cancelled by phone"),
    CallResult.HANDED_OVER: _l("Put through to staff"),
    CallResult.MESSAGE: _l("Left a message"),
    CallResult.HEARD: _l("Heard their bookings"),
    CallResult.ENDED: _l("Ended by the line"),
    CallResult.DROPPED: _l("Hung up"),
}


class PhoneLineCall(db.Model):
    """One call to a ward's phone line."""

    __tablename__ = "phone_line_calls"
    __table_args__ = (sa.Index("ix_phone_line_calls_ward_id_started_dt", "ward_id", "started_dt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Twilio's CallSid: a step asked twice belongs to the same call.
    sid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("wards.id"))
    ward: Mapped[Ward] = relationship()
    #: The caller's number in E.164; null when it was withheld.
    from_e164: Mapped[str | None] = mapped_column(sa.String(20))
    started_dt: Mapped[datetime] = mapped_column(default=utcnow)
    #: From Twilio's report when the call ended.
    ended_dt: Mapped[datetime | None]
    duration_seconds: Mapped[int | None]
    #: ``ja`` or ``en``: the caller may switch to English.
    language: Mapped[str] = mapped_column(sa.String(2), default="ja")
    #: Whom the call is about, once known (a proxy picks one).
    resident_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    resident: Mapped[Resident | None] = relationship()
    #: The steps taken, in order (at most ``MAX_STEPS``), e.g. ``["menu", "class", "booked"]``.
    path: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: The step the caller was at last: where a call that was dropped was left.
    last_step: Mapped[str] = mapped_column(sa.String(20), default="")
    #: Bookings made (a course counts once), places on waiting lists, cancellations.
    booked: Mapped[int] = mapped_column(default=0)
    waitlisted: Mapped[int] = mapped_column(default=0)
    cancelled: Mapped[int] = mapped_column(default=0)
    handed_over: Mapped[bool] = mapped_column(default=False)
    left_message: Mapped[bool] = mapped_column(default=False)
    #: Set when the call ended.
    result: Mapped[CallResult | None] = mapped_column(string_enum(CallResult, "call_result"))

    def __repr__(self) -> str:
        return f"<PhoneLineCall {self.id}>"


class PhoneLineStep(db.Model):
    """One answer given on a call: Twilio may ask a step again (a retry, a slow network),
    and gets the same answer without anything being done twice."""

    __tablename__ = "phone_line_steps"
    __table_args__ = (sa.UniqueConstraint("call_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("phone_line_calls.id", ondelete="CASCADE"))
    #: 0 for the greeting, then one more for each answer.
    number: Mapped[int]
    #: What the caller pressed ('' for nothing or speech).
    digits: Mapped[str] = mapped_column(sa.String(10), default="")
    #: The TwiML answered.
    twiml: Mapped[str] = mapped_column(sa.Text, default="")
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<PhoneLineStep {self.call_id}.{self.number}>"
