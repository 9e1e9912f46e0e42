"""What became of reminders, and the replies that wait for a person to follow them up."""

from __future__ import annotations

from inclusion.api import schemas
from inclusion.api.access import api_key
from inclusion.api.lookups import cursor_arg, page, reachable, resident_reachable, ward_asked
from inclusion.api.models import ApiScope
from inclusion.api.openapi import Blueprint
from inclusion.reminders import services
from inclusion.residents.models import Booking
from inclusion.sessions.models import Session

reminders_bp = Blueprint(
    "api_reminders", __name__, url_prefix="/api/v1",
    description="Reminders sent and their outcomes; replies. Never a phone number.",
)  # fmt: skip


@reminders_bp.route("/sessions/<int:session_id>/reminders")
@api_key(ApiScope.REMINDERS_READ)
@reminders_bp.arguments(schemas.PageArgs, location="query", as_kwargs=True)
@reminders_bp.response(200, schemas.ReminderPage)
def session_reminders(session_id: int, limit: int, cursor: str | None = None):
    """Every reminder of a session (to residents, contacts and volunteers), in the order
    they fall due, with what became of each."""
    session = reachable(Session, session_id)
    reminders, next_cursor = services.page_of_reminders(
        cursor_arg(cursor), limit, session_id=session.id
    )
    return page(reminders, next_cursor)


@reminders_bp.route("/residents/<int:resident_id>/reminders")
@api_key(ApiScope.REMINDERS_READ)
@reminders_bp.arguments(schemas.PageArgs, location="query", as_kwargs=True)
@reminders_bp.response(200, schemas.ReminderPage)
def resident_reminders(resident_id: int, limit: int, cursor: str | None = None):
    """The reminders to a resident and their contact person, most recent first."""
    resident = resident_reachable(resident_id)
    reminders, next_cursor = services.page_of_reminders(
        cursor_arg(cursor), limit, resident_id=resident.id
    )
    return page(reminders, next_cursor)


@reminders_bp.route("/bookings/<int:booking_id>/reminders")
@api_key(ApiScope.REMINDERS_READ)
@reminders_bp.response(200, schemas.Reminder(many=True))
def booking_reminders(booking_id: int):
    """The reminders a booking caused and what became of each (sent, delivered, answered)."""
    return services.reminders_of_booking(reachable(Booking, booking_id).id)


@reminders_bp.route("/replies")
@api_key(ApiScope.REMINDERS_READ)
@reminders_bp.arguments(schemas.ReplyArgs, location="query", as_kwargs=True)
@reminders_bp.response(200, schemas.ReplyPage)
def replies(limit: int, waiting: bool, cursor: str | None = None, ward: str | None = None):
    """Replies to reminders: by default those a person must still follow up (a shared
    number, an answer not understood), oldest first. A key of every ward that names no
    ward also gets the replies no ward could be told."""
    ward_row = ward_asked(ward)
    ward_ids = [ward_row.id] if ward_row else None
    found, next_cursor = services.page_of_replies(ward_ids, waiting, cursor_arg(cursor), limit)
    return page(found, next_cursor)
