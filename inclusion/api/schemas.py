"""What the API reads and writes, as marshmallow schemas (the OpenAPI description's too)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from inclusion import clock
from inclusion.sessions.models import Level, SessionKind, SessionStatus, Topic
from inclusion.sessions.services import SLOT_MINUTES
from inclusion.venues.models import VenueKind

#: Keyset pages: at most this many rows, 50 unless asked.
MAX_PAGE = 200


def local_iso(moment) -> str | None:
    """A UTC datetime as local ISO 8601 with its offset, e.g. 2026-12-10T10:00:00+09:00."""
    return clock.to_local(moment).isoformat() if moment is not None else None


class Strict(ma.Schema):
    """Unknown fields are refused, so a misspelt one is not silently ignored."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


class Localised(Strict):
    ja = fields.Str(required=True)
    en = fields.Str(required=True)


class FieldProblem(Strict):
    field = fields.Str(required=True)
    location = fields.Str(data_key="in", required=True)
    message = fields.Nested(Localised, required=True)


class Problem(Strict):
    """application/problem+json (RFC 9457), with the message in Japanese and English."""

    type = fields.Str(required=True)
    code = fields.Str(required=True, metadata={"description": "Machine-readable, stable."})
    title = fields.Str(required=True)
    status = fields.Int(required=True)
    detail = fields.Str(required=True)
    message = fields.Nested(Localised, required=True)
    field = fields.Str(allow_none=True, required=True)
    instance = fields.Str(required=True)
    errors = fields.List(fields.Nested(FieldProblem))


class Ward(Strict):
    code = fields.Str(metadata={"description": "Local government code, e.g. 131130."})
    slug = fields.Str(metadata={"description": "Romanised name, e.g. shibuya."})
    name_ja = fields.Str()
    name_en = fields.Str()
    booking_phone = fields.Str()
    booking_hours = fields.Str()


class Venue(Strict):
    id = fields.Int()
    ward = fields.Function(lambda venue: venue.ward.slug)
    name = fields.Str()
    kind = fields.Enum(VenueKind, by_value=True)
    address = fields.Str()
    has_step_free_access = fields.Bool()
    has_lift = fields.Bool()
    has_hearing_loop = fields.Bool()
    access_notes = fields.Str()
    default_capacity = fields.Int()


class VenueRef(Strict):
    id = fields.Int()
    name = fields.Str()
    address = fields.Str()


class Session(Strict):
    id = fields.Int()
    ward = fields.Function(lambda session: session.ward.slug)
    venue = fields.Nested(VenueRef)
    kind = fields.Enum(SessionKind, by_value=True)
    title = fields.Str()
    level = fields.Enum(Level, by_value=True)
    description = fields.Str()
    room = fields.Str()
    topics = fields.List(fields.Enum(Topic, by_value=True))
    starts_at = fields.Function(lambda session: local_iso(session.starts_dt))
    ends_at = fields.Function(lambda session: local_iso(session.ends_dt))
    capacity = fields.Int()
    slot_minutes = fields.Int(allow_none=True)
    lead_needed = fields.Int()
    assistants_needed = fields.Int()
    has_device_loan = fields.Bool()
    status = fields.Enum(SessionStatus, by_value=True)
    cancel_reason = fields.Str()
    sequence = fields.Int(metadata={"description": "Bumped by every change a calendar shows."})
    booked = fields.Int(metadata={"description": "Seats or slots taken."})
    waiting = fields.Int(metadata={"description": "On the waiting list."})


class PublicSession(Strict):
    """What a ward's website shows: no volunteer or booking details beyond seats left."""

    id = fields.Int()
    ward = fields.Function(lambda session: session.ward.slug)
    venue = fields.Nested(VenueRef)
    kind = fields.Enum(SessionKind, by_value=True)
    title = fields.Str()
    level = fields.Enum(Level, by_value=True)
    description = fields.Str()
    room = fields.Str()
    topics = fields.List(fields.Enum(Topic, by_value=True))
    starts_at = fields.Function(lambda session: local_iso(session.starts_dt))
    ends_at = fields.Function(lambda session: local_iso(session.ends_dt))
    has_device_loan = fields.Bool()
    seats_left = fields.Int(allow_none=True, metadata={"description": "None for salons."})
    url = fields.Str(metadata={"description": "The session's public page."})


class Page(Strict):
    next_cursor = fields.Str(
        allow_none=True, metadata={"description": "Pass as ?cursor= for the next page."}
    )


class SessionPage(Page):
    items = fields.List(fields.Nested(Session))


class PublicSessionPage(Page):
    items = fields.List(fields.Nested(PublicSession))


class PageArgs(Strict):
    cursor = fields.Str(validate=validate.Length(max=40))
    limit = fields.Int(load_default=50, validate=validate.Range(1, MAX_PAGE))


class PublicSessionArgs(PageArgs):
    kind = fields.Enum(SessionKind, by_value=True)
    topic = fields.Enum(Topic, by_value=True)


class SessionArgs(PublicSessionArgs):
    ward = fields.Str(validate=validate.Length(max=40))
    venue_id = fields.Int(validate=validate.Range(1, 2**31 - 1))
    status = fields.Enum(SessionStatus, by_value=True)
    date_from = fields.Date(metadata={"description": "Local date, YYYY-MM-DD."})
    date_to = fields.Date()


class SessionInput(Strict):
    """A session as staff would enter it, in local time (Asia/Tokyo)."""

    venue_id = fields.Int(required=True, validate=validate.Range(1, 2**31 - 1))
    kind = fields.Enum(SessionKind, by_value=True, required=True)
    title = fields.Str(required=True, validate=validate.Length(1, 200))
    date = fields.Date(required=True)
    starts_time = fields.Time(required=True, format="%H:%M")
    ends_time = fields.Time(required=True, format="%H:%M")
    topics = fields.List(fields.Enum(Topic, by_value=True), load_default=list)
    level = fields.Enum(Level, by_value=True, load_default=Level.BEGINNER)
    description = fields.Str(load_default="", validate=validate.Length(max=4000))
    room = fields.Str(load_default="", validate=validate.Length(max=100))
    capacity = fields.Int(allow_none=True, load_default=None, validate=validate.Range(1, 1000))
    slot_minutes = fields.Int(
        allow_none=True, load_default=None, validate=validate.OneOf(SLOT_MINUTES)
    )
    lead_needed = fields.Int(allow_none=True, load_default=None, validate=validate.Range(0, 5))
    assistants_needed = fields.Int(
        allow_none=True, load_default=None, validate=validate.Range(0, 50)
    )
    has_device_loan = fields.Bool(load_default=False)


class SessionChange(SessionInput):
    """Only what changes (loaded as partial); moving a session needs a reason."""

    reason = fields.Str(validate=validate.Length(max=500))


class Cancellation(Strict):
    reason = fields.Str(required=True, validate=validate.Length(1, 500))
