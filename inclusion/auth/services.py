from __future__ import annotations

import logging

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from inclusion.audit.services import record_event
from inclusion.auth.models import PERSON_ROLES, Role, User, new_login_token
from inclusion.db import utcnow
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.wards.models import Ward

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 10


class AccountError(RuleViolation):
    """A rule about accounts was broken."""

    def __init__(self, message: str, field: str = "email") -> None:
        super().__init__(message, field)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def check_new_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _l("The password must be at least %(count)d characters.", count=MIN_PASSWORD_LENGTH),
            field=field,
        )


def create_user(
    actor: User | None,
    *,
    email: str,
    password: str,
    display_name: str,
    role: Role,
    ward: Ward | None = None,
) -> User:
    """Create an account; ward staff must belong to a ward."""
    if role == Role.WARD_STAFF and ward is None:
        raise AccountError(_l("Ward staff must belong to a ward."), field="ward")
    check_new_password(password)
    email = normalise_email(email)
    user = User(email=email, display_name=display_name.strip(), role=role, ward=ward)
    user.set_password(password)
    try:
        # The unique constraint, not a look-up first, decides who has an address.
        with db.session.begin_nested():
            db.session.add(user)
            db.session.flush()
    except sa.exc.IntegrityError:
        raise AccountError(_l("An account with this e-mail address already exists.")) from None
    record_event(actor, "user.create", user, ward, {"email": email, "role": role.value})
    log.info("user %s created with role %s", user.id, role.value)
    return user


def authenticate(email: str, password: str) -> User | None:
    """Return the active user with these credentials and audit the attempt."""
    user = find_user_by_email(email)
    if (
        user is None
        or not user.is_active
        or user.role not in PERSON_ROLES
        or not user.check_password(password)
    ):
        record_event(None, "auth.login_failed", details={"email": normalise_email(email)[:254]})
        return None
    user.last_login_dt = utcnow()
    record_event(user, "auth.login", user, user.ward)
    return user


def change_password(user: User, current_password: str, new_password: str) -> User:
    """Replace a password; other sessions of this user end."""
    if not user.check_password(current_password):
        raise AccountError(_l("The current password is not correct."), field="current_password")
    check_new_password(new_password, field="new_password")
    user.set_password(new_password)
    user.password_changed_dt = utcnow()
    record_event(user, "user.password_change", user, user.ward)
    return user


def update_user(
    actor: User, user: User, *, display_name: str, role: Role, ward: Ward | None
) -> User:
    """Change an account's name, role or ward; the changes are audited."""
    if role == Role.WARD_STAFF and ward is None:
        raise AccountError(_l("Ward staff must belong to a ward."), field="ward")
    if user.id == actor.id and role != user.role:
        raise AccountError(_l("You cannot change your own role."), field="role")
    before = {"display_name": user.display_name, "role": user.role.value, "ward": user.ward_id}
    user.display_name, user.role, user.ward = display_name.strip(), role, ward
    after = {
        "display_name": user.display_name,
        "role": role.value,
        "ward": ward.id if ward else None,
    }
    changed = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    if changed:
        record_event(actor, "user.update", user, ward, {"changed": changed})
    return user


def reset_password(actor: User, user: User, new_password: str) -> User:
    """Set a password for someone who forgot theirs; their sessions end."""
    check_new_password(new_password, field="new_password")
    user.set_password(new_password)
    user.password_changed_dt = utcnow()
    record_event(actor, "user.password_reset", user, user.ward)
    return user


def set_user_active(actor: User, user: User, is_active: bool) -> User:
    """Activate or deactivate an account; a deactivated user is logged out everywhere."""
    if user.id == actor.id and not is_active:
        raise AccountError(_l("You cannot deactivate your own account."), field="active")
    if user.is_active == is_active:
        return user  # a page shown before the change, pressed again
    user.is_active = is_active
    if not is_active:
        user.login_token = new_login_token()
    record_event(actor, "user.activate" if is_active else "user.deactivate", user, user.ward)
    return user


def load_user(user_id: str) -> User | None:
    """Find the user of a session cookie; a stale token means logged out."""
    id_part, _, token = user_id.partition(":")
    if not id_part.isdigit():
        return None
    user = db.session.get(User, int(id_part))
    if user is None or not user.is_active or user.role not in PERSON_ROLES:
        return None
    return user if user.login_token == token else None
