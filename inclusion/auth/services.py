from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from functools import cache

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager
from werkzeug.security import check_password_hash, generate_password_hash

from inclusion.audit.services import record_event
from inclusion.auth.models import (
    NO_PASSWORD,
    PERSON_ROLES,
    LoginSession,
    Role,
    User,
    password_method,
)
from inclusion.db import utcnow
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.volunteers.models import VolunteerProfile, volunteer_wards
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
    password: str | None,
    display_name: str,
    role: Role,
    ward: Ward | None = None,
) -> User:
    """Create an account; ward staff must belong to a ward. Without a password (a roster
    import) nobody can log in to it until an administrator sets one."""
    if role == Role.WARD_STAFF and ward is None:
        raise AccountError(_l("Ward staff must belong to a ward."), field="ward")
    email = normalise_email(email)
    user = User(email=email, display_name=display_name.strip(), role=role, ward=ward)
    if password is None:
        user.password_hash = NO_PASSWORD
    else:
        check_new_password(password)
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


@cache
def _nobody_hash() -> str:
    """A password hash made like every real one, from a secret nobody knows; made at the
    first refused log-in, not at every start of every process."""
    return generate_password_hash(secrets.token_hex(16), method=password_method())


def authenticate(email: str, password: str) -> User | None:
    """Return the active user with these credentials and audit the attempt."""
    user = find_user_by_email(email)
    # The password is checked whoever it is (against a stand-in for an unknown address or
    # an account with no password yet), so the time taken does not tell which have accounts.
    usable = user is not None and user.has_password
    stored = user.password_hash if usable else _nobody_hash()
    matches = check_password_hash(stored, password) and usable
    if user is None or not user.is_active or user.role not in PERSON_ROLES or not matches:
        record_event(None, "auth.login_failed", details={"email": normalise_email(email)[:254]})
        return None
    user.last_login_dt = utcnow()
    if not user.hashed_as_now:
        user.set_password(password)
    record_event(user, "auth.login", user, user.ward)
    return user


def start_login(user: User) -> User:
    """Hold a new log-in on the server; the session cookie will name it. The user's
    log-ins older than a working day's limit are cleared on the way."""
    hours = current_app.config["LOGIN_SESSION_HOURS"]
    db.session.execute(
        sa.delete(LoginSession).where(
            LoginSession.user_id == user.id,
            LoginSession.created_dt < utcnow() - timedelta(hours=hours),
        )
    )
    login = LoginSession(user_id=user.id)
    db.session.add(login)
    db.session.flush()
    user.login_session = login.token
    return user


def end_login(user: User) -> None:
    """Log out: the session cookie, wherever a copy of it is, no longer works."""
    db.session.execute(sa.delete(LoginSession).where(LoginSession.token == user.login_session))


def end_other_logins(user: User, keep: str = "") -> None:
    """End the user's log-ins everywhere (but ``keep``, the one making the change)."""
    db.session.execute(
        sa.delete(LoginSession).where(LoginSession.user_id == user.id, LoginSession.token != keep)
    )


def change_password(user: User, current_password: str, new_password: str) -> User:
    """Replace a password; other sessions of this user end."""
    if not user.check_password(current_password):
        raise AccountError(_l("The current password is not correct."), field="current_password")
    check_new_password(new_password, field="new_password")
    user.set_password(new_password)
    end_other_logins(user, keep=user.login_session)
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
    if "role" in changed or "ward" in changed:
        # What they may see changed: they log in again under the new rights.
        end_other_logins(user)
    return user


def reset_password(actor: User, user: User, new_password: str) -> User:
    """Set a password for someone who forgot theirs; their sessions end."""
    check_new_password(new_password, field="new_password")
    user.set_password(new_password)
    end_other_logins(user)
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
        end_other_logins(user)
    record_event(actor, "user.activate" if is_active else "user.deactivate", user, user.ward)
    return user


@cache
def _login_statement() -> sa.Select:
    """A log-in by its token, user and earliest start, with its person and, for a
    volunteer, their wards: built once, so each request only binds its values (building it
    and working out its cache key were a tenth of a kept page's time).

    The wards come in the same query (every page asks for them: their versions key the
    kept pages), by plain left joins, volunteer-ward by its key. Loaded eagerly, their
    nested join had SQLite read the whole volunteer-ward table on every request (12 ms at
    20,000 volunteers); a second query cost PostgreSQL a round trip on each."""
    return (
        sa.select(LoginSession)
        .join(LoginSession.user)
        .outerjoin(User.volunteer_profile)
        .outerjoin(volunteer_wards, volunteer_wards.c.user_id == VolunteerProfile.user_id)
        .outerjoin(Ward, Ward.id == volunteer_wards.c.ward_id)
        .where(
            LoginSession.token == sa.bindparam("token"),
            LoginSession.user_id == sa.bindparam("user_id"),
            LoginSession.created_dt >= sa.bindparam("since"),
        )
        .options(
            contains_eager(LoginSession.user)
            .contains_eager(User.volunteer_profile)
            .contains_eager(VolunteerProfile.wards)
        )
        .order_by(Ward.code)
    )


def load_user(user_id: str) -> User | None:
    """Find the user of a session cookie: only while its log-in is held on the server and
    younger than the limit."""
    id_part, _, token = user_id.partition(":")
    if not id_part.isdigit() or not token:
        return None
    hours = current_app.config["LOGIN_SESSION_HOURS"]
    since = utcnow() - timedelta(hours=hours)
    found = {"token": token, "user_id": int(id_part), "since": since}
    login = db.session.execute(_login_statement(), found).unique().scalar_one_or_none()
    if login is None:
        return None
    user = login.user
    if not user.is_active or user.role not in PERSON_ROLES:
        return None
    user.login_session = token
    return user
