"""The demo's API key: a joint call centre's, made afresh each time it is asked for."""

from __future__ import annotations

import sqlalchemy as sa

from inclusion.api.models import ApiKey, ApiScope
from inclusion.api.services import create_key, revoke_key
from inclusion.extensions import db

DEMO_KEY_NAME = "demo call centre"
DEMO_KEY_SCOPES = (ApiScope.SESSIONS_READ, ApiScope.BOOKINGS_READ, ApiScope.BOOKINGS_WRITE,
                   ApiScope.RESIDENTS_READ, ApiScope.RESIDENTS_WRITE, ApiScope.REMINDERS_READ)  # fmt: skip


def fresh_demo_key() -> str:
    """Revoke the demo's earlier keys and make a new one for every ward; its secret (only
    its hash is kept, so an earlier one cannot be shown again)."""
    earlier = list(
        db.session.scalars(sa.select(ApiKey).where(ApiKey.name.startswith(DEMO_KEY_NAME)))
    )
    for key in earlier:
        if not key.is_revoked:
            revoke_key(None, key)
    # Numbered, as names are unique and revoked keys stay listed.
    _key, secret = create_key(None, f"{DEMO_KEY_NAME} {len(earlier) + 1}", DEMO_KEY_SCOPES, None)
    return secret
