"""Feed tokens: issued, rotated and revoked by their owner; only their hash is stored."""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa

from inclusion.audit.services import record_event
from inclusion.auth.models import Role, User
from inclusion.calendar.models import CalendarToken, FeedKind
from inclusion.db import lock_row, utcnow
from inclusion.extensions import db
from inclusion.tokens import digest, same_digest, touch

#: Who may hold each kind of feed.
FEED_ROLES = {
    FeedKind.VOLUNTEER: frozenset({Role.VOLUNTEER}),
    FeedKind.COORDINATOR: frozenset({Role.COORDINATOR, Role.ADMIN}),
}
#: A token longer than this is not one of ours; refuse before hashing it.
MAX_TOKEN_LENGTH = 64
TOUCH_EVERY = timedelta(hours=1)


def feeds_for(user: User) -> list[FeedKind]:
    return [kind for kind, roles in FEED_ROLES.items() if user.role in roles]


def live_token(user: User, feed: FeedKind) -> CalendarToken | None:
    return db.session.scalar(
        sa.select(CalendarToken).where(
            CalendarToken.user_id == user.id,
            CalendarToken.feed == feed,
            CalendarToken.revoked_dt.is_(None),
        )
    )


def issue_token(user: User, feed: FeedKind, filters: dict[str, list[str]] | None = None) -> str:
    """A new secret for the user's feed; the previous URL stops working. Shown once.

    The new address shows what the old one did, unless ``filters`` says otherwise."""
    if user.role not in FEED_ROLES[feed]:
        raise PermissionError(feed)
    lock_row(User, user.id)  # one live token per user and feed, whatever the timing
    previous = live_token(user, feed)
    if filters is None and previous is not None:
        filters = previous.filters
    replaced = _revoke(user, feed)
    raw = secrets.token_urlsafe(32)
    token = CalendarToken(user_id=user.id, feed=feed, token_hash=digest(raw), filters=filters)
    db.session.add(token)
    db.session.flush()
    record_event(
        user, "calendar.token_rotate" if replaced else "calendar.token_create", token, None
    )
    return raw


def choose_filters(user: User, filters: dict[str, list[str]]) -> str | None:
    """Set what the coordinator's calendar shows. The address stays the same when there is
    one (calendar apps show the change at their next refresh); else one is made, and its
    secret returned to be shown once."""
    lock_row(User, user.id)
    token = live_token(user, FeedKind.COORDINATOR)
    if token is None:
        return issue_token(user, FeedKind.COORDINATOR, filters)
    if token.filters != filters:
        token.filters = filters
        record_event(user, "calendar.filters", token, None, filters)
    return None


def revoke_token(user: User, feed: FeedKind) -> bool:
    """End the user's feed URL; calendar apps then get 404. False when there was none."""
    lock_row(User, user.id)
    revoked = _revoke(user, feed)
    if revoked:
        record_event(user, "calendar.token_revoke", None, None, {"feed": feed.value})
    return revoked


def _revoke(user: User, feed: FeedKind) -> bool:
    result = db.session.execute(
        sa.update(CalendarToken)
        .where(
            CalendarToken.user_id == user.id,
            CalendarToken.feed == feed,
            CalendarToken.revoked_dt.is_(None),
        )
        .values(revoked_dt=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount > 0


def live_token_for(raw: str, feed: FeedKind) -> CalendarToken | None:
    """The live token with this secret, of an active user who may hold it; or None (the
    feed then answers 404)."""
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        return None
    found = db.session.execute(
        sa.select(CalendarToken, User)
        .join(User, User.id == CalendarToken.user_id)
        .where(
            CalendarToken.token_hash == digest(raw),
            CalendarToken.feed == feed,
            CalendarToken.revoked_dt.is_(None),
        )
    ).one_or_none()
    if found is None:
        return None
    token, user = found
    if not same_digest(token.token_hash, raw):
        return None
    if not user.is_active or user.role not in FEED_ROLES[feed]:
        return None
    touch(token, utcnow(), TOUCH_EVERY)
    return token
