"""Who may call an API route: anyone (``@api_public``) or a key with a scope (``@api_key``).

Only the ``Authorization: Bearer`` header authenticates; a browser's session cookie
never does, so CSRF cannot reach the API.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import flask_smorest
from flask import g, request
from flask_babel import lazy_gettext as _l

from inclusion.api.models import ApiKey, ApiScope
from inclusion.api.services import key_for_token
from inclusion.auth.access import AccessRule, takes_ward
from inclusion.wards.models import Ward
from inclusion.wards.services import find_ward

log = logging.getLogger(__name__)

#: Public routes still get a rate limit and problem errors; this says "no key needed".
PUBLIC = AccessRule(roles=frozenset())
PROBLEM_CONTENT = {
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
}


class ApiProblem(Exception):
    """Stop a request with a problem response (see ``problems.problem``)."""

    def __init__(self, status: int, message=None, field: str | None = None, **extra: Any):
        super().__init__(status)
        self.status = status
        self.details = {"message": message, "field": field, **extra}


def api_public(view: Callable[..., Any]) -> Callable[..., Any]:
    view.access = PUBLIC  # type: ignore[attr-defined]
    return view


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def api_key(scope: ApiScope) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Allow only a live key holding ``scope``; it is then ``g.api_key``. A route naming a
    ``<ward>`` in its path is refused to a key of another ward before the view runs (one
    taking ``ward`` from its query checks it with ``lookups.ward_asked``)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        ward_scoped = takes_ward(view)

        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            token = bearer_token()
            key = key_for_token(token) if token else None
            if key is None:
                raise ApiProblem(401, headers={"WWW-Authenticate": 'Bearer realm="inclusion"'})
            if not key.allows(scope):
                raise ApiProblem(
                    403,
                    _l("This API key lacks the permission %(scope)s.", scope=scope.value),
                    code="missing-scope",
                )
            g.api_key = key
            log.info("api %s %s by key %s (%s)", request.method, request.path, key.id, key.prefix)
            named = (request.view_args or {}).get("ward")  # in the path; a query's is the view's
            if named is not None:
                ward = find_ward(named)
                if ward is not None:  # an unknown ward is the view's 404
                    check_ward(ward)
            return view(*args, **kwargs)

        documented = flask_smorest.Blueprint.doc(
            security=[{"bearer": [scope.value]}],
            responses={
                401: {"description": "No live API key", **PROBLEM_CONTENT},
                403: {
                    "description": f"The key lacks {scope.value} or this ward",
                    **PROBLEM_CONTENT,
                },
            },
        )(wrapped)
        documented.access = AccessRule(roles=frozenset(), ward_scoped=ward_scoped,  # type: ignore[attr-defined]
                                       api_scope=scope.value)  # fmt: skip
        return documented

    return decorator


def current_key() -> ApiKey:
    return g.api_key


def check_ward(ward: Ward) -> None:
    """A key restricted to one ward may not touch another's records."""
    if not current_key().reaches(ward.id):
        raise ApiProblem(403, _l("This API key is for another ward."), code="other-ward")
