"""What of a person an API response may carry, and the audit entry for each resident it does.

One rule for every route, applied where a person's record is written out
(``schemas.PersonalData``): a key with the record's read scope (residents:read,
volunteers:read) gets the record, and each resident shown leaves an audit entry; any other
key, whatever it may change, learns which record and nothing of the person in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, Response, g, has_request_context, request

from inclusion.api.models import ApiScope
from inclusion.audit.services import record_resident_reads
from inclusion.db import begin_as
from inclusion.extensions import db

#: Set while a record is dumped to compute its ETag: that is not shown to anyone.
_for_version: ContextVar[bool] = ContextVar("dumped_for_version", default=False)


@contextmanager
def whole_record() -> Iterator[None]:
    """Dump records whole and unlogged: for an ETag, which the caller never reads."""
    token = _for_version.set(True)
    try:
        yield
    finally:
        _for_version.reset(token)


def disclose(
    data: dict, not_personal: tuple[str, ...], scope: ApiScope, residents: dict[int, int]
) -> dict:
    """``data`` (a dumped record) as the calling key may see it; the ``residents`` it is
    about (id: ward id) are noted for the audit when it is shown."""
    if _for_version.get() or not has_request_context():
        return data
    key = g.get("api_key")
    if key is None or not key.allows(scope):
        return {name: data[name] for name in not_personal if name in data}
    g.setdefault("residents_disclosed", {}).update(residents)
    return data


def _audit_disclosures(response: Response) -> Response:
    """One audit entry per resident a response showed, who asked and by which route.

    Written after the view's own transaction (which a refusal rolled back), so what is
    logged is exactly what went out.
    """
    disclosed: dict[int, int] = g.pop("residents_disclosed", {})
    if not disclosed or response.status_code >= 500:  # a failure sends nothing it made
        return response
    key = g.api_key
    db.session.rollback()
    via = f"{request.method} {request.url_rule.rule if request.url_rule else request.path}"
    with begin_as(writer=True):
        record_resident_reads(key.user_id, disclosed, {"via": via, "status": response.status_code})
        db.session.commit()
    return response


def init_app(app: Flask) -> None:
    app.after_request(_audit_disclosures)
