"""API keys for tests, made by the same service an admin's form calls."""

from __future__ import annotations

import itertools

import pytest

from inclusion.api import services
from inclusion.api.models import ApiScope
from inclusion.extensions import db

_numbers = itertools.count(1)


@pytest.fixture
def make_key(users):
    """``make_key(*scopes, ward=None)`` -> headers carrying a new live key (all scopes if none)."""

    def make(*scopes: ApiScope, ward=None) -> dict[str, str]:
        _key, secret = services.create_key(
            users["admin"], f"integration {next(_numbers)}", scopes or list(ApiScope), ward
        )
        db.session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return make
