from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion.db import string_enum, utcnow
from inclusion.extensions import db
from inclusion.wards.models import Ward


class VenueKind(enum.StrEnum):
    COMMUNITY_CENTRE = "community_centre"
    LIBRARY = "library"
    ELDERLY_FACILITY = "elderly_facility"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(VENUE_KIND_LABELS[self])


VENUE_KIND_LABELS = {
    VenueKind.COMMUNITY_CENTRE: _l("Community centre"),
    VenueKind.LIBRARY: _l("Library"),
    VenueKind.ELDERLY_FACILITY: _l("Elderly facility"),
    VenueKind.OTHER: _l("Other"),
}


class Venue(db.Model):
    """A place where a ward holds sessions."""

    __tablename__ = "venues"
    __table_args__ = (
        sa.UniqueConstraint("ward_id", "name"),
        sa.CheckConstraint("default_capacity > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("wards.id"), index=True)
    ward: Mapped[Ward] = relationship()
    name: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[VenueKind] = mapped_column(string_enum(VenueKind, "venue_kind", length=30))
    address: Mapped[str] = mapped_column(sa.String(200))
    #: Access: step-free entrance, lift, hearing loop; and anything else in words.
    has_step_free_access: Mapped[bool] = mapped_column(default=False)
    has_lift: Mapped[bool] = mapped_column(default=False)
    has_hearing_loop: Mapped[bool] = mapped_column(default=False)
    access_notes: Mapped[str] = mapped_column(sa.Text, default="")
    #: How many people the room holds; a session may not exceed it.
    default_capacity: Mapped[int]
    is_active: Mapped[bool] = mapped_column(default=True)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Venue {self.id} {self.name}>"
