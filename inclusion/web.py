"""Small helpers that views of every feature share."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from inclusion.auth.models import Role


def safe_next_url(target: str | None) -> str | None:
    """Accept only a path on this site, so a link cannot send people elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def home_url() -> str:
    """Where a user starts: the page of their role."""
    if not current_user.is_authenticated:
        return url_for("main.index")
    role = current_user.role
    if role == Role.ADMIN:
        return url_for("auth.users")
    if role == Role.COORDINATOR:
        return url_for("wards.index")
    if role == Role.WARD_STAFF:
        return url_for("wards.overview", ward=current_user.ward.slug)
    return url_for("auth.account")


def redirect_back(default: str | None = None) -> Response:
    """Go to the form's ``next`` if it is ours, else ``default`` or home."""
    target = safe_next_url(request.form.get("next") or request.args.get("next"))
    return redirect(target or default or home_url())
