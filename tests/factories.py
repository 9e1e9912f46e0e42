"""Test data: each factory adds a row, flushes it and returns it."""

from __future__ import annotations

import functools
import itertools

from werkzeug.security import generate_password_hash

from inclusion.auth.models import Role, User
from inclusion.extensions import db
from inclusion.wards.models import Ward

PASSWORD = "correct horse battery"
_numbers = itertools.count(1)


@functools.cache
def password_hash(password: str) -> str:
    """A cheap scrypt hash: the app's own cost is slow on purpose, tests log in often."""
    return generate_password_hash(password, method="scrypt:1024:8:1")


def make_user(
    role: Role = Role.WARD_STAFF,
    ward: Ward | None = None,
    email: str | None = None,
    password: str = PASSWORD,
    is_active: bool = True,
) -> User:
    number = next(_numbers)
    user = User(
        email=email or f"{role.value}{number}@example.jp",
        display_name=f"テスト {role.value} {number}",
        role=role,
        ward=ward,
        is_active=is_active,
        password_hash=password_hash(password),
    )
    db.session.add(user)
    db.session.flush()
    return user
