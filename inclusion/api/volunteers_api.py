"""Volunteers for a coordinator's planning: skills, training, shifts and hours. Their
records need volunteers:read; their phone numbers and e-mail addresses are never given."""

from __future__ import annotations

from flask import abort

from inclusion import clock
from inclusion.api import schemas
from inclusion.api.access import api_key, current_key
from inclusion.api.lookups import cursor_arg, page, ward_asked
from inclusion.api.models import ApiScope
from inclusion.api.openapi import Blueprint
from inclusion.auth.models import Role, User
from inclusion.extensions import db
from inclusion.volunteers import queries

volunteers_bp = Blueprint(
    "api_volunteers", __name__, url_prefix="/api/v1",
    description="Volunteers, their training, shifts and hours (volunteers:read).",
)  # fmt: skip


@volunteers_bp.route("/volunteers")
@api_key(ApiScope.VOLUNTEERS_READ)
@volunteers_bp.arguments(schemas.VolunteerArgs, location="query", as_kwargs=True)
@volunteers_bp.response(200, schemas.VolunteerPage)
def list_volunteers(limit: int, cursor: str | None = None, ward: str | None = None, skill=None):
    """Volunteers of a ward (the key's own unless named), in the order they joined, with
    their training, minutes this fiscal year and shifts to come."""
    ward_row = ward_asked(ward)
    volunteers, next_cursor = queries.page_of_volunteers(
        [ward_row.id] if ward_row else None, skill.value if skill else None,
        cursor_arg(cursor), limit,
    )  # fmt: skip
    # A key of one ward learns of a volunteer's hours and shifts in that ward only.
    key_wards = None if current_key().ward_id is None else [current_key().ward_id]
    facts = queries.volunteer_facts([volunteer.id for volunteer in volunteers], clock.today(),
                                    key_wards)  # fmt: skip
    for volunteer in volunteers:
        volunteer.facts = facts[volunteer.id]
    return page(volunteers, next_cursor)


@volunteers_bp.route("/volunteers/<int:volunteer_id>/shifts")
@api_key(ApiScope.VOLUNTEERS_READ)
@volunteers_bp.arguments(schemas.UpcomingArgs, location="query", as_kwargs=True)
@volunteers_bp.response(200, schemas.VolunteerShiftPage)
def volunteer_shifts(volunteer_id: int, limit: int, when: str, cursor: str | None = None):
    """A volunteer's shifts in the key's wards: those to come soonest first, or
    (?when=past) those over most recent first, with the minutes each counted."""
    key_ward = current_key().ward_id
    volunteer = db.session.get(User, volunteer_id)
    if (
        volunteer is None
        or volunteer.role != Role.VOLUNTEER
        or volunteer.volunteer_profile is None
        or (key_ward is not None
            and key_ward not in {ward.id for ward in volunteer.volunteer_profile.wards})
    ):  # fmt: skip
        abort(404)
    shifts, next_cursor = queries.page_of_shifts(
        volunteer.id, None if key_ward is None else [key_ward], when == "upcoming",
        cursor_arg(cursor), limit,
    )  # fmt: skip
    return page(shifts, next_cursor)
