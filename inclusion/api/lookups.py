"""Finding what an API request names, as the key may see it."""

from __future__ import annotations

from flask import abort
from flask_babel import lazy_gettext as _l
from werkzeug.http import quote_etag

from inclusion.api.access import ApiProblem, check_ward, current_key
from inclusion.api.disclosure import whole_record
from inclusion.extensions import db
from inclusion.residents.models import Resident
from inclusion.residents.queries import booking_counts
from inclusion.sessions.models import Series, Session
from inclusion.sessions.queries import Cursor
from inclusion.wards.models import Ward
from inclusion.wards.services import find_ward


def ward_named(key: str) -> Ward:
    ward = find_ward(key)
    if ward is None:
        raise ApiProblem(404, _l("There is no ward %(ward)s.", ward=key[:40]), "ward")
    return ward


def ward_asked(named: str | None) -> Ward | None:
    """The ward a request is about: the one it names (the key must reach it), else the
    key's own; None for a key of every ward that names none."""
    if named is None:
        return current_key().ward
    ward = ward_named(named)
    check_ward(ward)
    return ward


def reachable(model, object_id: int):
    """A row the key may see: missing, or in another ward than the key's, is a 404."""
    found = db.session.get(model, object_id)
    if found is None or not current_key().reaches(found.ward_id):
        abort(404)
    return found


def resident_reachable(resident_id: int) -> Resident:
    """A resident the key may see; one whose record was anonymised is gone (404)."""
    resident = reachable(Resident, resident_id)
    if resident.is_anonymised:
        abort(404)
    return resident


def course_reachable(series_id: int) -> Series:
    """A course the key may see; a series booked date by date is not one (404)."""
    series = reachable(Series, series_id)
    if not series.is_course:
        abort(404)
    return series


def cursor_arg(raw: str | None) -> Cursor | None:
    if raw is None:
        return None
    cursor = Cursor.parse(raw)
    if cursor is None:
        raise ApiProblem(400, _l("This cursor is not one the API gave out."), "cursor")
    return cursor


def with_counts(sessions: list[Session]) -> list[Session]:
    """Attach booked and waiting counts (one query for the page)."""
    counts = booking_counts([session.id for session in sessions])
    for session in sessions:
        session.booked, session.waiting = counts.get(session.id, (0, 0))
    return sessions


def page(items, next_cursor: Cursor | None) -> dict:
    return {"items": items, "next_cursor": str(next_cursor) if next_cursor else None}


def check_unchanged(blueprint, row, schema, shown=lambda row: row):
    """Lock ``row`` and read it afresh, then compare it with If-Match (428 or 412).

    Under the lock no one else changes it until the change at hand is committed.
    """
    db.session.refresh(row, with_for_update=True)
    with whole_record():
        blueprint.check_etag(shown(row), schema)
    return row


def set_version(blueprint, row, schema) -> None:
    """The response's ETag from the whole record, whatever of it the key may read: it
    changes whenever the record does, and says nothing of what is in it."""
    with whole_record():
        blueprint.set_etag(row, schema)


def version_header(blueprint, row, schema) -> dict[str, str]:
    """``set_version`` for a route that makes the record (and so checks no If-Match)."""
    with whole_record():
        version = blueprint._generate_etag(schema().dump(row))
    return {"ETag": quote_etag(version)}
