"""Cover and swaps: a volunteer who cannot come asks others to take over, or two
volunteers exchange shifts. The shift stays its holder's until someone takes it."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion.auth.models import User
from inclusion.db import string_enum, utcnow
from inclusion.extensions import db
from inclusion.reminders.media import Medium
from inclusion.sessions.models import Session
from inclusion.volunteers.models import Shift
from inclusion.wards.models import Ward


class CoverStatus(enum.StrEnum):
    OPEN = "open"
    COVERED = "covered"
    #: The volunteer can come after all, or staff settled it another way.
    WITHDRAWN = "withdrawn"
    #: The session began with nobody found: the volunteer still held the place.
    UNFILLED = "unfilled"
    #: The session was cancelled, or the shift released by staff.
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return str(COVER_STATUS_LABELS[self])


COVER_STATUS_LABELS = {
    CoverStatus.OPEN: _l("Looking for cover"),
    CoverStatus.COVERED: _l("Covered"),
    CoverStatus.WITHDRAWN: _l("Withdrawn"),
    CoverStatus.UNFILLED: _l("Nobody found"),
    CoverStatus.CLOSED: _l("No longer needed"),
}


class CoverRequest(db.Model):
    """A volunteer asks someone to take over their shift; offered in waves until taken."""

    __tablename__ = "cover_requests"
    __table_args__ = (
        # One open request per shift: asking twice finds the first.
        sa.Index(
            "uq_cover_requests_shift_open",
            "shift_id",
            unique=True,
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        ),
        sa.Index("ix_cover_requests_status_session", "status", "session_id"),
        sa.Index("ix_cover_requests_ward_created", "ward_id", "created_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The place to be taken over (still the asker's until then).
    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("shifts.id", ondelete="CASCADE"))
    shift: Mapped[Shift] = relationship(foreign_keys=[shift_id])
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("sessions.id", ondelete="CASCADE"))
    session: Mapped[Session] = relationship()
    #: The ward that hosts the session.
    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("wards.id"))
    ward: Mapped[Ward] = relationship()
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    #: What the asker wants the others to know, e.g. why (optional, short).
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    status: Mapped[CoverStatus] = mapped_column(
        string_enum(CoverStatus, "cover_status"), default=CoverStatus.OPEN
    )
    #: The last wave offered: 1 those who know the venue, 2 everyone qualified.
    wave: Mapped[int] = mapped_column(default=0)
    #: When the next wave goes out; None when none is left.
    next_wave_dt: Mapped[datetime | None]
    #: When staff were alerted that nobody had taken it yet.
    alerted_dt: Mapped[datetime | None]
    covered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    covered_by: Mapped[User | None] = relationship(foreign_keys=[covered_by_id])
    #: The shift the volunteer who took over now holds.
    new_shift_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("shifts.id", ondelete="SET NULL")
    )
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    closed_dt: Mapped[datetime | None]

    offers: Mapped[list[CoverOffer]] = relationship(
        back_populates="request", order_by="CoverOffer.id", lazy="selectin"
    )

    @property
    def is_open(self) -> bool:
        return self.status == CoverStatus.OPEN

    def __repr__(self) -> str:
        return f"<CoverRequest {self.id} shift {self.shift_id} {self.status.value}>"


class OfferAnswer(enum.StrEnum):
    TAKEN = "taken"
    DECLINED = "declined"
    #: Said yes after someone else had taken it: told so.
    TOO_LATE = "too_late"

    @property
    def label(self) -> str:
        return str(OFFER_ANSWER_LABELS[self])


OFFER_ANSWER_LABELS = {
    OfferAnswer.TAKEN: _l("Took it"),
    OfferAnswer.DECLINED: _l("Declined"),
    OfferAnswer.TOO_LATE: _l("Said yes after it was taken"),
}


class CoverOffer(db.Model):
    """One volunteer asked to take a shift over, and what they answered."""

    __tablename__ = "cover_offers"
    __table_args__ = (sa.UniqueConstraint("request_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("cover_requests.id", ondelete="CASCADE"))
    request: Mapped[CoverRequest] = relationship(back_populates="offers")
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    volunteer: Mapped[User] = relationship()
    wave: Mapped[int]
    #: How the offer went: the volunteer's choice when it was made.
    medium: Mapped[Medium] = mapped_column(string_enum(Medium, "offer_medium"))
    offered_dt: Mapped[datetime] = mapped_column(default=utcnow)
    answer: Mapped[OfferAnswer | None] = mapped_column(string_enum(OfferAnswer, "offer_answer"))
    answered_dt: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<CoverOffer {self.id} request {self.request_id} user {self.user_id}>"


class SwapStatus(enum.StrEnum):
    #: Waiting for the other volunteer to agree.
    PROPOSED = "proposed"
    #: Both agreed; the ward's staff must approve.
    AGREED = "agreed"
    DONE = "done"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    #: Staff did not approve.
    REFUSED = "refused"
    #: One of the shifts changed (released, cancelled, started) before it was done.
    LAPSED = "lapsed"

    @property
    def label(self) -> str:
        return str(SWAP_STATUS_LABELS[self])


SWAP_STATUS_LABELS = {
    SwapStatus.PROPOSED: _l("Waiting for the other volunteer"),
    SwapStatus.AGREED: _l("Waiting for staff approval"),
    SwapStatus.DONE: _l("Swapped"),
    SwapStatus.DECLINED: _l("Declined"),
    SwapStatus.WITHDRAWN: _l("Withdrawn"),
    SwapStatus.REFUSED: _l("Not approved"),
    SwapStatus.LAPSED: _l("No longer possible"),
}

#: A swap still on its way: neither shift may be in another one.
PENDING_SWAP = ("proposed", "agreed")


class SwapRequest(db.Model):
    """Two volunteers exchange shifts: one proposes, the other agrees, staff may approve."""

    __tablename__ = "swap_requests"
    __table_args__ = (
        sa.Index(
            "uq_swap_requests_offered_pending",
            "offered_shift_id",
            unique=True,
            postgresql_where=sa.text("status IN ('proposed', 'agreed')"),
            sqlite_where=sa.text("status IN ('proposed', 'agreed')"),
        ),
        sa.Index("ix_swap_requests_wanted_shift_id", "wanted_shift_id"),
        sa.CheckConstraint("offered_shift_id != wanted_shift_id", name="two_shifts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The proposer's shift, which the partner would take.
    offered_shift_id: Mapped[int] = mapped_column(sa.ForeignKey("shifts.id", ondelete="CASCADE"))
    offered_shift: Mapped[Shift] = relationship(foreign_keys=[offered_shift_id])
    #: The partner's shift, which the proposer would take.
    wanted_shift_id: Mapped[int] = mapped_column(sa.ForeignKey("shifts.id", ondelete="CASCADE"))
    wanted_shift: Mapped[Shift] = relationship(foreign_keys=[wanted_shift_id])
    proposer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    proposer: Mapped[User] = relationship(foreign_keys=[proposer_id])
    partner_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    partner: Mapped[User] = relationship(foreign_keys=[partner_id])
    status: Mapped[SwapStatus] = mapped_column(
        string_enum(SwapStatus, "swap_status"), default=SwapStatus.PROPOSED
    )
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    agreed_dt: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    closed_dt: Mapped[datetime | None]

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING_SWAP

    def __repr__(self) -> str:
        return f"<SwapRequest {self.id} {self.status.value}>"
