"""API keys: one per integration (the joint call centre, a ward's website, a report tool)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion.auth.models import User
from inclusion.db import utcnow
from inclusion.extensions import db
from inclusion.wards.models import Ward


class ApiScope(enum.StrEnum):
    """What a key may do. Every read has a scope of its own, so a key is given no more than
    its integration needs; a write scope returns no personal data its key may not read."""

    SESSIONS_READ = "sessions:read"
    SESSIONS_WRITE = "sessions:write"
    VENUES_WRITE = "venues:write"
    BOOKINGS_READ = "bookings:read"
    BOOKINGS_WRITE = "bookings:write"
    RESIDENTS_READ = "residents:read"
    RESIDENTS_WRITE = "residents:write"
    REMINDERS_READ = "reminders:read"
    VOLUNTEERS_READ = "volunteers:read"
    METRICS_READ = "metrics:read"
    LOANS_READ = "loans:read"
    CALLS_READ = "calls:read"
    WARDS_WRITE = "wards:write"

    @property
    def label(self) -> str:
        return str(SCOPE_LABELS[self])


SCOPE_LABELS = {
    ApiScope.SESSIONS_READ: _l("Read sessions, courses, venues and shifts"),
    ApiScope.SESSIONS_WRITE: _l("Create, change and cancel sessions; assign shifts"),
    ApiScope.VENUES_WRITE: _l("Add, change and archive venues"),
    ApiScope.BOOKINGS_READ: _l("Read bookings and waiting lists"),
    ApiScope.BOOKINGS_WRITE: _l("Book residents, cancel bookings, record attendance"),
    ApiScope.RESIDENTS_READ: _l("Find and read residents and their consent (personal data)"),
    ApiScope.RESIDENTS_WRITE: _l("Register and correct residents; change consent (personal data)"),
    ApiScope.REMINDERS_READ: _l("Read reminder outcomes and replies"),
    ApiScope.VOLUNTEERS_READ: _l("Read volunteers, their training and hours (personal data)"),
    ApiScope.METRICS_READ: _l("Read the programme's figures and surveys' progress"),
    ApiScope.LOANS_READ: _l("Read loan smartphones and loans (residents by id only)"),
    ApiScope.CALLS_READ: _l("Read the call centre's calls (no numbers, no notes)"),
    ApiScope.WARDS_WRITE: _l("Change a ward's booking phone and hours (for administrators)"),
}


class ApiKey(db.Model):
    """A secret an integration sends as ``Authorization: Bearer …``; only its hash is kept.

    It acts through an account of its own (role ``integration``), so the audit log
    names the integration, and reaches its scopes in its ward (or in every ward).
    """

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    #: The key's own account, named after it; deactivated when the key is revoked.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    #: None: every ward.
    ward_id: Mapped[int | None] = mapped_column(sa.ForeignKey("wards.id"))
    ward: Mapped[Ward | None] = relationship(lazy="joined")
    #: ``ApiScope`` values.
    scopes: Mapped[list[str]] = mapped_column(sa.JSON)
    #: SHA-256 of the secret, hex; the secret itself is shown once.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The secret's first characters, to tell keys apart in lists and logs.
    prefix: Mapped[str] = mapped_column(sa.String(16))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    #: Noted at most once a minute, so reading stays cheap.
    last_used_dt: Mapped[datetime | None]
    revoked_dt: Mapped[datetime | None]

    @property
    def is_revoked(self) -> bool:
        return self.revoked_dt is not None

    def allows(self, scope: ApiScope) -> bool:
        return scope.value in self.scopes

    def reaches(self, ward_id: int) -> bool:
        """Whether records of this ward are within the key's reach."""
        return self.ward_id is None or self.ward_id == ward_id

    def __repr__(self) -> str:
        return f"<ApiKey {self.id} {self.prefix}>"
