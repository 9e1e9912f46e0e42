"""Kept pages answered before Flask runs, for visitors who are not logged in.

A kept ward page needs nothing from the database but its ward's version; for it, Flask's
own work on a request (contexts, extensions, hooks) costs more than the page. This
middleware finds such a page under the very key ``pages.serve`` keeps it by, and answers
it with the headers Flask gave that page last time. Everything else — a log-in, a query
string, a page not kept yet or whose ward changed, a database that does not answer — goes
on to Flask, which answers, builds and keeps as before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Request

from inclusion.caching import pages
from inclusion.caching.store import Entry, store
from inclusion.logs import REQUEST_ID_HEADER, request_id
from inclusion.ops import metrics

log = logging.getLogger(__name__)

#: The endpoints answered here, each with how to find the wards its page shows from the
#: address's arguments (None: no such ward; Flask answers the 404).
_WARDS_OF: dict[str, Callable[[dict], Iterable | None]] = {}
#: Headers that belong to one answer, never replayed on another.
_OF_ONE_ANSWER = frozenset(
    {"content-encoding", "content-length", "date", "set-cookie", REQUEST_ID_HEADER.lower()}
)


def answer_before_flask(endpoint: str, wards_of: Callable[[dict], Iterable | None]) -> None:
    """Let ``endpoint``'s kept page be answered before Flask, for nobody logged in. Its
    view must keep the page with ``pages.serve(…, reads_query=False)``."""
    _WARDS_OF[endpoint] = wards_of


class FrontCache:
    """WSGI middleware in front of the Flask app (inside ProxyFix: hosts are the real ones)."""

    def __init__(self, app: Flask, wsgi_app) -> None:
        self.app, self.wsgi_app = app, wsgi_app
        #: The headers of each endpoint's last page Flask answered, without those of one answer.
        self.headers: dict[str, list[tuple[str, str]]] = {}

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        asked = Request(environ)
        found = self._route(asked)
        if found is None:
            return self.wsgi_app(environ, start_response)
        endpoint, args = found
        headers = self.headers.get(endpoint)
        entry = self._kept(asked, endpoint, args) if headers is not None else None
        if entry is None:
            return self.wsgi_app(environ, self._learning(endpoint, start_response))
        response = pages.answer(entry, asked, headers)
        response.headers[REQUEST_ID_HEADER] = request_id(asked.headers.get(REQUEST_ID_HEADER, ""))
        metrics.count(asked.method, endpoint, response.status_code, started)
        return response(environ, start_response)

    def _route(self, asked: Request) -> tuple[str, dict] | None:
        """The endpoint and arguments of a request that may be answered here."""
        config = self.app.config
        if (
            not pages.may_keep(asked, config)
            or asked.query_string
            or "\x00" in asked.path
            or pages.is_visitor(asked, config)
        ):
            return None
        try:
            endpoint, args = self.app.create_url_adapter(asked).match()
        except (HTTPException, RequestRedirect):
            return None
        return (endpoint, args) if endpoint in _WARDS_OF else None

    def _kept(self, asked: Request, endpoint: str, args: dict) -> Entry | None:
        with self.app.app_context():
            try:
                wards = _WARDS_OF[endpoint](args)
                if wards is None:
                    return None
                return store().get(pages.page_key(asked, "", wards))
            except Exception as error:  # any: Flask answers, and says what went wrong
                log.warning("a kept page left to Flask: %r", error)
                return None

    def _learning(self, endpoint: str, start_response):
        """``start_response``, noting the headers of a page Flask answered in full."""

        def start(status: str, headers: list[tuple[str, str]], exc_info=None):
            names = {name.lower() for name, _value in headers}
            if status.startswith("200 ") and "set-cookie" not in names:
                self.headers[endpoint] = [
                    (name, value) for name, value in headers
                    if name.lower() not in _OF_ONE_ANSWER
                ]  # fmt: skip
            return start_response(status, headers, exc_info)

        return start
