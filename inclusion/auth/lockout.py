"""Failed log-ins are limited per account and, more loosely, per address: a ward office's
staff share one address behind its router, so the address alone would lock them all out
because of one person. An administrator can lift an account's limit at once."""

from __future__ import annotations

from flask import current_app, request
from limits import parse

from inclusion.audit.services import record_event
from inclusion.auth.models import User
from inclusion.extensions import limiter

#: The bucket every account's failed log-ins count in, whichever page they came from.
ACCOUNT_SCOPE = "login-account"


def _account(email: str) -> str:
    return f"account:{email.strip().lower()[:254]}"


def account_key() -> str:
    """The account a log-in attempt is for, as the limiter counts it."""
    return _account(request.form.get("email", ""))


def account_rate() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def address_rate() -> str:
    return current_app.config["LOGIN_ADDRESS_RATE_LIMIT"]


def _window(user: User) -> tuple:
    return parse(account_rate()), _account(user.email), ACCOUNT_SCOPE


def is_locked(user: User) -> bool:
    """Whether the account's failed log-ins have used up its limit for now."""
    return not limiter.limiter.test(*_window(user))


def unlock(actor: User, user: User) -> None:
    """An administrator lets the account try again now."""
    limiter.limiter.clear(*_window(user))
    record_event(actor, "user.unlock", user, user.ward)
