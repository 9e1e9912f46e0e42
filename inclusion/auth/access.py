"""Who may open a view: every view declares it with ``@public`` or ``@require``.

The declaration is kept on the view as ``view.access`` so the access-matrix test
can check every route for every role.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort
from flask_login import current_user

from inclusion.auth.models import PERSON_ROLES, Role
from inclusion.extensions import login_manager
from inclusion.wards.models import Ward
from inclusion.wards.services import find_ward

#: Everyone who logs in; an integration's account reaches the API only.
ALL_ROLES = frozenset(PERSON_ROLES)


@dataclass(frozen=True)
class AccessRule:
    #: Empty for public views.
    roles: frozenset[Role]
    #: Whether the URL's ``<ward>`` must be one the user works in.
    ward_scoped: bool = False
    #: A provider's webhook: no log-in, but refused (403) without a valid signature.
    signed: bool = False
    #: An API route for keys with this scope (401 without one; cookies never count).
    api_scope: str | None = None

    @property
    def is_public(self) -> bool:
        return not self.roles and not self.signed and not self.api_scope


def public(view: Callable[..., Any]) -> Callable[..., Any]:
    """Open a view to everyone, logged in or not."""
    view.access = AccessRule(roles=frozenset())  # type: ignore[attr-defined]
    return view


def signed_webhook(
    check: Callable[[], bool],
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Open a view to a provider's servers only: ``check()`` validates the request's signature."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not check():
                abort(403)
            return view(*args, **kwargs)

        wrapped.access = AccessRule(roles=frozenset(), signed=True)  # type: ignore[attr-defined]
        return wrapped

    return decorator


def require(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Allow only logged-in users with one of ``roles``.

    A ``<ward>`` in the URL (romanised name or code) is replaced by the Ward, and
    ward staff may only open their own ward's pages.
    """
    allowed = frozenset(roles) or ALL_ROLES

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            if "ward" in kwargs:
                ward = _named_ward(kwargs["ward"])
                if ward is None:
                    abort(404)
                if not current_user.can_access_ward(ward):
                    abort(403)
                kwargs["ward"] = ward
            return view(*args, **kwargs)

        wrapped.access = AccessRule(roles=allowed, ward_scoped=takes_ward(view))  # type: ignore[attr-defined]
        return wrapped

    return decorator


def _named_ward(key: str) -> Ward | None:
    """The ward a URL names: staff's own, loaded with their log-in, needs no query."""
    own = current_user.ward
    if own is not None and key.strip().lower() in (own.slug, own.code):
        return own
    return find_ward(key)


def takes_ward(view: Callable[..., Any]) -> bool:
    """Whether a view (however decorated: the signature follows ``__wrapped__``) takes a
    ``ward`` from its URL."""
    return "ward" in inspect.signature(view).parameters
