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
    SESSIONS_READ = "sessions:read"
    SESSIONS_WRITE = "sessions:write"
    BOOKINGS_WRITE = "bookings:write"
    RESIDENTS_READ = "residents:read"
    RESIDENTS_WRITE = "residents:write"
    METRICS_READ = "metrics:read"

    @property
    def label(self) -> str:
        return str(SCOPE_LABELS[self])


SCOPE_LABELS = {
    ApiScope.SESSIONS_READ: _l("Read sessions, venues and shifts"),
    ApiScope.SESSIONS_WRITE: _l("Create, change and cancel sessions; assign shifts"),
    ApiScope.BOOKINGS_WRITE: _l("Book residents, cancel bookings, record attendance"),
    ApiScope.RESIDENTS_READ: _l("Find residents by phone number (personal data)"),
    ApiScope.RESIDENTS_WRITE: _l("Register and correct residents (personal data)"),
    ApiScope.METRICS_READ: _l("Read the programme's figures"),
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
