"""Secret tokens behind the personal calendar feeds, and .ics files waiting to be imported."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion.auth.models import User
from inclusion.db import string_enum, utcnow
from inclusion.extensions import db
from inclusion.wards.models import Ward


class FeedKind(enum.StrEnum):
    #: A volunteer's own shifts.
    VOLUNTEER = "volunteer"
    #: Every ward's sessions, filtered as the coordinator chose: coordinators and admins.
    COORDINATOR = "coordinator"

    @property
    def label(self) -> str:
        return str(FEED_KIND_LABELS[self])


FEED_KIND_LABELS = {
    FeedKind.VOLUNTEER: _l("My shifts"),
    FeedKind.COORDINATOR: _l("Sessions of the wards you choose"),
}


class CalendarToken(db.Model):
    """The secret in a personal feed's URL: only its SHA-256 is kept; one live per user, feed."""

    __tablename__ = "calendar_tokens"
    __table_args__ = (
        sa.Index(
            "uq_calendar_tokens_live",
            "user_id",
            "feed",
            unique=True,
            postgresql_where=sa.text("revoked_dt IS NULL"),
            sqlite_where=sa.text("revoked_dt IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    user: Mapped[User] = relationship()
    feed: Mapped[FeedKind] = mapped_column(string_enum(FeedKind, "feed_kind"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: What a coordinator's feed shows, as its address's query would say it:
    #: ``{"ward": ["shibuya"], "kind": ["class"], "topic": [...], "venue": ["12"]}``.
    filters: Mapped[dict[str, list[str]] | None] = mapped_column(sa.JSON)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    #: Updated at most hourly: calendar apps poll often.
    last_used_dt: Mapped[datetime | None]
    revoked_dt: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<CalendarToken {self.id} {self.feed.value} user {self.user_id}>"


class CalendarImport(db.Model):
    """An uploaded .ics kept between its preview and the coordinator's confirmation."""

    __tablename__ = "calendar_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("wards.id"))
    ward: Mapped[Ward] = relationship()
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(sa.String(200))
    content: Mapped[str] = mapped_column(sa.Text)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set when the sessions were created; a file is imported once.
    imported_dt: Mapped[datetime | None]
    created_count: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<CalendarImport {self.id} {self.filename}>"
