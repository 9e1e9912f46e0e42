"""LINE: the friends of a ward's official account, their links to residents, and the
short codes that make a link.

A resident links their LINE themselves, by sending the account a code staff gave them
(read out, printed as a QR code, or sent by SMS): that message is their consent to get
the programme's messages on LINE. Blocking the account, or staff, ends the link.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion.auth.models import User
from inclusion.db import string_enum, utcnow
from inclusion.extensions import db
from inclusion.residents.models import Resident
from inclusion.wards.models import Ward


class LineFriend(db.Model):
    """A LINE user who follows one of our accounts (or did): LINE's id for them is only
    good on that account."""

    __tablename__ = "line_friends"
    __table_args__ = (sa.UniqueConstraint("account", "line_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The account's name in the settings: ``shared``, or the slug of the ward it serves.
    account: Mapped[str] = mapped_column(sa.String(30))
    #: LINE's ``U`` and 32 hex digits.
    line_user_id: Mapped[str] = mapped_column(sa.String(64))
    followed_dt: Mapped[datetime | None]
    #: Set while they block the account: nothing can reach them there.
    blocked_dt: Mapped[datetime | None]
    #: Codes sent that matched nothing, since ``wrong_codes_since``: guessing is bounded.
    wrong_codes: Mapped[int] = mapped_column(default=0)
    wrong_codes_since: Mapped[datetime | None]
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<LineFriend {self.id} {self.account}>"


class Unlinked(enum.StrEnum):
    """Why a link ended."""

    BLOCKED = "blocked"
    STAFF = "staff"
    #: The resident linked another LINE, or this LINE was linked anew.
    REPLACED = "replaced"
    ANONYMISED = "anonymised"

    @property
    def label(self) -> str:
        return str(UNLINKED_LABELS[self])


UNLINKED_LABELS = {
    Unlinked.BLOCKED: _l("The resident blocked the ward's LINE account"),
    Unlinked.STAFF: _l("Removed by staff"),
    Unlinked.REPLACED: _l("Replaced by a newer link"),
    Unlinked.ANONYMISED: _l("The record was anonymised"),
}


class LineLink(db.Model):
    """A resident's messages go to this LINE friend while the link lasts. A LINE shared by
    a couple may hold a link to each; a resident has one LINE at a time."""

    __tablename__ = "line_links"
    __table_args__ = (
        sa.Index(
            "ix_line_links_one_per_resident",
            "resident_id",
            unique=True,
            postgresql_where=sa.text("unlinked_dt IS NULL"),
            sqlite_where=sa.text("unlinked_dt IS NULL"),
        ),
        sa.Index("ix_line_links_friend_id", "friend_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    friend_id: Mapped[int] = mapped_column(sa.ForeignKey("line_friends.id", ondelete="CASCADE"))
    friend: Mapped[LineFriend] = relationship()
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("residents.id", ondelete="CASCADE"))
    resident: Mapped[Resident] = relationship()
    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("wards.id"))
    ward: Mapped[Ward] = relationship()
    linked_dt: Mapped[datetime] = mapped_column(default=utcnow)
    unlinked_dt: Mapped[datetime | None]
    unlinked_why: Mapped[Unlinked | None] = mapped_column(string_enum(Unlinked, "line_unlinked"))
    unlinked_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    unlinked_by: Mapped[User | None] = relationship()

    @property
    def ref(self) -> str:
        """How an outbox row names it in ``to_e164``."""
        return link_ref(self.id)

    def __repr__(self) -> str:
        return f"<LineLink {self.id} resident {self.resident_id}>"


def link_ref(link_id: int) -> str:
    """``L12``: an outbox row's address for a LINE link (a number never starts with L)."""
    return f"L{link_id}"


class LineLinkCode(db.Model):
    """A short code staff give a resident to send to the ward's LINE account; used once."""

    __tablename__ = "line_link_codes"
    __table_args__ = (
        # Among the codes still open, each is unique: a code sent finds one resident.
        sa.Index(
            "ix_line_link_codes_open_code",
            "code",
            unique=True,
            postgresql_where=sa.text("closed_dt IS NULL"),
            sqlite_where=sa.text("closed_dt IS NULL"),
        ),
        sa.Index("ix_line_link_codes_resident_id", "resident_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("residents.id", ondelete="CASCADE"))
    resident: Mapped[Resident] = relationship()
    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("wards.id"))
    code: Mapped[str] = mapped_column(sa.String(8))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    expires_dt: Mapped[datetime]
    #: Used, replaced by a newer code, or expired.
    closed_dt: Mapped[datetime | None]
    used_dt: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    def __repr__(self) -> str:
        return f"<LineLinkCode {self.id} resident {self.resident_id}>"
