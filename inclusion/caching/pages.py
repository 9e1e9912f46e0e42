"""Whole pages kept between the changes that alter them.

A page is found again only under the same address, language and log-in, and while every
ward it shows still has the ``cache_version`` it was built at (read from the database
with the ward, so a change made by any worker or host shows on the next request). A
page is kept at most ``PAGE_CACHE_SECONDS``: lists start "from now", and its forms carry
the log-in's CSRF token. Pages with a message to show once, or that changed the
visitor's session, are never kept.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable

from flask import Response, current_app, make_response, request, session
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import Row
from werkzeug.wrappers import Request

from inclusion.caching.store import BUILDS, Entry, store
from inclusion.i18n import locale_of
from inclusion.wards.models import Ward

#: Bump when what a cached page holds changes shape.
FORMAT = 1
#: Longer addresses (many filters) are answered without the cache.
MAX_QUERY = 500


def serve(
    wards: Iterable[Ward | Row],
    build: Callable[[], ResponseReturnValue],
    reads_query: bool = True,
) -> Response:
    """The page ``build`` makes, from the cache while ``wards`` (each with its ``id`` and
    ``cache_version``) are unchanged. A page that does not read its query string is
    kept only under its plain address: made-up queries are not each kept."""
    key = None if request.query_string and not reads_query else _key(wards)
    if key is None:
        return make_response(build())
    kept = store()
    entry = kept.get(key)
    if entry is None:
        # Right after a change, the threads (and hosts) asking build the page once.
        with kept.building(key):
            entry = kept.get(key)
            if entry is None:
                BUILDS.labels("page").inc()
                response = make_response(build())
                personal = session.modified or "Set-Cookie" in response.headers
                if response.status_code == 200 and not personal:
                    expires = time.time() + current_app.config["PAGE_CACHE_SECONDS"]
                    entry = Entry.of([response.get_data()], response.content_type, expires)
                    kept.put(key, entry)
                response.vary.add("Accept-Encoding")
                return response
    return answer(entry, request)


def answer(entry: Entry, asked: Request, headers: list[tuple[str, str]] | None = None) -> Response:
    """The kept page or calendar, compressed for a client that accepts it (a tenth of the
    bytes); with the ``headers`` Flask gave it before, when answered before Flask runs."""
    gzipped = asked.accept_encodings["gzip"]
    response = Response(
        entry.gzipped if gzipped else entry.body,
        headers=headers,
        content_type=entry.content_type,
    )
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


def _key(wards: Iterable[Ward | Row]) -> str | None:
    if not may_keep(request, current_app.config):
        return None
    visitor = ""
    # A visitor with no session and no remember-me cookie is nobody: no need to ask.
    if is_visitor(request, current_app.config):
        if "_flashes" in session:
            return None
        visitor = current_user.get_id() if current_user.is_authenticated else ""
    return page_key(request, visitor, wards)


def may_keep(asked: Request, config) -> bool:
    """Whether a request's answer may be kept (and so found kept): a read, while pages
    are kept at all, at an address not too long."""
    return (
        asked.method in ("GET", "HEAD")
        and bool(config["PAGE_CACHE_SECONDS"])
        and len(asked.query_string) <= MAX_QUERY
    )


def is_visitor(asked: Request, config) -> bool:
    """Whether the request carries a log-in's cookie (a session, or remember-me)."""
    remember = config.get("REMEMBER_COOKIE_NAME", "remember_token")
    return bool(asked.cookies.keys() & {config["SESSION_COOKIE_NAME"], remember})


def page_key(asked: Request, visitor: str, wards: Iterable[Ward | Row]) -> str:
    """Where a page is kept: its address, language, log-in and its wards' versions."""
    parts = (
        FORMAT,
        asked.scheme,
        asked.host,
        asked.root_path,
        asked.path,
        asked.query_string,
        locale_of(asked, current_app.config),
        visitor,
        sorted((ward.id, ward.cache_version) for ward in wards),
    )
    return "page:" + hashlib.sha256(repr(parts).encode()).hexdigest()[:40]
