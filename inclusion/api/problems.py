"""Errors of the API as ``application/problem+json`` (RFC 9457).

Every problem has a machine-readable ``type`` (and the same ``code``), the HTTP
``status``, a ``title``, the ``field`` it is about (or null) and its ``message`` in
Japanese and English; bad input lists each field's problem in ``errors``.
"""

from __future__ import annotations

import re

from flask import Response, jsonify, request
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

MEDIA_TYPE = "application/problem+json"
#: Where the API lives; errors under it are problems, elsewhere HTML pages.
API_PREFIX = "/api/"

#: status -> (code, title, message)
PROBLEMS = {
    400: ("bad-input", "Bad input", _l("The request has a value that is missing or wrong.")),
    401: ("unauthenticated", "Unauthenticated",
          _l("Send a live API key as 'Authorization: Bearer …'.")),
    403: ("forbidden", "Forbidden", _l("This API key may not do this.")),
    404: ("not-found", "Not found", _l("There is nothing at this address.")),
    405: ("method-not-allowed", "Method not allowed",
          _l("This address does not take this method.")),
    406: ("not-acceptable", "Not acceptable", _l("The API answers in JSON only.")),
    409: ("conflict", "Conflict", _l("This clashes with what is there already.")),
    412: ("precondition-failed", "Precondition failed",
          _l("Someone changed this in the meantime: fetch it again, then retry.")),
    413: ("too-large", "Too large", _l("What you sent is too large.")),
    415: ("unsupported-media-type", "Unsupported media type",
          _l("Send the body as application/json.")),
    422: ("rule-violation", "Rule violation", _l("A rule of the programme refuses this.")),
    428: ("precondition-required", "Precondition required",
          _l("Send the ETag you read in If-Match, so no one's change is overwritten.")),
    429: ("rate-limited", "Too many requests", _l("Too many requests: wait, then retry.")),
    500: ("server-error", "Server error", _l("Something went wrong on our side.")),
    503: ("unavailable", "Unavailable", _l("The service is unavailable for a moment.")),
}  # fmt: skip

#: Codes more precise than their status's, each with what it means (the docs list them).
SPECIFIC_CODES = {
    "missing-scope": (403, _l("The key lacks the permission the route needs.")),
    "other-ward": (403, _l("The key is for another ward than the one named.")),
    "possible-duplicate": (409, _l("Residents with this number or name are on record: "
                                   "matches lists them; send confirmed_new once none is them.")),
}  # fmt: skip


#: The services' and the models' names of fields that the API calls otherwise.
API_NAMES = {"day": "date", "venue": "venue_id", "phone_1": "phones", "phone_2": "phones",
             "phone_3": "phones", "proxy_phone_e164": "proxy_phone",
             "starts_dt": "starts_at", "ends_dt": "ends_at"}  # fmt: skip


def api_name(field: str | None) -> str | None:
    """A field as the API names it, in problems and in webhooks."""
    return API_NAMES.get(field, field) if field is not None else None


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def both_languages(message) -> dict[str, str]:
    """A message as Japanese and English text."""
    texts = {}
    for language in ("ja", "en"):
        with force_locale(language):
            texts[language] = str(message)
    return texts


def problem(
    status: int,
    message=None,
    field: str | None = None,
    errors: list[dict] | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions,
) -> Response:
    """A problem response; ``message`` (lazy text) defaults to the status's own.

    ``extensions`` are further members, such as the records a duplicate may be.
    """
    default_code, title, default_message = PROBLEMS.get(status, PROBLEMS[500])
    code = code or default_code
    texts = both_languages(message or default_message)
    body = {
        "type": f"{API_PREFIX}v1/docs#problem-{code}",
        "code": code,
        "title": title,
        "status": status,
        "detail": texts["en"],
        "message": texts,
        "field": field,
        "instance": request.path,
    }
    if errors:
        body["errors"] = errors
    body.update(extensions)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = MEDIA_TYPE
    response.headers.update(headers or {})
    return response


def from_http_exception(error: HTTPException) -> Response:
    """Any HTTP error under the API as a problem, keeping its headers (Retry-After, Allow)."""
    status = error.code or 500
    headers = {
        name: value for name, value in error.get_headers() if name.lower() != "content-type"
    }
    data = getattr(error, "data", None) or {}
    if "messages" in data:  # webargs: the body or query did not match the schema
        return problem(400, errors=field_errors(data["messages"]), headers=headers)
    problem_data = getattr(error, "problem", None) or {}
    return problem(status, headers=headers, **problem_data)


def field_errors(messages: dict) -> list[dict]:
    """webargs' ``{location: {field: [message, …]}}`` as a list of field problems."""
    found = []
    for location, fields in messages.items():
        for name, texts in _flatten(fields):
            for text in texts:
                message = {"ja": _ja(text), "en": text}
                found.append({"field": name, "in": location, "message": message})
    return found


def _flatten(fields, prefix: str = ""):
    if isinstance(fields, list):
        yield prefix or "_body", [str(text) for text in fields]
        return
    for name, inner in fields.items():
        yield from _flatten(inner, f"{prefix}.{name}" if prefix else str(name))


#: Marshmallow's messages that carry values, and the same in our words: (pattern, message).
WORDED = [
    (r"^Must be one of: (?P<choices>.*)\.$", _l("Choose one of: %(choices)s.")),
    (r"^Must be greater than or equal to (?P<low>\S+) and less than or equal to (?P<high>\S+)\.$",
     _l("Enter a number from %(low)s to %(high)s.")),
    (r"^Must be greater than or equal to (?P<low>\S+)\.$", _l("Enter %(low)s or more.")),
    (r"^Must be less than or equal to (?P<high>\S+)\.$", _l("Enter %(high)s or less.")),
    (r"^Length must be between (?P<low>\d+) and (?P<high>\d+)\.$",
     _l("Enter %(low)s to %(high)s characters.")),
    (r"^Longer than maximum length (?P<high>\d+)\.$", _l("Enter at most %(high)s characters.")),
    (r"^Shorter than minimum length (?P<low>\d+)\.$", _l("Enter at least %(low)s characters.")),
    (r"^Length must be (?P<count>\d+)\.$", _l("Give exactly %(count)s.")),
    (r"^String does not match expected pattern\.$",
     _l("This is not in the form asked for, or holds a character not allowed here "
        "(such as a control character).")),
]  # fmt: skip


def _ja(text: str) -> str:
    """A validation message in Japanese: from the catalog, by its pattern when it carries
    values, else a plain general one."""
    with force_locale("ja"):
        translated = gettext(text)
        if translated != text:
            return translated
        for pattern, message in WORDED:
            found = re.match(pattern, text)
            if found:
                return str(message % found.groupdict())
    return str(_l("Check this value."))


#: Marshmallow's and webargs' own messages, listed so the catalog translates them.
LIBRARY_MESSAGES = (
    _l("Missing data for required field."),
    _l("Field may not be null."),
    _l("Not a valid integer."),
    _l("Not a valid string."),
    _l("Not a valid boolean."),
    _l("Not a valid date."),
    _l("Not a valid time."),
    _l("Not a valid datetime."),
    _l("Not a valid list."),
    _l("Not a valid number."),
    _l("Unknown field."),
    _l("Invalid input type."),
    _l("Invalid value."),
    _l("Must be greater than or equal to 1."),
    _l("Not a valid mapping type."),
    _l("Enter a date from 2000 to 2100."),
)
