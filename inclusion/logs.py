"""Logs: one line per event, as JSON in production, each with its request's id.

A request's id comes from a proxy's ``X-Request-ID`` when it looks like one, else is
made here; it is sent back in the response, so a user's report finds its log lines.
Nothing personal is logged: ids of rows, never names or whole numbers.
"""

from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._-]{8,64}")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"


class RequestId(logging.Filter):
    """Put the current request's id on every record (``-`` outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def _handler(log_format: str) -> logging.Handler:
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                JSON_FIELDS,
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RequestId())
    handler.inclusion = True  # ours: replaced, not added again, when another app is made
    return handler


def request_id(given: str) -> str:
    """The id a request is logged and answered under: the caller's, if it is one."""
    return given if _REQUEST_ID_RE.fullmatch(given) else uuid.uuid4().hex


def init_app(app: Flask) -> None:
    root = logging.getLogger()
    for handler in [each for each in root.handlers if getattr(each, "inclusion", False)]:
        root.removeHandler(handler)
    root.addHandler(_handler(app.config["LOG_FORMAT"]))
    root.setLevel(logging.INFO)
    # Its executor says "Running job" and "executed successfully" every few seconds; our
    # jobs log what they did, and failures still come as warnings and errors.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    # The twilio client writes ten lines of headers for every message it sends: a million
    # reminders a day would be ten million lines (and half the sending's CPU); the
    # dispatcher logs what it sent, and failures come back as errors.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)

    @app.before_request
    def give_request_id() -> None:
        g.request_id = request_id(request.headers.get(REQUEST_ID_HEADER, ""))

    @app.after_request
    def send_request_id(response):
        if "request_id" in g:
            response.headers[REQUEST_ID_HEADER] = g.request_id
        return response
