"""Feed tokens: issued, rotated and revoked by their owner; only their hash is stored."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from inclusion.audit.services import record_event
from inclusion.auth.models import Role, User
from inclusion.calendar.models import CalendarToken, FeedKind
from inclusion.db import lock_row, utcnow
from inclusion.extensions import db

log = logging.getLogger(__name__)

#: Who may hold each kind of feed.
FEED_ROLES = {
    FeedKind.VOLUNTEER: frozenset({Role.VOLUNTEER}),
    FeedKind.COORDINATOR: frozenset({Role.COORDINATOR, Role.ADMIN}),
}
#: A token longer than this is not one of ours; refuse before hashing it.
MAX_TOKEN_LENGTH = 64
TOUCH_EVERY = timedelta(hours=1)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


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


def issue_token(user: User, feed: FeedKind) -> str:
    """A new secret for the user's feed; the previous URL stops working. Shown once."""
    if user.role not in FEED_ROLES[feed]:
        raise PermissionError(feed)
    lock_row(User, user.id)  # one live token per user and feed, whatever the timing
    replaced = _revoke(user, feed)
    raw = secrets.token_urlsafe(32)
    token = CalendarToken(user_id=user.id, feed=feed, token_hash=_digest(raw))
    db.session.add(token)
    db.session.flush()
    record_event(
        user, "calendar.token_rotate" if replaced else "calendar.token_create", token, None
    )
    return raw


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


def token_owner(raw: str, feed: FeedKind) -> User | None:
    """The active user whose live token this is, or None (the feed then answers 404)."""
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        return None
    digest = _digest(raw)
    found = db.session.execute(
        sa.select(CalendarToken, User)
        .join(User, User.id == CalendarToken.user_id)
        .where(
            CalendarToken.token_hash == digest,
            CalendarToken.feed == feed,
            CalendarToken.revoked_dt.is_(None),
        )
    ).one_or_none()
    if found is None:
        return None
    token, user = found
    # The lookup is by hash, so its timing says nothing of the secret; compare anyway.
    if not hmac.compare_digest(token.token_hash, digest):
        return None
    if not user.is_active or user.role not in FEED_ROLES[feed]:
        return None
    _touch(token, utcnow())
    return user


def _touch(token: CalendarToken, now: datetime) -> None:
    """Note when the feed was last fetched, at most hourly and never at the feed's expense."""
    if token.last_used_dt is not None and now - token.last_used_dt < TOUCH_EVERY:
        return
    try:
        db.session.execute(
            sa.update(CalendarToken)
            .where(CalendarToken.id == token.id)
            .values(last_used_dt=now)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    except OperationalError as error:  # e.g. SQLite busy with a writer: try next time
        db.session.rollback()
        log.warning("calendar token %s not touched: %s", token.id, error)
