from __future__ import annotations

import enum
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from inclusion.db import string_enum, utcnow
from inclusion.extensions import db
from inclusion.wards.models import Ward

#: How the stored hash of an account without a password starts: no password matches it.
NO_PASSWORD = "!"


def password_method() -> str:
    """How passwords are hashed (``PASSWORD_HASH_METHOD``)."""
    return current_app.config["PASSWORD_HASH_METHOD"]


class Role(enum.StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    WARD_STAFF = "ward_staff"
    VOLUNTEER = "volunteer"
    #: The joint call centre's operators: log calls and book callers of every ward, but open
    #: no ward's pages.
    OPERATOR = "operator"
    #: An API key's own account: reaches the API only, never a page; cannot log in.
    INTEGRATION = "integration"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])

    @property
    def sees_all_wards(self) -> bool:
        return self in (Role.ADMIN, Role.COORDINATOR)


#: Roles a person logs in with; an integration's account is made with its API key.
PERSON_ROLES = (Role.ADMIN, Role.COORDINATOR, Role.WARD_STAFF, Role.VOLUNTEER, Role.OPERATOR)

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.COORDINATOR: _l("Coordinator (all wards)"),
    Role.WARD_STAFF: _l("Ward staff"),
    Role.VOLUNTEER: _l("Volunteer"),
    Role.OPERATOR: _l("Call centre operator"),
    Role.INTEGRATION: _l("API integration"),
}


def new_login_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    """A person who logs in: staff, coordinator, admin or volunteer."""

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint(
            "role != 'ward_staff' OR ward_id IS NOT NULL", name="ward_staff_has_ward"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-case, so uniqueness ignores case.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    display_name: Mapped[str] = mapped_column(sa.String(100))
    role: Mapped[Role] = mapped_column(string_enum(Role, "user_role"))
    #: The ward a ward_staff member works for; optional for other roles.
    ward_id: Mapped[int | None] = mapped_column(sa.ForeignKey("wards.id"), index=True)
    ward: Mapped[Ward | None] = relationship(lazy="joined")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    last_login_dt: Mapped[datetime | None]
    password_changed_dt: Mapped[datetime | None]

    #: The log-in this request runs under (``LoginSession.token``); set when loaded.
    login_session: str = ""

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=password_method())

    @property
    def hashed_as_now(self) -> bool:
        """Whether the stored hash was made with today's method (else: made again at the
        next log-in, when the password is at hand)."""
        return self.password_hash.startswith(f"{password_method()}$")

    def check_password(self, password: str) -> bool:
        return self.has_password and check_password_hash(self.password_hash, password)

    @property
    def has_password(self) -> bool:
        """False for an account made without one (a roster import) until one is set."""
        return not self.password_hash.startswith(NO_PASSWORD)

    def get_id(self) -> str:
        return f"{self.id}:{self.login_session}"

    def can_access_ward(self, ward: Ward) -> bool:
        if self.role.sees_all_wards:
            return True
        return self.role == Role.WARD_STAFF and self.ward_id == ward.id

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class LoginSession(db.Model):
    """One log-in, held on the server: logging out (or a new password, a new role, being
    deactivated) deletes it, so a copied session cookie stops working at once."""

    __tablename__ = "login_sessions"

    #: What the session cookie carries, with the user's id.
    token: Mapped[str] = mapped_column(sa.String(64), primary_key=True, default=new_login_token)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    user: Mapped[User] = relationship(lazy="joined")
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
