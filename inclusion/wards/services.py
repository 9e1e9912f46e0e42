from __future__ import annotations

import sqlalchemy as sa

from inclusion.extensions import db
from inclusion.wards.models import Ward


def find_ward(key: str) -> Ward | None:
    """Find a ward by its romanised name (``shibuya``) or official code (``131130``)."""
    key = key.strip().lower()
    if not key:
        return None
    return db.session.scalar(sa.select(Ward).where(sa.or_(Ward.slug == key, Ward.code == key)))


def list_wards() -> list[Ward]:
    return list(db.session.scalars(sa.select(Ward).order_by(Ward.code)))
