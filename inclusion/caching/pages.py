"""Whole pages kept between the changes that alter them.

A page is found again only under the same address, language and log-in, and while every
ward it shows still has the ``cache_version`` it was built at (read from the database
with the ward, so a change made by any worker or host shows on the next request). A
page is kept at most ``PAGE_CACHE_SECONDS``: lists start "from now", and its forms carry
the log-in's CSRF token. Pages with a message to show once, or that changed the
visitor's session, are never kept.
"""

from __future__ import annotations

import gzip
import hashlib
import time
from collections.abc import Callable, Iterable

from flask import Response, current_app, make_response, request, session
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import Row

from inclusion.caching.store import BUILDS, Entry, store
from inclusion.i18n import select_locale
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
                    body = response.get_data()
                    expires = time.time() + current_app.config["PAGE_CACHE_SECONDS"]
                    entry = Entry(body, response.content_type, expires, gzip.compress(body, 6))
                    kept.put(key, entry)
                response.vary.add("Accept-Encoding")
                return response
    return _answer(entry)


def _answer(entry: Entry) -> Response:
    """The kept page, compressed for a browser that accepts it (a tenth of the bytes)."""
    if request.accept_encodings["gzip"]:
        response = Response(entry.gzipped, content_type=entry.content_type)
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = Response(entry.body, content_type=entry.content_type)
    response.vary.add("Accept-Encoding")
    return response


def _key(wards: Iterable[Ward | Row]) -> str | None:
    if (
        request.method not in ("GET", "HEAD")
        or not current_app.config["PAGE_CACHE_SECONDS"]
        or len(request.query_string) > MAX_QUERY
    ):
        return None
    visitor = ""
    # A visitor with no session and no remember-me cookie is nobody: no need to ask.
    config = current_app.config
    remember = config.get("REMEMBER_COOKIE_NAME", "remember_token")
    if request.cookies.keys() & {config["SESSION_COOKIE_NAME"], remember}:
        if "_flashes" in session:
            return None
        visitor = current_user.get_id() if current_user.is_authenticated else ""
    parts = (
        FORMAT,
        request.scheme,
        request.host,
        request.root_path,
        request.path,
        request.query_string,
        select_locale(),
        visitor,
        sorted((ward.id, ward.cache_version) for ward in wards),
    )
    return "page:" + hashlib.sha256(repr(parts).encode()).hexdigest()[:40]
