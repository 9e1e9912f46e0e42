"""API keys: made by admins per integration, shown once, revocable; each use noted."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from inclusion.api.models import ApiKey, ApiScope
from inclusion.audit.services import record_event
from inclusion.auth.models import NO_PASSWORD, Role, User
from inclusion.db import utcnow
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.tokens import digest, same_digest, touch
from inclusion.wards.models import Ward

log = logging.getLogger(__name__)

#: Every key starts so, which tells a leaked one apart in logs and secret scanners.
TOKEN_PREFIX = "incl_"
#: A bearer token longer than this is not one of ours; refuse before hashing it.
MAX_TOKEN_LENGTH = 100
TOUCH_EVERY = timedelta(minutes=1)


def create_key(
    actor: User, name: str, scopes: Iterable[ApiScope], ward: Ward | None
) -> tuple[ApiKey, str]:
    """Make a key and its account; returns the key and its secret, which is shown once."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise RuleViolation(_l("Name the integration, e.g. 23-ward call centre."), "name")
    chosen = sorted({ApiScope(scope).value for scope in scopes})
    if not chosen:
        raise RuleViolation(_l("Choose at least one permission."), "scopes")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    account = User(
        email=f"api-{secrets.token_hex(8)}@api.invalid",
        display_name=f"API: {name}"[:100],
        role=Role.INTEGRATION,
        ward=ward,
        # No password ever matches, so the account cannot log in.
        password_hash=NO_PASSWORD,
    )
    key = ApiKey(name=name, user=account, ward=ward, scopes=chosen, token_hash=digest(secret),
                 prefix=secret[: len(TOKEN_PREFIX) + 6], created_by=actor)  # fmt: skip
    try:
        with db.session.begin_nested():
            db.session.add(key)
            db.session.flush()
    except IntegrityError:
        raise RuleViolation(_l("A key with this name exists already."), "name") from None
    record_event(actor, "api_key.create", key, ward, {"name": name, "scopes": chosen})
    log.info("api key %s (%s) created with %s", key.id, key.prefix, chosen)
    return key, secret


def revoke_key(actor: User, key: ApiKey) -> ApiKey:
    """Stop a key at once: its next request answers 401."""
    if key.is_revoked:
        raise RuleViolation(_l("This key is already revoked."))
    key.revoked_dt = utcnow()
    key.user.is_active = False
    db.session.flush()
    record_event(actor, "api_key.revoke", key, key.ward, {"name": key.name})
    log.info("api key %s (%s) revoked", key.id, key.prefix)
    return key


def list_keys() -> list[ApiKey]:
    return list(
        db.session.scalars(
            sa.select(ApiKey)
            .options(joinedload(ApiKey.created_by))
            .order_by(ApiKey.revoked_dt.is_not(None), ApiKey.name)
        )
    )


def key_for_token(raw: str) -> ApiKey | None:
    """The live key of a bearer token, its use noted; None for anything else."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > MAX_TOKEN_LENGTH:
        return None
    key = db.session.scalar(sa.select(ApiKey).where(ApiKey.token_hash == digest(raw)))
    if key is None or not same_digest(key.token_hash, raw):
        return None
    if key.is_revoked or not key.user.is_active:
        return None
    touch(key, utcnow(), TOUCH_EVERY)
    return key
