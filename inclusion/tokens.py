"""Secrets handed out once (calendar feed addresses, API keys): only their hash is kept."""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from inclusion.db import begin_as
from inclusion.extensions import db

log = logging.getLogger(__name__)


def digest(raw: str) -> str:
    """The SHA-256 of a secret, hex: what the database keeps and looks up."""
    return hashlib.sha256(raw.encode()).hexdigest()


def same_digest(stored: str, raw: str) -> bool:
    """Whether ``raw`` hashes to ``stored``; the look-up is by hash, compare anyway."""
    return hmac.compare_digest(stored, digest(raw))


def touch(row, now: datetime, every: timedelta) -> None:
    """Note ``row.last_used_dt`` at most every ``every``, never at the request's expense.

    Its own short write transaction: on SQLite a page that only reads cannot turn its
    transaction into a writer once another one has written.
    """
    if row.last_used_dt is not None and now - row.last_used_dt < every:
        return
    model = type(row)
    try:
        db.session.commit()
        with begin_as(writer=True):
            db.session.execute(
                sa.update(model)
                .where(model.id == row.id)
                .values(last_used_dt=now)
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
    except OperationalError as error:  # e.g. SQLite busy with a writer: try next time
        db.session.rollback()
        log.warning("%s %s: last use not noted: %s", model.__tablename__, row.id, error)
