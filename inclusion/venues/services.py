from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from inclusion.audit.services import record_event
from inclusion.auth.models import User
from inclusion.errors import RuleViolation
from inclusion.extensions import db
from inclusion.venues.models import Venue, VenueKind
from inclusion.wards.models import Ward

log = logging.getLogger(__name__)

#: What staff may set on a venue.
VENUE_FIELDS = (
    "name",
    "kind",
    "address",
    "has_step_free_access",
    "has_lift",
    "has_hearing_loop",
    "access_notes",
    "default_capacity",
    "is_active",
)


def _save(venue: Venue) -> None:
    """Flush, turning a name already used in the ward into a message."""
    try:
        with db.session.begin_nested():
            db.session.add(venue)
            db.session.flush()
    except sa.exc.IntegrityError:
        raise RuleViolation(
            _l("This ward already has a venue with this name."), field="name"
        ) from None


def create_venue(actor: User, ward: Ward, data: dict[str, Any]) -> Venue:
    """Add a venue to a ward."""
    venue = Venue(ward=ward, **{key: data[key] for key in VENUE_FIELDS if key in data})
    venue.kind = VenueKind(venue.kind)
    _save(venue)
    record_event(actor, "venue.create", venue, ward, {"name": venue.name})
    log.info("venue %s created in ward %s", venue.id, ward.slug)
    return venue


def update_venue(actor: User, venue: Venue, data: dict[str, Any]) -> Venue:
    """Change a venue; the changed fields are audited."""
    changed = {}
    for key in VENUE_FIELDS:
        if key in data:
            new = VenueKind(data[key]) if key == "kind" else data[key]
            old = getattr(venue, key)
            if old != new:
                changed[key] = [str(old), str(new)]
                setattr(venue, key, new)
    _save(venue)
    if changed:
        record_event(actor, "venue.update", venue, venue.ward, {"changed": changed})
    return venue


def list_venues(ward: Ward, active_only: bool = False) -> list[Venue]:
    query = sa.select(Venue).where(Venue.ward_id == ward.id).order_by(Venue.name)
    if active_only:
        query = query.where(Venue.is_active)
    return list(db.session.scalars(query))
